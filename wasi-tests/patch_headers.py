#!/usr/bin/env python3
"""Checks that every case the VM patches name exists: each patch header's `Case:` paragraph and
the README's patch table name wasi-tests cases (`wasi-tests/cases/vm.toml, name` or `vm/name`);
a name with no such case in that file fails, as does a patch the README's table leaves out, a
table row for a patch that is not there, or a header without a `Case:` line.

    python3 wasi-tests/patch_headers.py

Prints one line per failure, then "patch headers: N passed, N failed".
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "wasi-tests" / "cases"
# `wasi-tests/cases/vm.toml, a_name` (then more names after commas) or `vm/a_name`.
LONG_REFERENCE = re.compile(r"wasi-tests/cases/(\w+)\.toml,\s*((?:\w+(?:,\s*)?)+)")
SHORT_REFERENCE = re.compile(r"\b(\w+)/(\w+|\*)")


def case_names():
    return {path.stem: {case["name"] for case in tomllib.loads(path.read_text())["case"]} for path in CASES.glob("*.toml")}


def header(patch):
    """The text before the first diff line."""
    lines = []
    for line in patch.read_text().splitlines():
        if line.startswith("--- ") or line.startswith("diff "):
            break
        lines.append(line)
    return "\n".join(lines)


def case_paragraph(text):
    match = re.search(r"^Case:(.*?)(?:\n\s*\n|\Z)", text, re.S | re.M)
    return match.group(1) if match else None


def references(text, names):
    """(file, name) pairs the text names: the long form, and the short form where its file exists."""
    found = []
    for file, listed in LONG_REFERENCE.findall(text):
        found += [(file, name) for name in re.split(r",\s*", listed) if name]
    for file, name in SHORT_REFERENCE.findall(text):
        if file in names:
            found.append((file, name))
    return found


def missing(file, name, names):
    if file not in names:
        return True
    if name == "*":
        return False
    return name not in names[file]


def readme_table():
    """{patch path: its case cell} from the README's table of patches."""
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = re.match(r"\| `((?:rustpython|[\w-]+)[\w-]*/\d{4}-[\w-]+)` \|(.*)", line)
        if match:
            # The last cell: the case column (the others may name patches, `stdlib/0006`).
            rows[match.group(1)] = match.group(2).rstrip(" |").rsplit("|", 1)[-1]
    return rows


def main():
    names = case_names()
    table = readme_table()
    passed, failures = 0, []
    patches = sorted(ROOT.glob("patches/*/*.patch"))
    for patch in patches:
        key = f"{patch.parent.name}/{patch.stem}"
        paragraph = case_paragraph(header(patch))
        if paragraph is None:
            failures.append(f"{key}: its header has no `Case:` line")
            continue
        named = references(paragraph, names)
        absent = [f"{file}/{name}" for file, name in named if missing(file, name, names)]
        if absent:
            failures.append(f"{key}: its header names cases that do not exist: {', '.join(absent)}")
            continue
        if key not in table:
            failures.append(f"{key}: not in the README's table of patches")
            continue
        absent = [f"{file}/{name}" for file, name in references(table[key], names) if missing(file, name, names)]
        if absent:
            failures.append(f"{key}: the README's row names cases that do not exist: {', '.join(absent)}")
            continue
        passed += 1
    present = {f"{patch.parent.name}/{patch.stem}" for patch in patches}
    for key in sorted(set(table) - present):
        failures.append(f"{key}: in the README's table of patches, but there is no such patch")
    for failure in failures:
        print(f"FAILED  {failure}")
    print(f"patch headers: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
