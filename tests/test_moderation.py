"""Abuse reports and moderation holds: reporting (one open report per reporter and subject), staff
decisions through the pure table, the audit log, and held content kept out of every public listing
(home, browse, search with the index and without, organization pages, the API, recommendations)
while its organization and staff still see it.

Every refusal leaves the reports, the holds and the audit log exactly as they were."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace import audit
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.matching import catalog
from marketplace.moderation import operations as ops
from marketplace.moderation.models import AbuseReport
from marketplace.parties.models import Organization
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from marketplace.search.service import get_service
from tests import factories
from tests.pages import html, login

TITLE = "萤火虫夜读计划"  # the project that gets reported and held
SIBLING = "萤火虫周末图书漂流"  # same organization, never held itself
NEIGHBOUR = "萤火虫乡村科学营"  # another organization's project
MESSAGE = "愿孩子们爱上读书，早日建成图书角"


@dataclass(frozen=True)
class Scene:
    staff: str
    member: str
    other: str
    company: str
    organization_id: int
    other_organization_id: int
    project_id: int
    sibling_id: int
    neighbour_id: int
    pledge_id: int


@pytest.fixture
def scene(app: Flask) -> Scene:
    with app.app_context():
        staff = factories.staff()
        member = factories.org_member()
        other = factories.org_member()
        company = factories.company_member()
        project = factories.project(member, status="published", reviewer=staff, title=TITLE)
        sibling = factories.project(member, status="published", reviewer=staff, title=SIBLING)
        neighbour = factories.project(other, status="published", reviewer=staff, title=NEIGHBOUR)
        pledge = factories.pledge(project, company, 50_000, message=MESSAGE)
        get_service().indexer().rebuild()  # search answers from the real index, kept by the outbox
        return Scene(
            staff=staff.email,
            member=member.email,
            other=other.email,
            company=company.email,
            organization_id=member.organization_id,
            other_organization_id=other.organization_id,
            project_id=project.id,
            sibling_id=sibling.id,
            neighbour_id=neighbour.id,
            pledge_id=pledge.id,
        )


def _user(email: str) -> Any:
    from marketplace.accounts.models import User

    return db.session.scalar(select(User).where(User.email == email))


def _state() -> tuple[Any, ...]:
    return (
        tuple(
            db.session.execute(
                select(AbuseReport.id, AbuseReport.status, AbuseReport.decision_note).order_by(AbuseReport.id)
            ).all()
        ),
        tuple(db.session.execute(select(Project.id, Project.hidden_at).order_by(Project.id)).all()),
        tuple(
            db.session.execute(
                select(Organization.id, Organization.hidden_at).order_by(Organization.id)
            ).all()
        ),
        tuple(db.session.execute(select(Pledge.id, Pledge.message_hidden_at).order_by(Pledge.id)).all()),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def _report(reporter: Any, kind: str, subject_id: int, *, ip: str | None = None, **overrides: Any):  # type: ignore[no-untyped-def]
    values = {"reason": "fraud", "details": "照片与说明不符", **overrides}
    report, created = ops.file_report(
        reporter,
        ip,
        ops.ReportInput(kind=kind, subject_id=subject_id, reason=values["reason"], details=values["details"]),
    )
    db.session.commit()
    return report, created


# ───────────── reporting ─────────────


def test_one_open_report_per_reporter_and_subject(app: Flask, scene: Scene) -> None:
    with app.app_context():
        company = _user(scene.company)
        first, created = _report(None, "project", scene.project_id, ip="198.51.100.1")
        again, created_again = _report(None, "project", scene.project_id, ip="198.51.100.1", reason="spam")
        assert created and not created_again and again.id == first.id and again.reason == "fraud"
        elsewhere, created_elsewhere = _report(None, "project", scene.project_id, ip="198.51.100.2")
        assert created_elsewhere and elsewhere.id != first.id
        mine, _ = _report(company, "project", scene.project_id)
        mine_again, created_mine_again = _report(company, "project", scene.project_id, ip="198.51.100.9")
        assert mine_again.id == mine.id and not created_mine_again
        # the IP is kept only as a keyed hash
        assert first.reporter_ip_hash and "198.51.100.1" not in first.reporter_ip_hash
        assert first.reporter_id is None and mine.reporter_id == company.id
        # once decided, the same reporter may report the subject again
        ops.decide(_user(scene.staff), "project", scene.project_id, "dismiss", "核实无问题")
        db.session.commit()
        fresh, created_fresh = _report(company, "project", scene.project_id)
        assert created_fresh and fresh.id != mine.id
        assert db.session.scalar(select(func.count()).select_from(AbuseReport)) == 4


def test_the_database_refuses_a_second_open_report_from_one_reporter(app: Flask, scene: Scene) -> None:
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        _report(_user(scene.company), "project", scene.project_id)
        duplicate = AbuseReport(
            subject_kind="project",
            subject_id=scene.project_id,
            reason="spam",
            reporter_key=f"user:{_user(scene.company).id}",
            status="open",
        )
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(
    ("kind", "reason", "details", "field", "message"),
    [
        (
            "project",
            "boring",
            "",
            "reason",
            "举报原因只能是：虚假信息/诈骗、违法违规、侵权、骚扰或仇恨言论、垃圾广告、其他",
        ),
        ("project", "", "", "reason", "请选择举报原因"),
        ("project", "other", "  ", "details", "选择“其他”时请写明举报理由"),
        ("project", "spam", "字" * 501, "details", "补充说明不能超过 500 个字（现在 501 个字）"),
        ("user", "spam", "", "kind", "只能举报项目、组织或认捐留言"),
    ],
)
def test_bad_reports_save_nothing(
    app: Flask, scene: Scene, kind: str, reason: str, details: str, field: str, message: str
) -> None:
    with app.app_context():
        before = _state()
        with pytest.raises(DomainError) as refused:
            ops.file_report(
                None,
                "198.51.100.1",
                ops.ReportInput(kind=kind, subject_id=scene.project_id, reason=reason, details=details),
            )
        db.session.rollback()
        assert refused.value.fields == {field: message}
        assert _state() == before


def test_only_what_the_reporter_can_see_can_be_reported(app: Flask, scene: Scene) -> None:
    with app.app_context():
        member = _user(scene.member)
        draft = factories.project(member, title="萤火虫筹备中")
        silent = factories.pledge(db.session.get(Project, scene.sibling_id), _user(scene.company), 10_000)
        before = _state()
        for reporter, kind, subject_id in (
            (None, "project", draft.id),  # a draft is private
            (_user(scene.company), "project", draft.id),
            (None, "project", 999_999),
            (None, "organization", 999_999),
            (None, "pledge_message", silent.id),  # no message to report
        ):
            with pytest.raises(NotFound):
                ops.file_report(
                    reporter, "198.51.100.1", ops.ReportInput(kind=kind, subject_id=subject_id, reason="spam")
                )
            db.session.rollback()
        assert _state() == before
        # the organization's own member sees the draft, so may report it (e.g. a colleague's text)
        assert _report(member, "project", draft.id)[1]


# ───────────── decisions ─────────────


def _events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def test_hide_dismiss_action_restore_move_reports_and_holds_and_are_audited(app: Flask, scene: Scene) -> None:
    with app.app_context():
        staff = _user(scene.staff)
        first, _ = _report(None, "project", scene.project_id, ip="198.51.100.1")
        second, _ = _report(_user(scene.company), "project", scene.project_id, reason="illegal")

        ops.decide(staff, "project", scene.project_id, "hide", "  先隐藏，核实募捐资质  ")
        db.session.commit()
        project = db.session.get(Project, scene.project_id)
        assert project.hidden_at is not None and project.hidden_reason == "先隐藏，核实募捐资质"
        assert {report.status for report in ops.reports_for("project", scene.project_id)} == {"open"}
        (hide,) = _events("moderation.hide")
        assert hide.actor_id == staff.id and hide.acting_for == "staff"
        assert hide.subject_type == "Project" and hide.subject_id == scene.project_id
        assert hide.payload == {
            "kind": "project",
            "subject_id": scene.project_id,
            "note": "先隐藏，核实募捐资质",
            "reports": [],
            "held": True,
        }

        ops.decide(staff, "project", scene.project_id, "dismiss", "资质齐全，举报不成立")
        db.session.commit()
        db.session.refresh(project)
        assert project.hidden_at is None and project.hidden_reason is None
        for report in (first, second):
            db.session.refresh(report)
            assert report.status == "dismissed" and report.decision == "dismiss"
            assert report.decided_by_id == staff.id and report.decided_at is not None
            assert report.decision_note == "资质齐全，举报不成立"
        assert _events("moderation.dismiss")[0].payload["reports"] == [first.id, second.id]

        third, _ = _report(None, "project", scene.project_id, ip="198.51.100.3")
        ops.decide(staff, "project", scene.project_id, "action", "图片盗用，已要求组织更换")
        db.session.commit()
        db.session.refresh(project)
        db.session.refresh(third)
        assert project.hidden_at is not None and third.status == "actioned"
        db.session.refresh(first)
        assert first.status == "dismissed"  # a decided report stays decided

        ops.decide(staff, "project", scene.project_id, "restore", "组织已更换图片")
        db.session.commit()
        db.session.refresh(project)
        assert project.hidden_at is None
        assert [event.payload["held"] for event in _events("moderation.restore")] == [False]
        assert audit.verify_chain() is None


@pytest.mark.parametrize(
    ("who", "decision", "note", "error", "field", "message"),
    [
        ("staff", "delete", "说明", DomainError, "decision", None),
        ("staff", "hide", "", DomainError, "note", "请填写处理说明（会记入审计日志）"),
        ("staff", "hide", "字" * 501, DomainError, "note", "处理说明不能超过 500 个字（现在 501 个字）"),
        ("staff", "restore", "恢复", Conflict, "decision", "该内容没有被隐藏，无需恢复"),
        ("staff", "dismiss", "驳回", Conflict, "decision", "该内容没有待处理的举报，不能驳回举报"),
        ("member", "hide", "我想隐藏", Forbidden, "actor", "只有团区委工作人员可以处理举报"),
        ("company", "hide", "我想隐藏", Forbidden, "actor", "只有团区委工作人员可以处理举报"),
        (None, "hide", "匿名", Forbidden, "actor", "只有团区委工作人员可以处理举报"),
    ],
)
def test_bad_decisions_save_nothing(
    app: Flask,
    scene: Scene,
    who: str | None,
    decision: str,
    note: str,
    error: type,
    field: str,
    message: str | None,
) -> None:
    with app.app_context():
        actor = _user(getattr(scene, who)) if who else None
        before = _state()
        with pytest.raises(error) as refused:
            ops.decide(actor, "project", scene.sibling_id, decision, note)
        db.session.rollback()
        assert set(refused.value.fields) == {field}
        if message is not None:
            assert refused.value.fields[field] == message
        assert _state() == before


def test_hiding_twice_is_refused(app: Flask, scene: Scene) -> None:
    with app.app_context():
        staff = _user(scene.staff)
        ops.decide(staff, "organization", scene.organization_id, "hide", "核实中")
        db.session.commit()
        before = _state()
        with pytest.raises(Conflict, match="该内容已经隐藏，无需再次隐藏"):
            ops.decide(staff, "organization", scene.organization_id, "hide", "再隐藏一次")
        db.session.rollback()
        assert _state() == before


# ───────────── held content and every listing ─────────────


def _visible(response: Any) -> str:
    """JSON decoded (it escapes Chinese as \\uXXXX), or HTML without tags (search highlights split
    titles: <mark>萤火虫</mark>夜读计划)."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return re.sub(r"<[^>]+>", "", html(response))


