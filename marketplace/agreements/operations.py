"""Partnership agreements: the use cases behind the pages, the API and the jobs.

Operations check who may act, change state through the pure tables in ``states.py``, write an audit
event for every change (actor, the party acted for, IP, payload; hash-chained) and ``flush``; the
caller commits once. Versions are checked and hashed by the pure ``terms.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.agreements import terms as rules
from marketplace.agreements.models import (
    Agreement,
    AgreementComment,
    AgreementParty,
    AgreementReminder,
    AgreementSignature,
    AgreementVersion,
)
from marketplace.agreements.states import (
    ACTION_LABELS,
    LIVE,
    OPEN_FOR_TERMS,
    REASON_REQUIRED,
    REQUESTED_ACTIONS,
    VERSION_STATUS_LABELS,
    AgreementAction,
    AgreementStatus,
    AgreementType,
    VersionStatus,
    next_status,
)
from marketplace.agreements.terms import Funding, PartyLine, Period, Terms, Tranche
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.matching.models import Introduction
from marketplace.matching.operations import convert_introductions
from marketplace.messages import Msg
from marketplace.parties.models import Company, Organization
from marketplace.pledges.models import Pledge
from marketplace.pledges.operations import (
    ScheduledPledge,
    close_pending,
    organization_receiving_entity,
    schedule_pledge,
)
from marketplace.pledges.states import MONEY_HELD, PledgeStatus
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStatus
from marketplace.timeutil import local_today, utcnow

TITLE_MAX = 100
REASON_MAX = 1000
COMMENT_MAX = 2000
SIGNER_TITLE_MAX = 50
USER_AGENT_MAX = 300
# Projects an agreement may fund: ones the public has seen (not drafts, not cancelled).
FUNDABLE_PROJECT_STATUSES = (
    ProjectStatus.PUBLISHED,
    ProjectStatus.FUNDED,
    ProjectStatus.CLOSED,
)


# ─────────────────────────────── who may do what ───────────────────────────────


def party_of(agreement: Agreement, user: User | None) -> AgreementParty | None:
    """The agreement's party ``user`` is a member of (staff belong to none)."""
    if user is None or user.is_staff:
        return None
    for party in agreement.parties:
        if party.company_id is not None and party.company_id == user.company_id:
            return party
        if party.organization_id is not None and party.organization_id == user.organization_id:
            return party
    return None


def can_view(agreement: Agreement, user: User | None) -> bool:
    return user is not None and (user.is_staff or party_of(agreement, user) is not None)


def require_viewer(agreement: Agreement, user: User | None) -> None:
    if not can_view(agreement, user):
        raise Forbidden.on("agreement", Msg("只有协议各方和团区委工作人员可以查看该协议"))


def can_sign(party: AgreementParty, user: User | None) -> bool:
    """An active member of the party, and its authorised signer when one is named."""
    if user is None or user.is_staff or not user.active or not party.signatory:
        return False
    member = (party.company_id is not None and user.company_id == party.company_id) or (
        party.organization_id is not None and user.organization_id == party.organization_id
    )
    return member and (party.signer_id is None or party.signer_id == user.id)


def _require_participant(agreement: Agreement, user: User | None, reason: Msg) -> None:
    if user is None or not (user.is_staff or party_of(agreement, user) is not None):
        raise Forbidden.on("agreement", reason)


def _acting_for(agreement: Agreement, user: User | None) -> str:
    """How the thread and the document name the side a user spoke for."""
    if user is None:
        return ""
    if user.is_staff:
        return str(Msg("团区委（见证方）"))
    party = party_of(agreement, user)
    return party.display_name if party is not None else ""


def _request_details() -> tuple[str | None, str | None]:
    from flask import has_request_context, request

    if not has_request_context():
        return None, None
    return request.remote_addr, (request.user_agent.string or "")[:USER_AGENT_MAX]


def _audit(agreement: Agreement, action: str, actor: User | None, **payload: Any) -> None:
    audit.record_by(actor, f"agreement.{action}", subject=agreement, payload=payload)


