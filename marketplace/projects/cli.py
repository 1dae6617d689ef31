"""`flask jobs …`: background work as idempotent commands, safe to run from cron on several hosts."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from marketplace.money import format_fen
from marketplace.payments.service import get_gateway
from marketplace.projects.operations import CloseReport, close_due_projects
from marketplace.projects.states import STATUS_LABELS, ProjectStatus

jobs_cli = AppGroup("jobs", help="Background jobs (idempotent; safe to run from cron).")


def _parse_now(value: str | None) -> datetime | None:
    """ISO 8601; an offset is converted to UTC, a naive time is taken as UTC (like the database)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"不是 ISO 8601 时间：{value}（例如 2026-12-31T16:00:00+08:00）") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _print_report(report: CloseReport) -> None:
    for item in report.closed:
        click.echo(
            f"#{item.id} {item.title} → {STATUS_LABELS[ProjectStatus(item.status)]}"
            f"（已筹 {format_fen(item.raised_amount)} / 目标 {format_fen(item.goal_amount)}）"
        )
    for item in report.refunded:
        click.echo(f"认捐 #{item.pledge_id}（项目 #{item.project_id}）已原路退款 {format_fen(item.amount)}")
    for item in report.refund_due:
        click.echo(f"认捐 #{item.pledge_id}（项目 #{item.project_id}）待转账退回 {format_fen(item.amount)}")
    for item in report.flagged:
        click.echo(f"认捐 #{item.pledge_id}（项目 #{item.project_id}）需人工处理：{item.reason}")
    for line in report.errors:
        click.echo(f"数据库错误，下次运行时重试：{line}", err=True)
    if not report.changed_anything:
        click.echo("没有到期待结束的项目，也没有待退的款项。")
        return
    outcomes = "，".join(
        f"{STATUS_LABELS[status]} {report.count(status)}"
        for status in (ProjectStatus.FUNDED, ProjectStatus.FAILED, ProjectStatus.CLOSED)
        if report.count(status)
    )
    parts = [f"结束 {len(report.closed)} 个项目" + (f"（{outcomes}）" if outcomes else "")]
    if report.refunded:
        total = sum(item.amount for item in report.refunded)
        parts.append(f"原路退款 {len(report.refunded)} 笔共 {format_fen(total)}")
    if report.refund_due:
        total = sum(item.amount for item in report.refund_due)
        parts.append(f"待工作人员转账退回 {len(report.refund_due)} 笔共 {format_fen(total)}")
    if report.flagged:
        parts.append(f"{len(report.flagged)} 笔退款失败，已标记待人工处理")
    click.echo("；".join(parts) + "。")


@jobs_cli.command("close-due")
@click.option(
    "--now",
    "now_text",
    metavar="ISO-8601",
    help="Act as if it were this moment (UTC unless an offset is given), e.g. 2026-12-31T16:00:00Z.",
)
def close_due_command(now_text: str | None) -> None:
    """Close published projects whose deadline has passed (funded, failed or closed) and return the
    money of failed all-or-nothing projects: card payments through Stripe, bank transfers and goods
    marked refund-due for staff."""
    report = close_due_projects(_parse_now(now_text), get_gateway())
    _print_report(report)
    if report.errors:
        raise SystemExit(1)


@jobs_cli.command("settle-projects", hidden=True)
@click.pass_context
def settle_projects_command(context: click.Context) -> None:
    """Old name of `close-due`, kept for existing cron entries."""
    context.invoke(close_due_command, now_text=None)
