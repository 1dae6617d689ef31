"""Stripe: the webhook (the only CSRF-exempt POST) and the card checkout hand-off pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("payments", __name__)
