#!/usr/bin/env python3
"""`make realworld`: code nobody here wrote, under python.wasm, side by side with native CPython 3.11.

Two measures, from pinned lists in this directory:

- The import corpus (corpus.toml): PyPI's most downloaded packages ranked 201 and below whose
  whole dependency closure is pure (py3-none-any) wheels. Each package is imported, by the names
  its wheel provides, in a fresh interpreter: under the `wasmtime` CLI with python.wasm, and
  under native CPython. The score is the share of the packages that import natively that also
  import under python.wasm. `--select-corpus` chose the list once (it is committed); a normal
  run only reads it.
- The test suites (suites.toml): each project's own tests, from its pinned source release,
  under unmodified pytest (`python -m pytest`), with a reporting-only plugin
  (realworld_recorder.py) that writes every test's outcome as it ends. The score is the share of
  the tests that pass natively that also pass under python.wasm, per suite and overall.

The native side is this machine's CPython 3.11 in a bare virtual environment (made once in the
cache, without pip), so the machine's own site-packages never leak in: both sides see only the
site directory assembled for the package or suite.

Downloads (wheels, sdists, Debian sources) are cached in ~/.cache/wasipy/realworld/, by pinned
version: after the first run nothing is fetched. Every run builds its site directories and source
trees afresh under target/realworld/ (from the cache, by hard links for the unpacked wheels), one
per side, so what a test or an import writes changes neither the cache nor the other side's
files. (`wasmtime run` has no read-only grant: a fresh copy stands for one.)

Crashes: when python.wasm traps, panics or hangs inside a test, that test is recorded as lost and
the suite runs again without the tests already done, as compat/run.py does for a module; a crash
while collecting a file skips that file on the next run. Every suite has a time limit and every
test one of its own (no outcome for that long).

Writes realworld/RESULTS.md (`--render-only` writes it again from the last run).
"""

import argparse
import concurrent.futures
import datetime
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wasipy" / "realworld"
# This workplace's list of PyPI packages (name, version, month, download rank, summary), which
# --select-corpus reads; the committed corpus.toml is what every other run uses.
PYPI_LIST = Path("/work/.library/env/packages/pypi.tsv")


