"""What moderation keeps from the public, in one place.

Design: the hold is a nullable ``hidden_at`` column on the subject rows themselves (projects,
organizations; ``message_hidden_at`` on pledges), not a separate hold table keyed by subject,
because that is the variant with the least room for a leak:

- every listing already selects from ``projects`` / ``organizations``; excluding held rows is one
  more condition on a column of the row being listed (``listed_projects()`` below), with no join to
  forget and no (kind, id) pair to get wrong;
- a change to ``hidden_at`` dirties the Project / Organization row, and the search outbox listener
  (``search/outbox.py``) already re-indexes a project when its row or its organization's row
  changes; the index documents simply leave out held projects (``search/documents.py``), so a
  hidden project drops out of search with no new hook, and a restore puts it back the same way;
- Python-side checks (``projects.operations.can_view``, ``parties.queries.can_view_party``) read
  attributes already loaded with the row.

A held organization withholds its page and all its projects; a held project only itself. Staff
always see held content (with a banner), and so do the organization's own members.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import aliased

from marketplace.parties.models import Organization
from marketplace.projects.models import Project


def listed_projects() -> ColumnElement[bool]:
    """SQL: the project is not held, nor is its organization (an aliased subquery, so it composes
    with queries that already join ``organizations``)."""
    # Aliased here, not at import: aliasing configures the mappers, which must wait until every
    # model is imported (the standalone indexer imports only what it needs).
    held = aliased(Organization, name="held_organization")
    held_organizations = select(held.id).where(held.hidden_at.is_not(None))
    return and_(Project.hidden_at.is_(None), Project.organization_id.not_in(held_organizations))


def listed_organizations() -> ColumnElement[bool]:
    return Organization.hidden_at.is_(None)


def pledge_message_shown(pledge: Any, viewer: Any = None) -> bool:
    """A held pledge message reads "under review" for everyone but staff."""
    if getattr(pledge, "message_hidden_at", None) is None:
        return True
    return bool(getattr(viewer, "is_staff", False))
