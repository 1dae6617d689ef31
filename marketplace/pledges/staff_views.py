"""Staff pages for money: the pledge queue, confirming receipt, refunds, flags, a project's money
(ledger, disbursements, receiving foundation), partner foundations and 公开募捐资格."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from marketplace.authz import staff_required
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.forms import populate_errors
from marketplace.messages import Msg
from marketplace.money import format_fen, parse_yuan
from marketplace.parties.models import Organization
from marketplace.payments.gateway import GatewayError
from marketplace.payments.service import get_gateway
from marketplace.pledges import operations as ops
from marketplace.pledges.accounting import RAISED_KINDS
from marketplace.pledges.forms import (
    ConfirmForm,
    DisbursementForm,
    FoundationForm,
    FundraisingForm,
    InKindConfirmForm,
    ProjectFoundationForm,
    RefundForm,
)
from marketplace.pledges.models import PartnerFoundation, Pledge
from marketplace.pledges.states import PledgeMethod, PledgeStatus
from marketplace.pledges.views import (
    PER_PAGE,
    _flash,
    _render_pledge,
    _staff_pledge,
    bp,
)
from marketplace.projects.models import Project
from marketplace.web import translate


def _show_on_form(form: Any, error: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Undo the request's writes and put the operation's reasons next to the form's fields; a
    refusal (401/403/404) goes on to the error pages instead."""
    db.session.rollback()
    if error.status in (401, 403, 404):
        raise error
    populate_errors(form, error, aliases=aliases)


# ───────────── staff: the queue ─────────────

QUEUE_TABS: dict[str, tuple[Msg, Any]] = {
    "offline": (
        Msg("待确认到账"),
        (Pledge.status == PledgeStatus.PENDING.value) & (Pledge.method != PledgeMethod.CARD.value),
    ),
    "refund_due": (Msg("待退款"), Pledge.status == PledgeStatus.REFUND_DUE.value),
    "flagged": (Msg("异常"), Pledge.flag_reason.is_not(None)),
    "all": (Msg("全部"), None),
}


@bp.app_template_global("staff_pledge_counts")
def staff_pledge_counts() -> dict[str, int]:
    counts = {}
    for tab, (_label, condition) in QUEUE_TABS.items():
        query = select(func.count()).select_from(Pledge)
        if condition is not None:
            query = query.where(condition)
        counts[tab] = db.session.scalar(query) or 0
    return counts


@bp.get("/staff/pledges")
@staff_required
def queue() -> Any:
    tab = request.args.get("tab", "offline")
    if tab not in QUEUE_TABS:
        tab = "offline"
    search = request.args.get("q", "").strip().upper()[:20]
    query = select(Pledge)
    if search:
        # The code people copy from a bank statement's remark: found whatever tab it sits in.
        query = query.where(Pledge.reference_code.contains(search, autoescape=True))
    elif QUEUE_TABS[tab][1] is not None:
        query = query.where(QUEUE_TABS[tab][1])
    oldest_first = tab in ("offline", "refund_due") and not search
    order = (Pledge.id,) if oldest_first else (Pledge.id.desc(),)
    page = db.paginate(
        query.order_by(*order),
        page=max(request.args.get("page", 1, type=int) or 1, 1),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "pledges/queue.html",
        page=page,
        tab=tab,
        tabs=[(key, label) for key, (label, _condition) in QUEUE_TABS.items()],
        counts=staff_pledge_counts(),
        search=search,
    )


# ───────────── staff: confirming, refunding, clearing flags ─────────────


def _after_staff_action(pledge: Pledge) -> Any:
    if request.form.get("origin") == "queue":
        return redirect(url_for(".queue"), 303)
    return redirect(url_for(".detail", pledge_id=pledge.id), 303)


