"""The company's whole journey in a real browser: it signs up, staff verify it, it fills in its sponsor
profile (focus areas, districts, budget) and sees recommended projects with their reasons, pledges by
bank transfer (staff confirm the money in their own browser) and by card through the Stripe stand-in
(tests/fakestripe.py serves the payment page; the test delivers Stripe's signed webhook), and gets a
printable receipt for each plus the e-mail telling it the money arrived. Each key page is saved as
``company-NN-<what>.png`` (``make screenshots`` puts them in docs/screenshots/ for the README)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from marketplace.search.engine import warm_up
from tests import factories
from tests.browser.helpers import log_in, save_screenshot
from tests.fakestripe import FakeStripe
from tests.stripe_support import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    fake_fixture,  # noqa: F401  (the `fake` fixture)
    no_internet_fixture,  # noqa: F401  (autouse: nothing leaves loopback)
    post_event,
)

pytestmark = pytest.mark.browser

# The machine that runs the suite may be busy (two cores, tests in parallel): a page gets this long.
PAGE_TIMEOUT_MS = 30_000

COMPANY_NAME = "温州瓯越电器有限公司"
COMPANY_EMAIL = "csr@ouyue-dianqi.example.cn"
COMPANY_PASSWORD = "Ouyue-Giving-2026"
FOUNDATION = "鹿城区青少年发展基金会"
AFTER_SCHOOL = "四点钟课堂：外来务工子女课后托管"
READING = "乡村阅读角：为山区小学添置图书"
ELDERLY = "银杏长者助餐计划"


@pytest.fixture
def browser_app(make_app: Any, fake: FakeStripe) -> Iterator[Flask]:
    """The app as people get it (CSRF on) with card payments on, talking to this test's FakeStripe."""
    app = make_app(
        WTF_CSRF_ENABLED=True,
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=fake.api_base,
    )
    yield app
    gateway = app.extensions.get("stripe_gateway")
    if gateway is not None:
        gateway.close()


def mails_to(app: Flask, email: str) -> list[Any]:
    return [mail for mail in app.extensions.get("mail_outbox", []) if mail.to == email]


def open_page(new_page: Any, who: str) -> Any:
    page = new_page(who)
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return page


