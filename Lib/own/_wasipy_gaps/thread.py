"""Completes `_thread`, the VM's stand-in for a build without threads (wasm32-wasip1 has none).

- Starting a thread raises RuntimeError, as in CPython's WASI build.
- `RLock` has the owner protocol `threading.Condition` relies on (`_is_owned`, `_release_save`,
  `_acquire_restore`): without it, `Condition.notify()` under a held RLock says "cannot notify
  on un-acquired lock" (concurrent.futures hits this).
- `_local` (`threading.local`): with one thread, thread-local data is the object's own attributes.
  The stand-in's kept them in a hidden dict that only its own `__init__` made, so a subclass whose
  `__init__` does not call `super().__init__()` (a dataclass: rich's Console) lost them, and
  there was no `__dict__` (click).
"""


def _no_threads(*args, **kwargs):
    raise RuntimeError("can't start new thread: threads are not available under WASI (wasm32-wasip1)")


class RLock:
    """A re-entrant lock for the one thread there is: it counts acquisitions and never waits."""

    def __init__(self):
        self._count = 0

    def acquire(self, blocking=True, timeout=-1):
        self._count += 1
        return True

    __enter__ = acquire

    def release(self):
        if not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1

    def __exit__(self, *exc_info):
        self.release()

    def locked(self):
        return self._count > 0

    def _is_owned(self):
        return self._count > 0

    def _recursion_count(self):
        return self._count

    def _release_save(self):
        if not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        count, self._count = self._count, 0
        return count, _get_ident()

    def _acquire_restore(self, state):
        self._count = state[0]

    def _at_fork_reinit(self):
        self._count = 0

    def __repr__(self):
        state = "locked" if self._count else "unlocked"
        owner = _get_ident() if self._count else 0
        return (f"<{state} {type(self).__module__}.{type(self).__qualname__} object owner={owner} "
                f"count={self._count} at {hex(id(self))}>")


class _local:
    """Thread-local data (`threading.local`): with one thread, the object's own attributes."""

    def __new__(cls, /, *args, **kwargs):
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        return object.__new__(cls)


def _get_ident():
    import _thread

    return _thread.get_ident()


def complete(_thread):
    for name in ("start_new_thread", "start_new", "start_joinable_thread"):
        if hasattr(_thread, name):
            setattr(_thread, name, _no_threads)
    for cls in (RLock, _local):
        cls.__module__ = "_thread"
        setattr(_thread, cls.__name__, cls)
