"""The organization's whole journey in a real browser: it signs up with its 统一社会信用代码, staff
verify it, it drafts and submits a project that staff publish from the review queue, it posts a
progress update with a photo, and once the project is funded it publishes a fund-usage report with a
receipt that every visitor can read. Each key page is saved as ``org-NN-<what>.png`` (``make
screenshots`` puts them in docs/screenshots/ for the README)."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.projects.operations import close_due_projects
from marketplace.search.engine import warm_up
from marketplace.timeutil import local_today, utcnow
from tests import factories
from tests.browser.helpers import log_in, save_screenshot

pytestmark = pytest.mark.browser

# The machine that runs the suite may be busy (two cores, tests in parallel): a page gets this long.
PAGE_TIMEOUT_MS = 30_000

ORG_NAME = "瓯海区春芽青少年发展中心"
ORG_EMAIL = "chunya@example.cn"
ORG_PASSWORD = "Chunya-Sprout-2026"
PROJECT_TITLE = "春芽夜读：外来务工子女晚间课业陪伴"
UPDATE_TITLE = "第一期夜读课堂开课了"
REPORT_TITLE = "2026 年 12 月课堂物资采购"


def photo(path: Path, colour: str) -> Path:
    """A small PNG the organization picks from its disk (a drawn 'photo' of the classroom)."""
    image = Image.new("RGB", (320, 180), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 100, 280, 160), fill="#f4d35e")
    draw.ellipse((120, 20, 200, 100), fill="#ee964b")
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def photo_shown(image: Any) -> None:
    """The uploaded photo is served back and displayed (it loads lazily, so bring it into view);
    then back to the top of the page for the full-page picture."""
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("naturalWidth", 320, timeout=PAGE_TIMEOUT_MS)
    image.page.evaluate("window.scrollTo(0, 0)")


def open_page(new_page: Any, who: str) -> Any:
    page = new_page(who)
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return page


def test_organization_from_sign_up_to_a_fund_usage_report(
    browser_app: Flask, new_page, tmp_path: Path
) -> None:
    with browser_app.app_context():
        # The word segmenter's dictionary loads once per process (seconds on a busy machine): load it
        # here rather than inside the first page that matches or indexes text, within a step's timeout.
        warm_up()
        staff_email = factories.staff().email
        uscc = factories.unique_uscc("52330304")  # 民办非企业单位, 瓯海区, check character computed

    # 1. The organization signs up: its name, USCC, district, areas of work and its first account.
    org = open_page(new_page, "org")
    org.goto("/signup/organization")
    org.fill("#party_name", ORG_NAME)
    org.fill("#uscc", uscc)
    org.select_option("#district", "瓯海区")
    org.fill("#community", "娄桥街道古岸头社区")
    org.check("input[name=business_areas][value=children]")
    org.check("input[name=business_areas][value=education]")
    org.fill("#name", "陈春芽")
    org.fill("#contact_phone", "13957700002")
    org.fill("#email", ORG_EMAIL)
    org.fill("#password", ORG_PASSWORD)
    save_screenshot(org, "org-01-sign-up", tmp_path)
    org.get_by_role("button", name="提交注册").click()
    org.wait_for_url(re.compile(r"/dashboard$"))
    assert org.locator(".badge, .chip, span", has_text=re.compile("^待认证$")).count() >= 1
    banner = org.get_by_role("status").filter(has_text="的资料已提交").inner_text()
    assert f"「{ORG_NAME}」的资料已提交" in banner and "项目需在认证通过后才能发布" in banner
    save_screenshot(org, "org-02-dashboard-awaiting-verification", tmp_path)

    # 2. Staff (another browser, own session) find it in the verification queue and verify it.
    staff = open_page(new_page, "staff")
    log_in(staff, staff_email)
    staff.goto("/staff/verifications")
    row = staff.locator("tr", has_text=ORG_NAME)
    assert uscc in row.inner_text()
    save_screenshot(staff, "org-03-staff-verification-queue", tmp_path)
    row.get_by_role("button", name="通过").click()
    staff.wait_for_load_state()
    assert f"「{ORG_NAME}」已通过认证" in staff.content()
    org.goto("/dashboard")
    assert org.get_by_role("status").filter(has_text="的资料已提交").count() == 0

    # 3. The organization drafts a project with the form and submits it for review.
    org.goto("/projects/new")
    org.fill("#title", PROJECT_TITLE)
    org.fill("#summary", "为古岸头社区 30 名外来务工家庭的孩子提供每周四晚的课业陪伴和阅读指导。")
    org.fill(
        "#description",
        "## 项目背景\n\n父母晚上加班，孩子无人辅导。\n\n## 资金用途\n\n- 志愿者交通餐费\n- 课堂文具和图书",
    )
    org.select_option("#category", "children")
    org.fill("#tags", "课业辅导、外来务工子女")
    org.select_option("#district", "瓯海区")
    org.fill("#community", "娄桥街道古岸头社区")
    org.fill("#goal_yuan", "20,000")
    org.fill("#deadline", (local_today() + timedelta(days=30)).isoformat())
    org.check("input[name=funding_model][value=all_or_nothing]")
    org.fill("#beneficiaries", "30")
    save_screenshot(org, "org-04-project-form", tmp_path)
    org.get_by_role("button", name="保存草稿").click()
    org.wait_for_url(re.compile(r"/projects/\d+$"))
    project_path = re.search(r"/projects/\d+$", org.url).group(0)
    project_id = int(project_path.rsplit("/", 1)[1])
    assert org.get_by_role("heading", level=1).inner_text().strip() == PROJECT_TITLE
    assert "草稿" in org.content()
    org.get_by_role("button", name="提交审核").click()
    org.wait_for_load_state()
    assert "待审核" in org.content()
    save_screenshot(org, "org-05-project-submitted", tmp_path)

    # 4. Staff publish it from the review queue; the organization's page now shows it raising.
    staff.goto("/staff/reviews")
    entry = staff.locator("article, tr, li, section", has_text=PROJECT_TITLE).last
    assert ORG_NAME in entry.inner_text() and "¥20,000" in entry.inner_text()
    save_screenshot(staff, "org-06-staff-review-queue", tmp_path)
    entry.get_by_role("button", name="审核通过并发布").click()
    staff.wait_for_load_state()
    org.goto(project_path)
    assert "筹款中" in org.content()
    assert "¥20,000" in org.content()

    # 5. It posts a progress update with a photo; the project page shows both.
    org.get_by_role("link", name="发布进展").click()
    org.wait_for_url(re.compile(r"/updates/new$"))
    org.fill("#title", UPDATE_TITLE)
    org.fill("#body", "本周四晚 **28 名**孩子来到社区活动室，8 位大学生志愿者陪他们完成了作业。")
    org.set_input_files("#images", str(photo(tmp_path / "classroom.png", "#0d3b66")))
    save_screenshot(org, "org-07-update-form", tmp_path)
    org.get_by_role("button", name="发布进展").click()
    org.wait_for_url(re.compile(project_path + r"#update-\d+$"))
    assert "进展已发布，项目的支持者会收到通知" in org.content()
    update = org.locator("#updates li").first
    assert UPDATE_TITLE in update.inner_text() and "28 名" in update.inner_text()
    photo_shown(update.locator("img").first)
    save_screenshot(org, "org-08-project-with-update", tmp_path)

    # Before any money arrives there is nothing to account for.
    assert org.get_by_role("link", name="提交资金使用报告").count() == 0

    # 6. Companies give the full ¥20,000 (bank transfers confirmed by staff) and at the deadline the
    #    nightly job closes the project as funded.
    with browser_app.app_context():
        project = db.session.get(Project, project_id)
        for amount in (1_200_000, 800_000):
            factories.pledge(project, factories.company_member(), amount)
        report = close_due_projects(now=utcnow() + timedelta(days=31))
        assert db.session.get(Project, project_id).status == "funded", report
    org.goto(project_path)
    assert "已成功" in org.content()
    assert "¥20,000" in org.locator(".detail-aside, aside").first.inner_text()

    # 7. It publishes a fund-usage report: two items, one with a receipt picture.
    org.get_by_role("link", name="提交资金使用报告").click()
    org.wait_for_url(re.compile(r"/reports/new$"))
    money = org.get_by_role("complementary", name="资金情况").inner_text()
    assert "¥20,000" in money  # raised, and still reportable
    org.fill("#title", REPORT_TITLE)
    org.fill("#note", "第一个月的课堂物资，发票已上传。")
    org.fill("#items-0-description", "课堂文具 30 套")
    org.fill("#items-0-amount", "1,280.50")
    org.set_input_files("#items-0-receipt", str(photo(tmp_path / "invoice.png", "#faf0ca")))
    org.fill("#items-1-description", "儿童读物 120 册")
    org.fill("#items-1-amount", "3600")
    save_screenshot(org, "org-09-report-form", tmp_path)
    org.get_by_role("button", name="公布报告").click()
    org.wait_for_url(re.compile(project_path + r"#report-\d+$"))
    assert "资金使用报告已公布，项目的支持者会收到通知" in org.content()

    # 8. Any visitor sees the report on the project page: items, amounts, receipt and the total.
    visitor = open_page(new_page, "visitor")
    visitor.goto(project_path)
    reports = visitor.locator("#reports")
    text = reports.inner_text()
    assert REPORT_TITLE in text and "课堂文具 30 套" in text and "儿童读物 120 册" in text
    assert "¥1,280.50" in text and "¥3,600" in text
    assert "累计公示支出 ¥4,880.50" in text and "已筹 ¥20,000" in text
    assert reports.get_by_role("link", name=re.compile("查看凭证")).count() == 1
    assert UPDATE_TITLE in visitor.locator("#updates").inner_text()
    photo_shown(visitor.locator("#updates img").first)
    save_screenshot(visitor, "org-10-public-fund-usage-report", tmp_path)
