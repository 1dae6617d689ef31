"""Rate limits on logins, API tokens and pledges (RELIABILITY.md, Web security; issue 9: "rate
limits on login, tokens, votes and pledges"). The suite runs with the limiter off; these tests
switch it on with small limits.

- Pledges: PLEDGE_RATE_LIMIT per signed-in user, one budget for the pledge page and the API, so a
  script cannot flood staff's confirmation queue; another user (even from the same address) keeps
  their own budget, and showing the form is never limited.
- Logins: the login page and the API's token exchange share one budget of failed attempts
  (LOGIN_RATE_LIMIT), so switching between them gives no extra guesses.
- Tokens: TOKEN_RATE_LIMIT caps tokens issued per address, successful requests included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts import operations as accounts
from marketplace.extensions import db
from marketplace.pledges.models import Pledge
from tests import factories
from tests.pages import html


@dataclass(frozen=True)
class Scene:
    app: Flask
    project_id: int
    company_email: str
    colleague_email: str  # a member of another verified company
    company_token: str


@pytest.fixture
def scene(make_app: Any) -> Iterator[Scene]:
    app = make_app(RATELIMIT_ENABLED=True, PLEDGE_RATE_LIMIT="3 per minute")
    with app.app_context():
        owner = factories.org_member()
        staff = factories.staff()
        factories.foundation()
        project = factories.project(owner, status="published", reviewer=staff)
        company = factories.company_member()
        other = factories.company_member()
        token = accounts.issue_api_token(company)
        db.session.commit()
        yield Scene(app, project.id, company.email, other.email, token)


def sign_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    return client


def pledge_on_page(client: FlaskClient, project_id: int) -> Any:
    form = client.get(f"/projects/{project_id}/pledge")
    assert form.status_code == 200
    found = re.search(r'name="token" type="hidden" value="([^"]+)"', html(form))
    assert found
    data = {"amount": "100", "method": "bank_transfer", "token": found.group(1)}
    return client.post(f"/projects/{project_id}/pledge", data=data)


def pledge_by_api(scene: Scene, key: str) -> Any:
    return scene.app.test_client().post(
        f"/api/v1/projects/{scene.project_id}/pledges",
        json={"amount": 10_000, "method": "bank_transfer"},
        headers={"Authorization": f"Bearer {scene.company_token}", "Idempotency-Key": key},
    )


def pledge_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Pledge.id))) or 0


def test_the_pledge_page_is_limited_per_user(scene: Scene) -> None:
    client = sign_in(scene.app, scene.company_email)
    assert [pledge_on_page(client, scene.project_id).status_code for _ in range(3)] == [303] * 3
    blocked = pledge_on_page(client, scene.project_id)
    assert blocked.status_code == 429
    assert "操作太频繁" in html(blocked)
    assert pledge_count(scene.app) == 3
    # Showing the form is not limited, and another company's member has a budget of their own.
    assert client.get(f"/projects/{scene.project_id}/pledge").status_code == 200
    colleague = sign_in(scene.app, scene.colleague_email)
    assert pledge_on_page(colleague, scene.project_id).status_code == 303
    assert pledge_count(scene.app) == 4


def test_the_api_and_the_page_share_one_pledge_budget(scene: Scene) -> None:
    client = sign_in(scene.app, scene.company_email)
    assert pledge_on_page(client, scene.project_id).status_code == 303
    assert pledge_by_api(scene, "key-1").status_code == 201
    assert pledge_by_api(scene, "key-2").status_code == 201
    blocked = pledge_by_api(scene, "key-3")
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "rate_limited"
    assert pledge_on_page(client, scene.project_id).status_code == 429
    assert pledge_count(scene.app) == 3


def test_login_page_and_token_exchange_share_the_failed_attempts(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        email = factories.org_member().email
    client = app.test_client()
    wrong = {"email": email, "password": "Wrong-Password-1"}
    for _ in range(3):
        assert client.post("/login", data=wrong).status_code == 422
    for _ in range(2):
        assert client.post("/api/v1/tokens", json=wrong).status_code == 401
    # Six wrong guesses in a minute are never possible, whichever door the sixth one uses.
    assert client.post("/api/v1/tokens", json=wrong).status_code == 429
    assert client.post("/login", data={**wrong, "password": factories.PASSWORD}).status_code == 429


def test_tokens_issued_are_limited_even_when_the_password_is_right(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True, TOKEN_RATE_LIMIT="2 per minute")
    with app.app_context():
        email = factories.company_member().email
    client = app.test_client()
    right = {"email": email, "password": factories.PASSWORD}
    assert [client.post("/api/v1/tokens", json=right).status_code for _ in range(3)] == [201, 201, 429]
    # Successful token requests do not use up the login page's budget of failed attempts.
    assert client.post("/login", data=right).status_code == 302


def test_the_limits_have_production_defaults() -> None:
    from marketplace.config import Defaults

    assert Defaults.LOGIN_RATE_LIMIT == "5 per minute"
    assert Defaults.TOKEN_RATE_LIMIT == "5 per minute"
    assert Defaults.PLEDGE_RATE_LIMIT == "30 per minute"
