"""Fills the gaps between RustPython's stdlib and what CPython's own WASI build offers, so that
stdlib modules written for POSIX work under WASI. Imported at start-up; keep it small and cheap.

- `signal`: the signal numbers (wasi-libc's, the same as Linux's). WASI delivers no signals, but
  code such as `asyncio.run` looks the numbers up and installs handlers for them.
- `time`: the VM converts local time by `TZ` (POSIX rules and zone names; UTC when unset) but
  numbers `tm_wday` from Sunday, never sets `tm_isdst`, ignores it in `mktime`, has no zone
  attributes (`tzname`, `timezone`, `altzone`, `daylight`, which `_strptime` needs) and leaves
  `strftime`'s `%Z`/`%z` literal. `gmtime`/`localtime`/`mktime`/`strftime`/`tzset` here fix that.
- `socket`: WASI preview 1 cannot open a socket or resolve a name; `socket.socket()` and
  `getaddrinfo` say so with `OSError(ENOTSUP)` (a descriptor the host handed over still works).
- `os.listdir(fd)`/`os.scandir(fd)` read the directory through `wasi.readdir`, and `DirEntry.stat()`
  reports permission bits as `os.stat` does; `os.fwalk` walks by descriptors through them. `os.dup`/`dup2` stay absent: WASI has no way to
  duplicate a descriptor (its `fd_renumber` moves one, closing the original).
- `OSError.strerror`: on WASI the VM takes an error's text from Rust's `io::Error`, which appends
  " (os error N)"; CPython shows the C library's text alone. A `strerror` descriptor without
  that suffix goes on `OSError` (see TYPE_ATTRIBUTES), so `str(exc)`, tracebacks and `exc.strerror` all read as CPython's.
  When the path lies outside every directory the host granted, the text says so and names the
  grants: the sandbox refused it, the file is not necessarily missing.
- `os` (patched when first imported): WASI files have no permission modes, so `stat` reports
  what a fresh file gets under umask 022 (0o644, directories 0o755: archives made here extract
  readable), `chmod`/`fchmod`/`lchmod` check that the file exists and change nothing, every descriptor is
  close-on-exec (`get_inheritable`/`set_inheritable`: WASI runs no other programs), and `umask` keeps a value that nothing
  uses (as CPython's WASI build); `symlink` goes through WASI's `path_symlink`; `access` answers from `stat` and the grant's rights; `chdir`
  keeps the cwd normalised (wasi-libc would keep `/work/sub/..`); `getpid` is a number drawn once
  per run (WASI has no process ids: it tells runs apart and nothing more); `_exit` flushes what
  Python buffered (print output, open files) before it ends the run, so nothing written is lost. A process or signal
  function WASI lacks (`fork`, `kill`, `system`, `alarm`…) stays absent, so `hasattr` feature
  checks keep working, but the AttributeError says why.
- `time`: `process_time`/`thread_time` fall back to the time since start-up where the host has no
  CPU-time clocks (wasmtime has none).
- `_thread`: starting a thread raises RuntimeError, as in CPython's WASI build (wasm32-wasip1 has
  no threads); locks work.
- `_imp._override_frozen_modules_for_tests(-1)` (test.support's `import_fresh_module`) would switch
  the frozen importer off, expecting the stdlib's .py files on sys.path as in CPython. Here the
  stdlib exists only frozen, so switching it off would leave nothing to import: a negative value
  is taken as "default" (frozen modules on). Re-importing a frozen module fresh still works.
- `asyncio`'s selector event loop wakes itself through a socketpair "self-pipe"; WASI preview 1
  has no socketpair. A single-threaded WASI program never needs that wake-up, so the loop runs
  without one (applied when `asyncio.selector_events` is first imported).
"""

import sys

import _imp
import _signal
import _thread
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


_native_gmtime = time.gmtime
_native_localtime = time.localtime
_native_mktime = time.mktime
_native_strftime = time.strftime


