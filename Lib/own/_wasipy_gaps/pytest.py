"""Completes pytest (a third-party package, when it is imported) where its defaults need what WASI
lacks, so that `python.wasm -m pytest` runs with no extra flags.

- Capture: pytest's default, `--capture=fd`, duplicates descriptors 0-2 (`os.dup`/`dup2`) and
  points them at temporary files; WASI preview 1 cannot duplicate a descriptor. Here fd capture is
  sys capture (`--capture=sys`): what Python code writes to `sys.stdout`/`sys.stderr` is captured,
  as are `capfd`'s reads of it; bytes written with `os.write(1, …)` go straight to the host.
- faulthandler: pytest's plugin enables it on a duplicate of stderr's descriptor; here it is
  enabled on stderr itself.
"""

import sys


def complete_capture(capture):
    class FDCapture(capture.SysCapture):
        """`--capture=fd` under WASI: sys capture of the same stream (no descriptor duplication)."""

        def __init__(self, targetfd):
            super().__init__(targetfd)
            self.targetfd = targetfd

    class FDCaptureBinary(capture.SysCaptureBinary):
        """`capfdbinary` under WASI: sys capture of the same stream, as bytes."""

        def __init__(self, targetfd):
            super().__init__(targetfd)
            self.targetfd = targetfd

    FDCapture.__module__ = FDCaptureBinary.__module__ = capture.__name__
    capture.FDCapture = FDCapture
    capture.FDCaptureBinary = FDCaptureBinary


def complete_faulthandler(module):
    def pytest_configure(config):
        import faulthandler

        faulthandler.enable(file=sys.stderr)

    def pytest_unconfigure(config):
        import faulthandler

        faulthandler.disable()

    module.pytest_configure = pytest_configure
    module.pytest_unconfigure = pytest_unconfigure
