"""Integer arithmetic: small ints, big ints, division and bit operations."""


def run():
    acc = 0
    for i in range(1, 300_000):
        acc = (acc + i * i) % 1_000_003
        acc ^= i << 3
        acc += i // 7 - i % 5
    big = 1
    for i in range(1, 2_000):
        big *= i
    return acc + big.bit_length()
