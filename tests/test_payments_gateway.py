"""The Stripe gateway against the loopback fake (tests/fakestripe.py). Nothing here reaches the
internet: every gateway points at 127.0.0.1, and a guard fails any other connection or lookup."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from marketplace.payments.gateway import (
    DEFAULT_API_BASE,
    CheckoutSession,
    GatewayError,
    StripeGateway,
    StripeSettings,
    WebhookRejected,
    settings_from_config,
)
from tests.fakestripe import FakeStripe, parse_form, sign

SECRET_KEY = "sk_test_gateway_0123456789abcdef"
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything in these tests resolves or connects to a non-loopback host."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK:
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in LOOPBACK:
            raise AssertionError(f"test tried to connect to {address!r}")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    # A proxy from the environment would otherwise receive our loopback requests.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture
def make_gateway(fake: FakeStripe) -> Iterator[Callable[..., StripeGateway]]:
    made: list[StripeGateway] = []

    def make(**overrides: Any) -> StripeGateway:
        options: dict[str, Any] = {
            "secret_key": SECRET_KEY,
            "webhook_secret": WEBHOOK_SECRET,
            "api_base": fake.api_base,
            "max_network_retries": 0,
            "timeout": 5.0,
        }
        options.update(overrides)
        assert options["api_base"].startswith("http://127.0.0.1:")
        gateway = StripeGateway(StripeSettings(**options))
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def gateway(make_gateway: Callable[..., StripeGateway]) -> StripeGateway:
    return make_gateway()


def _checkout(
    gateway: StripeGateway, pledge_id: int = 7, *, amount: int = 5000, key: str | None = None
) -> CheckoutSession:
    return gateway.create_checkout_session(
        pledge_id=pledge_id,
        amount=amount,
        currency="CNY",
        description="青亲筹 认捐",
        success_url="https://market.example/pledges/7/paid?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://market.example/pledges/7",
        customer_email="donor@example.com",
        idempotency_key=key or f"pledge-{pledge_id}-checkout",
    )


def _paid_intent(gateway: StripeGateway, fake: FakeStripe, amount: int = 5000) -> str:
    session = _checkout(gateway, amount=amount)
    return fake.complete_session(session.id)["payment_intent"]


# --------------------------------------------------------------------------- settings


def test_settings_without_a_secret_key_are_none() -> None:
    # The app then runs with bank transfer / in-kind pledges only.
    assert settings_from_config({}) is None
    assert settings_from_config({"STRIPE_SECRET_KEY": None}) is None
    assert settings_from_config({"STRIPE_SECRET_KEY": "  "}) is None


def test_settings_keep_the_configured_api_base_and_hide_keys() -> None:
    settings = settings_from_config(
        {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": "http://127.0.0.1:12111/",
        }
    )
    assert settings is not None
    assert settings.api_base == "http://127.0.0.1:12111"
    assert settings.secret_key == SECRET_KEY
    assert settings.webhook_secret == WEBHOOK_SECRET
    assert SECRET_KEY not in repr(settings) and WEBHOOK_SECRET not in repr(settings)

    # Only an unset / empty base means Stripe's own (asserted, never constructed into a gateway).
    default = settings_from_config({"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_API_BASE": ""})
    assert default is not None and default.api_base == DEFAULT_API_BASE
    assert default.webhook_secret is None
    with pytest.raises(ValueError):
        settings_from_config({"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_API_BASE": "api.stripe.com"})


# --------------------------------------------------------------------------- checkout sessions


def test_checkout_session_carries_amount_currency_metadata_and_key(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    session = _checkout(gateway)

    assert session.amount_total == 5000 and isinstance(session.amount_total, int)
    assert session.currency == "cny"
    assert session.pledge_id == 7
    assert session.status == "open" and session.payment_status == "unpaid"
    assert session.payment_intent_id is None
    assert session.url and session.url.startswith(fake.api_base)

    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.idempotency_key == "pledge-7-checkout"
    params = request.params
    assert params["mode"] == "payment"
    assert params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {"currency": "cny", "unit_amount": "5000", "product_data": {"name": "青亲筹 认捐"}},
        }
    ]
    assert params["metadata"] == {"pledge_id": "7"}
    assert params["client_reference_id"] == "7"
    assert params["payment_intent_data"] == {"metadata": {"pledge_id": "7"}}
    assert params["customer_email"] == "donor@example.com"


def test_same_idempotency_key_replays_the_same_session(gateway: StripeGateway, fake: FakeStripe) -> None:
    first = _checkout(gateway)
    second = _checkout(gateway)

    assert second.id == first.id
    assert len(fake.sessions) == 1
    assert [r.replayed for r in fake.requests] == [False, True]


def test_same_key_with_different_parameters_is_rejected(gateway: StripeGateway, fake: FakeStripe) -> None:
    _checkout(gateway, amount=5000)
    with pytest.raises(GatewayError) as caught:
        _checkout(gateway, amount=6000)

    assert caught.value.retryable is False
    assert caught.value.http_status == 400
    assert "IdempotencyError" in caught.value.message
    assert len(fake.sessions) == 1


@pytest.mark.parametrize("amount", [50.0, True, 0, -100])
def test_amounts_must_be_positive_integer_fen(gateway: StripeGateway, fake: FakeStripe, amount: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        _checkout(gateway, amount=amount)
    assert fake.requests == []


def test_an_idempotency_key_is_required(gateway: StripeGateway, fake: FakeStripe) -> None:
    # An empty key would make the library invent a random one, defeating our own retries.
    with pytest.raises(ValueError):
        gateway.create_refund(payment_intent_id="pi_x", amount=100, idempotency_key="")
    assert fake.requests == []


def test_retrieve_and_expire_session(gateway: StripeGateway, fake: FakeStripe) -> None:
    created = _checkout(gateway)
    assert gateway.retrieve_checkout_session(created.id) == created

    expired = gateway.expire_checkout_session(created.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert fake.sessions[created.id]["status"] == "expired"

    # Expiring twice is a client error, not something to retry.
    with pytest.raises(GatewayError) as caught:
        gateway.expire_checkout_session(created.id)
    assert caught.value.retryable is False


def test_missing_session_is_a_non_retryable_error(gateway: StripeGateway) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway.retrieve_checkout_session("cs_test_missing")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")
    assert caught.value.retryable is False


def test_find_session_for_pledge_walks_all_pages(gateway: StripeGateway, fake: FakeStripe) -> None:
    since = int(time.time()) - 60
    stale = _checkout(gateway, 42, key="pledge-42-checkout-old")
    fake.sessions[stale.id]["created"] = since - 1  # before the window: must be ignored
    older = _checkout(gateway, 42, key="pledge-42-checkout-1")
    newer = _checkout(gateway, 42, key="pledge-42-checkout-2")
    # Push pledge 42's sessions onto the third page (limit 100, newest first).
    for pledge_id in range(1000, 1205):
        _checkout(gateway, pledge_id)

    found = gateway.find_checkout_session_for_pledge(42, created_since=since)

    assert found is not None and found.id == newer.id != older.id
    lists = [r for r in fake.requests if r.method == "GET"]
    assert len(lists) == 3
    assert all(r.params["created"] == {"gte": str(since)} and r.params["limit"] == "100" for r in lists)
    assert "starting_after" not in lists[0].params
    assert lists[1].params["starting_after"] and lists[2].params["starting_after"]
    assert gateway.find_checkout_session_for_pledge(4242, created_since=since) is None


# --------------------------------------------------------------------------- refunds and state


def test_partial_then_full_refund(gateway: StripeGateway, fake: FakeStripe) -> None:
    intent = _paid_intent(gateway, fake, amount=5000)

    first = gateway.create_refund(payment_intent_id=intent, amount=2000, idempotency_key="refund-1")
    assert (first.amount, first.status, first.payment_intent_id) == (2000, "succeeded", intent)
    assert gateway.retrieve_payment_state(intent).amount_refunded == 2000

    second = gateway.create_refund(payment_intent_id=intent, amount=3000, idempotency_key="refund-2")
    assert second.id != first.id
    state = gateway.retrieve_payment_state(intent)
    assert (state.amount_received, state.amount_refunded) == (5000, 5000)

    with pytest.raises(GatewayError) as caught:
        gateway.create_refund(payment_intent_id=intent, amount=1, idempotency_key="refund-3")
    assert caught.value.code == "charge_already_refunded" and caught.value.retryable is False


def test_over_refund_is_rejected(gateway: StripeGateway, fake: FakeStripe) -> None:
    intent = _paid_intent(gateway, fake, amount=5000)
    gateway.create_refund(payment_intent_id=intent, amount=4000, idempotency_key="refund-1")

    with pytest.raises(GatewayError) as caught:
        gateway.create_refund(payment_intent_id=intent, amount=1001, idempotency_key="refund-2")
    assert caught.value.code == "amount_too_large" and caught.value.retryable is False
    assert gateway.retrieve_payment_state(intent).amount_refunded == 4000


def test_refund_retry_with_the_same_key_refunds_once(gateway: StripeGateway, fake: FakeStripe) -> None:
    intent = _paid_intent(gateway, fake)
    first = gateway.create_refund(payment_intent_id=intent, amount=1000, idempotency_key="refund-9")
    again = gateway.create_refund(payment_intent_id=intent, amount=1000, idempotency_key="refund-9")
    assert again.id == first.id
    assert len(fake.refunds) == 1
    assert gateway.retrieve_payment_state(intent).amount_refunded == 1000


def test_payment_state(gateway: StripeGateway, fake: FakeStripe) -> None:
    intent = _paid_intent(gateway, fake, amount=8800)

    state = gateway.retrieve_payment_state(intent)

    assert (state.payment_intent_id, state.amount_received, state.amount_refunded) == (intent, 8800, 0)
    assert state.currency == "cny"
    assert fake.requests[-1].params == {"expand": ["latest_charge"]}


def test_payment_state_without_a_charge(gateway: StripeGateway, fake: FakeStripe) -> None:
    session = _checkout(gateway)
    intent = fake.complete_session(session.id, payment_status="unpaid")["payment_intent"]
    state = gateway.retrieve_payment_state(intent)
    assert (state.amount_received, state.amount_refunded) == (0, 0)


# --------------------------------------------------------------------------- failures


def test_a_500_is_retried_by_the_library_with_the_same_key(
    make_gateway: Callable[..., StripeGateway], fake: FakeStripe
) -> None:
    gateway = make_gateway(max_network_retries=2)
    fake.fail_next("/v1/checkout/sessions", status=500)

    session = _checkout(gateway)

    assert len(fake.sessions) == 1 and session.id in fake.sessions
    assert [(r.status, r.idempotency_key) for r in fake.requests] == [
        (500, "pledge-7-checkout"),
        (200, "pledge-7-checkout"),
    ]


def test_a_500_without_retries_is_retryable(gateway: StripeGateway, fake: FakeStripe) -> None:
    fake.fail_next("/v1/checkout/sessions", status=500)
    with pytest.raises(GatewayError) as caught:
        _checkout(gateway)
    assert caught.value.retryable is True and caught.value.http_status == 500
    assert fake.sessions == {}


def test_dropped_connection_is_retryable(gateway: StripeGateway, fake: FakeStripe) -> None:
    fake.drop_connection_next("/v1/checkout/sessions")
    with pytest.raises(GatewayError) as caught:
        _checkout(gateway)
    assert caught.value.retryable is True
    assert fake.sessions == {}


def test_lost_answer_then_retry_reuses_the_session(gateway: StripeGateway, fake: FakeStripe) -> None:
    # Stripe created the session but the answer never arrived (our process "crashed").
    fake.drop_connection_next("/v1/checkout/sessions", after_processing=True)
    with pytest.raises(GatewayError) as caught:
        _checkout(gateway)
    assert caught.value.retryable is True
    (orphan_id,) = fake.sessions

    # The reconcile job can find it, and a retry with the row's key gets the same one back.
    found = gateway.find_checkout_session_for_pledge(7, created_since=int(time.time()) - 60)
    assert found is not None and found.id == orphan_id
    assert _checkout(gateway).id == orphan_id
    assert len(fake.sessions) == 1


def test_bad_api_key_is_not_retryable_and_not_leaked(make_gateway: Callable[..., StripeGateway]) -> None:
    live_key = "sk_live_do_not_print_this_9876"
    gateway = make_gateway(secret_key=live_key)
    with pytest.raises(GatewayError) as caught:
        gateway.retrieve_checkout_session("cs_test_x")
    assert caught.value.http_status == 401 and caught.value.retryable is False
    assert live_key not in str(caught.value) and live_key not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# --------------------------------------------------------------------------- webhooks


def _session_event(fake: FakeStripe, amount: int = 5000) -> bytes:
    event = fake.event(
        "checkout.session.completed",
        {"id": "cs_test_1", "object": "checkout.session", "amount_total": amount, "currency": "cny"},
        event_id="evt_test_1",
    )
    return json.dumps(event, indent=2).encode()


def test_webhook_valid(gateway: StripeGateway, fake: FakeStripe) -> None:
    payload = _session_event(fake)
    event = gateway.parse_webhook(payload, sign(payload, WEBHOOK_SECRET))

    assert event == json.loads(payload)
    assert type(event) is dict and type(event["data"]["object"]) is dict
    assert (event["id"], event["type"], event["object"]) == (
        "evt_test_1",
        "checkout.session.completed",
        "event",
    )
    assert event["livemode"] is False and event["api_version"]


def test_webhook_within_tolerance_is_accepted(gateway: StripeGateway, fake: FakeStripe) -> None:
    payload = _session_event(fake)
    now = int(time.time())
    for offset in (-299, 299):
        gateway.parse_webhook(payload, sign(payload, WEBHOOK_SECRET, timestamp=now + offset), now=now)


def _tamper(payload: bytes) -> bytes:
    return payload.replace(b'"amount_total": 5000', b'"amount_total": 500000')


def _reserialise(payload: bytes) -> bytes:
    # Same JSON value, different bytes: what a framework's request.json → dumps would produce.
    return json.dumps(json.loads(payload), separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing header", "missing"),
        ("empty header", "missing"),
        ("malformed header", "malformed"),
        ("tampered body", "signature mismatch"),
        ("re-serialised body", "signature mismatch"),
        ("wrong secret", "signature mismatch"),
        ("301 s old", "too old"),
        ("301 s in the future", "future"),
        ("301 s old, explicit now", "too old"),
        ("301 s in the future, explicit now", "future"),
        ("non-JSON body", "not a JSON"),
        ("JSON but not an event", "not a JSON"),
    ],
)
def test_webhook_rejected(gateway: StripeGateway, fake: FakeStripe, case: str, reason: str) -> None:
    payload = _session_event(fake)
    now = int(time.time())
    header: str | None = sign(payload, WEBHOOK_SECRET)
    kwargs: dict[str, Any] = {}
    if case == "missing header":
        header = None
    elif case == "empty header":
        header = ""
    elif case == "malformed header":
        header = "v1=abc"
    elif case == "tampered body":
        assert _tamper(payload) != payload
        payload = _tamper(payload)
    elif case == "re-serialised body":
        payload = _reserialise(payload)
    elif case == "wrong secret":
        header = sign(payload, "whsec_someone_else")
    elif case.startswith("301 s"):
        offset = -301 if "old" in case else 301
        if "explicit now" in case:
            now = 2_000_000_000
            kwargs["now"] = now
        header = sign(payload, WEBHOOK_SECRET, timestamp=now + offset)
    elif case == "non-JSON body":
        payload = b"amount=5000"
        header = sign(payload, WEBHOOK_SECRET)
    elif case == "JSON but not an event":
        payload = b'{"object": "checkout.session", "id": "cs_1"}'
        header = sign(payload, WEBHOOK_SECRET)

    with pytest.raises(WebhookRejected) as caught:
        gateway.parse_webhook(payload, header, **kwargs)
    assert reason in caught.value.reason


def test_webhook_without_a_configured_secret_is_rejected(
    make_gateway: Callable[..., StripeGateway], fake: FakeStripe
) -> None:
    gateway = make_gateway(webhook_secret=None)
    payload = _session_event(fake)
    with pytest.raises(WebhookRejected, match="no webhook secret"):
        gateway.parse_webhook(payload, sign(payload, WEBHOOK_SECRET))


# --------------------------------------------------------------------------- the fake itself


def test_fake_parses_stripe_form_encoding() -> None:
    pairs = [
        ("line_items[0][price_data][unit_amount]", "5000"),
        ("line_items[0][quantity]", "1"),
        ("line_items[1][quantity]", "2"),
        ("metadata[pledge_id]", "7"),
        ("expand[]", "a"),
        ("expand[]", "b"),
        ("created[gte]", "10"),
    ]
    assert parse_form(pairs) == {
        "line_items": [{"price_data": {"unit_amount": "5000"}, "quantity": "1"}, {"quantity": "2"}],
        "metadata": {"pledge_id": "7"},
        "expand": ["a", "b"],
        "created": {"gte": "10"},
    }


def test_fake_stop_closes_the_socket(make_gateway: Callable[..., StripeGateway]) -> None:
    server = FakeStripe()
    try:
        gateway = make_gateway(api_base=server.api_base)
        _checkout(gateway)  # leaves a keep-alive connection open
    finally:
        server.stop()
    server.stop()  # idempotent
    port = int(server.api_base.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
