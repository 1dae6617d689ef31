"""Supervision pages as staff use them: the overview, the visit log and its form, an organization's
history, drawing and completing inspections, the fund check and overdue reports (forms really
POSTed; refusals shown next to the inputs with nothing saved)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.money import format_fen
from marketplace.supervision.models import InspectionTask, SupervisionVisit
from marketplace.timeutil import local_today, utcnow
from tests import factories
from tests.pages import html, login, text
from tests.supervision_support import disburse, funded_project, graded_member, report


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_visits_are_logged_listed_and_filtered(ctx: Flask) -> None:
    staff = factories.staff()
    member = factories.org_member(name="鹿城区走访测试社工中心")
    client = login(ctx, staff.email)
    today = local_today()

    form = client.get(f"/staff/supervision/visits/new?organization={member.organization_id}")
    assert form.status_code == 200
    assert f'<option selected value="{member.organization_id}">' in html(form) or (
        f'value="{member.organization_id}" selected' in html(form)
    )
    refused = client.post(
        "/staff/supervision/visits/new",
        data={"organization_id": "", "visited_on": "2026-13-01", "notes": ""},
    )
    assert refused.status_code == 422
    page = text(refused)
    assert "请选择走访的组织" in page and "日期格式应为 YYYY-MM-DD" in page and "请填写走访情况" in page
    future = client.post(
        "/staff/supervision/visits/new",
        data={
            "organization_id": member.organization_id,
            "visited_on": (today + timedelta(days=1)).isoformat(),
            "notes": "x",
        },
    )
    assert future.status_code == 422 and "走访日期不能晚于今天" in text(future)
    assert count(SupervisionVisit) == 0

    saved = client.post(
        "/staff/supervision/visits/new",
        data={
            "organization_id": member.organization_id,
            "visited_on": today.isoformat(),
            "notes": "了解助餐点运营",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/staff/supervision/organizations/{member.organization_id}")
    history = text(client.get(saved.headers["Location"]))
    assert "了解助餐点运营" in history and "鹿城区走访测试社工中心" in history

    listed = text(client.get(f"/staff/supervision/visits?organization={member.organization_id}"))
    assert "共 1 条走访记录" in listed and "了解助餐点运营" in listed
    earlier = text(client.get(f"/staff/supervision/visits?to={(today - timedelta(days=1)).isoformat()}"))
    assert "没有符合条件的走访记录" in earlier
    inverted = text(client.get(f"/staff/supervision/visits?from={today.isoformat()}&to=2020-01-01"))
    assert "结束日期不能早于开始日期" in inverted


def test_inspections_are_drawn_from_the_page_and_completed(ctx: Flask) -> None:
    staff = factories.staff()
    names = [f"抽查页面测试组织{n}" for n in range(3)]
    for name in names:
        graded_member("A4", name=name)
    graded_member(None)
    client = login(ctx, staff.email)
    assert "还没有抽取检查对象" in text(client.get("/staff/supervision/inspections?quarter=2026Q4"))

    bad = client.post("/staff/supervision/inspections/sample", data={"quarter": "2026Q5", "seed": ""})
    assert bad.status_code == 422 and "季度只能是 Q1 至 Q4：2026Q5" in text(bad)
    bad_seed = client.post("/staff/supervision/inspections/sample", data={"quarter": "2026Q4", "seed": "-3"})
    assert bad_seed.status_code == 422 and "随机种子应为不带符号的整数" in text(bad_seed)
    assert count(InspectionTask) == 0

    drawn = client.post("/staff/supervision/inspections/sample", data={"quarter": "2026Q4", "seed": "5"})
    assert drawn.status_code == 303
    page = text(client.get(drawn.headers["Location"]))
    assert "已抽取 2026Q4 的检查对象：2 家（随机种子 5）" in page
    assert "未评级或评级已过期的 1 家已认证组织不参加抽取" in page
    assert sum(name in page for name in names) == 2
    again = client.post("/staff/supervision/inspections/sample", data={"quarter": "2026Q4", "seed": "5"})
    assert "已用同一随机种子抽取过" in text(client.get(again.headers["Location"]))
    other = client.post("/staff/supervision/inspections/sample", data={"quarter": "2026Q4", "seed": "6"})
    assert other.status_code == 409 and "不能换用种子 6 重新抽取" in text(other)
    assert count(InspectionTask) == 2

    task = db.session.scalars(select(InspectionTask).order_by(InspectionTask.id)).first()
    assert task is not None
    empty = client.post(f"/staff/supervision/inspections/{task.id}/complete", data={})
    assert empty.status_code == 422 and "请填写检查发现" in text(empty)
    done = client.post(
        f"/staff/supervision/inspections/{task.id}/complete",
        data={f"task{task.id}-findings": "财务制度健全", f"task{task.id}-visited_on": ""},
    )
    assert done.status_code == 303
    page = text(client.get(done.headers["Location"]))
    assert "检查已完成，并已记入走访记录" in page and "财务制度健全" in page
    assert "季度抽查" in text(client.get("/staff/supervision/visits"))
    overview = text(client.get("/staff/supervision"))
    assert "本季度待检查" in overview and "逾期未提交报告" in overview
    assert "季度格式不正确" in text(client.get("/staff/supervision/inspections?quarter=bad"))


def test_the_fund_check_and_overdue_pages_show_the_gaps(ctx: Flask) -> None:
    staff = factories.staff()
    owner = factories.org_member(name="资金核查测试社工中心")
    company = factories.company_member()
    gap = funded_project(owner, company, amount=1_000_000, reviewer=staff, title="核查缺口项目")
    disburse(gap, staff, 800_000, "BANK-PAGE-1")
    report(gap, owner, 500_000)
    late = funded_project(
        owner,
        company,
        amount=30_000,
        reviewer=staff,
        title="逾期报告项目",
        funded_at=utcnow() - timedelta(days=95),
    )
    client = login(ctx, staff.email)

    year = late.ended_at.year if late.ended_at else local_today().year
    check = client.get(f"/staff/supervision/fund-check?year={year}")
    assert check.status_code == 200
    page = text(check)
    assert "核查缺口项目" in page and "已拨付资金未全部报告" in page
    for amount in (1_000_000, 800_000, 500_000):
        assert format_fen(amount) in page
    assert 'class="supervision-gap"' in html(check) and "合计" in page
    assert "年份应在 2000 到 2099 之间" in text(client.get("/staff/supervision/fund-check?year=abc"))

    overdue = text(client.get("/staff/supervision/overdue-reports"))
    assert "逾期报告项目" in overdue and "5 天" in overdue and "核查缺口项目" not in overdue
    history = text(client.get(f"/staff/supervision/organizations/{owner.organization_id}"))
    assert "逾期未提交资金使用报告" in history and "已逾期 5 天" in history
    assert client.get("/staff/supervision/organizations/999999").status_code == 404
