"""Classes and exceptions: instantiation, inheritance and super(), raising and catching."""


class Shape:
    def __init__(self, size):
        self.size = size

    def area(self):
        raise NotImplementedError


class Square(Shape):
    def area(self):
        return self.size * self.size


class Circle(Shape):
    def __init__(self, size):
        super().__init__(size)
        self.kind = "circle"

    def area(self):
        return 3 * self.size * self.size


class Invalid(ValueError):
    pass


def checked(value):
    if value % 7 == 0:
        raise Invalid(value)
    return value


def run():
    acc = 0
    for i in range(80_000):
        shape = Square(i) if i % 2 else Circle(i)
        acc += shape.area()
        try:
            acc += checked(i)
        except Invalid:
            acc -= 1
    return acc
