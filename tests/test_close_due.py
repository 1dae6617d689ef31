"""The deadline job (`flask jobs close-due`, projects.operations.close_due_projects): funding models,
refunds of failed all-or-nothing projects through the loopback fake Stripe, concurrent runs.

Runs on SQLite and PostgreSQL; the concurrent test starts 4 threads (own app contexts) at once.
"""

from __future__ import annotations

import itertools
import socket
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from marketplace import audit
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.payments.service import get_gateway
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, MatchingPool, Pledge
from marketplace.pledges.states import PledgeStatus
from marketplace.projects import operations as ops
from marketplace.projects.models import Project, ProjectTransition
from marketplace.projects.states import ProjectStatus
from marketplace.timeutil import utcnow
from tests import factories
from tests.fakestripe import FakeStripe
from tests.test_money_integrity import run_rounds

SECRET_KEY = "sk_test_close_due_0123456789abcdef"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything here resolves or connects to a non-loopback host."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK and not str(host).startswith("/"):
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in LOOPBACK:
            raise AssertionError(f"test tried to connect to {address!r}")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture
def stripe_app(make_app: Any, fake: FakeStripe) -> Iterator[Flask]:
    app = make_app(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_API_BASE=fake.api_base)
    yield app
    with app.app_context():
        gateway = get_gateway()
        if gateway is not None:
            gateway.close()


@pytest.fixture
def sctx(stripe_app: Flask) -> Iterator[Flask]:
    with stripe_app.app_context():
        yield stripe_app
        db.session.rollback()


@pytest.fixture
def cast(sctx: Flask) -> dict[str, Any]:
    factories.foundation()
    return {
        "owner": factories.org_member(),
        "staff": factories.staff(),
        "donor": factories.company_member(),
        "other_donor": factories.company_member(),
        "sponsor": factories.company_member(),
    }


# ───────────── helpers ─────────────


def published(cast: dict[str, Any], goal_yuan: str, model: str = "all_or_nothing", **extra: Any) -> Project:
    return factories.project(
        cast["owner"],
        status="published",
        reviewer=cast["staff"],
        goal_yuan=goal_yuan,
        funding_model=model,
        **extra,
    )


def make_due(project: Project, minutes_ago: int = 5) -> None:
    db.session.execute(
        update(Project)
        .where(Project.id == project.id)
        .values(deadline=utcnow() - timedelta(minutes=minutes_ago))
    )
    db.session.commit()


def offline(project: Project, donor: Any, amount: int, method: str = "bank_transfer") -> Pledge:
    return factories.pledge(project, donor, amount, method=method)


def card(project: Project, donor: Any, amount: int, fake: FakeStripe) -> Pledge:
    """A card pledge paid the way production pays it: Checkout at the fake, then the webhook's call."""
    pledge = pledges.create_pledge(
        project,
        donor,
        pledges.PledgeRequest(amount=amount, method="card"),
        idempotency_key=f"card-{next(_keys)}",
        card_enabled=True,
    )
    db.session.flush()
    pledges.start_card_checkout(
        pledge,
        get_gateway(),
        success_url="http://127.0.0.1/ok",
        cancel_url="http://127.0.0.1/cancel",
        email=None,
    )
    session = fake.complete_session(pledge.checkout_session_id)
    outcome = pledges.mark_card_paid(
        pledge,
        amount=session["amount_total"],
        currency=session["currency"],
        payment_intent_id=session["payment_intent"],
        source="webhook",
    )
    assert outcome == "applied"
    db.session.commit()
    return pledge


def open_pool(sponsor: Any, budget: int) -> MatchingPool:
    now = utcnow()
    pool = pledges.open_matching_pool(
        sponsor,
        pledges.PoolInput(
            name="99 公益日配捐",
            budget=budget,
            ratio_bp=10_000,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=30),
        ),
    )
    db.session.commit()
    return pool


def run_job(now: Any = None) -> ops.CloseReport:
    report = ops.close_due_projects(now, get_gateway())
    db.session.expire_all()
    return report


def state(pledge: Pledge) -> tuple[str, int]:
    current = db.session.get(Pledge, pledge.id)
    return current.status, current.refunded_amount


def status_of(project: Project) -> str:
    return db.session.get(Project, project.id).status


def refunds_at_stripe(fake: FakeStripe) -> Counter[str]:
    """How many refunds Stripe holds per payment intent."""
    return Counter(refund["payment_intent"] for refund in fake.refunds.values())


def assert_books_balance(project: Project) -> None:
    assert pledges.ledger_mismatches() == []
    assert db.session.get(Project, project.id).raised_amount == pledges.ledger_total(project.id)


