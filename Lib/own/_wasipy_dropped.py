"""Explains the modules python.wasm leaves out (Lib/MANIFEST): importing one raises
ModuleNotFoundError that says why, instead of a bare "No module named".

Installed last on sys.meta_path, so a module of the same name on sys.path still wins.
"""

import sys

from _wasipy_manifest import DROPPED


def _reason(name):
    for module, reason in DROPPED.items():
        if name == module or name.startswith(module + "."):
            return module, reason
    return None


class DroppedModuleFinder:
    """A meta path finder that finds nothing: it only explains what is not there."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        found = _reason(name)
        if found is None:
            return None
        module, reason = found
        raise ModuleNotFoundError(
            f"No module named {name!r}: python.wasm does not include {module!r} ({reason})",
            name=name,
        )

    @staticmethod
    def invalidate_caches():
        pass


sys.meta_path.append(DroppedModuleFinder)
