"""Tender pages through the Flask client: the public list and tender page (drafts hidden, bids
confidential until the award), staff publishing a tender (V3: the consortium choice is explicit),
the bid builder (a consortium with its shares, every violation next to its input, nothing saved),
the member confirming its part, the joint agreement and the submission, the evaluation after the
deadline, the award and its service contract, the declined award passing to the next-ranked bid,
the buyer's signature recorded by staff, subcontract consent, invitations, and who may see what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.agreements import operations as agreements
from marketplace.agreements.models import Agreement
from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.tenders import operations as ops
from marketplace.tenders.models import Bid, BidDocument, Buyer, ConsortiumInvitation, Tender
from marketplace.timeutil import LOCAL_TZ, to_local, utcnow
from tests import factories
from tests.pages import html, login, text
from tests.tender_support import PDF, consortium_input, make_tender, org_user

# ───────────── the cast ─────────────


@dataclass(frozen=True)
class Cast:
    staff: str
    lead: str  # 鹿城区阳光社工服务中心, 4A
    partner: str  # 温州心桥心理服务中心, 3A
    outsider: str  # a third organization, not in any bid
    lead_org: int
    partner_org: int
    outsider_org: int
    tender_id: int


@pytest.fixture
def cast(app: Flask) -> Cast:
    with app.app_context():
        staff = factories.staff()
        lead = org_user("鹿城区阳光社工服务中心", grade="A4")
        partner = org_user("温州心桥心理服务中心", grade="A3")
        outsider = org_user("瓯海区彩虹志愿者协会", grade="A2")
        tender = make_tender(
            staff,
            min_grade="A3",
            required_documents=["法人登记证书复印件", "近三年服务业绩"],
            notice_url="https://zfcg.czt.zj.gov.cn/notice/2026-118",
        )
        return Cast(
            staff=staff.email,
            lead=lead.email,
            partner=partner.email,
            outsider=outsider.email,
            lead_org=lead.organization_id,
            partner_org=partner.organization_id,
            outsider_org=outsider.organization_id,
            tender_id=tender.id,
        )


def field_errors(page: str, field_id: str) -> str:
    """The error list rendered under the input (or group) with this id."""
    found = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}-error">(.*?)</ul>', page, re.S)
    assert found is not None, f"no errors shown under #{field_id}"
    return re.sub(r"<[^>]+>", "", found.group(1))


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def consortium_form(cast: Cast, **overrides: str) -> dict[str, str]:
    data = {
        "mode": "consortium",
        "members-0-share": "60",
        "members-0-scope": "课业辅导与个案管理",
        "members-1-organization_id": str(cast.partner_org),
        "members-1-share": "40",
        "members-1-scope": "心理支持",
        "subcontractors-0-organization_id": "",
        "subcontractors-0-share": "",
        "subcontractors-0-scope": "",
        "price": "450,000",
        "proposal": "双方分片区开展服务，每月联合督导。",
    }
    data.update(overrides)
    return data


def db_version_id(app: Flask, agreement_id: int) -> int:
    from marketplace.agreements.models import Agreement

    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        assert agreement is not None and agreement.latest_version is not None
        return agreement.latest_version.id


def only_bid(app: Flask) -> Bid:
    with app.app_context():
        found = db.session.scalars(select(Bid)).all()
        assert len(found) == 1
        db.session.expunge(found[0])
        return found[0]


def built_consortium(app: Flask, cast: Cast) -> int:
    """The lead builds the consortium bid through the builder; returns the bid id."""
    lead = login(app, cast.lead)
    created = lead.post(f"/tenders/{cast.tender_id}/bids/new", data=consortium_form(cast))
    assert created.status_code == 303, text(created)
    return int(created.headers["Location"].rsplit("/", 1)[1])


def upload(client: FlaskClient, bid_id: int, kind: str = "joint_agreement", data: bytes = PDF) -> Any:
    from io import BytesIO

    return client.post(
        f"/bids/{bid_id}/documents",
        data={"kind": kind, "title": "联合体协议（双方盖章）", "file": (BytesIO(data), "协议.pdf")},
        content_type="multipart/form-data",
    )


def submitted_through_the_pages(app: Flask, cast: Cast) -> int:
    bid_id = built_consortium(app, cast)
    lead = login(app, cast.lead)
    assert upload(lead, bid_id).status_code == 303
    assert login(app, cast.partner).post(f"/bids/{bid_id}/confirm").status_code == 303
    assert lead.post(f"/bids/{bid_id}/submit").status_code == 303
    return bid_id


def close(app: Flask, tender_id: int) -> None:
    """The deadline passes: set in the database, never waited for."""
    with app.app_context():
        tender = db.session.get(Tender, tender_id)
        tender.submission_deadline = utcnow().replace(microsecond=0) - timedelta(seconds=1)
        db.session.commit()


# ───────────── the public pages ─────────────


def test_the_public_list_shows_budget_method_deadline_and_rules(app: Flask, cast: Cast) -> None:
    with app.app_context():
        staff = user(cast.staff)
        make_tender(
            staff,
            title="龙湾区社区矫正心理服务采购",
            buyer_name="温州市青少年发展基金会",
            buyer_kind="foundation",
            category="elderly",
            district="龙湾区",
            method="foundation_call",
            allows_consortium=False,
            max_members=None,
            allows_subcontracting=False,
            max_subcontract_share=None,
        )
    client = app.test_client()
    response = client.get("/tenders")
    assert response.status_code == 200
    page = text(response)
    assert "鹿城区困境儿童关爱服务采购" in page and "龙湾区社区矫正心理服务采购" in page
    assert "¥500,000" in page  # the budget, typed in fen by the support helper
    assert "竞争性磋商" in page and "基金会项目征集" in page
    assert "还剩 10 天" in page or "还剩 9 天" in page
    assert "接受联合体投标（最多 3 家）" in page and "不接受联合体投标" in page
    assert "允许分包，分包比例合计不超过 40%，且不得分包主体关键性工作" in page
    assert "3A 及以上优先（不设门槛）" in page
    with app.app_context():
        deadline = db.session.get(Tender, cast.tender_id).submission_deadline
    assert to_local(deadline).strftime("%Y-%m-%d %H:%M") in page  # Wenzhou time

    foundations = text(client.get("/tenders?buyer_kind=foundation"))
    assert "龙湾区社区矫正心理服务采购" in foundations and "困境儿童" not in foundations
    by_district = text(client.get("/tenders?district=鹿城区&category=children&status=open"))
    assert "困境儿童" in by_district and "社区矫正" not in by_district
    # An unknown filter value is ignored rather than hiding everything.
    assert "困境儿童" in text(client.get("/tenders?status=nonsense"))
    assert "没有符合条件的采购项目" in text(client.get("/tenders?q=不存在的项目"))


def test_the_tender_page_explains_the_rules_and_keeps_bids_confidential(app: Flask, cast: Cast) -> None:
    bid_id = built_consortium(app, cast)
    client = app.test_client()
    response = client.get(f"/tenders/{cast.tender_id}")
    assert response.status_code == 200
    page = text(response)
    for expected in (
        "温州市鹿城区民政局",
        "接受联合体投标（最多 3 家）",
        "允许分包，分包比例合计不超过 40%，且不得分包主体关键性工作",
        "等级要求：3A 及以上优先（不设门槛）",
        "预算即最高限价",
        "法人登记证书复印件",
        "近三年服务业绩",
        "200 名困境儿童",
    ):
        assert expected in page
    assert 'href="https://zfcg.czt.zj.gov.cn/notice/2026-118"' in html(response)
    # Before the award nobody outside the bid learns who bids.
    assert "鹿城区阳光社工服务中心" not in page and "温州心桥心理服务中心" not in page
    assert f'href="/tenders/{cast.tender_id}/bids/new"' not in html(response)  # sign in first
    assert "社会组织账号后即可准备投标" in page
    assert login(app, cast.outsider).get(f"/bids/{bid_id}").status_code == 403

    outsider_page = html(login(app, cast.outsider).get(f"/tenders/{cast.tender_id}"))
    assert f'href="/tenders/{cast.tender_id}/bids/new"' in outsider_page
    lead_page = html(login(app, cast.lead).get(f"/tenders/{cast.tender_id}"))
    assert f'href="/bids/{bid_id}"' in lead_page
    assert f'href="/tenders/{cast.tender_id}/bids/new"' not in lead_page  # one live bid per lead
    partner_page = html(login(app, cast.partner).get(f"/tenders/{cast.tender_id}"))
    assert f'href="/bids/{bid_id}"' in partner_page


def test_drafts_are_hidden_from_everyone_but_staff(app: Flask, cast: Cast) -> None:
    with app.app_context():
        staff = user(cast.staff)
        draft = ops.create_tender(staff, make_input(title="尚未发布的助残服务采购"), publish=False)
        db.session.commit()
        draft_id = draft.id
    anonymous = app.test_client()
    assert "尚未发布的助残服务采购" not in text(anonymous.get("/tenders"))
    assert anonymous.get(f"/tenders/{draft_id}").status_code == 404
    assert login(app, cast.lead).get(f"/tenders/{draft_id}").status_code == 404
    assert login(app, cast.lead).get(f"/tenders/{draft_id}/bids/new").status_code == 404
    staff_client = login(app, cast.staff)
    assert "尚未发布的助残服务采购" in text(staff_client.get("/tenders"))
    page = text(staff_client.get(f"/tenders/{draft_id}"))
    assert "这是尚未发布的草稿" in page and "编辑并发布" in page


def make_input(**overrides: Any) -> ops.TenderInput:
    from tests.tender_support import tender_input

    return tender_input(**overrides)


# ───────────── staff: the tender form ─────────────


def tender_form(**overrides: str) -> dict[str, str]:
    deadline = (datetime.now(LOCAL_TZ) + timedelta(days=20)).date()
    data = {
        "title": "五马街道独居老人探访服务采购",
        "buyer_name": "温州市鹿城区五马街道办事处",
        "buyer_kind": "government",
        "buyer_uscc": "",
        "category": "elderly",
        "district": "鹿城区",
        "description": "为辖区 120 名独居老人提供每周探访、紧急联络和节日关怀。",
        "budget": "300,000",
        "budget_is_cap": "yes",
        "method": "competitive_consultation",
        "submission_deadline_date": deadline.isoformat(),
        "submission_deadline_time": "17:00",
        "enquiry_ends_date": "",
        "enquiry_ends_time": "",
        "expected_award_on": (deadline + timedelta(days=7)).isoformat(),
        "contract_starts_on": (deadline + timedelta(days=30)).isoformat(),
        "contract_ends_on": (deadline + timedelta(days=395)).isoformat(),
        "allows_consortium": "yes",
        "max_members": "3",
        "allows_subcontracting": "yes",
        "max_subcontract_share": "30",
        "min_grade": "A3",
        "grade_rule": "priority_only",
        "grade_rule_basis": "",
        "required_documents": "法人登记证书复印件\n\n近三年同类服务业绩",
        "notice_url": "https://zfcg.czt.zj.gov.cn/notice/2026-200",
        "intent": "publish",
    }
    data.update(overrides)
    return data


def test_staff_publish_a_tender_typed_in_yuan_and_wenzhou_time(app: Flask, cast: Cast) -> None:
    staff = login(app, cast.staff)
    form = staff.get("/staff/tenders/new")
    assert form.status_code == 200
    page = html(form)
    # V3: neither answer is chosen for staff; the grade only ranks unless staff say otherwise.
    consortium = re.findall(r'<input[^>]*name="allows_consortium"[^>]*>', page)
    assert len(consortium) == 2 and not any("checked" in radio for radio in consortium)
    grade_rules = re.findall(r'<input[^>]*name="grade_rule"[^>]*>', page)
    assert [radio for radio in grade_rules if "checked" in radio] == [
        next(radio for radio in grade_rules if 'value="priority_only"' in radio)
    ]
    created = staff.post("/staff/tenders/new", data=tender_form())
    assert created.status_code == 303, text(created)
    tender_id = int(created.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        tender = db.session.get(Tender, tender_id)
        assert tender.status == "open"
        assert tender.budget == 30_000_000
        assert tender.buyer.name == "温州市鹿城区五马街道办事处" and tender.buyer.kind == "government"
        local_deadline = datetime.combine(
            date.fromisoformat(tender_form()["submission_deadline_date"]),
            datetime.strptime("17:00", "%H:%M").time(),
            tzinfo=LOCAL_TZ,
        )
        assert tender.submission_deadline == local_deadline.astimezone(UTC).replace(tzinfo=None)
        assert tender.allows_consortium is True and tender.max_members == 3
        assert tender.max_subcontract_share == 3000
        assert tender.required_documents == ["法人登记证书复印件", "近三年同类服务业绩"]
        assert tender.min_grade == "A3" and tender.grade_rule == "priority_only"
    shown = text(staff.get(created.headers["Location"]))
    assert "采购项目已发布" in shown and "17:00" in shown

    drafted = staff.post("/staff/tenders/new", data=tender_form(title="草稿：助残服务", intent="draft"))
    assert drafted.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Tender.status).where(Tender.title == "草稿：助残服务")) == "draft"


def test_the_consortium_choice_must_be_explicit_and_nothing_is_saved(app: Flask, cast: Cast) -> None:
    """V3: publishing a tender with the consortium flag unset is refused, next to the radio."""
    staff = login(app, cast.staff)
    tenders, buyers = count(app, Tender), count(app, Buyer)
    data = tender_form()
    del data["allows_consortium"]
    response = staff.post("/staff/tenders/new", data=data)
    assert response.status_code == 422
    page = html(response)
    assert "请明确是否接受联合体投标" in field_errors(page, "allows_consortium")
    assert re.search(r'id="allows_consortium" aria-describedby="[^"]*allows_consortium-error', page)
    assert count(app, Tender) == tenders and count(app, Buyer) == buyers
    assert "五马街道独居老人探访服务采购" in page  # what was typed comes back


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"budget": "三十万"}, "budget", "金额必须是数字"),
        ({"submission_deadline_time": ""}, "submission_deadline_date", "请填写时刻"),
        ({"submission_deadline_time": "25:99"}, "submission_deadline_date", "时刻格式应为 HH:MM"),
        ({"submission_deadline_date": "2020-01-01"}, "submission_deadline_date", "投标截止时间必须晚于现在"),
        ({"grade_rule": "min_of_members"}, "grade_rule_basis", "须记录依据"),
        ({"allows_consortium": "no"}, "max_members", "不接受联合体投标时不能设置联合体成员上限"),
        ({"max_subcontract_share": "100"}, "max_subcontract_share", "须大于 0 且小于 100%"),
        ({"notice_url": "zfcg.gov.cn"}, "notice_url", "须以 http:// 或 https:// 开头"),
        ({"buyer_kind": ""}, "buyer_kind", "采购人类型"),
    ],
)
def test_a_bad_tender_form_shows_each_reason_next_to_its_field(
    app: Flask, cast: Cast, overrides: dict[str, str], field_id: str, message: str
) -> None:
    staff = login(app, cast.staff)
    tenders = count(app, Tender)
    response = staff.post("/staff/tenders/new", data=tender_form(**overrides))
    assert response.status_code == 422
    assert message in field_errors(html(response), field_id)
    assert count(app, Tender) == tenders


def test_editing_an_open_tender_warns_and_sends_submitted_bids_back(app: Flask, cast: Cast) -> None:
    bid_id = submitted_through_the_pages(app, cast)
    staff = login(app, cast.staff)
    form = staff.get(f"/staff/tenders/{cast.tender_id}/edit")
    page = text(form)
    assert "已提交的投标会变为「待重新确认」" in page and "目前有 1 份已提交的投标" in page
    assert 'value="500000"' in html(form) or 'value="500,000"' in html(form)
    with app.app_context():
        tender = db.session.get(Tender, cast.tender_id)
        local = to_local(tender.submission_deadline)
    data = tender_form(
        title="鹿城区困境儿童关爱服务采购",
        buyer_name="温州市鹿城区民政局",
        category="children",
        description="为辖区 200 名困境儿童提供一年的课业辅导、心理支持和家访服务。",
        budget="480000",
        submission_deadline_date=local.date().isoformat(),
        submission_deadline_time=local.strftime("%H:%M:%S"),
        max_subcontract_share="40",
        required_documents="法人登记证书复印件\n近三年服务业绩",
        notice_url="https://zfcg.czt.zj.gov.cn/notice/2026-118",
        expected_award_on="",
        contract_starts_on="",
        contract_ends_on="",
        intent="save",
    )
    saved = staff.post(f"/staff/tenders/{cast.tender_id}/edit", data=data)
    assert saved.status_code == 303, text(saved)
    with app.app_context():
        assert db.session.get(Tender, cast.tender_id).budget == 48_000_000
        assert db.session.get(Bid, bid_id).status == "invalid"
    bid_page = text(login(app, cast.lead).get(f"/bids/{bid_id}"))
    assert "投标待重新确认" in bid_page and "实质性内容已变更" in bid_page


def test_staff_cancel_a_tender_with_a_reason(app: Flask, cast: Cast) -> None:
    built_consortium(app, cast)
    staff = login(app, cast.staff)
    refused = staff.post(f"/staff/tenders/{cast.tender_id}/cancel", data={"cancel-reason": " "})
    assert refused.status_code == 422
    assert "请填写取消原因" in field_errors(html(refused), "cancel-reason")
    assert count_status(app, cast.tender_id) == "open"
    done = staff.post(f"/staff/tenders/{cast.tender_id}/cancel", data={"cancel-reason": "预算调整，暂停采购"})
    assert done.status_code == 303
    assert count_status(app, cast.tender_id) == "cancelled"
    assert only_bid(app).status == "cancelled"
    page = text(app.test_client().get(f"/tenders/{cast.tender_id}"))
    assert "本次采购已取消" in page and "预算调整，暂停采购" in page


def count_status(app: Flask, tender_id: int) -> str:
    with app.app_context():
        return db.session.get(Tender, tender_id).status


# ───────────── the bid builder ─────────────


def test_the_builder_offers_the_modes_the_tender_allows(app: Flask, cast: Cast) -> None:
    with app.app_context():
        alone_only = make_tender(
            user(cast.staff),
            title="单独承接的助餐服务",
            allows_consortium=False,
            max_members=None,
            allows_subcontracting=False,
            max_subcontract_share=None,
        ).id
    lead = login(app, cast.lead)
    page = html(lead.get(f"/tenders/{alone_only}/bids/new"))
    assert re.search(
        r'id="mode-consortium"[^>]* disabled aria-describedby="mode-consortium-help mode-consortium-why"',
        page,
    )
    assert "本次采购不接受联合体投标。" in page and "本次采购不允许分包。" in page
    # Posting the refused mode anyway: the rule answers next to the mode, nothing is saved.
    response = lead.post(f"/tenders/{alone_only}/bids/new", data=consortium_form(cast))
    assert response.status_code == 422
    assert "本次采购不接受联合体投标" in field_errors(html(response), "mode")
    assert count(app, Bid) == 0

    builder = html(lead.get(f"/tenders/{cast.tender_id}/bids/new"))
    assert "data-share-meter" in builder and 'aria-live="polite"' in builder
    assert 'src="/static/js/tenders.js"' in builder and "<script>" not in builder
    assert f'<option value="{cast.partner_org}">温州心桥心理服务中心' in builder
    assert f'<option value="{cast.lead_org}">' not in builder  # the lead is fixed, not picked
    # The rows tenders.js copies carry the names the server reads once numbered.
    assert 'name="members-__index__-share"' in builder
    assert 'name="subcontractors-__index__-not_core_work"' in builder
    assert re.search(r'<label class="form-label" for="members-1-share">', builder)


def test_the_builder_creates_a_consortium_bid(app: Flask, cast: Cast) -> None:
    lead = login(app, cast.lead)
    created = lead.post(f"/tenders/{cast.tender_id}/bids/new", data=consortium_form(cast))
    assert created.status_code == 303, text(created)
    bid_id = int(created.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        bid = db.session.get(Bid, bid_id)
        assert bid.status == "draft" and bid.mode == "consortium"
        assert bid.price == 45_000_000 and bid.lead_organization_id == cast.lead_org
        assert [(item.organization_id, item.role, item.share, item.scope) for item in bid.members] == [
            (cast.lead_org, "lead", 6000, "课业辅导与个案管理"),
            (cast.partner_org, "member", 4000, "心理支持"),
        ]
    page = text(lead.get(f"/bids/{bid_id}"))
    assert "已通知各方确认分工" in page
    assert "温州心桥心理服务中心" in page and "待确认" in page and "60%" in page


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"members-1-share": "30"}, "members", "份额之和须恰好为 100%（现为 90%）"),
        ({"members-1-share": "40.005"}, "members-1-share", "份额最多保留两位小数"),
        ({"members-1-share": "-40"}, "members-1-share", "份额必须大于 0"),
        ({"members-1-share": "0"}, "members-1-share", "每个成员的份额必须大于 0"),
        ({"members-1-scope": ""}, "members-1-scope", "请写明该成员承担的工作内容"),
        ({"members-0-scope": ""}, "members-0-scope", "请写明该成员承担的工作内容"),
        ({"members-1-organization_id": ""}, "members-1-organization_id", "请选择社会组织"),
        ({"price": "0"}, "price", "投标报价必须大于 0"),
        ({"price": "600000"}, "price", "不能超过采购预算"),
        ({"price": "45万"}, "price", "金额必须是数字"),
        ({"mode": ""}, "mode", "投标方式只能是"),
    ],
)
def test_the_builder_shows_each_violation_next_to_its_input_and_saves_nothing(
    app: Flask, cast: Cast, overrides: dict[str, str], field_id: str, message: str
) -> None:
    lead = login(app, cast.lead)
    response = lead.post(f"/tenders/{cast.tender_id}/bids/new", data=consortium_form(cast, **overrides))
    assert response.status_code == 422
    page = html(response)
    assert message in field_errors(page, field_id)
    assert "提交的内容有" in page  # the summary at the top lists it, linked to the input
    assert f'href="#{field_id}"' in page
    assert count(app, Bid) == 0
    assert "双方分片区开展服务" in page  # nothing has to be typed again


def test_an_organization_in_two_consortia_is_refused_at_its_row(app: Flask, cast: Cast) -> None:
    """V4: the partner confirmed its part in another lead's bid; naming it again is refused."""
    with app.app_context():
        other_lead = org_user("鹿城区春晖社会工作服务社")
        partner = user(cast.partner)
        bid = ops.create_bid(
            db.session.get(Tender, cast.tender_id), other_lead, consortium_input(other_lead, partner)
        )
        db.session.commit()
        ops.confirm_part(bid, partner)
        db.session.commit()
        other_id = bid.id
    lead = login(app, cast.lead)
    response = lead.post(f"/tenders/{cast.tender_id}/bids/new", data=consortium_form(cast))
    assert response.status_code == 422
    assert f"另一份投标（#{other_id}）" in field_errors(html(response), "members-1-organization_id")
    assert count(app, Bid) == 1


