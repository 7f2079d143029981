#!/usr/bin/env python3
"""How deep each recursion path goes in python.wasm, and what each level costs on the host's native
stack (wasmtime's `max-wasm-stack`, 512 KiB by default), against the shadow stack build.rs links
(SHADOW_STACK_BYTES). Two tables:

    python3 bench/deep_stack.py python.wasm [--paths] [--guards] [name ...]

--paths (the default): for each way Python code recurses (a call by position, with keywords,
with defaults, a bound method, `__init__`, `exec`, an import, `__getattr__`, a generator resumed,
json.loads), the deepest level reached under wasmtime's defaults and the recursion limit raised to
100,000 (what stops it: RecursionError, or a trap), and the native stack each level takes (the
least `max-wasm-stack` that runs 200 levels, less the least that runs 100, over 100).

--guards: for each native recursion over deeply nested data (json, repr, pickle, marshal,
comparison, deepcopy, `__str__`), the least `max-wasm-stack` with which it ends cleanly (a result,
RecursionError, or marshal's ValueError) rather than a trap; each must need less than the default,
with room to spare.
"""
import subprocess
import sys
import tempfile

# A level of each path, as a function of the depth n; run with the recursion limit raised.
PATHS = {
    "call by position": "def f(n): return 0 if n == 0 else 1 + f(n - 1)\nf({n})",
    "call with keywords": "def f(n, k=0): return 0 if n == 0 else 1 + f(n - 1, k=k)\nf({n})",
    "call with defaults": "def f(n, k=0): return 0 if n == 0 else 1 + f(n - 1)\nf({n})",
    "bound method": "class A:\n    def m(self, n): return 0 if n == 0 else 1 + self.m(n - 1)\nA().m({n})",
    "__init__": "class A:\n    def __init__(self, n): self.c = A(n - 1) if n else None\nA({n})",
    "exec": "def f(n):\n    if n: exec('f(n - 1)', {{'f': f, 'n': n}})\nf({n})",
    "import": "import sys\nfor i in range({n}):\n    open(f'/work/m{{i}}.py', 'w').write(f'import m{{i + 1}}\\n')\n"
              "open('/work/m{n}.py', 'w').write('')\nsys.path.insert(0, '/work')\nimport m0",
    "__getattr__": "class A:\n    def __getattr__(self, name):\n        n = int(name[1:])\n"
                   "        return 0 if n == 0 else getattr(self, 'a%d' % (n - 1))\ngetattr(A(), 'a{n}')",
    "generator resumed": "def g(n):\n    yield next(g(n - 1)) if n else 0\nnext(g({n}))",
    "json.loads": "import json\njson.loads('[' * {n} + ']' * {n})",
}
GUARDS = {
    "json_loads": "import json; json.loads('[' * 100000)",
    "json_dumps": "import json\nl=[]\nfor i in range(100000): l=[l]\njson.dumps(l)",
    "repr": "l=[]\nfor i in range(100000): l=[l]\nrepr(l)",
    "pickle_dumps": "import pickle\nl=[]\nfor i in range(100000): l=[l]\npickle.dumps(l)",
    "pickle_dumps_objects": "import pickle\nclass O: pass\no=O()\nfor i in range(100000):\n    p=O(); p.c=o; o=p\npickle.dumps(o)",
    "marshal_dumps": "import marshal\nl=[]\nfor i in range(100000): l=[l]\nmarshal.dumps(l)",
    "eq": "a=[];b=[]\nfor i in range(100000): a=[a]; b=[b]\na==b",
    "deepcopy": "import copy\nl=[]\nfor i in range(100000): l=[l]\ncopy.deepcopy(l)",
    "str_recursion": "class A:\n  def __str__(self): return str(self)\nstr(A())",
    "getattr_recursion": "class A:\n  def __getattr__(self, n): return getattr(self, n + 'x')\nA().a",
    "exec_recursion": "import sys; sys.setrecursionlimit(100000)\ndef f(): exec('f()')\nf()",
}
DEFAULT_KIB = 512
RAISED = "import sys; sys.setrecursionlimit(100000)\n"


def outcome(wasm, code, stack=None):
    """(ends cleanly, what ended it): a result or RecursionError is clean, a trap is not."""
    with tempfile.TemporaryDirectory() as work:
        cmd = ["wasmtime", "run", "--dir", f"{work}::/work"] + (["-W", f"max-wasm-stack={stack}"] if stack else [])
        r = subprocess.run(cmd + [wasm, "-c", code], capture_output=True, text=True, timeout=600)
    if r.returncode == 0:
        return True, "ok"
    lines = r.stderr.strip().splitlines() or [""]
    last = next((line for line in reversed(lines) if "Error" in line), lines[-1])
    if "call stack exhausted" in r.stderr:
        return False, "trap"
    # marshal stops deep nesting with ValueError (CPython: "object too deeply nested to marshal").
    return "RecursionError" in last or "too deeply nested" in last, last[:60]


def least_stack(wasm, code, lo=16 * 1024, hi=16 * 1024 * 1024):
    """The least max-wasm-stack (to 4 KiB) with which `code` ends cleanly, None if none does."""
    if not outcome(wasm, code, hi)[0]:
        return None
    while hi - lo > 4 * 1024:
        mid = (lo + hi) // 2
        if outcome(wasm, code, mid)[0]:
            hi = mid
        else:
            lo = mid
    return hi


def deepest(wasm, template):
    """The deepest n that runs to its end under the defaults (to 1%), and what stops n + 1."""
    lo, hi = 1, 2
    while outcome(wasm, RAISED + template.format(n=hi))[1] == "ok":
        lo, hi = hi, hi * 2
        if hi > 200000:
            return lo, "nothing below 200,000"
    while hi - lo > max(1, lo // 100):
        mid = (lo + hi) // 2
        if outcome(wasm, RAISED + template.format(n=mid))[1] == "ok":
            lo = mid
        else:
            hi = mid
    return lo, outcome(wasm, RAISED + template.format(n=hi))[1]


def paths(wasm, names):
    print(f"{'path':20} {'deepest':>8}  {'then':32} {'native B/level':>14}")
    for name in names or PATHS:
        template = PATHS[name]
        depth, stopped = deepest(wasm, template)
        small = least_stack(wasm, RAISED + template.format(n=min(100, depth // 2)))
        large = least_stack(wasm, RAISED + template.format(n=min(200, depth)))
        levels = min(200, depth) - min(100, depth // 2)
        per_level = f"{(large - small) / levels:.0f}" if small and large and levels > 0 else "-"
        print(f"{name:20} {depth:8}  {stopped:32} {per_level:>14}", flush=True)


def guards(wasm, names):
    for name in names or GUARDS:
        clean, last = outcome(wasm, GUARDS[name])
        need = least_stack(wasm, GUARDS[name])
        verdict = "ok" if clean else "TRAPS"
        need_text = f"{need // 1024} KiB" if need else "-"
        print(f"{name:22} default: {verdict:5} ({last[:50]})  needs {need_text}", flush=True)


def main():
    args = sys.argv[1:]
    wasm = args.pop(0)
    mode = "--paths"
    if args and args[0] in ("--paths", "--guards"):
        mode = args.pop(0)
    (paths if mode == "--paths" else guards)(wasm, args)


if __name__ == "__main__":
    main()
