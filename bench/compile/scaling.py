"""Times `compile()` and `ast.parse` of generated modules of N statements, N doubling, in-process:
`scaling.py` prints one JSON object {kind: {N: seconds}}, the fastest of 3. Run by bench/suite.py
under native python3 and python.wasm; time that grows ~2x per doubling is linear in the size."""

import ast
import json
import time

SIZES = (2000, 4000, 8000)
STATEMENTS = {
    "assignments": "x{i} = {i}",
    "calls": "f(a{i}, b=2)  # for each",
    "functions": "def f{i}(a, b=1):\n    return a + b * {i}",
}


def fastest(action, source):
    best = None
    for _ in range(3):
        started = time.perf_counter()
        action(source)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    results = {}
    for kind, statement in STATEMENTS.items():
        for label, action in (("compile", lambda s: compile(s, "m", "exec")), ("ast.parse", ast.parse)):
            results[f"{label} {kind}"] = {
                n: fastest(action, "\n".join(statement.format(i=i) for i in range(n))) for n in SIZES}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
