"""The database itself refuses bad money rows (RELIABILITY.md, Money): UNIQUE idempotency keys, Stripe
session / payment-intent ids and webhook event ids, currency NOT NULL; the ledger invariant is one
SQL statement; and SQLite silently drops ``FOR UPDATE``, which is why money never relies on it.

Each refusal is asserted on a direct statement (no operation in between), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.payments.models import StripeEvent
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, Pledge
from marketplace.projects.models import Project
from tests import factories


@pytest.fixture
def paid_pledge(ctx: Flask) -> Iterator[Pledge]:
    owner = factories.org_member()
    staff = factories.staff()
    factories.foundation()
    project = factories.project(owner, status="published", reviewer=staff)
    yield factories.pledge(project, factories.company_member(), 10_000)


def _copy_of(pledge: Pledge, **values: Any) -> dict[str, Any]:
    """The columns of a valid second pledge to the same project, with `values` on top."""
    columns = {
        column: getattr(pledge, column)
        for column in ("project_id", "company_id", "method", "payee_kind", "payee_id", "payee_name")
    }
    columns.update(
        amount=5_000,
        currency="CNY",
        status="pending",
        idempotency_key="second-pledge",
        reference_code="QQCSECOND00",
        refunded_amount=0,
    )
    columns.update(values)
    return columns


def _pledge_count() -> int:
    return db.session.scalar(select(func.count(Pledge.id))) or 0


def test_a_valid_second_pledge_row_is_accepted(paid_pledge: Pledge) -> None:
    # The counterpart of the refusals below: they fail for the one duplicated column, nothing else.
    db.session.execute(insert(Pledge.__table__).values(**_copy_of(paid_pledge)))
    db.session.flush()
    assert _pledge_count() == 2
    db.session.rollback()


@pytest.mark.parametrize(
    ("column", "first_value"),
    [
        ("idempotency_key", None),  # the key the factory gave the paid pledge
        ("checkout_session_id", "cs_test_one_session"),
        ("payment_intent_id", "pi_test_one_intent"),
        ("reference_code", None),
        ("bank_reference", None),
    ],
    ids=["idempotency key", "checkout session id", "payment intent id", "reference code", "bank reference"],
)
def test_the_database_refuses_a_second_pledge_with_the_same_unique_id(
    paid_pledge: Pledge, column: str, first_value: str | None
) -> None:
    if first_value is not None:
        db.session.execute(
            update(Pledge.__table__).where(Pledge.id == paid_pledge.id).values({column: first_value})
        )
        db.session.commit()
    taken = db.session.scalar(select(getattr(Pledge, column)).where(Pledge.id == paid_pledge.id))
    assert taken
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Pledge.__table__).values(**_copy_of(paid_pledge, **{column: taken})))
    db.session.rollback()
    assert _pledge_count() == 1


def test_the_database_refuses_a_webhook_event_id_twice(paid_pledge: Pledge) -> None:
    row = {"id": "evt_test_once", "type": "checkout.session.completed", "outcome": "applied", "payload": {}}
    db.session.execute(insert(StripeEvent.__table__).values(**row))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(StripeEvent.__table__).values(**{**row, "outcome": "ignored"}))
    db.session.rollback()
    assert (
        db.session.scalar(select(StripeEvent.outcome).where(StripeEvent.id == "evt_test_once")) == "applied"
    )


def test_the_database_refuses_a_ledger_reference_twice(paid_pledge: Pledge) -> None:
    reference = db.session.scalar(
        select(LedgerEntry.reference).where(LedgerEntry.pledge_id == paid_pledge.id)
    )
    before = pledges.ledger_total(paid_pledge.project_id)
    with pytest.raises(IntegrityError):
        db.session.execute(
            insert(LedgerEntry.__table__).values(
                project_id=paid_pledge.project_id,
                pledge_id=paid_pledge.id,
                kind="pledge_paid",
                amount=10_000,
                currency="CNY",
                account="",
                note="",
                reference=reference,
            )
        )
    db.session.rollback()
    assert pledges.ledger_total(paid_pledge.project_id) == before == 10_000


@pytest.mark.parametrize("table", ["pledges", "ledger_entries", "projects"])
def test_the_database_refuses_a_null_currency(paid_pledge: Pledge, table: str) -> None:
    # CHECK (currency = 'CNY') alone would let NULL through (NULL is not false): NOT NULL closes it.
    with pytest.raises(IntegrityError):
        db.session.execute(text(f"UPDATE {table} SET currency = NULL"))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(text(f"SELECT COUNT(*) FROM {table} WHERE currency IS NULL")) == 0


def test_the_ledger_invariant_is_checked_in_one_statement(paid_pledge: Pledge) -> None:
    """Two statements (totals, then sums) under READ COMMITTED could straddle a commit and report a
    mismatch that never existed, or miss one that did."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert pledges.ledger_mismatches() == []
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    # And it does see a mismatch: the raised total moved without a ledger row.
    db.session.execute(
        update(Project.__table__).where(Project.id == paid_pledge.project_id).values(raised_amount=10_001)
    )
    assert pledges.ledger_mismatches() == [(paid_pledge.project_id, 10_001, 10_000)]
    db.session.rollback()


def test_sqlite_silently_drops_for_update(ctx: Flask) -> None:
    """Why money uses atomic ``UPDATE … SET raised = raised + :x`` and BEGIN IMMEDIATE rather than
    ``with_for_update()``: on SQLite SQLAlchemy emits no lock at all, without a warning."""
    query = select(Project.raised_amount).where(Project.id == 1).with_for_update()
    compiled = str(query.compile(dialect=db.engine.dialect))
    if db.engine.dialect.name == "sqlite":
        assert "FOR UPDATE" not in compiled.upper()
    else:
        assert "FOR UPDATE" in compiled.upper()
