"""The OpenAPI paths and schemas of api/needs.py, merged into the document by api/openapi.py."""

from __future__ import annotations

from typing import Any

SCHEMAS: dict[str, Any] = {}
PATHS: dict[str, Any] = {}
