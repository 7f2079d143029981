"""Completes `OSError`. On WASI the VM takes an error's text from Rust's `io::Error`, which
appends " (os error N)"; CPython shows the C library's text alone. A `strerror` descriptor without
that suffix goes on `OSError` (TYPE_ATTRIBUTES), so `str(exc)`, tracebacks and `exc.strerror` all
read as CPython's. When the path lies outside every directory the host granted, the text says so
and names the grants: the sandbox refused it, the file is not necessarily missing.
"""

from .grants import refusal_hint

def _without_rust_suffix(text):
    if isinstance(text, str) and text.endswith(")"):
        head, sep, number = text[:-1].rpartition(" (os error ")
        if sep and number.isdigit():
            return head
    return text


def _strerror_text(exc):
    text = _without_rust_suffix(_strerror.__get__(exc, type(exc)))
    if isinstance(text, str):
        text += refusal_hint(exc)
    return text


_strerror = OSError.__dict__["strerror"]


# (builtin type, attribute, value): Python code cannot change a builtin type, so the embedding sets
# these at start-up.
TYPE_ATTRIBUTES = [
    (OSError, "strerror", property(_strerror_text, _strerror.__set__, None, _strerror.__doc__)),
]
