"""Fills the gaps between RustPython's stdlib and what CPython's own WASI build offers, so that
stdlib modules written for POSIX work under WASI. Imported at start-up; keep it small and cheap.

- `signal`: the signal numbers (wasi-libc's, the same as Linux's). WASI delivers no signals, but
  code such as `asyncio.run` looks the numbers up and installs handlers for them.
- `time`: the zone attributes (`tzname`, `timezone`, `altzone`, `daylight`) that `_strptime` and
  `datetime.strptime` need. WASI has no time zone database: python.wasm's local time is UTC.
- `OSError.strerror`: on WASI the VM takes an error's text from Rust's `io::Error`, which appends
  " (os error N)"; CPython shows the C library's text alone. `OSERROR_STRERROR` is the `strerror`
  descriptor without that suffix; `interpreter.rs` installs it on `OSError` (a builtin type, which
  Python code cannot change), so `str(exc)`, tracebacks and `exc.strerror` all read as CPython's.
  When the path lies outside every directory the host granted, the text says so and names the
  grants: the sandbox refused it, the file is not necessarily missing.
- `asyncio`'s selector event loop wakes itself through a socketpair "self-pipe"; WASI preview 1
  has no socketpair. A single-threaded WASI program never needs that wake-up, so the loop runs
  without one (applied when `asyncio.selector_events` is first imported).
"""

import sys

import _signal
import time

# wasi-libc <signal.h>; the numbering CPython's WASI build exposes.
_SIGNAL_NUMBERS = {
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGBUS": 7,
    "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13,
    "SIGALRM": 14, "SIGTERM": 15, "SIGCHLD": 17, "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20,
    "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25, "SIGVTALRM": 26,
    "SIGPROF": 27, "SIGWINCH": 28, "SIGPOLL": 29, "SIGPWR": 30, "SIGSYS": 31,
}
for _name, _number in _SIGNAL_NUMBERS.items():
    if not hasattr(_signal, _name):
        setattr(_signal, _name, _number)


if not hasattr(time, "tzname"):
    time.tzname = ("UTC", "UTC")
    time.timezone = 0
    time.altzone = 0
    time.daylight = 0


def _without_rust_suffix(text):
    if isinstance(text, str) and text.endswith(")"):
        head, sep, number = text[:-1].rpartition(" (os error ")
        if sep and number.isdigit():
            return head
    return text


def _inside(path, root):
    root = root.rstrip("/")
    return root == "" or path == root or path.startswith(root + "/")


def _refusal_hint(exc):
    """' (… not inside a granted directory …)' when `exc` is about a path the sandbox hides."""
    import errno
    import posixpath

    import wasi

    if exc.errno not in (errno.ENOENT, errno.EACCES, errno.EPERM, getattr(errno, "ENOTCAPABLE", 76)):
        return ""
    filename = exc.filename
    if not isinstance(filename, str) or not filename:
        return ""
    grants = [guest for guest, _writable in wasi.preopens()]
    if "." in grants:  # `--dir .`: the grant is the guest's whole tree
        return ""
    try:
        cwd = posixpath.normpath(__import__("os").getcwd())
    except OSError:
        cwd = "/"
    path = posixpath.normpath(posixpath.join(cwd, filename))
    granted = ", ".join(grants) if grants else "none"
    if any(_inside(path, grant) for grant in grants):
        # Inside a grant by name, yet refused (not merely missing): a symbolic link led out of it.
        if exc.errno in (errno.EPERM, getattr(errno, "ENOTCAPABLE", 76)):
            return f" ({path} leads outside the granted directories, e.g. through a symbolic link; granted: {granted})"
        return ""
    return f" ({path} is not inside a granted directory; granted: {granted}; grant it with --dir)"


def _strerror_text(exc):
    text = _without_rust_suffix(_strerror.__get__(exc, type(exc)))
    if isinstance(text, str):
        text += _refusal_hint(exc)
    return text


_strerror = OSError.__dict__["strerror"]
OSERROR_STRERROR = property(
    _strerror_text,
    _strerror.__set__,
    None,
    _strerror.__doc__,
)


def _loop_without_self_pipe(module):
    loop = module.BaseSelectorEventLoop
    loop._ssock = loop._csock = None
    loop._make_self_pipe = lambda self: None
    loop._close_self_pipe = lambda self: None


_AFTER_IMPORT = {"asyncio.selector_events": _loop_without_self_pipe}


class _PatchingLoader:
    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)


class AfterImportFinder:
    """Finds nothing itself: asks the other finders, then patches the module once it has run."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        patch = _AFTER_IMPORT.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is cls or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                spec.loader = _PatchingLoader(spec.loader, patch)
                return spec
        return None

    @staticmethod
    def invalidate_caches():
        pass


sys.meta_path.insert(0, AfterImportFinder)
