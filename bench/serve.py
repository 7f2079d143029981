"""Per-request latency and throughput of one hello-WSGI app served two ways, side by side:
`wasipy serve` (a fresh python.wasm instance per request) and native python3 run as a CGI process
per request (the stdlib's CGIHTTPRequestHandler, which forks and execs python3 for each request).

    python3 bench/serve.py --wasipy target/release/wasipy [--requests 200]
"""

import argparse
import http.client
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


def start_wasipy(wasipy, root):
    process = subprocess.Popen(
        [wasipy, "serve", "--listen", "127.0.0.1:0", "--dir", f"{root}::/app:ro", os.path.join(root, "hello.py")],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    first = process.stderr.readline()
    port = int(first.strip().rsplit(":", 1)[1])
    # Drain the request log so the server never blocks on a full pipe.
    threading.Thread(target=lambda: process.stderr.read(), daemon=True).start()
    return process, port


def start_native(python, root):
    os.makedirs(os.path.join(root, "cgi-bin"))
    script = os.path.join(root, "cgi-bin", "hello.py")
    with open(script, "w") as f:
        f.write(f"#!{python}\n" + HANDLER)
    os.chmod(script, 0o755)
    process = subprocess.Popen([python, "-c", NATIVE_SERVER], cwd=root, stdout=subprocess.PIPE, text=True)
    return process, int(process.stdout.readline())


def one_request(port, path):
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200 or body != b"Hello, world!\n":
        raise RuntimeError(f"unexpected answer: {response.status} {body[:80]!r}")
    return time.perf_counter() - started


def load(port, path, requests, concurrency):
    """(latencies in seconds, wall seconds) of `requests` requests from `concurrency` threads."""
    latencies, lock = [], threading.Lock()
    counter = iter(range(requests))

    def worker():
        for _ in counter:
            latency = one_request(port, path)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wasipy", required=True)
    parser.add_argument("--python", default=sys.executable, help="native python3 (the real binary, not a shim)")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    # Under target/, not /tmp: a CGI server execs its scripts, and /tmp may be mounted noexec.
    scratch = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target")
    os.makedirs(scratch, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as wasm_root, tempfile.TemporaryDirectory(dir=scratch) as native_root:
        with open(os.path.join(wasm_root, "hello.py"), "w") as f:
            f.write(HANDLER)
        wasipy, wasipy_port = start_wasipy(args.wasipy, wasm_root)
        native, native_port = start_native(args.python, native_root)
        try:
            for _ in range(5):  # warm both: page cache, compiled-module cache
                one_request(wasipy_port, "/")
                one_request(native_port, "/cgi-bin/hello.py")
            print(f"serve: hello-WSGI app, {args.requests} requests per row (ms; req/s)")
            print(f"  {'':44} {'p50':>8} {'p99':>8} {'req/s':>8}")
            for concurrency in (1, 8):
                rows = {}
                for name, port, path in (("wasipy serve (python.wasm)", wasipy_port, "/"),
                                         ("python3 as CGI per request", native_port, "/cgi-bin/hello.py")):
                    latencies, wall = load(port, path, args.requests, concurrency)
                    rows[name] = (percentile(latencies, 0.5), percentile(latencies, 0.99), len(latencies) / wall)
                    p50, p99, rate = rows[name]
                    print(f"  {name + f', concurrency {concurrency}':44} {p50 * 1000:8.1f} {p99 * 1000:8.1f} {rate:8.1f}")
                (w50, w99, wrate), (n50, n99, nrate) = rows.values()
                print(f"  {'ratio wasipy / python3':44} {w50 / n50:7.2f}x {w99 / n99:7.2f}x {wrate / nrate:7.2f}x")
        finally:
            for process in (wasipy, native):
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
