"""Reading the needs board: filters, sorting, one page, counts per status. Shared by the page and
the API so that both filter the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.needs.models import CommunityNeed, NeedResponse
from marketplace.needs.operations import status_counts
from marketplace.needs.states import NeedStatus, Urgency
from marketplace.taxonomy.models import Category

QUERY_MAX = 50
URGENCY_RANK = {Urgency.LOW: 1, Urgency.NORMAL: 2, Urgency.HIGH: 3, Urgency.URGENT: 4}
SORT_LABELS: dict[str, Msg] = {
    "urgent": Msg("最紧急"),
    "people": Msg("受影响人数最多"),
    "newest": Msg("最新登记"),
}
DEFAULT_SORT = "urgent"


@dataclass(frozen=True)
class NeedFilters:
    district: str | None = None
    category: str | None = None  # slug
    status: str | None = None
    urgency: str | None = None
    q: str | None = None
    sort: str = DEFAULT_SORT

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> NeedFilters:
        """Lenient reading for the page: a value that is not a choice is ignored, not an error."""

        def pick(name: str, allowed: set[str]) -> str | None:
            value = (args.get(name) or "").strip()
            return value if value in allowed else None

        return cls(
            district=pick("district", _district_names()),
            category=pick("category", set(db.session.scalars(select(Category.slug)))),
            status=pick("status", {item.value for item in NeedStatus}),
            urgency=pick("urgency", {item.value for item in Urgency}),
            q=(args.get("q") or "").strip()[:QUERY_MAX] or None,
            sort=pick("sort", set(SORT_LABELS)) or DEFAULT_SORT,
        )

    @property
    def active(self) -> bool:
        return any((self.district, self.category, self.status, self.urgency, self.q))

    def args(self) -> dict[str, str]:
        """The query arguments that reproduce these filters (for pagination links)."""
        values = {
            "district": self.district,
            "category": self.category,
            "status": self.status,
            "urgency": self.urgency,
            "q": self.q,
            "sort": self.sort if self.sort != DEFAULT_SORT else None,
        }
        return {name: value for name, value in values.items() if value}


def _district_names() -> set[str]:
    from marketplace.taxonomy.models import District

    return set(db.session.scalars(select(District.name)))


def _conditions(filters: NeedFilters, *, with_status: bool = True) -> list[Any]:
    conditions: list[Any] = []
    if filters.district:
        conditions.append(CommunityNeed.district == filters.district)
    if filters.category:
        conditions.append(
            CommunityNeed.category_id
            == select(Category.id).where(Category.slug == filters.category).scalar_subquery()
        )
    if filters.urgency:
        conditions.append(CommunityNeed.urgency == filters.urgency)
    if with_status and filters.status:
        conditions.append(CommunityNeed.status == filters.status)
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                CommunityNeed.title.like(pattern, escape="\\"),
                CommunityNeed.description.like(pattern, escape="\\"),
                CommunityNeed.community.like(pattern, escape="\\"),
            )
        )
    return conditions


def _urgency_rank() -> Any:
    return case(
        {value.value: rank for value, rank in URGENCY_RANK.items()}, value=CommunityNeed.urgency, else_=0
    )


def needs_statement(filters: NeedFilters) -> Select[tuple[CommunityNeed]]:
    """Needs still waiting come before addressed ones when sorting by urgency or people affected."""
    addressed_last = case((CommunityNeed.status == NeedStatus.ADDRESSED.value, 1), else_=0)
    order: list[Any]
    if filters.sort == "people":
        order = [addressed_last, CommunityNeed.people_affected.desc(), _urgency_rank().desc()]
    elif filters.sort == "newest":
        order = []
    else:
        order = [addressed_last, _urgency_rank().desc(), CommunityNeed.people_affected.desc()]
    return (
        select(CommunityNeed)
        .where(*_conditions(filters))
        .options(
            selectinload(CommunityNeed.category),
            selectinload(CommunityNeed.responses).selectinload(NeedResponse.project),
        )
        .order_by(*order, CommunityNeed.created_at.desc(), CommunityNeed.id.desc())
    )


def find_needs(filters: NeedFilters, *, page: int, per_page: int) -> Any:
    """One page (Flask-SQLAlchemy's Pagination: items, total, pages …)."""
    return db.paginate(needs_statement(filters), page=page, per_page=per_page, error_out=False, count=True)


def counts_by_status(filters: NeedFilters) -> dict[str, int]:
    """How many needs each status holds under the other filters (so the tabs say what a click finds)."""
    rows = db.session.execute(
        select(CommunityNeed.status, func.count())
        .where(*_conditions(filters, with_status=False))
        .group_by(CommunityNeed.status)
    ).all()
    return status_counts([(row[0], row[1]) for row in rows])
