#!/usr/bin/env python3
"""`make bench`'s start-up, throughput, size and memory sections, measured side by side in one run.

The builds compared: python.wasm (pre-initialised, tuned), python-fresh.wasm (the same, initialised
at every start) and, with --stock-wasm, a build without our tuning (cargo's default release profile:
no fat LTO, 16 codegen units, no wasm-opt, no snapshot).

- start-up: `-c pass`, run ROUNDS times round-robin (so every command sees the same machine load),
  median and p10-p90 spread in ms: native python3 (the real binary, not a pyenv shim) with and
  without `-S`; each build under `wasmtime run` precompiled (`wasmtime compile`); python.wasm from
  the .wasm with wasmtime's compiled-module cache, and under `wasipy run` (its own module cache).
- throughput: each program of bench/programs/ timed in-process by harness.py (fastest of 5, start-up
  not counted) under each build (precompiled) and native python3; the ratio build / native per
  program and the geometric mean, per build.
- compile: `compile()` and `ast.parse` of generated modules of 2000/4000/8000 statements
  (bench/compile/scaling.py, in-process, fastest of 3) under python.wasm and native python3: ms,
  the ratio, and the growth per doubling of the source (about 2x when the time is linear).
- sqlite: bench/sqlite/workload.py (in-process, fastest of 3): 100 000 rows inserted in one
  transaction into a database file in a granted directory, an index made, indexed lookups and full
  scans, under python.wasm (precompiled) and native python3: ms and the ratio per phase.
- size: each build raw and gzip -9.
- memory: peak linear memory (wasipy run --json) for `-c pass` and for one workload.

Ratios are python.wasm / native: above 1.0x python.wasm is slower (or bigger).
"""

import argparse
import gzip
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
ROUNDS = 30


def timed(cmd, cwd):
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def builds(args):
    """{label: .wasm path} of the builds compared, the shipped one first."""
    found = {"python.wasm": args.python_wasm}
    if args.fresh_wasm:
        found["python-fresh.wasm"] = args.fresh_wasm
    if args.stock_wasm:
        found["stock build"] = args.stock_wasm
    return found


def precompiled(label, scratch):
    return scratch / (label.replace(" ", "-") + ".cwasm")


