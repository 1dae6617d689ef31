"""The moderation API: anyone reports (with or without a token), staff list reports and decide.
Every request goes through ``ApiChecker``, so every response is validated against the OpenAPI
document, and the last test produces each documented response at least once."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.moderation.models import AbuseReport
from marketplace.projects.models import Project
from tests import factories
from tests.test_api_openapi import HTTP_METHODS, SPEC, ApiChecker, issue_token

# Covered here, not by tests/test_api_openapi.py::test_every_endpoint_matches_the_document.
MODERATION_PATHS = frozenset({"/reports", "/moderation/reports", "/moderation/reports/{report_id}/decision"})


class Scene:
    def __init__(self, app: Flask, client: FlaskClient):
        with app.app_context():
            staff = factories.staff()
            member = factories.org_member()
            company = factories.company_member()
            project = factories.project(member, status="published", reviewer=staff, title="护河小卫士")
            self.project_id = project.id
            self.draft_id = factories.project(member, title="护河小卫士（筹备中）").id
            self.pledge_id = factories.pledge(project, company, 30_000, message="为瓯江加油").id
            self.organization_id = member.organization_id
            emails = {"staff": staff.email, "member": member.email, "company": company.email}
        self.tokens = {who: issue_token(client, email) for who, email in emails.items()}
        self.app = app

    def state(self) -> tuple[Any, ...]:
        with self.app.app_context():
            return (
                tuple(
                    db.session.execute(select(AbuseReport.id, AbuseReport.status).order_by(AbuseReport.id))
                ),
                tuple(db.session.scalars(select(Project.hidden_at).order_by(Project.id))),
                db.session.scalar(select(func.count()).select_from(AuditEvent)),
            )


@pytest.fixture
def api(client: FlaskClient) -> ApiChecker:
    return ApiChecker(client)


@pytest.fixture
def scene(app: Flask, client: FlaskClient) -> Scene:
    return Scene(app, client)


def _report(api: ApiChecker, scene: Scene, token: str | None = None, **overrides: Any) -> Any:
    body = {
        "kind": "project",
        "subject_id": scene.project_id,
        "reason": "fraud",
        "details": "照片盗用",
        **overrides,
    }
    return api.post("/reports", token=token, json_body=body)


def test_anyone_reports_once_and_staff_decide(api: ApiChecker, scene: Scene) -> None:
    anonymous = _report(api, scene)
    assert anonymous.status_code == 201
    receipt = anonymous.get_json()
    assert receipt["status"] == "open" and receipt["kind"] == "project" and "details" not in receipt
    again = _report(api, scene, reason="spam")
    assert again.status_code == 200 and again.get_json()["id"] == receipt["id"]
    company = _report(
        api, scene, token=scene.tokens["company"], kind="pledge_message", subject_id=scene.pledge_id
    )
    assert company.status_code == 201

    listed = api.get("/moderation/reports?status=open", token=scene.tokens["staff"]).get_json()
    assert listed["total"] == 2 and {item["kind"] for item in listed["items"]} == {
        "project",
        "pledge_message",
    }
    only = api.get("/moderation/reports?kind=pledge_message", token=scene.tokens["staff"]).get_json()
    assert [item["subject_id"] for item in only["items"]] == [scene.pledge_id]

    decision = f"/moderation/reports/{receipt['id']}/decision"
    hidden = api.post(decision, token=scene.tokens["staff"], json_body={"decision": "hide", "note": "先隐藏"})
    assert hidden.status_code == 200 and hidden.get_json()["held"] is True
    assert api.get(f"/projects/{scene.project_id}").status_code == 404
    actioned = api.post(
        decision, token=scene.tokens["staff"], json_body={"decision": "action", "note": "属实"}
    )
    result = actioned.get_json()
    assert result["held"] is True and [item["status"] for item in result["reports"]] == ["actioned"]
    assert result["reports"][0]["decision_note"] == "属实"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"reason": "boring"},
            "reason",
            "举报原因只能是：虚假信息/诈骗、违法违规、侵权、骚扰或仇恨言论、垃圾广告、其他",
        ),
        ({"reason": "other", "details": ""}, "details", "选择“其他”时请写明举报理由"),
        ({"details": "字" * 501}, "details", "补充说明不能超过 500 个字（现在 501 个字）"),
        ({"kind": "user"}, "kind", "只能举报项目、组织或认捐留言"),
        ({"subject_id": "1"}, "subject_id", "应为整数编号"),
    ],
)
def test_bad_reports_save_nothing(
    api: ApiChecker, scene: Scene, overrides: dict[str, Any], field: str, message: str
) -> None:
    before = scene.state()
    response = _report(api, scene, **overrides)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {field: message}
    assert scene.state() == before


def test_bad_decisions_save_nothing(api: ApiChecker, scene: Scene) -> None:
    report_id = _report(api, scene).get_json()["id"]
    before = scene.state()
    path = f"/moderation/reports/{report_id}/decision"
    for token, body, status in (
        (scene.tokens["staff"], {"decision": "hide", "note": " "}, 422),
        (scene.tokens["staff"], {"decision": "delete", "note": "x"}, 422),
        (scene.tokens["staff"], {"decision": "restore", "note": "x"}, 409),
        (scene.tokens["member"], {"decision": "hide", "note": "x"}, 403),
        (None, {"decision": "hide", "note": "x"}, 401),
    ):
        assert api.post(path, token=token, json_body=body).status_code == status
        assert scene.state() == before


def test_moderation_endpoints_match_the_document(api: ApiChecker, scene: Scene) -> None:
    staff, member = scene.tokens["staff"], scene.tokens["member"]
    bad_json = {"data": "{", "content_type": "application/json"}
    not_json = {"data": "x=1", "content_type": "text/plain"}

    # /reports
    report_id = _report(api, scene).get_json()["id"]
    assert _report(api, scene).status_code == 200
    assert api.post("/reports", **bad_json).status_code == 400
    assert _report(api, scene, token="qqc_bad").status_code == 401
    assert _report(api, scene, subject_id=scene.draft_id).status_code == 404
    assert api.post("/reports", **not_json).status_code == 415
    assert _report(api, scene, reason="nope").status_code == 422

    # /moderation/reports
    assert api.get("/moderation/reports", token=staff).status_code == 200
    assert api.get("/moderation/reports").status_code == 401
    assert api.get("/moderation/reports", token=member).status_code == 403
    assert api.get("/moderation/reports?status=gone", token=staff).status_code == 422

    # /moderation/reports/{id}/decision
    decision = f"/moderation/reports/{report_id}/decision"
    body = {"decision": "hide", "note": "核实中"}
    assert api.post(decision, token=staff, json_body=body).status_code == 200
    assert api.post(decision, token=staff, **bad_json).status_code == 400
    assert api.post(decision, json_body=body).status_code == 401
    assert api.post(decision, token=member, json_body=body).status_code == 403
    assert api.post("/moderation/reports/999999/decision", token=staff, json_body=body).status_code == 404
    assert api.post(decision, token=staff, json_body=body).status_code == 409
    assert api.post(decision, token=staff, **not_json).status_code == 415
    assert api.post(decision, token=staff, json_body={"decision": "hide"}).status_code == 422

    documented = {
        (path, method, status)
        for path, item in SPEC["paths"].items()
        if path in MODERATION_PATHS
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status in operation["responses"]
    }
    assert {path for path, _, _ in documented} == MODERATION_PATHS
    # The 429 needs an app with the limiter on: test_anonymous_reports_over_the_budget_get_429.
    missing = documented - api.seen - {("/reports", "post", "429")}
    assert not missing, f"documented responses never produced: {sorted(missing)}"


def test_anonymous_reports_over_the_budget_get_429(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True, MODERATION_REPORT_RATE_LIMIT="1 per hour")
    with app.app_context():
        organization_id = factories.org_member().organization_id
    api = ApiChecker(app.test_client())
    body = {"kind": "organization", "subject_id": organization_id, "reason": "spam"}
    assert api.post("/reports", json_body=body).status_code == 201
    refused = api.post("/reports", json_body={**body, "reason": "fraud"})
    assert refused.status_code == 429 and ("/reports", "post", "429") in api.seen
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AbuseReport)) == 1
