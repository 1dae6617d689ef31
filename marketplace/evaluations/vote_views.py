"""Public voting pages: ask for a one-time code, then vote."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("votes", __name__, url_prefix="/evaluations")
