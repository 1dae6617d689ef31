"""The public voting API: POST /api/v1/evaluations/{id}/votes/code and /votes, anonymous or with a
token, every documented response checked against the OpenAPI document, and the per-IP limits."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.evaluations.models import EvaluationRound, PublicVote, VoteCode
from marketplace.extensions import db
from tests import factories
from tests.test_api_openapi import SPEC, ApiChecker, issue_token
from tests.test_votes import last_code, make_round, organizations

VOTE_PATHS = ("/evaluations/{round_id}/votes/code", "/evaluations/{round_id}/votes")


def _setup(app: Flask, *, max_votes: int = 2) -> tuple[int, list[int]]:
    app.config["SMS_BACKEND"] = "memory"
    with app.app_context():
        orgs = organizations(3)
        return make_round(orgs[:2], max_votes=max_votes).id, orgs


def _code(app: Flask, to: str) -> str:
    with app.app_context():
        return last_code(to)


def _votes(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PublicVote)) or 0


def _close(app: Flask, round_id: int) -> None:
    with app.app_context():
        evaluation_round = db.session.get(EvaluationRound, round_id)
        assert evaluation_round is not None
        evaluation_round.status = "closed"
        db.session.commit()


def test_an_anonymous_voter_asks_for_a_code_and_votes(app: Flask, client: FlaskClient) -> None:
    round_id, orgs = _setup(app)
    api = ApiChecker(client)
    response = api.post(f"/evaluations/{round_id}/votes/code", json_body={"email": "Voter@Example.com"})
    assert response.status_code == 202
    assert response.get_json() == {"sent": True, "channel": "email", "expires_in": 600}
    code = _code(app, "voter@example.com")
    body = {"email": "voter@example.com", "code": code, "organization_ids": [orgs[1], orgs[0]]}
    response = api.post(f"/evaluations/{round_id}/votes", json_body=body)
    assert response.status_code == 201
    assert response.get_json() == {"round_id": round_id, "organization_ids": [orgs[1], orgs[0]]}
    again = api.post(f"/evaluations/{round_id}/votes", json_body=body)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_voted"
    refused = api.post(f"/evaluations/{round_id}/votes/code", json_body={"email": "voter@example.com"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "already_voted"
    assert _votes(app) == 1


def test_a_phone_voter_with_a_token_votes_the_same_way(app: Flask, client: FlaskClient) -> None:
    round_id, orgs = _setup(app)
    with app.app_context():
        email = factories.company_member().email
    token = issue_token(client, email)
    api = ApiChecker(client)
    response = api.post(
        f"/evaluations/{round_id}/votes/code", token=token, json_body={"phone": "+86 139-0000-1111"}
    )
    assert response.status_code == 202 and response.get_json()["channel"] == "phone"
    body = {"phone": "13900001111", "code": _code(app, "13900001111"), "organization_ids": [orgs[0]]}
    assert api.post(f"/evaluations/{round_id}/votes", token=token, json_body=body).status_code == 201
    assert _votes(app) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"email", "phone"}),
        ({"email": "a@example.com", "phone": "13900001111"}, {"email", "phone"}),
        ({"email": "not-an-address"}, {"email"}),
        ({"phone": "12345"}, {"phone"}),
        ({"email": 5}, {"email"}),
        ({"email": "a@example.com", "name": "x"}, {"name"}),
    ],
)
def test_bad_code_requests_name_the_field(
    app: Flask, client: FlaskClient, body: Any, fields: set[str]
) -> None:
    round_id, _orgs = _setup(app)
    response = ApiChecker(client).post(f"/evaluations/{round_id}/votes/code", json_body=body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VoteCode)) == 0


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"organization_ids": []}, "organization_ids", "请至少选择 1 家组织"),
        ({"organization_ids": "ORGS3"}, "organization_ids", "最多可选 2 家"),
        ({"organization_ids": "DUP"}, "organization_ids", "只能选择一次"),
        ({"organization_ids": "OUTSIDER"}, "organization_ids", "未参加本轮评议"),
        ({"organization_ids": ["1"]}, "organization_ids", "整数列表"),
        ({"code": 123456}, "code", "字符串"),
        ({"code": None}, "code", "null"),
        ({"organization_ids": None}, "organization_ids", "null"),
    ],
)
def test_bad_ballots_save_nothing(
    app: Flask, client: FlaskClient, body: dict[str, Any], field: str, reason: str
) -> None:
    round_id, orgs = _setup(app)
    api = ApiChecker(client)
    api.post(f"/evaluations/{round_id}/votes/code", json_body={"email": "voter@example.com"})
    chosen = {"ORGS3": orgs, "DUP": [orgs[0], orgs[0]], "OUTSIDER": [orgs[2]]}
    ballot = {
        "email": "voter@example.com",
        "code": _code(app, "voter@example.com"),
        "organization_ids": [orgs[0]],
    }
    for name, value in body.items():
        ballot[name] = chosen.get(value, value) if isinstance(value, str) else value
    response = api.post(f"/evaluations/{round_id}/votes", json_body=ballot)
    assert response.status_code == 422
    assert reason in response.get_json()["error"]["fields"][field]
    assert _votes(app) == 0


def test_a_wrong_code_is_counted_and_five_void_the_code(app: Flask, client: FlaskClient) -> None:
    round_id, orgs = _setup(app)
    api = ApiChecker(client)
    api.post(f"/evaluations/{round_id}/votes/code", json_body={"email": "voter@example.com"})
    code = _code(app, "voter@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    ballot = {"email": "voter@example.com", "code": wrong, "organization_ids": [orgs[0]]}
    reasons = []
    for _ in range(5):
        response = api.post(f"/evaluations/{round_id}/votes", json_body=ballot)
        assert response.status_code == 422
        reasons.append(response.get_json()["error"]["fields"]["code"])
    assert "还可以再试 4 次" in reasons[0] and "已失效" in reasons[-1]
    with app.app_context():
        assert db.session.scalars(select(VoteCode.attempts)).one() == 5
    response = api.post(f"/evaluations/{round_id}/votes", json_body={**ballot, "code": code})
    assert response.status_code == 422 and "错误次数过多" in response.get_json()["error"]["fields"]["code"]
    assert _votes(app) == 0


def test_a_second_code_within_a_minute_is_429_with_retry_after(app: Flask, client: FlaskClient) -> None:
    round_id, _orgs = _setup(app)
    api = ApiChecker(client)
    assert (
        api.post(f"/evaluations/{round_id}/votes/code", json_body={"email": "v@example.com"}).status_code
        == 202
    )
    response = api.post(f"/evaluations/{round_id}/votes/code", json_body={"email": "V@example.com"})
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert "秒后再试" in response.get_json()["error"]["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_closed_and_unknown_rounds(app: Flask, client: FlaskClient) -> None:
    round_id, orgs = _setup(app)
    api = ApiChecker(client)
    api.post(f"/evaluations/{round_id}/votes/code", json_body={"email": "voter@example.com"})
    code = _code(app, "voter@example.com")
    _close(app, round_id)
    ballot = {"email": "voter@example.com", "code": code, "organization_ids": [orgs[0]]}
    for path, body in (
        (f"/evaluations/{round_id}/votes", ballot),
        (f"/evaluations/{round_id}/votes/code", {"email": "x@example.com"}),
    ):
        response = api.post(path, json_body=body)
        assert response.status_code == 409 and response.get_json()["error"]["code"] == "round_closed"
    for path in ("/evaluations/999999/votes", "/evaluations/999999/votes/code"):
        assert api.post(path, json_body={"email": "voter@example.com"}).status_code == 404
    assert _votes(app) == 0


def test_vote_endpoints_match_the_document(app: Flask, client: FlaskClient) -> None:
    """Every documented response of the two endpoints but the per-IP 429 (next test)."""
    round_id, orgs = _setup(app)
    api = ApiChecker(client)
    code_path, vote_path = f"/evaluations/{round_id}/votes/code", f"/evaluations/{round_id}/votes"
    assert api.post(code_path, json_body={"email": "voter@example.com"}).status_code == 202
    assert api.post(code_path, json_body={"email": "voter@example.com"}).status_code == 429
    for path in (code_path, vote_path):
        assert api.post(path, data="{]", content_type="application/json").status_code == 400
        assert api.post(path, data="a=b", content_type="application/x-www-form-urlencoded").status_code == 415
        assert api.post(path, token="bad", json_body={"email": "voter@example.com"}).status_code == 401
        assert api.post(path, json_body={"email": "nope"}).status_code == 422
        assert (
            api.post(path.replace(str(round_id), "999999"), json_body={"email": "a@b.cn"}).status_code == 404
        )
    ballot = {
        "email": "voter@example.com",
        "code": _code(app, "voter@example.com"),
        "organization_ids": [orgs[0]],
    }
    assert api.post(vote_path, json_body=ballot).status_code == 201
    assert api.post(vote_path, json_body=ballot).status_code == 409
    assert api.post(code_path, json_body={"email": "voter@example.com"}).status_code == 409
    documented = {
        (path, method, status)
        for path in VOTE_PATHS
        for method, operation in SPEC["paths"][path].items()
        if method == "post"
        for status in operation["responses"]
    }
    assert documented - api.seen == {("/evaluations/{round_id}/votes", "post", "429")}


def test_per_ip_limits_answer_429_and_are_shared_with_the_page(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True, VOTE_CODE_RATE_LIMIT="3 per hour", VOTE_RATE_LIMIT="2 per hour")
    round_id, orgs = _setup(app)
    api = ApiChecker(app.test_client())
    code_path, vote_path = f"/evaluations/{round_id}/votes/code", f"/evaluations/{round_id}/votes"
    statuses = [
        api.post(code_path, json_body={"email": f"voter{n}@example.com"}).status_code for n in range(3)
    ]
    assert statuses == [202, 202, 202]
    response = api.post(code_path, json_body={"email": "voter9@example.com"})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"
    # The voting page asks for codes from the same budget.
    page = app.test_client().post(
        f"/evaluations/{round_id}/vote", data={"step": "code", "identity": "p@example.com"}
    )
    assert page.status_code == 429
    ballot = {"email": "voter0@example.com", "code": "000000", "organization_ids": [orgs[0]]}
    assert [api.post(vote_path, json_body=ballot).status_code for _ in range(3)] == [422, 422, 429]
    assert (VOTE_PATHS[1], "post", "429") in api.seen
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VoteCode)) == 3
