"""Errors, secrets and the audit trail (RELIABILITY.md, Web security: "secrets never appear in logs
or pages; logins, money state changes and staff decisions go to the audit log with user, IP and a
request id").

The secrets test drives the paths that could leak one — logins right and wrong, a password change,
a sign-up refused, forced crashes of a page and of the API, a card checkout through the official
Stripe client (against the loopback fake), webhooks signed right and wrong — with every logger at
DEBUG, and looks for each secret in the captured log records and in every response.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url, select

from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from tests import factories
from tests.fakestripe import FakeStripe
from tests.stripe_support import (
    fake_fixture,  # noqa: F401 (a fixture)
    no_internet_fixture,  # noqa: F401 (a fixture)
    post_event,
)

FLASK_SECRET = "flask-secret-key-h8-3f9a1c7e5b"
STRIPE_SECRET = "sk_test_h8_never_logged_4c2e9a"
WEBHOOK_SECRET = "whsec_h8_never_logged_8b1d3f"
MAIL_PASSWORD = "smtp-password-h8-6e0a2d"
NEW_PASSWORD = "Brand-New-Horse-77"
WRONG_PASSWORD = "Wrong-Password-h8-1"


def _crashing_app(make_app: Any, **config: Any) -> Flask:
    app = make_app(PROPAGATE_EXCEPTIONS=False, **config)

    @app.get("/h8-boom")
    def boom() -> Any:
        raise RuntimeError("forced failure")

    @app.get("/api/v1/h8-boom")
    def api_boom() -> Any:
        raise RuntimeError("forced failure")

    app.testing = False  # the error handlers answer, as in production
    return app


def test_secrets_never_appear_in_logs_or_pages(
    make_app: Any, fake: FakeStripe, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _crashing_app(
        make_app,
        SECRET_KEY=FLASK_SECRET,
        STRIPE_SECRET_KEY=STRIPE_SECRET,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=fake.api_base,
        MAIL_PASSWORD=MAIL_PASSWORD,
        MAIL_BACKEND="memory",
    )
    secrets = [FLASK_SECRET, STRIPE_SECRET, WEBHOOK_SECRET, MAIL_PASSWORD, factories.PASSWORD, NEW_PASSWORD]
    secrets.append(WRONG_PASSWORD)
    database_password = make_url(database_url).password
    if database_password:
        secrets.append(database_password)
    with app.app_context():
        owner = factories.org_member()
        project = factories.project(owner, status="published", reviewer=factories.staff())
        factories.foundation()
        company_email = factories.company_member().email
        project_id = project.id
    pages: list[str] = []

    def keep(response: Any) -> Any:
        pages.append(response.get_data(as_text=True))
        pages.append(str(response.headers))
        return response

    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    keep(client.post("/login", data={"email": company_email, "password": WRONG_PASSWORD}))
    keep(client.post("/login", data={"email": "nobody@example.cn", "password": WRONG_PASSWORD}))
    keep(client.post("/api/v1/tokens", json={"email": company_email, "password": WRONG_PASSWORD}))
    keep(client.post("/api/v1/tokens", json={"email": company_email, "password": factories.PASSWORD}))
    keep(client.post("/login", data={"email": company_email, "password": factories.PASSWORD}))
    keep(client.get("/h8-boom"))
    keep(client.get("/api/v1/h8-boom"))
    keep(client.get(f"/projects/{project_id}/pledge"))
    form = keep(client.get(f"/projects/{project_id}/pledge")).get_data(as_text=True)
    token = form.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    checkout = keep(
        client.post(f"/projects/{project_id}/pledge", data={"amount": "50", "method": "card", "token": token})
    )
    assert checkout.status_code == 303
    keep(client.get(checkout.headers["Location"]))
    with app.app_context():
        session_id = db.session.scalar(select(Pledge.checkout_session_id))
    assert session_id, "the card checkout reached the fake Stripe"
    completed = fake.complete_session(session_id)
    event = fake.event("checkout.session.completed", completed)
    keep(post_event(app.test_client(), event, secret="whsec_someone_else"))
    keep(post_event(app.test_client(), event, secret=WEBHOOK_SECRET))
    keep(
        client.post(
            "/account/password",
            data={
                "current_password": WRONG_PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD,
            },
        )
    )
    keep(
        client.post(
            "/account/password",
            data={
                "current_password": factories.PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD,
            },
        )
    )
    keep(app.test_client().post("/signup/company", data={"email": "x@example.cn", "password": NEW_PASSWORD}))

    with app.app_context():
        assert db.session.scalar(select(Pledge.status)) == "paid", "the webhook path really ran"
    logged = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    assert "forced failure" in logged, "the crash is logged (with its traceback) for operators"
    for secret in secrets:
        assert secret not in logged, f"a secret reached the log: {secret[:6]}…"
        for page in pages:
            assert secret not in page, f"a secret reached a response: {secret[:6]}…"


def _events(app: Flask, request_id: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.request_id == request_id)))
        for event in events:
            db.session.expunge(event)
        return events


def _user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))  # type: ignore[return-value]


def test_logins_money_and_staff_decisions_are_audited_with_user_ip_and_request_id(
    app: Flask, world: factories.World
) -> None:
    staff_id = _user_id(app, world.staff_email)
    company_id = _user_id(app, world.company_email)
    client = app.test_client()

    def post(path: str, request_id: str, **data: str) -> Any:
        return client.post(path, data=data, headers={"X-Request-Id": request_id})

    # Logins, failed and successful.
    assert (
        post("/login", "rid-login-failed", email=world.company_email, password=WRONG_PASSWORD).status_code
        == 422
    )
    assert (
        post("/login", "rid-login-ok", email=world.company_email, password=factories.PASSWORD).status_code
        == 302
    )
    # A money state change: the company pledges, staff confirm the transfer.
    with app.app_context():
        project = db.session.get(Project, world.published_id)
        company_user = db.session.get(User, company_id)
        pledge_id = factories.pledge(project, company_user, 20_000, paid=False).id
    client.post("/logout")
    assert (
        post("/login", "rid-staff-login", email=world.staff_email, password=factories.PASSWORD).status_code
        == 302
    )
    confirmed = post(
        f"/staff/pledges/{pledge_id}/confirm",
        "rid-money",
        received_amount="200.00",
        bank_reference="H8-BANK-1",
    )
    assert confirmed.status_code in (302, 303)
    # A staff decision: publishing a submitted project.
    published = post(f"/projects/{world.submitted_id}/transitions", "rid-decision", action="publish")
    assert published.status_code in (302, 303)

    expected = {
        "rid-login-failed": ("account.login_failed", company_id),
        "rid-login-ok": ("account.logged_in", company_id),
        "rid-money": ("pledge.paid", staff_id),
        "rid-decision": ("project.publish", staff_id),
    }
    for request_id, (action, actor_id) in expected.items():
        events = _events(app, request_id)
        matching = [event for event in events if event.action.startswith(action)]
        assert matching, (request_id, [event.action for event in events])
        for event in matching:
            assert event.actor_id == actor_id, (request_id, event.action)
            assert event.ip == "127.0.0.1", (request_id, event.action)
            assert event.request_id == request_id
    # Without a header the server makes one up, and the response tells the client which.
    response = client.post(f"/staff/pledges/{pledge_id}/refund", data={"amount": "50.00"})
    generated = response.headers["X-Request-Id"]
    assert generated and [event.action for event in _events(app, generated)]


def test_an_unusable_request_id_header_is_replaced(app: Flask, world: factories.World) -> None:
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": world.org_email, "password": factories.PASSWORD},
        headers={"X-Request-Id": "请求-非ASCII"},
    )
    request_id = response.headers["X-Request-Id"]
    assert request_id.isascii() and request_id != "请求-非ASCII"
    assert [event.action for event in _events(app, request_id)] == ["account.logged_in"]
