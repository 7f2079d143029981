#!/usr/bin/env python3
"""The documented quick-start examples of click and rich, under python.wasm and natively: each
example's stdout, stderr and exit status must be the same. Part of `make realworld`.

    quickstarts.py --python-wasm python.wasm [--wasmtime wasmtime] [--native python3]

The wheels (pinned below) are downloaded once by pip into ~/.cache/wasipy/realworld/quickstarts/
and unpacked into a site directory, granted read-only to the guest as /site and put first on the
native interpreter's path (`-S` with PYTHONPATH: the machine's own site-packages stay out). Each
example runs in a fresh directory of its own, the guest's /work. Exit status: 0 when every example
matches, 1 otherwise (the differences printed).
"""

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEELS = ["click==8.5.1", "rich==15.0.0", "markdown-it-py==4.3.0", "mdurl==0.1.2", "pygments==2.21.0"]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "wasipy" / "realworld" / "quickstarts"

# click's quick start (click.palletsprojects.com, "Quickstart" and the README): a command with
# options and a prompt, and a group of commands.
CLICK_HELLO = '''\
import click

@click.command()
@click.option("--count", default=1, help="Number of greetings.")
@click.option("--name", prompt="Your name", help="The person to greet.")
def hello(count, name):
    """Simple program that greets NAME for a total of COUNT times."""
    for _ in range(count):
        click.echo(f"Hello, {name}!")

if __name__ == '__main__':
    hello()
'''

CLICK_GROUP = '''\
import click

@click.group()
def cli():
    pass

@cli.command()
def initdb():
    click.echo('Initialized the database')

@cli.command()
@click.argument('name')
@click.option('--force', is_flag=True, help='Drop without asking.')
def dropdb(name, force):
    """Drop the database NAME."""
    click.echo(f'Dropped the database {name}' + (' (forced)' if force else ''))

if __name__ == '__main__':
    cli()
'''

# rich's README and "Introduction" page: print with markup and emoji, a Console, a table; once
# as a pipe sees it (no styles) and once on a terminal forced on (styles as ANSI codes).
RICH_PRINT = '''\
from rich import print

def main():
    name, answer, items = "World", 42, [1, 2, 3]
    print("Hello, [bold magenta]World[/bold magenta]!", ":vampire:", locals())

main()
'''

RICH_TABLE = '''\
import sys
from rich.console import Console
from rich.table import Table

table = Table(title="Star Wars Movies")
table.add_column("Released", justify="right", style="cyan", no_wrap=True)
table.add_column("Title", style="magenta")
table.add_column("Box Office", justify="right", style="green")
table.add_row("Dec 20, 2019", "Star Wars: The Rise of Skywalker", "$952,110,690")
table.add_row("May 25, 2018", "Solo: A Star Wars Story", "$393,151,347")
table.add_row("Dec 15, 2017", "Star Wars Ep. V111: The Last Jedi", "$1,332,539,889")
table.add_row("Dec 16, 2016", "Rogue One: A Star Wars Story", "$1,332,439,889")

terminal = sys.argv[1:] == ["terminal"]
# No time or path column in the log: the clock and link ids differ from run to run.
console = Console(force_terminal=terminal, color_system="truecolor" if terminal else None, width=72,
                  log_time=False, log_path=False)
console.print(table)
console.print("Where there is a [bold cyan]Will[/bold cyan] there [u]is[/u] a [i]way[/i].", style="bold red")
console.log("logged", {"a": 1}, log_locals=False)
'''

# (name, script, arguments, stdin)
EXAMPLES = [
    ("click_hello_prompt", CLICK_HELLO, ["--count=3"], "John\n"),
    ("click_hello_help", CLICK_HELLO, ["--help"], None),
    ("click_hello_bad_option", CLICK_HELLO, ["--count=x", "--name=a"], None),
    ("click_group_command", CLICK_GROUP, ["dropdb", "--force", "prod"], None),
    ("click_group_help", CLICK_GROUP, ["--help"], None),
    ("click_group_missing_argument", CLICK_GROUP, ["dropdb"], None),
    ("rich_print", RICH_PRINT, [], None),
    ("rich_table_pipe", RICH_TABLE, [], None),
    ("rich_table_terminal", RICH_TABLE, ["terminal"], None),
]

