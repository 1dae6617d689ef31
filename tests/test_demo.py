"""`flask demo` loads a realistic data set once, through the real operations."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.demo import content
from marketplace.extensions import db
from marketplace.parties.models import Company, Organization
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import MatchingPool, Pledge
from marketplace.projects.models import FundUsageReport, Project, ProjectUpdate
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
        assert pledges.ledger_mismatches() == []
        # The money paths all appear: matched, pending, refund-due pledges, disbursements, a pool.
        statuses = set(db.session.scalars(select(Pledge.status)).all())
        assert {"paid", "pending", "refund_due"} <= statuses
        assert db.session.scalar(select(func.sum(Project.matched_amount))) > 0
        assert db.session.scalar(select(func.sum(Project.disbursed_amount))) > 0
        assert db.session.scalar(select(func.count()).select_from(MatchingPool)) == len(
            content.MATCHING_POOLS
        )
        qualified = db.session.scalar(select(Organization).where(Organization.public_fundraising_qualified))
        assert qualified is not None
        own = db.session.scalars(
            select(Pledge.payee_kind).join(Project).where(Project.organization_id == qualified.id)
        ).all()
        assert own and set(own) == {"organization"}
        assert db.session.scalar(select(func.count()).select_from(ProjectUpdate)) == len(
            content.PROJECT_UPDATES
        )
        report = db.session.scalars(select(FundUsageReport)).one()
        assert report.total == 2_850_000 and report.project.disbursed_amount >= report.total


def test_demo_logins_work(app, runner, client):
    runner.invoke(args=["demo"])
    response = client.post(
        "/api/v1/tokens", json={"email": "org@demo.qingqinchou.cn", "password": content.DEMO_PASSWORD}
    )
    assert response.status_code == 201
