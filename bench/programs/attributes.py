"""Attribute access: instance fields, properties, class attributes, slots."""


class Point:
    scale = 3

    def __init__(self, x, y):
        self.x = x
        self.y = y

    @property
    def norm1(self):
        return abs(self.x) + abs(self.y)


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


def run():
    p = Point(1, 2)
    s = Slotted(3, 4)
    acc = 0
    for i in range(300_000):
        p.x = i
        acc += p.x + p.y + p.scale + p.norm1
        s.a = i
        acc += s.a + s.b
    return acc
