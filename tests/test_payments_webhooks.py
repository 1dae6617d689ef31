"""POST /payments/stripe/webhook: signed events from the (loopback) fake Stripe move card pledges
exactly once, whatever the order, repetition or concurrency of delivery."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from marketplace.extensions import db
from marketplace.payments.service import get_gateway
from marketplace.pledges import operations as pledge_operations
from marketplace.pledges.models import Pledge
from tests import factories
from tests.fakestripe import FakeStripe, sign
from tests.stripe_support import (
    WEBHOOK,
    WEBHOOK_SECRET,
    Cast,
    card_pledge,
    event_count,
    events,
    fake_fixture,  # noqa: F401 (a fixture)
    intent_event,
    make_cast,
    money,
    no_internet_fixture,  # noqa: F401 (a fixture)
    open_checkout,
    pay_through_webhook,
    post_event,
    refunded_event,
    session_event,
    state,
    stripe_app_fixture,  # noqa: F401 (a fixture)
)

CSRF_REFUSAL = "页面已过期或缺少安全校验"


@pytest.fixture
def cast(stripe_app: Flask) -> Cast:
    return make_cast(stripe_app)


def completed_pledge(
    app: Flask, fake: FakeStripe, cast: Cast, amount: int = 5000
) -> tuple[int, dict[str, Any]]:
    """A pledge whose customer has paid at Stripe; no webhook delivered yet."""
    pledge_id = card_pledge(app, cast, amount)
    session_id = open_checkout(app, cast, pledge_id)
    return pledge_id, fake.complete_session(session_id)


def assert_paid_once(app: Flask, cast: Cast, pledge_id: int, amount: int = 5000) -> None:
    assert state(app, pledge_id)["status"] == "paid"
    assert state(app, pledge_id)["paid_amount"] == amount
    ledger = money(app, cast.project_id)
    assert [row[:2] for row in ledger["rows"]] == [("pledge_paid", amount)]
    assert ledger["raised"] == ledger["ledger_total"] == amount


# --------------------------------------------------------------------------- verification


def _tamper(payload: bytes) -> bytes:
    changed = payload.replace(b'"amount_total": 5000', b'"amount_total": 500000')
    assert changed != payload
    return changed


@pytest.mark.parametrize(
    "case",
    [
        "missing header",
        "tampered amount",
        "re-serialised body",
        "wrong secret",
        "301 s old",
        # Not 301 s: the server reads the clock a moment later, and a second that ticks over in
        # between made it exactly 300 s ahead, inside the tolerance (the boundary itself is
        # tests/test_payments_gateway.py's, with an explicit clock).
        "10 min in the future",
    ],
)
def test_unverifiable_deliveries_are_refused_and_change_nothing(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, case: str
) -> None:
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    payload = json.dumps(fake.event("checkout.session.completed", completed), indent=2).encode()
    now = int(time.time())
    headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
    if case == "missing header":
        headers = {}
    elif case == "tampered amount":
        payload = _tamper(payload)
    elif case == "re-serialised body":
        payload = json.dumps(json.loads(payload), separators=(",", ":")).encode()
    elif case == "wrong secret":
        headers = {"Stripe-Signature": sign(payload, "whsec_someone_else")}
    elif case == "301 s old":
        headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET, timestamp=now - 301)}
    elif case == "10 min in the future":
        headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET, timestamp=now + 600)}
    before = state(stripe_app, pledge_id)

    response = stripe_app.test_client().post(
        WEBHOOK, data=payload, headers=headers, content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json) == {"error"}
    assert set(response.json["error"]) == {"code", "message", "fields"}
    assert event_count(stripe_app) == 0
    assert state(stripe_app, pledge_id) == before
    assert money(stripe_app, cast.project_id)["rows"] == []


def test_a_correctly_signed_delivery_marks_the_pledge_paid(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    # The counterpart of the refusals above: the same event, signed properly, is applied.
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)

    response = post_event(stripe_app.test_client(), fake.event("checkout.session.completed", completed))

    assert response.status_code == 200 and response.json["outcome"] == "applied"
    assert_paid_once(stripe_app, cast, pledge_id)
    assert state(stripe_app, pledge_id)["payment_intent_id"] == completed["payment_intent"]
    assert events(stripe_app)[0][:2] == ("checkout.session.completed", "applied")
    with stripe_app.app_context():
        assert money(stripe_app, cast.project_id)["rows"][0][2] == "webhook"
        assert db.session.get(Pledge, pledge_id).project.supporters_count == 1


def test_without_keys_the_webhook_does_not_exist(app: Flask, fake: FakeStripe) -> None:
    payload = json.dumps(fake.event("checkout.session.completed", {"id": "cs_test_x"})).encode()
    response = app.test_client().post(
        WEBHOOK, data=payload, headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
    )
    assert response.status_code == 404
    assert set(response.json["error"]) == {"code", "message", "fields"}
    assert event_count(app) == 0


def test_a_key_without_a_webhook_secret_asks_stripe_to_retry(make_app: Any, fake: FakeStripe) -> None:
    app = make_app(STRIPE_SECRET_KEY="sk_test_only_the_key", STRIPE_API_BASE=fake.api_base)
    payload = json.dumps(fake.event("checkout.session.completed", {"id": "cs_test_x"})).encode()
    response = app.test_client().post(
        WEBHOOK, data=payload, headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
    )
    assert response.status_code == 503
    assert event_count(app) == 0


# --------------------------------------------------------------------------- duplicates and order


def test_the_same_event_eight_times_at_once_moves_the_pledge_once(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    payload = json.dumps(fake.event("checkout.session.completed", completed)).encode()
    header = sign(payload, WEBHOOK_SECRET)
    clients = [stripe_app.test_client() for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    answers: list[Any] = [None] * len(clients)

    def deliver(index: int) -> None:
        barrier.wait()
        response = clients[index].post(
            WEBHOOK, data=payload, headers={"Stripe-Signature": header}, content_type="application/json"
        )
        answers[index] = (response.status_code, (response.json or {}).get("outcome"))

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers) == [(200, "applied")] + [(200, "duplicate")] * 7
    assert event_count(stripe_app) == 1
    assert_paid_once(stripe_app, cast, pledge_id)


@pytest.mark.parametrize("order", ["session first", "intent first"])
def test_completed_and_intent_succeeded_count_one_payment_once(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, order: str
) -> None:
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    deliveries = [
        fake.event("checkout.session.completed", completed),
        intent_event(fake, "payment_intent.succeeded", completed["payment_intent"]),
    ]
    if order == "intent first":
        deliveries.reverse()
    client = stripe_app.test_client()

    outcomes = [post_event(client, event).json["outcome"] for event in deliveries]

    assert outcomes == ["applied", "no-change"]
    assert_paid_once(stripe_app, cast, pledge_id)


def test_a_failure_reported_after_success_leaves_the_pledge_paid(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id, intent_id = pay_through_webhook(stripe_app, fake, cast)

    failed = intent_event(fake, "payment_intent.payment_failed", intent_id, status="requires_payment_method")
    response = post_event(stripe_app.test_client(), failed)

    assert response.status_code == 200
    assert_paid_once(stripe_app, cast, pledge_id)


def test_a_declined_card_keeps_the_pledge_open_for_another_attempt(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    # Checkout lets the customer try another card in the same session after a decline.
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    client = stripe_app.test_client()
    declined = intent_event(
        fake,
        "payment_intent.payment_failed",
        completed["payment_intent"],
        status="requires_payment_method",
        last_payment_error={"code": "card_declined"},
    )

    assert post_event(client, declined).json["outcome"] == "no-change"
    assert state(stripe_app, pledge_id)["status"] == "pending"

    assert (
        post_event(client, fake.event("checkout.session.completed", completed)).json["outcome"] == "applied"
    )
    assert_paid_once(stripe_app, cast, pledge_id)


def test_unpaid_completion_then_async_success_pays_once(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    session_id = open_checkout(stripe_app, cast, pledge_id)
    unpaid = fake.complete_session(session_id, payment_status="unpaid")
    client = stripe_app.test_client()

    response = post_event(client, fake.event("checkout.session.completed", unpaid))
    assert response.json["outcome"] == "awaiting-payment"
    assert state(stripe_app, pledge_id)["status"] == "pending"
    assert state(stripe_app, pledge_id)["payment_intent_id"] == unpaid["payment_intent"]
    assert money(stripe_app, cast.project_id)["rows"] == []

    # Days later the bank debit clears; Stripe tells us through both objects.
    succeeded = session_event(
        fake, "checkout.session.async_payment_succeeded", session_id, payment_status="paid"
    )
    assert post_event(client, succeeded).json["outcome"] == "applied"
    intent = intent_event(
        fake, "payment_intent.succeeded", unpaid["payment_intent"], status="succeeded", amount_received=5000
    )
    assert post_event(client, intent).json["outcome"] == "no-change"
    assert_paid_once(stripe_app, cast, pledge_id)


def test_async_failure_and_expiry_close_a_pending_pledge(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    client = stripe_app.test_client()
    failing = card_pledge(stripe_app, cast)
    failing_session = open_checkout(stripe_app, cast, failing)
    fake.complete_session(failing_session, payment_status="unpaid")
    expiring = card_pledge(stripe_app, cast)
    expiring_session = open_checkout(stripe_app, cast, expiring)
    fake.expire(expiring_session)

    failed = session_event(fake, "checkout.session.async_payment_failed", failing_session)
    expired = session_event(fake, "checkout.session.expired", expiring_session)
    assert post_event(client, failed).json["outcome"] == "applied"
    assert post_event(client, expired).json["outcome"] == "applied"

    assert state(stripe_app, failing)["status"] == "failed"
    assert state(stripe_app, expiring)["status"] == "expired"
    assert money(stripe_app, cast.project_id)["raised"] == 0


def test_an_expiry_after_payment_leaves_the_pledge_paid(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id, _ = pay_through_webhook(stripe_app, fake, cast)
    with stripe_app.app_context():
        session_id = db.session.get(Pledge, pledge_id).checkout_session_id
    late = session_event(fake, "checkout.session.expired", session_id, status="expired")

    assert post_event(stripe_app.test_client(), late).json["outcome"] == "no-change"
    assert_paid_once(stripe_app, cast, pledge_id)


@pytest.mark.parametrize(("field", "value"), [("amount_total", 5001), ("currency", "usd")])
def test_an_amount_or_currency_mismatch_is_flagged_not_paid(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, field: str, value: Any
) -> None:
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    event = fake.event("checkout.session.completed", {**completed, field: value})

    response = post_event(stripe_app.test_client(), event)

    assert response.status_code == 200 and response.json["outcome"] == "flagged"
    after = state(stripe_app, pledge_id)
    assert after["status"] == "pending"
    assert "金额或币种与认捐不符" in after["flag_reason"]
    assert money(stripe_app, cast.project_id) == {"raised": 0, "ledger_total": 0, "rows": []}


def test_money_arriving_for_a_cancelled_pledge_is_flagged(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    with stripe_app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        pledge_operations.cancel_pledge(pledge, pledge.created_by)
        db.session.commit()

    response = post_event(stripe_app.test_client(), fake.event("checkout.session.completed", completed))

    assert response.json["outcome"] == "flagged"
    after = state(stripe_app, pledge_id)
    assert after["status"] == "cancelled" and "请核对并退款" in after["flag_reason"]
    assert money(stripe_app, cast.project_id)["rows"] == []


def test_an_unknown_event_type_is_stored_and_ignored(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id, _ = completed_pledge(stripe_app, fake, cast)
    event = fake.event("customer.created", {"id": "cus_test_1", "object": "customer"})

    response = post_event(stripe_app.test_client(), event)

    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert events(stripe_app) == [("customer.created", "ignored", event["id"])]
    assert state(stripe_app, pledge_id)["status"] == "pending"


def test_an_event_about_an_unknown_session_is_logged_and_changes_nothing(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    stranger = {**completed, "id": "cs_test_not_ours", "metadata": {}, "client_reference_id": None}
    before = state(stripe_app, pledge_id)

    with caplog.at_level("WARNING"):
        response = post_event(stripe_app.test_client(), fake.event("checkout.session.completed", stranger))

    assert response.status_code == 200 and response.json["outcome"] == "unknown-session"
    assert "cs_test_not_ours" in caplog.text
    assert state(stripe_app, pledge_id) == before
    assert event_count(stripe_app) == 1
    assert money(stripe_app, cast.project_id)["rows"] == []


# --------------------------------------------------------------------------- failures


def test_a_database_error_mid_handler_commits_nothing_and_the_redelivery_succeeds(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    event = fake.event("checkout.session.completed", completed)

    def database_gone(*args: Any, **kwargs: Any) -> bool:
        raise OperationalError("UPDATE pledges SET status=?", {}, Exception("database is locked"))

    monkeypatch.setattr(pledge_operations, "mark_paid", database_gone)
    response = post_event(stripe_app.test_client(), event)

    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert event_count(stripe_app) == 0  # the event row written before the failure is gone too
    assert state(stripe_app, pledge_id)["status"] == "pending"
    assert money(stripe_app, cast.project_id)["rows"] == []

    monkeypatch.undo()
    again = post_event(stripe_app.test_client(), event)  # Stripe redelivers the same event

    assert again.status_code == 200 and again.json["outcome"] == "applied"
    assert_paid_once(stripe_app, cast, pledge_id)


# --------------------------------------------------------------------------- refunds and disputes


def _refund_at_stripe(app: Flask, intent_id: str, amount: int, key: str) -> None:
    with app.app_context():
        gateway = get_gateway()
        assert gateway is not None
        gateway.create_refund(payment_intent_id=intent_id, amount=amount, idempotency_key=key)


@pytest.mark.parametrize(
    "deliveries",
    [
        ["partial", "full"],
        ["full", "partial"],
        ["partial", "partial", "full", "full"],
        ["full", "partial", "full", "partial-redelivered"],
    ],
    ids=["in order", "reordered", "duplicated", "reordered and duplicated"],
)
def test_refund_events_end_at_stripes_absolute_amount(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, deliveries: list[str]
) -> None:
    pledge_id, intent_id = pay_through_webhook(stripe_app, fake, cast, 5000)
    _refund_at_stripe(stripe_app, intent_id, 2000, "refund-a")
    partial = refunded_event(fake, intent_id)
    _refund_at_stripe(stripe_app, intent_id, 3000, "refund-b")
    full = refunded_event(fake, intent_id)
    assert (partial["data"]["object"]["amount_refunded"], full["data"]["object"]["amount_refunded"]) == (
        2000,
        5000,
    )
    by_name = {"partial": partial, "full": full, "partial-redelivered": {**partial, "id": "evt_test_another"}}
    client = stripe_app.test_client()

    for name in deliveries:
        assert post_event(client, by_name[name]).status_code == 200

    after = state(stripe_app, pledge_id)
    assert (after["status"], after["refunded_amount"]) == ("refunded", 5000)
    ledger = money(stripe_app, cast.project_id)
    assert ledger["raised"] == ledger["ledger_total"] == 0
    assert sum(amount for kind, amount, _ in ledger["rows"] if kind == "refund") == -5000


def test_a_partial_refund_keeps_the_rest_raised(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id, intent_id = pay_through_webhook(stripe_app, fake, cast, 5000)
    _refund_at_stripe(stripe_app, intent_id, 2000, "refund-a")
    client = stripe_app.test_client()
    event = refunded_event(fake, intent_id)

    assert post_event(client, event).json["outcome"] == "applied"
    assert post_event(client, {**event, "id": "evt_test_same_again"}).json["outcome"] == "no-change"

    after = state(stripe_app, pledge_id)
    assert (after["status"], after["refunded_amount"]) == ("paid", 2000)
    ledger = money(stripe_app, cast.project_id)
    assert ledger["raised"] == ledger["ledger_total"] == 3000


def test_a_refund_that_overtakes_the_payment_events_still_balances(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id, completed = completed_pledge(stripe_app, fake, cast)
    _refund_at_stripe(stripe_app, completed["payment_intent"], 5000, "refund-all")
    client = stripe_app.test_client()

    assert post_event(client, refunded_event(fake, completed["payment_intent"])).json["outcome"] == "applied"
    assert (
        post_event(client, fake.event("checkout.session.completed", completed)).json["outcome"] == "no-change"
    )

    after = state(stripe_app, pledge_id)
    assert (after["status"], after["paid_amount"], after["refunded_amount"]) == ("refunded", 5000, 5000)
    ledger = money(stripe_app, cast.project_id)
    assert [row[:2] for row in ledger["rows"]] == [("pledge_paid", 5000), ("refund", -5000)]
    assert ledger["raised"] == ledger["ledger_total"] == 0


def test_a_dispute_flags_the_pledge_for_staff(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id, intent_id = pay_through_webhook(stripe_app, fake, cast)
    charge = fake.charge_for(intent_id)
    assert charge is not None
    dispute = {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": 5000,
        "currency": "cny",
        "charge": charge["id"],
        "payment_intent": intent_id,
        "reason": "fraudulent",
        "status": "needs_response",
    }

    response = post_event(stripe_app.test_client(), fake.event("charge.dispute.created", dispute))

    assert response.json["outcome"] == "flagged"
    after = state(stripe_app, pledge_id)
    assert after["status"] == "paid" and "争议" in after["flag_reason"]
    assert money(stripe_app, cast.project_id)["raised"] == 5000


# --------------------------------------------------------------------------- CSRF


def test_the_webhook_is_the_only_post_without_a_csrf_token(make_app: Any, fake: FakeStripe) -> None:
    app = make_app(
        WTF_CSRF_ENABLED=True,
        STRIPE_SECRET_KEY="sk_test_csrf",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=fake.api_base,
    )
    client = app.test_client()
    exempt = []
    for rule in app.url_map.iter_rules():
        # The JSON API authenticates by bearer token only, never by cookie (see marketplace/api).
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
        response = client.post(path, data={"anything": "1"})
        if not (response.status_code == 400 and CSRF_REFUSAL in response.get_data(as_text=True)):
            exempt.append(rule.rule)
    assert exempt == [WEBHOOK]

    event = fake.event("customer.created", {"id": "cus_test_1", "object": "customer"})
    webhook = post_event(client, event)
    assert webhook.status_code == 200 and webhook.json["outcome"] == "ignored"


def test_a_form_post_with_its_token_is_accepted_when_csrf_is_on(
    make_app: Any, stripe_app: Flask, cast: Cast
) -> None:
    # The counterpart of the test above: the refusal really is about the missing token.
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)
    )
    assert token is not None
    response = client.post(
        "/login",
        data={"email": cast.company_email, "password": factories.PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
