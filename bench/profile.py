#!/usr/bin/env python3
"""Where python.wasm's time goes: a wasm profile of benchmarks, by function and by kind of work (issue 25).

- Runs each benchmark under `wasmtime run --profile=guest`, wasmtime's guest profiler: every
  --interval (1 ms) the epoch interrupt samples the wasm call stack. The module must keep its
  function names: the cargo build's python.wasm (target/wasm32-wasip1/release/python.wasm, the
  `name` section kept, before wasm-opt and the snapshot; `make profile` passes it).
- A benchmark is one of pyperformance's (`bm_NAME`, from the sdist bench/pyperformance.py
  downloads, run in-process by bench/pyperformance_guest.py for --seconds of timed rounds) or one of
  bench/programs (`programs/NAME`, run by its harness).
- Prints, for each benchmark, the share of its samples by kind of work (the leaf function's name
  decides: see KINDS), then over all of them (each benchmark weighing the same) the top functions by
  self time (the leaf of a sample) and by total time (anywhere on its stack).

    python3 bench/profile.py --python-wasm target/wasm32-wasip1/release/python.wasm \\
        [--only bm_nqueens,programs/calls] [--top 30] [--keep DIR]
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pyperformance import benchmarks_dir, extra_options  # noqa: E402  (the same sdist, the same options)

# The benchmarks issue 25 names where python.wasm is furthest from native, and bench/programs' calls.
DEFAULT = ("bm_nqueens bm_fannkuch bm_hexiom bm_deltablue bm_raytrace bm_coroutines bm_richards bm_float "
           "bm_chaos bm_go programs/calls programs/attributes").split()

# Kinds of work, by the leaf function's (demangled) name: the first pattern that matches decides.
KINDS = [
    ("allocation", r"dlmalloc|dlfree|\bmalloc\b|\bfree\b|\brealloc\b|\bcalloc\b|__rust_(alloc|dealloc|realloc)|"
                   r"RawVec|finish_grow|sbrk|default_dealloc|PyRef<.*>>::new\b|::into_ref\b"),
    ("reference counts", r"drop_glue|drop_in_place|drop_slow|RefCount|dec_ref|inc_ref|as core::ops::drop::Drop"),
    ("collector", r"gc_state|try_clear_obj|\bgc_|collect_|[Tt]raverse|try_pop_edges"),
    ("hashing", r"[Ss]ip[Hh]ash|hash_str|::hash\b|Hasher|ahash|fxhash"),
    ("dict probes", r"dict_inner|DictInner|PyDict|lookup"),
    ("attribute lookup", r"get_attr|getattro|generic_getattr|set_attr|setattro|find_name_in_mro|mro_find|"
                         r"get_class_attr|has_attr|descr_get|PyGetSet|load_attr|get_fget|[gs]et_slot\b"),
    ("calls", r"vectorcall|invoke|FuncArgs|fill_locals|prepare_call|call_slot|PyFunction|PyBoundMethod|"
              r"with_frame|new_frame|take_call_args|bind_args|trampoline|[ie][nx][ti][et]r?_iframe|datastack"),
    ("int and float", r"num_bigint|BigInt|BigUint|PyInt|PyFloat|builtins::int|builtins::float|float_ops|int_ops|"
                      r"new_float|new_int|__multi3|binary_i?op"),
    ("containers", r"PyList|builtins::list|PyTuple|sliceable|slice::|PySet|builtins::set|to_isize_index"),
    ("stack checks", r"psm_stack|stacker|check_c_stack|stack_guard|recursion"),
    ("strings", r"PyStr|builtins::str|wtf8|Wtf8|core::fmt|memcpy|memmove|memset|memcmp"),
    ("dispatch", r"ExecutingFrame|execute_instruction|frame::|Coro|generator|LocalsPlus|read_cache|CodeUnits"),
]


def kind_of(name):
    for kind, pattern in KINDS:
        if re.search(pattern, name):
            return kind
    return "other"


def read_profile(path):
    """The samples of the profile's one thread, each as a list of function names, outermost first."""
    with open(path) as f:
        profile = json.load(f)
    (thread,) = [t for t in profile["threads"] if t["samples"]["length"]] or profile["threads"][:1]
    strings = thread["stringArray"]
    func_names = [strings[i] for i in thread["funcTable"]["name"]]
    frame_func = thread["frameTable"]["func"]
    prefix, frame = thread["stackTable"]["prefix"], thread["stackTable"]["frame"]
    samples = []
    cache = {}
    for index in thread["samples"]["stack"]:
        if index is None:
            continue
        if index not in cache:
            names, at = [], index
            while at is not None:
                names.append(func_names[frame_func[frame[at]]])
                at = prefix[at]
            cache[index] = names[::-1]
        samples.append(cache[index])
    return samples


