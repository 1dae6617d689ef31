"""Shared fixtures and helpers for the Stripe-side tests (webhook, checkout pages, reconcile).

Import the fixtures into a test module to use them (``from tests.stripe_support import
fake_fixture, no_internet_fixture, stripe_app_fixture``; the fixtures are named ``fake``,
``stripe_app`` and ``no_internet``, the latter autouse): a FakeStripe started and stopped per
test, an app whose gateway points at it, and a guard that fails any connection or lookup beyond
loopback.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.payments.models import StripeEvent
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, Pledge
from marketplace.projects.models import Project
from tests import factories
from tests.fakestripe import FakeStripe, sign

SECRET_KEY = "sk_test_marketplace_0123456789abcdef"
WEBHOOK_SECRET = "whsec_test_marketplace_0123456789abcdef"
WEBHOOK = "/payments/stripe/webhook"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(name="no_internet", autouse=True)
def no_internet_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything resolves or connects to a non-loopback host."""
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
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(name="fake")
def fake_fixture() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture(name="stripe_app")
def stripe_app_fixture(make_app: Any, fake: FakeStripe) -> Iterator[Flask]:
    """An app with card payments on, talking to this test's FakeStripe."""
    app = make_app(
        STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=fake.api_base
    )
    yield app
    gateway = app.extensions.get("stripe_gateway")
    if gateway is not None:
        gateway.close()


# --------------------------------------------------------------------------- people and pledges


@dataclass(frozen=True)
class Cast:
    company_email: str
    company_id: int
    other_company_email: str
    org_email: str
    staff_email: str
    project_id: int


def make_cast(app: Flask) -> Cast:
    with app.app_context():
        company = factories.company_member()
        other = factories.company_member()
        owner = factories.org_member()
        reviewer = factories.staff()
        project = factories.project(owner, status="published", reviewer=reviewer, goal_yuan="100000")
        factories.foundation()
        return Cast(company.email, company.company_id, other.email, owner.email, reviewer.email, project.id)


def card_pledge(app: Flask, cast: Cast, amount: int = 5000) -> int:
    """A pending card pledge by the cast's company (no Stripe session yet)."""
    with app.app_context():
        project = db.session.get(Project, cast.project_id)
        user = db.session.scalar(select(User).where(User.email == cast.company_email))
        return factories.pledge(project, user, amount, method="card", paid=False).id


def login(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def open_checkout(app: Flask, cast: Cast, pledge_id: int) -> str:
    """The company goes to the payment page; returns the Checkout Session id."""
    response = login(app, cast.company_email).get(f"/pledges/{pledge_id}/checkout")
    assert response.status_code == 303, response.status_code
    session_id = state(app, pledge_id)["checkout_session_id"]
    assert session_id and response.headers["Location"].endswith(session_id)
    return session_id


# --------------------------------------------------------------------------- webhooks


def post_event(
    client: FlaskClient,
    event: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
) -> Any:
    payload = json.dumps(event, indent=2).encode()
    return client.post(
        WEBHOOK,
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret, timestamp=timestamp)},
        content_type="application/json",
    )


def session_event(fake: FakeStripe, type: str, session_id: str, **overrides: Any) -> dict[str, Any]:
    return fake.event(type, {**fake.sessions[session_id], **overrides})


def intent_event(fake: FakeStripe, type: str, intent_id: str, **overrides: Any) -> dict[str, Any]:
    return fake.event(type, {**fake.payment_intents[intent_id], **overrides})


def refunded_event(fake: FakeStripe, intent_id: str) -> dict[str, Any]:
    charge = fake.charge_for(intent_id)
    assert charge is not None
    return fake.event("charge.refunded", charge)


def pay_through_webhook(app: Flask, fake: FakeStripe, cast: Cast, amount: int = 5000) -> tuple[int, str]:
    """A card pledge paid the normal way; returns (pledge id, payment intent id)."""
    pledge_id = card_pledge(app, cast, amount)
    session_id = open_checkout(app, cast, pledge_id)
    completed = fake.complete_session(session_id)
    response = post_event(app.test_client(), fake.event("checkout.session.completed", completed))
    assert response.status_code == 200 and response.json["outcome"] == "applied", response.json
    return pledge_id, completed["payment_intent"]


# --------------------------------------------------------------------------- what the database says


def state(app: Flask, pledge_id: int) -> dict[str, Any]:
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert pledge is not None
        return {
            "status": pledge.status,
            "paid_amount": pledge.paid_amount,
            "refunded_amount": pledge.refunded_amount,
            "flag_reason": pledge.flag_reason,
            "checkout_session_id": pledge.checkout_session_id,
            "payment_intent_id": pledge.payment_intent_id,
            "reference_code": pledge.reference_code,
        }


def money(app: Flask, project_id: int) -> dict[str, Any]:
    """The project's total, what its ledger sums to, and the ledger rows (kind, amount, note)."""
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project is not None
        rows = db.session.execute(
            select(LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.note)
            .where(LedgerEntry.project_id == project_id)
            .order_by(LedgerEntry.id)
        ).all()
        return {
            "raised": project.raised_amount,
            "ledger_total": pledges.ledger_total(project_id),
            "rows": [tuple(row) for row in rows],
        }


def events(app: Flask) -> list[tuple[str, str, str]]:
    """Stored webhook events as (type, outcome, id), oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(StripeEvent.type, StripeEvent.outcome, StripeEvent.id).order_by(StripeEvent.received_at)
        ).all()
        return [tuple(row) for row in rows]


def event_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StripeEvent)) or 0
