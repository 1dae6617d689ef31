"""Turn database rows into the documents the index holds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from marketplace.moderation.visibility import listed_projects
from marketplace.projects.models import Project
from marketplace.search.types import ProjectDocument
from marketplace.timeutil import local_today


def grade_rank(grade: str | None, valid_until: date | None, today: date | None = None) -> int:
    """1..5 for a grade still valid today (A1..A5), else 0: an expired grade earns no boost."""
    if not grade or valid_until is None or valid_until < (today or local_today()):
        return 0
    return int(grade[1])


def project_document(project: Project) -> ProjectDocument:
    organization = project.organization
    return ProjectDocument(
        id=project.id,
        title=project.title,
        summary=project.summary,
        description=project.description or "",
        organization=organization.name,
        organization_id=organization.id,
        tags=tuple(project.tags or ()),
        category=project.category.slug,
        district=project.district,
        status=project.status,
        goal=project.goal_amount,
        raised=project.raised_amount,
        deadline=project.deadline,
        created=project.created_at,
        grade_rank=grade_rank(organization.grade, organization.grade_valid_until),
    )


def _query():  # type: ignore[no-untyped-def]
    # Projects held by moderation (or whose organization is held) have no document: the indexer
    # deletes the ones it no longer finds, and a restore re-adds them (both arrive via the outbox).
    return (
        select(Project)
        .where(listed_projects())
        .options(joinedload(Project.organization), joinedload(Project.category))
    )


def documents_for(session: Session, project_ids: Iterable[int]) -> dict[int, ProjectDocument]:
    ids = sorted(set(project_ids))
    found: dict[int, ProjectDocument] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for project in session.scalars(_query().where(Project.id.in_(chunk))).unique():
            found[project.id] = project_document(project)
    return found


def all_documents(session: Session, batch_size: int = 1000) -> Iterator[ProjectDocument]:
    """Every project, streamed in id order (the reindex path)."""
    last_id = 0
    while True:
        batch = (
            session.scalars(_query().where(Project.id > last_id).order_by(Project.id).limit(batch_size))
            .unique()
            .all()
        )
        if not batch:
            return
        for project in batch:
            yield project_document(project)
        last_id = batch[-1].id
        session.expunge_all()  # keep memory flat on big databases
