"""Project use cases: drafting, editing, the review workflow and the deadline job.

They validate, change state and flush; the page, API or CLI that called them commits once. The
deadline job (`close_due_projects`) is the exception: it commits one transaction per project and
per pledge, so one Stripe call or one failure never holds up or undoes the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Exists, Select, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.money import MAX_GOAL_FEN, format_fen, parse_yuan
from marketplace.parties.models import Organization
from marketplace.payments.gateway import GatewayError
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import Pledge
from marketplace.pledges.states import PledgeMethod, PledgeStatus
from marketplace.projects.models import Project, ProjectTransition
from marketplace.projects.states import (
    EDITABLE_STATUSES,
    Actor,
    FundingModel,
    ProjectAction,
    ProjectStatus,
    next_status,
    outcome_at_deadline,
)
from marketplace.stored_files import discard_after_commit, store_image
from marketplace.taxonomy.models import Category, District
from marketplace.timeutil import end_of_local_day, local_today, parse_iso_deadline, utcnow

TITLE_MAX, SUMMARY_MAX, DESCRIPTION_MAX = 60, 140, 20000
MAX_TAGS, TAG_MAX = 8, 12
MAX_BENEFICIARIES = 10_000_000
REASON_MAX = 500
_TAG_SEPARATORS = re.compile(r"[,，、;；\s]+")


@dataclass
class ProjectInput:
    """Plain input from a form, the API or a script. Unset (None) fields are left alone on update.

    The funding goal comes either in yuan as typed by a person (`goal_yuan`) or in integer fen
    (`goal_amount`, the API's unit).
    """

    title: str | None = None
    summary: str | None = None
    description: str | None = None
    category: str | None = None
    tags: list[str] | str | None = None
    district: str | None = None
    community: str | None = None
    goal_yuan: str | None = None
    goal_amount: Any = None
    deadline: date | datetime | str | None = None
    funding_model: str | None = None
    beneficiaries: Any = None
    video_url: str | None = None

    def provided(self) -> set[str]:
        return {item.name for item in fields(self) if getattr(self, item.name) is not None}


@dataclass
class _Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _clean_text(out: _Cleaned, name: str, value: str, label: str, max_length: int, *, required: bool) -> None:
    if not isinstance(value, str):
        out.errors[name] = Msg("%(label)s必须是文字", label=label)
        return
    text = value.strip()
    if required and not text:
        out.errors[name] = Msg("请填写%(label)s", label=label)
    elif len(text) > max_length:
        out.errors[name] = Msg(
            "%(label)s不能超过 %(n)d 个字（现在 %(m)d 个字）", label=label, n=max_length, m=len(text)
        )
    else:
        out.values[name] = text


def _clean_goal(out: _Cleaned, data: ProjectInput) -> None:
    if data.goal_amount is not None:
        amount = data.goal_amount
        # bool is an int in Python, and floats are never money.
        if isinstance(amount, bool) or not isinstance(amount, int):
            out.errors["goal_amount"] = Msg("筹款目标必须是以分为单位的整数")
            return
    else:
        try:
            amount = parse_yuan(data.goal_yuan or "", field="goal_amount")
        except DomainError as error:
            out.errors.update(error.fields)
            return
    if amount <= 0:
        out.errors["goal_amount"] = Msg("筹款目标必须大于 0")
    elif amount > MAX_GOAL_FEN:
        out.errors["goal_amount"] = Msg("筹款目标不能超过 %(max)s", max=format_fen(MAX_GOAL_FEN))
    else:
        out.values["goal_amount"] = amount


def latest_deadline_day(today: date) -> date:
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today + timedelta(days=365)


def _clean_deadline(out: _Cleaned, value: date | datetime | str) -> None:
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = end_of_local_day(value)
        else:
            moment = parse_iso_deadline(str(value))
    except ValueError:
        out.errors["deadline"] = Msg("截止日期格式不正确，请使用 2026-12-31 这样的格式")
        return
    now = utcnow()
    if moment <= now:
        out.errors["deadline"] = Msg("截止日期必须在今天之后")
    elif moment > end_of_local_day(latest_deadline_day(local_today(now))):
        out.errors["deadline"] = Msg("截止日期不能晚于一年以后")
    else:
        out.values["deadline"] = moment


def _clean_tags(out: _Cleaned, value: list[str] | str) -> None:
    raw = _TAG_SEPARATORS.split(value) if isinstance(value, str) else value
    if not isinstance(raw, list) or not all(isinstance(tag, str) for tag in raw):
        out.errors["tags"] = Msg("标签必须是文字列表")
        return
    tags = list(dict.fromkeys(tag.strip().lstrip("#") for tag in raw if tag.strip().lstrip("#")))
    if len(tags) > MAX_TAGS:
        out.errors["tags"] = Msg("最多填写 %(n)d 个标签", n=MAX_TAGS)
    elif any(len(tag) > TAG_MAX for tag in tags):
        out.errors["tags"] = Msg("每个标签不能超过 %(n)d 个字", n=TAG_MAX)
    else:
        out.values["tags"] = tags


def _clean_choice_fields(out: _Cleaned, data: ProjectInput) -> None:
    if data.category is not None:
        category = db.session.scalar(select(Category).where(Category.slug == str(data.category).strip()))
        if category is None:
            out.errors["category"] = Msg("请选择有效的项目类别")
        else:
            out.values["category_id"] = category.id
    if data.district is not None:
        if not isinstance(data.district, str) or db.session.get(District, data.district.strip()) is None:
            out.errors["district"] = Msg("请选择温州市的一个区县")
        else:
            out.values["district"] = data.district.strip()
    if data.funding_model is not None:
        if data.funding_model not in {model.value for model in FundingModel}:
            out.errors["funding_model"] = Msg("请选择筹款方式：全有或全无，或筹多少用多少")
        else:
            out.values["funding_model"] = data.funding_model


def _clean_beneficiaries(out: _Cleaned, value: Any) -> None:
    if isinstance(value, str):
        value = value.strip() or "0"
        value = int(value) if value.isdigit() else value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BENEFICIARIES:
        out.errors["beneficiaries"] = Msg("受益人数应为 0 到 %(n)d 之间的整数", n=MAX_BENEFICIARIES)
    else:
        out.values["beneficiaries"] = value


def _clean_video_url(out: _Cleaned, value: str) -> None:
    url = value.strip() if isinstance(value, str) else None
    if url is None or len(url) > 500 or (url and not re.match(r"^https?://[^\s<>\"']+$", url)):
        out.errors["video_url"] = Msg("视频链接必须以 http:// 或 https:// 开头")
    else:
        out.values["video_url"] = url or None


def clean_project_input(data: ProjectInput, *, required: bool) -> dict[str, Any]:
    """Validate every provided field at once; raise one DomainError naming each bad field."""
    out = _Cleaned()
    given = data.provided()
    for name, label, max_length, must in (
        ("title", Msg("项目名称"), TITLE_MAX, True),
        ("summary", Msg("一句话简介"), SUMMARY_MAX, True),
        ("description", Msg("项目详情"), DESCRIPTION_MAX, False),
        ("community", Msg("街道/社区"), 100, False),
    ):
        if name in given:
            _clean_text(out, name, getattr(data, name), label, max_length, required=must)
        elif required and must:
            out.errors[name] = Msg("请填写%(label)s", label=label)
    if "goal_amount" in given or "goal_yuan" in given:
        _clean_goal(out, data)
    elif required:
        out.errors["goal_amount"] = Msg("请填写筹款目标")
    if "deadline" in given:
        _clean_deadline(out, data.deadline)  # type: ignore[arg-type]
    elif required:
        out.errors["deadline"] = Msg("请选择截止日期")
    for name, message in (
        ("category", Msg("请选择项目类别")),
        ("district", Msg("请选择所在区县")),
        ("funding_model", Msg("请选择筹款方式")),
    ):
        if required and name not in given:
            out.errors[name] = message
    _clean_choice_fields(out, data)
    if "tags" in given:
        _clean_tags(out, data.tags)  # type: ignore[arg-type]
    if "beneficiaries" in given:
        _clean_beneficiaries(out, data.beneficiaries)
    if "video_url" in given:
        _clean_video_url(out, data.video_url)  # type: ignore[arg-type]
    if out.errors:
        raise DomainError(out.errors)
    return out.values


def _require_owner(project: Project, user: User) -> None:
    if not is_owner(project, user):
        raise Forbidden.on("project", Msg("只有发起该项目的组织成员可以修改"))


def is_owner(project: Project, user: Any) -> bool:
    return bool(getattr(user, "role", None) == Role.ORG and user.organization_id == project.organization_id)


def can_view(project: Project, user: Any) -> bool:
    """Public states are public unless moderation holds them; drafts, reviews and held projects
    only to the owner and staff."""
    return project.is_public or is_owner(project, user) or bool(getattr(user, "is_staff", False))


def get_visible_project(project_id: int, user: Any) -> Project:
    # One query for what every project page shows with it (each was a lazy load of its own).
    project = db.session.get(
        Project,
        project_id,
        options=[
            joinedload(Project.organization),
            joinedload(Project.category),
            joinedload(Project.partner_foundation),
        ],
    )
    # Hidden projects answer 404, not 403, so their existence does not leak.
    if project is None or not can_view(project, user):
        raise NotFound.on("project", Msg("找不到该项目"))
    return project


def create_project(author: User, data: ProjectInput) -> Project:
    if author.role != Role.ORG or author.organization is None:
        raise Forbidden.on("organization", Msg("只有公益组织的成员可以发起项目"))
    organization: Organization = author.organization
    values = clean_project_input(data, required=True)
    values.setdefault("tags", [])
    project = Project(organization=organization, created_by=author, status=ProjectStatus.DRAFT, **values)
    db.session.add(project)
    db.session.flush()
    audit.record("project.created", actor_id=author.id, subject=project, payload={"title": project.title})
    return project


def update_project(project: Project, editor: User, data: ProjectInput) -> Project:
    _require_owner(project, editor)
    if project.status not in EDITABLE_STATUSES:
        raise Conflict.on(
            "status", Msg("只有草稿或被退回的项目可以修改（当前：%(status)s）", status=project.status_label)
        )
    values = clean_project_input(data, required=False)
    for key, value in values.items():
        setattr(project, key, value)
    db.session.flush()
    audit.record("project.updated", actor_id=editor.id, subject=project, payload={"fields": sorted(values)})
    return project


def set_cover_image(project: Project, editor: User, image: bytes, upload_dir: Path) -> Project:
    _require_owner(project, editor)
    if project.status not in EDITABLE_STATUSES:
        raise Conflict.on("status", Msg("只有草稿或被退回的项目可以更换封面"))
    replaced = project.cover_image
    project.cover_image = store_image(image, upload_dir)
    db.session.flush()
    if replaced and not _named_elsewhere(replaced):
        discard_after_commit(upload_dir, replaced)
    return project


def _named_elsewhere(cover_image: str) -> bool:
    """Whether another project shows this file (names are generated per upload; a restored or
    hand-edited database could still share one): such a file outlives its replacement here."""
    sharing = select(Project.id).where(Project.cover_image == cover_image).limit(1)
    return db.session.scalar(sharing) is not None


def _actor_for(project: Project, user: User | None) -> Actor:
    if user is None:
        return Actor.SYSTEM
    if user.is_staff:
        return Actor.STAFF
    if is_owner(project, user):
        return Actor.OWNER
    raise Forbidden.on("action", Msg("您没有权限操作该项目"))


def _has_pledges(project: Project) -> bool:
    return db.session.scalar(select(Pledge.id).where(Pledge.project_id == project.id).limit(1)) is not None


def transition_project(
    project: Project, action: str, user: User | None, *, reason: str | None = None
) -> Project:
    """Move a project along its lifecycle. `user=None` is the system (the deadline job).

    The status changes with one conditional UPDATE (``WHERE id = :id AND status = :source``): when
    another request or job moved the project in between, nothing is written and this is a
    Conflict, so two concurrent transitions can never both record a move from the same state.
    """
    actor = _actor_for(project, user)
    if reason is not None and len(reason.strip()) > REASON_MAX:
        raise DomainError.on("reason", Msg("原因不能超过 %(n)d 个字", n=REASON_MAX))
    try:
        chosen = ProjectAction(action)
    except ValueError:
        raise DomainError.on("action", Msg("未知的操作：%(action)s", action=str(action)[:30])) from None
    if chosen in (ProjectAction.SUBMIT, ProjectAction.PUBLISH) and project.deadline <= utcnow():
        raise Conflict.on("deadline", Msg("截止日期已过，请先修改截止日期"))
    if chosen == ProjectAction.PUBLISH and not project.organization.is_verified:
        raise Conflict.on("organization", Msg("发起组织尚未通过认证，不能发布项目"))
    target = next_status(
        project.status,
        chosen,
        actor,
        reason=reason,
        funding_model=FundingModel(project.funding_model),
        has_pledges=chosen == ProjectAction.CANCEL and _has_pledges(project),
    )
    source = project.status
    db.session.flush()
    moved = db.session.execute(
        update(Project)
        .where(Project.id == project.id, Project.status == source)
        .values(status=target)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.refresh(project)
        raise Conflict.on(
            "status",
            Msg("项目状态已被其他操作更改（当前：%(status)s），请刷新后重试", status=project.status_label),
        )
    # The row is ours until commit (row lock on PostgreSQL, the write lock on SQLite). Setting the
    # attributes through the ORM as well writes the same status again and, with it, the timestamps,
    # and lets the search outbox see the project as changed.
    now = utcnow()
    project.status = target
    if chosen == ProjectAction.RETURN:
        project.return_reason = (reason or "").strip()
    elif source == ProjectStatus.RETURNED:
        project.return_reason = None  # the history keeps it
    if chosen == ProjectAction.SUBMIT:
        project.submitted_at = now
    elif chosen == ProjectAction.PUBLISH:
        project.published_at = now
    elif target in (
        ProjectStatus.FUNDED,
        ProjectStatus.FAILED,
        ProjectStatus.CLOSED,
        ProjectStatus.CANCELLED,
    ):
        project.ended_at = now
    db.session.add(
        ProjectTransition(
            project=project,
            action=chosen,
            from_status=source,
            to_status=target,
            actor_id=user.id if user else None,
            reason=(reason or "").strip() or None,
        )
    )
    db.session.flush()
    audit.record(
        f"project.{chosen.value}",
        actor_id=user.id if user else None,
        subject=project,
        payload={"from": source, "to": target, "reason": reason},
    )
    return project


# ---------------------------------------------------------------------------------------------
# The deadline job


@dataclass(frozen=True)
class ClosedProject:
    id: int
    title: str
    status: str  # funded | failed | closed
    raised_amount: int
    goal_amount: int


@dataclass(frozen=True)
class ReturnedPledge:
    pledge_id: int
    project_id: int
    method: str
    amount: int  # fen going back (card: refunded now; offline: due by bank transfer)


@dataclass(frozen=True)
class FlaggedPledge:
    pledge_id: int
    project_id: int
    reason: str


@dataclass
class CloseReport:
    """What one run of the deadline job did. A run that finds nothing to do reports nothing."""

    now: datetime
    closed: list[ClosedProject] = field(default_factory=list)
    refunded: list[ReturnedPledge] = field(default_factory=list)  # card pledges refunded via Stripe
    refund_due: list[ReturnedPledge] = field(default_factory=list)  # bank transfer / in kind
    flagged: list[FlaggedPledge] = field(default_factory=list)  # a person must look
    skipped: int = 0  # projects or pledges another run handled first
    errors: list[str] = field(default_factory=list)  # database errors; the next run retries

    @property
    def changed_anything(self) -> bool:
        return bool(self.closed or self.refunded or self.refund_due or self.flagged)

    def count(self, status: ProjectStatus) -> int:
        return sum(1 for item in self.closed if item.status == status)


class RefundGateway(Protocol):
    """The part of payments.gateway.StripeGateway the deadline job needs."""

    def create_refund(self, *, payment_intent_id: str, amount: int, idempotency_key: str) -> Any: ...


def close_due_projects(now: datetime | None = None, gateway: RefundGateway | None = None) -> CloseReport:
    """Close every published project whose deadline has passed at `now`, then give back the money
    of failed all-or-nothing projects. Safe to re-run and to run on several hosts at once.

    1. Each due project, one transaction each: claim the row with a conditional UPDATE (on
       PostgreSQL this waits for confirmations in flight on the project and takes its row lock; on
       SQLite it takes the write lock), read the raised amount (matching funds included) only then,
       and move it to funded, failed or closed. A run that lost the race finds the row no longer
       published and skips it, so there is one transition per project.
    2. Every paid, unflagged pledge of a failed project, one transaction each — also those left by
       a run that crashed after step 1, and money confirmed after the project failed: claim the
       pledge row the same way, then card payments are refunded through Stripe with an idempotency
       key naming the pledge's refunded total (a retry replays the same refund) and recorded
       (ledger row, project total, matches reversed); bank transfers and goods become refund_due
       for staff to send back and record. A Stripe error flags the pledge for staff and the run
       goes on; flagged pledges wait for a person (clearing the flag lets the next run retry).

    This is a job, so unlike other operations it commits — once per project and per pledge, so a
    Stripe call never holds more than one pledge's row (or SQLite's write lock) at a time.
    """
    now = now or utcnow()
    report = CloseReport(now=now)
    due = db.session.scalars(
        select(Project.id)
        .where(Project.status == ProjectStatus.PUBLISHED, Project.deadline <= now)
        .order_by(Project.id)
    ).all()
    db.session.commit()
    for project_id in due:
        _in_own_transaction(
            report, f"project {project_id}", lambda pid=project_id: _close_one(pid, now, report)
        )
    holding = db.session.scalars(_money_to_return_query().order_by(Pledge.id)).all()
    db.session.commit()
    for pledge_id in holding:
        _in_own_transaction(
            report, f"pledge {pledge_id}", lambda pid=pledge_id: _return_money(pid, gateway, report)
        )
    return report


def _in_own_transaction(report: CloseReport, what: str, work: Callable[[], None]) -> None:
    try:
        work()
        db.session.commit()
    except Conflict:
        db.session.rollback()
        report.skipped += 1
    except SQLAlchemyError as error:  # e.g. a deadlock victim: nothing was kept, the next run retries
        db.session.rollback()
        report.errors.append(f"{what}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")


def _close_one(project_id: int, now: datetime, report: CloseReport) -> None:
    claimed = db.session.execute(
        update(Project)
        .where(
            Project.id == project_id,
            Project.status == ProjectStatus.PUBLISHED,
            Project.deadline <= now,
        )
        .values(status=Project.status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        report.skipped += 1
        return
    project = db.session.get(Project, project_id, populate_existing=True)
    assert project is not None
    action = outcome_at_deadline(
        FundingModel(project.funding_model), project.raised_amount, project.goal_amount
    )
    transition_project(project, action, None)
    report.closed.append(
        ClosedProject(project.id, project.title, project.status, project.raised_amount, project.goal_amount)
    )


def _in_failed_project() -> Exists:
    return (
        select(Project.id)
        .where(Project.id == Pledge.project_id, Project.status == ProjectStatus.FAILED)
        .exists()
    )


def _money_to_return_query() -> Select[tuple[int]]:
    return select(Pledge.id).where(
        Pledge.status == PledgeStatus.PAID, Pledge.flag_reason.is_(None), _in_failed_project()
    )


def _return_money(pledge_id: int, gateway: RefundGateway | None, report: CloseReport) -> None:
    # The conditions on the pledge's own columns sit in the UPDATE's WHERE so that PostgreSQL
    # checks them again on the newest row version after waiting for a concurrent run's lock (a
    # condition inside a subquery would be judged on the snapshot taken before the wait).
    claimed = db.session.execute(
        update(Pledge)
        .where(
            Pledge.id == pledge_id,
            Pledge.status == PledgeStatus.PAID,
            Pledge.flag_reason.is_(None),
            _in_failed_project(),
        )
        .values(status=Pledge.status)
        .execution_options(synchronize_session=False)
    ).rowcount
    pledge = db.session.get(Pledge, pledge_id, populate_existing=True)
    assert pledge is not None
    paid = pledge.paid_amount or 0
    left = paid - pledge.refunded_amount
    if claimed != 1 or pledge.status != PledgeStatus.PAID or pledge.flag_reason or left <= 0:
        db.session.rollback()
        report.skipped += 1
        return
    project = pledge.project
    if pledge.method != PledgeMethod.CARD:
        pledges.mark_refund_due(pledge, reason="项目未在截止日期前达成筹款目标（全有或全无）")
        report.refund_due.append(ReturnedPledge(pledge.id, project.id, pledge.method, left))
        _notify_refund(
            pledge,
            Msg("认捐将退回"),
            Msg(
                "「%(title)s」未在截止日期前达成筹款目标，您的认捐 %(amount)s 将由工作人员转账退回。",
                title=project.title,
                amount=format_fen(left),
            ),
        )
        return
    problem = None
    if gateway is None:
        problem = "项目未达成目标需原路退款，但平台未配置在线支付，请人工退款"
    elif not pledge.payment_intent_id:
        problem = "项目未达成目标需原路退款，但这笔认捐没有支付编号，请人工核对"
    else:
        try:
            gateway.create_refund(
                payment_intent_id=pledge.payment_intent_id,
                amount=left,
                idempotency_key=pledges.refund_idempotency_key(pledge, paid),
            )
        except GatewayError as error:
            problem = f"项目未达成目标，自动原路退款失败：{error}"
    if problem is not None:
        pledges.flag_pledge(pledge, problem)
        report.flagged.append(FlaggedPledge(pledge.id, project.id, problem))
        return
    refunded = pledges.record_refunded_total(pledge, paid, actor_id=None, source="deadline")
    report.refunded.append(ReturnedPledge(pledge.id, project.id, pledge.method, refunded))
    _notify_refund(
        pledge,
        Msg("认捐已退款"),
        Msg(
            "「%(title)s」未在截止日期前达成筹款目标，您的认捐 %(amount)s 已原路退回。",
            title=project.title,
            amount=format_fen(refunded),
        ),
    )


def _notify_refund(pledge: Pledge, title: Msg, body: Msg) -> None:
    from marketplace.notifications.operations import notify

    members = db.session.scalars(select(User).where(User.company_id == pledge.company_id)).all()
    notify(members, kind="pledge", title=title, body=body, link=f"/pledges/{pledge.id}")


def set_featured(project: Project, staff: User, featured: bool) -> Project:
    """Staff pick which published projects the home page features."""
    if not staff.is_staff:
        raise Forbidden.on("featured", Msg("只有团区委工作人员可以设置推荐项目"))
    if featured and project.status != ProjectStatus.PUBLISHED:
        raise Conflict.on("featured", Msg("只能推荐筹款中的项目"))
    project.featured = featured
    db.session.flush()
    audit.record("project.featured" if featured else "project.unfeatured", actor_id=staff.id, subject=project)
    return project
