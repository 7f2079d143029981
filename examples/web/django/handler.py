# The CGI/WAGI handler: one request per run. Under python.wasm (wasipy serve, Spin, wasmtime run)
# through wasipy_cgi; under native python3 through the stdlib's CGI handler.
from shop.wsgi import application

try:
    from wasipy_cgi import run
except ImportError:
    from wsgiref.handlers import CGIHandler

    run = CGIHandler().run

run(application)
