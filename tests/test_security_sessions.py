"""Session cookies in production (RELIABILITY.md, Web security: "cookies `HttpOnly`, `SameSite=Lax`,
`Secure` in production"). tests/test_accounts.py covers HttpOnly and SameSite over plain HTTP; here
the production setting (MARKETPLACE_SESSION_COOKIE_SECURE=true behind HTTPS) marks both the session
and the remember-me cookie Secure, and the development default does not (browsers would drop it)."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.config import environment_overrides
from tests import factories


def login_cookies(app: Any, email: str) -> dict[str, str]:
    response = app.test_client().post(
        "/login", data={"email": email, "password": factories.PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    return {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("secure", [True, False], ids=["production", "development"])
def test_session_and_remember_cookies(make_app: Any, secure: bool) -> None:
    environment = {"MARKETPLACE_SESSION_COOKIE_SECURE": "true", "MARKETPLACE_REMEMBER_COOKIE_SECURE": "true"}
    settings = environment_overrides(environment) if secure else {}
    app = make_app(**settings)
    with app.app_context():
        email = factories.org_member().email
    cookies = login_cookies(app, email)
    for name in ("session", "remember_token"):
        cookie = cookies[name]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        assert ("; Secure" in cookie) is secure, cookie