# ───────────── funding models ─────────────


def test_keep_it_all_closes_at_the_deadline_and_keeps_the_money(cast: dict[str, Any]) -> None:
    project = published(cast, "10000", "keep_it_all")
    pledge = offline(project, cast["donor"], 300_000)
    make_due(project)

    report = run_job()

    assert status_of(project) == ProjectStatus.CLOSED
    assert [(item.id, item.status) for item in report.closed] == [(project.id, "closed")]
    assert state(pledge) == (PledgeStatus.PAID, 0)
    assert db.session.get(Project, project.id).raised_amount == 300_000
    assert report.refunded == report.refund_due == []
    assert_books_balance(project)


def test_all_or_nothing_met_through_matching_funds_is_funded(cast: dict[str, Any]) -> None:
    open_pool(cast["sponsor"], budget=500_000)
    project = published(cast, "2000")  # ¥2,000
    offline(project, cast["donor"], 100_000)  # ¥1,000 + ¥1,000 matched
    make_due(project)

    run_job()

    current = db.session.get(Project, project.id)
    assert (current.status, current.raised_amount, current.matched_amount) == ("funded", 200_000, 100_000)
    assert_books_balance(project)


def test_all_or_nothing_missed_fails_and_every_fen_goes_back(cast: dict[str, Any], fake: FakeStripe) -> None:
    pool = open_pool(cast["sponsor"], budget=1_000_000)
    project = published(cast, "100000")  # ¥100,000: far away
    paid_by_card = card(project, cast["donor"], 120_000, fake)
    partly_refunded = card(project, cast["other_donor"], 50_000, fake)
    pledges.refund_pledge(partly_refunded, cast["staff"], amount=20_000, gateway=get_gateway())
    db.session.commit()
    by_bank = offline(project, cast["donor"], 200_000)
    in_kind = offline(project, cast["other_donor"], 30_000, method="in_kind")
    waiting = factories.pledge(project, cast["donor"], 10_000, paid=False)
    make_due(project)
    notices_before = db.session.scalar(select(func.count(Notification.id)))

    report = run_job()

    assert status_of(project) == ProjectStatus.FAILED
    # Card money goes back through Stripe, each with an idempotency key naming the refunded total.
    assert state(paid_by_card) == (PledgeStatus.REFUNDED, 120_000)
    assert state(partly_refunded) == (PledgeStatus.REFUNDED, 50_000)
    refund_calls = [r for r in fake.requests if r.path == "/v1/refunds" and r.status == 200]
    assert sorted(r.idempotency_key for r in refund_calls) == sorted(
        [
            f"pledge-{partly_refunded.id}-refund-to-20000",  # staff's earlier partial refund
            f"pledge-{paid_by_card.id}-refund-to-120000",
            f"pledge-{partly_refunded.id}-refund-to-50000",
        ]
    )
    assert sorted(refund["amount"] for refund in fake.refunds.values()) == [20_000, 30_000, 120_000]
    assert sorted((item.pledge_id, item.amount) for item in report.refunded) == sorted(
        [(paid_by_card.id, 120_000), (partly_refunded.id, 30_000)]
    )
    # Bank transfers and goods wait for staff to send them back.
    assert state(by_bank) == (PledgeStatus.REFUND_DUE, 0)
    assert state(in_kind) == (PledgeStatus.REFUND_DUE, 0)
    assert sorted(item.pledge_id for item in report.refund_due) == sorted([by_bank.id, in_kind.id])
    assert state(waiting) == (PledgeStatus.PENDING, 0)  # no money arrived, nothing to return
    # The card pledges' matches went back to the pool; the others' follow when staff refund.
    assert db.session.get(Project, project.id).raised_amount == 2 * (200_000 + 30_000)
    assert_books_balance(project)
    notices = db.session.scalars(
        select(Notification.title).where(Notification.id > 0).order_by(Notification.id)
    )
    assert Counter(list(notices)[notices_before:]) == {"认捐已退款": 2, "认捐将退回": 2}  # one member each

    for pledge in (by_bank, in_kind):
        pledges.refund_pledge(db.session.get(Pledge, pledge.id), cast["staff"], amount=None, gateway=None)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Project, project.id).raised_amount == 0 == pledges.ledger_total(project.id)
    assert db.session.get(Project, project.id).matched_amount == 0
    assert db.session.get(MatchingPool, pool.id).remaining == 1_000_000
    assert_books_balance(project)
    assert audit.verify_chain() is None


