"""Service-purchase tenders and bids: the use cases behind the pages, the API and the jobs.

Staff record buyers and publish tenders on their behalf; an organization (the lead) prepares a bid
alone, as a consortium or as prime contractor with subcontractors; every other organization in the
bid confirms its part; the lead submits before the deadline; after it, staff evaluate, rank and
award, and the award becomes a service contract signed by the buyer and every supplier. The rules
are the pure ``rules.py`` and ``states.py``; every change is audited and flushed, never committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.agreements import operations as agreements
from marketplace.agreements.states import AgreementStatus
from marketplace.agreements.terms import Terms
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.money import format_fen
from marketplace.parties.models import Organization
from marketplace.parties.uscc import validate_uscc
from marketplace.taxonomy.models import Category, District
from marketplace.tenders import rules
from marketplace.tenders.models import (
    Bid,
    BidDocument,
    BidParticipant,
    Buyer,
    Tender,
    TenderAward,
)
from marketplace.tenders.states import (
    BID_ACTION_LABELS,
    EDITABLE_BID,
    LIVE_BID,
    TENDER_ACTION_LABELS,
    Actor,
    BidAction,
    BidStatus,
    TenderAction,
    TenderStatus,
    next_bid_status,
    next_tender_status,
)
from marketplace.timeutil import isoformat_local, to_local, utcnow

TITLE_MAX = 150
DESCRIPTION_MAX = 20_000
NAME_MAX = 100
REASON_MAX = 1000
URL_MAX = 500
REQUIRED_DOCUMENTS_MAX = 20
DOCUMENT_TITLE_MAX = 100
# Fields whose change after publication alters what bidders offered against (ProZorro: a substantive
# edit of the tender invalidates submitted bids until they are re-confirmed).
SUBSTANTIVE_FIELDS: dict[str, Msg] = {
    "description": Msg("采购需求"),
    "category_id": Msg("服务类别"),
    "district": Msg("服务区域"),
    "budget": Msg("预算"),
    "budget_is_cap": Msg("最高限价"),
    "method": Msg("采购方式"),
    "enquiry_ends_at": Msg("答疑截止时间"),
    "submission_deadline": Msg("投标截止时间"),
    "contract_starts_on": Msg("合同开始日期"),
    "contract_ends_on": Msg("合同结束日期"),
    "allows_consortium": Msg("联合体要求"),
    "max_members": Msg("联合体成员上限"),
    "allows_subcontracting": Msg("分包要求"),
    "max_subcontract_share": Msg("分包比例上限"),
    "min_grade": Msg("最低等级"),
    "grade_rule": Msg("等级规则"),
    "grade_rule_basis": Msg("等级门槛依据"),
    "required_documents": Msg("所需材料"),
}


# ─────────────────────────────── helpers ───────────────────────────────


def _require_staff(actor: User | None, reason: Msg) -> User:
    if actor is None or not actor.is_staff:
        raise Forbidden.on("actor", reason)
    return actor


def audit_event(subject: Any, action: str, actor: User | None, **payload: Any) -> None:
    """A ``tender.<action>`` audit event naming the actor and the party acted for."""
    audit.record_by(actor, f"tender.{action}", subject=subject, payload=payload)


def _notify(users: Sequence[User], title: Msg, body: Msg, link: str) -> int:
    from marketplace.notifications.operations import notify

    return notify(users, kind="tender", title=title, body=body, link=link)


def notify_organizations(organization_ids: Sequence[int], title: Msg, body: Msg, link: str) -> int:
    """Tell every active member of the organizations (in-app and by mail)."""
    return _notify(_org_members(organization_ids), title, body, link)


def _org_members(organization_ids: Sequence[int]) -> list[User]:
    if not organization_ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.organization_id.in_(list(organization_ids)), User.active.is_(True))
            .order_by(User.id)
        )
    )


def _lock(model: type, row_id: int) -> None:
    """Serialise changes to one tender (or bid): the no-op UPDATE takes the row lock on PostgreSQL
    and the write lock on SQLite until commit; what was loaded before is re-read."""
    db.session.flush()
    # SET id = id changes nothing: "last updated" must not move (it would tell competitors that
    # somebody is preparing a bid on an open tender).
    db.session.execute(
        update(model)
        .where(model.id == row_id)
        .values(id=model.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def _required_reason(text: str | None, prompt: Msg) -> str:
    """A reason staff must give (cancellation, a declined award, an unsuccessful tender)."""
    reason = (text or "").strip()
    if not reason:
        raise DomainError.on("reason", prompt)
    if len(reason) > REASON_MAX:
        raise DomainError.on("reason", Msg("原因不能超过 %(n)d 个字", n=REASON_MAX))
    return reason


def _problems(violations: Sequence[rules.Violation]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path, reason in violations:
        found.setdefault(path, reason)
    return found


def get_tender(tender_id: int) -> Tender:
    tender = db.session.get(Tender, tender_id)
    if tender is None:
        raise NotFound.on("tender", Msg("找不到该采购项目"))
    return tender


def get_bid(bid_id: int) -> Bid:
    bid = db.session.get(Bid, bid_id)
    if bid is None:
        raise NotFound.on("bid", Msg("找不到该投标"))
    return bid


def can_view_tender(tender: Tender, user: User | None) -> bool:
    """Published tenders are public; drafts are for staff."""
    return tender.status != TenderStatus.DRAFT or (user is not None and user.is_staff)


def require_tender_viewer(tender: Tender, user: User | None) -> None:
    if not can_view_tender(tender, user):
        raise NotFound.on("tender", Msg("找不到该采购项目"))


def participant_of(bid: Bid, user: User | None) -> BidParticipant | None:
    if user is None or user.organization_id is None:
        return None
    return next((item for item in bid.participants if item.organization_id == user.organization_id), None)


def is_lead_member(bid: Bid, user: User | None) -> bool:
    return (
        user is not None
        and user.organization_id is not None
        and user.organization_id == bid.lead_organization_id
    )


def can_view_bid(bid: Bid, user: User | None) -> bool:
    """A bid is its organizations' and staff's. The public learns of bids only after the deadline
    (bid opening), through the OCDS export, and of the winner after the award."""
    return user is not None and (user.is_staff or participant_of(bid, user) is not None)


def require_bid_viewer(bid: Bid, user: User | None) -> None:
    if not can_view_bid(bid, user):
        raise Forbidden.on("bid", Msg("只有投标各方和团区委工作人员可以查看该投标"))


# ─────────────────────────────── buyers ───────────────────────────────


@dataclass
class BuyerInput:
    name: str = ""
    kind: str = ""
    uscc: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def find_or_create_buyer(actor: User | None, data: BuyerInput) -> Buyer:
    """The buyer of that name, or a new one (staff record buyers as they publish for them)."""
    _require_staff(actor, Msg("只有团区委工作人员可以登记采购人"))
    problems: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name:
        problems["buyer_name"] = Msg("请填写采购人名称")
    elif len(name) > NAME_MAX:
        problems["buyer_name"] = Msg("采购人名称不能超过 %(n)d 个字", n=NAME_MAX)
    if data.kind not in tuple(rules.BuyerKind):
        problems["buyer_kind"] = Msg("采购人类型只能是 government（政府部门）或 foundation（基金会）")
    uscc = (data.uscc or "").strip().upper()
    if uscc:
        try:
            uscc = validate_uscc(uscc, field="buyer_uscc")
        except DomainError as error:
            problems.update(error.fields)
    if problems:
        raise DomainError(problems)
    buyer = db.session.scalar(select(Buyer).where(Buyer.name == name))
    if buyer is not None:
        if buyer.kind != data.kind:
            raise DomainError.on(
                "buyer_kind",
                Msg("采购人「%(name)s」已登记为%(kind)s", name=name, kind=buyer.kind_label),
            )
        return buyer
    buyer = Buyer(
        name=name,
        kind=data.kind,
        uscc=uscc,
        contact_name=(data.contact_name or "").strip()[:50],
        contact_phone=(data.contact_phone or "").strip()[:20],
        created_by_id=actor.id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(buyer)
            db.session.flush()
    except IntegrityError:
        buyer = db.session.scalar(select(Buyer).where(Buyer.name == name))
        assert buyer is not None
        return buyer
    audit_event(buyer, "buyer_created", actor, name=name, kind=data.kind)
    return buyer


def list_buyers() -> list[Buyer]:
    return list(db.session.scalars(select(Buyer).order_by(Buyer.name)))


# ─────────────────────────────── tenders ───────────────────────────────


@dataclass
class TenderInput:
    """A tender as typed (the API's JSON or the form, already parsed into fen and UTC times).
    ``None`` leaves a field unchanged on update."""

    title: str | None = None
    description: str | None = None
    buyer_name: str | None = None
    buyer_kind: str | None = None
    buyer_uscc: str | None = None
    category: str | None = None  # slug
    district: str | None = None
    budget: object = None
    budget_is_cap: object = None
    method: str | None = None
    enquiry_ends_at: datetime | None = None
    submission_deadline: datetime | None = None
    expected_award_on: date | None = None
    contract_starts_on: date | None = None
    contract_ends_on: date | None = None
    allows_consortium: object = None
    max_members: object = None
    allows_subcontracting: object = None
    max_subcontract_share: object = None
    min_grade: str | None = None
    grade_rule: str | None = None
    grade_rule_basis: str | None = None
    required_documents: object = None
    notice_url: str | None = None
    # Which optional fields the caller sent, so that an update can clear them (``None`` values).
    provided: frozenset[str] = frozenset()


def _cleaned_tender_values(data: TenderInput, base: Tender | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The column values ``data`` asks for (merged over ``base`` when updating) and every problem."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}

    def pick(name: str, default: Any = None) -> Any:
        given = getattr(data, name)
        if given is not None or name in data.provided:
            return given
        return getattr(base, name) if base is not None else default

    title = (pick("title") or "").strip()
    if not title:
        problems["title"] = Msg("请填写采购项目名称")
    elif len(title) > TITLE_MAX:
        problems["title"] = Msg("名称不能超过 %(n)d 个字", n=TITLE_MAX)
    values["title"] = title
    description = (pick("description") or "").strip()
    if not description:
        problems["description"] = Msg("请填写采购需求（服务内容、对象、数量、考核要求）")
    elif len(description) > DESCRIPTION_MAX:
        problems["description"] = Msg("采购需求不能超过 %(n)d 个字", n=DESCRIPTION_MAX)
    values["description"] = description
    if data.category is not None:
        category = db.session.scalar(select(Category).where(Category.slug == str(data.category).strip()))
        if category is None:
            problems["category"] = Msg("请选择有效的服务类别")
        else:
            values["category_id"] = category.id
    elif base is None:
        problems["category"] = Msg("请选择服务类别")
    if data.district is not None:
        if not isinstance(data.district, str) or db.session.get(District, data.district.strip()) is None:
            problems["district"] = Msg("请选择温州市的一个区县")
        else:
            values["district"] = data.district.strip()
    elif base is None:
        problems["district"] = Msg("请选择服务区域（区县）")
    method = pick("method")
    if method not in tuple(rules.Method):
        problems["method"] = Msg("请选择采购方式")
    values["method"] = method
    cap = pick("budget_is_cap", True)
    if not isinstance(cap, bool):
        problems["budget_is_cap"] = Msg("请说明预算是否为最高限价（是/否）")
    values["budget_is_cap"] = cap
    share_cap = pick("max_subcontract_share")
    if (
        base is not None
        and data.max_subcontract_share is None
        and "max_subcontract_share" not in data.provided
    ):
        share_cap = rules.format_share(share_cap) if share_cap is not None else None
    grade_rule = pick("grade_rule") or rules.GradeRule.PRIORITY_ONLY.value
    min_grade = pick("min_grade") or None
    draft = rules.TenderDraft(
        title=title,
        budget=pick("budget"),
        allows_consortium=pick("allows_consortium"),
        allows_subcontracting=pick("allows_subcontracting"),
        submission_deadline=pick("submission_deadline"),
        max_members=pick("max_members"),
        max_subcontract_share=share_cap,
        min_grade=min_grade,
        grade_rule=grade_rule,
        grade_rule_basis=pick("grade_rule_basis") or "",
        enquiry_ends_at=pick("enquiry_ends_at"),
        contract_starts_on=pick("contract_starts_on"),
        contract_ends_on=pick("contract_ends_on"),
        expected_award_on=pick("expected_award_on"),
    )
    for path, reason in rules.check_tender(draft, now=utcnow(), publishing=True):
        problems.setdefault(path, reason)
    values.update(
        budget=draft.budget,
        allows_consortium=draft.allows_consortium,
        allows_subcontracting=draft.allows_subcontracting,
        submission_deadline=draft.submission_deadline,
        max_members=draft.max_members,
        max_subcontract_share=(
            rules.parse_share(share_cap)
            if share_cap is not None and "max_subcontract_share" not in problems
            else None
        ),
        min_grade=min_grade,
        grade_rule=grade_rule,
        grade_rule_basis=(draft.grade_rule_basis or "").strip(),
        enquiry_ends_at=draft.enquiry_ends_at,
        contract_starts_on=draft.contract_starts_on,
        contract_ends_on=draft.contract_ends_on,
        expected_award_on=draft.expected_award_on,
    )
    documents = pick("required_documents", [])
    if documents is None:
        documents = []
    if not isinstance(documents, list) or not all(isinstance(item, str) for item in documents):
        problems["required_documents"] = Msg("所需材料须是文字列表")
    else:
        cleaned = [item.strip() for item in documents if item.strip()]
        if len(cleaned) > REQUIRED_DOCUMENTS_MAX:
            problems["required_documents"] = Msg("所需材料最多 %(n)d 项", n=REQUIRED_DOCUMENTS_MAX)
        elif any(len(item) > DOCUMENT_TITLE_MAX for item in cleaned):
            problems["required_documents"] = Msg("每项材料名称不能超过 %(n)d 个字", n=DOCUMENT_TITLE_MAX)
        values["required_documents"] = list(dict.fromkeys(cleaned))
    url = (pick("notice_url") or "").strip()
    if url and (len(url) > URL_MAX or not url.startswith(("https://", "http://"))):
        problems["notice_url"] = Msg("官方公告链接须以 http:// 或 https:// 开头")
    values["notice_url"] = url
    return values, problems


def create_tender(actor: User | None, data: TenderInput, *, publish: bool = True) -> Tender:
    """Staff publish a tender on a buyer's behalf (or keep it as a draft)."""
    _require_staff(actor, Msg("只有团区委工作人员可以代采购人发布采购项目"))
    values, problems = _cleaned_tender_values(data, None)
    buyer = None
    try:
        buyer = find_or_create_buyer(
            actor,
            BuyerInput(name=data.buyer_name or "", kind=data.buyer_kind or "", uscc=data.buyer_uscc or ""),
        )
    except DomainError as error:
        problems.update(error.fields)
    if problems:
        raise DomainError(problems)
    assert buyer is not None and actor is not None
    tender = Tender(buyer_id=buyer.id, status=TenderStatus.DRAFT.value, created_by_id=actor.id, **values)
    db.session.add(tender)
    db.session.flush()
    audit_event(tender, "created", actor, buyer_id=buyer.id, title=tender.title, budget=tender.budget)
    if publish:
        publish_tender(tender, actor)
    return tender


def publish_tender(tender: Tender, actor: User | None) -> Tender:
    _require_staff(actor, Msg("只有团区委工作人员可以发布采购项目"))
    _lock(Tender, tender.id)
    if tender.submission_deadline <= utcnow():
        raise DomainError.on("submission_deadline", Msg("投标截止时间必须晚于现在"))
    _move_tender(tender, TenderAction.PUBLISH)
    tender.published_at = utcnow()
    db.session.flush()
    audit_event(tender, "published", actor, revision=tender.revision)
    return tender


def _move_tender(tender: Tender, action: TenderAction) -> TenderStatus:
    target = next_tender_status(TenderStatus(tender.status), action)
    if target is None:
        raise Conflict.on(
            "tender",
            Msg(
                "采购项目当前状态为「%(status)s」，不能%(action)s",
                status=tender.status_label,
                action=TENDER_ACTION_LABELS[action],
            ),
        )
    tender.status = target.value
    tender.updated_at = utcnow()
    return target


def update_tender(tender: Tender, actor: User | None, data: TenderInput) -> Tender:
    """Edit a draft freely; edit an open tender before its deadline, where a substantive change
    invalidates every submitted bid (its organizations must re-confirm and the lead re-submit)."""
    _require_staff(actor, Msg("只有团区委工作人员可以修改采购项目"))
    _lock(Tender, tender.id)
    if tender.status not in (TenderStatus.DRAFT, TenderStatus.OPEN):
        raise Conflict.on(
            "tender", Msg("采购项目当前状态为「%(status)s」，不能修改", status=tender.status_label)
        )
    if tender.status == TenderStatus.OPEN and utcnow() >= tender.submission_deadline:
        raise Conflict.on("submission_deadline", Msg("投标已截止，不能再修改采购项目"))
    values, problems = _cleaned_tender_values(data, tender)
    buyer = tender.buyer
    if (data.buyer_name is not None and data.buyer_name.strip() != buyer.name) or (
        data.buyer_kind is not None and data.buyer_kind != buyer.kind
    ):
        problems["buyer_name"] = Msg("采购人不能更换；如采购人有误，请取消本项目后重新发布")
    if tender.status == TenderStatus.OPEN and values.get("allows_consortium") is False:
        live_consortia = [bid for bid in tender.bids if bid.is_live and bid.mode == rules.BidMode.CONSORTIUM]
        if live_consortia:
            problems.setdefault(
                "allows_consortium",
                Msg("已有 %(n)d 份联合体投标在准备或已提交，不能改为不接受联合体", n=len(live_consortia)),
            )
    if problems:
        raise DomainError(problems)
    changed = {name: value for name, value in values.items() if getattr(tender, name) != value}
    if not changed:
        return tender
    for name, value in changed.items():
        setattr(tender, name, value)
    tender.updated_at = utcnow()
    substantive = sorted(name for name in changed if name in SUBSTANTIVE_FIELDS)
    invalidated: list[int] = []
    if tender.status == TenderStatus.OPEN and substantive:
        tender.revision += 1
        for bid in tender.bids:
            if bid.status == BidStatus.SUBMITTED:
                _invalidate(bid, Msg("采购项目的实质性内容已变更，请各方重新确认后再提交"))
                invalidated.append(bid.id)
            elif bid.status in EDITABLE_BID:
                # Bids in preparation too: what a member confirmed was offered against the old terms.
                _new_revision(bid)
                invalidated.append(bid.id)
    db.session.flush()
    audit_event(
        tender,
        "updated",
        actor,
        fields=sorted(changed),
        substantive=substantive,
        revision=tender.revision,
        invalidated_bid_ids=invalidated,
    )
    for bid in tender.bids:
        if bid.id in invalidated:
            _notify(
                _org_members([item.organization_id for item in bid.participants]),
                Msg("采购项目已变更，请重新确认投标：%(title)s", title=tender.title),
                Msg(
                    "采购项目的%(fields)s已变更，投标 #%(bid)d 需要各方重新确认、由牵头方重新提交。",
                    fields="、".join(str(SUBSTANTIVE_FIELDS[name]) for name in substantive),
                    bid=bid.id,
                ),
                f"/bids/{bid.id}",
            )
    return tender


def cancel_tender(tender: Tender, actor: User | None, *, reason: str) -> Tender:
    """Any open state → cancelled, with a reason; every live bid is cancelled with it."""
    _require_staff(actor, Msg("只有团区委工作人员可以取消采购项目"))
    _lock(Tender, tender.id)
    reason = _required_reason(reason, Msg("请填写取消原因"))
    if tender.current_award is not None and tender.current_award.contract_signed:
        raise Conflict.on("tender", Msg("合同已签订，不能取消采购项目"))
    _move_tender(tender, TenderAction.CANCEL)
    tender.ended_at = utcnow()
    tender.end_reason = reason
    cancelled = []
    for bid in tender.bids:
        if next_bid_status(BidStatus(bid.status), BidAction.CANCEL, Actor.SYSTEM) is not None:
            _move_bid(bid, BidAction.CANCEL, Actor.SYSTEM)
            cancelled.append(bid.id)
    db.session.flush()
    audit_event(tender, "cancelled", actor, reason=reason, cancelled_bid_ids=cancelled)
    _notify(
        _org_members(sorted({item.organization_id for bid in tender.bids for item in bid.participants})),
        Msg("采购项目已取消：%(title)s", title=tender.title),
        Msg("取消原因：%(reason)s", reason=reason),
        f"/tenders/{tender.id}",
    )
    return tender


def close_submissions(tender: Tender, *, now: datetime | None = None) -> bool:
    """Once the deadline has passed, an open tender moves to evaluation; bids never submitted in
    time (drafts, bids left invalid) are cancelled. Idempotent."""
    now = now or utcnow()
    if tender.status != TenderStatus.OPEN or now < tender.submission_deadline:
        return False
    _lock(Tender, tender.id)
    if tender.status != TenderStatus.OPEN:
        return False
    _move_tender(tender, TenderAction.CLOSE)
    tender.closed_at = now
    lapsed = []
    for bid in tender.bids:
        if bid.status in (BidStatus.DRAFT, BidStatus.INVALID):
            _move_bid(bid, BidAction.CANCEL, Actor.SYSTEM)
            bid.invalidated_reason = str(Msg("截止时未提交"))
            lapsed.append(bid.id)
    db.session.flush()
    audit_event(
        tender,
        "closed",
        None,
        submitted=[bid.id for bid in tender.bids if bid.status == "submitted"],
        lapsed=lapsed,
    )
    return True


def close_due_tenders(now: datetime | None = None) -> int:
    """The job: every open tender past its deadline moves to evaluation."""
    now = now or utcnow()
    # In id order: two hosts running the job at once lock the tenders in the same order, so one waits
    # for the other instead of the two deadlocking.
    due = db.session.scalars(
        select(Tender)
        .where(Tender.status == TenderStatus.OPEN, Tender.submission_deadline <= now)
        .order_by(Tender.id)
    ).all()
    return sum(1 for tender in due if close_submissions(tender, now=now))


@dataclass
class TenderFilters:
    status: str | None = None
    category: str | None = None
    district: str | None = None
    buyer_kind: str | None = None
    q: str | None = None


def list_tenders(user: User | None, filters: TenderFilters | None = None) -> list[Tender]:
    filters = filters or TenderFilters()
    query = select(Tender).order_by(Tender.submission_deadline.desc(), Tender.id.desc())
    if user is None or not user.is_staff:
        query = query.where(Tender.status != TenderStatus.DRAFT)
    if filters.status:
        query = query.where(Tender.status == filters.status)
    if filters.category:
        query = query.join(Category, Tender.category_id == Category.id).where(
            Category.slug == filters.category
        )
    if filters.district:
        query = query.where(Tender.district == filters.district)
    if filters.buyer_kind:
        query = query.join(Buyer, Tender.buyer_id == Buyer.id).where(Buyer.kind == filters.buyer_kind)
    if filters.q:
        query = query.where(Tender.title.contains(filters.q.strip()))
    return list(db.session.scalars(query))


# ─────────────────────────────── bids ───────────────────────────────


@dataclass
class MemberInput:
    organization_id: object = None
    role: object = "member"
    share: object = None
    scope: object = ""


@dataclass
class SubcontractInput:
    organization_id: object = None
    share: object = None
    scope: object = ""
    is_core_work: object = False
    main_contractor_id: object = None


@dataclass
class BidInput:
    """A bid as typed. On update, ``None`` keeps a field (members/subcontractors are replaced whole)."""

    mode: str | None = None
    members: list[MemberInput] | None = None
    subcontractors: list[SubcontractInput] | None = None
    price: object = None
    currency: object = None
    proposal: str | None = None
    provided: frozenset[str] = field(default_factory=frozenset)


def as_id(value: object) -> int | None:
    """An id from JSON or a form (an int or a string of digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _member_lines(members: Sequence[MemberInput]) -> tuple[rules.MemberLine, ...]:
    return tuple(
        rules.MemberLine(
            organization_id=as_id(member.organization_id),
            role=str(member.role or "member"),
            share=member.share,
            scope=str(member.scope or ""),
        )
        for member in members
    )


def _subcontract_lines(lines: Sequence[SubcontractInput]) -> tuple[rules.SubcontractLine, ...]:
    return tuple(
        rules.SubcontractLine(
            organization_id=as_id(line.organization_id),
            share=line.share,
            scope=str(line.scope or ""),
            is_core_work=line.is_core_work if isinstance(line.is_core_work, bool) else None,
            main_contractor_id=as_id(line.main_contractor_id),
        )
        for line in lines
    )


def org_facts(organization: Organization) -> rules.OrgFacts:
    return rules.OrgFacts(
        id=organization.id,
        name=organization.name,
        verified=organization.is_verified,
        grade=organization.grade,
        grade_valid_until=organization.grade_valid_until,
        is_league_body=organization.is_league_body,
        legal_representative=organization.legal_representative or "",
    )


def _facts_for(draft: rules.BidDraft) -> dict[int, rules.OrgFacts]:
    ids = {
        line.organization_id
        for line in (*draft.members, *draft.subcontractors)
        if line.organization_id is not None
    }
    if not ids:
        return {}
    found = db.session.scalars(select(Organization).where(Organization.id.in_(ids)))
    return {organization.id: org_facts(organization) for organization in found}


def committed_participation(tender: Tender, *, except_bid_id: int | None = None) -> list[rules.OtherBid]:
    """Who each other live bid on the tender binds: its lead, and the members and subcontractors who
    confirmed their part. Being *named* in someone else's draft binds nobody (else any lead could
    block a competitor by listing it)."""
    others = []
    for bid in tender.bids:
        if bid.id == except_bid_id or bid.status not in LIVE_BID:
            continue
        bound = [
            item
            for item in bid.participants
            if item.organization_id != bid.lead_organization_id
            and (item.confirmed_revision is not None or bid.status != BidStatus.DRAFT)
        ]
        others.append(
            rules.OtherBid(
                bid_id=bid.id,
                lead_id=bid.lead_organization_id,
                member_ids=frozenset(item.organization_id for item in bound if item.kind == "member"),
                subcontractor_ids=frozenset(
                    item.organization_id for item in bound if item.kind == "subcontractor"
                ),
            )
        )
    return others


def _draft_from(bid: Bid | None, data: BidInput, lead_id: int) -> rules.BidDraft:
    """The bid as it would be after ``data``: a new bid, or ``bid`` with the fields given."""
    mode = data.mode if data.mode is not None else (bid.mode if bid else None)
    if data.members is not None:
        members = _member_lines(data.members)
    elif bid is not None:
        members = tuple(
            rules.MemberLine(
                item.organization_id, item.role or "member", rules.format_share(item.share), item.scope
            )
            for item in bid.members
        )
    else:
        members = ()
    if not members and mode in (rules.BidMode.SINGLE, rules.BidMode.PRIME_WITH_SUBS):
        # Bidding alone, the lead is the whole bidder: the API may leave ``members`` out.
        members = (rules.MemberLine(lead_id, "lead", "100", ""),)
    if data.subcontractors is not None:
        subcontractors = _subcontract_lines(data.subcontractors)
    elif bid is not None:
        subcontractors = tuple(
            rules.SubcontractLine(
                item.organization_id, rules.format_share(item.share), item.scope, item.is_core_work
            )
            for item in bid.subcontractors
        )
    else:
        subcontractors = ()
    price = (
        data.price if (data.price is not None or "price" in data.provided) else (bid.price if bid else None)
    )
    currency = data.currency if data.currency is not None else rules.CURRENCY
    has_joint = bid is not None and any(document.kind == "joint_agreement" for document in bid.documents)
    return rules.BidDraft(
        mode=str(mode or ""),
        members=members,
        subcontractors=subcontractors,
        price=price,
        currency=currency,
        has_joint_agreement=has_joint,
    )


def _check(
    tender: Tender, draft: rules.BidDraft, *, except_bid_id: int | None, submitting: bool = False
) -> rules.Checked:
    return rules.check_bid(
        draft,
        tender.terms,
        _facts_for(draft),
        committed_participation(tender, except_bid_id=except_bid_id),
        submitting=submitting,
    )


def _require_open_for_bids(tender: Tender, verb: Msg, now: datetime) -> None:
    if tender.status == TenderStatus.CANCELLED:
        raise Conflict.on("tender", Msg("采购项目已取消，不能%(verb)s", verb=verb))
    problems = rules.check_timing(now, tender.submission_deadline, verb)
    if problems:
        raise Conflict(_problems(problems))
    if tender.status != TenderStatus.OPEN:
        raise Conflict.on(
            "tender",
            Msg("采购项目当前状态为「%(status)s」，不能%(verb)s", status=tender.status_label, verb=verb),
        )


def member_organization(actor: User | None, refusal: Msg) -> Organization:
    """The organization ``actor`` is a member of; ``refusal`` (403) for anyone else."""
    if actor is None or actor.role != Role.ORG or actor.organization is None:
        raise Forbidden.on("organization", refusal)
    return actor.organization


def _proposal(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > rules.PROPOSAL_MAX:
        raise DomainError.on("proposal", Msg("投标方案说明不能超过 %(n)d 个字", n=rules.PROPOSAL_MAX))
    return text


def _write_participants(bid: Bid, draft: rules.BidDraft, checked: rules.Checked) -> None:
    """Replace the bid's members and subcontractors by ``draft``'s; a participant whose organization
    stays keeps its row (its confirmation lapses anyway with the new revision)."""
    existing = {item.organization_id: item for item in bid.participants}
    rows: list[BidParticipant] = []
    position = 0
    for index, line in enumerate(draft.members):
        assert line.organization_id is not None
        row = existing.pop(line.organization_id, None) or BidParticipant(organization_id=line.organization_id)
        row.kind, row.role, row.share = "member", line.role, checked.member_shares[index]
        row.scope, row.is_core_work, row.position = line.scope.strip(), False, position
        rows.append(row)
        position += 1
    # A subcontract's main contractor is not stored: only a prime-with-subs bid may subcontract, so
    # it is always the lead (the rules refuse any other, and a subcontractor as one: V7).
    for index, line in enumerate(draft.subcontractors):
        assert line.organization_id is not None
        row = existing.pop(line.organization_id, None) or BidParticipant(organization_id=line.organization_id)
        row.kind, row.role, row.share = "subcontractor", None, checked.subcontract_shares[index]
        row.scope, row.is_core_work, row.position = line.scope.strip(), False, position
        rows.append(row)
        position += 1
    if existing:
        # Rows that leave must be deleted before a row for the same organization could be re-added.
        for row in existing.values():
            bid.participants.remove(row)
        db.session.flush()
    bid.participants = rows


def create_bid(tender: Tender, actor: User | None, data: BidInput, *, now: datetime | None = None) -> Bid:
    """The lead organization's member prepares a bid (status draft); every member and subcontractor
    is asked to confirm its part."""
    now = now or utcnow()
    lead = member_organization(actor, Msg("只有社会组织的成员可以%(verb)s", verb=Msg("准备投标")))
    _lock(Tender, tender.id)
    require_tender_viewer(tender, actor)
    _require_open_for_bids(tender, Msg("准备投标"), now)
    existing = db.session.scalar(
        select(Bid).where(
            Bid.tender_id == tender.id,
            Bid.lead_organization_id == lead.id,
            Bid.status.in_([status.value for status in LIVE_BID]),
        )
    )
    if existing is not None:
        raise Conflict.on(
            "tender", Msg("本组织在该采购项目已有一份投标（#%(id)d），请在原投标上修改", id=existing.id)
        )
    draft = _draft_from(None, data, lead.id)
    leads = [line for line in draft.members if line.role == "lead"]
    if leads and leads[0].organization_id != lead.id:
        raise Forbidden.on("members[0].organization_id", Msg("只能以本组织作为牵头方准备投标"))
    checked = _check(tender, draft, except_bid_id=None)
    problems = _problems(checked.violations)
    if not leads and "members" not in problems:
        problems["members"] = Msg("请指定牵头方（lead）")
    try:
        proposal = _proposal(data.proposal)
    except DomainError as error:
        problems.update(error.fields)
        proposal = ""
    if problems:
        raise DomainError(problems)
    assert actor is not None and checked.price is not None
    bid = Bid(
        tender_id=tender.id,
        lead_organization_id=lead.id,
        mode=draft.mode,
        status=BidStatus.DRAFT.value,
        price=checked.price,
        currency=rules.CURRENCY,
        proposal=proposal,
        revision=1,
        created_by_id=actor.id,
    )
    db.session.add(bid)
    _write_participants(bid, draft, checked)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict.on("tender", Msg("本组织在该采购项目已有一份投标，请刷新后查看")) from None
    audit_event(
        bid, "bid_created", actor, tender_id=tender.id, mode=bid.mode, price=bid.price, **_composition(bid)
    )
    _ask_for_confirmation(bid, actor)
    return bid


def _composition(bid: Bid) -> dict[str, Any]:
    return {
        "members": [
            {"organization_id": item.organization_id, "role": item.role, "share": item.share}
            for item in bid.members
        ],
        "subcontractors": [
            {"organization_id": item.organization_id, "share": item.share} for item in bid.subcontractors
        ],
    }


def _ask_for_confirmation(bid: Bid, actor: User | None) -> None:
    others = [
        item.organization_id for item in bid.participants if item.organization_id != bid.lead_organization_id
    ]
    _notify(
        [user for user in _org_members(others) if actor is None or user.id != actor.id],
        Msg("请确认投标分工：%(title)s", title=bid.tender.title),
        Msg(
            "%(lead)s邀请贵组织参与投标 #%(bid)d（%(mode)s），请核对分工与份额后在平台确认。",
            lead=bid.lead_organization.name,
            bid=bid.id,
            mode=bid.mode_label,
        ),
        f"/bids/{bid.id}",
    )


def update_bid(bid: Bid, actor: User | None, data: BidInput, *, now: datetime | None = None) -> Bid:
    """The lead edits its bid before the deadline. Every edit is a new revision, so confirmations
    lapse; after submission the membership is frozen and an edit makes the bid ``invalid`` until
    re-confirmed and re-submitted."""
    now = now or utcnow()
    if not is_lead_member(bid, actor):
        raise Forbidden.on("bid", Msg("只有牵头方的成员可以修改投标"))
    _lock(Bid, bid.id)
    tender = bid.tender
    _require_open_for_bids(tender, Msg("修改投标"), now)
    if bid.status not in EDITABLE_BID:
        raise Conflict.on("bid", Msg("投标当前状态为「%(status)s」，不能修改", status=bid.status_label))
    draft = _draft_from(bid, data, bid.lead_organization_id)
    submitted_before = bid.submitted_at is not None
    if submitted_before:
        before = sorted((item.kind, item.organization_id) for item in bid.participants)
        after = sorted(
            [("member", line.organization_id) for line in draft.members]
            + [("subcontractor", line.organization_id) for line in draft.subcontractors]
        )
        if before != after or draft.mode != bid.mode:
            raise Conflict.on(
                "members",
                Msg("投标提交后成员与分包单位已冻结；如需更换，请撤回本投标后重新准备"),
            )
    leads = [line for line in draft.members if line.role == "lead"]
    if leads and leads[0].organization_id != bid.lead_organization_id:
        raise Conflict.on("members", Msg("牵头方不能更换；如需更换牵头方，请撤回本投标后由新牵头方重新准备"))
    checked = _check(tender, draft, except_bid_id=bid.id)
    problems = _problems(checked.violations)
    if not leads and "members" not in problems:
        problems["members"] = Msg("请指定牵头方（lead）")
    proposal = bid.proposal
    if data.proposal is not None:
        try:
            proposal = _proposal(data.proposal)
        except DomainError as error:
            problems.update(error.fields)
    if problems:
        raise DomainError(problems)
    assert checked.price is not None
    bid.mode = draft.mode
    bid.price = checked.price
    bid.proposal = proposal
    _write_participants(bid, draft, checked)
    _new_revision(bid)
    if bid.status == BidStatus.SUBMITTED:
        _invalidate(bid, Msg("投标提交后被修改，须各方重新确认并重新提交"))
    db.session.flush()
    audit_event(
        bid,
        "bid_updated",
        actor,
        revision=bid.revision,
        status=bid.status,
        price=bid.price,
        **_composition(bid),
    )
    _ask_for_confirmation(bid, actor)
    return bid


def _new_revision(bid: Bid) -> None:
    bid.revision += 1
    bid.updated_at = utcnow()


def _invalidate(bid: Bid, reason: Msg) -> None:
    _move_bid(bid, BidAction.INVALIDATE, Actor.SYSTEM)
    bid.invalidated_reason = str(reason)
    if bid.tender.revision != bid.tender_revision:
        _new_revision(bid)


def _move_bid(bid: Bid, action: BidAction, actor: Actor) -> BidStatus:
    target = next_bid_status(BidStatus(bid.status), action, actor)
    if target is None:
        raise Conflict.on(
            "action",
            Msg(
                "投标当前状态为「%(status)s」，不能%(action)s",
                status=bid.status_label,
                action=BID_ACTION_LABELS[action],
            ),
        )
    if target == BidStatus.CANCELLED:
        bid.cancelled_from = bid.status
    bid.status = target.value
    bid.updated_at = utcnow()
    return target


def confirm_part(bid: Bid, actor: User | None, *, now: datetime | None = None) -> BidParticipant:
    """A member of a member or subcontractor organization confirms its part of this revision."""
    now = now or utcnow()
    participant = participant_of(bid, actor)
    if participant is None or actor is None or actor.role != Role.ORG:
        raise Forbidden.on("bid", Msg("只有投标中列出的社会组织的成员可以确认分工"))
    _lock(Bid, bid.id)
    participant = participant_of(bid, actor)
    assert participant is not None
    if participant.organization_id == bid.lead_organization_id:
        raise Conflict.on("action", Msg("牵头方提交投标即确认本方分工，无需单独确认"))
    tender = bid.tender
    _require_open_for_bids(tender, Msg("确认分工"), now)
    if bid.status not in EDITABLE_BID:
        raise Conflict.on("bid", Msg("投标当前状态为「%(status)s」，无需确认", status=bid.status_label))
    if participant.is_confirmed:
        return participant
    # Confirming binds the organization to this bid: refused while it is bound to another one.
    clash = [
        other
        for other in committed_participation(tender, except_bid_id=bid.id)
        if participant.organization_id in other.bidder_ids | other.subcontractor_ids
    ]
    if clash:
        raise Conflict.on(
            "organization_id",
            Msg(
                "贵组织已参与本次采购的另一份投标（#%(bid)d），同一采购项目只能参与一份投标",
                bid=clash[0].bid_id,
            ),
        )
    facts = org_facts(participant.organization)
    if not facts.verified:
        raise Conflict.on("organization_id", Msg("贵组织尚未通过团区委认证，不能参与投标"))
    participant.confirmed_revision = bid.revision
    participant.confirmed_by_id = actor.id
    participant.confirmed_at = now
    db.session.flush()
    audit_event(
        bid, "part_confirmed", actor, organization_id=participant.organization_id, revision=bid.revision
    )
    lead_members = [user for user in _org_members([bid.lead_organization_id]) if user.id != actor.id]
    _notify(
        lead_members,
        Msg("%(org)s已确认分工：%(title)s", org=participant.organization.name, title=tender.title),
        Msg("%(org)s已确认投标 #%(bid)d 中的分工与份额。", org=participant.organization.name, bid=bid.id),
        f"/bids/{bid.id}",
    )
    return participant


def unconfirmed(bid: Bid) -> list[BidParticipant]:
    return [
        item
        for item in bid.participants
        if item.organization_id != bid.lead_organization_id and not item.is_confirmed
    ]


def submit_bid(bid: Bid, actor: User | None, *, now: datetime | None = None) -> Bid:
    """The lead submits before the deadline (to the second): every rule passes and every member and
    subcontractor confirmed this revision."""
    now = now or utcnow()
    if not is_lead_member(bid, actor):
        raise Forbidden.on("bid", Msg("只有牵头方的成员可以提交投标"))
    _lock(Bid, bid.id)
    tender = bid.tender
    _require_open_for_bids(tender, Msg("提交投标"), now)
    if next_bid_status(BidStatus(bid.status), BidAction.SUBMIT, Actor.BIDDER) is None:
        raise Conflict.on("action", Msg("投标当前状态为「%(status)s」，不能提交", status=bid.status_label))
    draft = _draft_from(bid, BidInput(), bid.lead_organization_id)
    checked = _check(tender, draft, except_bid_id=bid.id, submitting=True)
    problems = _problems(checked.violations)
    waiting = unconfirmed(bid)
    if waiting:
        problems["confirmations"] = Msg(
            "以下组织尚未确认本版本的分工：%(names)s",
            names="、".join(item.organization.name for item in waiting),
        )
    if problems:
        raise DomainError(problems)
    assert actor is not None
    _move_bid(bid, BidAction.SUBMIT, Actor.BIDDER)
    lead = bid.lead
    if lead is not None:
        lead.confirmed_revision, lead.confirmed_by_id, lead.confirmed_at = bid.revision, actor.id, now
    bid.submitted_at = now
    bid.tender_revision = tender.revision
    bid.invalidated_reason = None
    db.session.flush()
    audit_event(
        bid, "bid_submitted", actor, revision=bid.revision, tender_revision=tender.revision, price=bid.price
    )
    _notify(
        [
            user
            for user in _org_members([item.organization_id for item in bid.participants])
            if user.id != actor.id
        ],
        Msg("投标已提交：%(title)s", title=tender.title),
        Msg("投标 #%(bid)d 已由牵头方提交，报价 %(price)s。", bid=bid.id, price=format_fen(bid.price)),
        f"/bids/{bid.id}",
    )
    return bid


def withdraw_bid(bid: Bid, actor: User | None, *, now: datetime | None = None) -> Bid:
    now = now or utcnow()
    if not is_lead_member(bid, actor):
        raise Forbidden.on("bid", Msg("只有牵头方的成员可以撤回投标"))
    _lock(Bid, bid.id)
    tender = bid.tender
    _require_open_for_bids(tender, Msg("撤回投标"), now)
    _move_bid(bid, BidAction.WITHDRAW, Actor.BIDDER)
    bid.withdrawn_at = now
    db.session.flush()
    audit_event(bid, "bid_withdrawn", actor)
    _notify(
        [
            user
            for user in _org_members([item.organization_id for item in bid.participants])
            if actor is None or user.id != actor.id
        ],
        Msg("投标已撤回：%(title)s", title=tender.title),
        Msg("牵头方已撤回投标 #%(bid)d。", bid=bid.id),
        f"/bids/{bid.id}",
    )
    return bid


def bid_transition(bid: Bid, actor: User | None, action: str, *, now: datetime | None = None) -> Bid:
    """What a bidder may ask for: confirm, submit or withdraw. Anything else is someone else's
    decision (valid, disqualified, awarded …) and refused."""
    if action == "confirm":
        confirm_part(bid, actor, now=now)
        return bid
    if action == "submit":
        return submit_bid(bid, actor, now=now)
    if action == "withdraw":
        return withdraw_bid(bid, actor, now=now)
    if action in {status.value for status in BidStatus} | {item.value for item in BidAction}:
        raise Forbidden.on("action", Msg("投标人只能确认、提交或撤回投标；评审与中标由团区委记录"))
    raise DomainError.on("action", Msg("操作只能是 confirm、submit 或 withdraw"))


def my_bids(user: User) -> list[Bid]:
    """Every bid the user's organization leads or takes part in, newest first."""
    if user.organization_id is None:
        return []
    return list(
        db.session.scalars(
            select(Bid)
            .join(BidParticipant, BidParticipant.bid_id == Bid.id)
            .where(BidParticipant.organization_id == user.organization_id)
            .order_by(Bid.id.desc())
        ).unique()
    )


