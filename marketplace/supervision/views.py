"""Supervision pages for staff: visits, inspections, the fund check and overdue reports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("supervision", __name__, url_prefix="/staff/supervision")