def _public_listings(client: FlaskClient, scene: Scene) -> dict[str, str]:
    """Every public place a project's title can appear, as the client sees it."""
    pages = {
        "home": "/",
        "browse": "/projects",
        "browse all": "/projects?status=all",
        "search": "/projects?q=萤火虫&status=all",
        "organization page": f"/organizations/{scene.organization_id}",
        "organizations list": "/organizations",
        "api list": "/api/v1/projects?per_page=100",
        "api search": "/api/v1/projects?q=萤火虫",
        "api organization list": f"/api/v1/projects?organization_id={scene.organization_id}",
    }
    shown = {}
    for name, path in pages.items():
        response = client.get(path)
        if name == "organization page" and response.status_code == 404:  # a held organization
            shown[name] = ""
            continue
        assert response.status_code == 200, f"{name}: {response.status_code}"
        shown[name] = _visible(response)
    return shown


def _hide(app: Flask, scene: Scene, kind: str, subject_id: int) -> None:
    with app.app_context():
        ops.decide(_user(scene.staff), kind, subject_id, "hide", "核实中")
        db.session.commit()


def _restore(app: Flask, scene: Scene, kind: str, subject_id: int) -> None:
    with app.app_context():
        ops.decide(_user(scene.staff), kind, subject_id, "restore", "核实无问题")
        db.session.commit()


