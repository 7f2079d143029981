#!/usr/bin/env python3
"""Real applications that start deep in imports, under python.wasm and natively: the Django app of
examples/web/django answering requests as a CGI handler (status, headers and body the same, byte
for byte), packages whose import nests modules deeply (redis), and a linter that reads the
tokenizer's every field (pycodestyle on a file with docstrings). Part of `make realworld`.

    apps.py --python-wasm python.wasm [--wasmtime wasmtime] [--native python3]

The wheels (pinned: examples/web/django/requirements.txt and REDIS below) are downloaded once by
pip into ~/.cache/wasipy/realworld/apps/ and unpacked into one site directory per set, granted
read-only to the guest as /site and put first on the native interpreter's path (`-S` with
PYTHONPATH: the machine's own site-packages stay out). Exit status: 0 when every check gives
CPython's output, 1 otherwise (the differences printed).
"""

import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from quickstarts import parse_options, pinned_site

REPOSITORY = Path(__file__).resolve().parent.parent
DJANGO_APP = REPOSITORY / "examples" / "web" / "django"
REDIS = ["redis==8.1.0"]
PYCODESTYLE = ["pycodestyle==2.15.0"]

# A module with docstrings and multi-line strings, clean under pycodestyle's defaults but for two
# long lines: its report must be CPython's (python.wasm's tokenizer once gave a multi-line string
# only its first line, and pycodestyle reported W391 on every docstring).
LINTED = '''"""A module docstring
spanning lines.
"""


def f(x):
    """One line."""
    text = """a
b"""
    return x + len(text)  # a comment long enough to pass the limit of seventy-nine characters


class C:
    """A class.

    With a paragraph.
    """

    def m(self):
        return f\'\'\'{self!r}
\'\'\' + "a string that makes this line longer than pycodestyle's default limit allows"
'''
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "wasipy" / "realworld" / "apps"

# CGI variables every request carries (a server sets them: wsgiref and wasipy_cgi read them).
CGI_BASE = {"SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": ""}

# (name, method, path, query, form body): the page from the template, the JSON view (found and
# not), the form post.
REQUESTS = [
    ("page from a template", "GET", "/", "q=t", None),
    ("JSON view", "GET", "/items/2", "", None),
    ("JSON view, 404", "GET", "/items/9", "", None),
    ("form post", "POST", "/orders", "", "name=cup&quantity=2"),
    ("method not allowed", "POST", "/items/1", "", "x=1"),
]

# Packages whose import chains are deep: each imported in a fresh interpreter, what it prints the same.
IMPORTS = [
    ("import redis", "import redis, redis.asyncio, redis.cluster\nprint(redis.__version__, redis.Redis.__name__)"),
    ("import django's ORM and admin", "import django.contrib.admin, django.db.models, django.test\nprint(django.get_version())"),
]


def requirements(path):
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def site_dir(name, wheels):
    """The pinned wheels, downloaded once and unpacked into a site directory of their own."""
    return pinned_site(CACHE / f"site-{name}", wheels)


def run(cmd, env, stdin):
    proc = subprocess.run(
        cmd, input=stdin.encode() if stdin is not None else b"", capture_output=True, env=env, timeout=600,
    )
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def request_env(method, path, query, body):
    env = {**CGI_BASE, "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}
    if body is not None:
        env.update(CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH=str(len(body)))
    return env


def native_and_wasm(options, site, app, argv, variables, stdin):
    """One program run natively and under python.wasm, with the same variables: (native, wasm)."""
    path = os.environ.get("PATH", "")
    native_path = f"{site}:{app}" if app else str(site)
    native = run([options.native, "-S", *argv], {"PATH": path, **variables, "PYTHONPATH": native_path}, stdin)
    grants = ["--dir", f"{site}::/site", "--env", "PYTHONPATH=/site:/app" if app else "PYTHONPATH=/site"]
    if app:
        grants += ["--dir", f"{app}::/app"]
    guest = [options.wasmtime, "run", *grants, *[f"--env={k}={v}" for k, v in variables.items()],
             os.path.abspath(options.python_wasm), *[a.replace(str(app), "/app") if app else a for a in argv]]
    wasm = run(guest, {"PATH": path, "HOME": os.environ.get("HOME", "/")}, stdin)
    return native, wasm


def compare(name, native, wasm, failed):
    # Only stdout and the status: the guest's stderr names guest paths.
    if (native[0], native[1]) == (wasm[0], wasm[1]):
        print(f"ok      {name}")
        return
    failed.append(name)
    print(f"FAILED  {name}: exit {wasm[0]} under python.wasm, {native[0]} natively")
    diff = difflib.unified_diff(native[1].splitlines(True), wasm[1].splitlines(True), "stdout native", "stdout python.wasm")
    sys.stdout.writelines("        " + line for line in diff)
    if wasm[2]:
        sys.stdout.writelines("        " + line for line in wasm[2].splitlines(True)[-12:])


def main():
    options = parse_options(__doc__)
    failed = []
    django_site = site_dir("django", requirements(DJANGO_APP / "requirements.txt"))
    for name, method, path, query, body in REQUESTS:
        native, wasm = native_and_wasm(options, django_site, DJANGO_APP, [str(DJANGO_APP / "handler.py")],
                                       request_env(method, path, query, body), body)
        compare(f"django: {name}", native, wasm, failed)
    redis_site = site_dir("redis", REDIS)
    for name, code in IMPORTS:
        site = redis_site if "redis" in name else django_site
        native, wasm = native_and_wasm(options, site, None, ["-c", code], {}, None)
        compare(name, native, wasm, failed)
    lint_site = site_dir("pycodestyle", PYCODESTYLE)
    with tempfile.TemporaryDirectory(prefix="apps-") as work:
        (Path(work) / "linted.py").write_text(LINTED)
        native, wasm = native_and_wasm(options, lint_site, Path(work), ["-m", "pycodestyle", str(Path(work) / "linted.py")], {}, None)
        compare("pycodestyle on a file with docstrings", native, (wasm[0], wasm[1].replace("/app/", f"{work}/"), wasm[2]), failed)
    total = len(REQUESTS) + len(IMPORTS) + 1
    print(f"apps: {total - len(failed)} of {total} give CPython's output")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
