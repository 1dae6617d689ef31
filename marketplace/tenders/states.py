"""Tender and bid states, their transitions and who may cause them. PURE: no Flask, no database.

Tender: draft → open → evaluating → awarded | unsuccessful; any open state → cancelled (reason).
Bid (after ProZorro's bid rules): draft → submitted → (after the deadline) valid | disqualified →
awarded | unsuccessful; an edit after submission makes it ``invalid`` until re-submitted; draft,
submitted and invalid bids may be withdrawn before the deadline; a cancelled tender cancels its
live bids. Bidders only ever submit and withdraw: valid, disqualified and awarded are decisions of
staff (or of the award), never a bidder's.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from marketplace.messages import Msg


class TenderStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    EVALUATING = "evaluating"
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"
    CANCELLED = "cancelled"


class TenderAction(StrEnum):
    PUBLISH = "publish"
    CLOSE = "close"  # the submission deadline passed: evaluation begins
    AWARD = "award"
    FAIL = "fail"  # no valid bid left (or the last winner declined)
    CANCEL = "cancel"
    REOPEN_AWARD = "reopen_award"  # the winner declined: back to evaluating to award the next


TENDER_TRANSITIONS: Final[dict[tuple[TenderStatus, TenderAction], TenderStatus]] = {
    (TenderStatus.DRAFT, TenderAction.PUBLISH): TenderStatus.OPEN,
    (TenderStatus.OPEN, TenderAction.CLOSE): TenderStatus.EVALUATING,
    (TenderStatus.EVALUATING, TenderAction.AWARD): TenderStatus.AWARDED,
    (TenderStatus.EVALUATING, TenderAction.FAIL): TenderStatus.UNSUCCESSFUL,
    (TenderStatus.AWARDED, TenderAction.REOPEN_AWARD): TenderStatus.EVALUATING,
    (TenderStatus.DRAFT, TenderAction.CANCEL): TenderStatus.CANCELLED,
    (TenderStatus.OPEN, TenderAction.CANCEL): TenderStatus.CANCELLED,
    (TenderStatus.EVALUATING, TenderAction.CANCEL): TenderStatus.CANCELLED,
}

# Bids may be prepared, edited and submitted only while the tender is open (and before its deadline).
TENDER_ACCEPTS_BIDS: Final = frozenset({TenderStatus.OPEN})
TENDER_ENDED: Final = frozenset({TenderStatus.AWARDED, TenderStatus.UNSUCCESSFUL, TenderStatus.CANCELLED})


def next_tender_status(source: TenderStatus, action: TenderAction) -> TenderStatus | None:
    return TENDER_TRANSITIONS.get((source, action))


class BidStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INVALID = "invalid"
    WITHDRAWN = "withdrawn"
    VALID = "valid"
    DISQUALIFIED = "disqualified"
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"
    CANCELLED = "cancelled"


class BidAction(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    INVALIDATE = "invalidate"  # the bid or the tender was edited substantively after submission
    QUALIFY = "qualify"  # staff: valid
    DISQUALIFY = "disqualify"  # staff: disqualified (reason)
    AWARD = "award"
    LOSE = "lose"  # another bid won, or the tender ended unsuccessful
    REVOKE_AWARD = "revoke_award"  # the winner declined to sign
    CANCEL = "cancel"  # the tender was cancelled


class Actor(StrEnum):
    BIDDER = "bidder"  # the lead organization's member
    STAFF = "staff"
    SYSTEM = "system"


BID_TRANSITIONS: Final[dict[tuple[BidStatus, BidAction], tuple[BidStatus, Actor]]] = {
    (BidStatus.DRAFT, BidAction.SUBMIT): (BidStatus.SUBMITTED, Actor.BIDDER),
    (BidStatus.INVALID, BidAction.SUBMIT): (BidStatus.SUBMITTED, Actor.BIDDER),
    (BidStatus.SUBMITTED, BidAction.INVALIDATE): (BidStatus.INVALID, Actor.SYSTEM),
    (BidStatus.DRAFT, BidAction.WITHDRAW): (BidStatus.WITHDRAWN, Actor.BIDDER),
    (BidStatus.SUBMITTED, BidAction.WITHDRAW): (BidStatus.WITHDRAWN, Actor.BIDDER),
    (BidStatus.INVALID, BidAction.WITHDRAW): (BidStatus.WITHDRAWN, Actor.BIDDER),
    (BidStatus.SUBMITTED, BidAction.QUALIFY): (BidStatus.VALID, Actor.STAFF),
    (BidStatus.SUBMITTED, BidAction.DISQUALIFY): (BidStatus.DISQUALIFIED, Actor.STAFF),
    # Staff may correct an evaluation before the award.
    (BidStatus.VALID, BidAction.DISQUALIFY): (BidStatus.DISQUALIFIED, Actor.STAFF),
    (BidStatus.DISQUALIFIED, BidAction.QUALIFY): (BidStatus.VALID, Actor.STAFF),
    (BidStatus.VALID, BidAction.AWARD): (BidStatus.AWARDED, Actor.SYSTEM),
    (BidStatus.VALID, BidAction.LOSE): (BidStatus.UNSUCCESSFUL, Actor.SYSTEM),
    (BidStatus.AWARDED, BidAction.REVOKE_AWARD): (BidStatus.UNSUCCESSFUL, Actor.SYSTEM),
    # An unsuccessful bid that stayed valid can still receive the award when the winner declines.
    (BidStatus.UNSUCCESSFUL, BidAction.AWARD): (BidStatus.AWARDED, Actor.SYSTEM),
    (BidStatus.DRAFT, BidAction.CANCEL): (BidStatus.CANCELLED, Actor.SYSTEM),
    (BidStatus.SUBMITTED, BidAction.CANCEL): (BidStatus.CANCELLED, Actor.SYSTEM),
    (BidStatus.INVALID, BidAction.CANCEL): (BidStatus.CANCELLED, Actor.SYSTEM),
    (BidStatus.VALID, BidAction.CANCEL): (BidStatus.CANCELLED, Actor.SYSTEM),
    (BidStatus.DISQUALIFIED, BidAction.CANCEL): (BidStatus.CANCELLED, Actor.SYSTEM),
}

# A bid that still occupies its organizations on the tender (实施条例 第22条: one bid per supplier).
LIVE_BID: Final = frozenset(
    {BidStatus.DRAFT, BidStatus.SUBMITTED, BidStatus.INVALID, BidStatus.VALID, BidStatus.AWARDED}
)
EDITABLE_BID: Final = frozenset({BidStatus.DRAFT, BidStatus.SUBMITTED, BidStatus.INVALID})
# What a bidder may ask for through the API or the pages; everything else is someone else's decision.
BIDDER_ACTIONS: Final = frozenset({"confirm", "submit", "withdraw"})


def next_bid_status(source: BidStatus, action: BidAction, actor: Actor) -> BidStatus | None:
    """The status ``action`` leads to, or None when the table has no such move for this actor."""
    found = BID_TRANSITIONS.get((source, action))
    if found is None:
        return None
    target, allowed = found
    return target if allowed == actor else None


TENDER_STATUS_LABELS: Final[dict[TenderStatus, Msg]] = {
    TenderStatus.DRAFT: Msg("草稿"),
    TenderStatus.OPEN: Msg("报名中"),
    TenderStatus.EVALUATING: Msg("评审中"),
    TenderStatus.AWARDED: Msg("已成交"),
    TenderStatus.UNSUCCESSFUL: Msg("流标"),
    TenderStatus.CANCELLED: Msg("已取消"),
}

BID_STATUS_LABELS: Final[dict[BidStatus, Msg]] = {
    BidStatus.DRAFT: Msg("草稿"),
    BidStatus.SUBMITTED: Msg("已提交"),
    BidStatus.INVALID: Msg("待重新确认"),
    BidStatus.WITHDRAWN: Msg("已撤回"),
    BidStatus.VALID: Msg("有效"),
    BidStatus.DISQUALIFIED: Msg("无效（不合格）"),
    BidStatus.AWARDED: Msg("中标"),
    BidStatus.UNSUCCESSFUL: Msg("未中标"),
    BidStatus.CANCELLED: Msg("已取消"),
}

BID_ACTION_LABELS: Final[dict[BidAction, Msg]] = {
    BidAction.SUBMIT: Msg("提交投标"),
    BidAction.WITHDRAW: Msg("撤回投标"),
    BidAction.INVALIDATE: Msg("标记为待重新确认"),
    BidAction.QUALIFY: Msg("评为有效"),
    BidAction.DISQUALIFY: Msg("评为无效"),
    BidAction.AWARD: Msg("授予中标"),
    BidAction.LOSE: Msg("标记未中标"),
    BidAction.REVOKE_AWARD: Msg("撤销中标"),
    BidAction.CANCEL: Msg("取消"),
}

TENDER_ACTION_LABELS: Final[dict[TenderAction, Msg]] = {
    TenderAction.PUBLISH: Msg("发布"),
    TenderAction.CLOSE: Msg("截止并进入评审"),
    TenderAction.AWARD: Msg("确定成交"),
    TenderAction.FAIL: Msg("宣布流标"),
    TenderAction.CANCEL: Msg("取消采购"),
    TenderAction.REOPEN_AWARD: Msg("重新确定成交供应商"),
}
