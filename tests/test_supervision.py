"""Supervision on the database (SQLite and PostgreSQL): visits, the quarterly inspection draw through
the CLI (reproducible, idempotent, bad input refused with nothing saved), completing an inspection,
the year-end fund check on real pledged / disbursed / reported projects, and overdue reports."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.audit import AuditEvent
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.supervision import operations as ops
from marketplace.supervision.models import InspectionTask, SupervisionVisit
from marketplace.supervision.rules import FundFlag
from marketplace.timeutil import local_today, utcnow
from tests import factories
from tests.supervision_support import disburse, funded_project, graded_member, report


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def organization(user: Any) -> Organization:
    found = db.session.get(Organization, user.organization_id)
    assert found is not None
    return found


@pytest.fixture
def graded(ctx: Flask) -> dict[str, list[int]]:
    """Three 5A organizations, one 3A, two 1A; an expired 2A, an ungraded one and an unverified 4A."""
    made: dict[str, list[int]] = {}
    for grade, n in (("A5", 3), ("A3", 1), ("A1", 2)):
        made[grade] = [graded_member(grade).organization_id for _ in range(n)]
    graded_member("A2", expired=True)
    graded_member(None)
    unverified = factories.org_member(verified=False)
    org = organization(unverified)
    org.grade, org.grade_valid_until = "A4", local_today() + timedelta(days=365)
    db.session.commit()
    return made


def drawn(quarter: str) -> dict[int, tuple[str | None, int]]:
    db.session.expire_all()
    return {
        task.organization_id: (task.grade, task.seed)
        for task in db.session.scalars(select(InspectionTask).where(InspectionTask.quarter == quarter))
    }


# ─────────────────────────────── the draw, through the CLI ───────────────────────────────


def test_the_cli_draws_two_per_current_grade_reproducibly_and_only_once(
    graded: dict[str, list[int]], runner: Any
) -> None:
    first = runner.invoke(args=["jobs", "sample-inspections", "--quarter", "2026Q4", "--seed", "7"])
    assert first.exit_code == 0, first.output
    tasks = drawn("2026Q4")
    assert len(tasks) == 5  # 2 of three 5A, the one 3A, both 1A
    by_grade: dict[str | None, set[int]] = {}
    for org_id, (grade, seed) in tasks.items():
        assert seed == 7
        by_grade.setdefault(grade, set()).add(org_id)
    assert by_grade["A5"] <= set(graded["A5"]) and len(by_grade["A5"]) == 2
    assert by_grade["A3"] == set(graded["A3"]) and by_grade["A1"] == set(graded["A1"])
    assert "2026Q4 检查对象抽取（随机种子 7，每个等级抽 2 家）" in first.output
    assert "5A：" in first.output and "（该等级共 3 家）" in first.output
    assert "2A：—（该等级共 0 家）" in first.output  # the expired 2A is not drawn
    assert "未评级或评级已过期的 2 家已认证组织不参加抽取。" in first.output
    assert "已创建 5 项检查任务。" in first.output

    again = runner.invoke(args=["jobs", "sample-inspections", "--quarter", "2026q4", "--seed", "7"])
    assert again.exit_code == 0, again.output
    assert "2026Q4 已用同一随机种子抽取过，没有新建检查任务。" in again.output
    assert drawn("2026Q4") == tasks
    # The same seed on another quarter draws the same organizations: the draw depends on the seed
    # and the organizations only, so anyone can repeat it.
    other = runner.invoke(args=["jobs", "sample-inspections", "--quarter", "2027Q1", "--seed", "7"])
    assert other.exit_code == 0, other.output
    assert drawn("2027Q1") == tasks
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "supervision.inspections_sampled")
    ).all()
    assert [event.payload["quarter"] for event in events] == ["2026Q4", "2027Q1"]
    assert events[0].acting_for == "system"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2026Q5"], "错误 --quarter：季度只能是 Q1 至 Q4：2026Q5"),
        (["--quarter", "2026-4"], "错误 --quarter：季度格式不正确：2026-4"),
        (["--quarter", "2026Q4", "--seed", "-1"], "错误 --seed：随机种子应为 0 到 2147483647 之间的整数"),
    ],
)
def test_bad_input_exits_non_zero_with_the_reason_and_creates_nothing(
    graded: dict[str, list[int]], runner: Any, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["jobs", "sample-inspections", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert count(InspectionTask) == 0
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("supervision%")))
        == 0
    )


def test_another_seed_for_a_drawn_quarter_is_refused(graded: dict[str, list[int]], runner: Any) -> None:
    assert runner.invoke(args=["jobs", "sample-inspections", "--quarter", "2026Q4"]).exit_code == 0
    before = drawn("2026Q4")
    assert {seed for _grade, seed in before.values()} == {20264}  # the default seed of 2026Q4
    refused = runner.invoke(args=["jobs", "sample-inspections", "--quarter", "2026Q4", "--seed", "8"])
    assert refused.exit_code == 1
    assert "2026Q4 已用随机种子 20264 抽取过检查对象，不能换用种子 8 重新抽取" in refused.output
    assert drawn("2026Q4") == before


def test_without_graded_organizations_nothing_is_drawn(ctx: Flask, runner: Any) -> None:
    graded_member(None)
    result = runner.invoke(args=["jobs", "sample-inspections", "--quarter", "2026Q4"])
    assert result.exit_code == 0
    assert "没有评级有效的已认证组织，没有创建检查任务。" in result.output
    assert "未评级或评级已过期的 1 家已认证组织不参加抽取。" in result.output
    assert count(InspectionTask) == 0


# ─────────────────────────────── inspections and visits ───────────────────────────────


def test_completing_an_inspection_logs_a_linked_visit_once(graded: dict[str, list[int]]) -> None:
    staff = factories.staff()
    draw = ops.sample_inspections("2026Q4", seed=3, actor=staff)
    db.session.commit()
    assert draw.created == 5
    task = ops.quarter_tasks("2026Q4")[0]
    with pytest.raises(DomainError) as empty:
        ops.complete_inspection(staff, task, "   ")
    assert empty.value.fields == {"findings": "请填写检查发现"}
    db.session.rollback()
    visit = ops.complete_inspection(staff, task, "台账齐全，活动记录完整。", visited_on=date(2026, 11, 20))
    db.session.commit()
    assert (task.status, task.findings, task.completed_by_id) == (
        "done",
        "台账齐全，活动记录完整。",
        staff.id,
    )
    assert (visit.inspection_id, visit.organization_id, visit.visited_on) == (
        task.id,
        task.organization_id,
        date(2026, 11, 20),
    )
    with pytest.raises(Conflict):
        ops.complete_inspection(staff, task, "再交一次")
    db.session.rollback()
    assert count(SupervisionVisit) == 1
    org_user = factories.org_member()
    with pytest.raises(Forbidden):
        ops.complete_inspection(org_user, ops.quarter_tasks("2026Q4")[1], "组织自查")


def test_visits_are_checked_logged_and_filtered(ctx: Flask) -> None:
    staff = factories.staff()
    first, second = organization(factories.org_member()), organization(factories.org_member())
    first.founded_year = 2015
    db.session.commit()
    today = local_today()
    for day, notes, reason in [
        (today + timedelta(days=1), "走访", {"visited_on": "走访日期不能晚于今天"}),
        (date(2014, 12, 31), "走访", {"visited_on": "走访日期不能早于该组织成立的年份（2015 年）"}),
        (None, "", {"visited_on": "请填写走访日期", "notes": "请填写走访情况"}),
        (today, "长" * 2001, {"notes": "走访情况不能超过 2000 个字"}),
    ]:
        with pytest.raises(DomainError) as refused:
            ops.log_visit(staff, first, day, notes)
        assert refused.value.fields == reason
        db.session.rollback()
    with pytest.raises(DomainError) as missing:
        ops.log_visit(staff, None, today, "走访")
    assert missing.value.fields == {"organization_id": "请选择走访的组织"}
    with pytest.raises(Forbidden):
        ops.log_visit(factories.org_member(), first, today, "自己走访自己")
    db.session.rollback()
    assert count(SupervisionVisit) == 0

    ops.log_visit(staff, first, date(2015, 1, 1), "  成立当年的走访  ")
    ops.log_visit(staff, first, today, "本季度走访")
    ops.log_visit(staff, second, today - timedelta(days=10), "另一家")
    db.session.commit()
    assert [v.notes for v in ops.visits(organization_id=first.id)] == ["本季度走访", "成立当年的走访"]
    assert [v.notes for v in ops.visits(date_from=today - timedelta(days=10), date_to=today)] == [
        "本季度走访",
        "另一家",
    ]
    assert [v.notes for v in ops.visits(date_to=date(2015, 12, 31))] == ["成立当年的走访"]
    with pytest.raises(DomainError) as inverted:
        ops.visits(date_from=today, date_to=today - timedelta(days=1))
    assert inverted.value.fields == {"date_to": "结束日期不能早于开始日期"}
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == first.id)).all()
    assert actions.count("supervision.visit_logged") == 2


# ─────────────────────────────── the fund check ───────────────────────────────


def test_the_fund_check_adds_up_real_pledges_disbursements_and_reports(ctx: Flask) -> None:
    staff = factories.staff()
    owner, company = factories.org_member(), factories.company_member()
    this_year = local_today().year
    gap = funded_project(owner, company, amount=1_000_000, reviewer=staff, title="缺口项目")
    disburse(gap, staff, 800_000, "BANK-SUP-1")
    report(gap, owner, 300_000, 200_000)
    silent = funded_project(owner, company, amount=50_000, reviewer=staff, title="未报告项目")
    exact = funded_project(owner, company, amount=20_000, reviewer=staff, title="账目相符")
    disburse(exact, staff, 20_000, "BANK-SUP-2")
    report(exact, owner, 20_000)
    last_year = funded_project(
        owner, company, amount=30_000, reviewer=staff, title="去年的项目",
        funded_at=datetime(this_year - 1, 6, 1, 4, 0),
    )  # fmt: skip
    factories.project(owner, status="published", reviewer=staff, title="还在筹款")

    check = ops.fund_check(this_year)
    rows = {row.project_id: row for row in check.rows}
    assert set(rows) == {gap.id, silent.id, exact.id}
    assert (rows[gap.id].raised, rows[gap.id].disbursed, rows[gap.id].reported) == (
        1_000_000,
        800_000,
        500_000,
    )
    assert rows[gap.id].reports == 1
    assert rows[gap.id].flags == (FundFlag.UNREPORTED_GAP,)
    assert (rows[silent.id].disbursed, rows[silent.id].reported, rows[silent.id].flags) == (
        0,
        0,
        (FundFlag.NO_REPORT,),
    )
    assert rows[exact.id].flags == ()
    assert (check.raised, check.disbursed, check.reported, check.flagged) == (1_070_000, 820_000, 520_000, 2)
    assert [row.project_id for row in ops.fund_check(this_year - 1).rows] == [last_year.id]
    with pytest.raises(DomainError) as refused:
        ops.fund_check(1999)
    assert refused.value.fields == {"year": "年份应在 2000 到 2099 之间"}


# ─────────────────────────────── overdue reports ───────────────────────────────


def test_a_report_is_overdue_at_ninety_days_not_eighty_nine(ctx: Flask, runner: Any) -> None:
    staff = factories.staff()
    owner, company = factories.org_member(), factories.company_member()
    funded_at = utcnow().replace(microsecond=0) - timedelta(days=200)
    project = funded_project(owner, company, reviewer=staff, funded_at=funded_at)
    reported = funded_project(owner, company, reviewer=staff, funded_at=funded_at, title="按时报告")
    report(reported, owner, 5_000)

    assert ops.overdue_reports(funded_at + timedelta(days=89, hours=23)) == []
    due = ops.overdue_reports(funded_at + timedelta(days=90))
    assert [(item.project.id, item.days_overdue) for item in due] == [(project.id, 0)]
    assert due[0].due_at == funded_at + timedelta(days=90)
    assert [item.project.id for item in ops.overdue_reports(organization_id=owner.organization_id)] == [
        project.id
    ]
    assert ops.overdue_reports(organization_id=factories.org_member().organization_id) == []

    listed = runner.invoke(args=["jobs", "overdue-reports"])
    assert listed.exit_code == 0
    assert f"#{project.id} 社区长者助餐点" in listed.output and "已逾期 110 天" in listed.output
    assert "共 1 个项目逾期未提交资金使用报告" in listed.output

    report(project, owner, 1_000)  # a late report still clears the flag
    assert ops.overdue_reports() == []
    assert "没有逾期未提交资金使用报告的项目" in runner.invoke(args=["jobs", "overdue-reports"]).output


def test_the_overview_counts(graded: dict[str, list[int]]) -> None:
    staff = factories.staff()
    today = local_today()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    ops.sample_inspections(quarter, actor=staff)
    ops.complete_inspection(staff, ops.quarter_tasks(quarter)[0], "已检查")
    db.session.commit()
    owner, company = factories.org_member(), factories.company_member()
    funded_project(owner, company, reviewer=staff, funded_at=utcnow() - timedelta(days=100))
    overview = ops.overview()
    assert (overview.open_inspections, overview.done_inspections, overview.visits_this_quarter) == (4, 1, 1)
    assert overview.overdue_reports == 1
    assert overview.quarter.code == quarter


def test_the_demo_loads_visits_and_a_drawn_quarter_once(graded: dict[str, list[int]]) -> None:
    from marketplace.demo.loader import LoadReport
    from marketplace.demo.supervision import DEMO_QUARTER, load_supervision

    staff = factories.staff()
    organizations = {
        f"org{n}": db.session.get(Organization, oid)
        for n, oid in enumerate(oid for ids in graded.values() for oid in ids)
    }
    report = LoadReport()
    load_supervision(organizations, staff, report)  # type: ignore[arg-type]
    db.session.commit()
    tasks = ops.quarter_tasks(DEMO_QUARTER)
    assert len(tasks) == 5 and [t.status for t in tasks].count("done") == 1
    assert count(SupervisionVisit) == 6  # five visits and the completed inspection
    assert report.created == {"supervision_visits": 1, "inspection_tasks": 1}
    load_supervision(organizations, staff, LoadReport())  # type: ignore[arg-type]
    db.session.commit()
    assert count(SupervisionVisit) == 6 and count(InspectionTask) == 5
