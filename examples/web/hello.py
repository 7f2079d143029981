# A plain CGI handler: headers, a blank line, the body. Runs unchanged under `wasipy serve`, Spin's
# wagi executor, or any CGI server.
import os

print("Content-Type: text/plain; charset=utf-8")
print()
print(f"Hello from python.wasm! You asked for {os.environ.get('PATH_INFO') or '/'}")
