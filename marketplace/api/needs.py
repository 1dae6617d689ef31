"""/api/v1 endpoints for needs."""

from __future__ import annotations

from marketplace.api import bp  # noqa: F401
