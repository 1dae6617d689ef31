"""Pledge pages and staff money pages in the access-control matrix.

The World's company pledges to the World's published project (owned by the World's `org`): a
pending bank transfer, a paid one and a flagged one. `other_org` has nothing to do with them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.projects.models import Project
from tests import factories
from tests.access_cases.base import DENIED, HIDDEN, LOGIN, OK, STAFF_ONLY, Case, members_only
from tests.factories import World

COMPANY_ONLY = members_only(org=DENIED, other_org=DENIED, staff=DENIED, admin=DENIED)
# The pledge page: the pledging company, the project's organization and staff; others do not learn it exists.
PLEDGE_PAGE = {"anonymous": LOGIN, "org": OK, "other_org": HIDDEN, "company": OK, "staff": OK, "admin": OK}
# The receipt and cancelling: the pledging company and staff (the organization sees the pledge, not these).
PLEDGER_AND_STAFF = {**PLEDGE_PAGE, "org": DENIED}
FOUNDATION_FORM = {
    "name": "鹿城区慈善总会",
    "bank_name": "中国银行温州分行",
    "bank_account_name": "鹿城区慈善总会",
    "bank_account_number": "356758347612",
    "active": "y",
}

CASES = [
    Case("GET", "/projects/{published_id}/pledge", COMPANY_ONLY),
    Case(
        "POST",
        "/projects/{published_id}/pledge",
        COMPANY_ONLY,
        {"amount": "500", "method": "bank_transfer", "token": "matrix-token-0123456789"},
    ),
    Case("GET", "/pledges/{pledges_pending_id}", PLEDGE_PAGE),
    Case("POST", "/pledges/{pledges_pending_id}/cancel", PLEDGER_AND_STAFF),
    Case("GET", "/pledges/{pledges_paid_id}/receipt", {**PLEDGER_AND_STAFF, "org": HIDDEN}),
    Case("GET", "/my/pledges", COMPANY_ONLY),
    Case("GET", "/staff/pledges", STAFF_ONLY),
    Case(
        "POST",
        "/staff/pledges/{pledges_pending_id}/confirm",
        STAFF_ONLY,
        {"received_amount": "500", "bank_reference": "MATRIX-BANK-1"},
    ),
    Case("POST", "/staff/pledges/{pledges_paid_id}/refund", STAFF_ONLY, {"amount": "1"}),
    Case("POST", "/staff/pledges/{pledges_flagged_id}/clear-flag", STAFF_ONLY),
    Case("GET", "/staff/projects/{published_id}/money", STAFF_ONLY),
    Case(
        "POST",
        "/staff/projects/{published_id}/disbursements",
        STAFF_ONLY,
        {"amount": "1", "bank_reference": "MATRIX-DISBURSE-1"},
    ),
    Case("POST", "/staff/projects/{published_id}/foundation", STAFF_ONLY, {"foundation_id": ""}),
    Case("GET", "/staff/foundations", STAFF_ONLY),
    Case("GET", "/staff/foundations/new", STAFF_ONLY),
    Case("POST", "/staff/foundations/new", STAFF_ONLY, FOUNDATION_FORM),
    Case("GET", "/staff/foundations/{pledges_foundation_id}/edit", STAFF_ONLY),
    Case("POST", "/staff/foundations/{pledges_foundation_id}/edit", STAFF_ONLY, FOUNDATION_FORM),
    Case("GET", "/staff/organizations/{organization_id}/fundraising", STAFF_ONLY),
    Case(
        "POST",
        "/staff/organizations/{organization_id}/fundraising",
        STAFF_ONLY,
        {
            "qualified": "y",
            "bank_name": "温州银行鹿城支行",
            "bank_account_name": "测试公益服务中心",
            "bank_account_number": "622800001111",
        },
    ),
]


def ids(world: World) -> dict[str, Any]:
    company_user = db.session.scalar(select(User).where(User.email == world.company_email))
    project = db.session.get(Project, world.published_id)
    foundation = factories.foundation()
    pending = factories.pledge(project, company_user, 50_000, paid=False)
    paid = factories.pledge(project, company_user, 80_000)
    flagged = factories.pledge(project, company_user, 30_000, paid=False)
    pledges.flag_pledge(flagged, "支付平台报告的金额与认捐不符")
    db.session.commit()
    return {
        "pledges_pending_id": pending.id,
        "pledges_paid_id": paid.id,
        "pledges_flagged_id": flagged.id,
        "pledges_foundation_id": foundation.id,
    }
