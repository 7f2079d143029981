"""Completes `fcntl`: WASI preview 1 has no file locks. The LOCK_* and F_*LCK numbers exist
(portalocker and others read them at import), and `flock`/`lockf` check the descriptor, then
raise OSError(ENOSYS) saying so, the errno that lock libraries (filelock) read as "this file system
cannot lock; use another kind of lock"."""

import errno
import os

LOCKS = "file locks are not available under WASI (preview 1 has no locking)"
_NUMBERS = {
    "LOCK_SH": 1, "LOCK_EX": 2, "LOCK_NB": 4, "LOCK_UN": 8,
    "F_RDLCK": 0, "F_WRLCK": 1, "F_UNLCK": 2, "F_GETLK": 5, "F_SETLK": 6, "F_SETLKW": 7,
}


def complete(fcntl):
    for name, number in _NUMBERS.items():
        if not hasattr(fcntl, name):
            setattr(fcntl, name, number)
    for function in (flock, lockf):
        if not hasattr(fcntl, function.__name__):
            function.__module__ = "fcntl"
            setattr(fcntl, function.__name__, function)


def _check(fd):
    if hasattr(fd, "fileno"):
        fd = fd.fileno()
    os.fstat(fd)  # EBADF for a descriptor that is not open, as CPython's flock reports


def flock(fd, operation, /):
    _check(fd)
    raise OSError(errno.ENOSYS, LOCKS)


def lockf(fd, cmd, len=0, start=0, whence=0, /):
    _check(fd)
    raise OSError(errno.ENOSYS, LOCKS)
