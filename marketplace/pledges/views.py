"""Pledge pages: pledging, the pledge's own page and receipt, the company's pledges, and staff's
money pages (the confirmation queue, refunds, a project's ledger and disbursements, partner
foundations and 公开募捐资格).

Thin on purpose: every money state change is a call into ``pledges.operations``; a view parses
the yuan typed into a form, calls the operation, commits once on success and rolls back on a
domain error, re-showing the form with the reasons (422) or the page with the conflict (409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from marketplace.accounts.models import Role
from marketplace.authz import company_required, login_required_any
from marketplace.errors import BadRequest, Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db, limiter
from marketplace.forms import populate_errors
from marketplace.messages import Msg
from marketplace.money import fen_to_yuan_input, format_fen, parse_yuan
from marketplace.parties.models import Organization
from marketplace.payments.service import card_payments_enabled
from marketplace.pledges import operations as ops
from marketplace.pledges.accounting import MIN_PLEDGE_FEN, LedgerKind
from marketplace.pledges.forms import (
    ActionForm,
    ConfirmForm,
    InKindConfirmForm,
    PledgeForm,
    RefundForm,
    new_form_token,
    valid_form_token,
)
from marketplace.pledges.models import LedgerEntry, PartnerFoundation, Pledge
from marketplace.pledges.receipts import amount_in_words, receipt_number, spaced_account_number
from marketplace.pledges.states import MONEY_HELD, PledgeMethod, PledgeStatus
from marketplace.projects.models import Project
from marketplace.projects.operations import get_visible_project
from marketplace.projects.states import ProjectStatus
from marketplace.timeutil import to_local, utcnow
from marketplace.web import translate

bp = Blueprint("pledges", __name__)

PER_PAGE = 20


def _flash(message: Msg, category: str = "success") -> None:
    flash(translate(message), category)


def _fallback_url(endpoint: str, fallback: str, **values: Any) -> str:
    """url_for, or a literal path while the page behind `endpoint` is not registered (yet)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return fallback


@bp.app_template_global("endpoint_url")
def endpoint_url(endpoint: str, fallback: str, **values: Any) -> str:
    return _fallback_url(endpoint, fallback, **values)


bp.add_app_template_filter(spaced_account_number, "account_number")


def _checkout_url(pledge: Pledge) -> str:
    return _fallback_url("payments.checkout", f"/pledges/{pledge.id}/checkout", pledge_id=pledge.id)


# ───────────── who may see a pledge ─────────────


def _is_pledger(pledge: Pledge, user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.company_id == pledge.company_id)


def _is_project_member(pledge: Pledge, user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.organization_id == pledge.organization_id)


def _pledge_for(pledge_id: int, *, organization_too: bool = True) -> Pledge:
    """The pledge if the caller may see it: the pledging company, staff and (for the pledge page)
    the project's organization. Everyone else gets 404, so pledges do not leak."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or not (
        current_user.is_staff
        or _is_pledger(pledge, current_user)
        or (organization_too and _is_project_member(pledge, current_user))
    ):
        raise NotFound.on("pledge", Msg("找不到这笔认捐"))
    return pledge


def _staff_pledge(pledge_id: int) -> Pledge:
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None:
        raise NotFound.on("pledge", Msg("找不到这笔认捐"))
    return pledge


# ───────────── the project page's money panel ─────────────


def _open_for_pledges(project: Project) -> bool:
    return project.status == ProjectStatus.PUBLISHED and project.deadline > utcnow()


def _pledge_cta(project: Project, user: Any) -> str | None:
    """What the project page offers: "pledge", "login", "unverified", "ended" or nothing."""
    if project.status != ProjectStatus.PUBLISHED:
        return None
    if not _open_for_pledges(project):
        return "ended"
    if not getattr(user, "is_authenticated", False):
        return "login"
    if user.role != Role.COMPANY or user.company is None:
        return None
    return "pledge" if user.company.is_verified else "unverified"


def project_money_context(project: Project, user: Any) -> dict[str, Any]:
    """What projects/detail.html needs to show the money: who receives it, the supporter wall,
    the pledge button and (for staff) the link to the project's ledger."""
    return {
        "payee": ops.receiving_entity(project),
        "supporters": ops.public_supporters(project),
        "pledge_cta": _pledge_cta(project, user),
        "money_url": url_for("pledges.project_money", project_id=project.id) if user.is_staff else None,
    }


