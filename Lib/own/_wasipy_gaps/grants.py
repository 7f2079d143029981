"""Paths against the directories the host granted (`wasi.preopens()`): which grant holds a path,
and, for an error about a path, the hint that says the sandbox refused it."""

def absolute(path):
    """`path` made absolute against the cwd and normalised, as the host will resolve it."""
    import posixpath

    try:
        cwd = __import__("os").getcwd()
    except OSError:
        cwd = "/"
    return posixpath.normpath(posixpath.join(cwd, path))


def grant_holding(path, grants):
    """The (guest path, writable) grant that holds the absolute `path`, or None."""
    for guest, writable in grants:
        if guest == "." or inside(path, guest):  # `--dir .`: the grant is the guest's whole tree
            return guest, writable
    return None


def inside(path, root):
    root = root.rstrip("/")
    return root == "" or path == root or path.startswith(root + "/")


def leads_outside(path, grant):
    """Whether resolving the symbolic links in `path` takes it out of `grant`."""
    import os

    # A host symlink whose target is absolute cannot even be read through WASI: that is an escape.
    parts = path.split("/")
    for end in range(2, len(parts) + 1):
        prefix = "/".join(parts[:end])
        try:
            if os.path.islink(prefix):
                os.readlink(prefix)
        except OSError:
            return True
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return True
    return not inside(real, grant)


def refusal_hint(exc):
    """' (… not inside a granted directory …)' when `exc` is about a path the sandbox hides."""
    import errno

    import wasi

    if exc.errno not in (errno.ENOENT, errno.EACCES, errno.EPERM, getattr(errno, "ENOTCAPABLE", 76)):
        return ""
    filename = exc.filename
    if not isinstance(filename, str) or not filename:
        return ""
    grants = wasi.preopens()
    path = absolute(filename)
    granted = ", ".join(guest for guest, _writable in grants) or "none"
    holding = grant_holding(path, grants)
    if holding is not None and holding[0] == ".":
        return ""
    if holding is not None:
        if exc.errno not in (errno.EPERM, getattr(errno, "ENOTCAPABLE", 76)):
            return ""
        # Inside a grant by name, yet refused (not merely missing): either a symbolic link led out
        # of it, or the host granted it read-only (WASI hosts report no rights that would say so).
        if leads_outside(path, holding[0]):
            return f" ({path} leads outside the granted directories, e.g. through a symbolic link; granted: {granted})"
        return f" (the host refused to change {path}: is {holding[0]} granted read-only?)"
    return f" ({path} is not inside a granted directory; granted: {granted}; grant it with --dir)"
