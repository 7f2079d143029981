"""Float arithmetic: a numeric integration and a small n-body-style update loop."""

import math


def run():
    total = 0.0
    steps = 200_000
    width = 1.0 / steps
    for i in range(steps):
        x = (i + 0.5) * width
        total += 4.0 / (1.0 + x * x)
    pos = [0.0, 1.0, 2.0]
    vel = [0.5, -0.25, 0.125]
    for _ in range(50_000):
        for k in range(3):
            vel[k] -= 0.01 * math.sin(pos[k])
            pos[k] += 0.01 * vel[k]
    return total * width + sum(pos)
