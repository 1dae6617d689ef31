"""Helpers the supervision tests share: graded organizations and projects taken through the real
operations to funded, paid out and reported."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.pledges import operations as pledges
from marketplace.projects import operations as projects
from marketplace.projects.models import Project
from marketplace.projects.updates import ReportInput, ReportItemInput, submit_report
from marketplace.timeutil import local_today
from tests import factories


def graded_member(grade: str | None, *, name: str | None = None, expired: bool = False) -> User:
    """A member of a verified organization holding ``grade`` (valid 5 years, or expired yesterday)."""
    user = factories.org_member(name=name)
    organization = db.session.get(Organization, user.organization_id)
    assert organization is not None
    if grade:
        organization.grade = grade
        organization.grade_valid_until = local_today() + (
            timedelta(days=-1) if expired else timedelta(days=5 * 365)
        )
    db.session.commit()
    return user


def funded_project(
    owner: User,
    sponsor: User,
    *,
    amount: int = 10_000,
    funded_at: datetime | None = None,
    reviewer: User | None = None,
    title: str = "社区长者助餐点",
) -> Project:
    """A project whose goal (``amount`` fen) was paid in full and which the system marked funded;
    ``funded_at`` backdates the moment it was funded (``ended_at``)."""
    project = factories.project(
        owner, status="published", reviewer=reviewer, goal_yuan=str(amount // 100), title=title
    )
    factories.pledge(project, sponsor, amount)
    projects.transition_project(project, "fund", None)
    if funded_at is not None:
        project.ended_at = funded_at
    db.session.commit()
    return project


def disburse(project: Project, staff: User, amount: int, reference: str) -> None:
    pledges.record_disbursement(project, staff, amount=amount, bank_reference=reference)
    db.session.commit()


def report(project: Project, author: User, *amounts: int) -> None:
    """A fund-usage report with one item per amount (fen)."""
    items = tuple(
        ReportItemInput(description=f"支出 {n}", amount=amount) for n, amount in enumerate(amounts, 1)
    )
    submit_report(
        project,
        author,
        ReportInput(title="善款使用情况", items=items),
        Path(current_app.config["UPLOAD_DIR"]),
    )
    db.session.commit()
