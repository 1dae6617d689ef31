"""Matching-pool (配捐) pages: opening a pool (verified companies only, exact ratios, Wenzhou time),
what the list and the pool page show once other companies' pledges are matched, and closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.pledges.models import MatchingPool
from marketplace.pledges.pool_forms import format_ratio, parse_local_moment, parse_ratio
from marketplace.projects.models import Project
from marketplace.taxonomy.models import Category
from marketplace.timeutil import to_local, utcnow
from tests import factories


@dataclass(frozen=True)
class Cast:
    sponsor: str  # opens the pool
    sponsor_colleague: str
    donor: str  # another company that pledges
    unverified: str
    org: str
    staff: str
    project_id: int  # children, 鹿城区
    elderly_project_id: int  # elderly, 瓯海区


@pytest.fixture
def cast(app: Flask) -> Cast:
    from marketplace.accounts import operations as accounts

    with app.app_context():
        reviewer = factories.staff()
        org = factories.org_member()
        sponsor = factories.company_member(name="温州瓯江鞋业有限公司")
        colleague = accounts.add_member(
            sponsor.company,
            accounts.AccountInput(email="sponsor-2@example.cn", password=factories.PASSWORD, name="同事"),
            actor_id=sponsor.id,
        )
        db.session.commit()
        project = factories.project(org, status="published", reviewer=reviewer, title="四点钟课堂")
        elderly = factories.project(
            org,
            status="published",
            reviewer=reviewer,
            title="长者助餐",
            category="elderly",
            district="瓯海区",
        )
        return Cast(
            sponsor=sponsor.email,
            sponsor_colleague=colleague.email,
            donor=factories.company_member(name="鹿城爱心科技有限公司").email,
            unverified=factories.company_member(verified=False).email,
            org=org.email,
            staff=reviewer.email,
            project_id=project.id,
            elderly_project_id=elderly.id,
        )


def login(client: FlaskClient, email: str) -> None:
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def local_input(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def pool_form(**overrides: Any) -> dict[str, Any]:
    now = utcnow()
    data: dict[str, Any] = {
        "name": "99 公益日 1:1 配捐",
        "description": "每认捐 1 元，我们再捐 1 元。",
        "budget": "10000",
        "ratio": "1",
        "cap_per_pledge": "",
        "cap_per_project": "",
        "starts_at": local_input(now - timedelta(hours=1)),
        "ends_at": local_input(now + timedelta(days=3)),
    }
    data.update(overrides)
    return data


def pools(app: Flask) -> list[MatchingPool]:
    with app.app_context():
        found = list(db.session.scalars(select(MatchingPool).order_by(MatchingPool.id)))
        for pool in found:
            db.session.expunge(pool)
        return found


def pledge(app: Flask, project_id: int, email: str, amount: int) -> None:
    with app.app_context():
        factories.pledge(db.session.get(Project, project_id), user(email), amount)


def open_pool(client: FlaskClient, cast: Cast, **overrides: Any) -> int:
    login(client, cast.sponsor)
    response = client.post("/pools/new", data=pool_form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


# ───────────── parsing what people type ─────────────


@pytest.mark.parametrize(
    ("text", "basis_points"),
    [
        ("1", 10_000),
        ("0.5", 5_000),
        ("1:0.5", 5_000),
        ("１：２", 20_000),
        ("1.25", 12_500),
        ("0.0001", 1),
        ("10", 100_000),
        ("0", 0),  # the operation refuses it, with its own words
        ("-1", -10_000),
    ],
)
def test_ratios_are_read_exactly(text: str, basis_points: int) -> None:
    assert parse_ratio(text) == basis_points


@pytest.mark.parametrize("text", ["", "abc", "1e3", "0.00001", "2:1", "1/2", "NaN", "1" * 30])
def test_unreadable_ratios_are_refused(text: str) -> None:
    with pytest.raises(DomainError) as info:
        parse_ratio(text)
    assert set(info.value.fields) == {"ratio"}


@pytest.mark.parametrize(
    ("basis_points", "shown"),
    [(10_000, "1:1"), (5_000, "1:0.5"), (12_500, "1:1.25"), (100_000, "1:10"), (1, "1:0.0001")],
)
def test_ratios_are_shown_as_one_to_x(basis_points: int, shown: str) -> None:
    assert format_ratio(basis_points) == shown


def test_times_are_wenzhou_time_stored_as_utc() -> None:
    assert parse_local_moment("2026-09-07T09:00", field="starts_at", end_of_day=False) == datetime(
        2026, 9, 7, 1, 0
    )
    assert parse_local_moment("2026-09-07", field="starts_at", end_of_day=False) == datetime(
        2026, 9, 6, 16, 0
    )
    assert parse_local_moment("2026-09-09", field="ends_at", end_of_day=True) == datetime(
        2026, 9, 9, 15, 59, 59
    )
    with pytest.raises(DomainError):
        parse_local_moment("9月7日", field="starts_at", end_of_day=False)


# ───────────── opening a pool ─────────────


def test_a_verified_company_opens_a_one_to_one_pool(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.sponsor)
    assert 'href="/pools/new"' in client.get("/pools").get_data(as_text=True)
    page = client.get("/pools/new")
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.get_data(as_text=True)
    with app.app_context():
        children = db.session.scalar(select(Category).where(Category.slug == "children"))
        assert children is not None
        children_id = children.id
    response = client.post(
        "/pools/new",
        data=pool_form(
            starts_at="2026-01-01T09:00",
            ends_at="2030-12-31T23:59",
            cap_per_pledge="2,000",
            cap_per_project="5000.50",
            category_ids=[str(children_id)],
            districts=["鹿城区", "瓯海区"],
        ),
    )
    assert response.status_code == 303
    [pool] = pools(app)
    assert response.headers["Location"].endswith(f"/pools/{pool.id}")
    assert (pool.budget, pool.remaining, pool.ratio_bp) == (1_000_000, 1_000_000, 10_000)
    assert (pool.cap_per_pledge, pool.cap_per_project) == (200_000, 500_050)
    assert pool.category_ids == [children_id]
    assert sorted(pool.districts) == ["瓯海区", "鹿城区"]
    assert pool.starts_at == datetime(2026, 1, 1, 1, 0)  # 09:00 in Wenzhou is 01:00 UTC
    assert pool.ends_at == datetime(2030, 12, 31, 15, 59)
    assert pool.active

    html = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "99 公益日 1:1 配捐" in html and "温州瓯江鞋业有限公司" in html
    assert "1:1" in html and "¥10,000" in html
    assert "儿童关爱" in html and "鹿城区" in html and "¥5,000.50" in html
    assert "2026-01-01 09:00" in html and "2030-12-31 23:59" in html


@pytest.mark.parametrize(
    ("overrides", "field_reason"),
    [
        ({"ratio": "0"}, "配捐比例必须大于 0"),
        ({"ratio": "-1"}, "配捐比例必须大于 0"),
        ({"ratio": "11"}, "配捐比例不能超过 10:1"),
        ({"ratio": "0.00001"}, "配捐比例最多保留四位小数"),
        ({"ratio": "一比一"}, "配捐比例必须是数字"),
        ({"budget": "0"}, "配捐预算必须大于 0"),
        ({"budget": "-100"}, "金额不能为负数"),
        ({"budget": "abc"}, "金额必须是数字"),
        ({"budget": "1.001"}, "金额最多保留两位小数"),
        ({"budget": ""}, "请输入金额"),
        ({"cap_per_pledge": "0"}, "单笔配捐上限必须大于 0"),
        ({"name": ""}, "请填写配捐计划名称"),
        ({"starts_at": "2026-09-09T10:00", "ends_at": "2026-09-09T09:00"}, "结束时间必须晚于开始时间"),
        ({"ends_at": "下周"}, "时间格式不正确"),
        ({"starts_at": "2020-01-01T09:00", "ends_at": "2020-02-01T09:00"}, "结束时间必须晚于当前时间"),
        ({"category_ids": ["999999"]}, "包含不存在的项目类别"),
        ({"category_ids": ["<script>"]}, "包含不存在的项目类别"),
        ({"districts": ["杭州市"]}, "包含不存在的区县"),
    ],
)
def test_bad_terms_are_refused_and_nothing_is_saved(
    app: Flask, client: FlaskClient, cast: Cast, overrides: dict[str, Any], field_reason: str
) -> None:
    login(client, cast.sponsor)
    response = client.post("/pools/new", data=pool_form(**overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_reason in html
    assert 'class="field-errors"' in html
    assert pools(app) == []


@pytest.mark.parametrize("who", ["org", "staff", "unverified"])
def test_only_verified_companies_open_pools(app: Flask, client: FlaskClient, cast: Cast, who: str) -> None:
    login(client, getattr(cast, who))
    assert client.get("/pools/new").status_code == 403
    assert client.post("/pools/new", data=pool_form()).status_code == 403
    assert pools(app) == []


def test_anonymous_visitors_log_in_to_open_a_pool(client: FlaskClient, cast: Cast) -> None:
    response = client.get("/pools/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ───────────── matching, as the pages show it ─────────────


def test_another_companys_pledge_is_matched_and_shown(app: Flask, client: FlaskClient, cast: Cast) -> None:
    pool_id = open_pool(client, cast)
    pledge(app, cast.project_id, cast.donor, 50_000)  # ¥500 by another company, paid

    [pool] = pools(app)
    assert (pool.remaining, pool.matched_total) == (950_000, 50_000)
    with app.app_context():
        project = db.session.get(Project, cast.project_id)
        assert (project.raised_amount, project.matched_amount) == (100_000, 50_000)

    html = client.get(f"/pools/{pool_id}").get_data(as_text=True)
    assert "¥9,500" in html  # remaining
    assert "四点钟课堂" in html and f'href="/projects/{cast.project_id}"' in html
    assert "¥500" in html  # matched for that project
    listing = client.get("/pools").get_data(as_text=True)
    assert "99 公益日 1:1 配捐" in listing and "¥9,500" in listing and "95%" in listing


def test_the_sponsors_own_pledge_is_not_matched(app: Flask, client: FlaskClient, cast: Cast) -> None:
    pool_id = open_pool(client, cast)
    pledge(app, cast.project_id, cast.sponsor, 30_000)
    [pool] = pools(app)
    assert pool.remaining == pool.budget
    with app.app_context():
        assert db.session.get(Project, cast.project_id).matched_amount == 0
    html = client.get(f"/pools/{pool_id}").get_data(as_text=True)
    assert "还没有项目得到这个计划的配捐" in html


def test_a_half_ratio_pool_limited_to_one_category(app: Flask, client: FlaskClient, cast: Cast) -> None:
    with app.app_context():
        elderly_id = db.session.scalar(select(Category.id).where(Category.slug == "elderly"))
    pool_id = open_pool(client, cast, ratio="1:0.5", category_ids=[str(elderly_id)])
    pledge(app, cast.project_id, cast.donor, 10_000)  # children: not eligible
    pledge(app, cast.elderly_project_id, cast.donor, 10_000)
    [pool] = pools(app)
    assert pool.matched_total == 5_000
    html = client.get(f"/pools/{pool_id}").get_data(as_text=True)
    assert "1:0.5" in html and "长者助餐" in html and "四点钟课堂" not in html


# ───────────── the list and closing ─────────────


def test_the_list_shows_running_pools_before_ended_ones(app: Flask, client: FlaskClient, cast: Cast) -> None:
    running = open_pool(client, cast, name="进行中的计划")
    ended = open_pool(client, cast, name="去年的计划")
    with app.app_context():
        # Time passes: the pool's period is over (a pool cannot be opened with an end in the past).
        pool = db.session.get(MatchingPool, ended)
        assert pool is not None
        pool.starts_at, pool.ends_at = utcnow() - timedelta(days=400), utcnow() - timedelta(days=300)
        db.session.commit()
    closed = open_pool(client, cast, name="被关闭的计划")
    assert client.post(f"/pools/{closed}/close").status_code == 303
    client.post("/logout")

    html = client.get("/pools").get_data(as_text=True)
    assert html.index("进行中的配捐") < html.index("进行中的计划") < html.index("已结束的配捐")
    ended_part = html[html.index("已结束的配捐") :]
    assert "去年的计划" in ended_part and "被关闭的计划" in ended_part
    assert "进行中的计划" not in ended_part
    assert 'href="/pools/new"' not in html  # only verified companies are offered the button
    assert {running, ended, closed} == {pool.id for pool in pools(app)}


@pytest.mark.parametrize("who", ["sponsor_colleague", "staff"])
def test_the_sponsors_members_and_staff_close_a_pool(
    app: Flask, client: FlaskClient, cast: Cast, who: str
) -> None:
    pool_id = open_pool(client, cast)
    client.post("/logout")
    login(client, getattr(cast, who))
    assert "关闭配捐计划" in client.get(f"/pools/{pool_id}").get_data(as_text=True)
    response = client.post(f"/pools/{pool_id}/close")
    assert response.status_code == 303
    assert not pools(app)[0].active
    # Closed means no more matching.
    pledge(app, cast.project_id, cast.donor, 10_000)
    assert pools(app)[0].matched_total == 0
    page = client.get(f"/pools/{pool_id}").get_data(as_text=True)
    assert "已关闭" in page and "关闭配捐计划" not in page


@pytest.mark.parametrize("who", ["donor", "org"])
def test_nobody_else_closes_a_pool(app: Flask, client: FlaskClient, cast: Cast, who: str) -> None:
    pool_id = open_pool(client, cast)
    client.post("/logout")
    login(client, getattr(cast, who))
    assert "关闭配捐计划" not in client.get(f"/pools/{pool_id}").get_data(as_text=True)
    assert client.post(f"/pools/{pool_id}/close").status_code == 403
    assert pools(app)[0].active


def test_unknown_pools_are_not_found(client: FlaskClient, cast: Cast) -> None:
    assert client.get("/pools/999").status_code == 404
    login(client, cast.staff)
    assert client.post("/pools/999/close").status_code == 404


def test_no_pools_yet(client: FlaskClient, app: Flask) -> None:
    html = client.get("/pools").get_data(as_text=True)
    assert "目前没有进行中的配捐计划" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MatchingPool)) == 0
