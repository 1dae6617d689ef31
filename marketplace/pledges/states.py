"""The pledge lifecycle as one pure table. PURE: no Flask, no SQLAlchemy, no Stripe.

pending → paid → refunded (partial refunds keep it paid until the whole amount is back);
paid → refund_due (an all-or-nothing project failed and the money must go back by bank transfer)
→ refunded; pending → failed | cancelled | expired. States only move forward: a late or replayed
webhook can never move a paid pledge back to pending or failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from marketplace.messages import Msg


class PledgeStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    REFUND_DUE = "refund_due"
    REFUNDED = "refunded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PledgeMethod(StrEnum):
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    IN_KIND = "in_kind"


OFFLINE_METHODS = frozenset({PledgeMethod.BANK_TRANSFER, PledgeMethod.IN_KIND})

STATUS_LABELS: Mapping[PledgeStatus, Msg] = MappingProxyType(
    {
        PledgeStatus.PENDING: Msg("待到账"),
        PledgeStatus.PAID: Msg("已到账"),
        PledgeStatus.REFUND_DUE: Msg("待退款"),
        PledgeStatus.REFUNDED: Msg("已退款"),
        PledgeStatus.FAILED: Msg("支付失败"),
        PledgeStatus.CANCELLED: Msg("已取消"),
        PledgeStatus.EXPIRED: Msg("已过期"),
    }
)

METHOD_LABELS: Mapping[PledgeMethod, Msg] = MappingProxyType(
    {
        PledgeMethod.CARD: Msg("在线支付（银行卡）"),
        PledgeMethod.BANK_TRANSFER: Msg("对公转账"),
        PledgeMethod.IN_KIND: Msg("物资或服务捐赠"),
    }
)

# Which states each state may move to. Anything else is refused, so the webhook handler, the
# reconcile job, staff pages and the deadline job cannot disagree.
TRANSITIONS: Mapping[PledgeStatus, frozenset[PledgeStatus]] = MappingProxyType(
    {
        PledgeStatus.PENDING: frozenset(
            {PledgeStatus.PAID, PledgeStatus.FAILED, PledgeStatus.CANCELLED, PledgeStatus.EXPIRED}
        ),
        PledgeStatus.PAID: frozenset({PledgeStatus.REFUND_DUE, PledgeStatus.REFUNDED}),
        PledgeStatus.REFUND_DUE: frozenset({PledgeStatus.REFUNDED}),
        PledgeStatus.REFUNDED: frozenset(),
        PledgeStatus.FAILED: frozenset(),
        PledgeStatus.CANCELLED: frozenset(),
        PledgeStatus.EXPIRED: frozenset(),
    }
)

# Money has arrived and has not been fully returned: these pledges count toward the goal.
MONEY_HELD = frozenset({PledgeStatus.PAID, PledgeStatus.REFUND_DUE})
FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


def can_move(source: str, target: str) -> bool:
    return PledgeStatus(target) in TRANSITIONS[PledgeStatus(source)]


def sources_for(target: PledgeStatus) -> frozenset[PledgeStatus]:
    """Every state from which `target` may be reached: the WHERE clause of an atomic transition."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)
