"""Money operations end to end on the database: pledging, confirming, refunds, matching funds,
disbursements and who receives the money. Every test ends by checking the ledger invariant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, MatchCredit, MatchingPool, Pledge
from marketplace.pledges.states import PledgeStatus
from marketplace.projects.models import Project
from marketplace.timeutil import utcnow
from tests import factories


@pytest.fixture
def cast(ctx: Any) -> dict[str, Any]:
    owner = factories.org_member()
    reviewer = factories.staff()
    project = factories.project(owner, status="published", reviewer=reviewer)
    factories.foundation(name="鹿城区青少年发展基金会")
    return {
        "owner": owner,
        "reviewer": reviewer,
        "project": project,
        "donor": factories.company_member(),
        "sponsor": factories.company_member(),
    }


def fresh(project: Project) -> Project:
    db.session.expire_all()
    return db.session.get(Project, project.id)


def assert_ledger_holds(project: Project) -> None:
    current = fresh(project)
    assert current.raised_amount == pledges.ledger_total(project.id)
    assert pledges.ledger_mismatches() == []


def open_pool(
    company_user: Any, budget: int = 1_000_000, ratio_bp: int = 10_000, **extra: Any
) -> MatchingPool:
    now = utcnow()
    pool = pledges.open_matching_pool(
        company_user,
        pledges.PoolInput(
            name=extra.pop("name", "99 公益日配捐"),
            budget=budget,
            ratio_bp=ratio_bp,
            starts_at=extra.pop("starts_at", now - timedelta(hours=1)),
            ends_at=extra.pop("ends_at", now + timedelta(days=3)),
            **extra,
        ),
    )
    db.session.commit()
    return pool


def test_a_pledge_names_the_receiving_foundation_and_a_reference_code(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000, paid=False)
    assert pledge.status == PledgeStatus.PENDING
    assert pledge.payee_kind == "foundation" and pledge.payee_name == "鹿城区青少年发展基金会"
    assert pledge.payee_account_number and pledge.reference_code.startswith("QQC")
    assert len(pledge.reference_code) == 11


def test_a_qualified_organization_receives_its_own_money(cast: dict[str, Any]) -> None:
    organization = cast["owner"].organization
    pledges.set_fundraising_qualification(
        organization,
        cast["reviewer"],
        qualified=True,
        account=pledges.BankAccountInput("温州银行五马支行", organization.name, "6228 0000 1111 2222"),
    )
    db.session.commit()
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000, paid=False)
    assert (pledge.payee_kind, pledge.payee_name) == ("organization", organization.name)
    assert pledge.payee_account_number == "6228000011112222"


def test_qualification_needs_a_bank_account_and_staff(cast: dict[str, Any]) -> None:
    organization = cast["owner"].organization
    with pytest.raises(DomainError) as caught:
        pledges.set_fundraising_qualification(
            organization, cast["reviewer"], qualified=True, account=pledges.BankAccountInput("", "", "12ab")
        )
    assert set(caught.value.fields) == {"bank_name", "bank_account_name", "bank_account_number"}
    with pytest.raises(Forbidden):
        pledges.set_fundraising_qualification(
            organization, cast["owner"], qualified=False, account=pledges.BankAccountInput("", "", "")
        )


def test_without_any_receiving_entity_pledging_is_refused(ctx: Any) -> None:
    owner = factories.org_member()
    project = factories.project(owner, status="published")
    with pytest.raises(Conflict) as caught:
        pledges.create_pledge(
            project,
            factories.company_member(),
            pledges.PledgeRequest(amount=10_000, method="bank_transfer"),
            idempotency_key="k",
            card_enabled=False,
        )
    assert "收款机构" in caught.value.fields["project"]


def test_one_default_foundation_at_a_time(cast: dict[str, Any]) -> None:
    second = factories.foundation(name="温州市青年发展基金会")
    assert pledges.default_foundation().id == second.id
    assert pledges.receiving_entity(cast["project"]).name == "温州市青年发展基金会"
    with pytest.raises(DomainError) as caught:
        pledges.save_foundation(
            None,
            cast["reviewer"],
            pledges.FoundationInput("温州市青年发展基金会", "银行", "户名", "1234567890"),
        )
    assert "同名" in caught.value.fields["name"]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pledges.PledgeRequest(amount=0, method="bank_transfer"), "amount"),
        (pledges.PledgeRequest(amount=10_000, method="cheque"), "method"),
        (pledges.PledgeRequest(amount=10_000, method="card"), "method"),  # no Stripe keys
        (pledges.PledgeRequest(amount=10_000, method="in_kind"), "in_kind_description"),
        (pledges.PledgeRequest(amount=10_000, method="bank_transfer", message="长" * 201), "message"),
    ],
)
def test_bad_requests_name_the_field_and_save_nothing(
    cast: dict[str, Any], request_: pledges.PledgeRequest, field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        pledges.create_pledge(
            cast["project"], cast["donor"], request_, idempotency_key="k", card_enabled=False
        )
    assert field in caught.value.fields
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 0


def test_who_may_pledge(cast: dict[str, Any]) -> None:
    request = pledges.PledgeRequest(amount=10_000, method="bank_transfer")
    for user in (cast["owner"], cast["reviewer"], factories.company_member(verified=False), None):
        with pytest.raises(Forbidden):
            pledges.create_pledge(cast["project"], user, request, idempotency_key="k", card_enabled=False)


def test_the_same_key_with_another_request_is_a_conflict(cast: dict[str, Any]) -> None:
    pledges.create_pledge(
        cast["project"],
        cast["donor"],
        pledges.PledgeRequest(amount=10_000, method="bank_transfer"),
        idempotency_key="same",
        card_enabled=False,
    )
    with pytest.raises(Conflict):
        pledges.create_pledge(
            cast["project"],
            cast["donor"],
            pledges.PledgeRequest(amount=20_000, method="bank_transfer"),
            idempotency_key="same",
            card_enabled=False,
        )


def test_a_deadline_passed_project_takes_no_pledges(cast: dict[str, Any]) -> None:
    project = cast["project"]
    project.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        factories.pledge(project, cast["donor"], 10_000, paid=False)
    assert "截止" in caught.value.fields["project"]


def test_confirmation_records_what_arrived_and_the_bank_reference_is_unique(cast: dict[str, Any]) -> None:
    first = factories.pledge(cast["project"], cast["donor"], 50_000, paid=False)
    second = factories.pledge(cast["project"], cast["donor"], 30_000, paid=False)
    pledges.confirm_offline_pledge(first, cast["reviewer"], received_amount=49_000, bank_reference="CMB-0001")
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        pledges.confirm_offline_pledge(
            second, cast["reviewer"], received_amount=30_000, bank_reference="CMB-0001"
        )
    assert "流水号" in caught.value.fields["bank_reference"]
    db.session.rollback()
    project = fresh(cast["project"])
    assert project.raised_amount == 49_000 and project.supporters_count == 1
    assert_ledger_holds(project)


def test_bank_transfers_need_a_reference_and_a_valid_amount(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000, paid=False)
    with pytest.raises(DomainError) as caught:
        pledges.confirm_offline_pledge(pledge, cast["reviewer"], received_amount=0, bank_reference=" ")
    assert set(caught.value.fields) == {"received_amount", "bank_reference"}


def test_in_kind_gifts_are_valued_by_staff(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(
        cast["project"],
        cast["donor"],
        80_000,
        method="in_kind",
        paid=False,
        in_kind_description="课桌椅 20 套",
    )
    pledges.confirm_offline_pledge(pledge, cast["reviewer"], received_amount=72_000, bank_reference=None)
    db.session.commit()
    assert pledge.status == PledgeStatus.PAID and pledge.paid_amount == 72_000
    assert fresh(cast["project"]).raised_amount == 72_000


def test_a_card_payment_with_the_wrong_amount_is_flagged_not_paid(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000, paid=False)
    pledge.method = "card"
    db.session.commit()
    outcome = pledges.mark_card_paid(
        pledge, amount=5_000, currency="cny", payment_intent_id="pi_1", source="t"
    )
    assert outcome == "flagged" and pledge.status == PledgeStatus.PENDING and pledge.is_flagged
    outcome = pledges.mark_card_paid(
        pledge, amount=50_000, currency="usd", payment_intent_id="pi_1", source="t"
    )
    assert outcome == "flagged"
    assert pledges.mark_card_paid(
        pledge, amount=50_000, currency="cny", payment_intent_id="pi_1", source="t"
    ) == ("applied")
    assert pledges.mark_card_paid(
        pledge, amount=50_000, currency="cny", payment_intent_id="pi_1", source="t"
    ) == ("no-change")
    db.session.commit()
    assert not pledge.is_flagged and fresh(cast["project"]).raised_amount == 50_000


def test_pending_pledges_close_once_and_paid_ones_never_go_back(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000, paid=False)
    assert pledges.close_pending(pledge, PledgeStatus.EXPIRED, actor_id=None)
    assert not pledges.close_pending(pledge, PledgeStatus.FAILED, actor_id=None)
    paid = factories.pledge(cast["project"], cast["donor"], 50_000)
    assert not pledges.close_pending(paid, PledgeStatus.FAILED, actor_id=None)
    assert paid.status == PledgeStatus.PAID


def test_companies_cancel_only_their_own_pending_pledges(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000, paid=False)
    with pytest.raises(Forbidden):
        pledges.cancel_pledge(pledge, cast["sponsor"])
    pledges.cancel_pledge(pledge, cast["donor"])
    assert pledge.status == PledgeStatus.CANCELLED
    with pytest.raises(Conflict):
        pledges.cancel_pledge(pledge, cast["donor"])


def test_partial_then_full_refund_writes_negative_rows(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000)
    assert pledges.refund_pledge(pledge, cast["reviewer"], amount=20_000, gateway=None) == 20_000
    assert pledge.status == PledgeStatus.PAID and pledge.status_label == "部分退款"
    with pytest.raises(DomainError):
        pledges.refund_pledge(pledge, cast["reviewer"], amount=30_001, gateway=None)
    assert pledges.refund_pledge(pledge, cast["reviewer"], amount=None, gateway=None) == 30_000
    db.session.commit()
    assert pledge.status == PledgeStatus.REFUNDED and pledge.refunded_amount == 50_000
    project = fresh(cast["project"])
    assert project.raised_amount == 0 and project.supporters_count == 0
    amounts = db.session.scalars(
        select(LedgerEntry.amount).where(LedgerEntry.kind == "refund").order_by(LedgerEntry.id)
    ).all()
    assert amounts == [-20_000, -30_000]
    assert_ledger_holds(project)
    with pytest.raises(Forbidden):
        pledges.refund_pledge(pledge, cast["donor"], amount=None, gateway=None)


def test_absolute_refund_totals_ignore_stale_and_repeated_reports(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000)
    assert pledges.record_refunded_total(pledge, 10_000, actor_id=None, source="t") == 10_000
    assert pledges.record_refunded_total(pledge, 10_000, actor_id=None, source="t") == 0
    assert pledges.record_refunded_total(pledge, 50_000, actor_id=None, source="t") == 40_000
    assert pledges.record_refunded_total(pledge, 10_000, actor_id=None, source="t") == 0
    db.session.commit()
    assert pledge.refunded_amount == 50_000
    assert_ledger_holds(cast["project"])


def test_a_refund_due_pledge_is_refunded_when_staff_record_the_transfer(cast: dict[str, Any]) -> None:
    pledge = factories.pledge(cast["project"], cast["donor"], 50_000)
    assert pledges.mark_refund_due(pledge, reason="未达成目标")
    assert not pledges.mark_refund_due(pledge, reason="again")
    assert fresh(cast["project"]).raised_amount == 50_000  # still held until it goes back
    pledges.refund_pledge(pledge, cast["reviewer"], amount=None, gateway=None)
    db.session.commit()
    assert pledge.status == PledgeStatus.REFUNDED
    assert_ledger_holds(cast["project"])


def test_a_pool_matches_other_companies_pledges_one_to_one(cast: dict[str, Any]) -> None:
    pool = open_pool(cast["sponsor"], budget=30_000)
    factories.pledge(cast["project"], cast["donor"], 10_000)
    project = fresh(cast["project"])
    assert project.raised_amount == 20_000 and project.matched_amount == 10_000
    assert db.session.get(MatchingPool, pool.id).remaining == 20_000
    assert [(p.id, amount) for p, amount in pledges.pool_projects(pool)] == [(project.id, 10_000)]
    assert_ledger_holds(project)


def test_a_company_is_never_matched_by_its_own_pool(cast: dict[str, Any]) -> None:
    pool = open_pool(cast["sponsor"])
    factories.pledge(cast["project"], cast["sponsor"], 10_000)
    assert fresh(cast["project"]).matched_amount == 0
    assert db.session.get(MatchingPool, pool.id).remaining == pool.budget


def test_a_pool_stops_at_its_budget_and_caps(cast: dict[str, Any]) -> None:
    pool = open_pool(cast["sponsor"], budget=15_000, cap_per_pledge=8_000)
    factories.pledge(cast["project"], cast["donor"], 10_000)  # capped at 8,000
    factories.pledge(cast["project"], cast["donor"], 10_000)  # only 7,000 left
    factories.pledge(cast["project"], cast["donor"], 10_000)  # nothing left
    assert db.session.get(MatchingPool, pool.id).remaining == 0
    assert fresh(cast["project"]).matched_amount == 15_000
    assert_ledger_holds(cast["project"])


def test_the_per_project_cap_holds(cast: dict[str, Any]) -> None:
    pool = open_pool(cast["sponsor"], budget=100_000, cap_per_project=12_000)
    for _ in range(3):
        factories.pledge(cast["project"], cast["donor"], 5_000)
    assert fresh(cast["project"]).matched_amount == 12_000
    assert db.session.get(MatchingPool, pool.id).remaining == 88_000


def test_pools_outside_their_scope_or_period_do_not_match(cast: dict[str, Any]) -> None:
    now = utcnow()
    project = cast["project"]
    other_category = (
        db.session.scalar(select(Project.category_id).where(Project.id == project.id)) + 1
    )  # any category but the project's
    open_pool(cast["sponsor"], category_ids=(other_category,))
    open_pool(cast["sponsor"], districts=("瓯海区",))
    open_pool(cast["sponsor"], starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))
    ended = open_pool(cast["sponsor"])
    ended.starts_at, ended.ends_at = now - timedelta(days=3), now - timedelta(days=2)  # time passed
    db.session.commit()
    factories.pledge(project, cast["donor"], 10_000)
    assert fresh(project).matched_amount == 0


def test_two_pools_split_in_proportion_and_refunds_give_the_budget_back(cast: dict[str, Any]) -> None:
    small = open_pool(cast["sponsor"], budget=10_000)
    other_sponsor = factories.company_member()
    large = open_pool(other_sponsor, budget=30_000)
    pledge = factories.pledge(cast["project"], cast["donor"], 8_000)
    credits = {credit.pool_id: credit.amount for credit in db.session.scalars(select(MatchCredit))}
    assert credits == {small.id: 2_000, large.id: 6_000}
    pledges.refund_pledge(pledge, cast["reviewer"], amount=4_000, gateway=None)  # half
    db.session.commit()
    assert db.session.get(MatchingPool, small.id).remaining == 9_000
    assert db.session.get(MatchingPool, large.id).remaining == 27_000
    pledges.refund_pledge(pledge, cast["reviewer"], amount=None, gateway=None)
    db.session.commit()
    assert db.session.get(MatchingPool, small.id).remaining == 10_000
    assert db.session.get(MatchingPool, large.id).remaining == 30_000
    project = fresh(cast["project"])
    assert project.raised_amount == 0 and project.matched_amount == 0
    assert_ledger_holds(project)


def test_closed_pools_stop_matching(cast: dict[str, Any]) -> None:
    pool = open_pool(cast["sponsor"])
    with pytest.raises(Forbidden):
        pledges.close_matching_pool(pool, cast["donor"])
    pledges.close_matching_pool(pool, cast["sponsor"])
    db.session.commit()
    factories.pledge(cast["project"], cast["donor"], 10_000)
    assert fresh(cast["project"]).matched_amount == 0


def test_a_pool_that_has_already_ended_cannot_be_opened(cast: dict[str, Any]) -> None:
    now = utcnow()
    with pytest.raises(DomainError) as caught:
        open_pool(cast["sponsor"], starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2))
    assert "ends_at" in caught.value.fields


def test_bad_pool_scope_is_refused(cast: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as caught:
        open_pool(cast["sponsor"], category_ids=(99_999,), districts=("火星区",))
    assert set(caught.value.fields) == {"category_ids", "districts"}
    with pytest.raises(Forbidden):
        open_pool(cast["owner"])


def test_disbursements_never_exceed_what_was_raised(cast: dict[str, Any]) -> None:
    factories.pledge(cast["project"], cast["donor"], 50_000)
    project = cast["project"]
    pledges.record_disbursement(project, cast["reviewer"], amount=30_000, bank_reference="DISB-1")
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        pledges.record_disbursement(project, cast["reviewer"], amount=20_001, bank_reference="DISB-2")
    assert "¥200" in caught.value.fields["amount"]
    db.session.rollback()
    with pytest.raises(Conflict):
        pledges.record_disbursement(project, cast["reviewer"], amount=1_000, bank_reference="DISB-1")
    db.session.rollback()
    with pytest.raises(Forbidden):
        pledges.record_disbursement(project, cast["owner"], amount=1_000, bank_reference="DISB-3")
    project = fresh(project)
    assert project.disbursed_amount == 30_000 and project.raised_amount == 50_000
    kinds = db.session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    assert kinds == ["pledge_paid", "disbursement"]
    assert_ledger_holds(project)  # disbursements do not change the raised amount


def test_supporters_include_pool_sponsors(cast: dict[str, Any]) -> None:
    open_pool(cast["sponsor"])
    factories.pledge(cast["project"], cast["donor"], 10_000)
    emails = {user.email for user in pledges.supporters_of(cast["project"])}
    assert emails == {cast["donor"].email, cast["sponsor"].email}


def test_paid_pledges_notify_the_company(cast: dict[str, Any]) -> None:
    from marketplace import mail
    from marketplace.notifications import operations as notifications

    factories.pledge(cast["project"], cast["donor"], 10_000)
    assert notifications.unread_count(cast["donor"]) == 1
    assert any("认捐已到账" in message.subject for message in mail.outbox())
