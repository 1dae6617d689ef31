"""Demo supervision records: a few staff visits, the 2026Q4 inspection draw (fixed seed) and one
completed inspection — made through the real operations, once (any visit means loaded)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.supervision import operations
from marketplace.supervision.models import SupervisionVisit
from marketplace.timeutil import local_today, utcnow

if TYPE_CHECKING:
    from marketplace.demo.loader import LoadReport

DEMO_QUARTER = "2026Q4"
DEMO_SEED = 20264  # the default seed of 2026Q4, so `flask jobs sample-inspections --quarter 2026Q4` agrees

VISITS = (
    (6, "走访项目执行点，志愿者排班表和服务台账齐全；建议补充服务对象回访记录。"),
    (18, "了解年度计划与经费使用，财务由专人记账，票据按月归档。"),
    (33, "参加组织理事会，讨论下半年项目申报；提醒按时提交资金使用报告。"),
    (52, "走访社区服务站，场地已按消防要求整改，安全台账需补签字。"),
    (75, "新任负责人到岗，介绍平台认捐、拨付和资金使用报告流程。"),
)
FINDINGS = "抽查项目档案 3 份、票据 27 张，账实相符；服务记录完整，建议加强志愿者保险登记。"


def load_supervision(
    organizations: Mapping[str, Organization],
    reviewer: User,
    report: LoadReport,
    now: datetime | None = None,
) -> None:
    """Visits to the first organizations (in key order), the 2026Q4 draw with seed 20264 and the first
    drawn inspection completed. Expects verified organizations, some with current grades, and a
    staff member (``reviewer``). Loaded once: any visit in the database means it was loaded."""
    loaded = db.session.scalar(select(SupervisionVisit.id).limit(1)) is not None
    report.count("supervision_visits", created=not loaded)
    if loaded:
        return
    now = now or utcnow()
    today = local_today(now)
    chosen = [organizations[key] for key in sorted(organizations)][: len(VISITS)]
    for organization, (days_ago, notes) in zip(chosen, VISITS, strict=False):
        operations.log_visit(reviewer, organization, today - timedelta(days=days_ago), notes, now=now)
    draw = operations.sample_inspections(DEMO_QUARTER, seed=DEMO_SEED, now=now, actor=reviewer)
    report.count("inspection_tasks", created=draw.created > 0)
    tasks = operations.quarter_tasks(DEMO_QUARTER)
    if tasks and tasks[0].status == "open":
        operations.complete_inspection(reviewer, tasks[0], FINDINGS, visited_on=today, now=now)
    db.session.flush()
