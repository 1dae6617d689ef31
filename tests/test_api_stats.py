"""GET /api/v1/stats: staff only; the dashboard's figures (equal to the ledger) for a date range;
every response checked against the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.api.openapi import DOCUMENT
from marketplace.timeutil import to_local
from tests import factories
from tests.dashboard_support import (
    CHILDREN_PAID,
    ELDERLY_PAID,
    ELDERLY_REFUNDED,
    IN_RANGE,
    OLD_PAID,
    Scene,
    build_scene,
)
from tests.test_api_openapi import ApiChecker, issue_token


@pytest.fixture
def scene(app: Flask) -> Scene:
    with app.app_context():
        return build_scene()


def test_stats_match_the_ledger_and_the_document(app: Flask, client: FlaskClient, scene: Scene) -> None:
    api = ApiChecker(client)
    staff = issue_token(client, scene.staff_email)
    response = api.get("/stats", token=staff)
    assert response.status_code == 200
    body = response.get_json()
    today = scene.today
    assert body["to"] == today.isoformat() and body["today"] == today.isoformat()
    assert body["raised_amount"] == IN_RANGE
    assert body["pledge_count"] == 2
    assert body["raised_this_month"] == body["raised_this_year"] == IN_RANGE
    assert body["active_agreements"] == 1
    assert body["tenders_won"] == {"count": 0, "amount": 0}
    assert body["organizations_by_grade"] == {"A5": 1, "A4": 0, "A3": 0, "A2": 0, "A1": 0, "none": 1}
    assert body["organizations_by_tier"] == {"leading": 1, "demonstration": 0, "growing": 1, "none": 0}
    assert body["introductions"] == {"made": 2, "converted": 1, "declined": 1}
    series = body["series"]
    assert len(series["raised_by_month"]) == 12
    assert series["raised_by_month"][-1] == {"month": today.strftime("%Y-%m"), "amount": IN_RANGE}
    assert series["raised_by_category"] == [
        {"key": "children", "label": "儿童关爱", "amount": CHILDREN_PAID},
        {"key": "elderly", "label": "扶老助老", "amount": ELDERLY_PAID - ELDERLY_REFUNDED},
    ]
    assert [item["key"] for item in series["raised_by_district"]] == ["鹿城区", "瓯海区"]
    assert [(item["key"], item["count"]) for item in series["introduction_funnel"]] == [
        ("sent", 2),
        ("viewed", 2),
        ("interested", 1),
        ("converted", 1),
    ]
    assert series["grade_distribution"][0] == {"key": "A5", "label": "5A", "count": 1}

    # A range reaching back to the old pledge counts it; its labels follow the caller's language.
    old_day = to_local(scene.old_paid_at).date()
    wide = api.get(
        f"/stats?from={old_day.isoformat()}&to={today.isoformat()}",
        token=staff,
        headers={"Accept-Language": "en"},
    ).get_json()
    assert wide["raised_amount"] == IN_RANGE + OLD_PAID and wide["pledge_count"] == 3
    assert sum(item["amount"] for item in wide["series"]["raised_by_month"]) == IN_RANGE + OLD_PAID
    assert wide["series"]["raised_by_category"][0] == {
        "key": "children",
        "label": "Child care",
        "amount": 750_000,
    }
    one_day = api.get(f"/stats?from={old_day.isoformat()}&to={old_day.isoformat()}", token=staff).get_json()
    assert (one_day["raised_amount"], one_day["series"]["raised_by_month"]) == (
        OLD_PAID,
        [{"month": old_day.strftime("%Y-%m"), "amount": OLD_PAID}],
    )

    # Who may ask, and the refused ranges.
    assert api.get("/stats").status_code == 401
    assert api.get("/stats", token="qqc_invalid").status_code == 401
    for email in (scene.org_email, scene.company_email):
        refused = api.get("/stats?from=2026-06-01&to=2026-05-01", token=issue_token(client, email))
        assert refused.status_code == 403  # before the parameters are read
    inverted = api.get("/stats?from=2026-06-01&to=2026-05-01", token=staff)
    assert inverted.status_code == 422
    assert inverted.get_json()["error"]["fields"] == {"from": "开始日期不能晚于结束日期，请调换或重新选择"}
    bad = api.get("/stats?from=2026/01/01&to=tomorrow", token=staff).get_json()["error"]["fields"]
    assert set(bad) == {"from", "to"}
    too_long = api.get(f"/stats?from=2020-01-01&to={today.isoformat()}", token=staff).get_json()
    assert too_long["error"]["fields"] == {"to": "日期范围不能超过 5 年"}
    assert api.get(f"/stats?from={(today + timedelta(days=1)).isoformat()}", token=staff).status_code == 422

    documented = {("/stats", "get", status) for status in DOCUMENT["paths"]["/stats"]["get"]["responses"]}
    assert documented - api.seen == set(), f"documented responses never produced: {documented - api.seen}"


def test_admins_see_the_stats_of_an_empty_platform(app: Flask, client: FlaskClient) -> None:
    from marketplace.accounts.models import Role

    with app.app_context():
        email = factories.staff(role=Role.ADMIN).email
    body = ApiChecker(client).get("/stats", token=issue_token(client, email)).get_json()
    assert body["raised_amount"] == body["pledge_count"] == 0
    assert [item["amount"] for item in body["series"]["raised_by_month"]] == [0] * 12
    assert body["series"]["raised_by_category"] == body["series"]["raised_by_district"] == []
    assert [item["count"] for item in body["series"]["introduction_funnel"]] == [0, 0, 0, 0]
