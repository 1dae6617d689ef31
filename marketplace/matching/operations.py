"""Sponsor profiles, matches and staff introductions: the use cases behind the pages, the API and
the CLI. Operations flush; the caller commits once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.matching import catalog as catalogs
from marketplace.matching.models import Introduction, MatchSuggestion, SponsorProfile
from marketplace.matching.scoring import (
    GRADES,
    MAX_LIMIT,
    TIERS,
    Audience,
    Match,
    Reason,
    SponsorFacts,
    rank_projects,
    rank_sponsors,
    score_pair,
)
from marketplace.matching.states import (
    COMPANY_CHOICES,
    CONVERSION_DAYS,
    OPEN_STATUSES,
    IntroductionStatus,
    sources_for,
)
from marketplace.messages import Msg
from marketplace.money import format_fen
from marketplace.parties.models import Company
from marketplace.parties.operations import categories_named, districts_named
from marketplace.pledges.accounting import MAX_PLEDGE_FEN
from marketplace.pledges.models import Pledge
from marketplace.pledges.states import MONEY_HELD
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStatus
from marketplace.timeutil import to_local, utcnow

STATEMENT_MAX = 2000
NOTE_MAX = 1000
VOLUNTEERS_MAX = 100_000
BOARD_PER_COMPANY = 20
# How many more candidates than asked for are re-read from the database before a list is shown.
_RECHECK_FACTOR = 2


# ─────────────────────────────── sponsor profile ───────────────────────────────


@dataclass
class SponsorProfileInput:
    focus_categories: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    pledge_min: int | None = None  # fen
    pledge_max: int | None = None  # fen
    yearly_budget: int | None = None  # fen
    interest_statement: str = ""
    preferred_grades: list[str] = field(default_factory=list)
    preferred_tiers: list[str] = field(default_factory=list)
    volunteer_capacity: int | None = None


def sponsor_profile_of(company: Company) -> SponsorProfile | None:
    return db.session.get(SponsorProfile, company.id)


def require_company_member(company: Company, user: User | None) -> None:
    if user is None or not (user.role == Role.COMPANY and user.company_id == company.id):
        raise Forbidden.on("company", Msg("只有该企业的成员可以修改赞助偏好"))


def save_sponsor_profile(company: Company, data: SponsorProfileInput, actor: User | None) -> SponsorProfile:
    """Create or replace a company's sponsor profile (and its focus categories, districts and yearly
    budget, which the company profile shows too). Every field's problem is reported at once."""
    require_company_member(company, actor)
    assert actor is not None
    errors: dict[str, str] = {}
    categories = categories_named(data.focus_categories, "focus_categories", errors)
    districts = districts_named(data.districts, "districts", errors)
    _check_amount(data.pledge_min, "pledge_min", errors)
    _check_amount(data.pledge_max, "pledge_max", errors)
    _check_amount(data.yearly_budget, "yearly_budget", errors, upper=None)
    if (
        "pledge_min" not in errors
        and "pledge_max" not in errors
        and data.pledge_min is not None
        and data.pledge_max is not None
        and data.pledge_min > data.pledge_max
    ):
        errors["pledge_max"] = Msg("单笔认捐上限不能低于下限")
    statement = (data.interest_statement or "").strip()
    if len(statement) > STATEMENT_MAX:
        errors["interest_statement"] = Msg("关注说明最多 %(n)s 字", n=STATEMENT_MAX)
    grades = list(dict.fromkeys(data.preferred_grades or []))
    if unknown := [g for g in grades if g not in GRADES]:
        errors["preferred_grades"] = Msg(
            "未知的组织评级：%(names)s（可选 A1 至 A5）", names="、".join(unknown)
        )
    tiers = list(dict.fromkeys(data.preferred_tiers or []))
    if unknown := [t for t in tiers if t not in TIERS]:
        errors["preferred_tiers"] = Msg("未知的组织梯队：%(names)s", names="、".join(unknown))
    volunteers = data.volunteer_capacity
    if volunteers is not None and (
        isinstance(volunteers, bool)
        or not isinstance(volunteers, int)
        or not 0 <= volunteers <= VOLUNTEERS_MAX
    ):
        errors["volunteer_capacity"] = Msg("志愿者人数应为 0 到 %(n)s 之间的整数", n=VOLUNTEERS_MAX)
    if errors:
        raise DomainError(errors)
    profile = sponsor_profile_of(company) or SponsorProfile(company_id=company.id)
    profile.pledge_min = data.pledge_min
    profile.pledge_max = data.pledge_max
    profile.interest_statement = statement
    profile.preferred_grades = [g for g in GRADES if g in grades]
    profile.preferred_tiers = [t for t in TIERS if t in tiers]
    profile.volunteer_capacity = volunteers
    profile.updated_by_id = actor.id
    profile.updated_at = utcnow()
    company.focus_categories = categories
    company.districts_of_interest = districts
    company.yearly_budget = data.yearly_budget
    db.session.add(profile)
    db.session.flush()
    audit.record("company.sponsor_profile_saved", actor_id=actor.id, subject=company)
    return profile