# ───────────── pledging ─────────────

# One budget per signed-in user for new pledges, shared by the pledge page and the API.
PLEDGE_LIMIT_SCOPE = "pledge-create"


def pledge_rate_limit() -> str:
    return str(current_app.config.get("PLEDGE_RATE_LIMIT", "30 per minute"))


def pledger_key() -> str:
    """The user (page session or API token), so colleagues behind one office address keep their own
    budget; the client address when nobody is signed in (the routes refuse such requests anyway)."""
    user = g.get("api_user") or current_user
    if getattr(user, "is_authenticated", False) and user.id is not None:
        return f"user:{user.id}"
    return get_remote_address()


def _closed_reason(project: Project) -> str | None:
    try:
        ops.check_project_open(project)
    except Conflict as error:
        return translate(error.message)
    if ops.receiving_entity(project) is None:
        return translate(Msg("该项目尚未设置收款机构，暂时不能认捐，请联系团区委工作人员"))
    return None


def _render_pledge_form(project: Project, form: PledgeForm | None, status: int = 200, **extra: Any) -> Any:
    return (
        render_template(
            "pledges/form.html",
            project=project,
            form=form,
            payee=ops.receiving_entity(project),
            card_enabled=card_payments_enabled(),
            **extra,
        ),
        status,
    )


def _pledge_request(form: PledgeForm, *, card_enabled: bool) -> ops.PledgeRequest:
    """The typed yuan in fen; with a bad amount, every other field's problem is reported too."""
    try:
        amount = parse_yuan(form.amount.data or "", field="amount")
    except DomainError as amount_error:
        try:
            ops.check_pledge_request(form.to_request(MIN_PLEDGE_FEN), card_enabled=card_enabled)
        except DomainError as others:
            raise DomainError({**others.fields, **amount_error.fields}) from None
        raise
    return form.to_request(amount)


@bp.route("/projects/<int:project_id>/pledge", methods=["GET", "POST"])
@login_required_any
@limiter.shared_limit(pledge_rate_limit, PLEDGE_LIMIT_SCOPE, key_func=pledger_key, methods=["POST"])
def pledge_form(project_id: int) -> Any:
    project = get_visible_project(project_id, current_user)
    try:
        ops.pledging_company(current_user)
    except Forbidden:
        if current_user.role == Role.COMPANY:
            return render_template("pledges/unverified.html", project=project), 403
        raise
    closed = _closed_reason(project)
    if closed:
        return _render_pledge_form(project, None, 409 if request.method == "POST" else 200, closed=closed)
    card_enabled = card_payments_enabled()
    form = PledgeForm()
    form.set_methods(card_enabled=card_enabled)
    if request.method == "GET":
        form.token.data = new_form_token()
        form.method.data = PledgeMethod.BANK_TRANSFER.value
        form.amount.data = _suggested_amount(request.args.get("amount"))
        return _render_pledge_form(project, form)
    if not form.validate_on_submit():
        raise BadRequest()
    if not valid_form_token(form.token.data):
        form.token.data = new_form_token()
        form.form_errors.append(translate(Msg("页面已过期，请核对后重新提交")))
        return _render_pledge_form(project, form, 400)
    return _submit_pledge(project, form, card_enabled)


def _suggested_amount(text: str | None) -> str | None:
    """`?amount=<yuan>` (a recommendation's one-click pledge) prefills the amount; anything
    unreadable is ignored, and the operation still checks whatever is submitted."""
    try:
        amount = parse_yuan(text or "", field="amount")
    except DomainError:
        return None
    return fen_to_yuan_input(amount) if amount > 0 else None


