"""Sponsor matching pages: the sponsor profile form, "为您推荐" on the company dashboard, the
"潜在赞助企业" block of a project page, staff's matchmaking board, and introductions from sending
through the company's answer to the pledge that converts them (with the funnel counting it all)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.matching import operations
from marketplace.matching.models import Introduction, SponsorProfile
from marketplace.parties.models import Company
from marketplace.projects.models import Project
from marketplace.timeutil import to_local
from tests import factories
from tests.pages import html, login, text


@dataclass(frozen=True)
class Cast:
    staff: str
    other_staff: str
    org: str  # owns both projects
    other_org: str
    sponsor: str  # verified company, focus 儿童关爱 (factory default), 鹿城区
    sponsor_company_id: int
    second: str  # another verified company
    second_company_id: int
    unverified: str
    unverified_company_id: int
    project_id: int  # 四点钟课堂: children, 鹿城区, goal ¥20,000
    elderly_project_id: int  # 长者助餐: elderly, 瓯海区
    draft_id: int


@pytest.fixture
def cast(app: Flask) -> Cast:
    with app.app_context():
        reviewer = factories.staff()
        other_staff = factories.staff()
        org = factories.org_member()
        project = factories.project(org, status="published", reviewer=reviewer, title="四点钟课堂")
        elderly = factories.project(
            org,
            status="published",
            reviewer=reviewer,
            title="长者助餐",
            summary="为独居老人送午餐。",
            description="社区长者食堂，每天为独居老人送餐上门。",
            category="elderly",
            district="瓯海区",
            tags=["长者", "助餐"],
        )
        draft = factories.project(org, title="社区图书角草稿")
        sponsor = factories.company_member(name="温州瓯江鞋业有限公司")
        second = factories.company_member(name="鹿城爱心科技有限公司")
        unverified = factories.company_member(verified=False, name="待认证贸易有限公司")
        return Cast(
            staff=reviewer.email,
            other_staff=other_staff.email,
            org=org.email,
            other_org=factories.org_member().email,
            sponsor=sponsor.email,
            sponsor_company_id=sponsor.company_id,
            second=second.email,
            second_company_id=second.company_id,
            unverified=unverified.email,
            unverified_company_id=unverified.company_id,
            project_id=project.id,
            elderly_project_id=elderly.id,
            draft_id=draft.id,
        )


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def profile_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "focus_categories": ["children", "elderly"],
        "districts": ["瓯海区"],
        "pledge_min": "2000",
        "pledge_max": "20,000",
        "yearly_budget": "200000",
        "interest_statement": "关注留守儿童的课后陪伴和阅读",
        "preferred_grades": ["A4", "A5"],
        "preferred_tiers": ["leading"],
        "volunteer_capacity": "20",
    }
    data.update(overrides)
    return data


def introduce(client: FlaskClient, company_id: int, project_id: int, note: str = "", back: str = "") -> Any:
    return client.post(
        "/staff/introductions",
        data={"company_id": company_id, "project_id": project_id, "note": note, "back": back},
    )


def introductions(app: Flask) -> list[Introduction]:
    with app.app_context():
        found = list(db.session.scalars(select(Introduction).order_by(Introduction.id)))
        for item in found:
            db.session.expunge(item)
        return found


def table_row(page: str, first_cell: str) -> list[str]:
    """The cells (as text) of the table row whose first cell is `first_cell`."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        ]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row for {first_cell!r}")


# ───────────── sponsor profile ─────────────


