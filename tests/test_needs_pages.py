"""The community needs pages: the board's filters, sorting, counts and pages really select what they
say; staff record, edit and move needs through forms; an organization answers with its own project;
the project page names the need it answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.needs.models import CommunityNeed
from tests import factories
from tests.needs_support import need_input, needs_state
from tests.pages import html, login, text


@dataclass(frozen=True)
class Scene:
    staff: str
    member: str
    other: str
    unverified: str
    project_id: int
    other_project_id: int
    needs: dict[str, int]


# title → (district, category, urgency, people, status)
NEEDS = {
    "独居老人上门理发": ("鹿城区", "elderly", "high", 23, "open"),
    "双职工家庭寒假看护": ("鹿城区", "children", "urgent", 37, "in_progress"),
    "外来务工青年技能夜校": ("瓯海区", "employment", "normal", 120, "open"),
    "河岸垃圾清理": ("永嘉县", "environment", "low", 500, "addressed"),
    "残障居民社区康复活动": ("鹿城区", "disability", "urgent", 12, "open"),
}


@pytest.fixture
def scene(app: Flask) -> Scene:
    with app.app_context():
        staff = factories.staff()
        member = factories.org_member()
        other = factories.org_member()
        unverified = factories.org_member(verified=False)
        project = factories.project(member, status="published", reviewer=staff, title="银龄理发队")
        other_project = factories.project(other, status="published", reviewer=staff, title="别家的项目")
        ids = {}
        for number, (title, (district, category, urgency, people, status)) in enumerate(NEEDS.items()):
            need = ops.record_need(
                staff,
                need_input(
                    title=title,
                    district=district,
                    category=category,
                    urgency=urgency,
                    people_affected=people,
                    community=f"{title[:2]}社区",
                    description=f"{title}的详细说明",
                ),
            )
            need.created_at -= timedelta(days=10 - number)  # listed in NEEDS order, oldest first
            if status != "open":
                ops.transition_need(need, staff, "start" if status == "in_progress" else "address")
            ids[title] = need.id
        db.session.commit()
        return Scene(
            staff.email, member.email, other.email, unverified.email, project.id, other_project.id, ids
        )


def _titles(body: str) -> list[str]:
    return re.findall(r'class="need-card-title"><a href="/needs/\d+">([^<]+)</a>', body)


FILTER_CASES: list[tuple[str, set[str]]] = [
    (
        "",
        {
            "独居老人上门理发",
            "双职工家庭寒假看护",
            "外来务工青年技能夜校",
            "河岸垃圾清理",
            "残障居民社区康复活动",
        },
    ),
    ("district=瓯海区", {"外来务工青年技能夜校"}),
    ("category=children", {"双职工家庭寒假看护"}),
    ("status=open", {"独居老人上门理发", "外来务工青年技能夜校", "残障居民社区康复活动"}),
    ("status=addressed", {"河岸垃圾清理"}),
    ("urgency=urgent", {"双职工家庭寒假看护", "残障居民社区康复活动"}),
    ("q=康复", {"残障居民社区康复活动"}),
    ("q=详细说明&district=鹿城区&urgency=urgent&status=open", {"残障居民社区康复活动"}),
    ("district=杭州市", set(NEEDS)),  # not a choice: ignored, not "nothing"
    ("q=没有这种需求", set()),
]


def test_the_board_filters(client: object, scene: Scene) -> None:
    for query, expected in FILTER_CASES:
        response = client.get(f"/needs?{query}")  # type: ignore[attr-defined]
        assert response.status_code == 200
        assert set(_titles(html(response))) == expected, query


def test_the_board_sorts_and_counts(client: object, scene: Scene) -> None:
    urgent_first = _titles(html(client.get("/needs")))  # type: ignore[attr-defined]
    assert urgent_first == [
        "双职工家庭寒假看护",
        "残障居民社区康复活动",
        "独居老人上门理发",
        "外来务工青年技能夜校",
        "河岸垃圾清理",
    ]
    most_people = _titles(html(client.get("/needs?sort=people")))  # type: ignore[attr-defined]
    assert most_people == [
        "外来务工青年技能夜校",
        "双职工家庭寒假看护",
        "独居老人上门理发",
        "残障居民社区康复活动",
        "河岸垃圾清理",
    ]
    newest = _titles(html(client.get("/needs?sort=newest")))  # type: ignore[attr-defined]
    assert newest == list(reversed(NEEDS))
    body = html(client.get("/needs?district=鹿城区"))  # type: ignore[attr-defined]
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)<', body))
    assert counts == {"open": "2", "in_progress": "1", "addressed": "0"}


def test_the_board_pages(app: Flask, client: object, scene: Scene) -> None:
    with app.app_context():
        staff = db.session.scalar(select(CommunityNeed.recorded_by_id))
        from marketplace.accounts.models import User

        user = db.session.get(User, staff)
        for number in range(8):
            ops.record_need(user, need_input(title=f"楼道照明改造{number}", urgency="low", people_affected=1))
        db.session.commit()
    first = html(client.get("/needs"))  # type: ignore[attr-defined]
    second = html(client.get("/needs?page=2"))  # type: ignore[attr-defined]
    assert len(_titles(first)) == 12 and len(_titles(second)) == 1
    assert not set(_titles(first)) & set(_titles(second))
    assert 'rel="next"' in first


def test_staff_record_and_edit_a_need_through_the_form(app: Flask, scene: Scene) -> None:
    client = login(app, scene.staff)
    assert client.get("/needs/new").status_code == 200
    form = {
        "title": "老旧小区电动车充电安全宣传",
        "district": "鹿城区",
        "community": "五马街道墨池社区",
        "category": "emergency",
        "people_affected": "300",
        "urgency": "high",
        "description": "居民仍有把电动车推进楼道充电的习惯。",
    }
    with app.app_context():
        before = needs_state()
    bad = client.post("/needs/new", data={**form, "title": "", "people_affected": "-3"})
    assert bad.status_code == 422
    assert "请填写需求标题" in text(bad) and "受影响人数应为 0 到 10000000 之间的整数" in text(bad)
    with app.app_context():
        assert needs_state() == before
    created = client.post("/needs/new", data=form)
    assert created.status_code == 303
    need_id = int(created.headers["Location"].rsplit("/", 1)[1])
    page = text(client.get(f"/needs/{need_id}"))
    assert "老旧小区电动车充电安全宣传" in page and "约 300 人" in page and "标记为响应中" in page
    assert client.get(f"/needs/{need_id}/edit").status_code == 200
    edited = client.post(f"/needs/{need_id}/edit", data={**form, "people_affected": "320"})
    assert edited.status_code == 303
    with app.app_context():
        assert db.session.get(CommunityNeed, need_id).people_affected == 320


def test_staff_move_a_need_with_the_buttons(app: Flask, scene: Scene) -> None:
    client = login(app, scene.staff)
    need_id = scene.needs["独居老人上门理发"]
    assert client.post(f"/needs/{need_id}/transitions", data={"action": "address"}).status_code == 303
    page = text(client.get(f"/needs/{need_id}"))
    assert "已解决" in page and "重新开放" in page and "标记为响应中" not in page
    refused = client.post(f"/needs/{need_id}/transitions", data={"action": "start"})
    assert refused.status_code == 409 and "「已解决」的需求不能标记为响应中" in text(refused)


def test_an_organization_answers_with_its_project_and_the_project_page_says_so(
    app: Flask, scene: Scene
) -> None:
    need_id = scene.needs["独居老人上门理发"]
    client = login(app, scene.member)
    page = html(client.get(f"/needs/{need_id}"))
    assert "用我们的项目响应" in page and "银龄理发队" in page and "别家的项目" not in page
    # Another organization's project is refused.
    assert (
        client.post(f"/needs/{need_id}/responses", data={"project_id": scene.other_project_id}).status_code
        == 403
    )
    response = client.post(
        f"/needs/{need_id}/responses", data={"project_id": scene.project_id, "note": "每月上门"}
    )
    assert response.status_code == 303
    anonymous = app.test_client()
    detail = html(anonymous.get(f"/needs/{need_id}"))
    assert f'href="/projects/{scene.project_id}"' in detail and "每月上门" in detail and "响应中" in detail
    project_page = text(anonymous.get(f"/projects/{scene.project_id}"))
    assert (
        "本项目回应社区需求： 独居老人上门理发" in project_page
        or "本项目回应社区需求：独居老人上门理发" in project_page
    )
    assert f'href="/needs/{need_id}"' in html(anonymous.get(f"/projects/{scene.project_id}"))
    # The same project cannot answer a second need: the page names the first.
    second = scene.needs["外来务工青年技能夜校"]
    refused = client.post(f"/needs/{second}/responses", data={"project_id": scene.project_id})
    assert refused.status_code == 409 and "已在回应社区需求「独居老人上门理发」" in text(refused)
    # Withdrawing reopens the need.
    with app.app_context():
        response_id = db.session.get(CommunityNeed, need_id).responses[0].id
    assert client.post(f"/needs/{need_id}/responses/{response_id}/withdraw").status_code == 303
    assert "本项目回应社区需求" not in text(anonymous.get(f"/projects/{scene.project_id}"))


def test_a_project_without_a_need_says_nothing(client: object, scene: Scene) -> None:
    assert "本项目回应社区需求" not in text(client.get(f"/projects/{scene.project_id}"))  # type: ignore[attr-defined]


def test_no_respond_form_for_the_unverified_or_on_an_addressed_need(app: Flask, scene: Scene) -> None:
    assert "用我们的项目响应" not in html(
        login(app, scene.unverified).get(f"/needs/{scene.needs['独居老人上门理发']}")
    )
    addressed = html(login(app, scene.member).get(f"/needs/{scene.needs['河岸垃圾清理']}"))
    assert "用我们的项目响应" not in addressed and "不再接受新的响应" in addressed
    assert "用我们的项目响应" not in html(app.test_client().get(f"/needs/{scene.needs['独居老人上门理发']}"))
