"""Supervision use cases (必访、必查、必审): the visit log, the quarterly inspection draw and its
completion, the year-end fund check and overdue fund-usage reports. Operations flush; the caller
(page or CLI) commits once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.parties.models import Organization, VerificationStatus
from marketplace.projects.models import FundUsageItem, FundUsageReport, Project
from marketplace.supervision import rules
from marketplace.supervision.models import InspectionTask, SupervisionVisit
from marketplace.supervision.queries import funded_condition, overdue_condition
from marketplace.supervision.rules import FundFlag, Quarter
from marketplace.timeutil import LOCAL_TZ, local_today, utcnow

VISITS_LIMIT = 200


def require_staff(user: User | None, field_name: str = "staff") -> User:
    if user is None or not getattr(user, "is_staff", False):
        raise Forbidden.on(field_name, Msg("只有团区委工作人员可以进行监管操作"))
    return user


def _clean_notes(notes: str | None, field_name: str, *, missing: Msg, too_long: Msg) -> str:
    text = (notes or "").strip()
    if not text:
        raise DomainError.on(field_name, missing)
    if len(text) > rules.NOTES_MAX:
        raise DomainError.on(field_name, too_long)
    return text


# ─────────────────────────────── visits (必访) ───────────────────────────────


def log_visit(
    staff: User | None,
    organization: Organization | None,
    visited_on: date | None,
    notes: str,
    *,
    now: datetime | None = None,
) -> SupervisionVisit:
    """Record a staff visit to an organization. The date may not be in the future (Wenzhou time) nor
    before the year the organization was founded; every problem is reported at once."""
    actor = require_staff(staff)
    errors: dict[str, str] = {}
    if organization is None:
        errors["organization_id"] = Msg("请选择走访的组织")
    if visited_on is None:
        errors["visited_on"] = Msg("请填写走访日期")
    elif visited_on > local_today(now):
        errors["visited_on"] = Msg("走访日期不能晚于今天")
    elif (
        organization is not None and organization.founded_year and visited_on.year < organization.founded_year
    ):
        errors["visited_on"] = Msg(
            "走访日期不能早于该组织成立的年份（%(year)s 年）", year=organization.founded_year
        )
    elif visited_on.year < rules.FIRST_YEAR:
        errors["visited_on"] = Msg("走访日期不能早于 %(year)s 年", year=rules.FIRST_YEAR)
    try:
        text = _clean_notes(
            notes,
            "notes",
            missing=Msg("请填写走访情况"),
            too_long=Msg("走访情况不能超过 %(n)s 个字", n=rules.NOTES_MAX),
        )
    except DomainError as error:
        errors.update(error.fields)
    if errors:
        raise DomainError(errors)
    assert organization is not None and visited_on is not None
    visit = SupervisionVisit(
        organization_id=organization.id, visited_on=visited_on, staff_id=actor.id, notes=text
    )
    db.session.add(visit)
    db.session.flush()
    audit.record_by(
        actor,
        "supervision.visit_logged",
        subject=organization,
        payload={"visit_id": visit.id, "visited_on": visited_on.isoformat()},
    )
    return visit


def visits(
    *, organization_id: int | None = None, date_from: date | None = None, date_to: date | None = None
) -> list[SupervisionVisit]:
    """The visit log, newest first, filtered by organization and date range (inclusive)."""
    if date_from and date_to and date_from > date_to:
        raise DomainError.on("date_to", Msg("结束日期不能早于开始日期"))
    query = select(SupervisionVisit)
    if organization_id is not None:
        query = query.where(SupervisionVisit.organization_id == organization_id)
    if date_from is not None:
        query = query.where(SupervisionVisit.visited_on >= date_from)
    if date_to is not None:
        query = query.where(SupervisionVisit.visited_on <= date_to)
    query = query.order_by(SupervisionVisit.visited_on.desc(), SupervisionVisit.id.desc())
    return list(db.session.scalars(query.limit(VISITS_LIMIT)))


# ─────────────────────────────── inspections (必查) ───────────────────────────────


@dataclass
class Draw:
    """The outcome of a quarter's draw: what was drawn per grade and out of how many."""

    quarter: Quarter
    seed: int
    picks: dict[str, list[Organization]] = field(default_factory=dict)  # grade → drawn, by id
    pool_sizes: dict[str, int] = field(default_factory=dict)  # grade → organizations graded so
    ungraded: int = 0  # verified organizations without a current grade (never sampled)
    created: int = 0  # tasks created by this run (0 when the quarter was already drawn)

    @property
    def already_drawn(self) -> bool:
        return self.created == 0 and any(self.picks.values())


