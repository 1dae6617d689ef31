"""Read-side queries for project pages: browsing, the home page, platform figures, the review queue.

Views never build SQL themselves; everything a page lists comes from here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.parties.models import Company, Organization, VerificationStatus
from marketplace.projects.models import Project, ProjectTransition
from marketplace.projects.states import PUBLIC_STATUSES, STATUS_LABELS, ProjectAction, ProjectStatus
from marketplace.taxonomy.models import Category, District
from marketplace.timeutil import utcnow

SEARCH_MAX = 50
ALL_PUBLIC = "all"
DEFAULT_STATUS = ProjectStatus.PUBLISHED.value


class BrowseSort(StrEnum):
    NEWEST = "newest"
    CLOSING = "closing"
    MOST_FUNDED = "funded"


SORT_LABELS: Mapping[BrowseSort, Msg] = {
    BrowseSort.NEWEST: Msg("最新发布"),
    BrowseSort.CLOSING: Msg("即将截止"),
    BrowseSort.MOST_FUNDED: Msg("筹款最多"),
}

# Public states first, in the order people think of them; staff also get the internal ones.
_PUBLIC_ORDER = (ProjectStatus.PUBLISHED, ProjectStatus.FUNDED, ProjectStatus.FAILED, ProjectStatus.CLOSED)
_STAFF_ONLY_ORDER = (
    ProjectStatus.SUBMITTED,
    ProjectStatus.RETURNED,
    ProjectStatus.DRAFT,
    ProjectStatus.CANCELLED,
)


def status_filter_choices(*, staff: bool) -> list[tuple[str, Msg]]:
    """The status filter's options: public states for everyone, every state for staff."""
    statuses = _PUBLIC_ORDER + (_STAFF_ONLY_ORDER if staff else ())
    return [(status.value, STATUS_LABELS[status]) for status in statuses] + [
        (ALL_PUBLIC, Msg("全部公开项目"))
    ]


@dataclass(frozen=True)
class BrowseFilters:
    """What a visitor asked the project list for, already narrowed to what they may see."""

    category: str = ""
    district: str = ""
    status: str = DEFAULT_STATUS
    q: str = ""
    sort: BrowseSort = BrowseSort.NEWEST

    @classmethod
    def from_args(cls, args: Mapping[str, Any], *, staff: bool) -> BrowseFilters:
        allowed = {value for value, _ in status_filter_choices(staff=staff)}
        status = str(args.get("status") or DEFAULT_STATUS)
        try:
            sort = BrowseSort(str(args.get("sort") or BrowseSort.NEWEST))
        except ValueError:
            sort = BrowseSort.NEWEST
        return cls(
            category=str(args.get("category") or "").strip()[:32],
            district=str(args.get("district") or "").strip()[:16],
            # A state the visitor may not list falls back to the default instead of leaking rows.
            status=status if status in allowed else DEFAULT_STATUS,
            q=" ".join(str(args.get("q") or "").split())[:SEARCH_MAX],
            sort=sort,
        )

    def as_args(self) -> dict[str, str]:
        """The non-default filters, for links that keep them (pagination, sort)."""
        args = {
            "category": self.category,
            "district": self.district,
            "status": self.status if self.status != DEFAULT_STATUS else "",
            "q": self.q,
            "sort": self.sort.value if self.sort is not BrowseSort.NEWEST else "",
        }
        return {key: value for key, value in args.items() if value}

    @property
    def is_filtered(self) -> bool:
        return bool(self.category or self.district or self.q or self.status != DEFAULT_STATUS)


def browse_query(filters: BrowseFilters) -> Select[tuple[Project]]:
    """The project list for ``filters`` (``from_args`` has already limited the status to the viewer)."""
    query = select(Project).options(selectinload(Project.organization), selectinload(Project.category))
    if filters.status == ALL_PUBLIC:
        query = query.where(Project.status.in_([status.value for status in PUBLIC_STATUSES]))
    else:
        query = query.where(Project.status == filters.status)
    if filters.category:
        query = query.join(Project.category).where(Category.slug == filters.category)
    if filters.district:
        query = query.where(Project.district == filters.district)
    if filters.q:
        # A later issue replaces this with the full-text index; LIKE wildcards typed by people are literal.
        query = query.where(
            Project.title.icontains(filters.q, autoescape=True)
            | Project.summary.icontains(filters.q, autoescape=True)
        )
    return query.order_by(*_browse_order(filters.sort))