def test_a_held_project_leaves_every_public_listing_and_comes_back(app: Flask, scene: Scene) -> None:
    anonymous, company = app.test_client(), login(app, scene.company)
    for viewer in (anonymous, company):
        shown = _public_listings(viewer, scene)
        missing = [name for name, page in shown.items() if name != "organizations list" and TITLE not in page]
        assert missing == []

    _hide(app, scene, "project", scene.project_id)
    for viewer in (anonymous, company, login(app, scene.other)):
        for name, page in _public_listings(viewer, scene).items():
            assert TITLE not in page, f"{name} still shows the held project"
        assert SIBLING in _public_listings(viewer, scene)["organization page"]
        assert viewer.get(f"/projects/{scene.project_id}").status_code == 404
        assert viewer.get(f"/api/v1/projects/{scene.project_id}").status_code == 404
    assert company.get(f"/projects/{scene.project_id}/pledge").status_code == 404  # no money for it
    with app.app_context():
        assert catalog.fresh_amounts([scene.project_id, scene.sibling_id]).keys() == {scene.sibling_id}
        assert scene.project_id not in {facts.id for facts in catalog.project_facts()}

    for insider in (login(app, scene.member), login(app, scene.staff)):
        page = insider.get(f"/projects/{scene.project_id}")
        assert page.status_code == 200 and "内容审核中" in html(page) and "核实中" in html(page)

    _restore(app, scene, "project", scene.project_id)
    search = _visible(anonymous.get("/projects?q=萤火虫&status=all"))
    assert TITLE in search and anonymous.get(f"/projects/{scene.project_id}").status_code == 200