def test_rows_are_added_and_removed_without_javascript(app: Flask, cast: Cast) -> None:
    lead = login(app, cast.lead)
    added = lead.post(
        f"/tenders/{cast.tender_id}/bids/new", data={**consortium_form(cast), "rows": "add_member"}
    )
    assert added.status_code == 200
    page = html(added)
    assert 'name="members-2-share"' in page and 'value="心理支持"' in page
    assert count(app, Bid) == 0
    removed = lead.post(
        f"/tenders/{cast.tender_id}/bids/new",
        data={**consortium_form(cast), "members-2-share": "", "rows": "remove_member-1"},
    )
    assert removed.status_code == 200
    assert 'value="心理支持"' not in html(removed)
    assert count(app, Bid) == 0


def test_a_prime_bid_needs_each_subcontract_confirmed_as_non_core_work(app: Flask, cast: Cast) -> None:
    lead = login(app, cast.lead)
    data = {
        "mode": "prime_with_subs",
        "subcontractors-0-organization_id": str(cast.outsider_org),
        "subcontractors-0-share": "20",
        "subcontractors-0-scope": "活动物资采买与场地布置",
        "price": "400000",
        "proposal": "",
    }
    refused = lead.post(f"/tenders/{cast.tender_id}/bids/new", data=data)
    assert refused.status_code == 422
    assert "只能分包非主体、非关键性工作" in field_errors(html(refused), "subcontractors-0-not_core_work")
    over_cap = lead.post(
        f"/tenders/{cast.tender_id}/bids/new",
        data={**data, "subcontractors-0-share": "45", "subcontractors-0-not_core_work": "y"},
    )
    assert over_cap.status_code == 422
    assert "超过本次采购允许的上限 40%" in field_errors(html(over_cap), "subcontractors")
    assert count(app, Bid) == 0
    made = lead.post(
        f"/tenders/{cast.tender_id}/bids/new", data={**data, "subcontractors-0-not_core_work": "y"}
    )
    assert made.status_code == 303, text(made)
    with app.app_context():
        bid = db.session.scalars(select(Bid)).one()
        assert bid.mode == "prime_with_subs"
        assert [(item.organization_id, item.share, item.is_core_work) for item in bid.subcontractors] == [
            (cast.outsider_org, 2000, False)
        ]
        assert [(item.organization_id, item.share) for item in bid.members] == [(cast.lead_org, 10000)]