def load_compat():
    """compat/run.py, for what both yardsticks share: how a run ended, and supervising one."""
    spec = importlib.util.spec_from_file_location("compat_run", ROOT / "compat" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compat = load_compat()

# Corpus selection: ranks from here on, until this many packages qualify (the brief asks for at
# least 150; the margin covers packages that later stop importing natively).
FIRST_RANK = 201
CORPUS_SIZE = 160
# Seconds for one import: python.wasm compiles every module it imports from source.
IMPORT_TIMEOUT = 180
# Seconds for pip to resolve a candidate's closure: past that its resolver is backtracking through
# versions of a dependency that has no pure wheel.
CLOSURE_TIMEOUT = 120
NATIVE_IMPORT_TIMEOUT = 60
# Seconds per suite under python.wasm (roughly 5-30x slower than CPython), and per test.
SUITE_TIMEOUT = 1200
TEST_TIMEOUT = 180
NATIVE_SUITE_TIMEOUT = 600
NATIVE_TEST_TIMEOUT = 120
MAX_RESUMES = 25
# pytest's exit status when collection errors stopped it (ExitCode.INTERRUPTED).
INTERRUPTED = "2"

# Names a wheel ships that are not what its users import.
NOT_IMPORTED = {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "bench",
                "scripts", "tools", "conftest", "setup"}
# Extension modules: dropped from a wheel that is not pure (python.wasm cannot load them).
EXTENSIONS = (".so", ".pyd", ".dylib")


# --- downloads (cached) -------------------------------------------------------------------------

def pip(native, *args, timeout=300):
    """Runs pip with the host's CPython (its `pip download`); returns (status, output)."""
    try:
        proc = subprocess.run([native, "-m", "pip", "--disable-pip-version-check", *args],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 1, f"ERROR: pip did not finish in {timeout}s"
    return proc.returncode, proc.stdout + proc.stderr


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_key(filename):
    """(normalized distribution name, version) of a wheel's file name."""
    name, version = filename.split("-")[:2]
    return normalize(name), version


def is_pure(filename):
    return filename.endswith("-none-any.whl")


PURE = ["--only-binary=:all:", "--python-version", "3.11", "--platform", "any"]
CPYTHON_311 = ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
               "--platform", "manylinux2014_x86_64"]


def wheel(requirement, native):
    """The cached wheel of `name==version`: its py3-none-any build, else its CPython 3.11 one."""
    name, version = requirement.split("==")
    cache = CACHE / "wheels"
    cache.mkdir(parents=True, exist_ok=True)
    for pass_args in (PURE, CPYTHON_311):
        found = [f for f in cache.glob("*.whl") if wheel_key(f.name) == (normalize(name), version)
                 and is_pure(f.name) == (pass_args is PURE)]
        if found:
            return found[0]
        status, output = pip(native, "download", "--no-deps", *pass_args, "-d", str(cache), requirement)
        if status == 0:
            return wheel(requirement, native)
    raise SystemExit(f"realworld: cannot download a wheel of `{requirement}`: {output.strip().splitlines()[-1:]}")


def sdist(name, version, native):
    """The cached sdist of `name==version` (only the package itself from source, not its build tools)."""
    cache = CACHE / "sdists"
    cache.mkdir(parents=True, exist_ok=True)
    prefix = re.sub(r"[-_.]+", "[-_.]", name)
    pattern = re.compile(rf"{prefix}-{re.escape(version)}\.(tar\.gz|zip)$", re.IGNORECASE)
    for attempt in range(2):
        found = [f for f in cache.iterdir() if pattern.match(f.name)]
        if found:
            return found[0]
        if attempt == 0:
            status, output = pip(native, "download", "--no-deps", f"--no-binary={name}", "-d", str(cache),
                                 f"{name}=={version}", timeout=900)
    raise SystemExit(f"realworld: cannot download the sdist of `{name}=={version}`: {output.strip().splitlines()[-1:]}")


def debian_source(spec):
    """The upstream tarball of Debian's source package `PACKAGE=VERSION`, fetched by apt-get with
    a private configuration: the machine's Debian sources turned into deb-src, lists in the cache
    (the machine's apt configuration is left as it is)."""
    package, version = spec.split("=")
    upstream = version.rsplit("-", 1)[0]
    apt = CACHE / "apt"
    found = list((apt / "src").glob(f"{package}_{upstream}.orig.tar.*"))
    if found:
        return found[0]
    for sub in ("lists/partial", "cache/archives/partial", "src"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    machine = Path("/etc/apt/sources.list.d/debian.sources").read_text()
    (apt / "debian-src.sources").write_text(re.sub(r"(?m)^Types: deb$", "Types: deb-src", machine))
    options = ["-q", "-o", "Dir::Etc::SourceList=/dev/null", "-o", f"Dir::Etc::SourceParts={apt}",
               "-o", f"Dir::State::Lists={apt / 'lists'}", "-o", f"Dir::Cache={apt / 'cache'}",
               "-o", "APT::Sandbox::User=root"]
    subprocess.run(["apt-get", *options, "update"], capture_output=True, check=True)
    subprocess.run(["apt-get", *options, "source", "--download-only", spec], cwd=apt / "src", capture_output=True)
    found = list((apt / "src").glob(f"{package}_{upstream}.orig.tar.*"))
    if not found:
        raise SystemExit(f"realworld: cannot fetch Debian's source of `{spec}`")
    return found[0]


# --- site directories and source trees -----------------------------------------------------------

def unpack(wheel_path, dest):
    """A wheel installed by hand: its files, `*.data/purelib` and `platlib` moved to the top, other
    `.data` (scripts, headers) dropped, and a non-pure wheel's extension modules dropped."""
    pure = is_pure(wheel_path.name)
    with zipfile.ZipFile(wheel_path) as archive:
        for member in archive.infolist():
            parts = member.filename.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            if member.is_dir() or (not pure and (parts[-1].endswith(EXTENSIONS) or ".so." in parts[-1])):
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)


UNPACKING = threading.Lock()


def unpacked(wheel_path, scratch):
    """The wheel unpacked once per run under the scratch directory (the two sides of a package
    ask for the same wheels at the same time)."""
    dest = scratch / "unpacked" / wheel_path.name
    with UNPACKING:
        if not dest.exists():
            partial = dest.with_name(dest.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            unpack(wheel_path, partial)
            partial.rename(dest)
    return dest


def build_site(wheel_paths, dest, scratch, extra=()):
    """A site directory holding `wheel_paths` (and `extra` files), as pip would lay it out: hard
    links to the unpacked wheels, directories of its own (so files created in it stay in it)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for wheel_path in wheel_paths:
        source = unpacked(wheel_path, scratch)
        for path in sorted(source.rglob("*")):
            target = dest / path.relative_to(source)
            if path.is_dir():
                target.mkdir(exist_ok=True)
            elif not target.exists():
                os.link(path, target)
    for path in extra:
        shutil.copy(path, dest)
    return dest


def import_names(wheel_path):
    """What a wheel's users import: its top-level packages and modules (a namespace package's
    first regular packages instead: `google.auth`, not `google`), less tests and private names."""
    with zipfile.ZipFile(wheel_path) as archive:
        files = [n for n in archive.namelist() if not n.split("/")[0].endswith((".dist-info", ".data"))]
    packages = {tuple(f.split("/")[:-1]) for f in files if f.endswith("/__init__.py")}
    names = set()
    for package in packages:
        if not any(package[:i] in packages for i in range(1, len(package))):
            names.add(".".join(package))
    names |= {f[:-3] for f in files if "/" not in f and f.endswith(".py")}
    names = {n for n in names if all(part.isidentifier() for part in n.split("."))
             and not NOT_IMPORTED.intersection(n.split("."))}
    public = {n for n in names if not n.split(".")[-1].startswith("_")}
    return sorted(public or names)


def native_python(base):
    """A bare virtual environment of the host's CPython, made once: no site-packages of its own."""
    version = subprocess.run([base, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True, check=True).stdout.strip()
    venv = CACHE / f"venv-{version}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([base, "-m", "venv", "--without-pip", "--clear", str(venv)], check=True)
    return str(python), version


# --- running one interpreter ---------------------------------------------------------------------

def wasm_command(args, grants, env, argv):
    """python.wasm under the wasmtime CLI with `grants` ({host dir: guest dir}) and `env`."""
    cmd = [args.wasmtime, "run", "--allow-precompiled"]
    for host, guest in grants.items():
        cmd += ["--dir", f"{host}::{guest}"]
    cmd += compat.zoneinfo_grant()
    for key, value in env.items():
        cmd += ["--env", f"{key}={value}"]
    return cmd + [str(args.cwasm), *argv]


def host_env(extra):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra}


def run_bounded(cmd, env, cwd, limit, log):
    """Runs `cmd` to its end or `limit` seconds; returns (status or None on timeout, stderr tail)."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=err,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            status = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            status = None
    return status, log.read_bytes()[-20000:].decode("utf-8", errors="replace")


def failure_cause(status, output):
    """Why a run failed: a crash (trap, panic) as compat names it, else the exception's line."""
    if status is None:
        return "timeout"
    ended = compat.ended_how(status, output, None)
    if ended.startswith("crash"):
        return ended
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else f"exit {status} (no output)")[:300]


