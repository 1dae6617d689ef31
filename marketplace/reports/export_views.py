"""Staff exports: CSV and XLSX downloads with Chinese headers, filtered by date range."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")
