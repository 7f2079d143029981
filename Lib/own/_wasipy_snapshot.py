"""What a pre-initialised python.wasm re-reads at the start of each run.

`make` snapshots python.wasm with `wasmtime wizer` once the interpreter is built and the common
stdlib imported (src/snapshot.rs); `wasipy snapshot` cuts an app snapshot the same way, with the
app's modules and init script run after them. Whatever those imports read from the host then
belongs to the build, not to the run: `resume` reads it again from the run's host. It runs at
every start, so it must stay cheap; `PRELOADED` lists what the snapshot imports, and a module is
only listed here if everything it reads from the host at import is refreshed below. An app's
modules are the app's to keep refreshable (README, *App snapshots*); what the stdlib records at
import that they may pull in is refreshed here too (`logging`'s start time, the process id).
"""

import os
import sys

# Imported into the snapshot after the start-up modules: what CPython itself imports at start-up,
# what a traceback, `-m` and the REPL need, and the stdlib most scripts and web handlers use.
# `site` is imported at build time as CPython imports it at start-up, and what it looks for in the
# host is looked for again in the run's (`_refresh_site`). Not listed: modules that record the
# build's host at import with no way to refresh it (`logging` keeps its start time), and `base64`,
# the one that earned least for its bytes (0.9 ms to import, 0.1 MB of the heap: bench/README.md).
PRELOADED = (
    "site", "encodings.utf_8", "encodings.latin_1", "encodings.ascii", "io", "abc", "os", "stat",
    "posixpath", "genericpath", "codecs", "_collections_abc", "warnings", "traceback",
    "linecache", "tokenize", "runpy", "importlib", "importlib.util", "importlib.machinery",
    "types", "enum", "functools", "operator", "collections", "collections.abc", "itertools",
    "keyword", "reprlib", "re", "copy", "copyreg", "weakref", "contextlib", "string", "struct",
    "math", "random", "bisect", "heapq", "json", "datetime", "time", "dataclasses", "typing",
    "textwrap", "fnmatch", "glob", "pathlib", "shutil", "binascii", "hashlib",
    "argparse", "urllib.parse", "wsgiref.handlers", "wasipy_cgi",
)


# The generators an app snapshot's modules created without a seed (`random.Random()`): CPython
# seeds those from the system per process, so every run reseeds them from its host. Filled only
# while the app is prepared (`_track_unseeded_generators`).
_UNSEEDED_GENERATORS = set()


# A component's request handler (`wasipy snapshot --component --handler SCRIPT`): `(path, code)`,
# the script compiled at the cut, run once per request by `_wasipy_component` (a component has no
# files to read it from).
HANDLER = None


def prepare(preload=(), init_script=None, embed=(), working_dir=None, request_variables=(), handler=None):
    """At build time, in the init function: imports PRELOADED, then an app's `preload` modules
    (looked for first in `working_dir`, as `python -c 'import NAME'` run there would) and its
    `init_script` (its top level, as module `__wasipy_init__`, its directory first on sys.path),
    keeps a copy of the `.py` files under the `embed` directories (`_wasipy_embedded`), then
    moves everything the build made into the collector's permanent generation, so that no
    collection in a run walks it. `request_variables` carried the request: the app must not see
    them. A component's `handler` script is compiled and kept (`HANDLER`)."""
    global HANDLER
    import gc
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    for name in request_variables:
        os.environ.pop(name, None)
    if preload or init_script:
        import random
        import runpy

        with _track_unseeded_generators(random):
            for name in preload:
                with _first_on_sys_path(working_dir):
                    importlib.import_module(name)
            if init_script:
                with _first_on_sys_path(os.path.dirname(init_script)):
                    runpy.run_path(init_script, run_name="__wasipy_init__")
    if handler:
        with open(handler, "rb") as file:
            HANDLER = (handler, compile(file.read(), handler, "exec"))
    if embed:
        import _wasipy_embedded

        _wasipy_embedded.embed(embed)
    gc.collect()
    gc.freeze()


class _first_on_sys_path:
    # sys.path[0] for the app's imports, as a run's is; the snapshot keeps the sys.path a run builds.
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        if self.path is not None:
            sys.path.insert(0, self.path)

    def __exit__(self, *exc_info):
        if self.path is not None and self.path in sys.path:
            sys.path.remove(self.path)


class _track_unseeded_generators:
    # `Random.__init__` and `Random.seed` both end in `Random.seed(self, a)`; `a is None` asks for
    # the system's randomness. Subclasses with a seed of their own (SystemRandom) are not followed.
    def __init__(self, random):
        self.random = random
        self.original = random.Random.seed

    def __enter__(self):
        original = self.original

        def seed(generator, a=None, version=2):
            original(generator, a, version)
            if a is None:
                _UNSEEDED_GENERATORS.add(generator)
            else:
                _UNSEEDED_GENERATORS.discard(generator)

        self.random.Random.seed = seed

    def __exit__(self, *exc_info):
        self.random.Random.seed = self.original


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

    import _wasipy_gaps.os
    import _wasipy_gaps.time

    # process_time's fallback counts from start-up: this run's, not the build's.
    _wasipy_gaps.time._START_NS = time.monotonic_ns()
    # The process id is drawn once per run, on first use: an app's cut may have used the build's.
    _wasipy_gaps.os.forget_pid()
    # logging's relativeCreated counts from the import of logging, which an app's cut may hold.
    logging = sys.modules.get("logging")
    if logging is not None:
        logging._startTime = time.time_ns()
    time.tzset()  # TZ is the run's


def _reseed_random():
    # random seeded itself when the snapshot imported it; the VM's own generator, which seeds
    # it, has been reseeded from the run's host (capabilities::forget_build_host).
    random = sys.modules.get("random")
    if random is not None:
        random._inst.seed()
    for generator in _UNSEEDED_GENERATORS:
        generator.seed()


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