# --- the import corpus ---------------------------------------------------------------------------

def import_code(names):
    return "".join(f"import {name}\n" for name in names)


def import_one(kind, package, args, scratch):
    """Imports the package's names in one fresh interpreter of `kind`; returns {ok, cause, seconds}."""
    work = scratch / "imports" / kind / package["name"]
    shutil.rmtree(work, ignore_errors=True)
    (work / "tmp").mkdir(parents=True)
    site = build_site([CACHE / "wheels" / w for w in package["wheels"]], work / "site", scratch)
    code = import_code(package["imports"])
    if kind == "wasm":
        cmd = wasm_command(args, {site: "/site", work / "tmp": "/tmp"},
                           {"PWD": "/tmp", "PYTHONPATH": "/site", "HOME": "/tmp", "TMPDIR": "/tmp"}, ["-c", code])
        env, limit = host_env({}), IMPORT_TIMEOUT
    else:
        # -s: no user site-packages; -B: no bytecode written (both change nothing an import sees).
        cmd = [args.native_python, "-s", "-B", "-c", code]
        env, limit = host_env({"PYTHONPATH": str(site), "HOME": str(work / "tmp"), "TMPDIR": str(work / "tmp")}), \
            NATIVE_IMPORT_TIMEOUT
    started = time.monotonic()
    status, output = run_bounded(cmd, env, work / "tmp", limit, work / "output")
    seconds = time.monotonic() - started
    shutil.rmtree(site, ignore_errors=True)
    return {"ok": status == 0, "cause": "" if status == 0 else failure_cause(status, output), "seconds": seconds}


