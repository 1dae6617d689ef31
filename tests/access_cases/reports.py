"""The staff dashboard (/staff/reports) and its API (/api/v1/stats) in the access-control matrix:
staff and admins only; everyone else is sent to log in (pages), gets 401 (API) or is refused."""

from __future__ import annotations

from typing import Any

from tests.access_cases.base import STAFF_ONLY, Case
from tests.factories import World

CASES = [
    Case("GET", "/staff/reports", STAFF_ONLY),
    Case("GET", "/staff/reports?from=2026-01-01&to=2026-03-31", STAFF_ONLY),
    Case("GET", "/api/v1/stats", STAFF_ONLY, api=True),
    Case("GET", "/api/v1/stats?from=2026-01-01&to=2026-03-31", STAFF_ONLY, api=True),
]


def ids(world: World) -> dict[str, Any]:
    return {}
