"""Access cases for the sponsor-matching API (/api/v1): sponsor profiles, matches, a project's
potential sponsors and staff introductions.

For the read and answer cases the World's company has one open introduction, to a project published
here (other feature modules pledge to the World's published project, and a pledge would convert an
introduction to it). Staff introduce a second verified company in the POST case, so that one is
never a duplicate. The matrix sends API bodies as they are (placeholders are not filled in), so
``ids`` writes this run's ids into ``INTRODUCTION`` before the requests are made.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.parties.models import Company
from tests import factories
from tests.access_cases.base import DENIED, HIDDEN, LOGIN, OK, STAFF_ONLY, Case, members_only
from tests.factories import World

COMPANY_ONLY = members_only(org=DENIED, other_org=DENIED, staff=DENIED, admin=DENIED)
COMPANY_AND_STAFF = members_only(org=DENIED, other_org=DENIED)
# The project's organization and staff; other callers are refused.
ORGANIZATION_AND_STAFF = members_only(other_org=DENIED, company=DENIED)
# A draft: only its organization and staff may see it; everyone else is told it does not exist.
DRAFT_ORGANIZATION_AND_STAFF = members_only(other_org=HIDDEN, company=HIDDEN)
# The introduced company's members and staff; organizations are told it does not exist.
INTRODUCTION_SEEN_BY = members_only(org=HIDDEN, other_org=HIDDEN)
# Only the introduced company answers; staff see it but are refused (403).
INTRODUCTION_ANSWERED_BY = {
    "anonymous": LOGIN,
    "org": HIDDEN,
    "other_org": HIDDEN,
    "company": OK,
    "staff": DENIED,
    "admin": DENIED,
}
PROFILE = {
    "focus_categories": ["children"],
    "districts": ["鹿城区"],
    "pledge_min": 100_000,
    "pledge_max": 1_000_000,
    "yearly_budget": 20_000_000,
    "interest_statement": "关注儿童安全教育",
}
# Filled in by ``ids`` (see the module docstring).
INTRODUCTION: dict[str, Any] = {"company_id": 0, "project_id": 0, "note": "矩阵测试介绍"}

CASES = [
    Case("GET", "/api/v1/companies/{company_id}/sponsor-profile", COMPANY_AND_STAFF, api=True),
    Case("PUT", "/api/v1/companies/{company_id}/sponsor-profile", COMPANY_ONLY, PROFILE, api=True),
    Case("GET", "/api/v1/companies/{company_id}/matches", COMPANY_AND_STAFF, api=True),
    Case("GET", "/api/v1/projects/{published_id}/sponsor-matches", ORGANIZATION_AND_STAFF, api=True),
    Case("GET", "/api/v1/projects/{draft_id}/sponsor-matches", DRAFT_ORGANIZATION_AND_STAFF, api=True),
    Case("POST", "/api/v1/introductions", STAFF_ONLY, INTRODUCTION, api=True),
    Case("GET", "/api/v1/introductions", COMPANY_AND_STAFF, api=True),
    Case("GET", "/api/v1/introductions/funnel", STAFF_ONLY, api=True),
    Case("GET", "/api/v1/introductions/{api_matching_introduction_id}", INTRODUCTION_SEEN_BY, api=True),
    Case(
        "PATCH",
        "/api/v1/introductions/{api_matching_introduction_id}",
        INTRODUCTION_ANSWERED_BY,
        {"status": "interested", "note": "请组织联系我们"},
        api=True,
    ),
]


def ids(world: World) -> dict[str, Any]:
    staff = db.session.scalar(select(User).where(User.email == world.staff_email))
    owner = db.session.scalar(select(User).where(User.email == world.org_email))
    company = db.session.get(Company, world.company_id)
    assert staff is not None and owner is not None and company is not None
    project = factories.project(owner, status="published", reviewer=staff, title="矩阵测试：儿童安全课")
    introduction = matching.send_introduction(staff, company, project, "矩阵测试：请看看这个项目")
    db.session.commit()
    other_company = factories.company_member(name="矩阵测试被介绍企业")
    INTRODUCTION.update(company_id=other_company.company_id, project_id=world.published_id)
    return {"api_matching_introduction_id": introduction.id}
