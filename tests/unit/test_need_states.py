"""The life of a community need as a table: every (status, action) pair either lands where the issue
says (open → in_progress → addressed, with reopening) or is refused. Written out independently of
marketplace/needs/states.py so that a change there has to be deliberate."""

from __future__ import annotations

import itertools

import pytest

from marketplace.needs.states import (
    NEED_STATUS_LABELS,
    TRANSITIONS,
    URGENCY_LABELS,
    NeedStatus,
    Urgency,
    next_status,
)

OPEN, IN_PROGRESS, ADDRESSED = NeedStatus.OPEN, NeedStatus.IN_PROGRESS, NeedStatus.ADDRESSED
ACTIONS = ("start", "address", "reopen")
EXPECTED: dict[tuple[NeedStatus, str], NeedStatus] = {
    (OPEN, "start"): IN_PROGRESS,
    (OPEN, "address"): ADDRESSED,  # staff may record a need met without any project (e.g. by the street)
    (IN_PROGRESS, "address"): ADDRESSED,
    (IN_PROGRESS, "reopen"): OPEN,  # the answering project fell through
    (ADDRESSED, "reopen"): OPEN,  # the need came back
}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(NeedStatus, ACTIONS)))
def test_every_status_and_action(status: NeedStatus, action: str) -> None:
    assert next_status(status, action) == EXPECTED.get((status, action))
    # The stored value (a plain string) gives the same answer as the enum.
    assert next_status(status.value, action) == EXPECTED.get((status, action))


@pytest.mark.parametrize("status", list(NeedStatus))
@pytest.mark.parametrize("action", ["", "close", "START", "publish", "addressed"])
def test_unknown_actions_are_refused(status: NeedStatus, action: str) -> None:
    assert next_status(status, action) is None


def test_the_table_holds_exactly_the_expected_moves() -> None:
    moves = {
        (source, action): target for action, (sources, target) in TRANSITIONS.items() for source in sources
    }
    assert moves == EXPECTED


def test_addressed_is_only_left_by_reopening() -> None:
    assert [action for action in ACTIONS if next_status(ADDRESSED, action) is not None] == ["reopen"]


def test_every_status_and_urgency_has_a_chinese_label() -> None:
    assert set(NEED_STATUS_LABELS) == set(NeedStatus)
    assert set(URGENCY_LABELS) == set(Urgency)
    assert [str(label) for label in NEED_STATUS_LABELS.values()] == ["待响应", "响应中", "已解决"]
    assert [str(label) for label in URGENCY_LABELS.values()] == ["不急", "一般", "紧急", "非常紧急"]


def test_an_unknown_status_is_an_error_not_a_refusal() -> None:
    with pytest.raises(ValueError):
        next_status("closed", "start")
