"""Completes `_sqlite3` and `sqlite3.dbapi2` (README, "sqlite3 under WASI").

- `_sqlite3`: before any database is opened, SQLite's unix VFS gets the locks and randomness WASI
  lacks (`_wasipy_sqlite.install`, src/sqlite.rs).
- Its exceptions are `sqlite3.OperationalError` and so on in tracebacks and reprs, as in CPython
  (the VM names them after `_sqlite3`).
- `sqlite3.connect`: a database outside every directory the host granted cannot be opened, and
  SQLite alone says only "unable to open database file". The error then says what our other file
  calls say (`errors.py`): the path is not inside a granted directory, and which ones are. It stays
  the `OperationalError` SQLite raised, with its error code and name.
"""

from .grants import refusal_hint


EXCEPTIONS = ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
              "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError")


def install(_sqlite3):
    import _wasipy_sqlite

    _wasipy_sqlite.install()
    for name in EXCEPTIONS:
        getattr(_sqlite3, name).__module__ = "sqlite3"


def complete_connect(dbapi2):
    import _wasipy_sqlite

    dbapi2.connect = _wasipy_sqlite.connect


def explain(exc, args, kwargs):
    """Called by `_wasipy_sqlite.connect` with the OperationalError `connect(*args, **kwargs)` raised:
    adds to its text why the sandbox hid the database, if it did."""
    import errno
    import os

    database = args[0] if args else kwargs.get("database")
    uri = args[7] if len(args) > 7 else kwargs.get("uri", False)
    try:
        path = os.fsdecode(database)
    except TypeError:
        return
    if uri:
        path = _uri_path(path)
    if path in ("", ":memory:") or not exc.args or not isinstance(exc.args[0], str):
        return
    hint = refusal_hint(OSError(errno.ENOENT, "", path))
    if hint:
        exc.args = (exc.args[0] + hint,) + exc.args[1:]


def _uri_path(uri):
    """The file a `file:` URI names (SQLite's rules: an optional `//localhost` authority, no query)."""
    from urllib.parse import unquote

    if not uri.startswith("file:"):
        return uri
    path = uri[len("file:"):].split("?", 1)[0].split("#", 1)[0]
    if path.startswith("//"):
        authority, _, rest = path[2:].partition("/")
        path = "/" + rest if authority in ("", "localhost") else ""
    return unquote(path)