def test_the_search_fallback_leaves_held_projects_out_too(app: Flask, scene: Scene) -> None:
    import shutil
    from pathlib import Path

    _hide(app, scene, "project", scene.project_id)
    shutil.rmtree(Path(app.config["SEARCH_INDEX_DIR"]))  # no index: search answers from the database
    page = _visible(app.test_client().get("/projects?q=萤火虫&status=all"))
    assert SIBLING in page and TITLE not in page
    api = app.test_client().get("/api/v1/projects?q=萤火虫").get_json()
    assert {item["id"] for item in api["items"]} == {scene.sibling_id, scene.neighbour_id}


def test_a_held_organization_withholds_its_page_and_all_its_projects(app: Flask, scene: Scene) -> None:
    _hide(app, scene, "organization", scene.organization_id)
    anonymous = app.test_client()
    for viewer in (anonymous, login(app, scene.company), login(app, scene.other)):
        listings = _public_listings(viewer, scene)
        for name, page in listings.items():
            if name == "organization page":
                continue
            assert TITLE not in page and SIBLING not in page, (
                f"{name} still shows the held organization's work"
            )
        assert NEIGHBOUR in listings["browse"]
        assert viewer.get(f"/organizations/{scene.organization_id}").status_code == 404
        assert viewer.get(f"/api/v1/organizations/{scene.organization_id}").status_code == 404
        for project_id in (scene.project_id, scene.sibling_id):
            assert viewer.get(f"/projects/{project_id}").status_code == 404
    with app.app_context():
        organization = db.session.get(Organization, scene.organization_id)
        assert organization.name not in html(anonymous.get("/organizations"))
    for insider in (login(app, scene.member), login(app, scene.staff)):
        page = insider.get(f"/organizations/{scene.organization_id}")
        assert page.status_code == 200 and "内容审核中" in html(page)
        assert insider.get(f"/projects/{scene.sibling_id}").status_code == 200

    _restore(app, scene, "organization", scene.organization_id)
    assert SIBLING in _visible(anonymous.get("/projects?q=萤火虫&status=all"))


def test_a_held_pledge_message_reads_under_review(app: Flask, scene: Scene) -> None:
    anonymous = app.test_client()
    assert MESSAGE in html(anonymous.get(f"/projects/{scene.project_id}"))
    _hide(app, scene, "pledge_message", scene.pledge_id)
    for viewer in (anonymous, login(app, scene.member), login(app, scene.other)):
        page = html(viewer.get(f"/projects/{scene.project_id}"))
        assert MESSAGE not in page and "该留言正在审核中" in page
    staff_page = html(login(app, scene.staff).get(f"/projects/{scene.project_id}"))
    assert MESSAGE in staff_page and "已对公众隐藏" in staff_page
    # the company that wrote it still sees its own words, with a note
    own = html(login(app, scene.company).get(f"/pledges/{scene.pledge_id}"))
    assert MESSAGE in own and "该留言正在审核中" in own
