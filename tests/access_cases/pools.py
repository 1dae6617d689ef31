"""Matching-pool (配捐) pages in the access-control matrix.

The World's company owns one running pool; another company owns a second. Everyone may read them;
only verified company members may open one; only the owning company's members and staff may close.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.timeutil import utcnow
from tests import factories
from tests.access_cases.base import DENIED, INVALID, Case, everyone, members_only
from tests.factories import World

COMPANY_ONLY = members_only(org=DENIED, other_org=DENIED, staff=DENIED, admin=DENIED)
OWNER_AND_STAFF = members_only(org=DENIED, other_org=DENIED)

CASES = [
    Case("GET", "/pools", everyone()),
    Case("GET", "/pools/{pools_pool_id}", everyone()),
    Case("GET", "/pools/new", COMPANY_ONLY),
    Case("POST", "/pools/new", {**COMPANY_ONLY, "company": INVALID}),
    Case(
        "POST",
        "/pools/new",
        {**COMPANY_ONLY, "company": INVALID},
        {"name": "零比例", "budget": "100", "ratio": "0"},
    ),
    Case("POST", "/pools/{pools_pool_id}/close", OWNER_AND_STAFF),
    Case("POST", "/pools/{pools_other_pool_id}/close", {**OWNER_AND_STAFF, "company": DENIED}),
]


def _pool(owner: User, name: str) -> int:
    now = utcnow()
    pool = pledges.open_matching_pool(
        owner,
        pledges.PoolInput(
            name=name,
            budget=1_000_000,
            ratio_bp=10_000,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=7),
        ),
    )
    db.session.commit()
    return pool.id


def ids(world: World) -> dict[str, Any]:
    company_user = db.session.scalar(select(User).where(User.email == world.company_email))
    assert company_user is not None
    return {
        "pools_pool_id": _pool(company_user, "矩阵测试配捐"),
        "pools_other_pool_id": _pool(factories.company_member(), "别家企业的配捐"),
    }
