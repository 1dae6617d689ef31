"""The sponsor-matching API: a company's sponsor profile, its matches, a project's potential
sponsors, and staff introductions from sending to conversion by a pledge. Every request goes through
``ApiChecker``, so every response is also validated against the OpenAPI document; every refused
call is checked to have changed nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.matching.models import Introduction, SponsorProfile
from marketplace.notifications.models import Notification
from marketplace.parties.models import Company
from marketplace.projects.models import Project
from marketplace.timeutil import local_today, to_local, utcnow
from tests import factories
from tests.test_api_openapi import HTTP_METHODS, SPEC, ApiChecker
from tests.test_api_pledges import Cast, build_cast, confirm, user_by_email

CJK = re.compile(r"[\u4e00-\u9fff]")
PROFILE = {
    "focus_categories": ["children", "education"],
    "districts": ["鹿城区", "瓯海区"],
    "pledge_min": 100_000,
    "pledge_max": 2_000_000,
    "yearly_budget": 50_000_000,
    "interest_statement": "关注外来务工子女的课后托管和防溺水安全教育",
    "preferred_grades": ["A4", "A3"],
    "preferred_tiers": ["leading"],
    "volunteer_capacity": 20,
}
MATCHING_PATHS = frozenset(
    {
        "/companies/{company_id}/sponsor-profile",
        "/companies/{company_id}/matches",
        "/projects/{project_id}/sponsor-matches",
        "/introductions",
        "/introductions/funnel",
        "/introductions/{introduction_id}",
    }
)


@pytest.fixture
def api(client: Any) -> ApiChecker:
    return ApiChecker(client)


@pytest.fixture
def cast(app: Flask, world: factories.World) -> Cast:
    return build_cast(app, world)


def snapshot(app: Flask) -> tuple[Any, ...]:
    """Everything these endpoints could change, as plain values."""
    with app.app_context():
        return (
            tuple(
                db.session.execute(
                    select(
                        Introduction.id,
                        Introduction.company_id,
                        Introduction.project_id,
                        Introduction.status,
                        Introduction.note,
                        Introduction.viewed_at,
                        Introduction.interested_at,
                        Introduction.responded_at,
                        Introduction.response_note,
                        Introduction.converted_at,
                    ).order_by(Introduction.id)
                ).all()
            ),
            tuple(
                db.session.execute(
                    select(
                        SponsorProfile.company_id,
                        SponsorProfile.pledge_min,
                        SponsorProfile.pledge_max,
                        SponsorProfile.interest_statement,
                        SponsorProfile.preferred_grades,
                        SponsorProfile.preferred_tiers,
                        SponsorProfile.volunteer_capacity,
                        SponsorProfile.updated_at,
                    ).order_by(SponsorProfile.company_id)
                ).all()
            ),
            tuple(
                (
                    company.id,
                    company.yearly_budget,
                    tuple(c.slug for c in company.focus_categories),
                    tuple(d.name for d in company.districts_of_interest),
                )
                for company in db.session.scalars(select(Company).order_by(Company.id))
            ),
            db.session.scalar(select(func.count()).select_from(Notification)),
        )


def put_profile(api: ApiChecker, cast: Cast, who: str = "company", **overrides: Any) -> Any:
    body = {**PROFILE, **overrides}
    body = {name: value for name, value in body.items() if value is not ...}
    return api.request(
        "put", f"/companies/{cast.world.company_id}/sponsor-profile", token=cast.token(who), json_body=body
    )


def introduce(api: ApiChecker, cast: Cast, who: str = "staff", **overrides: Any) -> Any:
    body = {"company_id": cast.world.company_id, "project_id": cast.project_id, "note": "这个项目很适合贵司"}
    body.update(overrides)
    return api.post("/introductions", token=cast.token(who), json_body=body)


def sent_introduction(api: ApiChecker, cast: Cast) -> int:
    response = introduce(api, cast)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def second_project(app: Flask, cast: Cast) -> int:
    """A published project of the other organization, in a category the company did not name."""
    with app.app_context():
        owner = user_by_email(cast.world.other_org_email)
        project = factories.project(
            owner,
            status="published",
            title="长者助餐：社区食堂",
            summary="为独居老人提供午餐。",
            category="elderly",
            district="龙湾区",
            goal_yuan="50000",
        )
        return project.id


# ───────────── the sponsor profile ─────────────


def test_a_company_without_a_profile_gets_its_company_fields(api: ApiChecker, cast: Cast) -> None:
    response = api.get(f"/companies/{cast.world.company_id}/sponsor-profile", token=cast.token("company"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["exists"] is False and body["complete"] is False
    assert body["company"]["id"] == cast.world.company_id
    assert body["focus_categories"] == ["children"]  # from the company profile
    assert body["pledge_min"] is None and body["interest_statement"] == "" and body["updated_at"] is None
    assert "sponsor_profile" in body["missing"]


def test_a_member_saves_the_profile_and_staff_see_it(app: Flask, api: ApiChecker, cast: Cast) -> None:
    response = put_profile(api, cast)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["exists"] is True and body["complete"] is True and body["missing"] == []
    assert body["focus_categories"] == ["children", "education"]
    assert body["districts"] == ["鹿城区", "瓯海区"]
    assert (body["pledge_min"], body["pledge_max"], body["yearly_budget"]) == (100_000, 2_000_000, 50_000_000)
    assert body["preferred_grades"] == ["A3", "A4"] and body["preferred_tiers"] == ["leading"]
    assert body["volunteer_capacity"] == 20
    for who in ("company", "colleague", "staff", "admin"):
        seen = api.get(f"/companies/{cast.world.company_id}/sponsor-profile", token=cast.token(who))
        assert seen.status_code == 200 and seen.get_json() == body
    # The company's public profile shows the same categories, districts and budget.
    public = api.get(f"/companies/{cast.world.company_id}").get_json()
    assert public["focus_categories"] == ["children", "education"]
    assert public["districts_of_interest"] == ["鹿城区", "瓯海区"]
    assert public["yearly_budget"] == 50_000_000


def test_saving_again_replaces_the_profile(api: ApiChecker, cast: Cast) -> None:
    assert put_profile(api, cast).status_code == 200
    response = put_profile(
        api,
        cast,
        who="colleague",
        focus_categories=[],
        districts=[],
        pledge_min=None,
        pledge_max=None,
        yearly_budget=None,
        interest_statement="",
        preferred_grades=...,
        preferred_tiers=...,
        volunteer_capacity=...,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["focus_categories"] == [] and body["districts"] == [] and body["pledge_max"] is None
    assert body["preferred_grades"] == [] and body["volunteer_capacity"] is None
    assert body["exists"] is True and body["complete"] is False
    assert set(body["missing"]) == {"focus_categories", "interest_statement", "pledge_range"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pledge_min": "100000"}, "pledge_min"),
        ({"pledge_max": 2000.5}, "pledge_max"),
        ({"yearly_budget": "5000万"}, "yearly_budget"),
        ({"pledge_min": True}, "pledge_min"),
        ({"pledge_min": 0}, "pledge_min"),
        ({"pledge_max": -100}, "pledge_max"),
        ({"yearly_budget": -1}, "yearly_budget"),
        ({"pledge_min": 3_000_000, "pledge_max": 2_000_000}, "pledge_max"),
        ({"pledge_max": 10**13}, "pledge_max"),
        ({"focus_categories": [1, 2]}, "focus_categories"),
        ({"focus_categories": "children"}, "focus_categories"),
        ({"focus_categories": ["children", "no-such-category"]}, "focus_categories"),
        ({"districts": ["纽约"]}, "districts"),
        ({"districts": [None]}, "districts"),
        ({"preferred_grades": ["A9"]}, "preferred_grades"),
        ({"preferred_grades": [3]}, "preferred_grades"),
        ({"preferred_tiers": ["giant"]}, "preferred_tiers"),
        ({"volunteer_capacity": "20"}, "volunteer_capacity"),
        ({"volunteer_capacity": 2.5}, "volunteer_capacity"),
        ({"volunteer_capacity": -3}, "volunteer_capacity"),
        ({"interest_statement": 42}, "interest_statement"),
        ({"interest_statement": None}, "interest_statement"),
        ({"interest_statement": "很" * 2001}, "interest_statement"),
        ({"interest_statement": ...}, "interest_statement"),
        ({"pledge_min": ...}, "pledge_min"),
        ({"focus_categories": ...}, "focus_categories"),
        ({"company_id": 99}, "company_id"),
    ],
)
def test_bad_profiles_are_422_in_chinese_and_save_nothing(
    app: Flask, api: ApiChecker, cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    before = snapshot(app)
    response = put_profile(api, cast, **overrides)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert field in error["fields"], error
    assert CJK.search(error["fields"][field]), error
    assert snapshot(app) == before


def test_every_bad_profile_field_is_reported_at_once(api: ApiChecker, cast: Cast) -> None:
    response = put_profile(api, cast, focus_categories=["nope"], districts=["纽约"], preferred_tiers=["x"])
    assert response.status_code == 422
    assert {"focus_categories", "districts", "preferred_tiers"} <= set(response.get_json()["error"]["fields"])


def test_profile_errors_follow_the_language(api: ApiChecker, cast: Cast) -> None:
    response = api.request(
        "put",
        f"/companies/{cast.world.company_id}/sponsor-profile",
        token=cast.token("company"),
        json_body={**PROFILE, "pledge_min": "100"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert not CJK.search(response.get_json()["error"]["fields"]["pledge_min"])


def test_non_json_profiles_are_refused(app: Flask, api: ApiChecker, cast: Cast) -> None:
    before = snapshot(app)
    path = f"/companies/{cast.world.company_id}/sponsor-profile"
    token = cast.token("company")
    assert (
        api.request("put", path, token=token, data="pledge_min=1", content_type="text/plain").status_code
        == 415
    )
    assert api.request("put", path, token=token, data="{", content_type="application/json").status_code == 400
    assert api.request("put", path, token=token, json_body=[PROFILE]).status_code == 400
    assert snapshot(app) == before


@pytest.mark.parametrize("who", ["org", "other_org", "other_company", "staff", "admin"])
def test_only_the_company_saves_its_profile(app: Flask, api: ApiChecker, cast: Cast, who: str) -> None:
    before = snapshot(app)
    assert put_profile(api, cast, who=who).status_code == 403
    assert snapshot(app) == before


def test_profiles_of_unknown_companies_and_strangers(app: Flask, api: ApiChecker, cast: Cast) -> None:
    before = snapshot(app)
    path = f"/companies/{cast.world.company_id}/sponsor-profile"
    assert api.request("put", path, json_body=PROFILE).status_code == 401
    assert api.get(path).status_code == 401
    assert (
        api.request(
            "put", "/companies/999999/sponsor-profile", token=cast.token("company"), json_body=PROFILE
        ).status_code
        == 404
    )
    assert api.get("/companies/999999/sponsor-profile", token=cast.token("staff")).status_code == 404
    for who in ("org", "other_org", "other_company"):
        assert api.get(path, token=cast.token(who)).status_code == 403
    assert snapshot(app) == before


def test_an_unverified_company_is_hidden_from_others(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pending = _company_of(app, cast.user_ids["unverified_company"])
    own = cast.token("unverified_company")
    for path in (f"/companies/{pending}/sponsor-profile", f"/companies/{pending}/matches"):
        assert api.get(path, token=own).status_code == 200
        assert api.get(path, token=cast.token("staff")).status_code == 200
        for who in ("company", "org"):
            assert api.get(path, token=cast.token(who)).status_code == 404
    saved = api.request("put", f"/companies/{pending}/sponsor-profile", token=own, json_body=PROFILE)
    assert saved.status_code == 200 and saved.get_json()["exists"] is True


# ───────────── matches ─────────────


def test_a_company_sees_its_matches_best_first(app: Flask, api: ApiChecker, cast: Cast) -> None:
    other_id = second_project(app, cast)
    path = f"/companies/{cast.world.company_id}/matches"
    before = api.get(path, token=cast.token("company")).get_json()
    assert before["profile_complete"] is False
    assert put_profile(api, cast).status_code == 200
    response = api.get(path, token=cast.token("company"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["profile_complete"] is True
    ids = [item["project"]["id"] for item in body["items"]]
    assert ids == [cast.project_id, other_id]  # a children's project in 鹿城区 fits best
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True) and 0 <= scores[-1] <= scores[0] <= 100
    first = body["items"][0]
    project = first["project"]
    assert project["title"] == "已发布项目：防溺水安全课" and project["category"] == "children"
    assert project["district"] == "鹿城区" and project["organization"]["id"] == cast.world.organization_id
    assert project["goal_amount"] == 2_000_000 and project["raised_amount"] == 0
    assert project["url"] == f"/api/v1/projects/{cast.project_id}"
    assert project["page_url"] == f"/projects/{cast.project_id}"
    assert first["gap"] == 2_000_000
    assert first["suggested_amount"] == 2_000_000  # the gap, within the company's pledge range
    codes = [reason["code"] for reason in first["reasons"]]
    assert "category" in codes and "district" in codes
    assert all(reason["text"] for reason in first["reasons"])
    # A limit of one returns the best only.
    limited = api.get(f"{path}?limit=1", token=cast.token("company")).get_json()
    assert [item["project"]["id"] for item in limited["items"]] == [cast.project_id]


def test_reasons_speak_to_the_company_and_about_it_to_staff(api: ApiChecker, cast: Cast) -> None:
    assert put_profile(api, cast).status_code == 200
    path = f"/companies/{cast.world.company_id}/matches"
    own = api.get(path, token=cast.token("company")).get_json()["items"][0]["reasons"]
    staff = api.get(path, token=cast.token("staff")).get_json()["items"][0]["reasons"]
    assert any("贵司" in reason["text"] for reason in own)
    assert not any("贵司" in reason["text"] for reason in staff)
    assert any("该企业" in reason["text"] for reason in staff)


def test_reasons_are_english_with_accept_language_en(api: ApiChecker, cast: Cast) -> None:
    path = f"/companies/{cast.world.company_id}/matches"
    chinese = api.get(path, token=cast.token("company")).get_json()["items"][0]["reasons"]
    english = api.get(path, token=cast.token("company"), headers={"Accept-Language": "en"}).get_json()
    reasons = english["items"][0]["reasons"]
    assert [r["code"] for r in reasons] == [r["code"] for r in chinese]
    by_code = {r["code"]: r["text"] for r in reasons}
    assert "儿童关爱" in {r["code"]: r["text"] for r in chinese}["category"]
    assert "Child care" in by_code["category"] and "儿童关爱" not in by_code["category"]
    assert "Lucheng" in by_code["district"] and "鹿城区" not in by_code["district"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_company", 403), ("org", 403), ("other_org", 403), ("unverified_company", 403)],
)
def test_strangers_may_not_see_a_companys_matches(api: ApiChecker, cast: Cast, who: str, status: int) -> None:
    response = api.get(f"/companies/{cast.world.company_id}/matches", token=cast.token(who))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "query", ["limit=101", "limit=abc", "limit=0", "limit=-1", "limit=1.5", "limit=%EF%BC%91"]
)
def test_a_bad_limit_is_422(api: ApiChecker, cast: Cast, query: str) -> None:
    response = api.get(f"/companies/{cast.world.company_id}/matches?{query}", token=cast.token("company"))
    assert response.status_code == 422
    assert "limit" in response.get_json()["error"]["fields"]
    sponsors = api.get(f"/projects/{cast.project_id}/sponsor-matches?{query}", token=cast.token("org"))
    assert sponsors.status_code == 422 and "limit" in sponsors.get_json()["error"]["fields"]


def test_limit_100_is_allowed_and_unknown_companies_are_404(api: ApiChecker, cast: Cast) -> None:
    ok = api.get(f"/companies/{cast.world.company_id}/matches?limit=100", token=cast.token("staff"))
    assert ok.status_code == 200
    assert api.get("/companies/999999/matches", token=cast.token("staff")).status_code == 404
    assert api.get(f"/companies/{cast.world.company_id}/matches").status_code == 401


def test_a_project_pledged_to_is_not_suggested_again(app: Flask, api: ApiChecker, cast: Cast) -> None:
    with app.app_context():
        project = db.session.get(Project, cast.project_id)
        factories.pledge(project, user_by_email(cast.world.company_email), 50_000)
    body = api.get(f"/companies/{cast.world.company_id}/matches", token=cast.token("company")).get_json()
    assert cast.project_id not in [item["project"]["id"] for item in body["items"]]


# ───────────── a project's potential sponsors ─────────────


def test_the_organization_and_staff_see_a_projects_sponsors(app: Flask, api: ApiChecker, cast: Cast) -> None:
    assert put_profile(api, cast).status_code == 200
    unverified = _company_of(app, cast.user_ids["unverified_company"])
    path = f"/projects/{cast.project_id}/sponsor-matches"
    for who in ("org", "staff", "admin"):
        response = api.get(path, token=cast.token(who))
        assert response.status_code == 200
        items = response.get_json()["items"]
        assert items[0]["company"] == {"id": cast.world.company_id, "name": items[0]["company"]["name"]}
        assert items[0]["reasons"] and 0 < items[0]["score"] <= 100
        assert all("贵司" not in reason["text"] for item in items for reason in item["reasons"])
        scores = [item["score"] for item in items]
        assert scores == sorted(scores, reverse=True)
        # Unverified companies are never suggested.
        assert unverified not in [item["company"]["id"] for item in items]


def test_strangers_may_not_see_a_projects_sponsors(api: ApiChecker, cast: Cast) -> None:
    path = f"/projects/{cast.project_id}/sponsor-matches"
    for who in ("other_org", "company", "other_company"):
        assert api.get(path, token=cast.token(who)).status_code == 403
    assert api.get(path).status_code == 401
    assert api.get("/projects/999999/sponsor-matches", token=cast.token("staff")).status_code == 404
    # Another organization's draft is hidden; the owner's own draft has no sponsors yet.
    assert (
        api.get(f"/projects/{cast.world.other_draft_id}/sponsor-matches", token=cast.token("org")).status_code
        == 404
    )
    draft = api.get(f"/projects/{cast.world.draft_id}/sponsor-matches", token=cast.token("org"))
    assert draft.status_code == 200 and draft.get_json()["items"] == []


# ───────────── introductions ─────────────


def test_staff_introduce_a_company_to_a_project(app: Flask, api: ApiChecker, cast: Cast) -> None:
    response = introduce(api, cast)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "sent" and body["status_label"] == "已发送" and body["open"] is True
    assert body["company"]["id"] == cast.world.company_id and body["project"]["id"] == cast.project_id
    assert body["organization"]["id"] == cast.world.organization_id
    assert body["staff"]["id"] == cast.user_ids["staff"]
    assert body["note"] == "这个项目很适合贵司" and 0 <= body["score"] <= 100
    assert body["viewed_at"] is None and body["raised_amount"] == 0
    assert response.headers["Location"].endswith(f"/api/v1/introductions/{body['id']}")
    for who in ("company", "colleague", "staff", "admin"):
        seen = api.get(f"/introductions/{body['id']}", token=cast.token(who))
        assert seen.status_code == 200 and seen.get_json() == body
    with app.app_context():  # both members of the company are told
        notified = db.session.scalars(select(Notification.user_id).where(Notification.kind == "introduction"))
        assert set(notified) == {cast.user_ids["company"], cast.user_ids["colleague"]}


def test_a_note_is_optional(api: ApiChecker, cast: Cast) -> None:
    response = api.post(
        "/introductions",
        token=cast.token("staff"),
        json_body={"company_id": cast.world.company_id, "project_id": cast.project_id},
    )
    assert response.status_code == 201 and response.get_json()["note"] == ""


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"project_id": "draft"}, 422, "project_id"),  # an unpublished project
        ({"project_id": "submitted"}, 422, "project_id"),
        ({"project_id": 999_999}, 404, None),
        ({"company_id": 999_999}, 404, None),
        ({"company_id": "unverified"}, 422, "company_id"),
        ({"company_id": "1"}, 422, "company_id"),
        ({"project_id": 1.0}, 422, "project_id"),
        ({"project_id": None}, 422, "project_id"),
        ({"note": "话" * 1001}, 422, "note"),
        ({"note": 5}, 422, "note"),
        ({"status": "converted"}, 422, "status"),
    ],
)
def test_bad_introductions_are_refused_and_change_nothing(
    app: Flask, api: ApiChecker, cast: Cast, overrides: dict[str, Any], status: int, field: str | None
) -> None:
    named = {
        "draft": cast.world.draft_id,
        "submitted": cast.world.submitted_id,
        "unverified": _company_of(app, cast.user_ids["unverified_company"]),
    }
    body = {
        name: named.get(value, value) if isinstance(value, str) else value
        for name, value in overrides.items()
    }
    before = snapshot(app)
    response = introduce(api, cast, **body)
    assert response.status_code == status, response.get_json()
    if field is not None:
        assert field in response.get_json()["error"]["fields"]
        assert CJK.search(response.get_json()["error"]["fields"][field])
    assert snapshot(app) == before


def _company_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return db.session.get(User, user_id).company_id


def test_a_duplicate_open_introduction_is_409(app: Flask, api: ApiChecker, cast: Cast) -> None:
    first = sent_introduction(api, cast)
    before = snapshot(app)
    response = introduce(api, cast, who="admin", note="再介绍一次")
    assert response.status_code == 409
    assert "project_id" in response.get_json()["error"]["fields"]
    assert snapshot(app) == before
    # Once the company declined, the pair may be introduced again.
    declined = api.patch(
        f"/introductions/{first}", token=cast.token("company"), json_body={"status": "declined"}
    )
    assert declined.status_code == 200
    assert introduce(api, cast).status_code == 201


@pytest.mark.parametrize("who", ["company", "org", "other_org", "other_company"])
def test_only_staff_introduce(app: Flask, api: ApiChecker, cast: Cast, who: str) -> None:
    before = snapshot(app)
    assert introduce(api, cast, who=who).status_code == 403
    # Refused before the body is read: not even a 404 for an unknown project leaks.
    assert introduce(api, cast, who=who, project_id=999_999).status_code == 403
    assert api.post("/introductions", json_body={"company_id": 1, "project_id": 1}).status_code == 401
    assert snapshot(app) == before


def test_malformed_introductions_are_refused(app: Flask, api: ApiChecker, cast: Cast) -> None:
    before = snapshot(app)
    staff = cast.token("staff")
    assert (
        api.post("/introductions", token=staff, data="{", content_type="application/json").status_code == 400
    )
    assert api.post("/introductions", token=staff, data="company_id=1").status_code == 415
    intro_id = sent_introduction(api, cast)
    after_send = snapshot(app)
    assert after_send != before
    path = f"/introductions/{intro_id}"
    company = cast.token("company")
    assert api.patch(path, token=company, data="[", content_type="application/json").status_code == 400
    assert api.patch(path, token=company, data="status=viewed", content_type="text/plain").status_code == 415
    assert api.patch(path, token=company, json_body={}).status_code == 422
    assert snapshot(app) == after_send


def test_the_company_answers_an_introduction(app: Flask, api: ApiChecker, cast: Cast) -> None:
    intro_id = sent_introduction(api, cast)
    path = f"/introductions/{intro_id}"
    viewed = api.patch(path, token=cast.token("company"), json_body={"status": "viewed"})
    assert viewed.status_code == 200
    assert viewed.get_json()["status"] == "viewed" and viewed.get_json()["viewed_at"]
    assert viewed.get_json()["responded_at"] is None
    again = api.patch(path, token=cast.token("colleague"), json_body={"status": "viewed"})
    assert again.status_code == 200 and again.get_json()["viewed_at"] == viewed.get_json()["viewed_at"]
    interested = api.patch(
        path, token=cast.token("colleague"), json_body={"status": "interested", "note": "下周联系组织"}
    )
    assert interested.status_code == 200
    body = interested.get_json()
    assert body["status"] == "interested" and body["open"] is True
    assert body["interested_at"] and body["responded_at"] and body["response_note"] == "下周联系组织"
    english = api.get(path, token=cast.token("staff"), headers={"Accept-Language": "en"}).get_json()
    assert english["status"] == "interested"
    with app.app_context():  # the staff member who sent it hears the answer
        answers = db.session.scalars(
            select(Notification.body).where(
                Notification.user_id == cast.user_ids["staff"], Notification.kind == "introduction"
            )
        ).all()
        assert len(answers) == 1 and "下周联系组织" in answers[0]  # "viewed" alone is not announced


@pytest.mark.parametrize(
    ("who", "status"),
    [("staff", 403), ("admin", 403), ("org", 404), ("other_org", 404), ("other_company", 404)],
)
def test_only_the_company_answers(app: Flask, api: ApiChecker, cast: Cast, who: str, status: int) -> None:
    intro_id = sent_introduction(api, cast)
    before = snapshot(app)
    response = api.patch(
        f"/introductions/{intro_id}", token=cast.token(who), json_body={"status": "interested"}
    )
    assert response.status_code == status
    assert api.patch(f"/introductions/{intro_id}", json_body={"status": "viewed"}).status_code == 401
    assert snapshot(app) == before


@pytest.mark.parametrize("status", ["converted", "sent", "accepted", ""])
def test_unknown_or_automatic_statuses_are_422(app: Flask, api: ApiChecker, cast: Cast, status: str) -> None:
    intro_id = sent_introduction(api, cast)
    before = snapshot(app)
    response = api.patch(
        f"/introductions/{intro_id}", token=cast.token("company"), json_body={"status": status}
    )
    assert response.status_code == 422
    assert "status" in response.get_json()["error"]["fields"]
    assert snapshot(app) == before


def test_illegal_moves_are_409(app: Flask, api: ApiChecker, cast: Cast) -> None:
    intro_id = sent_introduction(api, cast)
    path = f"/introductions/{intro_id}"
    company = cast.token("company")
    assert (
        api.patch(path, token=company, json_body={"status": "declined", "note": "预算已用完"}).status_code
        == 200
    )
    before = snapshot(app)
    for status in ("interested", "viewed"):
        response = api.patch(path, token=company, json_body={"status": status})
        assert response.status_code == 409
        assert CJK.search(response.get_json()["error"]["message"])
    assert snapshot(app) == before
    assert (
        api.patch("/introductions/999999", token=company, json_body={"status": "viewed"}).status_code == 404
    )


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_listing_introductions(app: Flask, api: ApiChecker, cast: Cast) -> None:
    other_project = second_project(app, cast)
    mine = sent_introduction(api, cast)
    other = introduce(api, cast, who="admin", company_id=cast.other_company_id).get_json()["id"]
    third = introduce(api, cast, project_id=other_project).get_json()["id"]
    staff = cast.token("staff")
    assert ids(api.get("/introductions", token=staff)) == [third, other, mine]  # newest first
    assert ids(api.get(f"/introductions?company_id={cast.other_company_id}", token=staff)) == [other]
    assert ids(api.get(f"/introductions?project_id={other_project}", token=staff)) == [third]
    assert ids(api.get(f"/introductions?staff_id={cast.user_ids['admin']}", token=staff)) == [other]
    assert ids(api.get("/introductions?limit=1", token=staff)) == [third]
    api.patch(f"/introductions/{mine}", token=cast.token("company"), json_body={"status": "interested"})
    assert ids(api.get("/introductions?status=interested", token=staff)) == [mine]
    assert ids(api.get("/introductions?status=sent", token=cast.token("admin"))) == [third, other]
    # Companies see their own only, whatever they ask for.
    assert ids(api.get("/introductions", token=cast.token("company"))) == [third, mine]
    assert (
        ids(api.get(f"/introductions?company_id={cast.other_company_id}", token=cast.token("company"))) == []
    )
    assert ids(api.get("/introductions", token=cast.token("other_company"))) == [other]
    for who in ("org", "other_org"):
        assert api.get("/introductions", token=cast.token(who)).status_code == 403
    assert api.get("/introductions").status_code == 401
    for query in ("status=nope", "staff_id=abc", "company_id=0", "limit=101"):
        response = api.get(f"/introductions?{query}", token=staff)
        assert response.status_code == 422, query
        assert set(response.get_json()["error"]["fields"]) == {query.split("=")[0]}


def test_others_do_not_see_an_introduction(api: ApiChecker, cast: Cast) -> None:
    intro_id = sent_introduction(api, cast)
    for who in ("org", "other_org", "other_company"):
        response = api.get(f"/introductions/{intro_id}", token=cast.token(who))
        assert response.status_code == 404
    assert api.get("/introductions/999999", token=cast.token("staff")).status_code == 404
    assert api.get(f"/introductions/{intro_id}").status_code == 401


# ───────────── conversion and the funnel ─────────────


def test_a_pledge_converts_the_introduction_and_the_funnel_counts_the_money(
    app: Flask, api: ApiChecker, cast: Cast
) -> None:
    intro_id = sent_introduction(api, cast)
    assert (
        api.patch(
            f"/introductions/{intro_id}", token=cast.token("company"), json_body={"status": "interested"}
        )
    ).status_code == 200
    pledge = api.post(
        f"/projects/{cast.project_id}/pledges",
        token=cast.token("colleague"),
        json_body={"amount": 300_000, "method": "bank_transfer"},
        headers={"Idempotency-Key": "intro-pledge-1"},
    )
    assert pledge.status_code == 201
    pledge_id = pledge.get_json()["id"]
    converted = api.get(f"/introductions/{intro_id}", token=cast.token("staff")).get_json()
    assert converted["status"] == "converted" and converted["converted_via"] == "pledge"
    assert converted["pledge_id"] == pledge_id and converted["converted_at"] and converted["open"] is False
    assert converted["raised_amount"] == 0  # pledged, not paid yet
    funnel = api.get("/introductions/funnel", token=cast.token("staff")).get_json()
    assert funnel["by"] == "staff"
    [row] = funnel["rows"]
    assert (row["sent"], row["viewed"], row["interested"], row["converted"]) == (1, 1, 1, 1)
    assert row["conversion_percent"] == 100 and row["raised_amount"] == 0

    assert confirm(api, cast, pledge_id, 300_000, "BANK-INTRO-1").status_code == 200
    [row] = api.get("/introductions/funnel?by=staff", token=cast.token("admin")).get_json()["rows"]
    assert row["raised_amount"] == 300_000
    with app.app_context():
        assert row["key"] == db.session.get(User, cast.user_ids["staff"]).name
    assert (
        api.get(f"/introductions/{intro_id}", token=cast.token("company")).get_json()["raised_amount"]
        == 300_000
    )
    month = api.get("/introductions/funnel?by=month", token=cast.token("staff")).get_json()
    assert month["by"] == "month"
    assert [r["key"] for r in month["rows"]] == [to_local(utcnow()).strftime("%Y-%m")]
    assert month["rows"][0]["raised_amount"] == 300_000

    # A converted introduction cannot be answered any more, and the refusal changes nothing.
    before = snapshot(app)
    for status in ("declined", "interested"):
        response = api.patch(
            f"/introductions/{intro_id}", token=cast.token("company"), json_body={"status": status}
        )
        assert response.status_code == 409
    assert snapshot(app) == before


def test_the_funnel_by_day_range_and_bad_parameters(app: Flask, api: ApiChecker, cast: Cast) -> None:
    sent_introduction(api, cast)
    staff = cast.token("staff")
    today = local_today()
    inside = api.get(f"/introductions/funnel?since={today}&until={today}", token=staff).get_json()
    assert [row["sent"] for row in inside["rows"]] == [1]
    later = (today + timedelta(days=1)).isoformat()
    assert api.get(f"/introductions/funnel?since={later}", token=staff).get_json()["rows"] == []
    earlier = (today - timedelta(days=1)).isoformat()
    assert api.get(f"/introductions/funnel?until={earlier}", token=staff).get_json()["rows"] == []
    for query, field in (("by=week", "by"), ("since=2026/01/01", "since"), ("until=yesterday", "until")):
        response = api.get(f"/introductions/funnel?{query}", token=staff)
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"]
    for who in ("company", "org", "other_company"):
        assert api.get("/introductions/funnel", token=cast.token(who)).status_code == 403
    assert api.get("/introductions/funnel").status_code == 401


# ───────────── the document ─────────────


def test_matching_endpoints_match_the_document(app: Flask, api: ApiChecker, cast: Cast) -> None:
    """Every documented response of the matching endpoints is produced (and validated) here."""
    company, staff, org = cast.token("company"), cast.token("staff"), cast.token("org")
    profile = f"/companies/{cast.world.company_id}/sponsor-profile"
    assert api.get(profile, token=company).status_code == 200
    assert api.get(profile).status_code == 401
    assert api.get(profile, token=org).status_code == 403
    assert api.get("/companies/999999/sponsor-profile", token=staff).status_code == 404
    assert api.request("put", profile, token=company, json_body=PROFILE).status_code == 200
    assert (
        api.request("put", profile, token=company, data="{", content_type="application/json").status_code
        == 400
    )
    assert api.request("put", profile, json_body=PROFILE).status_code == 401
    assert api.request("put", profile, token=staff, json_body=PROFILE).status_code == 403
    assert (
        api.request("put", "/companies/999999/sponsor-profile", token=company, json_body=PROFILE).status_code
        == 404
    )
    assert api.request("put", profile, token=company, data="x", content_type="text/plain").status_code == 415
    assert (
        api.request("put", profile, token=company, json_body={**PROFILE, "pledge_min": 1.5}).status_code
        == 422
    )

    matches = f"/companies/{cast.world.company_id}/matches"
    assert api.get(matches, token=company).status_code == 200
    assert api.get(matches).status_code == 401
    assert api.get(matches, token=org).status_code == 403
    assert api.get("/companies/999999/matches", token=staff).status_code == 404
    assert api.get(f"{matches}?limit=101", token=company).status_code == 422

    sponsors = f"/projects/{cast.project_id}/sponsor-matches"
    assert api.get(sponsors, token=org).status_code == 200
    assert api.get(sponsors).status_code == 401
    assert api.get(sponsors, token=company).status_code == 403
    assert api.get("/projects/999999/sponsor-matches", token=staff).status_code == 404
    assert api.get(f"{sponsors}?limit=abc", token=staff).status_code == 422

    intro_body = {"company_id": cast.world.company_id, "project_id": cast.project_id, "note": "推荐"}
    created = api.post("/introductions", token=staff, json_body=intro_body)
    assert created.status_code == 201
    intro = f"/introductions/{created.get_json()['id']}"
    assert (
        api.post("/introductions", token=staff, data="{", content_type="application/json").status_code == 400
    )
    assert api.post("/introductions", json_body=intro_body).status_code == 401
    assert api.post("/introductions", token=company, json_body=intro_body).status_code == 403
    assert (
        api.post("/introductions", token=staff, json_body={**intro_body, "company_id": 999_999}).status_code
        == 404
    )
    assert api.post("/introductions", token=staff, json_body=intro_body).status_code == 409
    assert api.post("/introductions", token=staff, data="x", content_type="text/plain").status_code == 415
    draft = {**intro_body, "project_id": cast.world.draft_id}
    assert api.post("/introductions", token=staff, json_body=draft).status_code == 422

    assert api.get("/introductions", token=staff).status_code == 200
    assert api.get("/introductions").status_code == 401
    assert api.get("/introductions", token=org).status_code == 403
    assert api.get("/introductions?status=nope", token=staff).status_code == 422

    assert api.get(intro, token=company).status_code == 200
    assert api.get(intro).status_code == 401
    assert api.get(intro, token=org).status_code == 404

    assert api.patch(intro, token=company, json_body={"status": "viewed"}).status_code == 200
    assert api.patch(intro, token=company, data="[", content_type="application/json").status_code == 400
    assert api.patch(intro, json_body={"status": "viewed"}).status_code == 401
    assert api.patch(intro, token=staff, json_body={"status": "viewed"}).status_code == 403
    assert api.patch(intro, token=org, json_body={"status": "viewed"}).status_code == 404
    assert api.patch(intro, token=company, data="x", content_type="text/plain").status_code == 415
    assert api.patch(intro, token=company, json_body={"status": "converted"}).status_code == 422
    assert api.patch(intro, token=company, json_body={"status": "declined"}).status_code == 200
    assert api.patch(intro, token=company, json_body={"status": "interested"}).status_code == 409

    assert api.get("/introductions/funnel?by=month", token=staff).status_code == 200
    assert api.get("/introductions/funnel").status_code == 401
    assert api.get("/introductions/funnel", token=company).status_code == 403
    assert api.get("/introductions/funnel?by=week", token=staff).status_code == 422

    documented = {
        (path, method, status)
        for path, item in SPEC["paths"].items()
        if path in MATCHING_PATHS
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status in operation["responses"]
    }
    assert {path for path, _, _ in documented} == MATCHING_PATHS
    assert not documented - api.seen, f"documented responses never produced: {sorted(documented - api.seen)}"
