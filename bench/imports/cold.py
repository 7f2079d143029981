"""Imports of stdlib modules the snapshot does not hold, timed in-process: each round forgets them
(and what they imported) and imports them again, so every round reads and decodes their frozen
code (python.wasm) or their cached bytecode (native) and runs their top level. Fastest of 5, as
JSON: seconds per module and in all."""

import importlib
import json
import sys
import time

MODULES = ("email.message", "http.client", "xml.dom.minidom", "tarfile", "zipfile", "_pydecimal",
           "asyncio", "unittest", "logging.handlers", "csv", "configparser", "pickle")
before = set(sys.modules)


def one_round():
    times = {}
    for name in sys.modules.keys() - before:
        del sys.modules[name]
    for name in MODULES:
        start = time.perf_counter()
        importlib.import_module(name)
        times[name] = time.perf_counter() - start
    return times


rounds = [one_round() for _ in range(5)]
best = {name: min(r[name] for r in rounds) for name in MODULES}
best["all"] = min(sum(r.values()) for r in rounds)
json.dump(best, sys.stdout)
