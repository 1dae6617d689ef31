"""Offline pledges reach a project's total only through the ledger; the audit log is a hash chain."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.errors import Conflict, Forbidden
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, Pledge
from marketplace.projects.models import Project
from tests import factories


@pytest.fixture
def funded_setup(ctx):
    owner = factories.org_member()
    reviewer = factories.staff()
    project = factories.project(owner, status="published", reviewer=reviewer)
    company_user = factories.company_member()
    return project, company_user, reviewer


def _request(amount: int = 10_000, method: str = "bank_transfer", **extra) -> pledges.PledgeRequest:
    if method == "in_kind":
        extra.setdefault("in_kind_description", "图书 200 册")
    return pledges.PledgeRequest(amount=amount, method=method, **extra)


def test_confirming_a_pledge_moves_money_once(funded_setup):
    project, company_user, reviewer = funded_setup
    factories.foundation()
    pledge = pledges.create_pledge(
        project, company_user, _request(500_000), idempotency_key="demo-1", card_enabled=False
    )
    db.session.commit()
    assert project.raised_amount == 0  # committed, not yet received

    pledges.confirm_offline_pledge(pledge, reviewer, received_amount=500_000, bank_reference="B-1")
    pledges.confirm_offline_pledge(pledge, reviewer, received_amount=500_000, bank_reference="B-1")  # replay
    db.session.commit()
    db.session.refresh(project)

    assert project.raised_amount == 500_000 == pledges.ledger_total(project.id)
    assert project.supporters_count == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_same_idempotency_key_returns_the_same_pledge(funded_setup):
    project, company_user, _ = funded_setup
    factories.foundation()
    first = pledges.create_pledge(
        project, company_user, _request(100, "in_kind"), idempotency_key="same", card_enabled=False
    )
    again = pledges.create_pledge(
        project, company_user, _request(100, "in_kind"), idempotency_key="same", card_enabled=False
    )
    db.session.commit()
    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 1


def test_only_staff_confirm_and_only_companies_pledge(funded_setup):
    project, company_user, _ = funded_setup
    factories.foundation()
    with pytest.raises(Forbidden):
        pledges.create_pledge(
            project, project.organization.members[0], _request(), idempotency_key="x", card_enabled=False
        )
    pledge = pledges.create_pledge(project, company_user, _request(), idempotency_key="y", card_enabled=False)
    with pytest.raises(Forbidden):
        pledges.confirm_offline_pledge(pledge, company_user, received_amount=10_000, bank_reference="B")


def test_pledges_need_a_published_project(ctx):
    owner = factories.org_member()
    draft = factories.project(owner)
    company_user = factories.company_member()
    factories.foundation()
    with pytest.raises(Conflict):
        pledges.create_pledge(draft, company_user, _request(), idempotency_key="z", card_enabled=False)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE projects SET goal_amount = 0",
        "UPDATE projects SET raised_amount = -1",
        "UPDATE projects SET currency = 'USD'",
        "UPDATE projects SET status = 'paid'",
    ],
)
def test_database_rejects_bad_money_directly(funded_setup, statement):
    with pytest.raises(IntegrityError):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()


def test_duplicate_ledger_reference_is_rejected_by_the_database(funded_setup):
    project, company_user, reviewer = funded_setup
    pledge = factories.pledge(project, company_user, 100, reviewer=reviewer)
    db.session.add(
        LedgerEntry(
            project_id=project.id,
            pledge_id=pledge.id,
            kind="pledge_paid",
            amount=100,
            reference=f"pledge-{pledge.id}-paid",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Project, project.id).raised_amount == 100


def test_audit_chain_detects_an_edited_event(ctx):
    factories.org_member()  # sign-up writes audit events
    factories.staff()
    assert audit.verify_chain() is None
    first_id = db.session.scalar(select(audit.AuditEvent.id).order_by(audit.AuditEvent.id).limit(1))
    db.session.execute(
        text("UPDATE audit_events SET action = 'account.tampered' WHERE id = :id"), {"id": first_id}
    )
    db.session.commit()
    db.session.expire_all()
    assert audit.verify_chain() == first_id
