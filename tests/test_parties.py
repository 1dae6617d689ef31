"""Organization and company pages, staff verification and grading, profiles and team members."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.parties.models import Company, Organization
from marketplace.parties.uscc import CHARSET
from marketplace.projects import operations as projects
from tests import factories


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def login(app: Flask, email: str | None) -> Any:
    client = app.test_client()
    if email:
        assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    return client


def pending_org(app: Flask, **kwargs: Any) -> tuple[str, int, str]:
    with app.app_context():
        user = factories.org_member(verified=False, **kwargs)
        return user.email, user.organization_id, user.organization.name


def pending_company(app: Flask) -> tuple[str, int, str]:
    with app.app_context():
        user = factories.company_member(verified=False)
        return user.email, user.company_id, user.company.name


def party_state(app: Flask, model: type, party_id: int) -> tuple[str, str | None]:
    with app.app_context():
        party = db.session.get(model, party_id)
        return party.verification_status, party.rejection_reason


# ───────────── verification ─────────────


def test_queue_lists_pending_parties_for_staff(app: Flask, world: factories.World) -> None:
    _, _, org_name = pending_org(app)
    _, _, company_name = pending_company(app)
    page = html(login(app, world.staff_email).get("/staff/verifications"))
    assert org_name in page
    assert company_name in page
    assert "不通过" in page


@pytest.mark.parametrize(("who", "status"), [("org", 403), ("company", 403), ("admin", 200), ("staff", 200)])
def test_queue_is_for_staff_only(app: Flask, world: factories.World, who: str, status: int) -> None:
    assert login(app, world.email_for(who)).get("/staff/verifications").status_code == status


def test_staff_verify_an_organization(app: Flask, world: factories.World) -> None:
    _, organization_id, name = pending_org(app)
    client = login(app, world.staff_email)
    response = client.post(f"/staff/verifications/organization/{organization_id}", data={"action": "verify"})
    assert response.status_code == 302
    assert party_state(app, Organization, organization_id) == ("verified", None)
    page = html(client.get("/staff/verifications"))
    assert "已通过认证" in page  # flash
    assert name in page  # recently decided
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "party.verified"))
        assert event is not None and event.subject_id == organization_id


def test_reject_needs_a_reason_and_the_organization_can_resubmit(app: Flask, world: factories.World) -> None:
    email, organization_id, _ = pending_org(app)
    staff = login(app, world.staff_email)
    url = f"/staff/verifications/organization/{organization_id}"

    refused = staff.post(url, data={"action": "reject", "reason": "  "})
    assert refused.status_code == 422
    assert "请填写未通过的原因" in html(refused)
    assert party_state(app, Organization, organization_id) == ("pending", None)

    assert staff.post(url, data={"action": "reject", "reason": "登记证书照片不清晰"}).status_code == 302
    assert party_state(app, Organization, organization_id) == ("rejected", "登记证书照片不清晰")

    member = login(app, email)
    profile = html(member.get("/organization/profile"))
    assert "登记证书照片不清晰" in profile
    assert "重新提交认证" in profile
    assert "登记证书照片不清晰" in html(member.get("/dashboard"))

    assert member.post("/profile/resubmit").status_code == 302
    assert party_state(app, Organization, organization_id)[0] == "pending"
    assert member.post("/profile/resubmit").status_code == 302  # a second time only says why not
    assert party_state(app, Organization, organization_id)[0] == "pending"


def test_staff_verify_and_reject_companies(app: Flask, world: factories.World) -> None:
    _, first, _ = pending_company(app)
    _, second, _ = pending_company(app)
    staff = login(app, world.admin_email)
    assert staff.post(f"/staff/verifications/company/{first}", data={"action": "verify"}).status_code == 302
    assert staff.post(
        f"/staff/verifications/company/{second}", data={"action": "reject", "reason": "名称不符"}
    )
    assert party_state(app, Company, first)[0] == "verified"
    assert party_state(app, Company, second) == ("rejected", "名称不符")


def test_verifying_twice_is_refused_politely(app: Flask, world: factories.World) -> None:
    staff = login(app, world.staff_email)
    response = staff.post(
        f"/staff/verifications/organization/{world.organization_id}", data={"action": "verify"}
    )
    assert response.status_code == 302
    assert "已经通过认证" in html(staff.get(response.headers["Location"]))


@pytest.mark.parametrize("who", ["org", "company", "other_org"])
def test_non_staff_cannot_decide(app: Flask, world: factories.World, who: str) -> None:
    _, organization_id, _ = pending_org(app)
    client = login(app, world.email_for(who))
    response = client.post(f"/staff/verifications/organization/{organization_id}", data={"action": "verify"})
    assert response.status_code == 403
    assert party_state(app, Organization, organization_id) == ("pending", None)


def test_anonymous_decision_goes_to_login(app: Flask, client: Any) -> None:
    _, organization_id, _ = pending_org(app)
    response = client.post(f"/staff/verifications/organization/{organization_id}", data={"action": "verify"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert party_state(app, Organization, organization_id)[0] == "pending"


@pytest.mark.parametrize("path", ["/staff/verifications/agency/1", "/staff/verifications/company/999999"])
def test_unknown_party_is_404(app: Flask, world: factories.World, path: str) -> None:
    assert login(app, world.staff_email).post(path, data={"action": "verify"}).status_code == 404


def test_unknown_action_is_a_bad_request(app: Flask, world: factories.World) -> None:
    _, organization_id, _ = pending_org(app)
    staff = login(app, world.staff_email)
    response = staff.post(
        f"/staff/verifications/organization/{organization_id}", data={"action": "approve-all"}
    )
    assert response.status_code == 400
    assert party_state(app, Organization, organization_id)[0] == "pending"


def test_only_verified_organizations_can_publish(app: Flask) -> None:
    with app.app_context():
        reviewer = factories.staff()
        pending_member = factories.org_member(verified=False)
        waiting = factories.project(pending_member, status="submitted")
        with pytest.raises(Conflict):
            projects.transition_project(waiting, "publish", reviewer)
        db.session.rollback()

        verified_member = factories.org_member()
        ready = factories.project(verified_member, status="submitted")
        projects.transition_project(ready, "publish", reviewer)
        db.session.commit()
        assert ready.status == "published"


# ───────────── public pages ─────────────


def test_organization_page_lists_only_public_projects(
    app: Flask, client: Any, world: factories.World
) -> None:
    page = html(client.get(f"/organizations/{world.organization_id}"))
    assert "已发布项目：防溺水安全课" in page
    assert "草稿项目：社区图书角" not in page
    assert "待审核项目：长者助餐" not in page
    # Members see the same public list (drafts live on their dashboard).
    member_page = html(login(app, world.org_email).get(f"/organizations/{world.organization_id}"))
    assert "草稿项目：社区图书角" not in member_page


def test_contact_details_need_a_login(app: Flask, client: Any, world: factories.World) -> None:
    with app.app_context():
        phone = db.session.get(Organization, world.organization_id).contact_phone
    assert phone not in html(client.get(f"/organizations/{world.organization_id}"))
    assert phone in html(login(app, world.company_email).get(f"/organizations/{world.organization_id}"))


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 404), ("other_org", 404), ("company", 404), ("member", 200), ("staff", 200)],
)
def test_pending_organization_page_is_private(
    app: Flask, world: factories.World, who: str, status: int
) -> None:
    email, organization_id, _ = pending_org(app)
    viewer = email if who == "member" else world.email_for(who)
    assert login(app, viewer).get(f"/organizations/{organization_id}").status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 404), ("org", 404), ("member", 200), ("admin", 200)]
)
def test_pending_company_page_is_private(app: Flask, world: factories.World, who: str, status: int) -> None:
    email, company_id, _ = pending_company(app)
    viewer = email if who == "member" else world.email_for(who)
    assert login(app, viewer).get(f"/companies/{company_id}").status_code == status


def test_verified_company_page_is_public_but_budget_is_not(
    app: Flask, client: Any, world: factories.World
) -> None:
    with app.app_context():
        company = db.session.get(Company, world.company_id)
        company.yearly_budget = 12_345_600
        db.session.commit()
        name = company.name
    page = html(client.get(f"/companies/{world.company_id}"))
    assert name in page
    assert "¥123,456" not in page
    assert "¥123,456" in html(login(app, world.company_email).get(f"/companies/{world.company_id}"))


def test_organization_list_shows_verified_organizations_with_filters(app: Flask, client: Any) -> None:
    with app.app_context():
        elderly = factories.org_member(name="长者关爱服务社").organization
        elderly.grade, elderly.grade_valid_until, elderly.tier = "A4", date(2099, 1, 1), "leading"
        expired = factories.org_member(name="等级过期的服务社").organization
        expired.grade, expired.grade_valid_until = "A5", date(2000, 1, 1)
        db.session.commit()
    factories_pending = pending_org(app, name="还没认证的服务社")
    page = html(client.get("/organizations"))
    assert "长者关爱服务社" in page
    assert factories_pending[2] not in page
    assert "4A" in page and "名木" in page

    graded = html(client.get("/organizations", query_string={"grade": "A3+"}))
    assert "长者关爱服务社" in graded
    assert "等级过期的服务社" not in graded
    assert "长者关爱服务社" in html(client.get("/organizations", query_string={"tier": "leading"}))
    assert "长者关爱服务社" not in html(client.get("/organizations", query_string={"area": "environment"}))
    assert "长者关爱服务社" in html(
        client.get("/organizations", query_string={"area": "elderly", "q": "长者"})
    )
    assert "长者关爱服务社" not in html(client.get("/organizations", query_string={"district": "泰顺县"}))


def test_organization_list_paginates(app: Flask, client: Any) -> None:
    with app.app_context():
        for _ in range(13):
            factories.org_member()
    first = html(client.get("/organizations"))
    assert "共 13 家已认证组织" in first
    assert 'rel="next"' in first
    second = client.get("/organizations", query_string={"page": 2})
    assert second.status_code == 200
    assert 'rel="prev"' in html(second)


# ───────────── grading ─────────────


def test_staff_grade_an_organization(app: Flask, world: factories.World) -> None:
    staff = login(app, world.staff_email)
    assert "评定等级" in html(staff.get(f"/organizations/{world.organization_id}"))
    response = staff.post(
        f"/organizations/{world.organization_id}/grade",
        data={"grade": "A3", "grade_valid_until": "2030-12-31", "tier": "demonstration"},
    )
    assert response.status_code == 302
    with app.app_context():
        organization = db.session.get(Organization, world.organization_id)
        assert (organization.grade, organization.grade_valid_until, organization.tier) == (
            "A3",
            date(2030, 12, 31),
            "demonstration",
        )
    assert "3A" in html(staff.get(f"/organizations/{world.organization_id}"))


def test_grade_needs_a_valid_until_date(app: Flask, world: factories.World) -> None:
    staff = login(app, world.staff_email)
    response = staff.post(f"/organizations/{world.organization_id}/grade", data={"grade": "A3", "tier": ""})
    assert response.status_code == 422
    assert "请填写等级有效期" in html(response)
    with app.app_context():
        assert db.session.get(Organization, world.organization_id).grade is None


@pytest.mark.parametrize("who", ["org", "company"])
def test_only_staff_grade(app: Flask, world: factories.World, who: str) -> None:
    client = login(app, world.email_for(who))
    assert "评定等级" not in html(client.get(f"/organizations/{world.organization_id}"))
    response = client.post(
        f"/organizations/{world.organization_id}/grade",
        data={"grade": "A5", "grade_valid_until": "2030-01-01"},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Organization, world.organization_id).grade is None


# ───────────── own profile ─────────────


def profile_form(app: Flask, organization_id: int, **overrides: Any) -> dict[str, Any]:
    with app.app_context():
        organization = db.session.get(Organization, organization_id)
        data: dict[str, Any] = {
            "name": organization.name,
            "uscc": organization.uscc,
            "district": organization.district,
            "community": "府前社区",
            "founded_year": "2016",
            "business_areas": ["elderly", "health"],
            "description": "我们为独居老人提供上门探访。",
            "contact_name": organization.contact_name,
            "contact_phone": organization.contact_phone,
            "contact_email": organization.contact_email,
        }
    data.update(overrides)
    return data


def test_org_member_edits_the_profile(app: Flask, world: factories.World) -> None:
    client = login(app, world.org_email)
    assert client.get("/organization/profile").status_code == 200
    response = client.post("/organization/profile", data=profile_form(app, world.organization_id))
    assert response.status_code == 302
    with app.app_context():
        organization = db.session.get(Organization, world.organization_id)
        assert organization.founded_year == 2016
        assert [area.slug for area in organization.business_areas] == ["elderly", "health"]
        assert organization.verification_status == "verified"
    assert "我们为独居老人提供上门探访。" in html(
        app.test_client().get(f"/organizations/{world.organization_id}")
    )


def test_changing_the_name_sends_the_organization_back_to_verification(
    app: Flask, world: factories.World
) -> None:
    client = login(app, world.org_email)
    response = client.post(
        "/organization/profile", data=profile_form(app, world.organization_id, name="改名后的中心")
    )
    assert response.status_code == 302
    assert "重新认证" in html(client.get(response.headers["Location"]))
    assert party_state(app, Organization, world.organization_id)[0] == "pending"


def test_bad_profile_edit_saves_nothing(app: Flask, world: factories.World) -> None:
    client = login(app, world.org_email)
    data = profile_form(app, world.organization_id, description="不该保存的简介", founded_year="1800")
    data["uscc"] = data["uscc"][:17] + next(ch for ch in CHARSET if ch != data["uscc"][17])
    response = client.post("/organization/profile", data=data)
    assert response.status_code == 422
    page = html(response)
    assert "校验位" in page
    assert "成立年份应在 1949" in page
    with app.app_context():
        assert db.session.get(Organization, world.organization_id).description != "不该保存的简介"


def test_company_member_edits_the_profile(app: Flask, world: factories.World) -> None:
    client = login(app, world.company_email)
    assert client.get("/company/profile").status_code == 200
    with app.app_context():
        company = db.session.get(Company, world.company_id)
        data = {
            "name": company.name,
            "uscc": company.uscc,
            "district": company.district,
            "industry": "金融",
            "focus_categories": ["children", "education"],
            "districts_of_interest": ["鹿城区", "瑞安市"],
            "yearly_budget_yuan": "50000",
            "description": "",
            "contact_name": company.contact_name,
            "contact_phone": "",
            "contact_email": company.contact_email,
        }
    assert client.post("/company/profile", data=data).status_code == 302
    with app.app_context():
        company = db.session.get(Company, world.company_id)
        assert company.yearly_budget == 5_000_000
        assert [d.name for d in company.districts_of_interest] == ["鹿城区", "瑞安市"]
    bad = client.post("/company/profile", data={**data, "yearly_budget_yuan": "五万"})
    assert bad.status_code == 422
    assert "金额必须是数字" in html(bad)


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("company", "/organization/profile", 403),
        ("staff", "/organization/profile", 403),
        ("org", "/company/profile", 403),
        ("staff", "/team", 403),
        ("anonymous", "/team", 302),
        ("anonymous", "/organization/profile", 302),
    ],
)
def test_profile_pages_need_the_right_role(
    app: Flask, world: factories.World, who: str, path: str, status: int
) -> None:
    assert login(app, world.email_for(who)).get(path).status_code == status


# ───────────── team members ─────────────


@pytest.mark.parametrize("who", ["org", "company"])
def test_member_adds_a_colleague_who_can_log_in(app: Flask, world: factories.World, who: str) -> None:
    client = login(app, world.email_for(who))
    colleague = f"colleague-{who}@example.cn"
    response = client.post(
        "/team", data={"name": "新同事", "email": colleague, "password": "Colleague-Pass-2024"}
    )
    assert response.status_code == 302
    assert colleague in html(client.get("/team"))

    other = app.test_client()
    assert (
        other.post("/login", data={"email": colleague, "password": "Colleague-Pass-2024"}).status_code == 302
    )
    assert other.get("/dashboard").status_code == 200
    with app.app_context():
        added = db.session.scalar(select(User).where(User.email == colleague))
        inviter = db.session.scalar(select(User).where(User.email == world.email_for(who)))
        assert added.role == inviter.role
        assert (added.organization_id, added.company_id) == (inviter.organization_id, inviter.company_id)


def test_bad_colleague_saves_nothing(app: Flask, world: factories.World) -> None:
    client = login(app, world.org_email)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    response = client.post(
        "/team", data={"name": "新同事", "email": world.company_email, "password": "short"}
    )
    assert response.status_code == 422
    page = html(response)
    assert "至少需要 10 个字符" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_team_lists_only_own_members(app: Flask, world: factories.World) -> None:
    page = html(login(app, world.org_email).get("/team"))
    assert world.org_email in page
    assert world.other_org_email not in page
