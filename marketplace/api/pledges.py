"""Pledges and a project's ledger. Each endpoint calls the same operations as the pages
(marketplace.pledges.operations); this module translates JSON to their inputs and back.

Amounts are integer fen in both directions. Creating a pledge needs an ``Idempotency-Key``
header: the stored key is scoped to the caller (``api:<user id>:<key>``), so a retry with the same
key and body answers with the same pledge — also when the retries race each other — and the same
key with another body is refused (409). A card pledge's Stripe Checkout Session is created inside
the same request, after the pledge row is flushed and before the one commit; its Stripe
idempotency key is derived from the pledge, so Stripe hands a retry the same session.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Role, User
from marketplace.api import bp, serializers
from marketplace.api.auth import api_login_required, current_api_user, require_api_user
from marketplace.api.input import JsonField, checked_body, require_fields
from marketplace.errors import BadRequest, Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db, limiter
from marketplace.messages import Msg
from marketplace.payments.checkout import checkout_url_for
from marketplace.payments.gateway import GatewayError
from marketplace.payments.service import card_payments_enabled, get_gateway
from marketplace.pledges.accounting import RAISED_KINDS, LedgerKind
from marketplace.pledges.models import LedgerEntry, Pledge
from marketplace.pledges.operations import (
    PledgeRequest,
    confirm_offline_pledge,
    create_pledge,
    ledger_entries,
    pledging_company,
    refund_pledge,
)
from marketplace.pledges.states import PledgeMethod, PledgeStatus
from marketplace.pledges.views import PLEDGE_LIMIT_SCOPE, pledge_rate_limit, pledger_key
from marketplace.projects.models import Project
from marketplace.projects.operations import get_visible_project

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 100
_AMOUNT_TYPE = Msg("金额必须是以分为单位的整数，例如 500000 表示 5000 元")
PLEDGE_FIELDS: Mapping[str, JsonField] = {
    "amount": JsonField("integer", message=_AMOUNT_TYPE),
    "method": JsonField("string"),
    "message": JsonField("string", nullable=True),
    "anonymous": JsonField("boolean"),
    "in_kind_description": JsonField("string", nullable=True),
}
CONFIRM_FIELDS: Mapping[str, JsonField] = {
    "bank_reference": JsonField("string", nullable=True),
    "received_amount": JsonField("integer", message=_AMOUNT_TYPE),
}
REFUND_FIELDS: Mapping[str, JsonField] = {
    "amount": JsonField("integer", nullable=True, message=_AMOUNT_TYPE),
}
# The kinds that make up each total the ledger endpoint reports next to the rows.
MATCH_KINDS = frozenset({LedgerKind.MATCH_CREDIT, LedgerKind.MATCH_REVERSAL})
DISBURSED_KINDS = frozenset({LedgerKind.DISBURSEMENT})


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"
    default_message = Msg("请在请求头 Idempotency-Key 中提供幂等键（1 至 100 个可打印 ASCII 字符）")


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency_key_invalid"
    default_message = Msg("幂等键应为 1 至 100 个可打印 ASCII 字符")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = Msg("该幂等键已用于另一笔不同的认捐，请换一个新的键")


class PaymentGatewayFailed(DomainError):
    """Stripe could not be reached or refused the call; nothing was saved, a retry is safe."""

    status = 502
    code = "payment_gateway_error"
    default_message = Msg("支付平台暂时无法处理请求，请稍后用同一个幂等键重试")


def idempotency_key() -> str:
    """The caller's Idempotency-Key header: 1–100 printable ASCII characters."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or not key.strip():
        raise IdempotencyKeyRequired({IDEMPOTENCY_HEADER: IdempotencyKeyRequired.default_message})
    if len(key) > IDEMPOTENCY_KEY_MAX or not all(" " <= char <= "~" for char in key):
        raise IdempotencyKeyInvalid({IDEMPOTENCY_HEADER: IdempotencyKeyInvalid.default_message})
    return key


def _pledge_request(body: Mapping[str, Any]) -> PledgeRequest:
    require_fields(body, {"amount": Msg("认捐金额（分）"), "method": Msg("认捐方式")})
    return PledgeRequest(
        amount=body["amount"],
        method=body["method"],
        message=body.get("message") or "",
        anonymous=bool(body.get("anonymous", False)),
        in_kind_description=body.get("in_kind_description") or "",
    )


def _gateway_failed(error: GatewayError, what: str) -> PaymentGatewayFailed:
    db.session.rollback()
    log.warning("%s: %s", what, error.message)
    return PaymentGatewayFailed()


def can_see_pledge(pledge: Pledge, user: User | None) -> bool:
    """The pledging company's members, the project's organization's members and staff."""
    if user is None:
        return False
    if user.is_staff:
        return True
    if user.role == Role.COMPANY:
        return user.company_id == pledge.company_id
    if user.role == Role.ORG:
        return user.organization_id == pledge.organization_id
    return False


def _pledge_or_404(pledge_id: int) -> Pledge:
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None:
        raise NotFound.on("pledge", Msg("找不到该认捐"))
    return pledge


def _require_staff(user: User, reason: Msg) -> None:
    if not user.is_staff:
        raise Forbidden.on("pledge", reason)


def _pledge_response(pledge: Pledge, user: User, status: int = 200) -> Any:
    response = jsonify(serializers.pledge(pledge, user))
    response.status_code = status
    return response