def _submit_pledge(project: Project, form: PledgeForm, card_enabled: bool) -> Any:
    try:
        pledge = ops.create_pledge(
            project,
            current_user,
            _pledge_request(form, card_enabled=card_enabled),
            idempotency_key=f"form:{current_user.id}:{form.token.data}",
            card_enabled=card_enabled,
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 403, 404):
            raise
        if "idempotency_key" in error.fields:
            # This very form was already sent with other values: keep what was typed, new token.
            form.token.data = new_form_token()
            form.form_errors.append(
                translate(Msg("这张表单已经提交过一笔认捐。如确需再认捐一笔，请核对金额后再次提交。"))
            )
            return _render_pledge_form(project, form, 409)
        if error.status == 409:
            return _render_pledge_form(project, None, 409, closed=translate(error.message))
        populate_errors(form, error)
        return _render_pledge_form(project, form, error.status)
    if pledge.method == PledgeMethod.CARD and pledge.status == PledgeStatus.PENDING:
        return redirect(_checkout_url(pledge), 303)
    if pledge.method == PledgeMethod.IN_KIND:
        _flash(Msg("物资捐赠意向已登记，团区委工作人员会尽快联系贵企业安排验收"))
    else:
        _flash(Msg("认捐已登记。请按下方账户转账，并在附言中填写识别码"))
    return redirect(url_for(".detail", pledge_id=pledge.id), 303)


# ───────────── one pledge ─────────────


@dataclass(frozen=True)
class TimelineItem:
    when: datetime
    title: str
    detail: str = ""


def _pledge_entries(pledge: Pledge) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.pledge_id == pledge.id).order_by(LedgerEntry.id)
        )
    )


def _timeline(pledge: Pledge, entries: list[LedgerEntry]) -> list[TimelineItem]:
    items = [TimelineItem(pledge.created_at, translate(Msg("提交认捐")), format_fen(pledge.amount))]
    received = {
        PledgeMethod.CARD: Msg("在线支付成功"),
        PledgeMethod.BANK_TRANSFER: Msg("确认到账"),
        PledgeMethod.IN_KIND: Msg("物资验收入账"),
    }
    for entry in entries:
        if entry.kind == LedgerKind.PLEDGE_PAID:
            title = translate(received[PledgeMethod(pledge.method)])
        else:
            title = translate(entry.kind_label)
        items.append(TimelineItem(entry.created_at, title, format_fen(entry.amount)))
    if pledge.closed_at and pledge.status != PledgeStatus.REFUNDED:
        items.append(TimelineItem(pledge.closed_at, translate(pledge.status_label)))
    return sorted(items, key=lambda item: item.when)


def _confirm_form_for(pledge: Pledge) -> ConfirmForm:
    form_class = InKindConfirmForm if pledge.method == PledgeMethod.IN_KIND else ConfirmForm
    return form_class(formdata=None).prefill(pledge.amount)


def _render_pledge(
    pledge: Pledge,
    *,
    confirm_form: ConfirmForm | None = None,
    refund_form: RefundForm | None = None,
    status: int = 200,
) -> Any:
    entries = _pledge_entries(pledge)
    staff = bool(current_user.is_staff)
    pending = pledge.status == PledgeStatus.PENDING
    return (
        render_template(
            "pledges/detail.html",
            pledge=pledge,
            project=pledge.project,
            purpose_url=(
                url_for("projects.detail", project_id=pledge.project_id)
                if pledge.project_id is not None
                else url_for("agreements.detail", agreement_id=pledge.agreement_id)
            ),
            timeline=_timeline(pledge, entries),
            is_pledger=_is_pledger(pledge, current_user),
            staff=staff,
            receipt_ready=_receipt_ready(pledge),
            refundable=pledge.net_amount if pledge.status in MONEY_HELD else 0,
            checkout_url=_checkout_url(pledge) if pending and pledge.method == PledgeMethod.CARD else None,
            confirm_form=confirm_form
            or (
                _confirm_form_for(pledge)
                if staff and pending and pledge.method != PledgeMethod.CARD
                else None
            ),
            refund_form=refund_form or (RefundForm(formdata=None) if staff else None),
            action_form=ActionForm(formdata=None),
        ),
        status,
    )


