#!/usr/bin/env python3
"""A/B of python.wasm builds (issue 25's levers): which of two or more builds is faster, and by how
much, measured side by side in one run.

Each build is precompiled once; then, round by round with the builds alternating (ABC, CBA, ...),
each runs pyperformance benchmarks in one guest process (bench/pyperformance_guest.py, as
bench/pyperformance.py runs them) and bench/programs/ programs (harness.py). Per benchmark the
fastest time any round gave each build, and its ratio to the first build's; then the geometric
means. This machine's spread is 5-10% a benchmark from one process to the next: trust the means
over many benchmarks, and more --rounds for a lever of a few percent.

    python3 bench/ab.py --builds before.wasm after.wasm --only nqueens,deltablue --programs calls
"""

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pyperformance import benchmarks_dir, extra_options, guest_results  # noqa: E402

DEFAULT = "nqueens,richards,deltablue,raytrace,fannkuch,float,chaos,go,hexiom,coroutines,unpack_sequence,deepcopy,generators,nbody"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", nargs="+", required=True, help="python.wasm files; the first is the base")
    parser.add_argument("--only", default=DEFAULT, help="pyperformance benchmarks, comma-separated ('' for none)")
    parser.add_argument("--programs", default="calls,classes,floats,integers",
                        help="bench/programs/ programs, comma-separated ('' for none)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per build")
    parser.add_argument("--wasmtime", default="wasmtime")
    parser.add_argument("--python", default=sys.executable, help="python3 for pip (the pyperformance sdist)")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    programs = [p for p in args.programs.split(",") if p]
    root = benchmarks_dir(args.python) if names else None
    options = json.dumps({n: extra_options(root, n) for n in names})
    best = {build: {} for build in args.builds}
    with tempfile.TemporaryDirectory(prefix="wasipy-ab-") as scratch:
        compiled = {}
        for i, build in enumerate(args.builds):
            compiled[build] = str(Path(scratch) / f"{i}.cwasm")
            subprocess.run([args.wasmtime, "compile", "-o", compiled[build], build], check=True)
        run = [args.wasmtime, "run", "--allow-precompiled"]
        for r in range(args.rounds):
            for build in args.builds if r % 2 == 0 else args.builds[::-1]:
                times = {}
                if names:
                    result = guest_results(run + ["--dir", f"{HERE}::/b", "--dir", f"{root}::/bm", compiled[build],
                                                  "/b/pyperformance_guest.py", "/bm", "3", options], build)
                    times = {n: v["seconds"] for n, v in result["benchmarks"].items() if "seconds" in v}
                for program in programs:
                    out = subprocess.run(run + ["--dir", f"{HERE / 'programs'}::/bench", compiled[build],
                                                "/bench/harness.py", program, "3"],
                                         capture_output=True, text=True, check=True).stdout
                    times[f"programs/{program}"] = float(out)
                for key, seconds in times.items():
                    best[build][key] = min(best[build].get(key, math.inf), seconds)
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    report(args.builds, best)


def report(builds, best):
    base = builds[0]
    keys = [k for k in best[base] if all(k in best[b] for b in builds)]
    print(f"{'benchmark':24}" + "".join(f"{Path(b).name:>28}" for b in builds))
    for key in keys:
        print(f"{key:24}" + "".join(f"{best[b][key] * 1000:16.4g} ms ({best[b][key] / best[base][key]:.3f})" for b in builds))
    mean = lambda b: math.exp(sum(math.log(best[b][k] / best[base][k]) for k in keys) / len(keys))
    print(f"{'geometric mean, of the first':24}" + "".join(f"{mean(b):28.3f}" for b in builds))


if __name__ == "__main__":
    main()
