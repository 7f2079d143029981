"""python.wasm's interactive prompt: CPython's plain REPL, built on `code.InteractiveConsole`.

As in CPython, prompts go to stderr and expression results to stdout, so a piped session
(`python.wasm -i < input`) has the same stdout as CPython's.
"""

import code
import sys


class _Console(code.InteractiveConsole):
    def raw_input(self, prompt=""):
        sys.stderr.write(prompt)
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")


def interact(namespace, show_banner):
    banner = ""
    if show_banner:
        banner = (
            f"Python {sys.version} on {sys.platform}\n"
            'Type "help", "copyright", "credits" or "license" for more information.'
        )
    sys.ps1 = getattr(sys, "ps1", ">>> ")
    sys.ps2 = getattr(sys, "ps2", "... ")
    console = _Console(namespace)
    try:
        console.interact(banner=banner, exitmsg="")
    finally:
        # CPython ends an interactive session at EOF with a newline on stderr.
        sys.stderr.write("\n")
