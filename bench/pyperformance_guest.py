"""Runs pyperformance benchmarks in this interpreter, in-process, and prints their times: the guest
side of bench/pyperformance.py (python.wasm, native python3 and the peer all run this file).

    pyperformance_guest.py BENCHMARKS_DIR ROUNDS '{"NAME": [OPTION, ...], ...}'

Each `bm_NAME/run_benchmark.py` runs as `__main__`, its command line the options given (its
pyproject.toml's `extra_opts`), with a stand-in for `pyperf` (which runs
benchmarks in worker processes: WASI has none): `Runner.bench_func`/`bench_time_func`/
`bench_async_func` time the benchmark here, its loop count calibrated so that a round takes about
ROUND_SECONDS, and keep the fastest of ROUNDS rounds, per inner loop. The last line of output is
`PYPERFORMANCE {json}`: for each benchmark `{"seconds": s}` (of its first timed function) or
`{"error": "..."}`.
"""

import argparse
import asyncio
import json
import os
import runpy
import sys
import time
import types

ROUND_SECONDS = 0.1


class _Done(Exception):
    """Stops a benchmark script once its first function has been timed."""


def _stand_in_pyperf(rounds, results, name):
    pyperf = types.ModuleType("pyperf")
    pyperf.perf_counter = time.perf_counter
    pyperf.python_implementation = lambda: sys.implementation.name
    pyperf.python_has_jit = lambda: False

    def best_of(time_loops, inner_loops):
        # One loop first (warm-up, and the estimate), then loops enough for ROUND_SECONDS a round.
        once = max(time_loops(1), 1e-6)
        loops = max(1, int(ROUND_SECONDS / once))
        best = min(time_loops(loops) / loops for _ in range(rounds))
        return best / (inner_loops or 1)

    class Runner:
        def __init__(self, *args, add_cmdline_args=None, **kwargs):
            self.metadata = {}
            self.argparser = argparse.ArgumentParser()
            self.args = None

        def parse_args(self, args=None):
            self.args = self.argparser.parse_args(sys.argv[1:] if args is None else args)
            return self.args

        def _record(self, seconds):
            results[name] = {"seconds": seconds}
            raise _Done

        def bench_time_func(self, bench_name, func, *args, inner_loops=None, **kwargs):
            self._record(best_of(lambda loops: func(loops, *args), inner_loops))

        def bench_func(self, bench_name, func, *args, inner_loops=None, **kwargs):
            def time_loops(loops):
                started = time.perf_counter()
                for _ in range(loops):
                    func(*args)
                return time.perf_counter() - started

            self._record(best_of(time_loops, inner_loops))

        def bench_async_func(self, bench_name, func, *args, inner_loops=None, **kwargs):
            def time_loops(loops):
                async def run():
                    started = time.perf_counter()
                    for _ in range(loops):
                        await func(*args)
                    return time.perf_counter() - started

                return asyncio.run(run())

            self._record(best_of(time_loops, inner_loops))

        def bench_command(self, *args, **kwargs):
            raise RuntimeError("bench_command runs a process: not in-process")

    pyperf.Runner = Runner
    return pyperf


def main():
    root, rounds, options = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    results = {}
    for name, extra in options.items():
        script = os.path.join(root, "bm_" + name, "run_benchmark.py")
        saved_path, saved_modules = list(sys.path), set(sys.modules)
        sys.modules["pyperf"] = _stand_in_pyperf(rounds, results, name)
        sys.argv = [script, *extra]
        sys.path.insert(0, os.path.dirname(script))
        try:
            runpy.run_path(script, run_name="__main__")
            results.setdefault(name, {"error": "timed nothing"})
        except _Done:
            pass
        except BaseException as error:  # a benchmark's failure is a row, not the end of the run
            results[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
        finally:
            sys.path[:] = saved_path
            for module in set(sys.modules) - saved_modules:
                del sys.modules[module]
    sys.stdout.flush()
    print("PYPERFORMANCE " + json.dumps({"implementation": sys.implementation.name,
                                         "version": sys.version.split()[0], "benchmarks": results}))


if __name__ == "__main__":
    main()
