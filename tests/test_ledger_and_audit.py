"""Offline pledges reach a project's total only through the ledger; the audit log is a hash chain."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.errors import Conflict, Forbidden
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, Pledge, PledgeMethod
from marketplace.projects.models import Project
from tests import factories


@pytest.fixture
def funded_setup(ctx):
    owner = factories.org_member()
    reviewer = factories.staff()
    project = factories.project(owner, status="published", reviewer=reviewer)
    company_user = factories.company_member()
    return project, company_user, reviewer


def test_confirming_a_pledge_moves_money_once(funded_setup):
    project, company_user, reviewer = funded_setup
    pledge = pledges.create_offline_pledge(
        project,
        company_user.company,
        500_000,
        method=PledgeMethod.BANK_TRANSFER,
        idempotency_key="demo-1",
        actor=company_user,
    )
    db.session.commit()
    assert project.raised_amount == 0  # committed, not yet received

    pledges.confirm_pledge_paid(pledge, staff=reviewer)
    pledges.confirm_pledge_paid(pledge, staff=reviewer)  # a replayed confirmation changes nothing
    db.session.commit()
    db.session.refresh(project)

    assert project.raised_amount == 500_000 == pledges.ledger_total(project.id)
    assert project.supporters_count == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_same_idempotency_key_returns_the_same_pledge(funded_setup):
    project, company_user, _ = funded_setup
    first = pledges.create_offline_pledge(
        project,
        company_user.company,
        100,
        method=PledgeMethod.IN_KIND,
        idempotency_key="same",
        actor=company_user,
    )
    again = pledges.create_offline_pledge(
        project,
        company_user.company,
        100,
        method=PledgeMethod.IN_KIND,
        idempotency_key="same",
        actor=company_user,
    )
    db.session.commit()
    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 1


def test_only_staff_confirm_and_only_own_company_pledges(funded_setup):
    project, company_user, _ = funded_setup
    other_company_user = factories.company_member()
    with pytest.raises(Forbidden):
        pledges.create_offline_pledge(
            project,
            company_user.company,
            100,
            method=PledgeMethod.IN_KIND,
            idempotency_key="x",
            actor=other_company_user,
        )
    pledge = pledges.create_offline_pledge(
        project,
        company_user.company,
        100,
        method=PledgeMethod.IN_KIND,
        idempotency_key="y",
        actor=company_user,
    )
    with pytest.raises(Forbidden):
        pledges.confirm_pledge_paid(pledge, staff=company_user)


def test_pledges_need_a_published_project(ctx):
    owner = factories.org_member()
    draft = factories.project(owner)
    company_user = factories.company_member()
    with pytest.raises(Conflict):
        pledges.create_offline_pledge(
            draft,
            company_user.company,
            100,
            method=PledgeMethod.IN_KIND,
            idempotency_key="z",
            actor=company_user,
        )


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
    pledge = pledges.create_offline_pledge(
        project,
        company_user.company,
        100,
        method=PledgeMethod.IN_KIND,
        idempotency_key="k",
        actor=company_user,
    )
    pledges.confirm_pledge_paid(pledge, staff=reviewer)
    db.session.commit()
    db.session.add(
        LedgerEntry(
            project_id=project.id,
            pledge_id=pledge.id,
            entry_type="payment",
            amount=100,
            reference=f"pledge-{pledge.id}-payment",
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