def _tzset():
    """Reads the zone of `TZ` (a POSIX rule such as `EST+05EDT,M3.2.0,M11.1.0`, or a zone name the
    VM knows, such as `Europe/Paris`; UTC when unset) into tzname/timezone/altzone/daylight, the
    way CPython does: from the offsets of 1 January and 1 July of this year."""
    year = _native_localtime().tm_year
    january = _native_localtime(_native_mktime((year, 1, 1, 0, 0, 0, 0, 1, -1)))
    july = _native_localtime(_native_mktime((year, 7, 1, 0, 0, 0, 0, 182, -1)))
    # Standard time has the smaller UTC offset (summer time is January in the south).
    standard, summer = (january, july) if january.tm_gmtoff <= july.tm_gmtoff else (july, january)
    time.tzname = (standard.tm_zone, summer.tm_zone)
    time.timezone = -standard.tm_gmtoff
    time.altzone = -summer.tm_gmtoff
    time.daylight = int(january.tm_gmtoff != july.tm_gmtoff)


def _struct_time(native, isdst):
    # The VM numbers tm_wday from Sunday; Python's week starts on Monday (0).
    fields = list(native[:9])
    fields[6] = (fields[6] + 6) % 7
    fields[8] = isdst
    return time.struct_time(fields + [native.tm_zone, native.tm_gmtoff])


def _gmtime(*seconds):
    return _struct_time(_native_gmtime(*seconds), 0)


def _localtime(*seconds):
    native = _native_localtime(*seconds)
    return _struct_time(native, int(bool(time.daylight) and native.tm_gmtoff == -time.altzone))


def _mktime(t):
    """time.mktime, honouring an explicit tm_isdst of 0 or 1 as CPython does (the VM ignores it)."""
    result = _native_mktime(t)
    wanted = t[8]
    if wanted in (0, 1):
        actual = _localtime(result).tm_isdst
        # Where the zone has no summer time, the C library takes tm_isdst=1 as one hour ahead.
        shift = time.timezone - time.altzone if time.daylight else 3600
        result += shift * (actual - wanted)
    return result


def _zone_of(t):
    """(name, UTC offset in seconds) of the time tuple `t`, local time when None."""
    if t is None:
        t = _localtime()
    zone, offset = getattr(t, "tm_zone", None), getattr(t, "tm_gmtoff", None)
    if zone is None:
        zone = time.tzname[len(t) > 8 and t[8] > 0]
    # As CPython: a plain tuple carries no offset, and %z prints +0000 for it.
    return zone, offset or 0