def test_a_project_that_meets_its_goal_early_stays_open_until_its_deadline(cast: dict[str, Any]) -> None:
    project = published(cast, "1000")
    offline(project, cast["donor"], 150_000)  # 150 % of the goal, with days to go

    report = run_job()

    assert report.closed == [] and status_of(project) == ProjectStatus.PUBLISHED
    offline(db.session.get(Project, project.id), cast["other_donor"], 10_000)  # still taking pledges
    deadline = db.session.get(Project, project.id).deadline
    run_job(deadline + timedelta(seconds=1))
    assert status_of(project) == ProjectStatus.FUNDED


def test_now_overrides_the_clock_on_the_command_line(stripe_app: Flask, cast: dict[str, Any]) -> None:
    project = published(cast, "1000", "keep_it_all")
    deadline = db.session.get(Project, project.id).deadline  # naive UTC
    runner = stripe_app.test_cli_runner()

    before = runner.invoke(args=["jobs", "close-due", "--now", (deadline - timedelta(minutes=1)).isoformat()])
    assert before.exit_code == 0, before.output
    assert "没有到期待结束的项目" in before.output
    db.session.expire_all()
    assert status_of(project) == ProjectStatus.PUBLISHED

    # The same moment written with the +08:00 offset people use here.
    local = (deadline + timedelta(hours=8, seconds=1)).isoformat() + "+08:00"
    after = runner.invoke(args=["jobs", "close-due", "--now", local])
    assert after.exit_code == 0, after.output
    assert f"#{project.id}" in after.output and "→ 已结束" in after.output
    db.session.expire_all()
    assert status_of(project) == ProjectStatus.CLOSED


def test_the_command_prints_a_chinese_summary_of_the_money(
    stripe_app: Flask, cast: dict[str, Any], fake: FakeStripe
) -> None:
    project = published(cast, "100000")
    card(project, cast["donor"], 120_000, fake)
    offline(project, cast["other_donor"], 200_000)
    make_due(project)

    result = stripe_app.test_cli_runner().invoke(args=["jobs", "close-due"])

    assert result.exit_code == 0, result.output
    assert "结束 1 个项目（未达成 1）" in result.output
    assert "原路退款 1 笔共 ¥1,200" in result.output
    assert "待工作人员转账退回 1 笔共 ¥2,000" in result.output


# ───────────── failures, crashes, re-runs ─────────────


def test_a_stripe_failure_flags_that_pledge_and_the_rest_proceed(
    cast: dict[str, Any], fake: FakeStripe
) -> None:
    project = published(cast, "100000")
    first = card(project, cast["donor"], 40_000, fake)
    second = card(project, cast["other_donor"], 60_000, fake)
    by_bank = offline(project, cast["donor"], 70_000)
    make_due(project)
    fake.fail_next("/v1/refunds", status=400)  # Stripe refuses the first refund request

    report = run_job()

    flagged = db.session.get(Pledge, first.id)
    assert (flagged.status, flagged.refunded_amount) == (PledgeStatus.PAID, 0)
    assert flagged.flag_reason and "自动原路退款失败" in flagged.flag_reason
    assert [item.pledge_id for item in report.flagged] == [first.id]
    assert state(second) == (PledgeStatus.REFUNDED, 60_000)
    assert state(by_bank) == (PledgeStatus.REFUND_DUE, 0)
    assert_books_balance(project)

    # A flagged pledge waits for a person: the next run leaves it alone …
    assert not run_job().changed_anything
    # … until staff clear the flag; then the next run refunds it.
    pledges.clear_flag(db.session.get(Pledge, first.id), cast["staff"])
    db.session.commit()
    again = run_job()
    assert [item.pledge_id for item in again.refunded] == [first.id]
    assert state(first) == (PledgeStatus.REFUNDED, 40_000)
    assert refunds_at_stripe(fake) == Counter(
        {db.session.get(Pledge, p.id).payment_intent_id: 1 for p in (first, second)}
    )
    assert_books_balance(project)


def test_rerunning_changes_nothing(cast: dict[str, Any], fake: FakeStripe) -> None:
    project = published(cast, "100000")
    card(project, cast["donor"], 40_000, fake)
    offline(project, cast["other_donor"], 70_000)
    make_due(project)
    run_job()

    def snapshot() -> tuple[Any, ...]:
        db.session.expire_all()
        return (
            db.session.scalars(select(Pledge.status).order_by(Pledge.id)).all(),
            db.session.scalar(select(func.count(LedgerEntry.id))),
            db.session.scalar(select(func.count(ProjectTransition.id))),
            db.session.scalar(select(func.count(audit.AuditEvent.id))),
            db.session.scalar(select(func.count(Notification.id))),
            db.session.get(Project, project.id).raised_amount,
            len(fake.requests),
        )

    before = snapshot()
    report = run_job()
    assert not report.changed_anything and report.errors == []
    assert snapshot() == before


