"""Comprehensions and generators: list/dict/set comprehensions, generator pipelines."""


def evens(limit):
    for i in range(limit):
        if i % 2 == 0:
            yield i


def run():
    acc = 0
    for _ in range(20):
        squares = [i * i for i in range(10_000)]
        index = {i: s for i, s in enumerate(squares) if s % 3}
        residues = {s % 97 for s in squares}
        acc += sum(x for x in evens(10_000)) + len(index) + len(residues)
    return acc