def _strftime(format, t=None):
    """time.strftime with the zone directives, which the VM leaves literal under WASI."""
    out, i = [], 0
    while i < len(format):
        pair = format[i:i + 2]
        if pair in ("%Z", "%z"):
            zone, offset = _zone_of(t)
            if pair == "%Z":
                out.append(zone.replace("%", "%%"))
            else:
                sign = "-" if offset < 0 else "+"
                hours, minutes = divmod(abs(offset) // 60, 60)
                out.append(f"{sign}{hours:02d}{minutes:02d}")
        elif pair[:1] == "%" and len(pair) == 2:
            out.append(pair)
        else:
            out.append(format[i])
            i += 1
            continue
        i += 2
    return _native_strftime("".join(out), *(() if t is None else (t,)))


_tzset()
time.tzset = _tzset
time.gmtime = _gmtime
time.localtime = _localtime
time.mktime = _mktime
if _native_strftime("%Z", _native_gmtime(0)) == "%Z":
    time.strftime = _strftime

_START_NS = time.monotonic_ns()


def _cpu_clock_fallback(native_ns):
    try:
        native_ns()
        return None
    except NotImplementedError:
        return lambda: time.monotonic_ns() - _START_NS


_FALLBACK_CLOCKS = set()
for _name in ("process_time", "thread_time"):
    _fallback = _cpu_clock_fallback(getattr(time, _name + "_ns"))
    if _fallback is not None:
        setattr(time, _name + "_ns", _fallback)
        setattr(time, _name, lambda _ns=_fallback: _ns() / 1e9)
        _FALLBACK_CLOCKS.add(_name)

# time's clock names -> the WASI clocks behind them (for the host's real resolution).
_WASI_CLOCKS = {"time": "realtime", "monotonic": "monotonic", "perf_counter": "monotonic",
                "process_time": "process_cputime", "thread_time": "thread_cputime"}
_native_get_clock_info = time.get_clock_info


def _get_clock_info(name):
    """time.get_clock_info with the host's resolution (clock_res_get) and the CPU-time fallback."""
    import types

    import wasi

    if name in _FALLBACK_CLOCKS:
        info = types.SimpleNamespace(
            implementation=f"monotonic time since start-up (the WASI host has no {name} clock)",
            monotonic=True, adjustable=False, resolution=_native_get_clock_info("monotonic").resolution)
    else:
        info = _native_get_clock_info(name)
    nanoseconds = wasi.clock_resolutions().get(_WASI_CLOCKS.get(name, ""))
    if nanoseconds:
        info.resolution = nanoseconds / 1e9
    return info


time.get_clock_info = _get_clock_info


def _no_threads(*args, **kwargs):
    raise RuntimeError("can't start new thread: threads are not available under WASI (wasm32-wasip1)")


for _name in ("start_new_thread", "start_new", "start_joinable_thread"):
    if hasattr(_thread, _name):
        setattr(_thread, _name, _no_threads)

# What WASI preview 1 cannot do, by the module that would have it: name -> what is missing.
_PROCESSES = "processes are not available under WASI"
_SIGNALS = "signals are not available under WASI"
_UNAVAILABLE = {
    "os": dict.fromkeys(
        ("fork", "forkpty", "kill", "killpg", "system", "execv", "execve", "execvp", "execl", "execlp",
         "spawnv", "spawnl", "posix_spawn", "posix_spawnp", "wait", "waitpid", "wait3", "wait4",
         "getppid", "setsid", "nice", "popen"), _PROCESSES)
    | dict.fromkeys(("dup", "dup2"), "WASI preview 1 cannot duplicate a file descriptor"),
    "signal": dict.fromkeys(
        ("alarm", "pause", "setitimer", "getitimer", "siginterrupt", "pthread_kill", "sigwait",
         "sigtimedwait", "sigpending", "pthread_sigmask", "raise_signal"), _SIGNALS),
}


def _explain_missing(module_name):
    reasons = _UNAVAILABLE[module_name]

    def __getattr__(name):
        if name in reasons:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r} ({reasons[name]})")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__


def _absolute(path):
    """`path` made absolute against the cwd and normalised, as the host will resolve it."""
    import posixpath

    try:
        cwd = __import__("os").getcwd()
    except OSError:
        cwd = "/"
    return posixpath.normpath(posixpath.join(cwd, path))


def _grant_holding(path, grants):
    """The (guest path, writable) grant that holds the absolute `path`, or None."""
    for guest, writable in grants:
        if guest == "." or _inside(path, guest):  # `--dir .`: the grant is the guest's whole tree
            return guest, writable
    return None


_STAT_EXTRA_FIELDS = ("st_atime", "st_mtime", "st_ctime", "st_atime_ns", "st_mtime_ns", "st_ctime_ns",
                      "st_blksize", "st_blocks", "st_rdev")


def _with_mode_bits(result):
    """`result` with the permission bits of a fresh file under umask 022, where WASI gives none."""
    import os
    import stat as _stat

    mode = result.st_mode
    if mode & 0o7777:
        return result
    bits = 0o755 if _stat.S_ISDIR(mode) else 0o777 if _stat.S_ISLNK(mode) else 0o644
    extra = {name: getattr(result, name) for name in _STAT_EXTRA_FIELDS if hasattr(result, name)}
    return os.stat_result((mode | bits,) + tuple(result)[1:], extra)


