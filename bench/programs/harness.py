"""Times one benchmark program in-process: `harness.py NAME [REPEAT]` imports NAME from this
directory, runs its run() REPEAT times (default 3) and prints the fastest in seconds. Start-up and
import are not counted: they have their own section of `make bench`."""

import importlib
import sys
import time


def main():
    name = sys.argv[1]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    program = importlib.import_module(name)
    best = None
    for _ in range(repeat):
        started = time.perf_counter()
        program.run()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    print(f"{best:.6f}")


if __name__ == "__main__":
    main()
