"""Completes `_signal` and `signal`: WASI delivers no signals, but code such as `asyncio.run`
looks the numbers up and installs handlers for them, so the numbers exist (wasi-libc's
<signal.h>, the same as Linux's and as CPython's WASI build) and `signal.signal` records a
handler and gives back the one before, as in CPython's WASI build (pycodestyle sets SIGPIPE's);
nothing ever calls it. A function WASI lacks (`alarm`, `pause`, `setitimer`…) stays absent, so
`hasattr` checks work, but the AttributeError says why.
"""

import errno as _errno

from ._missing import explain_missing

_SIGNAL_NUMBERS = {
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGBUS": 7,
    "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13,
    "SIGALRM": 14, "SIGTERM": 15, "SIGCHLD": 17, "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20,
    "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25, "SIGVTALRM": 26,
    "SIGPROF": 27, "SIGWINCH": 28, "SIGPOLL": 29, "SIGPWR": 30, "SIGSYS": 31,
}

SIGNALS = "signals are not available under WASI"
UNAVAILABLE = dict.fromkeys(
    ("alarm", "pause", "setitimer", "getitimer", "siginterrupt", "pthread_kill", "sigwait",
     "sigtimedwait", "sigpending", "pthread_sigmask", "raise_signal"), SIGNALS)


def complete_native(_signal):
    for name, number in _SIGNAL_NUMBERS.items():
        if not hasattr(_signal, name):
            setattr(_signal, name, number)
    # The handlers CPython starts with: SIGINT's raises KeyboardInterrupt, SIGPIPE is ignored.
    handlers = {_signal.SIGINT: _signal.default_int_handler, _signal.SIGPIPE: _signal.SIG_IGN}

    def signal(signalnum, handler, /):
        """Set the action for the given signal (recorded: WASI delivers no signal)."""
        signalnum = _signal_number(_signal, signalnum)
        if signalnum in (_signal.SIGKILL, _signal.SIGSTOP):
            raise OSError(_errno.EINVAL, "Invalid argument")
        if not callable(handler) and handler not in (_signal.SIG_DFL, _signal.SIG_IGN):
            raise TypeError("signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object")
        previous = handlers.get(signalnum, _signal.SIG_DFL)
        handlers[signalnum] = handler
        return previous

    def getsignal(signalnum, /):
        """Return the current action for the given signal."""
        return handlers.get(_signal_number(_signal, signalnum), _signal.SIG_DFL)

    _signal.signal, _signal.getsignal = signal, getsignal


def _signal_number(_signal, signalnum):
    signalnum = signalnum.__index__()
    if not 1 <= signalnum < _signal.NSIG:
        raise ValueError("signal number out of range")
    return signalnum


def complete(signal):
    signal.__getattr__ = explain_missing("signal", UNAVAILABLE)
