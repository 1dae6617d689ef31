"""Repairing card pledges from what Stripe knows: a lost webhook must not lose a payment.

``reconcile_card_payments`` asks Stripe about card pledges still pending after a while (and
about paid ones, for refunds made outside the platform) and applies the same operations the
webhook would. Every pledge is its own transaction, so one Stripe failure costs one pledge, not
the run; the operations only move forward, so a second run (or a webhook arriving meanwhile)
changes nothing more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.money import format_fen
from marketplace.payments.gateway import CheckoutSession, GatewayError, StripeGateway
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import Pledge
from marketplace.pledges.states import MONEY_HELD, PledgeMethod, PledgeStatus
from marketplace.timeutil import utcnow

SOURCE = "reconcile"
# Stripe keeps a Checkout Session open for 24 hours; after that nobody can still be paying.
OPEN_SESSION_LIMIT = timedelta(hours=24)
# Our clock and Stripe's may disagree a little when searching sessions by creation time.
CLOCK_SLACK_SECONDS = 300

# Outcomes that changed something, in the order the summary lists them.
CHANGES = {
    "linked": "补记支付会话",
    "paid": "确认到账",
    "expired": "过期关闭",
    "refunded": "同步退款",
    "flagged": "金额不符待核对",
}
OTHERS = {"waiting": "仍在等待支付", "error": "出错"}


@dataclass
class ReconcileReport:
    counts: Counter[str] = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)
    checked: int = 0

    def note(self, outcome: str, pledge_id: int, text: str = "") -> None:
        self.counts[outcome] += 1
        if outcome != "waiting":
            label = CHANGES.get(outcome) or OTHERS[outcome]
            self.details.append(f"认捐 #{pledge_id}：{label}" + (f"（{text}）" if text else ""))

    @property
    def changed(self) -> int:
        return sum(self.counts[outcome] for outcome in CHANGES)

    @property
    def errors(self) -> int:
        return self.counts["error"]

    def summary(self) -> str:
        if not self.changed and not self.errors:
            return f"没有需要处理的认捐（已检查 {self.checked} 笔）。"
        parts = [f"{label} {self.counts[name]}" for name, label in {**CHANGES, **OTHERS}.items()]
        return f"对账完成，已检查 {self.checked} 笔：" + "，".join(parts) + "。"


def reconcile_card_payments(
    gateway: StripeGateway, *, older_than: timedelta, now: datetime | None = None
) -> ReconcileReport:
    """Settle card pledges pending for longer than `older_than`, then bring paid card pledges'
    refunds up to Stripe's figure. Commits once per pledge."""
    now = now or utcnow()
    report = ReconcileReport()
    pending = db.session.scalars(
        select(Pledge.id)
        .where(
            Pledge.method == PledgeMethod.CARD.value,
            Pledge.status == PledgeStatus.PENDING.value,
            Pledge.created_at <= now - older_than,
        )
        .order_by(Pledge.id)
    ).all()
    paid = db.session.scalars(
        select(Pledge.id)
        .where(
            Pledge.method == PledgeMethod.CARD.value,
            Pledge.status.in_([status.value for status in MONEY_HELD]),
            Pledge.payment_intent_id.is_not(None),
        )
        .order_by(Pledge.id)
    ).all()
    db.session.rollback()  # end the read; each pledge below is its own transaction
    for pledge_id in pending:
        _one_pledge(report, pledge_id, lambda pledge: _settle_pending(gateway, pledge, now, report))
    for pledge_id in paid:
        _one_pledge(report, pledge_id, lambda pledge: _sync_refunds(gateway, pledge, report))
    return report


def _one_pledge(report: ReconcileReport, pledge_id: int, work: Callable[[Pledge], None]) -> None:
    report.checked += 1
    try:
        pledge = db.session.get(Pledge, pledge_id)
        if pledge is not None:
            work(pledge)
        db.session.commit()
    except GatewayError as error:
        db.session.rollback()
        report.note("error", pledge_id, f"Stripe 调用失败：{error.message}")
    except (DomainError, SQLAlchemyError) as error:
        db.session.rollback()
        report.note("error", pledge_id, str(error).splitlines()[0])


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _session_of(gateway: StripeGateway, pledge: Pledge, report: ReconcileReport) -> CheckoutSession | None:
    if pledge.checkout_session_id:
        return gateway.retrieve_checkout_session(pledge.checkout_session_id)
    # A crash between creating the session and our commit: Stripe has it, we do not.
    session = gateway.find_checkout_session_for_pledge(
        pledge.id, created_since=_unix(pledge.created_at) - CLOCK_SLACK_SECONDS
    )
    if session is not None:
        pledges.link_checkout_session(pledge, session.id, session.url)
        report.note("linked", pledge.id, session.id)
    return session


def _settle_pending(gateway: StripeGateway, pledge: Pledge, now: datetime, report: ReconcileReport) -> None:
    if pledge.status != PledgeStatus.PENDING:
        return  # a webhook settled it since the query
    if pledge.flag_reason:
        report.note("waiting", pledge.id)  # staff are already looking at it
        return
    session = _session_of(gateway, pledge, report)
    if session is None:
        if pledge.created_at <= now - OPEN_SESSION_LIMIT:
            # The company never reached the payment page; nothing can be paid for this pledge.
            _expire(pledge, report, "从未打开支付页面")
        else:
            report.note("waiting", pledge.id)
        return
    if session.status == "complete" and session.payment_status == "paid":
        result = pledges.mark_card_paid(
            pledge,
            amount=session.amount_total,
            currency=session.currency,
            payment_intent_id=session.payment_intent_id,
            source=SOURCE,
        )
        if result == "applied":
            report.note("paid", pledge.id, format_fen(session.amount_total or 0))
        elif result == "flagged":
            report.note("flagged", pledge.id, f"{session.amount_total} {session.currency}")
    elif session.status == "expired":
        _expire(pledge, report, "支付会话已过期")
    elif session.status == "open" and session.created <= _unix(now - OPEN_SESSION_LIMIT):
        # Close it at Stripe first, so nobody can pay a pledge we are about to close.
        expired = gateway.expire_checkout_session(session.id)
        if expired.status == "expired":
            _expire(pledge, report, "超过 24 小时未支付")
    else:
        report.note("waiting", pledge.id)  # still open, or an asynchronous payment under way


def _expire(pledge: Pledge, report: ReconcileReport, reason: str) -> None:
    if pledges.close_pending(pledge, PledgeStatus.EXPIRED, actor_id=None, reason=reason):
        report.note("expired", pledge.id, reason)


def _sync_refunds(gateway: StripeGateway, pledge: Pledge, report: ReconcileReport) -> None:
    if pledge.status not in MONEY_HELD or not pledge.payment_intent_id:
        return
    state = gateway.retrieve_payment_state(pledge.payment_intent_id)
    if state.amount_refunded <= pledge.refunded_amount:
        return
    moved = pledges.record_refunded_total(pledge, state.amount_refunded, actor_id=None, source=SOURCE)
    if moved:
        report.note("refunded", pledge.id, format_fen(moved))