def test_the_lead_edits_its_bid_and_confirmations_lapse(app: Flask, cast: Cast) -> None:
    bid_id = built_consortium(app, cast)
    assert login(app, cast.partner).post(f"/bids/{bid_id}/confirm").status_code == 303
    lead = login(app, cast.lead)
    form = html(lead.get(f"/bids/{bid_id}/edit"))
    assert 'value="60"' in form and 'value="450000"' in form
    assert f'<option selected value="{cast.partner_org}">' in form
    saved = lead.post(
        f"/bids/{bid_id}/edit",
        data=consortium_form(cast, **{"members-0-share": "55", "members-1-share": "45"}),
    )
    assert saved.status_code == 303, text(saved)
    page = text(lead.get(f"/bids/{bid_id}"))
    assert "55%" in page and "需重新确认" in page  # the partner confirmed the earlier revision
    assert login(app, cast.partner).get(f"/bids/{bid_id}/edit").status_code == 403
    assert (
        login(app, cast.partner).post(f"/bids/{bid_id}/edit", data=consortium_form(cast)).status_code == 403
    )


# ───────────── confirming, documents, submitting ─────────────


def test_the_member_confirms_the_lead_uploads_the_joint_agreement_and_submits(app: Flask, cast: Cast) -> None:
    bid_id = built_consortium(app, cast)
    partner = login(app, cast.partner)
    mine = text(partner.get("/bids"))
    assert "待我确认分工" in mine and "鹿城区困境儿童关爱服务采购" in mine
    page = text(partner.get(f"/bids/{bid_id}"))
    assert "确认我方分工" in page and "提交投标" not in page

    lead = login(app, cast.lead)
    refused = lead.post(f"/bids/{bid_id}/submit")
    assert refused.status_code == 422
    reasons = text(refused)
    assert "联合体投标须上传各方签署的联合体协议" in reasons
    assert "以下组织尚未确认本版本的分工：温州心桥心理服务中心" in reasons

    not_a_pdf = upload(lead, bid_id, data=b"<html><script>alert(1)</script></html>")
    assert not_a_pdf.status_code == 422
    assert "请上传 PDF 文件" in field_errors(html(not_a_pdf), "file")
    assert count(app, BidDocument) == 0
    assert upload(lead, bid_id).status_code == 303

    assert partner.post(f"/bids/{bid_id}/confirm").status_code == 303
    assert "已确认本版本" in text(lead.get(f"/bids/{bid_id}"))
    submitted = lead.post(f"/bids/{bid_id}/submit")
    assert submitted.status_code == 303
    with app.app_context():
        bid = db.session.get(Bid, bid_id)
        assert bid.status == "submitted" and bid.submitted_at is not None
        document_id = bid.documents[0].id
    shown = text(lead.get(f"/bids/{bid_id}"))
    assert "投标已提交" in shown and "撤回投标" in shown

    download = partner.get(f"/bids/{bid_id}/documents/{document_id}")
    assert download.status_code == 200
    assert download.data == PDF and "attachment" in download.headers["Content-Disposition"]
    assert "no-store" in download.headers["Cache-Control"]
    assert login(app, cast.outsider).get(f"/bids/{bid_id}/documents/{document_id}").status_code == 403


