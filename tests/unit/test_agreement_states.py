"""The life of an agreement and of its versions, tested as tables: every (status, action) pair is
either a move the issue asks for, landing where it says, or refused."""

from __future__ import annotations

import itertools

import pytest

from marketplace.agreements.states import (
    ACTION_LABELS,
    EDITABLE_VERSION,
    LIVE,
    OPEN_FOR_TERMS,
    PENDING_VERSION,
    REASON_REQUIRED,
    REQUESTED_ACTIONS,
    STATUS_LABELS,
    TERMINAL,
    TRANSITIONS,
    TYPE_LABELS,
    VERSION_STATUS_LABELS,
    VERSION_TRANSITIONS,
    AgreementAction,
    AgreementStatus,
    AgreementType,
    VersionStatus,
    allowed_actions,
    next_status,
    version_can_move,
)
from marketplace.messages import Msg

S = AgreementStatus
A = AgreementAction
V = VersionStatus

# Written out independently of the module's table (from issue 6 item 3), so that changing the
# table has to be deliberate.
EXPECTED: dict[tuple[AgreementStatus, AgreementAction], AgreementStatus] = {
    # Created without terms; the first version starts the negotiation.
    (S.DRAFT, A.DRAFT_TERMS): S.NEGOTIATING,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.NEGOTIATING, A.DRAFT_TERMS): S.NEGOTIATING,
    (S.NEGOTIATING, A.PROPOSE): S.PENDING_SIGNATURE,
    (S.NEGOTIATING, A.CANCEL): S.CANCELLED,
    # One party signed, the other not yet: still pending; the last signature activates.
    (S.PENDING_SIGNATURE, A.SIGN): S.PENDING_SIGNATURE,
    (S.PENDING_SIGNATURE, A.ACTIVATE): S.ACTIVE,
    (S.PENDING_SIGNATURE, A.REQUEST_CHANGES): S.NEGOTIATING,
    (S.PENDING_SIGNATURE, A.DECLINE): S.CANCELLED,
    (S.PENDING_SIGNATURE, A.CANCEL): S.CANCELLED,
    # Amendments and renewals go round as new versions while the agreement stays active.
    (S.ACTIVE, A.DRAFT_TERMS): S.ACTIVE,
    (S.ACTIVE, A.PROPOSE): S.ACTIVE,
    (S.ACTIVE, A.SIGN): S.ACTIVE,
    (S.ACTIVE, A.ACTIVATE): S.ACTIVE,
    (S.ACTIVE, A.REQUEST_CHANGES): S.ACTIVE,
    (S.ACTIVE, A.DECLINE): S.ACTIVE,
    (S.ACTIVE, A.RENEW): S.ACTIVE,
    (S.ACTIVE, A.TERMINATE): S.TERMINATED,
    (S.ACTIVE, A.EXPIRE): S.EXPIRED,
}

EVERY_PAIR = list(itertools.product(S, A))


@pytest.mark.parametrize(("status", "action"), EVERY_PAIR, ids=[f"{s}-{a}" for s, a in EVERY_PAIR])
def test_every_status_and_action_moves_exactly_as_the_issue_says(
    status: AgreementStatus, action: AgreementAction
) -> None:
    expected = EXPECTED.get((status, action))
    assert next_status(status, action) == expected
    assert TRANSITIONS.get((status, action)) == expected
    assert (action in allowed_actions(status)) is (expected is not None)


def test_the_table_has_nothing_beyond_the_expected_moves() -> None:
    assert dict(TRANSITIONS) == EXPECTED


def test_the_table_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[(S.CANCELLED, A.PROPOSE)] = S.PENDING_SIGNATURE  # type: ignore[index]


@pytest.mark.parametrize("status", sorted({S.EXPIRED, S.TERMINATED, S.CANCELLED}))
def test_terminal_states_have_no_exits(status: AgreementStatus) -> None:
    assert status in TERMINAL
    assert allowed_actions(status) == frozenset()
    assert all(next_status(status, action) is None for action in A)


def test_terminal_states_are_exactly_those_without_exits_and_live_ones_are_the_rest() -> None:
    without_exits = {status for status in S if not allowed_actions(status)}
    assert without_exits == set(TERMINAL) == {S.EXPIRED, S.TERMINATED, S.CANCELLED}
    assert set(LIVE) == set(S) - set(TERMINAL)


