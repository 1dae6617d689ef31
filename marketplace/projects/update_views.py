"""Progress updates and fund-usage reports an organization posts on its project."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("project_updates", __name__)
