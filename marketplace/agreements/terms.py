"""What an agreement version says, how it is checked, hashed and compared. PURE: no Flask, no database.

A version's terms are structured so that they can be checked, compared and turned into money:
scope, each party's obligations, committed funding (fen) paid in tranches, in-kind resources,
volunteers, KPIs, confidentiality, the dispute clause and free-text extra clauses. The signed
document is the canonical JSON of :func:`document` (sorted keys, no whitespace, UTF-8), and
``content_sha256`` is the SHA-256 of those bytes: a signature binds to it, so any change to any
signed word, amount, date or party name gives another hash (电子签名法 第13条: a change after
signing must be detectable).
"""

from __future__ import annotations

import calendar
import difflib
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from marketplace.messages import Msg
from marketplace.money import format_fen

TEXT_MAX: Final = 5000
SHORT_MAX: Final = 200
KPI_MAX: Final = 20
EXTRA_MAX: Final = 20
TRANCHES_MAX: Final = 24
VOLUNTEERS_MAX: Final = 100_000
# Ten billion yuan: far above anything a district agreement commits, and safely inside BIGINT.
COMMITTED_MAX: Final = 10**10 * 100
NOTICE_DEFAULT: Final = 30
NOTICE_MAX: Final = 365
# Signature reminders as e-signature products send them: first after 5 days, then every 2, at most 5.
FIRST_REMINDER_DAYS: Final = 5
REMINDER_INTERVAL_DAYS: Final = 2
MAX_REMINDERS: Final = 5
EXPIRING_SOON_DAYS: Final = 30
CANONICAL_FORMAT: Final = "qqc-agreement/1"


@dataclass(frozen=True)
class Tranche:
    due_on: date
    amount: int  # fen
    project_id: int | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "due_on": self.due_on.isoformat(),
            "amount": self.amount,
            "project_id": self.project_id,
            "note": self.note,
        }


@dataclass(frozen=True)
class Terms:
    scope: str = ""
    obligations_company: str = ""
    obligations_organization: str = ""
    in_kind: str = ""
    volunteers: int | None = None
    kpis: tuple[str, ...] = ()
    confidentiality: str = ""
    dispute: str = ""
    extra: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "obligations": {
                "company": self.obligations_company,
                "organization": self.obligations_organization,
            },
            "in_kind": self.in_kind,
            "volunteers": self.volunteers,
            "kpis": list(self.kpis),
            "confidentiality": self.confidentiality,
            "dispute": self.dispute,
            "extra": list(self.extra),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Terms:
        obligations = data.get("obligations") or {}
        return cls(
            scope=data.get("scope", ""),
            obligations_company=obligations.get("company", ""),
            obligations_organization=obligations.get("organization", ""),
            in_kind=data.get("in_kind", ""),
            volunteers=data.get("volunteers"),
            kpis=tuple(data.get("kpis") or ()),
            confidentiality=data.get("confidentiality", ""),
            dispute=data.get("dispute", ""),
            extra=tuple(data.get("extra") or ()),
        )


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date
    auto_renew: bool = False
    renewal_notice_days: int = NOTICE_DEFAULT

    @property
    def term_days(self) -> int:
        return (self.ends_on - self.starts_on).days

    def as_json(self) -> dict[str, Any]:
        return {
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "auto_renew": self.auto_renew,
            "renewal_notice_days": self.renewal_notice_days,
        }


@dataclass(frozen=True)
class Funding:
    committed_amount: int | None = None  # fen; None: no money in this agreement
    tranches: tuple[Tranche, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "committed_amount": self.committed_amount,
            "currency": "CNY",
            "tranches": [tranche.as_json() for tranche in sorted_tranches(self.tranches)],
        }


@dataclass(frozen=True)
class PartyLine:
    """A party as the signed document names it (names are copied at proposal: a later rename of the
    organization does not change what was signed)."""

    role: str  # "company" | "organization" | "buyer" | "member"
    name: str
    uscc: str = ""
    signatory: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "name": self.name, "uscc": self.uscc, "signatory": self.signatory}


@dataclass(frozen=True)
class Document:
    agreement_type: str
    title: str
    version_no: int
    parties: tuple[PartyLine, ...]
    broker: str
    period: Period
    terms: Terms
    funding: Funding
    projects: tuple[tuple[int, str], ...] = field(default=())  # (id, title), as tranches name them


