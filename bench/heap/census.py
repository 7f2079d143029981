"""What the snapshot's heap holds, by kind and by module: `make bench-heap`.

python.wasm's linear memory is rebuilt from its data segments; what python-fresh.wasm's data
reaches is the static data, and the heap follows it. libc's malloc (dlmalloc) is walked chunk by
chunk from the heap's start: in use, free, and how much of the free space the file still stores.
Then `guest.py` runs in that same python.wasm, where `id()` of an object is its address in the
snapshot's memory: it lists, for the interpreter's core and then each module (the snapshot's
import order first), the objects that module reaches before any other does, with their types.
Each listed object's chunk is charged to its type and module; every chunk the pointers of a
charged chunk lead to (a dict's table, a string's text, a code object's instructions and
locations, an object's prefix) is charged the same, breadth first. Allocator headers are in the
chunk sizes; what no object leads to is the VM's own state.
"""

import argparse
import bisect
import collections
import json
import os
import struct
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def leb128(data, i, signed=False):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if signed and byte & 0x40:
                value -= 1 << shift
            return value, i


def data_segments(path):
    """(offset, bytes) of each active data segment of the module at `path`."""
    wasm = Path(path).read_bytes()
    i = 8
    while i < len(wasm):
        section, (size, i) = wasm[i], leb128(wasm, i + 1)
        if section != 11:
            i += size
            continue
        count, i = leb128(wasm, i)
        segments = []
        for _ in range(count):
            flags, i = leb128(wasm, i)
            if flags == 1:
                raise SystemExit(f"census: {path}: passive data segments are not expected")
            if flags == 2:
                _memory, i = leb128(wasm, i)
            if wasm[i] != 0x41:  # i32.const
                raise SystemExit(f"census: {path}: a data segment's offset is not a constant")
            offset, i = leb128(wasm, i + 1, signed=True)
            i += 1  # end
            length, i = leb128(wasm, i)
            segments.append((offset, wasm[i:i + length]))
            i += length
        return segments
    return []


class Heap:
    """python.wasm's linear memory as the snapshot left it, and libc's malloc (dlmalloc) chunks in it."""

    def __init__(self, python_wasm, fresh_wasm):
        segments = data_segments(python_wasm)
        self.stored = sum(len(data) for _, data in segments)
        self.end = max(offset + len(data) for offset, data in segments)
        self.memory = bytearray(self.end + 16)
        for offset, data in segments:
            self.memory[offset:offset + len(data)] = data
        # What python-fresh.wasm's data reaches is the static data; the heap follows it.
        self.static_end = max(offset + len(data) for offset, data in data_segments(fresh_wasm))
        start = (self.static_end + 15) & ~15
        # dlmalloc's first chunk is a few words past the heap's (aligned) start: the start whose
        # walk is consistent to the end of memory, through the most chunks, is it.
        walks = [(first, self.walk(first)) for first in range(start - 64, start + 65536, 8)]
        walks = [(first, chunks) for first, chunks in walks if chunks is not None]
        if not walks:
            raise SystemExit("census: no dlmalloc heap found after the static data")
        first, chunks = max(walks, key=lambda walk: len(walk[1]))
        self.first = first
        self.in_use = {p + 8: size for p, size, used in chunks if used}  # user address -> chunk size
        self.free = [(p, size) for p, size, used in chunks if not used]
        self.users = sorted(self.in_use)

    def walk(self, first):
        """dlmalloc's chunks from `first`, or None if they do not lead to the end of memory: a
        header word at +4 (size | this chunk in use 2 | previous in use 1), the user's bytes at +8."""
        chunks = []
        p = first
        while p + 8 <= self.end:
            head = struct.unpack_from("<I", self.memory, p + 4)[0]
            size = head & ~7
            if size < 16 or p + size > self.end + (1 << 20):
                return None
            # Each chunk says whether the one before it is in use: a walk from a wrong start soon
            # contradicts that (and dlmalloc never leaves two free chunks side by side).
            if chunks and bool(head & 1) != chunks[-1][2]:
                return None
            chunks.append((p, size, bool(head & 2)))
            p += size
        return chunks

    def word(self, address):
        return struct.unpack_from("<I", self.memory, address)[0]

    def chunk_of(self, address):
        """The user address of the in-use chunk that holds `address`, or None."""
        i = bisect.bisect_right(self.users, address) - 1
        if i >= 0 and address < self.users[i] + self.in_use[self.users[i]] - 8:
            return self.users[i]
        return None

    def spread(self, label):
        """`label` (chunk -> name) extended to every chunk a labelled chunk's pointers lead to,
        breadth first: a buffer (a dict's table, a string's text, a code object's instructions,
        an object's prefix) goes to the first object that leads to it."""
        frontier = list(label)
        while frontier:
            later = []
            for user in frontier:
                size = self.in_use[user] - 8
                for (pointer,) in struct.iter_unpack("<I", self.memory[user:user + size - size % 4]):
                    if self.first <= pointer < self.end:
                        chunk = self.chunk_of(pointer)
                        if chunk is not None and chunk not in label:
                            label[chunk] = label[user]
                            later.append(chunk)
            frontier = later
        return label


