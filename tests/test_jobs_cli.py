"""`flask jobs settle-projects`: closes due projects once, and is safe to run again."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.projects.models import Project
from tests import factories
from tests.test_projects_operations import make_due, pay


def statuses(app: Flask) -> dict[str, str]:
    with app.app_context():
        return {project.title: project.status for project in db.session.scalars(select(Project))}


def test_nothing_due_says_so(runner: Any, world: factories.World) -> None:
    result = runner.invoke(args=["jobs", "settle-projects"])
    assert result.exit_code == 0, result.output
    assert "没有到期待结算的项目" in result.output


def test_settle_projects_closes_due_projects_once(app: Flask, runner: Any) -> None:
    with app.app_context():
        owner = factories.org_member()
        reviewer = factories.staff()
        met = factories.project(
            owner, status="published", reviewer=reviewer, goal_yuan="100", title="达标项目"
        )
        missed = factories.project(
            owner, status="published", reviewer=reviewer, goal_yuan="100", title="未达标项目"
        )
        kept = factories.project(
            owner, status="published", reviewer=reviewer, funding_model="keep_it_all", title="灵活项目"
        )
        factories.project(owner, status="published", reviewer=reviewer, title="进行中项目")
        pay(met, factories.company_member(), 10_000, db.session.get(User, reviewer.id))
        for project in (met, missed, kept):
            make_due(project)

    result = runner.invoke(args=["jobs", "settle-projects"])
    assert result.exit_code == 0, result.output
    assert "已结算 3 个项目" in result.output
    assert "达标项目 → 已成功" in result.output
    assert statuses(app) == {
        "达标项目": "funded",
        "未达标项目": "failed",
        "灵活项目": "closed",
        "进行中项目": "published",
    }

    again = runner.invoke(args=["jobs", "settle-projects"])
    assert again.exit_code == 0, again.output
    assert "没有到期待结算的项目" in again.output
    assert statuses(app)["达标项目"] == "funded"


def test_the_jobs_group_lists_the_command(runner: Any) -> None:
    result = runner.invoke(args=["jobs", "--help"])
    assert result.exit_code == 0 and "settle-projects" in result.output
