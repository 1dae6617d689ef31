"""The PDF of an agreement version: an A4 contract in Chinese, set from the document the parties sign.

The text comes from ``version.content`` — the canonical document whose SHA-256 is
``content_sha256`` — never from live rows, so a party renamed after signing does not change the PDF;
the signatures come from ``version.signatures``. A contract's language is Chinese whichever language a
reader chose for the site, so the document's wording is not translated.

Chinese needs a CJK font: ``AGREEMENT_PDF_FONT`` names one file or several tried in order (Debian's
fonts-noto-cjk by default). Without one, rendering stops with :class:`FontUnavailable` (503) rather
than producing a PDF of empty boxes. Only the font's resolved path is cached between calls; each
call builds its own ``FPDF``, which is not safe to share between threads.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from flask import current_app, has_app_context
from fontTools.ttLib import TTCollection, TTFont
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

from marketplace.agreements import terms as rules
from marketplace.agreements.models import PARTY_ROLE_LABELS, Agreement, AgreementSignature, AgreementVersion
from marketplace.agreements.states import TYPE_LABELS, AgreementType, VersionStatus
from marketplace.config import Defaults
from marketplace.errors import DomainError
from marketplace.messages import Msg
from marketplace.money import format_fen
from marketplace.pledges.receipts import amount_in_words
from marketplace.timeutil import to_local

log = logging.getLogger(__name__)

FAMILY: Final = "cjk"
# Characters every agreement PDF prints: a font (face) must have them all to be used at all.
PROBE: Final = "甲乙方协议签署第页共元整见证哈希续"
PARTY_DESIGNATIONS: Final = "甲乙丙丁戊己庚辛壬癸"
CHINESE_DIGITS: Final = "零一二三四五六七八九"
MARGIN: Final = 20.0  # mm, A4 portrait
LINE: Final = 6.2  # mm, body line height
BODY_SIZE: Final = 10.5
GREY: Final = (100, 100, 100)


class FontUnavailable(DomainError):
    """No usable CJK font on the server: the view shows a 503 page instead of a broken PDF."""

    status = 503
    code = "font_unavailable"
    default_message = Msg("服务器缺少中文字体 fonts-noto-cjk，暂时无法生成 PDF")


# ─────────────────────────────── the font ───────────────────────────────


@dataclass(frozen=True)
class FontFace:
    path: str
    number: int  # the face's index in a collection (.ttc), 0 for a single font
    family: str


@dataclass(frozen=True)
class Typeface:
    regular: FontFace
    bold: FontFace | None  # None: headings use the regular face


def font_candidates() -> tuple[str, ...]:
    """The configured font path(s): the app's ``AGREEMENT_PDF_FONT``, or the Debian defaults."""
    configured: Any = (
        current_app.config.get("AGREEMENT_PDF_FONT", Defaults.AGREEMENT_PDF_FONT)
        if has_app_context()
        else Defaults.AGREEMENT_PDF_FONT
    )
    if isinstance(configured, str):
        return (configured,)
    return tuple(str(path) for path in configured or ())


def _face_rank(family: str, number: int, preferred: str | None) -> tuple[bool, bool, bool, int]:
    # Simplified Chinese first: the JP/KR/TC faces of a collection draw some hanzi differently.
    return (
        preferred is not None and family != preferred,
        not family.endswith(" SC"),
        "Mono" in family,
        number,
    )


def _pick_face(path: str, fonts: Sequence[TTFont], preferred: str | None) -> FontFace | None:
    named = []
    for number, font in enumerate(fonts):
        names = font["name"]
        family = str(names.getDebugName(16) or names.getDebugName(1) or "")
        named.append((_face_rank(family, number, preferred), number, family, font))
    for _rank, number, family, font in sorted(named, key=lambda item: item[0]):
        cmap = font.getBestCmap() or {}
        if all(ord(character) in cmap for character in PROBE):
            return FontFace(path, number, family)
    return None


def _face_in(path: str, preferred: str | None = None) -> FontFace | None:
    """The Simplified Chinese face of a font file or collection, or None when it has no usable one."""
    if not os.path.isfile(path):
        return None
    try:
        # Our own handle: fontTools leaves its file open when the header is not a font's.
        with open(path, "rb") as handle:
            if path.lower().endswith((".ttc", ".otc")):
                with TTCollection(handle, lazy=True) as collection:
                    return _pick_face(path, collection.fonts, preferred)
            with TTFont(handle, lazy=True) as font:
                return _pick_face(path, [font], preferred)
    except Exception:  # any unreadable file is simply not a usable font; say which in the log
        log.warning("agreement PDF: cannot read font %s", path, exc_info=True)
        return None


