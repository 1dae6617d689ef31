"""The community needs API (/api/v1/needs): the public board with strict filters, staff recording and
moving needs, organizations answering with their own projects. Every request goes through
``ApiChecker``, so every response is validated against the OpenAPI document, and the last test
produces each documented response at least once."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.needs_support import needs_state
from tests.test_api_openapi import HTTP_METHODS, SPEC, ApiChecker, issue_token

# Covered here, not by tests/test_api_openapi.py::test_every_endpoint_matches_the_document.
NEEDS_PATHS = frozenset(
    {"/needs", "/needs/{need_id}", "/needs/{need_id}/responses", "/needs/{need_id}/transitions"}
)
BODY = {
    "title": "独居老人上门理发",
    "community": "广化街道广化社区",
    "district": "鹿城区",
    "category": "elderly",
    "description": "二十多位行动不便的独居老人希望每月有人上门理发。",
    "people_affected": 23,
    "urgency": "high",
}


class Scene:
    def __init__(self, app: Flask, client: FlaskClient):
        with app.app_context():
            staff = factories.staff()
            member = factories.org_member()
            other = factories.org_member()
            unverified = factories.org_member(verified=False)
            company = factories.company_member()
            self.project_id = factories.project(
                member, status="published", reviewer=staff, title="银龄理发队"
            ).id
            self.draft_id = factories.project(member, title="理发志愿队（筹备中）").id
            self.other_project_id = factories.project(other, status="published", reviewer=staff).id
            self.cancelled_id = factories.project(member, status="cancelled", title="取消的项目").id
            emails = {
                "staff": staff.email,
                "member": member.email,
                "other": other.email,
                "unverified": unverified.email,
                "company": company.email,
            }
        self.tokens = {who: issue_token(client, email) for who, email in emails.items()}
        self.app = app

    def state(self) -> Any:
        with self.app.app_context():
            return needs_state()


@pytest.fixture
def api(client: FlaskClient) -> ApiChecker:
    return ApiChecker(client)


@pytest.fixture
def scene(app: Flask, client: FlaskClient) -> Scene:
    return Scene(app, client)


def _create(api: ApiChecker, scene: Scene, **overrides: Any) -> dict[str, Any]:
    response = api.post("/needs", token=scene.tokens["staff"], json_body={**BODY, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_staff_record_and_everyone_reads(api: ApiChecker, scene: Scene) -> None:
    need = _create(api, scene)
    assert need["status"] == "open" and need["category"] == "elderly" and need["responses"] == []
    assert api.get(f"/needs/{need['id']}").get_json()["title"] == "独居老人上门理发"
    _create(
        api,
        scene,
        title="寒假看护",
        category="children",
        district="瓯海区",
        urgency="urgent",
        people_affected=37,
    )
    _create(api, scene, title="河岸垃圾清理", category="environment", urgency="low", people_affected=500)
    listed = api.get("/needs").get_json()
    assert [item["title"] for item in listed["items"]] == ["寒假看护", "独居老人上门理发", "河岸垃圾清理"]
    assert listed["total"] == 3 and listed["status_counts"] == {"open": 3, "in_progress": 0, "addressed": 0}
    by_people = api.get("/needs?sort=people&per_page=2").get_json()
    assert [item["title"] for item in by_people["items"]] == ["河岸垃圾清理", "寒假看护"]
    for query, titles in (
        ("district=瓯海区", ["寒假看护"]),
        ("category=environment", ["河岸垃圾清理"]),
        ("urgency=high", ["独居老人上门理发"]),
        ("q=寒假", ["寒假看护"]),
        ("status=addressed", []),
    ):
        assert [item["title"] for item in api.get(f"/needs?{query}").get_json()["items"]] == titles, query


def test_unknown_filters_are_refused(api: ApiChecker) -> None:
    for query in (
        "status=closed",
        "urgency=extreme",
        "category=pets",
        "district=杭州市",
        "sort=oldest",
        "page=0",
    ):
        response = api.get(f"/needs?{query}")
        assert response.status_code == 422
        assert set(response.get_json()["error"]["fields"]) == {query.split("=")[0]}


def test_bad_bodies_save_nothing(api: ApiChecker, scene: Scene) -> None:
    before = scene.state()
    staff = scene.tokens["staff"]
    for body, field in (
        ({**BODY, "people_affected": -1}, "people_affected"),
        ({**BODY, "people_affected": "23"}, "people_affected"),
        ({**BODY, "title": "需" * 61}, "title"),
        ({**BODY, "status": "addressed"}, "status"),
        ({k: v for k, v in BODY.items() if k != "community"}, "community"),
        ({**BODY, "district": "杭州市"}, "district"),
    ):
        response = api.post("/needs", token=staff, json_body=body)
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"], body
    assert api.post("/needs", token=scene.tokens["member"], json_body=BODY).status_code == 403
    assert scene.state() == before


def test_an_organization_answers_and_the_need_moves_on(api: ApiChecker, scene: Scene) -> None:
    need = _create(api, scene)
    path = f"/needs/{need['id']}/responses"
    member = scene.tokens["member"]
    answered = api.post(path, token=member, json_body={"project_id": scene.draft_id, "note": "筹备中"})
    assert answered.status_code == 201
    assert answered.get_json()["project"] == {
        "id": scene.draft_id,
        "title": "理发志愿队（筹备中）",
        "status": "draft",
    }
    detail = api.get(f"/needs/{need['id']}").get_json()
    assert (
        detail["status"] == "in_progress"
        and detail["responses"] == []
        and detail["responses_in_preparation"] == 1
    )
    mine = api.get(f"/needs/{need['id']}", token=member).get_json()
    assert [item["project"]["id"] for item in mine["responses"]] == [scene.draft_id]

    second = _create(api, scene, title="老年人防诈骗讲座")
    before = scene.state()
    refused = api.post(
        f"/needs/{second['id']}/responses", token=member, json_body={"project_id": scene.draft_id}
    )
    assert refused.status_code == 409
    assert "已在回应社区需求「独居老人上门理发」" in refused.get_json()["error"]["message"]
    other = api.post(
        f"/needs/{second['id']}/responses", token=member, json_body={"project_id": scene.other_project_id}
    )
    assert other.status_code == 403
    cancelled = api.post(
        f"/needs/{second['id']}/responses", token=member, json_body={"project_id": scene.cancelled_id}
    )
    assert cancelled.status_code == 409
    for who in ("unverified", "company", "staff"):
        assert (
            api.post(path, token=scene.tokens[who], json_body={"project_id": scene.project_id}).status_code
            == 403
        )
    assert scene.state() == before


def test_staff_transitions(api: ApiChecker, scene: Scene) -> None:
    need = _create(api, scene)
    path = f"/needs/{need['id']}/transitions"
    staff = scene.tokens["staff"]
    assert api.post(path, token=staff, json_body={"action": "address"}).get_json()["status"] == "addressed"
    refused = api.post(path, token=staff, json_body={"action": "start"})
    assert refused.status_code == 409 and refused.get_json()["error"]["fields"] == {
        "action": "「已解决」的需求不能标记为响应中"
    }
    reopened = api.post(path, token=staff, json_body={"action": "reopen"}).get_json()
    assert reopened["status"] == "open" and reopened["addressed_at"] is None
    assert api.post(path, token=scene.tokens["member"], json_body={"action": "start"}).status_code == 403


def test_need_endpoints_match_the_document(api: ApiChecker, scene: Scene) -> None:
    staff, member = scene.tokens["staff"], scene.tokens["member"]
    bad_json = {"data": "{", "content_type": "application/json"}
    not_json = {"data": "x=1", "content_type": "text/plain"}

    # /needs
    assert api.get("/needs").status_code == 200
    assert api.get("/needs", token="qqc_bad").status_code == 401
    assert api.get("/needs?status=nope").status_code == 422
    need_id = _create(api, scene)["id"]
    assert api.post("/needs", token=staff, **bad_json).status_code == 400
    assert api.post("/needs", json_body=BODY).status_code == 401
    assert api.post("/needs", token=member, json_body=BODY).status_code == 403
    assert api.post("/needs", token=staff, **not_json).status_code == 415
    assert api.post("/needs", token=staff, json_body={**BODY, "urgency": "x"}).status_code == 422

    # /needs/{id}
    assert api.get(f"/needs/{need_id}").status_code == 200
    assert api.get(f"/needs/{need_id}", token="qqc_bad").status_code == 401
    assert api.get("/needs/999999").status_code == 404

    # /needs/{id}/responses
    responses = f"/needs/{need_id}/responses"
    body = {"project_id": scene.project_id, "note": "每月上门"}
    assert api.post(responses, token=member, **bad_json).status_code == 400
    assert api.post(responses, json_body=body).status_code == 401
    assert api.post(responses, token=staff, json_body=body).status_code == 403
    assert api.post("/needs/999999/responses", token=member, json_body=body).status_code == 404
    assert api.post(responses, token=member, **not_json).status_code == 415
    assert api.post(responses, token=member, json_body={"project_id": 999999}).status_code == 422
    assert api.post(responses, token=member, json_body=body).status_code == 201
    assert api.post(responses, token=member, json_body=body).status_code == 409

    # /needs/{id}/transitions
    transitions = f"/needs/{need_id}/transitions"
    assert api.post(transitions, token=staff, json_body={"action": "address"}).status_code == 200
    assert api.post(transitions, token=staff, **bad_json).status_code == 400
    assert api.post(transitions, json_body={"action": "start"}).status_code == 401
    assert api.post(transitions, token=member, json_body={"action": "start"}).status_code == 403
    assert (
        api.post("/needs/999999/transitions", token=staff, json_body={"action": "start"}).status_code == 404
    )
    assert api.post(transitions, token=staff, json_body={"action": "start"}).status_code == 409
    assert api.post(transitions, token=staff, **not_json).status_code == 415
    assert api.post(transitions, token=staff, json_body={"action": "close"}).status_code == 422

    documented = {
        (path, method, status)
        for path, item in SPEC["paths"].items()
        if path in NEEDS_PATHS
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status in operation["responses"]
    }
    assert {path for path, _, _ in documented} == NEEDS_PATHS
    assert not documented - api.seen, f"documented responses never produced: {sorted(documented - api.seen)}"
