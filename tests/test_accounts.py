"""Sign-up, login, logout, sessions and password changes through the real pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.parties.models import Company, Organization
from marketplace.parties.uscc import CHARSET
from tests import factories

NEW_PASSWORD = "Brand-New-Secret-77"


def org_signup(**overrides: Any) -> dict[str, Any]:
    n = next(factories._sequence)
    data: dict[str, Any] = {
        "party_name": f"鹿城区青年志愿服务中心{n}",
        "uscc": factories.unique_uscc("52330302"),
        "district": "鹿城区",
        "business_areas": ["elderly", "children"],
        "community": "五马街道",
        "name": "陈晓",
        "contact_phone": "13857712345",
        "email": f"signup{n}@example.cn",
        "password": factories.PASSWORD,
    }
    data.update(overrides)
    return data


def company_signup(**overrides: Any) -> dict[str, Any]:
    n = next(factories._sequence)
    data: dict[str, Any] = {
        "party_name": f"温州爱心实业有限公司{n}",
        "uscc": factories.unique_uscc("91330302"),
        "district": "瓯海区",
        "industry": "制造业",
        "focus_categories": ["children"],
        "name": "林总",
        "contact_phone": "0577-88881234",
        "email": f"firm{n}@example.cn",
        "password": factories.PASSWORD,
    }
    data.update(overrides)
    return data


def wrong_check_character(uscc: str) -> str:
    return uscc[:17] + next(ch for ch in CHARSET if ch != uscc[17])


def row_counts(app: Flask) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (User, Organization, Company, AuditEvent)
        )


def html(response: Any) -> str:
    return response.get_data(as_text=True)


# ───────────── sign-up ─────────────


def test_signup_chooser_offers_both_kinds(client: Any) -> None:
    page = html(client.get("/signup"))
    assert "/signup/organization" in page
    assert "/signup/company" in page


@pytest.mark.parametrize("path", ["/signup/organization", "/signup/company"])
def test_signup_forms_render_in_chinese(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = html(response)
    assert "统一社会信用代码" in page
    assert "鹿城区" in page  # district choices come from the database


def test_signup_organization_creates_pending_party_and_logs_in(app: Flask, client: Any) -> None:
    data = org_signup()
    response = client.post("/signup/organization", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")

    dashboard = html(client.get("/dashboard"))
    assert "等待团区委认证" in dashboard
    assert data["party_name"] in dashboard

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == data["email"]))
        assert user is not None and user.role == Role.ORG and user.name == "陈晓"
        organization = user.organization
        assert organization.name == data["party_name"]
        assert organization.verification_status == "pending"
        assert [area.slug for area in organization.business_areas] == ["elderly", "children"]
        assert organization.contact_name == "陈晓"
        assert organization.contact_email == data["email"]


def test_signup_company_creates_pending_company_and_logs_in(app: Flask, client: Any) -> None:
    data = company_signup()
    response = client.post("/signup/company", data=data)
    assert response.status_code == 302
    assert "等待团区委认证" in html(client.get("/dashboard"))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == data["email"]))
        assert user is not None and user.role == Role.COMPANY
        assert user.company.verification_status == "pending"
        assert user.company.industry == "制造业"
        assert [category.slug for category in user.company.focus_categories] == ["children"]


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"uscc": "WRONG"}, "校验位"),  # replaced below with a real code whose last character is wrong
        ({"password": "Short-1"}, "至少需要 10 个字符"),
        ({"password": "qwertyuiop"}, "过于常见"),
        ({"district": "杭州市"}, "不是温州市的区县"),
        ({"contact_phone": ""}, "请填写联系电话"),
        ({"business_areas": []}, "请至少选择一个服务领域"),
        ({"email": "not-an-email"}, "有效的电子邮箱"),
    ],
    ids=[
        "uscc-check-character",
        "short-password",
        "common-password",
        "unknown-district",
        "no-phone",
        "no-business-area",
        "bad-email",
    ],
)
def test_bad_organization_signup_saves_nothing(
    app: Flask, client: Any, overrides: dict[str, Any], field_message: str
) -> None:
    data = org_signup(**overrides)
    if overrides.get("uscc") == "WRONG":
        data["uscc"] = wrong_check_character(factories.unique_uscc())
    before = row_counts(app)
    response = client.post("/signup/organization", data=data)
    assert response.status_code == 422
    assert field_message in html(response)
    assert row_counts(app) == before
    # Not logged in either.
    assert client.get("/dashboard").status_code == 302


def test_bad_company_signup_saves_nothing(app: Flask, client: Any) -> None:
    data = company_signup(uscc=wrong_check_character(factories.unique_uscc("91330302")))
    before = row_counts(app)
    response = client.post("/signup/company", data=data)
    assert response.status_code == 422
    assert "校验位" in html(response)
    assert row_counts(app) == before


def test_duplicate_email_is_refused(app: Flask, client: Any) -> None:
    with app.app_context():
        existing = factories.org_member().email
    before = row_counts(app)
    response = client.post("/signup/company", data=company_signup(email=existing.upper()))
    assert response.status_code == 422
    assert "该邮箱已注册" in html(response)
    assert row_counts(app) == before


def test_person_and_party_name_errors_are_both_shown(app: Flask, client: Any) -> None:
    response = client.post("/signup/organization", data=org_signup(name="", party_name=""))
    page = html(response)
    assert response.status_code == 422
    assert "请填写您的姓名" in page
    assert "请填写名称" in page


def test_every_reason_is_reported_at_once(client: Any) -> None:
    data = org_signup(password="short", district="", contact_phone="")
    data["uscc"] = wrong_check_character(data["uscc"])
    page = html(client.post("/signup/organization", data=data))
    for reason in ("校验位", "至少需要 10 个字符", "请选择所在区县", "请填写联系电话"):
        assert reason in page


def test_form_post_without_csrf_token_is_refused(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    before = row_counts(app)
    response = client.post("/signup/organization", data=org_signup())
    assert response.status_code == 400
    assert "请求有误" in html(response)
    assert row_counts(app) == before
    assert (
        client.post("/login", data={"email": "x@example.cn", "password": "whatever-123"}).status_code == 400
    )


def test_form_with_csrf_token_is_accepted(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = html(client.get("/signup/company"))
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/signup/company", data={**company_signup(), "csrf_token": token})
    assert response.status_code == 302


# ───────────── login and logout ─────────────


def test_login_and_logout(client: Any, auth: Any, world: factories.World) -> None:
    response = auth.login(world.org_email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200

    assert client.get("/logout").status_code == 405  # POST only
    response = auth.logout()
    assert response.status_code == 302
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_is_audited(app: Flask, auth: Any, world: factories.World) -> None:
    auth.login(world.org_email)
    auth.login(world.org_email, "wrong-password-123")
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "account.logged_in" in actions
    assert "account.login_failed" in actions


def test_login_page_redirects_a_logged_in_user(client: Any, auth: Any, world: factories.World) -> None:
    auth.login(world.company_email)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")


def test_remember_me_sets_a_cookie_only_when_ticked(client: Any, world: factories.World) -> None:
    plain = client.post("/login", data={"email": world.org_email, "password": factories.PASSWORD})
    assert "remember_token=" not in " ".join(plain.headers.getlist("Set-Cookie"))
    client.post("/logout")
    ticked = client.post(
        "/login", data={"email": world.org_email, "password": factories.PASSWORD, "remember": "y"}
    )
    cookies = ticked.headers.getlist("Set-Cookie")
    remember = next(cookie for cookie in cookies if cookie.startswith("remember_token="))
    assert "HttpOnly" in remember
    assert "SameSite=Lax" in remember


def test_unknown_email_and_wrong_password_look_the_same(client: Any, world: factories.World) -> None:
    unknown = client.post("/login", data={"email": "nobody@example.cn", "password": "Wrong-Password-1"})
    wrong = client.post("/login", data={"email": world.org_email, "password": "Wrong-Password-1"})
    assert unknown.status_code == wrong.status_code == 422
    assert "邮箱或密码不正确" in html(unknown)
    assert html(unknown).replace("nobody@example.cn", "E") == html(wrong).replace(world.org_email, "E")


def test_sixth_wrong_attempt_in_a_minute_is_rate_limited(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        email = factories.org_member().email
    client = app.test_client()
    for _ in range(5):
        assert client.post("/login", data={"email": email, "password": "Wrong-Password-1"}).status_code == 422
    blocked = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert blocked.status_code == 429
    assert "操作太频繁" in html(blocked)
    assert client.get("/login").status_code == 200  # only POSTs are limited


def test_successful_logins_do_not_use_up_the_limit(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        email = factories.org_member().email
    client = app.test_client()
    for _ in range(7):
        assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client: Any, world: factories.World) -> None:
    response = client.post("/login", data={"email": world.org_email, "password": factories.PASSWORD})
    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


def test_login_starts_a_fresh_session(client: Any, world: factories.World) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    client.post("/login", data={"email": world.org_email, "password": factories.PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/organizations", "/organizations"),
        ("//evil.example/steal", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ],
)
def test_login_follows_only_local_next(
    client: Any, world: factories.World, next_url: str, expected: str
) -> None:
    response = client.post(
        "/login",
        query_string={"next": next_url},
        data={"email": world.org_email, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == expected or location.endswith(expected)
    assert "evil" not in location


def test_pages_redirect_anonymous_visitors_to_login(client: Any) -> None:
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


# ───────────── password change ─────────────


def test_password_change_ends_other_sessions(app: Flask, world: factories.World) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    for client in (here, elsewhere):
        client.post("/login", data={"email": world.org_email, "password": factories.PASSWORD})
        assert client.get("/dashboard").status_code == 200

    response = here.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert "密码已修改" in html(here.get(response.headers["Location"]))
    assert here.get("/dashboard").status_code == 200  # this session goes on
    assert elsewhere.get("/dashboard").status_code == 302  # the other one ended

    fresh = app.test_client()
    assert (
        fresh.post("/login", data={"email": world.org_email, "password": factories.PASSWORD}).status_code
        == 422
    )
    assert fresh.post("/login", data={"email": world.org_email, "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "current_password": "Not-The-Password-1",
                "new_password": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD,
            },
            "当前密码不正确",
        ),
        (
            {"current_password": factories.PASSWORD, "new_password": "short", "confirmation": "short"},
            "至少需要",
        ),
        (
            {
                "current_password": factories.PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirmation": "Other-Secret-88",
            },
            "两次输入的新密码不一致",
        ),
    ],
    ids=["wrong-current", "too-short", "mismatch"],
)
def test_bad_password_change_changes_nothing(
    app: Flask, client: Any, auth: Any, world: factories.World, data: dict[str, str], message: str
) -> None:
    auth.login(world.company_email)
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    assert message in html(response)
    assert client.get("/dashboard").status_code == 200
    assert (
        app.test_client()
        .post("/login", data={"email": world.company_email, "password": factories.PASSWORD})
        .status_code
        == 302
    )