def test_uploading_after_confirmation_asks_for_confirmation_again(app: Flask, cast: Cast) -> None:
    bid_id = built_consortium(app, cast)
    assert login(app, cast.partner).post(f"/bids/{bid_id}/confirm").status_code == 303
    lead = login(app, cast.lead)
    assert upload(lead, bid_id).status_code == 303
    assert "需重新确认" in text(lead.get(f"/bids/{bid_id}"))
    with app.app_context():
        document_id = db.session.scalars(select(BidDocument.id)).one()
    assert lead.post(f"/bids/{bid_id}/documents/{document_id}/delete").status_code == 303
    assert count(app, BidDocument) == 0


def test_the_lead_withdraws_before_the_deadline(app: Flask, cast: Cast) -> None:
    bid_id = submitted_through_the_pages(app, cast)
    assert login(app, cast.partner).post(f"/bids/{bid_id}/withdraw").status_code == 403
    lead = login(app, cast.lead)
    assert lead.post(f"/bids/{bid_id}/withdraw").status_code == 303
    assert only_bid(app).status == "withdrawn"
    # The lead may start again.
    assert f'href="/tenders/{cast.tender_id}/bids/new"' in html(lead.get(f"/tenders/{cast.tender_id}"))


def test_after_the_deadline_nothing_is_submitted_or_withdrawn(app: Flask, cast: Cast) -> None:
    bid_id = built_consortium(app, cast)
    lead = login(app, cast.lead)
    assert upload(lead, bid_id).status_code == 303
    assert login(app, cast.partner).post(f"/bids/{bid_id}/confirm").status_code == 303
    close(app, cast.tender_id)
    late = lead.post(f"/bids/{bid_id}/submit")
    assert late.status_code == 409
    assert "投标已于截止时间截止" in text(late)
    assert only_bid(app).status == "draft"
    page = text(lead.get(f"/bids/{bid_id}"))
    assert "已截止" in page and "提交投标" not in page.replace("重新提交投标", "")


