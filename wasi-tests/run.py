#!/usr/bin/env python3
"""Runs every wasi-tests case against the built python.wasm under a real WASI host: the `wasmtime`
CLI (the default), Node's `node:wasi` (through hosts/node-wasi.mjs) or `wasmi` (`--host`).

A case (in cases/*.toml) is a command line for python.wasm, with optional stdin, environment and
files. Each runs in a fresh host temp directory granted to the guest as /work (its cwd, via PWD).
The expected stdout, stderr and exit status live in expected/<file>/<case>.{stdout,stderr,status}:

- `expect = "cpython"` (the default): the same case run under this machine's real CPython, in the
  same files, with argv[0] = "python.wasm". Blessing regenerates them from CPython.
- `expect = "wasi"`: behaviour CPython cannot show on this machine (WASI errno values, the sandbox,
  our own messages). Blessing records python.wasm's own output, to be reviewed in `git diff`.

Comparison modes per stream (`stdout`/`stderr` = "exact" | "first_line" | "last_line" | "ignore" |
"digest", the size and SHA-256 of a huge output):
tracebacks differ between CPython 3.11 and our 3.14 in their caret lines, so most error cases
compare the last line (the exception) and the exit status.

A case may also ask that a second run print a different stdout (`runs_differ = true`), plant host
symlinks (`symlinks = { name = target }`), give `stdout_contains`/`stderr_contains` (a text the stream must hold), `tty = true`
(stdin and stdout on a terminal, through `script`), `setup` (Python run on the host before the
case, with `d` the case's host directory, for what `files` cannot hold: a database the host wrote)
and `check` (Python run on the host afterwards, with `d` again, to prove what the guest left on
disk).

A case runs the pre-initialised python.wasm unless it says `interpreter = "fresh"`: then it runs
python-fresh.wasm (beside it), the same interpreter initialised at every start. A case may ask
that a second run print the same stdout (`runs_same = true`).

A case may give extra grants (`dirs = ["{dir}/tmp::/tmp"]`), flags only wasmtime has
(`wasmtime_flags`: the case runs under wasmtime only) or the hosts it runs under
(`hosts = [...]`, with `hosts_reason`). Where a host must print something else, its expected
files sit beside the others as `<case>.<host>.stdout` (…`.stderr`, `.status`) and the case says
why in `host_differs`.

Set WASIPY_TEST_BLESS=1 to rewrite the expected files (from wasmtime or CPython). Prints one line
per case and, last, "HOST: N passed, N failed, N skipped".
"""

import argparse
import concurrent.futures
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
EXPECTED = HERE / "expected"
GUEST_DIR = "/work"
TIMEOUT = 120


def place(value, directory):
    """`{dir}` in an argument or variable names the case's directory as that interpreter sees it."""
    return value.replace("{dir}", str(directory))


def guest_command(host, case, python_wasm, host_dir):
    """The command line that runs python.wasm for `case` under `host`: the same grants,
    environment and arguments on every host, in its own syntax."""
    # wasmi grants a directory at its host path only: there the case directory is its own guest
    # path, and the output, normalised, reads the same.
    guest_dir = str(host_dir) if host == "wasmi" else GUEST_DIR
    dirs = [place(spec, host_dir) for spec in case.get("dirs", [])]
    env = {}
    if case.get("grant", True):
        dirs.append(str(host_dir) if host == "wasmi" else f"{host_dir}::{GUEST_DIR}")
        env["PWD"] = guest_dir
    env.update({key: place(value, guest_dir) for key, value in case.get("env", {}).items()})
    args = [place(a, guest_dir) for a in case["args"]]
    if host == "wasmtime":
        cmd = [os.environ.get("WASMTIME", "wasmtime"), "run"] + case.get("wasmtime_flags", [])
    elif host == "node":
        cmd = [os.environ.get("NODE", "node"), "--no-warnings", str(HERE / "hosts" / "node-wasi.mjs")]
    elif host == "wasmi":
        cmd = [os.environ.get("WASMI", "wasmi"), "run"]
    else:
        raise ValueError(f"unknown host {host!r}")
    for spec in dirs:
        cmd += ["--dir", spec]
    for key, value in env.items():
        cmd += ["--env", f"{key}={value}"]
    if host == "wasmi":
        # wasmi passes the module path as argv[0] as written, where wasmtime and our Node launcher
        # pass its file name: run it by its file name from its own directory.
        return cmd + [python_wasm.name] + args
    return cmd + [str(python_wasm)] + args


def host_cwd(host, python_wasm, host_dir):
    """The directory the host process runs in (the guest's cwd comes from its grants and PWD)."""
    return python_wasm.parent if host == "wasmi" else host_dir


def skip_reason(host, case):
    """Why `case` does not run under `host`, or None."""
    if host != "wasmtime" and "wasmtime_flags" in case:
        return f"needs wasmtime's own flags {case['wasmtime_flags']}"
    if host == "wasmi" and any("::" in spec for spec in case.get("dirs", [])):
        return "wasmi's --dir cannot grant a directory at another guest path"
    if host == "wasmi" and case.get("tty"):
        return "interactive cases are left to the compiling hosts"
    hosts = case.get("hosts")
    if hosts is not None and host not in hosts:
        return case.get("hosts_reason", f"runs on {', '.join(hosts)} only")
    return None


