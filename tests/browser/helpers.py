"""Steps the browser journeys share."""

from __future__ import annotations

import re

from tests import factories


def log_in(page, email: str, password: str = factories.PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/dashboard"))
