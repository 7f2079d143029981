"""What python.wasm's code and static data are made of, by crate: part of `make bench-size`.

Reads the linker's map of the bin (build.rs asks wasm-ld for it, `-Map`): every function and
static with its size. A Rust item is charged to the first crate its mangled (v0) name names, C
code to the library it was compiled into (SQLite, zstd, wasi-libc); the anonymous constants of
fat LTO carry no crate, so the largest are named by matching the files build.rs embeds. Sizes are
as linked, before wasm-opt (which re-encodes the code ~7% smaller).
"""

import argparse
import collections
import re
from pathlib import Path

V0_CRATE = re.compile(r"C(?:s[0-9a-zA-Z]*_)?(\d+)")
ARCHIVE = re.compile(r"/lib([a-z0-9_]+?)(?:-[0-9a-f]{16})?\.(?:rlib|a)\(")
# The map's input-section lines: address, file offset, size, then "object:(symbol or section)".
INPUT = re.compile(r"^\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s{9}(\S.*?):\((.*)\)$")
OUTPUT = re.compile(r"^\s+-\s+[0-9a-f]+\s+[0-9a-f]+ (\S+)$")


def crate_of(obj, symbol):
    archive = ARCHIVE.search(obj)
    if archive and archive.group(1) not in ("rustc", "python"):
        return archive.group(1)
    name = symbol.removeprefix(".rodata.").removeprefix(".data.").removeprefix(".bss.")
    if name.startswith("_R"):
        m = V0_CRATE.search(name)
        if m:
            return name[m.end():m.end() + int(m.group(1))]
    if name.startswith(".Lanon") or name.startswith(".rodata") or name == ".data":
        return "(unnamed constants)"
    return "(other)"


def read_map(path):
    sections = {"CODE": [], "DATA": []}
    current = None
    for line in Path(path).read_text(errors="replace").splitlines():
        out = OUTPUT.match(line)
        if out:
            current = sections.get(out.group(1))
            continue
        m = INPUT.match(line)
        if m and current is not None:
            current.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return sections


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("map", help="the bin's link map (build.rs's OUT_DIR/python.map)")
    parser.add_argument("--rows", type=int, default=12)
    args = parser.parse_args()
    embedded = {}
    for name, what in (("stdlib.frozen", "the frozen stdlib"), ("stdlib.zdict", "its zstd dictionary")):
        file = Path(args.map).with_name(name)
        if file.exists():
            embedded[file.stat().st_size] = what
    for section, items in read_map(args.map).items():
        by_crate = collections.Counter()
        for size, obj, symbol in items:
            if section == "DATA" and size in embedded:
                by_crate[embedded[size]] += size
            else:
                by_crate[crate_of(obj, symbol)] += size
        total = sum(by_crate.values())
        print(f"{section.lower()}, as linked: {total / 1e6:.2f} MB")
        for crate, size in by_crate.most_common(args.rows):
            print(f"  {size / 1e6:7.3f} MB {100 * size / total:5.1f}%  {crate}")
        rest = total - sum(size for _, size in by_crate.most_common(args.rows))
        if rest:
            print(f"  {rest / 1e6:7.3f} MB {100 * rest / total:5.1f}%  {len(by_crate) - args.rows} other")


if __name__ == "__main__":
    main()
