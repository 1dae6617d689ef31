"""The community needs board and its forms."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("needs", __name__, url_prefix="/needs")
