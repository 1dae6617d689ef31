"""Access cases for the tender and bid API (/api/v1/tenders, /api/v1/bids) and the staff-recorded
buyer signature of a service contract (POST /api/v1/agreements/{id}/signatures).

Who may do what:
- tenders, their list and their OCDS package are public once published; drafts are staff-only and
  hidden (404) from everyone else; only staff publish, edit, cancel, evaluate, rank, award, record a
  winner's refusal, declare a tender unsuccessful, record the buyer's consent to a subcontract and
  its activation;
- a bid is seen by its organizations and staff only (403 for anyone else); an organization's member
  prepares one; only the lead's members edit, submit, withdraw and manage its documents; the other
  members confirm their parts; nobody reaches a staff decision (valid, awarded …) through the
  bidder's transitions;
- a lead's members (and staff, naming the lead) look for partners; an organization's member invites;
- only staff record the buyer's signature; a supplier party is refused (403), anyone else is told
  the contract does not exist (404).

The rows (``ids``): the World's organization ("org") leads a consortium bid with the other
organization ("other_org") as member on an open tender (``bid``, the partner has confirmed, the joint
agreement is attached, so the lead may submit); both are members of a third organization's bid on
another open tender (``confirm_bid``, for confirming); a third open tender has no bid at all (for
new bids, partners and invitations); a draft; an evaluating tender with an outsider's submitted bid;
one whose bid by the other organization was evaluated valid and awaits the award; and one awarded to
the World's organization as prime contractor with two subcontractors, the other organization's
consented to and the third's not yet, whose service contract awaits the buyer's signature. Deadlines
are moved into the past in the database, never waited for.

The matrix sends API bodies as they are (placeholders are not filled in), so ``ids`` writes this
run's ids into the bodies that need them before the requests. It sends no body at all for an empty
``data``, which every JSON route answers 415: the bad-input cases send a JSON object instead.

Who comes before what: a caller who may never act on a route is refused (403) before the body is
read, so the bad-body cases expect 422 only for those allowed to act.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.tenders import operations as ops
from marketplace.tenders.models import Tender
from marketplace.timeutil import local_today, to_local, utcnow
from tests.access_cases.base import (
    DENIED,
    HIDDEN,
    INVALID,
    LOGIN,
    OK,
    STAFF_ONLY,
    Case,
    everyone,
    members_only,
)
from tests.factories import World
from tests.tender_support import PDF, consortium_input, member, org_user, tender_input

# Public reads; drafts are staff-only and hidden from everyone else.
PUBLIC = everyone()
DRAFT = {"anonymous": HIDDEN, "org": HIDDEN, "other_org": HIDDEN, "company": HIDDEN, "staff": OK, "admin": OK}
# A bad body: staff reach the rule that names the bad field (422); everyone else is refused.
STAFF_INVALID = {**STAFF_ONLY, "staff": INVALID, "admin": INVALID}
# Staff-only on a draft: nobody else learns it exists.
DRAFT_STAFF_ONLY = {**DRAFT, "anonymous": LOGIN}
# An organization's member prepares a bid, looks for partners, invites; companies and staff do not.
ORGS = {"anonymous": LOGIN, "org": OK, "other_org": OK, "company": DENIED, "staff": DENIED, "admin": DENIED}
ORGS_INVALID = {**ORGS, "org": INVALID, "other_org": INVALID}
# The World's bid (org leads, other_org is a member): both organizations and staff see it.
BID_VIEWERS = {"anonymous": LOGIN, "org": OK, "other_org": OK, "company": DENIED, "staff": OK, "admin": OK}
# An outsider's bid: staff only.
OUTSIDER_BID = {**BID_VIEWERS, "org": DENIED, "other_org": DENIED}
# Changes to the World's bid: its lead's members only; the member and staff are refused.
BID_LEAD = {**BID_VIEWERS, "other_org": DENIED, "staff": DENIED, "admin": DENIED}
BID_LEAD_INVALID = {**BID_LEAD, "org": INVALID}
# Confirming a part: the members other than the lead (here both World organizations).
BID_MEMBERS = {**BID_VIEWERS, "staff": DENIED, "admin": DENIED}
# What no caller may do to the World's bid (a staff decision through the bidder's transitions).
NOBODY_ON_BID = dict.fromkeys(BID_VIEWERS, DENIED) | {"anonymous": LOGIN}
# The service contract: the supplier (org) is a party but may not record the buyer's signature;
# the subcontractor (other_org) and the company are no party and do not see it.
BUYER_SIGNATURE = {
    "anonymous": LOGIN,
    "org": DENIED,
    "other_org": HIDDEN,
    "company": HIDDEN,
    "staff": OK,
    "admin": OK,
}


def _moment(days: int) -> str:
    """An ISO 8601 moment with the +08:00 offset, ``days`` from now."""
    return to_local(utcnow().replace(microsecond=0) + timedelta(days=days)).isoformat()


NEW_TENDER = {
    "title": "矩阵测试（API）：新采购项目",
    "description": "矩阵测试的采购需求",
    "buyer_name": "温州市鹿城区民政局",
    "buyer_kind": "government",
    "category": "children",
    "district": "鹿城区",
    "budget": 10_000_000,
    "method": "enquiry",
    "submission_deadline": _moment(20),
    "allows_consortium": False,
    "allows_subcontracting": False,
    "contract_starts_on": (local_today() + timedelta(days=40)).isoformat(),
}
SINGLE_BID = {"mode": "single", "price": 40_000_000, "proposal": "矩阵测试（API）"}
# Filled in by ``ids`` (see the module docstring).
EVALUATION: dict[str, Any] = {"bid_id": 0, "result": "valid", "score": "88.5"}
EVALUATION_WITHOUT_SCORE: dict[str, Any] = {"bid_id": 0, "result": "valid"}
AWARD: dict[str, Any] = {"bid_id": 0}
INVITATION: dict[str, Any] = {"organization_id": 0, "message": "矩阵测试：一起投标吧"}
SIGNATURE: dict[str, Any] = {
    "party_id": 0,
    "version_id": 0,
    "content_sha256": "",
    "signer_name": "王局长",
    "signer_title": "局长",
    "evidence": "纸质合同 LC-2026-118 号",
}
# The same signature recorded for the supplier, a party with accounts that signs itself.
SUPPLIER_SIGNATURE: dict[str, Any] = {**SIGNATURE}
MULTIPART = {"Content-Type": "multipart/form-data; boundary=matrix"}

TENDER = "/api/v1/tenders/{api_tenders_open_id}"
DRAFT_TENDER = "/api/v1/tenders/{api_tenders_draft_id}"
FREE_TENDER = "/api/v1/tenders/{api_tenders_free_id}"
BID = "/api/v1/bids/{api_tenders_bid_id}"
EVALUATING = "/api/v1/tenders/{api_tenders_evaluating_id}"
VALID = "/api/v1/tenders/{api_tenders_valid_id}"
AWARDED = "/api/v1/tenders/{api_tenders_awarded_id}"
AWARDED_BID = "/api/v1/bids/{api_tenders_awarded_bid_id}"

CASES = [
    # ── tenders ──
    Case("GET", "/api/v1/tenders", PUBLIC, api=True),
    Case("GET", "/api/v1/tenders?status=open&district=鹿城区&buyer_kind=government", PUBLIC, api=True),
    # A filter that is not one is a bad request for everyone, signed in or not.
    Case("GET", "/api/v1/tenders?status=sealed", everyone(INVALID), api=True),
    Case("GET", TENDER, PUBLIC, api=True),
    Case("GET", AWARDED, PUBLIC, api=True),
    Case("GET", DRAFT_TENDER, DRAFT, api=True),
    Case("GET", TENDER + "/ocds", PUBLIC, api=True),
    Case("GET", AWARDED + "/ocds", PUBLIC, api=True),
    Case("GET", DRAFT_TENDER + "/ocds", DRAFT, api=True),
    Case("POST", "/api/v1/tenders", STAFF_ONLY, NEW_TENDER, api=True),
    Case("POST", "/api/v1/tenders", STAFF_INVALID, {**NEW_TENDER, "budget": "100000"}, api=True),
    Case("PATCH", TENDER, STAFF_ONLY, {"title": "矩阵测试（API）：改过的标题"}, api=True),
    Case("PATCH", TENDER, STAFF_INVALID, {"budget": "1"}, api=True),
    Case("PATCH", DRAFT_TENDER, DRAFT_STAFF_ONLY, {"title": "矩阵测试（API）：改过的草稿"}, api=True),
    Case("POST", TENDER + "/cancel", STAFF_ONLY, {"reason": "矩阵测试：采购需求取消"}, api=True),
    Case("POST", TENDER + "/cancel", STAFF_INVALID, {"reason": " "}, api=True),
    # ── bids ──
    Case("POST", FREE_TENDER + "/bids", ORGS, SINGLE_BID, api=True),
    Case("POST", FREE_TENDER + "/bids", ORGS_INVALID, {**SINGLE_BID, "price": -1}, api=True),
    # Staff see the draft but never bid; nobody else learns it exists.
    Case(
        "POST",
        DRAFT_TENDER + "/bids",
        {**DRAFT, "anonymous": LOGIN, "staff": DENIED, "admin": DENIED},
        SINGLE_BID,
        api=True,
    ),
    # Each caller's own bids (none for a company), every bid for staff.
    # Bids are organizations' business (and staff's): a company member is refused, as on the page.
    Case("GET", "/api/v1/bids", members_only(company=DENIED), api=True),
    Case("GET", "/api/v1/bids?tender_id={api_tenders_open_id}", members_only(company=DENIED), api=True),
    Case("GET", BID, BID_VIEWERS, api=True),
    Case("GET", "/api/v1/bids/{api_tenders_evaluating_bid_id}", OUTSIDER_BID, api=True),
    Case("PATCH", BID, BID_LEAD, {"proposal": "矩阵测试（API）：补充服务方案"}, api=True),
    Case("PATCH", BID, BID_LEAD_INVALID, {"price": -1}, api=True),
    Case("POST", BID + "/transitions", BID_LEAD, {"action": "submit"}, api=True),
    Case("POST", BID + "/transitions", BID_LEAD, {"action": "withdraw"}, api=True),
    Case(
        "POST",
        "/api/v1/bids/{api_tenders_confirm_bid_id}/transitions",
        BID_MEMBERS,
        {"action": "confirm"},
        api=True,
    ),
    # Staff decisions are nobody's through the bidder's transitions, not even staff's.
    Case("POST", BID + "/transitions", NOBODY_ON_BID, {"action": "valid"}, api=True),
    Case("POST", BID + "/transitions", NOBODY_ON_BID, {"action": "award"}, api=True),
    # An action that does not exist is a bad value for whoever may see the bid.
    Case(
        "POST",
        BID + "/transitions",
        {**BID_VIEWERS, "org": INVALID, "other_org": INVALID, "staff": INVALID, "admin": INVALID},
        {"action": "fly"},
        api=True,
    ),
    # An empty upload form: the lead is told what is missing; nobody else may upload at all.
    Case(
        "POST",
        BID + "/documents",
        BID_LEAD_INVALID,
        api=True,
        headers=MULTIPART,
    ),
    Case("DELETE", BID + "/documents/{api_tenders_document_id}", BID_LEAD, api=True),
    # ── evaluation and award (staff, after the deadline) ──
    Case("POST", EVALUATING + "/evaluations", STAFF_ONLY, EVALUATION, api=True),
    Case("POST", EVALUATING + "/evaluations", STAFF_INVALID, EVALUATION_WITHOUT_SCORE, api=True),
    Case(
        "POST",
        EVALUATING + "/evaluations",
        STAFF_INVALID,
        {"result": "valid"},
        api=True,
    ),
    Case("GET", VALID + "/ranking", STAFF_ONLY, api=True),
    # The other organization's bid is the one to award: it may not award itself.
    Case("POST", VALID + "/award", STAFF_ONLY, AWARD, api=True),
    Case(
        "POST",
        VALID + "/award",
        STAFF_INVALID,
        {"bid_id": None},
        api=True,
    ),
    Case("POST", AWARDED + "/award/decline", STAFF_ONLY, {"reason": "矩阵测试：中标人放弃"}, api=True),
    Case("POST", AWARDED + "/award/decline", STAFF_INVALID, {"reason": ""}, api=True),
    Case("POST", EVALUATING + "/unsuccessful", STAFF_ONLY, {"reason": "矩阵测试：流标"}, api=True),
    Case("POST", EVALUATING + "/unsuccessful", STAFF_INVALID, {"reason": ""}, api=True),
    # The awarded bid's lead (org) and its subcontractor (other_org) see the bid but decide nothing.
    Case(
        "POST",
        AWARDED_BID + "/subcontracts/{api_tenders_subcontract_id}/consent",
        STAFF_ONLY,
        {"consented": True, "note": "复函 12 号"},
        api=True,
    ),
    Case(
        "POST",
        AWARDED_BID + "/subcontracts/{api_tenders_subcontract_id}/consent",
        STAFF_INVALID,
        {"consented": True},
        api=True,
    ),
    Case(
        "POST",
        AWARDED_BID + "/subcontracts/{api_tenders_consented_subcontract_id}/activate",
        STAFF_ONLY,
        api=True,
    ),
    # ── the partner finder and invitations ──
    # For the caller's own organization; staff name the lead, and a company has none.
    Case(
        "GET",
        FREE_TENDER + "/partners",
        {**ORGS, "staff": INVALID, "admin": INVALID},
        api=True,
    ),
    Case(
        "GET",
        FREE_TENDER + "/partners?organization_id={organization_id}",
        {**ORGS, "other_org": DENIED, "staff": OK, "admin": OK},
        api=True,
    ),
    Case("GET", DRAFT_TENDER + "/partners?organization_id={organization_id}", DRAFT_STAFF_ONLY, api=True),
    Case("POST", FREE_TENDER + "/invitations", ORGS, INVITATION, api=True),
    Case(
        "POST",
        FREE_TENDER + "/invitations",
        ORGS_INVALID,
        {"message": "矩阵测试：没有选组织"},
        api=True,
    ),
    # ── the buyer's signature of the awarded service contract (staff record it) ──
    Case(
        "POST",
        "/api/v1/agreements/{api_tenders_contract_id}/signatures",
        BUYER_SIGNATURE,
        SIGNATURE,
        api=True,
    ),
    # Staff never sign for a party with accounts.
    Case(
        "POST",
        "/api/v1/agreements/{api_tenders_contract_id}/signatures",
        {**BUYER_SIGNATURE, "staff": DENIED, "admin": DENIED},
        SUPPLIER_SIGNATURE,
        api=True,
    ),
    Case(
        "POST",
        "/api/v1/agreements/{api_tenders_contract_id}/signatures",
        {**BUYER_SIGNATURE, "staff": INVALID, "admin": INVALID},
        {"signer_name": "王局长"},
        api=True,
    ),
]


def _close(tender: Tender) -> None:
    """The deadline passed a second ago (set, never waited for) and the tender moved to evaluation."""
    tender.submission_deadline = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    db.session.flush()
    ops.close_submissions(tender)


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def ids(world: World) -> dict[str, Any]:
    staff, lead, other = _user(world.staff_email), _user(world.org_email), _user(world.other_org_email)
    directory = Path(current_app.config["UPLOAD_DIR"])

    # The World's consortium, ready for its lead to submit: the partner confirmed this revision.
    open_tender = ops.create_tender(staff, tender_input(title="矩阵测试（API）：报名中的采购"))
    bid = ops.create_bid(open_tender, lead, consortium_input(lead, other))
    document = ops.add_document(
        bid, lead, kind="joint_agreement", title="联合体协议", data=PDF, directory=directory
    )
    ops.confirm_part(bid, other)

    draft = ops.create_tender(staff, tender_input(title="矩阵测试（API）：草稿采购"), publish=False)
    free = ops.create_tender(staff, tender_input(title="矩阵测试（API）：尚无投标的采购"))
    invitee = org_user("矩阵测试（API）：受邀伙伴")

    # A third organization's consortium naming both World organizations, waiting for them.
    asking = ops.create_tender(staff, tender_input(title="矩阵测试（API）：待确认分工的采购"))
    third = org_user("矩阵测试（API）：牵头社工机构")
    confirm_bid = ops.create_bid(
        asking,
        third,
        ops.BidInput(
            mode="consortium",
            members=[
                member(third, "lead", "40", "个案管理"),
                member(lead, "member", "30", "课业辅导"),
                member(other, "member", "30", "心理支持"),
            ],
            price=45_000_000,
        ),
    )

    evaluating = ops.create_tender(staff, tender_input(title="矩阵测试（API）：评审中的采购"))
    outsider = org_user("矩阵测试（API）：单独投标方")
    sealed = ops.create_bid(evaluating, outsider, ops.BidInput(mode="single", price=30_000_000))
    ops.submit_bid(sealed, outsider)
    _close(evaluating)

    valid = ops.create_tender(staff, tender_input(title="矩阵测试（API）：待成交的采购"))
    valid_bid = ops.create_bid(valid, other, ops.BidInput(mode="single", price=40_000_000))
    ops.submit_bid(valid_bid, other)
    _close(valid)
    ops.evaluate_bid(valid, staff, ops.EvaluationInput(bid_id=valid_bid.id, result="valid", score="80"))

    awarded = ops.create_tender(staff, tender_input(title="矩阵测试（API）：已成交的采购"))
    venue = org_user("矩阵测试（API）：场地分包方")
    prime = ops.create_bid(
        awarded,
        lead,
        ops.BidInput(
            mode="prime_with_subs",
            subcontractors=[
                ops.SubcontractInput(organization_id=other.organization_id, share="10", scope="物资采买"),
                ops.SubcontractInput(organization_id=venue.organization_id, share="10", scope="场地布置"),
            ],
            price=40_000_000,
        ),
    )
    ops.confirm_part(prime, other)
    ops.confirm_part(prime, venue)
    ops.submit_bid(prime, lead)
    _close(awarded)
    ops.evaluate_bid(awarded, staff, ops.EvaluationInput(bid_id=prime.id, result="valid", score="85"))
    award = ops.award(awarded, staff, bid_id=prime.id)
    consented, pending = prime.subcontractors
    ops.record_subcontract_consent(
        prime, staff, subcontract_id=consented.id, consented=True, note="复函 11 号"
    )
    contract = award.agreement
    assert contract is not None and contract.pending_version is not None
    buyer = next(party for party in contract.parties if party.role == "buyer")
    supplier = next(party for party in contract.parties if party.organization_id == lead.organization_id)
    db.session.commit()

    EVALUATION.update(bid_id=sealed.id)
    EVALUATION_WITHOUT_SCORE.update(bid_id=sealed.id)
    AWARD.update(bid_id=valid_bid.id)
    INVITATION.update(organization_id=invitee.organization_id)
    SIGNATURE.update(
        party_id=buyer.id,
        version_id=contract.pending_version.id,
        content_sha256=contract.pending_version.content_sha256,
    )
    SUPPLIER_SIGNATURE.update(SIGNATURE, party_id=supplier.id)
    return {
        "api_tenders_open_id": open_tender.id,
        "api_tenders_bid_id": bid.id,
        "api_tenders_document_id": document.id,
        "api_tenders_draft_id": draft.id,
        "api_tenders_free_id": free.id,
        "api_tenders_confirm_bid_id": confirm_bid.id,
        "api_tenders_evaluating_id": evaluating.id,
        "api_tenders_evaluating_bid_id": sealed.id,
        "api_tenders_valid_id": valid.id,
        "api_tenders_awarded_id": awarded.id,
        "api_tenders_awarded_bid_id": prime.id,
        "api_tenders_subcontract_id": pending.id,
        "api_tenders_consented_subcontract_id": consented.id,
        "api_tenders_contract_id": contract.id,
    }