# ───────────── who may see what ─────────────


def test_another_organization_cannot_see_or_touch_a_bid(app: Flask, cast: Cast) -> None:
    bid_id = built_consortium(app, cast)
    outsider = login(app, cast.outsider)
    assert outsider.get(f"/bids/{bid_id}").status_code == 403
    assert outsider.get(f"/bids/{bid_id}/edit").status_code == 403
    assert outsider.post(f"/bids/{bid_id}/confirm").status_code == 403
    assert outsider.post(f"/bids/{bid_id}/submit").status_code == 403
    assert upload(outsider, bid_id).status_code == 403
    assert "鹿城区困境儿童" not in text(outsider.get("/bids"))
    anonymous = app.test_client().get(f"/bids/{bid_id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert login(app, cast.staff).get(f"/bids/{bid_id}").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/staff/tenders/new"),
        ("POST", "/staff/tenders/new"),
        ("GET", "/staff/tenders/{tender}/edit"),
        ("POST", "/staff/tenders/{tender}/cancel"),
        ("GET", "/staff/tenders/{tender}/evaluation"),
        ("POST", "/staff/tenders/{tender}/evaluations"),
        ("POST", "/staff/tenders/{tender}/award"),
        ("POST", "/staff/tenders/{tender}/award/decline"),
        ("POST", "/staff/tenders/{tender}/unsuccessful"),
    ],
)
def test_organizations_cannot_reach_the_staff_pages(app: Flask, cast: Cast, method: str, path: str) -> None:
    url = path.format(tender=cast.tender_id)
    lead = login(app, cast.lead)
    response = lead.open(url, method=method, data={"reason": "x", "bid_id": "1"})
    assert response.status_code == 403
    anonymous = app.test_client().open(url, method=method)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert count_status(app, cast.tender_id) == "open"


