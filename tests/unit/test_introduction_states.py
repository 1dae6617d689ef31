"""The life of an introduction: which moves exist, who may make them, which ones stay open."""

from __future__ import annotations

import itertools

import pytest

from marketplace.matching.states import (
    COMPANY_CHOICES,
    CONVERSION_DAYS,
    OPEN_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    IntroductionStatus,
    can_move,
    sources_for,
)
from marketplace.messages import Msg

S = IntroductionStatus

# Written out independently of the module's table, so a change to the table must be deliberate.
ALLOWED = {
    (S.SENT, S.VIEWED),
    (S.SENT, S.INTERESTED),
    (S.SENT, S.DECLINED),
    (S.SENT, S.CONVERTED),
    (S.VIEWED, S.INTERESTED),
    (S.VIEWED, S.DECLINED),
    (S.VIEWED, S.CONVERTED),
    (S.INTERESTED, S.DECLINED),
    (S.INTERESTED, S.CONVERTED),
    # A company that said no and gave anyway: the introduction did its job.
    (S.DECLINED, S.CONVERTED),
}

EVERY_PAIR = list(itertools.product(S, S))


@pytest.mark.parametrize(("source", "target"), EVERY_PAIR, ids=[f"{s}->{t}" for s, t in EVERY_PAIR])
def test_every_move_is_allowed_exactly_when_the_table_says_so(
    source: IntroductionStatus, target: IntroductionStatus
) -> None:
    expected = (source, target) in ALLOWED
    assert can_move(source, target) is expected
    assert (target in TRANSITIONS[source]) is expected
    assert (source in sources_for(target)) is expected


def test_the_table_covers_every_status_and_never_stays_in_place() -> None:
    assert set(TRANSITIONS) == set(S)
    assert all(status not in targets for status, targets in TRANSITIONS.items())


def test_converted_is_final_and_reachable_from_every_other_status() -> None:
    assert TRANSITIONS[S.CONVERTED] == frozenset()
    assert sources_for(S.CONVERTED) == frozenset(set(S) - {S.CONVERTED})


@pytest.mark.parametrize(
    ("target", "sources"),
    [
        (S.SENT, set()),
        (S.VIEWED, {S.SENT}),
        (S.INTERESTED, {S.SENT, S.VIEWED}),
        (S.DECLINED, {S.SENT, S.VIEWED, S.INTERESTED}),
        (S.CONVERTED, {S.SENT, S.VIEWED, S.INTERESTED, S.DECLINED}),
    ],
)
def test_sources_for_each_target(target: IntroductionStatus, sources: set[IntroductionStatus]) -> None:
    assert sources_for(target) == frozenset(sources)


def test_a_company_may_only_view_express_interest_or_decline() -> None:
    # Conversion follows from a pledge or an agreement; nobody sets it (or sent) by hand.
    assert {S.VIEWED, S.INTERESTED, S.DECLINED} == COMPANY_CHOICES
    assert S.CONVERTED not in COMPANY_CHOICES and S.SENT not in COMPANY_CHOICES


def test_every_company_choice_is_reachable_from_sent() -> None:
    assert all(can_move(S.SENT, choice) for choice in COMPANY_CHOICES)


def test_open_statuses_are_the_ones_before_an_answer() -> None:
    assert {S.SENT, S.VIEWED, S.INTERESTED} == OPEN_STATUSES
    # Closed ones (declined, converted) allow a new introduction of the same pair.
    assert set(S) - OPEN_STATUSES == {S.DECLINED, S.CONVERTED}


def test_an_open_introduction_can_still_be_declined_or_converted() -> None:
    for status in OPEN_STATUSES:
        assert can_move(status, S.CONVERTED)
        assert can_move(status, S.DECLINED)


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (S.SENT, "已发送"),
        (S.VIEWED, "已查看"),
        (S.INTERESTED, "有意向"),
        (S.DECLINED, "已婉拒"),
        (S.CONVERTED, "已促成"),
    ],
)
def test_every_status_has_a_translatable_chinese_label(status: IntroductionStatus, label: str) -> None:
    assert isinstance(STATUS_LABELS[status], Msg)
    assert STATUS_LABELS[status] == label


def test_the_conversion_window_is_ninety_days() -> None:
    assert CONVERSION_DAYS == 90


def test_status_values_are_the_strings_stored_in_the_database() -> None:
    assert [s.value for s in S] == ["sent", "viewed", "interested", "declined", "converted"]
