"""Pledge pages: pledging, the pledge's own page and receipt, the company's pledges, staff's queue."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pledges", __name__)
