"""Completes `zoneinfo._tzpath`: CPython takes the time-zone search path from its build (`TZPATH`
in sysconfig: /usr/share/zoneinfo and its kin); the VM has none, so `zoneinfo.TZPATH` was empty
and no zone was found even where the host's database is granted. The same default, unless
PYTHONTZPATH says otherwise."""

import os

CPYTHON_TZPATH = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")


def complete(tzpath):
    if not tzpath.TZPATH and "PYTHONTZPATH" not in os.environ:
        tzpath.reset_tzpath(CPYTHON_TZPATH)
