"""Completes `time`. The VM converts local time by `TZ` (POSIX rules and zone names; UTC when
unset) but numbers `tm_wday` from Sunday, never sets `tm_isdst`, ignores it in `mktime`, has no
zone attributes (`tzname`, `timezone`, `altzone`, `daylight`, which `_strptime` needs) and leaves
`strftime`'s `%Z`/`%z` literal: `gmtime`/`localtime`/`mktime`/`strftime`/`tzset` here fix that.
`process_time`/`thread_time` fall back to the time since start-up where the host has no CPU-time
clocks (wasmtime has none), and `get_clock_info` gives the host's resolutions.
"""

import time

_native_gmtime = time.gmtime
_native_localtime = time.localtime
_native_mktime = time.mktime
_native_strftime = time.strftime


def _tzset():
    """Reads the zone of `TZ` (a POSIX rule such as `EST+05EDT,M3.2.0,M11.1.0`, or a zone name the
    VM knows, such as `Europe/Paris`; UTC when unset) into tzname/timezone/altzone/daylight, the
    way CPython does: from the offsets of 1 January and 1 July of this year."""
    year = _native_localtime().tm_year
    january = _native_localtime(_native_mktime((year, 1, 1, 0, 0, 0, 0, 1, -1)))
    july = _native_localtime(_native_mktime((year, 7, 1, 0, 0, 0, 0, 182, -1)))
    # Standard time has the smaller UTC offset (summer time is January in the south).
    standard, summer = (january, july) if january.tm_gmtoff <= july.tm_gmtoff else (july, january)
    time.tzname = (standard.tm_zone, summer.tm_zone)
    time.timezone = -standard.tm_gmtoff
    time.altzone = -summer.tm_gmtoff
    time.daylight = int(january.tm_gmtoff != july.tm_gmtoff)


def _struct_time(native, isdst):
    # The VM numbers tm_wday from Sunday; Python's week starts on Monday (0).
    fields = list(native[:9])
    fields[6] = (fields[6] + 6) % 7
    fields[8] = isdst
    return time.struct_time(fields + [native.tm_zone, native.tm_gmtoff])


def _gmtime(*seconds):
    return _struct_time(_native_gmtime(*seconds), 0)


def _localtime(*seconds):
    native = _native_localtime(*seconds)
    return _struct_time(native, int(bool(time.daylight) and native.tm_gmtoff == -time.altzone))


def _mktime(t):
    """time.mktime, honouring an explicit tm_isdst of 0 or 1 as CPython does (the VM ignores it)."""
    result = _native_mktime(t)
    wanted = t[8]
    if wanted in (0, 1):
        actual = _localtime(result).tm_isdst
        # Where the zone has no summer time, the C library takes tm_isdst=1 as one hour ahead.
        shift = time.timezone - time.altzone if time.daylight else 3600
        result += shift * (actual - wanted)
    return result


def _zone_of(t):
    """(name, UTC offset in seconds) of the time tuple `t`, local time when None."""
    if t is None:
        t = _localtime()
    zone, offset = getattr(t, "tm_zone", None), getattr(t, "tm_gmtoff", None)
    if zone is None:
        zone = time.tzname[len(t) > 8 and t[8] > 0]
    # As CPython: a plain tuple carries no offset, and %z prints +0000 for it.
    return zone, offset or 0


def _strftime(format, t=None):
    """time.strftime with the zone directives, which the VM leaves literal under WASI."""
    out, i = [], 0
    while i < len(format):
        pair = format[i:i + 2]
        if pair in ("%Z", "%z"):
            zone, offset = _zone_of(t)
            if pair == "%Z":
                out.append(zone.replace("%", "%%"))
            else:
                sign = "-" if offset < 0 else "+"
                hours, minutes = divmod(abs(offset) // 60, 60)
                out.append(f"{sign}{hours:02d}{minutes:02d}")
        elif pair[:1] == "%" and len(pair) == 2:
            out.append(pair)
        else:
            out.append(format[i])
            i += 1
            continue
        i += 2
    return _native_strftime("".join(out), *(() if t is None else (t,)))


_START_NS = time.monotonic_ns()


def _cpu_clock_fallback(native_ns):
    try:
        native_ns()
        return None
    except NotImplementedError:
        return lambda: time.monotonic_ns() - _START_NS


_FALLBACK_CLOCKS = set()

# time's clock names -> the WASI clocks behind them (for the host's real resolution).
_WASI_CLOCKS = {"time": "realtime", "monotonic": "monotonic", "perf_counter": "monotonic",
                "process_time": "process_cputime", "thread_time": "thread_cputime"}
_native_get_clock_info = time.get_clock_info


def _get_clock_info(name):
    """time.get_clock_info with the host's resolution (clock_res_get) and the CPU-time fallback."""
    import types

    import wasi

    if name in _FALLBACK_CLOCKS:
        info = types.SimpleNamespace(
            implementation=f"monotonic time since start-up (the WASI host has no {name} clock)",
            monotonic=True, adjustable=False, resolution=_native_get_clock_info("monotonic").resolution)
    else:
        info = _native_get_clock_info(name)
    nanoseconds = wasi.clock_resolutions().get(_WASI_CLOCKS.get(name, ""))
    if nanoseconds:
        info.resolution = nanoseconds / 1e9
    return info


def _builtin(function, name):
    """`function` as `time.<name>`: like the native function it replaces, it must not bind as a
    method where code keeps it in a class (`logging.Formatter.converter = time.localtime`), which a
    plain Python function does; a static method does not, and is callable itself."""
    function.__name__ = function.__qualname__ = name
    function.__module__ = "time"
    return staticmethod(function)


def complete(module):
    _tzset()
    time.tzset = _builtin(_tzset, "tzset")
    time.gmtime = _builtin(_gmtime, "gmtime")
    time.localtime = _builtin(_localtime, "localtime")
    time.mktime = _builtin(_mktime, "mktime")
    if _native_strftime("%Z", _native_gmtime(0)) == "%Z":
        time.strftime = _builtin(_strftime, "strftime")
    for name in ("process_time", "thread_time"):
        fallback = _cpu_clock_fallback(getattr(time, name + "_ns"))
        if fallback is not None:
            setattr(time, name + "_ns", _builtin(fallback, name + "_ns"))
            setattr(time, name, _builtin(lambda _ns=fallback: _ns() / 1e9, name))
            _FALLBACK_CLOCKS.add(name)
    time.get_clock_info = _builtin(_get_clock_info, "get_clock_info")
