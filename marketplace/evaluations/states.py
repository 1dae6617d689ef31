"""Evaluation round lifecycle (pure): open → closed → published.

Scores and public votes are taken only while a round is open; staff close it to freeze the
figures, adjust tiers, then publish, which writes grades and tiers onto the organizations.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from marketplace.messages import Msg
from marketplace.transitions import TransitionTable, follow


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


ROUND_STATUS_LABELS: Final[dict[RoundStatus, Msg]] = {
    RoundStatus.OPEN: Msg("评分中"),
    RoundStatus.CLOSED: Msg("已截止"),
    RoundStatus.PUBLISHED: Msg("已公布"),
}


class ScoreKind(StrEnum):
    GOVERNMENT = "government"
    PEER = "peer"


SCORE_KIND_LABELS: Final[dict[ScoreKind, Msg]] = {
    ScoreKind.GOVERNMENT: Msg("政府评分"),
    ScoreKind.PEER: Msg("同行互评"),
}

# action → (from statuses, to status)
TRANSITIONS: Final[TransitionTable[RoundStatus]] = {
    "close": (frozenset({RoundStatus.OPEN}), RoundStatus.CLOSED),
    "reopen": (frozenset({RoundStatus.CLOSED}), RoundStatus.OPEN),
    "publish": (frozenset({RoundStatus.OPEN, RoundStatus.CLOSED}), RoundStatus.PUBLISHED),
}


def next_status(status: RoundStatus | str, action: str) -> RoundStatus | None:
    """The status `action` leads to from `status`, or None when it is not allowed."""
    return follow(TRANSITIONS, RoundStatus, status, action)
