"""`flask jobs agreement-reminders | expire-agreements | renewal-reminders | agreements`: the
agreement jobs, idempotent (reminder keys are UNIQUE, expiry claims rows with a conditional UPDATE),
so cron may run them on several hosts at once."""

from __future__ import annotations

import click

from marketplace.agreements import operations
from marketplace.extensions import db
from marketplace.projects.cli import _parse_now, jobs_cli

_NOW_HELP = "Run as if it were this moment (ISO 8601; naive means UTC)."


def _signature_reminders(now_text: str | None) -> None:
    sent = operations.send_signature_reminders(_parse_now(now_text))
    db.session.commit()
    click.echo(f"签署提醒：发送 {sent} 条。")


def _expiry(now_text: str | None) -> None:
    result = operations.expire_agreements(_parse_now(now_text))
    db.session.commit()
    click.echo(f"协议到期：{len(result.expired)} 份到期，{len(result.renewed)} 份自动续期。")


def _renewal_reminders(now_text: str | None) -> None:
    sent = operations.send_renewal_reminders(_parse_now(now_text))
    db.session.commit()
    click.echo(f"续约提醒：发送 {sent} 条。")


@jobs_cli.command("agreement-reminders")
@click.option("--now", "now_text", metavar="ISO-8601", help=_NOW_HELP)
def agreement_reminders_command(now_text: str | None) -> None:
    """Remind parties that have not signed a proposed version (after 5 days, then every 2, at most 5)."""
    _signature_reminders(now_text)


@jobs_cli.command("expire-agreements")
@click.option("--now", "now_text", metavar="ISO-8601", help=_NOW_HELP)
def expire_agreements_command(now_text: str | None) -> None:
    """Expire active agreements past their end date (or renew those that renew automatically)."""
    _expiry(now_text)


@jobs_cli.command("renewal-reminders")
@click.option("--now", "now_text", metavar="ISO-8601", help=_NOW_HELP)
def renewal_reminders_command(now_text: str | None) -> None:
    """Remind the parties `renewal_notice_days` before an agreement ends (once per term)."""
    _renewal_reminders(now_text)


@jobs_cli.command("agreements")
@click.option("--now", "now_text", metavar="ISO-8601", help=_NOW_HELP)
def agreements_command(now_text: str | None) -> None:
    """All three agreement jobs, in order: expiry, renewal reminders, signature reminders."""
    _expiry(now_text)
    _renewal_reminders(now_text)
    _signature_reminders(now_text)
