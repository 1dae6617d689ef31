"""Stripe webhook events → pledge operations.

A thin adapter in the Indico-plugin style: the view verifies the signature, then
``handle_event`` stores the event id (UNIQUE, so a redelivery or a concurrent duplicate is
dropped) and maps the event type to one pledge operation, all in the caller's transaction.
Nothing here commits. The operations only move states forward, so events arriving twice, late
or out of order change nothing they should not: ``mark_card_paid`` counts a payment once no
matter whether ``checkout.session.completed`` or ``payment_intent.succeeded`` comes first, and
refunds are recorded as Stripe's absolute ``amount_refunded``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.money import format_fen
from marketplace.payments.gateway import CheckoutSession, session_from_stripe
from marketplace.payments.models import StripeEvent
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import Pledge
from marketplace.pledges.states import PledgeMethod, PledgeStatus

DUPLICATE = "duplicate"
SOURCE = "webhook"
_DIGITS = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Outcome:
    """What a handler did, stored on the event row: applied, no-change, flagged, ignored,
    awaiting-payment, unknown-session or unknown-payment."""

    name: str
    pledge: Pledge | None = None


def handle_event(event: Mapping[str, Any]) -> str:
    """Store a verified event once and act on it. Returns the outcome, or ``DUPLICATE``.

    Call it first thing in a transaction: the event row is that transaction's first write, so
    a duplicate can be dropped by rolling back without losing anything, and (on SQLite) the
    operations' savepoints nest inside a real transaction instead of committing on release.
    """
    event_id = event["id"]
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.id == event_id)) is not None:
        return DUPLICATE
    record = StripeEvent(id=event_id, type=event["type"][:100], outcome="received", payload=dict(event))
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        # A concurrent delivery of the same event won the insert (and does the work).
        db.session.rollback()
        return DUPLICATE
    handler = HANDLERS.get(event["type"])
    data = event["data"].get("object")
    outcome = handler(data) if handler is not None and isinstance(data, Mapping) else Outcome("ignored")
    record.outcome = outcome.name
    record.pledge_id = outcome.pledge.id if outcome.pledge is not None else None
    db.session.flush()
    return outcome.name


# ---------------------------------------------------------------------------------------------
# Finding the pledge an event is about


def _metadata_pledge_id(obj: Mapping[str, Any]) -> int | None:
    metadata = obj.get("metadata") or {}
    value = metadata.get("pledge_id") if isinstance(metadata, Mapping) else None
    return int(value) if isinstance(value, str) and _DIGITS.fullmatch(value) else None


def _object_id(value: Any) -> str | None:
    """An expandable field: an id string, or an expanded object carrying one."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _card_pledge(pledge_id: int | None) -> Pledge | None:
    if pledge_id is None:
        return None
    pledge = db.session.get(Pledge, pledge_id)
    return pledge if pledge is not None and pledge.method == PledgeMethod.CARD else None


def _pledge_for_session(session: CheckoutSession) -> Pledge | None:
    """By the session id we stored, else by the pledge id Stripe echoes back in the metadata (a
    crash between creating the session and our commit leaves the pledge without the id)."""
    pledge = db.session.scalar(select(Pledge).where(Pledge.checkout_session_id == session.id))
    if pledge is not None:
        return pledge
    pledge = _card_pledge(session.pledge_id)
    if pledge is not None and pledge.checkout_session_id is None:
        pledges.link_checkout_session(pledge, session.id, session.url)
    return pledge


def _pledge_for_payment(payment_intent_id: str | None, obj: Mapping[str, Any]) -> Pledge | None:
    if payment_intent_id:
        pledge = db.session.scalar(select(Pledge).where(Pledge.payment_intent_id == payment_intent_id))
        if pledge is not None:
            return pledge
    pledge = _card_pledge(_metadata_pledge_id(obj))
    if pledge is not None and pledge.payment_intent_id not in (None, payment_intent_id):
        return None  # the metadata names a pledge that another payment already settled
    return pledge


def _unknown(kind: str, reference: Any) -> Outcome:
    current_app.logger.warning("Stripe webhook about an unknown %s %s: nothing changed", kind, reference)
    return Outcome("unknown-session" if kind == "checkout session" else "unknown-payment")


# ---------------------------------------------------------------------------------------------
# Acting


def _paid(pledge: Pledge, *, amount: Any, currency: Any, payment_intent_id: str | None) -> Outcome:
    amount = amount if isinstance(amount, int) and not isinstance(amount, bool) else None
    try:
        result = pledges.mark_card_paid(
            pledge,
            amount=amount,
            currency=currency if isinstance(currency, str) else None,
            payment_intent_id=payment_intent_id,
            source=SOURCE,
        )
    except Conflict:
        # The pledge was closed (cancelled, expired, failed) before Stripe took the money: the
        # money is real, so a person must refund it or reopen the pledge.
        pledges.flag_pledge(
            pledge,
            f"认捐状态为「{pledge.status_label}」，但支付平台报告已收款 {_yuan(amount)}"
            f"（{payment_intent_id or '无支付编号'}），请核对并退款",
        )
        return Outcome("flagged", pledge)
    return Outcome(result, pledge)


def _close(pledge: Pledge, target: PledgeStatus, reason: str) -> Outcome:
    moved = pledges.close_pending(pledge, target, actor_id=None, reason=reason)
    return Outcome("applied" if moved else "no-change", pledge)


def _yuan(amount: Any) -> str:
    return format_fen(amount) if isinstance(amount, int) and not isinstance(amount, bool) else "未知金额"


