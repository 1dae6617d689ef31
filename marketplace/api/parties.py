"""Public profiles of organizations and companies, and the reference data clients need.

A party that staff have not verified (pending or rejected) is not public: it answers 404, as if
it did not exist, to everyone but its own members and staff.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.api import bp
from marketplace.api.auth import current_api_user, is_staff
from marketplace.api.serializers import category, company_profile, district, organization_profile
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.parties.models import Company, Organization
from marketplace.taxonomy.models import Category, District


def _is_member(party: Organization | Company, user: User | None) -> bool:
    if user is None:
        return False
    if isinstance(party, Organization):
        return user.role == Role.ORG and user.organization_id == party.id
    return user.role == Role.COMPANY and user.company_id == party.id


@bp.get("/organizations/<int:organization_id>")
def get_organization(organization_id: int) -> Any:
    user = current_api_user()
    organization = db.session.get(Organization, organization_id)
    insider = organization is not None and (is_staff(user) or _is_member(organization, user))
    if organization is None or not ((organization.is_verified and organization.hidden_at is None) or insider):
        raise NotFound.on("organization", Msg("找不到该组织"))
    return jsonify(organization_profile(organization, show_contact=insider))


@bp.get("/companies/<int:company_id>")
def get_company(company_id: int) -> Any:
    user = current_api_user()
    company = db.session.get(Company, company_id)
    insider = company is not None and (is_staff(user) or _is_member(company, user))
    if company is None or not (company.is_verified or insider):
        raise NotFound.on("company", Msg("找不到该企业"))
    return jsonify(company_profile(company, show_contact=insider))


@bp.get("/categories")
def list_categories() -> Any:
    items = db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    return jsonify({"items": [category(item) for item in items]})


@bp.get("/districts")
def list_districts() -> Any:
    items = db.session.scalars(select(District).order_by(District.position, District.name)).all()
    return jsonify({"items": [district(item) for item in items]})