# What both interpreters see besides the site directory: a fixed terminal size, no colour
# preferences of the machine's.
ENV = {"COLUMNS": "72", "LINES": "24", "TERM": "xterm-256color"}


def site_dir():
    """The pinned wheels, downloaded once and unpacked into one site directory."""
    return pinned_site(CACHE / "site", WHEELS)


def pinned_site(site, wheels):
    """`wheels` (name==version), downloaded once by pip into `site`'s sibling `wheels/` and
    unpacked into `site`; again only when the list changes."""
    stamp = site / ".wheels"
    if stamp.exists() and stamp.read_text() == "\n".join(wheels):
        return site
    downloads = site.parent / "wheels"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--no-deps", "-d", str(downloads), *wheels],
        check=True,
    )
    site.mkdir(parents=True, exist_ok=True)
    for requirement in wheels:
        name, version = requirement.split("==")
        prefix = f"{name.replace('-', '_').lower()}-{version}-"
        found = [w for w in downloads.glob("*.whl") if w.name.lower().startswith(prefix)]
        if not found:
            sys.exit(f"{Path(sys.argv[0]).name}: no wheel downloaded for {requirement}")
        with zipfile.ZipFile(found[0]) as wheel:
            wheel.extractall(site)
    stamp.write_text("\n".join(wheels))
    return site


def run(cmd, env, stdin, cwd):
    proc = subprocess.run(
        cmd, input=stdin.encode() if stdin is not None else None, stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True, env=env, cwd=cwd, timeout=300,
    )
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def parse_options(doc):
    """The command line realworld's side-by-side scripts share: the interpreter, the host, native."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--python-wasm", required=True)
    parser.add_argument("--wasmtime", default="wasmtime")
    parser.add_argument("--native", default=sys.executable)
    return parser.parse_args()


def main():
    options = parse_options(__doc__)
    python_wasm = os.path.abspath(options.python_wasm)  # each example runs in a directory of its own
    site = site_dir()
    failed = []
    for name, script, arguments, stdin in EXAMPLES:
        with tempfile.TemporaryDirectory(prefix="quickstart-") as tmp:
            work = Path(tmp)
            (work / "example.py").write_text(script)
            env = {"PATH": os.environ.get("PATH", ""), **ENV}
            native = run([options.native, "-S", "example.py", *arguments], {**env, "PYTHONPATH": str(site)}, stdin, work)
            guest = [options.wasmtime, "run", "--dir", f"{work}::/work", "--dir", f"{site}::/site", "--env", "PWD=/work",
                     "--env", "PYTHONPATH=/site", *[f"--env={k}={v}" for k, v in ENV.items()],
                     python_wasm, "example.py", *arguments]
            wasm = run(guest, {"PATH": env["PATH"], "HOME": os.environ.get("HOME", "/")}, stdin, work)
        # The program names itself by argv[0]'s path: the same file, at its host or guest path.
        wasm = (wasm[0], wasm[1].replace("/work/", f"{work}/"), wasm[2].replace("/work/", f"{work}/"))
        native = (native[0], native[1], native[2])
        if wasm == native:
            print(f"ok      {name}")
            continue
        failed.append(name)
        print(f"FAILED  {name}: exit {wasm[0]} under python.wasm, {native[0]} natively")
        for stream, want, got in (("stdout", native[1], wasm[1]), ("stderr", native[2], wasm[2])):
            if want != got:
                diff = difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"{stream} native", f"{stream} python.wasm")
                sys.stdout.writelines("        " + line for line in diff)
    print(f"quickstarts: {len(EXAMPLES) - len(failed)} of {len(EXAMPLES)} give CPython's output")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
