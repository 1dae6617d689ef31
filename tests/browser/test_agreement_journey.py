"""A partnership agreement in a real browser: staff draft it from an introduction, propose the terms,
the company asks for a change, staff draft a second version (the diff shows what changed) and
propose it, the company's and the organization's signers each read the summary and sign the same
hash, and the agreement is active with its tranches scheduled as pledges."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.parties.models import Company
from marketplace.timeutil import local_today
from tests import factories
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_staff_broker_an_agreement_from_an_introduction_to_two_signatures(
    browser_app: Flask, new_page
) -> None:
    today = local_today()
    with browser_app.app_context():
        factories.foundation(name="鹿城区青少年发展基金会")
        reviewer = factories.staff()
        owner = factories.org_member(name="鹿城区助老服务中心")
        project = factories.project(owner, status="published", reviewer=reviewer, title="长者助餐")
        sponsor = factories.company_member(name="温州瓯江鞋业有限公司")
        introduction = matching.send_introduction(
            reviewer, db.session.get(Company, sponsor.company_id), project, "双方都关注社区助老"
        )
        db.session.commit()
        staff_email, org_email, company_email = reviewer.email, owner.email, sponsor.email
        owner_id = owner.id
        introduction_id = introduction.id
    first_due = (today + timedelta(days=10)).isoformat()
    second_due = (today + timedelta(days=100)).isoformat()

    # 1. Staff start from the introduction: the form comes prefilled with both parties and the project.
    staff = new_page("staff")
    log_in(staff, staff_email)
    staff.goto(f"/staff/introductions/{introduction_id}")
    staff.get_by_role("link", name="起草合作协议").click()
    staff.wait_for_url(re.compile(r"/agreements/new\?introduction="))
    assert staff.input_value("#title") == "温州瓯江鞋业有限公司 × 鹿城区助老服务中心 战略合作协议"
    assert staff.locator("input[name=project_ids]:checked").count() == 1
    staff.get_by_role("button", name="创建协议并起草条款").click()
    staff.wait_for_url(re.compile(r"/agreements/\d+/versions/new$"))
    agreement_path = re.search(r"/agreements/\d+", staff.url).group(0)

    # 2. The first terms: a mistake in the schedule is pointed out on its row, then fixed.
    staff.fill("#scope", "共同开展社区长者助餐服务")
    staff.fill("#obligations_company", "按拨付计划出资，并每季度组织员工志愿服务")
    staff.fill("#obligations_organization", "执行助餐服务，每季度公示资金使用情况")
    staff.fill("#committed_amount", "30000")
    staff.fill("#tranches-0-due_on", first_due)
    staff.fill("#tranches-0-amount", "10000")
    staff.fill("#tranches-1-due_on", second_due)
    staff.fill("#tranches-1-amount", "2000O")
    staff.fill("#kpis", "全年助餐不少于 2000 人次")
    staff.get_by_role("button", name="保存草稿").click()
    staff.wait_for_load_state()
    assert "金额必须是数字" in staff.locator("#tranches-1-amount-error").inner_text()
    staff.fill("#tranches-1-amount", "20000")
    staff.get_by_role("button", name="保存草稿").click()
    staff.wait_for_url(re.compile(rf"{agreement_path}#versions$"))
    assert "第 1 版条款草稿已保存" in staff.content()
    staff.get_by_role("button", name="提交第 1 版签署").click()
    staff.wait_for_load_state()
    assert "已提交签署" in staff.content()

    # 3. The company reads it and asks for a change, with its reason.
    company = new_page("company")
    log_in(company, company_email)
    company.locator(".nav-primary").get_by_role("link", name="合作协议").click()
    company.wait_for_url(re.compile(r"/agreements$"))
    assert "待我签署" in company.content()
    company.get_by_role("link", name="温州瓯江鞋业有限公司 × 鹿城区助老服务中心 战略合作协议").first.click()
    company.wait_for_url(re.compile(rf"{agreement_path}$"))
    company.locator("summary", has_text="要求修改").click()
    company.fill("#reason-request_changes", "首期请改为一万五千元，另外请写明探访服务")
    company.get_by_role("button", name="确认要求修改").click()
    company.wait_for_load_state()
    assert "已要求修改" in company.content()
    assert "要求修改：首期请改为一万五千元，另外请写明探访服务" in company.locator("#thread").inner_text()

    # 4. Staff draft the second version from the first, see the difference and propose it.
    staff.goto(agreement_path)
    assert "首期请改为一万五千元" in staff.locator("#thread").inner_text()
    staff.get_by_role("link", name="起草新版本").click()
    staff.wait_for_url(re.compile(r"/versions/new$"))
    assert staff.input_value("#tranches-0-amount") == "10000"
    staff.fill("#scope", "共同开展社区长者助餐与探访服务")
    staff.fill("#tranches-0-amount", "15000")
    staff.fill("#tranches-1-amount", "15000")
    staff.get_by_role("button", name="保存草稿").click()
    staff.wait_for_url(re.compile(rf"{agreement_path}#versions$"))
    staff.get_by_role("link", name="与第 1 版比较").click()
    staff.wait_for_url(re.compile(r"/diff\?"))
    changed_scope = staff.locator("tr.diff-changed[data-key='terms.scope']")
    assert changed_scope.locator("ins").inner_text() == "与探访"
    staff.check("#diff-changed")
    staff.get_by_role("button", name="比较").click()
    staff.wait_for_url(re.compile(r"changed=1"))
    assert staff.locator("tr.diff-same").count() == 0
    staff.goto(agreement_path)
    staff.get_by_role("button", name="提交第 2 版签署").click()
    staff.wait_for_load_state()
    full_hash = staff.locator("#pending-hash .hash-full").text_content()
    assert re.fullmatch(r"[0-9a-f]{64}", full_hash)

    # 5. The company's signer reads the summary (with the hash) and signs.
    company.goto("/dashboard")
    company.get_by_role("link", name="温州瓯江鞋业有限公司 × 鹿城区助老服务中心 战略合作协议").click()
    company.wait_for_url(re.compile(r"/versions/\d+/sign$"))
    summary = company.locator("main").inner_text()
    for expected in (
        "¥30,000",
        "¥15,000",
        first_due,
        "共同开展社区长者助餐与探访服务",
        "鹿城区助老服务中心",
        full_hash,
    ):
        assert expected in summary, expected
    # The browser itself refuses to sign before the box is ticked (the server checks too).
    assert company.locator("#agree").get_attribute("required") is not None
    company.check("#agree")
    company.get_by_role("button", name="确认签署").click()
    company.wait_for_url(re.compile(rf"{agreement_path}$"))
    assert "等待其他签约方签署" in company.content()

    # 6. The organization's signer signs the same version: the agreement takes effect.
    org = new_page("org")
    log_in(org, org_email)
    assert "待签署的协议" in org.content()
    org.goto(agreement_path)
    org.locator("summary", has_text="指定授权签署人").click()
    org.select_option("#organization-signer_id", str(owner_id))
    org.fill("#organization-signer_title", "主任")
    org.get_by_role("button", name="保存签署人").click()
    org.wait_for_load_state()
    assert "已更新鹿城区助老服务中心的授权签署人" in org.content()
    org.locator(".nav-primary").get_by_role("link", name="合作协议").click()
    org.get_by_role("link", name="核对并签署").click()
    org.wait_for_url(re.compile(r"/versions/\d+/sign$"))
    assert full_hash in org.locator("#content-hash").inner_text()
    org.check("#agree")
    org.get_by_role("button", name="确认签署").click()
    org.wait_for_url(re.compile(rf"{agreement_path}$"))
    assert "协议已生效" in org.content()
    assert org.locator(".page-header .badge-active").inner_text() == "生效中"
    pledges = org.locator("#money tbody tr")
    assert pledges.count() == 2
    assert "¥15,000" in pledges.nth(0).inner_text() and "长者助餐" in pledges.nth(0).inner_text()
    assert "待到账 ¥30,000" in " ".join(org.locator("#money .stats").inner_text().split())

    # 7. Staff, the witness, see both signatures on the version in force.
    staff.goto(agreement_path)
    signatures = staff.locator("#current-title").locator("xpath=../..").locator(".signature-list li")
    assert signatures.count() == 2
    assert "（主任）" in signatures.nth(1).inner_text()
    assert "生效中" in staff.locator(".page-header").inner_text()