def test_money_left_in_a_failed_project_is_returned_by_the_next_run(
    cast: dict[str, Any], fake: FakeStripe
) -> None:
    """A run that died after failing the project, and a bank transfer confirmed after the deadline."""
    project = published(cast, "100000")
    paid_by_card = card(project, cast["donor"], 40_000, fake)
    late = factories.pledge(project, cast["other_donor"], 25_000, paid=False)
    make_due(project)
    ops.transition_project(db.session.get(Project, project.id), "fail", None)  # … and then the crash
    db.session.commit()
    pledges.confirm_offline_pledge(
        db.session.get(Pledge, late.id), cast["staff"], received_amount=25_000, bank_reference="LATE0001"
    )
    db.session.commit()

    report = run_job()

    assert report.closed == []  # the project was already failed: no second transition
    assert state(paid_by_card) == (PledgeStatus.REFUNDED, 40_000)
    assert state(late) == (PledgeStatus.REFUND_DUE, 0)
    assert (
        db.session.scalar(
            select(func.count(ProjectTransition.id)).where(ProjectTransition.to_status == "failed")
        )
        == 1
    )
    assert_books_balance(project)


def test_a_refund_whose_answer_was_lost_is_not_made_twice(cast: dict[str, Any], fake: FakeStripe) -> None:
    """Stripe made the refund but the answer never arrived: the pledge is flagged; when staff clear it,
    the retry carries the same idempotency key and Stripe replays the refund it already made."""
    project = published(cast, "100000")
    pledge = card(project, cast["donor"], 40_000, fake)
    make_due(project)
    fake.drop_connection_next("/v1/refunds", after_processing=True, times=3)  # the library retries 2×

    run_job()
    assert db.session.get(Pledge, pledge.id).flag_reason
    assert len(fake.refunds) == 1  # made at Stripe, not recorded here yet

    pledges.clear_flag(db.session.get(Pledge, pledge.id), cast["staff"])
    db.session.commit()
    run_job()

    assert state(pledge) == (PledgeStatus.REFUNDED, 40_000)
    assert len(fake.refunds) == 1
    assert_books_balance(project)


# ───────────── two runs at once ─────────────


def test_two_runs_at_once_refund_each_pledge_exactly_once(
    stripe_app: Flask, cast: dict[str, Any], fake: FakeStripe
) -> None:
    """4 concurrent runs (threads with their own app contexts) over 3 failing projects, each with 2
    card pledges and 1 bank transfer, and 1 keep-it-all project."""
    projects = [published(cast, "100000", title=f"未达标项目{n}") for n in range(3)]
    cards, banks = [], []
    for project in projects:
        cards += [
            card(project, cast["donor"], 11_000, fake),
            card(project, cast["other_donor"], 22_000, fake),
        ]
        banks.append(offline(project, cast["donor"], 33_000))
    kept = published(cast, "100000", "keep_it_all", title="灵活项目")
    for project in [*projects, kept]:
        make_due(project)
    project_ids = [project.id for project in [*projects, kept]]
    db.session.commit()

    reports = run_rounds(stripe_app, 4, 1, lambda _t, _r: ops.close_due_projects(None, get_gateway()))

    runs = [per_thread[0] for per_thread in reports]
    assert all(run.errors == [] for run in runs)
    assert sorted(item.id for run in runs for item in run.closed) == sorted(project_ids)
    assert sorted(item.pledge_id for run in runs for item in run.refunded) == sorted(p.id for p in cards)
    assert sorted(item.pledge_id for run in runs for item in run.refund_due) == sorted(p.id for p in banks)
    db.session.expire_all()
    transitions = Counter(
        db.session.scalars(select(ProjectTransition.project_id).where(ProjectTransition.actor_id.is_(None)))
    )
    assert transitions == Counter(project_ids)  # one system transition per project
    intents = [db.session.get(Pledge, p.id).payment_intent_id for p in cards]
    assert refunds_at_stripe(fake) == Counter(intents)  # one refund per card pledge at Stripe …
    refund_rows = Counter(
        db.session.scalars(select(LedgerEntry.pledge_id).where(LedgerEntry.kind == "refund"))
    )
    assert refund_rows == Counter(p.id for p in cards)  # … and one in the ledger
    assert all(state(p) == (PledgeStatus.REFUNDED, p.amount) for p in cards)
    assert all(state(p) == (PledgeStatus.REFUND_DUE, 0) for p in banks)
    for project in projects:
        assert db.session.get(Project, project.id).raised_amount == 33_000
    assert pledges.ledger_mismatches() == []
    assert audit.verify_chain() is None
