"""Simple action tables shared by the smaller lifecycles (pure): action → (from statuses, to status).

The project, pledge and tender lifecycles need actors, reasons and guards and keep their own
functions; rounds, needs and abuse reports only need "may this action happen now, and to what?".
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

StatusT = TypeVar("StatusT", bound=StrEnum)

TransitionTable = Mapping[str, tuple[frozenset[StatusT], StatusT]]


def follow(
    table: TransitionTable[StatusT], status_type: type[StatusT], status: str, action: str
) -> StatusT | None:
    """The status `action` leads to from `status`, or None when the table does not allow it."""
    allowed = table.get(action)
    if allowed is None or status_type(status) not in allowed[0]:
        return None
    return allowed[1]