def _foreign_session(pledge: Pledge, session: CheckoutSession) -> Outcome:
    """A session naming a pledge that already has another one. One idempotency key per pledge
    makes this impossible in normal use; if its money arrived, staff must look."""
    if session.payment_status == "paid":
        pledges.flag_pledge(
            pledge,
            f"另一个支付会话 {session.id} 为这笔认捐收款 {_yuan(session.amount_total)}，请核对并退款",
        )
        return Outcome("flagged", pledge)
    return Outcome("no-change", pledge)


# ---------------------------------------------------------------------------------------------
# One handler per event type


def _session_completed(obj: Mapping[str, Any]) -> Outcome:
    session = session_from_stripe(obj)
    pledge = _pledge_for_session(session)
    if pledge is None:
        return _unknown("checkout session", session.id)
    if pledge.checkout_session_id != session.id:
        return _foreign_session(pledge, session)
    if session.payment_status == "paid":
        return _paid(
            pledge,
            amount=session.amount_total,
            currency=session.currency,
            payment_intent_id=session.payment_intent_id,
        )
    if session.payment_status == "unpaid":
        # Delayed methods complete the session first and pay later (async_payment_* follows).
        pledges.remember_payment_intent(pledge, session.payment_intent_id)
        return Outcome("awaiting-payment", pledge)
    pledges.flag_pledge(pledge, f"支付平台报告该认捐「无需付款」（{session.payment_status}），请核对")
    return Outcome("flagged", pledge)


def _session_async_succeeded(obj: Mapping[str, Any]) -> Outcome:
    session = session_from_stripe(obj)
    pledge = _pledge_for_session(session)
    if pledge is None:
        return _unknown("checkout session", session.id)
    if pledge.checkout_session_id != session.id:
        return _foreign_session(pledge, session)
    return _paid(
        pledge,
        amount=session.amount_total,
        currency=session.currency,
        payment_intent_id=session.payment_intent_id,
    )


def _session_closer(target: PledgeStatus, reason: str) -> Callable[[Mapping[str, Any]], Outcome]:
    def handle(obj: Mapping[str, Any]) -> Outcome:
        session = session_from_stripe(obj)
        pledge = _pledge_for_session(session)
        if pledge is None:
            return _unknown("checkout session", session.id)
        if pledge.checkout_session_id != session.id:
            return Outcome("no-change", pledge)  # another session's end says nothing about this one
        return _close(pledge, target, reason)

    return handle


def _intent_succeeded(obj: Mapping[str, Any]) -> Outcome:
    intent_id = _object_id(obj.get("id"))
    pledge = _pledge_for_payment(intent_id, obj)
    if pledge is None:
        return _unknown("payment intent", intent_id)
    return _paid(
        pledge, amount=obj.get("amount_received"), currency=obj.get("currency"), payment_intent_id=intent_id
    )


def _intent_failed(obj: Mapping[str, Any]) -> Outcome:
    """A declined attempt. Checkout keeps the session open and lets the customer try another
    card, so the pledge stays pending: it ends with checkout.session.expired (or
    async_payment_failed, or the reconcile job), and a paid pledge never moves back."""
    intent_id = _object_id(obj.get("id"))
    pledge = _pledge_for_payment(intent_id, obj)
    if pledge is None:
        return _unknown("payment intent", intent_id)
    error = obj.get("last_payment_error") or {}
    current_app.logger.info(
        "Stripe payment attempt failed for pledge %s (%s); the checkout session stays open",
        pledge.id,
        error.get("code") if isinstance(error, Mapping) else None,
    )
    return Outcome("no-change", pledge)


def _charge_refunded(obj: Mapping[str, Any]) -> Outcome:
    intent_id = _object_id(obj.get("payment_intent"))
    pledge = _pledge_for_payment(intent_id, obj)
    if pledge is None:
        return _unknown("charge", obj.get("id"))
    if pledge.status == PledgeStatus.PENDING and obj.get("paid") is True:
        # The refund overtook the payment's own events: a refunded charge was a paid charge.
        paid = _paid(
            pledge,
            amount=obj.get("amount_captured") or obj.get("amount"),
            currency=obj.get("currency"),
            payment_intent_id=intent_id,
        )
        if paid.name != "applied":
            return paid
    refunded_total = obj.get("amount_refunded")
    if not isinstance(refunded_total, int) or isinstance(refunded_total, bool) or refunded_total < 0:
        pledges.flag_pledge(pledge, "支付平台的退款通知缺少退款总额，请核对")
        return Outcome("flagged", pledge)
    moved = pledges.record_refunded_total(pledge, refunded_total, actor_id=None, source=SOURCE)
    return Outcome("applied" if moved else "no-change", pledge)


def _dispute_created(obj: Mapping[str, Any]) -> Outcome:
    intent_id = _object_id(obj.get("payment_intent"))
    pledge = _pledge_for_payment(intent_id, obj)
    if pledge is None:
        return _unknown("dispute", obj.get("id"))
    pledges.flag_pledge(
        pledge,
        f"付款方对这笔在线支付提出争议（拒付）：金额 {_yuan(obj.get('amount'))}，"
        f"原因 {obj.get('reason') or '未说明'}。请在 Stripe 后台提交证据并核对款项",
    )
    return Outcome("flagged", pledge)


HANDLERS: dict[str, Callable[[Mapping[str, Any]], Outcome]] = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _session_async_succeeded,
    "checkout.session.async_payment_failed": _session_closer(PledgeStatus.FAILED, "async payment failed"),
    "checkout.session.expired": _session_closer(PledgeStatus.EXPIRED, "checkout session expired"),
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}
