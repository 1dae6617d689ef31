"""Model → JSON for the API. Amounts are integer fen; moments are ISO 8601 in Wenzhou time (+08:00).

What a caller may see is decided by the caller passed in: ``return_reason`` and the allowed
actions only for the owner and staff, contact details only for a party's own members and staff.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import Role, User
from marketplace.parties.models import Company, Organization
from marketplace.projects.models import Project
from marketplace.projects.operations import is_owner
from marketplace.projects.states import Actor, allowed_actions
from marketplace.rendering import render_markdown
from marketplace.taxonomy.models import Category, District
from marketplace.timeutil import isoformat_local


def party_ref(party: Organization | Company | None) -> dict[str, Any] | None:
    return None if party is None else {"id": party.id, "name": party.name}


def _actor(project: Project, user: User | None) -> Actor | None:
    if user is not None and user.is_staff:
        return Actor.STAFF
    if is_owner(project, user):
        return Actor.OWNER
    return None


def project_summary(project: Project) -> dict[str, Any]:
    """What a list shows: no rendered description, nothing caller-specific."""
    return {
        "id": project.id,
        "title": project.title,
        "summary": project.summary,
        "category": project.category.slug,
        "district": project.district,
        "tags": list(project.tags or []),
        "status": project.status,
        "funding_model": project.funding_model,
        "goal_amount": project.goal_amount,
        "raised_amount": project.raised_amount,
        "supporters": project.supporters_count,
        "deadline": isoformat_local(project.deadline),
        "cover_url": project.cover_url,
        "organization": party_ref(project.organization),
        "published_at": isoformat_local(project.published_at),
    }


def project_detail(project: Project, user: User | None) -> dict[str, Any]:
    actor = _actor(project, user)
    return {
        **project_summary(project),
        "description": project.description,
        "description_html": render_markdown(project.description),
        "community": project.community,
        "beneficiaries": project.beneficiaries,
        "video_url": project.video_url,
        "created_at": isoformat_local(project.created_at),
        "return_reason": project.return_reason if actor is not None else None,
        "allowed_actions": [str(action) for action in allowed_actions(project.status, actor)]
        if actor is not None
        else [],
    }


def _contact(party: Organization | Company, show: bool) -> dict[str, str] | None:
    if not show:
        return None
    return {"name": party.contact_name, "phone": party.contact_phone, "email": party.contact_email}


def organization_profile(organization: Organization, *, show_contact: bool) -> dict[str, Any]:
    return {
        "id": organization.id,
        "name": organization.name,
        "uscc": organization.uscc,
        "district": organization.district,
        "community": organization.community,
        "founded_year": organization.founded_year,
        "business_areas": [category.slug for category in organization.business_areas],
        "grade": organization.grade,
        "grade_valid_until": organization.grade_valid_until.isoformat()
        if organization.grade_valid_until
        else None,
        "tier": organization.tier,
        "description": organization.description,
        "verification_status": organization.verification_status,
        "contact": _contact(organization, show_contact),
    }


def company_profile(company: Company, *, show_contact: bool) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "uscc": company.uscc,
        "district": company.district,
        "industry": company.industry,
        "focus_categories": [category.slug for category in company.focus_categories],
        "districts_of_interest": [district.name for district in company.districts_of_interest],
        "yearly_budget": company.yearly_budget,
        "description": company.description,
        "verification_status": company.verification_status,
        "contact": _contact(company, show_contact),
    }


def me(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "organization": party_ref(user.organization) if user.role == Role.ORG else None,
        "company": party_ref(user.company) if user.role == Role.COMPANY else None,
    }


def category(item: Category) -> dict[str, Any]:
    return {"slug": item.slug, "name": item.name, "name_en": item.name_en}


def district(item: District) -> dict[str, Any]:
    return {"name": item.name, "name_en": item.name_en}
