"""Record every change to a searchable row in the outbox, inside the same transaction.

Listening on the session (rather than calling a function from every operation) means no code path
can forget: a project edit, a status change, a ledger row (the raised total moved), an organization
rename or verification all enqueue the affected projects. Bulk ``UPDATE`` statements bypass the ORM,
so money changes are caught through the ledger row each of them writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from marketplace.parties.models import Organization
from marketplace.pledges.models import LedgerEntry
from marketplace.projects.models import Project
from marketplace.search.models import SearchOutbox
from marketplace.timeutil import utcnow

PENDING_FLAG = "search_outbox_pending"


def _affected_project_ids(session: Session) -> tuple[set[int], set[int]]:
    """(project ids, organization ids) touched by this flush."""
    projects: set[int] = set()
    organizations: set[int] = set()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Project):
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            if obj.id is not None:
                projects.add(obj.id)
        elif isinstance(obj, LedgerEntry):
            # A pledge itself is in no search document; the amount it brings arrives as a ledger row.
            if obj.project_id is not None:
                projects.add(obj.project_id)
        elif isinstance(obj, Organization) and obj in session.dirty and session.is_modified(obj):
            organizations.add(obj.id)
    return projects, organizations


def _after_flush(session: Session, _context: Any) -> None:
    projects, organizations = _affected_project_ids(session)
    connection = session.connection()
    if organizations:
        projects.update(
            connection.scalars(select(Project.id).where(Project.organization_id.in_(organizations))).all()
        )
    if not projects:
        return
    now = utcnow()
    connection.execute(
        insert(SearchOutbox.__table__),
        [
            {"entity": "project", "entity_id": project_id, "created_at": now}
            for project_id in sorted(projects)
        ],
    )
    session.info[PENDING_FLAG] = True


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
