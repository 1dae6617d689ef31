"""Service-purchase tender pages: the public list and the tender's own page (its terms in plain
Chinese, the official notice, the result after the award); for an organization member the way into
its bid and the partner finder. The bid pages live in ``bid_views``, the staff pages (the tender
form, evaluation and award) in ``staff_views``, on the same blueprint.

Thin on purpose: who may see what and every state change live in ``tenders.operations`` (and the
pure ``rules`` / ``states``); a view reads what the page shows, calls one operation, commits once
and redirects with a flash, or shows the reasons next to the inputs (422) or above them (409).
Bids are confidential until the award: the public tender page never names a bidder before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, flash, render_template, request
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.money import format_fen
from marketplace.taxonomy.models import Category, District
from marketplace.tenders import operations as ops
from marketplace.tenders import rules
from marketplace.tenders.models import Bid, Tender
from marketplace.tenders.states import LIVE_BID, TENDER_STATUS_LABELS, TenderStatus
from marketplace.timeutil import days_left, utcnow
from marketplace.web import localized, translate

bp = Blueprint("tenders", __name__)

LIST_LIMIT = 200
SUGGESTION_LIMIT = 6


def flash_message(message: Msg, category: str = "success") -> None:
    flash(translate(message), category)


def error_text(error: DomainError) -> str:
    reasons = [translate(reason) for reason in error.fields.values()]
    return "；".join(dict.fromkeys(reasons)) if reasons else translate(error.message)


def tender_for(tender_id: int) -> Tender:
    """The tender if the caller may see it (drafts are for staff); 404 for everyone else."""
    tender = ops.get_tender(tender_id)
    ops.require_tender_viewer(tender, current_user if current_user.is_authenticated else None)
    return tender


def org_member() -> User | None:
    """The signed-in member of an organization (who prepares bids), or None."""
    if current_user.is_authenticated and current_user.role == Role.ORG and current_user.organization_id:
        return current_user
    return None


# ───────────── what the pages say about deadlines and terms ─────────────


def deadline_left(deadline: datetime, now: datetime | None = None) -> Msg:
    """「还剩 N 天」, 「还剩 N 小时」 on the last day, or 「已截止」 (to the second, server time)."""
    now = now or utcnow()
    remaining = deadline - now
    if remaining <= timedelta(0):
        return Msg("已截止")
    if remaining < timedelta(days=1):
        hours = int(remaining.total_seconds() // 3600)
        return Msg("还剩 %(n)d 小时", n=hours) if hours >= 1 else Msg("不足 1 小时")
    return Msg("还剩 %(n)d 天", n=days_left(deadline, now))


def is_past(deadline: datetime) -> bool:
    return utcnow() >= deadline


def accepts_bids(tender: Tender) -> bool:
    """Whether bids may be prepared, edited, confirmed and submitted now (the operations decide)."""
    return tender.status == TenderStatus.OPEN and not is_past(tender.submission_deadline)


def consortium_rule(tender: Tender) -> Msg:
    if not tender.allows_consortium:
        return Msg("不接受联合体投标")
    if tender.max_members:
        return Msg("接受联合体投标（最多 %(n)d 家）", n=tender.max_members)
    return Msg("接受联合体投标（成员家数不限）")


def subcontract_rule(tender: Tender) -> Msg:
    if not tender.allows_subcontracting:
        return Msg("不允许分包")
    if tender.max_subcontract_share is not None:
        return Msg(
            "允许分包，分包比例合计不超过 %(cap)s%%，且不得分包主体关键性工作",
            cap=rules.format_share(tender.max_subcontract_share),
        )
    return Msg("允许分包，分包比例合计须低于 100%，且不得分包主体关键性工作")


def grade_requirement(tender: Tender) -> Msg:
    """What the tender asks of grades, e.g. 「3A 及以上优先（不设门槛）」."""
    if not tender.min_grade:
        return Msg("不设等级要求（3A 及以上组织享受政策优先）")
    level = rules.grade_label(tender.min_grade)
    if tender.grade_rule == rules.GradeRule.MIN_OF_MEMBERS:
        return Msg("每个成员均须达到 %(level)s 及以上（联合体按最低等级计）", level=level)
    if tender.grade_rule == rules.GradeRule.LEAD_ONLY:
        return Msg("牵头方须达到 %(level)s 及以上", level=level)
    return Msg("%(level)s 及以上优先（不设门槛）", level=level)


def grade_rule(tender: Tender) -> Msg:
    return Msg("等级要求：%(rule)s", rule=grade_requirement(tender))


def budget_rule(tender: Tender) -> Msg:
    if tender.budget_is_cap:
        return Msg("预算即最高限价：报价不得超过 %(budget)s", budget=format_fen(tender.budget))
    return Msg("预算仅供参考，不作为最高限价")


def tender_rules(tender: Tender) -> list[Msg]:
    return [consortium_rule(tender), subcontract_rule(tender), grade_rule(tender), budget_rule(tender)]


@bp.app_template_global("tender_deadline_left")
def tender_deadline_left(deadline: datetime) -> Msg:
    return deadline_left(deadline)


@bp.app_template_global("tender_deadline_past")
def tender_deadline_past(deadline: datetime) -> bool:
    return is_past(deadline)


# ───────────── the list ─────────────


def _choices() -> dict[str, list[tuple[str, str]]]:
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id))
    districts = db.session.scalars(select(District).order_by(District.position, District.name))
    statuses = [
        (status.value, translate(label))
        for status, label in TENDER_STATUS_LABELS.items()
        if status != TenderStatus.DRAFT or (current_user.is_authenticated and current_user.is_staff)
    ]
    return {
        "status": statuses,
        "category": [(item.slug, localized(item)) for item in categories],
        "district": [(item.name, localized(item)) for item in districts],
        "buyer_kind": [(kind.value, translate(label)) for kind, label in rules.BUYER_KIND_LABELS.items()],
    }


@bp.get("/tenders")
def index() -> Any:
    choices = _choices()
    chosen = {}
    for name, options in choices.items():
        value = (request.args.get(name) or "").strip()
        # A value that is not one of the choices is ignored rather than matching nothing.
        chosen[name] = value if value in {key for key, _label in options} else ""
    query = (request.args.get("q") or "").strip()[:50]
    viewer = current_user if current_user.is_authenticated else None
    found = ops.list_tenders(
        viewer,
        ops.TenderFilters(
            status=chosen["status"] or None,
            category=chosen["category"] or None,
            district=chosen["district"] or None,
            buyer_kind=chosen["buyer_kind"] or None,
            q=query or None,
        ),
    )
    return render_template(
        "tenders/index.html",
        tenders=found[:LIST_LIMIT],
        total=len(found),
        choices=choices,
        chosen=chosen,
        query=query,
        filtered=any(chosen.values()) or bool(query),
        consortium_rule=consortium_rule,
        subcontract_rule=subcontract_rule,
        grade_requirement=grade_requirement,
    )


# ───────────── the tender page ─────────────


@dataclass(frozen=True)
class MyBid:
    bid: Bid
    role: Msg
    is_lead: bool


def my_bids_on(tender: Tender, user: User | None) -> list[MyBid]:
    """The bids on this tender the user's organization leads or takes part in, live ones first."""
    if user is None or user.organization_id is None:
        return []
    mine = []
    for bid in tender.bids:
        participant = ops.participant_of(bid, user)
        if participant is not None:
            mine.append(MyBid(bid, participant.role_label, bid.lead_organization_id == user.organization_id))
    return sorted(mine, key=lambda item: (not item.bid.is_live, -item.bid.id))


