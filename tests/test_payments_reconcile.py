"""`flask payments reconcile`: asks the (loopback) fake Stripe about card pledges and repairs what
lost webhooks left behind; a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from marketplace.extensions import db
from marketplace.payments.reconcile import ReconcileReport, reconcile_card_payments
from marketplace.payments.service import get_gateway
from marketplace.pledges import operations as pledge_operations
from marketplace.pledges.models import Pledge
from marketplace.timeutil import utcnow
from tests.fakestripe import FakeStripe
from tests.stripe_support import (
    Cast,
    card_pledge,
    fake_fixture,  # noqa: F401 (a fixture)
    login,
    make_cast,
    money,
    no_internet_fixture,  # noqa: F401 (a fixture)
    open_checkout,
    pay_through_webhook,
    state,
    stripe_app_fixture,  # noqa: F401 (a fixture)
)

DAY = timedelta(hours=24)


@pytest.fixture
def cast(stripe_app: Flask) -> Cast:
    return make_cast(stripe_app)


def reconcile(app: Flask, older_than: timedelta = timedelta(0)) -> ReconcileReport:
    with app.app_context():
        gateway = get_gateway()
        assert gateway is not None
        return reconcile_card_payments(gateway, older_than=older_than)


def age(app: Flask, fake: FakeStripe, pledge_id: int, by: timedelta) -> None:
    """Pretend the pledge (and its Stripe session, if any) was created `by` ago."""
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert pledge is not None
        pledge.created_at = utcnow() - by
        session_id = pledge.checkout_session_id
        db.session.commit()
    if session_id:
        fake.sessions[session_id]["created"] -= int(by.total_seconds())


def changes(report: ReconcileReport) -> dict[str, int]:
    return {name: count for name, count in report.counts.items() if count and name != "waiting"}


# --------------------------------------------------------------------------- lost webhooks


def test_a_payment_whose_webhook_was_lost_is_counted_once(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id = card_pledge(stripe_app, cast, 8800)
    fake.complete_session(open_checkout(stripe_app, cast, pledge_id))  # no webhook ever arrives

    first = reconcile(stripe_app)

    assert changes(first) == {"paid": 1}
    assert state(stripe_app, pledge_id)["status"] == "paid"
    ledger = money(stripe_app, cast.project_id)
    assert ledger["rows"] == [("pledge_paid", 8800, "reconcile")]
    assert ledger["raised"] == ledger["ledger_total"] == 8800

    second = reconcile(stripe_app)

    assert changes(second) == {} and second.changed == 0
    assert second.summary().startswith("没有需要处理的认捐")
    assert money(stripe_app, cast.project_id) == ledger


def test_the_cli_reports_in_chinese_and_a_second_run_changes_nothing(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    paid = card_pledge(stripe_app, cast)
    fake.complete_session(open_checkout(stripe_app, cast, paid))
    gone = card_pledge(stripe_app, cast)
    fake.expire(open_checkout(stripe_app, cast, gone))
    runner = stripe_app.test_cli_runner()

    first = runner.invoke(args=["payments", "reconcile", "--older-than", "0"])

    assert first.exit_code == 0, first.output
    assert f"认捐 #{paid}：确认到账" in first.output and f"认捐 #{gone}：过期关闭" in first.output
    assert "确认到账 1" in first.output and "过期关闭 1" in first.output and "出错 0" in first.output
    assert (state(stripe_app, paid)["status"], state(stripe_app, gone)["status"]) == ("paid", "expired")
    before = money(stripe_app, cast.project_id)

    second = runner.invoke(args=["payments", "reconcile", "--older-than", "0"])

    assert second.exit_code == 0, second.output
    assert "没有需要处理的认捐" in second.output
    assert money(stripe_app, cast.project_id) == before


def test_young_pledges_are_left_to_the_webhook(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    fake.complete_session(open_checkout(stripe_app, cast, pledge_id))
    requests_before = len(fake.requests)

    result = stripe_app.test_cli_runner().invoke(args=["payments", "reconcile"])  # default: 30 minutes

    assert result.exit_code == 0, result.output
    assert "没有需要处理的认捐" in result.output
    assert len(fake.requests) == requests_before  # Stripe was not even asked
    assert state(stripe_app, pledge_id)["status"] == "pending"


def test_a_crash_before_the_commit_is_repaired_through_the_metadata(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    client = login(stripe_app, cast.company_email)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker killed between Stripe and the commit")

    with monkeypatch.context() as patch:
        patch.setattr(pledge_operations, "link_checkout_session", crash)
        assert client.get(f"/pledges/{pledge_id}/checkout").status_code == 500
    assert state(stripe_app, pledge_id)["checkout_session_id"] is None
    (orphan_id,) = fake.sessions
    fake.complete_session(orphan_id)  # the customer had already paid in another tab

    report = reconcile(stripe_app)

    assert changes(report) == {"linked": 1, "paid": 1}
    after = state(stripe_app, pledge_id)
    assert (after["checkout_session_id"], after["status"]) == (orphan_id, "paid")
    assert len(fake.sessions) == 1
    assert changes(reconcile(stripe_app)) == {}


# --------------------------------------------------------------------------- closing abandoned pledges


def test_an_expired_session_expires_the_pledge(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    fake.expire(open_checkout(stripe_app, cast, pledge_id))

    assert changes(reconcile(stripe_app)) == {"expired": 1}
    assert state(stripe_app, pledge_id)["status"] == "expired"
    assert changes(reconcile(stripe_app)) == {}


def test_a_session_open_for_a_day_is_closed_at_stripe_first(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    stale = card_pledge(stripe_app, cast)
    stale_session = open_checkout(stripe_app, cast, stale)
    age(stripe_app, fake, stale, DAY + timedelta(hours=1))
    fresh = card_pledge(stripe_app, cast)
    fresh_session = open_checkout(stripe_app, cast, fresh)

    report = reconcile(stripe_app)

    assert changes(report) == {"expired": 1} and report.counts["waiting"] == 1
    assert fake.sessions[stale_session]["status"] == "expired"  # nobody can pay it any more
    assert state(stripe_app, stale)["status"] == "expired"
    assert fake.sessions[fresh_session]["status"] == "open"
    assert state(stripe_app, fresh)["status"] == "pending"


def test_a_pledge_that_never_reached_stripe_expires_after_a_day(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    abandoned = card_pledge(stripe_app, cast)
    age(stripe_app, fake, abandoned, DAY + timedelta(minutes=5))
    recent = card_pledge(stripe_app, cast)
    age(stripe_app, fake, recent, timedelta(hours=2))

    report = reconcile(stripe_app)

    assert changes(report) == {"expired": 1}
    assert state(stripe_app, abandoned)["status"] == "expired"
    assert state(stripe_app, recent)["status"] == "pending"


def test_a_mismatched_payment_is_flagged_once(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    session_id = open_checkout(stripe_app, cast, pledge_id)
    fake.complete_session(session_id)
    fake.sessions[session_id]["amount_total"] = 1  # what Stripe says does not match the pledge

    assert changes(reconcile(stripe_app)) == {"flagged": 1}
    assert state(stripe_app, pledge_id)["status"] == "pending"
    assert "金额或币种与认捐不符" in state(stripe_app, pledge_id)["flag_reason"]
    assert money(stripe_app, cast.project_id)["rows"] == []
    assert changes(reconcile(stripe_app)) == {}  # staff are looking at it; no second flag


# --------------------------------------------------------------------------- refunds and failures


def test_a_refund_made_at_stripe_is_brought_in(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id, intent_id = pay_through_webhook(stripe_app, fake, cast, 5000)
    with stripe_app.app_context():
        gateway = get_gateway()
        assert gateway is not None
        gateway.create_refund(payment_intent_id=intent_id, amount=1500, idempotency_key="dashboard-refund")

    assert changes(reconcile(stripe_app)) == {"refunded": 1}
    assert (state(stripe_app, pledge_id)["status"], state(stripe_app, pledge_id)["refunded_amount"]) == (
        "paid",
        1500,
    )
    ledger = money(stripe_app, cast.project_id)
    assert ledger["raised"] == ledger["ledger_total"] == 3500
    assert changes(reconcile(stripe_app)) == {}


def test_a_stripe_error_on_one_pledge_does_not_stop_the_others(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    unlucky = card_pledge(stripe_app, cast)
    unlucky_session = open_checkout(stripe_app, cast, unlucky)
    lucky = card_pledge(stripe_app, cast)
    fake.complete_session(unlucky_session)
    fake.complete_session(open_checkout(stripe_app, cast, lucky))
    fake.fail_next(f"/v1/checkout/sessions/{unlucky_session}", status=400)

    result = stripe_app.test_cli_runner().invoke(args=["payments", "reconcile", "--older-than", "0"])

    assert result.exit_code == 1
    assert f"认捐 #{unlucky}：出错" in result.output and "确认到账 1" in result.output
    assert "sk_test" not in result.output
    assert (state(stripe_app, unlucky)["status"], state(stripe_app, lucky)["status"]) == ("pending", "paid")

    again = reconcile(stripe_app)  # the next run picks it up

    assert changes(again) == {"paid": 1}
    assert state(stripe_app, unlucky)["status"] == "paid"


def test_without_keys_the_command_explains_and_fails(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 1
    assert "未配置 Stripe 密钥" in result.output
