"""census.py's guest half, run in python.wasm itself (so that `id()`, an object's address, is its
address in the snapshot's memory): the objects each of the snapshot's modules reaches first, by
address and type, as JSON."""

import gc
import json
import sys

import _wasipy_snapshot

kinds = {}  # a type's name -> its number in the output


def kind(obj):
    cls = type(obj)
    module = getattr(cls, "__module__", "builtins")
    name = cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
    return kinds.setdefault(name, len(kinds))


seen = set()
module_parts = {id(part) for module in list(sys.modules.values()) for part in (module, vars(module))}


def reach(roots):
    """The ids of what `roots` reach that no earlier module reached: referents as the collector
    knows them, and a code object's constants and names."""
    found = []
    roots = [part for root in roots for part in (root, vars(root))]
    own = {id(root) for root in roots}
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or (id(obj) in module_parts and id(obj) not in own):
            continue  # another module's objects are its own (a function's globals lead there too)
        seen.add(id(obj))
        found.append((id(obj), kind(obj)))
        if type(obj).__name__ == "code":
            stack.extend(obj.co_consts)
            stack.extend(obj.co_names)
            stack.extend(obj.co_varnames)
        else:
            stack.extend(gc.get_referents(obj))
            if type(obj).__name__ == "function":  # the collector does not list a function's code
                stack.append(obj.__code__)
    return found


modules = [["(builtins and sys)", reach([sys.modules["builtins"], sys])]]
for name in ("_frozen_importlib", "_frozen_importlib_external") + _wasipy_snapshot.PRELOADED:
    if name in sys.modules:
        modules.append([name, reach([sys.modules[name]])])
for name, module in list(sys.modules.items()):  # what the preloads imported in turn
    if name not in dict(modules):
        modules.append([name, reach([module])])
json.dump({"kinds": list(kinds), "modules": modules}, sys.stdout)