def sorted_tranches(tranches: Sequence[Tranche]) -> list[Tranche]:
    # Every field is in the key: the same schedule typed in another order must hash the same.
    return sorted(
        tranches, key=lambda tranche: (tranche.due_on, tranche.amount, tranche.project_id or 0, tranche.note)
    )


def document(doc: Document) -> dict[str, Any]:
    """The canonical content of a version: exactly what is hashed and signed."""
    return {
        "format": CANONICAL_FORMAT,
        "type": doc.agreement_type,
        "title": doc.title,
        "version_no": doc.version_no,
        "parties": [party.as_json() for party in doc.parties],
        "broker": doc.broker,
        "period": doc.period.as_json(),
        "projects": [{"id": project_id, "title": title} for project_id, title in doc.projects],
        "terms": doc.terms.as_json(),
        "funding": doc.funding.as_json(),
    }


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8 (not \\u escapes): the same content always
    gives the same bytes, whichever process or database wrote it."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def content_sha256(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


# ─────────────────────────────── checks ───────────────────────────────


def check_period(period: Period) -> dict[str, Msg]:
    problems: dict[str, Msg] = {}
    if period.ends_on <= period.starts_on:
        problems["ends_on"] = Msg("结束日期必须晚于开始日期")
    notice = period.renewal_notice_days
    if isinstance(notice, bool) or not isinstance(notice, int) or notice < 0:
        problems["renewal_notice_days"] = Msg("续约提醒天数须为不小于 0 的整数")
    elif notice > NOTICE_MAX:
        problems["renewal_notice_days"] = Msg("续约提醒天数不能超过 %(n)d 天", n=NOTICE_MAX)
    elif "ends_on" not in problems and notice >= period.term_days:
        problems["renewal_notice_days"] = Msg(
            "续约提醒天数（%(notice)d 天）必须短于协议期限（%(days)d 天）",
            notice=notice,
            days=period.term_days,
        )
    return problems


def _check_text(problems: dict[str, Msg], path: str, value: str, *, required: Msg | None, limit: int) -> None:
    if required is not None and not value.strip():
        problems[path] = required
    elif len(value) > limit:
        problems[path] = Msg("不能超过 %(n)d 个字", n=limit)


def check_terms(terms: Terms) -> dict[str, Msg]:
    problems: dict[str, Msg] = {}
    _check_text(problems, "terms.scope", terms.scope, required=Msg("请写明合作范围"), limit=TEXT_MAX)
    _check_text(
        problems,
        "terms.obligations.company",
        terms.obligations_company,
        required=Msg("请写明企业一方的义务"),
        limit=TEXT_MAX,
    )
    _check_text(
        problems,
        "terms.obligations.organization",
        terms.obligations_organization,
        required=Msg("请写明社会组织一方的义务"),
        limit=TEXT_MAX,
    )
    for path, value in (
        ("terms.in_kind", terms.in_kind),
        ("terms.confidentiality", terms.confidentiality),
        ("terms.dispute", terms.dispute),
    ):
        _check_text(problems, path, value, required=None, limit=TEXT_MAX)
    volunteers = terms.volunteers
    if volunteers is not None and (
        isinstance(volunteers, bool)
        or not isinstance(volunteers, int)
        or not 0 <= volunteers <= VOLUNTEERS_MAX
    ):
        problems["terms.volunteers"] = Msg("志愿者人次须为 0 到 %(n)d 之间的整数", n=VOLUNTEERS_MAX)
    for path, items, limit, too_many in (
        ("terms.kpis", terms.kpis, KPI_MAX, Msg("绩效指标最多 %(n)d 条", n=KPI_MAX)),
        ("terms.extra", terms.extra, EXTRA_MAX, Msg("补充条款最多 %(n)d 条", n=EXTRA_MAX)),
    ):
        if len(items) > limit:
            problems[path] = too_many
            continue
        for index, item in enumerate(items):
            if not item.strip():
                problems[f"{path}[{index}]"] = Msg("不能为空")
            elif len(item) > (SHORT_MAX if path == "terms.kpis" else TEXT_MAX):
                problems[f"{path}[{index}]"] = Msg(
                    "不能超过 %(n)d 个字", n=SHORT_MAX if path == "terms.kpis" else TEXT_MAX
                )
    return problems


