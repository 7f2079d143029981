#!/usr/bin/env python3
"""`make compat`: CPython 3.11's own test suite under python.wasm, against native CPython.

The modules are the suite's own list, as regrtest finds it in this machine's `test` package
(every `test_*` module and package; the packages regrtest splits, like test_asyncio, by their
modules), or a subset: module names, or `core`, the 26 modules measured before the whole suite.

Each module runs as `python -m unittest test.<module>` does (through record_tests.py, which
records every test's outcome) twice: under the `wasmtime` CLI with python.wasm, and under this
machine's native CPython, the reference. The reference does not change between runs, so it is
kept in ~/.cache/wasipy/compat-native/, by CPython version and module (--refresh-native runs it
again). The guest sees:

- /lib: a fresh copy of the machine's `test` package (the original is never granted, so nothing
  a test does can change it) and record_tests.py; it is on PYTHONPATH.
- /tmp: an empty directory of its own per module, also the cwd.
- /usr/share/zoneinfo: the host's time-zone database, which the native run reads too.

Every module has a time limit, and every test one of its own (no test started or ended for that
long). When the interpreter ends inside a test, by a wasm trap or Rust panic (a crash), an exit,
or because that test ran out of time (a hang), the test is recorded as lost and the module runs
again without the tests already done: one crash costs one test, not the module. What ran before is
always counted (outcomes are written as each test ends). The modules run longest first (by the
last run's times, kept beside the reference), as many at a time as there are cores.

The score is the share of the tests that pass natively that also pass under python.wasm, leaving
out those that compat/classification.toml calls a 3.11-vs-3.14 difference (the interpreter tracks
3.14; those tests check behaviour 3.14 changed). Every other failure is listed in the results
file with the class that file gives it (ours / vm / wasi), or "unclassified".

Prints the table and writes it, with the failures, to compat/RESULTS.md (--render-only writes it
again from the last run, after a change to the classification).
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
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# The 26 modules `make compat` measured before it ran the whole suite (`make compat MODULES=core`).
CORE = [
    "test_json", "test_heapq", "test_bisect", "test_functools", "test_statistics", "test_datetime",
    "test_shutil", "test_glob", "test_gzip", "test_zipfile", "test_tarfile", "test_os",
    "test_tempfile", "test_pathlib", "test_io", "test_hashlib", "test_uuid", "test_operator",
    "test_typing", "test_decimal", "test_pickle", "test_time", "test_logging", "test_csv",
    "test_re", "test_itertools",
]
SETS = {"core": CORE}

# Seconds per module under python.wasm: the whole suite must fit in an hour on 2 cores.
SUITE_TIMEOUT = 120
SUBSET_TIMEOUT = 300
# Seconds one test may run (no test started or ended) before it counts as hung.
TEST_TIMEOUT = 60
# The reference runs once per CPython version: its limits are generous (regrtest's own are 20 min).
NATIVE_TIMEOUT = 900
NATIVE_TEST_TIMEOUT = 300
# Restarts after a lost test, within the module's time limit.
MAX_RESUMES = 25

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wasipy"
# Bump when record_tests.py changes what a native run records: the cached reference is then stale.
NATIVE_FORMAT = 2

CLASSES = {
    "py314": "3.11-vs-3.14 difference",
    "vm": "rustpython VM",
    "ours": "ours",
    "wasi": "impossible on WASI",
}

# How a run of one module ended, by the first word of its `ended`: what the results call it.
LOST_AS = {"crash": "crashed", "hang": "timeout", "exit": "exited"}


def native_info(native):
    """(version, test package directory, the suite's modules as regrtest finds them)."""
    script = ("import os, sys, test\n"
              "from test.libregrtest.findtests import findtests\n"
              "print(sys.version.split()[0]); print(os.path.dirname(test.__file__))\n"
              "print(' '.join(findtests()))\n")
    out = subprocess.run([native, "-c", script], capture_output=True, text=True, check=True).stdout.split("\n")
    return out[0], Path(out[1]), [name.removeprefix("test.") for name in out[2].split()]


def select(names, suite):
    """The modules named (a set name expands to its modules), or the whole suite."""
    if not names or names == ["all"]:
        return suite
    chosen = []
    for name in names:
        for module in SETS.get(name, [name]):
            if module not in chosen:
                chosen.append(module)
    return chosen


def zoneinfo_grant():
    """The host's time-zone database, where zoneinfo looks for it (the native run reads it too)."""
    zoneinfo = Path("/usr/share/zoneinfo")
    return ["--dir", f"{zoneinfo}::{zoneinfo}"] if zoneinfo.is_dir() else []


def read_outcomes(path):
    """{test id: [outcome, detail, seconds]}, and the test that started last without an outcome."""
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
            outcomes[record["test"]] = [record["outcome"], record["detail"], record.get("seconds")]
            if record["test"] == unfinished:
                unfinished = None
    return outcomes, unfinished


def ended_how(status, stderr, stopped):
    """'ok', 'timeout' (the module's limit), 'hang' (one test's limit), 'crash: <why>' (a trap or
    a panic) or 'exit <status>: <last line of stderr>'."""
    if stopped:
        return stopped
    if status == 0:
        return "ok"
    # Where the panic happened, without this machine's cargo registry path.
    stderr = re.sub(r"/\S*/registry/src/[^/]+/", "", stderr)
    lines = stderr.splitlines()
    for marker in ("panicked at", "memory allocation of", "wasm trap", "wasm `unreachable`",
                   "call stack exhausted", "out of bounds memory access"):
        for number, line in enumerate(lines):
            if marker in line:
                # A panic's message is on the line after its place.
                message = f"{line.strip()} {lines[number + 1].strip()}" if line.endswith(":") and \
                    number + 1 < len(lines) else line.strip()
                return f"crash: {message[:300]}"
    tail = stderr.strip().splitlines()[-1:] or ["(no output)"]
    return f"exit {status}: {tail[0][:200]}"


def supervise(proc, outcomes_file, deadline, test_limit):
    """Waits for `proc` to end; stops it at the module's deadline ('timeout') or when no test has
    started or ended for `test_limit` seconds ('hang'). Returns (why it was stopped or None,
    seconds since the last test started or ended)."""
    last_size, last_change = -1, time.monotonic()
    while True:
        try:
            proc.wait(timeout=0.5)
            return None, time.monotonic() - last_change
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        size = outcomes_file.stat().st_size if outcomes_file.exists() else 0
        if size != last_size:
            last_size, last_change = size, now
        stopped = "timeout" if now >= deadline else "hang" if now - last_change >= test_limit else None
        if stopped:
            os.killpg(proc.pid, 9)
            proc.wait()
            return stopped, now - last_change


def command(kind, module, args, scratch, work):
    """The command line and environment that run `module` under `kind`."""
    if kind == "wasm":
        cmd = [args.wasmtime, "run", "--allow-precompiled",
               "--dir", f"{scratch / 'lib'}::/lib", "--dir", f"{work}::/out", "--dir", f"{work / 'tmp'}::/tmp",
               *zoneinfo_grant(),
               "--env", "PWD=/tmp", "--env", "PYTHONPATH=/lib", "--env", "TMPDIR=/tmp",
               str(scratch / "python.cwasm"), "/lib/record_tests.py", f"test.{module}", "/out/outcomes.jsonl",
               "/out/skip"]
        return cmd, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    cmd = [args.native, str(HERE / "record_tests.py"), f"test.{module}", str(work / "outcomes.jsonl"),
           str(work / "skip")]
    return cmd, {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TMPDIR": str(work / "tmp"),
                 "HOME": str(work / "tmp")}


def run_one(kind, module, args, scratch):
    """Runs `module` under `kind` ("wasm" or "native"); returns {outcomes, ended, incidents, seconds}.

    `ended` is how the last run of the module ended; `incidents` lists each test lost to a crash,
    an exit or a hang (after which the module ran again without it) and a module timeout."""
    work = scratch / kind / module
    shutil.rmtree(work, ignore_errors=True)
    (work / "tmp").mkdir(parents=True)
    outcomes_file = work / "outcomes.jsonl"
    (work / "skip").write_text("")
    cmd, env = command(kind, module, args, scratch, work)
    limit, test_limit = ((args.timeout, args.test_timeout) if kind == "wasm"
                         else (NATIVE_TIMEOUT, NATIVE_TEST_TIMEOUT))
    started = time.monotonic()
    incidents = []
    for attempt in range(MAX_RESUMES + 1):
        stderr_offset = (work / "stderr").stat().st_size if (work / "stderr").exists() else 0
        with open(work / "stderr", "ab") as stderr_file:
            proc = subprocess.Popen(cmd, cwd=work / "tmp", env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=stderr_file, start_new_session=True)
            stopped, quiet = supervise(proc, outcomes_file, started + limit, test_limit)
        with open(work / "stderr", "rb") as stderr_file:
            stderr_file.seek(stderr_offset)
            stderr = stderr_file.read()[-20000:].decode("utf-8", errors="replace")
        ended = ended_how(proc.returncode, stderr, stopped)
        outcomes, unfinished = read_outcomes(outcomes_file)
        if ended == "timeout":
            where = f"in {unfinished}, running for {quiet:.0f}s" if unfinished else \
                f"no test running for {quiet:.0f}s (import, setUpClass or tearDown)"
            incidents.append({"test": unfinished, "ended": f"timeout: the module's {limit:.0f}s ran out ({where})"})
            break
        if ended == "ok" or unfinished is None:
            if ended != "ok":
                incidents.append({"test": None, "ended": ended})
            break
        if ended == "hang":
            ended = f"hang: no result after {quiet:.0f}s"
        # The interpreter ended inside a test: that test is lost, the others run again.
        incidents.append({"test": unfinished, "ended": ended})
        with open(outcomes_file, "a", encoding="utf-8") as out:
            out.write(json.dumps({"test": unfinished, "outcome": LOST_AS[ended.split()[0].rstrip(":")],
                                  "detail": ended}) + "\n")
        outcomes[unfinished] = [LOST_AS[ended.split()[0].rstrip(":")], ended, None]
        (work / "skip").write_text("".join(f"{test}\n" for test in outcomes))
        if attempt == MAX_RESUMES or time.monotonic() - started >= limit - 1:
            incidents.append({"test": None, "ended": f"stopped: not resumed after {attempt + 1} lost tests"})
            break
    return {"outcomes": outcomes, "ended": ended, "incidents": incidents, "seconds": time.monotonic() - started}


def load_json(path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def estimate(kind, module, times, test_dir):
    """Seconds the module is expected to take: the last run's, else a guess from its source size."""
    if module in times.get(kind, {}):
        return times[kind][module]
    path = test_dir / module.replace(".", "/")
    files = path.rglob("*.py") if path.is_dir() else [path.with_suffix(".py")]
    size = sum(f.stat().st_size for f in files if f.exists())
    return size / (5000 if kind == "wasm" else 50000)


def run_all(modules, args, scratch, version, test_dir):
    """Every module under python.wasm, and natively where the cache has no reference: {(kind, module): result}."""
    native_cache = CACHE / "compat-native" / f"{version}-{NATIVE_FORMAT}"
    native_cache.mkdir(parents=True, exist_ok=True)
    times_file = CACHE / "compat-times.json"
    times = load_json(times_file, {})
    results = {}
    jobs = [] if args.native_only else [("wasm", module) for module in modules]
    for module in modules:
        cached = None if args.refresh_native else load_json(native_cache / f"{module}.json", None)
        if cached is None:
            jobs.append(("native", module))
        else:
            results["native", module] = cached
    # The longest first, so the last to finish is a short one.
    jobs.sort(key=lambda job: -estimate(*job, times, test_dir))
    native_jobs = sum(kind == "native" for kind, _ in jobs)
    print(f"compat: {len(modules)} modules; {native_jobs} native references to run, "
          f"{len(modules) - native_jobs} cached in {native_cache}", flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_one, kind, module, args, scratch): (kind, module) for kind, module in jobs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            kind, module = futures[future]
            result = results[kind, module] = future.result()
            if kind == "native":
                (native_cache / f"{module}.json").write_text(json.dumps(result), encoding="utf-8")
            times.setdefault(kind, {})[module] = round(result["seconds"], 1)
            lost = "; ".join(i["ended"][:100] + (f" (in {i['test']})" if i["test"] else "")
                             for i in result["incidents"])
            print(f"  [{done}/{len(jobs)}] {kind:6} {module:40} {len(result['outcomes']):5} tests "
                  f"{result['seconds']:6.1f}s  {lost or result['ended']}", flush=True)
    times_file.write_text(json.dumps(times, indent=0, sort_keys=True), encoding="utf-8")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-wasm", default=str(ROOT / "python.wasm"))
    parser.add_argument("--wasmtime", default=os.environ.get("WASMTIME", "wasmtime"))
    parser.add_argument("--native", default=sys.executable, help="the reference CPython")
    parser.add_argument("--timeout", type=float,
                        help=f"seconds per module under python.wasm ({SUITE_TIMEOUT} for the whole suite, "
                             f"else {SUBSET_TIMEOUT})")
    parser.add_argument("--test-timeout", type=float, default=TEST_TIMEOUT,
                        help="seconds one test may run under python.wasm before it counts as hung")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--refresh-native", action="store_true",
                        help="run the native reference again instead of reading it from the cache")
    parser.add_argument("--native-only", action="store_true",
                        help="only fill the cache of native references (no python.wasm needed)")
    parser.add_argument("--render-only", action="store_true",
                        help="write the results file again from the last run's outcomes")
    parser.add_argument("--scratch", default=str(ROOT / "target" / "compat"))
    parser.add_argument("--results", default=str(HERE / "RESULTS.md"))
    parser.add_argument("modules", nargs="*", help="modules or sets to run (core: the 26 of before); all by default")
    args = parser.parse_args()
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # Started in the background by a shell: the modules' interpreters would inherit SIGINT
        # ignored, and the tests of KeyboardInterrupt would hang natively.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    version, test_dir, suite = native_info(args.native)
    modules = select(args.modules, suite)
    if args.timeout is None:
        args.timeout = SUITE_TIMEOUT if len(modules) > len(CORE) else SUBSET_TIMEOUT
    scratch = Path(args.scratch).resolve()
    saved = scratch / "results.json"

    if args.render_only:
        run = load_json(saved, None)
        if run is None:
            raise SystemExit(f"compat: no results to render in {saved}: run compat/run.py first")
    elif args.native_only:
        run_all(modules, args, scratch / "native-only", version, test_dir)
        return
    else:
        shutil.rmtree(scratch, ignore_errors=True)
        (scratch / "lib").mkdir(parents=True)
        shutil.copytree(test_dir, scratch / "lib" / "test", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(HERE / "record_tests.py", scratch / "lib")
        # Compiled once: every module's run then starts in milliseconds, not seconds.
        subprocess.run([args.wasmtime, "compile", "-o", str(scratch / "python.cwasm"), args.python_wasm], check=True)
        started = time.monotonic()
        results = run_all(modules, args, scratch, version, test_dir)
        run = {"modules": modules, "version": version, "timeout": args.timeout, "test_timeout": args.test_timeout,
               "wasmtime": args.wasmtime, "elapsed": time.monotonic() - started,
               "results": {f"{kind} {module}": result for (kind, module), result in results.items()}}
        saved.write_text(json.dumps(run), encoding="utf-8")

    rules = load_classification(HERE / "classification.toml")
    report = render(run, rules)
    Path(args.results).write_text(report, encoding="utf-8")
    print(report.split("\n## Modules")[0])
    print(f"written to {os.path.relpath(args.results)}")


# --- the results file -------------------------------------------------------------------------------

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
    for outcome, *_ in outcomes.values():
        counts[outcome if outcome in counts else "error"] += 1
        if outcome != "skipped":
            counts["run"] += 1
    return counts


def why_not_run(module, test_id, outcomes, result):
    """Why a test that ran natively has no outcome under python.wasm: its module or class failed
    to load or set up, was skipped whole, or the module's run was cut short."""
    klass = test_id.rsplit(".", 1)[0]
    for other, (outcome, detail, _) in outcomes.items():
        for marker in ("unittest.loader._FailedTest.", "unittest.loader.ModuleSkipped."):
            scope = other.removeprefix(marker)  # the module run (all its tests), or a module of a package
            if other.startswith(marker) and (scope == f"test.{module}" or test_id.startswith(scope + ".")):
                return f"{'module skipped' if outcome == 'skipped' else 'module failed to load'}: {detail}"
        if other.endswith((f"({klass})", f"({klass.rsplit('.', 1)[0]})")) and outcome != "passed":
            return f"{other.split()[0]} {'skipped' if outcome == 'skipped' else 'failed'}: {detail}"
    for incident in result["incidents"]:
        if not incident["ended"].startswith(("crash", "hang", "exit")) or incident["test"] is None:
            return f"the module's run was cut short: {incident['ended']}"
    return "no such test under python.wasm (the module defines it only where CPython's features are)"


def cause(module, outcome, detail):
    """What a lost test is grouped under in the biggest losses: its exception line with numbers and
    addresses left out; an assertion failure, by its module (their messages are each test's own)."""
    line = (detail.splitlines() or [""])[0]
    if outcome == "failed" and (line.startswith("AssertionError") or not line):
        return f"assertion failures in {module}"
    line = re.sub(r"0x[0-9a-f]+", "0x…", line)
    line = re.sub(r"(?<![\w.])\d+(?![\w.])", "N", line)
    return f"{'not run' if outcome == 'not run' else outcome}: {line[:140]}"


def compare(run, rules):
    """Per module: the counts, the natively passing tests (counted, and left out as py314), those
    that pass under python.wasm too, and every failure, classified."""
    modules = {}
    for module in run["modules"]:
        wasm, native = run["results"][f"wasm {module}"], run["results"][f"native {module}"]
        native_pass = sorted(t for t, (o, *_) in native["outcomes"].items() if o == "passed")
        failures, both, excluded = [], 0, 0
        for test_id in native_pass:
            outcome, detail, _ = wasm["outcomes"].get(test_id, ("not run", "", None))
            if outcome == "passed":
                both += 1
                continue
            if outcome == "not run":
                detail = why_not_run(module, test_id, wasm["outcomes"], wasm)
            klass, why = classify(test_id, detail, rules)
            excluded += klass == "py314"
            failures.append({"test": test_id, "outcome": outcome, "detail": detail, "class": klass, "why": why})
        modules[module] = {"wasm": count(wasm["outcomes"]), "native": count(native["outcomes"]),
                           "counted": len(native_pass) - excluded, "both": both, "excluded": excluded,
                           "failures": failures, "seconds": wasm["seconds"], "incidents": wasm["incidents"],
                           "native_incidents": native["incidents"], "native_seconds": native["seconds"]}
    return modules


def total(compared, names):
    keys = ("run", "passed", "failed", "error", "skipped")
    sums = {"wasm": dict.fromkeys(keys, 0), "native": dict.fromkeys(keys, 0), "counted": 0, "both": 0, "excluded": 0}
    for name in names:
        for kind in ("wasm", "native"):
            for key in keys:
                sums[kind][key] += compared[name][kind][key]
        for key in ("counted", "both", "excluded"):
            sums[key] += compared[name][key]
    sums["score"] = 100 * sums["both"] / sums["counted"] if sums["counted"] else 0.0
    return sums


def ended_cell(row):
    if not row["incidents"]:
        return "ok"
    kinds = sorted({i["ended"].split(":")[0].split()[0] for i in row["incidents"]})
    return "**" + ", ".join(kinds) + "**"


def table_row(name, row):
    w, n = row["wasm"], row["native"]
    share = f"{100 * row['both'] / row['counted']:.1f}%" if row["counted"] else "-"
    return (f"| {name} | {w['run']} | {w['passed']} | {w['failed']} | {w['error']} | {w['skipped']} "
            f"| {n['run']} / {n['passed']} | {row['both']} / {row['counted']} | {share} | {row['seconds']:.0f}s "
            f"| {ended_cell(row)} |")


def render(run, rules):
    compared = compare(run, rules)
    modules = run["modules"]
    core = [m for m in modules if m in CORE]
    whole, core_total = total(compared, modules), total(compared, core)
    failures = [(m, f) for m in modules for f in compared[m]["failures"]]
    by_class = {}
    for _, failure in failures:
        by_class[failure["class"]] = by_class.get(failure["class"], 0) + 1
    lines = [
        "# Compatibility: CPython 3.11's test suite under python.wasm",
        "",
        f"Measured {datetime.date.today().isoformat()} by `make compat` (compat/run.py) on {platform.machine()}, "
        f"{os.cpu_count()} cores: python.wasm under `{run['wasmtime']} run` (precompiled), against native "
        f"CPython {run['version']} running the same modules through the same recorder "
        f"(compat/record_tests.py, `python -m unittest test.<module>` with regrtest's default resources: none). "
        f"{len(modules)} modules, regrtest's list of this machine's test package"
        f"{'' if len(modules) > len(CORE) else ' (a subset)'}. "
        f"Time limit {run['timeout']:.0f}s per module and {run['test_timeout']:.0f}s per test under python.wasm; "
        f"{run['elapsed'] / 60:.0f} minutes wall.",
        "",
        f"**Score: {whole['score']:.1f}%** of the {whole['counted']} tests that pass under native CPython also pass "
        f"under python.wasm ({whole['excluded']} more are 3.11-vs-3.14 differences, not counted).",
        "",
        f"Leaving out as well the {by_class.get('wasi', 0)} that are impossible on WASI: "
        f"{100 * whole['both'] / max(whole['counted'] - by_class.get('wasi', 0), 1):.1f}%.",
        "",
        f"**The core {len(core)} modules** (`make compat MODULES=core`"
        f"{'' if len(core) == len(CORE) else f'; {len(core)} of its {len(CORE)} in this run'}): **{core_total['score']:.1f}%** "
        f"({core_total['both']} of {core_total['counted']}).",
        "",
        "Failures by class: " + ", ".join(f"{CLASSES.get(k, k)} {v}" for k, v in sorted(by_class.items())) + ".",
        "",
    ]
    lines += render_losses(failures)
    lines += render_incidents(run, compared, modules)
    lines += [
        "## Modules",
        "",
        "Columns: run / passed / failed / errors / skipped under python.wasm; run / passed natively; "
        "the tests that pass natively and also under python.wasm, out of those that pass natively "
        "(less the 3.11-vs-3.14 differences), and that share; the module's time under python.wasm; "
        "how its interpreter ended (crash: a trap or a panic; hang: one test ran out of time; "
        "timeout: the module did; exit: the interpreter exited inside a test). Core modules in bold.",
        "",
        "| module | run | passed | failed | errors | skipped | native run / passed | pass both / native | share | time | ended |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(table_row(f"**{m}**" if m in CORE else m, compared[m]) for m in modules),
        table_row("**core**", {**core_total, "seconds": sum(compared[m]["seconds"] for m in core),
                              "incidents": [i for m in core for i in compared[m]["incidents"]]}),
        table_row("**total**", {**whole, "seconds": run["elapsed"],
                               "incidents": [i for m in modules for i in compared[m]["incidents"]]}),
        "",
    ]
    lines += render_failures(failures)
    return "\n".join(lines) + "\n"


def render_losses(failures, shown=30):
    groups = {}
    for module, failure in failures:
        if failure["class"] == "py314":
            continue
        key = cause(module.split(".")[0], failure["outcome"], failure["detail"])
        group = groups.setdefault(key, {"tests": 0, "modules": set(), "classes": {}})
        group["tests"] += 1
        group["modules"].add(module)
        group["classes"][failure["class"]] = group["classes"].get(failure["class"], 0) + 1
    ranked = sorted(groups.items(), key=lambda item: (-item[1]["tests"], item[0]))
    lines = ["## Losses by cause", "",
             f"The natively passing tests lost under python.wasm (3.11-vs-3.14 differences aside), grouped by "
             f"their exception line (numbers and addresses left out; assertion failures by module), the "
             f"{shown} biggest of {len(ranked)}:", "",
             "| tests | modules | cause | class |", "|---|---|---|---|"]
    for key, group in ranked[:shown]:
        classes = ", ".join(f"{CLASSES.get(k, k)} {v}" for k, v in sorted(group["classes"].items(), key=lambda kv: -kv[1]))
        mods = sorted(group["modules"])
        where = ", ".join(mods[:3]) + (f" +{len(mods) - 3}" if len(mods) > 3 else "")
        escaped = key.replace("|", "\\|")
        lines.append(f"| {group['tests']} | {where} | {escaped} | {classes} |")
    return lines + [""]


def render_incidents(run, compared, modules):
    lines = ["## Crashes, hangs and timeouts", "",
             "Each test in which python.wasm's interpreter ended (the module then ran again without it), "
             "and each module cut short by its time limit; for a test, how long it takes natively.", ""]
    found = False
    for module in modules:
        native = run["results"][f"native {module}"]["outcomes"]
        for incident in compared[module]["incidents"]:
            found = True
            test = incident["test"]
            native_seconds = (native.get(test) or [None, None, None])[2] if test else None
            natively = f" (natively {native_seconds:.2f}s)" if native_seconds is not None else ""
            lines.append(f"- {module}: " + (f"`{test}`{natively}: " if test else "") + incident["ended"])
    if not found:
        lines.append("None: every module's interpreter ended normally, within its time.")
    native_problems = [(m, i) for m in modules for i in compared[m]["native_incidents"]]
    lines += ["", "Modules whose native reference did not end normally (their tests after that have no reference):", ""]
    lines += [f"- {m}: " + (f"`{i['test']}`: " if i["test"] else "") + i["ended"] for m, i in native_problems] or ["None."]
    return lines + [""]


def render_failures(failures):
    lines = ["## Failures", "",
             "Tests that pass natively but not under python.wasm, by module and by cause, with the class "
             "compat/classification.toml gives them and why (each reason is given once, where it first applies, "
             "then by its number). Tests lost together (a module or class that did not load) are counted, "
             "not named.", ""]
    numbers = {}
    groups = {}
    for module, failure in failures:
        detail = (failure["detail"].splitlines() or [""])[0][:200]
        key = (module, failure["outcome"], detail, failure["class"], failure["why"])
        groups.setdefault(key, []).append(failure["test"])
    current = None
    for (module, outcome, detail, klass, why), tests in groups.items():
        if module != current:
            lines += ["", f"### {module}", ""]
            current = module
        label = CLASSES.get(klass, klass)
        if why in numbers:
            label += f" [{numbers[why]}]"
        elif why:
            numbers[why] = len(numbers) + 1
            label += f" [{numbers[why]}]: {why}"
        prefix = f"test.{module}."
        names = ", ".join(f"`{t.removeprefix(prefix)}`" for t in tests)
        if outcome == "not run" and len(tests) > 3:
            names = f"{len(tests)} tests"
        lines.append(f"- {names} {outcome}: {detail} — *{label}*")
    return lines

if __name__ == "__main__":
    main()
