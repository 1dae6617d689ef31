"""Stripe: the webhook (the only CSRF-exempt POST) and the card checkout hand-off pages.

The pages never decide that money arrived: only a verified webhook (``webhooks.handle_event``)
or the reconcile job marks a card pledge paid. The success page just shows the current state.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.authz import login_required_any
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import csrf, db
from marketplace.messages import Msg
from marketplace.payments import webhooks
from marketplace.payments.checkout import checkout_url_for
from marketplace.payments.gateway import GatewayError, WebhookRejected, settings_from_config
from marketplace.payments.service import card_payments_enabled, get_gateway
from marketplace.pledges.models import Pledge
from marketplace.pledges.states import MONEY_HELD, PledgeMethod, PledgeStatus
from marketplace.web import json_error, translate

bp = Blueprint("payments", __name__)

CARD_OFF = Msg("平台暂未开通在线支付，请选择对公转账或物资捐赠")


# ───────────── the webhook ─────────────


@bp.post("/payments/stripe/webhook")
@csrf.exempt  # Stripe cannot send our CSRF token; the signature on the raw body replaces it
def stripe_webhook() -> Any:
    gateway = get_gateway()
    if gateway is None:
        # Card payments are off: as far as Stripe is concerned, this endpoint does not exist.
        return json_error(404, "not_found", CARD_OFF)
    settings = settings_from_config(current_app.config)
    if settings is None or not settings.webhook_secret:
        current_app.logger.error("Stripe webhook received but STRIPE_WEBHOOK_SECRET is not configured")
        # 5xx: Stripe keeps redelivering until the operator adds the secret.
        return json_error(503, "not_configured", Msg("支付通知暂时无法处理，请稍后重试"))
    try:
        # The raw bytes: re-serialised JSON would (rightly) fail the signature check.
        event = gateway.parse_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except WebhookRejected as rejected:
        current_app.logger.warning("Stripe webhook rejected: %s", rejected.reason)
        return json_error(
            400, "invalid_signature", Msg("支付通知签名校验失败，未作处理"), {"signature": rejected.reason}
        )
    try:
        outcome = webhooks.handle_event(event)
        db.session.commit()
    except Exception:
        # A database error (or a bug): nothing is committed, and a 5xx makes Stripe redeliver.
        db.session.rollback()
        current_app.logger.exception(
            "Stripe webhook %s (%s) failed; Stripe will redeliver", event["id"], event["type"]
        )
        return json_error(500, "internal_error", Msg("处理支付通知时出错，请稍后重试"))
    return jsonify(received=True, outcome=outcome)


# ───────────── card checkout hand-off pages ─────────────


def _own_card_pledge(pledge_id: int) -> Pledge:
    """A card pledge of the current user's company; everyone else is told it does not exist."""
    pledge = db.session.get(Pledge, pledge_id)
    if (
        pledge is None
        or pledge.method != PledgeMethod.CARD
        or current_user.role != Role.COMPANY
        or current_user.company_id != pledge.company_id
    ):
        raise NotFound(message=Msg("找不到这笔认捐"))
    return pledge


def pledge_page_url(pledge_id: int) -> str:
    # The pledge page belongs to the pledges blueprint; fall back to its path until it exists.
    if "pledges.detail" in current_app.view_functions:
        return url_for("pledges.detail", pledge_id=pledge_id)
    return f"/pledges/{pledge_id}"


def _page_context(pledge: Pledge) -> dict[str, Any]:
    return {
        "pledge": pledge,
        "project": pledge.project,
        "pledge_url": pledge_page_url(pledge.id),
        "project_url": url_for("projects.detail", project_id=pledge.project_id),
        "money_held": pledge.status in MONEY_HELD or pledge.status == PledgeStatus.REFUNDED,
        "can_retry": pledge.status == PledgeStatus.PENDING and card_payments_enabled(),
    }


@bp.get("/pledges/<int:pledge_id>/checkout")
@login_required_any
def checkout(pledge_id: int) -> Any:
    """Send the company to Stripe's payment page for its pending card pledge."""
    pledge = _own_card_pledge(pledge_id)
    if not card_payments_enabled():
        raise NotFound(message=CARD_OFF)
    if pledge.status != PledgeStatus.PENDING:
        flash(
            translate(Msg("这笔认捐当前状态为「%(status)s」，无需再支付", status=pledge.status_label)), "info"
        )
        return redirect(pledge_page_url(pledge.id))
    try:
        url = checkout_url_for(pledge)
    except GatewayError as error:
        # Safe to retry: the idempotency key comes from the pledge, so Stripe answers a retry
        # with the session it may already have created.
        db.session.rollback()
        current_app.logger.warning("Stripe checkout for pledge %s failed: %s", pledge_id, error.message)
        return render_template("payments/checkout_unavailable.html", **_page_context(pledge)), 503
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return redirect(url, code=303)


@bp.get("/pledges/<int:pledge_id>/checkout/returned")
@login_required_any
def checkout_returned(pledge_id: int) -> Any:
    """Stripe's success_url. Shows the state only: the webhook or reconcile job marks it paid."""
    pledge = _own_card_pledge(pledge_id)
    return render_template("payments/checkout_returned.html", **_page_context(pledge))


@bp.get("/pledges/<int:pledge_id>/checkout/cancelled")
@login_required_any
def checkout_cancelled(pledge_id: int) -> Any:
    """Stripe's cancel_url: nothing was charged; pay again or switch to a bank transfer."""
    pledge = _own_card_pledge(pledge_id)
    return render_template("payments/checkout_cancelled.html", **_page_context(pledge))