class _FdDirEntry:
    """An entry of `os.scandir(fd)`: as CPython's DirEntry for a descriptor, `path` is the name and
    `stat()` looks it up relative to the descriptor."""

    __slots__ = ("name", "path", "_dir_fd", "_file_type", "_inode")

    def __init__(self, dir_fd, name, file_type, inode):
        self.name = self.path = name
        self._dir_fd, self._file_type, self._inode = dir_fd, file_type, inode

    def inode(self):
        return self._inode

    def is_symlink(self):
        return self._file_type == 7

    def _is(self, file_type, follow_symlinks):
        if follow_symlinks and self.is_symlink():
            import stat as _stat

            try:
                mode = self.stat().st_mode
            except OSError:
                return False
            return (_stat.S_ISDIR if file_type == 3 else _stat.S_ISREG)(mode)
        return self._file_type == file_type

    def is_dir(self, *, follow_symlinks=True):
        return self._is(3, follow_symlinks)

    def is_file(self, *, follow_symlinks=True):
        return self._is(4, follow_symlinks)

    def is_junction(self):
        return False

    def stat(self, *, follow_symlinks=True):
        import os

        return os.stat(self.name, dir_fd=self._dir_fd, follow_symlinks=follow_symlinks)

    def __fspath__(self):
        return self.path

    def __repr__(self):
        return f"<DirEntry {self.name!r}>"


class _FdScandirIterator:
    def __init__(self, fd, entries):
        self._entries = iter([_FdDirEntry(fd, *entry) for entry in entries])

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._entries)

    def close(self):
        self._entries = iter(())

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _fwalk(os, top=".", topdown=True, onerror=None, *, follow_symlinks=False, dir_fd=None):
    """os.fwalk: like os.walk, but yields (dirpath, dirnames, filenames, dirfd), with `dirfd` open
    on dirpath until the next step. os.py defines it only where scandir(fd) is in supports_fd,
    which we leave out (see `_patch_os`), so it is written here on the same descriptor calls."""
    sys.audit("os.fwalk", top, topdown, onerror, follow_symlinks, dir_fd)
    top = os.fspath(top)
    yield from _fwalk_into(os, top, dir_fd, top, topdown, onerror, follow_symlinks)


def _fwalk_into(os, name, parent_fd, dir_path, topdown, onerror, follow_symlinks):
    """Opens directory `name` (relative to `parent_fd`) and walks it, closing it afterwards."""
    try:
        link_stat = None if follow_symlinks else os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        dir_fd = os.open(name, os.O_RDONLY, dir_fd=parent_fd)
    except OSError as err:
        if onerror is not None:
            onerror(err)
        return
    try:
        # Not following symbolic links: one that leads to a directory is listed, not walked (as CPython).
        if link_stat is None or os.path.samestat(link_stat, os.stat(dir_fd)):
            yield from _fwalk_fd(os, dir_fd, dir_path, topdown, onerror, follow_symlinks)
    finally:
        os.close(dir_fd)


def _fwalk_fd(os, dir_fd, dir_path, topdown, onerror, follow_symlinks):
    as_bytes = isinstance(dir_path, bytes)
    dirnames, filenames = [], []
    try:
        entries = list(os.scandir(dir_fd))
    except OSError as err:
        if onerror is not None:
            onerror(err)
        return
    for entry in entries:
        name = os.fsencode(entry.name) if as_bytes else entry.name
        try:
            is_dir = entry.is_dir()  # a link to a directory is listed as one, walked only if followed
        except OSError:
            is_dir = False
        (dirnames if is_dir else filenames).append(name)
    if topdown:
        yield dir_path, dirnames, filenames, dir_fd
    for name in list(dirnames):
        yield from _fwalk_into(os, name, dir_fd, os.path.join(dir_path, name), topdown, onerror, follow_symlinks)
    if not topdown:
        yield dir_path, dirnames, filenames, dir_fd


