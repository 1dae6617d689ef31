"""Access cases for the pledge, ledger and matching-pool API (/api/v1).

The pledge case sends a real Idempotency-Key and a valid bank-transfer body: the company's pledge
is created; everyone else is stopped before anything is written.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.projects.models import Project
from marketplace.timeutil import local_today, utcnow
from tests import factories
from tests.access_cases.base import (
    DENIED,
    HIDDEN,
    LOGIN,
    OK,
    OWNER_AND_STAFF_SEE,
    STAFF_ONLY,
    Case,
    everyone,
    members_only,
)
from tests.factories import World

COMPANY_ONLY = members_only(org=DENIED, other_org=DENIED, staff=DENIED, admin=DENIED)
# The pledging company, the project's organization and staff; others are told it does not exist.
PLEDGE_SEEN_BY = {
    "anonymous": LOGIN,
    "org": OK,
    "other_org": HIDDEN,
    "company": OK,
    "staff": OK,
    "admin": OK,
}
TODAY = local_today()
POOL = {
    "name": "矩阵测试配捐",
    "budget": 500_000,
    "ratio_bp": 10_000,
    "starts_at": TODAY.isoformat(),
    "ends_at": (TODAY + timedelta(days=5)).isoformat(),
}

CASES = [
    Case(
        "POST",
        "/api/v1/projects/{published_id}/pledges",
        COMPANY_ONLY,
        {"amount": 500_000, "method": "bank_transfer"},
        api=True,
        headers={"Idempotency-Key": "matrix-pledge-1"},
    ),
    Case("GET", "/api/v1/pledges/{api_pledges_paid_id}", PLEDGE_SEEN_BY, api=True),
    Case(
        "POST",
        "/api/v1/pledges/{api_pledges_pending_id}/confirm",
        STAFF_ONLY,
        {"received_amount": 60_000, "bank_reference": "MATRIX-API-0001"},
        api=True,
    ),
    Case("POST", "/api/v1/pledges/{api_pledges_paid_id}/refund", STAFF_ONLY, {"amount": 1_000}, api=True),
    Case("GET", "/api/v1/projects/{published_id}/ledger", everyone(), api=True),
    Case("GET", "/api/v1/projects/{draft_id}/ledger", OWNER_AND_STAFF_SEE, api=True),
    Case("POST", "/api/v1/matching-pools", COMPANY_ONLY, POOL, api=True),
    Case("GET", "/api/v1/matching-pools", everyone(), api=True),
    Case("GET", "/api/v1/matching-pools/{api_pledges_pool_id}", everyone(), api=True),
]


def ids(world: World) -> dict[str, Any]:
    company_user = db.session.scalar(select(User).where(User.email == world.company_email))
    project = db.session.get(Project, world.published_id)
    pending = factories.pledge(project, company_user, 60_000, paid=False, key="matrix-api-pending")
    paid = factories.pledge(project, company_user, 90_000, key="matrix-api-paid")
    # Starts next month, so it matches none of the pledges other feature modules set up.
    now = utcnow()
    pool = pledges.open_matching_pool(
        company_user,
        pledges.PoolInput(
            name="矩阵配捐",
            budget=300_000,
            ratio_bp=5_000,
            starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=32),
        ),
    )
    db.session.commit()
    return {
        "api_pledges_pending_id": pending.id,
        "api_pledges_paid_id": paid.id,
        "api_pledges_pool_id": pool.id,
    }
