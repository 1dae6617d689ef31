"""Project pages through the test client: who sees what, browsing, the draft form, workflow
buttons, the language switch and the uploads endpoint."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.timeutil import local_today
from tests import factories
from tests.conftest import AuthActions
from tests.factories import World
from tests.test_projects_operations import png_bytes


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def valid_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "长者助餐：社区老人每周三次午餐",
        "summary": "为独居老人提供营养午餐和上门送餐。",
        "description": "## 背景\n\n社区有 80 位独居老人。",
        "category": "elderly",
        "tags": "助老、助餐",
        "district": "瓯海区",
        "community": "新桥街道",
        "goal_yuan": "12345.67",
        "deadline": (local_today() + timedelta(days=40)).isoformat(),
        "funding_model": "keep_it_all",
        "beneficiaries": "80",
        "video_url": "",
    }
    data.update(overrides)
    return data


def count_projects(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Project.id))) or 0


def load(app: Flask, project_id: int) -> Project:
    with app.app_context():
        project = db.session.get(Project, project_id)
        db.session.expunge(project)
        return project


def uploads(app: Flask) -> list[str]:
    directory = Path(app.config["UPLOAD_DIR"])
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


@pytest.fixture
def as_user(auth: AuthActions, world: World) -> Callable[[str], None]:
    def login(who: str) -> None:
        email = world.email_for(who)
        if email:
            assert auth.login(email).status_code == 302

    return login


# ───────────── home & browse ─────────────


def test_home_shows_published_projects_and_figures_but_no_drafts(client: FlaskClient, world: World) -> None:
    page = html(client.get("/"))
    assert '<html lang="zh"' in page
    assert "已发布项目：防溺水安全课" in page
    assert "草稿项目" not in page and "待审核项目" not in page
    assert "青亲筹" in page and "团区委" in page
    assert 'href="/projects?category=elderly"' in page


def test_home_lists_featured_projects(app: Flask, client: FlaskClient, world: World) -> None:
    with app.app_context():
        db.session.get(Project, world.published_id).featured = True
        db.session.commit()
    page = html(client.get("/"))
    assert "精选项目" in page
    assert page.count("已发布项目：防溺水安全课</a>") == 1  # each project appears once on the page


def test_home_without_projects_says_so(client: FlaskClient) -> None:
    page = html(client.get("/"))
    assert "还没有正在筹款的项目" in page
    assert "精选项目" not in page


def test_browse_lists_published_projects_only_by_default(client: FlaskClient, world: World) -> None:
    response = client.get("/projects")
    assert response.status_code == 200
    page = html(response)
    assert "已发布项目：防溺水安全课" in page
    for hidden in ("草稿项目", "待审核项目", "别家的草稿"):
        assert hidden not in page


@pytest.mark.parametrize("status", ["draft", "submitted", "returned", "cancelled", "bogus"])
def test_non_staff_cannot_list_hidden_states(client: FlaskClient, world: World, status: str) -> None:
    page = html(client.get(f"/projects?status={status}"))
    assert "草稿项目" not in page and "待审核项目" not in page
    assert "已发布项目：防溺水安全课" in page  # fell back to the default filter


def test_staff_can_list_submitted_projects(client: FlaskClient, world: World, as_user: Any) -> None:
    as_user("staff")
    page = html(client.get("/projects?status=submitted"))
    assert "待审核项目：长者助餐" in page
    assert "已发布项目" not in page


def test_browse_filters_by_category_district_status_and_text(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == world.org_email))
        factories.project(
            owner,
            status="published",
            title="瓯海助学：山区孩子图书角",
            category="education",
            district="瓯海区",
            summary="给山区学校建图书角",
        )
    assert "瓯海助学" in html(client.get("/projects?category=education"))
    assert "防溺水" not in html(client.get("/projects?category=education"))
    assert "瓯海助学" not in html(client.get("/projects?category=children"))
    assert "瓯海助学" in html(client.get("/projects?district=瓯海区"))
    assert "防溺水" not in html(client.get("/projects?district=瓯海区"))
    assert "瓯海助学" in html(client.get("/projects?q=图书角"))
    assert "瓯海助学" in html(client.get("/projects?q=山区学校"))  # the summary counts too
    assert "瓯海助学" not in html(client.get("/projects?q=%25"))  # a LIKE wildcard is literal
    assert "瓯海助学" not in html(client.get("/projects?status=funded"))
    all_public = html(client.get("/projects?status=all&sort=closing_soon"))
    assert "瓯海助学" in all_public and "防溺水" in all_public
    assert "草稿项目" not in all_public


def test_browse_paginates_and_keeps_the_filters(app: Flask, client: FlaskClient, world: World) -> None:
    app.config["PROJECTS_PER_PAGE"] = 2
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == world.org_email))
        reviewer = factories.staff()
        for n in range(4):
            factories.project(
                owner, status="published", reviewer=reviewer, title=f"分页项目{n}", category="education"
            )
    first = html(client.get("/projects?category=education&sort=most_funded"))
    assert "共找到 4 个项目" in first
    assert first.count('class="project-card"') == 2
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_link is not None
    target = next_link.group(1).replace("&amp;", "&")
    assert "category=education" in target and "sort=most_funded" in target and "page=2" in target
    second = html(client.get(target))
    assert second.count('class="project-card"') == 2
    titles = set(re.findall(r"分页项目\d", first)) | set(re.findall(r"分页项目\d", second))
    assert titles == {f"分页项目{n}" for n in range(4)}
    assert client.get("/projects?page=99").status_code == 200
    assert client.get("/projects?page=abc").status_code == 200


# ───────────── detail ─────────────


def test_detail_shows_progress_and_funding_terms(client: FlaskClient, world: World) -> None:
    response = client.get(f"/projects/{world.published_id}")
    assert response.status_code == 200
    page = html(response)
    assert "<progress" in page and 'max="100"' in page
    assert "¥20,000" in page
    assert "全有或全无" in page
    assert f'href="/organizations/{world.organization_id}"' in page
    assert "审核与状态记录" not in page  # history is for the owner and staff
    assert "编辑项目" not in page and "审核通过并发布" not in page
    assert "爱心企业登录后认捐" in page  # anonymous visitors are invited to sign in to pledge


@pytest.mark.parametrize("who", ["anonymous", "other_org", "company"])
def test_hidden_projects_answer_404(client: FlaskClient, world: World, as_user: Any, who: str) -> None:
    as_user(who)
    assert client.get(f"/projects/{world.draft_id}").status_code == 404
    assert client.get(f"/projects/{world.submitted_id}").status_code == 404
    assert client.get("/projects/999999").status_code == 404


def test_the_owner_sees_edit_submit_cancel_and_history(
    client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("org")
    page = html(client.get(f"/projects/{world.draft_id}"))
    assert f'href="/projects/{world.draft_id}/edit"' in page
    assert 'value="submit"' in page and 'value="cancel"' in page
    published = html(client.get(f"/projects/{world.published_id}"))
    assert "审核与状态记录" in published and "发布" in published
    assert f'href="/projects/{world.published_id}/edit"' not in published


def test_staff_see_publish_and_return_on_submitted_projects(
    client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("staff")
    page = html(client.get(f"/projects/{world.submitted_id}"))
    assert 'value="publish"' in page and 'value="return"' in page
    assert 'name="reason"' in page and "审核与状态记录" in page
    assert 'value="publish"' not in html(client.get(f"/projects/{world.published_id}"))


def test_a_verified_company_sees_the_contact_box(client: FlaskClient, world: World, as_user: Any) -> None:
    as_user("company")
    page = html(client.get(f"/projects/{world.published_id}"))
    assert "联系团区委对接" in page and "13857712345" in page
    as_user("org")
    assert "联系团区委对接" not in html(client.get(f"/projects/{world.published_id}"))


def test_script_and_event_handlers_in_the_description_are_inert(
    app: Flask, client: FlaskClient, world: World
) -> None:
    hostile = (
        "## 介绍\n\n<script>alert('xss')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        '<a href="javascript:alert(2)" onclick="alert(3)">点我</a>\n\n[链接](javascript:alert(4))\n\n'
        "<svg onload=alert(5)></svg>\n\n**正文保留**"
    )
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == world.org_email))
        project_id = factories.project(owner, status="published", description=hostile).id
    page = html(client.get(f"/projects/{project_id}"))
    assert "<strong>正文保留</strong>" in page
    lowered = page.lower()
    for needle in ("alert(", "onerror", "onclick", "onload", "javascript:", "<svg onload", "<img src=x"):
        assert needle not in lowered


# ───────────── the draft form ─────────────


def test_access_to_the_form(client: FlaskClient, world: World, as_user: Any) -> None:
    anonymous = client.get("/projects/new")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for who in ("company", "staff"):
        as_user(who)
        assert client.get("/projects/new").status_code == 403
        assert client.post("/projects/new", data=valid_form()).status_code == 403
    as_user("org")
    page = html(client.get("/projects/new"))
    assert 'name="goal_yuan"' in page and 'type="date"' in page and 'enctype="multipart/form-data"' in page
    assert 'value="elderly"' in page and 'value="瓯海区"' in page


def test_creating_a_project_stores_fen_and_redirects_to_it(
    app: Flask, client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("org")
    response = client.post(
        "/projects/new",
        data=valid_form(
            status="published",
            raised_amount="999999",
            organization_id=str(world.other_organization_id),
            featured="y",
        ),
    )
    assert response.status_code == 303
    project_id = int(response.headers["Location"].rsplit("/", 1)[1])
    project = load(app, project_id)
    assert project.goal_amount == 1_234_567
    assert project.tags == ["助老", "助餐"]
    # Mass assignment: none of these came from the form.
    assert (project.status, project.raised_amount, project.organization_id, project.featured) == (
        "draft",
        0,
        world.organization_id,
        False,
    )
    assert "项目草稿已创建" in html(client.get(f"/projects/{project_id}"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"goal_yuan": "0"}, "筹款目标必须大于 0"),
        ({"goal_yuan": "-100"}, "金额不能为负数"),
        ({"goal_yuan": "abc"}, "金额必须是数字"),
        ({"goal_yuan": "100000001"}, "筹款目标不能超过 ¥100,000,000"),
        ({"goal_yuan": "10.123"}, "金额最多保留两位小数"),
        ({"deadline": (local_today() - timedelta(days=1)).isoformat()}, "截止日期必须在今天之后"),
        ({"deadline": (local_today() + timedelta(days=400)).isoformat()}, "截止日期不能晚于一年以后"),
        ({"deadline": "明天"}, "截止日期格式不正确"),
        ({"category": "space-travel"}, "请选择有效的项目类别"),
        ({"category": ""}, "请选择项目类别"),
        ({"district": "杭州市"}, "请选择温州市的一个区县"),
        ({"title": "长" * 61}, "项目名称不能超过 60 个字"),
        ({"title": ""}, "请填写项目名称"),
        ({"funding_model": ""}, "请选择筹款方式"),
        ({"video_url": "javascript:alert(1)"}, "视频链接必须以 http:// 或 https:// 开头"),
    ],
)
def test_bad_input_shows_a_chinese_message_and_saves_nothing(
    app: Flask, client: FlaskClient, world: World, as_user: Any, overrides: dict[str, str], message: str
) -> None:
    as_user("org")
    before = count_projects(app)
    response = client.post("/projects/new", data=valid_form(**overrides))
    assert response.status_code == 422
    page = html(response)
    assert message in page
    assert 'class="form-error-summary"' in page and 'aria-invalid="true"' in page
    assert count_projects(app) == before


def test_a_non_image_renamed_png_is_refused_and_nothing_is_saved(
    app: Flask, client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("org")
    before = count_projects(app)
    fake = (io.BytesIO(b"#!/bin/sh\necho not an image\n" * 10), "cover.png", "image/png")
    response = client.post(
        "/projects/new", data=valid_form(cover_image=fake), content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "封面图片必须是 PNG、JPEG 或 WebP 格式的图片" in html(response)
    assert count_projects(app) == before
    assert uploads(app) == []


def test_text_errors_and_a_bad_image_are_reported_together(
    app: Flask, client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("org")
    fake = (io.BytesIO(b"GIF89a not really"), "cover.png", "image/png")
    response = client.post(
        "/projects/new", data=valid_form(goal_yuan="0", cover_image=fake), content_type="multipart/form-data"
    )
    page = html(response)
    assert response.status_code == 422
    assert "筹款目标必须大于 0" in page and "封面图片必须是" in page
    assert uploads(app) == []


def test_a_valid_cover_is_stored_under_a_generated_name_and_served_safely(
    app: Flask, client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("org")
    image = png_bytes()
    upload = (io.BytesIO(image), "../../我的封面.PNG", "text/html")
    response = client.post(
        "/projects/new", data=valid_form(cover_image=upload), content_type="multipart/form-data"
    )
    assert response.status_code == 303
    project = load(app, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert re.fullmatch(r"[0-9a-f]{32}\.png", project.cover_image)
    assert uploads(app) == [project.cover_image]

    served = client.get(f"/uploads/{project.cover_image}")
    assert served.status_code == 200
    assert served.data == image
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    served.close()
    assert f'src="/uploads/{project.cover_image}"' in html(client.get(f"/projects/{project.id}"))


def test_editing_prefills_yuan_and_saves_changes(
    app: Flask, client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("org")
    page = html(client.get(f"/projects/{world.draft_id}/edit"))
    assert 'value="20000"' in page and 'value="草稿项目：社区图书角"' in page
    assert 'value="四点钟课堂、留守儿童"' in page
    response = client.post(f"/projects/{world.draft_id}/edit", data=valid_form(goal_yuan="888.8"))
    assert response.status_code == 303
    project = load(app, world.draft_id)
    assert (project.goal_amount, project.district, project.funding_model) == (88_880, "瓯海区", "keep_it_all")


def test_a_failed_edit_changes_nothing(app: Flask, client: FlaskClient, world: World, as_user: Any) -> None:
    as_user("org")
    response = client.post(f"/projects/{world.draft_id}/edit", data=valid_form(title="新名称", deadline=""))
    assert response.status_code == 422
    assert "截止日期格式不正确" in html(response)
    assert load(app, world.draft_id).title == "草稿项目：社区图书角"


def test_a_published_project_cannot_be_edited(
    app: Flask, client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("org")
    response = client.post(f"/projects/{world.published_id}/edit", data=valid_form(goal_yuan="1"))
    assert response.status_code == 409
    assert "只有草稿或被退回的项目可以修改" in html(response)
    assert load(app, world.published_id).goal_amount == 2_000_000
    shown = client.get(f"/projects/{world.published_id}/edit")
    assert shown.status_code == 302 and shown.headers["Location"].endswith(f"/projects/{world.published_id}")


def test_other_organizations_cannot_edit(app: Flask, client: FlaskClient, world: World, as_user: Any) -> None:
    as_user("other_org")
    assert client.get(f"/projects/{world.draft_id}/edit").status_code == 404  # hidden draft
    assert client.post(f"/projects/{world.published_id}/edit", data=valid_form()).status_code == 403
    assert load(app, world.published_id).title == "已发布项目：防溺水安全课"


# ───────────── workflow ─────────────


def test_owner_submits_and_staff_publishes(
    app: Flask, client: FlaskClient, world: World, auth: AuthActions
) -> None:
    auth.login(world.org_email)
    response = client.post(f"/projects/{world.draft_id}/transitions", data={"action": "submit"})
    assert response.status_code == 303
    assert load(app, world.draft_id).status == "submitted"
    assert (
        client.post(f"/projects/{world.draft_id}/transitions", data={"action": "publish"}).status_code == 403
    )
    auth.logout()

    auth.login(world.staff_email)
    queue = html(client.get("/staff/reviews"))
    assert "草稿项目：社区图书角" in queue and "待审核项目：长者助餐" in queue
    assert queue.index("待审核项目：长者助餐") < queue.index("草稿项目：社区图书角")  # oldest first
    response = client.post(
        f"/projects/{world.draft_id}/transitions", data={"action": "publish", "origin": "queue"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/reviews")
    assert load(app, world.draft_id).status == "published"
    assert "项目已发布" in html(client.get("/staff/reviews"))


def test_returning_needs_a_reason_which_the_owner_then_sees(
    app: Flask, client: FlaskClient, world: World, auth: AuthActions
) -> None:
    auth.login(world.staff_email)
    url = f"/projects/{world.submitted_id}/transitions"
    missing = client.post(url, data={"action": "return", "reason": "  "})
    assert missing.status_code == 422
    assert "退回项目时请填写退回原因" in html(missing)
    from_queue = client.post(url, data={"action": "return", "origin": "queue"})
    assert from_queue.status_code == 422 and "退回项目时请填写退回原因" in html(from_queue)
    assert "待审核项目" in html(from_queue)
    assert load(app, world.submitted_id).status == "submitted"

    assert (
        client.post(url, data={"action": "return", "reason": "预算表缺少志愿者补贴明细"}).status_code == 303
    )
    assert load(app, world.submitted_id).status == "returned"
    auth.logout()

    auth.login(world.org_email)
    page = html(client.get(f"/projects/{world.submitted_id}"))
    assert "预算表缺少志愿者补贴明细" in page
    assert f'href="/projects/{world.submitted_id}/edit"' in page


def test_an_illegal_transition_is_explained_with_409(
    app: Flask, client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("staff")
    response = client.post(f"/projects/{world.published_id}/transitions", data={"action": "publish"})
    assert response.status_code == 409
    assert "不能「发布」" in html(response)


def test_owner_cancels_a_draft(app: Flask, client: FlaskClient, world: World, as_user: Any) -> None:
    as_user("org")
    assert (
        client.post(f"/projects/{world.draft_id}/transitions", data={"action": "cancel"}).status_code == 303
    )
    assert load(app, world.draft_id).status == "cancelled"


@pytest.mark.parametrize(
    ("who", "project", "action", "expected"),
    [
        ("anonymous", "submitted_id", "publish", 302),
        ("org", "submitted_id", "publish", 403),
        ("other_org", "draft_id", "submit", 404),
        ("other_org", "published_id", "cancel", 403),
        ("company", "published_id", "cancel", 403),
        ("company", "submitted_id", "publish", 404),
    ],
)
def test_workflow_access(
    app: Flask,
    client: FlaskClient,
    world: World,
    as_user: Any,
    who: str,
    project: str,
    action: str,
    expected: int,
) -> None:
    as_user(who)
    project_id = getattr(world, project)
    before = load(app, project_id).status
    response = client.post(f"/projects/{project_id}/transitions", data={"action": action, "reason": "x"})
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]
    assert load(app, project_id).status == before


@pytest.mark.parametrize(
    ("who", "expected"), [("anonymous", 302), ("org", 403), ("company", 403), ("staff", 200), ("admin", 200)]
)
def test_review_queue_is_for_staff(
    client: FlaskClient, world: World, as_user: Any, who: str, expected: int
) -> None:
    as_user(who)
    assert client.get("/staff/reviews").status_code == expected


def test_the_queue_lists_recent_decisions(
    app: Flask, client: FlaskClient, world: World, as_user: Any
) -> None:
    as_user("staff")
    page = html(client.get("/staff/reviews"))
    assert "最近的审核记录" in page and "已发布项目：防溺水安全课" in page


def csrf_token_in(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_workflow_forms_carry_a_working_csrf_token(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = factories.build_world()
    client = app.test_client()
    login_page = html(client.get("/login"))
    client.post(
        "/login",
        data={
            "email": world.org_email,
            "password": factories.PASSWORD,
            "csrf_token": csrf_token_in(login_page),
        },
    )
    url = f"/projects/{world.draft_id}/transitions"
    assert client.post(url, data={"action": "submit"}).status_code == 400
    assert load(app, world.draft_id).status == "draft"
    token = csrf_token_in(html(client.get(f"/projects/{world.draft_id}")))
    assert client.post(url, data={"action": "submit", "csrf_token": token}).status_code == 303
    assert load(app, world.draft_id).status == "submitted"
    assert 'name="csrf_token"' in html(client.get("/projects/new"))


# ───────────── language & uploads ─────────────


def test_switching_to_english_changes_the_page_language(client: FlaskClient, world: World) -> None:
    response = client.get(
        "/language/en", headers={"Referer": "http://localhost/projects?district=%E9%B9%BF%E5%9F%8E%E5%8C%BA"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/projects?district=%E9%B9%BF%E5%9F%8E%E5%8C%BA"
    cookie = response.headers["Set-Cookie"]
    assert "lang=en" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert '<html lang="en"' in html(client.get("/"))
    assert '<html lang="en"' in html(client.get(f"/projects/{world.published_id}"))
    client.get("/language/zh")
    assert '<html lang="zh"' in html(client.get("/"))


@pytest.mark.parametrize(
    "referrer", ["https://evil.example/phish", "http://localhost.evil.example/", "//evil.example/", None]
)
def test_the_language_switch_never_redirects_off_site(client: FlaskClient, referrer: str | None) -> None:
    headers = {"Referer": referrer} if referrer else {}
    response = client.get("/language/en", headers=headers)
    assert response.headers["Location"] == "/"


def test_only_supported_languages(client: FlaskClient) -> None:
    response = client.get("/language/fr")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2Fetc%2Fpasswd",
        "..%2Finstance%2Fsecret_key",
        "%2E%2E%2Fsecret_key",
        "....png",
        "secret_key",
        "0123456789abcdef0123456789abcdef.svg",
        "0123456789ABCDEF0123456789ABCDEF.png",
        "0123456789abcdef0123456789abcdef.png.html",
        "0123456789abcdef0123456789abcdef.png",  # well-formed but not stored
    ],
)
def test_uploads_refuse_anything_but_stored_names(app: Flask, client: FlaskClient, name: str) -> None:
    directory = Path(app.config["UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    (directory.parent / "secret_key").write_text("do not serve")
    response = client.get(f"/uploads/{name}")
    assert response.status_code == 404
    assert "do not serve" not in html(response)


def _page_links_by_testing_every_page(page: int, pages: int, edges: tuple[int, int, int, int]) -> list:
    """Flask-SQLAlchemy's rule, page by page: what ResultPage.iter_pages must give."""
    left_edge, left_current, right_current, right_edge = edges
    links: list[int | None] = []
    last = 0
    for number in range(1, pages + 1):
        if (
            number <= left_edge
            or page - left_current - 1 < number < page + right_current
            or number > pages - right_edge
        ):
            if last + 1 != number:
                links.append(None)
            links.append(number)
            last = number
    return links


@pytest.mark.parametrize("edges", [(2, 2, 4, 2), (1, 1, 2, 1), (0, 0, 1, 0), (3, 5, 6, 3)])
def test_page_links_follow_the_flask_sqlalchemy_rule(edges: tuple[int, int, int, int]) -> None:
    from marketplace.projects.queries import ResultPage

    for pages in range(1, 25):
        for page in range(1, pages + 4):  # past the last page too (?page=99 on a short list)
            result = ResultPage(items=[], total=pages * 12, page=page, per_page=12)
            assert list(result.iter_pages(*edges)) == _page_links_by_testing_every_page(page, pages, edges)


def test_page_links_of_a_long_list_show_both_ends_and_the_current_page() -> None:
    from marketplace.projects.queries import ResultPage

    result = ResultPage(items=[], total=800 * 12, page=400, per_page=12)
    assert list(result.iter_pages(left_edge=1, left_current=1, right_current=2, right_edge=1)) == [
        1,
        None,
        399,
        400,
        401,
        None,
        800,
    ]
