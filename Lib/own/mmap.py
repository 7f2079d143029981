"""`mmap` for WASI, which has no memory mapping: the mapped bytes are a private copy in memory.

Packages import mmap unconditionally (gitpython's smmap to read pack files) and mostly read
through it. Within one process, which is all a WASI program is, a copy behaves as a mapping does:
a map made with ACCESS_READ or ACCESS_COPY holds the file's bytes as they were when it was made;
one made with ACCESS_WRITE (or the default, a shared writable map) also writes every change made
through its methods back to the file at once, and `flush()` writes the whole map back (changes
made through a memoryview of it reach the file there). The file descriptor is not duplicated (WASI
has no dup): a writable map's changes need the file still open, and `size()` of a map whose file
was closed is the size the file had. Anonymous maps (fileno -1) are
zero-filled memory. The object is a bytearray underneath, so `re`, `memoryview` and slicing work.
"""

import os as _os

ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY = 0, 1, 2, 3
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS = 1, 2, 0x20
MAP_ANON = MAP_ANONYMOUS
PAGESIZE = ALLOCATIONGRANULARITY = 65536  # a wasm page
MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED = 0, 1, 2, 3, 4

error = OSError


def _pread(fd, length, offset):
    """os.pread, which WASI builds of the VM lack: a seek and reads, the file position kept."""
    kept = _os.lseek(fd, 0, _os.SEEK_CUR)
    try:
        _os.lseek(fd, offset, _os.SEEK_SET)
        chunks = []
        while length > 0:
            chunk = _os.read(fd, length)
            if not chunk:
                break
            chunks.append(chunk)
            length -= len(chunk)
        return b"".join(chunks)
    finally:
        _os.lseek(fd, kept, _os.SEEK_SET)


def _pwrite(fd, data, offset):
    kept = _os.lseek(fd, 0, _os.SEEK_CUR)
    try:
        _os.lseek(fd, offset, _os.SEEK_SET)
        view = memoryview(data)
        while view:
            view = view[_os.write(fd, view):]
    finally:
        _os.lseek(fd, kept, _os.SEEK_SET)