@bp.post("/staff/pledges/<int:pledge_id>/confirm")
@staff_required
def confirm(pledge_id: int) -> Any:
    pledge = _staff_pledge(pledge_id)
    form = InKindConfirmForm() if pledge.method == PledgeMethod.IN_KIND else ConfirmForm()
    try:
        amount = parse_yuan(form.received_amount.data or "", field="received_amount")
        ops.confirm_offline_pledge(
            pledge,
            current_user,
            received_amount=amount,
            bank_reference=form.bank_reference.data,
            note=form.note.data or "" if isinstance(form, InKindConfirmForm) else "",
        )
        db.session.commit()
    except DomainError as error:
        _show_on_form(form, error)
        return _render_pledge(pledge, confirm_form=form, status=error.status)
    if pledge.method == PledgeMethod.IN_KIND:
        _flash(Msg("已登记验收，估值 %(amount)s 计入项目筹款", amount=format_fen(pledge.paid_amount or 0)))
    else:
        _flash(Msg("已确认到账 %(amount)s", amount=format_fen(pledge.paid_amount or 0)))
    return _after_staff_action(pledge)


@bp.post("/staff/pledges/<int:pledge_id>/refund")
@staff_required
def refund(pledge_id: int) -> Any:
    pledge = _staff_pledge(pledge_id)
    form = RefundForm()
    text = form.amount.data or ""
    try:
        amount = parse_yuan(text, field="amount") if text else None
        refunded = ops.refund_pledge(pledge, current_user, amount=amount, gateway=get_gateway())
        db.session.commit()
    except DomainError as error:
        _show_on_form(form, error)
        return _render_pledge(pledge, refund_form=form, status=error.status)
    except GatewayError:
        db.session.rollback()
        form.form_errors.append(translate(Msg("支付平台暂时无法处理退款，请稍后重试；本次没有记录任何退款")))
        return _render_pledge(pledge, refund_form=form, status=502)
    if pledge.method == PledgeMethod.CARD:
        _flash(Msg("已通过支付平台原路退款 %(amount)s", amount=format_fen(refunded)))
    else:
        _flash(Msg("已登记退回 %(amount)s", amount=format_fen(refunded)))
    return _after_staff_action(pledge)


@bp.post("/staff/pledges/<int:pledge_id>/clear-flag")
@staff_required
def clear_flag(pledge_id: int) -> Any:
    pledge = _staff_pledge(pledge_id)
    ops.clear_flag(pledge, current_user)
    db.session.commit()
    _flash(Msg("已标记为处理完毕"))
    return _after_staff_action(pledge)


# ───────────── staff: a project's money ─────────────