# ─────────────────────────────── documents ───────────────────────────────


def add_document(
    bid: Bid,
    actor: User | None,
    *,
    kind: str,
    title: str,
    data: bytes,
    directory: Any,
    now: datetime | None = None,
) -> BidDocument:
    """Attach a PDF (or scan) to the bid; attaching to a submitted bid is an edit (invalid until
    re-confirmed and re-submitted)."""
    import hashlib

    from marketplace.stored_files import store_pdf

    now = now or utcnow()
    if not is_lead_member(bid, actor):
        raise Forbidden.on("bid", Msg("只有牵头方的成员可以上传投标材料"))
    _lock(Bid, bid.id)
    _require_open_for_bids(bid.tender, Msg("上传投标材料"), now)
    if bid.status not in EDITABLE_BID:
        raise Conflict.on("bid", Msg("投标当前状态为「%(status)s」，不能上传材料", status=bid.status_label))
    problems: dict[str, str] = {}
    if kind not in ("proposal", "joint_agreement", "other"):
        problems["kind"] = Msg("材料类型只能是投标方案、联合体协议或其他材料")
    if kind == "joint_agreement" and bid.mode != rules.BidMode.CONSORTIUM:
        problems["kind"] = Msg("只有联合体投标需要上传联合体协议")
    title = (title or "").strip() or str(Msg("投标材料"))
    if len(title) > DOCUMENT_TITLE_MAX:
        problems["title"] = Msg("材料名称不能超过 %(n)d 个字", n=DOCUMENT_TITLE_MAX)
    if problems:
        raise DomainError(problems)
    stored = store_pdf(data, directory, field="file")
    document = BidDocument(
        bid_id=bid.id,
        kind=kind,
        title=title,
        stored_name=stored,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(document)
    _new_revision(bid)
    if bid.status == BidStatus.SUBMITTED:
        _invalidate(bid, Msg("投标提交后更换了材料，须各方重新确认并重新提交"))
    db.session.flush()
    audit_event(bid, "document_added", actor, document_id=document.id, kind=kind, sha256=document.sha256)
    return document


def remove_document(bid: Bid, actor: User | None, document_id: int, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not is_lead_member(bid, actor):
        raise Forbidden.on("bid", Msg("只有牵头方的成员可以删除投标材料"))
    _lock(Bid, bid.id)
    _require_open_for_bids(bid.tender, Msg("删除投标材料"), now)
    if bid.status not in EDITABLE_BID:
        raise Conflict.on("bid", Msg("投标当前状态为「%(status)s」，不能删除材料", status=bid.status_label))
    document = next((item for item in bid.documents if item.id == document_id), None)
    if document is None:
        raise NotFound.on("document", Msg("找不到该材料"))
    db.session.delete(document)
    _new_revision(bid)
    if bid.status == BidStatus.SUBMITTED:
        _invalidate(bid, Msg("投标提交后删除了材料，须各方重新确认并重新提交"))
    db.session.flush()
    audit_event(bid, "document_removed", actor, document_id=document_id)


# ─────────────────────────────── evaluation ───────────────────────────────


@dataclass
class EvaluationInput:
    bid_id: object = None
    result: str | None = None  # "valid" | "disqualified"
    score: object = None
    reason: str | None = None


def _require_evaluating(tender: Tender, now: datetime) -> None:
    close_submissions(tender, now=now)
    if tender.status == TenderStatus.OPEN:
        raise Conflict.on(
            "submission_deadline",
            Msg("投标截止（%(deadline)s）前不能评审", deadline=isoformat_local(tender.submission_deadline)),
        )
    if tender.status != TenderStatus.EVALUATING:
        raise Conflict.on(
            "tender", Msg("采购项目当前状态为「%(status)s」，不能评审", status=tender.status_label)
        )


def _tender_bid(tender: Tender, bid_id: object) -> Bid:
    identifier = as_id(bid_id)
    bid = db.session.get(Bid, identifier) if identifier is not None else None
    if bid is None or bid.tender_id != tender.id:
        raise NotFound.on("bid_id", Msg("该采购项目下找不到投标 #%(id)s", id=bid_id))
    return bid


def evaluate_bid(
    tender: Tender, actor: User | None, data: EvaluationInput, *, now: datetime | None = None
) -> Bid:
    """Staff mark a submitted bid valid (with a score) or disqualified (with a reason), after the
    deadline. A bid is valid only when it is still eligible and qualified: the rules run again."""
    now = now or utcnow()
    _require_staff(actor, Msg("只有团区委工作人员可以记录评审结果"))
    _lock(Tender, tender.id)
    _require_evaluating(tender, now)
    bid = _tender_bid(tender, data.bid_id)
    problems: dict[str, str] = {}
    if data.result not in ("valid", "disqualified"):
        problems["result"] = Msg("评审结果只能是 valid（有效）或 disqualified（无效）")
    reason = (data.reason or "").strip()
    if len(reason) > REASON_MAX:
        problems["reason"] = Msg("原因不能超过 %(n)d 个字", n=REASON_MAX)
    score = None
    if data.result == "disqualified" and not reason:
        problems["reason"] = Msg("判定投标无效须写明原因")
    # A valid bid needs a score; a disqualified one may keep the score it had.
    if data.result == "valid" or data.score not in (None, ""):
        parsed = rules.parse_score(data.score)
        if isinstance(parsed, Msg):
            problems["score"] = parsed
        else:
            score = parsed
    if problems:
        raise DomainError(problems)
    if data.result == "valid":
        draft = _draft_from(bid, BidInput(), bid.lead_organization_id)
        checked = _check(tender, draft, except_bid_id=bid.id, submitting=True)
        if not checked.ok:
            raise Conflict(
                _problems(checked.violations),
                message=Msg(
                    "该投标现已不符合资格要求，不能评为有效：%(reason)s", reason=checked.violations[0][1]
                ),
            )
    action = BidAction.QUALIFY if data.result == "valid" else BidAction.DISQUALIFY
    _move_bid(bid, action, Actor.STAFF)
    assert actor is not None
    bid.qualified = data.result == "valid"
    bid.score = score
    bid.evaluation_reason = reason
    bid.evaluated_by_id = actor.id
    bid.evaluated_at = now
    db.session.flush()
    audit_event(bid, "bid_evaluated", actor, result=data.result, score=score, reason=reason)
    _notify(
        _org_members([bid.lead_organization_id]),
        Msg("投标评审结果：%(title)s", title=tender.title),
        Msg(
            "投标 #%(bid)d 被评为「%(status)s」。%(reason)s",
            bid=bid.id,
            status=bid.status_label,
            reason=reason,
        ),
        f"/bids/{bid.id}",
    )
    return bid


@dataclass
class RankedBid:
    bid: Bid
    position: int
    grade: str | None
    priority: bool
    warnings: list[str] = field(default_factory=list)


def ranking(tender: Tender) -> list[RankedBid]:
    """Qualified bids best first (score, then price, then 3A+ priority, then the earlier bid), each
    with its effective grade (a consortium at its lowest member's) and review flags."""
    deadline_day = to_local(tender.submission_deadline).date()
    qualified = [
        bid
        for bid in tender.bids
        if bid.qualified and bid.status in (BidStatus.VALID, BidStatus.AWARDED, BidStatus.UNSUCCESSFUL)
    ]
    grades = {
        bid.id: rules.consortium_grade([org_facts(item.organization) for item in bid.members], deadline_day)
        for bid in qualified
    }
    ordered = rules.rank(rules.Ranked(bid.id, bid.score or 0, bid.price, grades[bid.id]) for bid in qualified)
    by_id = {bid.id: bid for bid in qualified}
    flags = review_flags(tender)
    return [
        RankedBid(
            bid=by_id[item.bid_id],
            position=position,
            grade=item.grade,
            priority=item.priority,
            warnings=flags.get(item.bid_id, []),
        )
        for position, item in enumerate(ordered, start=1)
    ]


def next_in_line(tender: Tender) -> Bid | None:
    """The best-ranked qualified bid that has not had the award (a winner who declined is skipped)."""
    had_it = {award.bid_id for award in tender.awards}
    return next((item.bid for item in ranking(tender) if item.bid.id not in had_it), None)


def review_flags(tender: Tender) -> dict[int, list[str]]:
    """What staff should look at before the award: bids sharing a legal representative (实施条例 第18条)
    and, under a priority-only grade rule, members below the stated minimum grade."""
    published = [
        bid for bid in tender.bids if bid.submitted_at is not None and bid.status != BidStatus.WITHDRAWN
    ]
    flags: dict[int, list[str]] = {}
    pairs = rules.shared_representatives(
        {bid.id: [org_facts(item.organization) for item in bid.members] for bid in published}
    )
    for first, second, name in pairs:
        flags.setdefault(first, []).append(
            str(Msg("与投标 #%(other)d 的法定代表人同为%(name)s，请复核", other=second, name=name))
        )
        flags.setdefault(second, []).append(
            str(Msg("与投标 #%(other)d 的法定代表人同为%(name)s，请复核", other=first, name=name))
        )
    for bid in published:
        draft = _draft_from(bid, BidInput(), bid.lead_organization_id)
        for _path, reason in rules.check_bid(draft, tender.terms, _facts_for(draft)).warnings:
            flags.setdefault(bid.id, []).append(str(reason))
    return flags


# ─────────────────────────────── award ───────────────────────────────


def award(tender: Tender, actor: User | None, *, bid_id: object, now: datetime | None = None) -> TenderAward:
    """Staff record the award to the best-ranked qualified bid: the bid and every member become the
    award's suppliers, other qualified bids are unsuccessful, and a service contract is proposed for
    signature by the buyer and every supplier organization."""
    now = now or utcnow()
    _require_staff(actor, Msg("只有团区委工作人员可以记录成交结果"))
    _lock(Tender, tender.id)
    _require_evaluating(tender, now)
    bid = _tender_bid(tender, bid_id)
    pending = [item for item in tender.bids if item.status == BidStatus.SUBMITTED]
    if pending:
        raise Conflict.on(
            "bid_id",
            Msg("还有 %(n)d 份投标尚未评审，请先完成评审", n=len(pending)),
        )
    return _award_to(tender, bid, actor, now)


def _award_to(tender: Tender, bid: Bid, actor: User | None, now: datetime) -> TenderAward:
    if not bid.qualified or bid.status not in (BidStatus.VALID, BidStatus.UNSUCCESSFUL):
        raise Conflict.on(
            "bid_id", Msg("只有评审有效的投标可以成交（该投标为「%(status)s」）", status=bid.status_label)
        )
    if any(item.bid_id == bid.id for item in tender.awards):
        raise Conflict.on("bid_id", Msg("投标 #%(id)d 已获授予并放弃签约，不能再次授予", id=bid.id))
    first = next_in_line(tender)
    if first is not None and first.id != bid.id:
        raise Conflict.on(
            "bid_id",
            Msg("按评审排名应授予排名第一的投标 #%(first)d", first=first.id),
        )
    # Award active only when eligible and qualified: an organization may have lost its verification
    # or its grade since the evaluation.
    checked = _check(
        tender, _draft_from(bid, BidInput(), bid.lead_organization_id), except_bid_id=bid.id, submitting=True
    )
    if not checked.ok:
        raise Conflict(
            _problems(checked.violations),
            message=Msg("该投标现已不符合资格要求，不能成交：%(reason)s", reason=checked.violations[0][1]),
        )
    _move_bid(bid, BidAction.AWARD, Actor.SYSTEM)
    for other in tender.bids:
        if other.id != bid.id and other.status == BidStatus.VALID:
            _move_bid(other, BidAction.LOSE, Actor.SYSTEM)
    _move_tender(tender, TenderAction.AWARD)
    record = TenderAward(
        tender_id=tender.id,
        bid_id=bid.id,
        status="pending",
        value=bid.price,
        decided_by_id=actor.id if actor else None,
        decided_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        raise Conflict.on("bid_id", Msg("该采购项目已有待签约的成交结果")) from None
    contract = agreements.create_service_contract(actor, _contract_input(tender, bid, now))
    record.agreement_id = contract.id
    db.session.flush()
    audit_event(
        tender,
        "awarded",
        actor,
        award_id=record.id,
        bid_id=bid.id,
        value=bid.price,
        supplier_ids=[item.organization_id for item in bid.members],
        agreement_id=contract.id,
    )
    _notify(
        _org_members([item.organization_id for item in bid.members]),
        Msg("中标通知：%(title)s", title=tender.title),
        Msg(
            "投标 #%(bid)d 中标，成交金额 %(price)s。请在 %(days)d 日内签署采购合同。",
            bid=bid.id,
            price=format_fen(bid.price),
            days=rules.CONTRACT_SIGNING_DAYS,
        ),
        f"/agreements/{contract.id}",
    )
    losers = [item for item in tender.bids if item.status == BidStatus.UNSUCCESSFUL and item.id != bid.id]
    _notify(
        _org_members(sorted({member.organization_id for item in losers for member in item.members})),
        Msg("采购结果：%(title)s", title=tender.title),
        Msg("本次采购已确定成交供应商，感谢参与。"),
        f"/tenders/{tender.id}",
    )
    return record


def _contract_input(tender: Tender, bid: Bid, now: datetime) -> agreements.ServiceContractInput:
    starts = tender.contract_starts_on or (now.date() + timedelta(days=rules.CONTRACT_SIGNING_DAYS))
    ends = tender.contract_ends_on if tender.contract_ends_on and tender.contract_ends_on > starts else None
    ends = ends or date(starts.year + 1, starts.month, min(starts.day, 28)) - timedelta(days=1)
    members = bid.members
    division = tuple(
        str(
            Msg(
                "%(role)s %(org)s：承担%(scope)s，份额 %(share)s%%",
                role=item.role_label,
                org=item.organization.name,
                scope=item.scope or str(Msg("全部服务内容")),
                share=item.share_label,
            )
        )
        for item in members
    )
    subcontracts = tuple(
        str(
            Msg(
                "分包：%(org)s 承担%(scope)s（非主体、非关键性工作），"
                "占合同金额 %(share)s%%，经采购人同意后生效",
                org=item.organization.name,
                scope=item.scope,
                share=item.share_label,
            )
        )
        for item in bid.subcontractors
    )
    extra = (
        str(Msg("合同金额：%(price)s（人民币，含税）", price=format_fen(bid.price))),
        str(Msg("采购方式：%(method)s；采购项目编号：%(id)d", method=tender.method_label, id=tender.id)),
        *division,
        *subcontracts,
    )
    if len(members) > 1:
        extra = (*extra, str(Msg("联合体各方就合同履行向采购人承担连带责任（政府采购法第二十四条）。")))
    terms = Terms(
        scope=tender.description[:5000],
        obligations_company=str(Msg("采购人按合同约定支付服务费用，并配合供应商开展服务。")),
        obligations_organization=str(
            Msg("供应商按投标方案和合同约定提供服务，接受采购人和团区委的监督考核。")
        ),
        dispute=str(Msg("争议由双方协商解决；协商不成的，向采购人所在地人民法院提起诉讼。")),
        extra=extra[:20],
    )
    return agreements.ServiceContractInput(
        title=str(Msg("%(title)s 政府购买服务合同", title=tender.title))[:100],
        buyer_name=tender.buyer.name,
        organization_ids=[item.organization_id for item in members],
        starts_on=starts,
        ends_on=ends,
        terms=terms,
    )


def decline_award(
    tender: Tender, actor: User | None, *, reason: str, now: datetime | None = None
) -> TenderAward | None:
    """The winner refuses to sign: the award is declined, its contract cancelled, and the next-ranked
    qualified bid gets the award; with none left the tender is unsuccessful. Returns the new award."""
    now = now or utcnow()
    _require_staff(actor, Msg("只有团区委工作人员可以记录中标人放弃签约"))
    _lock(Tender, tender.id)
    reason = _required_reason(reason, Msg("请填写中标人放弃签约的原因"))
    current = tender.current_award
    if current is None or tender.status != TenderStatus.AWARDED:
        raise Conflict.on("award", Msg("该采购项目没有待签约的成交结果"))
    if current.contract_signed:
        raise Conflict.on("award", Msg("采购合同已签署生效，不能再放弃"))
    contract = current.agreement
    if contract is not None and contract.status in (
        AgreementStatus.PENDING_SIGNATURE,
        AgreementStatus.NEGOTIATING,
    ):
        agreements.cancel(contract, actor, reason=str(Msg("中标人放弃签约：%(reason)s", reason=reason)))
    current.status = "declined"
    current.declined_at = now
    current.decline_reason = reason
    _move_bid(current.bid, BidAction.REVOKE_AWARD, Actor.SYSTEM)
    _move_tender(tender, TenderAction.REOPEN_AWARD)
    db.session.flush()
    audit_event(tender, "award_declined", actor, award_id=current.id, bid_id=current.bid_id, reason=reason)
    following = next_in_line(tender)
    if following is not None:
        return _award_to(tender, following, actor, now)
    _move_tender(tender, TenderAction.FAIL)
    tender.ended_at = now
    tender.end_reason = str(Msg("中标人放弃签约且无其他有效投标"))
    db.session.flush()
    audit_event(tender, "unsuccessful", actor, reason=tender.end_reason)
    return None


def declare_unsuccessful(
    tender: Tender, actor: User | None, *, reason: str, now: datetime | None = None
) -> Tender:
    """Staff end an evaluated tender without award (no qualified bid, or too few)."""
    now = now or utcnow()
    _require_staff(actor, Msg("只有团区委工作人员可以宣布流标"))
    _lock(Tender, tender.id)
    _require_evaluating(tender, now)
    reason = _required_reason(reason, Msg("请填写流标原因"))
    _move_tender(tender, TenderAction.FAIL)
    tender.ended_at = now
    tender.end_reason = reason
    for bid in tender.bids:
        if bid.status == BidStatus.VALID:
            _move_bid(bid, BidAction.LOSE, Actor.SYSTEM)
    db.session.flush()
    audit_event(tender, "unsuccessful", actor, reason=reason)
    return tender


# ─────────────────────────────── subcontracts ───────────────────────────────


def _subcontract(bid: Bid, participant_id: object) -> BidParticipant:
    identifier = as_id(participant_id)
    row = next((item for item in bid.subcontractors if item.id == identifier), None)
    if row is None:
        raise NotFound.on("subcontract_id", Msg("找不到该分包"))
    return row


def record_subcontract_consent(
    bid: Bid, actor: User | None, *, subcontract_id: object, consented: object, note: str = ""
) -> BidParticipant:
    """Staff record the buyer's decision on a declared subcontract (政府采购法 第48条)."""
    _require_staff(actor, Msg("只有团区委工作人员可以登记采购人对分包的意见"))
    _lock(Bid, bid.id)
    row = _subcontract(bid, subcontract_id)
    if not isinstance(consented, bool):
        raise DomainError.on("consented", Msg("请说明采购人是否同意该分包（是/否）"))
    note = (note or "").strip()
    if not note:
        raise DomainError.on("note", Msg("请填写采购人意见的依据（如复函文号）"))
    if bid.status not in (BidStatus.SUBMITTED, BidStatus.VALID, BidStatus.AWARDED):
        raise Conflict.on(
            "bid", Msg("投标当前状态为「%(status)s」，无需登记分包意见", status=bid.status_label)
        )
    if row.activated_at is not None:
        raise Conflict.on("subcontract_id", Msg("该分包已生效，不能更改采购人意见"))
    assert actor is not None
    row.consent_status = "consented" if consented else "refused"
    row.consent_note = note[:500]
    row.consent_recorded_by_id = actor.id
    row.consent_recorded_at = utcnow()
    db.session.flush()
    audit_event(
        bid, "subcontract_consent", actor, subcontract_id=row.id, consented=consented, note=row.consent_note
    )
    return row


def activate_subcontract(bid: Bid, actor: User | None, *, subcontract_id: object) -> BidParticipant:
    """A subcontract becomes active only under the awarded bid and with the buyer's consent (V7)."""
    _require_staff(actor, Msg("只有团区委工作人员可以登记分包生效"))
    _lock(Bid, bid.id)
    row = _subcontract(bid, subcontract_id)
    refusal = rules.subcontract_can_activate(
        bid_awarded=bid.status == BidStatus.AWARDED, buyer_consented=row.consent_status == "consented"
    )
    if refusal is not None:
        raise Conflict.on("subcontract_id", refusal)
    if row.activated_at is None:
        row.activated_at = utcnow()
        db.session.flush()
        audit_event(bid, "subcontract_active", actor, subcontract_id=row.id)
    return row


# ─────────────────────────────── to-do lists (dashboards) ───────────────────────────────


def awaiting_my_confirmation(user: User) -> list[Bid]:
    """Bids of open tenders that name the user's organization and wait for its confirmation."""
    if user.organization_id is None or user.role != Role.ORG:
        return []
    rows = db.session.scalars(
        select(Bid)
        .join(BidParticipant, BidParticipant.bid_id == Bid.id)
        .join(Tender, Tender.id == Bid.tender_id)
        .where(
            BidParticipant.organization_id == user.organization_id,
            Bid.lead_organization_id != user.organization_id,
            Bid.status.in_([status.value for status in EDITABLE_BID]),
            Tender.status == TenderStatus.OPEN,
            Tender.submission_deadline > utcnow(),
        )
        .order_by(Tender.submission_deadline, Bid.id)
    ).unique()
    return [
        bid for bid in rows if any(item.organization_id == user.organization_id for item in unconfirmed(bid))
    ]


@dataclass
class StaffTenderTasks:
    to_evaluate: list[Tender]  # past the deadline with bids not yet evaluated
    awaiting_contract: list[TenderAward]  # awarded, contract not yet signed by everyone
    awaiting_consent: list[BidParticipant]  # subcontracts of awarded bids without the buyer's decision

    @property
    def total(self) -> int:
        return len(self.to_evaluate) + len(self.awaiting_contract) + len(self.awaiting_consent)


def staff_tender_tasks(now: datetime | None = None) -> StaffTenderTasks:
    now = now or utcnow()
    due = db.session.scalars(
        select(Tender)
        .where(
            (Tender.status == TenderStatus.EVALUATING)
            | ((Tender.status == TenderStatus.OPEN) & (Tender.submission_deadline <= now))
        )
        .order_by(Tender.submission_deadline)
    ).all()
    to_evaluate = [
        tender
        for tender in due
        if tender.status == TenderStatus.OPEN or any(bid.status == BidStatus.SUBMITTED for bid in tender.bids)
    ]
    pending = db.session.scalars(
        select(TenderAward).where(TenderAward.status == "pending").order_by(TenderAward.decided_at)
    ).all()
    awaiting_contract = [award for award in pending if not award.contract_signed]
    awaiting_consent = list(
        db.session.scalars(
            select(BidParticipant)
            .join(Bid, Bid.id == BidParticipant.bid_id)
            .where(
                Bid.status == BidStatus.AWARDED,
                BidParticipant.kind == "subcontractor",
                BidParticipant.consent_status == "none",
            )
            .order_by(BidParticipant.id)
        )
    )
    return StaffTenderTasks(to_evaluate, awaiting_contract, awaiting_consent)
