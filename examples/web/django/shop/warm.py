"""What `wasipy snapshot --preload django,shop.warm` imports: the WSGI application (Django set up),
then one request per route answered at the cut, so that what Django does on first use (the URL
resolver and the views module, the template engine and the compiled template, the middleware
chain, the modules a request imports) is in the snapshot rather than repeated by every request.
"""
import io
from wsgiref.util import setup_testing_defaults

from shop.wsgi import application

ROUTES = (("GET", "/", "q=t", b""), ("GET", "/items/1", "", b""), ("POST", "/orders", "", b"name=cup"))


def answer(method, path, query, body):
    """The status `application` gives one request."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
               "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body)}
    setup_testing_defaults(environ)
    statuses = []
    response = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(response)
    response.close()
    return statuses[0]


for route in ROUTES:
    status = answer(*route)
    assert status.startswith(("200", "201")), (route, status)
