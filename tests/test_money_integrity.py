"""Money stays exact under concurrency, on SQLite and on PostgreSQL.

Each test starts real threads, each with its own application context (so its own session and
database connection), and lines them up on a barrier before every round so they really collide.
Sizes:

- pledging and confirming: 16 threads × 20 rounds = 320 bank-transfer pledges, each created and
  then confirmed by staff in two transactions, on one project, with two 1:1 matching pools of
  other companies whose budgets (¥2,000 and ¥3,000) run out about halfway through;
- the deliberately naive read-modify-write confirmation: the same 16 threads × 20 rounds;
- supporters counted once: 16 threads × 3 rounds over 4 companies;
- one idempotency key: 40 threads at once;
- one pledge refunded: 16 threads at once;
- the audit chain: 16 threads × 10 rounds = 160 events (and the same with the lock removed).

Run them on PostgreSQL with
`make -o .venv/.installed test-pg PYTEST_ARGS='tests/test_money_integrity.py tests/test_close_due.py'`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, MatchCredit, MatchingPool, Pledge
from marketplace.pledges.states import PledgeStatus
from marketplace.projects.models import Project
from marketplace.timeutil import utcnow
from tests import factories
from tests.concurrency import run_rounds

THREADS = 16
ROUNDS = 20
AUDIT_ROUNDS = 10
POOL_BUDGETS = (200_000, 300_000)  # fen: ¥2,000 and ¥3,000


@dataclass(frozen=True)
class Scene:
    project_id: int
    staff_id: int
    donor_ids: tuple[int, ...]  # company users who pledge
    pool_ids: tuple[int, ...]  # pools of two other companies


@pytest.fixture
def scene(app: Flask) -> Iterator[Scene]:
    with app.app_context():
        owner = factories.org_member()
        staff = factories.staff()
        factories.foundation()
        project = factories.project(owner, status="published", reviewer=staff, goal_yuan="1000000")
        donors = tuple(factories.company_member().id for _ in range(4))
        now = utcnow()
        pools = []
        for budget in POOL_BUDGETS:
            sponsor = factories.company_member()
            pool = pledges.open_matching_pool(
                sponsor,
                pledges.PoolInput(
                    name=f"配捐 {budget // 100} 元",
                    budget=budget,
                    ratio_bp=10_000,  # 1:1
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(days=3),
                ),
            )
            db.session.commit()
            pools.append(pool.id)
        built = Scene(project.id, staff.id, donors, tuple(pools))
        db.session.commit()  # no transaction left open while the threads work
        yield built


def amount_for(thread: int, round_: int) -> int:
    """¥1 to ¥50 in whole fen, varied so that no two threads tend to move the same sums."""
    return 100 * (1 + (thread * 7 + round_ * 13) % 50) + (thread + round_) % 100


def pledge_and_confirm(scene: Scene, thread: int, round_: int) -> int:
    company_user = db.session.get(User, scene.donor_ids[thread % len(scene.donor_ids)])
    staff = db.session.get(User, scene.staff_id)
    project = db.session.get(Project, scene.project_id)
    amount = amount_for(thread, round_)
    pledge = pledges.create_pledge(
        project,
        company_user,
        pledges.PledgeRequest(amount=amount, method="bank_transfer"),
        idempotency_key=f"load-{thread}-{round_}",
        card_enabled=False,
    )
    db.session.commit()
    pledges.confirm_offline_pledge(
        pledge, staff, received_amount=amount, bank_reference=f"LOAD{thread:02d}{round_:03d}"
    )
    db.session.commit()
    return amount


def fresh_project(project_id: int) -> Project:
    db.session.expire_all()
    project = db.session.get(Project, project_id)
    assert project is not None
    return project


def ledger_sum(**where: Any) -> int:
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0))
    for name, value in where.items():
        column = getattr(LedgerEntry, name)
        query = query.where(column.in_(value) if isinstance(value, list | tuple) else column == value)
    return db.session.scalar(query) or 0


def test_concurrent_pledges_and_confirmations_keep_every_total_exact(app: Flask, scene: Scene) -> None:
    """16 threads × 20 rounds: create a pledge, commit, confirm it, commit — all threads at once."""
    results = run_rounds(app, THREADS, ROUNDS, lambda t, r: pledge_and_confirm(scene, t, r))
    pledged = sum(sum(amounts) for amounts in results)

    with app.app_context():
        project = fresh_project(scene.project_id)
        paid = db.session.scalars(select(Pledge).where(Pledge.project_id == project.id)).all()
        assert len(paid) == THREADS * ROUNDS
        assert all(pledge.status == PledgeStatus.PAID for pledge in paid)
        assert sum(pledge.paid_amount or 0 for pledge in paid) == pledged

        matched = db.session.scalar(select(func.coalesce(func.sum(MatchCredit.amount), 0)))
        assert pledges.ledger_mismatches() == []
        assert project.raised_amount == pledges.ledger_total(project.id) == pledged + matched
        assert project.matched_amount == matched
        assert ledger_sum(kind="pledge_paid") == pledged

        for pool_id in scene.pool_ids:
            pool = db.session.get(MatchingPool, pool_id)
            credits = db.session.scalar(
                select(func.coalesce(func.sum(MatchCredit.amount), 0)).where(MatchCredit.pool_id == pool_id)
            )
            assert pool.remaining >= 0
            assert pool.budget - pool.remaining == credits == ledger_sum(kind="match_credit", pool_id=pool_id)
            assert credits > 0  # the load reached both pools
        # 1:1 pools never give more than the pledges or more than their budgets together.
        assert matched <= min(pledged, sum(POOL_BUDGETS))
        assert audit.verify_chain() is None


def test_concurrent_confirmations_count_each_supporting_company_once(app: Flask, scene: Scene) -> None:
    """16 threads × 3 rounds, four companies: four supporters, however the confirmations interleave."""
    run_rounds(app, THREADS, 3, lambda t, r: pledge_and_confirm(scene, t, r))
    with app.app_context():
        assert pledges.ledger_mismatches() == []
        assert fresh_project(scene.project_id).supporters_count == len(scene.donor_ids)


def naive_confirm(pledge_id: int, staff_id: int) -> None:
    """What NOT to do: read the total, add in Python, write it back. Kept to prove that the test
    above can fail: under the same load this loses money."""
    pledge = db.session.get(Pledge, pledge_id)
    assert pledge is not None
    project = db.session.get(Project, pledge.project_id)
    assert project is not None
    raised = project.raised_amount  # read …
    project.raised_amount = raised + pledge.amount  # … modify, write: the lost update
    pledge.status = PledgeStatus.PAID.value
    pledge.paid_amount = pledge.amount
    pledge.confirmed_by_id = staff_id
    db.session.add(
        LedgerEntry(
            project_id=project.id,
            kind="pledge_paid",
            amount=pledge.amount,
            pledge_id=pledge.id,
            reference=f"naive-{pledge.id}",
        )
    )
    db.session.commit()


def test_a_naive_read_modify_write_loses_money_under_the_same_load(app: Flask, scene: Scene) -> None:
    """The same 16 threads × 20 rounds, confirming through `naive_confirm`. Every round's threads
    read the total together and each writes back its own sum, so all but one lose their amount.
    This holds on SQLite too: the read happens before the transaction's first write, outside the
    write lock."""
    with app.app_context():
        project = db.session.get(Project, scene.project_id)
        donor = db.session.get(User, scene.donor_ids[0])
        ids = {}
        for thread in range(THREADS):
            for round_ in range(ROUNDS):
                pledge = pledges.create_pledge(
                    project,
                    donor,
                    pledges.PledgeRequest(amount=amount_for(thread, round_), method="bank_transfer"),
                    idempotency_key=f"naive-{thread}-{round_}",
                    card_enabled=False,
                )
                ids[thread, round_] = pledge.id
        db.session.commit()

    run_rounds(app, THREADS, ROUNDS, lambda t, r: naive_confirm(ids[t, r], scene.staff_id))

    with app.app_context():
        project = fresh_project(scene.project_id)
        confirmed = pledges.ledger_total(project.id)
        assert confirmed == sum(amount_for(t, r) for t in range(THREADS) for r in range(ROUNDS))
        assert project.raised_amount < confirmed  # money was lost …
        assert pledges.ledger_mismatches() == [(project.id, project.raised_amount, confirmed)]  # … and seen


def test_forty_concurrent_requests_with_one_idempotency_key_make_one_pledge(app: Flask, scene: Scene) -> None:
    def attempt(_thread: int, _round: int) -> int:
        pledge = pledges.create_pledge(
            db.session.get(Project, scene.project_id),
            db.session.get(User, scene.donor_ids[0]),
            pledges.PledgeRequest(amount=50_000, method="bank_transfer", message="同一个请求重试了 40 次"),
            idempotency_key="retried-40-times",
            card_enabled=False,
        )
        db.session.commit()
        return pledge.id

    results = run_rounds(app, 40, 1, attempt)

    assert len({ids[0] for ids in results}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Pledge.id))) == 1
        assert audit.verify_chain() is None


def test_concurrent_refunds_of_one_pledge_refund_it_exactly_once(app: Flask, scene: Scene) -> None:
    with app.app_context():
        project = db.session.get(Project, scene.project_id)
        pledge = factories.pledge(project, db.session.get(User, scene.donor_ids[0]), 80_000)
        pledge_id = pledge.id
        assert fresh_project(scene.project_id).raised_amount == 160_000  # matched 1:1

    def refund(_thread: int, _round: int) -> int:
        try:
            refunded = pledges.refund_pledge(
                db.session.get(Pledge, pledge_id),
                db.session.get(User, scene.staff_id),
                amount=None,
                gateway=None,
            )
        except DomainError:  # Conflict included: it saw the pledge already refunded
            db.session.rollback()
            return 0
        db.session.commit()
        return refunded

    results = run_rounds(app, THREADS, 1, refund)

    assert sorted(amounts[0] for amounts in results) == [0] * (THREADS - 1) + [80_000]
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert (pledge.status, pledge.refunded_amount) == (PledgeStatus.REFUNDED, 80_000)
        assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "refund")) == 1
        assert ledger_sum(kind="match_reversal") == -80_000  # the match went back to the pools, once
        assert fresh_project(scene.project_id).raised_amount == 0 == pledges.ledger_total(scene.project_id)
        pools = db.session.scalars(select(MatchingPool)).all()
        assert all(pool.remaining == pool.budget for pool in pools)
        assert pledges.ledger_mismatches() == []


def test_a_failure_after_the_status_change_rolls_back_the_whole_confirmation(
    app: Flask, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pledge's status is claimed inside a SAVEPOINT; the transaction must still be one unit (on
    SQLite a SAVEPOINT that opens the transaction would otherwise commit at its RELEASE)."""
    with app.app_context():
        project = db.session.get(Project, scene.project_id)
        pledge = factories.pledge(project, db.session.get(User, scene.donor_ids[0]), 30_000, paid=False)

        def crash(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("the worker died after the ledger row was written")

        monkeypatch.setattr(pledges, "_notify_company", crash)
        with pytest.raises(RuntimeError):
            pledges.confirm_offline_pledge(
                pledge, db.session.get(User, scene.staff_id), received_amount=30_000, bank_reference="CRASH1"
            )
        db.session.rollback()

        db.session.expire_all()
        assert db.session.get(Pledge, pledge.id).status == PledgeStatus.PENDING
        assert fresh_project(scene.project_id).raised_amount == 0 == pledges.ledger_total(scene.project_id)
        assert all(pool.remaining == pool.budget for pool in db.session.scalars(select(MatchingPool)))


# ───────────── the audit chain ─────────────


def append_events(thread: int, round_: int) -> None:
    audit.record("test.concurrent", payload={"thread": thread, "round": round_})
    db.session.commit()


def test_concurrent_audit_appends_keep_one_chain(app: Flask) -> None:
    run_rounds(app, THREADS, AUDIT_ROUNDS, append_events)
    with app.app_context():
        assert db.session.scalar(select(func.count(audit.AuditEvent.id))) == THREADS * AUDIT_ROUNDS
        assert audit.verify_chain() is None


def test_without_the_append_lock_the_chain_forks(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the test above can fail: the same load with the lock taken out forks the chain."""
    monkeypatch.setattr(audit, "_lock_chain", lambda: None)
    run_rounds(app, THREADS, AUDIT_ROUNDS, append_events)
    with app.app_context():
        assert audit.verify_chain() is not None


# ───────────── the database refuses bad money ─────────────


@pytest.fixture
def paid_pledge(app: Flask, scene: Scene) -> Iterator[Pledge]:
    with app.app_context():
        project = db.session.get(Project, scene.project_id)
        yield factories.pledge(project, db.session.get(User, scene.donor_ids[0]), 10_000)


def refused(error: pytest.ExceptionInfo[IntegrityError], *constraints: str) -> bool:
    """The database named one of these CHECK constraints (not, say, a NOT NULL we forgot)."""
    return any(name in str(error.value.orig) for name in constraints)


BAD_PLEDGE_UPDATES = {
    "amount zero": ({"amount": 0}, "amount_positive"),
    "amount negative": ({"amount": -100}, "amount_positive"),
    "currency USD": ({"currency": "USD"}, "currency_cny"),
    "refunded more than paid": ({"refunded_amount": 10_001}, "refund_within_paid"),
    "refunded negative": ({"refunded_amount": -1}, "refund_within_paid"),
    "paid zero": ({"paid_amount": 0}, "paid_positive"),
    "unknown status": ({"status": "lost"}, "status_known"),
}


@pytest.mark.parametrize(("values", "constraint"), BAD_PLEDGE_UPDATES.values(), ids=BAD_PLEDGE_UPDATES.keys())
def test_the_database_refuses_a_bad_pledge_update(
    paid_pledge: Pledge, values: dict[str, Any], constraint: str
) -> None:
    with pytest.raises(IntegrityError) as error:
        db.session.execute(update(Pledge.__table__).where(Pledge.id == paid_pledge.id).values(**values))
    assert refused(error, constraint)
    db.session.rollback()
    row = db.session.execute(
        text("SELECT amount, currency, refunded_amount, status FROM pledges WHERE id = :id"),
        {"id": paid_pledge.id},
    ).one()
    assert tuple(row) == (10_000, "CNY", 0, "paid")


def test_the_database_refuses_a_new_pledge_of_zero(paid_pledge: Pledge) -> None:
    columns = {
        column: getattr(paid_pledge, column)
        for column in ("project_id", "company_id", "method", "payee_kind", "payee_id", "payee_name")
    }
    with pytest.raises(IntegrityError) as error:
        db.session.execute(
            insert(Pledge.__table__).values(
                **columns,
                amount=0,
                currency="CNY",
                status="pending",
                idempotency_key="zero",
                reference_code="QQCZERO0000",
                refunded_amount=0,
            )
        )
    assert refused(error, "amount_positive")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Pledge.id))) == 1


BAD_POOL_UPDATES = {
    "remaining below zero": ({"remaining": -1}, "remaining_within_budget"),
    "remaining above budget": ({"remaining": POOL_BUDGETS[0] + 1}, "remaining_within_budget"),
    "budget zero": ({"budget": 0, "remaining": 0}, "budget_positive"),
    "ratio zero": ({"ratio_bp": 0}, "ratio_positive"),
}


@pytest.mark.parametrize(("values", "constraint"), BAD_POOL_UPDATES.values(), ids=BAD_POOL_UPDATES.keys())
def test_the_database_refuses_a_bad_pool_update(
    app: Flask, scene: Scene, values: dict[str, Any], constraint: str
) -> None:
    with app.app_context():
        pool_id = scene.pool_ids[0]
        with pytest.raises(IntegrityError) as error:
            db.session.execute(
                update(MatchingPool.__table__).where(MatchingPool.id == pool_id).values(**values)
            )
        assert refused(error, constraint)
        db.session.rollback()
        pool = db.session.get(MatchingPool, pool_id)
        assert (pool.budget, pool.remaining, pool.ratio_bp) == (POOL_BUDGETS[0], POOL_BUDGETS[0], 10_000)


BAD_LEDGER_ROWS = {
    "zero": ("pledge_paid", 0, "amount_not_zero", "sign_matches_kind"),
    "pledge_paid negative": ("pledge_paid", -100, "sign_matches_kind"),
    "match_credit negative": ("match_credit", -100, "sign_matches_kind"),
    "refund positive": ("refund", 100, "sign_matches_kind"),
    "match_reversal positive": ("match_reversal", 100, "sign_matches_kind"),
    "disbursement negative": ("disbursement", -100, "sign_matches_kind"),
    "unknown kind": ("gift", 100, "kind_known", "sign_matches_kind"),
}


@pytest.mark.parametrize(
    ("kind", "amount", "constraints"),
    [(kind, amount, names) for kind, amount, *names in BAD_LEDGER_ROWS.values()],
    ids=BAD_LEDGER_ROWS.keys(),
)
def test_the_database_refuses_a_ledger_row_whose_sign_does_not_match_its_kind(
    paid_pledge: Pledge, kind: str, amount: int, constraints: list[str]
) -> None:
    before = pledges.ledger_total(paid_pledge.project_id)
    with pytest.raises(IntegrityError) as error:
        db.session.execute(
            insert(LedgerEntry.__table__).values(
                project_id=paid_pledge.project_id,
                pledge_id=paid_pledge.id,
                kind=kind,
                amount=amount,
                currency="CNY",
                account="",
                note="",
                reference=f"bad-{kind}-{amount}",
            )
        )
    assert refused(error, *constraints)
    db.session.rollback()
    assert pledges.ledger_total(paid_pledge.project_id) == before
    assert pledges.ledger_mismatches() == []


def test_the_database_refuses_a_ledger_row_in_another_currency(paid_pledge: Pledge) -> None:
    with pytest.raises(IntegrityError) as error:
        db.session.execute(
            insert(LedgerEntry.__table__).values(
                project_id=paid_pledge.project_id,
                kind="pledge_paid",
                amount=100,
                currency="USD",
                account="",
                note="",
                reference="usd",
            )
        )
    assert refused(error, "currency_cny")
    db.session.rollback()
    assert pledges.ledger_mismatches() == []