def _browse_order(sort: BrowseSort) -> tuple[Any, ...]:
    if sort is BrowseSort.CLOSING:
        return (Project.deadline.asc(), Project.id.asc())
    if sort is BrowseSort.MOST_FUNDED:
        return (Project.raised_amount.desc(), Project.id.desc())
    return (Project.published_at.desc().nulls_last(), Project.id.desc())


def _published() -> Select[tuple[Project]]:
    return (
        select(Project)
        .options(selectinload(Project.organization), selectinload(Project.category))
        .where(Project.status == ProjectStatus.PUBLISHED)
    )


def featured_projects(limit: int = 3) -> Sequence[Project]:
    query = _published().where(Project.featured.is_(True)).order_by(Project.published_at.desc(), Project.id)
    return db.session.scalars(query.limit(limit)).all()


def closing_soon_projects(limit: int = 3, *, exclude: Collection[int] = ()) -> Sequence[Project]:
    query = _published().where(Project.deadline > utcnow()).order_by(Project.deadline.asc(), Project.id)
    if exclude:
        query = query.where(Project.id.not_in(list(exclude)))
    return db.session.scalars(query.limit(limit)).all()


def newest_projects(limit: int = 6, *, exclude: Collection[int] = ()) -> Sequence[Project]:
    query = _published().order_by(Project.published_at.desc(), Project.id.desc())
    if exclude:
        query = query.where(Project.id.not_in(list(exclude)))
    return db.session.scalars(query.limit(limit)).all()


@dataclass(frozen=True)
class PlatformStats:
    published_projects: int
    raised_fen: int
    verified_organizations: int
    verified_companies: int


def platform_stats() -> PlatformStats:
    """Headline figures, one round trip: everything ever published and the money it raised."""
    public = [status.value for status in PUBLIC_STATUSES]
    verified = VerificationStatus.VERIFIED.value
    row = db.session.execute(
        select(
            select(func.count(Project.id)).where(Project.status.in_(public)).scalar_subquery(),
            select(func.coalesce(func.sum(Project.raised_amount), 0))
            .where(Project.status.in_(public))
            .scalar_subquery(),
            select(func.count(Organization.id))
            .where(Organization.verification_status == verified)
            .scalar_subquery(),
            select(func.count(Company.id)).where(Company.verification_status == verified).scalar_subquery(),
        )
    ).one()
    return PlatformStats(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def categories() -> Sequence[Category]:
    return db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()


def districts() -> Sequence[District]:
    return db.session.scalars(select(District).order_by(District.position, District.name)).all()


def category_shortcuts() -> list[tuple[Category, int]]:
    """Every category with its number of projects currently raising money."""
    counts = (
        select(Project.category_id, func.count(Project.id).label("n"))
        .where(Project.status == ProjectStatus.PUBLISHED)
        .group_by(Project.category_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Category, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.position, Category.id)
    ).all()
    return [(category, int(count)) for category, count in rows]


def review_queue() -> Sequence[Project]:
    """Projects waiting for staff, oldest submission first (first come, first served)."""
    query = (
        select(Project)
        .options(selectinload(Project.organization), selectinload(Project.category))
        .where(Project.status == ProjectStatus.SUBMITTED)
        .order_by(Project.submitted_at.asc(), Project.id.asc())
    )
    return db.session.scalars(query).all()


def recent_reviews(limit: int = 20) -> Sequence[ProjectTransition]:
    """The latest publish / return decisions, newest first."""
    query = (
        select(ProjectTransition)
        .options(selectinload(ProjectTransition.project), selectinload(ProjectTransition.actor))
        .where(ProjectTransition.action.in_([ProjectAction.PUBLISH.value, ProjectAction.RETURN.value]))
        .order_by(ProjectTransition.created_at.desc(), ProjectTransition.id.desc())
        .limit(limit)
    )
    return db.session.scalars(query).all()


def project_history(project: Project) -> Sequence[ProjectTransition]:
    query = (
        select(ProjectTransition)
        .options(selectinload(ProjectTransition.actor))
        .where(ProjectTransition.project_id == project.id)
        .order_by(ProjectTransition.created_at.desc(), ProjectTransition.id.desc())
    )
    return db.session.scalars(query).all()