def missing_profile_parts(company: Company, profile: SponsorProfile | None) -> list[str]:
    """What a company still has to fill in for its matches to use every signal: a saved sponsor
    profile naming focus categories, an interest statement and a usual pledge range."""
    missing = []
    if profile is None:
        missing.append("sponsor_profile")
    if not company.focus_categories:
        missing.append("focus_categories")
    if profile is None or not (profile.interest_statement or "").strip():
        missing.append("interest_statement")
    if profile is None or (profile.pledge_min is None and profile.pledge_max is None):
        missing.append("pledge_range")
    return missing


def _check_amount(
    value: Any, name: str, errors: dict[str, str], *, upper: int | None = MAX_PLEDGE_FEN
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = Msg("金额应为以分为单位的整数")
    elif value <= 0 and name != "yearly_budget":
        errors[name] = Msg("金额必须大于 0")
    elif value < 0:
        errors[name] = Msg("金额不能为负数")
    elif upper is not None and value > upper:
        errors[name] = Msg("单笔金额不能超过 %(max)s", max=format_fen(upper))


# ─────────────────────────────── matches ───────────────────────────────


@dataclass(frozen=True)
class ProjectMatch:
    project: Project
    match: Match


@dataclass(frozen=True)
class SponsorMatch:
    company: Company
    match: Match


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError.on("limit", Msg("limit 应在 1 到 %(max)s 之间", max=MAX_LIMIT))
    return limit


def require_company_access(company: Company, user: User | None) -> None:
    """A company's matches are for its own members and for staff."""
    if user is None or not (user.is_staff or (user.role == Role.COMPANY and user.company_id == company.id)):
        raise Forbidden.on("company", Msg("只有该企业的成员和团区委工作人员可以查看推荐"))


def require_project_access(project: Project, user: User | None) -> None:
    """A project's potential sponsors are for its organization and for staff."""
    if user is None or not (
        user.is_staff or (user.role == Role.ORG and user.organization_id == project.organization_id)
    ):
        raise Forbidden.on("project", Msg("只有项目所属组织和团区委工作人员可以查看潜在赞助企业"))


def sponsor_of(company: Company) -> SponsorFacts:
    return catalogs.sponsor_facts([company])[0]


def company_matches(
    company: Company,
    *,
    limit: int = 20,
    audience: str = Audience.COMPANY,
    among: Iterable[int] | None = None,
    now: datetime | None = None,
) -> list[ProjectMatch]:
    """The best open projects for a company, best first; every one re-read from the database."""
    check_limit(limit)
    now = now or utcnow()
    current = catalogs.catalog(now)
    sponsor = sponsor_of(company)
    wanted = limit * _RECHECK_FACTOR
    for _attempt in range(3):
        matches = rank_projects(sponsor, current, now, limit=wanted, audience=audience, among=among)
        if not _patch_stale(current, [m.project_id for m in matches]):
            break
    else:  # still moving under heavy pledging: show what is certainly current
        fresh = catalogs.fresh_amounts(m.project_id for m in matches)
        matches = [m for m in matches if m.project_id in fresh and m.gap == current.gap_of(m.project_id)]
    matches = matches[:limit]
    projects = _by_id(Project, [m.project_id for m in matches])
    return [ProjectMatch(projects[m.project_id], m) for m in matches if m.project_id in projects]


def _patch_stale(current: catalogs.Catalog, project_ids: Sequence[int]) -> bool:
    """Re-read the projects about to be shown; patch the cached catalog where they changed (a
    pledge arrived, the project closed). True when anything was stale."""
    fresh = catalogs.fresh_amounts(project_ids)
    stale = {pid: fresh.get(pid) for pid in project_ids if fresh.get(pid) != current.raised_of(pid)}
    if stale:
        current.refresh_amounts(stale)
    return bool(stale)


def project_sponsors(
    project: Project,
    *,
    limit: int = 20,
    now: datetime | None = None,
    company_ids: Iterable[int] | None = None,
) -> list[SponsorMatch]:
    """The verified companies a project fits best, best first (empty when it cannot be suggested)."""
    check_limit(limit)
    now = now or utcnow()
    current = catalogs.catalog(now)
    fresh = catalogs.fresh_amounts([project.id])
    if project.id not in fresh:
        return []
    current.refresh_amounts(fresh)
    if project.id not in current.row_of:  # published after the catalog was built
        current = catalogs.build_catalog(now)
    companies = catalogs.verified_companies(company_ids)
    matches = rank_sponsors(catalogs.sponsor_facts(companies), project.id, current, now, limit=limit)
    by_id = {company.id: company for company in companies}
    return [SponsorMatch(by_id[m.company_id], m) for m in matches]


def _by_id(model: Any, ids: Sequence[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def reason_payload(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    """Reasons as stored on the board: the message id and parameters, translated when shown."""
    return [{"code": r.code, "msgid": r.message.msgid, "params": r.message.params} for r in reasons]


def stored_reasons(payload: Iterable[dict[str, Any]]) -> list[Reason]:
    return [Reason(item["code"], Msg(item["msgid"], **(item.get("params") or {}))) for item in payload]


# ─────────────────────────────── board precompute ───────────────────────────────


def refresh_board(
    *, now: datetime | None = None, per_company: int = BOARD_PER_COMPANY, batch: int = 200
) -> int:
    """Recompute every verified company's top projects for the staff board; returns rows written.

    Companies are handled in batches (the caller may commit between them), so memory stays bounded by
    the catalog and one batch, whatever the number of companies."""
    now = now or utcnow()
    current = catalogs.build_catalog(now)
    written = 0
    for companies in _company_batches(batch):
        ids = [company.id for company in companies]
        db.session.execute(delete(MatchSuggestion).where(MatchSuggestion.company_id.in_(ids)))
        rows = []
        for sponsor in catalogs.sponsor_facts(companies):
            for rank, match in enumerate(
                rank_projects(sponsor, current, now, limit=per_company, audience=Audience.BROKER), start=1
            ):
                rows.append(
                    {
                        "company_id": sponsor.company_id,
                        "project_id": match.project_id,
                        "rank": rank,
                        "score": round(match.score * 10),
                        "reasons": reason_payload(match.reasons),
                        "computed_at": now,
                    }
                )
        if rows:
            db.session.execute(MatchSuggestion.__table__.insert(), rows)
        written += len(rows)
        db.session.flush()
    db.session.execute(
        delete(MatchSuggestion).where(
            MatchSuggestion.company_id.not_in(
                select(Company.id).where(Company.verification_status == "verified")
            )
        )
    )
    return written


BOARD_LOCK_KEY = 0x5143_4D41  # "QCMA": one board refresh at a time across hosts


def lock_board() -> bool:
    """Take the board for this transaction; False when another run holds it (PostgreSQL). SQLite
    serialises writers by itself."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(BOARD_LOCK_KEY))))


def _company_batches(size: int):  # type: ignore[no-untyped-def]
    last_id = 0
    while True:
        companies = list(
            db.session.scalars(
                select(Company)
                .where(Company.verification_status == "verified", Company.id > last_id)
                .order_by(Company.id)
                .limit(size)
            )
        )
        if not companies:
            return
        yield companies
        last_id = companies[-1].id


# ─────────────────────────────── introductions ───────────────────────────────


def send_introduction(staff: User | None, company: Company, project: Project, note: str) -> Introduction:
    """Staff introduce a company to a published project; the company's members are notified."""
    if staff is None or not staff.is_staff:
        raise Forbidden.on("introduction", Msg("只有团区委工作人员可以发送牵线介绍"))
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if not company.is_verified:
        errors["company_id"] = Msg("只能向已认证的企业介绍项目")
    if project.status != ProjectStatus.PUBLISHED:
        errors["project_id"] = Msg(
            "只能介绍筹款中的项目（该项目状态为「%(status)s」）", status=project.status_label
        )
    elif project.raised_amount >= project.goal_amount:
        errors["project_id"] = Msg("该项目已筹满，无需再介绍赞助企业")
    elif project.deadline <= utcnow():
        errors["project_id"] = Msg("该项目已过筹款截止时间，不能再介绍")
    if len(note) > NOTE_MAX:
        errors["note"] = Msg("附言最多 %(n)s 字", n=NOTE_MAX)
    if errors:
        raise DomainError(errors)
    if open_introduction(company.id, project.id) is not None:
        raise _duplicate()
    match = _score_as_sent(company, project)
    introduction = Introduction(
        company_id=company.id,
        project_id=project.id,
        organization_id=project.organization_id,
        staff_id=staff.id,
        note=note,
        status=IntroductionStatus.SENT.value,
        score=round(match.score * 10) if match else None,
        sent_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(introduction)
    except IntegrityError:
        raise _duplicate() from None  # a concurrent request introduced the same pair
    audit.record(
        "introduction.sent",
        actor_id=staff.id,
        subject=introduction,
        payload={"company_id": company.id, "project_id": project.id},
    )
    _notify(
        _members(User.company_id == company.id),
        Msg("团区委为您推荐了一个项目"),
        Msg(
            "%(staff)s 向贵司推荐「%(title)s」：%(note)s",
            staff=staff.name,
            title=project.title,
            note=note or "—",
        ),
        f"/introductions/{introduction.id}",
    )
    return introduction


def _duplicate() -> Conflict:
    return Conflict.on("project_id", Msg("已经向该企业介绍过这个项目，介绍仍在进行中"))


def _score_as_sent(company: Company, project: Project) -> Match | None:
    """The pair's match as staff see it now, kept on the introduction for later comparison."""
    now = utcnow()
    current = catalogs.catalog(now)
    if project.id not in current.row_of:
        return None
    return score_pair(sponsor_of(company), project.id, current, now, Audience.BROKER)


def open_introduction(company_id: int, project_id: int) -> Introduction | None:
    return db.session.scalar(
        select(Introduction).where(
            Introduction.company_id == company_id,
            Introduction.project_id == project_id,
            Introduction.status.in_([s.value for s in OPEN_STATUSES]),
        )
    )


def require_introduction_access(introduction: Introduction, user: User | None) -> None:
    if user is None or not (
        user.is_staff or (user.role == Role.COMPANY and user.company_id == introduction.company_id)
    ):
        raise NotFound.on("introduction", Msg("找不到该介绍"))


def respond_to_introduction(
    introduction: Introduction, user: User | None, status: str, note: str = ""
) -> Introduction:
    """The company marks an introduction viewed, interested or declined."""
    require_introduction_access(introduction, user)
    assert user is not None
    if user.role != Role.COMPANY:
        raise Forbidden.on("status", Msg("只有被介绍的企业可以回复介绍"))
    try:
        target = IntroductionStatus(status)
    except ValueError:
        target = None
    if target is None or target not in COMPANY_CHOICES:
        raise DomainError.on(
            "status", Msg("状态只能是 viewed（已查看）、interested（有意向）或 declined（婉拒）")
        )
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError.on("note", Msg("回复最多 500 字"))
    if introduction.status == target.value:
        return introduction  # saying the same thing twice changes nothing
    now = utcnow()
    values: dict[str, Any] = {"status": target.value, "viewed_at": func.coalesce(Introduction.viewed_at, now)}
    if target != IntroductionStatus.VIEWED:
        values.update(responded_at=now, response_note=note)
    if target == IntroductionStatus.INTERESTED:
        values["interested_at"] = func.coalesce(Introduction.interested_at, now)
    moved = db.session.execute(
        update(Introduction)
        .where(
            Introduction.id == introduction.id,
            Introduction.status.in_([s.value for s in sources_for(target)]),
        )
        .values(**values)
    ).rowcount
    if not moved:
        db.session.refresh(introduction)
        raise Conflict.on(
            "status", Msg("该介绍当前为「%(status)s」，不能改为所选状态", status=introduction.status_label)
        )
    db.session.refresh(introduction)
    audit.record(
        f"introduction.{target.value}", actor_id=user.id, subject=introduction, payload={"note": note[:200]}
    )
    if target != IntroductionStatus.VIEWED:
        _notify(
            _members(User.id == introduction.staff_id),
            Msg("企业回复了您的牵线介绍"),
            Msg(
                "%(company)s 对「%(title)s」的回复：%(status)s。%(note)s",
                company=introduction.company.name,
                title=introduction.project.title,
                status=introduction.status_label,
                note=note,
            ),
            f"/staff/introductions/{introduction.id}",
        )
    return introduction


def mark_viewed(introduction: Introduction, user: User | None) -> bool:
    """The company opened the introduction: sent → viewed (no-op otherwise)."""
    if user is None or user.role != Role.COMPANY or user.company_id != introduction.company_id:
        return False
    if introduction.status != IntroductionStatus.SENT:
        return False
    respond_to_introduction(introduction, user, IntroductionStatus.VIEWED.value)
    return True


def convert_introductions(
    company_id: int,
    *,
    project_id: int | None = None,
    organization_id: int | None = None,
    via: str,
    pledge_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """A pledge to the project (or an agreement with its organization) within ``CONVERSION_DAYS``
    of an introduction converts it. Called by the pledge and agreement operations."""
    now = now or utcnow()
    target = [Introduction.project_id == project_id] if project_id is not None else []
    if organization_id is not None:
        target.append(Introduction.organization_id == organization_id)
    if not target:
        return 0
    return db.session.execute(
        update(Introduction)
        .where(
            Introduction.company_id == company_id,
            or_(*target),
            Introduction.status.in_([s.value for s in sources_for(IntroductionStatus.CONVERTED)]),
            Introduction.sent_at >= now - timedelta(days=CONVERSION_DAYS),
            Introduction.sent_at <= now,
        )
        .values(
            status=IntroductionStatus.CONVERTED.value,
            converted_at=now,
            converted_via=via,
            pledge_id=pledge_id,
            viewed_at=func.coalesce(Introduction.viewed_at, now),
            interested_at=func.coalesce(Introduction.interested_at, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def list_introductions(
    user: User,
    *,
    status: str | None = None,
    staff_id: int | None = None,
    company_id: int | None = None,
    project_id: int | None = None,
    limit: int = 100,
) -> list[Introduction]:
    """Staff see every introduction; a company member sees those made to their company."""
    query = select(Introduction).order_by(Introduction.sent_at.desc(), Introduction.id.desc())
    if not user.is_staff:
        if user.role != Role.COMPANY:
            raise Forbidden.on("introduction", Msg("只有企业成员和团区委工作人员可以查看牵线介绍"))
        query = query.where(Introduction.company_id == user.company_id)
    if status:
        try:
            query = query.where(Introduction.status == IntroductionStatus(status).value)
        except ValueError:
            raise DomainError.on(
                "status",
                Msg(
                    "未知的状态：%(status)s（可选 sent、viewed、interested、declined、converted）",
                    status=status,
                ),
            ) from None
    for column, value in (
        (Introduction.staff_id, staff_id),
        (Introduction.company_id, company_id),
        (Introduction.project_id, project_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return list(db.session.scalars(query.limit(limit)))


def raised_through(introductions: Sequence[Introduction]) -> dict[int, int]:
    """Money each converted introduction brought (paid minus refunded, fen): the company's held
    pledges to the project within the conversion window. A pledge is credited once, to the latest
    introduction of that company and project sent before it."""
    converted = [i for i in introductions if i.status == IntroductionStatus.CONVERTED]
    if not converted:
        return {}
    companies = {i.company_id for i in converted}
    projects = {i.project_id for i in converted}
    pairs: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
    for intro_id, company_id, project_id, sent_at in db.session.execute(
        select(Introduction.id, Introduction.company_id, Introduction.project_id, Introduction.sent_at).where(
            Introduction.status == IntroductionStatus.CONVERTED.value,
            Introduction.company_id.in_(companies),
            Introduction.project_id.in_(projects),
        )
    ):
        pairs.setdefault((company_id, project_id), []).append((sent_at, intro_id))
    window = timedelta(days=CONVERSION_DAYS)
    credited: dict[int, int] = {}
    for company_id, project_id, created_at, paid, refunded in db.session.execute(
        select(
            Pledge.company_id,
            Pledge.project_id,
            Pledge.created_at,
            Pledge.paid_amount,
            Pledge.refunded_amount,
        ).where(
            Pledge.status.in_([s.value for s in MONEY_HELD]),
            Pledge.project_id.in_(projects),
            Pledge.company_id.in_(companies),
        )
    ):
        earlier = [
            (sent_at, intro_id)
            for sent_at, intro_id in pairs.get((company_id, project_id), ())
            if sent_at <= created_at <= sent_at + window
        ]
        if earlier:
            intro_id = max(earlier)[1]
            credited[intro_id] = credited.get(intro_id, 0) + (paid or 0) - (refunded or 0)
    return {intro.id: credited.get(intro.id, 0) for intro in converted}


@dataclass
class FunnelRow:
    key: str  # staff name or "YYYY-MM"
    sent: int = 0
    viewed: int = 0
    interested: int = 0
    declined: int = 0
    converted: int = 0
    raised: int = 0  # fen

    @property
    def conversion_percent(self) -> int:
        return self.converted * 100 // self.sent if self.sent else 0


def funnel(
    *, by: str = "staff", since: datetime | None = None, until: datetime | None = None
) -> list[FunnelRow]:
    """Sent, viewed, interested, declined, converted and money raised, per staff member or per month
    (of sending). An introduction counts at every step it reached."""
    if by not in ("staff", "month"):
        raise DomainError.on("by", Msg("分组方式只能是 staff 或 month"))
    query = select(Introduction)
    if since is not None:
        query = query.where(Introduction.sent_at >= since)
    if until is not None:
        query = query.where(Introduction.sent_at < until)
    introductions = list(db.session.scalars(query))
    raised = raised_through(introductions)
    names = {
        user_id: name
        for user_id, name in db.session.execute(
            select(User.id, User.name).where(User.id.in_({i.staff_id for i in introductions}))
        )
    }
    rows: dict[object, FunnelRow] = {}
    for intro in introductions:
        # Staff are grouped by id (two people may share a name); months as Wenzhou counts them.
        group: object = intro.staff_id if by == "staff" else to_local(intro.sent_at).strftime("%Y-%m")
        label = names.get(intro.staff_id, "") if by == "staff" else str(group)
        row = rows.setdefault(group, FunnelRow(label))
        row.sent += 1
        row.viewed += intro.viewed_at is not None
        row.interested += intro.interested_at is not None
        row.declined += intro.status == IntroductionStatus.DECLINED
        row.converted += intro.status == IntroductionStatus.CONVERTED
        row.raised += raised.get(intro.id, 0)
    ordered = sorted(rows.values(), key=lambda r: r.key, reverse=by == "month")
    return ordered


def _members(condition: Any) -> list[User]:
    return list(db.session.scalars(select(User).where(condition)))


def _notify(users: list[User], title: Msg, body: Msg, link: str) -> None:
    from marketplace.notifications.operations import notify

    notify(users, kind="introduction", title=title, body=body, link=link)
