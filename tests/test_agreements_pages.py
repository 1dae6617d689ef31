"""Partnership agreement pages: staff draft an agreement from an introduction, the parties negotiate
(a change request with its reason in the thread, a second version, the diff), each side's signer
reads the summary and signs the exact hash, the agreement takes effect with its scheduled pledges;
termination needs a reason, staff watch what expires, and a non-party never sees any of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements.models import Agreement, AgreementSignature, AgreementVersion
from marketplace.agreements.terms import Terms, Tranche
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.parties.models import Company
from marketplace.pledges.models import LedgerEntry, Pledge
from marketplace.timeutil import local_today
from tests import factories
from tests.pages import html, login, text

TODAY = local_today()


@dataclass(frozen=True)
class Cast:
    staff: str
    org: str  # 鹿城区助老服务中心, owns the project
    org_colleague: str
    company: str  # 温州瓯江鞋业有限公司
    company_colleague: str
    company_colleague_id: int
    outsider: str  # a member of another organization
    company_id: int
    organization_id: int
    project_id: int
    introduction_id: int


@pytest.fixture
def cast(app: Flask) -> Cast:
    with app.app_context():
        factories.foundation()
        staff = factories.staff()
        org = factories.org_member(name="鹿城区助老服务中心")
        company = factories.company_member(name="温州瓯江鞋业有限公司")
        project = factories.project(org, status="published", reviewer=staff, title="长者助餐")
        introduction = matching.send_introduction(
            staff, db.session.get(Company, company.company_id), project, "双方都关注助老"
        )
        org_colleague = _colleague(org, "org")
        company_colleague = _colleague(company, "company")
        db.session.commit()
        return Cast(
            staff=staff.email,
            org=org.email,
            org_colleague=org_colleague.email,
            company=company.email,
            company_colleague=company_colleague.email,
            company_colleague_id=company_colleague.id,
            outsider=factories.org_member().email,
            company_id=company.company_id,
            organization_id=org.organization_id,
            project_id=project.id,
            introduction_id=introduction.id,
        )


def _colleague(member: User, kind: str) -> User:
    from marketplace.accounts import operations as accounts

    colleague = accounts.add_member(
        member.organization or member.company,
        accounts.AccountInput(
            email=f"colleague-{kind}-{member.id}@example.cn",
            password=factories.PASSWORD,
            name=f"同事{member.id}",
        ),
        actor_id=member.id,
    )
    db.session.flush()
    return colleague


def field_errors(page: str, field_id: str) -> str:
    """The error list rendered under the input with this id."""
    found = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}-error">(.*?)</ul>', page, re.S)
    assert found is not None, f"no errors shown under #{field_id}"
    return re.sub(r"<[^>]+>", "", found.group(1))


def terms_form(**overrides: str) -> dict[str, str]:
    data = {
        "scope": "共同开展社区长者助餐服务",
        "obligations_company": "按拨付计划出资，并组织员工志愿服务",
        "obligations_organization": "执行助餐服务并每季度公示资金使用情况",
        "committed_amount": "30,000",
        "tranches-0-due_on": (TODAY + timedelta(days=10)).isoformat(),
        "tranches-0-amount": "10000",
        "tranches-0-note": "首期",
        "tranches-1-due_on": (TODAY + timedelta(days=100)).isoformat(),
        "tranches-1-amount": "20000",
        "volunteers": "200",
        "kpis": "全年助餐不少于 2000 人次\n\n每季度公示一次",
        "dispute": "协商不成的，提交鹿城区人民法院诉讼解决",
        "extra": "本协议一式三份",
    }
    data.update(overrides)
    return data


def agreement_form(cast: Cast, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "温州瓯江鞋业有限公司 × 鹿城区助老服务中心 战略合作协议",
        "company_id": cast.company_id,
        "organization_id": cast.organization_id,
        "project_ids": [cast.project_id],
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + timedelta(days=364)).isoformat(),
        "renewal_notice_days": "30",
        "introduction_id": cast.introduction_id,
    }
    data.update(overrides)
    return data


def only_agreement(app: Flask) -> Agreement:
    with app.app_context():
        found = db.session.scalars(select(Agreement)).all()
        assert len(found) == 1
        db.session.expunge(found[0])
        return found[0]


def versions(app: Flask, agreement_id: int) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [
            (version.version_no, version.status, version.content_sha256)
            for version in db.session.scalars(
                select(AgreementVersion)
                .where(AgreementVersion.agreement_id == agreement_id)
                .order_by(AgreementVersion.version_no)
            )
        ]


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def drafted(app: Flask, cast: Cast) -> tuple[FlaskClient, int]:
    """Staff create the agreement from the introduction and save a first version (30,000 in two tranches)."""
    staff = login(app, cast.staff)
    created = staff.post("/agreements/new", data=agreement_form(cast))
    assert created.status_code == 303, text(created)
    agreement_id = int(re.search(r"/agreements/(\d+)/versions/new$", created.headers["Location"]).group(1))
    saved = staff.post(f"/agreements/{agreement_id}/versions/new", data=terms_form())
    assert saved.status_code == 303, text(saved)
    return staff, agreement_id


def propose(client: FlaskClient, agreement_id: int, version_id: int) -> Any:
    return client.post(
        f"/agreements/{agreement_id}/transitions", data={"action": "propose", "version_id": version_id}
    )


def sign(client: FlaskClient, agreement_id: int, version_id: int, sha: str, agree: bool = True) -> Any:
    data = {"content_sha256": sha}
    if agree:
        data["agree"] = "y"
    return client.post(f"/agreements/{agreement_id}/versions/{version_id}/sign", data=data)


def version_id(app: Flask, agreement_id: int, number: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(AgreementVersion.id).where(
                AgreementVersion.agreement_id == agreement_id, AgreementVersion.version_no == number
            )
        )


def active_agreement(
    cast: Cast, *, title: str = "助老战略合作协议", ends_in: int = 364, committed: int | None = 3_000_000
) -> int:
    """Inside an app context: an agreement signed by both sides through the operations."""
    staff, org, company = (
        db.session.scalar(select(User).where(User.email == email))
        for email in (cast.staff, cast.org, cast.company)
    )
    starts = TODAY - timedelta(days=300) if ends_in < 60 else TODAY
    agreement = ops.create_agreement(
        staff,
        ops.AgreementInput(
            title=title,
            company_id=cast.company_id,
            organization_id=cast.organization_id,
            project_ids=[cast.project_id],
            starts_on=starts,
            ends_on=TODAY + timedelta(days=ends_in),
        ),
    )
    tranches = (Tranche(TODAY + timedelta(days=5), committed),) if committed else ()
    version = ops.add_version(
        agreement,
        staff,
        ops.VersionInput(
            terms=Terms(scope="助老服务", obligations_company="出资", obligations_organization="执行"),
            committed_amount=committed,
            tranches=tranches,
        ),
    )
    ops.propose(agreement, staff, version_id=version.id)
    for signer in (company, org):
        ops.sign(agreement, signer, version_id=version.id, content_sha256=version.content_sha256)
    db.session.commit()
    return agreement.id


# ───────────── drafting from an introduction ─────────────


def test_staff_draft_an_agreement_from_an_introduction(app: Flask, cast: Cast) -> None:
    staff = login(app, cast.staff)
    intro_page = html(staff.get(f"/staff/introductions/{cast.introduction_id}"))
    assert f'href="/agreements/new?introduction={cast.introduction_id}"' in intro_page
    assert "起草合作协议" in intro_page

    form = staff.get(f"/agreements/new?introduction={cast.introduction_id}")
    page = html(form)
    assert form.status_code == 200
    assert 'value="温州瓯江鞋业有限公司 × 鹿城区助老服务中心 战略合作协议"' in page
    assert f'<option selected value="{cast.company_id}">' in page
    assert f'<option selected value="{cast.organization_id}">' in page
    assert re.search(rf'value="{cast.project_id}" checked', page)
    assert f'name="introduction_id" type="hidden" value="{cast.introduction_id}"' in page

    created = staff.post("/agreements/new", data=agreement_form(cast))
    assert created.status_code == 303
    assert created.headers["Location"].endswith("/versions/new")
    agreement = only_agreement(app)
    assert agreement.introduction_id == cast.introduction_id
    assert agreement.status == "draft"
    with app.app_context():
        agreement = db.session.get(Agreement, agreement.id)
        assert agreement.broker.email == cast.staff
        assert agreement.project_ids == [cast.project_id]
    drafting = staff.get(created.headers["Location"])
    assert "协议已创建，请起草第 1 版条款" in text(drafting)


def test_a_bad_agreement_form_shows_the_reasons_and_creates_nothing(app: Flask, cast: Cast) -> None:
    staff = login(app, cast.staff)
    response = staff.post(
        "/agreements/new",
        data=agreement_form(cast, title="", ends_on=TODAY.isoformat(), renewal_notice_days="三十"),
    )
    assert response.status_code == 422
    page = html(response)
    assert "请填写协议名称" in field_errors(page, "title")
    assert "结束日期必须晚于开始日期" in field_errors(page, "ends_on")
    assert "续约提醒天数须为不小于 0 的整数" in field_errors(page, "renewal_notice_days")
    assert count(app, Agreement) == 0
    bad_date = staff.post("/agreements/new", data=agreement_form(cast, starts_on="2026/01/01"))
    assert bad_date.status_code == 422
    assert "日期格式应为 YYYY-MM-DD" in field_errors(html(bad_date), "starts_on")
    assert count(app, Agreement) == 0


def test_a_company_member_proposes_an_agreement_for_its_own_company_only(app: Flask, cast: Cast) -> None:
    company = login(app, cast.company)
    page = html(company.get("/agreements/new"))
    assert f'<option selected value="{cast.company_id}">温州瓯江鞋业有限公司</option>' in page
    assert page.count('name="company_id"') == 1
    with app.app_context():
        other = factories.company_member()
        other_company_id = other.company_id
    refused = company.post(
        "/agreements/new", data=agreement_form(cast, company_id=other_company_id, introduction_id="")
    )
    assert refused.status_code == 403
    assert count(app, Agreement) == 0
    made = company.post("/agreements/new", data=agreement_form(cast, introduction_id=""))
    assert made.status_code == 303
    assert only_agreement(app).broker_id is None


def test_staff_take_over_as_witness_of_an_agreement_a_party_started(app: Flask, cast: Cast) -> None:
    company = login(app, cast.company)
    assert company.post("/agreements/new", data=agreement_form(cast, introduction_id="")).status_code == 303
    agreement_id = only_agreement(app).id
    assert "由我担任见证方" not in html(company.get(f"/agreements/{agreement_id}"))
    assert company.post(f"/agreements/{agreement_id}/broker").status_code == 403
    staff = login(app, cast.staff)
    assert "由我担任见证方" in html(staff.get(f"/agreements/{agreement_id}"))
    taken = staff.post(f"/agreements/{agreement_id}/broker")
    assert taken.status_code == 303
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        staff_id = db.session.scalar(select(User.id).where(User.email == cast.staff))
        assert agreement.broker_id == staff_id
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "agreement.broker_set")
            )
            == 1
        )
    page = html(staff.get(f"/agreements/{agreement_id}"))
    assert "由我担任见证方" not in page and "您已担任该协议的见证方" in page


# ───────────── the terms form ─────────────


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"scope": ""}, "scope", "请写明合作范围"),
        ({"obligations_company": " "}, "obligations_company", "请写明企业一方的义务"),
        ({"tranches-1-amount": "两万"}, "tranches-1-amount", "金额必须是数字"),
        ({"tranches-1-amount": "19999.99"}, "tranches", "与承诺资助总额 ¥30,000 不一致"),
        (
            {"tranches-1-due_on": (TODAY + timedelta(days=400)).isoformat()},
            "tranches-1-due_on",
            "拨付日期须在协议期限内",
        ),
        ({"tranches-1-due_on": "明年"}, "tranches-1-due_on", "日期格式应为 YYYY-MM-DD"),
        ({"committed_amount": "0"}, "committed_amount", "承诺资助总额必须大于 0"),
        ({"committed_amount": "30000.001"}, "committed_amount", "金额最多保留两位小数"),
        ({"volunteers": "很多"}, "volunteers", "志愿者人次请填写整数"),
        (
            {"committed_amount": "", "tranches-0-amount": "", "tranches-0-due_on": "", "tranches-0-note": ""},
            "committed_amount",
            "填写了拨付计划，请同时填写承诺资助总额",
        ),
    ],
)
def test_bad_terms_are_shown_next_to_their_field_and_nothing_is_saved(
    app: Flask, cast: Cast, overrides: dict[str, str], field_id: str, message: str
) -> None:
    staff = login(app, cast.staff)
    created = staff.post("/agreements/new", data=agreement_form(cast))
    agreement_id = only_agreement(app).id
    events = count(app, AuditEvent)
    response = staff.post(created.headers["Location"], data=terms_form(**overrides))
    assert response.status_code == 422
    page = html(response)
    assert message in field_errors(page, field_id)
    assert "提交的内容有" in page  # the summary at the top lists it too
    assert versions(app, agreement_id) == []
    assert count(app, AuditEvent) == events
    assert only_agreement(app).status == "draft"
    # What was typed comes back, so nothing has to be typed again.
    assert "执行助餐服务并每季度公示资金使用情况" in page


def test_a_tranche_error_on_a_later_row_lands_on_that_row(app: Flask, cast: Cast) -> None:
    """Blank rows are skipped, so the operation's tranches[1] is the form's row 3 here."""
    staff = login(app, cast.staff)
    created = staff.post("/agreements/new", data=agreement_form(cast))
    data = terms_form()
    data.pop("tranches-1-due_on")
    data.pop("tranches-1-amount")
    data["tranches-3-due_on"] = (TODAY + timedelta(days=500)).isoformat()
    data["tranches-3-amount"] = "20000"
    response = staff.post(created.headers["Location"], data=data)
    assert response.status_code == 422
    assert "拨付日期须在协议期限内" in field_errors(html(response), "tranches-3-due_on")


def test_several_projects_ask_for_the_project_of_each_tranche(app: Flask, cast: Cast) -> None:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == cast.org))
        reviewer = db.session.scalar(select(User).where(User.email == cast.staff))
        second = factories.project(owner, status="published", reviewer=reviewer, title="独居老人探访").id
    staff = login(app, cast.staff)
    created = staff.post("/agreements/new", data=agreement_form(cast, project_ids=[cast.project_id, second]))
    form = staff.get(created.headers["Location"])
    assert 'name="tranches-0-project_id"' in html(form)
    missing = staff.post(
        created.headers["Location"], data=terms_form(**{"tranches-0-project_id": str(second)})
    )
    assert missing.status_code == 422
    assert "请为每一期指定资助的项目" in field_errors(html(missing), "tranches-1-project_id")
    saved = staff.post(
        created.headers["Location"],
        data=terms_form(
            **{"tranches-0-project_id": str(second), "tranches-1-project_id": str(cast.project_id)}
        ),
    )
    assert saved.status_code == 303


# ───────────── negotiation ─────────────


def test_negotiation_change_request_second_version_and_diff(app: Flask, cast: Cast) -> None:
    staff, agreement_id = drafted(app, cast)
    first = version_id(app, agreement_id, 1)
    detail = text(staff.get(f"/agreements/{agreement_id}"))
    assert "草拟中的版本：第 1 版" in detail and "提交第 1 版签署" in detail

    assert propose(staff, agreement_id, first).status_code == 303
    assert only_agreement(app).status == "pending_signature"

    company = login(app, cast.company)
    no_reason = company.post(
        f"/agreements/{agreement_id}/transitions", data={"action": "request_changes", "version_id": first}
    )
    assert no_reason.status_code == 422
    assert "请说明需要修改的内容" in field_errors(html(no_reason), "reason-request_changes")
    assert only_agreement(app).status == "pending_signature"

    asked = company.post(
        f"/agreements/{agreement_id}/transitions",
        data={"action": "request_changes", "version_id": first, "reason": "首期请改到下月，金额改为一万五"},
    )
    assert asked.status_code == 303
    assert only_agreement(app).status == "negotiating"
    assert versions(app, agreement_id)[0][1] == "withdrawn"
    thread = text(company.get(f"/agreements/{agreement_id}"))
    assert "要求修改：首期请改到下月，金额改为一万五" in thread
    assert "（温州瓯江鞋业有限公司）" in thread

    comment = company.post(
        f"/agreements/{agreement_id}/comments", data={"body": "其他条款没有意见", "version_id": first}
    )
    assert comment.status_code == 303
    assert "其他条款没有意见" in text(company.get(f"/agreements/{agreement_id}"))
    empty = company.post(f"/agreements/{agreement_id}/comments", data={"body": " "})
    assert empty.status_code == 422 and "请填写留言内容" in field_errors(html(empty), "body")

    # The new round starts from the terms that were sent back.
    form = html(staff.get(f"/agreements/{agreement_id}/versions/new"))
    assert "共同开展社区长者助餐服务" in form
    assert 'value="10000"' in form and 'value="首期"' in form
    second = staff.post(
        f"/agreements/{agreement_id}/versions/new",
        data=terms_form(
            **{
                "scope": "共同开展社区长者助餐与探访服务",
                "tranches-0-amount": "15000",
                "tranches-0-due_on": (TODAY + timedelta(days=40)).isoformat(),
                "tranches-1-amount": "15000",
            }
        ),
    )
    assert second.status_code == 303
    numbers = versions(app, agreement_id)
    assert [(no, status) for no, status, _ in numbers] == [(1, "withdrawn"), (2, "draft")]
    assert numbers[0][2] != numbers[1][2]

    diff = staff.get(f"/agreements/{agreement_id}/diff")
    page = html(diff)
    assert diff.status_code == 200
    assert "第 1 版 → 第 2 版" in text(diff)
    assert '<tr class="diff-changed" data-key="terms.scope">' in page
    assert '<td class="diff-new">共同开展社区长者助餐<ins>与探访</ins>服务</td>' in page
    assert '<tr class="diff-changed" data-key="tranches">' in page
    tranche_row = re.search(r'data-key="tranches">(.*?)</tr>', page, re.S).group(1)
    assert "<del>" in tranche_row and "<ins>" in tranche_row
    assert '<tr class="diff-same" data-key="terms.dispute">' in page
    changed_only = html(staff.get(f"/agreements/{agreement_id}/diff?changed=1"))
    assert 'data-key="tranches"' in changed_only and 'data-key="terms.dispute"' not in changed_only
    assert 'id="diff-changed" name="changed" value="1" checked' in changed_only


def test_only_a_draft_can_be_edited_and_a_draft_can_be_withdrawn(app: Flask, cast: Cast) -> None:
    staff, agreement_id = drafted(app, cast)
    first = version_id(app, agreement_id, 1)
    edited = staff.post(
        f"/agreements/{agreement_id}/versions/{first}/edit",
        data=terms_form(scope="共同开展社区长者助餐与探访"),
    )
    assert edited.status_code == 303
    assert "共同开展社区长者助餐与探访" in text(staff.get(f"/agreements/{agreement_id}/versions/{first}"))
    propose(staff, agreement_id, first)
    sha = versions(app, agreement_id)[0][2]
    locked = staff.post(f"/agreements/{agreement_id}/versions/{first}/edit", data=terms_form(scope="改一改"))
    assert locked.status_code == 409
    assert "条款不可再改" in text(locked)
    assert versions(app, agreement_id)[0][2] == sha
    redirected = staff.get(f"/agreements/{agreement_id}/versions/{first}/edit")
    assert redirected.status_code == 302 and redirected.headers["Location"].endswith(f"/versions/{first}")


def test_a_draft_nobody_wants_is_withdrawn(app: Flask, cast: Cast) -> None:
    staff, agreement_id = drafted(app, cast)
    first = version_id(app, agreement_id, 1)
    response = staff.post(f"/agreements/{agreement_id}/versions/{first}/discard")
    assert response.status_code == 303
    assert versions(app, agreement_id)[0][1] == "withdrawn"
    assert "起草新版本" in text(staff.get(f"/agreements/{agreement_id}"))


# ───────────── signing ─────────────


def test_signing_shows_what_is_signed_and_both_signatures_activate_with_pledges(
    app: Flask, cast: Cast
) -> None:
    staff, agreement_id = drafted(app, cast)
    first = version_id(app, agreement_id, 1)
    propose(staff, agreement_id, first)
    sha = versions(app, agreement_id)[0][2]

    org = login(app, cast.org)
    listed = text(org.get("/agreements"))
    assert "待我签署" in listed and "核对并签署" in listed
    assert "待签署的协议" in text(org.get("/dashboard"))

    company = login(app, cast.company)
    summary = company.get(f"/agreements/{agreement_id}/versions/{first}/sign")
    page, words = html(summary), text(summary)
    assert summary.status_code == 200
    for expected in (
        "温州瓯江鞋业有限公司",
        "鹿城区助老服务中心",
        "¥30,000",
        "¥10,000",
        "¥20,000",
        (TODAY + timedelta(days=10)).isoformat(),
        (TODAY + timedelta(days=364)).isoformat(),
        "按拨付计划出资，并组织员工志愿服务",
        "执行助餐服务并每季度公示资金使用情况",
        "长者助餐",
        "我已阅读并同意以上条款",
        "代表「温州瓯江鞋业有限公司」签署第 1 版",
    ):
        assert expected in words, expected
    assert sha in page
    assert f'name="content_sha256" type="hidden" value="{sha}"' in page

    unticked = sign(company, agreement_id, first, sha, agree=False)
    assert unticked.status_code == 422
    assert "请先阅读条款并勾选" in field_errors(html(unticked), "agree")
    changed = sign(company, agreement_id, first, "0" * 64)
    assert changed.status_code == 409
    assert "您确认的内容哈希与第 1 版不一致" in text(changed)
    # The page offers the version's own hash again, to be read and confirmed afresh.
    assert f'name="content_sha256" type="hidden" value="{sha}"' in html(changed)
    assert count(app, AgreementSignature) == 0

    assert sign(company, agreement_id, first, sha).status_code == 303
    assert only_agreement(app).status == "pending_signature"
    twice = company.get(f"/agreements/{agreement_id}/versions/{first}/sign")
    assert "已对这一版作出签署决定" in text(twice)

    signed = sign(org, agreement_id, first, sha)
    assert signed.status_code == 303
    assert only_agreement(app).status == "active"
    detail = org.get(signed.headers["Location"])
    words = text(detail)
    assert "各方均已签署第 1 版，协议已生效" in words
    assert "生效版本：第 1 版" in words
    assert "待我签署" not in text(org.get("/agreements"))
    with app.app_context():
        pledges = db.session.scalars(
            select(Pledge).where(Pledge.agreement_id == agreement_id).order_by(Pledge.due_on)
        ).all()
        assert [(p.amount, p.status, p.project_id) for p in pledges] == [
            (1_000_000, "pending", cast.project_id),
            (2_000_000, "pending", cast.project_id),
        ]
        pledge_ids = [p.id for p in pledges]
    for pledge_id in pledge_ids:
        assert f'href="/pledges/{pledge_id}"' in html(detail)
    assert "承诺资助 ¥30,000" in words and "已到账 ¥0" in words and "待到账 ¥30,000" in words
    assert (TODAY + timedelta(days=100)).isoformat() in words
    # Staff see where each signature came from; the parties do not.
    assert "IP " not in words
    assert "IP 127.0.0.1" in text(staff.get(f"/agreements/{agreement_id}"))

    printable = text(org.get(f"/agreements/{agreement_id}/versions/{first}"))
    assert sha in printable and "下载 PDF" in printable
    assert "统一社会信用代码" in printable and "见证方" in printable
    assert printable.count(sha) >= 3  # the document's hash and the hash each signature bound


def test_a_named_signer_is_the_only_one_who_signs_for_the_party(app: Flask, cast: Cast) -> None:
    staff, agreement_id = drafted(app, cast)
    with app.app_context():
        party_id = only_agreement(app).id and db.session.scalar(
            select(ops.AgreementParty.id).where(
                ops.AgreementParty.agreement_id == agreement_id, ops.AgreementParty.role == "company"
            )
        )
    company = login(app, cast.company)
    named = company.post(
        f"/agreements/{agreement_id}/parties/{party_id}/signer",
        data={"company-signer_id": cast.company_colleague_id, "company-signer_title": "总经理"},
    )
    assert named.status_code == 303
    assert re.search(r"授权签署人：\s*同事\d+\s*（总经理）", text(company.get(f"/agreements/{agreement_id}")))
    org = login(app, cast.org)
    not_theirs = org.post(
        f"/agreements/{agreement_id}/parties/{party_id}/signer", data={"company-signer_id": ""}
    )
    assert not_theirs.status_code == 403
    first = version_id(app, agreement_id, 1)
    propose(staff, agreement_id, first)
    sha = versions(app, agreement_id)[0][2]
    assert "只有各方的授权签署人可以签署" in text(
        company.get(f"/agreements/{agreement_id}/versions/{first}/sign")
    )
    assert sign(company, agreement_id, first, sha).status_code == 403
    colleague = login(app, cast.company_colleague)
    assert sign(colleague, agreement_id, first, sha).status_code == 303
    assert "总经理" in text(colleague.get(f"/agreements/{agreement_id}/versions/{first}"))


def test_staff_witness_but_do_not_sign(app: Flask, cast: Cast) -> None:
    staff, agreement_id = drafted(app, cast)
    first = version_id(app, agreement_id, 1)
    propose(staff, agreement_id, first)
    sha = versions(app, agreement_id)[0][2]
    assert "团区委是见证方，不签署协议" in text(
        staff.get(f"/agreements/{agreement_id}/versions/{first}/sign")
    )
    assert sign(staff, agreement_id, first, sha).status_code == 403
    assert count(app, AgreementSignature) == 0


def test_an_amendment_starts_from_the_terms_in_force(app: Flask, cast: Cast) -> None:
    with app.app_context():
        agreement_id = active_agreement(cast)
    company = login(app, cast.company)
    form = company.get(f"/agreements/{agreement_id}/versions/new")
    page = html(form)
    assert "起草补充修订或续签" in text(form)
    assert 'value="30000"' in page and "助老服务" in page
    assert f'name="ends_on" type="date" value="{(TODAY + timedelta(days=364)).isoformat()}"' in page
    renewed = company.post(
        f"/agreements/{agreement_id}/versions/new",
        data={
            "scope": "助老服务与探访",
            "obligations_company": "出资",
            "obligations_organization": "执行",
            "committed_amount": "30000",
            "tranches-0-due_on": (TODAY + timedelta(days=5)).isoformat(),
            "tranches-0-amount": "30000",
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + timedelta(days=700)).isoformat(),
            "renewal_notice_days": "30",
        },
    )
    assert renewed.status_code == 303
    assert [status for _, status, _ in versions(app, agreement_id)] == ["signed", "draft"]
    detail = text(company.get(f"/agreements/{agreement_id}"))
    assert "续签" in detail and only_agreement(app).status == "active"


# ───────────── ending ─────────────


def test_terminating_needs_a_reason(app: Flask, cast: Cast) -> None:
    with app.app_context():
        agreement_id = active_agreement(cast)
    org = login(app, cast.org)
    detail = text(org.get(f"/agreements/{agreement_id}"))
    assert "终止协议" in detail and "取消协议" not in detail
    refused = org.post(
        f"/agreements/{agreement_id}/transitions", data={"action": "terminate", "reason": "  "}
    )
    assert refused.status_code == 422
    assert "终止协议必须填写理由" in field_errors(html(refused), "reason-terminate")
    assert only_agreement(app).status == "active"
    done = org.post(
        f"/agreements/{agreement_id}/transitions", data={"action": "terminate", "reason": "项目提前结束"}
    )
    assert done.status_code == 303
    assert only_agreement(app).status == "terminated"
    page = text(org.get(done.headers["Location"]))
    assert "协议已终止" in page and "项目提前结束" in page
    with app.app_context():
        assert {
            p.status for p in db.session.scalars(select(Pledge).where(Pledge.agreement_id == agreement_id))
        } == {"cancelled"}
    late = org.post(
        f"/agreements/{agreement_id}/transitions", data={"action": "cancel", "reason": "再取消一次"}
    )
    assert late.status_code == 409
    assert "不能执行「取消协议」" in text(late)


# ───────────── staff: expiring soon ─────────────


def test_staff_see_agreements_expiring_within_30_days(app: Flask, cast: Cast) -> None:
    with app.app_context():
        soon = active_agreement(cast, title="即将到期的协议", ends_in=10, committed=None)
        active_agreement(cast, title="还早的协议", ends_in=200, committed=None)
    staff = login(app, cast.staff)
    page = staff.get("/staff/agreements/expiring")
    words = text(page)
    assert page.status_code == 200
    assert "即将到期的协议" in words and "还早的协议" not in words
    assert "10 天" in words and (TODAY + timedelta(days=10)).isoformat() in words
    assert f'href="/agreements/{soon}"' in html(page)
    assert "30 天内到期的协议" in text(staff.get("/dashboard")) and "即将到期的协议" in text(
        staff.get("/dashboard")
    )
    assert login(app, cast.company).get("/staff/agreements/expiring").status_code == 403


# ───────────── who sees what ─────────────


def test_a_non_party_gets_404_and_anonymous_visitors_log_in(app: Flask, cast: Cast) -> None:
    _, agreement_id = drafted(app, cast)
    first = version_id(app, agreement_id, 1)
    outsider = login(app, cast.outsider)
    for path in (
        f"/agreements/{agreement_id}",
        f"/agreements/{agreement_id}/versions/{first}",
        f"/agreements/{agreement_id}/versions/{first}/sign",
        f"/agreements/{agreement_id}/versions/{first}/edit",
        f"/agreements/{agreement_id}/diff",
        f"/agreements/{agreement_id}/versions/new",
    ):
        assert outsider.get(path).status_code == 404, path
        anonymous = app.test_client().get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"], path
    posted = outsider.post(
        f"/agreements/{agreement_id}/transitions", data={"action": "cancel", "reason": "不想要了"}
    )
    assert posted.status_code == 404
    assert only_agreement(app).status == "negotiating"
    assert "鹿城区助老服务中心" not in text(outsider.get("/agreements"))
    assert only_agreement(app).title not in text(outsider.get(f"/agreements/{agreement_id + 1000}"))


def test_the_list_filters_by_status_and_text(app: Flask, cast: Cast) -> None:
    with app.app_context():
        active_agreement(cast, title="助老战略合作协议")
    staff, _ = drafted(app, cast)
    everything = text(staff.get("/agreements"))
    assert (
        "助老战略合作协议" in everything
        and "温州瓯江鞋业有限公司 × 鹿城区助老服务中心 战略合作协议" in everything
    )
    assert "生效中" in everything and "协商中" in everything
    assert "¥30,000" in everything
    active = text(staff.get("/agreements?status=active"))
    assert "助老战略合作协议" in active and "鹿城区助老服务中心 战略合作协议" not in active
    by_text = text(staff.get("/agreements?q=瓯江"))
    assert "鹿城区助老服务中心 战略合作协议" in by_text and "助老战略合作协议" not in by_text
    unknown = staff.get("/agreements?status=whatever")
    assert unknown.status_code == 422 and "未知的协议状态" in text(unknown)
    company = text(login(app, cast.company).get("/agreements?status=negotiating"))
    assert "鹿城区助老服务中心 战略合作协议" in company and "助老战略合作协议" not in company


def test_navigation_links_to_the_agreements(app: Flask, cast: Cast) -> None:
    for email in (cast.org, cast.company, cast.staff):
        assert 'href="/agreements"' in html(login(app, email).get("/dashboard"))
    assert 'href="/agreements"' not in html(app.test_client().get("/"))


# ───────────── the PDF ─────────────


def test_the_pdf_is_served_as_a_download_named_after_the_title(
    app: Flask, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []

    def render_version_pdf(agreement: Agreement, version: AgreementVersion) -> bytes:
        calls.append((agreement.id, version.version_no))
        return b"%PDF-1.7 fake"

    monkeypatch.setattr("marketplace.agreements.pdf.render_version_pdf", render_version_pdf)
    staff, agreement_id = drafted(app, cast)
    first = version_id(app, agreement_id, 1)
    response = staff.get(f"/agreements/{agreement_id}/versions/{first}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == b"%PDF-1.7 fake"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    assert "%E6%B8%A9%E5%B7%9E" in disposition  # 温州, percent-encoded UTF-8
    assert disposition.endswith("-v1.pdf")
    # Rendering costs seconds: the same version, unchanged, is served from memory the second time.
    assert staff.get(f"/agreements/{agreement_id}/versions/{first}.pdf").data == b"%PDF-1.7 fake"
    assert calls == [(agreement_id, 1)]
    # Proposing and then a signature change what the PDF prints: each renders it afresh.
    assert propose(staff, agreement_id, first).status_code == 303
    staff.get(f"/agreements/{agreement_id}/versions/{first}.pdf")
    with app.app_context():
        sha = db.session.get(AgreementVersion, first).content_sha256
    assert sign(login(app, cast.company), agreement_id, first, sha).status_code == 303
    staff.get(f"/agreements/{agreement_id}/versions/{first}.pdf")
    assert calls == [(agreement_id, 1)] * 3
    assert (
        login(app, cast.outsider).get(f"/agreements/{agreement_id}/versions/{first}.pdf").status_code == 404
    )


def test_posts_need_the_csrf_token(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        staff = factories.staff()
        email = staff.email
    client = app.test_client()
    login_page = html(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert (
        client.post(
            "/login", data={"email": email, "password": factories.PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    response = client.post("/agreements/new", data={"title": "没有令牌"})
    assert response.status_code == 400
    assert count(app, Agreement) == 0


def test_money_for_the_agreement_account_is_confirmed_and_receipted_like_any_transfer(
    app: Flask, cast: Cast
) -> None:
    """An agreement that names no project pays the organization's agreement account: the tranche
    waits in staff's queue with its due date, is confirmed with the bank reference, and the
    company's receipt names the agreement instead of a project."""
    with app.app_context():
        staff, org, company = (
            db.session.scalar(select(User).where(User.email == email))
            for email in (cast.staff, cast.org, cast.company)
        )
        agreement = ops.create_agreement(
            staff,
            ops.AgreementInput(
                title="青年志愿者培训合作协议",
                company_id=cast.company_id,
                organization_id=cast.organization_id,
                starts_on=TODAY,
                ends_on=TODAY + timedelta(days=200),
            ),
        )
        version = ops.add_version(
            agreement,
            staff,
            ops.VersionInput(
                terms=Terms(scope="志愿者培训", obligations_company="出资", obligations_organization="培训"),
                committed_amount=1_000_000,
                tranches=(Tranche(TODAY + timedelta(days=20), 1_000_000),),
            ),
        )
        ops.propose(agreement, staff, version_id=version.id)
        for signer in (company, org):
            ops.sign(agreement, signer, version_id=version.id, content_sha256=version.content_sha256)
        db.session.commit()
        agreement_id = agreement.id
        pledge = db.session.scalar(select(Pledge).where(Pledge.agreement_id == agreement_id))
        assert pledge.project_id is None and pledge.method == "bank_transfer" and pledge.status == "pending"
        pledge_id = pledge.id

    staff_client = login(app, cast.staff)
    queue = text(staff_client.get("/staff/pledges"))
    assert "《青年志愿者培训合作协议》协议资金" in queue
    assert (TODAY + timedelta(days=20)).isoformat() in queue
    confirmed = staff_client.post(
        f"/staff/pledges/{pledge_id}/confirm",
        data={"received_amount": "10000", "bank_reference": "ICBC-2026-8801"},
    )
    assert confirmed.status_code in (302, 303)
    assert "¥10,000" in text(staff_client.get(f"/agreements/{agreement_id}"))

    receipt = text(login(app, cast.company).get(f"/pledges/{pledge_id}/receipt"))
    assert "按《青年志愿者培训合作协议》向鹿城区助老服务中心捐赠" in receipt
    assert "壹万元整" in receipt
    org_view = login(app, cast.org).get(f"/pledges/{pledge_id}")
    assert org_view.status_code == 200 and f"/agreements/{agreement_id}" in html(org_view)
    with app.app_context():
        entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.pledge_id == pledge_id))
        assert entry.project_id is None and entry.amount == 1_000_000
