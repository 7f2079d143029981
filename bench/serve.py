"""Per-request latency and throughput of web apps served per request, side by side:
`wasipy serve` (a fresh python.wasm instance per request) and native python3 run as a CGI process
per request (the stdlib's CGIHTTPRequestHandler, which forks and execs python3 for each request).

Three apps: a hello-WSGI app (python.wasm's own snapshot holds all it imports), and the Flask app
of examples/web/flask and the Django app of examples/web/django, each served three ways: from its
app snapshot (`wasipy snapshot`, cut here), from python.wasm (which imports the framework at every
request), and by native python3 as CGI. The Flask app is also served a fourth way: by `wasmtime
serve` from its component snapshot (`wasipy snapshot --component`, python-http-core.wasm beside
wasipy), a fresh instance of the wasi:http component per request. The frameworks and their dependencies are installed by pip
from PyPI (pinned, the app's requirements.txt) into a cache outside the repository,
`$WASIPY_BENCH_CACHE` or ~/.cache/wasipy-bench.

    python3 bench/serve.py --wasipy target/release/wasipy [--wasmtime wasmtime] [--requests 200] [--slow-requests 24]
"""

import argparse
import collections
import hashlib
import http.client
import shutil
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HANDLER = '''\
try:
    from wasipy_cgi import run           # python.wasm
except ImportError:
    from wsgiref.handlers import CGIHandler
    run = CGIHandler().run               # native python3: the same WSGI handler class underneath


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!\\n"]


run(application)
'''

