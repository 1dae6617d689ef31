"""The notifications page in the access-control matrix: every signed-in user sees their own."""

from __future__ import annotations

from typing import Any

from tests.access_cases.base import Case, members_only
from tests.factories import World

CASES = [Case("GET", "/notifications", members_only())]


def ids(world: World) -> dict[str, Any]:
    return {}
