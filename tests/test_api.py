"""The JSON API under /api/v1: tokens, visibility, validation, mass assignment, the workflow.

Every request goes through ``ApiChecker``, so each response here is also validated against the
OpenAPI document.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import ApiToken, User
from marketplace.extensions import db
from marketplace.money import MAX_GOAL_FEN
from marketplace.projects.models import Project
from marketplace.projects.operations import can_view
from marketplace.timeutil import local_today
from tests import factories
from tests.test_api_openapi import ApiChecker, issue_token

CALLERS = ("anonymous", "org", "other_org", "company", "staff", "admin")
SOMEONE = "someone@example.cn"
SERVER_OWNED = ("status", "raised_amount", "supporters", "organization_id", "owner_id", "id", "featured")


@pytest.fixture
def api(client: FlaskClient) -> ApiChecker:
    return ApiChecker(client)


@pytest.fixture
def tokens(client: FlaskClient, world: factories.World) -> dict[str, str | None]:
    """A bearer token per caller kind (None for anonymous)."""
    return {who: issue_token(client, email) if (email := world.email_for(who)) else None for who in CALLERS}


def valid_project(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "社区长者智能手机课堂",
        "summary": "教社区长者使用智能手机挂号、缴费和视频通话。",
        "description": "## 课程安排\n\n每周两次，每次两小时。",
        "category": "elderly",
        "tags": ["长者", "数字助老"],
        "district": "瓯海区",
        "community": "新桥街道",
        "goal_amount": 800_000,
        "deadline": (local_today() + timedelta(days=20)).isoformat(),
        "funding_model": "keep_it_all",
        "beneficiaries": 120,
        "video_url": "https://example.cn/video/1",
    }
    body.update(overrides)
    return body


def project_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Project)) or 0


def load_project(app: Flask, project_id: int) -> dict[str, Any]:
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project is not None
        return {
            "title": project.title,
            "status": project.status,
            "goal_amount": project.goal_amount,
            "raised_amount": project.raised_amount,
            "organization_id": project.organization_id,
            "featured": project.featured,
            "video_url": project.video_url,
        }


def error_of(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


# ───────────── tokens ─────────────


def test_token_is_issued_once_and_stored_hashed(app: Flask, api: ApiChecker, world: factories.World) -> None:
    response = api.post("/tokens", json_body={"email": world.org_email, "password": factories.PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert response.headers["Cache-Control"] == "no-store"
    raw = body["token"]
    with app.app_context():
        rows = db.session.scalars(select(ApiToken)).all()
        assert len(rows) == 1
        assert rows[0].token_hash == hashlib.sha256(raw.encode()).hexdigest()
        stored = [value for row in rows for value in (row.token_hash, row.name)]
        assert all(raw not in value for value in stored)
    assert api.get("/me", token=raw).get_json()["email"] == world.org_email


def test_email_is_matched_case_insensitively(api: ApiChecker, world: factories.World) -> None:
    body = {"email": world.org_email.upper(), "password": factories.PASSWORD}
    assert api.post("/tokens", json_body=body).status_code == 201


def test_revoked_token_is_refused(api: ApiChecker, client: FlaskClient, world: factories.World) -> None:
    token = issue_token(client, world.company_email)
    kept = issue_token(client, world.company_email)
    assert api.get("/me", token=token).status_code == 200
    assert api.delete("/tokens/current", token=token).status_code == 204
    response = api.get("/me", token=token)
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]
    assert api.delete("/tokens/current", token=token).status_code == 401
    assert api.get("/me", token=kept).status_code == 200, "only the token used is revoked"


def test_wrong_password_and_unknown_email_answer_alike(api: ApiChecker, world: factories.World) -> None:
    wrong_password = api.post("/tokens", json_body={"email": world.org_email, "password": "Wrong-Horse-42"})
    unknown_email = api.post(
        "/tokens", json_body={"email": "nobody@example.cn", "password": "Wrong-Horse-42"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.get_data() == unknown_email.get_data()
    assert error_of(wrong_password)["code"] == "unauthorized"


def test_inactive_user_gets_no_token_and_loses_existing_ones(
    app: Flask, api: ApiChecker, client: FlaskClient, world: factories.World
) -> None:
    token = issue_token(client, world.org_email)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == world.org_email))
        assert user is not None
        user.active = False
        db.session.commit()
    assert api.get("/me", token=token).status_code == 401
    body = {"email": world.org_email, "password": factories.PASSWORD}
    assert api.post("/tokens", json_body=body).status_code == 401


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"email", "password"}),
        ({"email": SOMEONE}, {"password"}),
        ({"email": ["a"], "password": "x"}, {"email"}),
        ({"email": SOMEONE, "password": 12345678901}, {"password"}),
        ({"email": SOMEONE, "password": "x", "role": "admin"}, {"role"}),
    ],
)
def test_token_request_fields_are_checked(api: ApiChecker, body: dict[str, Any], fields: set[str]) -> None:
    response = api.post("/tokens", json_body=body)
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == fields


@pytest.mark.parametrize(
    "header",
    [
        "Bearer qqc_not-a-real-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "qqc_token-without-scheme",
        "Bearer " + "a" * 500,
    ],
)
def test_bad_authorization_header_is_401_even_on_public_endpoints(api: ApiChecker, header: str) -> None:
    for path in ("/projects", "/categories", "/me"):
        response = api.get(path, headers={"Authorization": header})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert error_of(response)["code"] == "unauthorized"


def test_token_creation_ignores_a_stale_bearer_header(api: ApiChecker, world: factories.World) -> None:
    body = {"email": world.org_email, "password": factories.PASSWORD}
    response = api.post("/tokens", json_body=body, headers={"Authorization": "Bearer revoked-long-ago"})
    assert response.status_code == 201


def test_session_cookie_never_authenticates_the_api(
    app: Flask, api: ApiChecker, world: factories.World
) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == world.staff_email))
        assert user is not None
        session_id = user.get_id()
    with api.client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    assert api.get("/me").status_code == 401
    assert api.post("/projects", json_body=valid_project()).status_code == 401
    listed = {item["id"] for item in api.get("/projects?per_page=100").get_json()["items"]}
    assert listed == {world.published_id}, "a staff session cookie must not widen what the API shows"


def test_api_needs_no_csrf_token(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = factories.org_member()
        email = user.email
    api = ApiChecker(app.test_client())
    response = api.post("/tokens", json_body={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert api.post("/projects", token=token, json_body=valid_project()).status_code == 201


def test_token_creation_is_rate_limited(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        email = factories.company_member().email
    api = ApiChecker(app.test_client())
    for _ in range(5):
        assert (
            api.post("/tokens", json_body={"email": email, "password": "Wrong-Horse-42"}).status_code == 401
        )
    response = api.post("/tokens", json_body={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"


# ───────────── me ─────────────


@pytest.mark.parametrize("who", ["org", "company", "staff", "admin"])
def test_me_describes_the_caller(
    api: ApiChecker, tokens: dict[str, Any], world: factories.World, who: str
) -> None:
    body = api.get("/me", token=tokens[who]).get_json()
    assert body["email"] == world.email_for(who)
    assert body["role"] == who
    if who == "org":
        assert body["organization"]["id"] == world.organization_id and body["company"] is None
    elif who == "company":
        assert body["company"]["id"] == world.company_id and body["organization"] is None
    else:
        assert body["organization"] is None and body["company"] is None
    assert "password_hash" not in body


def test_me_needs_a_token(api: ApiChecker) -> None:
    response = api.get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


# ───────────── project list ─────────────


def _expected_visible(world: factories.World, who: str) -> set[int]:
    return {
        "anonymous": {world.published_id},
        "company": {world.published_id},
        "org": {world.draft_id, world.submitted_id, world.published_id},
        "other_org": {world.published_id, world.other_draft_id},
        "staff": {world.draft_id, world.submitted_id, world.published_id, world.other_draft_id},
        "admin": {world.draft_id, world.submitted_id, world.published_id, world.other_draft_id},
    }[who]


@pytest.mark.parametrize("who", CALLERS)
def test_list_shows_what_each_caller_may_see(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World, who: str
) -> None:
    body = api.get("/projects?per_page=100", token=tokens[who]).get_json()
    ids = {item["id"] for item in body["items"]}
    assert ids == _expected_visible(world, who)
    assert body["total"] == len(ids)
    # The list's SQL agrees with the single-project rule the detail page uses.
    with app.app_context():
        user = (
            db.session.scalar(select(User).where(User.email == world.email_for(who)))
            if who != "anonymous"
            else None
        )
        allowed = {project.id for project in db.session.scalars(select(Project)) if can_view(project, user)}
    assert ids == allowed


def test_list_includes_finished_public_states_for_anonymous(
    app: Flask, api: ApiChecker, world: factories.World
) -> None:
    with app.app_context():
        project = db.session.get(Project, world.submitted_id)
        assert project is not None
        project.status = "funded"  # as the deadline job would leave it
        cancelled = db.session.get(Project, world.draft_id)
        assert cancelled is not None
        cancelled.status = "cancelled"
        db.session.commit()
    ids = {item["id"] for item in api.get("/projects").get_json()["items"]}
    assert ids == {world.published_id, world.submitted_id}


def test_list_filters(api: ApiChecker, tokens: dict[str, Any], world: factories.World) -> None:
    staff = tokens["staff"]

    def ids(query: str, token: str | None = staff) -> set[int]:
        response = api.get(f"/projects?{query}", token=token)
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert ids("status=draft") == {world.draft_id, world.other_draft_id}
    assert ids("status=submitted") == {world.submitted_id}
    assert ids("status=draft", token=None) == set()
    assert ids("category=children") == _expected_visible(world, "staff")
    assert ids("category=elderly") == set()
    assert ids("district=鹿城区") == _expected_visible(world, "staff")
    assert ids("district=瓯海区") == set()
    assert ids(f"organization_id={world.other_organization_id}") == {world.other_draft_id}
    assert ids(f"organization_id={world.organization_id}&status=draft") == {world.draft_id}
    assert ids(f"organization_id={world.other_organization_id}", token=tokens["org"]) == set()
    assert ids("organization_id=999999") == set()
    assert ids("status=&category=") == _expected_visible(world, "staff"), "empty filters mean no filter"


def test_list_items_are_summaries(api: ApiChecker, world: factories.World) -> None:
    item = api.get("/projects").get_json()["items"][0]
    assert item["id"] == world.published_id
    assert item["organization"] == {"id": world.organization_id, "name": item["organization"]["name"]}
    assert item["goal_amount"] == 2_000_000 and isinstance(item["raised_amount"], int)
    assert item["deadline"].endswith("+08:00")
    assert "description_html" not in item and "return_reason" not in item


def test_list_pagination(api: ApiChecker, tokens: dict[str, Any], world: factories.World) -> None:
    staff = tokens["staff"]
    first = api.get("/projects?per_page=3", token=staff).get_json()
    second = api.get("/projects?per_page=3&page=2", token=staff).get_json()
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (4, 1, 3, 3)
    assert (second["page"], len(second["items"])) == (2, 1)
    assert {item["id"] for item in first["items"] + second["items"]} == _expected_visible(world, "staff")
    ordered = [item["id"] for item in first["items"]]
    assert ordered == sorted(ordered, reverse=True), "newest first"
    beyond = api.get("/projects?page=50", token=staff).get_json()
    assert beyond["items"] == [] and beyond["total"] == 4
    default = api.get("/projects").get_json()
    assert (default["page"], default["per_page"]) == (1, 20)
    assert api.get("/projects?per_page=100").status_code == 200


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("per_page=101", {"per_page"}),
        ("per_page=0", {"per_page"}),
        ("per_page=-5", {"per_page"}),
        ("page=0", {"page"}),
        ("page=-1", {"page"}),
        ("page=abc", {"page"}),
        ("page=1.5", {"page"}),
        ("page=99999999999999999999", {"page"}),
        ("page=１", {"page"}),
        ("status=open", {"status"}),
        ("status=DRAFT", {"status"}),
        ("category=unicorns", {"category"}),
        ("district=北京市", {"district"}),
        ("organization_id=abc", {"organization_id"}),
        ("organization_id=0", {"organization_id"}),
        ("per_page=500&page=0&status=x&category=y", {"per_page", "page", "status", "category"}),
    ],
)
def test_invalid_list_filters_are_422(api: ApiChecker, query: str, fields: set[str]) -> None:
    response = api.get(f"/projects?{query}")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == fields


# ───────────── project detail ─────────────


def test_detail_of_a_published_project(api: ApiChecker, world: factories.World) -> None:
    body = api.get(f"/projects/{world.published_id}").get_json()
    assert body["id"] == world.published_id
    assert body["status"] == "published"
    assert body["category"] == "children" and body["district"] == "鹿城区"
    assert body["tags"] == ["四点钟课堂", "留守儿童"]
    assert body["goal_amount"] == 2_000_000 and body["raised_amount"] == 0 and body["supporters"] == 0
    assert body["funding_model"] == "all_or_nothing"
    assert body["organization"]["id"] == world.organization_id
    assert body["deadline"].endswith("+08:00") and body["published_at"].endswith("+08:00")
    assert "<h3>" in body["description_html"] and "<li>" in body["description_html"]
    assert body["return_reason"] is None
    assert body["allowed_actions"] == []


@pytest.mark.parametrize(
    ("who", "project", "status"),
    [
        ("anonymous", "draft_id", 404),
        ("company", "draft_id", 404),
        ("other_org", "draft_id", 404),
        ("other_org", "submitted_id", 404),
        ("org", "draft_id", 200),
        ("org", "submitted_id", 200),
        ("staff", "draft_id", 200),
        ("admin", "other_draft_id", 200),
        ("org", "other_draft_id", 404),
        ("anonymous", "published_id", 200),
    ],
)
def test_detail_hides_unpublished_projects(
    api: ApiChecker, tokens: dict[str, Any], world: factories.World, who: str, project: str, status: int
) -> None:
    response = api.get(f"/projects/{getattr(world, project)}", token=tokens[who])
    assert response.status_code == status
    if status == 404:
        assert error_of(response)["code"] == "not_found"


def test_detail_of_a_missing_project_is_404(api: ApiChecker, world: factories.World) -> None:
    assert api.get("/projects/999999").status_code == 404
    assert api.get("/projects/abc").status_code == 404


@pytest.mark.parametrize(
    ("who", "project", "actions"),
    [
        ("org", "draft_id", ["submit", "cancel"]),
        ("org", "submitted_id", ["cancel"]),
        ("org", "published_id", []),
        ("staff", "submitted_id", ["publish", "return", "cancel"]),
        ("staff", "draft_id", ["cancel"]),
        ("company", "published_id", []),
        ("other_org", "published_id", []),
    ],
)
def test_allowed_actions_are_for_the_caller(
    api: ApiChecker,
    tokens: dict[str, Any],
    world: factories.World,
    who: str,
    project: str,
    actions: list[str],
) -> None:
    body = api.get(f"/projects/{getattr(world, project)}", token=tokens[who]).get_json()
    assert body["allowed_actions"] == actions


def test_description_html_is_sanitised(api: ApiChecker, tokens: dict[str, Any]) -> None:
    description = "<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)> **好**"
    body = api.post(
        "/projects", token=tokens["org"], json_body=valid_project(description=description)
    ).get_json()
    assert body["description"] == description
    html = body["description_html"].lower()
    assert (
        "<script" not in html and "javascript:" not in html and "onerror" not in html and "<img" not in html
    )
    assert "<strong>好</strong>" in body["description_html"]


# ───────────── create ─────────────


def test_org_member_creates_a_draft(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World
) -> None:
    before = project_count(app)
    response = api.post("/projects", token=tokens["org"], json_body=valid_project())
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/projects/{body['id']}")
    assert body["status"] == "draft"
    assert body["goal_amount"] == 800_000 and body["raised_amount"] == 0
    assert body["organization"]["id"] == world.organization_id
    assert body["allowed_actions"] == ["submit", "cancel"]
    assert body["deadline"].endswith("T23:59:59+08:00")
    assert project_count(app) == before + 1
    assert api.get(f"/projects/{body['id']}", token=tokens["org"]).status_code == 200
    assert api.get(f"/projects/{body['id']}").status_code == 404, "a new draft is not public"


def test_create_accepts_a_datetime_deadline_and_minimal_fields(
    api: ApiChecker, tokens: dict[str, Any]
) -> None:
    moment = (local_today() + timedelta(days=10)).isoformat() + "T18:00:00+08:00"
    required = {
        name: value
        for name, value in valid_project(deadline=moment).items()
        if name in {"title", "summary", "category", "district", "goal_amount", "deadline", "funding_model"}
    }
    response = api.post("/projects", token=tokens["org"], json_body=required)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["deadline"] == moment
    assert body["tags"] == [] and body["video_url"] is None and body["description_html"] == ""


BAD_INPUTS = [
    ("goal_amount", "5000"),
    ("goal_amount", 5000.5),
    ("goal_amount", 5000.0),
    ("goal_amount", True),
    ("goal_amount", 0),
    ("goal_amount", -100),
    ("goal_amount", MAX_GOAL_FEN + 1),
    ("goal_amount", None),
    ("tags", "长者,助老"),
    ("tags", [1, 2]),
    ("tags", [f"标签{n}" for n in range(9)]),
    ("tags", ["这是一个非常非常非常长的标签"]),
    ("title", ""),
    ("title", "   "),
    ("title", "长" * 61),
    ("title", 42),
    ("summary", None),
    ("summary", "短" * 141),
    ("category", "unicorns"),
    ("category", ["elderly"]),
    ("district", "北京市"),
    ("district", 1),
    ("deadline", "tomorrow"),
    ("deadline", "2020-01-01"),
    ("deadline", (local_today() + timedelta(days=800)).isoformat()),
    ("deadline", 20991231),
    ("funding_model", "whatever"),
    ("funding_model", ["keep_it_all"]),
    ("beneficiaries", "60"),
    ("beneficiaries", -1),
    ("beneficiaries", 1.5),
    ("video_url", "javascript:alert(1)"),
    ("video_url", "ftp://example.cn/x"),
    ("community", 5),
    ("description", {"text": "x"}),
]


@pytest.mark.parametrize(("field", "value"), BAD_INPUTS, ids=[f"{f}-{v!r}"[:40] for f, v in BAD_INPUTS])
def test_create_rejects_bad_input_and_saves_nothing(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], field: str, value: Any
) -> None:
    before = project_count(app)
    response = api.post("/projects", token=tokens["org"], json_body=valid_project(**{field: value}))
    assert response.status_code == 422, response.get_json()
    assert set(error_of(response)["fields"]) == {field}
    assert project_count(app) == before


def test_create_names_every_missing_field(app: Flask, api: ApiChecker, tokens: dict[str, Any]) -> None:
    response = api.post("/projects", token=tokens["org"], json_body={})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) >= {
        "title",
        "summary",
        "category",
        "district",
        "goal_amount",
        "deadline",
        "funding_model",
    }


@pytest.mark.parametrize("field", [*SERVER_OWNED, "goal_yuan", "created_by_id", "cover_image", "unknown"])
def test_mass_assignment_is_refused(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World, field: str
) -> None:
    before = project_count(app)
    values = {"status": "published", "raised_amount": 10**9, "organization_id": world.other_organization_id}
    body = valid_project(**{field: values.get(field, 1)})
    response = api.post("/projects", token=tokens["org"], json_body=body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["fields"] == {field: "不允许设置该字段"}
    assert project_count(app) == before


def test_mass_assignment_names_each_field(api: ApiChecker, tokens: dict[str, Any]) -> None:
    body = valid_project(status="published", featured=True, owner_id=1, goal_amount="1")
    response = api.post("/projects", token=tokens["org"], json_body=body)
    assert set(error_of(response)["fields"]) == {"status", "featured", "owner_id", "goal_amount"}


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "{", "content_type": "application/json"}, 400),
        ({"data": "", "content_type": "application/json"}, 400),
        ({"data": '{"title": "x",}', "content_type": "application/json"}, 400),
        ({"data": "[]", "content_type": "application/json"}, 400),
        ({"data": '"a string"', "content_type": "application/json"}, 400),
        ({"data": "42", "content_type": "application/json"}, 400),
        ({"data": "null", "content_type": "application/json"}, 400),
        ({"data": b'{"title": "\xff"}', "content_type": "application/json"}, 400),
        ({"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"}, 400),
        ({"data": "title=x", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": '{"title": "x"}', "content_type": "text/plain"}, 415),
        ({"data": '{"title": "x"}'}, 415),
    ],
)
def test_malformed_bodies(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], kwargs: dict[str, Any], status: int
) -> None:
    before = project_count(app)
    response = api.post("/projects", token=tokens["org"], **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert error_of(response)["code"] in ("bad_request", "unsupported_media_type")
    assert project_count(app) == before


def test_json_content_type_with_charset_is_accepted(api: ApiChecker, tokens: dict[str, Any]) -> None:
    response = api.post(
        "/projects",
        token=tokens["org"],
        data=json.dumps(valid_project()),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("company", 403), ("staff", 403), ("admin", 403)]
)
def test_only_org_members_create(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], who: str, status: int
) -> None:
    before = project_count(app)
    assert api.post("/projects", token=tokens[who], json_body=valid_project()).status_code == status
    assert project_count(app) == before


# ───────────── update ─────────────


def test_owner_edits_a_draft(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World
) -> None:
    response = api.patch(
        f"/projects/{world.draft_id}",
        token=tokens["org"],
        json_body={"title": "社区图书角（第二期）", "goal_amount": 1_234_56, "video_url": None},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "社区图书角（第二期）" and body["goal_amount"] == 123_456
    stored = load_project(app, world.draft_id)
    assert (stored["title"], stored["goal_amount"], stored["video_url"]) == (
        "社区图书角（第二期）",
        123_456,
        None,
    )


def test_owner_edits_a_returned_project(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World
) -> None:
    transitions = f"/projects/{world.submitted_id}/transitions"
    api.post(transitions, token=tokens["staff"], json_body={"action": "return", "reason": "请补充预算明细"})
    response = api.patch(
        f"/projects/{world.submitted_id}", token=tokens["org"], json_body={"summary": "新的简介"}
    )
    assert response.status_code == 200
    assert response.get_json()["return_reason"] == "请补充预算明细"


@pytest.mark.parametrize(
    ("who", "project", "status"),
    [
        ("anonymous", "draft_id", 401),
        ("other_org", "draft_id", 404),
        ("company", "draft_id", 404),
        ("other_org", "published_id", 403),
        ("company", "published_id", 403),
        ("staff", "draft_id", 403),
        ("org", "published_id", 409),
        ("org", "submitted_id", 409),
        ("org", "other_draft_id", 404),
    ],
)
def test_who_may_edit_what(
    app: Flask,
    api: ApiChecker,
    tokens: dict[str, Any],
    world: factories.World,
    who: str,
    project: str,
    status: int,
) -> None:
    project_id = getattr(world, project)
    before = load_project(app, project_id)
    response = api.patch(f"/projects/{project_id}", token=tokens[who], json_body={"title": "被改掉的标题"})
    assert response.status_code == status
    assert load_project(app, project_id) == before


@pytest.mark.parametrize("field", SERVER_OWNED)
def test_patch_mass_assignment_changes_nothing(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World, field: str
) -> None:
    before = load_project(app, world.draft_id)
    body = {"title": "合法的新标题", field: {"status": "published", "featured": True}.get(field, 10**6)}
    response = api.patch(f"/projects/{world.draft_id}", token=tokens["org"], json_body=body)
    assert response.status_code == 422
    assert error_of(response)["fields"] == {field: "不允许设置该字段"}
    assert load_project(app, world.draft_id) == before


@pytest.mark.parametrize(
    ("field", "value"), [("title", None), ("goal_amount", "5000"), ("tags", "a b"), ("deadline", None)]
)
def test_patch_type_errors(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World, field: str, value: Any
) -> None:
    before = load_project(app, world.draft_id)
    response = api.patch(f"/projects/{world.draft_id}", token=tokens["org"], json_body={field: value})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {field}
    assert load_project(app, world.draft_id) == before


# ───────────── transitions ─────────────


def _transition(api: ApiChecker, token: str | None, project_id: int, **body: Any) -> Any:
    return api.post(f"/projects/{project_id}/transitions", token=token, json_body=body)


def test_review_workflow(app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World) -> None:
    org, staff = tokens["org"], tokens["staff"]
    response = _transition(api, org, world.draft_id, action="submit")
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"
    response = _transition(api, staff, world.draft_id, action="return", reason="请补充预算明细")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "returned" and body["return_reason"] == "请补充预算明细"
    assert api.get(f"/projects/{world.draft_id}", token=org).get_json()["return_reason"] == "请补充预算明细"
    assert _transition(api, org, world.draft_id, action="revise").get_json()["status"] == "draft"
    assert _transition(api, org, world.draft_id, action="submit").get_json()["status"] == "submitted"
    response = _transition(api, staff, world.draft_id, action="publish")
    assert response.status_code == 200
    assert response.get_json()["status"] == "published" and response.get_json()["published_at"]
    assert api.get(f"/projects/{world.draft_id}").status_code == 200, "now public"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_return_needs_a_reason(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World, reason: str | None
) -> None:
    body = {"action": "return"} if reason is None else {"action": "return", "reason": reason}
    response = _transition(api, tokens["staff"], world.submitted_id, **body)
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"reason"}
    assert load_project(app, world.submitted_id)["status"] == "submitted"


@pytest.mark.parametrize(
    ("who", "project", "action", "status"),
    [
        ("org", "submitted_id", "publish", 403),
        ("org", "submitted_id", "return", 403),
        ("company", "published_id", "cancel", 403),
        ("company", "published_id", "publish", 403),
        ("other_org", "published_id", "cancel", 403),
        ("staff", "draft_id", "submit", 403),
        ("org", "published_id", "submit", 409),
        ("org", "published_id", "cancel", 409),
        ("staff", "published_id", "publish", 409),
        ("staff", "draft_id", "publish", 409),
        ("org", "draft_id", "revise", 409),
        ("anonymous", "published_id", "cancel", 401),
        ("other_org", "draft_id", "submit", 404),
        ("company", "submitted_id", "publish", 404),
        ("org", "draft_id", "fund", 422),
        ("staff", "published_id", "close", 422),
        ("org", "draft_id", "explode", 422),
    ],
)
def test_transition_permissions_and_states(
    app: Flask,
    api: ApiChecker,
    tokens: dict[str, Any],
    world: factories.World,
    who: str,
    project: str,
    action: str,
    status: int,
) -> None:
    project_id = getattr(world, project)
    before = load_project(app, project_id)
    response = _transition(api, tokens[who], project_id, action=action, reason="理由")
    assert response.status_code == status, response.get_json()
    assert load_project(app, project_id) == before


def test_staff_and_owner_may_cancel(
    app: Flask, api: ApiChecker, tokens: dict[str, Any], world: factories.World
) -> None:
    assert (
        _transition(api, tokens["staff"], world.submitted_id, action="cancel").get_json()["status"]
        == "cancelled"
    )
    assert (
        _transition(api, tokens["org"], world.draft_id, action="cancel").get_json()["status"] == "cancelled"
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"action"}),
        ({"action": 1}, {"action"}),
        ({"action": "return", "reason": 5}, {"reason"}),
        ({"action": "return", "reason": "长" * 501}, {"reason"}),
        ({"action": "submit", "status": "published"}, {"status"}),
    ],
)
def test_transition_body_is_checked(
    app: Flask,
    api: ApiChecker,
    tokens: dict[str, Any],
    world: factories.World,
    body: dict[str, Any],
    fields: set[str],
) -> None:
    response = api.post(f"/projects/{world.submitted_id}/transitions", token=tokens["staff"], json_body=body)
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == fields
    assert load_project(app, world.submitted_id)["status"] == "submitted"


# ───────────── organizations and companies ─────────────


@pytest.fixture
def pending(app: Flask, world: factories.World) -> dict[str, Any]:
    with app.app_context():
        org_user = factories.org_member(verified=False)
        company_user = factories.company_member(verified=False)
        return {
            "organization_id": org_user.organization_id,
            "org_email": org_user.email,
            "company_id": company_user.company_id,
            "company_email": company_user.email,
        }


def test_verified_organization_is_public_without_contact(api: ApiChecker, world: factories.World) -> None:
    response = api.get(f"/organizations/{world.organization_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == world.organization_id and body["verification_status"] == "verified"
    assert body["business_areas"] == ["elderly"] and body["district"] == "鹿城区"
    assert body["contact"] is None
    text = response.get_data(as_text=True)
    assert "13857712345" not in text and "@example.cn" not in text


def test_members_and_staff_see_contact_details(
    api: ApiChecker, tokens: dict[str, Any], world: factories.World
) -> None:
    own = api.get(f"/organizations/{world.organization_id}", token=tokens["org"]).get_json()
    assert own["contact"]["phone"] == "13857712345"
    assert api.get(f"/organizations/{world.organization_id}", token=tokens["staff"]).get_json()["contact"]
    for who in ("other_org", "company"):
        assert (
            api.get(f"/organizations/{world.organization_id}", token=tokens[who]).get_json()["contact"]
            is None
        )
    company = api.get(f"/companies/{world.company_id}", token=tokens["company"]).get_json()
    assert company["contact"]["phone"] == "13857712345"
    assert api.get(f"/companies/{world.company_id}", token=tokens["org"]).get_json()["contact"] is None


def test_company_profile(api: ApiChecker, world: factories.World) -> None:
    body = api.get(f"/companies/{world.company_id}").get_json()
    assert body["focus_categories"] == ["children"] and body["industry"] == "制造业"
    assert body["yearly_budget"] is None and body["districts_of_interest"] == []
    assert body["contact"] is None


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("anonymous", False),
        ("org", False),
        ("company", False),
        ("staff", True),
        ("admin", True),
        ("self", True),
    ],
)
def test_pending_parties_are_hidden(
    client: FlaskClient,
    api: ApiChecker,
    tokens: dict[str, Any],
    pending: dict[str, Any],
    who: str,
    visible: bool,
) -> None:
    org_token = issue_token(client, pending["org_email"]) if who == "self" else tokens[who]
    company_token = issue_token(client, pending["company_email"]) if who == "self" else tokens[who]
    org_response = api.get(f"/organizations/{pending['organization_id']}", token=org_token)
    company_response = api.get(f"/companies/{pending['company_id']}", token=company_token)
    assert org_response.status_code == company_response.status_code == (200 if visible else 404)
    if visible:
        assert org_response.get_json()["verification_status"] == "pending"


def test_missing_parties_are_404(api: ApiChecker, world: factories.World) -> None:
    assert api.get("/organizations/999999").status_code == 404
    assert api.get("/companies/999999").status_code == 404


def test_company_member_id_does_not_unlock_an_organization_with_the_same_id(
    app: Flask, client: FlaskClient, api: ApiChecker, pending: dict[str, Any]
) -> None:
    token = issue_token(client, pending["company_email"])
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == pending["company_email"]))
        assert user is not None and user.organization_id is None
    assert api.get(f"/organizations/{pending['organization_id']}", token=token).status_code == 404


# ───────────── reference data and errors ─────────────


def test_reference_data(api: ApiChecker, world: factories.World) -> None:
    categories = api.get("/categories").get_json()["items"]
    districts = api.get("/districts").get_json()["items"]
    assert len(categories) == 13 and categories[0] == {
        "slug": "elderly",
        "name": "扶老助老",
        "name_en": "Elderly care",
    }
    assert len(districts) == 12 and districts[0] == {"name": "鹿城区", "name_en": "Lucheng"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/nowhere", 404),
        ("get", "/projects/", 404),
        ("post", "/me", 405),
        ("put", "/projects/1", 405),
        ("delete", "/projects", 405),
    ],
)
def test_unknown_routes_and_methods_answer_json(api: ApiChecker, method: str, path: str, status: int) -> None:
    response = api.request(method, path)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert b"<html" not in response.get_data().lower()
    assert error_of(response)["code"] in ("not_found", "method_not_allowed")


@pytest.mark.parametrize("language", ["en", "zh", "fr"])
def test_errors_keep_their_shape_in_any_language(
    api: ApiChecker, world: factories.World, language: str
) -> None:
    response = api.get("/projects?per_page=1000", headers={"Accept-Language": language})
    assert response.status_code == 422
    error = error_of(response)
    assert error["message"] and error["fields"]["per_page"]
    assert api.get(f"/projects/{world.draft_id}", headers={"Accept-Language": language}).status_code == 404


def test_chinese_is_the_default_language(api: ApiChecker) -> None:
    error = error_of(api.get("/me"))
    assert error["message"] == "请先登录"


def test_responses_vary_by_authorization(api: ApiChecker) -> None:
    response = api.get("/projects")
    assert "Authorization" in response.headers["Vary"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
