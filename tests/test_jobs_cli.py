"""`flask jobs close-due`: closes due projects once, and is safe to run again.

The money side (refunds of failed projects, concurrent runs) is in tests/test_close_due.py.
"""

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
    result = runner.invoke(args=["jobs", "close-due"])
    assert result.exit_code == 0, result.output
    assert "没有到期待结束的项目" in result.output


def test_close_due_closes_due_projects_once(app: Flask, runner: Any) -> None:
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

    result = runner.invoke(args=["jobs", "close-due"])
    assert result.exit_code == 0, result.output
    assert "结束 3 个项目（已成功 1，未达成 1，已结束 1）" in result.output
    assert "达标项目 → 已成功（已筹 ¥100 / 目标 ¥100）" in result.output
    assert statuses(app) == {
        "达标项目": "funded",
        "未达标项目": "failed",
        "灵活项目": "closed",
        "进行中项目": "published",
    }

    again = runner.invoke(args=["jobs", "close-due"])
    assert again.exit_code == 0, again.output
    assert "没有到期待结束的项目" in again.output
    assert statuses(app)["达标项目"] == "funded"


def test_the_old_name_still_runs_the_job(app: Flask, runner: Any) -> None:
    with app.app_context():
        owner = factories.org_member()
        project = factories.project(owner, status="published", funding_model="keep_it_all", title="旧名字")
        make_due(project)
    result = runner.invoke(args=["jobs", "settle-projects"])
    assert result.exit_code == 0, result.output
    assert statuses(app)["旧名字"] == "closed"


def test_a_malformed_now_is_refused_and_changes_nothing(app: Flask, runner: Any) -> None:
    with app.app_context():
        owner = factories.org_member()
        factories.project(owner, status="published", title="进行中项目")
    result = runner.invoke(args=["jobs", "close-due", "--now", "下周一"])
    assert result.exit_code == 2
    assert "不是 ISO 8601 时间" in result.output
    assert statuses(app) == {"进行中项目": "published"}


def test_the_jobs_group_lists_the_command_but_not_the_old_name(runner: Any) -> None:
    result = runner.invoke(args=["jobs", "--help"])
    assert result.exit_code == 0 and "close-due" in result.output
    assert "settle-projects" not in result.output
