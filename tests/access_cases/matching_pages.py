"""Sponsor matching pages in the access-control matrix.

Staff introduced the World's company, and another company, to the World's published project. The
sponsor profile and the company's introductions are for company members; the board, sending
introductions and the funnel are for staff; an introduction is seen only by its company (and staff),
everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.matching import operations
from marketplace.parties.models import Company
from tests import factories
from tests.access_cases.base import DENIED, HIDDEN, INVALID, LOGIN, OK, STAFF_ONLY, Case, members_only
from tests.factories import World

COMPANY_ONLY = members_only(org=DENIED, other_org=DENIED, staff=DENIED, admin=DENIED)
# The company it was made to, and staff (sent on to the staff page); anyone else: not found.
INTRODUCED_AND_STAFF = {
    "anonymous": LOGIN,
    "org": HIDDEN,
    "other_org": HIDDEN,
    "company": OK,
    "staff": OK,
    "admin": OK,
}
# Only the company answers; staff may see the introduction but not answer for the company.
INTRODUCED_ANSWERS = {**INTRODUCED_AND_STAFF, "staff": DENIED, "admin": DENIED}

CASES = [
    Case("GET", "/sponsor-profile", COMPANY_ONLY),
    Case(
        "POST",
        "/sponsor-profile",
        COMPANY_ONLY,
        {"focus_categories": "elderly", "pledge_min": "1000", "pledge_max": "5000"},
    ),
    Case("POST", "/sponsor-profile", {**COMPANY_ONLY, "company": INVALID}, {"pledge_max": "很多"}),
    Case("GET", "/staff/matchmaking", STAFF_ONLY),
    Case("GET", "/staff/matchmaking?project={matching_project_id}", STAFF_ONLY),
    Case("GET", "/staff/matchmaking?company={company_id}&min_score=10", STAFF_ONLY),
    Case(
        "POST",
        "/staff/introductions",
        STAFF_ONLY,
        {
            "company_id": "{matching_fresh_company_id}",
            "project_id": "{matching_project_id}",
            "note": "看看这个项目",
        },
    ),
    Case("GET", "/staff/introductions", STAFF_ONLY),
    Case("GET", "/staff/introductions?status=sent", STAFF_ONLY),
    Case("GET", "/staff/introductions/{matching_introduction_id}", STAFF_ONLY),
    Case("GET", "/introductions", COMPANY_ONLY),
    Case("GET", "/introductions/{matching_introduction_id}", INTRODUCED_AND_STAFF),
    Case(
        "GET", "/introductions/{matching_other_introduction_id}", {**INTRODUCED_AND_STAFF, "company": HIDDEN}
    ),
    Case(
        "POST",
        "/introductions/{matching_introduction_id}/respond",
        INTRODUCED_ANSWERS,
        {"status": "interested", "note": "想了解更多"},
    ),
    Case(
        "POST",
        "/introductions/{matching_introduction_id}/respond",
        {**INTRODUCED_ANSWERS, "company": INVALID},
    ),
    Case(
        "POST",
        "/introductions/{matching_other_introduction_id}/respond",
        {**INTRODUCED_ANSWERS, "company": HIDDEN},
        {"status": "declined"},
    ),
]


def ids(world: World) -> dict[str, Any]:
    staff = db.session.scalar(select(User).where(User.email == world.staff_email))
    owner = db.session.scalar(select(User).where(User.email == world.org_email))
    # A project of its own, so these introductions never collide with other features' cases.
    project = factories.project(owner, status="published", reviewer=staff, title="矩阵测试：牵线项目")
    other = factories.company_member()
    fresh = factories.company_member()
    introduction = operations.send_introduction(
        staff, db.session.get(Company, world.company_id), project, "矩阵测试的介绍"
    )
    other_introduction = operations.send_introduction(
        staff, db.session.get(Company, other.company_id), project, "别家企业的介绍"
    )
    db.session.commit()
    return {
        "matching_project_id": project.id,
        "matching_introduction_id": introduction.id,
        "matching_other_introduction_id": other_introduction.id,
        "matching_fresh_company_id": fresh.company_id,
    }
