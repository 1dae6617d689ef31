"""One dashboard per role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from marketplace.extensions import db
from marketplace.parties.models import Company
from tests import factories


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def dashboard(app: Flask, email: str) -> str:
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    response = client.get("/dashboard")
    assert response.status_code == 200
    return html(response)


def test_anonymous_visitors_are_sent_to_login(client: Any) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_organization_sees_its_projects_grouped_by_state(app: Flask, world: factories.World) -> None:
    page = dashboard(app, world.org_email)
    for title in ("草稿项目：社区图书角", "待审核项目：长者助餐", "已发布项目：防溺水安全课"):
        assert title in page
    assert "别家的草稿：垃圾分类宣传" not in page
    for heading in ("草稿", "待审核", "筹款中"):
        assert heading in page
    assert f"/projects/{world.draft_id}/edit" in page  # drafts can be edited
    assert f"/projects/{world.published_id}/edit" not in page  # published ones cannot
    assert f"/projects/{world.published_id}" in page
    assert "/projects/new" in page
    assert "等待团区委认证" not in page  # verified


def test_returned_project_shows_its_reason(app: Flask) -> None:
    with app.app_context():
        member = factories.org_member()
        factories.project(member, status="returned", title="被退回的项目")
        email = member.email
    page = dashboard(app, email)
    assert "被退回的项目" in page
    assert "请补充预算明细" in page


def test_pending_organization_sees_the_verification_banner(app: Flask) -> None:
    with app.app_context():
        email = factories.org_member(verified=False).email
    page = dashboard(app, email)
    assert "等待团区委认证" in page
    assert "还没有项目" in page


def test_company_sees_its_profile_and_recommended_projects(app: Flask, world: factories.World) -> None:
    page = dashboard(app, world.company_email)
    with app.app_context():
        name = db.session.get(Company, world.company_id).name
    assert name in page
    assert "children" not in page  # categories show by name
    assert "儿童关爱" in page
    # The world's published project is in 儿童关爱, the company's focus.
    assert "已发布项目：防溺水安全课" in page
    assert "草稿项目：社区图书角" not in page


def test_company_recommendations_put_focus_categories_first_and_say_why(
    app: Flask, world: factories.World
) -> None:
    with app.app_context():
        reviewer = factories.staff()
        member = factories.org_member()
        factories.project(
            member, status="published", reviewer=reviewer, title="环保项目：河道清洁", category="environment"
        )
    page = dashboard(app, world.company_email)
    # Category is a quarter of the score, not a filter: the out-of-focus project may follow, never lead.
    assert page.index("已发布项目：防溺水安全课") < page.index("环保项目：河道清洁")
    assert "同属 儿童关爱 领域" in page


def test_staff_see_queues_and_latest_audit_events(app: Flask, world: factories.World) -> None:
    with app.app_context():
        newcomer = factories.org_member(verified=False).name
    for email in (world.staff_email, world.admin_email):
        page = dashboard(app, email)
        assert "待认证组织" in page
        assert "待审核项目" in page
        assert "/staff/verifications" in page
        assert "/staff/reviews" in page
        assert "发布项目" in page  # audit: the world's published project
        assert "注册账号" in page
        assert newcomer in page  # the subject of the newest sign-up


def test_staff_counts(app: Flask, world: factories.World) -> None:
    with app.app_context():
        factories.org_member(verified=False)
        factories.company_member(verified=False)
        factories.company_member(verified=False)
    page = dashboard(app, world.staff_email)
    # 1 pending organization, 2 pending companies, 1 submitted project (the world's).
    assert '<a href="/staff/verifications">1</a>' in page
    assert '<a href="/staff/verifications">2</a>' in page
    assert "认证审核（3）" in page
    assert "项目审核（1）" in page


def test_tender_to_dos_on_the_organization_and_staff_dashboards(app: Flask, tmp_path: Any) -> None:
    from marketplace.tenders import operations as tenders
    from marketplace.tenders.models import Bid
    from marketplace.timeutil import utcnow
    from tests.tender_support import consortium_input, make_tender, org_user

    with app.app_context():
        staff = factories.staff()
        tender = make_tender(staff, title="鹿城区困境儿童关爱服务采购")
        lead, partner = org_user(), org_user()
        bid = tenders.create_bid(tender, lead, consortium_input(lead, partner))
        db.session.commit()
        emails = (staff.email, lead.email, partner.email)
        bid_id, tender_id = bid.id, tender.id
    staff_email, lead_email, partner_email = emails
    page = dashboard(app, partner_email)
    assert "投标待办" in page and f"/bids/{bid_id}" in page and "确认分工：鹿城区困境儿童关爱服务采购" in page
    assert "投标待办" not in dashboard(app, lead_email)  # the lead confirms by submitting
    staff_page = dashboard(app, staff_email)
    assert "没有待评审的采购项目" in staff_page
    # The latest decisions name the tender and the bid in words, with links.
    assert "准备投标" in staff_page and f'href="/bids/{bid_id}"' in staff_page
    assert "发布采购项目" in staff_page and f'href="/tenders/{tender_id}"' in staff_page
    with app.app_context():
        bid = db.session.get(Bid, bid_id)
        bid.tender.submission_deadline = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = dashboard(app, staff_email)
    assert "待评审：鹿城区困境儿童关爱服务采购" in page and f"/staff/tenders/{tender_id}/evaluation" in page
