"""The evaluation API: open a round, score, assign peers and tiers, publish, read the results — and
every documented response of these endpoints produced and validated against the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from marketplace.evaluations.models import EvaluationRound, EvaluationScore
from marketplace.extensions import db
from marketplace.parties.models import Organization
from tests import factories
from tests.evaluations_support import criteria, snapshot, votes
from tests.test_api_openapi import HTTP_METHODS, SPEC, ApiChecker
from tests.test_api_pledges import token_for

# The paths this module covers (tests/test_api_openapi.py leaves them to it).
EVALUATION_PATHS = frozenset(
    {
        "/evaluations",
        "/evaluations/{round_id}",
        "/evaluations/{round_id}/scores",
        "/evaluations/{round_id}/peer-assignments",
        "/evaluations/{round_id}/tiers",
        "/evaluations/{round_id}/publish",
        "/evaluations/{round_id}/results",
    }
)
BAD_JSON = {"data": "{", "content_type": "application/json"}
NOT_JSON = {"data": "x=1", "content_type": "text/plain"}


def _scene(app: Flask) -> dict[str, Any]:
    with app.app_context():
        staff = factories.staff()
        users = [factories.org_member(name=f"接口评估社工中心{n}") for n in range(1, 5)]
        outsider = factories.org_member(name="接口评估：未参评组织")
        company = factories.company_member()
        return {
            "staff": token_for(staff),
            "orgs": [user.organization_id for user in users],
            "org_tokens": [token_for(user) for user in users],
            "outsider": token_for(outsider),
            "outsider_id": outsider.organization_id,
            "company": token_for(company),
        }


def test_a_round_through_the_api(app: Flask, client: Any) -> None:
    scene = _scene(app)
    api = ApiChecker(client)
    staff, orgs, tokens = scene["staff"], scene["orgs"], scene["org_tokens"]
    body = {
        "year": 2026,
        "organization_ids": orgs,
        "weights": {"government": 0.4, "peer": "0.3", "public": 0.3},
    }

    with app.app_context():
        before = snapshot()
    refused = api.post(
        "/evaluations",
        token=staff,
        json_body={**body, "weights": {"government": 0.4, "peer": 0.3, "public": 0.2}},
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"]["weights"] == "三项权重之和必须等于 1（现在是 0.9）"
    with app.app_context():
        assert snapshot() == before

    created = api.post(
        "/evaluations",
        token=staff,
        json_body={**body, "criteria": ["团队建设", {"name": "服务成效", "weight": 3}]},
    )
    assert created.status_code == 201, created.get_json()
    round_json = created.get_json()
    assert (round_json["status"], round_json["weights"], round_json["criteria"]) == (
        "open",
        {"government": 0.4, "peer": 0.3, "public": 0.3},
        ["团队建设", "服务成效"],
    )
    round_id = round_json["id"]
    path = f"/evaluations/{round_id}"
    assert created.headers["Location"].endswith(path)
    shown = api.get(path).get_json()
    assert {key: shown[key] for key in ("id", "year", "status", "criteria")} == {
        "id": round_id,
        "year": 2026,
        "status": "open",
        "criteria": ["团队建设", "服务成效"],
    }
    assert api.post("/evaluations", token=staff, json_body=body).status_code == 409  # the year has a round

    # Peers: with four organizations and per_reviewer 3, everyone scores everyone else.
    assigned = api.post(f"{path}/peer-assignments", token=staff, json_body={"per_reviewer": 3})
    assert assigned.status_code == 200 and len(assigned.get_json()["items"]) == 12
    a, b, c, d = orgs
    score = {"organization_id": b, "kind": "peer", "criteria": {"团队建设": 90, "服务成效": "80.5"}}
    first = api.post(f"{path}/scores", token=tokens[0], json_body=score)
    assert first.status_code == 201
    assert first.get_json()["score"] == 82.88  # (90 + 3 × 80.5) / 4 = 82.875 → 82.88
    again = api.post(
        f"{path}/scores", token=tokens[0], json_body={**score, "criteria": {"团队建设": 100, "服务成效": 100}}
    )
    assert again.status_code == 200 and again.get_json()["score"] == 100
    for token, org in ((tokens[1], a), (tokens[2], a)):
        assert (
            api.post(f"{path}/scores", token=token, json_body={**score, "organization_id": org}).status_code
            == 201
        )

    with app.app_context():
        before = snapshot()
    outside = api.post(
        f"{path}/scores",
        token=staff,
        json_body={**score, "kind": "government", "criteria": {"团队建设": 101, "服务成效": 90}},
    )
    assert outside.status_code == 422
    assert "criteria.团队建设" in outside.get_json()["error"]["fields"]
    itself = api.post(f"{path}/scores", token=tokens[0], json_body={**score, "organization_id": a})
    assert itself.status_code == 403
    assert itself.get_json()["error"]["fields"]["organization_id"] == "组织不能给自己评分"
    assert api.post(f"{path}/scores", token=scene["outsider"], json_body=score).status_code == 403
    assert (
        api.post(f"{path}/scores", token=tokens[0], json_body={**score, "kind": "government"}).status_code
        == 403
    )
    with app.app_context():
        assert snapshot() == before

    for org, value in ((a, 90), (b, 80), (c, 70)):
        gov = {
            "organization_id": org,
            "kind": "government",
            "criteria": {"团队建设": value, "服务成效": value},
        }
        assert api.post(f"{path}/scores", token=staff, json_body=gov).status_code == 201
    with app.app_context():
        votes(db.session.get(EvaluationRound, round_id), [[a], [a, b]])

    # Before publication: staff see the live figures; everyone else gets 404.
    assert api.get(f"{path}/results").status_code == 404
    live = api.get(f"{path}/results", token=staff).get_json()
    assert live["published"] is False
    first_place = live["items"][0]
    # a: the most votes, so public 100
    assert (first_place["organization_id"], first_place["public"], first_place["rank"]) == (a, 100, 1)

    assert (
        api.post(
            f"{path}/tiers", token=staff, json_body={"organization_id": a, "tier": "leading"}
        ).status_code
        == 200
    )
    refused = api.post(f"{path}/publish", token=staff)
    assert refused.status_code == 409
    assert "接口评估社工中心4" in refused.get_json()["error"]["fields"]["government"]
    gov = {"organization_id": d, "kind": "government", "criteria": {"团队建设": 40, "服务成效": 40}}
    assert api.post(f"{path}/scores", token=staff, json_body=gov).status_code == 201
    published = api.post(f"{path}/publish", token=staff)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    results = api.get(f"{path}/results").get_json()
    by_org = {item["organization_id"]: item for item in results["items"]}
    # a: 0.4 × 90 + 0.3 × 82.88 + 0.3 × 100 = 90.864 → 90.86
    assert by_org[a] | {"name": ""} == {
        "organization_id": a,
        "name": "",
        "government": 90,
        "peer": 82.88,
        "public": 100,
        "votes": 2,
        "composite": 90.86,
        "grade": "A5",
        "rank": 1,
        "tier": "leading",
    }
    # d: no peer score (nobody scored it), no votes: 0.4 × 40 + 0.3 × 0 rescaled over 0.7 → 22.86
    assert (by_org[d]["peer"], by_org[d]["public"], by_org[d]["composite"], by_org[d]["grade"]) == (
        None,
        0,
        22.86,
        None,
    )
    with app.app_context():
        organization = db.session.get(Organization, a)
        assert organization is not None and (organization.grade, organization.tier) == ("A5", "leading")
        assert (
            db.session.scalar(select(EvaluationScore.id).where(EvaluationScore.organization_id == d))
            is not None
        )


def test_evaluation_endpoints_match_the_document(app: Flask, client: Any) -> None:
    """Every documented response of the evaluation endpoints is produced (and validated) here."""
    scene = _scene(app)
    api = ApiChecker(client)
    staff, orgs, tokens = scene["staff"], scene["orgs"], scene["org_tokens"]
    a, b, c, d = orgs
    body = {"year": 2027, "organization_ids": orgs}

    # /evaluations
    created = api.post("/evaluations", token=staff, json_body=body)
    assert created.status_code == 201
    path = f"/evaluations/{created.get_json()['id']}"
    assert api.post("/evaluations", token=staff, **BAD_JSON).status_code == 400
    assert api.post("/evaluations", json_body=body).status_code == 401
    assert api.post("/evaluations", token=tokens[0], json_body=body).status_code == 403
    assert api.post("/evaluations", token=staff, json_body=body).status_code == 409
    assert api.post("/evaluations", token=staff, **NOT_JSON).status_code == 415
    assert (
        api.post(
            "/evaluations", token=staff, json_body={"year": "2028", "organization_ids": orgs}
        ).status_code
        == 422
    )

    # /evaluations/{id}
    assert api.get(path).status_code == 200
    assert api.get(path, token="qqc_bad").status_code == 401
    assert api.get("/evaluations/999999").status_code == 404

    # /evaluations/{id}/peer-assignments
    assigned = f"{path}/peer-assignments"
    assert api.post(assigned, token=staff, json_body={"per_reviewer": 1}).status_code == 200
    assert api.post(assigned, token=staff, **BAD_JSON).status_code == 400
    assert api.post(assigned).status_code == 401
    assert api.post(assigned, token=tokens[0]).status_code == 403
    assert api.post("/evaluations/999999/peer-assignments", token=staff).status_code == 404
    assert api.post(assigned, token=staff, **NOT_JSON).status_code == 415
    assert api.post(assigned, token=staff, json_body={"per_reviewer": 0}).status_code == 422

    # /evaluations/{id}/scores
    scores = f"{path}/scores"
    gov = {"organization_id": a, "kind": "government", "criteria": criteria(88.5)}
    assert api.post(scores, token=staff, json_body=gov).status_code == 201
    assert api.post(scores, token=staff, json_body=gov).status_code == 200
    assert api.post(scores, token=staff, **BAD_JSON).status_code == 400
    assert api.post(scores, json_body=gov).status_code == 401
    assert api.post(scores, token=tokens[1], json_body=gov).status_code == 403
    assert api.post("/evaluations/999999/scores", token=staff, json_body=gov).status_code == 404
    assert api.post(scores, token=staff, **NOT_JSON).status_code == 415
    assert api.post(scores, token=staff, json_body={**gov, "criteria": criteria("1e3")}).status_code == 422

    # /evaluations/{id}/tiers
    tiers = f"{path}/tiers"
    assert (
        api.post(tiers, token=staff, json_body={"organization_id": a, "tier": "growing"}).status_code == 200
    )
    assert api.post(tiers, token=staff, **BAD_JSON).status_code == 400
    assert api.post(tiers, json_body={"organization_id": a, "tier": None}).status_code == 401
    assert api.post(tiers, token=tokens[0], json_body={"organization_id": a, "tier": None}).status_code == 403
    assert (
        api.post(
            tiers, token=staff, json_body={"organization_id": scene["outsider_id"], "tier": None}
        ).status_code
        == 404
    )
    assert api.post(tiers, token=staff, **NOT_JSON).status_code == 415
    assert api.post(tiers, token=staff, json_body={"organization_id": a, "tier": "oak"}).status_code == 422

    # /evaluations/{id}/results
    results = f"{path}/results"
    assert api.get(results, token=staff).status_code == 200
    assert api.get(results, token="qqc_bad").status_code == 401
    assert api.get(results, token=scene["company"]).status_code == 404

    # /evaluations/{id}/publish
    publish = f"{path}/publish"
    assert api.post(publish).status_code == 401
    assert api.post(publish, token=tokens[0]).status_code == 403
    assert api.post("/evaluations/999999/publish", token=staff).status_code == 404
    assert api.post(publish, token=staff).status_code == 409  # b, c, d have no government score
    for org in (b, c, d):
        assert api.post(scores, token=staff, json_body={**gov, "organization_id": org}).status_code == 201
    assert api.post(publish, token=staff).status_code == 200
    assert api.post(scores, token=staff, json_body=gov).status_code == 409
    assert api.post(assigned, token=staff).status_code == 409
    assert api.post(tiers, token=staff, json_body={"organization_id": a, "tier": None}).status_code == 409
    assert api.get(results).status_code == 200

    documented = {
        (path_, method, status)
        for path_, item in SPEC["paths"].items()
        if path_ in EVALUATION_PATHS
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status in operation["responses"]
    }
    assert {path_ for path_, _, _ in documented} == EVALUATION_PATHS
    assert not documented - api.seen, f"documented responses never produced: {sorted(documented - api.seen)}"
