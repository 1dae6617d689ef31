"""Matching-pool (配捐) pages: the list, one pool with its matched projects, opening a pool."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pools", __name__, url_prefix="/pools")