def run_imports(corpus, args, scratch):
    results = {}
    jobs = [(kind, package) for package in corpus for kind in ("native", "wasm")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(import_one, kind, package, args, scratch): (kind, package["name"])
                   for kind, package in jobs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            kind, name = futures[future]
            result = results.setdefault(name, {})[kind] = future.result()
            if kind == "wasm" or not result["ok"]:
                print(f"  [{done}/{len(jobs)}] import {kind:6} {name:40} {result['seconds']:6.1f}s  "
                      f"{'ok' if result['ok'] else result['cause'][:100]}", flush=True)
    return results


def select_corpus(args):
    """One-off: corpus.toml from the PyPI list, by rank from FIRST_RANK, until CORPUS_SIZE packages
    have a pure dependency closure and import natively."""
    rows = []
    with open(PYPI_LIST, encoding="utf-8") as listing:
        next(listing)
        for line in listing:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 4 and fields[3].isdigit() and int(fields[3]) >= FIRST_RANK:
                rows.append((int(fields[3]), fields[0], fields[1]))
    rows.sort()
    scratch = Path(args.scratch).resolve() / "select"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    chosen, excluded = [], []

    def consider(row):
        rank, name, version = row
        return row, closure(name, version, args.native, scratch)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        # In small batches, taken in rank order: the first CORPUS_SIZE that qualify, and little
        # resolved past them.
        for start in range(0, len(rows), 8):
            for (rank, name, version), (pinned, wheels, why) in pool.map(consider, rows[start:start + 8]):
                if len(chosen) >= CORPUS_SIZE:
                    break
                if why is None:
                    package = {"rank": rank, "name": name, "version": pinned, "wheels": wheels,
                               "imports": import_names(CACHE / "wheels" / wheels[0])}
                    if not package["imports"]:
                        why = "the wheel has no importable top-level name"
                    else:
                        result = import_one("native", package, args, scratch)
                        why = None if result["ok"] else f"does not import natively: {result['cause']}"
                if why is None:
                    chosen.append(package)
                else:
                    excluded.append({"rank": rank, "name": name, "why": why})
                print(f"  {rank:5} {name:40} {'chosen' if why is None else why[:100]}  ({len(chosen)})", flush=True)
            if len(chosen) >= CORPUS_SIZE:
                break
    write_corpus(chosen, excluded)


def closure(name, version, native, scratch):
    """(pinned version, the closure's wheel file names with the package's own first, None) when
    `name` and all it depends on are pure wheels for 3.11, else (None, None, why not). The listed
    version first; if it has no such wheel (it may need a newer Python), pip's newest that has."""
    dest = scratch / "closures" / normalize(name)
    why = None
    # Most candidates that fail have no pure wheel themselves (compiled packages): a look at the
    # package alone says so without resolving its dependencies.
    status, output = pip(native, "download", "--no-deps", *PURE, "-d", str(dest / "alone"), name,
                         timeout=CLOSURE_TIMEOUT)
    if status != 0:
        errors = [line for line in output.splitlines() if line.startswith("ERROR")] or ["ERROR: pip failed"]
        return None, None, f"no pure closure: {errors[-1].removeprefix('ERROR: ')}"
    for requirement in (f"{name}=={version}", name):
        shutil.rmtree(dest, ignore_errors=True)
        status, output = pip(native, "download", *PURE, "-d", str(dest), requirement, timeout=CLOSURE_TIMEOUT)
        if status == 0:
            files = sorted(f.name for f in dest.glob("*.whl"))
            own = [f for f in files if wheel_key(f)[0] == normalize(name)]
            if not own:
                return None, None, "pip found no wheel of the package itself"
            (CACHE / "wheels").mkdir(parents=True, exist_ok=True)
            for f in files:
                if not (CACHE / "wheels" / f).exists():
                    shutil.copy(dest / f, CACHE / "wheels" / f)
            return wheel_key(own[0])[1], own + [f for f in files if f not in own], None
        errors = [line for line in output.splitlines() if line.startswith("ERROR")] or ["ERROR: pip failed"]
        why = errors[-1].removeprefix("ERROR: ")
        # Only when the package itself has no such wheel of that version is another worth a try: a
        # dependency without one stays without one.
        if not re.search(rf"No matching distribution found for {re.escape(name)}==", why, re.IGNORECASE):
            break
    return None, None, f"no pure closure: {why}"


def toml_string(value):
    return json.dumps(value, ensure_ascii=False)


def write_corpus(chosen, excluded):
    lines = [
        "# The import corpus of `make realworld`, chosen once by `realworld/run.py --select-corpus` on "
        f"{datetime.date.today().isoformat()}:",
        f"# PyPI's most downloaded packages ranked {FIRST_RANK} and below (the list's rank), in rank order, whose",
        "# whole dependency closure (pip's resolution for Python 3.11) is py3-none-any wheels and that import",
        "# natively from that closure alone. `wheels`: the closure, the package's own first; `imports`: the",
        "# names its wheel provides (top-level packages and modules, less tests and private ones).",
        "",
    ]
    for package in chosen:
        lines += ["[[package]]", f"rank = {package['rank']}", f"name = {toml_string(package['name'])}",
                  f"version = {toml_string(package['version'])}",
                  f"imports = {toml_string(package['imports'])}",
                  f"wheels = {toml_string(package['wheels'])}", ""]
    lines += ["# The candidates passed over on the way, and why.", ""]
    for entry in excluded:
        lines += ["[[excluded]]", f"rank = {entry['rank']}", f"name = {toml_string(entry['name'])}",
                  f"why = {toml_string(entry['why'][:300])}", ""]
    (HERE / "corpus.toml").write_text("\n".join(lines), encoding="utf-8")
    print(f"realworld: {len(chosen)} packages chosen, {len(excluded)} passed over; written to realworld/corpus.toml")


# --- the test suites -----------------------------------------------------------------------------

def source_archive(suite, config, native):
    """The cached archive of the suite's pinned source release (suites.toml's `source`)."""
    spec = config["source"]
    if spec.startswith("debian:"):
        return debian_source(spec.removeprefix("debian:"))
    return sdist(suite, config["version"], native)


def suite_wheels(config, pytest_wheels, native):
    """The cached wheels of the suite's site directory: its own, then pytest's."""
    return [wheel(requirement, native) for requirement in config["wheels"] + pytest_wheels]


def prepare_suite(kind, suite, config, wheels, archive, scratch):
    """A fresh source tree and site directory for one side: {work, src, site}."""
    work = scratch / "suites" / kind / suite
    shutil.rmtree(work, ignore_errors=True)
    (work / "tmp").mkdir(parents=True)
    (work / "out").mkdir()
    shutil.unpack_archive(archive, work / "unpacked")
    (top,) = (work / "unpacked").iterdir()
    src = top.rename(work / "src")
    (work / "unpacked").rmdir()
    site = build_site(wheels, work / "site", scratch, extra=[HERE / "realworld_recorder.py"])
    return work, src, site


def pytest_argv(config, outcomes, skip):
    argv = ["-m", "pytest", "-p", "realworld_recorder", f"--record-outcomes={outcomes}"]
    if skip:
        argv.append(f"--record-skip={skip}")
    return argv + config.get("args", [])


def read_outcomes(path):
    """{node id: [outcome, detail, seconds]}, the test (or file being collected) that started last
    without an outcome, and pytest's exit status if the session finished (else None)."""
    outcomes, unfinished, finished = {}, None, None
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # the last line of a crashed run may be cut short
            test, outcome = record["test"], record["outcome"]
            if test == "<session>":
                # A resumed run appends to the same file: only its own session's end counts.
                finished = record.get("detail", "") if outcome == "finished" else None
            elif outcome in ("started", "collecting"):
                unfinished = test
            elif outcome == "collected":
                unfinished = None if unfinished == test else unfinished
            else:
                outcomes[test] = [outcome, record.get("detail", ""), record.get("seconds")]
                if test == unfinished:
                    unfinished = None
    return outcomes, unfinished, finished


def run_suite(kind, suite, config, wheels, archive, args, scratch):
    """Runs one suite on one side, resuming after a lost test; returns {outcomes, incidents, seconds, ended}."""
    work, src, site = prepare_suite(kind, suite, config, wheels, archive, scratch)
    outcomes_file, skip_file = work / "out" / "outcomes.jsonl", work / "out" / "skip"
    if kind == "wasm":
        limit, test_limit = args.suite_timeout, args.test_timeout
    else:
        limit, test_limit = NATIVE_SUITE_TIMEOUT, NATIVE_TEST_TIMEOUT
    started = time.monotonic()
    incidents, skip, ended, skipped = [], None, "ok", set()
    for attempt in range(MAX_RESUMES + 1):
        if kind == "wasm":
            cmd = wasm_command(args, {src: "/src", site: "/site", work / "out": "/out", work / "tmp": "/tmp"},
                               {"PWD": "/src", "PYTHONPATH": "/site", "HOME": "/tmp", "TMPDIR": "/tmp",
                                **config.get("env", {})},
                               pytest_argv(config, "/out/outcomes.jsonl", skip and "/out/skip"))
            env = host_env({})
        else:
            cmd = [args.native_python, *pytest_argv(config, str(outcomes_file), skip and str(skip_file))]
            env = host_env({"PYTHONPATH": str(site), "HOME": str(work / "tmp"), "TMPDIR": str(work / "tmp"),
                            **config.get("env", {})})
        with open(work / "output", "ab") as output:
            offset = output.tell()
            proc = subprocess.Popen(cmd, cwd=src, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            stopped, quiet = compat.supervise(proc, outcomes_file, started + limit, test_limit)
        with open(work / "output", "rb") as output:
            output.seek(offset)
            tail = output.read()[-20000:].decode("utf-8", errors="replace")
        outcomes, unfinished, finished = read_outcomes(outcomes_file)
        ended = compat.ended_how(proc.returncode, tail, stopped)
        if finished is not None and not stopped:
            ended = "ok"
            uncollected = [t for t, (o, *_) in outcomes.items() if o == "collect-error" and t not in skipped]
            if finished != INTERRUPTED or not uncollected:
                break
            # pytest stops before running any test when a file fails to collect: the run again
            # leaves those files out, so a missing module costs the tests of its files only.
            incidents.append({"test": None, "ended": f"collection errors: {len(uncollected)} files left out, "
                                                    f"the suite run again without them"})
            skipped.update(uncollected)
            skip_file.write_text("".join(f"{test}\n" for test in skipped))
            skip = True
            continue
        if ended == "timeout":
            where = f"in {unfinished}, running for {quiet:.0f}s" if unfinished else f"no test running for {quiet:.0f}s"
            incidents.append({"test": unfinished, "ended": f"timeout: the suite's {limit:.0f}s ran out ({where})"})
            break
        if unfinished is None:
            # Ended outside any test and before the session's end: pytest did not start, or died
            # between tests. Nothing to resume from.
            incidents.append({"test": None, "ended": ended})
            break
        if ended == "hang":
            ended = f"hang: no result after {quiet:.0f}s"
        lost = compat.LOST_AS[ended.split()[0].rstrip(":")]
        incidents.append({"test": unfinished, "ended": ended})
        with open(outcomes_file, "a", encoding="utf-8") as out:
            out.write(json.dumps({"test": unfinished, "outcome": lost, "detail": ended}) + "\n")
        outcomes[unfinished] = [lost, ended, None]
        skipped.update(outcomes)
        skip_file.write_text("".join(f"{test}\n" for test in skipped))
        skip = True
        if attempt == MAX_RESUMES or time.monotonic() - started >= limit - 1:
            incidents.append({"test": None, "ended": f"stopped: not resumed after {attempt + 1} lost tests"})
            break
    return {"outcomes": outcomes, "incidents": incidents, "seconds": time.monotonic() - started, "ended": ended,
            "tail": tail[-3000:]}


def run_suites(suites, args, scratch):
    """Every suite on both sides, python.wasm's longest first: {suite: {kind: result}}."""
    registry = tomllib.loads((HERE / "suites.toml").read_text(encoding="utf-8"))
    prepared = {}
    for suite in suites:
        config = registry["suites"][suite]
        prepared[suite] = (config, suite_wheels(config, registry["pytest"], args.native),
                           source_archive(suite, config, args.native))
    times = compat.load_json(CACHE / "times.json", {})
    jobs = sorted(((kind, suite) for suite in suites for kind in ("wasm", "native")),
                  key=lambda job: -times.get(f"{job[0]} {job[1]}", 600 if job[0] == "wasm" else 10))
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_suite, kind, suite, *prepared[suite], args, scratch): (kind, suite)
                   for kind, suite in jobs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            kind, suite = futures[future]
            result = results.setdefault(suite, {})[kind] = future.result()
            times[f"{kind} {suite}"] = round(result["seconds"], 1)
            passed = sum(o[0] == "passed" for o in result["outcomes"].values())
            lost = "; ".join(i["ended"][:100] + (f" (in {i['test']})" if i["test"] else "") for i in result["incidents"])
            print(f"  [{done}/{len(jobs)}] suite {kind:6} {suite:20} {len(result['outcomes']):5} tests, {passed:5} passed "
                  f"{result['seconds']:7.1f}s  {lost or result['ended']}", flush=True)
    (CACHE / "times.json").write_text(json.dumps(times, indent=0, sort_keys=True), encoding="utf-8")
    return results


# --- the results file ----------------------------------------------------------------------------

def normalized(line):
    """An exception line with numbers, addresses and paths of this run left out, to group by."""
    line = re.sub(r"0x[0-9a-f]+", "0x…", line)
    line = re.sub(r"(/[\w.+-]+)*/target/realworld/\S*?/(site|src)/", "", line)
    line = re.sub(r"(?<![\w.])\d+(?![\w.])", "N", line)
    return line[:160]


def not_run_why(test, side):
    """Why a natively passing test has no outcome under python.wasm: its file failed to collect,
    pytest did not get as far as running tests, or the test module defines it only on CPython."""
    for other, (outcome, detail, _) in side["outcomes"].items():
        if outcome == "collect-error" and (test.startswith(other + "::") or test.startswith(other + "/")
                                           or other in ("", ".")):
            return f"collection failed: {detail}"
    for incident in side["incidents"]:
        if incident["test"] is None and not incident["ended"].startswith("collection errors"):
            why = incident["ended"].split(": ", 1)[-1]
            return f"the suite did not run: {re.sub(r'^E +', '', why)}"
    return "no test of that id under python.wasm (defined only on CPython, or its parameters' ids differ)"


def auto_id(test):
    """A parametrized test's id without pytest's generated `argnameN` parts: their N is the
    parameter's position, which differs when the parameters come from a set (hash order)."""
    name, bracket, params = test.partition("[")
    if not bracket:
        return test
    return name + "[" + "-".join(re.sub(r"^([A-Za-z_]\w*?)\d+$", r"\1", part) for part in params.split("-"))


def wasm_outcome(test, wasm, native):
    """python.wasm's outcome of the natively run `test`: by id, else (a parametrized test whose
    generated id differs) by its id without generated indices, among the ids native did not run."""
    if test in wasm:
        return wasm[test]
    key = auto_id(test)
    for other, result in wasm.items():
        if other not in native and auto_id(other) == key:
            return result
    return ("not run", "", None)


def suite_cause(outcome, detail):
    line = (detail.splitlines() or [""])[0]
    if outcome == "failed" and (line.startswith("AssertionError") or line.startswith("assert ") or not line):
        return "assertion failures"
    return f"{outcome}: {normalized(line)}"


def compare_suites(suites):
    rows = {}
    for suite in suites["suites"]:
        wasm, native = suites["results"][suite]["wasm"], suites["results"][suite]["native"]
        native_pass = sorted(t for t, (o, *_) in native["outcomes"].items() if o == "passed")
        both, losses = 0, []
        unmatched = {t: r for t, r in wasm["outcomes"].items() if t not in native["outcomes"]}
        for test in native_pass:
            outcome, detail, _ = wasm_outcome(test, wasm["outcomes"] if test in wasm["outcomes"] else unmatched,
                                              native["outcomes"])
            if test not in wasm["outcomes"] and outcome != "not run":
                # Each python.wasm test stands for one native test only.
                unmatched.pop(next(t for t in unmatched if auto_id(t) == auto_id(test)))
            if outcome == "passed":
                both += 1
                continue
            if outcome == "not run":
                detail = not_run_why(test, wasm)
            losses.append({"test": test, "outcome": outcome, "detail": detail})
        counts = {kind: {o: sum(v[0] == o for v in side["outcomes"].values())
                         for o in ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "collect-error")}
                  for kind, side in (("wasm", wasm), ("native", native))}
        rows[suite] = {"native_pass": len(native_pass), "both": both, "losses": losses, "counts": counts,
                       "seconds": wasm["seconds"], "native_seconds": native["seconds"],
                       "incidents": wasm["incidents"], "native_incidents": native["incidents"]}
    return rows


