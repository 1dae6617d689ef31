"""`flask jobs sample-inspections` and `flask jobs overdue-reports`: the quarter's inspection draw
(必查) and the funded projects whose fund-usage report is overdue (see supervision.operations)."""

from __future__ import annotations

import click

from marketplace.cli_errors import exit_refused
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.projects.cli import _parse_now, jobs_cli
from marketplace.supervision import operations
from marketplace.supervision.rules import PER_GRADE, REPORT_DUE_DAYS
from marketplace.timeutil import to_local

_OPTION_FOR_FIELD = {"quarter": "--quarter", "seed": "--seed"}


def _grade_label(grade: str) -> str:
    return f"{grade[1]}A" if len(grade) == 2 else "未评级"


def _print_draw(draw: operations.Draw) -> None:
    click.echo(f"{draw.quarter.code} 检查对象抽取（随机种子 {draw.seed}，每个等级抽 {PER_GRADE} 家）：")
    for grade in sorted(set(draw.pool_sizes) | set(draw.picks), reverse=True):
        picked = draw.picks.get(grade, [])
        pool = draw.pool_sizes.get(grade, len(picked))
        names = "、".join(f"{o.name}（#{o.id}）" for o in picked) or "—"
        click.echo(f"  {_grade_label(grade)}：{names}（该等级共 {pool} 家）")
    if draw.ungraded:
        click.echo(f"未评级或评级已过期的 {draw.ungraded} 家已认证组织不参加抽取。")
    if draw.created:
        click.echo(f"已创建 {draw.created} 项检查任务。")
    elif draw.already_drawn:
        click.echo(f"{draw.quarter.code} 已用同一随机种子抽取过，没有新建检查任务。")
    else:
        click.echo("没有评级有效的已认证组织，没有创建检查任务。")


@jobs_cli.command("sample-inspections")
@click.option("--quarter", "quarter_text", required=True, metavar="YYYYQn", help="季度，例如 2026Q4")
@click.option(
    "--seed",
    type=int,
    default=None,
    help="随机种子（默认由季度得出：2026Q4 → 20264）；同一种子总是抽到同样的组织",
)
@click.option(
    "--now", "now_text", metavar="ISO-8601", help="Judge grade validity as of this moment (default: now)."
)
def sample_inspections_command(quarter_text: str, seed: int | None, now_text: str | None) -> None:
    """Draw 2 verified organizations per current grade (A1..A5) for the quarter's inspections.
    Idempotent: the same quarter and seed again creates nothing; another seed is refused."""
    try:
        draw = operations.sample_inspections(quarter_text, seed=seed, now=_parse_now(now_text))
        db.session.commit()
    except DomainError as error:
        exit_refused(error, _OPTION_FOR_FIELD)
    _print_draw(draw)


@jobs_cli.command("overdue-reports")
@click.option("--organization", "organization_id", type=int, default=None, help="只看该组织（组织 id）")
@click.option("--now", "now_text", metavar="ISO-8601", help="Judge as of this moment (default: now).")
def overdue_reports_command(organization_id: int | None, now_text: str | None) -> None:
    """List funded projects with no fund-usage report 90 days after funding (read-only)."""
    items = operations.overdue_reports(_parse_now(now_text), organization_id)
    if not items:
        click.echo(f"没有逾期未提交资金使用报告的项目（期限：成功筹款后 {REPORT_DUE_DAYS} 天）。")
        return
    for item in items:
        project = item.project
        click.echo(
            f"#{project.id} {project.title}（{project.organization.name}）"
            f" 筹款成功于 {to_local(item.funded_at):%Y-%m-%d}，"
            f"报告应于 {to_local(item.due_at):%Y-%m-%d} 前提交，已逾期 {item.days_overdue} 天"
        )
    click.echo(f"共 {len(items)} 个项目逾期未提交资金使用报告；所属组织的项目暂停推荐，直到提交报告。")
