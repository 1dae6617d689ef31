"""Which service policies an organization's grade and tier earn it (parties/policy.py), as a table."""

from __future__ import annotations

import pytest

from marketplace.parties.policy import grade_level, policy_notes, tier_level


@pytest.mark.parametrize(
    ("grade", "tier", "codes"),
    [
        (None, None, []),
        ("A1", None, []),
        ("A2", "growing", []),
        ("A3", None, ["3A"]),
        ("A5", None, ["3A"]),
        (None, "growing", []),
        (None, "demonstration", ["成木"]),
        ("A2", "demonstration", ["成木"]),
        ("A3", "demonstration", ["3A", "成木"]),
        (None, "leading", ["成木", "名木"]),
        ("A4", "leading", ["3A", "成木", "名木"]),
    ],
)
def test_policy_notes(grade: str | None, tier: str | None, codes: list[str]) -> None:
    notes = [str(note.msgid) for note in policy_notes(grade, tier)]
    assert [code for code in ("3A", "成木", "名木") if any(note.startswith(code) for note in notes)] == codes
    assert len(notes) == len(codes)


@pytest.mark.parametrize(
    ("grade", "level"), [(None, 0), ("", 0), ("A1", 1), ("A5", 5), ("A6", 0), ("B3", 0), ("A", 0)]
)
def test_grade_level(grade: str | None, level: int) -> None:
    assert grade_level(grade) == level


@pytest.mark.parametrize(
    ("tier", "level"), [(None, 0), ("growing", 1), ("demonstration", 2), ("leading", 3), ("oak", 0)]
)
def test_tier_level(tier: str | None, level: int) -> None:
    assert tier_level(tier) == level