def graded_organizations(today: date) -> tuple[dict[str, list[int]], int]:
    """Verified organizations by current grade (valid on ``today``), and how many have none."""
    grouped: dict[str, list[int]] = {grade: [] for grade in rules.GRADES}
    ungraded = 0
    rows = db.session.execute(
        select(Organization.id, Organization.grade, Organization.grade_valid_until).where(
            Organization.verification_status == VerificationStatus.VERIFIED
        )
    )
    for org_id, grade, valid_until in rows:
        if grade in grouped and valid_until is not None and valid_until >= today:
            grouped[grade].append(org_id)
        else:
            ungraded += 1
    return grouped, ungraded


def quarter_tasks(quarter: Quarter | str) -> list[InspectionTask]:
    code = quarter.code if isinstance(quarter, Quarter) else rules.parse_quarter(quarter).code
    return list(
        db.session.scalars(
            select(InspectionTask)
            .where(InspectionTask.quarter == code)
            .order_by(InspectionTask.grade.desc(), InspectionTask.organization_id)
        )
    )


def sample_inspections(
    quarter_text: str,
    *,
    seed: int | None = None,
    now: datetime | None = None,
    actor: User | None = None,
) -> Draw:
    """Draw ``PER_GRADE`` verified organizations of each current grade (A1..A5) for inspection in the
    quarter and create their open inspection tasks.

    Idempotent: drawing a quarter again with the same seed creates nothing and returns the tasks
    already drawn; another seed for a quarter that has tasks is refused (the draw must stay the one
    that can be repeated from its seed). ``actor`` is the staff member, or None for the CLI.
    """
    quarter = rules.parse_quarter(quarter_text)
    chosen_seed = rules.default_seed(quarter) if seed is None else rules.check_seed(seed)
    if actor is not None:
        require_staff(actor)
    now = now or utcnow()
    existing = quarter_tasks(quarter)
    grouped, ungraded = graded_organizations(local_today(now))
    draw = Draw(quarter, chosen_seed, ungraded=ungraded)
    if existing:
        used = existing[0].seed
        if used != chosen_seed:
            raise Conflict.on(
                "seed",
                Msg(
                    "%(quarter)s 已用随机种子 %(used)s 抽取过检查对象，不能换用种子 %(seed)s 重新抽取",
                    quarter=quarter.code,
                    used=used,
                    seed=chosen_seed,
                ),
            )
        for task in existing:
            draw.picks.setdefault(task.grade or "", []).append(task.organization)
        draw.pool_sizes = {grade: len(ids) for grade, ids in grouped.items()}
        return draw
    picks = rules.sample_per_grade(grouped, rules.PER_GRADE, chosen_seed)
    organizations = _organizations([oid for ids in picks.values() for oid in ids])
    tasks = [
        InspectionTask(
            quarter=quarter.code, organization_id=oid, grade=grade, seed=chosen_seed, status="open"
        )
        for grade in sorted(picks, reverse=True)
        for oid in picks[grade]
    ]
    try:
        with db.session.begin_nested():
            db.session.add_all(tasks)
    except IntegrityError:  # another run drew the same quarter at the same moment
        raise Conflict.on(
            "quarter", Msg("%(quarter)s 正在由另一次操作抽取，请稍后刷新查看", quarter=quarter.code)
        ) from None
    draw.picks = {grade: [organizations[oid] for oid in ids] for grade, ids in picks.items()}
    draw.pool_sizes = {grade: len(ids) for grade, ids in grouped.items()}
    draw.created = len(tasks)
    audit.record_by(
        actor,
        "supervision.inspections_sampled",
        subject=None,
        payload={"quarter": quarter.code, "seed": chosen_seed, "picks": picks, "ungraded": ungraded},
    )
    return draw


