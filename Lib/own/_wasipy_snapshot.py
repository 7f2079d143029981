"""What a pre-initialised python.wasm re-reads at the start of each run.

`make` snapshots python.wasm with `wasmtime wizer` once the interpreter is built and the common
stdlib imported (src/snapshot.rs). Whatever those imports read from the host then belongs to the
build, not to the run: `resume` reads it again from the run's host. It runs at every start, so it
must stay cheap; `PRELOADED` lists what the snapshot imports, and a module is only listed here
if everything it reads from the host at import is refreshed below.
"""

import os
import sys

# Imported into the snapshot after the start-up modules: what CPython itself imports at start-up,
# what a traceback, `-m` and the REPL need, and the stdlib most scripts and web handlers use.
# `site` is imported at build time as CPython imports it at start-up, and what it looks for in the
# host is looked for again in the run's (`_refresh_site`). Not listed: modules that record the
# build's host at import with no way to refresh it (`logging` keeps its start time).
PRELOADED = (
    "site", "encodings.utf_8", "encodings.latin_1", "encodings.ascii", "io", "abc", "os", "stat",
    "posixpath", "genericpath", "codecs", "_collections_abc", "warnings", "traceback",
    "linecache", "tokenize", "runpy", "importlib", "importlib.util", "importlib.machinery",
    "types", "enum", "functools", "operator", "collections", "collections.abc", "itertools",
    "keyword", "reprlib", "re", "copy", "copyreg", "weakref", "contextlib", "string", "struct",
    "math", "random", "bisect", "heapq", "json", "datetime", "time", "dataclasses", "typing",
    "textwrap", "fnmatch", "glob", "pathlib", "shutil", "base64", "binascii", "hashlib",
    "argparse", "urllib.parse", "wsgiref.handlers", "wasipy_cgi",
)


def prepare():
    """At build time, in the init function: imports PRELOADED, then moves everything the build
    made into the collector's permanent generation, so that no collection in a run walks it."""
    import gc
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def resume(environ):
    """Hands the snapshot's interpreter to this run: `environ` is the run's environment."""
    _refresh_environ(environ)
    _refresh_clocks_and_zone()
    _reseed_random()
    _refresh_stdio()
    _refresh_site()


def finish():
    """The end of a run that took over the snapshot's interpreter: what CPython's finalisation
    does that a script could notice (atexit handlers, the run's garbage collected, every file
    still open flushed) without tearing down the modules, which the build made: that would write
    to every page of the snapshot. Returns False when stdout cannot take its last output."""
    import atexit
    import gc

    import _wasipy_gaps.os

    atexit._run_exitfuncs()
    gc.collect()  # the run's own objects: the build's are frozen
    # CPython: flush_std_files first, which leaves a closed stream alone (json.tool closes stdout)
    # and tells whether stdout took its last output; then every other file still open.
    stdout_flushed = True
    for stream in (sys.stderr, sys.stdout):
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except Exception:
            stdout_flushed = stream is not sys.stdout
    _wasipy_gaps.os.flush_open_files()
    return stdout_flushed


def _refresh_environ(environ):
    # os.environ's data is posix.environ, filled from the build's environment at import.
    data = os.environ._data
    data.clear()
    for key, value in environ.items():
        data[os.environ.encodekey(key)] = os.environ.encodevalue(value)


def _refresh_clocks_and_zone():
    import time

    import _wasipy_gaps.time

    # process_time's fallback counts from start-up: this run's, not the build's.
    _wasipy_gaps.time._START_NS = time.monotonic_ns()
    time.tzset()  # TZ is the run's


def _reseed_random():
    # random seeded itself when the snapshot imported it; the VM's own generator, which seeds
    # it, has been reseeded from the run's host (capabilities::forget_build_host).
    random = sys.modules.get("random")
    if random is not None:
        random._inst.seed()


def _refresh_site():
    # CPython's site.main, less what cannot differ between hosts (the quit/help builtins, the
    # REPL's completer hook, absolute __file__s: every module imported so far is frozen). What
    # is left looks at the run's files and variables: a virtual environment, the user's and the
    # system's site-packages (HOME, PYTHONUSERBASE, the grants), sitecustomize, usercustomize.
    site = sys.modules.get("site")
    if site is None:
        return
    known_paths = site.removeduppaths()
    known_paths = site.venv(known_paths)
    site.USER_BASE = site.USER_SITE = None
    site.ENABLE_USER_SITE = site.check_enableusersite()
    known_paths = site.addusersitepackages(known_paths)
    site.addsitepackages(known_paths)
    site.execsitecustomize()
    if site.ENABLE_USER_SITE:
        site.execusercustomize()


def _refresh_stdio():
    # Line buffering follows whether stdout is a terminal, which the build could not know.
    for stream in (sys.stdin, sys.stdout):
        if stream is not None:
            stream.reconfigure(line_buffering=stream.buffer.raw.isatty())