def test_staff_and_companies_do_not_prepare_bids(app: Flask, cast: Cast) -> None:
    with app.app_context():
        company = factories.company_member().email
    for email in (cast.staff, company):
        client = login(app, email)
        assert client.get(f"/tenders/{cast.tender_id}/bids/new").status_code == 403
        assert client.get("/bids").status_code == 403
    assert count(app, Bid) == 0


# ───────────── evaluation, award, contract ─────────────


def test_staff_evaluate_after_the_deadline_award_and_the_contract_link_works(app: Flask, cast: Cast) -> None:
    bid_id = submitted_through_the_pages(app, cast)
    staff = login(app, cast.staff)
    early = staff.get(f"/staff/tenders/{cast.tender_id}/evaluation")
    assert early.status_code == 200 and "截止前不能评审" in text(early)
    assert 'name="bid' not in html(early)  # no verdict forms before the deadline

    close(app, cast.tender_id)
    page = staff.get(f"/staff/tenders/{cast.tender_id}/evaluation")
    assert page.status_code == 200
    shown = text(page)
    assert count_status(app, cast.tender_id) == "evaluating"
    assert "鹿城区阳光社工服务中心" in shown and "温州心桥心理服务中心" in shown
    assert "60%" in shown and "40%" in shown and "联合体协议（双方盖章）" in shown

    no_score = staff.post(
        f"/staff/tenders/{cast.tender_id}/evaluations",
        data={"bid_id": bid_id, f"bid{bid_id}-result": "valid"},
    )
    assert no_score.status_code == 422
    assert "请填写评分" in field_errors(html(no_score), f"bid{bid_id}-score")
    no_reason = staff.post(
        f"/staff/tenders/{cast.tender_id}/evaluations",
        data={"bid_id": bid_id, f"bid{bid_id}-result": "disqualified"},
    )
    assert no_reason.status_code == 422
    assert "判定投标无效须写明原因" in field_errors(html(no_reason), f"bid{bid_id}-reason")
    assert only_bid(app).status == "submitted"

    valid = staff.post(
        f"/staff/tenders/{cast.tender_id}/evaluations",
        data={"bid_id": bid_id, f"bid{bid_id}-result": "valid", f"bid{bid_id}-score": "88.5"},
    )
    assert valid.status_code == 303
    ranking = text(staff.get(f"/staff/tenders/{cast.tender_id}/evaluation"))
    assert "88.5" in ranking and "3A+ 优先" in ranking and "确定成交" in ranking

    awarded = staff.post(f"/staff/tenders/{cast.tender_id}/award", data={"bid_id": bid_id})
    assert awarded.status_code == 303
    with app.app_context():
        tender = db.session.get(Tender, cast.tender_id)
        assert tender.status == "awarded"
        agreement_id = tender.current_award.agreement_id
    after = html(staff.get(f"/staff/tenders/{cast.tender_id}/evaluation"))
    assert f'href="/agreements/{agreement_id}"' in after
    contract = staff.get(f"/agreements/{agreement_id}")
    assert contract.status_code == 200 and "政府购买服务合同" in text(contract)
    # The contract names the buyer's and the suppliers' obligations, not a company's.
    version_id = db_version_id(app, agreement_id)
    document = text(staff.get(f"/agreements/{agreement_id}/versions/{version_id}"))
    assert "采购人的义务" in document and "供应商的义务" in document and "企业一方的义务" not in document
    lead = login(app, cast.lead)
    assert f'href="/agreements/{agreement_id}"' in html(lead.get(f"/bids/{bid_id}"))
    assert lead.get(f"/agreements/{agreement_id}").status_code == 200
    assert "中标：请签署采购合同" in text(lead.get("/bids"))
    # The result is public now: the suppliers and the value.
    public = text(app.test_client().get(f"/tenders/{cast.tender_id}"))
    assert "成交结果" in public and "鹿城区阳光社工服务中心、温州心桥心理服务中心" in public
    assert "¥450,000" in public


def two_submitted_bids(app: Flask, cast: Cast) -> tuple[int, int]:
    """The page-built consortium (lead + partner) and a second bid of the outsider alone."""
    first = submitted_through_the_pages(app, cast)
    outsider = login(app, cast.outsider)
    made = outsider.post(
        f"/tenders/{cast.tender_id}/bids/new",
        data={"mode": "single", "price": "420000", "proposal": "独立承接"},
    )
    assert made.status_code == 303, text(made)
    second = int(made.headers["Location"].rsplit("/", 1)[1])
    assert outsider.post(f"/bids/{second}/submit").status_code == 303
    return first, second


def evaluate(staff: FlaskClient, tender_id: int, bid_id: int, score: str) -> None:
    response = staff.post(
        f"/staff/tenders/{tender_id}/evaluations",
        data={"bid_id": bid_id, f"bid{bid_id}-result": "valid", f"bid{bid_id}-score": score},
    )
    assert response.status_code == 303, text(response)


