"""`flask jobs …`: background work as idempotent commands, safe to run from cron on several hosts."""

from __future__ import annotations

from collections import Counter

import click
from flask.cli import AppGroup

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.projects.operations import settle_due_projects
from marketplace.projects.states import STATUS_LABELS, ProjectStatus

jobs_cli = AppGroup("jobs", help="Background jobs (idempotent; safe to run from cron).")


@jobs_cli.command("settle-projects")
def settle_projects_command() -> None:
    """Close published projects whose deadline has passed: funded, failed or closed."""
    try:
        settled = settle_due_projects()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if not settled:
        click.echo("没有到期待结算的项目。")
        return
    for project in settled:
        click.echo(f"#{project.id} {project.title} → {STATUS_LABELS[ProjectStatus(project.status)]}")
    counts = Counter(project.status for project in settled)
    summary = "，".join(
        f"{STATUS_LABELS[status]} {counts[status]}"
        for status in (ProjectStatus.FUNDED, ProjectStatus.FAILED, ProjectStatus.CLOSED)
        if counts[status]
    )
    click.echo(f"已结算 {len(settled)} 个项目：{summary}。")
