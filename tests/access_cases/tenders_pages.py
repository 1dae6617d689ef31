"""Tender pages in the access-control matrix (proposed by helper "pages" for tests/access_cases/).

The World's organization ("org") leads a consortium bid on an open tender, with a third organization
named as its partner, and has a pending consortium invitation on a second tender. A member of another
organization ("other_org") is outside the bid: it sees the public tender pages, may prepare its own
bid, and gets 403 on the World's bid. Staff publish, evaluate and award; organizations never reach the
staff pages; companies neither bid nor reach the staff pages. Drafts are hidden (404) from everyone
but staff. A tender past its deadline is evaluated; another has a valid bid awaiting the award; a
third is awarded (its contract awaits the buyer's signature, recorded by staff; one subcontract has
the buyer's consent, the other not yet).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.tenders import operations as ops
from marketplace.tenders import partner_operations as partners
from marketplace.tenders.models import Tender
from marketplace.timeutil import local_today, utcnow
from tests.access_cases.base import DENIED, HIDDEN, INVALID, LOGIN, OK, STAFF_ONLY, Case, everyone
from tests.factories import World
from tests.tender_support import PDF, consortium_input, org_user, tender_input

# An organization's member acts; companies and staff do not prepare bids.
ORGS = {"anonymous": LOGIN, "org": OK, "other_org": OK, "company": DENIED, "staff": DENIED, "admin": DENIED}
ORGS_INVALID = {**ORGS, "org": INVALID, "other_org": INVALID}
# The World's bid: its lead organization and staff see it; nobody else learns what it holds.
BID_VIEWERS = {
    "anonymous": LOGIN,
    "org": OK,
    "other_org": DENIED,
    "company": DENIED,
    "staff": OK,
    "admin": OK,
}
# Changes to the World's bid: its lead organization only.
BID_LEAD = {**BID_VIEWERS, "staff": DENIED, "admin": DENIED}
BID_LEAD_INVALID = {**BID_LEAD, "org": INVALID}
STAFF_INVALID = {**STAFF_ONLY, "staff": INVALID, "admin": INVALID}
DRAFT = {"anonymous": HIDDEN, "org": HIDDEN, "other_org": HIDDEN, "company": HIDDEN, "staff": OK, "admin": OK}
_DAY = local_today() + timedelta(days=20)
NEW_TENDER = {
    "title": "矩阵测试：新采购项目",
    "buyer_name": "温州市鹿城区民政局",
    "buyer_kind": "government",
    "category": "children",
    "district": "鹿城区",
    "description": "矩阵测试的采购需求",
    "budget": "100000",
    "budget_is_cap": "yes",
    "method": "enquiry",
    "submission_deadline_date": _DAY.isoformat(),
    "submission_deadline_time": "17:00",
    "allows_consortium": "no",
    "allows_subcontracting": "no",
    "grade_rule": "priority_only",
    "intent": "publish",
}
SINGLE_BID = {"mode": "single", "price": "100000", "proposal": "矩阵测试"}

CASES = [
    Case("GET", "/tenders", everyone()),
    Case("GET", "/tenders?status=open&district=鹿城区&buyer_kind=government", everyone()),
    Case("GET", "/tenders/{tenders_open_id}", everyone()),
    Case("GET", "/tenders/{tenders_draft_id}", DRAFT),
    Case("GET", "/bids", ORGS),
    # The World's organization already leads a bid here: the page sends it to that bid.
    Case("GET", "/tenders/{tenders_open_id}/bids/new", ORGS),
    Case("GET", "/tenders/{tenders_draft_id}/bids/new", {**ORGS, "org": HIDDEN, "other_org": HIDDEN}),
    Case("POST", "/tenders/{tenders_invited_id}/bids/new", ORGS_INVALID),
    Case("POST", "/tenders/{tenders_invited_id}/bids/new", ORGS, SINGLE_BID),
    Case("GET", "/bids/{tenders_bid_id}", BID_VIEWERS),
    Case("GET", "/bids/{tenders_bid_id}/edit", BID_LEAD),
    Case("POST", "/bids/{tenders_bid_id}/edit", BID_LEAD_INVALID),
    # A third organization's consortium names the World's organization: its members confirm.
    Case("POST", "/bids/{tenders_confirm_bid_id}/confirm", BID_LEAD),
    # The partner has not confirmed yet: the lead is told so (422), nothing is submitted.
    Case("POST", "/bids/{tenders_bid_id}/submit", BID_LEAD_INVALID),
    Case("POST", "/bids/{tenders_bid_id}/withdraw", BID_LEAD),
    Case("POST", "/bids/{tenders_bid_id}/documents", BID_LEAD_INVALID),
    Case("GET", "/bids/{tenders_bid_id}/documents/{tenders_document_id}", BID_VIEWERS),
    Case("POST", "/bids/{tenders_bid_id}/documents/{tenders_document_id}/delete", BID_LEAD),
    Case(
        "POST",
        "/tenders/{tenders_open_id}/invitations",
        ORGS,
        {"organization_id": "{tenders_partner_organization_id}"},
    ),
    Case(
        "POST",
        "/invitations/{tenders_invitation_id}/respond",
        {**ORGS, "other_org": HIDDEN},
        {"decision": "accept"},
    ),
    Case("GET", "/staff/tenders/new", STAFF_ONLY),
    Case("POST", "/staff/tenders/new", STAFF_ONLY, NEW_TENDER),
    Case("POST", "/staff/tenders/new", STAFF_INVALID),
    Case("GET", "/staff/tenders/{tenders_open_id}/edit", STAFF_ONLY),
    Case("POST", "/staff/tenders/{tenders_open_id}/edit", STAFF_INVALID),
    Case("POST", "/staff/tenders/{tenders_open_id}/cancel", STAFF_ONLY, {"cancel-reason": "矩阵测试：取消"}),
    Case("POST", "/staff/tenders/{tenders_open_id}/cancel", STAFF_INVALID),
    Case("GET", "/staff/tenders/{tenders_evaluating_id}/evaluation", STAFF_ONLY),
    Case(
        "POST",
        "/staff/tenders/{tenders_evaluating_id}/evaluations",
        STAFF_ONLY,
        {
            "bid_id": "{tenders_evaluating_bid_id}",
            "bid{tenders_evaluating_bid_id}-result": "valid",
            "bid{tenders_evaluating_bid_id}-score": "88.5",
        },
    ),
    Case(
        "POST",
        "/staff/tenders/{tenders_evaluating_id}/evaluations",
        STAFF_INVALID,
        {"bid_id": "{tenders_evaluating_bid_id}"},
    ),
    Case(
        "POST",
        "/staff/tenders/{tenders_evaluating_id}/unsuccessful",
        STAFF_ONLY,
        {"fail-reason": "矩阵测试：流标"},
    ),
    Case("POST", "/staff/tenders/{tenders_evaluating_id}/unsuccessful", STAFF_INVALID),
    Case("POST", "/staff/tenders/{tenders_valid_id}/award", STAFF_ONLY, {"bid_id": "{tenders_valid_bid_id}"}),
    Case(
        "POST",
        "/staff/tenders/{tenders_awarded_id}/award/decline",
        STAFF_ONLY,
        {"decline-reason": "矩阵测试：中标人放弃"},
    ),
    Case("POST", "/staff/tenders/{tenders_awarded_id}/award/decline", STAFF_INVALID),
    Case(
        "POST",
        "/staff/bids/{tenders_awarded_bid_id}/subcontracts/{tenders_subcontract_id}/consent",
        STAFF_ONLY,
        {"sub{tenders_subcontract_id}-consented": "yes", "sub{tenders_subcontract_id}-note": "复函 12 号"},
    ),
    Case(
        "POST",
        "/staff/bids/{tenders_awarded_bid_id}/subcontracts/{tenders_subcontract_id}/consent",
        STAFF_INVALID,
    ),
    Case(
        "POST",
        "/staff/bids/{tenders_awarded_bid_id}/subcontracts/{tenders_consented_subcontract_id}/activate",
        STAFF_ONLY,
    ),
    Case(
        "POST",
        "/agreements/{tenders_contract_id}/parties/{tenders_buyer_party_id}/recorded-signature",
        STAFF_ONLY,
        {
            "buyer{tenders_buyer_party_id}-signer_name": "王局长",
            "buyer{tenders_buyer_party_id}-evidence": "纸质合同 LC-2026-118 号",
            "buyer{tenders_buyer_party_id}-checked": "y",
            "buyer{tenders_buyer_party_id}-version_id": "{tenders_contract_version_id}",
            "buyer{tenders_buyer_party_id}-content_sha256": "{tenders_contract_sha256}",
        },
    ),
    Case(
        "POST",
        "/agreements/{tenders_contract_id}/parties/{tenders_buyer_party_id}/recorded-signature",
        STAFF_INVALID,
    ),
]


def _close(tender: Tender) -> None:
    """The deadline passed a second ago (set, never waited for) and the tender moved to evaluation."""
    tender.submission_deadline = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    db.session.flush()
    ops.close_submissions(tender)


def _submitted_prime(staff: User, title: str) -> tuple[Tender, Any]:
    """A prime-with-subs bid with two confirmed subcontractors, submitted and evaluated valid."""
    tender = ops.create_tender(staff, tender_input(title=title))
    prime, first, second = org_user(), org_user(), org_user()
    bid = ops.create_bid(
        tender,
        prime,
        ops.BidInput(
            mode="prime_with_subs",
            subcontractors=[
                ops.SubcontractInput(organization_id=first.organization_id, share="10", scope="物资采买"),
                ops.SubcontractInput(organization_id=second.organization_id, share="10", scope="场地布置"),
            ],
            price=40_000_000,
        ),
    )
    ops.confirm_part(bid, first)
    ops.confirm_part(bid, second)
    ops.submit_bid(bid, prime)
    _close(tender)
    ops.evaluate_bid(tender, staff, ops.EvaluationInput(bid_id=bid.id, result="valid", score="80"))
    return tender, bid


def ids(world: World) -> dict[str, Any]:
    staff = db.session.scalar(select(User).where(User.email == world.staff_email))
    lead = db.session.scalar(select(User).where(User.email == world.org_email))
    directory = current_app.config["UPLOAD_DIR"]

    open_tender = ops.create_tender(staff, tender_input(title="矩阵测试：报名中的采购"))
    partner = org_user("矩阵测试：合作社工中心")
    bid = ops.create_bid(open_tender, lead, consortium_input(lead, partner))
    document = ops.add_document(
        bid, lead, kind="joint_agreement", title="联合体协议", data=PDF, directory=directory
    )
    draft = ops.create_tender(staff, tender_input(title="矩阵测试：草稿采购"), publish=False)

    asking = ops.create_tender(staff, tender_input(title="矩阵测试：待确认分工的采购"))
    third = org_user("矩阵测试：牵头社工机构")
    confirm_bid = ops.create_bid(asking, third, consortium_input(third, lead))

    invited = ops.create_tender(staff, tender_input(title="矩阵测试：受邀的采购"))
    inviter = org_user("矩阵测试：邀请方")
    invitation = partners.invite_partner(invited, inviter, world.organization_id)

    evaluating = ops.create_tender(staff, tender_input(title="矩阵测试：评审中的采购"))
    bidder = org_user("矩阵测试：单独投标方")
    single = ops.create_bid(evaluating, bidder, ops.BidInput(mode="single", price=30_000_000))
    ops.submit_bid(single, bidder)
    _close(evaluating)

    valid, valid_bid = _submitted_prime(staff, "矩阵测试：待成交的采购")
    awarded, awarded_bid = _submitted_prime(staff, "矩阵测试：已成交的采购")
    award = ops.award(awarded, staff, bid_id=awarded_bid.id)
    consented, pending = awarded_bid.subcontractors
    ops.record_subcontract_consent(
        awarded_bid, staff, subcontract_id=consented.id, consented=True, note="复函 11 号"
    )
    contract = award.agreement
    assert contract is not None and contract.pending_version is not None
    buyer_party = next(party.id for party in contract.parties if party.role == "buyer")
    db.session.commit()
    return {
        "tenders_open_id": open_tender.id,
        "tenders_draft_id": draft.id,
        "tenders_bid_id": bid.id,
        "tenders_confirm_bid_id": confirm_bid.id,
        "tenders_document_id": document.id,
        "tenders_partner_organization_id": partner.organization_id,
        "tenders_invited_id": invited.id,
        "tenders_invitation_id": invitation.id,
        "tenders_evaluating_id": evaluating.id,
        "tenders_evaluating_bid_id": single.id,
        "tenders_valid_id": valid.id,
        "tenders_valid_bid_id": valid_bid.id,
        "tenders_awarded_id": awarded.id,
        "tenders_awarded_bid_id": awarded_bid.id,
        "tenders_subcontract_id": pending.id,
        "tenders_consented_subcontract_id": consented.id,
        "tenders_contract_id": contract.id,
        "tenders_contract_version_id": contract.pending_version.id,
        "tenders_contract_sha256": contract.pending_version.content_sha256,
        "tenders_buyer_party_id": buyer_party,
    }
