# A JSON API with routing, in pure WSGI, served as a CGI/WAGI handler by wasipy_cgi.
import json

import wasipy_cgi

ITEMS = {"1": {"name": "kettle"}, "2": {"name": "teapot"}}


def respond(start_response, status, payload):
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"] or "/"
    if method == "GET" and path == "/items":
        return respond(start_response, "200 OK", ITEMS)
    if method == "GET" and path.startswith("/items/"):
        item = ITEMS.get(path.removeprefix("/items/"))
        if item is None:
            return respond(start_response, "404 Not Found", {"error": "no such item"})
        return respond(start_response, "200 OK", item)
    if method == "POST" and path == "/items":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            item = json.loads(environ["wsgi.input"].read(length))
        except ValueError:
            return respond(start_response, "400 Bad Request", {"error": "the body is not JSON"})
        return respond(start_response, "201 Created", {"created": item, "query": environ["QUERY_STRING"]})
    if path == "/echo":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [body]
    if path == "/fail":
        raise RuntimeError("this handler fails on purpose")
    return respond(start_response, "404 Not Found", {"error": f"no route for {method} {path}"})


if __name__ == "__main__":
    wasipy_cgi.run(application)
