"""Completes `_imp`: `_override_frozen_modules_for_tests(-1)` (test.support's
`import_fresh_module`) would switch the frozen importer off, expecting the stdlib's .py files on
sys.path as in CPython. Here the stdlib exists only frozen, so switching it off would leave
nothing to import: a negative value is taken as "default" (frozen modules on). Re-importing a
frozen module fresh still works."""


def complete(_imp):
    native = _imp._override_frozen_modules_for_tests

    def _override_frozen_modules_for_tests(override):
        native(max(override, 0))

    _imp._override_frozen_modules_for_tests = _override_frozen_modules_for_tests
