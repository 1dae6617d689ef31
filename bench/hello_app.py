"""The floor for bench/load.py: a bare Flask app answering "hello" on every path, served by the
same gunicorn settings and loaded by the same client as the marketplace, so the ratio of the two
throughputs says how much of the budget the marketplace itself spends.

    gunicorn -c deploy/gunicorn.conf.py 'bench.hello_app:app'
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def hello(path: str) -> str:
    return "hello"
