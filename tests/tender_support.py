"""Building tenders and bids in tests through the same operations the pages and the API call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.tenders import operations as ops
from marketplace.tenders.models import Bid, Tender
from marketplace.timeutil import utcnow
from tests import factories

# A minimal valid PDF (header, one empty page, cross-reference table, trailer, %%EOF).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n166\n%%EOF\n"
)


def tender_input(**overrides: Any) -> ops.TenderInput:
    values: dict[str, Any] = dict(
        title="鹿城区困境儿童关爱服务采购",
        description="为辖区 200 名困境儿童提供一年的课业辅导、心理支持和家访服务。",
        buyer_name="温州市鹿城区民政局",
        buyer_kind="government",
        category="children",
        district="鹿城区",
        budget=50_000_000,
        method="competitive_consultation",
        submission_deadline=utcnow().replace(microsecond=0) + timedelta(days=10),
        allows_consortium=True,
        max_members=3,
        allows_subcontracting=True,
        max_subcontract_share="40",
        contract_starts_on=date.today() + timedelta(days=40),
        contract_ends_on=date.today() + timedelta(days=405),
    )
    values.update(overrides)
    return ops.TenderInput(**values)


def make_tender(staff: User, **overrides: Any) -> Tender:
    tender = ops.create_tender(staff, tender_input(**overrides))
    db.session.commit()
    return tender


def org_user(
    name: str | None = None, *, grade: str | None = None, valid_until: date | None = None, **kw: Any
) -> User:
    user = factories.org_member(name=name, **kw)
    if grade:
        organization = db.session.get(Organization, user.organization_id)
        assert organization is not None
        organization.grade = grade
        organization.grade_valid_until = valid_until or date.today() + timedelta(days=3 * 365)
        db.session.commit()
    return user


def member(user: User, role: str, share: str, scope: str = "课业辅导") -> ops.MemberInput:
    return ops.MemberInput(organization_id=user.organization_id, role=role, share=share, scope=scope)


def consortium_input(lead: User, partner: User, *, price: int = 45_000_000, **overrides: Any) -> ops.BidInput:
    values: dict[str, Any] = dict(
        mode="consortium",
        members=[
            member(lead, "lead", "60", "课业辅导与个案管理"),
            member(partner, "member", "40", "心理支持"),
        ],
        price=price,
        proposal="双方发挥各自专长，分片区开展服务。",
    )
    values.update(overrides)
    return ops.BidInput(**values)


@dataclass
class Consortium:
    tender: Tender
    bid: Bid
    lead: User
    partner: User


def submitted_consortium(
    staff: User, directory: Any, *, tender: Tender | None = None, price: int = 45_000_000
) -> Consortium:
    """A consortium bid of two organizations, built, confirmed, documented and submitted."""
    tender = tender or make_tender(staff)
    lead, partner = org_user(), org_user()
    bid = ops.create_bid(tender, lead, consortium_input(lead, partner, price=price))
    ops.add_document(bid, lead, kind="joint_agreement", title="联合体协议", data=PDF, directory=directory)
    db.session.commit()
    ops.confirm_part(bid, partner)
    ops.submit_bid(bid, lead)
    db.session.commit()
    return Consortium(tender, bid, lead, partner)


def after_deadline(tender: Tender, seconds: int = 1) -> datetime:
    return tender.submission_deadline + timedelta(seconds=seconds)
