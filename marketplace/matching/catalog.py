"""Database rows → the pure scorer's facts, and the per-process catalog of open projects.

Building the catalog segments every open project's text with jieba, so it is cached per process:
the words of a project are kept until its text changes, and the catalog itself is rebuilt at most
every ``MATCHING_CATALOG_TTL`` seconds. A cached catalog may be a little behind on amounts and
states, so ``operations`` re-reads the projects it is about to show and drops any that can no
longer be suggested.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from marketplace.agreements.models import Agreement
from marketplace.extensions import db
from marketplace.matching import text
from marketplace.matching.models import SponsorProfile
from marketplace.matching.scoring import Catalog, OrganizationFacts, ProjectFacts, SponsorFacts
from marketplace.parties.models import Company, Organization, VerificationStatus, company_districts
from marketplace.parties.models import company_focus_categories as focus_table
from marketplace.pledges.models import Pledge
from marketplace.pledges.states import MONEY_HELD, PledgeStatus
from marketplace.projects.models import FundUsageReport, Project
from marketplace.projects.states import ProjectStatus
from marketplace.supervision.queries import organizations_with_overdue_reports
from marketplace.supervision.rules import REPORT_DUE_DAYS
from marketplace.taxonomy.models import Category
from marketplace.timeutil import local_today, utcnow

# A fund-usage report is on time within REPORT_DUE_DAYS (90) days after a project is funded or closed;
# the constant lives with the supervision rules, which also hold overdue organizations back (below).
# Pledges that count as "this company supports that project" (not cancelled, failed or refunded).
SUPPORTING = frozenset({PledgeStatus.PENDING, *MONEY_HELD})

_terms_cache: dict[int, tuple[int, dict[str, int]]] = {}
_catalog_lock = threading.Lock()
_cached: tuple[float, str, Catalog] | None = None


# ─────────────────────────────── organizations ───────────────────────────────


def organization_facts(
    now: datetime, organization_ids: Iterable[int] | None = None
) -> dict[int, OrganizationFacts]:
    """Verified organizations with their valid grade, tier and fund-usage report record."""
    query = select(
        Organization.id, Organization.grade, Organization.grade_valid_until, Organization.tier
    ).where(Organization.verification_status == VerificationStatus.VERIFIED)
    if organization_ids is not None:
        query = query.where(Organization.id.in_(list(organization_ids)))
    today = local_today(now)
    records = _report_records(now)
    facts: dict[int, OrganizationFacts] = {}
    for org_id, grade, valid_until, tier in db.session.execute(query):
        due, on_time = records.get(org_id, (0, 0))
        facts[org_id] = OrganizationFacts(
            id=org_id,
            verified=True,
            grade=grade if grade and _valid(valid_until, today) else None,
            tier=tier,
            reports_due=due,
            reports_on_time=on_time,
        )
    return facts


def _valid(valid_until: date | None, today: date) -> bool:
    return valid_until is not None and valid_until >= today


def _report_records(now: datetime) -> dict[int, tuple[int, int]]:
    """organization id → (reports owed, reports delivered on time) over its ended projects."""
    first_report = (
        select(FundUsageReport.project_id, func.min(FundUsageReport.created_at).label("first_at"))
        .group_by(FundUsageReport.project_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Project.organization_id, Project.ended_at, first_report.c.first_at)
        .outerjoin(first_report, first_report.c.project_id == Project.id)
        .where(
            Project.status.in_([ProjectStatus.FUNDED, ProjectStatus.CLOSED]),
            Project.raised_amount > 0,
            Project.ended_at.is_not(None),
        )
    )
    records: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    window = timedelta(days=REPORT_DUE_DAYS)
    for org_id, ended_at, first_at in rows:
        due_at = ended_at + window
        if first_at is None and due_at > now:
            continue  # not due yet
        record = records[org_id]
        record[0] += 1
        if first_at is not None and first_at <= due_at:
            record[1] += 1
    return {org_id: (due, on_time) for org_id, (due, on_time) in records.items()}


# ─────────────────────────────── projects ───────────────────────────────


def _project_rows(project_ids: Iterable[int] | None = None, now: datetime | None = None):  # type: ignore[no-untyped-def]
    query = (
        select(
            Project.id,
            Project.organization_id,
            Project.status,
            Category.slug,
            Category.name,
            Project.district,
            Project.goal_amount,
            Project.raised_amount,
            Project.deadline,
            Project.title,
            Project.summary,
            Project.tags,
            func.substr(Project.description, 1, text.DESCRIPTION_CHARS),
        )
        .join(Category, Category.id == Project.category_id)
        .join(Organization, Organization.id == Project.organization_id)
        .where(
            Project.status == ProjectStatus.PUBLISHED,
            Project.raised_amount < Project.goal_amount,
            Organization.verification_status == VerificationStatus.VERIFIED,
            Project.hidden_at.is_(None),  # moderation holds (marketplace/moderation/visibility.py)
            Organization.hidden_at.is_(None),
            # Supervision (issue 8): "a funded project with no fund-usage report 90 days after funding
            # drops out of recommendations until it reports". The funded project itself is no longer
            # open, so the rule bites on its organization: while any of its funded projects owes an
            # overdue report, none of its open projects is recommended; filing the report brings
            # them back (at the next catalog rebuild; the re-read before showing drops them at once).
            Project.organization_id.not_in(organizations_with_overdue_reports(now or utcnow())),
        )
    )
    if project_ids is not None:
        query = query.where(Project.id.in_(list(project_ids)))
    return db.session.execute(query)


def _terms(
    project_id: int, title: str, summary: str, tags: list[str] | None, description: str
) -> dict[str, int]:
    fingerprint = hash((title, summary, tuple(tags or ()), description))
    cached = _terms_cache.get(project_id)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    terms = text.weighted_terms(
        {"title": title, "summary": summary, "tags": " ".join(tags or ()), "description": description}
    )
    _terms_cache[project_id] = (fingerprint, terms)
    return terms


def project_facts(
    project_ids: Iterable[int] | None = None, now: datetime | None = None
) -> list[ProjectFacts]:
    return [
        ProjectFacts(
            id=row[0],
            organization_id=row[1],
            status=row[2],
            category=row[3],
            category_name=row[4],
            district=row[5],
            goal=row[6],
            raised=row[7],
            deadline=row[8],
            terms=_terms(row[0], row[9], row[10], row[11], row[12] or ""),
        )
        for row in _project_rows(project_ids, now)
    ]


def build_catalog(now: datetime) -> Catalog:
    return Catalog(project_facts(now=now), organization_facts(now))


def catalog(now: datetime) -> Catalog:
    """The cached catalog of this process (rebuilt when older than ``MATCHING_CATALOG_TTL``)."""
    global _cached
    ttl = float(current_app.config.get("MATCHING_CATALOG_TTL", 60))
    database = str(db.engine.url)
    with _catalog_lock:
        if _cached is not None and _cached[1] == database and time.monotonic() - _cached[0] < ttl:
            return _cached[2]
        built = build_catalog(now)
        _cached = (time.monotonic(), database, built)
        return built


def forget_catalog() -> None:
    """Tests and the CLI drop the cached catalog after changing many projects at once."""
    global _cached
    with _catalog_lock:
        _cached = None


def fresh_amounts(project_ids: Iterable[int]) -> dict[int, int]:
    """The projects among ``project_ids`` that can still be suggested, with their raised amounts."""
    ids = list(project_ids)
    if not ids:
        return {}
    return {row[0]: row[7] for row in _project_rows(ids)}


# ─────────────────────────────── sponsors ───────────────────────────────


def sponsor_facts(companies: Iterable[Company]) -> list[SponsorFacts]:
    """Sponsor facts for many companies in a fixed number of queries."""
    companies = list(companies)
    ids = [company.id for company in companies]
    if not ids:
        return []
    profiles = {
        p.company_id: p
        for p in db.session.scalars(select(SponsorProfile).where(SponsorProfile.company_id.in_(ids)))
    }
    focus: dict[int, set[str]] = defaultdict(set)
    for company_id, slug in db.session.execute(
        select(focus_table.c.company_id, Category.slug)
        .join(Category, Category.id == focus_table.c.category_id)
        .where(focus_table.c.company_id.in_(ids))
    ):
        focus[company_id].add(slug)
    districts: dict[int, set[str]] = defaultdict(set)
    for company_id, name in db.session.execute(
        select(company_districts.c.company_id, company_districts.c.district_name).where(
            company_districts.c.company_id.in_(ids)
        )
    ):
        districts[company_id].add(name)
    history: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    supported: dict[int, set[int]] = defaultdict(set)
    pledged: dict[int, set[int]] = defaultdict(set)
    for company_id, project_id, org_id, slug, status in db.session.execute(
        select(Pledge.company_id, Pledge.project_id, Project.organization_id, Category.slug, Pledge.status)
        .join(Project, Project.id == Pledge.project_id)
        .join(Category, Category.id == Project.category_id)
        .where(Pledge.company_id.in_(ids), Pledge.status.in_([s.value for s in SUPPORTING]))
    ):
        pledged[company_id].add(project_id)
        if status != PledgeStatus.PENDING:
            history[company_id][slug].add(project_id)
            supported[company_id].add(org_id)
    partners: dict[int, set[int]] = defaultdict(set)
    # A signed partnership agreement is support too, whether or not its money has arrived yet.
    for company_id, org_id in db.session.execute(
        select(Agreement.company_id, Agreement.organization_id).where(
            Agreement.company_id.in_(ids),
            Agreement.current_version_id.is_not(None),
            Agreement.organization_id.is_not(None),
        )
    ):
        supported[company_id].add(org_id)
        partners[company_id].add(org_id)
    return [
        _sponsor(company, profiles.get(company.id), focus, districts, history, supported, partners, pledged)
        for company in companies
    ]


def _sponsor(company, profile, focus, districts, history, supported, partners, pledged) -> SponsorFacts:  # type: ignore[no-untyped-def]
    return SponsorFacts(
        company_id=company.id,
        district=company.district,
        focus_categories=frozenset(focus[company.id]),
        districts=frozenset(districts[company.id]),
        pledge_min=profile.pledge_min if profile else None,
        pledge_max=profile.pledge_max if profile else None,
        yearly_budget=company.yearly_budget,
        interest_terms=_statement_terms(profile.interest_statement if profile else ""),
        preferred_grades=frozenset(profile.preferred_grades or ()) if profile else frozenset(),
        preferred_tiers=frozenset(profile.preferred_tiers or ()) if profile else frozenset(),
        history={slug: len(projects) for slug, projects in history[company.id].items()},
        supported_organizations=frozenset(supported[company.id]),
        partner_organizations=frozenset(partners[company.id]),
        pledged_projects=frozenset(pledged[company.id]),
    )


def _statement_terms(statement: str) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for word in text.words(statement):
        counts[word] += 1
    return dict(counts)


def verified_companies(company_ids: Iterable[int] | None = None) -> list[Company]:
    query = select(Company).where(Company.verification_status == VerificationStatus.VERIFIED)
    if company_ids is not None:
        query = query.where(Company.id.in_(list(company_ids)))
    return list(db.session.scalars(query.order_by(Company.id)))
