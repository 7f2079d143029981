#!/usr/bin/env python3
"""`make compat`: CPython 3.11's own test modules under python.wasm, against native CPython.

Each module of MODULES runs as `python -m unittest test.<module>` does (through record_tests.py,
which records every test's outcome) twice: under the `wasmtime` CLI with python.wasm, and under
this machine's native CPython, the reference. The guest sees:

- /lib: a fresh copy of the machine's `test` package (the original is never granted, so nothing
  a test does can change it) and record_tests.py; it is on PYTHONPATH.
- /tmp: an empty directory of its own per module, also the cwd.
- /usr/share/zoneinfo: the host's time-zone database, which the native run reads too.

Every module has a time limit. A module whose interpreter ends in a wasm trap or a Rust panic is a
crash, called out separately from failures; one that runs out of time is a timeout. What ran
before either is still counted (outcomes are written as each test ends).

The score is the share of the tests that pass natively that also pass under python.wasm, leaving
out those that compat/classification.toml calls a 3.11-vs-3.14 difference (the interpreter tracks
3.14; those tests check behaviour 3.14 changed). Every other failure is listed in the results
file with the class that file gives it (ours / vm / wasi), or "unclassified".

Prints the table and writes it, with the failures, to compat/RESULTS.md.
"""

import argparse
import concurrent.futures
import datetime
import fnmatch
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

MODULES = [
    "test_json", "test_heapq", "test_bisect", "test_functools", "test_statistics", "test_datetime",
    "test_shutil", "test_glob", "test_gzip", "test_zipfile", "test_tarfile", "test_os",
    "test_tempfile", "test_pathlib", "test_io", "test_hashlib", "test_uuid", "test_operator",
    "test_typing", "test_decimal", "test_pickle", "test_time", "test_logging", "test_csv",
    "test_re", "test_itertools",
]

MAX_RESUMES = 5

CLASSES = {
    "py314": "3.11-vs-3.14 difference",
    "vm": "rustpython VM",
    "ours": "ours",
    "wasi": "impossible on WASI",
}


