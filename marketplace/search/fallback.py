"""Answer a search from the database when the index is missing or broken, so people get results
(plain substring matching, no synonyms) instead of an error page while the index is rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.projects.models import Project
from marketplace.search.types import MAX_QUERY_LENGTH, SearchHit, SearchRequest, SearchResult
from marketplace.taxonomy.models import Category


def _percent() -> Any:
    return case((Project.goal_amount > 0, Project.raised_amount * 100 / Project.goal_amount), else_=0)


def _bucket() -> Any:
    percent = _percent()
    return case(
        (percent >= 100, "100+"),
        (percent >= 75, "75-100"),
        (percent >= 50, "50-75"),
        (percent >= 25, "25-50"),
        else_="0-25",
    )


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _terms(text: str) -> list[str]:
    return [term.strip('"“”') for term in text[:MAX_QUERY_LENGTH].split() if term.strip('"“”')]


def _filtered(request: SearchRequest) -> Select[Any]:
    query = (
        select(Project.id)
        .join(Category, Project.category_id == Category.id)
        .join(Organization, Project.organization_id == Organization.id)
        # Held by moderation: out of search for everyone, as in the index (search/documents.py).
        .where(Project.hidden_at.is_(None), Organization.hidden_at.is_(None))
    )
    for term in _terms(request.text):
        pattern = _like(term)
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Project.title, Project.summary, Project.description, Organization.name)
                )
            )
        )
    if request.visible_statuses is not None:
        query = query.where(Project.status.in_(request.visible_statuses))
    if request.categories:
        query = query.where(Category.slug.in_(request.categories))
    if request.districts:
        query = query.where(Project.district.in_(request.districts))
    if request.statuses:
        query = query.where(Project.status.in_(request.statuses))
    if request.progress:
        query = query.where(_bucket() == request.progress)
    if request.organization_id is not None:
        query = query.where(Project.organization_id == request.organization_id)
    return query


_ORDER = {
    "newest": (Project.created_at.desc(), Project.id.desc()),
    "relevance": (Project.created_at.desc(), Project.id.desc()),
    "closing_soon": (Project.deadline.asc(), Project.id),
    "most_funded": (_percent().desc(), Project.id),
    "least_funded": (_percent().asc(), Project.id),
}


def facet_counts(conditions: Sequence[Any]) -> dict[str, dict[str, int]]:
    """Category, district, status and funding-progress counts over the projects matching `conditions`."""
    ids = select(Project.id).where(*conditions)
    return _facets_over(db.session, ids)


def _facets_over(session: Session, ids: Select[Any]) -> dict[str, dict[str, int]]:
    facets = {}
    for name, column in (
        ("category", Category.slug),
        ("district", Project.district),
        ("status", Project.status),
        ("progress", _bucket()),
    ):
        rows = session.execute(
            select(column, func.count())
            .select_from(Project)
            .join(Category, Project.category_id == Category.id)
            .where(Project.id.in_(ids))
            .group_by(column)
        ).all()
        facets[name] = {str(value): int(count) for value, count in rows if value is not None}
    return facets


def _highlight(text: str, terms: Sequence[str]) -> str:
    html = escape(text)
    for term in sorted({escape(term) for term in terms}, key=len, reverse=True):
        html = html.replace(term, f"<mark>{term}</mark>")
    return html


def database_search(session: Session, request: SearchRequest) -> SearchResult:
    ids_query = _filtered(request)
    total = session.scalar(select(func.count()).select_from(ids_query.subquery())) or 0
    page = max(1, request.page)
    rows = session.execute(
        select(Project.id, Project.title, Project.summary)
        .where(Project.id.in_(select(ids_query.subquery().c.id)))
        .order_by(*_ORDER.get(request.sort, _ORDER["newest"]))
        .limit(request.per_page)
        .offset((page - 1) * request.per_page)
    ).all()
    terms = _terms(request.text)
    hits = [
        SearchHit(
            project_id=row.id,
            score=0.0,
            highlights={"title": _highlight(row.title, terms), "summary": _highlight(row.summary, terms)},
        )
        for row in rows
    ]
    facets = _facets_over(session, select(ids_query.subquery().c.id))
    return SearchResult(
        hits=hits, total=total, page=page, per_page=request.per_page, facets=facets, from_database=True
    )
