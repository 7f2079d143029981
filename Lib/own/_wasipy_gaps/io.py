"""Completes `io` and `open()`: `os.devnull` opens in every run. WASI hosts grant no /dev, so
opening /dev/null fails unless a host grants it; code opens it unconditionally to discard output
(pytest's logging plugin, `contextlib.redirect_stdout(open(os.devnull, 'w'))`). When the host's
/dev/null cannot be opened, `open()` (src/devnull.rs, native so that it adds no traceback frame)
gives a file that reads as empty and swallows what is written.
It has no descriptor: `fileno()` raises io.UnsupportedOperation, as for an in-memory file.
"""

import io as _io_module

DEVNULL = "/dev/null"


class NullIO(_io_module.RawIOBase):
    """The null device as a raw stream: reads end at once, writes are discarded."""

    def __init__(self, mode):
        self.name = DEVNULL
        self.mode = mode
        self._readable = "r" in mode or "+" in mode
        self._writable = any(c in mode for c in "wax+")

    def readable(self):
        return self._readable

    def writable(self):
        return self._writable

    def seekable(self):
        return True

    def seek(self, pos, whence=0):
        return 0

    def readinto(self, buffer):
        if not self._readable:
            raise _io_module.UnsupportedOperation("read")
        return 0

    def write(self, data):
        if not self._writable:
            raise _io_module.UnsupportedOperation("write")
        return len(memoryview(data))

    def fileno(self):
        raise _io_module.UnsupportedOperation("/dev/null has no descriptor under WASI (the host granted no /dev)")


def open_null(mode="r", buffering=-1, encoding=None, errors=None, newline=None):
    """What `open(os.devnull, ...)` gives when the host has no /dev/null (src/devnull.rs calls it)."""
    raw = NullIO(mode.replace("t", "").replace("b", "") + ("b" if "b" in mode else ""))
    if buffering == 0:
        if "b" not in mode:
            raise ValueError("can't have unbuffered text I/O")
        return raw
    buffered = _io_module.BufferedRandom(raw) if raw.readable() and raw.writable() else (
        _io_module.BufferedReader(raw) if raw.readable() else _io_module.BufferedWriter(raw))
    if "b" in mode:
        return buffered
    text = _io_module.TextIOWrapper(buffered, encoding, errors, newline)
    text.mode = mode
    return text


def complete(io):
    import builtins

    import _wasipy_devnull

    io.open = builtins.open = _wasipy_devnull.open