def _lock(agreement: Agreement) -> None:
    """Serialise changes to one agreement and re-read it: two parties signing at the same moment
    must not each see only their own signature (and so never activate), nor both activate.

    The UPDATE takes the row lock on PostgreSQL and the database write lock on SQLite, held until
    commit; everything loaded before it is expired so that the checks that follow read what the
    previous holder committed. Call it before changing anything (expiring drops unflushed changes).
    """
    db.session.flush()
    db.session.execute(
        update(Agreement)
        .where(Agreement.id == agreement.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def _move(agreement: Agreement, action: AgreementAction) -> AgreementStatus:
    """Apply ``action`` through the transition table, or refuse it (409) naming the current state."""
    source = AgreementStatus(agreement.status)
    target = next_status(source, action)
    if target is None:
        raise Conflict.on(
            "action",
            Msg(
                "协议当前状态为「%(status)s」，不能执行「%(action)s」",
                status=agreement.status_label,
                action=_action_label(action),
            ),
        )
    agreement.status = target.value
    agreement.updated_at = utcnow()
    return target


def _action_label(action: AgreementAction) -> Msg:
    return ACTION_LABELS[action]


# ─────────────────────────────── notifications ───────────────────────────────


def _members(party: AgreementParty) -> list[User]:
    if party.company_id is not None:
        condition = User.company_id == party.company_id
    elif party.organization_id is not None:
        condition = User.organization_id == party.organization_id
    else:
        return []
    return list(db.session.scalars(select(User).where(condition, User.active.is_(True)).order_by(User.id)))


def _signers(party: AgreementParty) -> list[User]:
    """Who can sign for the party: its authorised signer, or every member when none is named."""
    return [user for user in _members(party) if can_sign(party, user)]


def _notify(users: Sequence[User], agreement: Agreement, title: Msg, body: Msg) -> int:
    from marketplace.notifications.operations import notify

    return notify(users, kind="agreement", title=title, body=body, link=f"/agreements/{agreement.id}")


def _everyone(agreement: Agreement, *, except_user: User | None = None) -> list[User]:
    people: list[User] = []
    for party in agreement.parties:
        people.extend(_members(party))
    if agreement.broker is not None:
        people.append(agreement.broker)
    return [user for user in people if except_user is None or user.id != except_user.id]


# ─────────────────────────────── creating an agreement ───────────────────────────────


@dataclass
class AgreementInput:
    title: str = ""
    company_id: int | None = None
    organization_id: int | None = None
    project_ids: list[int] = field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    auto_renew: bool = False
    renewal_notice_days: int = rules.NOTICE_DEFAULT
    introduction_id: int | None = None


def _check_period_input(
    starts_on: date | None, ends_on: date | None, notice: int, auto_renew: bool
) -> Period:
    problems: dict[str, str] = {}
    if starts_on is None:
        problems["starts_on"] = Msg("请填写开始日期（YYYY-MM-DD）")
    if ends_on is None:
        problems["ends_on"] = Msg("请填写结束日期（YYYY-MM-DD）")
    if problems:
        raise DomainError(problems)
    assert starts_on is not None and ends_on is not None
    period = Period(starts_on, ends_on, bool(auto_renew), notice)
    problems.update(rules.check_period(period))
    if problems:
        raise DomainError(problems)
    return period


def _linked_projects(project_ids: Sequence[int], organization: Organization | None) -> list[Project]:
    if len(set(project_ids)) != len(project_ids):
        raise DomainError.on("project_ids", Msg("关联项目有重复"))
    projects = []
    for project_id in project_ids:
        project = db.session.get(Project, project_id)
        if project is None:
            raise DomainError.on("project_ids", Msg("找不到项目 #%(id)d", id=project_id))
        if organization is not None and project.organization_id != organization.id:
            raise DomainError.on(
                "project_ids",
                Msg("项目「%(title)s」不属于 %(org)s", title=project.title, org=organization.name),
            )
        if project.status not in FUNDABLE_PROJECT_STATUSES:
            raise DomainError.on(
                "project_ids",
                Msg(
                    "项目「%(title)s」当前状态为「%(status)s」，不能纳入协议",
                    title=project.title,
                    status=project.status_label,
                ),
            )
        projects.append(project)
    return projects


def create_agreement(actor: User | None, data: AgreementInput) -> Agreement:
    """Staff broker an agreement (and witness it), or a member of either party proposes one."""
    if actor is None or not (actor.is_staff or actor.role in (Role.COMPANY, Role.ORG)):
        raise Forbidden.on("agreement", Msg("只有团区委工作人员或协议一方的成员可以发起协议"))
    # A member may only start an agreement its own party is in: said before any other problem, so an
    # outsider learns nothing from the validation messages.
    named = (data.company_id, data.organization_id) != (None, None)
    if (
        not actor.is_staff
        and named
        and not (
            (data.company_id is not None and actor.company_id == data.company_id)
            or (data.organization_id is not None and actor.organization_id == data.organization_id)
        )
    ):
        raise Forbidden.on("agreement", Msg("只能为本单位发起协议"))
    problems: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        problems["title"] = Msg("请填写协议名称")
    elif len(title) > TITLE_MAX:
        problems["title"] = Msg("协议名称不能超过 %(n)d 个字", n=TITLE_MAX)
    company = db.session.get(Company, data.company_id) if data.company_id is not None else None
    organization = (
        db.session.get(Organization, data.organization_id) if data.organization_id is not None else None
    )
    if company is None:
        problems["company_id"] = Msg("请选择签约企业")
    elif not company.is_verified:
        problems["company_id"] = Msg("「%(name)s」尚未通过认证，不能签约", name=company.name)
    if organization is None:
        problems["organization_id"] = Msg("请选择签约社会组织")
    elif not organization.is_verified:
        problems["organization_id"] = Msg("「%(name)s」尚未通过认证，不能签约", name=organization.name)
    elif organization.is_league_body:
        problems["organization_id"] = Msg("团区委所属机构是见证方，不能作为签约方")
    try:
        period = _check_period_input(data.starts_on, data.ends_on, data.renewal_notice_days, data.auto_renew)
    except DomainError as error:
        problems.update(error.fields)
        period = None
    try:
        projects = _linked_projects(data.project_ids, organization)
    except DomainError as error:
        problems.update(error.fields)
        projects = []
    introduction = None
    if data.introduction_id is not None:
        introduction = db.session.get(Introduction, data.introduction_id)
        if introduction is None or (
            company is not None
            and organization is not None
            and (introduction.company_id != company.id or introduction.organization_id != organization.id)
        ):
            problems["introduction_id"] = Msg("该牵线介绍与所选企业和社会组织不符")
    if problems:
        raise DomainError(problems)
    assert company is not None and organization is not None and period is not None
    agreement = Agreement(
        type=AgreementType.STRATEGIC_COOPERATION.value,
        title=title,
        status=AgreementStatus.DRAFT.value,
        company_id=company.id,
        organization_id=organization.id,
        broker_id=actor.id if actor.is_staff else None,
        introduction_id=introduction.id if introduction is not None else None,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        auto_renew=period.auto_renew,
        renewal_notice_days=period.renewal_notice_days,
        created_by_id=actor.id,
    )
    agreement.projects = projects
    agreement.parties = [
        AgreementParty(role="company", company_id=company.id, position=0),
        AgreementParty(role="organization", organization_id=organization.id, position=1),
    ]
    db.session.add(agreement)
    db.session.flush()
    _audit(
        agreement,
        "created",
        actor,
        title=title,
        company_id=company.id,
        organization_id=organization.id,
        project_ids=[project.id for project in projects],
        period=period.as_json(),
        introduction_id=agreement.introduction_id,
    )
    _notify(
        _everyone(agreement, except_user=actor),
        agreement,
        Msg("新的合作协议：%(title)s", title=title),
        Msg(
            "%(who)s 发起了 %(company)s 与 %(org)s 的合作协议，请查看并参与条款协商。",
            who=_acting_for(agreement, actor),
            company=company.name,
            org=organization.name,
        ),
    )
    return agreement


@dataclass
class ServiceContractInput:
    """The contract of an awarded service purchase: the buyer and every supplier organization (the
    lead alone, or each consortium member: members sign jointly, 政府采购法 第24条)."""

    title: str
    buyer_name: str
    organization_ids: Sequence[int]
    starts_on: date
    ends_on: date
    terms: Terms


def create_service_contract(actor: User | None, data: ServiceContractInput) -> Agreement:
    """Staff draw up and propose the contract of an award: signed by the buyer (recorded by staff)
    and by every supplier organization itself; the staff member is the witness."""
    if actor is None or not actor.is_staff:
        raise Forbidden.on("agreement", Msg("只有团区委工作人员可以发起采购合同"))
    period = _check_period_input(data.starts_on, data.ends_on, rules.NOTICE_DEFAULT, False)
    consortium = len(data.organization_ids) > 1
    agreement = Agreement(
        type=AgreementType.SERVICE_CONTRACT.value,
        title=data.title[:TITLE_MAX],
        status=AgreementStatus.DRAFT.value,
        organization_id=data.organization_ids[0],
        broker_id=actor.id,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        auto_renew=False,
        renewal_notice_days=period.renewal_notice_days,
        created_by_id=actor.id,
    )
    agreement.parties = [AgreementParty(role="buyer", name=data.buyer_name, position=0)] + [
        AgreementParty(
            role="member" if consortium else "organization",
            organization_id=organization_id,
            position=position,
        )
        for position, organization_id in enumerate(data.organization_ids, start=1)
    ]
    db.session.add(agreement)
    db.session.flush()
    _audit(
        agreement,
        "created",
        actor,
        title=agreement.title,
        type=agreement.type,
        buyer=data.buyer_name,
        organization_ids=list(data.organization_ids),
        period=period.as_json(),
    )
    version = add_version(agreement, actor, VersionInput(terms=data.terms))
    propose(agreement, actor, version_id=version.id)
    return agreement


def take_over_as_broker(agreement: Agreement, staff: User | None) -> Agreement:
    """A staff member becomes the broker (witness) of an agreement a party started."""
    if staff is None or not staff.is_staff:
        raise Forbidden.on("broker", Msg("只有团区委工作人员可以担任见证方"))
    if agreement.status not in LIVE:
        raise Conflict.on("broker", Msg("协议已结束，不能更换见证方"))
    if agreement.broker_id == staff.id:
        return agreement
    previous = agreement.broker_id
    agreement.broker_id = staff.id
    db.session.flush()
    _audit(agreement, "broker_set", staff, previous_broker_id=previous, broker_id=staff.id)
    return agreement


def set_signer(
    agreement: Agreement, party: AgreementParty, actor: User | None, *, signer_id: int | None, title: str = ""
) -> AgreementParty:
    """Name the member authorised to sign for a party (None: any member may sign)."""
    if party.agreement_id != agreement.id:
        raise NotFound.on("party", Msg("找不到该签约方"))
    if not party.signatory:
        raise Conflict.on("signer_id", Msg("%(party)s不是签约方，无需指定签署人", party=party.display_name))
    if actor is None or not (actor.is_staff or party_of(agreement, actor) is party):
        raise Forbidden.on("signer_id", Msg("只有该签约方的成员或团区委工作人员可以指定授权签署人"))
    if agreement.status not in LIVE:
        raise Conflict.on("signer_id", Msg("协议已结束，不能更换签署人"))
    title = (title or "").strip()
    if len(title) > SIGNER_TITLE_MAX:
        raise DomainError.on("signer_title", Msg("职务不能超过 %(n)d 个字", n=SIGNER_TITLE_MAX))
    if signer_id is not None:
        signer = db.session.get(User, signer_id)
        if signer is None or not signer.active or signer not in _members(party):
            raise DomainError.on(
                "signer_id", Msg("授权签署人必须是%(party)s的在用成员账号", party=party.display_name)
            )
    party.signer_id = signer_id
    party.signer_title = title
    db.session.flush()
    _audit(agreement, "signer_set", actor, party_id=party.id, signer_id=signer_id, signer_title=title)
    return party


# ─────────────────────────────── versions ───────────────────────────────


@dataclass
class VersionInput:
    terms: Terms = field(default_factory=Terms)
    committed_amount: int | None = None
    tranches: tuple[Tranche, ...] = ()
    # None: keep the agreement's (or the current version's) period.
    starts_on: date | None = None
    ends_on: date | None = None
    auto_renew: bool | None = None
    renewal_notice_days: int | None = None


def _base_period(agreement: Agreement) -> Period:
    """The term a new version starts from: the agreement's own dates, which follow the version in
    force and any automatic renewal since."""
    return agreement.period


def _period_for(agreement: Agreement, data: VersionInput) -> Period:
    base = _base_period(agreement)
    return _check_period_input(
        data.starts_on or base.starts_on,
        data.ends_on or base.ends_on,
        base.renewal_notice_days if data.renewal_notice_days is None else data.renewal_notice_days,
        base.auto_renew if data.auto_renew is None else data.auto_renew,
    )


def _checked(agreement: Agreement, data: VersionInput) -> tuple[Period, Funding]:
    problems: dict[str, str] = {}
    try:
        period = _period_for(agreement, data)
    except DomainError as error:
        problems.update(error.fields)
        period = _base_period(agreement)
    funding = Funding(data.committed_amount, tuple(data.tranches))
    problems.update(rules.check_terms(data.terms))
    if "ends_on" not in problems and "starts_on" not in problems:
        problems.update(rules.check_funding(funding, period, project_ids=agreement.project_ids))
    if problems:
        raise DomainError(problems)
    return period, funding


def _document(agreement: Agreement, version: AgreementVersion) -> dict[str, Any]:
    return rules.document(
        rules.Document(
            agreement_type=agreement.type,
            title=agreement.title,
            version_no=version.version_no,
            parties=tuple(
                PartyLine(party.role, party.display_name, party.uscc, party.signatory)
                for party in agreement.parties
            ),
            broker=str(Msg("共青团温州市鹿城区委员会"))
            + (f"（{agreement.broker.name}）" if agreement.broker else ""),
            period=version.period,
            terms=version.terms_value,
            funding=version.funding,
            projects=tuple((project.id, project.title) for project in agreement.projects),
        )
    )


def _seal(agreement: Agreement, version: AgreementVersion) -> None:
    """Recompute the canonical document and its hash (while the version is a draft)."""
    version.content = _document(agreement, version)
    version.content_sha256 = rules.content_sha256(version.content)


def _apply(version: AgreementVersion, period: Period, funding: Funding, terms: Terms) -> None:
    version.starts_on = period.starts_on
    version.ends_on = period.ends_on
    version.auto_renew = period.auto_renew
    version.renewal_notice_days = period.renewal_notice_days
    version.terms = terms.as_json()
    version.committed_amount = funding.committed_amount
    version.tranches = [tranche.as_json() for tranche in rules.sorted_tranches(funding.tranches)]


def add_version(agreement: Agreement, actor: User | None, data: VersionInput) -> AgreementVersion:
    """Draft new terms: the first version, a new round after changes were requested, or (while the
    agreement is active) an amendment or renewal."""
    _require_participant(agreement, actor, Msg("只有协议各方和团区委工作人员可以起草条款"))
    _lock(agreement)
    if AgreementStatus(agreement.status) not in OPEN_FOR_TERMS:
        raise Conflict.on(
            "agreement", Msg("协议当前状态为「%(status)s」，不能起草新版本", status=agreement.status_label)
        )
    if agreement.pending_version is not None:
        raise Conflict.on(
            "version",
            Msg("第 %(no)d 版尚在草拟或待签署，请先完成或撤回它", no=agreement.pending_version.version_no),
        )
    period, funding = _checked(agreement, data)
    was_active = agreement.status == AgreementStatus.ACTIVE
    _move(agreement, AgreementAction.DRAFT_TERMS)
    kind = "original"
    if was_active:
        kind = "renewal" if period.ends_on > _base_period(agreement).ends_on else "amendment"
    number = (
        db.session.scalar(
            select(func.max(AgreementVersion.version_no)).where(AgreementVersion.agreement_id == agreement.id)
        )
        or 0
    ) + 1
    version = AgreementVersion(
        agreement_id=agreement.id,
        version_no=number,
        status=VersionStatus.DRAFT.value,
        kind=kind,
        created_by_id=actor.id if actor else None,
    )
    _apply(version, period, funding, data.terms)
    _seal(agreement, version)
    try:
        with db.session.begin_nested():
            db.session.add(version)
            db.session.flush()
    except IntegrityError:
        raise Conflict.on("version", Msg("已有一个版本在草拟或待签署中，请刷新后查看")) from None
    db.session.refresh(agreement)
    _audit(
        agreement,
        "version_created",
        actor,
        version_id=version.id,
        version_no=number,
        kind=kind,
        content_sha256=version.content_sha256,
    )
    return version


def version_of(agreement: Agreement, version_id: int | None) -> AgreementVersion:
    version = db.session.get(AgreementVersion, version_id) if version_id is not None else None
    if version is None or version.agreement_id != agreement.id:
        raise NotFound.on("version_id", Msg("找不到该协议版本"))
    return version


def update_version(version: AgreementVersion, actor: User | None, data: VersionInput) -> AgreementVersion:
    agreement = version.agreement
    _require_participant(agreement, actor, Msg("只有协议各方和团区委工作人员可以修改条款"))
    _lock(agreement)
    if not version.is_editable:
        raise Conflict.on(
            "terms",
            Msg(
                "第 %(no)d 版当前为「%(status)s」，条款不可再改；如需修改，请要求修改后起草新版本",
                no=version.version_no,
                status=version.status_label,
            ),
        )
    period, funding = _checked(agreement, data)
    before = version.content_sha256
    _apply(version, period, funding, data.terms)
    version.updated_at = utcnow()
    _seal(agreement, version)
    db.session.flush()
    _audit(
        agreement,
        "version_edited",
        actor,
        version_id=version.id,
        version_no=version.version_no,
        previous_sha256=before,
        content_sha256=version.content_sha256,
    )
    return version


def discard_draft(version: AgreementVersion, actor: User | None) -> AgreementVersion:
    """Withdraw a draft nobody wants to propose (an amendment that was not needed after all)."""
    agreement = version.agreement
    _require_participant(agreement, actor, Msg("只有协议各方和团区委工作人员可以撤回草稿"))
    _lock(agreement)
    if version.status != VersionStatus.DRAFT:
        raise Conflict.on("version", Msg("只有草稿可以撤回；已提交签署的版本请「要求修改」"))
    _close_version(version, VersionStatus.WITHDRAWN, Msg("草稿已撤回"))
    _audit(agreement, "version_discarded", actor, version_id=version.id, version_no=version.version_no)
    return version


def _close_version(version: AgreementVersion, status: VersionStatus, reason: str) -> None:
    version.status = status.value
    version.closed_at = utcnow()
    version.close_reason = str(reason)[:REASON_MAX]
    db.session.flush()


# ─────────────────────────────── transitions ───────────────────────────────


@dataclass(frozen=True)
class TransitionRequest:
    action: str
    version_id: int | None = None
    content_sha256: str | None = None
    reason: str = ""


def transition(agreement: Agreement, actor: User | None, request: TransitionRequest) -> Agreement:
    """The one entry point the API and the pages use for propose / request_changes / sign /
    decline / terminate / cancel."""
    try:
        action = AgreementAction(request.action)
    except ValueError:
        action = None
    if action not in REQUESTED_ACTIONS:
        raise DomainError.on(
            "action", Msg("操作必须是 propose、request_changes、sign、decline、terminate 或 cancel 之一")
        )
    reason = (request.reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise DomainError.on("reason", _reason_prompt(action))
    if len(reason) > REASON_MAX:
        raise DomainError.on("reason", Msg("理由不能超过 %(n)d 个字", n=REASON_MAX))
    if action is AgreementAction.PROPOSE:
        propose(agreement, actor, version_id=request.version_id)
    elif action is AgreementAction.SIGN:
        sign(agreement, actor, version_id=request.version_id, content_sha256=request.content_sha256)
    elif action is AgreementAction.REQUEST_CHANGES:
        request_changes(agreement, actor, version_id=request.version_id, reason=reason)
    elif action is AgreementAction.DECLINE:
        decline(agreement, actor, version_id=request.version_id, reason=reason)
    elif action is AgreementAction.TERMINATE:
        terminate(agreement, actor, reason=reason)
    else:
        cancel(agreement, actor, reason=reason)
    return agreement


def _reason_prompt(action: AgreementAction) -> Msg:
    return {
        AgreementAction.REQUEST_CHANGES: Msg("请说明需要修改的内容"),
        AgreementAction.DECLINE: Msg("请说明拒绝签署的理由"),
        AgreementAction.TERMINATE: Msg("终止协议必须填写理由"),
        AgreementAction.CANCEL: Msg("取消协议必须填写理由"),
    }[action]


def _version_in_play(agreement: Agreement, version_id: int | None, wanted: VersionStatus) -> AgreementVersion:
    """The version an action is about: the one named (checked to be in ``wanted``), or the pending one."""
    if version_id is None:
        version = agreement.pending_version
        if version is None or version.status != wanted:
            raise Conflict.on(
                "version_id",
                Msg("没有%(status)s的版本", status=VERSION_STATUS_LABELS[wanted]),
            )
        return version
    version = version_of(agreement, version_id)
    if version.status != wanted:
        raise Conflict.on(
            "version_id",
            Msg(
                "第 %(no)d 版当前为「%(status)s」，不能执行该操作",
                no=version.version_no,
                status=version.status_label,
            ),
        )
    return version


def propose(agreement: Agreement, actor: User | None, *, version_id: int | None = None) -> AgreementVersion:
    """Freeze a draft version and send it to every signatory party for signature."""
    _require_participant(agreement, actor, Msg("只有协议各方和团区委工作人员可以提交签署"))
    _lock(agreement)
    version = _version_in_play(agreement, version_id, VersionStatus.DRAFT)
    # The draft was checked when saved; a party renamed since is named as it is now.
    period, funding = _checked(
        agreement,
        VersionInput(
            version.terms_value,
            version.committed_amount,
            version.tranche_values,
            version.starts_on,
            version.ends_on,
            version.auto_renew,
            version.renewal_notice_days,
        ),
    )
    del period, funding
    _check_money_can_arrive(agreement, version)
    _move(agreement, AgreementAction.PROPOSE)
    _seal(agreement, version)
    version.status = VersionStatus.PROPOSED.value
    version.proposed_at = utcnow()
    version.proposed_by_id = actor.id if actor else None
    db.session.flush()
    _audit(
        agreement,
        "proposed",
        actor,
        version_id=version.id,
        version_no=version.version_no,
        content_sha256=version.content_sha256,
    )
    for party in agreement.signatory_parties:
        _notify(
            _signers(party),
            agreement,
            Msg("请签署：%(title)s（第 %(no)d 版）", title=agreement.title, no=version.version_no),
            Msg(
                "《%(title)s》第 %(no)d 版已提交签署，请核对条款后签署。版本哈希：%(hash)s",
                title=agreement.title,
                no=version.version_no,
                hash=version.content_sha256[:16],
            ),
        )
    return version


def _check_money_can_arrive(agreement: Agreement, version: AgreementVersion) -> None:
    """Each tranche needs someone to receive it (the organization when qualified, else a partner
    foundation): found out now, not when the last party signs and the pledges are scheduled."""
    if not version.committed_amount or agreement.organization is None:
        return
    projects = {project.id: project for project in agreement.projects}
    for tranche in version.tranche_values:
        project_id = rules.tranche_project(tranche, agreement.project_ids)
        project = projects.get(project_id) if project_id is not None else None
        foundation = project.partner_foundation if project is not None else None
        if organization_receiving_entity(agreement.organization, foundation) is None:
            raise Conflict.on(
                "organization",
                Msg(
                    "%(org)s尚未设置收款机构（无公开募捐资格，也没有合作基金会），资助款无处接收；"
                    "请先联系团区委工作人员设置后再提交签署",
                    org=agreement.organization.name,
                ),
            )


def _signing_party(agreement: Agreement, actor: User | None, verb: Msg) -> AgreementParty:
    if actor is not None and actor.is_staff:
        raise Forbidden.on("signer", Msg("团区委是协议的见证方，不是签约方，不能%(verb)s", verb=verb))
    party = party_of(agreement, actor)
    if party is None or not party.signatory:
        raise Forbidden.on("signer", Msg("只有协议签约方可以%(verb)s", verb=verb))
    if not can_sign(party, actor):
        signer = party.signer.name if party.signer is not None else ""
        raise Forbidden.on(
            "signer",
            Msg(
                "%(party)s的授权签署人是%(signer)s，其他成员不能%(verb)s",
                party=party.display_name,
                signer=signer,
                verb=verb,
            ),
        )
    return party


def _check_signable(version: AgreementVersion) -> None:
    if version.status == VersionStatus.PROPOSED:
        return
    if version.status in (VersionStatus.WITHDRAWN, VersionStatus.SUPERSEDED):
        raise Conflict.on(
            "version_id",
            Msg("第 %(no)d 版%(status)s，不能签署", no=version.version_no, status=version.status_label),
        )
    if version.status == VersionStatus.DRAFT:
        raise Conflict.on("version_id", Msg("第 %(no)d 版还是草稿，请先提交签署", no=version.version_no))
    raise Conflict.on("version_id", Msg("第 %(no)d 版已由各方签署完毕", no=version.version_no))


def sign(
    agreement: Agreement,
    actor: User | None,
    *,
    version_id: int | None,
    content_sha256: str | None,
) -> AgreementSignature:
    """An authorised signer of a party signs one specific version, confirming its hash. The last
    signature of every signatory party makes that version the agreement's terms."""
    party = _signing_party(agreement, actor, Msg("签署"))
    _lock(agreement)
    assert actor is not None
    version = _signable_version(agreement, version_id, content_sha256)
    return _record_signature(agreement, version, party, _decision(version, party, actor, "signed"), actor)


@dataclass
class RecordedSignature:
    """A signature a party without accounts here (the buyer of a service contract) made on paper or
    with its own e-seal, as staff saw it."""

    party_id: int | None = None
    version_id: int | None = None
    content_sha256: str | None = None
    signer_name: str = ""
    signer_title: str = ""
    evidence: str = ""


def record_party_signature(
    agreement: Agreement, actor: User | None, data: RecordedSignature
) -> AgreementSignature:
    """Staff record the signature of a party that has no members on the platform (a buyer). The
    same hash binding, one-decision-per-party rule and activation apply as to any signature; the
    row says who recorded it and on what evidence."""
    if actor is None or not actor.is_staff:
        raise Forbidden.on("signer", Msg("只有团区委工作人员可以登记采购方的签署"))
    _lock(agreement)
    party = next((item for item in agreement.parties if item.id == data.party_id), None)
    if party is None:
        raise NotFound.on("party_id", Msg("找不到该签约方"))
    if party.role != "buyer" or not party.signatory:
        raise Forbidden.on(
            "party_id",
            Msg("%(party)s有平台账号，须由其授权签署人本人签署，团区委不能代签", party=party.display_name),
        )
    problems: dict[str, str] = {}
    signer_name = (data.signer_name or "").strip()
    evidence = (data.evidence or "").strip()
    if not signer_name:
        problems["signer_name"] = Msg("请填写采购方签署人姓名")
    elif len(signer_name) > 50:
        problems["signer_name"] = Msg("签署人姓名不能超过 %(n)d 个字", n=50)
    if not evidence:
        problems["evidence"] = Msg("请填写签署凭据（如纸质合同编号或电子签章验证码）")
    elif len(evidence) > 300:
        problems["evidence"] = Msg("签署凭据不能超过 %(n)d 个字", n=300)
    if len((data.signer_title or "").strip()) > SIGNER_TITLE_MAX:
        problems["signer_title"] = Msg("职务不能超过 %(n)d 个字", n=SIGNER_TITLE_MAX)
    if problems:
        raise DomainError(problems)
    version = _signable_version(agreement, data.version_id, data.content_sha256)
    signature = _decision(version, party, actor, "signed")
    signature.signer_name = signer_name
    signature.signer_title = (data.signer_title or "").strip()
    signature.recorded_by_staff = True
    signature.evidence = evidence
    return _record_signature(agreement, version, party, signature, actor)


def _signable_version(
    agreement: Agreement, version_id: int | None, content_sha256: str | None
) -> AgreementVersion:
    """The proposed version being signed, once the signer's hash matches it and its content is intact."""
    if version_id is None:
        raise DomainError.on("version_id", Msg("请指明要签署的版本"))
    version = version_of(agreement, version_id)
    _check_signable(version)
    claimed = (content_sha256 or "").strip().lower()
    if not claimed:
        raise DomainError.on("content_sha256", Msg("请提供所签署版本的内容哈希（content_sha256）"))
    if claimed != version.content_sha256:
        raise Conflict.on(
            "content_sha256",
            Msg("您确认的内容哈希与第 %(no)d 版不一致，请重新核对后签署", no=version.version_no),
        )
    if not _content_intact(version):
        raise Conflict.on(
            "content_sha256",
            Msg(
                "第 %(no)d 版的内容与其哈希不符（可能被改动），不能签署，请联系团区委工作人员",
                no=version.version_no,
            ),
        )
    return version


def _record_signature(
    agreement: Agreement,
    version: AgreementVersion,
    party: AgreementParty,
    signature: AgreementSignature,
    actor: User,
) -> AgreementSignature:
    """Store one party's signature (once: the UNIQUE constraint backs the check), audit it, and
    activate the version when it was the last one missing."""
    already = Conflict.on(
        "signer",
        Msg(
            "%(party)s已对第 %(no)d 版作出签署决定，不能重复签署",
            party=party.display_name,
            no=version.version_no,
        ),
    )
    if any(item.party_id == party.id for item in version.signatures):
        raise already
    _move(agreement, AgreementAction.SIGN)
    try:
        with db.session.begin_nested():
            db.session.add(signature)
            db.session.flush()
    except IntegrityError:
        raise already from None
    db.session.refresh(version)
    _audit(
        agreement,
        "signed",
        actor,
        version_id=version.id,
        version_no=version.version_no,
        party_id=party.id,
        content_sha256=version.content_sha256,
        ip=signature.ip,
        user_agent=signature.user_agent,
        **(
            {"recorded_by_staff": True, "signer_name": signature.signer_name, "evidence": signature.evidence}
            if signature.recorded_by_staff
            else {}
        ),
    )
    signed_parties = {item.party_id for item in version.signed_signatures}
    if all(item.id in signed_parties for item in agreement.signatory_parties):
        _activate(agreement, version, actor)
    else:
        _notify(
            _everyone(agreement, except_user=actor),
            agreement,
            Msg("%(party)s已签署：%(title)s", party=party.display_name, title=agreement.title),
            Msg(
                "%(party)s已签署第 %(no)d 版，待其他签约方签署后协议生效。",
                party=party.display_name,
                no=version.version_no,
            ),
        )
    return signature


def _decision(
    version: AgreementVersion, party: AgreementParty, actor: User, decision: str, *, reason: str | None = None
) -> AgreementSignature:
    """A party's signature or refusal of one version, bound to its hash, with who, when, IP and
    user agent (the caller adds it)."""
    ip, user_agent = _request_details()
    return AgreementSignature(
        agreement_id=version.agreement_id,
        version_id=version.id,
        party_id=party.id,
        signer_id=actor.id,
        decision=decision,
        version_sha256=version.content_sha256,
        signer_name=actor.name,
        signer_title=party.signer_title,
        reason=reason,
        ip=ip,
        user_agent=user_agent,
        signed_at=utcnow(),
    )


def _content_intact(version: AgreementVersion) -> bool:
    """The stored document still hashes to the version's hash, and the columns the money and the
    dates are taken from still say what the document says."""
    content = version.content or {}
    return (
        rules.content_sha256(content) == version.content_sha256
        and content.get("funding") == version.funding.as_json()
        and content.get("period") == version.period.as_json()
        and content.get("terms") == version.terms_value.as_json()
    )


def _activate(agreement: Agreement, version: AgreementVersion, actor: User | None) -> None:
    """Every signatory party signed ``version``: it becomes the agreement's terms."""
    previous = agreement.current_version
    _move(agreement, AgreementAction.ACTIVATE)
    version.status = VersionStatus.SIGNED.value
    version.signed_at = utcnow()
    if previous is not None and previous.id != version.id:
        _close_version(previous, VersionStatus.SUPERSEDED, Msg("已被第 %(no)d 版替代", no=version.version_no))
    agreement.current_version_id = version.id
    agreement.current_version = version
    agreement.starts_on = version.starts_on
    agreement.ends_on = version.ends_on
    agreement.auto_renew = version.auto_renew
    agreement.renewal_notice_days = version.renewal_notice_days
    agreement.activated_at = agreement.activated_at or utcnow()
    db.session.flush()
    scheduled = _schedule_money(agreement, version, actor)
    converted = 0
    if agreement.company_id is not None and agreement.organization_id is not None:
        converted = convert_introductions(
            agreement.company_id, organization_id=agreement.organization_id, via="agreement"
        )
    _audit(
        agreement,
        "activated",
        actor,
        version_id=version.id,
        version_no=version.version_no,
        content_sha256=version.content_sha256,
        superseded_version_id=previous.id if previous else None,
        scheduled_pledge_ids=scheduled,
        introductions_converted=converted,
    )
    _notify(
        _everyone(agreement),
        agreement,
        Msg("协议已生效：%(title)s", title=agreement.title),
        Msg(
            "各方已签署第 %(no)d 版，协议自 %(start)s 起生效，至 %(end)s 止。",
            no=version.version_no,
            start=agreement.starts_on.isoformat(),
            end=agreement.ends_on.isoformat(),
        ),
    )


def _schedule_money(agreement: Agreement, version: AgreementVersion, actor: User | None) -> list[int]:
    """Turn the tranches still due into pending bank-transfer pledges. Pledges scheduled under an
    earlier version and not yet paid are cancelled first; money already received pays the earliest
    tranches of the new schedule (see ``terms.outstanding``)."""
    if agreement.company_id is None or agreement.organization is None:
        return []
    for pledge in agreement_pledges(agreement):
        if pledge.status == PledgeStatus.PENDING and pledge.agreement_version_id != version.id:
            close_pending(
                pledge,
                PledgeStatus.CANCELLED,
                actor_id=actor.id if actor else None,
                reason=f"replaced by version {version.version_no}",
            )
    if version.committed_amount is None:
        return []
    # Money already received in this version's term pays its earliest tranches; a renewal for a new
    # term starts from nothing.
    received = received_amount(agreement, since=version.starts_on)
    projects = {project.id: project for project in agreement.projects}
    ids: list[int] = []
    for position, tranche, amount in rules.outstanding(version.tranche_values, received):
        project_id = rules.tranche_project(tranche, agreement.project_ids)
        pledge = schedule_pledge(
            ScheduledPledge(
                company_id=agreement.company_id,
                organization=agreement.organization,
                project=projects.get(project_id) if project_id is not None else None,
                amount=amount,
                due_on=tranche.due_on,
                agreement_id=agreement.id,
                agreement_version_id=version.id,
                tranche_no=position,
                message=f"《{agreement.title}》第 {position} 期"[:200],
            ),
            actor_id=actor.id if actor else None,
        )
        ids.append(pledge.id)
    return ids


def request_changes(
    agreement: Agreement, actor: User | None, *, version_id: int | None, reason: str
) -> AgreementVersion:
    """A party (or the broker) sends a proposed version back: it is withdrawn, and a new version is
    drafted. Signatures already given to it lapse with it."""
    _require_participant(agreement, actor, Msg("只有协议各方和团区委工作人员可以要求修改"))
    _lock(agreement)
    version = _version_in_play(agreement, version_id, VersionStatus.PROPOSED)
    _move(agreement, AgreementAction.REQUEST_CHANGES)
    _close_version(version, VersionStatus.WITHDRAWN, reason)
    _comment(agreement, version, actor, reason, kind="request_changes")
    _audit(
        agreement,
        "changes_requested",
        actor,
        version_id=version.id,
        version_no=version.version_no,
        reason=reason,
    )
    _notify(
        _everyone(agreement, except_user=actor),
        agreement,
        Msg("要求修改：%(title)s", title=agreement.title),
        Msg(
            "%(who)s 要求修改第 %(no)d 版：%(reason)s",
            who=_acting_for(agreement, actor),
            no=version.version_no,
            reason=reason,
        ),
    )
    return version


def decline(
    agreement: Agreement, actor: User | None, *, version_id: int | None, reason: str
) -> AgreementVersion:
    """A party's authorised signer refuses to sign. A first agreement is then cancelled; an
    amendment or renewal is dropped and the agreement continues on its current terms."""
    party = _signing_party(agreement, actor, Msg("拒绝签署"))
    _lock(agreement)
    assert actor is not None
    version = _version_in_play(agreement, version_id, VersionStatus.PROPOSED)
    if any(signature.party_id == party.id for signature in version.signatures):
        raise Conflict.on(
            "signer",
            Msg(
                "%(party)s已对第 %(no)d 版作出签署决定，不能重复签署",
                party=party.display_name,
                no=version.version_no,
            ),
        )
    target = _move(agreement, AgreementAction.DECLINE)
    declined = _decision(version, party, actor, "declined", reason=reason)
    db.session.add(declined)
    _close_version(version, VersionStatus.WITHDRAWN, reason)
    if target == AgreementStatus.CANCELLED:
        agreement.ended_at = utcnow()
        agreement.end_reason = reason
    _comment(agreement, version, actor, reason, kind="decline")
    _audit(
        agreement,
        "declined",
        actor,
        version_id=version.id,
        version_no=version.version_no,
        party_id=party.id,
        reason=reason,
        ip=declined.ip,
        user_agent=declined.user_agent,
    )
    _notify(
        _everyone(agreement, except_user=actor),
        agreement,
        Msg("拒绝签署：%(title)s", title=agreement.title),
        Msg(
            "%(party)s拒绝签署第 %(no)d 版：%(reason)s",
            party=party.display_name,
            no=version.version_no,
            reason=reason,
        ),
    )
    return version


def terminate(agreement: Agreement, actor: User | None, *, reason: str) -> Agreement:
    """End an active agreement early. Scheduled money not yet received is cancelled."""
    return _close(
        agreement,
        actor,
        reason,
        AgreementAction.TERMINATE,
        Msg("协议已终止：%(title)s", title=agreement.title),
        lambda who: Msg("%(who)s 终止了协议：%(reason)s", who=who, reason=reason),
    )


def cancel(agreement: Agreement, actor: User | None, *, reason: str) -> Agreement:
    """Abandon an agreement before it took effect."""
    return _close(
        agreement,
        actor,
        reason,
        AgreementAction.CANCEL,
        Msg("协议已取消：%(title)s", title=agreement.title),
        lambda who: Msg("%(who)s 取消了协议：%(reason)s", who=who, reason=reason),
    )


def _close(
    agreement: Agreement,
    actor: User | None,
    reason: str,
    action: AgreementAction,
    title: Msg,
    body: Callable[[str], Msg],
) -> Agreement:
    """Terminate or cancel: a participant ends the agreement with a reason everyone is told."""
    _require_participant(
        agreement, actor, Msg("只有协议各方和团区委工作人员可以%(action)s", action=ACTION_LABELS[action])
    )
    _lock(agreement)
    if not reason.strip():
        raise DomainError.on("reason", _reason_prompt(action))
    _move(agreement, action)
    _end(agreement, actor, reason)
    _audit(
        agreement, "terminated" if action is AgreementAction.TERMINATE else "cancelled", actor, reason=reason
    )
    _notify(_everyone(agreement, except_user=actor), agreement, title, body(_acting_for(agreement, actor)))
    return agreement


def _end(agreement: Agreement, actor: User | None, reason: str) -> None:
    agreement.ended_at = utcnow()
    agreement.end_reason = reason[:REASON_MAX]
    pending = agreement.pending_version
    if pending is not None:
        _close_version(pending, VersionStatus.WITHDRAWN, reason)
    for pledge in agreement_pledges(agreement):
        if pledge.status == PledgeStatus.PENDING:
            close_pending(
                pledge,
                PledgeStatus.CANCELLED,
                actor_id=actor.id if actor else None,
                reason=f"agreement {agreement.id} ended",
            )
    db.session.flush()


# ─────────────────────────────── the negotiation thread ───────────────────────────────


def _comment(
    agreement: Agreement, version: AgreementVersion | None, actor: User | None, body: str, *, kind: str
) -> AgreementComment:
    comment = AgreementComment(
        agreement_id=agreement.id,
        version_id=version.id if version is not None else None,
        author_id=actor.id if actor else None,
        acting_for=_acting_for(agreement, actor)[:100],
        kind=kind,
        body=body,
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def add_comment(
    agreement: Agreement, actor: User | None, *, version_id: int | None, body: str
) -> AgreementComment:
    _require_participant(agreement, actor, Msg("只有协议各方和团区委工作人员可以参与协商"))
    body = (body or "").strip()
    if not body:
        raise DomainError.on("body", Msg("请填写留言内容"))
    if len(body) > COMMENT_MAX:
        raise DomainError.on("body", Msg("留言不能超过 %(n)d 个字", n=COMMENT_MAX))
    if agreement.status not in LIVE:
        raise Conflict.on("body", Msg("协议已结束，不能再留言"))
    version = version_of(agreement, version_id) if version_id is not None else None
    comment = _comment(agreement, version, actor, body, kind="comment")
    _audit(agreement, "commented", actor, comment_id=comment.id, version_id=comment.version_id)
    _notify(
        _everyone(agreement, except_user=actor),
        agreement,
        Msg("协商留言：%(title)s", title=agreement.title),
        Msg("%(who)s：%(body)s", who=_acting_for(agreement, actor), body=body[:200]),
    )
    return comment


def comments(agreement: Agreement) -> list[AgreementComment]:
    return list(
        db.session.scalars(
            select(AgreementComment)
            .where(AgreementComment.agreement_id == agreement.id)
            .order_by(AgreementComment.id)
        )
    )


# ─────────────────────────────── money ───────────────────────────────


def agreement_pledges(agreement: Agreement) -> list[Pledge]:
    return list(
        db.session.scalars(
            select(Pledge).where(Pledge.agreement_id == agreement.id).order_by(Pledge.due_on, Pledge.id)
        )
    )


def received_amount(agreement: Agreement, *, since: date | None = None) -> int:
    """Money actually received under the agreement (paid pledges minus refunds); with ``since``,
    only for tranches due from that day on, i.e. within a term that starts then."""
    statement = select(
        func.coalesce(func.sum(func.coalesce(Pledge.paid_amount, 0) - Pledge.refunded_amount), 0)
    ).where(
        Pledge.agreement_id == agreement.id,
        Pledge.status.in_([status.value for status in MONEY_HELD] + [PledgeStatus.REFUNDED.value]),
    )
    if since is not None:
        statement = statement.where(Pledge.due_on >= since)
    return int(db.session.scalar(statement) or 0)


@dataclass(frozen=True)
class MoneySummary:
    committed: int  # fen, by the version in force
    scheduled: int  # pending pledges still to arrive
    received: int
    pledges: list[Pledge]

    @property
    def outstanding(self) -> int:
        return max(self.committed - self.received, 0)

    @property
    def percent(self) -> int:
        return min(100, self.received * 100 // self.committed) if self.committed else 0


def money_summary(agreement: Agreement) -> MoneySummary:
    pledges = agreement_pledges(agreement)
    current = agreement.current_version
    committed = current.committed_amount or 0 if current is not None else 0
    scheduled = sum(pledge.amount for pledge in pledges if pledge.status == PledgeStatus.PENDING)
    # A renewal for a new term commits that term's money: count what arrived within it.
    received = received_amount(agreement, since=current.starts_on if current is not None else None)
    return MoneySummary(committed, scheduled, received, pledges)


# ─────────────────────────────── queries ───────────────────────────────


def get_agreement(agreement_id: int) -> Agreement:
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound.on("agreement", Msg("找不到该协议"))
    return agreement


@dataclass(frozen=True)
class AgreementFilters:
    status: str | None = None
    party_id: int | None = None
    company_id: int | None = None
    organization_id: int | None = None
    expiring_within_days: int | None = None
    query: str = ""


def _has_party(*, company_id: int | None = None, organization_id: int | None = None) -> Any:
    """Agreements that name the company (or the organization) among their parties."""
    parties = select(AgreementParty.agreement_id)
    if company_id is not None:
        parties = parties.where(AgreementParty.company_id == company_id)
    else:
        parties = parties.where(AgreementParty.organization_id == organization_id)
    return Agreement.id.in_(parties)


def list_agreements(user: User, filters: AgreementFilters, *, now: datetime | None = None) -> list[Agreement]:
    """Staff see every agreement; a member sees their own party's."""
    statement = select(Agreement)
    if not user.is_staff:
        if user.company_id is not None:
            statement = statement.where(_has_party(company_id=user.company_id))
        elif user.organization_id is not None:
            # Every party counts, not only the agreement's lead organization: each member of a
            # consortium signs its service contract.
            statement = statement.where(_has_party(organization_id=user.organization_id))
        else:
            return []
    if filters.status:
        try:
            status = AgreementStatus(filters.status)
        except ValueError:
            raise DomainError.on("status", Msg("未知的协议状态：%(value)s", value=filters.status)) from None
        statement = statement.where(Agreement.status == status.value)
    if filters.party_id is not None:
        statement = statement.where(
            or_(_has_party(company_id=filters.party_id), _has_party(organization_id=filters.party_id))
        )
    if filters.company_id is not None:
        statement = statement.where(_has_party(company_id=filters.company_id))
    if filters.organization_id is not None:
        statement = statement.where(_has_party(organization_id=filters.organization_id))
    if filters.expiring_within_days is not None:
        today = local_today(now)
        statement = statement.where(
            Agreement.status == AgreementStatus.ACTIVE.value,
            Agreement.ends_on >= today,
            Agreement.ends_on <= today + timedelta(days=filters.expiring_within_days),
        )
        statement = statement.order_by(Agreement.ends_on, Agreement.id)
    if filters.query.strip():
        statement = statement.where(Agreement.title.contains(filters.query.strip(), autoescape=True))
    return list(db.session.scalars(statement.order_by(Agreement.updated_at.desc(), Agreement.id.desc())))


def expiring(now: datetime | None = None, *, days: int = rules.EXPIRING_SOON_DAYS) -> list[Agreement]:
    today = local_today(now)
    return list(
        db.session.scalars(
            select(Agreement)
            .where(
                Agreement.status == AgreementStatus.ACTIVE.value,
                Agreement.ends_on >= today,
                Agreement.ends_on <= today + timedelta(days=days),
            )
            .order_by(Agreement.ends_on, Agreement.id)
        )
    )


def events(agreement: Agreement) -> list[audit.AuditEvent]:
    """The agreement's audit trail: its own events in chain order (each names the previous hash in
    the platform-wide chain)."""
    return list(
        db.session.scalars(
            select(audit.AuditEvent)
            .where(audit.AuditEvent.subject_type == "Agreement", audit.AuditEvent.subject_id == agreement.id)
            .order_by(audit.AuditEvent.id)
        )
    )


def awaiting_my_signature(user: User) -> list[tuple[Agreement, AgreementVersion]]:
    """Proposed versions the user can sign and their party has not decided on yet."""
    if user.is_staff:
        return []
    found = []
    for agreement in list_agreements(user, AgreementFilters()):
        version = agreement.pending_version
        party = party_of(agreement, user)
        if (
            version is not None
            and version.status == VersionStatus.PROPOSED
            and party is not None
            and can_sign(party, user)
            and all(signature.party_id != party.id for signature in version.signatures)
        ):
            found.append((agreement, version))
    return found


# ─────────────────────────────── jobs ───────────────────────────────


def _remember(key: str, **values: Any) -> bool:
    """Record that a reminder was sent; False if it had been already (the key is UNIQUE)."""
    if db.session.scalar(select(AgreementReminder.id).where(AgreementReminder.key == key)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(AgreementReminder(key=key, **values))
            db.session.flush()
    except IntegrityError:
        return False  # another host sent it in the meantime
    return True


def send_signature_reminders(now: datetime | None = None) -> int:
    """Remind each party that has not signed a proposed version: 5 days after the proposal, then
    every 2 days, at most 5 times. Returns how many parties were reminded."""
    now = now or utcnow()
    sent = 0
    versions = db.session.scalars(
        select(AgreementVersion)
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .where(AgreementVersion.status == VersionStatus.PROPOSED.value, Agreement.status.in_(list(LIVE)))
        .order_by(AgreementVersion.id)
    ).all()
    for version in versions:
        agreement = version.agreement
        decided = {signature.party_id for signature in version.signatures}
        for party in agreement.signatory_parties:
            if party.id in decided or version.proposed_at is None:
                continue
            already, last_sent = db.session.execute(
                select(func.count(AgreementReminder.id), func.max(AgreementReminder.sent_at)).where(
                    AgreementReminder.kind == "signature",
                    AgreementReminder.version_id == version.id,
                    AgreementReminder.party_id == party.id,
                )
            ).one()
            already = already or 0
            due = rules.signature_reminder_due(version.proposed_at, already, last_sent)
            if due is None or now < due:
                continue
            sequence = already + 1
            if not _remember(
                f"signature:{version.id}:{party.id}:{sequence}",
                agreement_id=agreement.id,
                kind="signature",
                version_id=version.id,
                party_id=party.id,
                sequence=sequence,
                sent_at=now,
            ):
                continue
            waited = (now - version.proposed_at).days
            _notify(
                _signers(party),
                agreement,
                Msg("签署提醒：%(title)s", title=agreement.title),
                Msg(
                    "《%(title)s》第 %(no)d 版已等待贵方签署 %(days)d 天"
                    "（第 %(n)d 次提醒，最多 %(max)d 次）。",
                    title=agreement.title,
                    no=version.version_no,
                    days=waited,
                    n=sequence,
                    max=rules.MAX_REMINDERS,
                ),
            )
            _audit(
                agreement,
                "signature_reminder",
                None,
                version_id=version.id,
                party_id=party.id,
                sequence=sequence,
            )
            sent += 1
    db.session.flush()
    return sent


@dataclass(frozen=True)
class ExpiryResult:
    expired: list[int]
    renewed: list[int]


def expire_agreements(now: datetime | None = None) -> ExpiryResult:
    """Active agreements whose end date has passed (Wenzhou time) expire, or run another term when
    they renew automatically. Claiming each with a conditional UPDATE makes concurrent runs safe."""
    now = now or utcnow()
    today = local_today(now)
    expired: list[int] = []
    renewed: list[int] = []
    due = db.session.scalars(
        select(Agreement)
        .where(Agreement.status == AgreementStatus.ACTIVE.value, Agreement.ends_on < today)
        .order_by(Agreement.id)
    ).all()
    for agreement in due:
        old_end = agreement.ends_on
        if agreement.auto_renew:
            period = agreement.period
            while period.ends_on < today:
                period = rules.renewed_period(period)
            claimed = db.session.execute(
                update(Agreement)
                .where(
                    Agreement.id == agreement.id,
                    Agreement.status == AgreementStatus.ACTIVE.value,
                    Agreement.ends_on == old_end,
                )
                .values(starts_on=period.starts_on, ends_on=period.ends_on, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                continue
            db.session.refresh(agreement)
            _audit(
                agreement,
                "renewed",
                None,
                previous_ends_on=old_end.isoformat(),
                ends_on=period.ends_on.isoformat(),
            )
            _notify(
                _everyone(agreement),
                agreement,
                Msg("协议已自动续期：%(title)s", title=agreement.title),
                Msg("协议按约定自动续期至 %(end)s。", end=period.ends_on.isoformat()),
            )
            renewed.append(agreement.id)
            continue
        claimed = db.session.execute(
            update(Agreement)
            .where(
                Agreement.id == agreement.id,
                Agreement.status == AgreementStatus.ACTIVE.value,
                # A renewal signed since this run read the row moved the end date: not expired.
                Agreement.ends_on == old_end,
            )
            .values(status=AgreementStatus.EXPIRED.value, ended_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue
        db.session.refresh(agreement)
        pending = agreement.pending_version
        if pending is not None:
            _close_version(pending, VersionStatus.WITHDRAWN, Msg("协议已到期"))
        _audit(agreement, "expired", None, ends_on=old_end.isoformat())
        _notify(
            _everyone(agreement),
            agreement,
            Msg("协议已到期：%(title)s", title=agreement.title),
            Msg("协议已于 %(end)s 到期。如需继续合作，请联系团区委续签。", end=old_end.isoformat()),
        )
        expired.append(agreement.id)
    db.session.flush()
    return ExpiryResult(expired, renewed)


def send_renewal_reminders(now: datetime | None = None) -> int:
    """From ``renewal_notice_days`` before the end, remind every party once per term."""
    now = now or utcnow()
    today = local_today(now)
    sent = 0
    candidates = db.session.scalars(
        select(Agreement)
        .where(Agreement.status == AgreementStatus.ACTIVE.value, Agreement.ends_on >= today)
        .order_by(Agreement.id)
    ).all()
    for agreement in candidates:
        if today < rules.renewal_reminder_from(agreement.period):
            continue
        if not _remember(
            f"renewal:{agreement.id}:{agreement.ends_on.isoformat()}",
            agreement_id=agreement.id,
            kind="renewal",
            sent_at=now,
        ):
            continue
        days = (agreement.ends_on - today).days
        body = (
            Msg(
                "协议将于 %(end)s 到期（还有 %(days)d 天），届时将按约定自动续期。",
                end=agreement.ends_on.isoformat(),
                days=days,
            )
            if agreement.auto_renew
            else Msg(
                "协议将于 %(end)s 到期（还有 %(days)d 天）。如需续签，请起草续签版本。",
                end=agreement.ends_on.isoformat(),
                days=days,
            )
        )
        _notify(_everyone(agreement), agreement, Msg("续约提醒：%(title)s", title=agreement.title), body)
        _audit(agreement, "renewal_reminder", None, ends_on=agreement.ends_on.isoformat(), days_left=days)
        sent += 1
    db.session.flush()
    return sent


def fresh_copy(version: AgreementVersion) -> VersionInput:
    """A new draft starts from a version's terms (an amendment changes what it needs) and from the
    agreement's term in force (which an automatic renewal may have moved on)."""
    period = version.agreement.period
    return VersionInput(
        terms=version.terms_value,
        committed_amount=version.committed_amount,
        tranches=version.tranche_values,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        auto_renew=period.auto_renew,
        renewal_notice_days=period.renewal_notice_days,
    )