def test_company_from_sign_up_to_receipts_for_a_transfer_and_a_card_payment(
    browser_app: Flask, new_page, fake: FakeStripe, tmp_path: Path
) -> None:
    with browser_app.app_context():
        # The word segmenter's dictionary loads once per process (seconds on a busy machine): load it
        # here rather than inside the first page that matches or indexes text, within a step's timeout.
        warm_up()
        reviewer = factories.staff()
        owner = factories.org_member(name="五马街道青年志愿者协会")
        after_school = factories.project(
            owner, status="published", reviewer=reviewer, title=AFTER_SCHOOL, goal_yuan="20000"
        )
        reading = factories.project(
            owner,
            status="published",
            reviewer=reviewer,
            title=READING,
            summary="为泰顺县三所山区小学的阅读角添置 1,500 册适龄图书和书架。",
            category="education",
            district="泰顺县",
            tags=["阅读", "山区小学"],
            goal_yuan="30000",
        )
        factories.project(
            owner,
            status="published",
            reviewer=reviewer,
            title=ELDERLY,
            summary="为独居老人提供午餐和送餐上门服务。",
            category="elderly",
            district="瓯海区",
            tags=["助餐"],
        )
        factories.foundation(name=FOUNDATION)
        staff_email = reviewer.email
        after_school_id, reading_id = after_school.id, reading.id
        uscc = factories.unique_uscc("91330302")

    # 1. The company signs up with its 统一社会信用代码, its industry and the areas it cares about.
    company = open_page(new_page, "company")
    company.goto("/signup/company")
    company.fill("#party_name", COMPANY_NAME)
    company.fill("#uscc", uscc)
    company.select_option("#district", "鹿城区")
    company.fill("#industry", "电气机械和器材制造业")
    company.check("input[name=focus_categories][value=children]")
    company.fill("#name", "周晓岚")
    company.fill("#contact_phone", "0577-88886666")
    company.fill("#email", COMPANY_EMAIL)
    company.fill("#password", COMPANY_PASSWORD)
    save_screenshot(company, "company-01-sign-up", tmp_path)
    company.get_by_role("button", name="提交注册").click()
    company.wait_for_url(re.compile(r"/dashboard$"))
    banner = company.get_by_role("status").filter(has_text="的资料已提交").inner_text()
    assert f"等待团区委认证 — 「{COMPANY_NAME}」的资料已提交" in banner
    assert "企业通过团区委认证后即可认捐项目" in company.content()

    # 2. Staff verify it in their own browser.
    staff = open_page(new_page, "staff")
    log_in(staff, staff_email)
    staff.goto("/staff/verifications")
    staff.locator("tr", has_text=COMPANY_NAME).get_by_role("button", name="通过").click()
    staff.wait_for_load_state()
    assert f"「{COMPANY_NAME}」已通过认证" in staff.content()

    # 3. The company fills in its sponsor profile: areas, districts, usual pledge and yearly budget.
    company.goto("/dashboard")
    assert "填写赞助偏好，推荐会更准" in company.content()
    company.get_by_role("link", name="填写赞助偏好").first.click()
    company.wait_for_url(re.compile(r"/sponsor-profile$"))
    assert company.is_checked("input[name=focus_categories][value=children]")  # from the sign-up
    company.check("input[name=focus_categories][value=education]")
    company.check("input[name=districts][value=鹿城区]")
    company.check("input[name=districts][value=泰顺县]")
    company.fill("#interest_statement", "关注外来务工子女的课后托管和作业辅导，也支持山区小学的阅读")
    company.fill("#pledge_min", "2,000")
    company.fill("#pledge_max", "5,000")
    company.fill("#yearly_budget", "200,000")
    save_screenshot(company, "company-02-sponsor-profile", tmp_path)
    company.get_by_role("button", name="保存赞助偏好").click()
    company.wait_for_url(re.compile(r"/dashboard$"))
    assert "赞助偏好已保存" in company.content()

    # 4. The dashboard recommends the projects that fit, best first, and says why.
    recommended = company.get_by_role("region", name="为您推荐")
    cards = recommended.locator("article")
    titles = [title.strip() for title in cards.locator("h3").all_inner_texts()]
    assert titles[0] == AFTER_SCHOOL and READING in titles
    assert ELDERLY not in titles[:2]
    first = cards.first.inner_text()
    assert "同属 儿童关爱 领域" in first and "一键认捐 ¥5,000" in first
    profile = company.get_by_role("region", name="企业资料").inner_text()
    assert "¥200,000" in profile and "鹿城区" in profile and "泰顺县" in profile
    save_screenshot(company, "company-03-dashboard-recommendations", tmp_path)

    # 5. It pledges the suggested ¥5,000 to the first recommendation by bank transfer.
    cards.first.get_by_role("link", name="一键认捐 ¥5,000").click()
    company.wait_for_url(re.compile(rf"/projects/{after_school_id}/pledge\?amount=5000$"))
    assert company.input_value("#amount") == "5000"
    company.check("input[name=method][value=bank_transfer]")
    company.fill("#message", "祝孩子们学业进步！")
    save_screenshot(company, "company-04-pledge-form", tmp_path)
    company.get_by_role("button", name="提交认捐").click()
    company.wait_for_url(re.compile(r"/pledges/\d+$"))
    transfer_path = "/pledges/" + company.url.rsplit("/", 1)[1]
    code = company.locator("code.reference-code").first.inner_text().strip()
    assert re.fullmatch(r"QQC[0-9A-Z]{8}", code)
    page = company.content()
    assert "认捐已登记。请按下方账户转账" in page and FOUNDATION in page and "¥5,000" in page
    save_screenshot(company, "company-05-bank-transfer-instructions", tmp_path)

    # 6. Staff match the bank statement to the reference code and confirm receipt.
    staff.goto(f"/staff/pledges?q={code}")
    staff.locator("tr", has_text=code).get_by_role("link", name=COMPANY_NAME).click()
    staff.wait_for_url(re.compile(r"/pledges/\d+$"))
    staff.fill("#received_amount", "5000")
    staff.fill("#bank_reference", "WZBANK-20261127-0088")
    staff.get_by_role("button", name="确认到账").click()
    staff.wait_for_load_state()
    assert "已到账" in staff.content()

    # 7. The company is told by e-mail and prints its receipt.
    mail = mails_to(browser_app, COMPANY_EMAIL)
    assert [m.subject for m in mail] == ["【青亲筹】认捐已到账"]
    assert f"「{AFTER_SCHOOL}」的认捐 ¥5,000 已确认到账" in mail[0].body
    assert mail[0].body.rstrip().endswith(transfer_path)
    company.goto(transfer_path)
    assert "已到账" in company.locator("main").inner_text()
    company.get_by_role("link", name="打印捐赠收据").first.click()
    company.wait_for_url(re.compile(r"/receipt$"))
    receipt = company.locator("article.receipt").inner_text()
    assert "人民币伍仟元整" in receipt and "¥5,000" in receipt and "WZBANK-20261127-0088" in receipt
    assert COMPANY_NAME in receipt and uscc in receipt and FOUNDATION in receipt and AFTER_SCHOOL in receipt
    save_screenshot(company, "company-06-receipt-bank-transfer", tmp_path)

    # 8. It pledges ¥3,000 to the reading project by card: the pledge form hands it to the (stand-in)
    #    Stripe payment page.
    company.goto("/dashboard")
    company.get_by_role("region", name="为您推荐").get_by_role("link", name=READING).click()
    company.wait_for_url(re.compile(rf"/projects/{reading_id}$"))
    company.get_by_role("link", name="我要认捐").first.click()
    company.wait_for_url(re.compile(rf"/projects/{reading_id}/pledge"))
    company.fill("#amount", "3000")
    company.check("input[name=method][value=card]")
    company.get_by_role("button", name="提交认捐").click()
    company.wait_for_url(re.compile(r"/c/pay/cs_"))  # Stripe's hosted page (FakeStripe on loopback)
    assert company.locator("#amount").inner_text() == "300000 cny"
    with browser_app.app_context():
        user = db.session.scalar(select(User).where(User.email == COMPANY_EMAIL))
        card_id = db.session.scalar(
            select(Pledge.id).where(Pledge.project_id == reading_id, Pledge.company_id == user.company_id)
        )
    card_path = f"/pledges/{card_id}"
    company.locator("#pay").click()
    company.wait_for_url(re.compile(card_path + r"/checkout/returned"))
    # Back on the site before Stripe's notification: nothing is claimed yet.
    assert "正在确认支付结果" in company.get_by_role("status").first.inner_text()

    # 9. Stripe notifies the site (a signed webhook); the company refreshes and sees the money arrived.
    (session,) = fake.sessions.values()
    response = post_event(browser_app.test_client(), fake.event("checkout.session.completed", session))
    assert response.status_code == 200 and response.json["outcome"] == "applied", response.json
    company.get_by_role("link", name="刷新支付状态").click()
    company.wait_for_load_state()
    assert "支付成功，款项已到账" in company.get_by_role("status").first.inner_text()
    assert READING in company.content()
    save_screenshot(company, "company-07-card-payment-confirmed", tmp_path)
    company.get_by_role("link", name="查看认捐详情").click()
    company.wait_for_url(re.compile(card_path + "$"))
    company.get_by_role("link", name="打印捐赠收据").first.click()
    company.wait_for_url(re.compile(r"/receipt$"))
    receipt = company.locator("article.receipt").inner_text()
    assert "人民币叁仟元整" in receipt and "¥3,000" in receipt and session["payment_intent"] in receipt
    mail = mails_to(browser_app, COMPANY_EMAIL)
    assert len(mail) == 2 and f"「{READING}」的认捐 ¥3,000 已确认到账" in mail[1].body

    # 10. "我的认捐" and the dashboard add it up; the ledger agrees with both projects' totals.
    company.goto("/my/pledges")
    mine = company.locator("main").inner_text()
    assert AFTER_SCHOOL in mine and READING in mine and mine.count("已到账") >= 2
    save_screenshot(company, "company-08-my-pledges", tmp_path)
    company.goto("/dashboard")
    given = company.get_by_role("region", name="我的认捐").inner_text()
    assert "¥8,000" in given
    with browser_app.app_context():
        for project_id, fen in ((after_school_id, 500_000), (reading_id, 300_000)):
            raised = db.session.get(Project, project_id).raised_amount
            assert raised == fen == pledges.ledger_total(project_id)