def share(part, whole):
    return f"{100 * part / whole:.1f}%" if whole else "-"


def grouped(items):
    """[(cause, count, where)] biggest first, from [(cause, where)]."""
    groups = {}
    for key, where in items:
        group = groups.setdefault(key, {"count": 0, "where": {}})
        group["count"] += 1
        group["where"][where] = group["where"].get(where, 0) + 1
    return sorted(((k, g["count"], g["where"]) for k, g in groups.items()), key=lambda item: (-item[1], item[0]))


def where_cell(where, limit=6):
    ranked = sorted(where.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{name} {count}" if count > 1 else name for name, count in ranked[:limit])
    return text + (f" +{len(ranked) - limit}" if len(ranked) > limit else "")


def escape(text):
    return text.replace("|", "\\|").replace("\n", " ")


def render(run):
    imports, corpus, suites = run["imports"]["results"], run["imports"]["corpus"], run["suites"]
    native_ok = [p for p in corpus if imports[p["name"]]["native"]["ok"]]
    native_failed = [p for p in corpus if not imports[p["name"]]["native"]["ok"]]
    both = [p for p in native_ok if imports[p["name"]]["wasm"]["ok"]]
    rows = compare_suites(suites)
    native_pass = sum(r["native_pass"] for r in rows.values())
    suite_both = sum(r["both"] for r in rows.values())
    lines = [
        "# Real-world code under python.wasm",
        "",
        f"Measured {suites['date']} by `make realworld` (realworld/run.py) on {platform.machine()}, {os.cpu_count()} "
        f"cores shared with other work: python.wasm under `{suites['wasmtime']} run` (precompiled), against native "
        f"CPython {suites['native_version']} in a bare virtual environment, both seeing only the site directory made "
        f"for the package or suite. Wall time: {run['imports']['elapsed'] / 60:.0f} minutes for the imports, "
        f"{suites['elapsed'] / 60:.0f} for the suites, at most two interpreters at a time. Time limits under "
        f"python.wasm: {IMPORT_TIMEOUT}s per import, {suites['suite_timeout']:.0f}s per suite and "
        f"{suites['test_timeout']:.0f}s per test (no outcome for that long).",
        "",
        f"**Import corpus: {share(len(both), len(native_ok))}** of the {len(native_ok)} packages that import natively "
        f"also import under python.wasm ({len(both)}; corpus.toml: {len(corpus)} packages, PyPI's most downloaded "
        f"ranked {FIRST_RANK} and below whose dependencies are all pure wheels).",
        "",
        f"**Test suites: {share(suite_both, native_pass)}** of the {native_pass} tests that pass natively also pass "
        f"under python.wasm ({suite_both}), in {len(rows)} projects' own suites under pytest (suites.toml).",
        "",
    ]
    lines += render_suite_table(rows)
    lines += render_suite_losses(rows)
    lines += render_incidents(rows)
    lines += render_import_losses(corpus, imports, native_ok, native_failed)
    lines += render_suite_failures(rows)
    return "\n".join(lines) + "\n"


def render_suite_table(rows):
    lines = ["## Test suites", "",
             "Per suite: the tests that pass natively; of those, the ones that also pass under python.wasm, and "
             "that share; the outcomes under python.wasm (passed / failed / errors / skipped, and files that "
             "failed to collect); the time under python.wasm and natively; how python.wasm's runs ended.", "",
             "| suite | native pass | wasm pass of those | share | wasm passed / failed / errors / skipped | "
             "collect errors | time wasm / native | ended |",
             "|---|---|---|---|---|---|---|---|"]
    for suite, row in rows.items():
        c = row["counts"]["wasm"]
        kinds = sorted({i["ended"].split(":")[0].split()[0] for i in row["incidents"]})
        lines.append(f"| {suite} | {row['native_pass']} | {row['both']} | {share(row['both'], row['native_pass'])} "
                     f"| {c['passed']} / {c['failed']} / {c['error']} / {c['skipped']} | {c['collect-error']} "
                     f"| {row['seconds']:.0f}s / {row['native_seconds']:.0f}s | {', '.join(kinds) or 'ok'} |")
    total_native = sum(r["native_pass"] for r in rows.values())
    total_both = sum(r["both"] for r in rows.values())
    lines.append(f"| **total** | {total_native} | {total_both} | **{share(total_both, total_native)}** | | | "
                 f"{sum(r['seconds'] for r in rows.values()):.0f}s / {sum(r['native_seconds'] for r in rows.values()):.0f}s | |")
    return lines + [""]


def render_suite_losses(rows, shown=40):
    ranked = grouped([(suite_cause(loss["outcome"], loss["detail"]), suite)
                      for suite, row in rows.items() for loss in row["losses"]])
    lines = ["## Test losses by cause", "",
             "The natively passing tests lost under python.wasm, grouped by their exception line (numbers, "
             "addresses and this run's paths left out; assertion failures together), the "
             f"{min(shown, len(ranked))} biggest of {len(ranked)}:", "",
             "| tests | suites | cause |", "|---|---|---|"]
    lines += [f"| {count} | {where_cell(where)} | {escape(key)} |" for key, count, where in ranked[:shown]]
    return lines + [""]


def render_incidents(rows):
    lines = ["## Crashes, hangs, timeouts and restarts", "",
             "Each test in which python.wasm's interpreter ended (the suite then ran again without it), each "
             "suite cut short by its time limit, each run that ended before any test, and each restart without "
             "the files that failed to collect.", ""]
    found = [f"- {suite}: " + (f"`{i['test']}`: " if i["test"] else "") + i["ended"]
             for suite, row in rows.items() for i in row["incidents"]]
    lines += found or ["None: every suite's interpreter ended normally, within its time."]
    native = [f"- {suite}: " + (f"`{i['test']}`: " if i["test"] else "") + i["ended"]
              for suite, row in rows.items() for i in row["native_incidents"]]
    lines += ["", "Native runs that did not end normally:", ""] + (native or ["None."])
    return lines + [""]


def render_import_losses(corpus, imports, native_ok, native_failed):
    failed = [p for p in native_ok if not imports[p["name"]]["wasm"]["ok"]]
    ranked = grouped([(normalized(imports[p["name"]]["wasm"]["cause"]), p["name"]) for p in failed])
    lines = ["## Import losses by cause", "",
             "The packages that import natively but not under python.wasm, grouped by the last line of the "
             "traceback (numbers left out), biggest first:", "",
             "| packages | cause | which |", "|---|---|---|"]
    lines += [f"| {count} | {escape(key)} | {where_cell(where, 12)} |" for key, count, where in ranked]
    lines += ["", "Packages that do not import natively (left out of the score):", ""]
    lines += [f"- {p['name']} {p['version']}: {escape(imports[p['name']]['native']['cause'])}" for p in native_failed] \
        or ["None."]
    lines += ["", "### The corpus", "",
              "| rank | package | version | imports | wasm | time wasm / native |", "|---|---|---|---|---|---|"]
    for p in corpus:
        result = imports[p["name"]]
        verdict = "ok" if result["wasm"]["ok"] else ("(native fails)" if not result["native"]["ok"] else "**fails**")
        lines.append(f"| {p['rank']} | {p['name']} | {p['version']} | {', '.join(p['imports'])} | {verdict} "
                     f"| {result['wasm']['seconds']:.1f}s / {result['native']['seconds']:.1f}s |")
    return lines + [""]


def render_suite_failures(rows):
    lines = ["## Test failures", "",
             "Every natively passing test lost under python.wasm, by suite and cause (tests lost together, a file "
             "that did not collect, are counted rather than named).", ""]
    for suite, row in rows.items():
        if not row["losses"]:
            continue
        lines += [f"### {suite}", ""]
        groups = {}
        for loss in row["losses"]:
            key = (loss["outcome"], (loss["detail"].splitlines() or [""])[0][:200])
            groups.setdefault(key, []).append(loss["test"])
        for (outcome, detail), tests in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            names = ", ".join(f"`{t}`" for t in tests[:8]) + (f" and {len(tests) - 8} more" if len(tests) > 8 else "")
            if outcome == "not run" and len(tests) > 3:
                names = f"{len(tests)} tests"
            lines.append(f"- {names} {outcome}: {escape(detail)}")
        lines.append("")
    return lines


# --- the command line ----------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-wasm", default=str(ROOT / "python.wasm"))
    parser.add_argument("--wasmtime", default=os.environ.get("WASMTIME", "wasmtime"))
    parser.add_argument("--native", default=sys.executable, help="the reference CPython 3.11 (pip's too)")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 2, 2))
    parser.add_argument("--suite-timeout", type=float, default=SUITE_TIMEOUT, help="seconds per suite under python.wasm")
    parser.add_argument("--test-timeout", type=float, default=TEST_TIMEOUT,
                        help="seconds one test may run under python.wasm before it counts as hung")
    parser.add_argument("--select-corpus", action="store_true", help="choose the import corpus again (corpus.toml)")
    parser.add_argument("--only", choices=PARTS, help="run one part; the other's last results are kept")
    parser.add_argument("--render-only", action="store_true", help="write RESULTS.md again from the last run")
    parser.add_argument("--scratch", default=str(ROOT / "target" / "realworld"))
    parser.add_argument("--results", default=str(HERE / "RESULTS.md"))
    parser.add_argument("suites", nargs="*", help="suites to run (all of suites.toml by default)")
    args = parser.parse_args()
    args.native_python, args.native_version = native_python(args.native)
    scratch = Path(args.scratch).resolve()
    if args.select_corpus:
        select_corpus(args)
        return
    if not args.render_only:
        for part in [args.only] if args.only else PARTS:
            run_part(part, args, scratch / part)
    run = {part: compat.load_json(scratch / f"{part}.json", None) for part in PARTS}
    missing = [part for part, result in run.items() if result is None]
    if missing:
        raise SystemExit(f"realworld: no results of the {' and '.join(missing)} in {scratch}: run realworld/run.py first")
    report = render(run)
    Path(args.results).write_text(report, encoding="utf-8")
    print(report.split("\n## Test suites")[0])
    print(f"written to {os.path.relpath(args.results)}")


