"""/api/v1 endpoints for evaluations."""

from __future__ import annotations

from marketplace.api import bp  # noqa: F401
