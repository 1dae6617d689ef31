"""Community need lifecycle (pure): open → in_progress → addressed.

A need moves to in_progress when the first project answers it (or when staff say so) and to
addressed when staff or the steward who recorded it confirm the community's need is met.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from marketplace.messages import Msg
from marketplace.transitions import TransitionTable, follow


class NeedStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ADDRESSED = "addressed"


NEED_STATUS_LABELS: Final[dict[NeedStatus, Msg]] = {
    NeedStatus.OPEN: Msg("待响应"),
    NeedStatus.IN_PROGRESS: Msg("响应中"),
    NeedStatus.ADDRESSED: Msg("已解决"),
}


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


URGENCY_LABELS: Final[dict[Urgency, Msg]] = {
    Urgency.LOW: Msg("不急"),
    Urgency.NORMAL: Msg("一般"),
    Urgency.HIGH: Msg("紧急"),
    Urgency.URGENT: Msg("非常紧急"),
}

# action → (from statuses, to status)
TRANSITIONS: Final[TransitionTable[NeedStatus]] = {
    "start": (frozenset({NeedStatus.OPEN}), NeedStatus.IN_PROGRESS),
    "address": (frozenset({NeedStatus.OPEN, NeedStatus.IN_PROGRESS}), NeedStatus.ADDRESSED),
    "reopen": (frozenset({NeedStatus.ADDRESSED, NeedStatus.IN_PROGRESS}), NeedStatus.OPEN),
}


def next_status(status: NeedStatus | str, action: str) -> NeedStatus | None:
    """The status `action` leads to from `status`, or None when it is not allowed."""
    return follow(TRANSITIONS, NeedStatus, status, action)
