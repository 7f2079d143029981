"""Keeps the VM's native unpickler (_pickle) away from memo indices that abort python.wasm.

rustpython-stdlib 0.6.0's native Unpickler grows its memo to `index + 1` entries on PUT and
LONG_BINPUT: an index of 2**32-1 overflows on wasm32 (a panic) and a large one asks for gigabytes
(an abort), a trap either way. `_wasipy_pickle_scan.largest_memo_put` (src/pickle_scan.rs) reads
the opcodes without running them; data that stores to an index of LARGE_MEMO_INDEX or more is
unpickled by the pure-Python unpickler of `pickle`, whose memo is a dict: it raises ValueError for
a negative LONG_BINPUT, as CPython does, and otherwise loads the data. Everything else still takes
the native path. `guard` is applied to `_pickle` when it is imported (`_wasipy_gaps`).
"""

import io

from _wasipy_pickle_scan import largest_memo_put

# No pickler numbers this many objects in one pickle; the native memo would take 4 MiB here.
LARGE_MEMO_INDEX = 1 << 20


def _is_safe(data):
    return largest_memo_put(data) < LARGE_MEMO_INDEX


def _remaining(file):
    """What is left to read of `file`, without consuming it; None if it cannot be read again."""
    try:
        if not file.seekable():
            return None
        if isinstance(file, io.BytesIO):
            return file.getbuffer()[file.tell():]
        position = file.tell()
        data = file.read()
        file.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return data if isinstance(data, (bytes, bytearray)) else None


def guard(_pickle):
    native_loads = _pickle.loads
    NativeUnpickler = _pickle.Unpickler

    def loads(data, /, *, fix_imports=True, encoding="ASCII", errors="strict", buffers=()):
        options = dict(fix_imports=fix_imports, encoding=encoding, errors=errors, buffers=buffers)
        if _is_safe(data):
            return native_loads(data, **options)
        import pickle

        return pickle._loads(data, **options)

    def load(file, *, fix_imports=True, encoding="ASCII", errors="strict", buffers=()):
        return Unpickler(file, fix_imports=fix_imports, encoding=encoding, errors=errors, buffers=buffers).load()

    class Unpickler(NativeUnpickler):
        __doc__ = NativeUnpickler.__doc__

        def __init__(self, file, *, fix_imports=True, encoding="ASCII", errors="strict", buffers=()):
            super().__init__(file, fix_imports=fix_imports, encoding=encoding, errors=errors, buffers=buffers)
            self._wasipy_file = file
            self._wasipy_options = dict(fix_imports=fix_imports, encoding=encoding, errors=errors, buffers=buffers)

        def load(self):
            if not hasattr(self, "_wasipy_file"):
                return super().load()  # __init__ was not called: the native one says so
            data = _remaining(self._wasipy_file)
            safe = data is not None and _is_safe(data)
            del data  # a BytesIO's buffer view would keep it from growing
            if safe:
                return super().load()
            import pickle

            fallback = pickle._Unpickler(self._wasipy_file, **self._wasipy_options)
            # A subclass's hooks apply on either path.
            fallback.find_class = self.find_class
            if hasattr(self, "persistent_load"):
                fallback.persistent_load = self.persistent_load
            return fallback.load()

    Unpickler.__module__ = NativeUnpickler.__module__
    Unpickler.__qualname__ = Unpickler.__name__ = NativeUnpickler.__name__
    # staticmethod: like the native functions they replace, they do not bind as methods when a
    # class stores them (test_pickle's `loads = _pickle.loads`).
    _pickle.loads, _pickle.load, _pickle.Unpickler = staticmethod(loads), staticmethod(load), Unpickler
