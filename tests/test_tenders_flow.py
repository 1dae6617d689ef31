"""A tender from publication to a signed service contract, through the operations (SQLite and
PostgreSQL): consortium bid built, confirmed, submitted; evaluated after the deadline; awarded;
the contract signed by the buyer (recorded by staff) and every member; the decline fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from marketplace.agreements import operations as agreements
from marketplace.agreements.models import Agreement
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.tenders import operations as ops
from marketplace.tenders.models import Bid, Tender
from tests import factories
from tests.tender_support import (
    after_deadline,
    consortium_input,
    make_tender,
    org_user,
    submitted_consortium,
)


@pytest.fixture
def uploads(app: Flask) -> Path:
    return Path(app.config["UPLOAD_DIR"])


def _evaluate(tender: Tender, staff, bid: Bid, score: str) -> None:
    ops.evaluate_bid(
        tender,
        staff,
        ops.EvaluationInput(bid_id=bid.id, result="valid", score=score),
        now=after_deadline(tender),
    )
    db.session.commit()


def _sign_everything(agreement: Agreement, staff, signers) -> None:
    version = agreement.pending_version
    assert version is not None
    buyer = next(party for party in agreement.parties if party.role == "buyer")
    agreements.record_party_signature(
        agreement,
        staff,
        agreements.RecordedSignature(
            party_id=buyer.id,
            version_id=version.id,
            content_sha256=version.content_sha256,
            signer_name="王局长",
            signer_title="局长",
            evidence="纸质合同 LC-2026-118 号",
        ),
    )
    for user in signers:
        agreements.sign(agreement, user, version_id=version.id, content_sha256=version.content_sha256)
    db.session.commit()


def test_consortium_from_bid_to_signed_contract(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    tender, bid = built.tender, built.bid
    assert bid.status == "submitted"
    with pytest.raises(Conflict):  # before the deadline nobody evaluates
        ops.evaluate_bid(tender, staff, ops.EvaluationInput(bid_id=bid.id, result="valid", score="90"))
    _evaluate(tender, staff, bid, "88.5")
    assert tender.status == "evaluating" and bid.status == "valid" and bid.score == 8850
    award = ops.award(tender, staff, bid_id=bid.id, now=after_deadline(tender))
    db.session.commit()
    assert tender.status == "awarded" and bid.status == "awarded" and award.status == "pending"
    contract = award.agreement
    assert contract is not None and contract.type == "service_contract"
    assert contract.status == "pending_signature"
    roles = sorted((party.role, party.organization_id) for party in contract.parties)
    assert roles == sorted(
        [("buyer", None), ("member", built.lead.organization_id), ("member", built.partner.organization_id)]
    )
    # The lead alone cannot make the contract: buyer and every member must sign.
    version = contract.pending_version
    agreements.sign(contract, built.lead, version_id=version.id, content_sha256=version.content_sha256)
    db.session.commit()
    assert contract.status == "pending_signature"
    with pytest.raises(Forbidden):  # staff cannot sign for a member that has accounts
        agreements.record_party_signature(
            contract,
            staff,
            agreements.RecordedSignature(
                party_id=next(
                    p.id for p in contract.parties if p.organization_id == built.partner.organization_id
                ),
                version_id=version.id,
                content_sha256=version.content_sha256,
                signer_name="x",
                evidence="y",
            ),
        )
    db.session.rollback()
    _sign_everything(contract, staff, [built.partner])
    assert contract.status == "active"
    assert award.ocds_status == "active"


def test_winner_declines_next_ranked_gets_award(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    first = submitted_consortium(staff, uploads, price=40_000_000)
    second = submitted_consortium(staff, uploads, tender=first.tender, price=42_000_000)
    tender = first.tender
    _evaluate(tender, staff, first.bid, "90")
    _evaluate(tender, staff, second.bid, "85")
    with pytest.raises(Conflict):  # the second-ranked bid cannot jump the queue
        ops.award(tender, staff, bid_id=second.bid.id, now=after_deadline(tender))
    db.session.rollback()
    ops.award(tender, staff, bid_id=first.bid.id, now=after_deadline(tender))
    db.session.commit()
    assert second.bid.status == "unsuccessful"
    replacement = ops.decline_award(
        tender, staff, reason="牵头方无法按期组建团队", now=after_deadline(tender)
    )
    db.session.commit()
    assert replacement is not None and replacement.bid_id == second.bid.id
    assert first.bid.status == "unsuccessful" and second.bid.status == "awarded"
    assert tender.status == "awarded"
    assert [award.status for award in tender.awards] == ["declined", "pending"]
    assert tender.awards[0].agreement.status == "cancelled"
    # The second winner declines too: nobody is left, the tender is unsuccessful.
    assert ops.decline_award(tender, staff, reason="亦放弃", now=after_deadline(tender)) is None
    db.session.commit()
    assert tender.status == "unsuccessful"


def test_edit_after_submission_invalidates_until_reconfirmed(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    bid = built.bid
    ops.update_bid(bid, built.lead, ops.BidInput(price=44_000_000))
    db.session.commit()
    assert bid.status == "invalid"
    with pytest.raises(DomainError) as refused:
        ops.submit_bid(bid, built.lead)
    assert "confirmations" in refused.value.fields
    db.session.rollback()
    ops.confirm_part(bid, built.partner)
    ops.submit_bid(bid, built.lead)
    db.session.commit()
    assert bid.status == "submitted"
    # Members are frozen after submission.
    third = org_user()
    with pytest.raises(Conflict):
        ops.update_bid(bid, built.lead, consortium_input(built.lead, third))


def test_substantive_tender_edit_invalidates_submitted_bids(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    ops.update_tender(built.tender, staff, ops.TenderInput(title="改个标题"))
    db.session.commit()
    assert built.bid.status == "submitted"  # a title is not substantive
    ops.update_tender(built.tender, staff, ops.TenderInput(budget=46_000_000))
    db.session.commit()
    assert built.bid.status == "invalid"
    assert not built.bid.participants[1].is_confirmed


def test_submit_deadline_to_the_second(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    tender = make_tender(staff)
    lead, partner = org_user(), org_user()
    bid = ops.create_bid(tender, lead, consortium_input(lead, partner))
    from tests.tender_support import PDF

    ops.add_document(bid, lead, kind="joint_agreement", title="联合体协议", data=PDF, directory=uploads)
    ops.confirm_part(bid, partner)
    db.session.commit()
    with pytest.raises(Conflict):
        ops.submit_bid(bid, lead, now=tender.submission_deadline)
    db.session.rollback()
    from datetime import timedelta

    ops.submit_bid(bid, lead, now=tender.submission_deadline - timedelta(seconds=1))
    db.session.commit()
    assert bid.status == "submitted"
