"""The lives of a tender and of a bid, tested as tables: every (status, action, actor) combination is
either a move the rules ask for, landing where they say, or refused.

The expected tables are written out independently of marketplace/tenders/states.py, from the "Bid
states" table in /work/shared/TENDERS_AND_AGREEMENTS.md and the state machines in ARCHITECTURE.md,
so that a change to the module's tables has to be deliberate.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import pytest

from marketplace.messages import Msg
from marketplace.tenders.states import (
    BID_ACTION_LABELS,
    BID_STATUS_LABELS,
    BIDDER_ACTIONS,
    EDITABLE_BID,
    LIVE_BID,
    TENDER_ACCEPTS_BIDS,
    TENDER_ACTION_LABELS,
    TENDER_ENDED,
    TENDER_STATUS_LABELS,
    Actor,
    BidAction,
    BidStatus,
    TenderAction,
    TenderStatus,
    next_bid_status,
    next_tender_status,
)

B = BidStatus
BA = BidAction
T = TenderStatus
TA = TenderAction
BIDDER, STAFF, SYSTEM = Actor.BIDDER, Actor.STAFF, Actor.SYSTEM

EXPECTED_BID: dict[tuple[BidStatus, BidAction], tuple[BidStatus, Actor]] = {
    # draft → submitted, by the lead (the guards — deadline, rules, confirmations — are the operations').
    (B.DRAFT, BA.SUBMIT): (B.SUBMITTED, BIDDER),
    # submitted → invalid, by the system, when the bid or the tender was edited substantively.
    (B.SUBMITTED, BA.INVALIDATE): (B.INVALID, SYSTEM),
    # invalid → submitted, by the lead, once re-confirmed.
    (B.INVALID, BA.SUBMIT): (B.SUBMITTED, BIDDER),
    # draft / submitted / invalid → withdrawn, by the lead.
    (B.DRAFT, BA.WITHDRAW): (B.WITHDRAWN, BIDDER),
    (B.SUBMITTED, BA.WITHDRAW): (B.WITHDRAWN, BIDDER),
    (B.INVALID, BA.WITHDRAW): (B.WITHDRAWN, BIDDER),
    # submitted → valid / disqualified, by staff after the deadline.
    (B.SUBMITTED, BA.QUALIFY): (B.VALID, STAFF),
    (B.SUBMITTED, BA.DISQUALIFY): (B.DISQUALIFIED, STAFF),
    # Staff correcting their evaluation before the award (states.py; not in the doc's table, but
    # still staff's decision, never the bidder's).
    (B.VALID, BA.DISQUALIFY): (B.DISQUALIFIED, STAFF),
    (B.DISQUALIFIED, BA.QUALIFY): (B.VALID, STAFF),
    # valid → awarded / unsuccessful, by the award decision (the system, when the award is recorded).
    (B.VALID, BA.AWARD): (B.AWARDED, SYSTEM),
    (B.VALID, BA.LOSE): (B.UNSUCCESSFUL, SYSTEM),
    # ProZorro: a winner who refuses to sign loses the award and the next-ranked valid bid gets it.
    (B.AWARDED, BA.REVOKE_AWARD): (B.UNSUCCESSFUL, SYSTEM),
    (B.UNSUCCESSFUL, BA.AWARD): (B.AWARDED, SYSTEM),
    # any open bid → cancelled, by the system, when the tender is cancelled (a tender can be cancelled
    # while draft, open or evaluating, so its bids are at most valid or disqualified by then).
    (B.DRAFT, BA.CANCEL): (B.CANCELLED, SYSTEM),
    (B.SUBMITTED, BA.CANCEL): (B.CANCELLED, SYSTEM),
    (B.INVALID, BA.CANCEL): (B.CANCELLED, SYSTEM),
    (B.VALID, BA.CANCEL): (B.CANCELLED, SYSTEM),
    (B.DISQUALIFIED, BA.CANCEL): (B.CANCELLED, SYSTEM),
}

EXPECTED_TENDER: dict[tuple[TenderStatus, TenderAction], TenderStatus] = {
    (T.DRAFT, TA.PUBLISH): T.OPEN,
    (T.OPEN, TA.CLOSE): T.EVALUATING,
    (T.EVALUATING, TA.AWARD): T.AWARDED,
    (T.EVALUATING, TA.FAIL): T.UNSUCCESSFUL,
    # The winner declined to sign: back to evaluating so the next-ranked bid can be awarded.
    (T.AWARDED, TA.REOPEN_AWARD): T.EVALUATING,
    # any open state → cancelled (with a reason).
    (T.DRAFT, TA.CANCEL): T.CANCELLED,
    (T.OPEN, TA.CANCEL): T.CANCELLED,
    (T.EVALUATING, TA.CANCEL): T.CANCELLED,
}

EVERY_BID_MOVE = list(itertools.product(BidStatus, BidAction, Actor))
EVERY_TENDER_MOVE = list(itertools.product(TenderStatus, TenderAction))


@pytest.mark.parametrize(
    ("status", "action", "actor"), EVERY_BID_MOVE, ids=[f"{s}-{a}-{who}" for s, a, who in EVERY_BID_MOVE]
)
def test_every_bid_status_action_and_actor(status: BidStatus, action: BidAction, actor: Actor) -> None:
    expected = EXPECTED_BID.get((status, action))
    target = expected[0] if expected is not None and expected[1] == actor else None
    assert next_bid_status(status, action, actor) == target


@pytest.mark.parametrize(
    ("status", "action"), EVERY_TENDER_MOVE, ids=[f"{s}-{a}" for s, a in EVERY_TENDER_MOVE]
)
def test_every_tender_status_and_action(status: TenderStatus, action: TenderAction) -> None:
    assert next_tender_status(status, action) == EXPECTED_TENDER.get((status, action))


def bidder_reachable(start: BidStatus) -> set[BidStatus]:
    seen = {start}
    todo = [start]
    while todo:
        status = todo.pop()
        for action in BidAction:
            target = next_bid_status(status, action, BIDDER)
            if target is not None and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.mark.parametrize("decision", [B.VALID, B.DISQUALIFIED, B.AWARDED])
def test_bidders_can_never_reach_an_evaluation_or_award(decision: BidStatus) -> None:
    for start in BidStatus:
        if start != decision:
            assert decision not in bidder_reachable(start), f"from {start}"


def test_a_bidder_alone_only_submits_and_withdraws() -> None:
    moves = {
        (status, action): next_bid_status(status, action, BIDDER)
        for status, action in itertools.product(BidStatus, BidAction)
        if next_bid_status(status, action, BIDDER) is not None
    }
    assert {action for _, action in moves} == {BA.SUBMIT, BA.WITHDRAW}
    assert set(moves.values()) == {B.SUBMITTED, B.WITHDRAWN}
    assert {action.value for _, action in moves} <= BIDDER_ACTIONS
    # A new bid starts as a draft; alone, its bidder can take it only to submitted or withdrawn.
    assert bidder_reachable(B.DRAFT) == {B.DRAFT, B.SUBMITTED, B.WITHDRAWN}


@pytest.mark.parametrize("ended", [B.WITHDRAWN, B.CANCELLED])
def test_withdrawn_and_cancelled_bids_never_move_again(ended: BidStatus) -> None:
    for action, actor in itertools.product(BidAction, Actor):
        assert next_bid_status(ended, action, actor) is None


def test_editable_bids_are_the_ones_a_bidder_may_still_withdraw() -> None:
    assert {B.DRAFT, B.SUBMITTED, B.INVALID} == EDITABLE_BID
    assert {s for s in BidStatus if next_bid_status(s, BA.WITHDRAW, BIDDER)} == EDITABLE_BID


def test_live_bids_hold_their_organizations() -> None:
    # 实施条例 第22条: a bid that can still be submitted, evaluated or awarded binds its organizations.
    assert {B.DRAFT, B.SUBMITTED, B.INVALID, B.VALID, B.AWARDED} == LIVE_BID
    assert not LIVE_BID & {B.WITHDRAWN, B.CANCELLED}


def test_a_cancelled_tender_can_cancel_every_bid_it_can_still_hold() -> None:
    cancellable_tenders = {t for t in TenderStatus if next_tender_status(t, TA.CANCEL) == T.CANCELLED}
    assert cancellable_tenders == {T.DRAFT, T.OPEN, T.EVALUATING}
    # Before the award, a bid is at most submitted (open) or evaluated (evaluating).
    for status in (B.DRAFT, B.SUBMITTED, B.INVALID, B.VALID, B.DISQUALIFIED):
        assert next_bid_status(status, BA.CANCEL, SYSTEM) == B.CANCELLED
        assert next_bid_status(status, BA.CANCEL, BIDDER) is None
        assert next_bid_status(status, BA.CANCEL, STAFF) is None


def test_only_an_open_tender_accepts_bids() -> None:
    assert {T.OPEN} == TENDER_ACCEPTS_BIDS


def test_ended_tenders() -> None:
    assert {T.AWARDED, T.UNSUCCESSFUL, T.CANCELLED} == TENDER_ENDED
    # An ended tender never moves, except an award the winner declined, which goes back to evaluating.
    for status, action in itertools.product(TENDER_ENDED, TenderAction):
        expected = T.EVALUATING if (status, action) == (T.AWARDED, TA.REOPEN_AWARD) else None
        assert next_tender_status(status, action) == expected


@pytest.mark.parametrize(
    ("labels", "enum"),
    [
        pytest.param(TENDER_STATUS_LABELS, TenderStatus, id="TENDER_STATUS_LABELS"),
        pytest.param(TENDER_ACTION_LABELS, TenderAction, id="TENDER_ACTION_LABELS"),
        pytest.param(BID_STATUS_LABELS, BidStatus, id="BID_STATUS_LABELS"),
        pytest.param(BID_ACTION_LABELS, BidAction, id="BID_ACTION_LABELS"),
    ],
)
def test_every_label_dict_covers_every_enum_member(labels: Mapping[object, Msg], enum: type) -> None:
    assert set(labels) == set(enum)  # type: ignore[call-overload]
    assert all(isinstance(label, Msg) and label.strip() for label in labels.values())
    assert len(set(labels.values())) == len(labels), "two members would read the same"
