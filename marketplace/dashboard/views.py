"""One dashboard per role: organizations see their projects, companies their profile and
recommended projects, staff their queues and the latest audit events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, render_template, url_for
from flask_login import current_user
from sqlalchemy import String, cast, func, literal, select

from marketplace.accounts.models import Role, User
from marketplace.agreements.models import Agreement
from marketplace.audit import AuditEvent
from marketplace.authz import login_required_any
from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.messages import Msg
from marketplace.parties import queries as party_queries
from marketplace.parties.models import Company, Organization
from marketplace.parties.operations import pending_counts
from marketplace.projects.models import Project
from marketplace.projects.states import EDITABLE_STATUSES, STATUS_LABELS, ProjectStatus
from marketplace.tenders.models import Bid, Tender

bp = Blueprint("dashboard", __name__)

# The order an organization works through its projects.
STATUS_ORDER = (
    ProjectStatus.RETURNED,
    ProjectStatus.DRAFT,
    ProjectStatus.SUBMITTED,
    ProjectStatus.PUBLISHED,
    ProjectStatus.FUNDED,
    ProjectStatus.CLOSED,
    ProjectStatus.FAILED,
    ProjectStatus.CANCELLED,
)
RECOMMENDED_LIMIT = 6
AUDIT_LIMIT = 15
# Logins are audited for security reviews; on the dashboard they would drown the decisions.
_QUIET_ACTIONS = ("account.logged_in", "account.login_failed")

AUDIT_ACTION_LABELS: dict[str, Msg] = {
    "account.signed_up": Msg("注册账号"),
    "account.staff_created": Msg("创建工作人员账号"),
    "account.member_added": Msg("添加团队成员"),
    "account.password_changed": Msg("修改密码"),
    "account.token_issued": Msg("创建 API 令牌"),
    "account.token_revoked": Msg("撤销 API 令牌"),
    "party.verified": Msg("认证通过"),
    "party.rejected": Msg("认证未通过"),
    "party.resubmitted": Msg("重新提交认证"),
    "party.profile_updated": Msg("更新资料"),
    "organization.graded": Msg("评定等级"),
    "project.created": Msg("创建项目"),
    "project.updated": Msg("修改项目"),
    "project.submit": Msg("提交项目审核"),
    "project.revise": Msg("重新编辑项目"),
    "project.publish": Msg("发布项目"),
    "project.return": Msg("退回项目"),
    "project.cancel": Msg("取消项目"),
    "project.fund": Msg("项目筹款成功"),
    "project.fail": Msg("项目未达成目标"),
    "project.close": Msg("项目结束"),
    "agreement.created": Msg("发起协议"),
    "agreement.broker_set": Msg("担任协议见证方"),
    "agreement.signer_set": Msg("指定授权签署人"),
    "agreement.version_created": Msg("起草协议版本"),
    "agreement.version_edited": Msg("修改协议草稿"),
    "agreement.version_discarded": Msg("删除协议草稿"),
    "agreement.proposed": Msg("提交协议签署"),
    "agreement.signed": Msg("签署协议"),
    "agreement.activated": Msg("协议生效"),
    "agreement.changes_requested": Msg("要求修改协议"),
    "agreement.declined": Msg("拒签协议"),
    "agreement.terminated": Msg("终止协议"),
    "agreement.cancelled": Msg("取消协议"),
    "agreement.expired": Msg("协议到期"),
    "agreement.renewed": Msg("协议自动续期"),
    "agreement.commented": Msg("协议留言"),
    "tender.buyer_created": Msg("登记采购人"),
    "tender.created": Msg("创建采购项目"),
    "tender.published": Msg("发布采购项目"),
    "tender.updated": Msg("修改采购项目"),
    "tender.cancelled": Msg("取消采购项目"),
    "tender.closed": Msg("投标截止"),
    "tender.bid_created": Msg("准备投标"),
    "tender.bid_updated": Msg("修改投标"),
    "tender.part_confirmed": Msg("确认投标分工"),
    "tender.document_added": Msg("上传投标材料"),
    "tender.document_removed": Msg("删除投标材料"),
    "tender.bid_submitted": Msg("提交投标"),
    "tender.bid_withdrawn": Msg("撤回投标"),
    "tender.bid_evaluated": Msg("评审投标"),
    "tender.awarded": Msg("确定成交"),
    "tender.award_declined": Msg("中标人放弃签约"),
    "tender.unsuccessful": Msg("宣布流标"),
    "tender.subcontract_consent": Msg("登记采购人对分包的意见"),
    "tender.subcontract_active": Msg("分包生效"),
    "tender.partner_invited": Msg("邀请联合体伙伴"),
    "tender.partner_invitation_accepted": Msg("接受联合体邀请"),
    "tender.partner_invitation_declined": Msg("婉拒联合体邀请"),
    "evaluation.round_opened": Msg("发起组织评估"),
    "evaluation.participant_added": Msg("评估增加参评组织"),
    "evaluation.participant_removed": Msg("评估移除参评组织"),
    "evaluation.peers_assigned": Msg("分配同行互评"),
    "evaluation.peer_assignment_added": Msg("增加互评分配"),
    "evaluation.peer_assignment_removed": Msg("移除互评分配"),
    "evaluation.government_scored": Msg("政府评分"),
    "evaluation.round_closed": Msg("评估截止评分"),
    "evaluation.round_reopened": Msg("评估重新开放"),
    "evaluation.tier_assigned": Msg("确定组织层级"),
    "evaluation.tiers_accepted": Msg("采纳建议层级"),
    "evaluation.round_published": Msg("公布评估结果"),
    "need.recorded": Msg("登记社区需求"),
    "need.edited": Msg("修改社区需求"),
    "need.responded": Msg("以项目回应社区需求"),
    "need.response_withdrawn": Msg("撤回需求响应"),
    "need.start": Msg("社区需求开始响应"),
    "need.address": Msg("社区需求已解决"),
    "need.reopen": Msg("重新开放社区需求"),
    "supervision.visit_logged": Msg("登记走访"),
    "supervision.inspections_sampled": Msg("抽取季度检查对象"),
    "supervision.inspection_completed": Msg("完成抽查"),
    "report.exported": Msg("导出报表"),
    "moderation.hide": Msg("隐藏被举报内容待审"),
    "moderation.restore": Msg("恢复被举报内容"),
    "moderation.dismiss": Msg("驳回举报"),
    "moderation.action": Msg("处理举报（内容保持隐藏）"),
}


@bp.route("/dashboard")
@login_required_any
def home() -> Any:
    if current_user.is_staff:
        return _staff_dashboard()
    if current_user.role == Role.ORG:
        return _organization_dashboard(current_user.organization)
    return _company_dashboard(current_user.company)


# ───────────── organization ─────────────


def _organization_dashboard(organization: Organization) -> Any:
    projects = db.session.scalars(
        select(Project)
        .where(Project.organization_id == organization.id)
        .order_by(Project.updated_at.desc(), Project.id.desc())
    ).all()
    by_status: dict[str, list[Project]] = defaultdict(list)
    for project in projects:
        by_status[project.status].append(project)
    groups = [
        (status, STATUS_LABELS[status], by_status[status]) for status in STATUS_ORDER if by_status[status]
    ]
    return render_template(
        "dashboard/organization.html",
        organization=organization,
        groups=groups,
        counts={status: len(items) for status, items in by_status.items()},
        total=len(projects),
        raised=sum(project.raised_amount for project in projects),
        supporters=sum(project.supporters_count for project in projects),
        editable=set(EDITABLE_STATUSES),
    )


# ───────────── company ─────────────


def _company_dashboard(company: Company) -> Any:
    """The company's recommendations (best matches first, with the reasons) once it is verified,
    and a nudge to fill in the sponsor profile that drives them."""
    return render_template(
        "dashboard/company.html",
        company=company,
        sponsor_profile=matching.sponsor_profile_of(company),
        matches=matching.company_matches(company, limit=RECOMMENDED_LIMIT) if company.is_verified else [],
        member_count=len(party_queries.party_members(company)),
    )


# ───────────── staff ─────────────


@dataclass(frozen=True)
class AuditLine:
    created_at: datetime
    actor: str
    action: str
    subject: str
    subject_url: str | None


def _staff_dashboard() -> Any:
    pending = pending_counts()
    awaiting_review = (
        db.session.scalar(
            select(func.count()).select_from(Project).where(Project.status == ProjectStatus.SUBMITTED)
        )
        or 0
    )
    published = (
        db.session.scalar(
            select(func.count()).select_from(Project).where(Project.status == ProjectStatus.PUBLISHED)
        )
        or 0
    )
    return render_template(
        "dashboard/staff.html",
        pending=pending,
        pending_total=pending["organizations"] + pending["companies"],
        awaiting_review=awaiting_review,
        published=published,
        audit_lines=latest_audit_lines(),
    )


def latest_audit_lines(limit: int = AUDIT_LIMIT) -> list[AuditLine]:
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.not_in(_QUIET_ACTIONS))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).all()
    names = _subject_names(events)
    actors = names.get("User", {})
    lines = []
    for event in events:
        label = AUDIT_ACTION_LABELS.get(event.action)
        subject, url = _subject(event, names)
        party = (event.payload or {}).get("party") if isinstance(event.payload, dict) else None
        if party and isinstance(party, str):
            subject = f"{subject}（{party}）" if subject else party
        lines.append(
            AuditLine(
                created_at=event.created_at,
                actor=actors.get(event.actor_id or 0, ("", None))[0] if event.actor_id else "",
                action=label if label is not None else event.action,
                subject=subject,
                subject_url=url,
            )
        )
    return lines


_SUBJECT_MODELS: dict[str, tuple[Any, Any]] = {
    "User": (User, User.name),
    "Organization": (Organization, Organization.name),
    "Company": (Company, Company.name),
    "Project": (Project, Project.title),
    "Agreement": (Agreement, Agreement.title),
    "Tender": (Tender, Tender.title),
    "Bid": (Bid, literal("投标 #") + cast(Bid.id, String)),
}


def _subject_names(events: Any) -> dict[str, dict[int, tuple[str, str | None]]]:
    """Names (and page links) of every subject and actor, one query per kind."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.subject_type in _SUBJECT_MODELS and event.subject_id:
            wanted[event.subject_type].add(event.subject_id)
        if event.actor_id:
            wanted["User"].add(event.actor_id)
    names: dict[str, dict[int, tuple[str, str | None]]] = {}
    for kind, ids in wanted.items():
        model, column = _SUBJECT_MODELS[kind]
        rows = db.session.execute(select(model.id, column).where(model.id.in_(ids))).all()
        names[kind] = {row_id: (name, _subject_url(kind, row_id)) for row_id, name in rows}
    return names


def _subject_url(kind: str, subject_id: int) -> str | None:
    if kind == "Organization":
        return url_for("parties.organization", organization_id=subject_id)
    if kind == "Company":
        return url_for("parties.company", company_id=subject_id)
    if kind == "Project":
        return url_for("projects.detail", project_id=subject_id)
    if kind == "Agreement":
        return url_for("agreements.detail", agreement_id=subject_id)
    if kind == "Tender":
        return url_for("tenders.detail", tender_id=subject_id)
    if kind == "Bid":
        return url_for("tenders.bid", bid_id=subject_id)
    return None


def _subject(
    event: AuditEvent, names: dict[str, dict[int, tuple[str, str | None]]]
) -> tuple[str, str | None]:
    if not event.subject_type or not event.subject_id:
        return "", None
    found = names.get(event.subject_type, {}).get(event.subject_id)
    return found if found else (f"{event.subject_type} #{event.subject_id}", None)