def _organizations(ids: list[int]) -> dict[int, Organization]:
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(ids)))}


def complete_inspection(
    staff: User | None,
    task: InspectionTask,
    findings: str,
    *,
    visited_on: date | None = None,
    now: datetime | None = None,
) -> SupervisionVisit:
    """Close an open inspection with its findings; the inspection is logged as a visit linked to it."""
    actor = require_staff(staff)
    if task.status != "open":
        raise Conflict.on("task", Msg("这项检查已经完成，不能重复提交"))
    text = _clean_notes(
        findings,
        "findings",
        missing=Msg("请填写检查发现"),
        too_long=Msg("检查发现不能超过 %(n)s 个字", n=rules.NOTES_MAX),
    )
    now = now or utcnow()
    visit = log_visit(actor, task.organization, visited_on or local_today(now), text, now=now)
    claimed = db.session.execute(
        InspectionTask.__table__.update()
        .where(InspectionTask.id == task.id, InspectionTask.status == "open")
        .values(status="done", findings=text, completed_by_id=actor.id, completed_at=now)
    ).rowcount
    if claimed != 1:
        raise Conflict.on("task", Msg("这项检查已经完成，不能重复提交"))
    db.session.refresh(task)
    visit.inspection_id = task.id
    db.session.flush()
    audit.record_by(
        actor,
        "supervision.inspection_completed",
        subject=task.organization,
        payload={"task_id": task.id, "quarter": task.quarter, "visit_id": visit.id},
    )
    return visit


def task_for(task_id: int) -> InspectionTask:
    task = db.session.get(InspectionTask, task_id)
    if task is None:
        raise NotFound.on("task", Msg("找不到该检查任务"))
    return task


# ─────────────────────────────── fund check (必审) ───────────────────────────────


@dataclass(frozen=True)
class FundCheckRow:
    project_id: int
    title: str
    organization_id: int
    organization_name: str
    status: str
    funded_at: datetime
    raised: int
    disbursed: int
    reported: int
    reports: int
    flags: tuple[FundFlag, ...]


@dataclass(frozen=True)
class FundCheck:
    year: int
    rows: list[FundCheckRow]

    @property
    def raised(self) -> int:
        return sum(row.raised for row in self.rows)

    @property
    def disbursed(self) -> int:
        return sum(row.disbursed for row in self.rows)

    @property
    def reported(self) -> int:
        return sum(row.reported for row in self.rows)

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.rows if row.flags)


def _local_year_bounds(year: int) -> tuple[datetime, datetime]:
    """The year in Wenzhou time as naive-UTC [start, end) bounds, like the DateTime columns."""

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)

    return utc(date(year, 1, 1)), utc(date(year + 1, 1, 1))


def _report_totals(project_ids: list[int]) -> dict[int, tuple[int, int]]:
    """project id → (number of reports, total reported spent)."""
    if not project_ids:
        return {}
    counts = dict(
        db.session.execute(
            select(FundUsageReport.project_id, func.count(FundUsageReport.id))
            .where(FundUsageReport.project_id.in_(project_ids))
            .group_by(FundUsageReport.project_id)
        ).all()
    )
    sums = dict(
        db.session.execute(
            select(FundUsageReport.project_id, func.coalesce(func.sum(FundUsageItem.amount), 0))
            .join(FundUsageItem, FundUsageItem.report_id == FundUsageReport.id)
            .where(FundUsageReport.project_id.in_(project_ids))
            .group_by(FundUsageReport.project_id)
        ).all()
    )
    # PostgreSQL sums BIGINTs as NUMERIC (a Decimal); fen are ints.
    return {pid: (int(counts.get(pid, 0)), int(sums.get(pid, 0))) for pid in project_ids}