def _makedirs(os, name, mode=0o777, exist_ok=False):
    """os.makedirs, by a loop where os.py recurses once per missing ancestor: a path a hundred
    levels deep (archives have them) would exhaust python.wasm's stack, which is sized so that
    runaway recursion is a RecursionError and not a trap. Same steps, same errors."""
    path = os.path

    def parent_of(directory):
        head, tail = path.split(directory)
        if not tail:
            head, tail = path.split(head)
        return head, tail

    def is_curdir(tail):
        return tail == (os.fsencode(os.curdir) if isinstance(tail, bytes) else os.curdir)

    missing = []  # ancestors that do not exist, innermost first
    head, tail = parent_of(name)
    while head and tail and not path.exists(head):
        missing.append(head)
        head, tail = parent_of(head)
    # os.makedirs skips the mkdir of "x/." when it had to make "x" first, at every level.
    for depth, ancestor in reversed(list(enumerate(missing))):
        if depth + 1 < len(missing) and is_curdir(parent_of(ancestor)[1]):
            continue
        try:
            os.mkdir(ancestor)
        except FileExistsError:
            pass  # made meanwhile: os.makedirs ignores this for ancestors
        except OSError:
            if not exist_ok or not path.isdir(ancestor):
                raise
    if missing and is_curdir(parent_of(name)[1]):
        return
    try:
        os.mkdir(name, mode)
    except OSError:
        # Cannot rely on checking for EEXIST, since the operating system could give priority to
        # other errors like EACCES or EROFS (as os.makedirs).
        if not exist_ok or not path.isdir(name):
            raise


def flush_open_files():
    """Flushes every file object still open, for the exits that skip CPython's teardown (which
    flushes them as it frees them): `os._exit`, and the snapshot's quick exit. Only the collector's
    young generations are searched: the permanent one holds what the snapshot's build made, and
    no file the run opened is there."""
    import gc
    import io

    live = [obj for generation in range(3) for obj in gc.get_objects(generation)]
    # Text layers first: flushing one pushes its text into the binary buffer below it.
    for kind in (io.TextIOWrapper, (io.BufferedWriter, io.BufferedRandom)):
        for obj in live:
            if isinstance(obj, kind):
                try:
                    if not obj.closed:
                        obj.flush()
                except Exception:
                    pass


# os.getpid()'s number for this run, once drawn.
_PID = []


def forget_pid():
    """A pre-initialised run's start: the next getpid() draws this run's number."""
    _PID.clear()


