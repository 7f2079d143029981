"""Serve a WSGI application as a CGI/WAGI handler: the request in environment variables and on
stdin, the response (headers, a blank line, the body) on stdout.

    python.wasm -m wasipy_cgi app:application      # module `app`, callable `application`
    python.wasm -m wasipy_cgi app                  # callable `application` by default

or, inside a handler script:

    import wasipy_cgi
    wasipy_cgi.run(application)

This is how edge platforms run a wasip1 command per request (Fermyon Spin's `wagi` executor,
Wasmer's WCGI) and how `wasipy serve` runs python.wasm. In python-http.wasm, the wasi:http
component, `run(application)` serves the component's request instead (`_wasipy_component`). The environ is CGI's, with the gaps those
hosts leave filled: `CONTENT_TYPE`/`CONTENT_LENGTH` from `HTTP_CONTENT_TYPE`/`HTTP_CONTENT_LENGTH`
when only the header form is set, and defaults for what a WSGI application may assume is present.
An exception in the application becomes a `500 Internal Server Error` whose traceback goes to
stderr (the platform's log), never into the response.
"""

import importlib
import os
import sys
from wsgiref.handlers import BaseCGIHandler

__all__ = ["run", "wsgi_environ", "main"]

_DEFAULTS = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "",
    "QUERY_STRING": "",
    "SERVER_NAME": "localhost",
    "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "GATEWAY_INTERFACE": "CGI/1.1",
}


def wsgi_environ(environ=None):
    """The CGI variables of this request (from `os.environ` by default), with the gaps filled."""
    env = dict(os.environ if environ is None else environ)
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if not env.get(name) and env.get("HTTP_" + name):
            env[name] = env["HTTP_" + name]
    for name, value in _DEFAULTS.items():
        env.setdefault(name, value)
    return env


class _Handler(BaseCGIHandler):
    # The request's variables are all in `environ`; do not merge a second copy of os.environ.
    os_environ = {}
    wsgi_run_once = True


def run(application, environ=None, stdin=None, stdout=None, stderr=None):
    """Runs `application` once for the request in `environ` (default: this process's CGI request,
    or in a wasi:http component the request it serves)."""
    component = sys.modules.get("_wasipy_component")
    if component is not None and environ is None and stdin is None and stdout is None and component.has_request():
        return component.run(application, stderr)
    handler = _Handler(
        stdin if stdin is not None else sys.stdin.buffer,
        stdout if stdout is not None else sys.stdout.buffer,
        stderr if stderr is not None else sys.stderr,
        wsgi_environ(environ),
        multithread=False,
        multiprocess=True,
    )
    handler.run(application)
    (stdout if stdout is not None else sys.stdout.buffer).flush()


def _load(target):
    module_name, _, attribute = target.partition(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    application = importlib.import_module(module_name)
    for part in (attribute or "application").split("."):
        application = getattr(application, part)
    return application


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m wasipy_cgi MODULE[:CALLABLE]", file=sys.stderr)
        return 2
    run(_load(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
