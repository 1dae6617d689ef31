"""Steps the browser journeys share."""

from __future__ import annotations

import re

from tests import factories


def log_in(page, email: str, password: str = factories.PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/dashboard"))


# `make screenshots` sets this to docs/screenshots so the README shows the pages as they are; an
# ordinary test run writes the same pictures under the test's own temporary directory.
SCREENSHOTS_ENV = "MARKETPLACE_SCREENSHOTS_DIR"


def save_screenshot(page, name: str, fallback_dir) -> None:  # type: ignore[no-untyped-def]
    """A full-page PNG of what the person sees now, as `<name>.png` (a key page of a journey)."""
    import os
    from pathlib import Path

    target = Path(os.environ.get(SCREENSHOTS_ENV) or fallback_dir)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


# ── Steps the staff journey shares with the matchmaking, agreement and tender journeys ──


def introduce(staff, company_id: int, project_title: str, note: str) -> None:  # type: ignore[no-untyped-def]
    """On the matchmaking board, staff pick the company and introduce it to a project, with a note."""
    staff.locator(".nav-primary").get_by_role("link", name="撮合看板").click()
    staff.select_option("#board-company", str(company_id))
    staff.get_by_role("button", name="查看").click()
    staff.wait_for_url(re.compile(rf"company={company_id}"))
    row = staff.locator("tr", has_text=project_title)
    row.locator("textarea").fill(note)
    row.get_by_role("button", name="牵线介绍").click()
    staff.wait_for_load_state()


def draft_and_propose_agreement(  # type: ignore[no-untyped-def]
    staff, introduction_path: str, *, scope: str, tranches: list[tuple[str, str]], kpis: str
) -> str:
    """From an introduction, staff create the agreement, draft version 1 (the committed amount is the
    tranches' sum) and propose it for signature. Returns the agreement's path."""
    staff.goto(introduction_path)
    staff.get_by_role("link", name="起草合作协议").click()
    staff.wait_for_url(re.compile(r"/agreements/new\?introduction="))
    staff.get_by_role("button", name="创建协议并起草条款").click()
    staff.wait_for_url(re.compile(r"/agreements/\d+/versions/new$"))
    agreement_path = re.search(r"/agreements/\d+", staff.url).group(0)
    staff.fill("#scope", scope)
    staff.fill("#obligations_company", "按拨付计划出资，并每季度组织员工志愿服务")
    staff.fill("#obligations_organization", "执行项目，每季度公示资金使用情况")
    staff.fill("#committed_amount", str(sum(int(amount) for _, amount in tranches)))
    for number, (due_on, amount) in enumerate(tranches):
        staff.fill(f"#tranches-{number}-due_on", due_on)
        staff.fill(f"#tranches-{number}-amount", amount)
    staff.fill("#kpis", kpis)
    staff.get_by_role("button", name="保存草稿").click()
    staff.wait_for_url(re.compile(rf"{agreement_path}#versions$"))
    staff.get_by_role("button", name="提交第 1 版签署").click()
    staff.wait_for_load_state()
    return agreement_path


def sign_agreement(page, agreement_path: str, version_no: int = 1) -> str:  # type: ignore[no-untyped-def]
    """A party's signer opens the version awaiting signature, ticks the box and signs. Returns the
    content hash the summary showed."""
    page.goto(agreement_path)
    page.get_by_role("link", name=f"核对并签署第 {version_no} 版").click()
    page.wait_for_url(re.compile(r"/versions/\d+/sign$"))
    content_hash = page.locator("#content-hash").inner_text()
    page.check("#agree")
    page.get_by_role("button", name="确认签署").click()
    page.wait_for_url(re.compile(rf"{agreement_path}$"))
    return content_hash


def evaluate_and_award(desk, tender_id: int, score: str) -> None:  # type: ignore[no-untyped-def]
    """After the deadline, staff record the only bid as valid with its score and award it."""
    desk.goto(f"/staff/tenders/{tender_id}/evaluation")
    desk.get_by_label("有效", exact=True).check()
    desk.fill("[id$='-score']", score)
    desk.get_by_role("button", name=re.compile("记录评审结果")).click()
    desk.wait_for_load_state()
    desk.get_by_role("button", name=re.compile("确定成交")).click()
    desk.wait_for_load_state()
