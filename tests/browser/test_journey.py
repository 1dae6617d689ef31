"""The first journey through the marketplace, in a real browser: an organization signs up, staff
verify it, it creates and submits a project, staff publish it, and an anonymous visitor finds it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from marketplace.timeutil import local_today
from tests import factories
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

ORG_NAME = "鹿城区星光助残青年服务社"
ORG_EMAIL = "xingguang@example.cn"
ORG_PASSWORD = "Xingguang-Help-2026"
PROJECT_TITLE = "「星光工坊」残障青年咖啡师培训"


def test_org_signs_up_and_gets_a_project_published(browser_app: Flask, new_page) -> None:
    with browser_app.app_context():
        staff_email = factories.staff().email
        uscc = factories.unique_uscc("52330302")

    # 1. The organization signs up.
    org = new_page("org")
    org.goto("/signup/organization")
    org.fill("#party_name", ORG_NAME)
    org.fill("#uscc", uscc)
    org.select_option("#district", "鹿城区")
    org.fill("#community", "南汇街道葡萄社区")
    org.check("input[name=business_areas][value=disability]")
    org.check("input[name=business_areas][value=employment]")
    org.fill("#name", "林小星")
    org.fill("#contact_phone", "13857700001")
    org.fill("#email", ORG_EMAIL)
    org.fill("#password", ORG_PASSWORD)
    org.get_by_role("button", name="提交注册").click()
    org.wait_for_url(re.compile(r"/dashboard"))
    assert "认证" in org.content()  # told it waits for the league's verification

    # 2. Staff verify it.
    staff = new_page("staff")
    log_in(staff, staff_email, factories.PASSWORD)
    staff.goto("/staff/verifications")
    row = staff.locator("tr", has_text=ORG_NAME)
    row.get_by_role("button", name="通过").click()
    staff.wait_for_load_state()
    assert f"「{ORG_NAME}」已通过认证" in staff.content()

    # 3. The organization drafts and submits a project.
    org.goto("/projects/new")
    org.fill("#title", PROJECT_TITLE)
    org.fill("#summary", "为 12 名残障青年提供三个月咖啡师技能培训和社区咖啡角实习岗位。")
    org.fill("#description", "## 项目背景\n\n残障青年就业难。\n\n## 资金用途\n\n- 培训课时费\n- 咖啡设备")
    org.select_option("#category", "employment")
    org.fill("#tags", "残障就业、咖啡师")
    org.select_option("#district", "鹿城区")
    org.fill("#community", "南汇街道葡萄社区")
    org.fill("#goal_yuan", "36000")
    org.fill("#deadline", (local_today() + timedelta(days=45)).isoformat())
    org.check("input[name=funding_model][value=all_or_nothing]")
    org.fill("#beneficiaries", "12")
    org.get_by_role("button", name="保存草稿").click()
    org.wait_for_url(re.compile(r"/projects/\d+$"))
    project_path = re.search(r"/projects/\d+$", org.url).group(0)
    org.get_by_role("button", name="提交审核").click()
    org.wait_for_load_state()
    assert "待审核" in org.content()

    # 4. Staff publish it from the review queue.
    staff.goto("/staff/reviews")
    staff.locator("article, tr, li, section", has_text=PROJECT_TITLE).last.get_by_role(
        "button", name="审核通过并发布"
    ).click()
    staff.wait_for_load_state()

    # 5. An anonymous visitor finds it in the list and opens it.
    visitor = new_page("visitor")
    visitor.goto("/projects")
    visitor.get_by_role("link", name=re.compile(PROJECT_TITLE)).first.click()
    visitor.wait_for_url(re.compile(project_path + "$"))
    assert visitor.get_by_role("heading", level=1).inner_text().strip() == PROJECT_TITLE
    assert visitor.locator("progress").count() >= 1
    body = visitor.content()
    assert "¥36,000" in body
    assert ORG_NAME in body


def test_bad_sign_up_shows_the_reason_and_keeps_the_input(browser_app: Flask, new_page) -> None:
    with browser_app.app_context():
        valid = factories.unique_uscc("52330302")
    wrong_check_character = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    page = new_page("org")
    page.goto("/signup/organization")
    page.fill("#party_name", ORG_NAME)
    page.fill("#uscc", wrong_check_character)
    page.select_option("#district", "鹿城区")
    page.check("input[name=business_areas][value=disability]")
    page.fill("#name", "林小星")
    page.fill("#contact_phone", "13857700001")
    page.fill("#email", ORG_EMAIL)
    # Long enough for the browser's own check, but on the common-password list.
    page.fill("#password", "1234567890")
    page.get_by_role("button", name="提交注册").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert").first.inner_text()
    assert "校验位" in summary
    assert "过于常见" in summary
    assert page.input_value("#party_name") == ORG_NAME
    # Nothing was created: the login fails.
    page.goto("/login")
    page.fill("#email", ORG_EMAIL)
    page.fill("#password", "1234567890")
    page.get_by_role("button", name="登录").click()
    assert "邮箱或密码不正确" in page.content()