def _project_or_404(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound.on("project", Msg("找不到该项目"))
    return project


def _foundation_form(project: Project, form: ProjectFoundationForm | None = None) -> ProjectFoundationForm:
    if form is None:
        form = ProjectFoundationForm(formdata=None)
        form.foundation_id.data = str(project.partner_foundation_id or "")
    default = ops.default_foundation()
    active = db.session.scalars(
        select(PartnerFoundation).where(PartnerFoundation.active.is_(True)).order_by(PartnerFoundation.name)
    )
    form.set_choices(active, default.name if default else None)
    return form


def _render_money(
    project: Project,
    *,
    disbursement_form: DisbursementForm | None = None,
    foundation_form: ProjectFoundationForm | None = None,
    status: int = 200,
) -> Any:
    entries = ops.ledger_entries(project.id)
    raised_kinds = {kind.value for kind in RAISED_KINDS}
    return (
        render_template(
            "pledges/money.html",
            project=project,
            entries=entries,
            raised_kinds=raised_kinds,
            ledger_raised=sum(entry.amount for entry in entries if entry.kind in raised_kinds),
            available=max(project.raised_amount - project.disbursed_amount, 0),
            payee=ops.receiving_entity(project),
            pending=ops.pledges_for(project, statuses=[PledgeStatus.PENDING.value]),
            disbursement_form=disbursement_form or DisbursementForm(formdata=None),
            foundation_form=_foundation_form(project, foundation_form),
        ),
        status,
    )


@bp.get("/staff/projects/<int:project_id>/money")
@staff_required
def project_money(project_id: int) -> Any:
    return _render_money(_project_or_404(project_id))


@bp.post("/staff/projects/<int:project_id>/disbursements")
@staff_required
def disburse(project_id: int) -> Any:
    project = _project_or_404(project_id)
    form = DisbursementForm()
    try:
        amount = parse_yuan(form.amount.data or "", field="amount")
        ops.record_disbursement(
            project,
            current_user,
            amount=amount,
            bank_reference=form.bank_reference.data or "",
            note=form.note.data or "",
        )
        db.session.commit()
    except DomainError as error:
        _show_on_form(form, error)
        return _render_money(project, disbursement_form=form, status=error.status)
    _flash(Msg("已登记拨付 %(amount)s", amount=format_fen(amount)))
    return redirect(url_for(".project_money", project_id=project.id), 303)


@bp.post("/staff/projects/<int:project_id>/foundation")
@staff_required
def choose_foundation(project_id: int) -> Any:
    project = _project_or_404(project_id)
    form = ProjectFoundationForm()
    chosen = form.chosen_id()
    foundation = db.session.get(PartnerFoundation, chosen) if chosen else None
    try:
        if chosen and foundation is None:
            raise DomainError.on("foundation_id", Msg("请选择列表中的基金会"))
        ops.set_project_foundation(project, current_user, foundation)
        db.session.commit()
    except DomainError as error:
        _show_on_form(form, error, aliases={"partner_foundation": "foundation_id"})
        return _render_money(project, foundation_form=form, status=error.status)
    _flash(Msg("已更新收款机构，新的认捐将使用该机构的账户"))
    return redirect(url_for(".project_money", project_id=project.id), 303)


# ───────────── staff: partner foundations and 公开募捐资格 ─────────────


@bp.get("/staff/foundations")
@staff_required
def foundations() -> Any:
    items = db.session.scalars(
        select(PartnerFoundation).order_by(
            PartnerFoundation.active.desc(), PartnerFoundation.is_default.desc(), PartnerFoundation.name
        )
    ).all()
    qualified = db.session.scalars(
        select(Organization)
        .where(Organization.public_fundraising_qualified.is_(True))
        .order_by(Organization.name)
    ).all()
    return render_template("pledges/foundations.html", foundations=items, qualified=qualified)


def _save_foundation(foundation: PartnerFoundation | None) -> Any:
    form = FoundationForm()
    if request.method == "GET":
        if foundation is not None:
            form = FoundationForm(formdata=None).fill_from(foundation)
        return render_template("pledges/foundation_form.html", form=form, foundation=foundation)
    try:
        saved = ops.save_foundation(foundation, current_user, form.to_input())
        db.session.commit()
    except DomainError as error:
        _show_on_form(form, error)
        return (
            render_template("pledges/foundation_form.html", form=form, foundation=foundation),
            error.status,
        )
    _flash(Msg("已保存合作基金会「%(name)s」", name=saved.name))
    return redirect(url_for(".foundations"), 303)


@bp.route("/staff/foundations/new", methods=["GET", "POST"])
@staff_required
def new_foundation() -> Any:
    return _save_foundation(None)


@bp.route("/staff/foundations/<int:foundation_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_foundation(foundation_id: int) -> Any:
    foundation = db.session.get(PartnerFoundation, foundation_id)
    if foundation is None:
        raise NotFound.on("foundation", Msg("找不到该基金会"))
    return _save_foundation(foundation)


@bp.route("/staff/organizations/<int:organization_id>/fundraising", methods=["GET", "POST"])
@staff_required
def fundraising(organization_id: int) -> Any:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound.on("organization", Msg("找不到该组织"))
    form = FundraisingForm()
    if request.method == "GET":
        form = FundraisingForm(formdata=None).fill_from(organization)
        return render_template("pledges/fundraising.html", form=form, organization=organization)
    try:
        ops.set_fundraising_qualification(
            organization, current_user, qualified=bool(form.qualified.data), account=form.to_account()
        )
        db.session.commit()
    except DomainError as error:
        _show_on_form(form, error)
        return (
            render_template("pledges/fundraising.html", form=form, organization=organization),
            error.status,
        )
    if organization.public_fundraising_qualified:
        _flash(Msg("已登记「%(name)s」的公开募捐资格，新的认捐将直接汇入其账户", name=organization.name))
    else:
        _flash(Msg("「%(name)s」的项目将由合作基金会代为收款", name=organization.name))
    return redirect(url_for("parties.organization", organization_id=organization.id), 303)
