"""Matchmaking in a real browser: a company fills in its sponsor profile and sees recommendations with
their reasons, staff introduce it to a project from the matchmaking board, the company answers
"有意向" and pledges the suggested amount in one click, and staff see the introduction converted."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests import factories
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_from_sponsor_profile_to_a_converted_introduction(browser_app: Flask, new_page) -> None:
    with browser_app.app_context():
        reviewer = factories.staff()
        owner = factories.org_member()
        project = factories.project(owner, status="published", reviewer=reviewer, title="四点钟课堂")
        factories.foundation(name="鹿城区青少年发展基金会")
        sponsor = factories.company_member(name="温州瓯江鞋业有限公司")
        project_id, sponsor_email, staff_email = project.id, sponsor.email, reviewer.email
        company_id = sponsor.company_id

    # 1. The company is asked for its sponsor profile, fills it in and sees why projects fit it.
    company = new_page("company")
    log_in(company, sponsor_email)
    assert "填写赞助偏好，推荐会更准" in company.content()
    company.get_by_role("link", name="填写赞助偏好").first.click()
    company.wait_for_url(re.compile(r"/sponsor-profile$"))
    company.fill("#pledge_min", "1000")
    company.fill("#pledge_max", "5,000")
    company.fill("#interest_statement", "关注外来务工子女的课后托管和作业辅导")
    company.get_by_role("button", name="保存赞助偏好").click()
    company.wait_for_url(re.compile(r"/dashboard$"))
    page = company.content()
    assert "赞助偏好已保存" in page and "同属 儿童关爱 领域" in page
    assert "一键认捐 ¥5,000" in page

    # 2. Staff find the company's best projects on the board and introduce one, with a note.
    staff = new_page("staff")
    log_in(staff, staff_email)
    staff.get_by_role("link", name="撮合看板").first.click()
    staff.select_option("#board-company", str(company_id))
    staff.get_by_role("button", name="查看").click()
    staff.wait_for_url(re.compile(rf"company={company_id}"))
    row = staff.locator("tr", has_text="四点钟课堂")
    row.locator("textarea").fill("缺口正好在贵司的认捐范围内")
    row.get_by_role("button", name="牵线介绍").click()
    staff.wait_for_load_state()
    assert "已向「温州瓯江鞋业有限公司」介绍「四点钟课堂」" in staff.content()

    # 3. The company opens the introduction, says it is interested and pledges the suggested amount.
    company.goto("/dashboard")
    company.locator(".nav-primary").get_by_role("link", name=re.compile("牵线介绍")).click()
    company.get_by_role("link", name="四点钟课堂").click()
    company.wait_for_url(re.compile(r"/introductions/\d+$"))
    assert "缺口正好在贵司的认捐范围内" in company.content()
    company.fill("#note", "下周可以面谈")
    company.get_by_role("button", name="有意向").click()
    company.wait_for_load_state()
    assert "已告诉团区委贵司有意向" in company.content()
    company.get_by_role("link", name="认捐 ¥5,000").click()
    company.wait_for_url(re.compile(rf"/projects/{project_id}/pledge\?amount=5000$"))
    assert company.input_value("#amount") == "5000"
    company.check("input[name=method][value=bank_transfer]")
    company.get_by_role("button", name="提交认捐").click()
    company.wait_for_url(re.compile(r"/pledges/\d+$"))

    # 4. Staff see the introduction converted by the pledge.
    staff.goto("/staff/introductions")
    row = staff.locator("tr", has_text="温州瓯江鞋业有限公司")
    assert "已促成" in row.inner_text()
