"""The moderation pages: the "举报" links on the project page, the organization page and next to a
pledge message; the report form and its thank-you page; the staff queue with its filters, a
subject's reports and the decision buttons; the staff dashboard's count; the per-IP limit on
anonymous reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.moderation import operations as ops
from marketplace.moderation.models import AbuseReport
from tests import factories
from tests.pages import html, login, text

MESSAGE = "祝孩子们天天开心"


@dataclass(frozen=True)
class Scene:
    staff: str
    member: str
    company: str
    organization_id: int
    project_id: int
    pledge_id: int


@pytest.fixture
def scene(app: Flask) -> Scene:
    with app.app_context():
        staff = factories.staff()
        member = factories.org_member()
        company = factories.company_member()
        project = factories.project(member, status="published", reviewer=staff, title="四点半课堂")
        pledge = factories.pledge(project, company, 20_000, message=MESSAGE)
        return Scene(staff.email, member.email, company.email, member.organization_id, project.id, pledge.id)


def _reports() -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(
                AbuseReport.subject_kind,
                AbuseReport.subject_id,
                AbuseReport.reason,
                AbuseReport.details,
                AbuseReport.status,
            ).order_by(AbuseReport.id)
        )
    ]


def test_report_links_on_the_pages_people_read(app: Flask, scene: Scene) -> None:
    client = app.test_client()
    project_page = html(client.get(f"/projects/{scene.project_id}"))
    assert f'href="/report/project/{scene.project_id}"' in project_page and "举报此项目" in project_page
    assert f'href="/report/pledge_message/{scene.pledge_id}"' in project_page
    org_page = html(client.get(f"/organizations/{scene.organization_id}"))
    assert f'href="/report/organization/{scene.organization_id}"' in org_page and "举报此组织" in org_page


def test_an_anonymous_visitor_reports_and_is_thanked(app: Flask, scene: Scene) -> None:
    client = app.test_client()
    form = client.get(f"/report/project/{scene.project_id}")
    assert form.status_code == 200
    assert "举报项目" in text(form) and "虚假信息/诈骗" in text(form) and "四点半课堂" in text(form)
    response = client.post(
        f"/report/project/{scene.project_id}", data={"reason": "fraud", "details": "照片是别的活动的"}
    )
    assert response.status_code == 303 and "/report/thanks" in response.headers["Location"]
    thanks = client.get(response.headers["Location"])
    assert "感谢您的举报" in text(thanks) and f'href="/projects/{scene.project_id}"' in html(thanks)
    # the same visitor again: still one report
    client.post(f"/report/project/{scene.project_id}", data={"reason": "spam"})
    with app.app_context():
        assert _reports() == [("project", scene.project_id, "fraud", "照片是别的活动的", "open")]


def test_the_thank_you_page_links_only_back_into_the_site(app: Flask) -> None:
    client = app.test_client()
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        page = html(client.get("/report/thanks", query_string={"back": evil}))
        assert "evil.example" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "other", "details": ""}, "选择“其他”时请写明举报理由"),
        ({"details": "没有选原因"}, "请选择举报原因"),
        ({"reason": "boring"}, "举报原因只能是"),
        ({"reason": "spam", "details": "字" * 501}, "补充说明不能超过 500 个字（现在 501 个字）"),
    ],
)
def test_a_bad_report_shows_why_and_saves_nothing(
    app: Flask, scene: Scene, data: dict[str, str], message: str
) -> None:
    client = login(app, scene.company)
    response = client.post(f"/report/pledge_message/{scene.pledge_id}", data=data)
    assert response.status_code == 422 and message in text(response)
    with app.app_context():
        assert _reports() == []


def test_reporting_what_you_cannot_see_is_not_found(app: Flask, scene: Scene) -> None:
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == scene.member))
        draft = factories.project(member, title="草稿")
        draft_id = draft.id
    client = app.test_client()
    assert client.get(f"/report/project/{draft_id}").status_code == 404
    assert client.post(f"/report/project/{draft_id}", data={"reason": "spam"}).status_code == 404
    assert client.get("/report/user/1").status_code == 404
    with app.app_context():
        assert _reports() == []


def test_staff_queue_subject_page_and_decisions(app: Flask, scene: Scene) -> None:
    anonymous = app.test_client()
    anonymous.post(f"/report/project/{scene.project_id}", data={"reason": "fraud", "details": "图片盗用"})
    login(app, scene.company).post(
        f"/report/pledge_message/{scene.pledge_id}", data={"reason": "harassment", "details": "影射他人"}
    )
    staff = login(app, scene.staff)
    assert "待处理举报（2）" in text(staff.get("/dashboard"))

    queue = text(staff.get("/staff/moderation"))
    assert "四点半课堂" in queue and "「四点半课堂」的认捐留言" in queue
    only_messages = text(staff.get("/staff/moderation?kind=pledge_message"))
    assert "认捐留言" in only_messages and "四点半课堂 项目" not in only_messages
    assert "没有已决定的举报" in text(staff.get("/staff/moderation?status=decided"))

    subject = staff.get(f"/staff/moderation/project/{scene.project_id}")
    page = text(subject)
    assert "图片盗用" in page and "匿名访客" in page and "虚假信息/诈骗" in page
    assert "隐藏待审" in page and "驳回举报" in page and "恢复显示" not in page

    decisions = f"/staff/moderation/project/{scene.project_id}/decisions"
    hidden = staff.post(decisions, data={"decision": "hide", "note": "核实募捐资质"})
    assert hidden.status_code == 303
    after = staff.get(hidden.headers["Location"])
    assert "内容已对公众隐藏，等待审核" in text(after) and "恢复显示" in text(after)
    assert anonymous.get(f"/projects/{scene.project_id}").status_code == 404

    refused = staff.post(decisions, data={"decision": "action", "note": ""})
    assert refused.status_code == 422 and "请填写处理说明（会记入审计日志）" in text(refused)
    again = staff.post(decisions, data={"decision": "hide", "note": "再隐藏"})
    assert again.status_code == 409 and "该内容已经隐藏，无需再次隐藏" in text(again)

    done = staff.post(decisions, data={"decision": "action", "note": "图片确系盗用"})
    assert "举报已处理，内容保持隐藏" in text(staff.get(done.headers["Location"]))
    decided = text(staff.get("/staff/moderation?status=decided"))
    assert "四点半课堂" in decided and "已隐藏" in decided
    assert "待处理举报（1）" in text(staff.get("/dashboard"))
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("moderation.%")).order_by(AuditEvent.id)
        ).all()
        assert actions == ["moderation.hide", "moderation.action"]
    dashboard = text(staff.get("/dashboard"))
    assert "处理举报（内容保持隐藏）" in dashboard and "隐藏被举报内容待审" in dashboard


def test_a_held_message_can_be_restored_from_its_page(app: Flask, scene: Scene) -> None:
    with app.app_context():
        staff_user = db.session.scalar(select(User).where(User.email == scene.staff))
        ops.decide(staff_user, "pledge_message", scene.pledge_id, "hide", "核实中")
        db.session.commit()
    assert "该留言正在审核中" in text(app.test_client().get(f"/projects/{scene.project_id}"))
    staff = login(app, scene.staff)
    restored = staff.post(
        f"/staff/moderation/pledge_message/{scene.pledge_id}/decisions",
        data={"decision": "restore", "note": "普通祝福"},
    )
    assert restored.status_code == 303
    assert MESSAGE in text(app.test_client().get(f"/projects/{scene.project_id}"))


def test_anonymous_reports_are_limited_per_ip_and_signed_in_ones_are_not(
    make_app: Any, database_url: str
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, MODERATION_REPORT_RATE_LIMIT="2 per hour")
    with app.app_context():
        staff = factories.staff()
        member = factories.org_member()
        company = factories.company_member()
        projects = [
            factories.project(member, status="published", reviewer=staff, title=f"限流测试{n}").id
            for n in range(4)
        ]
        company_email = company.email
    client = app.test_client()
    statuses = [
        client.post(f"/report/project/{project_id}", data={"reason": "spam"}).status_code
        for project_id in projects[:3]
    ]
    assert statuses == [303, 303, 429]
    assert client.get(f"/report/project/{projects[3]}").status_code == 200  # reading the form is free
    api = app.test_client().post(
        "/api/v1/reports", json={"kind": "project", "subject_id": projects[3], "reason": "spam"}
    )
    assert api.status_code == 429  # the page and the API share the budget
    signed_in = login(app, company_email)
    assert [
        signed_in.post(f"/report/project/{project_id}", data={"reason": "spam"}).status_code
        for project_id in projects
    ] == [303] * 4
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AbuseReport)) == 6


def test_the_home_page_figures_leave_out_what_moderation_holds(app: Flask, scene: Scene) -> None:
    from marketplace.projects import queries

    with app.app_context():
        shown = queries.platform_stats()
        assert (shown.published_projects, shown.raised_fen, shown.verified_organizations) == (1, 20_000, 1)
        staff = db.session.scalar(select(User).where(User.email == scene.staff))
        ops.decide(staff, "organization", scene.organization_id, "hide", "核实登记证书")
        db.session.commit()
        held = queries.platform_stats()
        assert (held.published_projects, held.raised_fen, held.verified_organizations) == (0, 0, 0)
        assert all(count == 0 for _category, count in queries.category_shortcuts())
    page = text(app.test_client().get("/"))
    assert "四点半课堂" not in page