def megabytes(n):
    return f"{n / 1e6:.2f} MB"


def guest_view(wasmtime, python_wasm):
    cmd = [wasmtime, "run", "--dir", f"{HERE}::/census", str(python_wasm), "/census/guest.py"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"census: {' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-wasm", default="python.wasm")
    parser.add_argument("--fresh-wasm", default="python-fresh.wasm")
    parser.add_argument("--wasmtime", default=os.environ.get("WASMTIME", "wasmtime"))
    parser.add_argument("--rows", type=int, default=15, help="rows of each table")
    args = parser.parse_args()

    heap = Heap(args.python_wasm, args.fresh_wasm)
    census = guest_view(args.wasmtime, args.python_wasm)
    # Each object the guest reached: its chunk is its type's, and its module's.
    kind, module_of = {}, {}
    for module, objects in census["modules"]:
        for address, type_number in objects:
            chunk = heap.chunk_of(address)
            if chunk is not None and chunk not in kind:
                kind[chunk] = census["kinds"][type_number]
                module_of[chunk] = module
    heap.spread(kind)
    heap.spread(module_of)
    in_use = sum(heap.in_use.values())
    free = sum(size for _, size in heap.free)
    free_stored = sum(size - heap.memory[p + 8:p + size].count(0) for p, size in heap.free)
    heap_bytes = heap.end - heap.first
    print(f"{args.python_wasm}: data section {megabytes(heap.stored)} stored; static data "
          f"{megabytes(heap.static_end)}, heap {megabytes(heap_bytes)} "
          f"({megabytes(len(heap.memory[heap.first:heap.end]) - heap.memory[heap.first:heap.end].count(0))} not zero)")
    print(f"heap: {megabytes(in_use)} in {len(heap.in_use)} chunks in use; {megabytes(free)} free "
          f"in {len(heap.free)} chunks, {megabytes(free_stored)} of it not zero")

    print_table("kind", "each object's chunk and the buffers it leads to, allocator headers included",
                heap, kind, "(no object leads there)", args.rows, free)
    print_table("module", "what it reached first, in the snapshot's import order, and what that leads to",
                heap, module_of, "(no module leads there: the VM's own)", args.rows)


def print_table(column, title, heap, label, unlabelled, rows, free=None):
    """The in-use bytes of `heap` by `label` (chunk -> name), as a Markdown table of `rows` rows."""
    heap_bytes = heap.end - heap.first
    totals = collections.Counter()
    for user, size in heap.in_use.items():
        totals[label.get(user, unlabelled)] += size
    print(f"\nby {column} ({title}):")
    print(f"| {column} | bytes | share of the heap |\n|---|---:|---:|")
    for name, size in totals.most_common(rows):
        print(f"| {name} | {size} | {100 * size / heap_bytes:.1f}% |")
    rest = sum(size for _, size in totals.most_common()[rows:])
    print(f"| {len(totals) - min(rows, len(totals))} other {column}s | {rest} | {100 * rest / heap_bytes:.1f}% |")
    if free is not None:
        print(f"| (free) | {free} | {100 * free / heap_bytes:.1f}% |")

if __name__ == "__main__":
    main()
