"""The matching-pool (配捐) API: opening a pool, bad terms, who may open one, and what everyone sees
afterwards — the remaining budget and the matched projects. Every response is validated against
the OpenAPI document through ``ApiChecker``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.pledges.models import MatchingPool
from marketplace.timeutil import local_today, to_local, utcnow
from tests import factories
from tests.test_api_openapi import ApiChecker
from tests.test_api_pledges import Cast, build_cast, confirm, make_pledge

TODAY = local_today()


@pytest.fixture
def api(client: Any) -> ApiChecker:
    return ApiChecker(client)


@pytest.fixture
def cast(app: Flask, world: factories.World) -> Cast:
    return build_cast(app, world)


def pool_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "99 公益日配捐",
        "description": "每捐 1 元，瓯江鞋业再配 1 元。",
        "budget": 1_000_000,
        "ratio_bp": 10_000,
        "cap_per_pledge": 200_000,
        "cap_per_project": 500_000,
        "categories": ["children"],
        "districts": ["鹿城区"],
        "starts_at": (TODAY - timedelta(days=1)).isoformat(),
        "ends_at": (TODAY + timedelta(days=3)).isoformat(),
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not ...}


def pool_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MatchingPool)) or 0


def open_pool(api: ApiChecker, cast: Cast, who: str = "other_company", **overrides: Any) -> Any:
    return api.post("/matching-pools", token=cast.token(who), json_body=pool_body(**overrides))


def test_a_verified_company_opens_a_pool(app: Flask, api: ApiChecker, cast: Cast) -> None:
    response = open_pool(api, cast)
    assert response.status_code == 201
    body = response.get_json()
    assert body["budget"] == body["remaining"] == 1_000_000 and body["matched_total"] == 0
    assert body["ratio_bp"] == 10_000 and body["cap_per_pledge"] == 200_000
    assert body["categories"] == ["children"] and body["districts"] == ["鹿城区"]
    assert body["company"]["id"] == cast.other_company_id
    assert body["active"] is True and body["open"] is True and body["projects"] == []
    # A date starts at the beginning of that Wenzhou day and ends at its end.
    starts, ends = datetime.fromisoformat(body["starts_at"]), datetime.fromisoformat(body["ends_at"])
    assert (starts.date(), starts.hour, starts.minute) == (TODAY - timedelta(days=1), 0, 0)
    assert (ends.date(), ends.hour, ends.minute) == (TODAY + timedelta(days=3), 23, 59)
    assert starts.utcoffset() == timedelta(hours=8)
    assert response.headers["Location"].endswith(f"/api/v1/matching-pools/{body['id']}")
    assert api.get(f"/matching-pools/{body['id']}").get_json() == body


def test_moments_with_an_offset_and_minimal_terms(api: ApiChecker, cast: Cast) -> None:
    response = open_pool(
        api,
        cast,
        starts_at="2030-09-07T09:00:00+08:00",
        ends_at="2030-09-09T01:00:00Z",
        description=None,
        cap_per_pledge=None,
        cap_per_project=...,
        categories=...,
        districts=[],
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["starts_at"] == "2030-09-07T09:00:00+08:00"
    assert body["ends_at"] == "2030-09-09T09:00:00+08:00"
    assert body["cap_per_pledge"] is None and body["cap_per_project"] is None
    assert body["categories"] == [] and body["districts"] == [] and body["description"] == ""
    assert body["open"] is False  # not started yet


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ratio_bp": 0}, "ratio_bp"),
        ({"ratio_bp": -10_000}, "ratio_bp"),
        ({"ratio_bp": 100_001}, "ratio_bp"),
        ({"ratio_bp": 1.5}, "ratio_bp"),
        ({"budget": 0}, "budget"),
        ({"budget": -1}, "budget"),
        ({"budget": "100000"}, "budget"),
        ({"budget": 10**11}, "budget"),
        ({"budget": ...}, "budget"),
        ({"name": "  "}, "name"),
        ({"name": "配" * 61}, "name"),
        ({"cap_per_pledge": 0}, "cap_per_pledge"),
        ({"cap_per_project": -5}, "cap_per_project"),
        ({"ends_at": (TODAY - timedelta(days=2)).isoformat()}, "ends_at"),
        ({"ends_at": "下周五"}, "ends_at"),
        ({"starts_at": "2026-13-01"}, "starts_at"),
        ({"starts_at": ...}, "starts_at"),
        ({"categories": ["no-such-category"]}, "categories"),
        ({"categories": "children"}, "categories"),
        ({"districts": ["纽约"]}, "districts"),
        ({"description": "说" * 501}, "description"),
        ({"remaining": 5}, "remaining"),
        ({"company_id": 1}, "company_id"),
        ({"active": False}, "active"),
    ],
)
def test_bad_terms_are_422_and_open_nothing(
    app: Flask, api: ApiChecker, cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    body = {**pool_body(), **overrides}
    body = {name: value for name, value in body.items() if value is not ...}
    response = api.post("/matching-pools", token=cast.token("other_company"), json_body=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert pool_count(app) == 0


@pytest.mark.parametrize("who", ["org", "other_org", "staff", "admin", "unverified_company"])
def test_only_verified_companies_open_pools(app: Flask, api: ApiChecker, cast: Cast, who: str) -> None:
    assert open_pool(api, cast, who=who).status_code == 403
    assert api.post("/matching-pools", json_body=pool_body()).status_code == 401
    assert pool_count(app) == 0


def test_malformed_bodies_are_refused(app: Flask, api: ApiChecker, cast: Cast) -> None:
    token = cast.token("company")
    assert (
        api.post("/matching-pools", token=token, data="{", content_type="application/json").status_code == 400
    )
    assert api.post("/matching-pools", token=token, data="name=x").status_code == 415
    assert pool_count(app) == 0


def test_the_pool_page_shows_what_it_matched(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pool = open_pool(api, cast, categories=[], districts=[]).get_json()
    paid = make_pledge(app, api, cast, key="match-1", amount=300_000)
    assert confirm(api, cast, paid, 300_000, "BANK-M1").status_code == 200
    # The pool's own company is never matched by its own pool.
    own = make_pledge(app, api, cast, key="own-1", who="other_company", amount=100_000)
    assert confirm(api, cast, own, 100_000, "BANK-OWN").status_code == 200

    body = api.get(f"/matching-pools/{pool['id']}").get_json()
    assert body["matched_total"] == 200_000  # capped per pledge
    assert body["remaining"] == 800_000
    assert body["projects"] == [
        {"id": cast.project_id, "title": body["projects"][0]["title"], "matched_amount": 200_000}
    ]
    project = api.get(f"/projects/{cast.project_id}").get_json()
    assert project["matched_amount"] == 200_000 and project["raised_amount"] == 600_000


def test_everyone_lists_and_reads_pools(app: Flask, api: ApiChecker, cast: Cast) -> None:
    first = open_pool(api, cast, name="第一期配捐").get_json()
    second = open_pool(api, cast, who="company", name="第二期配捐").get_json()
    listed = api.get("/matching-pools").get_json()
    assert [item["id"] for item in listed["items"]] == [second["id"], first["id"]]
    assert listed["total"] == 2 and listed["page"] == 1
    only = api.get(f"/matching-pools?company_id={cast.other_company_id}").get_json()
    assert [item["id"] for item in only["items"]] == [first["id"]]
    paged = api.get("/matching-pools?per_page=1&page=2", token=cast.token("org")).get_json()
    assert [item["id"] for item in paged["items"]] == [first["id"]]
    assert api.get("/matching-pools?per_page=500&page=0").status_code == 422
    assert api.get("/matching-pools", token="qqc_nope").status_code == 401
    assert api.get(f"/matching-pools/{first['id']}", token=cast.token("staff")).status_code == 200
    assert api.get("/matching-pools/999999").status_code == 404
    assert api.get(f"/matching-pools/{first['id']}", token="qqc_nope").status_code == 401


def test_a_pool_that_ended_is_no_longer_open(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pool = open_pool(api, cast).get_json()
    with app.app_context():
        item = db.session.get(MatchingPool, pool["id"])
        item.ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        ended = to_local(item.ends_at).isoformat()
    body = api.get(f"/matching-pools/{pool['id']}").get_json()
    assert body["open"] is False and body["active"] is True and body["ends_at"] == ended
