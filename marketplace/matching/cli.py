"""`flask jobs refresh-matches`: recompute the staff matchmaking board (idempotent; one run at a time)."""

from __future__ import annotations

import time

import click

from marketplace.extensions import db
from marketplace.matching import operations
from marketplace.projects.cli import _parse_now, jobs_cli


@jobs_cli.command("refresh-matches")
@click.option(
    "--per-company", default=operations.BOARD_PER_COMPANY, show_default=True, type=click.IntRange(1, 100)
)
@click.option("--now", "now_text", metavar="ISO-8601", help="Score as if it were this moment (UTC).")
def refresh_matches_command(per_company: int, now_text: str | None) -> None:
    """Recompute every verified company's best open projects for the staff matchmaking board."""
    started = time.monotonic()
    if not operations.lock_board():
        click.echo("另一个 refresh-matches 正在运行，本次跳过。")
        return
    written = operations.refresh_board(now=_parse_now(now_text), per_company=per_company)
    db.session.commit()
    click.echo(f"撮合看板已更新：{written} 条推荐，用时 {time.monotonic() - started:.1f} 秒。")