def startup(args, scratch):
    commands = {
        "python3 -c pass (native)": [args.python, "-c", "pass"],
        "python3 -S -c pass (native)": [args.python, "-S", "-c", "pass"],
    }
    for label in builds(args):
        commands[f"{label}, wasmtime, precompiled"] = [args.wasmtime, "run", "--allow-precompiled",
                                                       str(precompiled(label, scratch)), "-c", "pass"]
    commands["python.wasm, wasmtime, .wasm + cache"] = [args.wasmtime, "run", "-C", "cache=y", args.python_wasm, "-c", "pass"]
    if args.wasipy:
        commands["python.wasm, wasipy run (cached)"] = [args.wasipy, "run", "-c", "pass"]
    for cmd in commands.values():  # warm: caches filled, files in the page cache
        timed(cmd, scratch)
    samples = {name: [] for name in commands}
    for _ in range(ROUNDS):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd, scratch))
    base = statistics.median(samples["python3 -S -c pass (native)"])
    print(f"start-up (`-c pass`, {ROUNDS} rounds round-robin; median, p10-p90 spread; ratio to python3 -S)")
    for name, values in samples.items():
        values.sort()
        p10, p90 = values[len(values) // 10], values[(len(values) * 9) // 10]
        median = statistics.median(values)
        print(f"  {name:40} {median:7.1f} ms  ({p10:.1f}-{p90:.1f})  {median / base:5.2f}x")


def throughput(args, scratch):
    names = sorted(p.stem for p in PROGRAMS.glob("*.py") if p.stem != "harness")
    labels = [label for label in builds(args) if label != "python-fresh.wasm"]  # same code as python.wasm
    print(f"throughput (in-process, fastest of 5; ms, and the ratio to native: {' | '.join(labels)})")
    ratios = {label: [] for label in labels}
    for name in names:
        native_s = float(subprocess.run([args.python, str(PROGRAMS / "harness.py"), name, "5"],
                                        cwd=scratch, check=True, capture_output=True, text=True).stdout)
        cells = []
        for label in labels:
            wasm_s = float(subprocess.run([args.wasmtime, "run", "--allow-precompiled", "--dir", f"{PROGRAMS}::/bench",
                                           str(precompiled(label, scratch)), "/bench/harness.py", name, "5"],
                                          cwd=scratch, check=True, capture_output=True, text=True).stdout)
            ratios[label].append(wasm_s / native_s)
            cells.append(f"{wasm_s * 1000:8.1f} ms {wasm_s / native_s:5.2f}x")
        print(f"  {name:16} native {native_s * 1000:7.1f} ms | " + " | ".join(cells))
    for label in labels:
        geomean = math.exp(sum(math.log(r) for r in ratios[label]) / len(ratios[label]))
        print(f"  geometric mean, {label:12} {geomean:.2f}x native python3's time")


def native_and_wasm(args, scratch, directory, script):
    """The JSON `script` (in `directory`) prints under native python3 and under python.wasm."""
    native = subprocess.run([args.python, str(directory / script)], cwd=scratch, check=True,
                            capture_output=True, text=True).stdout
    wasm = subprocess.run([args.wasmtime, "run", "--allow-precompiled", "--dir", f"{directory}::/bench",
                           str(precompiled("python.wasm", scratch)), f"/bench/{script}"],
                          cwd=scratch, check=True, capture_output=True, text=True).stdout
    return json.loads(native), json.loads(wasm)


def compile_scaling(args, scratch):
    native, wasm = native_and_wasm(args, scratch, HERE / "compile", "scaling.py")
    print("compile (in-process, fastest of 3; ms per source size, ratio to native, growth per doubling)")
    for row, times in wasm.items():
        sizes = list(times)
        cells = [f"{n}: {times[n] * 1000:7.1f} ms {times[n] / native[row][n]:5.1f}x" for n in sizes]
        growth = (times[sizes[-1]] / times[sizes[0]]) ** (1 / (len(sizes) - 1))
        native_growth = (native[row][sizes[-1]] / native[row][sizes[0]]) ** (1 / (len(sizes) - 1))
        print(f"  {row:24} " + " | ".join(cells) + f" | growth {growth:.1f}x (native {native_growth:.1f}x)")


def cold_imports(args, scratch):
    native, wasm = native_and_wasm(args, scratch, HERE / "imports", "cold.py")
    print("cold imports (stdlib modules the snapshot does not hold, imported again each round; fastest of 5)")
    print(f"  {len(wasm) - 1} modules: native {native['all'] * 1000:6.1f} ms | python.wasm {wasm['all'] * 1000:6.1f} ms "
          f"{wasm['all'] / native['all']:5.2f}x")


def sqlite(args, scratch):
    script = HERE / "sqlite"
    native_dir, wasm_dir = scratch / "sqlite-native", scratch / "sqlite-wasm"
    native_dir.mkdir()
    wasm_dir.mkdir()
    native = json.loads(subprocess.run([args.python, str(script / "workload.py"), str(native_dir)], cwd=scratch,
                                       check=True, capture_output=True, text=True).stdout)
    # Without RUST_BACKTRACE: with it, wasmtime captures a backtrace for every WASI call that fails,
    # and SQLite's check for a hot journal before each read transaction is such a call (a stat of
    # the missing `-journal`): ~100 us more per statement outside a transaction.
    env = {k: v for k, v in os.environ.items() if k not in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE")}
    wasm = json.loads(subprocess.run([args.wasmtime, "run", "--allow-precompiled", "--dir", f"{script}::/bench",
                                      "--dir", f"{wasm_dir}::/db", str(precompiled("python.wasm", scratch)),
                                      "/bench/workload.py", "/db"],
                                     cwd=scratch, env=env, check=True, capture_output=True, text=True).stdout)
    print("sqlite (a database file in a granted directory; in-process, fastest of 3; ms, ratio to native)")
    for phase, seconds in wasm.items():
        print(f"  {phase:38} native {native[phase] * 1000:7.1f} ms | python.wasm {seconds * 1000:7.1f} ms {seconds / native[phase]:5.2f}x")


def size(args):
    print("size")
    for label, path in builds(args).items():
        data = Path(path).read_bytes()
        packed = len(gzip.compress(data, compresslevel=9))
        print(f"  {label:18} {len(data):>10} bytes raw ({len(data) / 1e6:.1f} MB), {packed:>10} bytes gzip -9 ({packed / 1e6:.1f} MB)")


def memory(args, scratch):
    print("memory (peak linear memory, wasipy run --json)")
    if not args.wasipy:
        print("  skipped: no wasipy binary (make wasipy)")
        return
    # SCRIPT is a host path inside a grant for wasipy run.
    workload = [args.wasipy, "run", "--dir", f"{PROGRAMS}::/bench", str(PROGRAMS / "harness.py"), "json_codec", "1"]
    for name, cmd in (("-c pass", [args.wasipy, "run", "--json", "-c", "pass"]),
                      ("json_codec workload", workload[:2] + ["--json"] + workload[2:])):
        report = json.loads(subprocess.run(cmd, cwd=scratch, check=True, capture_output=True, text=True).stdout)
        print(f"  {name:20} {report['peak_memory_bytes'] / 2**20:7.1f} MiB")


SECTIONS = {
    "startup": startup,
    "throughput": throughput,
    "compile": compile_scaling,
    "imports": cold_imports,
    "sqlite": sqlite,
    "size": lambda args, scratch: size(args),
    "memory": memory,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-wasm", required=True)
    parser.add_argument("--wasmtime", default="wasmtime")
    parser.add_argument("--python", default=sys.executable, help="the native python3 binary")
    parser.add_argument("--fresh-wasm", help="python-fresh.wasm, the build without the snapshot")
    parser.add_argument("--stock-wasm", help="a build without our tuning, for the throughput baseline")
    parser.add_argument("--wasipy", help="the wasipy binary, for its start-up and the memory section")
    parser.add_argument("--only", choices=list(SECTIONS), action="append", help="run only this section (repeatable)")
    args = parser.parse_args()
    args.python_wasm = str(Path(args.python_wasm).resolve())
    args.fresh_wasm = args.fresh_wasm and str(Path(args.fresh_wasm).resolve())
    args.stock_wasm = args.stock_wasm and str(Path(args.stock_wasm).resolve())
    args.wasipy = args.wasipy and str(Path(args.wasipy).resolve())
    scratch = Path(tempfile.mkdtemp(prefix="wasipy-bench-"))
    try:
        for label, path in builds(args).items():
            subprocess.run([args.wasmtime, "compile", "-o", str(precompiled(label, scratch)), path], check=True)
        print(f"machine: {os.cpu_count()} cores; native: {args.python}")
        for name, section in SECTIONS.items():
            if not args.only or name in args.only:
                section(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