def test_profile_form_saves_in_fen_and_shows_it_again(app: Flask, cast: Cast) -> None:
    client = login(app, cast.sponsor)
    page = client.get("/sponsor-profile")
    assert page.status_code == 200
    assert "关注说明" in html(page)
    assert "逐词比对" in html(page)  # explains that the statement drives text matching
    assert 'value="children" checked' in html(page)  # prefilled from the company profile
    response = client.post("/sponsor-profile", data=profile_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/dashboard")
    with app.app_context():
        profile = db.session.get(SponsorProfile, cast.sponsor_company_id)
        assert profile is not None
        assert (profile.pledge_min, profile.pledge_max) == (200_000, 2_000_000)
        assert profile.preferred_grades == ["A4", "A5"]
        assert profile.preferred_tiers == ["leading"]
        assert profile.volunteer_capacity == 20
        company = db.session.get(Company, cast.sponsor_company_id)
        assert company.yearly_budget == 20_000_000
        assert [c.slug for c in company.focus_categories] == ["elderly", "children"]  # by position
        assert [d.name for d in company.districts_of_interest] == ["瓯海区"]
    again = html(client.get("/sponsor-profile"))
    assert 'value="20000"' in again and 'value="2000"' in again and 'value="200000"' in again
    assert "关注留守儿童的课后陪伴和阅读" in again
    assert 'value="A4" checked' in again and 'value="leading" checked' in again
    assert ">4A<" in again  # grades read the Chinese way
    assert "名木" in again


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"pledge_min": "5000", "pledge_max": "1000"}, "pledge_max", "单笔认捐上限不能低于下限"),
        ({"pledge_max": "两万"}, "pledge_max", "金额必须是数字"),
        ({"pledge_min": "0"}, "pledge_min", "金额必须大于 0"),
        ({"yearly_budget": "1.001"}, "yearly_budget", "金额最多保留两位小数"),
        (
            {"focus_categories": ["children", "space-travel"]},
            "focus_categories",
            "未知的服务领域：space-travel",
        ),
        ({"districts": ["火星区"]}, "districts", "「火星区」不是温州市的区县"),
        ({"preferred_grades": ["A9"]}, "preferred_grades", "未知的组织评级：A9"),
        ({"volunteer_capacity": "很多"}, "volunteer_capacity", "志愿者人数请填写整数"),
    ],
)
def test_bad_profile_input_is_reported_on_its_field_and_nothing_is_saved(
    app: Flask, cast: Cast, overrides: dict[str, Any], field: str, message: str
) -> None:
    client = login(app, cast.sponsor)
    response = client.post("/sponsor-profile", data=profile_form(**overrides))
    assert response.status_code == 422
    page = html(response)
    assert message in page
    assert f'id="{field}-error"' in page  # next to its own input
    with app.app_context():
        assert db.session.get(SponsorProfile, cast.sponsor_company_id) is None
        company = db.session.get(Company, cast.sponsor_company_id)
        assert [c.slug for c in company.focus_categories] == ["children"]
        assert company.yearly_budget is None


def test_a_bad_amount_and_other_problems_are_reported_together(app: Flask, cast: Cast) -> None:
    client = login(app, cast.sponsor)
    response = client.post(
        "/sponsor-profile", data=profile_form(pledge_min="abc", focus_categories=["nowhere"])
    )
    assert response.status_code == 422
    assert "金额必须是数字" in html(response)
    assert "未知的服务领域：nowhere" in html(response)
    assert "提交的内容有 2 处需要修改" in html(response)


def test_only_company_members_have_a_sponsor_profile(app: Flask, cast: Cast) -> None:
    assert login(app, cast.org).get("/sponsor-profile").status_code == 403
    assert login(app, cast.staff).get("/sponsor-profile").status_code == 403
    assert app.test_client().get("/sponsor-profile").status_code == 302


# ───────────── the company dashboard ─────────────


def test_dashboard_recommends_with_reasons_and_asks_for_the_profile(app: Flask, cast: Cast) -> None:
    client = login(app, cast.sponsor)
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = html(response)
    assert "为您推荐" in page
    assert "填写赞助偏好，推荐会更准" in page  # no profile yet: a friendly prompt, no error
    assert "/sponsor-profile" in page
    assert "四点钟课堂" in page
    assert "同属 儿童关爱 领域" in page  # the reason, in words
    assert "匹配度" in page
    # No pledge range yet: the one-click pledge proposes the whole gap (¥20,000).
    assert f"/projects/{cast.project_id}/pledge?amount=20000" in page
    assert "一键认捐 ¥20,000" in page
    assert "我的认捐" in page  # the pledge summary stays

    assert (
        client.post("/sponsor-profile", data=profile_form(pledge_min="1000", pledge_max="5000")).status_code
        == 303
    )
    page = html(client.get("/dashboard"))
    assert "填写赞助偏好，推荐会更准" not in page
    assert "修改赞助偏好" in page
    assert f"/projects/{cast.project_id}/pledge?amount=5000" in page  # within the usual range
    assert "与贵司关注的“" in page  # the interest statement matched the project's words