def _committed_pledge_response(pledge: Pledge, user: User, status: int = 200) -> Any:
    """Serialise, then commit: the flushed rows are what commits, and after the commit every
    attribute the answer shows would be loaded again, a query per expired object."""
    response = _pledge_response(pledge, user, status)
    db.session.commit()
    return response


@bp.post("/projects/<int:project_id>/pledges")
@api_login_required
@limiter.shared_limit(pledge_rate_limit, PLEDGE_LIMIT_SCOPE, key_func=pledger_key)
def create_pledge_endpoint(project_id: int) -> Any:
    user = require_api_user()
    project = get_visible_project(project_id, user)
    pledging_company(user)  # 403 for org members, staff and unverified companies, before the body
    pledge_request = _pledge_request(checked_body(PLEDGE_FIELDS))
    key = idempotency_key()
    try:
        pledge = create_pledge(
            project,
            user,
            pledge_request,
            idempotency_key=f"api:{user.id}:{key}",
            card_enabled=card_payments_enabled(),
        )
    except Conflict as error:
        if "idempotency_key" in error.fields:
            raise IdempotencyKeyReused(
                {IDEMPOTENCY_HEADER: error.fields["idempotency_key"]}, error.message
            ) from None
        raise
    if (
        pledge.method == PledgeMethod.CARD
        and pledge.status == PledgeStatus.PENDING
        and not pledge.checkout_url
    ):
        try:
            checkout_url_for(pledge)
        except GatewayError as error:
            raise _gateway_failed(error, f"checkout for pledge {pledge.id}") from None
    location = url_for("api.get_pledge", pledge_id=pledge.id)  # before the commit expires the pledge
    response = _committed_pledge_response(pledge, user, 201)
    response.headers["Location"] = location
    return response


@bp.get("/pledges/<int:pledge_id>")
@api_login_required
def get_pledge(pledge_id: int) -> Any:
    user = require_api_user()
    pledge = db.session.get(Pledge, pledge_id)
    # Hidden pledges answer 404, not 403, so their existence does not leak.
    if pledge is None or not can_see_pledge(pledge, user):
        raise NotFound.on("pledge", Msg("找不到该认捐"))
    return _pledge_response(pledge, user)


@bp.post("/pledges/<int:pledge_id>/confirm")
@api_login_required
def confirm_pledge_endpoint(pledge_id: int) -> Any:
    user = require_api_user()
    _require_staff(user, Msg("只有团区委工作人员可以确认到账"))
    pledge = _pledge_or_404(pledge_id)
    body = checked_body(CONFIRM_FIELDS)
    require_fields(body, {"received_amount": Msg("实际到账金额（分）")})
    confirm_offline_pledge(
        pledge, user, received_amount=body["received_amount"], bank_reference=body.get("bank_reference")
    )
    return _committed_pledge_response(pledge, user)


@bp.post("/pledges/<int:pledge_id>/refund")
@api_login_required
def refund_pledge_endpoint(pledge_id: int) -> Any:
    user = require_api_user()
    _require_staff(user, Msg("只有团区委工作人员可以退款"))
    pledge = _pledge_or_404(pledge_id)
    body = checked_body(REFUND_FIELDS, optional=True)
    try:
        refund_pledge(pledge, user, amount=body.get("amount"), gateway=get_gateway())
    except GatewayError as error:
        raise _gateway_failed(error, f"refund of pledge {pledge.id}") from None
    return _committed_pledge_response(pledge, user)


# ───────────── the ledger ─────────────


def _totals(project_id: int) -> tuple[int, int, int]:
    row = db.session.execute(
        select(Project.raised_amount, Project.matched_amount, Project.disbursed_amount).where(
            Project.id == project_id
        )
    ).one()
    return row[0], row[1], row[2]


def _sum(entries: list[LedgerEntry], kinds: frozenset[LedgerKind]) -> int:
    return sum(entry.amount for entry in entries if entry.kind in kinds)


def consistent_ledger(project_id: int) -> tuple[list[LedgerEntry], tuple[int, int, int]]:
    """The rows and the project's totals as of one moment: a movement committed between the two
    reads would show rows that do not add up to the totals, so read again until they agree."""
    for _attempt in range(5):
        entries = ledger_entries(project_id)
        totals = _totals(project_id)
        sums = (_sum(entries, RAISED_KINDS), _sum(entries, MATCH_KINDS), _sum(entries, DISBURSED_KINDS))
        if sums == totals:
            break
        db.session.expire_all()
    return entries, totals


@bp.get("/projects/<int:project_id>/ledger")
def get_project_ledger(project_id: int) -> Any:
    user = current_api_user()
    project = get_visible_project(project_id, user)
    entries, (raised, matched, disbursed) = consistent_ledger(project.id)
    pledge_ids = {entry.pledge_id for entry in entries if entry.pledge_id is not None}
    pledges = {
        item.id: item
        for item in db.session.scalars(
            select(Pledge).where(Pledge.id.in_(pledge_ids)).options(joinedload(Pledge.company))
        )
    }
    return jsonify(
        {
            "project_id": project.id,
            "raised_amount": raised,
            "matched_amount": matched,
            "disbursed_amount": disbursed,
            "receiving_entity": serializers.receiving_entity_ref(project),
            "entries": [serializers.ledger_entry(entry, pledges, user) for entry in entries],
        }
    )
