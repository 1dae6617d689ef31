"""Read-side queries for project pages: browsing, the home page, platform figures, the review queue.

Views never build SQL themselves; everything a page lists comes from here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.moderation.visibility import listed_organizations, listed_projects
from marketplace.parties.models import Company, Organization, VerificationStatus
from marketplace.projects.models import Project, ProjectTransition
from marketplace.projects.states import PUBLIC_STATUSES, STATUS_LABELS, ProjectAction, ProjectStatus
from marketplace.search.types import SearchRequest
from marketplace.taxonomy import reference
from marketplace.taxonomy.models import Category
from marketplace.taxonomy.reference import CategoryRow, DistrictRow
from marketplace.timeutil import utcnow

# Longer input is accepted and cut by the search engine, which tells the visitor it did so.
QUERY_INPUT_MAX = 1000
ALL_PUBLIC = "all"
DEFAULT_STATUS = ProjectStatus.PUBLISHED.value


class BrowseSort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    CLOSING_SOON = "closing_soon"
    MOST_FUNDED = "most_funded"
    LEAST_FUNDED = "least_funded"


SORT_LABELS: Mapping[BrowseSort, Msg] = {
    BrowseSort.RELEVANCE: Msg("最相关"),
    BrowseSort.NEWEST: Msg("最新发布"),
    BrowseSort.CLOSING_SOON: Msg("即将截止"),
    BrowseSort.MOST_FUNDED: Msg("筹款进度最高"),
    BrowseSort.LEAST_FUNDED: Msg("离目标最远"),
}

# Numbers read the same in every language; only the last bucket has words.
PROGRESS_LABELS: Mapping[str, str] = {
    "0-25": "0–25%",
    "25-50": "25–50%",
    "50-75": "50–75%",
    "75-100": "75–100%",
    "100+": Msg("已达成目标"),
}

# Listed states first, in the order people think of them; staff also get the internal ones.
_LISTED_ORDER = (ProjectStatus.PUBLISHED, ProjectStatus.FUNDED, ProjectStatus.CLOSED)
_STAFF_ONLY_ORDER = (
    ProjectStatus.FAILED,
    ProjectStatus.SUBMITTED,
    ProjectStatus.RETURNED,
    ProjectStatus.DRAFT,
    ProjectStatus.CANCELLED,
)


def status_filter_choices(*, staff: bool) -> list[tuple[str, Msg]]:
    """The status filter's options: listed states for everyone, every state for staff."""
    statuses = _LISTED_ORDER + (_STAFF_ONLY_ORDER if staff else ())
    return [(status.value, STATUS_LABELS[status]) for status in statuses] + [
        (ALL_PUBLIC, Msg("全部状态") if staff else Msg("全部公开项目"))
    ]


@dataclass(frozen=True)
class BrowseFilters:
    """What a visitor asked the project list for, already narrowed to what they may see."""

    category: str = ""
    district: str = ""
    status: str = DEFAULT_STATUS
    progress: str = ""
    q: str = ""
    sort: BrowseSort = BrowseSort.RELEVANCE
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, Any], *, staff: bool) -> BrowseFilters:
        allowed = {value for value, _ in status_filter_choices(staff=staff)}
        status = str(args.get("status") or DEFAULT_STATUS)
        try:
            sort = BrowseSort(str(args.get("sort") or BrowseSort.RELEVANCE))
        except ValueError:
            sort = BrowseSort.RELEVANCE
        progress = str(args.get("progress") or "")
        try:
            page = max(1, min(int(args.get("page") or 1), 10_000))
        except ValueError:
            page = 1
        return cls(
            category=str(args.get("category") or "").strip()[:32],
            district=str(args.get("district") or "").strip()[:16],
            # A state the visitor may not list falls back to the default instead of leaking rows.
            status=status if status in allowed else DEFAULT_STATUS,
            progress=progress if progress in PROGRESS_LABELS else "",
            q=" ".join(str(args.get("q") or "").split())[:QUERY_INPUT_MAX],
            sort=sort,
            page=page,
        )

    def as_args(self) -> dict[str, str]:
        """The non-default filters, for links that keep them (pagination, sort, facets)."""
        args = {
            "category": self.category,
            "district": self.district,
            "status": self.status if self.status != DEFAULT_STATUS else "",
            "progress": self.progress,
            "q": self.q,
            "sort": self.sort.value if self.sort is not BrowseSort.RELEVANCE else "",
        }
        return {key: value for key, value in args.items() if value}

    def with_(self, **changes: str) -> dict[str, str]:
        """The args of a link that changes one filter (a facet) and starts again at page 1."""
        args = {**self.as_args(), **changes}
        return {key: value for key, value in args.items() if value}

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.category or self.district or self.q or self.progress or self.status != DEFAULT_STATUS
        )

    def search_request(self, *, visible_statuses: frozenset[str] | None, per_page: int) -> SearchRequest:
        statuses = () if self.status == ALL_PUBLIC else (self.status,)
        return SearchRequest(
            text=self.q,
            categories=(self.category,) if self.category else (),
            districts=(self.district,) if self.district else (),
            statuses=statuses,
            visible_statuses=visible_statuses,
            progress=self.progress or None,
            # Without words to rank by, "relevance" means newest first.
            sort=self.sort.value,
            page=self.page,
            per_page=per_page,
        )


@dataclass
class ResultPage:
    """A page of search results with the attributes the pagination macro reads (as Flask-SQLAlchemy's)."""

    items: list[Project]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2
    ) -> Iterator[int | None]:
        """Flask-SQLAlchemy's page links: the first ``left_edge`` pages, ``left_current`` before the
        current one to ``right_current - 1`` after it, the last ``right_edge``; None for each gap.
        Built from those three ranges, not by testing every page: an unfiltered list has ~800."""
        pages, page = self.pages, self.page
        shown = set(range(1, min(left_edge, pages) + 1))
        shown.update(range(max(1, page - left_current), min(pages, page + right_current - 1) + 1))
        shown.update(range(max(1, pages - right_edge + 1), pages + 1))
        last = 0
        for number in sorted(shown):
            if last + 1 != number:
                yield None
            yield number
            last = number


def _published() -> Select[tuple[Project]]:
    return (
        select(Project)
        .options(selectinload(Project.organization), selectinload(Project.category))
        .where(Project.status == ProjectStatus.PUBLISHED, listed_projects())
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
    """Headline figures, one round trip: everything ever published and the money it raised, leaving
    out what moderation holds (as every other public list does)."""
    public = [status.value for status in PUBLIC_STATUSES]
    verified = VerificationStatus.VERIFIED.value
    row = db.session.execute(
        select(
            select(func.count(Project.id))
            .where(Project.status.in_(public), listed_projects())
            .scalar_subquery(),
            select(func.coalesce(func.sum(Project.raised_amount), 0))
            .where(Project.status.in_(public), listed_projects())
            .scalar_subquery(),
            select(func.count(Organization.id))
            .where(Organization.verification_status == verified, listed_organizations())
            .scalar_subquery(),
            select(func.count(Company.id)).where(Company.verification_status == verified).scalar_subquery(),
        )
    ).one()
    return PlatformStats(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def categories() -> Sequence[CategoryRow]:
    return reference.categories()


def districts() -> Sequence[DistrictRow]:
    return reference.districts()


def category_shortcuts() -> list[tuple[Category, int]]:
    """Every category with its number of projects currently raising money."""
    counts = (
        select(Project.category_id, func.count(Project.id).label("n"))
        .where(Project.status == ProjectStatus.PUBLISHED, listed_projects())
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
