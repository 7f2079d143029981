"""Completes `sys.version`: the VM spells a pre-release in `sys.version` as `3.14.0.alpha`, a fourth dotted
part that `platform.python_version_tuple()` returns and its callers cannot unpack into major,
minor and patch level (prometheus-client at import). CPython spells it `3.14.0a0`."""

_LEVELS = {"alpha": "a", "beta": "b", "candidate": "rc"}


def complete(sys):
    number, space, rest = sys.version.partition(" ")
    if number.count(".") <= 2:
        return
    info = sys.version_info
    level = _LEVELS.get(info.releaselevel)
    spelled = f"{info.major}.{info.minor}.{info.micro}" + (f"{level}{info.serial}" if level else "")
    sys.version = spelled + space + rest
