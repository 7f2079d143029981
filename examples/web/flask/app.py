"""A small Flask app: a page rendered from a Jinja template, a JSON API, and a form post.

Served per request as a CGI/WAGI handler (handler.py), from an app snapshot cut with warm.py.
"""
from flask import Flask, abort, jsonify, render_template, request

app = Flask(__name__)

ITEMS = {1: {"name": "kettle", "price": 30}, 2: {"name": "teapot", "price": 25}, 3: {"name": "cup", "price": 5}}


@app.get("/")
def index():
    return render_template("index.html", items=ITEMS, query=request.args.get("q", ""))


@app.get("/items/<int:item_id>")
def item(item_id):
    if item_id not in ITEMS:
        abort(404)
    return jsonify(id=item_id, **ITEMS[item_id])


@app.post("/orders")
def order():
    name = request.form.get("name", "")
    quantity = request.form.get("quantity", type=int, default=1)
    return jsonify(ordered=name, quantity=quantity, known=any(i["name"] == name for i in ITEMS.values())), 201
