"""The staff dashboard's figures, each computed by the database with aggregates (no row is loaded).

Money raised comes from the ledger, never from pledge rows: the raised kinds (paid pledges, refunds,
matching credits and their reversals) summed over the rows written in the period, so the dashboard
always equals the ledger, to the fen, and a refund lowers the month it happened in. Money an
agreement put on an organization's account without naming a project counts too; it has no category
or district, so those two series show it under its own key (``none``).

Periods are Wenzhou calendar days (see ``periods``). Snapshot figures — active agreements,
organizations by grade and tier — describe today, whatever the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select

from marketplace.agreements.models import Agreement
from marketplace.agreements.states import AgreementStatus
from marketplace.extensions import db
from marketplace.matching.models import Introduction
from marketplace.matching.states import STATUS_LABELS as INTRODUCTION_LABELS
from marketplace.matching.states import IntroductionStatus
from marketplace.messages import Msg
from marketplace.parties.models import GRADES, TIER_LABELS, Organization, Tier, VerificationStatus
from marketplace.pledges.accounting import RAISED_KINDS
from marketplace.pledges.models import LedgerEntry, Pledge
from marketplace.projects.models import Project
from marketplace.reports.periods import DateRange, month_buckets, month_range, year_range
from marketplace.taxonomy.models import Category, District
from marketplace.tenders.models import TenderAward
from marketplace.timeutil import local_today

NONE_KEY = "none"
NO_PROJECT = Msg("未指定项目的协议资金")
UNGRADED = Msg("暂未评级")
NO_TIER = Msg("未分层")
# The award stays "pending" while it stands (its contract then gets signed); declined and cancelled
# awards were not won.
STANDING_AWARD = "pending"
# The funnel's steps, in order; an introduction counts at every step it reached (a conversion fills
# in the steps the company skipped), as in matching.operations.funnel.
FUNNEL_STEPS = (
    IntroductionStatus.SENT,
    IntroductionStatus.VIEWED,
    IntroductionStatus.INTERESTED,
    IntroductionStatus.CONVERTED,
)
GRADE_ORDER = tuple(reversed(GRADES))  # A5 (5A) first
TIER_ORDER = (Tier.LEADING, Tier.DEMONSTRATION, Tier.GROWING)


@dataclass(frozen=True)
class Point:
    """One bar or slice of a chart: a stable key, what people read, the value (fen or a count)."""

    key: str
    label: str  # Chinese (a Msg when it is one of ours, to be translated)
    value: int
    label_en: str | None = None  # category and district names carry their English name


@dataclass(frozen=True)
class DashboardStats:
    period: DateRange
    today: date
    raised_amount: int  # fen, in the range
    pledge_count: int  # pledges confirmed (paid) in the range
    raised_this_month: int
    raised_this_year: int
    active_agreements: int
    tenders_won_count: int
    tenders_won_amount: int
    organizations_by_grade: dict[str, int]  # A5…A1 and "none"; verified organizations, current grades
    organizations_by_tier: dict[str, int]  # leading, demonstration, growing and "none"
    introductions_made: int
    introductions_converted: int
    introductions_declined: int
    raised_by_month: list[Point]
    raised_by_category: list[Point]
    raised_by_district: list[Point]
    introduction_funnel: list[Point]
    grade_distribution: list[Point]
    tier_distribution: list[Point]

    @property
    def conversion_percent(self) -> int:
        return self.introductions_converted * 100 // self.introductions_made if self.introductions_made else 0


def dashboard_stats(period: DateRange, today: date | None = None) -> DashboardStats:
    today = today or local_today()
    by_grade = organizations_by_grade(today)
    by_tier = organizations_by_tier()
    funnel = introduction_counts(period)
    won_count, won_amount = tenders_won(period)
    in_range, this_month, this_year = raised_in_periods(period, month_range(today), year_range(today))
    return DashboardStats(
        period=period,
        today=today,
        raised_amount=in_range,
        pledge_count=pledges_confirmed(period),
        raised_this_month=this_month,
        raised_this_year=this_year,
        active_agreements=active_agreements(),
        tenders_won_count=won_count,
        tenders_won_amount=won_amount,
        organizations_by_grade=by_grade,
        organizations_by_tier=by_tier,
        introductions_made=funnel[IntroductionStatus.SENT],
        introductions_converted=funnel[IntroductionStatus.CONVERTED],
        introductions_declined=funnel[IntroductionStatus.DECLINED],
        raised_by_month=raised_by_month(period),
        raised_by_category=raised_by_category(period),
        raised_by_district=raised_by_district(period),
        introduction_funnel=[
            Point(step.value, INTRODUCTION_LABELS[step], funnel[step]) for step in FUNNEL_STEPS
        ],
        grade_distribution=[
            Point(key, f"{key[1]}A" if key != NONE_KEY else UNGRADED, count)
            for key, count in by_grade.items()
        ],
        tier_distribution=[
            Point(key, TIER_LABELS[Tier(key)] if key != NONE_KEY else NO_TIER, count)
            for key, count in by_tier.items()
        ],
    )


# ───────────── money ─────────────


def _raised_in(start: datetime, end: datetime) -> Any:
    return (
        LedgerEntry.kind.in_([kind.value for kind in RAISED_KINDS]),
        LedgerEntry.created_at >= start,
        LedgerEntry.created_at < end,
    )


def raised_in_periods(*spans: DateRange) -> tuple[int, ...]:
    """What the ledger says was raised in each span, from one pass over the rows they cover."""
    moment = LedgerEntry.created_at
    sums = [
        func.coalesce(
            func.sum(
                case(((moment >= span.start_utc) & (moment < span.end_utc), LedgerEntry.amount), else_=0)
            ),
            0,
        )
        for span in spans
    ]
    earliest = min(span.start_utc for span in spans)
    latest = max(span.end_utc for span in spans)
    row = db.session.execute(select(*sums).where(*_raised_in(earliest, latest))).one()
    return tuple(int(total or 0) for total in row)


def raised_by_month(period: DateRange) -> list[Point]:
    """Every month of the range, zeros included, from one grouped query: a CASE puts each ledger row
    in its month's bucket (local month boundaries are exact, whatever the database's time zone)."""
    buckets = month_buckets(period)
    bucket = case(*[(LedgerEntry.created_at < month.end_utc, index) for index, month in enumerate(buckets)])
    # Grouped in an outer query: PostgreSQL would not see two copies of the CASE (with their own
    # bound parameters) in SELECT and GROUP BY as the same expression.
    rows = (
        select(bucket.label("bucket"), LedgerEntry.amount.label("amount"))
        .where(*_raised_in(period.start_utc, period.end_utc))
        .subquery()
    )
    sums = {
        int(index): int(total)
        for index, total in db.session.execute(
            select(rows.c.bucket, func.sum(rows.c.amount)).group_by(rows.c.bucket)
        )
        if index is not None
    }
    return [Point(month.key, month.key, sums.get(index, 0)) for index, month in enumerate(buckets)]


def raised_by_category(period: DateRange) -> list[Point]:
    """Categories that raised money in the range, most first (money with no project: ``none``)."""
    rows = db.session.execute(
        select(Category.slug, Category.name, Category.name_en, func.sum(LedgerEntry.amount))
        .select_from(LedgerEntry)
        .outerjoin(Project, Project.id == LedgerEntry.project_id)
        .outerjoin(Category, Category.id == Project.category_id)
        .where(*_raised_in(period.start_utc, period.end_utc))
        .group_by(Category.id, Category.slug, Category.name, Category.name_en, Category.position)
        .order_by(func.sum(LedgerEntry.amount).desc(), Category.position)
    ).all()
    return _ranked(
        Point(slug, name, int(total), name_en) if slug else Point(NONE_KEY, NO_PROJECT, int(total))
        for slug, name, name_en, total in rows
    )


def raised_by_district(period: DateRange) -> list[Point]:
    """Districts (of the projects) that raised money in the range, most first."""
    rows = db.session.execute(
        select(District.name, District.name_en, func.sum(LedgerEntry.amount))
        .select_from(LedgerEntry)
        .outerjoin(Project, Project.id == LedgerEntry.project_id)
        .outerjoin(District, District.name == Project.district)
        .where(*_raised_in(period.start_utc, period.end_utc))
        .group_by(District.name, District.name_en, District.position)
        .order_by(func.sum(LedgerEntry.amount).desc(), District.position)
    ).all()
    return _ranked(
        Point(name, name, int(total), name_en) if name else Point(NONE_KEY, NO_PROJECT, int(total))
        for name, name_en, total in rows
    )


def _ranked(points: Any) -> list[Point]:
    # A group whose refunds cancelled its payments in the range nets to zero: nothing to draw.
    return sorted((point for point in points if point.value != 0), key=lambda point: -point.value)


def pledges_confirmed(period: DateRange) -> int:
    """Pledges whose money was confirmed (paid) in the range, whatever happened to them since."""
    return int(
        db.session.scalar(
            select(func.count(Pledge.id)).where(
                Pledge.paid_at >= period.start_utc, Pledge.paid_at < period.end_utc
            )
        )
        or 0
    )


# ───────────── agreements, tenders ─────────────


def active_agreements() -> int:
    return int(
        db.session.scalar(select(func.count(Agreement.id)).where(Agreement.status == AgreementStatus.ACTIVE))
        or 0
    )


def tenders_won(period: DateRange) -> tuple[int, int]:
    """Tenders awarded in the range whose award stands, and their awarded value in fen."""
    count, total = db.session.execute(
        select(func.count(TenderAward.id), func.coalesce(func.sum(TenderAward.value), 0)).where(
            TenderAward.status == STANDING_AWARD,
            TenderAward.decided_at >= period.start_utc,
            TenderAward.decided_at < period.end_utc,
        )
    ).one()
    return int(count or 0), int(total or 0)


# ───────────── organizations ─────────────


def organizations_by_grade(today: date) -> dict[str, int]:
    """Verified organizations per current grade (A5 first; an expired grade counts as none)."""
    verified = Organization.verification_status == VerificationStatus.VERIFIED
    current = (Organization.grade.is_not(None)) & (Organization.grade_valid_until >= today)
    graded = (
        select(case((current, Organization.grade), else_=NONE_KEY).label("grade")).where(verified).subquery()
    )
    rows = db.session.execute(select(graded.c.grade, func.count()).group_by(graded.c.grade)).all()
    counts = dict.fromkeys((*GRADE_ORDER, NONE_KEY), 0)
    for grade, count in rows:
        counts[grade] += int(count)
    return counts


def organizations_by_tier() -> dict[str, int]:
    rows = db.session.execute(
        select(Organization.tier, func.count(Organization.id))
        .where(Organization.verification_status == VerificationStatus.VERIFIED)
        .group_by(Organization.tier)
    ).all()
    counts = dict.fromkeys((*(tier.value for tier in TIER_ORDER), NONE_KEY), 0)
    for tier, count in rows:
        counts[tier or NONE_KEY] += int(count)
    return counts


# ───────────── introductions ─────────────


def introduction_counts(period: DateRange) -> dict[IntroductionStatus, int]:
    """Introductions sent in the range, and how many of them reached each step (one query)."""
    sent, viewed, interested, declined, converted = db.session.execute(
        select(
            func.count(Introduction.id),
            func.count(Introduction.viewed_at),
            func.count(Introduction.interested_at),
            func.coalesce(
                func.sum(case((Introduction.status == IntroductionStatus.DECLINED.value, 1), else_=0)), 0
            ),
            func.coalesce(
                func.sum(case((Introduction.status == IntroductionStatus.CONVERTED.value, 1), else_=0)), 0
            ),
        ).where(Introduction.sent_at >= period.start_utc, Introduction.sent_at < period.end_utc)
    ).one()
    return {
        IntroductionStatus.SENT: int(sent or 0),
        # A conversion fills in viewed_at and interested_at, so these count every step reached.
        IntroductionStatus.VIEWED: int(viewed or 0),
        IntroductionStatus.INTERESTED: int(interested or 0),
        IntroductionStatus.DECLINED: int(declined or 0),
        IntroductionStatus.CONVERTED: int(converted or 0),
    }