def test_every_status_is_reachable_from_draft() -> None:
    reached, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        status = frontier.pop()
        for action in allowed_actions(status):
            target = next_status(status, action)
            assert target is not None
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(S)


def test_cancelling_is_possible_before_activation_only() -> None:
    can_cancel = {status for status in S if next_status(status, A.CANCEL) is not None}
    assert can_cancel == {S.DRAFT, S.NEGOTIATING, S.PENDING_SIGNATURE}


def test_only_an_active_agreement_can_be_terminated_or_expire_or_renew() -> None:
    for action in (A.TERMINATE, A.EXPIRE, A.RENEW):
        assert {status for status in S if next_status(status, action) is not None} == {S.ACTIVE}


def test_terms_are_open_where_drafting_terms_is_allowed() -> None:
    assert set(OPEN_FOR_TERMS) == {status for status in S if next_status(status, A.DRAFT_TERMS)}
    assert set(OPEN_FOR_TERMS) == {S.DRAFT, S.NEGOTIATING, S.ACTIVE}


def test_a_person_must_give_a_reason_to_refuse_or_end() -> None:
    assert frozenset({A.REQUEST_CHANGES, A.DECLINE, A.TERMINATE, A.CANCEL}) == REASON_REQUIRED
    assert A.PROPOSE not in REASON_REQUIRED and A.SIGN not in REASON_REQUIRED


def test_the_requested_actions_are_the_six_the_api_accepts() -> None:
    assert [action.value for action in REQUESTED_ACTIONS] == [
        "propose",
        "request_changes",
        "sign",
        "decline",
        "terminate",
        "cancel",
    ]
    assert set(REASON_REQUIRED) <= set(REQUESTED_ACTIONS)
    # The internal moves follow from others and are never asked for directly.
    assert {A.DRAFT_TERMS, A.ACTIVATE, A.EXPIRE, A.RENEW}.isdisjoint(REQUESTED_ACTIONS)


# ─────────────────────────────── versions ───────────────────────────────

VERSION_EXPECTED = {
    (V.DRAFT, V.PROPOSED),
    (V.DRAFT, V.WITHDRAWN),
    (V.PROPOSED, V.SIGNED),
    (V.PROPOSED, V.WITHDRAWN),
    (V.SIGNED, V.SUPERSEDED),
}
VERSION_PAIRS = list(itertools.product(V, V))


@pytest.mark.parametrize(("source", "target"), VERSION_PAIRS, ids=[f"{s}->{t}" for s, t in VERSION_PAIRS])
def test_every_version_move_is_allowed_exactly_when_expected(
    source: VersionStatus, target: VersionStatus
) -> None:
    assert version_can_move(source, target) is ((source, target) in VERSION_EXPECTED)


def test_superseded_and_withdrawn_versions_are_final() -> None:
    assert VERSION_TRANSITIONS[V.SUPERSEDED] == frozenset()
    assert VERSION_TRANSITIONS[V.WITHDRAWN] == frozenset()
    assert set(VERSION_TRANSITIONS) == set(V)


def test_only_a_draft_is_editable_and_a_version_in_play_is_draft_or_proposed() -> None:
    assert frozenset({V.DRAFT}) == EDITABLE_VERSION
    assert frozenset({V.DRAFT, V.PROPOSED}) == PENDING_VERSION
    # A signed version can never go back to being in play.
    assert not any(version_can_move(V.SIGNED, status) for status in PENDING_VERSION)


# ─────────────────────────────── labels ───────────────────────────────


@pytest.mark.parametrize(
    ("labels", "keys"),
    [
        (STATUS_LABELS, list(S)),
        (VERSION_STATUS_LABELS, list(V)),
        (ACTION_LABELS, list(A)),
        (TYPE_LABELS, list(AgreementType)),
    ],
    ids=["status", "version_status", "action", "type"],
)
def test_every_value_has_its_own_chinese_label(labels, keys) -> None:
    assert set(labels) == set(keys)
    assert all(isinstance(label, Msg) and label.strip() for label in labels.values())
    assert len({str(label) for label in labels.values()}) == len(keys)


def test_the_labels_people_see_for_the_main_states() -> None:
    assert STATUS_LABELS[S.PENDING_SIGNATURE] == "待签署"
    assert STATUS_LABELS[S.ACTIVE] == "生效中"
    assert TYPE_LABELS[AgreementType.STRATEGIC_COOPERATION] == "战略合作协议"
