"""Access cases for the partnership-agreement API (/api/v1/agreements).

The World's company and organization are the parties of three agreements that staff broker here: a
draft without terms (for adding a version), one in negotiation whose first version was withdrawn
at the organization's request and whose second is a draft (for reading, editing, proposing and the
diff), and one whose version awaits signatures (for signing). The other organization is no party:
every agreement route answers it 404, as if the agreement did not exist. Staff may read and act
as broker but never sign (403). The matrix sends API bodies as they are (placeholders are not
filled in), so ``ids`` writes this run's ids into ``CREATE`` and ``SIGN`` before the requests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.agreements import operations as agreements
from marketplace.agreements.terms import Terms, Tranche
from marketplace.extensions import db
from marketplace.timeutil import local_today
from tests import factories
from tests.access_cases.base import DENIED, HIDDEN, LOGIN, OK, Case, members_only
from tests.factories import World

# The parties' members and staff; the other organization is told the agreement does not exist.
PARTIES_AND_STAFF = members_only(other_org=HIDDEN)
# Staff or a member of either party start one; a member of another organization may not (403).
STARTED_BY = members_only(other_org=DENIED)
# A signatory party's members sign; staff are witnesses (403); others do not see it (404).
SIGNED_BY = {
    "anonymous": LOGIN,
    "org": OK,
    "other_org": HIDDEN,
    "company": OK,
    "staff": DENIED,
    "admin": DENIED,
}
TERMS = {
    "scope": "矩阵测试：共同开展防溺水安全教育",
    "obligations": {"company": "出资", "organization": "执行项目"},
}
VERSION = {
    "terms": TERMS,
    "committed_amount": 500_000,
    "tranches": [{"due_on": (local_today() + timedelta(days=30)).isoformat(), "amount": 500_000}],
}
# Filled in by ``ids`` (see the module docstring).
CREATE: dict[str, Any] = {
    "title": "矩阵测试：战略合作协议",
    "company_id": 0,
    "organization_id": 0,
    "starts_on": local_today().isoformat(),
    "ends_on": (local_today() + timedelta(days=365)).isoformat(),
}
SIGN: dict[str, Any] = {"action": "sign", "version_id": 0, "content_sha256": ""}

AGREEMENT = "/api/v1/agreements/{api_agreements_negotiating_id}"
CASES = [
    Case("POST", "/api/v1/agreements", STARTED_BY, CREATE, api=True),
    Case("GET", "/api/v1/agreements", members_only(), api=True),
    Case("GET", AGREEMENT, PARTIES_AND_STAFF, api=True),
    Case("GET", AGREEMENT + "/events", PARTIES_AND_STAFF, api=True),
    Case("GET", AGREEMENT + "/diff", PARTIES_AND_STAFF, api=True),
    Case("GET", AGREEMENT + "/versions/{api_agreements_draft_version_id}", PARTIES_AND_STAFF, api=True),
    Case(
        "PUT",
        AGREEMENT + "/versions/{api_agreements_draft_version_id}",
        PARTIES_AND_STAFF,
        {**VERSION, "committed_amount": None, "tranches": []},
        api=True,
    ),
    Case(
        "POST", "/api/v1/agreements/{api_agreements_empty_id}/versions", PARTIES_AND_STAFF, VERSION, api=True
    ),
    Case("POST", AGREEMENT + "/transitions", PARTIES_AND_STAFF, {"action": "propose"}, api=True),
    Case("POST", "/api/v1/agreements/{api_agreements_proposed_id}/transitions", SIGNED_BY, SIGN, api=True),
]


def _terms(scope: str = TERMS["scope"]) -> Terms:
    return Terms(scope=scope, obligations_company="出资", obligations_organization="执行项目")


def ids(world: World) -> dict[str, Any]:
    staff = db.session.scalar(select(User).where(User.email == world.staff_email))
    # The agreements commit money: the organization needs a partner foundation to receive it.
    factories.foundation(is_default=False)
    assert staff is not None
    today = local_today()
    started = agreements.AgreementInput(
        title="矩阵测试协议",
        company_id=world.company_id,
        organization_id=world.organization_id,
        starts_on=today,
        ends_on=today + timedelta(days=365),
    )
    empty = agreements.create_agreement(staff, started)

    negotiating = agreements.create_agreement(staff, started)
    first = agreements.add_version(negotiating, staff, agreements.VersionInput(terms=_terms()))
    agreements.propose(negotiating, staff, version_id=first.id)
    agreements.request_changes(negotiating, staff, version_id=first.id, reason="矩阵测试：请补充绩效指标")
    second = agreements.add_version(
        negotiating, staff, agreements.VersionInput(terms=_terms("矩阵测试：防溺水安全教育与助老服务"))
    )

    proposed = agreements.create_agreement(staff, started)
    money = agreements.VersionInput(
        terms=_terms(),
        committed_amount=500_000,
        tranches=(Tranche(today + timedelta(days=30), 500_000),),
    )
    offered = agreements.add_version(proposed, staff, money)
    agreements.propose(proposed, staff, version_id=offered.id)
    db.session.commit()

    CREATE.update(company_id=world.company_id, organization_id=world.organization_id)
    SIGN.update(version_id=offered.id, content_sha256=offered.content_sha256)
    return {
        "api_agreements_empty_id": empty.id,
        "api_agreements_negotiating_id": negotiating.id,
        "api_agreements_draft_version_id": second.id,
        "api_agreements_proposed_id": proposed.id,
    }
