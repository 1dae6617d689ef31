"""Card checkout pages and the Stripe webhook in the access-control matrix.

The World's company has a pending card pledge on the World's published project. The matrix's app
has no Stripe keys (as in a deployment without card payments), which decides two expectations:
- the checkout hand-off answers 404 even to the pledging company: card payment is switched off,
  so there is no payment page to send it to (with keys it is a 303 to Stripe, see
  tests/test_payments_checkout.py);
- the webhook answers 404 to everyone: without keys the endpoint does not exist for Stripe either.
  With keys, an unsigned POST is a 400 and changes nothing (tests/test_payments_webhooks.py);
  the matrix has no outcome for 400, and 404 is what this app really answers.
The return pages read the pledge only, so they work without keys, for the pledging company alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.projects.models import Project
from tests import factories
from tests.access_cases.base import DENIED, HIDDEN, LOGIN, OK, Case, everyone
from tests.factories import World

# Only the pledging company's members; everyone else is told the pledge does not exist.
PLEDGING_COMPANY = {
    "anonymous": LOGIN,
    "org": DENIED,
    "other_org": DENIED,
    "company": OK,
    "staff": DENIED,
    "admin": DENIED,
}

CASES = [
    Case("GET", "/pledges/{payments_card_pledge_id}/checkout", {**PLEDGING_COMPANY, "company": HIDDEN}),
    Case("GET", "/pledges/{payments_card_pledge_id}/checkout/returned", PLEDGING_COMPANY),
    Case("GET", "/pledges/{payments_card_pledge_id}/checkout/cancelled", PLEDGING_COMPANY),
    Case("POST", "/payments/stripe/webhook", everyone(HIDDEN), {"type": "checkout.session.completed"}),
]


def ids(world: World) -> dict[str, Any]:
    project = db.session.get(Project, world.published_id)
    company_user = db.session.scalar(select(User).where(User.email == world.company_email))
    pledge = factories.pledge(
        project, company_user, 5000, method="card", paid=False, key="matrix-card-pledge"
    )
    return {"payments_card_pledge_id": pledge.id}
