"""The staff dashboard with charts, and the exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")
