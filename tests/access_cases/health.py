"""/healthz in the access-control matrix: a monitor's probe, open to everyone and the same for all."""

from __future__ import annotations

from typing import Any

from tests.access_cases.base import Case, everyone
from tests.factories import World

CASES = [Case("GET", "/healthz", everyone())]


def ids(world: World) -> dict[str, Any]:
    return {}
