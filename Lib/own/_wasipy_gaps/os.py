"""Completes `os` (when first imported) where WASI differs from POSIX.

- WASI files have no permission modes and no owners: `stat` reports what a fresh file gets under
  umask 022 (0o644, directories 0o755: archives made here extract readable) and owner 0, the one
  user (`getuid`/`geteuid`/`getgid`/`getegid` are 0), `chmod`/`fchmod`/`lchmod` and
  `chown`/`lchown`/`fchown` check that the file exists and change nothing, `umask` keeps a value that nothing uses (as CPython's
  WASI build), and `access` answers from `stat` and the grant's rights.
- Descriptors: every one is close-on-exec (`get_inheritable`/`set_inheritable`: WASI runs no other
  programs); `os.listdir(fd)`/`os.scandir(fd)` read the directory through `wasi.readdir`, and
  `DirEntry.stat()` reports permission bits as `os.stat` does; `os.fwalk` walks by descriptors
  through them. `os.dup`/`dup2` stay absent: WASI has no way to duplicate a descriptor (its
  `fd_renumber` moves one, closing the original).
- `symlink` goes through WASI's `path_symlink`; `chdir` keeps the cwd normalised (wasi-libc would
  keep `/work/sub/..`); `makedirs` makes deep paths without recursion.
- `getpid` is a number drawn once per run (WASI has no process ids: it tells runs apart and nothing
  more); `_exit` flushes what Python buffered (print output, open files) before it ends the run, so
  nothing written is lost.
- A process function WASI lacks (`fork`, `kill`, `system`…) stays absent, so `hasattr` feature
  checks keep working, but the AttributeError says why.
"""

import sys

from ._missing import explain_missing
from .grants import absolute, grant_holding

PROCESSES = "processes are not available under WASI"
UNAVAILABLE = dict.fromkeys(
    ("fork", "forkpty", "kill", "killpg", "system", "execv", "execve", "execvp", "execl", "execlp",
     "spawnv", "spawnl", "posix_spawn", "posix_spawnp", "wait", "waitpid", "wait3", "wait4",
     "getppid", "setsid", "nice", "popen"), PROCESSES) | dict.fromkeys(
    ("dup", "dup2"), "WASI preview 1 cannot duplicate a file descriptor")

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
            # The object's own type, not isinstance(): that asks a proxy for its `__class__`
            # (Django's LazySettings raises ImproperlyConfigured when nothing configured it).
            if issubclass(type(obj), kind):
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


def complete(os):
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

            grant = grant_holding(absolute(os.fsdecode(path)), wasi.preopens())
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

    # WASI has no users: one anonymous user, id 0, which owns every file (`stat` reports uid and gid
    # 0), so ownership checks (platformdirs, pytest's tmp_path) pass; changing an owner, as
    # tarfile does when it runs as 0, checks the file exists and changes nothing, as chmod.
    # wasi-libc's uname fills in placeholders. RustPython has none of these under WASI.
    def getuid():
        return 0

    def chown(path, uid, gid, *, dir_fd=None, follow_symlinks=True):
        os.stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)

    def lchown(path, uid, gid):
        os.lstat(path)

    def fchown(fd, uid, gid):
        os.fstat(fd)

    def getgroups():
        return []

    def uname():
        return posix.uname_result(("wasi", "(none)", "0.0.0", "0.0.0", "wasm32"))


    import posix

    replaced = (access, chdir, getpid, _exit, listdir, scandir)  # RustPython's are wrong for WASI
    missing = (chmod, fchmod, lchmod, umask, get_inheritable, set_inheritable, getuid, getgroups,
               uname, chown, lchown, fchown)  # RustPython has none under WASI
    for function in replaced + tuple(f for f in missing if not hasattr(os, f.__name__)):
        function.__doc__ = function.__doc__ or f"{function.__name__} for WASI (see _wasipy_gaps.os)."
        setattr(os, function.__name__, function)
        setattr(posix, function.__name__, function)
    for name in ("geteuid", "getgid", "getegid"):
        if not hasattr(os, name):
            setattr(os, name, getuid)
            setattr(posix, name, getuid)
    os.supports_follow_symlinks.add(os.chmod)
    if not hasattr(os, "supports_effective_ids"):
        os.supports_effective_ids = set()  # access(effective_ids=True) has no meaning without users
    os.__getattr__ = explain_missing("os", UNAVAILABLE)


import posix as _posix

_native_direntry_stat = _posix.DirEntry.stat


def _direntry_stat(self, *, follow_symlinks=True):
    return _with_mode_bits(_native_direntry_stat(self, follow_symlinks=follow_symlinks))


_direntry_stat.__doc__ = _native_direntry_stat.__doc__

# (builtin type, attribute, value), set by the embedding at start-up.
TYPE_ATTRIBUTES = [(_posix.DirEntry, "stat", _direntry_stat)]
