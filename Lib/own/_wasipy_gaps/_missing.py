"""The AttributeError for a function WASI lacks: the name stays absent (so `hasattr` feature
checks keep working), and the message says why."""


def explain_missing(module_name, reasons):
    """A module `__getattr__` for `module_name`: `reasons` maps a missing name to what is missing."""

    def __getattr__(name):
        if name in reasons:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r} ({reasons[name]})")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
