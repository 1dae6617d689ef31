"""`flask audit verify`: walk the hash chain of audit events and report the first broken link."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from marketplace import audit
from marketplace.extensions import db
from marketplace.timeutil import isoformat_local

audit_cli = AppGroup("audit", help="审计日志：校验哈希链。")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute every event's hash in order; exit 1 at the first event that was edited, deleted or
    reordered (its hash or its link to the previous event no longer holds)."""
    report = audit.verify_report()
    if report.broken_id is None:
        click.echo(f"审计日志完整：共 {report.checked} 条事件，哈希链无断点。")
        return
    event = db.session.get(audit.AuditEvent, report.broken_id)
    when = isoformat_local(event.created_at) if event is not None else "?"
    action = event.action if event is not None else "?"
    click.echo(
        f"审计日志被篡改：第一个断点在事件 #{report.broken_id}（{action}，{when}），"
        f"{report.problem}。此前 {report.checked} 条事件完好。",
        err=True,
    )
    sys.exit(1)
