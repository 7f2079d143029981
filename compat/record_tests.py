"""Runs one test module as `python -m unittest test.<module>` does, and records every test's outcome.

The same file runs under python.wasm and under native CPython, so both counts come from one
definition of "run", "passed", "failed", "errors" and "skipped". Each outcome is one JSON line,
written and flushed as the test ends: when the interpreter dies mid-module, what ran before the
crash is still on the host.

A test's start is recorded too, so a crash names the test it happened in; the runner then runs
the module again without the tests already recorded and the crashing one (the skip file).

Where 3.14 removed a private name that a 3.11 test module reads at import, the whole module would
fail before any test runs. REMOVED_IN_314 supplies a placeholder for those names (only where the
interpreter lacks them), so the module's other tests run; the tests of the removed internals then
fail and are classified as 3.11-vs-3.14 differences.

usage: record_tests.py test.<module> <outcomes.jsonl> [<skip file: one test id a line>]
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
import time
import traceback
import types
import unittest


# module -> names 3.11's tests use that 3.14's module no longer has: None for a placeholder that
# fails when used, REMOVED_CLASS for a class whose instances fail when used (a test module makes one
# at import), or what replaced it under the same contract: a dotted name in the module, or
# "module:name" elsewhere.
REMOVED_CLASS = "class"
REMOVED_IN_314 = {
    # 3.13 removed LegacyInterpolation (deprecated since 3.2); test_configparser makes one in a class body.
    "configparser": {"LegacyInterpolation": REMOVED_CLASS},
    # 3.14 removed the importlib.abc alias of importlib.resources.abc.ResourceReader.
    "importlib.abc": {"ResourceReader": "importlib.resources.abc:ResourceReader",
                      "Traversable": "importlib.resources.abc:Traversable",
                      "TraversableResources": "importlib.resources.abc:TraversableResources"},
    # 3.12 replaced the flavour objects with the os.path modules.
    "pathlib": {"_posix_flavour": None, "_windows_flavour": None},
    # 3.13 replaced _acquireLock()/_releaseLock() with the module's RLock, `_lock`.
    "logging": {"_acquireLock": "_lock.acquire", "_releaseLock": "_lock.release"},
    # 3.14 split it by result type; the datetime one keeps the signature.
    "_strptime": {"_strptime_datetime": "_strptime_datetime_datetime"},
    # 3.14 removed the pysqlite version (deprecated in 3.12); test_sqlite3 prints it at import.
    "sqlite3": {"version": None, "version_info": None},
}

# (module, class, old attribute, new attribute): instance attributes 3.13 renamed.
RENAMED_ATTRIBUTES_314 = [
    ("pathlib", "PurePath", "_flavour", "parser"),  # the os.path module of the path's flavour
]

# Test classes that cannot run on 3.14 at all, skipped with the reason (their setUpClass would
# otherwise break the module for the tests after them).
UNRUNNABLE_IN_314 = {
    "test.test_typing.NewTypePythonTests": "3.14's typing has no pure-Python version (it needs _typing)",
}

# Accelerator modules 3.14's pure-Python module cannot do without (3.11's could): a 3.11 test that
# imports the pure-Python version with the accelerator blocked gets None, as when a fresh module
# cannot be imported, instead of failing the whole module at import.
REQUIRED_IN_314 = {"_typing"}


# Modules a 3.11 test module imports at import time that the interpreter does not have: 3.12
# removed some (PEP 594), and python.wasm leaves out what needs processes. In their place, a module
# whose classes can be subclassed but not instantiated, so only the tests that use them fail.
ABSENT_MODULES = {
    "asyncore": "the module was removed in Python 3.12",
    "asynchat": "the module was removed in Python 3.12",
    "smtpd": "the module was removed in Python 3.12",
    "multiprocessing": "python.wasm has no multiprocessing: WASI has no processes",
}

# Test modules that import only C's integer limits from CPython's `_testcapi`, which RustPython does
# not have: for them alone (others import `_testcapi` for C-API tests, and skip when it is absent),
# a `_testcapi` of those limits, whose values are C's on every platform CPython supports.
C_LIMITS = {"INT_MAX": 2**31 - 1, "INT_MIN": -2**31, "UINT_MAX": 2**32 - 1,
            "LLONG_MAX": 2**63 - 1, "LLONG_MIN": -2**63, "ULLONG_MAX": 2**64 - 1}
NEEDS_C_LIMITS = {"test.test_sqlite3"}  # test_dbapi: INT_MAX, ULLONG_MAX


# Modules 3.14 moved, under the same contract: the 3.11 name is given the new module.
MOVED_MODULES_314 = {
    "_compression": "compression._common._streams",  # 3.14 (PEP 784 added the compression package)
}

# 3.11 test data modules that write to the module-level `__annotations__` dict, which 3.11 made
# for every module with annotations and 3.14 no longer does (PEP 649): given an empty one.
NEEDS_MODULE_ANNOTATIONS = {"test.typinganndata.ann_module"}


def get_config_314():
    """3.11's `_testinternalcapi.get_config()`, which test.support calls at the import of
    test_traceback and others (for `code_debug_ranges`): 3.14 reads the configuration through
    `_testcapi.config_get()` (PEP 741), and RustPython's `_testinternalcapi` has only `get_configs()`,
    without that key. Its "config" dict, with `code_debug_ranges` as the interpreter's code objects
    show it (whether they carry column positions)."""
    import _testinternalcapi

    config = dict(_testinternalcapi.get_configs().get("config", {}))
    positions = next(compile("x", "<positions>", "eval").co_positions(), (None,) * 4)
    config.setdefault("code_debug_ranges", positions[2] is not None)
    return config


class RemovedIn314:
    def __init__(self, module, name):
        self._what = f"{module}.{name}"

    def __getattr__(self, attr):
        raise AttributeError(f"{self._what} was removed after Python 3.11 (a 3.11 test of it)")


class AbsentModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        message = f"{self.__name__}.{name}: {ABSENT_MODULES[self.__name__]}"

        def __init__(self, *args, **kwargs):
            raise NotImplementedError(message)

        return type(name, (), {"__init__": __init__, "__call__": __init__})


def replaced(module, name, replacement):
    """What stands for `module.name` (see REMOVED_IN_314)."""
    if replacement is None:
        return RemovedIn314(module.__name__, name)
    if replacement == REMOVED_CLASS:
        what = f"{module.__name__}.{name}"
        return type(name, (), {"__getattr__": lambda self, attr: RemovedIn314(what, attr).__getattr__(attr)})
    if ":" in replacement:
        module_name, _, replacement = replacement.partition(":")
        module = importlib.import_module(module_name)
    value = module
    for part in replacement.split("."):
        value = getattr(value, part)
    return value


def adapt_module(module):
    """Gives a freshly imported `module` the 3.11 names its tests use (REMOVED_IN_314)."""
    for name, replacement in REMOVED_IN_314.get(module.__name__, {}).items():
        if hasattr(module, name):
            continue
        setattr(module, name, replaced(module, name, replacement))
    for module_name, class_name, old, new in RENAMED_ATTRIBUTES_314:
        cls = getattr(module, class_name, None) if module.__name__ == module_name else None
        if cls is not None and not hasattr(cls, old):
            setattr(cls, old, property(lambda self, new=new: getattr(self, new)))


class AdaptingFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: adapts the modules the other finders find, on every import (test
    modules re-import some fresh)."""

    adapted = set(REMOVED_IN_314) | {module for module, *_ in RENAMED_ATTRIBUTES_314} | NEEDS_MODULE_ANNOTATIONS

    @classmethod
    def invalidate_caches(cls):
        pass  # importlib.invalidate_caches() calls it on every finder of sys.meta_path

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in cls.adapted:
            return None
        for finder in sys.meta_path:
            if finder is cls or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module
        if getattr(exec_module, "adapts", False):
            # A loader shared by many modules (the frozen importer) adapts what it runs already:
            # wrapping it once more per adapted module would nest every later import that deep.
            return spec

        def exec_adapted(module):
            if module.__name__ in NEEDS_MODULE_ANNOTATIONS:
                module.__dict__.setdefault("__annotations__", {})
            exec_module(module)
            adapt_module(module)

        exec_adapted.adapts = True
        spec.loader.exec_module = exec_adapted
        return spec