def cpython_env(case, host_dir):
    env = {"PWD": str(host_dir), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update({k: place(v, host_dir) for k, v in case.get("env", {}).items()})
    return env


def populate(case, host_dir):
    for name, content in case.get("files", {}).items():
        path = host_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    for name, target in case.get("symlinks", {}).items():
        (host_dir / name).symlink_to(target)
    if "setup" in case:
        exec(case["setup"], {"d": host_dir, "Path": Path})


def run(cmd, stdin, cwd):
    # A cleared environment: the host's variables must not leak into the case.
    proc = subprocess.run(
        cmd,
        input=stdin.encode() if stdin is not None else None,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")},
        timeout=TIMEOUT,
    )
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def normalize(text, case, host_dir):
    text = text.replace(str(host_dir), GUEST_DIR)
    text = text.replace(sys.executable, "python.wasm")
    for rule in case.get("normalize", []):
        if rule == "version":
            text = re.sub(r"Python 3\.\d+\.\d+[^\n]*", "Python 3.X.Y", text)
        elif rule == "errno":
            # Linux and WASI number errors differently; the text is what users read.
            text = re.sub(r"\[Errno \d+\]", "[Errno N]", text)
        elif rule == "addresses":
            text = re.sub(r"0x[0-9a-f]+", "0x...", text)
    return text


def digest(text, mode):
    """For `"digest"` streams (huge outputs): their size, line count and SHA-256 stand for them,
    in the expected file and in the comparison."""
    if mode != "digest":
        return text
    import hashlib

    data = text.encode()
    return f"{len(data)} bytes, {text.count(chr(10))} lines, sha256 {hashlib.sha256(data).hexdigest()}\n"


def select(text, mode):
    if mode == "last_line":
        # Trailing spaces aside: RustPython's "maximum recursion depth exceeded " ends in one
        # (README, known differences).
        lines = text.rstrip("\n").splitlines()
        return lines[-1].rstrip() + "\n" if lines else ""
    if mode == "first_line":
        return text.splitlines(keepends=True)[0] if text else ""
    if mode == "ignore":
        return ""
    return text


def expected_paths(file_stem, name, host="wasmtime"):
    """The expected files of a case; a host whose output must differ has its own beside them
    (`<case>.<host>.stdout`…, with the reason in the case's `host_differs`)."""
    base = EXPECTED / file_stem / name
    paths = {k: base.with_suffix(f".{k}") for k in ("stdout", "stderr", "status")}
    for k in paths:
        own = base.with_suffix(f".{host}.{k}")
        if host != "wasmtime" and own.exists():
            paths[k] = own
    return paths


def compare(mode, expected, actual):
    return select(expected, mode) == select(actual, mode)


def interpreter_for(case, python_wasm):
    """The module a case runs: python.wasm (the snapshot), or python-fresh.wasm beside it."""
    if case.get("interpreter", "snapshot") == "fresh":
        return python_wasm.with_name("python-fresh.wasm")
    return python_wasm


def run_case(host, file_stem, case, python_wasm, bless):
    name = case["name"]
    python_wasm = interpreter_for(case, python_wasm)
    with tempfile.TemporaryDirectory(prefix="wasi-test-") as tmp:
        host_dir = Path(tmp).resolve()
        populate(case, host_dir)
        cmd = guest_command(host, case, python_wasm, host_dir)
        if case.get("tty"):
            # A real terminal on stdin/stdout (util-linux `script`), for the interactive prompt.
            cmd = ["script", "-qec", shlex.join(cmd), "/dev/null"]
        status, out, err = run(cmd, case.get("stdin"), host_cwd(host, python_wasm, host_dir))
        out, err = normalize(out, case, host_dir), normalize(err, case, host_dir)
        out, err = digest(out, case.get("stdout")), digest(err, case.get("stderr"))
        paths = expected_paths(file_stem, name, host)
        if bless and host == "wasmtime":
            if case.get("expect", "cpython") == "cpython":
                shutil.rmtree(host_dir)
                host_dir.mkdir()
                populate(case, host_dir)
                e_status, e_out, e_err = run_cpython(case, host_dir)
                e_out, e_err = normalize(e_out, case, host_dir), normalize(e_err, case, host_dir)
                e_out, e_err = digest(e_out, case.get("stdout")), digest(e_err, case.get("stderr"))
            else:
                e_status, e_out, e_err = status, out, err
            paths["stdout"].parent.mkdir(parents=True, exist_ok=True)
            paths["stdout"].write_text(e_out)
            paths["stderr"].write_text(e_err)
            paths["status"].write_text(f"{e_status}\n")
        missing = [p for p in paths.values() if not p.exists()]
        if missing:
            return False, f"no expected files for {file_stem}/{name} (run `make bless`)", cmd, host_dir, status, out, err
        want_status = int(paths["status"].read_text())
        # Bytes, not read_text(): CGI output ends its header lines with \r\n, which must survive.
        want_out, want_err = paths["stdout"].read_bytes().decode(), paths["stderr"].read_bytes().decode()
        problems = []
        if status != want_status:
            problems.append(f"exit status {status}, expected {want_status}")
        if not compare(case.get("stdout", "exact"), want_out, out):
            problems.append(f"stdout differs:\n--- expected\n{select(want_out, case.get('stdout', 'exact'))}--- got\n{out}")
        if not compare(case.get("stderr", "exact"), want_err, err):
            problems.append(f"stderr differs:\n--- expected\n{select(want_err, case.get('stderr', 'exact'))}--- got\n{err}")
        # A host that must differ has its own expected files, which stand for the texts required.
        differs = host in case.get("host_differs", {})
        for stream, text in (("stdout", out), ("stderr", err)):
            needle = None if differs else case.get(f"{stream}_contains")
            if needle is not None and needle not in text:
                problems.append(f"{stream} does not contain {needle!r}:\n{text}")
        if "check" in case:
            problems += host_check(case["check"], host_dir)
        if case.get("runs_differ") or case.get("runs_same"):
            _, again, _ = run(cmd, case.get("stdin"), host_cwd(host, python_wasm, host_dir))
            same = normalize(again, case, host_dir) == out
            if case.get("runs_differ") and same:
                problems.append(f"a second run printed the same stdout, expected it to differ:\n{out}")
            if case.get("runs_same") and not same:
                problems.append(f"a second run printed another stdout, expected the same:\n{out}\n{again}")
        return not problems, "\n".join(problems), cmd, host_dir, status, out, err


def host_check(code, host_dir):
    """A case's `check`: Python run on the host after the case, with `d` the case's host directory
    (a pathlib.Path). It proves what the guest did on the host's disk; an AssertionError fails it."""
    try:
        exec(code, {"d": host_dir, "Path": Path})
    except AssertionError as e:
        return [f"host check failed: {code!r} {e}"]
    return []


def run_cpython(case, host_dir):
    """The case under the real CPython, with argv[0] = python.wasm so usage and error texts name
    the same program."""
    env = cpython_env(case, host_dir)
    proc = subprocess.run(
        ["python.wasm"] + [place(a, host_dir) for a in case["args"]],
        executable=sys.executable,
        input=case["stdin"].encode() if "stdin" in case else None,
        stdin=None if "stdin" in case else subprocess.DEVNULL,
        capture_output=True,
        cwd=host_dir,
        env=env,
        timeout=TIMEOUT,
    )
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def load_cases(pattern):
    for path in sorted(CASES.glob("*.toml")):
        data = tomllib.loads(path.read_text())
        for case in data.get("case", []):
            if pattern and not re.search(pattern, f"{path.stem}/{case['name']}"):
                continue
            yield path.stem, case


def warm_compile_cache(interpreters):
    """Compiles each interpreter once, alone, into wasmtime's cache before the cases start (once
    per set of wasmtime flags, which the cache tells apart): a module just built is otherwise
    compiled by every case that starts before the first compile ends, all at once, which on a
    loaded machine outlasts a case's time limit."""
    for wasm, flags in sorted(interpreters):
        subprocess.run([os.environ.get("WASMTIME", "wasmtime"), "run", *flags, str(wasm), "-c", "pass"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30 * 60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-wasm", default="python.wasm")
    parser.add_argument("--host", choices=["wasmtime", "node", "wasmi"], default="wasmtime",
                        help="the WASI host to run python.wasm under (blessing uses wasmtime)")
    parser.add_argument("-k", "--pattern", help="only cases whose file/name matches this regex")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    python_wasm = Path(args.python_wasm).resolve()
    bless = os.environ.get("WASIPY_TEST_BLESS") == "1"
    cases = []
    skipped = 0
    for stem, case in load_cases(args.pattern):
        reason = skip_reason(args.host, case)
        if reason is None:
            cases.append((stem, case))
        else:
            skipped += 1
            print(f"skip  {stem}/{case['name']} ({reason})", flush=True)
    if args.host == "wasmtime":
        warm_compile_cache({(interpreter_for(case, python_wasm), tuple(case.get("wasmtime_flags", []))) for _, case in cases})
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_case, args.host, stem, case, python_wasm, bless): (stem, case) for stem, case in cases}
        for future in concurrent.futures.as_completed(futures):
            stem, case = futures[future]
            label = f"{stem}/{case['name']}"
            try:
                ok, detail, cmd, host_dir, status, out, err = future.result()
            except Exception as exc:  # a runner problem is a failure of that case, not of the run
                ok, detail, cmd, host_dir, status, out, err = False, repr(exc), [], "", None, "", ""
            if ok:
                passed += 1
                print(f"ok    {label}", flush=True)
            else:
                failed += 1
                print(f"FAIL  {label}\n  command: {' '.join(cmd)}\n  cwd: {host_dir}\n  status: {status}\n  {detail}", flush=True)
    print(f"{args.host}: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
