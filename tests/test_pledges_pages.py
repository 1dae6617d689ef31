"""Pledging and staff's money pages through the test client: the whole journeys a company and league
staff go through, and every way bad input is refused without saving anything."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.parties.models import Company, Organization
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import Disbursement, LedgerEntry, PartnerFoundation, Pledge
from marketplace.projects.models import Project
from marketplace.timeutil import utcnow
from tests import factories
from tests.factories import World

Login = Callable[[str], FlaskClient]


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def token_of(page: str) -> str:
    found = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert found, "the pledge form carries a one-time token"
    return found.group(1)


def pledge_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Pledge)) or 0


def load_pledge(app: Flask, pledge_id: int) -> Pledge:
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert pledge is not None
        db.session.expunge(pledge)
        return pledge


def load_project(app: Flask, project_id: int) -> Project:
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project is not None
        db.session.expunge(project)
        return project


def ledger(app: Flask, project_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(LedgerEntry.kind, LedgerEntry.amount)
            .where(LedgerEntry.project_id == project_id)
            .order_by(LedgerEntry.id)
        ).all()
        return [(kind, amount) for kind, amount in rows]


def pledge_id_from(response: Any) -> int:
    assert response.status_code == 303, html(response)[-2000:]
    found = re.search(r"/pledges/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


@pytest.fixture
def login(app: Flask) -> Login:
    """A fresh client signed in as `email` (each role keeps its own session)."""

    def sign_in(email: str) -> FlaskClient:
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": factories.PASSWORD})
        assert response.status_code == 302
        return client

    return sign_in


@pytest.fixture
def foundation_name(app: Flask, world: World) -> str:
    with app.app_context():
        return factories.foundation(name="鹿城区青少年发展基金会").name


def submit_pledge(client: FlaskClient, project_id: int, **fields: str) -> Any:
    form = client.get(f"/projects/{project_id}/pledge")
    assert form.status_code == 200, html(form)[-2000:]
    data = {"amount": "5000", "method": "bank_transfer", "token": token_of(html(form))}
    data.update(fields)
    return client.post(f"/projects/{project_id}/pledge", data=data)


def paid_pledge(app: Flask, world: World, amount: int, **extra: Any) -> int:
    with app.app_context():
        company_user = db.session.scalar(select(User).where(User.email == world.company_email))
        project = db.session.get(Project, world.published_id)
        return factories.pledge(project, company_user, amount, **extra).id


# ───────────── bank transfer: pledge, transfer details, confirmation, receipt ─────────────


def test_company_pledges_by_bank_transfer_and_sees_where_to_send_the_money(
    app: Flask, world: World, login: Login, foundation_name: str
) -> None:
    company = login(world.company_email)
    response = submit_pledge(company, world.published_id, amount="5,000.50", message="祝孩子们平安！")
    pledge_id = pledge_id_from(response)
    pledge = load_pledge(app, pledge_id)
    assert (pledge.amount, pledge.method, pledge.status) == (500_050, "bank_transfer", "pending")
    assert pledge.payee_name == foundation_name

    page = html(company.get(f"/pledges/{pledge_id}"))
    assert "认捐已登记" in page  # the flash after the redirect
    assert "请通过对公账户转账" in page
    assert pledge.reference_code in page
    assert "附言" in page
    assert foundation_name in page
    assert "温州银行鹿城支行" in page
    spaced = " ".join(pledge.payee_account_number[i : i + 4] for i in range(0, 16, 4))
    assert spaced in page
    assert "¥5,000.50" in page
    # Pending money is not money: the project's total has not moved and there is no receipt yet.
    assert load_project(app, world.published_id).raised_amount == 0
    assert company.get(f"/pledges/{pledge_id}/receipt").status_code == 409


def test_staff_confirm_receipt_then_the_money_counts_everywhere_and_a_receipt_prints(
    app: Flask, world: World, login: Login, foundation_name: str
) -> None:
    company = login(world.company_email)
    pledge_id = pledge_id_from(submit_pledge(company, world.published_id, amount="1234.5"))
    reference = load_pledge(app, pledge_id).reference_code

    staff = login(world.staff_email)
    queue = html(staff.get("/staff/pledges"))
    assert reference in queue and "确认到账" in queue
    found = html(staff.get(f"/staff/pledges?q={reference.lower()}"))
    assert f"/pledges/{pledge_id}" in found

    # The bank reference is required for a bank transfer: refused, nothing changes.
    refused = staff.post(f"/staff/pledges/{pledge_id}/confirm", data={"received_amount": "1234.50"})
    assert refused.status_code == 422
    assert "请填写银行流水号" in html(refused)
    assert load_pledge(app, pledge_id).status == "pending"

    done = staff.post(
        f"/staff/pledges/{pledge_id}/confirm",
        data={"received_amount": "1234.50", "bank_reference": "BOC20260315-88812"},
    )
    assert done.status_code == 303
    pledge = load_pledge(app, pledge_id)
    assert (pledge.status, pledge.paid_amount, pledge.bank_reference) == (
        "paid",
        123_450,
        "BOC20260315-88812",
    )
    assert load_project(app, world.published_id).raised_amount == 123_450
    assert ledger(app, world.published_id) == [("pledge_paid", 123_450)]

    money = html(staff.get(f"/staff/projects/{world.published_id}/money"))
    assert "认捐到账" in money and "¥1,234.50" in money and f"/pledges/{pledge_id}" in money
    assert "不一致" not in money

    project_page = html(app.test_client().get(f"/projects/{world.published_id}"))
    assert "¥1,234.50" in project_page
    with app.app_context():
        company_name = db.session.get(Company, world.company_id).name
        company_uscc = db.session.get(Company, world.company_id).uscc
    assert company_name in project_page  # on the supporter wall
    assert f"善款由 {foundation_name} 接收" in project_page

    receipt = company.get(f"/pledges/{pledge_id}/receipt")
    assert receipt.status_code == 200
    text = html(receipt)
    assert "人民币壹仟贰佰叁拾肆元伍角整" in text
    assert "¥1,234.50" in text
    assert company_name in text and company_uscc in text
    assert foundation_name in text
    assert "BOC20260315-88812" in text
    assert re.search(rf"QQC-\d{{4}}-0*{pledge_id}\b", text)
    assert "兹收到" in text
    # Staff may print it too; the project's organization sees the pledge but not the receipt.
    assert staff.get(f"/pledges/{pledge_id}/receipt").status_code == 200
    organization = login(world.org_email)
    assert organization.get(f"/pledges/{pledge_id}").status_code == 200
    assert organization.get(f"/pledges/{pledge_id}/receipt").status_code == 404


def test_the_same_bank_reference_cannot_confirm_two_pledges(app: Flask, world: World, login: Login) -> None:
    first = paid_pledge(app, world, 10_000)
    second = paid_pledge(app, world, 20_000, paid=False)
    used = load_pledge(app, first).bank_reference
    staff = login(world.staff_email)
    response = staff.post(
        f"/staff/pledges/{second}/confirm", data={"received_amount": "200", "bank_reference": used}
    )
    assert response.status_code == 409
    assert "该银行流水号已登记在另一笔认捐上" in html(response)
    assert load_pledge(app, second).status == "pending"


def test_in_kind_pledge_is_valued_by_staff_on_receipt(
    app: Flask, world: World, login: Login, foundation_name: str
) -> None:
    company = login(world.company_email)
    missing = submit_pledge(company, world.published_id, method="in_kind", amount="3000")
    assert missing.status_code == 422
    assert "请说明捐赠的物资或服务" in html(missing)
    assert pledge_count(app) == 0

    pledge_id = pledge_id_from(
        submit_pledge(
            company,
            world.published_id,
            method="in_kind",
            amount="3000",
            in_kind_description="儿童绘本 200 册",
        )
    )
    page = html(company.get(f"/pledges/{pledge_id}"))
    assert "儿童绘本 200 册" in page and "物资送达" in page

    staff = login(world.staff_email)
    staff_page = html(staff.get(f"/pledges/{pledge_id}"))
    assert "验收估值（元）" in staff_page
    response = staff.post(f"/staff/pledges/{pledge_id}/confirm", data={"received_amount": "2800.5"})
    assert response.status_code == 303
    pledge = load_pledge(app, pledge_id)
    assert (pledge.status, pledge.paid_amount, pledge.bank_reference) == ("paid", 280_050, None)
    assert load_project(app, world.published_id).raised_amount == 280_050
    receipt = html(company.get(f"/pledges/{pledge_id}/receipt"))
    assert "人民币贰仟捌佰元伍角整" in receipt and "儿童绘本 200 册" in receipt


def test_an_anonymous_pledge_shows_as_anonymous_on_the_supporter_wall(app: Flask, world: World) -> None:
    paid_pledge(app, world, 66_600, anonymous=True, message="不留名")
    with app.app_context():
        company_name = db.session.get(Company, world.company_id).name
    page = html(app.test_client().get(f"/projects/{world.published_id}"))
    assert "匿名企业" in page
    assert "不留名" in page and "¥666" in page
    assert company_name not in page


# ───────────── bad input ─────────────


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("", "请输入金额"),
        ("0", "认捐金额不能少于 1 元"),
        ("-5", "金额不能为负数"),
        ("10.005", "金额最多保留两位小数（到分）"),
        ("五千元", "金额必须是数字，例如 5000 或 5000.50"),
        ("abc", "金额必须是数字，例如 5000 或 5000.50"),
        ("10000000.01", "单笔认捐不能超过 1000 万元"),
    ],
)
def test_each_bad_amount_gets_its_own_message_and_saves_nothing(
    app: Flask, world: World, login: Login, foundation_name: str, amount: str, reason: str
) -> None:
    company = login(world.company_email)
    response = submit_pledge(company, world.published_id, amount=amount, message="x" * 201)
    assert response.status_code == 422
    page = html(response)
    assert reason in page
    assert "留言不能超过 200 个字" in page  # the other field's problem is reported at the same time
    assert 'name="token"' in page  # the form comes back, ready to fix and resend
    assert pledge_count(app) == 0
    assert load_project(app, world.published_id).raised_amount == 0


def test_the_largest_pledge_is_accepted(app: Flask, world: World, login: Login, foundation_name: str) -> None:
    company = login(world.company_email)
    pledge_id = pledge_id_from(submit_pledge(company, world.published_id, amount="10000000"))
    assert load_pledge(app, pledge_id).amount == 1_000_000_000


@pytest.mark.parametrize(
    ("status", "deadline_passed", "reason"),
    [
        ("failed", False, "未达成"),
        ("closed", False, "已结束"),
        ("funded", False, "已成功"),
        ("published", True, "已过截止日期"),
    ],
)
def test_a_project_that_takes_no_more_pledges_explains_and_refuses(
    app: Flask,
    world: World,
    login: Login,
    foundation_name: str,
    status: str,
    deadline_passed: bool,
    reason: str,
) -> None:
    with app.app_context():
        # Set directly: these pages only read the state; the closing job has its own tests.
        values: dict[str, Any] = {"status": status}
        if deadline_passed:
            values["deadline"] = utcnow() - timedelta(hours=1)
        db.session.execute(update(Project).where(Project.id == world.published_id).values(**values))
        db.session.commit()
    company = login(world.company_email)
    page = company.get(f"/projects/{world.published_id}/pledge")
    assert page.status_code == 200
    assert reason in html(page) and "不接受认捐" in html(page)
    assert 'name="amount"' not in html(page)
    posted = company.post(
        f"/projects/{world.published_id}/pledge",
        data={"amount": "500", "method": "bank_transfer", "token": "a-token-that-looks-fine-123"},
    )
    assert posted.status_code == 409
    assert pledge_count(app) == 0
    assert "我要认捐" not in html(app.test_client().get(f"/projects/{world.published_id}"))


def test_a_draft_project_cannot_be_pledged_to(app: Flask, world: World, login: Login) -> None:
    company = login(world.company_email)
    assert company.get(f"/projects/{world.draft_id}/pledge").status_code == 404
    posted = company.post(
        f"/projects/{world.draft_id}/pledge",
        data={"amount": "500", "method": "bank_transfer", "token": "a-token-that-looks-fine-123"},
    )
    assert posted.status_code == 404
    assert pledge_count(app) == 0


def test_unverified_companies_org_members_and_staff_are_refused(
    app: Flask, world: World, login: Login, foundation_name: str
) -> None:
    with app.app_context():
        unverified = factories.company_member(verified=False).email
    data = {"amount": "500", "method": "bank_transfer", "token": "a-token-that-looks-fine-123"}
    pending_company = login(unverified)
    page = pending_company.get(f"/projects/{world.published_id}/pledge")
    assert page.status_code == 403
    assert "企业认证后才能认捐" in html(page) and "等待团区委认证" in html(page)
    assert pending_company.post(f"/projects/{world.published_id}/pledge", data=data).status_code == 403
    assert "通过团区委认证后即可认捐" in html(pending_company.get(f"/projects/{world.published_id}"))

    for email in (world.org_email, world.other_org_email, world.staff_email):
        client = login(email)
        refused = client.get(f"/projects/{world.published_id}/pledge")
        assert refused.status_code == 403
        assert "只有爱心企业账号可以认捐" in html(refused)
        assert client.post(f"/projects/{world.published_id}/pledge", data=data).status_code == 403
        assert "我要认捐" not in html(client.get(f"/projects/{world.published_id}"))
    assert pledge_count(app) == 0

    anonymous = app.test_client()
    response = anonymous.get(f"/projects/{world.published_id}/pledge")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "爱心企业登录后认捐" in html(anonymous.get(f"/projects/{world.published_id}"))


def test_submitting_the_same_form_twice_makes_one_pledge(
    app: Flask, world: World, login: Login, foundation_name: str
) -> None:
    company = login(world.company_email)
    token = token_of(html(company.get(f"/projects/{world.published_id}/pledge")))
    data = {"amount": "800", "method": "bank_transfer", "token": token}
    first = pledge_id_from(company.post(f"/projects/{world.published_id}/pledge", data=data))
    second = pledge_id_from(company.post(f"/projects/{world.published_id}/pledge", data=data))
    assert first == second
    assert pledge_count(app) == 1

    # The same form sent again with another amount is not silently a second pledge.
    changed = company.post(f"/projects/{world.published_id}/pledge", data={**data, "amount": "900"})
    assert changed.status_code == 409
    assert "这张表单已经提交过一笔认捐" in html(changed)
    assert token_of(html(changed)) != token
    assert pledge_count(app) == 1
    # A fresh form is a fresh pledge.
    pledge_id_from(submit_pledge(company, world.published_id, amount="900"))
    assert pledge_count(app) == 2


def test_a_pledge_form_without_its_token_is_not_accepted(
    app: Flask, world: World, login: Login, foundation_name: str
) -> None:
    company = login(world.company_email)
    response = company.post(
        f"/projects/{world.published_id}/pledge", data={"amount": "800", "method": "bank_transfer"}
    )
    assert response.status_code == 400
    assert "页面已过期" in html(response)
    assert pledge_count(app) == 0


def test_every_pledge_form_post_needs_the_csrf_token(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = factories.build_world()
        factories.foundation()
    client = app.test_client()
    login_page = html(client.get("/login"))
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    assert csrf
    client.post(
        "/login",
        data={"email": world.company_email, "password": factories.PASSWORD, "csrf_token": csrf.group(1)},
    )
    form = html(client.get(f"/projects/{world.published_id}/pledge"))
    data = {"amount": "800", "method": "bank_transfer", "token": token_of(form)}
    assert client.post(f"/projects/{world.published_id}/pledge", data=data).status_code == 400
    assert pledge_count(app) == 0
    csrf_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert csrf_token
    ok = client.post(
        f"/projects/{world.published_id}/pledge", data={**data, "csrf_token": csrf_token.group(1)}
    )
    assert ok.status_code == 303
    assert pledge_count(app) == 1


# ───────────── cancelling, refunds, disbursements ─────────────


def test_the_company_cancels_a_pending_pledge(app: Flask, world: World, login: Login) -> None:
    pledge_id = paid_pledge(app, world, 50_000, paid=False)
    organization = login(world.org_email)
    assert organization.post(f"/pledges/{pledge_id}/cancel").status_code == 403
    with app.app_context():
        stranger = factories.company_member().email
    assert login(stranger).post(f"/pledges/{pledge_id}/cancel").status_code == 404
    assert load_pledge(app, pledge_id).status == "pending"

    company = login(world.company_email)
    assert "取消认捐" in html(company.get(f"/pledges/{pledge_id}"))
    assert company.post(f"/pledges/{pledge_id}/cancel").status_code == 303
    assert load_pledge(app, pledge_id).status == "cancelled"
    page = html(company.get(f"/pledges/{pledge_id}"))
    assert "已取消" in page and "取消认捐" not in page
    again = company.post(f"/pledges/{pledge_id}/cancel")
    assert again.status_code == 409
    assert "只有待到账的认捐可以取消" in html(again)


def test_refunds_above_what_is_left_are_refused_then_partial_and_full_refunds_add_up(
    app: Flask, world: World, login: Login
) -> None:
    pledge_id = paid_pledge(app, world, 100_000)
    staff = login(world.staff_email)
    too_much = staff.post(f"/staff/pledges/{pledge_id}/refund", data={"amount": "1000.01"})
    assert too_much.status_code == 422
    assert "退款金额不能超过可退金额 ¥1,000" in html(too_much)
    assert load_pledge(app, pledge_id).refunded_amount == 0
    assert staff.post(f"/staff/pledges/{pledge_id}/refund", data={"amount": "-3"}).status_code == 422

    assert staff.post(f"/staff/pledges/{pledge_id}/refund", data={"amount": "300"}).status_code == 303
    pledge = load_pledge(app, pledge_id)
    assert (pledge.status, pledge.refunded_amount) == ("paid", 30_000)
    assert load_project(app, world.published_id).raised_amount == 70_000
    company = login(world.company_email)
    assert "部分退款" in html(company.get("/my/pledges"))
    receipt = html(company.get(f"/pledges/{pledge_id}/receipt"))
    assert "人民币柒佰元整" in receipt and "已退回 ¥300" in receipt

    # Empty amount: everything that is left.
    assert staff.post(f"/staff/pledges/{pledge_id}/refund", data={"amount": ""}).status_code == 303
    pledge = load_pledge(app, pledge_id)
    assert (pledge.status, pledge.refunded_amount) == ("refunded", 100_000)
    assert load_project(app, world.published_id).raised_amount == 0
    assert ledger(app, world.published_id) == [
        ("pledge_paid", 100_000),
        ("refund", -30_000),
        ("refund", -70_000),
    ]
    assert company.get(f"/pledges/{pledge_id}/receipt").status_code == 409
    again = staff.post(f"/staff/pledges/{pledge_id}/refund", data={"amount": ""})
    assert again.status_code == 409
    assert load_project(app, world.published_id).raised_amount == 0


def test_disbursements_never_exceed_what_is_available(app: Flask, world: World, login: Login) -> None:
    paid_pledge(app, world, 100_000)
    staff = login(world.staff_email)
    url = f"/staff/projects/{world.published_id}/disbursements"
    too_much = staff.post(url, data={"amount": "1000.01", "bank_reference": "DISB-1"})
    assert too_much.status_code == 422
    assert "拨付金额不能超过可拨付余额 ¥1,000" in html(too_much)
    missing = staff.post(url, data={"amount": "100", "bank_reference": ""})
    assert missing.status_code == 422 and "请填写银行流水号" in html(missing)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Disbursement)) == 0

    assert (
        staff.post(url, data={"amount": "600", "bank_reference": "DISB-1", "note": "首期"}).status_code == 303
    )
    project = load_project(app, world.published_id)
    assert (project.raised_amount, project.disbursed_amount) == (100_000, 60_000)
    duplicate = staff.post(url, data={"amount": "100", "bank_reference": "DISB-1"})
    assert duplicate.status_code == 409
    rest = staff.post(url, data={"amount": "400.01", "bank_reference": "DISB-2"})
    assert rest.status_code == 422 and "¥400" in html(rest)

    money = html(staff.get(f"/staff/projects/{world.published_id}/money"))
    assert "拨付给组织" in money and "DISB-1" in money
    public = html(app.test_client().get(f"/projects/{world.published_id}"))
    assert "已拨付给组织" in public and "¥600" in public
    assert ledger(app, world.published_id) == [("pledge_paid", 100_000), ("disbursement", 60_000)]


def test_flagged_pledges_are_listed_until_staff_clear_them(app: Flask, world: World, login: Login) -> None:
    pledge_id = paid_pledge(app, world, 20_000, paid=False)
    with app.app_context():
        pledges.flag_pledge(db.session.get(Pledge, pledge_id), "支付平台报告的金额与认捐不符")
        db.session.commit()
    staff = login(world.staff_email)
    assert "金额与认捐不符" in html(staff.get("/staff/pledges?tab=flagged"))
    assert "异常认捐" in html(staff.get("/dashboard"))
    assert staff.post(f"/staff/pledges/{pledge_id}/clear-flag", data={"origin": "queue"}).status_code == 303
    assert load_pledge(app, pledge_id).flag_reason is None
    assert "没有需要人工处理的异常认捐" in html(staff.get("/staff/pledges?tab=flagged"))


# ───────────── receiving entity: partner foundations and 公开募捐资格 ─────────────


FOUNDATION = {
    "name": "鹿城区青少年发展基金会",
    "uscc": "53330302MJ0000001X",
    "bank_name": "温州银行鹿城支行",
    "bank_account_name": "鹿城区青少年发展基金会",
    "bank_account_number": "7051 0001 2345 6789",
    "is_default": "y",
    "active": "y",
}


def test_foundations_and_qualification_decide_who_receives_the_money(
    app: Flask, world: World, login: Login
) -> None:
    staff = login(world.staff_email)
    company = login(world.company_email)
    project_url = f"/projects/{world.published_id}"
    assert "善款由" not in html(app.test_client().get(project_url))
    closed = company.get(f"{project_url}/pledge")
    assert "尚未设置收款机构" in html(closed) and 'name="amount"' not in html(closed)

    bad = staff.post("/staff/foundations/new", data={**FOUNDATION, "name": "", "bank_account_number": "12ab"})
    assert bad.status_code == 422
    assert "请填写基金会名称" in html(bad) and "银行账号应为 8 至 30 位数字" in html(bad)

    assert staff.post("/staff/foundations/new", data=FOUNDATION).status_code == 303
    assert "善款由 鹿城区青少年发展基金会 接收" in html(app.test_client().get(project_url))
    first = pledge_id_from(submit_pledge(company, world.published_id))
    assert load_pledge(app, first).payee_name == "鹿城区青少年发展基金会"

    other = {**FOUNDATION, "name": "温州市慈善总会", "bank_account_name": "温州市慈善总会", "is_default": ""}
    assert staff.post("/staff/foundations/new", data=other).status_code == 303
    with app.app_context():
        second_id = db.session.scalar(
            select(PartnerFoundation.id).where(PartnerFoundation.name == "温州市慈善总会")
        )
    listing = html(staff.get("/staff/foundations"))
    assert "温州市慈善总会" in listing and "默认" in listing
    edited = {**other, "bank_account_number": "7051000199998888"}
    assert staff.post(f"/staff/foundations/{second_id}/edit", data=edited).status_code == 303
    assert (
        staff.post(f"/staff/projects/{world.published_id}/foundation", data={"foundation_id": str(second_id)})
    ).status_code == 303
    assert "善款由 温州市慈善总会 接收" in html(app.test_client().get(project_url))
    second = pledge_id_from(submit_pledge(company, world.published_id))
    assert load_pledge(app, second).payee_account_number == "7051000199998888"
    assert "7051 0001 9999 8888" in html(company.get(f"/pledges/{second}"))

    # Qualification needs the organization's own account.
    fundraising = f"/staff/organizations/{world.organization_id}/fundraising"
    assert "登记公开募捐资格与收款账户" in html(staff.get(f"/organizations/{world.organization_id}"))
    refused = staff.post(fundraising, data={"qualified": "y"})
    assert refused.status_code == 422 and "请填写开户银行" in html(refused)
    with app.app_context():
        organization_name = db.session.get(Organization, world.organization_id).name
    assert f'value="{organization_name}"' in html(staff.get(fundraising))  # the account name, prefilled
    account = {
        "qualified": "y",
        "bank_name": "中国工商银行温州鹿城支行",
        "bank_account_name": organization_name,
        "bank_account_number": "1203 0201 0902 4800 123",
    }
    assert staff.post(fundraising, data=account).status_code == 303
    public = html(app.test_client().get(project_url))
    assert f"善款由 {organization_name} 接收" in public and "具有公开募捐资格" in public
    third = pledge_id_from(submit_pledge(company, world.published_id))
    pledge = load_pledge(app, third)
    assert (pledge.payee_kind, pledge.payee_name) == ("organization", organization_name)
    assert "1203 0201 0902 4800 123" in html(company.get(f"/pledges/{third}"))
    # Earlier pledges keep the account they were made to.
    assert load_pledge(app, first).payee_name == "鹿城区青少年发展基金会"

    assert staff.post(fundraising, data={**account, "qualified": ""}).status_code == 303
    assert "善款由 温州市慈善总会 接收" in html(app.test_client().get(project_url))


# ───────────── card payments, matching, lists and navigation ─────────────


def test_card_is_offered_only_when_stripe_is_configured(
    app: Flask, world: World, login: Login, foundation_name: str, make_app: Any
) -> None:
    company = login(world.company_email)
    form = html(company.get(f"/projects/{world.published_id}/pledge"))
    assert 'value="card"' not in form and "平台暂未开通在线支付" in form
    refused = submit_pledge(company, world.published_id, method="card")
    assert refused.status_code == 422
    assert "平台暂未开通在线支付，请选择对公转账或物资捐赠" in html(refused)
    assert pledge_count(app) == 0

    # A key is enough to offer the card; nothing is sent to Stripe before the checkout page.
    with_stripe = make_app(STRIPE_SECRET_KEY="sk_test_pages_0123456789", STRIPE_API_BASE="http://127.0.0.1:9")
    client = with_stripe.test_client()
    client.post("/login", data={"email": world.company_email, "password": factories.PASSWORD})
    form = html(client.get(f"/projects/{world.published_id}/pledge"))
    assert 'value="card"' in form
    response = client.post(
        f"/projects/{world.published_id}/pledge",
        data={"amount": "88", "method": "card", "token": token_of(form)},
    )
    assert response.status_code == 303
    pledge_id = int(re.search(r"/pledges/(\d+)/checkout$", response.headers["Location"]).group(1))  # type: ignore[union-attr]
    assert load_pledge(app, pledge_id).method == "card"


def test_matching_funds_show_on_the_project_page(app: Flask, world: World, login: Login) -> None:
    with app.app_context():
        sponsor = factories.company_member()
        pledges.open_matching_pool(
            sponsor,
            pledges.PoolInput(
                name="99公益日配捐",
                budget=1_000_000,
                ratio_bp=10_000,
                starts_at=utcnow() - timedelta(days=1),
                ends_at=utcnow() + timedelta(days=10),
            ),
        )
        db.session.commit()
    pledge_id = paid_pledge(app, world, 50_000)
    project = load_project(app, world.published_id)
    assert (project.raised_amount, project.matched_amount) == (100_000, 50_000)
    page = html(app.test_client().get(f"/projects/{world.published_id}"))
    assert "含配捐 ¥500" in page and "¥1,000" in page
    company = login(world.company_email)
    assert "配捐" in html(company.get(f"/pledges/{pledge_id}"))


def test_every_member_of_the_company_sees_its_pledges_newest_first(
    app: Flask, world: World, login: Login
) -> None:
    older = paid_pledge(app, world, 10_000)
    newer = paid_pledge(app, world, 20_000, paid=False)
    with app.app_context():
        company = db.session.get(Company, world.company_id)
        colleague = accounts.add_member(
            company,
            accounts.AccountInput(email="colleague@example.cn", password=factories.PASSWORD, name="同事"),
            actor_id=company.members[0].id,
        )
        db.session.commit()
        colleague_email = colleague.email
    page = html(login(colleague_email).get("/my/pledges"))
    assert page.index(f"/pledges/{newer}") < page.index(f"/pledges/{older}")
    assert "累计捐赠" in page and "¥100" in page
    assert "待到账" in page
    assert login(world.org_email).get("/my/pledges").status_code == 403
    dashboard = html(login(colleague_email).get("/dashboard"))
    assert "我的认捐" in dashboard and "/my/pledges" in dashboard


def test_navigation_links_for_each_role(app: Flask, world: World, login: Login) -> None:
    anonymous = html(app.test_client().get("/"))
    assert "配捐" in anonymous and "/my/pledges" not in anonymous and "nav-bell" not in anonymous
    company = html(login(world.company_email).get("/"))
    assert "/my/pledges" in company and "nav-bell" in company and "/staff/pledges" not in company
    staff = html(login(world.staff_email).get("/"))
    assert "/staff/pledges" in staff and "/staff/foundations" in staff and "/my/pledges" not in staff
    staff_project = html(login(world.staff_email).get(f"/projects/{world.published_id}"))
    assert f"/staff/projects/{world.published_id}/money" in staff_project


def test_staff_refund_a_card_pledge_through_the_gateway(app: Flask, world: World, make_app: Any) -> None:
    from marketplace.payments.checkout import checkout_url_for
    from tests.fakestripe import FakeStripe

    with FakeStripe() as fake:
        stripe_app = make_app(STRIPE_SECRET_KEY="sk_test_pages_refund_0123", STRIPE_API_BASE=fake.api_base)
        with stripe_app.app_context():
            factories.foundation()
            company_user = db.session.scalar(select(User).where(User.email == world.company_email))
            project = db.session.get(Project, world.published_id)
            pledge = pledges.create_pledge(
                project,
                company_user,
                pledges.PledgeRequest(amount=50_000, method="card"),
                idempotency_key="pages-card-refund",
                card_enabled=True,
            )
            db.session.flush()
            with stripe_app.test_request_context():
                checkout_url_for(pledge)
            session_id = pledge.checkout_session_id
            db.session.commit()
            intent = fake.complete_session(session_id)["payment_intent"]
            assert (
                pledges.mark_card_paid(
                    pledge, amount=50_000, currency="cny", payment_intent_id=intent, source="test"
                )
                == "applied"
            )
            db.session.commit()
            pledge_id = pledge.id

        staff = stripe_app.test_client()
        staff.post("/login", data={"email": world.staff_email, "password": factories.PASSWORD})
        page = html(staff.get(f"/pledges/{pledge_id}"))
        assert "原路退回银行卡" in page and "确认到账（工作人员）" not in page

        # Stripe refuses the call: nothing is recorded, staff are told to try again.
        fake.fail_next("/v1/refunds", status=400)
        failed = staff.post(f"/staff/pledges/{pledge_id}/refund", data={"amount": "120"})
        assert failed.status_code == 502
        assert "支付平台暂时无法处理退款" in html(failed)
        assert load_pledge(stripe_app, pledge_id).refunded_amount == 0

        done = staff.post(f"/staff/pledges/{pledge_id}/refund", data={"amount": "120"})
        assert done.status_code == 303
        assert load_pledge(stripe_app, pledge_id).refunded_amount == 12_000
        assert fake.charge_for(intent)["amount_refunded"] == 12_000  # type: ignore[index]
        assert [r.idempotency_key for r in fake.requests if r.path == "/v1/refunds" and r.status == 200] == [
            f"pledge-{pledge_id}-refund-to-12000"
        ]
        assert load_project(stripe_app, world.published_id).raised_amount == 38_000
