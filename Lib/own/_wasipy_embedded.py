"""Package directories embedded into an app snapshot (`wasipy snapshot --embed DIR`).

At the cut, `embed` reads every `.py` file under each directory (a site-packages, an app's own
package tree) into memory and installs a path hook that serves imports below those directories
from that copy, so that a run imports them without a grant. Modules the cut imported are in
memory already; this is for what the app imports later. Other files (templates, data read with
`open()`, `importlib.resources`) are not embedded: those still need the directory granted.
"""

import os
import sys
from importlib.machinery import ModuleSpec, SourceFileLoader

# The embedded directories (guest paths, no trailing slash), and their files by guest path.
_ROOTS = []
_SOURCES = {}


def embed(directories):
    """At the cut: reads the `.py` files under `directories` and serves imports below them."""
    for directory in directories:
        root = os.path.abspath(directory).rstrip("/") or "/"
        for parent, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.endswith((".dist-info", ".egg-info"))]
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(parent, name)
                    with open(path, "rb") as f:
                        _SOURCES[path] = f.read()
        _ROOTS.append(root)
    if _hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _hook)
    # The finders the cut made for these directories read the host: ours replace them.
    for path in list(sys.path_importer_cache):
        if _is_embedded(path):
            del sys.path_importer_cache[path]


def _is_embedded(path):
    path = os.path.abspath(path) if path else os.getcwd()
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in _ROOTS)


def _hook(path):
    if not _ROOTS or not _is_embedded(path):
        raise ImportError("not an embedded directory", path=path)
    return _EmbeddedFinder(os.path.abspath(path) if path else os.getcwd())


class _EmbeddedFinder:
    """A path entry finder for one embedded directory, as the stdlib's FileFinder for a real one:
    a package (`NAME/__init__.py`), a module (`NAME.py`), or a namespace package portion."""

    def __init__(self, path):
        self.path = path.rstrip("/") or "/"

    def find_spec(self, fullname, target=None):
        tail = fullname.rpartition(".")[2]
        base = os.path.join(self.path, tail)
        package = os.path.join(base, "__init__.py")
        if package in _SOURCES:
            spec = ModuleSpec(fullname, _EmbeddedLoader(fullname, package), origin=package, is_package=True)
            spec.submodule_search_locations = [base]
            spec.has_location = True
            return spec
        module = base + ".py"
        if module in _SOURCES:
            spec = ModuleSpec(fullname, _EmbeddedLoader(fullname, module), origin=module)
            spec.has_location = True
            return spec
        prefix = base + "/"
        if any(path.startswith(prefix) for path in _SOURCES):
            spec = ModuleSpec(fullname, None)
            spec.submodule_search_locations = [base]
            return spec
        return None

    def invalidate_caches(self):
        pass

    def __repr__(self):
        return f"_EmbeddedFinder({self.path!r})"


class _EmbeddedLoader(SourceFileLoader):
    """SourceFileLoader reading the snapshot's copy: no file, no bytecode cache."""

    def get_data(self, path):
        try:
            return _SOURCES[path]
        except KeyError:
            # Not a source we embedded (a data file next to it): the directory's grant, if any.
            return super().get_data(path)

    def path_stats(self, path):
        raise OSError("embedded in the snapshot")  # no bytecode cache to check against

    def set_data(self, path, data, *, _mode=0o666):
        pass