@bp.get("/pledges/<int:pledge_id>")
@login_required_any
def detail(pledge_id: int) -> Any:
    return _render_pledge(_pledge_for(pledge_id))


@bp.post("/pledges/<int:pledge_id>/cancel")
@login_required_any
def cancel(pledge_id: int) -> Any:
    pledge = _pledge_for(pledge_id)
    try:
        ops.cancel_pledge(pledge, current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 403, 404):
            raise
        _flash(error.message, "error")
        return _render_pledge(pledge, status=error.status)
    _flash(Msg("认捐已取消"))
    return redirect(url_for(".detail", pledge_id=pledge.id), 303)


def _receipt_ready(pledge: Pledge) -> bool:
    return pledge.status == PledgeStatus.PAID and pledge.net_amount > 0


def _payee_uscc(pledge: Pledge) -> str:
    if pledge.payee_kind == "foundation":
        foundation = db.session.get(PartnerFoundation, pledge.payee_id)
        return foundation.uscc if foundation else ""
    organization = db.session.get(Organization, pledge.payee_id)
    return organization.uscc if organization else ""


@bp.get("/pledges/<int:pledge_id>/receipt")
@login_required_any
def receipt(pledge_id: int) -> Any:
    pledge = _pledge_for(pledge_id, organization_too=False)
    if not _receipt_ready(pledge):
        raise Conflict.on("pledge", Msg("收据在款项确认到账后提供；已全额退款或待退款的认捐不出具收据"))
    paid_at = to_local(pledge.paid_at or pledge.created_at)
    return render_template(
        "pledges/receipt.html",
        pledge=pledge,
        number=receipt_number(pledge.id, paid_at.year),
        paid_at=paid_at,
        amount=pledge.net_amount,
        amount_words=amount_in_words(pledge.net_amount),
        payee_uscc=_payee_uscc(pledge),
        issued_at=to_local(utcnow()),
    )


# ───────────── the company's pledges ─────────────


@bp.get("/my/pledges")
@company_required
def mine() -> Any:
    company_id = current_user.company_id
    page = db.paginate(
        select(Pledge)
        .where(Pledge.company_id == company_id)
        .order_by(Pledge.created_at.desc(), Pledge.id.desc()),
        page=max(request.args.get("page", 1, type=int) or 1, 1),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("pledges/mine.html", page=page, summary=company_pledge_summary(company_id))


@bp.app_template_global("company_pledge_summary")
def company_pledge_summary(company_id: int | None) -> dict[str, int]:
    """Figures for the company's dashboard and pledge list: held money, pending pledges, projects."""
    if not company_id:
        return {"given": 0, "pending": 0, "projects": 0}
    held = [status.value for status in MONEY_HELD]
    given, projects = db.session.execute(
        select(
            func.coalesce(func.sum(Pledge.paid_amount - Pledge.refunded_amount), 0),
            func.count(func.distinct(Pledge.project_id)),
        ).where(Pledge.company_id == company_id, Pledge.status.in_(held))
    ).one()
    pending = db.session.scalar(
        select(func.count())
        .select_from(Pledge)
        .where(Pledge.company_id == company_id, Pledge.status == PledgeStatus.PENDING.value)
    )
    return {"given": int(given or 0), "pending": int(pending or 0), "projects": int(projects or 0)}


# The staff pages register their routes on the same blueprint.
from marketplace.pledges import staff_views  # noqa: E402, F401
