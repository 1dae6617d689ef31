"""`flask demo` loads a realistic data set once, through the real operations."""

from __future__ import annotations

from sqlalchemy import func, select, text

from marketplace.accounts.models import User
from marketplace.demo import content
from marketplace.extensions import db
from marketplace.parties.models import Company, Organization
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStatus
from marketplace.taxonomy.data import CATEGORY_SLUGS

LUCHENG_INCUBATED = (
    "海汇敬老助老公益发展中心",
    "三乐亭爱心驿站",
    "爱心璀璨公益发展中心",
    "荒岛图书社",
    "青少年社会工作服务中心",
)


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Organization, Company, Project, Pledge)
    }


def test_demo_loads_once_and_prints_logins(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "org@demo.qingqinchou.cn" in first.output
    assert "staff@demo.qingqinchou.cn" in first.output
    assert content.DEMO_PASSWORD in first.output
    with app.app_context():
        after_first = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _counts() == after_first

        assert after_first["Organization"] >= 12
        assert after_first["Company"] >= 8
        assert after_first["Project"] >= 40
        names = db.session.scalars(select(Organization.name)).all()
        for incubated in LUCHENG_INCUBATED:
            assert any(incubated in name for name in names), incubated
        statuses = set(db.session.scalars(select(Project.status)).all())
        assert statuses == {status.value for status in ProjectStatus}
        used = set(db.session.scalars(select(func.distinct(Project.category_id))).all())
        assert len(used) == len(CATEGORY_SLUGS)
        # Every project's running total equals its ledger, checked in one statement.
        mismatches = db.session.execute(
            text(
                "SELECT p.id FROM projects p LEFT JOIN ledger_entries l ON l.project_id = p.id "
                "GROUP BY p.id, p.raised_amount HAVING p.raised_amount <> COALESCE(SUM(l.amount), 0)"
            )
        ).all()
        assert mismatches == []


def test_demo_logins_work(app, runner, client):
    runner.invoke(args=["demo"])
    response = client.post(
        "/api/v1/tokens", json={"email": "org@demo.qingqinchou.cn", "password": content.DEMO_PASSWORD}
    )
    assert response.status_code == 201
