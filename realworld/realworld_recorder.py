"""A pytest plugin that records every test's outcome, for `make realworld` (realworld/run.py).

It only reports: loaded with `-p realworld_recorder --record-outcomes=FILE`, it changes nothing
in how pytest collects or runs the suite. The same file runs under python.wasm and under native
CPython, so both sides are counted by one definition of "passed", "failed", "error", "skipped",
"xfailed" and "xpassed". Each outcome is one JSON line, written and flushed as the test ends:
when the interpreter dies mid-suite, what ran before is still on the host. A test's start, and
the start of each file's collection, are recorded too, so a crash names where it happened.

Only when the runner resumes a suite after a crash or a hang does it pass `--record-skip=FILE`
(one node id a line): those tests are deselected, by exact id (pytest's own `--deselect` matches
prefixes, so `test_a` would take `test_ab` with it), and a file whose collection crashed is not
collected again.
"""

import json
import os
import time

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("realworld_recorder")
    group.addoption("--record-outcomes", metavar="FILE", help="append each test's outcome to FILE (JSON lines)")
    group.addoption("--record-skip", metavar="FILE", help="deselect the node ids listed in FILE (a resumed run)")


def pytest_configure(config):
    path = config.getoption("record_outcomes")
    if path:
        config.pluginmanager.register(Recorder(path, config.getoption("record_skip")), "realworld_recorder_instance")


def first_line(text):
    return (str(text).strip().splitlines() or [""])[0].strip()[:300]


def failure_line(report):
    """The exception line of a failure: `ValueError: bad`, as the results group them."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return first_line(crash.message)
    text = str(report.longrepr)
    # A collection error is a formatted traceback: its `E   ` lines say why, the last one most.
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return (errors[-1] if errors else first_line(text.strip().splitlines()[-1:] or [""]))[:300]


def skip_reason(report):
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return first_line(report.longrepr[2])
    return first_line(report.longrepr)


class Recorder:
    def __init__(self, path, skip_path):
        self.out = open(path, "a", encoding="utf-8")
        self.skip = set()
        if skip_path and os.path.exists(skip_path):
            with open(skip_path, encoding="utf-8") as skip_file:
                self.skip = {line.strip() for line in skip_file if line.strip()}
        self.current = {}

    def write(self, test, outcome, detail="", seconds=None):
        record = {"test": test, "outcome": outcome, "detail": detail}
        if seconds is not None:
            record["seconds"] = round(seconds, 3)
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    # -- collection ----------------------------------------------------------------------------------

    def pytest_ignore_collect(self, collection_path, config):
        rootdir = str(config.rootpath)
        relative = os.path.relpath(str(collection_path), rootdir).replace(os.sep, "/")
        return True if relative in self.skip else None

    def pytest_collectstart(self, collector):
        if collector.nodeid and "::" not in collector.nodeid and os.path.isfile(str(collector.path)):
            self.write(collector.nodeid, "collecting")

    def pytest_collectreport(self, report):
        if report.failed:
            self.write(report.nodeid, "collect-error", failure_line(report))
        elif report.nodeid and "::" not in report.nodeid:
            self.write(report.nodeid, "collected")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if not self.skip:
            return
        kept = [item for item in items if item.nodeid not in self.skip]
        removed = [item for item in items if item.nodeid in self.skip]
        if removed:
            config.hook.pytest_deselected(items=removed)
            items[:] = kept

    # -- tests ---------------------------------------------------------------------------------------

    def pytest_runtest_logstart(self, nodeid, location):
        self.current = {"outcome": None, "detail": "", "seconds": 0.0, "started": time.monotonic()}
        self.write(nodeid, "started")

    def pytest_runtest_logreport(self, report):
        state = self.current
        state["seconds"] += getattr(report, "duration", 0.0) or 0.0
        xfail = hasattr(report, "wasxfail")
        if report.when in ("setup", "call"):
            if report.failed:
                state.update(outcome="error" if report.when == "setup" else "failed", detail=failure_line(report))
            elif report.skipped:
                state.update(outcome="xfailed" if xfail else "skipped",
                             detail=report.wasxfail if xfail else skip_reason(report))
            elif report.when == "call":
                state.update(outcome="xpassed" if xfail else "passed")
        elif report.when == "teardown" and report.failed and state["outcome"] in (None, "passed", "xpassed"):
            state.update(outcome="error", detail="in teardown: " + failure_line(report))

    def pytest_runtest_logfinish(self, nodeid, location):
        state = self.current
        self.write(nodeid, state["outcome"] or "error", state["detail"] or "", state["seconds"])

    def pytest_sessionstart(self, session):
        self.write("<session>", "started")

    def pytest_sessionfinish(self, session, exitstatus):
        self.write("<session>", "finished", str(int(exitstatus)))
