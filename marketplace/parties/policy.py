"""Service policies that follow from an organization's grade and tier (PURE).

The league's incubation policy gives graded organizations priority in what it controls: 3A and
better are preferred in government service purchases (tenders rank and flag them, see
tenders/rules.py), 成木 and above come first for incubation services, and 名木 are the ones the
league recommends to companies first. Pages show these as notes next to the badge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from marketplace.messages import Msg

_TIER_ORDER: Final = {"growing": 1, "demonstration": 2, "leading": 3}


def grade_level(grade: str | None) -> int:
    """A1..A5 → 1..5; no (valid) grade → 0."""
    return int(grade[1]) if grade and len(grade) == 2 and grade[0] == "A" and grade[1] in "12345" else 0


def tier_level(tier: str | None) -> int:
    """苗木 1, 成木 2, 名木 3; none → 0."""
    return _TIER_ORDER.get(tier or "", 0)


@dataclass(frozen=True)
class Policy:
    code: str
    applies: Callable[[int, int], bool]  # (grade level, tier level)
    note: Msg


POLICIES: Final[tuple[Policy, ...]] = (
    Policy(
        "tender_priority",
        lambda grade, _tier: grade >= 3,
        Msg("3A 及以上：政府购买服务中同等条件下优先"),
    ),
    Policy(
        "incubation_services",
        lambda _grade, tier: tier >= 2,
        Msg("成木及以上：优先享受孵化基地场地、培训和资金扶持等服务政策"),
    ),
    Policy(
        "company_recommendation",
        lambda _grade, tier: tier >= 3,
        Msg("名木：优先向爱心企业推荐对接"),
    ),
)

# Shown where grades are explained (organization list, evaluation results).
POLICY_SUMMARY: Final = Msg("成木及以上优先享受服务政策；3A 及以上在政府购买服务中同等条件下优先。")


def policy_notes(current_grade: str | None, tier: str | None) -> list[Msg]:
    """The notes for an organization with this still-valid grade (or None) and tier."""
    grade, level = grade_level(current_grade), tier_level(tier)
    return [policy.note for policy in POLICIES if policy.applies(grade, level)]