def _patch_os(os):
    import stat as _stat

    def chmod(path, mode, *, dir_fd=None, follow_symlinks=True):
        os.stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)

    def fchmod(fd, mode):
        os.fstat(fd)

    def lchmod(path, mode):
        os.lstat(path)

    umask_value = [0o022]

    def umask(mask):
        previous, umask_value[0] = umask_value[0], mask
        return previous

    def access(path, mode, *, dir_fd=None, effective_ids=False, follow_symlinks=True):
        try:
            st = os.stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)
        except OSError:
            return False
        if mode & os.W_OK:
            import wasi

            grant = _grant_holding(_absolute(os.fsdecode(path)), wasi.preopens())
            if grant is not None and grant[1] is False:
                return False
        if mode & os.X_OK and not _stat.S_ISDIR(st.st_mode):
            return False  # WASI has no execute permission: nothing is executable
        return True

    native_chdir = os.chdir

    def chdir(path):
        if isinstance(path, int):
            return native_chdir(path)
        target = os.path.normpath(os.path.join(os.getcwd(), os.fsdecode(path)))
        native_chdir(target)

    # WASI cannot start programs, so no descriptor is ever inherited: every one reads as
    # close-on-exec, and setting the flag changes nothing (as wasi-libc's fcntl F_GETFD/F_SETFD).
    def get_inheritable(fd):
        os.fstat(fd)
        return False

    def set_inheritable(fd, inheritable):
        os.fstat(fd)

    def getpid():
        if not _PID:  # drawn on first use: start-up makes no host call for it
            _PID.append(int.from_bytes(os.urandom(3), "little") % 4_000_000 + 2)
        return _PID[0]

    def _exit(status):
        """Ends the run at once, as CPython's does, but first hands the host what Python still
        buffers (print output, open files): under WASI nothing else would flush it. The status
        maps as a normal exit's does: WASI hosts take 0-125 only."""
        import wasi

        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        flush_open_files()
        wasi._exit(status)

    def symlink(src, dst, target_is_directory=False, *, dir_fd=None):
        import wasi

        try:
            wasi.symlink(os.fsdecode(src), os.fsdecode(dst))
        except OSError as e:
            raise type(e)(e.errno, e.strerror, os.fsdecode(src), None, os.fsdecode(dst)) from None

    os.symlink = symlink  # RustPython's raises "not supported on this platform" under WASI

    # WASI's filestat has a file type but no permission bits. Left at zero, archives made here
    # (tarfile, zipfile) would record mode 000 and their files would be unreadable once extracted
    # on the host; give what a fresh file gets on a POSIX system with umask 022.
    native_stat, native_lstat, native_fstat = os.stat, os.lstat, os.fstat

    def stat(path, *, dir_fd=None, follow_symlinks=True):
        return _with_mode_bits(native_stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks))

    def lstat(path, *, dir_fd=None):
        return _with_mode_bits(native_lstat(path, dir_fd=dir_fd))

    def fstat(fd):
        return _with_mode_bits(native_fstat(fd))

    for wrapper, native in ((stat, native_stat), (lstat, native_lstat), (fstat, native_fstat)):
        wrapper.__doc__ = native.__doc__
        setattr(os, wrapper.__name__, wrapper)
        for capability in (os.supports_fd, os.supports_dir_fd, os.supports_follow_symlinks):
            if native in capability:
                capability.add(wrapper)

    native_listdir, native_scandir = os.listdir, os.scandir

    def listdir(path=None):
        if isinstance(path, int):
            import wasi

            return [name for name, _file_type, _inode in wasi.readdir(path)]
        return native_listdir(path) if path is not None else native_listdir()

    def scandir(path=None):
        if isinstance(path, int):
            import wasi

            return _FdScandirIterator(path, wasi.readdir(path))
        return native_scandir(path) if path is not None else native_scandir()

    for wrapper, native in ((listdir, native_listdir), (scandir, native_scandir)):
        wrapper.__doc__ = native.__doc__
        setattr(os, wrapper.__name__, wrapper)
    # Not scandir: with it in supports_fd, shutil.rmtree takes its descriptor-based path, which needs
    # O_NONBLOCK opens of directories that WASI does not have.
    os.supports_fd.add(listdir)

    def makedirs(name, mode=0o777, exist_ok=False):
        _makedirs(os, name, mode, exist_ok)

    makedirs.__doc__ = _makedirs.__doc__
    os.makedirs = makedirs

    if not hasattr(os, "fwalk"):

        def fwalk(top=".", topdown=True, onerror=None, *, follow_symlinks=False, dir_fd=None):
            return _fwalk(os, top, topdown, onerror, follow_symlinks=follow_symlinks, dir_fd=dir_fd)

        fwalk.__doc__ = _fwalk.__doc__
        os.fwalk = fwalk
        os.__all__.append("fwalk")

    import posix

    replaced = (access, chdir, getpid, _exit, listdir, scandir)  # RustPython's are wrong for WASI
    missing = (chmod, fchmod, lchmod, umask, get_inheritable, set_inheritable)  # RustPython has none under WASI
    for function in replaced + tuple(f for f in missing if not hasattr(os, f.__name__)):
        function.__doc__ = function.__doc__ or f"{function.__name__} for WASI (see _wasipy_wasi_gaps)."
        setattr(os, function.__name__, function)
        setattr(posix, function.__name__, function)
    os.supports_follow_symlinks.add(os.chmod)
    if not hasattr(os, "supports_effective_ids"):
        os.supports_effective_ids = set()  # access(effective_ids=True) has no meaning without users
    os.__getattr__ = _explain_missing("os")


def _patch_signal(signal):
    signal.__getattr__ = _explain_missing("signal")


def _without_rust_suffix(text):
    if isinstance(text, str) and text.endswith(")"):
        head, sep, number = text[:-1].rpartition(" (os error ")
        if sep and number.isdigit():
            return head
    return text


def _inside(path, root):
    root = root.rstrip("/")
    return root == "" or path == root or path.startswith(root + "/")


def _leads_outside(path, grant):
    """Whether resolving the symbolic links in `path` takes it out of `grant`."""
    import os

    # A host symlink whose target is absolute cannot even be read through WASI: that is an escape.
    parts = path.split("/")
    for end in range(2, len(parts) + 1):
        prefix = "/".join(parts[:end])
        try:
            if os.path.islink(prefix):
                os.readlink(prefix)
        except OSError:
            return True
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return True
    return not _inside(real, grant)