def may_prepare_bid(tender: Tender, mine: list[MyBid]) -> bool:
    """An organization member may start a bid while the tender accepts bids and its organization
    leads no live bid on it (the operation checks the rest: double participation, eligibility)."""
    return accepts_bids(tender) and not any(item.is_lead and item.bid.status in LIVE_BID for item in mine)


@dataclass(frozen=True)
class AwardResult:
    suppliers: list[str]
    value: int
    status: Msg
    agreement_id: int | None


def award_result(tender: Tender) -> AwardResult | None:
    """The current award, named publicly once made (bids stay confidential before it)."""
    award = tender.current_award
    if award is None or tender.status != TenderStatus.AWARDED:
        return None
    return AwardResult(
        suppliers=[item.organization.name for item in award.bid.members],
        value=award.value,
        status=award.status_label,
        agreement_id=award.agreement_id,
    )


def partner_panel(tender: Tender, user: User | None) -> dict[str, Any] | None:
    """The partner finder for an organization member while the tender takes consortium bids:
    suggestions with reasons, each one click to invite."""
    from marketplace.tenders import partner_operations as partners

    if user is None or user.organization is None or not partners.accepts_partners(tender):
        return None
    return {"suggestions": partners.suggest_partners(tender, user.organization, limit=SUGGESTION_LIMIT)}


def render_detail(tender: Tender, *, cancel_form: Any = None, status: int = 200) -> Any:
    """The tender page; ``cancel_form``: staff's cancellation form coming back with its reason."""
    member = org_member()
    mine = my_bids_on(tender, member)
    return (
        render_template(
            "tenders/detail.html",
            tender=tender,
            rules_text=tender_rules(tender),
            deadline_text=deadline_left(tender.submission_deadline),
            accepting=accepts_bids(tender),
            mine=mine,
            may_prepare=member is not None and may_prepare_bid(tender, mine),
            result=award_result(tender),
            partners=partner_panel(tender, member),
            cancel_form=cancel_form,
        ),
        status,
    )


@bp.get("/tenders/<int:tender_id>")
def detail(tender_id: int) -> Any:
    return render_detail(tender_for(tender_id))


# The bid pages and the staff pages register their routes on the same blueprint.
from marketplace.tenders import bid_views, staff_views  # noqa: E402, F401


@bp.app_template_global("tenders_awaiting_me")
def tenders_awaiting_me() -> dict[str, Any]:
    """The organization dashboard's 投标待办: bids waiting for this organization's confirmation and
    consortium invitations it has not answered."""
    from marketplace.tenders.partner_operations import invitations_for

    user = org_member()
    if user is None:
        return {"bids": [], "invitations": []}
    return {
        "bids": ops.awaiting_my_confirmation(user),
        "invitations": [item for item in invitations_for(user.organization_id) if item.status == "pending"],
    }


@bp.app_template_global("staff_tender_tasks")
def staff_tender_tasks() -> ops.StaffTenderTasks | None:
    """The staff dashboard's 政府购买服务待办 (None for everyone else)."""
    if not (current_user.is_authenticated and current_user.is_staff):
        return None
    return ops.staff_tender_tasks()