PARTS = ("imports", "suites")


def run_part(part, args, scratch):
    """Runs the import corpus or the test suites in a scratch directory of their own (the two can
    run at once), and saves the results beside it."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    args.cwasm = scratch / "python.cwasm"
    # Compiled once: every run then starts in milliseconds, not the ~25 s of compiling.
    subprocess.run([args.wasmtime, "compile", "-o", str(args.cwasm), args.python_wasm], check=True)
    started = time.monotonic()
    result = {"date": datetime.date.today().isoformat(), "wasmtime": args.wasmtime,
              "native_version": args.native_version}
    if part == "imports":
        corpus = tomllib.loads((HERE / "corpus.toml").read_text(encoding="utf-8"))["package"]
        for package in corpus:
            for filename in package["wheels"]:
                if not (CACHE / "wheels" / filename).exists():
                    wheel("==".join(wheel_key(filename)), args.native)
        print(f"realworld: importing {len(corpus)} packages", flush=True)
        result.update(corpus=corpus, results=run_imports(corpus, args, scratch))
    else:
        suites = args.suites or list(tomllib.loads((HERE / "suites.toml").read_text(encoding="utf-8"))["suites"])
        print(f"realworld: running {len(suites)} test suites", flush=True)
        result.update(suites=suites, suite_timeout=args.suite_timeout, test_timeout=args.test_timeout,
                      results=run_suites(suites, args, scratch))
    result["elapsed"] = time.monotonic() - started
    (scratch.parent / f"{part}.json").write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