def native_test_package(native):
    out = subprocess.run([native, "-c", "import os, test; print(os.path.dirname(test.__file__))"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def zoneinfo_grant():
    """The host's time-zone database, where zoneinfo looks for it (the native run reads it too)."""
    zoneinfo = Path("/usr/share/zoneinfo")
    return ["--dir", f"{zoneinfo}::{zoneinfo}"] if zoneinfo.is_dir() else []


def read_outcomes(path):
    """{test id: (outcome, detail)}, and the test that started last without an outcome (or None)."""
    outcomes = {}
    unfinished = None
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # the last line of a crashed run may be cut short
            if record["outcome"] == "started":
                unfinished = record["test"]
                continue
            outcomes[record["test"]] = (record["outcome"], record["detail"])
            if record["test"] == unfinished:
                unfinished = None
    return outcomes, unfinished


def ended_how(status, stderr, timed_out):
    """'ok', 'timeout', or 'crash: <why>' (a trap or a panic)."""
    if timed_out:
        return "timeout"
    if status == 0:
        return "ok"
    # Where the panic happened, without this machine's cargo registry path.
    stderr = re.sub(r"/\S*/registry/src/[^/]+/", "", stderr)
    for marker in ("panicked at", "wasm trap", "wasm `unreachable`", "call stack exhausted",
                   "out of bounds memory access", "memory allocation of"):
        for line in stderr.splitlines():
            if marker in line:
                return f"crash: {line.strip()[:200]}"
    tail = stderr.strip().splitlines()[-1:] or ["(no output)"]
    return f"exit {status}: {tail[0][:200]}"


def run_one(kind, module, args, scratch):
    """Runs `module` under `kind` ("wasm" or "native"); returns (outcomes, ended, seconds).

    After a crash the module runs again without the tests already recorded and the one that
    crashed (recorded as "crashed"), up to MAX_RESUMES times, within the same time limit."""
    work = scratch / kind / module
    shutil.rmtree(work, ignore_errors=True)
    (work / "tmp").mkdir(parents=True)
    outcomes_file = work / "outcomes.jsonl"
    skip_file = work / "skip"
    skip_file.write_text("")
    if kind == "wasm":
        cmd = [args.wasmtime, "run", "--allow-precompiled",
               "--dir", f"{scratch / 'lib'}::/lib", "--dir", f"{work}::/out", "--dir", f"{work / 'tmp'}::/tmp",
               *zoneinfo_grant(),
               "--env", "PWD=/tmp", "--env", "PYTHONPATH=/lib", "--env", "TMPDIR=/tmp",
               str(scratch / "python.cwasm"), "/lib/record_tests.py", f"test.{module}", "/out/outcomes.jsonl",
               "/out/skip"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    else:
        cmd = [args.native, str(HERE / "record_tests.py"), f"test.{module}", str(outcomes_file), str(skip_file)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TMPDIR": str(work / "tmp"),
               "HOME": str(work / "tmp")}
    started = time.monotonic()
    crashes = []
    for attempt in range(MAX_RESUMES + 1):
        remaining = args.timeout - (time.monotonic() - started)
        stderr_offset = (work / "stderr").stat().st_size if (work / "stderr").exists() else 0
        with open(work / "stderr", "ab") as stderr_file:
            proc = subprocess.Popen(cmd, cwd=work / "tmp", env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=stderr_file, start_new_session=True)
            try:
                status = proc.wait(timeout=max(remaining, 1))
                timed_out = False
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                status = proc.wait()
                timed_out = True
        with open(work / "stderr", "rb") as stderr_file:
            stderr_file.seek(stderr_offset)
            stderr = stderr_file.read()[-20000:].decode("utf-8", errors="replace")
        ended = ended_how(status, stderr, timed_out)
        outcomes, unfinished = read_outcomes(outcomes_file)
        if not ended.startswith("crash") or unfinished is None or attempt == MAX_RESUMES:
            break
        crashes.append(f"{ended} (in {unfinished})")
        with open(outcomes_file, "a", encoding="utf-8") as out:
            out.write(json.dumps({"test": unfinished, "outcome": "crashed", "detail": ended}) + "\n")
        outcomes[unfinished] = ("crashed", ended)
        skip_file.write_text("".join(f"{test}\n" for test in outcomes))
    if crashes and ended == "ok":
        ended = crashes[0]  # the module finished only because the runner resumed it
    seconds = time.monotonic() - started
    return outcomes, ended, seconds


def load_classification(path):
    """[(glob, class, reason)] from classification.toml, first match wins."""
    if not path.exists():
        return []
    rules = []
    for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("failure", []):
        if entry["class"] not in CLASSES:
            raise SystemExit(f"compat: unknown class {entry['class']!r} in {path}")
        for pattern in entry["tests"]:
            rules.append((pattern, entry["class"], entry["why"]))
    return rules


def classify(test_id, detail, rules):
    for pattern, klass, why in rules:
        if fnmatch.fnmatchcase(test_id, pattern) or (pattern.startswith("detail:")
                                                     and pattern[7:] in detail):
            return klass, why
    return "unclassified", ""


def count(outcomes):
    counts = {"run": 0, "passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for outcome, _ in outcomes.values():
        counts["error" if outcome == "crashed" else outcome] += 1
        if outcome != "skipped":
            counts["run"] += 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-wasm", default=str(ROOT / "python.wasm"))
    parser.add_argument("--wasmtime", default=os.environ.get("WASMTIME", "wasmtime"))
    parser.add_argument("--native", default=sys.executable, help="the reference CPython")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per module and interpreter")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--scratch", default=str(ROOT / "target" / "compat"))
    parser.add_argument("--results", default=str(HERE / "RESULTS.md"))
    parser.add_argument("modules", nargs="*", help="a subset of the module list")
    args = parser.parse_args()
    modules = args.modules or MODULES

    scratch = Path(args.scratch).resolve()
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "lib").mkdir(parents=True)
    shutil.copytree(native_test_package(args.native), scratch / "lib" / "test",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(HERE / "record_tests.py", scratch / "lib")
    # Compiled once: every module's run then starts in milliseconds, not seconds.
    subprocess.run([args.wasmtime, "compile", "-o", str(scratch / "python.cwasm"), args.python_wasm], check=True)

    results = {}
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        # The longest first, so the last to finish is a short one.
        jobs = {pool.submit(run_one, kind, module, args, scratch): (kind, module)
                for module in modules for kind in ("wasm", "native")}
        for job in concurrent.futures.as_completed(jobs):
            kind, module = jobs[job]
            results[kind, module] = job.result()
            outcomes, ended, seconds = results[kind, module]
            print(f"  {kind:6} {module:16} {len(outcomes):5} tests  {seconds:6.1f}s  {ended}", flush=True)
    elapsed = time.monotonic() - started

    rules = load_classification(HERE / "classification.toml")
    report = render(modules, results, rules, args, elapsed)
    Path(args.results).write_text(report, encoding="utf-8")
    print(report.split("\n## Failures")[0])
    print(f"written to {os.path.relpath(args.results)}")


def render(modules, results, rules, args, elapsed):
    rows = []
    failures = []
    crashes = []
    totals = {"native_pass": 0, "both_pass": 0, "excluded": 0}
    table_totals = {key: 0 for key in ("run", "passed", "failed", "error", "skipped")}
    native_totals = dict(table_totals)
    for module in modules:
        wasm, wasm_ended, wasm_seconds = results["wasm", module]
        native, native_ended, _ = results["native", module]
        w, n = count(wasm), count(native)
        for key in table_totals:
            table_totals[key] += w[key]
            native_totals[key] += n[key]
        native_pass = {t for t, (o, _) in native.items() if o == "passed"}
        excluded = both = 0
        for test_id in sorted(native_pass):
            outcome, detail = wasm.get(test_id, ("not run", ""))
            if outcome == "passed":
                both += 1
                continue
            klass, why = classify(test_id, detail, rules)
            if klass == "py314":
                excluded += 1
            failures.append((module, test_id, outcome, detail, klass, why))
        counted = len(native_pass) - excluded
        totals["native_pass"] += counted
        totals["both_pass"] += both
        totals["excluded"] += excluded
        share = f"{100 * both / counted:.1f}%" if counted else "-"
        if wasm_ended != "ok":
            crashes.append((module, wasm_ended))
        rows.append(f"| {module} | {w['run']} | {w['passed']} | {w['failed']} | {w['error']} | {w['skipped']} "
                    f"| {n['run']} / {n['passed']} | {both} / {counted} | {share} | {wasm_seconds:.0f}s "
                    f"| {wasm_ended if wasm_ended == 'ok' else '**' + wasm_ended.split(':')[0] + '**'} |")
    score = 100 * totals["both_pass"] / totals["native_pass"] if totals["native_pass"] else 0.0
    t, nt = table_totals, native_totals
    rows.append(f"| **total** | {t['run']} | {t['passed']} | {t['failed']} | {t['error']} | {t['skipped']} "
                f"| {nt['run']} / {nt['passed']} | {totals['both_pass']} / {totals['native_pass']} "
                f"| **{score:.1f}%** | {elapsed:.0f}s wall | {len(crashes)} not ok |")
    native_version = subprocess.run([args.native, "-c", "import sys; print(sys.version.split()[0])"],
                                    capture_output=True, text=True).stdout.strip()
    by_class = {}
    for failure in failures:
        by_class[failure[4]] = by_class.get(failure[4], 0) + 1
    lines = [
        "# Compatibility: CPython 3.11's test modules under python.wasm",
        "",
        f"Measured {datetime.date.today().isoformat()} by `make compat` (compat/run.py) on {platform.machine()}, "
        f"{os.cpu_count()} cores: python.wasm under `{args.wasmtime} run` (precompiled), against native "
        f"CPython {native_version} running the same modules through the same recorder "
        f"(compat/record_tests.py, `python -m unittest test.<module>` with regrtest's default resources: none). "
        f"Time limit {args.timeout:.0f}s per module.",
        "",
        "Columns: run / passed / failed / errors / skipped under python.wasm; run / passed natively; "
        "the tests that pass natively and also under python.wasm, out of those that pass natively "
        "(less the 3.11-vs-3.14 differences), and that share; the module's time under python.wasm; "
        "how its interpreter ended (a crash is a trap or a panic).",
        "",
        "| module | run | passed | failed | errors | skipped | native run / passed | pass both / native | share | time | ended |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"**Score: {score:.1f}%** of the {totals['native_pass']} tests that pass under native CPython also pass "
        f"under python.wasm ({totals['excluded']} more are 3.11-vs-3.14 differences, not counted).",
        "",
        "Failures by class: " + ", ".join(f"{CLASSES.get(k, k)} {v}" for k, v in sorted(by_class.items())) + ".",
        "",
        "## Crashes and timeouts",
        "",
    ]
    for module, ended in crashes:
        crashed = [(t, d) for t, (o, d) in results["wasm", module][0].items() if o == "crashed"]
        lines.append(f"- {module}: {ended}")
        for test_id, detail in crashed:
            klass, why = classify(test_id, detail, rules)
            lines.append(f"  - `{test_id}` crashed — *{CLASSES.get(klass, klass)}*" + (f": {why}" if why else ""))
    if not crashes:
        lines.append("None: every module's interpreter ended normally.")
    lines += ["", "## Failures", "",
              "Tests that pass natively but not under python.wasm, with the class compat/classification.toml gives "
              "them and why.", ""]
    for module, test_id, outcome, detail, klass, why in failures:
        detail = detail.splitlines()[0] if detail else ""
        lines.append(f"- `{test_id}` {outcome}: {detail[:160]} — *{CLASSES.get(klass, klass)}*"
                     + (f": {why}" if why else ""))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
