"""A small, known world for the staff dashboard tests (pages, API, browser): pledges paid, refunded,
pending and one paid long ago; two introductions; graded organizations; an active agreement.

Everything money-related goes through the real operations, so the ledger is the one the platform
writes. Only the long-ago pledge is moved back in time afterwards (its ledger row and paid_at), the
one thing an operation cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update

from marketplace.agreements.models import Agreement
from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.parties import operations as parties
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, Pledge
from marketplace.timeutil import local_today, utcnow
from tests import factories

CHILDREN_PAID = 500_000  # ¥5,000 to the children's project
ELDERLY_PAID = 300_000  # ¥3,000 to the elderly project …
ELDERLY_REFUNDED = 100_000  # … of which ¥1,000 went back
OLD_PAID = 250_000  # ¥2,500 to the children's project, paid OLD_DAYS ago
PENDING = 70_000  # promised, never paid
OLD_DAYS = 800
IN_RANGE = CHILDREN_PAID + ELDERLY_PAID - ELDERLY_REFUNDED


@dataclass(frozen=True)
class Scene:
    staff_email: str
    org_email: str
    company_email: str
    children_id: int
    elderly_id: int
    old_paid_at: datetime
    today: date


def build_scene() -> Scene:
    """Inside an app context; commits like a request would."""
    today = local_today()
    staff = factories.staff()
    owner = factories.org_member(district="鹿城区")
    other_owner = factories.org_member(district="瓯海区")
    giver = factories.company_member()
    decliner = factories.company_member()
    late = factories.company_member()
    children = factories.project(
        owner,
        status="published",
        reviewer=staff,
        category="children",
        district="鹿城区",
        title="看板：四点钟课堂",
    )
    elderly = factories.project(
        other_owner,
        status="published",
        reviewer=staff,
        category="elderly",
        district="瓯海区",
        title="看板：长者助餐",
    )

    # Two introductions: one the giver's pledge converts, one the company declines.
    matching.send_introduction(staff, giver.company, children, "看看这个项目")
    declined = matching.send_introduction(staff, decliner.company, elderly, "")
    db.session.commit()
    matching.respond_to_introduction(declined, decliner, "declined")
    db.session.commit()

    factories.pledge(children, giver, CHILDREN_PAID, reviewer=staff)
    refunded = factories.pledge(elderly, giver, ELDERLY_PAID, reviewer=staff)
    pledges.refund_pledge(refunded, staff, amount=ELDERLY_REFUNDED, gateway=None)
    db.session.commit()
    old = factories.pledge(children, late, OLD_PAID, reviewer=staff)
    factories.pledge(elderly, late, PENDING, paid=False)
    old_paid_at = utcnow() - timedelta(days=OLD_DAYS)
    db.session.execute(
        update(LedgerEntry).where(LedgerEntry.pledge_id == old.id).values(created_at=old_paid_at)
    )
    db.session.execute(
        update(Pledge).where(Pledge.id == old.id).values(paid_at=old_paid_at, created_at=old_paid_at)
    )

    # Grades: one current 5A 名木, one 3A whose grade expired yesterday (it counts as ungraded).
    parties.set_organization_grade(
        owner.organization,
        grade="A5",
        valid_until=today + timedelta(days=365),
        tier="leading",
        staff_id=staff.id,
    )
    parties.set_organization_grade(
        other_owner.organization,
        grade="A3",
        valid_until=today - timedelta(days=1),
        tier="growing",
        staff_id=staff.id,
    )
    # An agreement in force. Signing one takes a dozen steps the agreements tests already cover;
    # the dashboard only counts rows in the active status.
    db.session.add(
        Agreement(
            title="看板：战略合作协议",
            status="active",
            company_id=giver.company_id,
            organization_id=owner.organization_id,
            starts_on=today,
            ends_on=today + timedelta(days=365),
            activated_at=utcnow(),
        )
    )
    db.session.add(
        Agreement(
            title="看板：谈判中的协议",
            status="negotiating",
            company_id=late.company_id,
            organization_id=owner.organization_id,
            starts_on=today,
            ends_on=today + timedelta(days=365),
        )
    )
    db.session.commit()
    return Scene(
        staff_email=staff.email,
        org_email=owner.email,
        company_email=giver.email,
        children_id=children.id,
        elderly_id=elderly.id,
        old_paid_at=old_paid_at,
        today=today,
    )
