"""The matrix's vocabulary, shared by tests/test_access_control.py and tests/access_cases/*."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "org", "other_org", "company", "staff", "admin")

OK = "ok"  # 2xx, or a redirect that is not to the login page
LOGIN = "login"  # pages: redirect to /login; API: 401
DENIED = "denied"  # 403, or 404 where the thing is hidden from this caller
HIDDEN = "hidden"  # exactly 404
INVALID = "invalid"  # allowed in, then 422 for the empty form: the form was reached, nothing saved


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the World's ids
    expect: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    api: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def everyone(outcome: str = OK) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


def members_only(**overrides: str) -> dict[str, str]:
    expect = {"anonymous": LOGIN, "org": OK, "other_org": OK, "company": OK, "staff": OK, "admin": OK}
    expect.update(overrides)
    return expect


STAFF_ONLY = members_only(org=DENIED, other_org=DENIED, company=DENIED)
OWNER_AND_STAFF_SEE = {
    "anonymous": HIDDEN,
    "org": OK,
    "other_org": HIDDEN,
    "company": HIDDEN,
    "staff": OK,
    "admin": OK,
}
