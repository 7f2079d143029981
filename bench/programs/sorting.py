"""sorted: numbers, strings, tuples and a key function."""

import random


def run():
    rng = random.Random(42)
    numbers = [rng.random() for _ in range(50_000)]
    words = [f"w{rng.randrange(10**6)}" for _ in range(30_000)]
    pairs = [(rng.randrange(100), rng.random()) for _ in range(30_000)]
    a = sorted(numbers)
    b = sorted(words, key=len)
    c = sorted(pairs, reverse=True)
    return a[0] + len(b[-1]) + c[0][0]
