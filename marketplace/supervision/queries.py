"""SQL conditions shared by supervision and the matching catalog: which funded projects owe an overdue
fund-usage report.

"Funded" means the moment a project's fundraising ended with money raised: the FUND (goal reached)
or CLOSE (keep-it-all deadline) transition, recorded on ``Project.ended_at`` by
``projects.operations.transition_project`` (the same moment the matching catalog's report record
counts from). Failed projects returned their money and owe no report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, select

from marketplace.projects.models import FundUsageReport, Project
from marketplace.projects.states import ProjectStatus
from marketplace.supervision.rules import REPORT_DUE_DAYS

FUNDED_STATUSES = (ProjectStatus.FUNDED.value, ProjectStatus.CLOSED.value)

__all__ = ["FUNDED_STATUSES", "REPORT_DUE_DAYS", "funded_condition", "overdue_condition"]


def funded_condition() -> ColumnElement[bool]:
    """Projects that were funded: money raised and fundraising ended as funded or closed."""
    return and_(
        Project.status.in_(FUNDED_STATUSES),
        Project.raised_amount > 0,
        Project.ended_at.is_not(None),
    )


def has_report() -> ColumnElement[bool]:
    return select(FundUsageReport.id).where(FundUsageReport.project_id == Project.id).exists()


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Funded projects with no fund-usage report ``REPORT_DUE_DAYS`` or more after funding."""
    cutoff = now - timedelta(days=REPORT_DUE_DAYS)  # ended_at + 90 days <= now
    return and_(funded_condition(), Project.ended_at <= cutoff, ~has_report())


def organizations_with_overdue_reports(now: datetime) -> Select[tuple[int]]:
    """Ids of organizations with at least one overdue report (a subquery for ``NOT IN``)."""
    return select(Project.organization_id).where(overdue_condition(now)).distinct()
