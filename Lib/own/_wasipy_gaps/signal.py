"""Completes `_signal` and `signal`: WASI delivers no signals, but code such as `asyncio.run`
looks the numbers up and installs handlers for them, so the numbers exist (wasi-libc's
<signal.h>, the same as Linux's and as CPython's WASI build); a function WASI lacks (`alarm`,
`pause`, `setitimer`…) stays absent, so `hasattr` checks work, but the AttributeError says why.
"""

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


def add_numbers(_signal):
    for name, number in _SIGNAL_NUMBERS.items():
        if not hasattr(_signal, name):
            setattr(_signal, name, number)


def complete(signal):
    signal.__getattr__ = explain_missing("signal", UNAVAILABLE)
