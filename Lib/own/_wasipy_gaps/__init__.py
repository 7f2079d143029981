"""Completes the stdlib under WASI: fills the gaps between RustPython's native modules and what
CPython's own WASI build offers, so that code written for POSIX works here. Imported at start-up
(src/interpreter.rs); keep it small and cheap.

One module here per stdlib module it completes, each with a `complete(module)` function; the
REGISTRY below is the one list of what is completed where. A stdlib module is completed when it
is first imported (through `AfterImportFinder`), or at once if the VM's own start-up imported it.
Builtin types cannot be changed by Python code: `TYPE_ATTRIBUTES` lists the attributes the
embedding sets on them.
"""

import importlib
import sys

# stdlib module -> "our module:function" that completes it (under _wasipy_gaps unless dotted).
REGISTRY = {
    "sys": "version:complete",  # sys.version spelled as CPython spells a pre-release (not `sys.py`: a
    # submodule named sys would be this package's `sys` attribute, shadowing the module)
    "_imp": "imp:complete",  # import_fresh_module keeps the frozen stdlib importable
    "_signal": "signal:complete_native",  # the numbers; handlers recorded, never called
    "signal": "signal:complete",  # what WASI lacks says why
    "_thread": "thread:complete",  # no thread starts; locks, RLock and local work for one thread
    "time": "time:complete",  # local time under TZ, zone attributes, CPU-time fallbacks
    "io": "io:complete",  # os.devnull opens without a /dev grant
    "os": "os:complete",  # files without modes, descriptors, getpid, _exit, missing calls
    "socket": "socket:complete",  # no sockets or name lookups under WASI, said clearly
    "fcntl": "fcntl:complete",  # the lock numbers; locking refused (WASI has no locks)
    "zoneinfo._tzpath": "zoneinfo:complete",  # the search path CPython is built with
    "multiprocessing.process": "multiprocessing:complete",  # imports; starting a process is refused
    "asyncio.selector_events": "asyncio:complete",  # an event loop without a self-pipe
    "_sqlite3": "sqlite3:install",  # SQLite's VFS with the locks and randomness WASI lacks
    "sqlite3.dbapi2": "sqlite3:complete_connect",  # a database outside the grants says so
    "_pickle": "_wasipy_pickle:guard",  # the native unpickler, guarded against bad input
    "_pytest.capture": "pytest:complete_capture",  # pytest's fd capture as sys capture (no dup)
    "_pytest.faulthandler": "pytest:complete_faulthandler",  # on stderr itself (no dup)
}


def _completion(name):
    where, function = REGISTRY[name].split(":")
    module = where if where.startswith("_wasipy") else f"{__name__}.{where}"
    return getattr(importlib.import_module(module), function)


class _CompletingLoader:
    def __init__(self, loader, name):
        self._loader = loader
        self._name = name

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _completion(self._name)(module)


class AfterImportFinder:
    """Finds nothing itself: asks the other finders, then completes the module once it has run."""

    # The names being looked up: a finder of the program's that also asks every other finder (a
    # common pattern: test recorders, import hooks) asks this one back, which must then answer
    # nothing rather than ask it again, forever.
    _finding = set()

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in REGISTRY or name in cls._finding:
            return None
        cls._finding.add(name)
        try:
            for finder in sys.meta_path:
                if finder is cls or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    spec.loader = _CompletingLoader(spec.loader, name)
                    return spec
            return None
        finally:
            cls._finding.discard(name)

    @staticmethod
    def invalidate_caches():
        pass


sys.meta_path.insert(0, AfterImportFinder)
for _name in REGISTRY:
    if _name in sys.modules:  # imported before us (by the VM's own start-up)
        _completion(_name)(sys.modules[_name])

from . import errors as _errors  # noqa: E402
from . import os as _os  # noqa: E402

# (builtin type, attribute, value), set by src/interpreter.rs at start-up.
TYPE_ATTRIBUTES = _errors.TYPE_ATTRIBUTES + _os.TYPE_ATTRIBUTES
