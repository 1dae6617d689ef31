"""`flask jobs close-tenders`: move every open tender whose submission deadline has passed into
evaluation (drafts and bids left invalid lapse). Idempotent: each tender is row-locked and re-read,
so cron may run it on several hosts at once."""

from __future__ import annotations

import click

from marketplace.extensions import db
from marketplace.projects.cli import _parse_now, jobs_cli
from marketplace.tenders import operations


@jobs_cli.command("close-tenders")
@click.option(
    "--now", "now_text", metavar="ISO-8601", help="Run as if it were this moment (ISO 8601; naive means UTC)."
)
def close_tenders_command(now_text: str | None) -> None:
    """Close submissions of tenders past their deadline (they move to evaluation)."""
    closed = operations.close_due_tenders(_parse_now(now_text))
    db.session.commit()
    click.echo(f"采购项目截止：{closed} 个进入评审。")
