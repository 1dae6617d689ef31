"""Read-only queries for the organization and company pages, the verification queue and dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.moderation.visibility import listed_organizations, listed_projects
from marketplace.parties.models import (
    GRADES,
    Company,
    Organization,
    Tier,
    VerificationStatus,
    organization_business_areas,
)
from marketplace.projects.models import Project
from marketplace.projects.states import PUBLIC_STATUSES
from marketplace.taxonomy.models import Category
from marketplace.timeutil import local_today

PARTY_MODELS: dict[str, type[Organization] | type[Company]] = {
    "organization": Organization,
    "company": Company,
}
ORGANIZATIONS_PER_PAGE = 12
# "A3+" lists every organization graded 3A or better (they get policy priority).
GRADE_FILTERS = (*GRADES, "A3+")


def is_member(party: Organization | Company, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if isinstance(party, Organization):
        return user.organization_id == party.id
    return user.company_id == party.id


def can_view_party(party: Organization | Company, user: Any) -> bool:
    """Verified parties are public unless moderation holds them; pending, rejected and held ones only
    to their members and staff."""
    public = party.is_verified and getattr(party, "hidden_at", None) is None
    return public or is_member(party, user) or bool(getattr(user, "is_staff", False))


def visible_party(kind: str, party_id: int, user: Any) -> Organization | Company:
    model = PARTY_MODELS.get(kind)
    party = db.session.get(model, party_id) if model else None
    # Hidden parties answer 404, so their existence does not leak.
    if party is None or not can_view_party(party, user):
        raise NotFound.on(kind, Msg("找不到该组织或企业"))
    return party


def grade_is_current(organization: Organization, today: date | None = None) -> bool:
    """A grade counts only until its valid-until date (grades last 5 years)."""
    return organization.grade_on(today or local_today()) is not None


def organizations_page(
    *, page: int, grade: str = "", tier: str = "", area: str = "", district: str = "", query: str = ""
) -> Pagination:
    """Verified organizations, best graded first, with the list page's filters."""
    statement = select(Organization).where(
        Organization.verification_status == VerificationStatus.VERIFIED, listed_organizations()
    )
    today = local_today()
    if grade in GRADE_FILTERS:
        graded = Organization.grade >= "A3" if grade == "A3+" else Organization.grade == grade
        statement = statement.where(graded, Organization.grade_valid_until >= today)
    if tier in {item.value for item in Tier}:
        statement = statement.where(Organization.tier == tier)
    if area:
        statement = statement.where(
            Organization.id.in_(
                select(organization_business_areas.c.organization_id)
                .join(Category, Category.id == organization_business_areas.c.category_id)
                .where(Category.slug == area)
            )
        )
    if district:
        statement = statement.where(Organization.district == district)
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Organization.name.like(f"%{escaped}%", escape="\\"))
    statement = statement.order_by(
        Organization.grade.desc().nulls_last(), Organization.verified_at.desc().nulls_last(), Organization.id
    )
    return db.paginate(statement, page=page, per_page=ORGANIZATIONS_PER_PAGE, error_out=False, count=True)


def public_project_counts(organization_ids: list[int]) -> dict[int, int]:
    if not organization_ids:
        return {}
    rows = db.session.execute(
        select(Project.organization_id, func.count())
        .where(
            Project.organization_id.in_(organization_ids),
            Project.status.in_(list(PUBLIC_STATUSES)),
            listed_projects(),
        )
        .group_by(Project.organization_id)
    ).all()
    return {organization_id: count for organization_id, count in rows}


def public_projects(organization: Organization) -> list[Project]:
    return list(
        db.session.scalars(
            select(Project)
            .where(
                Project.organization_id == organization.id,
                Project.status.in_(list(PUBLIC_STATUSES)),
                Project.hidden_at.is_(None),
            )
            .order_by(Project.published_at.desc().nulls_last(), Project.id.desc())
        )
    )


def pending_parties(kind: str) -> list[Organization | Company]:
    model = PARTY_MODELS[kind]
    return list(
        db.session.scalars(
            select(model)
            .where(model.verification_status == VerificationStatus.PENDING)
            .order_by(model.created_at, model.id)
        )
    )


@dataclass(frozen=True)
class Decision:
    kind: str
    party: Organization | Company
    action: str  # "verified" | "rejected"
    staff_name: str
    decided_at: datetime
    reason: str | None


def recent_decisions(limit: int = 15) -> list[Decision]:
    """The latest verify / reject decisions, from the audit log (which keeps who and when)."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(["party.verified", "party.rejected"]))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).all()
    staff_names = _user_names({event.actor_id for event in events if event.actor_id})
    decisions = []
    for event in events:
        kind = "organization" if event.subject_type == "Organization" else "company"
        party = db.session.get(PARTY_MODELS[kind], event.subject_id) if event.subject_id else None
        if party is None:
            continue
        decisions.append(
            Decision(
                kind=kind,
                party=party,
                action=event.action.removeprefix("party."),
                staff_name=staff_names.get(event.actor_id or 0, ""),
                decided_at=event.created_at,
                reason=(event.payload or {}).get("reason"),
            )
        )
    return decisions


def _user_names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()
    return {user_id: name for user_id, name in rows}


def party_members(party: Organization | Company) -> list[User]:
    column = User.organization_id if isinstance(party, Organization) else User.company_id
    return list(db.session.scalars(select(User).where(column == party.id).order_by(User.created_at, User.id)))