def test_a_declined_award_passes_to_the_next_ranked_bid(app: Flask, cast: Cast) -> None:
    first, second = two_submitted_bids(app, cast)
    close(app, cast.tender_id)
    staff = login(app, cast.staff)
    evaluate(staff, cast.tender_id, first, "90")
    evaluate(staff, cast.tender_id, second, "85")
    page = html(staff.get(f"/staff/tenders/{cast.tender_id}/evaluation"))
    # Only the top-ranked bid has the award button.
    assert page.count(f'action="/staff/tenders/{cast.tender_id}/award"') == 1
    jumped = staff.post(f"/staff/tenders/{cast.tender_id}/award", data={"bid_id": second})
    assert jumped.status_code == 409 and f"应授予排名第一的投标 #{first}" in text(jumped)
    assert staff.post(f"/staff/tenders/{cast.tender_id}/award", data={"bid_id": first}).status_code == 303

    no_reason = staff.post(f"/staff/tenders/{cast.tender_id}/award/decline", data={"decline-reason": ""})
    assert no_reason.status_code == 422
    assert "请填写中标人放弃签约的原因" in field_errors(html(no_reason), "decline-reason")
    declined = staff.post(
        f"/staff/tenders/{cast.tender_id}/award/decline", data={"decline-reason": "牵头方无法按期组建团队"}
    )
    assert declined.status_code == 303
    shown = text(staff.get(declined.headers["Location"]))
    assert f"成交改授予排名其次的投标 #{second}" in shown
    assert "放弃签约记录" in shown and "牵头方无法按期组建团队" in shown
    with app.app_context():
        assert db.session.get(Bid, first).status == "unsuccessful"
        assert db.session.get(Bid, second).status == "awarded"
    public = text(app.test_client().get(f"/tenders/{cast.tender_id}"))
    assert "瓯海区彩虹志愿者协会" in public and "¥420,000" in public


def test_staff_declare_the_tender_unsuccessful_with_a_reason(app: Flask, cast: Cast) -> None:
    bid_id = submitted_through_the_pages(app, cast)
    close(app, cast.tender_id)
    staff = login(app, cast.staff)
    disqualified = staff.post(
        f"/staff/tenders/{cast.tender_id}/evaluations",
        data={"bid_id": bid_id, f"bid{bid_id}-result": "disqualified", f"bid{bid_id}-reason": "资质证明过期"},
    )
    assert disqualified.status_code == 303
    assert "资质证明过期" in text(login(app, cast.lead).get(f"/bids/{bid_id}"))
    refused = staff.post(f"/staff/tenders/{cast.tender_id}/unsuccessful", data={"fail-reason": ""})
    assert refused.status_code == 422
    assert "请填写流标原因" in field_errors(html(refused), "fail-reason")
    done = staff.post(f"/staff/tenders/{cast.tender_id}/unsuccessful", data={"fail-reason": "无合格投标"})
    assert done.status_code == 303
    assert count_status(app, cast.tender_id) == "unsuccessful"
    assert "本次采购已流标" in text(app.test_client().get(f"/tenders/{cast.tender_id}"))


def test_staff_record_the_buyers_signature_and_the_contract_activates(app: Flask, cast: Cast) -> None:
    bid_id = submitted_through_the_pages(app, cast)
    close(app, cast.tender_id)
    staff = login(app, cast.staff)
    evaluate(staff, cast.tender_id, bid_id, "88")
    assert staff.post(f"/staff/tenders/{cast.tender_id}/award", data={"bid_id": bid_id}).status_code == 303
    with app.app_context():
        agreement = db.session.get(Tender, cast.tender_id).current_award.agreement
        agreement_id, version = agreement.id, agreement.pending_version
        version_id, sha = version.id, version.content_sha256
        buyer_party = next(party.id for party in agreement.parties if party.role == "buyer")
        for email in (cast.lead, cast.partner):
            agreements.sign(agreement, user(email), version_id=version_id, content_sha256=sha)
        db.session.commit()
    page = html(staff.get(f"/agreements/{agreement_id}"))
    assert "登记采购方签署" in page and sha in page
    assert "登记采购方签署" not in html(login(app, cast.lead).get(f"/agreements/{agreement_id}"))

    url = f"/agreements/{agreement_id}/parties/{buyer_party}/recorded-signature"
    prefix = f"buyer{buyer_party}-"
    data = {
        prefix + "signer_name": "王局长",
        prefix + "signer_title": "局长",
        prefix + "evidence": "纸质合同 LC-2026-118 号",
        prefix + "version_id": str(version_id),
        prefix + "content_sha256": sha,
    }
    unchecked = staff.post(url, data=data)
    assert unchecked.status_code == 422
    assert "请先核对版本哈希并勾选确认" in field_errors(html(unchecked), prefix + "checked")
    wrong_hash = staff.post(url, data={**data, prefix + "checked": "y", prefix + "content_sha256": "0" * 64})
    assert wrong_hash.status_code == 409
    assert "内容哈希与第 1 版不一致" in field_errors(html(wrong_hash), prefix + "checked")
    no_evidence = staff.post(url, data={**data, prefix + "checked": "y", prefix + "evidence": ""})
    assert no_evidence.status_code == 422
    assert "请填写签署凭据" in field_errors(html(no_evidence), prefix + "evidence")
    with app.app_context():
        assert db.session.get(Agreement, agreement_id).status == "pending_signature"
    assert login(app, cast.lead).post(url, data={**data, prefix + "checked": "y"}).status_code == 403

    recorded = staff.post(url, data={**data, prefix + "checked": "y"})
    assert recorded.status_code == 303
    assert "合同已生效" in text(staff.get(recorded.headers["Location"]))
    with app.app_context():
        assert db.session.get(Agreement, agreement_id).status == "active"
        award = db.session.get(Tender, cast.tender_id).current_award
        assert award.contract_signed and award.ocds_status == "active"


def test_subcontracts_need_the_buyers_consent_before_they_become_active(
    app: Flask, cast: Cast, tmp_path: Path
) -> None:
    lead = login(app, cast.lead)
    made = lead.post(
        f"/tenders/{cast.tender_id}/bids/new",
        data={
            "mode": "prime_with_subs",
            "subcontractors-0-organization_id": str(cast.outsider_org),
            "subcontractors-0-share": "20",
            "subcontractors-0-scope": "活动物资采买",
            "subcontractors-0-not_core_work": "y",
            "price": "400000",
        },
    )
    bid_id = int(made.headers["Location"].rsplit("/", 1)[1])
    assert login(app, cast.outsider).post(f"/bids/{bid_id}/confirm").status_code == 303
    assert lead.post(f"/bids/{bid_id}/submit").status_code == 303
    close(app, cast.tender_id)
    staff = login(app, cast.staff)
    evaluate(staff, cast.tender_id, bid_id, "80")
    assert staff.post(f"/staff/tenders/{cast.tender_id}/award", data={"bid_id": bid_id}).status_code == 303
    with app.app_context():
        sub_id = db.session.get(Bid, bid_id).subcontractors[0].id
    page = text(staff.get(f"/staff/tenders/{cast.tender_id}/evaluation"))
    assert "分包：采购人意见与生效" in page and "活动物资采买" in page and "分包生效" not in page

    base = f"/staff/bids/{bid_id}/subcontracts/{sub_id}"
    early = staff.post(f"{base}/activate")
    assert early.status_code == 409 and "须经采购人同意" in text(early)
    no_note = staff.post(f"{base}/consent", data={f"sub{sub_id}-consented": "yes"})
    assert no_note.status_code == 422
    assert "请填写采购人意见的依据" in field_errors(html(no_note), f"sub{sub_id}-note")
    consent = staff.post(
        f"{base}/consent", data={f"sub{sub_id}-consented": "yes", f"sub{sub_id}-note": "鹿民函〔2026〕12 号"}
    )
    assert consent.status_code == 303
    assert staff.post(f"{base}/activate").status_code == 303
    with app.app_context():
        row = db.session.get(Bid, bid_id).subcontractors[0]
        assert row.consent_status == "consented" and row.activated_at is not None
    assert "已生效" in text(login(app, cast.lead).get(f"/bids/{bid_id}"))