class mmap(bytearray):
    """A file's bytes (or zeros) in memory, with mmap's methods; see the module's docstring."""

    def __new__(cls, fileno, length, flags=MAP_SHARED, prot=PROT_READ | PROT_WRITE, access=ACCESS_DEFAULT, offset=0,
                *, trackfd=True):
        return bytearray.__new__(cls)

    def __init__(self, fileno, length, flags=MAP_SHARED, prot=PROT_READ | PROT_WRITE, access=ACCESS_DEFAULT, offset=0,
                 *, trackfd=True):
        if length < 0:
            raise OverflowError("memory mapped length must be positive")
        if offset < 0:
            raise OverflowError("memory mapped offset must be positive")
        if access != ACCESS_DEFAULT and (flags != MAP_SHARED or prot != PROT_READ | PROT_WRITE):
            raise ValueError("mmap can't specify both access and flags, prot.")
        if access not in (ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY):
            raise ValueError("mmap invalid access parameter.")
        if access == ACCESS_DEFAULT:
            if not prot & PROT_WRITE:
                access = ACCESS_READ
            elif flags & MAP_PRIVATE:
                access = ACCESS_COPY
            else:
                access = ACCESS_WRITE
        if offset % ALLOCATIONGRANULARITY:
            raise OSError(22, "Invalid argument")
        self._fd = -1 if fileno == -1 else fileno
        self._offset = offset
        self._access = access
        self._pos = 0
        self._closed = False
        if fileno == -1:
            if length == 0:
                raise ValueError("cannot mmap an empty file")
            bytearray.extend(self, bytes(length))
            return
        size = self._file_size = _os.fstat(fileno).st_size
        if length == 0:
            if size == 0:
                raise ValueError("cannot mmap an empty file")
            if offset >= size:
                raise ValueError("mmap offset is greater than file size")
            length = size - offset
        elif offset > size or size - offset < length:
            if access != ACCESS_WRITE:
                raise ValueError("mmap length is greater than file size")
            # As mmap does: a writable shared map past the end extends the file.
            _os.ftruncate(fileno, offset + length)
            self._file_size = offset + length
        bytearray.extend(self, _pread(fileno, length, offset))

    # What the checks say, as CPython's mmap says it.
    def _open(self):
        if self._closed:
            raise ValueError("mmap closed or invalid")

    def _writable(self):
        self._open()
        if self._access == ACCESS_READ:
            raise TypeError("mmap can't modify a readonly memory map.")

    def _write_through(self, start, stop):
        if self._access == ACCESS_WRITE and self._fd >= 0 and stop > start:
            _pwrite(self._fd, bytes(bytearray.__getitem__(self, slice(start, stop))), self._offset + start)

    @property
    def closed(self):
        return self._closed

    def close(self):
        if not self._closed:
            self._closed = True
            bytearray.clear(self)

    def __enter__(self):
        self._open()
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self):
        self._open()
        return bytearray.__len__(self)

    def __getitem__(self, index):
        self._open()
        item = bytearray.__getitem__(self, index)
        return bytes(item) if isinstance(index, slice) else item

    def __setitem__(self, index, value):
        self._writable()
        if isinstance(index, slice):
            start, stop, step = index.indices(bytearray.__len__(self))
            if len(range(start, stop, step)) != len(value):
                raise IndexError("mmap slice assignment is wrong size")
            bytearray.__setitem__(self, index, value)
            low, high = (start, stop) if step > 0 else (stop + 1, start + 1)
            self._write_through(low, high)
            return
        bytearray.__setitem__(self, index, value)
        position = index if index >= 0 else index + bytearray.__len__(self)
        self._write_through(position, position + 1)

    def __delitem__(self, index):
        raise TypeError("mmap object doesn't support item deletion")

    def __iadd__(self, other):
        raise TypeError("mmap can't be resized by +=")

    def __imul__(self, other):
        raise TypeError("mmap can't be resized by *=")

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    __hash__ = None

    def __repr__(self):
        if self._closed:
            return "<mmap.mmap closed=True>"
        names = {ACCESS_READ: "ACCESS_READ", ACCESS_WRITE: "ACCESS_WRITE", ACCESS_COPY: "ACCESS_COPY"}
        return (f"<mmap.mmap closed=False, access={names[self._access]}, length={len(self)}, "
                f"pos={self._pos}, offset={self._offset}>")

    # Growing and shrinking belong to resize() alone.
    def append(self, item):
        raise AttributeError("'mmap.mmap' object has no attribute 'append'")

    def extend(self, items):
        raise AttributeError("'mmap.mmap' object has no attribute 'extend'")

    def find(self, sub, start=None, end=None):
        self._open()
        return bytearray.find(self, sub, self._pos if start is None else start, len(self) if end is None else end)

    def rfind(self, sub, start=None, end=None):
        self._open()
        return bytearray.rfind(self, sub, self._pos if start is None else start, len(self) if end is None else end)

    def flush(self, offset=0, size=None):
        self._open()
        if self._access == ACCESS_READ or self._access == ACCESS_COPY:
            return None
        stop = len(self) if size is None else offset + size
        self._write_through(offset, stop)
        return None

    def madvise(self, option, start=0, length=None):
        self._open()
        return None

    def move(self, dest, src, count):
        self._writable()
        size = len(self)
        if dest < 0 or src < 0 or count < 0 or dest + count > size or src + count > size:
            raise ValueError("source, destination, or count out of range")
        bytearray.__setitem__(self, slice(dest, dest + count), bytearray.__getitem__(self, slice(src, src + count)))
        self._write_through(dest, dest + count)

    def read(self, n=None):
        self._open()
        stop = len(self) if n is None or n < 0 else min(len(self), self._pos + n)
        data = bytes(bytearray.__getitem__(self, slice(self._pos, stop)))
        self._pos = max(self._pos, stop)
        return data

    def read_byte(self):
        self._open()
        if self._pos >= len(self):
            raise ValueError("read byte out of range")
        self._pos += 1
        return bytearray.__getitem__(self, self._pos - 1)

    def readline(self):
        self._open()
        end = bytearray.find(self, b"\n", self._pos)
        stop = len(self) if end < 0 else end + 1
        data = bytes(bytearray.__getitem__(self, slice(self._pos, stop)))
        self._pos = stop
        return data

    def resize(self, newsize):
        self._writable()
        if self._access == ACCESS_COPY:
            raise TypeError("mmap can't resize with trackfd=False.")
        if newsize < 0:
            raise ValueError("new size out of range")
        size = len(self)
        if newsize < size:
            bytearray.__delitem__(self, slice(newsize, size))
        else:
            bytearray.extend(self, bytes(newsize - size))
        if self._fd >= 0:
            _os.ftruncate(self._fd, self._offset + newsize)
            self._file_size = self._offset + newsize
            self._write_through(size, newsize)
        self._pos = min(self._pos, newsize)

    def seek(self, pos, whence=0):
        self._open()
        base = {0: 0, 1: self._pos, 2: len(self)}.get(whence)
        if base is None:
            raise ValueError("unknown seek type")
        if not 0 <= base + pos <= len(self):
            raise ValueError("seek out of range")
        self._pos = base + pos
        return None

    def seekable(self):
        return True

    def size(self):
        """The file's size; once the file is closed (CPython's map holds a duplicate of the
        descriptor, WASI has none to make), its size when the map was made or last resized."""
        self._open()
        if self._fd < 0:
            return len(self)
        try:
            return _os.fstat(self._fd).st_size
        except OSError:
            return self._file_size

    def tell(self):
        self._open()
        return self._pos

    def write(self, data):
        self._writable()
        data = bytes(data)
        if self._pos + len(data) > len(self):
            raise ValueError("data out of range")
        bytearray.__setitem__(self, slice(self._pos, self._pos + len(data)), data)
        self._write_through(self._pos, self._pos + len(data))
        self._pos += len(data)
        return len(data)

    def write_byte(self, byte):
        self._writable()
        if self._pos >= len(self):
            raise ValueError("write byte out of range")
        bytearray.__setitem__(self, self._pos, byte)
        self._write_through(self._pos, self._pos + 1)
        self._pos += 1
