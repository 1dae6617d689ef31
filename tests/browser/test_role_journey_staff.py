"""A working day of 团区委 staff in a real browser: they verify a new organization and publish the
project it submitted, introduce a company to it from the matchmaking board, broker a partnership
agreement that the company and the organization each sign in their own browser, publish a tender,
evaluate the bid that came in and award it, and export the awards and agreements for their report.
Runs with CSRF on; the pages must log no script error and no CSP violation. Screenshots of the key
pages are saved as staff-NN-*.png (under docs/screenshots with `make screenshots`)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from flask import Flask

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.tenders import operations as tenders
from marketplace.tenders.models import Tender
from marketplace.timeutil import LOCAL_TZ, local_today, utcnow
from tests import factories
from tests.browser.helpers import (
    draft_and_propose_agreement,
    evaluate_and_award,
    introduce,
    log_in,
    save_screenshot,
    sign_agreement,
)
from tests.tender_support import org_user

pytestmark = pytest.mark.browser

ORGANIZATION = "鹿城区助老服务中心"
COMPANY = "温州瓯江鞋业有限公司"
PROJECT = "长者助餐"
TENDER = "五马街道独居老人探访服务采购"
BIDDER = "鹿城区阳光社工服务中心"


def shot(page, name: str, directory: Path) -> None:  # type: ignore[no-untyped-def]
    """The page from its top: scrolled down, the sticky header would sit mid-picture."""
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, name, directory)


def test_a_staff_member_verifies_publishes_brokers_awards_and_exports(  # type: ignore[no-untyped-def]
    browser_app: Flask, new_page, tmp_path: Path
) -> None:
    today = local_today()
    with browser_app.app_context():
        factories.foundation(name="鹿城区青少年发展基金会")
        reviewer = factories.staff()
        owner = factories.org_member(name=ORGANIZATION, verified=False)
        factories.project(owner, status="submitted", title=PROJECT, category="elderly")
        sponsor = factories.company_member(name=COMPANY)
        bidder = org_user(BIDDER, grade="A4")
        staff_email, org_email, company_email = reviewer.email, owner.email, sponsor.email
        company_id, bidder_id = sponsor.company_id, bidder.id

    # 1. The day starts on the staff dashboard: a new organization awaits verification.
    staff = new_page("staff")
    log_in(staff, staff_email)
    shot(staff, "staff-01-dashboard", tmp_path)
    staff.locator(".page-header").get_by_role("link", name=re.compile("认证审核")).click()
    staff.wait_for_url(re.compile(r"/staff/verifications$"))
    shot(staff, "staff-02-verification-queue", tmp_path)
    staff.locator("tr", has_text=ORGANIZATION).get_by_role("button", name="通过").click()  # prompt accepted
    staff.wait_for_load_state()
    assert f"「{ORGANIZATION}」已通过认证" in staff.content()

    # 2. Its project, waiting in the review queue, can now be published.
    staff.locator(".nav-primary").get_by_role("link", name="审核项目").click()
    staff.wait_for_url(re.compile(r"/staff/reviews$"))
    card = staff.locator("article", has_text=PROJECT)
    shot(staff, "staff-03-review-queue", tmp_path)
    card.get_by_role("button", name="审核通过并发布").click()
    staff.wait_for_load_state()
    assert staff.locator("article", has_text=PROJECT).count() == 0

    # 3. Staff introduce the company to the project from the matchmaking board.
    introduce(staff, company_id, PROJECT, "贵司关注社区助老，项目缺口在认捐范围内")
    assert f"已向「{COMPANY}」介绍「{PROJECT}」" in staff.content()
    staff.get_by_role("link", name="牵线记录与成效").click()
    staff.wait_for_url(re.compile(r"/staff/introductions$"))
    shot(staff, "staff-04-introductions", tmp_path)
    sent = staff.locator("tr", has_text=PROJECT).get_by_role("link").first  # the time it was sent
    introduction_path = sent.get_attribute("href") or ""

    # 4. They broker a partnership agreement; each party signs in its own browser.
    tranches = [
        ((today + timedelta(days=10)).isoformat(), "10000"),
        ((today + timedelta(days=100)).isoformat(), "20000"),
    ]
    agreement_path = draft_and_propose_agreement(
        staff,
        introduction_path,
        scope="共同开展社区长者助餐服务",
        tranches=tranches,
        kpis="全年助餐不少于 2000 人次",
    )
    assert "已提交签署" in staff.content()
    shot(staff, "staff-05-agreement-proposed", tmp_path)
    company = new_page("company")
    log_in(company, company_email)
    company_hash = sign_agreement(company, agreement_path)
    assert "等待其他签约方签署" in company.content()
    org = new_page("org")
    log_in(org, org_email)
    assert sign_agreement(org, agreement_path) == company_hash
    assert "协议已生效" in org.content()
    staff.goto(agreement_path)
    assert "生效中" in staff.locator(".page-header").inner_text()
    signatures = staff.locator("#current-title").locator("xpath=../..").locator(".signature-list li")
    assert signatures.count() == 2
    shot(staff, "staff-06-agreement-signed", tmp_path)

    # 5. They publish a tender; a bid comes in; after the deadline they evaluate and award it.
    deadline = (datetime.now(LOCAL_TZ) + timedelta(days=20)).date()
    staff.goto("/tenders")
    staff.get_by_role("link", name="发布采购项目").click()
    staff.wait_for_url(re.compile(r"/staff/tenders/new$"))
    staff.fill("#title", TENDER)
    staff.fill("#buyer_name", "温州市鹿城区五马街道办事处")
    staff.get_by_label("政府部门").check()
    staff.select_option("#category", "elderly")
    staff.select_option("#district", "鹿城区")
    staff.fill("#description", "为辖区 120 名独居老人提供每周探访、紧急联络和节日关怀。")
    staff.fill("#budget", "300,000")
    staff.select_option("#method", "competitive_consultation")
    staff.fill("#submission_deadline_date", deadline.isoformat())
    staff.fill("#submission_deadline_time", "17:00")
    staff.get_by_label("不接受联合体投标").check()
    staff.get_by_label("不允许分包").check()
    shot(staff, "staff-07-tender-form", tmp_path)
    staff.get_by_role("button", name="发布", exact=True).click()
    staff.wait_for_url(re.compile(r"/tenders/\d+$"))
    assert "采购项目已发布" in staff.content()
    tender_id = int(staff.url.rsplit("/", 1)[1])
    with browser_app.app_context():
        tender = db.session.get(Tender, tender_id)
        organization = db.session.get(User, bidder_id)
        bid = tenders.create_bid(
            tender, organization, tenders.BidInput(mode="single", price=28_000_000, proposal="每周探访。")
        )
        tenders.submit_bid(bid, organization)
        tender.submission_deadline = utcnow().replace(microsecond=0) - timedelta(seconds=1)
        db.session.commit()
    staff.goto("/dashboard")
    staff.get_by_role("link", name=f"待评审：{TENDER}").click()
    staff.wait_for_url(re.compile(rf"/staff/tenders/{tender_id}/evaluation$"))
    evaluate_and_award(staff, tender_id, "91")
    shot(staff, "staff-08-tender-awarded", tmp_path)
    assert staff.get_by_role("link", name=re.compile("查看服务合同")).count() == 1

    # 6. For the monthly report they export the awards (CSV) and the agreements (Excel).
    staff.goto("/dashboard")
    staff.locator(".page-header").get_by_role("link", name="数据导出").click()
    staff.wait_for_url(re.compile(r"/staff/exports$"))
    shot(staff, "staff-09-exports", tmp_path)
    with staff.expect_download() as download_info:
        staff.get_by_role("button", name="下载 中标 CSV 文件").click()
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text("utf-8-sig"))))
    assert rows[0][:4] == ["中标编号", "采购项目", "采购人", "中标组织（牵头方）"]
    assert [row[1] for row in rows[1:]] == [TENDER] and rows[1][3] == BIDDER
    with staff.expect_download() as download_info:
        staff.get_by_role("button", name="下载 合作协议 Excel 文件").click()
    workbook = tmp_path / download_info.value.suggested_filename
    assert workbook.suffix == ".xlsx"
    download_info.value.save_as(workbook)
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        header, *agreements = list(book.active.iter_rows(values_only=True))
    finally:
        book.close()  # read-only workbooks keep the file open until closed
    assert header[:6] == ("协议编号", "协议名称", "协议类型", "状态", "企业", "组织")
    # The partnership brokered today, and the service contract the award drew up.
    assert sorted(row[1:2] + row[4:6] for row in agreements) == [
        (f"{TENDER} 政府购买服务合同", None, BIDDER),
        (f"{COMPANY} × {ORGANIZATION} 战略合作协议", COMPANY, ORGANIZATION),
    ]
