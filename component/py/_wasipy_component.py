"""The Python side of python-http.wasm, the wasi:http component (its Rust side is `_wasipy_http`).

- `handle()` serves this instance's one request: it runs the handler script the component was cut
  with (`wasipy snapshot --component --handler SCRIPT`) as `__main__`.
- `run(application)` serves a WSGI application on that request: what `wasipy_cgi.run(app)` does in
  a component, so that one handler script serves as CGI/WAGI (python.wasm) and as a component.
- Imported, it routes `http.client` (and so `urllib.request`, and anything built on them) through
  the host's outgoing handler: the request `HTTPConnection` writes is sent as a wasi:http request,
  and the response is read from its stream; the host makes the connection and does TLS.
"""

import io
import sys

import _wasipy_http

# Hop-by-hop headers: wasi:http hosts refuse them in fields (the host frames the message itself).
_HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host", "te", "http2-settings"))


def has_request():
    return _wasipy_http.request() is not None


def handle():
    """Serves the request with the component's handler script, run as `__main__`."""
    import builtins
    import os
    import types

    import _wasipy_snapshot

    if _wasipy_snapshot.HANDLER is None:
        message = "this component has no handler: cut one with `wasipy snapshot --component --handler SCRIPT`\n"
        sys.stderr.write("wasipy: " + message)
        _respond_text(500, message)
        return
    path, code = _wasipy_snapshot.HANDLER
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        exec(code, main.__dict__)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass


def _respond_text(status, text):
    _wasipy_http.respond(status, ["content-type"], [b"text/plain; charset=utf-8"])
    _wasipy_http.write_body(text.encode())


def wsgi_environ():
    """The request as CGI variables (RFC 3875), as `wasipy serve` gives them to a CGI handler."""
    from urllib.parse import unquote

    method, scheme, authority, target, headers = _wasipy_http.request()
    path, _, query = (target or "/").partition("?")
    host, _, port = (authority or "localhost").rpartition(":") if ":" in (authority or "") else (authority or "localhost", "", "")
    environ = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "wasipy-component",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": host,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path, "utf-8", "replace"),
        "QUERY_STRING": query,
    }
    if scheme == "https":
        environ["HTTPS"] = "on"
    for name, value in headers:
        if name.lower() == "spin-path-info":
            # Spin routes `/store/...` to the component with the whole path; the app is mounted
            # below the route, as a CGI handler is under SCRIPT_NAME.
            below = unquote(value.decode("latin-1"), "utf-8", "replace")
            if environ["PATH_INFO"].endswith(below):
                environ["SCRIPT_NAME"] = environ["PATH_INFO"][: len(environ["PATH_INFO"]) - len(below)]
                environ["PATH_INFO"] = below
    for name, value in headers:
        value = value.decode("latin-1")
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        key = "HTTP_" + key
        environ[key] = environ[key] + ", " + value if key in environ else value
    return environ


