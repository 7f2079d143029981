#!/usr/bin/env python3
"""Calibrates python.wasm's shadow stack (build.rs SHADOW_STACK_BYTES) against wasmtime's native
wasm stack: for each deep-recursion case, the least `max-wasm-stack` with which it ends in
RecursionError rather than a trap, and whether wasmtime's default (512 KiB) is enough.

    python3 bench/deep_stack.py python.wasm [case ...]

A case "needs" N KiB: below that the instance traps (`call stack exhausted`). Every case must need
less than the default, with room to spare; the Python-frame case must reach CPython's default limit
(1000) before the guard trips.
"""
import subprocess
import sys

CASES = {
    "python_frames_default_limit": "def f(): return f()\nf()",
    "python_frames_raised_limit": "import sys; sys.setrecursionlimit(100000)\ndef f(n): return f(n+1)\nf(0)",
    "method_frames_raised_limit": "import sys; sys.setrecursionlimit(100000)\nclass A:\n  def m(self, n): return self.m(n+1)\nA().m(0)",
    "init_frames_raised_limit": "import sys; sys.setrecursionlimit(100000)\nclass A:\n  def __init__(self, n): A(n+1)\nA(0)",
    "json_loads": "import json; json.loads('[' * 100000)",
    "json_dumps": "import json\nl=[]\nfor i in range(100000): l=[l]\njson.dumps(l)",
    "repr": "l=[]\nfor i in range(100000): l=[l]\nrepr(l)",
    "pickle_dumps": "import pickle\nl=[]\nfor i in range(100000): l=[l]\npickle.dumps(l)",
    "eq": "a=[];b=[]\nfor i in range(100000): a=[a]; b=[b]\na==b",
    "deepcopy": "import copy\nl=[]\nfor i in range(100000): l=[l]\ncopy.deepcopy(l)",
    "str_recursion": "class A:\n  def __str__(self): return str(self)\nstr(A())",
}
DEFAULT_KIB = 512


def outcome(wasm, code, stack=None):
    cmd = ["wasmtime", "run"] + (["-W", f"max-wasm-stack={stack}"] if stack else []) + [wasm, "-c", code]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    # The exception line, not the notes some modules add after it ("when serializing list item 0").
    lines = r.stderr.strip().splitlines() or [""]
    last = next((l for l in reversed(lines) if "Error" in l), lines[-1])
    return r.returncode, last


def ends_cleanly(rc, last):
    return rc == 0 or (rc == 1 and "RecursionError" in last)


def least_stack(wasm, code):
    lo, hi = 32 * 1024, 16 * 1024 * 1024
    if not ends_cleanly(*outcome(wasm, code, hi)):
        return None
    while hi - lo > 8 * 1024:
        mid = (lo + hi) // 2
        if ends_cleanly(*outcome(wasm, code, mid)):
            hi = mid
        else:
            lo = mid
    return hi // 1024


def main():
    wasm = sys.argv[1]
    for name in sys.argv[2:] or CASES:
        rc, last = outcome(wasm, CASES[name])
        need = least_stack(wasm, CASES[name])
        verdict = "ok" if ends_cleanly(rc, last) else "TRAPS"
        print(f"{name:30} default: {verdict:5} (exit {rc}: {last[:70]})  needs {need} KiB", flush=True)


if __name__ == "__main__":
    main()