def test_unverified_company_hears_recommendations_come_after_verification(app: Flask, cast: Cast) -> None:
    page = html(login(app, cast.unverified).get("/dashboard"))
    assert "企业通过团区委认证后，这里会按贵司的赞助偏好推荐项目" in page
    assert "一键认捐" not in page


def test_pledge_form_takes_the_suggested_amount(app: Flask, cast: Cast) -> None:
    with app.app_context():
        factories.foundation()  # receives the money of an organization without 公开募捐资格
    client = login(app, cast.sponsor)
    page = html(client.get(f"/projects/{cast.project_id}/pledge?amount=5000"))
    assert re.search(r'name="amount"[^>]*value="5000"', page)
    page = html(client.get(f"/projects/{cast.project_id}/pledge?amount=abc"))
    assert not re.search(r'name="amount"[^>]*value="[^"]+"', page)


# ───────────── the project page's potential sponsors ─────────────


def test_potential_sponsors_show_to_the_owner_and_staff_only(app: Flask, cast: Cast) -> None:
    path = f"/projects/{cast.project_id}"
    owner = html(login(app, cast.org).get(path))
    assert "潜在赞助企业" in owner
    assert "温州瓯江鞋业有限公司" in owner
    assert "同属 儿童关爱 领域" in owner
    assert "/staff/introductions" not in owner  # only staff introduce

    staff_page = html(login(app, cast.staff).get(path))
    assert "潜在赞助企业" in staff_page
    assert 'action="/staff/introductions"' in staff_page
    assert "牵线介绍" in staff_page

    for email in (cast.other_org, cast.sponsor):
        assert "潜在赞助企业" not in html(login(app, email).get(path))
    assert "潜在赞助企业" not in html(app.test_client().get(path))
    # Not while the project is not raising money.
    assert "潜在赞助企业" not in html(login(app, cast.org).get(f"/projects/{cast.draft_id}"))


