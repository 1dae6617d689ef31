"""The evaluation round pages: staff manage rounds and score; organizations score their peers;
the public results page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")