def short(name, width=110):
    """A demangled Rust path without its hash, generic arguments cut to fit the table."""
    name = re.sub(r"\[[0-9a-f]{16}\]", "", re.sub(r"::h[0-9a-f]{16}$", "", name))
    return name if len(name) <= width else name[: width - 1] + "…"


def profile_one(args, target, scratch, root):
    out = Path(scratch) / (target.replace("/", "_") + ".json")
    run = [args.wasmtime, "run", f"--profile=guest,{out},{args.interval}", "--dir", f"{HERE}::/b"]
    if target.startswith("bm_"):
        name = target[3:]
        # pyperformance_guest.py times ROUNDS rounds of ~0.1 s each after one calibrating loop.
        rounds = max(1, int(args.seconds / 0.1))
        run += ["--dir", f"{root}::/bm", args.python_wasm, "/b/pyperformance_guest.py", "/bm", str(rounds),
                json.dumps({name: extra_options(root, name)})]
    elif target.startswith("programs/"):
        run += ["--env", "PYTHONPATH=/b/programs", args.python_wasm, "/b/programs/harness.py", target[9:],
                str(args.repeat)]
    else:
        raise SystemExit(f"profile: unknown benchmark {target!r} (bm_NAME or programs/NAME)")
    done = subprocess.run(run, capture_output=True, text=True)
    failed = [line for line in done.stdout.splitlines() if '"error"' in line]
    if done.returncode != 0 or failed or not out.exists():
        raise SystemExit(f"profile: {target} failed (exit status {done.returncode}): {' '.join(run)}\n"
                         + (done.stderr[-2000:] or "\n".join(failed)))
    return read_profile(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-wasm", required=True, help="a python.wasm that keeps its function names")
    parser.add_argument("--wasmtime", default="wasmtime")
    parser.add_argument("--python", default=sys.executable, help="python3 for pip (the pyperformance sdist)")
    parser.add_argument("--only", help="comma-separated benchmarks: bm_NAME (pyperformance) or programs/NAME; "
                                       "default " + ",".join(DEFAULT))
    parser.add_argument("--interval", default="1ms", help="the sampling interval (wasmtime's duration syntax)")
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds of each pyperformance benchmark")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each bench/programs program")
    parser.add_argument("--top", type=int, default=30, help="functions in each top list")
    parser.add_argument("--keep", help="a directory to keep the profiles in (profiler.firefox.com reads them)")
    parser.add_argument("--reread", action="store_true", help="report from the profiles kept in --keep, running nothing")
    args = parser.parse_args()
    targets = args.only.split(",") if args.only else DEFAULT
    if args.reread:
        report({t: read_profile(Path(args.keep) / (t.replace("/", "_") + ".json")) for t in targets}, args.top)
        return
    root = benchmarks_dir(args.python) if any(t.startswith("bm_") for t in targets) else None

    per_target = {}
    with tempfile.TemporaryDirectory() as scratch:
        where = args.keep or scratch
        Path(where).mkdir(parents=True, exist_ok=True)
        for target in targets:
            samples = profile_one(args, target, where, root)
            if not samples:
                raise SystemExit(f"profile: {target}: no samples")
            per_target[target] = samples
            print(f"profiled {target}: {len(samples)} samples", file=sys.stderr)
    report(per_target, args.top)


def report(per_target, top):
    kinds = [kind for kind, _ in KINDS] + ["other"]
    print(f"Where the time goes, % of samples by kind of work (the leaf function decides; bench/profile.py KINDS)")
    print(f"  {'benchmark':22}" + "".join(f"{k[:10]:>11}" for k in kinds) + f"{'samples':>9}")
    self_share, total_share = Counter(), Counter()
    overall = Counter()
    for target, samples in per_target.items():
        weight = 1 / len(samples) / len(per_target)
        by_kind = Counter()
        for stack in samples:
            leaf = stack[-1]
            by_kind[kind_of(leaf)] += 1
            self_share[leaf] += weight
            for name in set(stack):
                total_share[name] += weight
        for kind in kinds:
            overall[kind] += by_kind[kind] / len(samples) / len(per_target)
        print(f"  {target:22}" + "".join(f"{100 * by_kind[k] / len(samples):11.1f}" for k in kinds)
              + f"{len(samples):9d}")
    print(f"  {'all (same weight)':22}" + "".join(f"{100 * overall[k]:11.1f}" for k in kinds))
    print()
    print(f"Top {top} functions by self time (% of all samples, each benchmark weighing the same)")
    for name, share in self_share.most_common(top):
        print(f"  {100 * share:6.2f}  {100 * total_share[name]:6.2f}  {kind_of(name):16} {short(name)}")
    print()
    print(f"Top {top} functions by total time (on the stack)")
    for name, share in total_share.most_common(top):
        print(f"  {100 * share:6.2f}  {100 * self_share[name]:6.2f}  {short(name)}")


if __name__ == "__main__":
    main()