def test_staff_introduce_from_the_project_page_and_see_it_marked(app: Flask, cast: Cast) -> None:
    client = login(app, cast.staff)
    path = f"/projects/{cast.project_id}"
    response = introduce(client, cast.sponsor_company_id, cast.project_id, "请看看", back=path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(path)
    page = text(client.get(path))
    assert "已向「温州瓯江鞋业有限公司」介绍「四点钟课堂」" in page
    assert "已介绍（已发送）" in page


# ───────────── the staff matchmaking board ─────────────


def test_board_without_precomputed_pairs_says_how_to_compute_them(app: Flask, cast: Cast) -> None:
    page = html(login(app, cast.staff).get("/staff/matchmaking"))
    assert "flask jobs refresh-matches" in page
    assert "尚未计算" in page


def test_board_shows_precomputed_pairs_not_yet_introduced(app: Flask, cast: Cast) -> None:
    with app.app_context():
        assert operations.refresh_board() > 0
        db.session.commit()
    client = login(app, cast.staff)
    page = text(client.get("/staff/matchmaking"))
    assert "计算于" in page
    assert "温州瓯江鞋业有限公司" in page and "四点钟课堂" in page
    assert "同属 儿童关爱 领域" in page
    assert "flask jobs refresh-matches" not in page

    introduce(client, cast.sponsor_company_id, cast.project_id)
    introduce(client, cast.second_company_id, cast.project_id)
    page = text(client.get("/staff/matchmaking"))
    assert "四点钟课堂" not in page.split("预先计算的最佳配对")[1]  # introduced pairs are hidden
    shown = text(client.get("/staff/matchmaking?project=&company=&category="))  # filter unticked
    assert "已介绍（已发送）" in shown

    # A project that stopped raising money drops off the board.
    with app.app_context():
        db.session.get(Project, cast.elderly_project_id).status = "cancelled"
        db.session.commit()
    assert "长者助餐" not in text(client.get("/staff/matchmaking")).split("预先计算的最佳配对")[1]


def test_board_finds_companies_for_a_project_and_projects_for_a_company(app: Flask, cast: Cast) -> None:
    client = login(app, cast.staff)
    page = text(client.get(f"/staff/matchmaking?project={cast.project_id}"))
    assert "最适合这个项目的企业" in page
    assert "温州瓯江鞋业有限公司" in page and "鹿城爱心科技有限公司" in page
    assert "待认证贸易有限公司" not in page.split("最适合这个项目的企业")[1]  # only verified companies

    page = text(client.get(f"/staff/matchmaking?company={cast.sponsor_company_id}"))
    assert "最适合这家企业的项目" in page
    result = page.split("最适合这家企业的项目")[1]
    assert "四点钟课堂" in result and "长者助餐" in result

    # Filters: category and district narrow the projects; a high minimum score empties the list.
    result = text(client.get(f"/staff/matchmaking?company={cast.sponsor_company_id}&category=elderly"))
    result = result.split("最适合这家企业的项目")[1]
    assert "长者助餐" in result and "四点钟课堂" not in result
    result = text(client.get(f"/staff/matchmaking?company={cast.sponsor_company_id}&district=鹿城区"))
    result = result.split("最适合这家企业的项目")[1]
    assert "四点钟课堂" in result and "长者助餐" not in result
    result = text(client.get(f"/staff/matchmaking?company={cast.sponsor_company_id}&min_score=99"))
    assert "没有符合条件的配对" in result
    # In project mode the category filter keeps the companies that focus on it.
    with app.app_context():
        operations.save_sponsor_profile(
            db.session.get(Company, cast.second_company_id),
            operations.SponsorProfileInput(focus_categories=["elderly"]),
            user(cast.second),
        )
        db.session.commit()
    result = text(client.get(f"/staff/matchmaking?project={cast.project_id}&category=elderly"))
    result = result.split("最适合这个项目的企业")[1]
    assert "鹿城爱心科技有限公司" in result and "温州瓯江鞋业有限公司" not in result

    # Hiding introduced pairs, or not.
    introduce(client, cast.sponsor_company_id, cast.project_id)
    hidden = text(client.get(f"/staff/matchmaking?project={cast.project_id}&hide_introduced=1"))
    assert "温州瓯江鞋业有限公司" not in hidden.split("最适合这个项目的企业")[1]
    shown = text(client.get(f"/staff/matchmaking?project={cast.project_id}"))
    assert "已介绍（已发送）" in shown


def test_board_explains_a_choice_it_cannot_use(app: Flask, cast: Cast) -> None:
    client = login(app, cast.staff)
    assert "所选项目不在筹款中" in text(client.get(f"/staff/matchmaking?project={cast.draft_id}"))
    page = text(client.get(f"/staff/matchmaking?company={cast.unverified_company_id}"))
    assert "所选企业尚未通过认证" in page
    assert "最低分应为 0 到 100" in text(client.get("/staff/matchmaking?min_score=abc"))


# ───────────── introductions ─────────────


def test_introduction_from_sending_to_interest(app: Flask, cast: Cast) -> None:
    staff_client = login(app, cast.staff)
    response = introduce(staff_client, cast.sponsor_company_id, cast.project_id, "这个项目缺口正合适")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/matchmaking")
    [intro] = introductions(app)
    assert intro.status == "sent"

    company = login(app, cast.sponsor)
    assert "团区委为您推荐了一个项目" in html(company.get("/notifications"))
    listing = text(company.get("/introductions"))
    assert "四点钟课堂" in listing and "已发送" in listing
    assert "（1 个待回复）" in text(company.get("/dashboard"))  # the navigation counts open ones

    page = company.get(f"/introductions/{intro.id}")
    assert page.status_code == 200
    assert "这个项目缺口正合适" in html(page)
    assert "为什么推荐给贵司" in html(page)
    assert "同属 儿童关爱 领域" in html(page)
    assert f"/projects/{cast.project_id}/pledge?amount=20000" in html(page)
    assert introductions(app)[0].status == "viewed"

    response = company.post(
        f"/introductions/{intro.id}/respond", data={"status": "interested", "note": "下周可以面谈"}
    )
    assert response.status_code == 303
    assert "已告诉团区委贵司有意向" in text(company.get(f"/introductions/{intro.id}"))
    assert introductions(app)[0].status == "interested"

    detail = text(staff_client.get(f"/staff/introductions/{intro.id}"))
    assert "企业表示有意向" in detail and "下周可以面谈" in detail
    assert "企业回复了您的牵线介绍" in html(staff_client.get("/notifications"))


def test_company_answers_that_cannot_apply_are_refused(app: Flask, cast: Cast) -> None:
    introduce(login(app, cast.staff), cast.sponsor_company_id, cast.project_id)
    [intro] = introductions(app)
    company = login(app, cast.sponsor)
    response = company.post(f"/introductions/{intro.id}/respond", data={"status": "converted"})
    assert response.status_code == 422
    assert "状态只能是" in html(response)
    assert company.post(f"/introductions/{intro.id}/respond", data={"status": "declined"}).status_code == 303
    response = company.post(f"/introductions/{intro.id}/respond", data={"status": "interested"})
    assert response.status_code == 409
    assert "不能改为所选状态" in html(response)
    assert introductions(app)[0].status == "declined"


def test_others_cannot_see_an_introduction(app: Flask, cast: Cast) -> None:
    introduce(login(app, cast.staff), cast.sponsor_company_id, cast.project_id)
    [intro] = introductions(app)
    for email in (cast.second, cast.org):
        assert login(app, email).get(f"/introductions/{intro.id}").status_code == 404
        assert (
            login(app, email)
            .post(f"/introductions/{intro.id}/respond", data={"status": "declined"})
            .status_code
            == 404
        )
    assert introductions(app)[0].status == "sent"  # nobody else's visit counts as viewed


def test_duplicate_and_invalid_introductions_are_explained(app: Flask, cast: Cast) -> None:
    client = login(app, cast.staff)
    introduce(client, cast.sponsor_company_id, cast.project_id)
    response = introduce(client, cast.sponsor_company_id, cast.project_id, back="/staff/introductions")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/introductions")
    page = text(client.get("/staff/introductions"))
    assert "未能发送介绍（重复）：已经向该企业介绍过这个项目" in page
    response = introduce(client, cast.unverified_company_id, cast.project_id)
    assert "只能向已认证的企业介绍项目" in text(client.get(response.headers["Location"]))
    response = introduce(client, cast.sponsor_company_id, cast.draft_id)
    assert "只能介绍筹款中的项目" in text(client.get(response.headers["Location"]))
    response = introduce(client, cast.sponsor_company_id, 0, back="https://evil.example/")
    assert response.headers["Location"].endswith("/staff/matchmaking")  # never off-site
    assert len(introductions(app)) == 1


def test_funnel_counts_each_step_and_the_money_a_pledge_brought(app: Flask, cast: Cast) -> None:
    first, second = login(app, cast.staff), login(app, cast.other_staff)
    introduce(first, cast.sponsor_company_id, cast.project_id)
    introduce(first, cast.second_company_id, cast.project_id)
    introduce(second, cast.sponsor_company_id, cast.elderly_project_id)
    one, two, three = introductions(app)
    login(app, cast.sponsor).get(f"/introductions/{one.id}")  # viewed
    login(app, cast.second).post(f"/introductions/{two.id}/respond", data={"status": "declined"})

    with app.app_context():
        factories.pledge(db.session.get(Project, cast.project_id), user(cast.sponsor), 500_000)
        first_name, second_name = user(cast.staff).name, user(cast.other_staff).name
    assert introductions(app)[0].status == "converted"

    page = client_page = login(app, cast.staff).get("/staff/introductions")
    assert client_page.status_code == 200
    body = html(page)
    #        staff,     sent, viewed, interested, declined, converted, %,   raised
    assert table_row(body, first_name) == [first_name, "2", "2", "1", "1", "1", "50%", "¥5,000"]
    assert table_row(body, second_name) == [second_name, "1", "0", "0", "0", "0", "0%", "¥0"]
    month = to_local(one.sent_at).strftime("%Y-%m")  # months as Wenzhou counts them
    assert table_row(body, month) == [month, "3", "2", "1", "1", "1", "33%", "¥5,000"]
    assert "已促成" in text(page)

    filtered = text(login(app, cast.staff).get("/staff/introductions?status=converted"))
    assert filtered.count("温州瓯江鞋业有限公司") == 1
    problem = login(app, cast.staff).get("/staff/introductions?status=lost")
    assert problem.status_code == 422
    assert "未知的状态：lost" in html(problem)

    detail = text(login(app, cast.staff).get(f"/staff/introductions/{one.id}"))
    assert "已促成：企业认捐了该项目" in detail and "¥5,000" in detail
    company_view = text(login(app, cast.sponsor).get(f"/introductions/{one.id}"))
    assert "贵司已认捐这个项目" in company_view
    assert three.status == "sent"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Introduction)) == 3