def fund_check(year: int) -> FundCheck:
    """Every project funded in ``year`` (Wenzhou time): raised vs disbursed vs reported spent, and
    the flags the check raises (see ``rules.fund_flags``)."""
    rules.check_year(year)
    start, end = _local_year_bounds(year)
    rows = db.session.execute(
        select(
            Project.id,
            Project.title,
            Project.organization_id,
            Organization.name,
            Project.status,
            Project.ended_at,
            Project.raised_amount,
            Project.disbursed_amount,
        )
        .join(Organization, Organization.id == Project.organization_id)
        .where(funded_condition(), Project.ended_at >= start, Project.ended_at < end)
        .order_by(Project.ended_at, Project.id)
    ).all()
    totals = _report_totals([row[0] for row in rows])
    result = []
    for pid, title, org_id, org_name, status, ended_at, raised, disbursed in rows:
        reports, reported = totals[pid]
        result.append(
            FundCheckRow(
                project_id=pid,
                title=title,
                organization_id=org_id,
                organization_name=org_name,
                status=status,
                funded_at=ended_at,
                raised=int(raised),
                disbursed=int(disbursed),
                reported=reported,
                reports=reports,
                flags=rules.fund_flags(
                    raised=int(raised), disbursed=int(disbursed), reported=reported, has_report=reports > 0
                ),
            )
        )
    return FundCheck(year, result)


# ─────────────────────────────── overdue reports ───────────────────────────────


@dataclass(frozen=True)
class OverdueReport:
    project: Project
    funded_at: datetime
    due_at: datetime
    days_overdue: int


def overdue_reports(now: datetime | None = None, organization_id: int | None = None) -> list[OverdueReport]:
    """Funded projects with no fund-usage report ``REPORT_DUE_DAYS`` days after funding, longest
    overdue first. Their organizations are held back from recommendations until they report."""
    now = now or utcnow()
    query = select(Project).where(overdue_condition(now))
    if organization_id is not None:
        query = query.where(Project.organization_id == organization_id)
    projects = db.session.scalars(query.order_by(Project.ended_at, Project.id))
    result = []
    for project in projects:
        assert project.ended_at is not None
        result.append(
            OverdueReport(
                project=project,
                funded_at=project.ended_at,
                due_at=rules.report_due_at(project.ended_at),
                days_overdue=rules.days_overdue(project.ended_at, now),
            )
        )
    return result


# ─────────────────────────────── overview ───────────────────────────────


@dataclass(frozen=True)
class Overview:
    quarter: Quarter
    open_inspections: int
    done_inspections: int
    overdue_reports: int
    fund_gaps: int  # projects funded this year with a fund-check flag
    visits_this_quarter: int


def overview(now: datetime | None = None) -> Overview:
    now = now or utcnow()
    today = local_today(now)
    quarter = rules.quarter_of(today)
    status_counts: dict[str, int] = defaultdict(int)
    for status, count in db.session.execute(
        select(InspectionTask.status, func.count(InspectionTask.id))
        .where(InspectionTask.quarter == quarter.code)
        .group_by(InspectionTask.status)
    ):
        status_counts[status] = int(count)
    visits_count = db.session.scalar(
        select(func.count(SupervisionVisit.id)).where(
            SupervisionVisit.visited_on >= quarter.start, SupervisionVisit.visited_on <= quarter.end
        )
    )
    return Overview(
        quarter=quarter,
        open_inspections=status_counts["open"],
        done_inspections=status_counts["done"],
        overdue_reports=int(
            db.session.scalar(select(func.count(Project.id)).where(overdue_condition(now))) or 0
        ),
        fund_gaps=fund_check(today.year).flagged,
        visits_this_quarter=int(visits_count or 0),
    )