def _is_fen(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_funding(funding: Funding, period: Period, *, project_ids: Sequence[int]) -> dict[str, Msg]:
    """Committed funding > 0 paid in tranches that add up to it exactly, each due within the term
    and, when the agreement names more than one project, naming the project it goes to."""
    problems: dict[str, Msg] = {}
    committed = funding.committed_amount
    if committed is None:
        if funding.tranches:
            problems["committed_amount"] = Msg("填写了拨付计划，请同时填写承诺资助总额")
        return problems
    if not _is_fen(committed) or committed <= 0:
        problems["committed_amount"] = Msg("承诺资助总额必须大于 0")
        return problems
    if committed > COMMITTED_MAX:
        problems["committed_amount"] = Msg("承诺资助总额过大，请核对")
        return problems
    if not funding.tranches:
        problems["tranches"] = Msg("请填写拨付计划（至少一期）")
        return problems
    if len(funding.tranches) > TRANCHES_MAX:
        problems["tranches"] = Msg("拨付计划最多 %(n)d 期", n=TRANCHES_MAX)
        return problems
    total = 0
    for index, tranche in enumerate(funding.tranches):
        path = f"tranches[{index}]"
        if not _is_fen(tranche.amount) or tranche.amount <= 0:
            problems[f"{path}.amount"] = Msg("每期金额必须大于 0")
        else:
            total += tranche.amount
        if not period.starts_on <= tranche.due_on <= period.ends_on:
            problems[f"{path}.due_on"] = Msg(
                "拨付日期须在协议期限内（%(start)s 至 %(end)s）",
                start=period.starts_on.isoformat(),
                end=period.ends_on.isoformat(),
            )
        if tranche.project_id is not None and tranche.project_id not in project_ids:
            problems[f"{path}.project_id"] = Msg("该期指定的项目不在本协议关联的项目中")
        elif tranche.project_id is None and len(project_ids) > 1:
            problems[f"{path}.project_id"] = Msg("协议关联了多个项目，请为每一期指定资助的项目")
        if len(tranche.note) > SHORT_MAX:
            problems[f"{path}.note"] = Msg("不能超过 %(n)d 个字", n=SHORT_MAX)
    if not any(key.endswith(".amount") for key in problems) and total != committed:
        problems["tranches"] = Msg(
            "各期金额合计 %(total)s，与承诺资助总额 %(committed)s 不一致",
            total=format_fen(total),
            committed=format_fen(committed),
        )
    return problems


def tranche_project(tranche: Tranche, project_ids: Sequence[int]) -> int | None:
    """The project a tranche's pledge goes to: the one it names, the only linked project, or none
    (then the organization's agreement account)."""
    if tranche.project_id is not None:
        return tranche.project_id
    return project_ids[0] if len(project_ids) == 1 else None


def outstanding(tranches: Sequence[Tranche], received: int) -> list[tuple[int, Tranche, int]]:
    """What is still to be scheduled when a version takes effect: money already received under the
    agreement pays the earliest tranches first, so an amendment that keeps the schedule does not ask
    for a paid tranche again. Returns (position in due order, tranche, amount still due)."""
    left = max(received, 0)
    due: list[tuple[int, Tranche, int]] = []
    for position, tranche in enumerate(sorted_tranches(tranches), start=1):
        covered = min(left, tranche.amount)
        left -= covered
        if tranche.amount - covered > 0:
            due.append((position, tranche, tranche.amount - covered))
    return due


# ─────────────────────────────── reminders ───────────────────────────────


def signature_reminder_due(
    proposed_at: datetime, reminders_sent: int, last_sent_at: datetime | None = None
) -> datetime | None:
    """When the next signature reminder is due: 5 days after the proposal, then every 2 days, at
    most 5 in all (None once 5 were sent). Never sooner than 2 days after the last one sent, so a
    job that ran late catches up one reminder at a time instead of sending several at once."""
    if reminders_sent >= MAX_REMINDERS:
        return None
    due = proposed_at + timedelta(days=FIRST_REMINDER_DAYS + REMINDER_INTERVAL_DAYS * reminders_sent)
    if last_sent_at is not None:
        due = max(due, last_sent_at + timedelta(days=REMINDER_INTERVAL_DAYS))
    return due


def renewal_reminder_from(period: Period) -> date:
    """The first day a renewal reminder is due: ``renewal_notice_days`` before the end."""
    return period.ends_on - timedelta(days=period.renewal_notice_days)


def _add_months(day: date, months: int) -> date:
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def renewed_period(period: Period) -> Period:
    """An auto-renewing agreement runs again for as long as its term, from the day after it ended.
    A term of whole calendar months (1 Jan – 31 Dec) renews by months, so leap years do not make
    it drift; any other term renews by the same number of days."""
    starts = period.ends_on + timedelta(days=1)
    months = (starts.year - period.starts_on.year) * 12 + starts.month - period.starts_on.month
    if months > 0 and _add_months(period.starts_on, months) == starts:
        ends = _add_months(starts, months) - timedelta(days=1)
    else:
        ends = starts + timedelta(days=period.term_days)
    return Period(starts, ends, True, period.renewal_notice_days)


# ─────────────────────────────── diff ───────────────────────────────


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    key: str
    label: Msg
    old: tuple[Segment, ...]
    new: tuple[Segment, ...]

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text

    @property
    def old_text(self) -> str:
        return "".join(segment.text for segment in self.old)

    @property
    def new_text(self) -> str:
        return "".join(segment.text for segment in self.new)


def _yuan(value: Any) -> str:
    return format_fen(value) if _is_fen(value) else ""


def _lines(content: Mapping[str, Any]) -> list[tuple[str, Msg, str]]:
    """A version's content as labelled lines of text, in reading order."""
    terms = content.get("terms", {})
    period = content.get("period", {})
    funding = content.get("funding", {})
    parties = content.get("parties", [])
    titles = {item.get("id"): item.get("title", "") for item in content.get("projects", [])}

    def target(project_id: Any) -> str:
        return f"  「{titles.get(project_id, f'#{project_id}')}」" if project_id is not None else ""

    lines: list[tuple[str, Msg, str]] = [
        ("title", Msg("协议名称"), content.get("title", "")),
        (
            "parties",
            Msg("签约各方"),
            "\n".join(
                party.get("name", "") + (f"（{party['uscc']}）" if party.get("uscc") else "")
                for party in parties
            ),
        ),
        ("broker", Msg("见证方"), content.get("broker", "")),
        ("projects", Msg("关联项目"), "\n".join(titles.values())),
        ("period", Msg("协议期限"), f"{period.get('starts_on', '')} — {period.get('ends_on', '')}"),
        ("auto_renew", Msg("自动续期"), "是" if period.get("auto_renew") else "否"),
        ("renewal_notice_days", Msg("续约提醒"), f"{period.get('renewal_notice_days', '')} 天"),
        ("terms.scope", Msg("合作范围"), terms.get("scope", "")),
        ("terms.obligations.company", Msg("企业一方的义务"), terms.get("obligations", {}).get("company", "")),
        (
            "terms.obligations.organization",
            Msg("社会组织一方的义务"),
            terms.get("obligations", {}).get("organization", ""),
        ),
        ("committed_amount", Msg("承诺资助总额"), _yuan(funding.get("committed_amount"))),
        (
            "tranches",
            Msg("拨付计划"),
            "\n".join(
                f"{item.get('due_on', '')}  {_yuan(item.get('amount'))}"
                + target(item.get("project_id"))
                + (f"  {item['note']}" if item.get("note") else "")
                for item in funding.get("tranches", [])
            ),
        ),
        ("terms.in_kind", Msg("物资与服务支持"), terms.get("in_kind", "")),
        (
            "terms.volunteers",
            Msg("志愿者人次"),
            "" if terms.get("volunteers") is None else str(terms.get("volunteers")),
        ),
        ("terms.kpis", Msg("绩效指标"), "\n".join(terms.get("kpis", []))),
        ("terms.confidentiality", Msg("保密条款"), terms.get("confidentiality", "")),
        ("terms.dispute", Msg("争议解决"), terms.get("dispute", "")),
        ("terms.extra", Msg("补充条款"), "\n".join(terms.get("extra", []))),
    ]
    return lines


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[DiffRow]:
    """Two versions side by side, line by line, with the characters that changed marked on each side
    (character level, because Chinese has no spaces between words)."""
    rows: list[DiffRow] = []
    for (key, label, before), (_, _, after) in zip(_lines(old), _lines(new), strict=True):
        if before == after:
            same = (Segment(before, False),) if before else ()
            rows.append(DiffRow(key, label, same, same))
            continue
        matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
        left: list[Segment] = []
        right: list[Segment] = []
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            if tag == "equal":
                left.append(Segment(before[a0:a1], False))
                right.append(Segment(after[b0:b1], False))
                continue
            if a1 > a0:
                left.append(Segment(before[a0:a1], True))
            if b1 > b0:
                right.append(Segment(after[b0:b1], True))
        rows.append(DiffRow(key, label, tuple(left), tuple(right)))
    return rows
