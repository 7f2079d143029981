# The snapshot's init script (`wasipy snapshot --init warm.py`): its top level runs once, at the
# cut. It imports the app and answers one request per route, so that what Flask, Werkzeug and
# Jinja do on first use (the template compiled, the URL map built, the modules a request imports)
# is in the snapshot rather than repeated by every request.
from app import app

with app.test_client() as client:
    for method, path, data in (("GET", "/?q=t", None), ("GET", "/items/1", None), ("POST", "/orders", {"name": "cup"})):
        response = client.open(path, method=method, data=data)
        assert response.status_code in (200, 201), (path, response.status_code)
