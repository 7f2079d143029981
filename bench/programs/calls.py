"""Function calls: positional, keyword and default arguments, closures, *args."""


def add(a, b):
    return a + b


def scaled(a, b=2, *, offset=0):
    return a * b + offset


def make_counter():
    count = 0

    def bump(step):
        nonlocal count
        count += step
        return count

    return bump


def total(*values):
    return len(values)


def run():
    bump = make_counter()
    acc = 0
    for i in range(200_000):
        acc = add(acc, i)
        acc += scaled(i, offset=1)
        bump(1)
        acc += total(i, i, i)
    return acc