# ───────────── the partner finder and "我的投标" ─────────────


def test_the_lead_invites_a_partner_and_the_partner_answers_on_my_bids(app: Flask, cast: Cast) -> None:
    lead = login(app, cast.lead)
    page = html(lead.get(f"/tenders/{cast.tender_id}"))
    assert 'id="partners"' in page and "找搭档" in page
    invited = lead.post(
        f"/tenders/{cast.tender_id}/invitations",
        data={"organization_id": str(cast.partner_org), "next": f"/tenders/{cast.tender_id}/bids/new"},
    )
    assert invited.status_code == 303
    assert invited.headers["Location"].endswith(f"/tenders/{cast.tender_id}/bids/new")
    assert "已向温州心桥心理服务中心发出组队邀请" in text(lead.get(invited.headers["Location"]))
    # Somewhere else than a tender or bid page is not a place to go back to.
    again = lead.post(
        f"/tenders/{cast.tender_id}/invitations",
        data={"organization_id": str(cast.partner_org), "next": "https://evil.example/"},
    )
    assert again.headers["Location"].endswith(f"/tenders/{cast.tender_id}#partners")
    assert count(app, ConsortiumInvitation) == 1  # one invitation per pair

    partner = login(app, cast.partner)
    mine = text(partner.get("/bids"))
    assert "组队邀请" in mine and "鹿城区阳光社工服务中心 邀请贵组织共同投标" in mine
    with app.app_context():
        invitation_id = db.session.scalars(select(ConsortiumInvitation.id)).one()
    assert (
        login(app, cast.outsider)
        .post(f"/invitations/{invitation_id}/respond", data={"decision": "accept"})
        .status_code
        == 404
    )
    accepted = partner.post(f"/invitations/{invitation_id}/respond", data={"decision": "accept"})
    assert accepted.status_code == 303
    shown = text(partner.get("/bids"))
    assert "已接受鹿城区阳光社工服务中心的组队邀请" in shown and "已回复的邀请" in shown
    with app.app_context():
        assert db.session.get(ConsortiumInvitation, invitation_id).status == "accepted"


def test_my_bids_lists_what_awaits_me_first(app: Flask, cast: Cast) -> None:
    with app.app_context():
        staff = user(cast.staff)
        second = make_tender(staff, title="七都街道青少年成长服务采购")
        partner = user(cast.partner)
        # The partner leads a bid of its own on another tender (nothing to confirm there) …
        ops.create_bid(second, partner, ops.BidInput(mode="single", price=30_000_000))
        db.session.commit()
    # … and is asked to confirm its part in the lead's consortium.
    bid_id = built_consortium(app, cast)
    page = text(login(app, cast.partner).get("/bids"))
    assert page.index("待我确认分工") < page.index("七都街道青少年成长服务采购")
    assert f"投标 #{bid_id}" in page and "各方已确认，可以提交" in page
    assert "贵组织还没有参与任何投标" in text(login(app, cast.outsider).get("/bids"))


def test_the_pages_have_no_inline_scripts_or_styles(app: Flask, cast: Cast) -> None:
    bid_id = built_consortium(app, cast)
    pages = [
        (app.test_client(), "/tenders"),
        (app.test_client(), f"/tenders/{cast.tender_id}"),
        (login(app, cast.lead), f"/tenders/{cast.tender_id}"),
        (login(app, cast.lead), f"/bids/{bid_id}"),
        (login(app, cast.lead), f"/bids/{bid_id}/edit"),
        (login(app, cast.lead), "/bids"),
        (login(app, cast.staff), "/staff/tenders/new"),
        (login(app, cast.staff), f"/staff/tenders/{cast.tender_id}/edit"),
        (login(app, cast.staff), f"/staff/tenders/{cast.tender_id}/evaluation"),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        page = html(response)
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", page), path
        assert " style=" not in page and "<style" not in page, path
        assert "cdn" not in page.lower(), path
        # Every visible input, select and textarea has a label.
        for field_id in re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page
        ):
            if "__index__" in field_id:
                continue  # the row templates tenders.js copies (labelled too, numbered on copy)
            assert f'for="{field_id}"' in page, f"{path}: #{field_id} has no label"


def test_grade_facts_show_on_the_evaluation_screen(app: Flask, cast: Cast) -> None:
    with app.app_context():
        organization = db.session.get(Organization, cast.partner_org)
        organization.legal_representative = "陈某"
        db.session.commit()
    bid_id = submitted_through_the_pages(app, cast)
    close(app, cast.tender_id)
    page = text(login(app, cast.staff).get(f"/staff/tenders/{cast.tender_id}/evaluation"))
    assert "法定代表人：陈某" in page and "3A" in page and "4A" in page
    assert f"投标 #{bid_id}" in page


def test_a_9_mb_joint_agreement_fits_through_the_page(app: Flask, cast: Cast) -> None:
    """The documents form raises the request limit (sized app-wide for one image) to a 10 MB PDF."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    bid_id = built_consortium(app, cast)
    lead = login(app, cast.lead)
    header = b"%PDF-1.4\n"
    big = header + b"%" + b"x" * (9 * 1024 * 1024) + b"\n" + PDF.removeprefix(header)
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        MultiDict(
            [
                ("kind", "joint_agreement"),
                ("title", "联合体协议（扫描件）"),
                ("file", FileStorage(BytesIO(big), "协议.pdf", content_type="application/pdf")),
            ]
        )
    )
    response = lead.post(
        f"/bids/{bid_id}/documents", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 303, text(response)
    assert count(app, BidDocument) == 1