def adapt_to_314(test_module):
    if sys.version_info < (3, 12):
        return  # the reference interpreter runs its own test package as it is
    if test_module in NEEDS_C_LIMITS and importlib.util.find_spec("_testcapi") is None:
        limits = types.ModuleType("_testcapi", "C's integer limits only (compat/record_tests.py)")
        vars(limits).update(C_LIMITS)
        sys.modules["_testcapi"] = limits
    for name in ABSENT_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            sys.modules[name] = AbsentModule(name)
    for old_name, new_name in MOVED_MODULES_314.items():
        try:
            importlib.import_module(old_name)
        except ImportError:
            sys.modules[old_name] = importlib.import_module(new_name)
    sys.meta_path.insert(0, AdaptingFinder)
    for name in AdaptingFinder.adapted:
        if name in REMOVED_IN_314 or any(name == module for module, *_ in RENAMED_ATTRIBUTES_314):
            adapt_module(importlib.import_module(name))
    try:
        import _testinternalcapi
    except ImportError:
        pass
    else:
        if not hasattr(_testinternalcapi, "get_config") and hasattr(_testinternalcapi, "get_configs"):
            _testinternalcapi.get_config = get_config_314

    from test.support import import_helper

    import_fresh_module = import_helper.import_fresh_module

    def import_fresh_module_314(name, fresh=(), blocked=(), **kwargs):
        try:
            return import_fresh_module(name, fresh, blocked, **kwargs)
        except ImportError as exc:
            if REQUIRED_IN_314.intersection(blocked) and exc.name in REQUIRED_IN_314:
                return None
            raise

    import_helper.import_fresh_module = import_fresh_module_314


