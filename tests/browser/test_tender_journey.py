"""Browser journey (proposed by helper "pages" for tests/browser/): two organizations form a
consortium in the bid builder — the live 100 % meter turns green only at exactly 100 %, rows are
added and removed without a reload — the partner confirms its part, the lead uploads the joint
agreement and submits; after the deadline staff evaluate and award, and the contract is one click
away. Runs with CSRF on, and the pages must log no script error and no CSP violation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from marketplace.extensions import db
from marketplace.tenders.models import Bid, Tender
from marketplace.timeutil import utcnow
from tests import factories
from tests.browser.helpers import log_in
from tests.tender_support import PDF, make_tender, org_user

pytestmark = pytest.mark.browser


def test_two_organizations_form_a_consortium_and_submit(browser_app: Flask, new_page) -> None:  # type: ignore[no-untyped-def]
    with browser_app.app_context():
        staff = factories.staff()
        lead = org_user("鹿城区阳光社工服务中心", grade="A4")
        partner = org_user("温州心桥心理服务中心", grade="A3")
        tender = make_tender(staff, min_grade="A3")
        staff_email, lead_email, partner_email = staff.email, lead.email, partner.email
        tender_id, partner_org = tender.id, partner.organization_id

    page = new_page("lead")
    log_in(page, lead_email)
    page.goto(f"/tenders/{tender_id}")
    page.get_by_role("link", name="准备投标").click()
    page.get_by_role("radio", name="联合体投标").check()
    assert page.locator("[data-mode-only=consortium]").is_visible()
    assert not page.locator("[data-mode-only=prime_with_subs]").is_visible()
    status = page.locator("[data-share-status]")
    meter = page.locator("[data-share-meter]")
    page.fill("#members-0-share", "60")
    page.fill("#members-0-scope", "课业辅导与个案管理")
    page.select_option("#members-1-organization_id", str(partner_org))
    page.fill("#members-1-share", "30")
    assert "还差 10%" in status.inner_text() and "is-off" in (meter.get_attribute("class") or "")
    page.get_by_role("button", name="增加成员").click()
    page.fill("#members-2-share", "10")
    assert "恰好 100%" in status.inner_text() and "is-exact" in (meter.get_attribute("class") or "")
    page.get_by_role("button", name="删除该成员").last.click()
    assert page.locator("#members-2-share").count() == 0
    assert "还差 10%" in status.inner_text()
    page.fill("#members-1-share", "40")
    page.fill("#price", "450000")
    # The partner's scope is missing: the server says so next to it, and keeps what was typed.
    page.get_by_role("button", name="保存投标草稿").click()
    page.wait_for_load_state()
    assert "请写明该成员承担的工作内容" in page.locator("#members-1-scope-error").inner_text()
    assert page.input_value("#members-1-share") == "40"
    page.fill("#members-1-scope", "心理支持")
    page.get_by_role("button", name="保存投标草稿").click()
    page.wait_for_url(re.compile(r"/bids/\d+$"))
    bid_url = page.url
    page.select_option("#kind", "joint_agreement")
    page.fill("#title", "联合体协议（双方盖章）")
    page.set_input_files("#file", files=[{"name": "协议.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state()
    assert "材料已上传" in page.content()

    other = new_page("partner")
    log_in(other, partner_email)
    other.goto("/bids")
    other.get_by_role("link", name="待我确认分工").click()
    other.get_by_role("button", name="确认我方分工").click()
    other.wait_for_load_state()
    assert "已确认我方分工" in other.content()

    page.goto(bid_url)
    page.get_by_role("button", name="提交投标").click()  # the confirmation prompt is accepted
    page.wait_for_load_state()
    assert "投标已提交" in page.content()
    with browser_app.app_context():
        bid = db.session.scalars(db.select(Bid)).one()
        assert bid.status == "submitted"
        found = db.session.get(Tender, tender_id)
        found.submission_deadline = utcnow().replace(microsecond=0) - timedelta(seconds=1)
        db.session.commit()

    desk = new_page("staff")
    log_in(desk, staff_email)
    desk.goto(f"/staff/tenders/{tender_id}/evaluation")
    desk.get_by_label("有效", exact=True).check()
    desk.fill("[id$='-score']", "88.5")
    desk.get_by_role("button", name=re.compile("记录评审结果")).click()
    desk.wait_for_load_state()
    assert "3A+ 优先" in desk.content()
    desk.get_by_role("button", name=re.compile("确定成交")).click()
    desk.wait_for_load_state()
    desk.get_by_role("link", name=re.compile("查看服务合同")).click()
    desk.wait_for_url(re.compile(r"/agreements/\d+$"))
    assert "登记采购方签署" in desk.content()
