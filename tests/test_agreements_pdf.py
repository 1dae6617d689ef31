"""The PDF of an agreement version: correct Chinese text, the signed content, the hash, the signatures,
page numbers on long documents, and a clear error when the server has no CJK font."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from pypdf.generic import NameObject

from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements.models import Agreement, AgreementVersion
from marketplace.agreements.pdf import FontUnavailable, find_typeface, render_version_pdf
from marketplace.agreements.terms import Terms, Tranche
from marketplace.extensions import db
from marketplace.parties.models import Company
from marketplace.timeutil import local_today, to_local
from tests import factories

SCOPE = "双方在鹿城区共同开展“青春助老”志愿服务，覆盖五马街道、南汇街道的独居老人。"


@dataclass
class Deal:
    agreement: Agreement
    version: AgreementVersion
    company: User
    org: User
    staff: User


def _proposed(*, scope: str = SCOPE, kpis: tuple[str, ...] = ("每月上门探访不少于 40 户",)) -> Deal:
    """An agreement brokered by staff with 30,000 yuan in two tranches, proposed for signature."""
    factories.foundation()
    org = factories.org_member(name="鹿城区青禾社会工作服务中心")
    company = factories.company_member(name="温州瓯江数码科技有限公司")
    staff = factories.staff()
    project = factories.project(org, status="published", reviewer=staff)
    today = local_today()
    agreement = ops.create_agreement(
        staff,
        ops.AgreementInput(
            title="青春助老战略合作协议",
            company_id=company.company_id,
            organization_id=org.organization_id,
            project_ids=[project.id],
            starts_on=today,
            ends_on=today + timedelta(days=365),
            auto_renew=True,
            renewal_notice_days=45,
        ),
    )
    terms = Terms(
        scope=scope,
        obligations_company="按拨付计划出资，并每季度组织员工志愿者参与服务。",
        obligations_organization="负责项目执行，按季度提交服务报告和资金使用明细。",
        in_kind="提供平板电脑 20 台用于老人视频问诊。",
        volunteers=120,
        kpis=kpis,
        confidentiality="各方对受助老人的个人信息负有保密义务。",
        dispute="协商不成的，提交温州仲裁委员会仲裁。",
        extra=("本协议一式三份，各方各执一份。",),
    )
    version = ops.add_version(
        agreement,
        staff,
        ops.VersionInput(
            terms=terms,
            committed_amount=3_000_000,
            tranches=(
                Tranche(today + timedelta(days=10), 1_000_000, note="首期"),
                Tranche(today + timedelta(days=100), 2_000_000),
            ),
        ),
    )
    ops.propose(agreement, staff, version_id=version.id)
    db.session.commit()
    return Deal(agreement, version, company, org, staff)


def _sign_both(deal: Deal) -> None:
    for user in (deal.company, deal.org):
        ops.sign(deal.agreement, user, version_id=deal.version.id, content_sha256=deal.version.content_sha256)
    db.session.commit()


def _reader(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    # fpdf2 gives a CID-keyed CFF font such as Noto Sans CJK an embedded CMap as its /Encoding.
    # pypdf does not read such a CMap and falls back to one byte per character, garbling every
    # two-byte code. The codes are Identity (two bytes, as that CMap says) and the /ToUnicode map —
    # what viewers use to copy text — is right, so let pypdf read the codes as /Identity-H.
    for page in reader.pages:
        for ref in page["/Resources"].get_object()["/Font"].get_object().values():
            font = ref.get_object()
            if font.get("/Subtype") == "/Type0" and not isinstance(font["/Encoding"], NameObject):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    return reader


def _page_texts(reader: PdfReader) -> list[str]:
    # Extracted CJK text may have spaces between characters: compare without any whitespace.
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def _text(pdf: bytes) -> str:
    return "".join(_page_texts(_reader(pdf)))


def test_a_proposed_version_names_the_parties_terms_money_and_hash_and_is_unsigned(ctx):
    deal = _proposed()
    text = _text(render_version_pdf(deal.agreement, deal.version))

    assert "《青春助老战略合作协议》" in text
    assert "战略合作协议" in text and "第1版（初始版本）" in text and "已提交签署" in text
    assert "甲方（企业方）：温州瓯江数码科技有限公司" in text
    assert "乙方（社会组织方）：鹿城区青禾社会工作服务中心" in text
    assert deal.company.company.uscc in text and deal.org.organization.uscc in text
    assert "见证方：共青团温州市鹿城区委员会" in text
    assert re.sub(r"\s+", "", SCOPE) in text
    assert "¥30,000（大写：人民币叁万元整）" in text
    assert "第1期" in text and "¥10,000" in text and "首期" in text and "¥20,000" in text
    assert "1.每月上门探访不少于40户" in text
    assert "志愿服务120人次" in text and "提交温州仲裁委员会仲裁" in text
    assert "本协议一式三份" in text and "是，期满后按原期限自动续期" in text and "到期前45天" in text
    assert deal.version.content_sha256 in text
    assert text.count("未签署") == 2
    assert "签署前不具约束力" in text


def test_after_both_parties_signed_the_pdf_shows_each_signer_time_and_signed_hash(ctx):
    deal = _proposed()
    _sign_both(deal)
    db.session.refresh(deal.version)
    text = _text(render_version_pdf(deal.agreement, deal.version))

    assert "未签署" not in text and "签署前不具约束力" not in text
    assert "已签署" in text
    for user in (deal.company, deal.org):
        assert f"授权签署人：{user.name}" in text
    signed = [s for s in deal.version.signatures if s.decision == "signed"]
    assert len(signed) == 2
    for signature in signed:
        local = to_local(signature.signed_at)
        assert f"{local.year}年{local.month}月{local.day}日{local:%H:%M}（北京时间）" in text
    # The full hash once in the integrity section and once per signature.
    assert text.count(deal.version.content_sha256) == 3


def test_the_pdf_shows_the_signed_text_even_after_a_party_is_renamed(ctx):
    deal = _proposed()
    _sign_both(deal)
    company = db.session.get(Company, deal.company.company_id)
    company.name = "瓯江数码集团（更名后）"
    db.session.commit()
    db.session.refresh(deal.version)

    text = _text(render_version_pdf(deal.agreement, deal.version))
    assert "温州瓯江数码科技有限公司" in text
    assert "更名后" not in text


def test_the_pdf_carries_its_metadata_and_is_the_same_each_time(ctx):
    deal = _proposed()
    _sign_both(deal)
    db.session.refresh(deal.version)
    first = render_version_pdf(deal.agreement, deal.version)
    assert render_version_pdf(deal.agreement, deal.version) == first

    meta = _reader(first).metadata
    assert meta.title == "《青春助老战略合作协议》第 1 版"
    assert deal.version.content_sha256 in meta["/Keywords"]
    signed_at = to_local(deal.version.signed_at).replace(microsecond=0)
    assert meta.creation_date == signed_at


def test_a_long_scope_wraps_over_several_pages_each_numbered_with_the_hash(ctx):
    sentence = "乙方应当在每一个服务周期结束后十个工作日内向甲方和见证方书面报告服务开展情况与资金使用情况。"
    scope = (sentence * 200)[:5000]
    kpis = tuple(f"第{n}项指标：完成入户探访{n * 10}户并留存服务记录" for n in range(1, 21))
    deal = _proposed(scope=scope, kpis=kpis)

    pages = _page_texts(_reader(render_version_pdf(deal.agreement, deal.version)))
    total = len(pages)
    assert total >= 4
    header = "《青春助老战略合作协议》第1版"
    body = []
    for number, page in enumerate(pages, start=1):
        footer = f"第{number}页/共{total}页内容哈希{deal.version.content_sha256[:16]}"
        assert page.endswith(footer)
        assert page.startswith(header) is (number > 1)
        body.append(page.removeprefix(header).removesuffix(footer))
    text = "".join(body)
    # Nothing was cut where the pages break: the whole scope, and all 20 KPIs in order.
    assert scope in text
    assert "".join(f"{n}.{kpi}" for n, kpi in enumerate(kpis, start=1)) in text


def test_a_missing_font_is_a_clear_503_error_not_a_pdf_of_empty_boxes(ctx, tmp_path: Path):
    deal = _proposed()
    not_a_font = tmp_path / "NotoSansCJK-Regular.ttc"
    not_a_font.write_bytes(b"this is not a font")
    ctx.config["AGREEMENT_PDF_FONT"] = [str(tmp_path / "missing.ttc"), str(not_a_font)]

    with pytest.raises(FontUnavailable) as raised:
        render_version_pdf(deal.agreement, deal.version)
    assert raised.value.status == 503
    assert str(raised.value) == "服务器缺少中文字体 fonts-noto-cjk，暂时无法生成 PDF"


def test_a_latin_only_font_is_refused_too(ctx):
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.exists():
        pytest.skip("DejaVu Sans is not installed")
    deal = _proposed()
    ctx.config["AGREEMENT_PDF_FONT"] = str(latin)
    with pytest.raises(FontUnavailable):
        render_version_pdf(deal.agreement, deal.version)


def test_the_simplified_chinese_face_of_the_collection_is_chosen_with_its_bold():
    typeface = find_typeface(("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",))
    assert typeface.regular.family == "Noto Sans CJK SC"
    assert typeface.bold is not None and typeface.bold.family == "Noto Sans CJK SC"
    assert typeface.bold.path.endswith("NotoSansCJK-Bold.ttc")


# ─────────────────────────────── the download (served by the pages) ───────────────────────────────


def _pdf_url(app: Flask) -> tuple[str, str, str]:
    with app.app_context():
        deal = _proposed()
        url = f"/agreements/{deal.agreement.id}/versions/{deal.version.id}.pdf"
        return url, deal.org.email, deal.version.content_sha256


def test_a_party_member_downloads_the_version_as_a_pdf(app: Flask, client: FlaskClient, auth: Any):
    url, email, sha256 = _pdf_url(app)
    auth.login(email)

    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = _text(response.data)
    assert "鹿城区青禾社会工作服务中心" in text and sha256 in text


def test_without_a_cjk_font_the_download_is_a_503_page_saying_so(app: Flask, client: FlaskClient, auth: Any):
    url, email, _ = _pdf_url(app)
    app.config["AGREEMENT_PDF_FONT"] = "/nonexistent/NotoSansCJK-Regular.ttc"
    auth.login(email)

    response = client.get(url)
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "服务器缺少中文字体 fonts-noto-cjk，暂时无法生成 PDF" in response.get_data(as_text=True)


def test_a_service_contract_pdf_names_the_buyer_and_every_supplier(ctx, app: Flask):
    """The contract of a consortium's award: the buyer and each member are parties, and the
    obligations are the buyer's and the suppliers', not a company's."""
    from marketplace.tenders import operations as tenders
    from tests.tender_support import after_deadline, submitted_consortium

    staff = factories.staff()
    built = submitted_consortium(staff, Path(app.config["UPLOAD_DIR"]))
    now = after_deadline(built.tender)
    tenders.evaluate_bid(
        built.tender, staff, tenders.EvaluationInput(bid_id=built.bid.id, result="valid", score="90"), now=now
    )
    contract = tenders.award(built.tender, staff, bid_id=built.bid.id, now=now).agreement
    assert contract is not None and contract.pending_version is not None
    text = _text(render_version_pdf(contract, contract.pending_version))

    assert "政府购买服务合同" in text and "温州市鹿城区民政局" in text
    assert built.lead.organization.name in text and built.partner.organization.name in text
    assert "采购人的义务" in text and "供应商的义务" in text and "企业方" not in text
    assert "联合体各方就合同履行向采购人承担连带责任" in text
