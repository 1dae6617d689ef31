"""Tender and bid operations beyond the happy path (SQLite and PostgreSQL): who may do what, the
double-participation rule at confirmation time, cancellation, the close-tenders job, eligibility
checked again at evaluation and award, subcontract consent (V7), the audit trail, notifications and
two leads of one organization racing to create a bid."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.parties.models import Organization
from marketplace.tenders import operations as ops
from marketplace.tenders.models import Bid, BidParticipant, Tender
from marketplace.timeutil import end_of_local_day, to_local, utcnow
from tests import factories
from tests.tender_support import (
    PDF,
    after_deadline,
    consortium_input,
    make_tender,
    org_user,
    submitted_consortium,
    tender_input,
)


@pytest.fixture
def uploads(app: Flask) -> Path:
    return Path(app.config["UPLOAD_DIR"])


def _rows() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Bid)) or 0,
        db.session.scalar(select(func.count()).select_from(BidParticipant)) or 0,
    )


def _single(user, price: int = 30_000_000) -> ops.BidInput:
    return ops.BidInput(mode="single", price=price, proposal="独立承接")


# ─────────────────────────────── tenders ───────────────────────────────


def test_only_staff_publish_and_a_tender_needs_an_explicit_consortium_answer(ctx: Flask) -> None:
    staff, org = factories.staff(), org_user()
    with pytest.raises(Forbidden):
        ops.create_tender(org, tender_input())
    with pytest.raises(DomainError) as refused:
        ops.create_tender(staff, tender_input(allows_consortium=None, budget=0, max_subcontract_share="100"))
    assert {"allows_consortium", "budget", "max_subcontract_share"} <= set(refused.value.fields)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Tender)) == 0


def test_a_hard_grade_gate_needs_a_recorded_basis(ctx: Flask) -> None:
    staff = factories.staff()
    with pytest.raises(DomainError) as refused:
        ops.create_tender(staff, tender_input(min_grade="A3", grade_rule="min_of_members"))
    assert "grade_rule_basis" in refused.value.fields
    db.session.rollback()
    tender = ops.create_tender(
        staff,
        tender_input(min_grade="A3", grade_rule="min_of_members", grade_rule_basis="财政局批复 2026-31 号"),
    )
    assert tender.grade_rule == "min_of_members" and tender.status == "open"


def test_drafts_are_for_staff_only(ctx: Flask) -> None:
    staff, org = factories.staff(), org_user()
    draft = ops.create_tender(staff, tender_input(), publish=False)
    db.session.commit()
    assert draft not in ops.list_tenders(org) and draft in ops.list_tenders(staff)
    assert not ops.can_view_tender(draft, org) and not ops.can_view_tender(draft, None)
    with pytest.raises(Exception):  # noqa: B017 - NotFound: a draft does not exist for bidders
        ops.create_bid(draft, org, _single(org))


def test_cancelling_a_tender_cancels_its_live_bids_and_tells_the_bidders(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    with pytest.raises(DomainError):
        ops.cancel_tender(built.tender, staff, reason=" ")
    ops.cancel_tender(built.tender, staff, reason="预算调整，项目暂停")
    db.session.commit()
    assert built.tender.status == "cancelled" and built.bid.status == "cancelled"
    told = db.session.scalars(select(Notification).where(Notification.user_id == built.partner.id)).all()
    assert any("已取消" in item.title for item in told)
    with pytest.raises(Conflict):
        ops.create_bid(built.tender, built.lead, _single(built.lead))


def test_tender_cannot_stop_accepting_consortia_while_one_is_being_prepared(
    ctx: Flask, uploads: Path
) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    with pytest.raises(DomainError) as refused:
        ops.update_tender(
            built.tender,
            staff,
            ops.TenderInput(allows_consortium=False, max_members=None, provided=frozenset({"max_members"})),
        )
    assert "allows_consortium" in refused.value.fields


def test_tender_edits_end_at_the_deadline(ctx: Flask) -> None:
    staff = factories.staff()
    tender = make_tender(staff)
    tender.submission_deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(Conflict):
        ops.update_tender(tender, staff, ops.TenderInput(budget=1))


def test_close_tenders_job_moves_due_tenders_to_evaluation_once(
    ctx: Flask, app: Flask, uploads: Path
) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    lagging = org_user()
    draft_bid = ops.create_bid(built.tender, lagging, _single(lagging))
    db.session.commit()
    deadline = built.tender.submission_deadline
    assert ops.close_due_tenders(deadline - timedelta(seconds=1)) == 0
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["jobs", "close-tenders", "--now", (deadline + timedelta(seconds=1)).isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "1 个进入评审" in result.output
    db.session.expire_all()
    assert built.tender.status == "evaluating"
    assert draft_bid.status == "cancelled" and built.bid.status == "submitted"
    again = runner.invoke(
        args=["jobs", "close-tenders", "--now", (deadline + timedelta(seconds=2)).isoformat()]
    )
    assert "0 个进入评审" in again.output


# ─────────────────────────────── bids ───────────────────────────────


def test_only_an_organization_member_leads_and_only_its_own_organization(ctx: Flask) -> None:
    staff = factories.staff()
    tender = make_tender(staff)
    company = factories.company_member()
    a, b = org_user(), org_user()
    with pytest.raises(Forbidden):
        ops.create_bid(tender, company, _single(company))
    with pytest.raises(Forbidden):
        ops.create_bid(tender, staff, _single(staff))
    with pytest.raises(Forbidden):  # b's member cannot name a as lead
        ops.create_bid(tender, b, consortium_input(a, b))
    assert _rows() == (0, 0)


def test_one_live_bid_per_lead(ctx: Flask) -> None:
    tender = make_tender(factories.staff())
    lead = org_user()
    ops.create_bid(tender, lead, _single(lead))
    db.session.commit()
    with pytest.raises(Conflict):
        ops.create_bid(tender, lead, _single(lead))


def test_being_named_binds_nobody_until_it_confirms(ctx: Flask) -> None:
    """A lead cannot block a competitor by listing it in a draft; once it confirms, it is bound."""
    tender = make_tender(factories.staff())
    a, b, c = org_user(), org_user(), org_user()
    bid_ab = ops.create_bid(tender, a, consortium_input(a, b))
    db.session.commit()
    # b is only named by a: it may still lead its own consortium with c.
    bid_bc = ops.create_bid(tender, b, consortium_input(b, c))
    db.session.commit()
    # b leads a live bid now, so it cannot confirm a's.
    with pytest.raises(Conflict) as refused:
        ops.confirm_part(bid_ab, b)
    assert "另一份投标" in refused.value.message
    db.session.rollback()
    ops.confirm_part(bid_bc, c)
    db.session.commit()
    # c confirmed b's bid: a new bid naming c is refused with c's row named.
    d = org_user()
    with pytest.raises(DomainError) as named:
        ops.create_bid(tender, d, consortium_input(d, c))
    assert "members[1].organization_id" in named.value.fields


def test_confirm_is_for_named_organizations_only(ctx: Flask) -> None:
    tender = make_tender(factories.staff())
    a, b, outsider = org_user(), org_user(), org_user()
    bid = ops.create_bid(tender, a, consortium_input(a, b))
    db.session.commit()
    with pytest.raises(Forbidden):
        ops.confirm_part(bid, outsider)
    part = ops.confirm_part(bid, b)
    assert part.is_confirmed and part.confirmed_by_id == b.id


def test_members_are_told_to_confirm_and_the_lead_hears_back(ctx: Flask) -> None:
    tender = make_tender(factories.staff())
    a, b = org_user(), org_user()
    bid = ops.create_bid(tender, a, consortium_input(a, b))
    db.session.commit()
    asked = db.session.scalars(select(Notification).where(Notification.user_id == b.id)).all()
    assert [item.link for item in asked] == [f"/bids/{bid.id}"]
    ops.confirm_part(bid, b)
    db.session.commit()
    heard = db.session.scalars(select(Notification).where(Notification.user_id == a.id)).all()
    assert any("已确认分工" in item.title for item in heard)


def test_submit_needs_the_joint_agreement_and_every_confirmation(ctx: Flask, uploads: Path) -> None:
    tender = make_tender(factories.staff())
    a, b = org_user(), org_user()
    bid = ops.create_bid(tender, a, consortium_input(a, b))
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        ops.submit_bid(bid, a)
    assert {"documents.joint_agreement", "confirmations"} <= set(refused.value.fields)
    db.session.rollback()
    ops.add_document(bid, a, kind="joint_agreement", title="联合体协议", data=PDF, directory=uploads)
    ops.confirm_part(bid, b)
    ops.submit_bid(bid, a)
    db.session.commit()
    assert bid.status == "submitted" and bid.tender_revision == tender.revision
    # Only the lead submits or withdraws.
    with pytest.raises(Forbidden):
        ops.withdraw_bid(bid, b)


def test_a_document_added_after_submission_is_an_edit(ctx: Flask, uploads: Path) -> None:
    built = submitted_consortium(factories.staff(), uploads)
    ops.add_document(built.bid, built.lead, kind="proposal", title="补充方案", data=PDF, directory=uploads)
    db.session.commit()
    assert built.bid.status == "invalid"


def test_withdraw_before_the_deadline_frees_the_organizations(ctx: Flask, uploads: Path) -> None:
    built = submitted_consortium(factories.staff(), uploads)
    ops.withdraw_bid(built.bid, built.lead)
    db.session.commit()
    assert built.bid.status == "withdrawn"
    # The partner may now lead its own bid.
    ops.create_bid(built.tender, built.partner, _single(built.partner))
    db.session.commit()
    with pytest.raises(Conflict):
        ops.withdraw_bid(built.bid, built.lead)


def test_bidders_never_set_evaluation_states(ctx: Flask, uploads: Path) -> None:
    built = submitted_consortium(factories.staff(), uploads)
    for action in ("valid", "disqualified", "awarded", "qualify", "award"):
        with pytest.raises(Forbidden):
            ops.bid_transition(built.bid, built.lead, action)
    with pytest.raises(DomainError):
        ops.bid_transition(built.bid, built.lead, "dance")


def test_bids_are_confidential(ctx: Flask, uploads: Path) -> None:
    built = submitted_consortium(factories.staff(), uploads)
    outsider = org_user()
    assert ops.can_view_bid(built.bid, built.partner) and ops.can_view_bid(built.bid, factories.staff())
    assert not ops.can_view_bid(built.bid, outsider) and not ops.can_view_bid(built.bid, None)
    assert built.bid in ops.my_bids(built.partner) and built.bid not in ops.my_bids(outsider)


# ─────────────────────────────── evaluation and award ───────────────────────────────


def test_disqualifying_needs_a_reason_and_staff(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    now = after_deadline(built.tender)
    with pytest.raises(Forbidden):
        ops.evaluate_bid(
            built.tender,
            built.lead,
            ops.EvaluationInput(bid_id=built.bid.id, result="valid", score="99"),
            now=now,
        )
    with pytest.raises(DomainError) as refused:
        ops.evaluate_bid(
            built.tender, staff, ops.EvaluationInput(bid_id=built.bid.id, result="disqualified"), now=now
        )
    assert "reason" in refused.value.fields
    with pytest.raises(DomainError) as bad_score:
        ops.evaluate_bid(
            built.tender,
            staff,
            ops.EvaluationInput(bid_id=built.bid.id, result="valid", score="100.5"),
            now=now,
        )
    assert "score" in bad_score.value.fields
    db.session.rollback()
    ops.evaluate_bid(
        built.tender,
        staff,
        ops.EvaluationInput(bid_id=built.bid.id, result="disqualified", reason="联合体协议未盖章"),
        now=now,
    )
    db.session.commit()
    assert built.bid.status == "disqualified" and built.bid.qualified is False


def test_a_bid_whose_member_lost_its_verification_cannot_be_valid(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    partner_org = db.session.get(Organization, built.partner.organization_id)
    partner_org.verification_status = "rejected"
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        ops.evaluate_bid(
            built.tender,
            staff,
            ops.EvaluationInput(bid_id=built.bid.id, result="valid", score="90"),
            now=after_deadline(built.tender),
        )
    assert "members[1].organization_id" in refused.value.fields


def test_award_waits_for_every_evaluation(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    first = submitted_consortium(staff, uploads)
    submitted_consortium(staff, uploads, tender=first.tender)
    now = after_deadline(first.tender)
    ops.evaluate_bid(
        first.tender, staff, ops.EvaluationInput(bid_id=first.bid.id, result="valid", score="90"), now=now
    )
    with pytest.raises(Conflict) as refused:
        ops.award(first.tender, staff, bid_id=first.bid.id, now=now)
    assert "尚未评审" in refused.value.message


def test_ranking_puts_score_first_then_price_then_grade_priority(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    tender = make_tender(staff, allows_consortium=False, max_members=None, min_grade="A3")
    graded, ungraded, cheaper = org_user(grade="A4"), org_user(), org_user()
    bids = {}
    for user, price in ((graded, 40_000_000), (ungraded, 40_000_000), (cheaper, 39_000_000)):
        bids[user.id] = ops.create_bid(tender, user, _single(user, price))
        ops.submit_bid(bids[user.id], user)
    db.session.commit()
    now = after_deadline(tender)
    for user in (graded, ungraded, cheaper):
        ops.evaluate_bid(
            tender, staff, ops.EvaluationInput(bid_id=bids[user.id].id, result="valid", score="80"), now=now
        )
    db.session.commit()
    order = ops.ranking(tender)
    assert [item.bid.id for item in order] == [bids[cheaper.id].id, bids[graded.id].id, bids[ungraded.id].id]
    assert [item.priority for item in order] == [False, True, False]
    # Under priority_only the ungraded bidders are flagged, not refused.
    assert ops.review_flags(tender)[bids[ungraded.id].id]


def test_shared_legal_representative_is_flagged(ctx: Flask) -> None:
    staff = factories.staff()
    tender = make_tender(staff, allows_consortium=False, max_members=None)
    a, b = org_user(), org_user()
    for user in (a, b):
        db.session.get(Organization, user.organization_id).legal_representative = "陈立"
        bid = ops.create_bid(tender, user, _single(user))
        ops.submit_bid(bid, user)
    db.session.commit()
    flags = ops.review_flags(tender)
    assert len(flags) == 2 and all("陈立" in " ".join(items) for items in flags.values())


def test_subcontract_needs_award_and_buyer_consent_before_it_is_active(ctx: Flask) -> None:
    staff = factories.staff()
    tender = make_tender(staff)
    prime, sub = org_user(), org_user()
    bid = ops.create_bid(
        tender,
        prime,
        ops.BidInput(
            mode="prime_with_subs",
            price=40_000_000,
            subcontractors=[ops.SubcontractInput(sub.organization_id, "25", "心理测评（非主体工作）", False)],
        ),
    )
    ops.confirm_part(bid, sub)
    ops.submit_bid(bid, prime)
    db.session.commit()
    row = bid.subcontractors[0]
    with pytest.raises(Conflict):  # not awarded yet
        ops.activate_subcontract(bid, staff, subcontract_id=row.id)
    now = after_deadline(tender)
    ops.evaluate_bid(tender, staff, ops.EvaluationInput(bid_id=bid.id, result="valid", score="85"), now=now)
    ops.award(tender, staff, bid_id=bid.id, now=now)
    db.session.commit()
    with pytest.raises(Conflict) as no_consent:  # V7: awarded but no consent
        ops.activate_subcontract(bid, staff, subcontract_id=row.id)
    assert "同意" in no_consent.value.message
    with pytest.raises(DomainError):
        ops.record_subcontract_consent(bid, staff, subcontract_id=row.id, consented=True, note="")
    with pytest.raises(Forbidden):
        ops.record_subcontract_consent(bid, prime, subcontract_id=row.id, consented=True, note="自己同意")
    ops.record_subcontract_consent(
        bid, staff, subcontract_id=row.id, consented=True, note="民政局复函 2027-5 号"
    )
    ops.activate_subcontract(bid, staff, subcontract_id=row.id)
    db.session.commit()
    assert row.activated_at is not None and row.consent_status == "consented"
    # The service contract is between the buyer and the prime only: subcontractors are not parties.
    parties = bid.tender.current_award.agreement.parties
    assert sorted(party.role for party in parties) == ["buyer", "organization"]


def test_every_step_is_audited_and_the_chain_holds(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    now = after_deadline(built.tender)
    ops.evaluate_bid(
        built.tender, staff, ops.EvaluationInput(bid_id=built.bid.id, result="valid", score="90"), now=now
    )
    ops.award(built.tender, staff, bid_id=built.bid.id, now=now)
    db.session.commit()
    actions = db.session.scalars(
        select(audit.AuditEvent.action).where(audit.AuditEvent.action.like("tender.%"))
    ).all()
    for expected in (
        "tender.created",
        "tender.published",
        "tender.bid_created",
        "tender.document_added",
        "tender.part_confirmed",
        "tender.bid_submitted",
        "tender.closed",
        "tender.bid_evaluated",
        "tender.awarded",
    ):
        assert expected in actions
    assert audit.verify_chain() is None


def test_three_requests_racing_for_one_lead_create_one_bid(ctx: Flask, app: Flask) -> None:
    """The lead's bid is created once when three requests race (the tender row lock and the partial
    UNIQUE index on live bids per lead both stand behind it)."""
    from tests.concurrency import run_rounds

    tender = make_tender(factories.staff(), allows_consortium=False, max_members=None)
    lead = org_user()
    tender_id, lead_id = tender.id, lead.id

    def attempt(_thread: int, _round: int) -> str:
        user = db.session.get(User, lead_id)
        try:
            ops.create_bid(
                db.session.get(Tender, tender_id), user, ops.BidInput(mode="single", price=1_000_000)
            )
            db.session.commit()
            return "created"
        except Conflict:
            db.session.rollback()
            return "conflict"

    outcomes = [item for results in run_rounds(app, 3, 1, attempt) for item in results]
    assert sorted(outcomes) == ["conflict", "conflict", "created"]
    assert _rows() == (1, 1)


def test_dashboards_list_what_waits_for_whom(ctx: Flask, uploads: Path) -> None:
    staff = factories.staff()
    tender = make_tender(staff)
    a, b = org_user(), org_user()
    bid = ops.create_bid(tender, a, consortium_input(a, b))
    db.session.commit()
    assert ops.awaiting_my_confirmation(b) == [bid]
    assert ops.awaiting_my_confirmation(a) == []  # the lead confirms by submitting
    ops.confirm_part(bid, b)
    db.session.commit()
    assert ops.awaiting_my_confirmation(b) == []
    ops.update_bid(bid, a, ops.BidInput(price=44_000_000))
    db.session.commit()
    assert ops.awaiting_my_confirmation(b) == [bid]  # a new revision needs a new confirmation

    built = submitted_consortium(staff, uploads)
    assert built.tender not in ops.staff_tender_tasks().to_evaluate
    now = after_deadline(built.tender)
    assert built.tender in ops.staff_tender_tasks(now).to_evaluate
    ops.evaluate_bid(
        built.tender, staff, ops.EvaluationInput(bid_id=built.bid.id, result="valid", score="90"), now=now
    )
    award = ops.award(built.tender, staff, bid_id=built.bid.id, now=now)
    db.session.commit()
    tasks = ops.staff_tender_tasks(now)
    assert built.tender not in tasks.to_evaluate and award in tasks.awaiting_contract


def test_a_substantive_edit_lapses_confirmations_of_bids_in_preparation_too(ctx: Flask) -> None:
    staff = factories.staff()
    tender = make_tender(staff)
    a, b = org_user(), org_user()
    bid = ops.create_bid(tender, a, consortium_input(a, b))
    ops.confirm_part(bid, b)
    db.session.commit()
    ops.update_tender(tender, staff, ops.TenderInput(max_subcontract_share="30"))
    db.session.commit()
    assert bid.status == "draft" and ops.unconfirmed(bid) == [bid.participants[1]]
    told = db.session.scalars(select(Notification).where(Notification.user_id == b.id)).all()
    assert any("分包比例上限" in item.body for item in told)


def test_the_buyer_cannot_be_changed_and_the_lead_does_not_confirm_itself(ctx: Flask) -> None:
    staff = factories.staff()
    tender = make_tender(staff)
    with pytest.raises(DomainError) as refused:
        ops.update_tender(tender, staff, ops.TenderInput(buyer_name="温州市慈善总会"))
    assert "buyer_name" in refused.value.fields
    db.session.rollback()
    ops.update_tender(tender, staff, ops.TenderInput(buyer_name=tender.buyer.name, title="新标题"))
    a, b = org_user(), org_user()
    bid = ops.create_bid(tender, a, consortium_input(a, b))
    with pytest.raises(Conflict):
        ops.confirm_part(bid, a)


def test_a_cancelled_bid_remembers_what_it_was(ctx: Flask, uploads: Path) -> None:
    """The public record (OCDS) keeps an opened bid as it was when the tender was cancelled."""
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    now = after_deadline(built.tender)
    ops.evaluate_bid(
        built.tender, staff, ops.EvaluationInput(bid_id=built.bid.id, result="valid", score="90"), now=now
    )
    ops.cancel_tender(built.tender, staff, reason="预算调整，采购取消")
    db.session.commit()
    assert built.bid.status == "cancelled" and built.bid.cancelled_from == "valid"


def test_the_contract_is_due_30_days_after_the_award(ctx: Flask, uploads: Path) -> None:
    """政府采购法 第46条: staff see an unsigned contract as overdue from the 31st day."""
    staff = factories.staff()
    built = submitted_consortium(staff, uploads)
    now = after_deadline(built.tender)
    ops.evaluate_bid(
        built.tender, staff, ops.EvaluationInput(bid_id=built.bid.id, result="valid", score="90"), now=now
    )
    award = ops.award(built.tender, staff, bid_id=built.bid.id, now=now)
    db.session.commit()
    due = award.signing_due_on
    assert due == to_local(now).date() + timedelta(days=30)
    assert not award.signing_overdue(end_of_local_day(due))
    assert award.signing_overdue(end_of_local_day(due) + timedelta(seconds=1))