def _refusal_hint(exc):
    """' (… not inside a granted directory …)' when `exc` is about a path the sandbox hides."""
    import errno

    import wasi

    if exc.errno not in (errno.ENOENT, errno.EACCES, errno.EPERM, getattr(errno, "ENOTCAPABLE", 76)):
        return ""
    filename = exc.filename
    if not isinstance(filename, str) or not filename:
        return ""
    grants = wasi.preopens()
    path = _absolute(filename)
    granted = ", ".join(guest for guest, _writable in grants) or "none"
    holding = _grant_holding(path, grants)
    if holding is not None and holding[0] == ".":
        return ""
    if holding is not None:
        if exc.errno not in (errno.EPERM, getattr(errno, "ENOTCAPABLE", 76)):
            return ""
        # Inside a grant by name, yet refused (not merely missing): either a symbolic link led out
        # of it, or the host granted it read-only (WASI hosts report no rights that would say so).
        if _leads_outside(path, holding[0]):
            return f" ({path} leads outside the granted directories, e.g. through a symbolic link; granted: {granted})"
        return f" (the host refused to change {path}: is {holding[0]} granted read-only?)"
    return f" ({path} is not inside a granted directory; granted: {granted}; grant it with --dir)"


def _strerror_text(exc):
    text = _without_rust_suffix(_strerror.__get__(exc, type(exc)))
    if isinstance(text, str):
        text += _refusal_hint(exc)
    return text


_strerror = OSError.__dict__["strerror"]

import posix as _posix

_native_direntry_stat = _posix.DirEntry.stat


def _direntry_stat(self, *, follow_symlinks=True):
    return _with_mode_bits(_native_direntry_stat(self, follow_symlinks=follow_symlinks))


_direntry_stat.__doc__ = _native_direntry_stat.__doc__

# (builtin type, attribute, value): Python code cannot change a builtin type, so `interpreter.rs`
# sets these at start-up.
TYPE_ATTRIBUTES = [
    (OSError, "strerror", property(_strerror_text, _strerror.__set__, None, _strerror.__doc__)),
    (_posix.DirEntry, "stat", _direntry_stat),
]


def _loop_without_self_pipe(module):
    loop = module.BaseSelectorEventLoop
    loop._ssock = loop._csock = None
    loop._make_self_pipe = lambda self: None
    loop._close_self_pipe = lambda self: None


def _patch_socket(socket):
    import errno

    native_init = socket.socket.__init__
    native_new = socket.socket.__new__

    def __new__(cls, *args, **kwargs):
        # The VM's WASI socket type takes no constructor arguments (its __init__ does): without
        # this, socket.socket(AF_INET, SOCK_STREAM) is a TypeError, not the OSError below.
        return native_new(cls)

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        # A descriptor the host handed over (e.g. a preopened listening socket) still works.
        if fileno is None:
            raise OSError(errno.ENOTSUP, "sockets are not available under WASI (wasm32-wasip1 cannot open one)")
        native_init(self, family, type, proto, fileno)

    def no_name_resolution(*args, **kwargs):
        raise OSError(errno.ENOTSUP, "name resolution is not available under WASI")

    socket.socket.__new__ = staticmethod(__new__)
    socket.socket.__init__ = __init__
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
        if hasattr(socket, name):
            setattr(socket, name, no_name_resolution)


_override_frozen_modules = _imp._override_frozen_modules_for_tests


def _keep_frozen_modules(override):
    _override_frozen_modules(max(override, 0))


_imp._override_frozen_modules_for_tests = _keep_frozen_modules


def _guard_native_unpickler(module):
    import _wasipy_pickle

    _wasipy_pickle.guard(module)


_AFTER_IMPORT = {
    "_pickle": _guard_native_unpickler,
    "asyncio.selector_events": _loop_without_self_pipe,
    "socket": _patch_socket,
    "os": _patch_os,
    "signal": _patch_signal,
}


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
for _name, _patch in list(_AFTER_IMPORT.items()):
    if _name in sys.modules:  # imported before us (by the VM's own start-up)
        _patch(sys.modules[_name])
