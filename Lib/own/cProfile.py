"""`cProfile` without its C core (`_lsprof`, which the VM lacks): cProfile's interface over the
pure-Python profiler of the `profile` module. The measurements and reports are profile's (the
same pstats format; slower, and the profiler's own overhead shows more)."""

import profile as _profile
import sys as _sys

__all__ = ["run", "runctx", "Profile"]


class Profile(_profile.Profile):
    """cProfile.Profile: profile's profiler, with cProfile's enable(), disable() and `with`."""

    def __init__(self, timer=None, timeunit=0.0, subcalls=True, builtins=True):
        if timer is None:
            super().__init__()
        else:
            super().__init__(timer)

    def enable(self, subcalls=True, builtins=True):
        self._opened = []
        _sys.setprofile(self._dispatch)

    def _dispatch(self, frame, event, arg):
        # profile's dispatcher follows frames from their start, as runcall() starts it: the events
        # that end what began before enable() (its own return first) are not its to see.
        if event in ("call", "c_call"):
            self._opened.append(frame)
        elif event in ("return", "c_return", "c_exception"):
            if not self._opened or self._opened[-1] is not frame:
                return
            self._opened.pop()
        self.dispatcher(frame, event, arg)

    def disable(self):
        _sys.setprofile(None)

    def create_stats(self):
        self.disable()
        super().create_stats()

    def __enter__(self):
        self.enable()
        return self

    def __exit__(self, *exc_info):
        self.disable()


def run(statement, filename=None, sort=-1):
    return _profile._Utils(Profile).run(statement, filename, sort)


def runctx(statement, globals, locals, filename=None, sort=-1):
    return _profile._Utils(Profile).runctx(statement, globals, locals, filename, sort)


main = _profile.main

if __name__ == "__main__":
    main()