NATIVE_SERVER = '''\
import http.server, os, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)
# Run the CGI child as ourselves, not as `nobody` (who cannot reach a python3 under /root).
http.server.nobody_uid = os.getuid
class Handler(http.server.CGIHTTPRequestHandler):
    cgi_directories = ["/cgi-bin"]
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


REPOSITORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# A framework's example app: its directory, how `wasipy snapshot` prepares it, the name of its
# native CGI script (one its own modules do not have: the script's directory comes first on
# sys.path).
# `component`: also served as a wasi:http component by `wasmtime serve`.
WebApp = collections.namedtuple("WebApp", "title directory cut script component")
APPS = {
    "flask": WebApp("the Flask app of examples/web/flask, GET / (a Jinja template)",
                    os.path.join(REPOSITORY, "examples", "web", "flask"), ["--init", "warm.py"], "shop.py", True),
    "django": WebApp("the Django app of examples/web/django, GET / (a template)",
                     os.path.join(REPOSITORY, "examples", "web", "django"), ["--preload", "django,shop.warm"], "cgi.py", False),
}


def start_wasipy(wasipy, grants, handler, python_wasm=None):
    """`wasipy serve` of `handler` with `grants` (wasipy options); returns (process, port)."""
    command = [wasipy, "serve", "--listen", "127.0.0.1:0", *grants, handler]
    if python_wasm:
        command[2:2] = ["--python-wasm", python_wasm]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    first = process.stderr.readline()
    port = int(first.strip().rsplit(":", 1)[1])
    # Drain the request log so the server never blocks on a full pipe.
    threading.Thread(target=lambda: process.stderr.read(), daemon=True).start()
    return process, port


def start_wasmtime_serve(wasmtime, component):
    """`wasmtime serve` of a wasi:http component; returns (process, port)."""
    process = subprocess.Popen([wasmtime, "serve", "--addr", "127.0.0.1:0", component],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in process.stderr:
        if line.startswith("Serving HTTP on http://"):
            port = int(line.strip().rstrip("/").rsplit(":", 1)[1])
            break
    else:
        raise RuntimeError(f"wasmtime serve {component} ended before serving")
    threading.Thread(target=lambda: process.stderr.read(), daemon=True).start()
    return process, port


def cut_component(wasipy, grants, cut_options, site, app, handler, output):
    """The app's component snapshot: what a request imports later must be embedded (a component
    has no files); returns the seconds the cut took."""
    started = time.perf_counter()
    subprocess.run([wasipy, "snapshot", "--component", *grants, *cut_options, "--embed", site,
                    "--embed", app.directory, "--handler", handler, "-o", output], check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def start_native(python, root, name, handler, environ=None):
    """The stdlib's CGI server on `root`, with `handler` as cgi-bin/`name`; returns (process, port)."""
    os.makedirs(os.path.join(root, "cgi-bin"), exist_ok=True)
    script = os.path.join(root, "cgi-bin", name)
    with open(script, "w") as f:
        f.write(f"#!{python}\n" + handler)
    os.chmod(script, 0o755)
    # The CGI children inherit the server's environment (PYTHONPATH for the Flask app).
    process = subprocess.Popen([python, "-c", NATIVE_SERVER], cwd=root, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, **(environ or {})})
    return process, int(process.stdout.readline())


def one_request(port, path, expected):
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200 or body != expected:
        raise RuntimeError(f"unexpected answer from port {port}: {response.status} {body[:200]!r}")
    return time.perf_counter() - started


def load(port, path, expected, requests, concurrency):
    """(latencies in seconds, wall seconds) of `requests` requests from `concurrency` threads."""
    latencies, lock = [], threading.Lock()
    counter = iter(range(requests))

    def worker():
        for _ in counter:
            latency = one_request(port, path, expected)
            with lock:
                latencies.append(latency)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(title, servers, requests, concurrencies=(1, 8)):
    """Prints p50, p99 and throughput of each (name, port, path, expected, requests or None)."""
    print(title)
    print(f"  {'':66} {'p50':>8} {'p99':>8} {'req/s':>8}")
    rows = {}
    for concurrency in concurrencies:
        for name, port, path, expected, count in servers:
            latencies, wall = load(port, path, expected, count or requests, concurrency)
            rows[name, concurrency] = (percentile(latencies, 0.5), percentile(latencies, 0.99), len(latencies) / wall)
            p50, p99, rate = rows[name, concurrency]
            label = f"{name}, concurrency {concurrency} ({len(latencies)} requests)"
            print(f"  {label:66} {p50 * 1000:8.1f} {p99 * 1000:8.1f} {rate:8.1f}", flush=True)
    return rows


def print_ratio(label, rows, first, second, concurrencies=(1, 8)):
    for concurrency in concurrencies:
        (a50, a99, arate), (b50, b99, brate) = rows[first, concurrency], rows[second, concurrency]
        text = f"{label}, concurrency {concurrency}"
        print(f"  {text:66} {a50 / b50:7.3f}x {a99 / b99:7.3f}x {arate / brate:7.2f}x")


def hello(args, scratch):
    with tempfile.TemporaryDirectory(dir=scratch) as wasm_root, tempfile.TemporaryDirectory(dir=scratch) as native_root:
        with open(os.path.join(wasm_root, "hello.py"), "w") as f:
            f.write(HANDLER)
        wasipy, wasipy_port = start_wasipy(args.wasipy, ["--dir", f"{wasm_root}::/app:ro"], os.path.join(wasm_root, "hello.py"))
        native, native_port = start_native(args.python, native_root, "hello.py", HANDLER)
        expected = b"Hello, world!\n"
        try:
            for _ in range(5):  # warm both: page cache, compiled-module cache
                one_request(wasipy_port, "/", expected)
                one_request(native_port, "/cgi-bin/hello.py", expected)
            rows = measure(f"serve: hello-WSGI app (ms; req/s)", [
                ("wasipy serve (python.wasm)", wasipy_port, "/", expected, None),
                ("python3 as CGI per request", native_port, "/cgi-bin/hello.py", expected, None),
            ], args.requests)
            print_ratio("ratio wasipy / python3", rows, "wasipy serve (python.wasm)", "python3 as CGI per request")
        finally:
            for process in (wasipy, native):
                process.terminate()
                process.wait()


def app_site(python, cache, app):
    """The app's framework and its dependencies from PyPI, pinned, installed once into the cache."""
    with open(os.path.join(app.directory, "requirements.txt"), "rb") as f:
        requirements = f.read()
    name = os.path.basename(app.directory)
    site = os.path.join(cache, f"{name}-site-" + hashlib.sha256(requirements).hexdigest()[:12])
    if not os.path.isdir(site):
        partial = site + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        # pip compiles the packages for native python3 (its bytecode cache); python.wasm ignores that.
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--target", partial, "-r", os.path.join(app.directory, "requirements.txt")],
                       check=True, env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"})
        os.rename(partial, site)
    return site


def bench_cache():
    """Where the benchmarks keep what they download (never the repository): $WASIPY_BENCH_CACHE or
    ~/.cache/wasipy-bench."""
    cache = os.environ.get("WASIPY_BENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "wasipy-bench")
    os.makedirs(cache, exist_ok=True)
    return cache


def web_app(args, scratch, app):
    cache = bench_cache()
    site = app_site(args.python, cache, app)
    grants = ["--dir", f"{app.directory}::/app:ro", "--dir", f"{site}::/site:ro", "--env", "PYTHONPATH=/site:/app"]
    handler = os.path.join(app.directory, "handler.py")
    cut_options = [os.path.join(app.directory, option) if option.endswith(".py") else option for option in app.cut]
    with tempfile.TemporaryDirectory(dir=scratch) as work:
        snapshot = os.path.join(work, "app.wasm")
        started = time.perf_counter()
        subprocess.run([args.wasipy, "snapshot", *grants, *cut_options, "-o", snapshot],
                       check=True, stderr=subprocess.DEVNULL)
        cut = time.perf_counter() - started
        print(f"serve: {app.title} (ms; req/s); "
              f"app snapshot cut and compiled in {cut:.1f} s, {os.path.getsize(snapshot) / 1e6:.1f} MB")
        # Native python3 gets its bytecode cache, as a deployed CGI app has: a copy of the app,
        # compiled, and no PYTHONDONTWRITEBYTECODE from this environment.
        native_root, native_app = os.path.join(work, "native"), os.path.join(work, "native-app")
        shutil.copytree(app.directory, native_app, ignore=shutil.ignore_patterns("site", "*.wasm"))
        subprocess.run([args.python, "-m", "compileall", "-q", native_app], check=True)
        native_environ = {"PYTHONPATH": f"{site}:{native_app}", "PYTHONDONTWRITEBYTECODE": ""}
        servers = [
            start_wasipy(args.wasipy, grants, handler, snapshot),
            start_wasipy(args.wasipy, grants, handler),
            start_native(args.python, native_root, app.script, open(handler).read(), native_environ),
        ]
        (_, snapshot_port), (_, plain_port), (_, native_port) = servers
        component_port = None
        if app.component and args.wasmtime:
            component = os.path.join(work, "app-component.wasm")
            cut = cut_component(args.wasipy, grants, cut_options, site, app, handler, component)
            print(f"  component snapshot cut in {cut:.1f} s, {os.path.getsize(component) / 1e6:.1f} MB")
            servers.append(start_wasmtime_serve(args.wasmtime, component))
            component_port = servers[-1][1]
        try:
            # The native answer is the reference: python.wasm's must be the same page, whose links
            # natively start with the CGI script's name (SCRIPT_NAME).
            answers = []
            native_path = f"/cgi-bin/{app.script}/"
            for port, path in ((native_port, native_path), (snapshot_port, "/"), (plain_port, "/")):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                connection.request("GET", path)
                answers.append(connection.getresponse().read())
            native_page, expected = answers[0], answers[0].replace(native_path[:-1].encode(), b"")
            if answers[1:] != [expected, expected]:
                raise RuntimeError(f"the pages differ: {answers!r}")
            for _ in range(5):
                one_request(snapshot_port, "/", expected)
            names = ("wasipy serve, app snapshot", "wasipy serve, python.wasm", "python3 as CGI per request",
                     "wasmtime serve, component snapshot")
            rows_to_measure = [
                (names[0], snapshot_port, "/", expected, None),
                (names[1], plain_port, "/", expected, args.slow_requests),
                (names[2], native_port, native_path, native_page, args.slow_requests),
            ]
            if component_port is not None:
                # The same page as wasipy serve's, or the run stops here.
                for _ in range(5):
                    one_request(component_port, "/", expected)
                rows_to_measure.insert(1, (names[3], component_port, "/", expected, None))
            rows = measure("", rows_to_measure, args.requests)
            print_ratio("ratio app snapshot / python.wasm", rows, names[0], names[1])
            print_ratio("ratio app snapshot / python3", rows, names[0], names[2])
            if component_port is not None:
                print_ratio("ratio component snapshot / app snapshot", rows, names[3], names[0])
        finally:
            for process, _ in servers:
                process.terminate()
                process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wasipy", required=True)
    parser.add_argument("--python", default=sys.executable, help="native python3 (the real binary, not a shim)")
    parser.add_argument("--wasmtime", help="the wasmtime CLI (with `serve`): also serve the Flask app as a component")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--slow-requests", type=int, default=24,
                        help="requests per row for the framework apps from python.wasm and python3 (~1 s each)")
    parser.add_argument("--only", choices=("hello", *APPS), help="one app only")
    args = parser.parse_args()

    # Under target/, not /tmp: a CGI server execs its scripts, and /tmp may be mounted noexec.
    scratch = os.path.join(REPOSITORY, "target")
    os.makedirs(scratch, exist_ok=True)
    if args.only in (None, "hello"):
        hello(args, scratch)
    for name, app in APPS.items():
        if args.only in (None, name):
            web_app(args, scratch, app)


if __name__ == "__main__":
    main()