class _RequestBody(io.RawIOBase):
    # The request's body, as the WSGI app's wsgi.input.
    def readable(self):
        return True

    def readinto(self, buffer):
        data = _wasipy_http.read_body(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def run(application, stderr=None):
    """Serves `application` (WSGI) on this instance's request: `wasipy_cgi.run` in a component. An
    exception in the app is a 500 whose traceback goes to stderr (the host's log)."""
    from wsgiref.handlers import BaseHandler

    class Handler(BaseHandler):
        os_environ = {}
        wsgi_run_once = True
        wsgi_multithread = False
        wsgi_multiprocess = True
        server_software = None

        def get_stdin(self):
            return io.BufferedReader(_RequestBody())

        def get_stderr(self):
            return stderr if stderr is not None else sys.stderr

        def add_cgi_vars(self):
            import wasipy_cgi

            self.environ.update(wasipy_cgi.wsgi_environ(wsgi_environ()))

        def send_headers(self):
            # wasi:http carries the status and the headers, not the message's bytes.
            self.cleanup_headers()
            self.headers_sent = True
            items = [(name, value) for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP]
            status = int(self.status.split(" ", 1)[0])
            _wasipy_http.respond(status, [name for name, _ in items], [value.encode("latin-1") for _, value in items])

        def _write(self, data):
            _wasipy_http.write_body(data)

        def _flush(self):
            pass

    Handler().run(application)


# --- http.client through wasi:http's outgoing handler ------------------------------------------


class _HostTLS:
    """Stands in for an `ssl.SSLContext`: in a component the host makes the connection and does
    TLS (with its own trust store), so a context only carries the settings callers set on it."""

    check_hostname = True
    verify_mode = 2  # ssl.CERT_REQUIRED
    post_handshake_auth = None

    def __init__(self, *args, **kwargs):
        pass

    def set_alpn_protocols(self, protocols):
        pass

    def load_verify_locations(self, *args, **kwargs):
        pass

    def load_cert_chain(self, *args, **kwargs):
        raise OSError("client certificates are not available: the wasi:http host does TLS")


class _Exchange:
    """The socket an `http.client.HTTPConnection` talks to: it keeps the request the connection
    writes, and at the first read of the response sends it through wasi:http."""

    def __init__(self, scheme, host, port, timeout):
        self.scheme = scheme
        self.address = "%s:%d" % (host if ":" not in host else "[%s]" % host, port)
        self.timeout = timeout
        self.sent = bytearray()

    def sendall(self, data):
        self.sent += data

    def settimeout(self, timeout):
        self.timeout = timeout

    def setsockopt(self, *args):
        pass

    def shutdown(self, how):
        pass

    def close(self):
        pass

    def makefile(self, mode="r", buffering=None, **kwargs):
        if "r" not in mode:
            raise OSError("only the response can be read from a wasi:http exchange")
        head, handle = self._send()
        return io.BufferedReader(_Response(head, handle))

    def _send(self):
        head, _, body = bytes(self.sent).partition(b"\r\n\r\n")
        self.sent = bytearray()
        lines = head.decode("iso-8859-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        scheme, authority = self.scheme, self.address
        if "://" in target:  # absolute form, as through a proxy
            from urllib.parse import urlsplit

            parts = urlsplit(target)
            scheme, authority = parts.scheme, parts.netloc
            target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        names, values, chunked = [], [], False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            lower = name.lower()
            if lower == "host":
                authority = value or authority
            elif lower == "transfer-encoding":
                chunked = "chunked" in value.lower()
            if lower not in _HOP_BY_HOP:
                names.append(name)
                values.append(value.encode("iso-8859-1"))
        if chunked:
            # The whole body is here: sent with its length (the host frames it).
            body = _unchunk(body)
            names.append("Content-Length")
            values.append(b"%d" % len(body))
        timeout = float(self.timeout) if isinstance(self.timeout, (int, float)) else None
        status, headers, handle = _wasipy_http.send([method, scheme, authority, target], names, values, body, timeout)
        from http import HTTPStatus

        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        lines = ["HTTP/1.1 %d %s" % (status, reason)]
        for name, value in headers:
            if name.lower() not in ("transfer-encoding", "connection", "keep-alive"):
                lines.append("%s: %s" % (name, value.decode("iso-8859-1")))
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1"), handle


def _unchunk(data):
    body = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            break
        body += data[:size]
        data = data[size + 2 :]
    return bytes(body)


class _Response(io.RawIOBase):
    # The response as http.client reads it: the head made from wasi:http's, then the body stream.
    def __init__(self, head, handle):
        self.head = head
        self.handle = handle

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count] = self.head[:count]
            self.head = self.head[count:]
            return count
        data = _wasipy_http.read_response(self.handle, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        if not self.closed:
            _wasipy_http.close_response(self.handle)
        super().close()


def _install():
    import http.client

    def connect_http(self):
        self.sock = _Exchange("http", self.host, self.port, self.timeout)

    def connect_https(self):
        self.sock = _Exchange("https", self.host, self.port, self.timeout)

    http.client.HTTPConnection.connect = connect_http
    http.client._create_https_context = lambda http_version=None: _HostTLS()
    if hasattr(http.client, "HTTPSConnection"):
        http.client.HTTPSConnection.connect = connect_https


_install()