def _bold_sibling(path: str) -> str | None:
    folder, name = os.path.split(path)
    return os.path.join(folder, name.replace("Regular", "Bold")) if "Regular" in name else None


@functools.lru_cache(maxsize=4)
def find_typeface(candidates: tuple[str, ...]) -> Typeface:
    """The first candidate with a Simplified Chinese face, and its bold sibling when there is one.
    Cached per process (a failure is not: installing the font needs no restart)."""
    for path in candidates:
        regular = _face_in(path)
        if regular is None:
            continue
        sibling = _bold_sibling(path)
        bold = _face_in(sibling, regular.family) if sibling else None
        return Typeface(regular, bold)
    log.error("agreement PDF: no CJK font among %s; install Debian's fonts-noto-cjk", list(candidates))
    raise FontUnavailable()


# ─────────────────────────────── formatting ───────────────────────────────


def chinese_number(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (section numbers, below 100)."""
    tens, ones = divmod(number, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    return (CHINESE_DIGITS[tens] if tens > 1 else "") + "十" + (CHINESE_DIGITS[ones] if ones else "")


def chinese_date(value: str | date | None) -> str:
    if not value:
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日"


def local_time(moment: datetime) -> str:
    local = to_local(moment)
    return f"{chinese_date(local.date())} {local:%H:%M}（北京时间）"


def _designation(index: int) -> str:
    return (PARTY_DESIGNATIONS[index] if index < len(PARTY_DESIGNATIONS) else str(index + 1)) + "方"


def _or_none(text: Any) -> str:
    return str(text).strip() if text is not None and str(text).strip() else "无"


# ─────────────────────────────── the document ───────────────────────────────


class _ContractPDF(FPDF):
    """A4 pages with a running title from page 2 on and a footer with page numbers and the hash."""

    running_title = ""
    sha256 = ""

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*GREY)
        # Absolute margins: a page may break while a block is indented.
        self.set_xy(MARGIN, 10)
        self.cell(self.w - 2 * MARGIN, 4, self.running_title, align=Align.R)
        self.set_draw_color(*GREY)
        self.line(MARGIN, 15, self.w - MARGIN, 15)
        self.set_y(MARGIN)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*GREY)
        width = self.w - 2 * MARGIN
        self.set_xy(MARGIN, -16)
        self.cell(width, 4, f"第 {self.page_no()} 页 / 共 {self.str_alias_nb_pages} 页", align=Align.C)
        self.set_xy(MARGIN, -12)
        self.cell(width, 4, f"内容哈希 {self.sha256[:16]}", align=Align.C)
        self.set_text_color(0, 0, 0)


def _new_pdf(typeface: Typeface) -> _ContractPDF:
    pdf = _ContractPDF(orientation="P", unit="mm", format="A4")
    try:
        pdf.add_font(FAMILY, "", typeface.regular.path, collection_font_number=typeface.regular.number)
        # Without a bold face, headings (and table headings, which ask for bold) use the regular one.
        bold = typeface.bold or typeface.regular
        pdf.add_font(FAMILY, "B", bold.path, collection_font_number=bold.number)
    except Exception as error:  # the file vanished or changed since it was found: look again next time
        find_typeface.cache_clear()
        log.error("agreement PDF: font %s unusable: %s", typeface.regular.path, error)
        raise FontUnavailable() from error
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN + 4)
    pdf.alias_nb_pages()
    return pdf


@dataclass
class _Layout:
    pdf: _ContractPDF
    agreement: Agreement
    version: AgreementVersion
    content: Mapping[str, Any]
    section: int = 0

    # ── building blocks ──

    def font(self, size: float = BODY_SIZE, *, bold: bool = False) -> None:
        self.pdf.set_font(FAMILY, "B" if bold else "", size)

    def heading(self, text: str) -> None:
        self.section += 1
        if self.pdf.will_page_break(LINE * 3):  # never a heading alone at the foot of a page
            self.pdf.add_page()
        self.pdf.ln(3)
        self.font(12, bold=True)
        self.pdf.multi_cell(0, 8, f"{chinese_number(self.section)}、{text}", **_FLOW)
        self.font()

    def paragraph(self, text: str, *, indent: float = 0.0, size: float = BODY_SIZE) -> None:
        self.font(size)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(0, LINE * size / BODY_SIZE, text, **_FLOW)

    def labelled(self, label: str, value: str, *, indent: float = 0.0) -> None:
        """The label in bold, a full-width colon, then the value flowing over as many lines as it needs."""
        pdf = self.pdf
        left = pdf.l_margin
        pdf.set_left_margin(left + indent)
        pdf.set_x(left + indent)
        self.font(bold=True)
        pdf.write(LINE, f"{label}：", wrapmode=WrapMode.CHAR)
        self.font()
        pdf.write(LINE, value, wrapmode=WrapMode.CHAR)
        pdf.ln(LINE)
        pdf.set_left_margin(left)

    def numbered(self, items: Iterable[str]) -> None:
        listed = [item for item in items if str(item).strip()]
        if not listed:
            self.paragraph("无", indent=6)
        for number, item in enumerate(listed, start=1):
            self.pdf.set_x(self.pdf.l_margin + 6)
            self.font()
            self.pdf.cell(8, LINE, f"{number}.")
            self.pdf.multi_cell(0, LINE, str(item), **_FLOW)

    # ── the parts of the contract ──

    def parties(self) -> list[Mapping[str, Any]]:
        return list(self.content.get("parties") or [])

    def party_label(self, role: str) -> str:
        for index, party in enumerate(self.parties()):
            if party.get("role") == role:
                return f"{_designation(index)}（{party.get('name', '')}）"
        return str(PARTY_ROLE_LABELS.get(role, role))

    def title_block(self) -> None:
        content, version = self.content, self.version
        self.font(18, bold=True)
        self.pdf.multi_cell(0, 10, f"《{content.get('title', '')}》", align=Align.C, **_FLOW)
        kind = content.get("type", AgreementType.STRATEGIC_COOPERATION.value)
        type_label = TYPE_LABELS[AgreementType(kind)] if kind in set(AgreementType) else kind
        self.font(11)
        line = f"{type_label} · 第 {content.get('version_no', version.version_no)} 版（{version.kind_label}）"
        self.pdf.multi_cell(0, 7, line, align=Align.C, **_FLOW)
        self.font(10)
        self.pdf.multi_cell(0, 6, f"版本状态：{version.status_label}", align=Align.C, **_FLOW)
        notice = _status_notice(version)
        if notice:
            self.pdf.set_text_color(160, 40, 40)
            self.pdf.multi_cell(0, 6, notice, align=Align.C, **_FLOW)
            self.pdf.set_text_color(0, 0, 0)
        self.pdf.ln(2)

    def parties_section(self) -> None:
        self.heading("签约各方")
        for index, party in enumerate(self.parties()):
            role = str(PARTY_ROLE_LABELS.get(party.get("role", ""), party.get("role", "")))
            self.labelled(f"{_designation(index)}（{role}）", str(party.get("name", "")))
            self.labelled("统一社会信用代码", _or_none(party.get("uscc")), indent=6)
        self.labelled("见证方", _or_none(self.content.get("broker")))

    def period_section(self) -> None:
        period = self.content.get("period") or {}
        self.heading("协议期限")
        start, end = chinese_date(period.get("starts_on")), chinese_date(period.get("ends_on"))
        self.labelled("期限", f"自 {start} 起至 {end} 止")
        renew = "是，期满后按原期限自动续期" if period.get("auto_renew") else "否"
        self.labelled("自动续期", renew)
        self.labelled("续约提醒", f"到期前 {period.get('renewal_notice_days', '')} 天提醒各方")
        projects = list(self.content.get("projects") or [])
        self.labelled(
            "关联项目", "；".join(f"「{item['title']}」" for item in projects) if projects else "无"
        )

    def terms_sections(self) -> None:
        terms = self.content.get("terms") or {}
        obligations = terms.get("obligations") or {}
        # A service contract's sides are the buyer and its suppliers; the stored keys stay the same.
        service = self.content.get("type") == AgreementType.SERVICE_CONTRACT.value
        self.heading("服务内容" if service else "合作范围")
        self.paragraph(_or_none(terms.get("scope")))
        self.heading("各方义务")
        for role in ("company", "organization"):
            side = (
                {"company": "采购人", "organization": "供应商"}[role] if service else self.party_label(role)
            )
            self.labelled(f"{side}的义务", "")
            self.paragraph(_or_none(obligations.get(role)), indent=6)
        self.funding_section()
        self.heading("物资与服务支持")
        self.paragraph(_or_none(terms.get("in_kind")))
        self.heading("志愿服务")
        volunteers = terms.get("volunteers")
        self.paragraph(f"志愿服务 {volunteers} 人次" if volunteers is not None else "无")
        self.heading("绩效指标")
        self.numbered(terms.get("kpis") or [])
        self.heading("保密条款")
        self.paragraph(_or_none(terms.get("confidentiality")))
        self.heading("争议解决")
        self.paragraph(_or_none(terms.get("dispute")))
        self.heading("补充条款")
        self.numbered(terms.get("extra") or [])

    def funding_section(self) -> None:
        funding = self.content.get("funding") or {}
        committed = funding.get("committed_amount")
        self.heading("资助承诺")
        if not isinstance(committed, int) or isinstance(committed, bool):
            self.paragraph("本协议不涉及资金承诺。")
            return
        self.labelled("承诺资助总额", f"{format_fen(committed)}（大写：{amount_in_words(committed)}）")
        tranches = list(funding.get("tranches") or [])
        if not tranches:
            return
        self.labelled("拨付计划", f"共 {len(tranches)} 期，以银行转账方式拨付")
        self.tranche_table(tranches)

    def tranche_table(self, tranches: Sequence[Mapping[str, Any]]) -> None:
        self.font(9.5)
        names = {item["id"]: item["title"] for item in self.content.get("projects") or []}
        with self.pdf.table(
            col_widths=(12, 26, 24, 46, 32),
            text_align=("CENTER", "CENTER", "RIGHT", "LEFT", "LEFT"),
            line_height=5.5,
            wrapmode=WrapMode.CHAR,
            padding=1.5,
        ) as table:
            header = table.row()
            for text in ("期次", "拨付日期", "金额", "资助对象", "备注"):
                header.cell(text)
            for number, tranche in enumerate(tranches, start=1):
                row = table.row()
                row.cell(f"第 {number} 期")
                row.cell(chinese_date(tranche.get("due_on")))
                amount = tranche.get("amount")
                row.cell(format_fen(amount) if isinstance(amount, int) else str(amount))
                row.cell(_tranche_target(tranche.get("project_id"), names))
                row.cell(str(tranche.get("note") or "—"))
        self.font()

    def integrity_section(self) -> None:
        sha = self.version.content_sha256
        self.heading("文本校验")
        self.labelled("内容哈希（SHA-256）", "")
        self.paragraph(sha, indent=6)
        self.paragraph(
            "上述哈希值是本版本规范化 JSON 文本（键名排序、无多余空白、UTF-8 编码）的 SHA-256 摘要，"
            "覆盖协议名称、签约各方、见证方、期限、关联项目、全部条款与资金安排。各方签署时确认的即是"
            "该哈希值，文本的任何改动都会得到不同的哈希值。",
            size=9,
        )
        if rules.content_sha256(self.content) != sha:
            self.pdf.set_text_color(180, 0, 0)
            self.paragraph("警告：本版本的内容与上述哈希值不一致，内容可能已被改动，请勿以本文件为准。")
            self.pdf.set_text_color(0, 0, 0)

    def signature_section(self) -> None:
        self.heading("签署")
        signatures = _signatures_by_position(self.agreement, self.version, self.parties())
        for index, party in enumerate(self.parties()):
            if not party.get("signatory", True):
                continue
            if self.pdf.will_page_break(LINE * 5):  # keep each party's block on one page
                self.pdf.add_page()
            self.pdf.ln(2)
            self.labelled(f"{_designation(index)}（盖章）", str(party.get("name", "")))
            self.signature_lines(signatures.get(index))
        self.pdf.ln(2)
        self.labelled("见证方", _or_none(self.content.get("broker")))

    def signature_lines(self, signature: AgreementSignature | None) -> None:
        if signature is None:
            self.labelled("签署状态", "未签署", indent=6)
            return
        signer = signature.signer_name + (f"（{signature.signer_title}）" if signature.signer_title else "")
        if signature.decision != "signed":
            self.labelled("签署状态", f"拒绝签署（{signer}，{local_time(signature.signed_at)}）", indent=6)
            self.labelled("理由", _or_none(signature.reason), indent=6)
            return
        self.labelled("授权签署人", signer, indent=6)
        self.labelled("签署时间", local_time(signature.signed_at), indent=6)
        matches = "" if signature.version_sha256 == self.version.content_sha256 else "（与本版本不一致）"
        self.labelled("所签内容哈希", f"{signature.version_sha256}{matches}", indent=6)


_FLOW: Final[dict[str, Any]] = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT, "wrapmode": WrapMode.CHAR}


def _status_notice(version: AgreementVersion) -> str:
    if version.status in (VersionStatus.DRAFT, VersionStatus.PROPOSED):
        return "本文本尚未经各方签署，签署前不具约束力。"
    if version.status == VersionStatus.WITHDRAWN:
        return "本版本已撤回，不是有效文本。"
    if version.status == VersionStatus.SUPERSEDED:
        return "本版本已被后续版本替代，不是现行有效文本。"
    return ""


def _tranche_target(project_id: Any, names: Mapping[int, str]) -> str:
    if project_id is None:
        if len(names) == 1:
            return f"项目「{next(iter(names.values()))}」"
        return "乙方协议资金账户" if not names else "—"
    return f"项目「{names[project_id]}」" if project_id in names else f"项目 #{project_id}"


def _signatures_by_position(
    agreement: Agreement, version: AgreementVersion, parties: Sequence[Mapping[str, Any]]
) -> dict[int, AgreementSignature]:
    """Each document party's decision on this version. Document parties are listed in the order of
    the agreement's parties, so they match by position (and role, should the lists ever differ)."""
    by_party = {signature.party_id: signature for signature in version.signatures}
    found: dict[int, AgreementSignature] = {}
    for index, line in enumerate(parties):
        rows = agreement.parties
        row = rows[index] if index < len(rows) and rows[index].role == line.get("role") else None
        if row is None:
            row = next((item for item in rows if item.role == line.get("role")), None)
        if row is not None and row.id in by_party:
            found[index] = by_party[row.id]
    return found


def _creation_date(version: AgreementVersion) -> datetime:
    """When this text was fixed: signed, else proposed, else last edited (Wenzhou time)."""
    moment = version.signed_at or version.proposed_at or version.updated_at or version.created_at
    return to_local(moment)


def render_version_pdf(agreement: Agreement, version: AgreementVersion) -> bytes:
    """The version as an A4 PDF: title, parties, period, every term, the hash and the signatures."""
    typeface = find_typeface(font_candidates())
    pdf = _new_pdf(typeface)
    content = version.content or {}
    title = str(content.get("title", agreement.title))
    number = content.get("version_no", version.version_no)
    pdf.running_title = f"《{title}》第 {number} 版"
    pdf.sha256 = version.content_sha256
    pdf.set_title(f"《{title}》第 {number} 版")
    pdf.set_subject(str(agreement.type_label))
    pdf.set_author("青亲筹")
    pdf.set_creator("青亲筹 · 合作协议")
    pdf.set_keywords(f"content_sha256:{version.content_sha256}")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(_creation_date(version))
    pdf.add_page()
    layout = _Layout(pdf, agreement, version, content)
    layout.title_block()
    layout.parties_section()
    layout.period_section()
    layout.terms_sections()
    layout.integrity_section()
    layout.signature_section()
    return bytes(pdf.output())


# Rendering takes one to three seconds (subsetting the CJK font), and a version's PDF only changes
# when its status or its signatures do: keep the last few in memory, per process.
_CACHE_SIZE = 32
_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_cache_lock = threading.Lock()


def version_pdf(agreement: Agreement, version: AgreementVersion) -> bytes:
    """``render_version_pdf``, reusing the bytes while nothing printed on them has changed."""
    key = (
        version.id,
        version.content_sha256,
        version.status,
        agreement.type,
        tuple((signature.id, signature.decision) for signature in version.signatures),
    )
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    body = render_version_pdf(agreement, version)
    with _cache_lock:
        _cache[key] = body
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return body