def summary(err):
    """One line of a failure's exception: what the results file classifies by."""
    if err is None:
        return ""
    text = "".join(traceback.format_exception_only(err[0], err[1])).strip()
    lines = text.splitlines() or [repr(err[1])]
    # A module that failed to import carries the whole traceback in its message: its last line says why.
    line = lines[-1] if "Traceback (most recent call last)" in text else lines[0]
    return line.strip()[:300]


class RecordingResult(unittest.TextTestResult):
    outcomes = None
    _started = time.monotonic()  # for errors outside a test (setUpClass, a module that fails to load)

    def _record(self, test, outcome, detail=""):
        record = {"test": test.id(), "outcome": outcome, "detail": detail}
        if outcome != "started":
            record["seconds"] = round(time.monotonic() - self._started, 3)
        line = json.dumps(record)
        self.outcomes.write(line + "\n")
        self.outcomes.flush()

    def printErrors(self):
        # Every outcome is recorded already: a failure to print one (a repr that raises) must not
        # end the interpreter with a traceback, which would count as the module's crash.
        try:
            super().printErrors()
        except Exception as exc:
            self.stream.writeln(f"record_tests: printing the errors failed: {exc!r}")

    def startTest(self, test):
        super().startTest(test)
        self._subtest_failed = False
        self._started = time.monotonic()
        self._record(test, "started")

    def addSuccess(self, test):
        super().addSuccess(test)
        if not self._subtest_failed:
            self._record(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failed", summary(err))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", summary(err))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", str(reason)[:300])

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "passed", "expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "failed", "unexpected success")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None and not self._subtest_failed:
            # A test with a failing subtest fails once, under the test's own id, as regrtest counts it.
            self._subtest_failed = True
            failed = issubclass(err[0], test.failureException)
            self._record(test, "failed" if failed else "error", summary(err))


def without(suite, skip):
    """`suite` less the tests whose ids are in `skip`."""
    kept = unittest.TestSuite()
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            kept.addTest(without(test, skip))
        elif test.id() not in skip:
            kept.addTest(test)
    return kept


class SkippingLoader(unittest.TestLoader):
    skip = frozenset()

    def loadTestsFromModule(self, module, *args, **kwargs):
        if sys.version_info >= (3, 12):
            for qualified, reason in UNRUNNABLE_IN_314.items():
                module_name, _, class_name = qualified.rpartition(".")
                if module.__name__ == module_name and hasattr(module, class_name):
                    unittest.skip(reason)(getattr(module, class_name))
        return super().loadTestsFromModule(module, *args, **kwargs)

    def loadTestsFromNames(self, names, module=None):
        return without(super().loadTestsFromNames(names, module), self.skip)


def main():
    module, outcomes_path = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as skip_file:
            SkippingLoader.skip = frozenset(line.strip() for line in skip_file if line.strip())
    import test.support

    # As regrtest without -u: tests that need a resource (network, cpu, largefile, ...) skip.
    test.support.use_resources = []
    adapt_to_314(module)
    with open(outcomes_path, "a", encoding="utf-8") as outcomes:
        try:
            importlib.import_module(module)
        except unittest.SkipTest as skip:
            # A module that skips itself at import (not for this platform, a resource it needs):
            # regrtest counts it as skipped, where `python -m unittest` would end with a traceback.
            line = {"test": f"unittest.loader.ModuleSkipped.{module}", "outcome": "skipped", "detail": str(skip)[:300]}
            outcomes.write(json.dumps(line) + "\n")
            return
        except Exception:
            # unittest would report only an ImportError as a test that failed to load, and end
            # with a traceback for any other: the module is one error, as regrtest counts it.
            line = {"test": f"unittest.loader._FailedTest.{module}", "outcome": "error", "detail": summary(sys.exc_info())}
            outcomes.write(json.dumps(line) + "\n")
            return
        RecordingResult.outcomes = outcomes
        runner = unittest.TextTestRunner(resultclass=RecordingResult, verbosity=0)
        unittest.main(module=None, argv=["python -m unittest", module], testRunner=runner,
                      testLoader=SkippingLoader(), exit=False)


if __name__ == "__main__":
    main()
