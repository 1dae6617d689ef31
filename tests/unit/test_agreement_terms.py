"""What an agreement version says: its canonical bytes and hash, the checks on its terms, period and
money, the money still due, the reminder schedule, renewal and the side-by-side diff. No app, no
database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from marketplace.agreements.terms import (
    COMMITTED_MAX,
    KPI_MAX,
    NOTICE_MAX,
    TEXT_MAX,
    TRANCHES_MAX,
    VOLUNTEERS_MAX,
    Document,
    Funding,
    PartyLine,
    Period,
    Segment,
    Terms,
    Tranche,
    canonical_json,
    check_funding,
    check_period,
    check_terms,
    content_sha256,
    diff,
    document,
    outstanding,
    renewal_reminder_from,
    renewed_period,
    signature_reminder_due,
    tranche_project,
)

PROJECT = 7
PERIOD = Period(date(2026, 1, 1), date(2026, 12, 31), auto_renew=True, renewal_notice_days=30)
TERMS = Terms(
    scope="双方共同开展青春助老志愿服务",
    obligations_company="按拨付计划出资",
    obligations_organization="组织志愿者入户探访",
    in_kind="平板电脑 20 台",
    volunteers=120,
    kpis=("每月探访 40 户", "满意度 90% 以上"),
    confidentiality="不得泄露受助老人的个人信息",
    dispute="提交温州仲裁委员会仲裁",
    extra=("本协议一式三份",),
)
FUNDING = Funding(
    3_000_000,
    (
        Tranche(date(2026, 3, 1), 1_000_000, PROJECT, "首期"),
        Tranche(date(2026, 9, 1), 2_000_000, PROJECT),
    ),
)
DOC = Document(
    agreement_type="strategic_cooperation",
    title="青春助老战略合作协议",
    version_no=1,
    parties=(
        PartyLine("company", "温州瓯江数码科技有限公司", "91330302MA2ABCDE1X"),
        PartyLine("organization", "鹿城区青禾社会工作服务中心", "52330302MJ1234567Y"),
    ),
    broker="共青团温州市鹿城区委员会（团区委1）",
    period=PERIOD,
    terms=TERMS,
    funding=FUNDING,
    projects=((PROJECT, "四点钟课堂"),),
)


def _hash(doc: Document) -> str:
    return content_sha256(document(doc))


# ─────────────────────────────── canonical JSON and the hash ───────────────────────────────


def test_canonical_json_sorts_keys_has_no_whitespace_and_writes_utf8() -> None:
    content = {"b": 1, "a": "协议 甲方", "c": [2, {"z": None, "y": True}]}
    assert canonical_json(content) == '{"a":"协议 甲方","b":1,"c":[2,{"y":true,"z":null}]}'.encode()


def test_a_documents_canonical_bytes_are_utf8_chinese_not_escapes() -> None:
    raw = canonical_json(document(DOC))
    assert b"\\u" not in raw
    assert "温州瓯江数码科技有限公司".encode() in raw
    assert b", " not in raw and b": " not in raw and b"\n" not in raw
    assert raw == canonical_json(document(DOC))


def test_the_hash_is_the_sha256_of_the_canonical_bytes() -> None:
    content = document(DOC)
    digest = content_sha256(content)
    assert digest == hashlib.sha256(canonical_json(content)).hexdigest()
    assert len(digest) == 64 and digest == digest.lower()
    assert content_sha256({}) == hashlib.sha256(b"{}").hexdigest()


def _reinserted(value: Any) -> Any:
    """The same content with every dict's keys inserted in the opposite order."""
    if isinstance(value, dict):
        return {key: _reinserted(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reinserted(item) for item in value]
    return value


def test_the_hash_does_not_depend_on_key_insertion_order_or_a_json_round_trip() -> None:
    content = document(DOC)
    reordered = _reinserted(content)
    assert list(reordered) != list(content)
    assert canonical_json(reordered) == canonical_json(content)
    assert content_sha256(reordered) == content_sha256(content)
    # What a JSON column gives back hashes the same as what was written.
    assert content_sha256(json.loads(canonical_json(content))) == content_sha256(content)


def test_the_same_tranches_entered_in_another_order_are_the_same_document() -> None:
    swapped = replace(DOC, funding=replace(FUNDING, tranches=tuple(reversed(FUNDING.tranches))))
    assert _hash(swapped) == _hash(DOC)


def test_tranches_that_differ_only_in_their_note_hash_the_same_in_any_order() -> None:
    day = date(2026, 6, 1)
    first = Tranche(day, 500_000, PROJECT, "场地费")
    second = Tranche(day, 500_000, PROJECT, "物资费")
    one = replace(DOC, funding=Funding(1_000_000, (first, second)))
    other = replace(DOC, funding=Funding(1_000_000, (second, first)))
    assert _hash(one) == _hash(other)


def _party(index: int, **changes: Any) -> Callable[[Document], Document]:
    def change(doc: Document) -> Document:
        parties = list(doc.parties)
        parties[index] = replace(parties[index], **changes)
        return replace(doc, parties=tuple(parties))

    return change


def _period(**changes: Any) -> Callable[[Document], Document]:
    return lambda doc: replace(doc, period=replace(doc.period, **changes))


def _terms(**changes: Any) -> Callable[[Document], Document]:
    return lambda doc: replace(doc, terms=replace(doc.terms, **changes))


def _tranche(index: int, **changes: Any) -> Callable[[Document], Document]:
    def change(doc: Document) -> Document:
        tranches = list(doc.funding.tranches)
        tranches[index] = replace(tranches[index], **changes)
        return replace(doc, funding=replace(doc.funding, tranches=tuple(tranches)))

    return change


# One change to each field the signed document holds. Material ones must also show in the diff.
MATERIAL_CHANGES: dict[str, Callable[[Document], Document]] = {
    "title": lambda doc: replace(doc, title="青春助老战略合作协议（修订）"),
    "parties[0].name": _party(0, name="温州瓯江数码集团有限公司"),
    "parties[1].name": _party(1, name="鹿城区青禾社工服务中心"),
    "parties[0].uscc": _party(0, uscc="91330302MA2ABCDE2X"),
    "broker": lambda doc: replace(doc, broker="共青团温州市鹿城区委员会（团区委2）"),
    "projects[0]": lambda doc: replace(doc, projects=((PROJECT, "四点钟课堂（二期）"),)),
    "projects added": lambda doc: replace(doc, projects=((PROJECT, "四点钟课堂"), (8, "助老食堂"))),
    "period.starts_on": _period(starts_on=date(2026, 1, 2)),
    "period.ends_on": _period(ends_on=date(2027, 1, 1)),
    "period.auto_renew": _period(auto_renew=False),
    "period.renewal_notice_days": _period(renewal_notice_days=31),
    "terms.scope one character": _terms(scope="双方共同开展青春助残志愿服务"),
    "terms.scope trailing space": _terms(scope="双方共同开展青春助老志愿服务 "),
    "terms.obligations.company": _terms(obligations_company="按拨付计划足额出资"),
    "terms.obligations.organization": _terms(obligations_organization="组织志愿者上门探访"),
    "terms.in_kind": _terms(in_kind="平板电脑 21 台"),
    "terms.volunteers": _terms(volunteers=121),
    "terms.volunteers unset": _terms(volunteers=None),
    "terms.kpis[0]": _terms(kpis=("每月探访 41 户", "满意度 90% 以上")),
    "terms.kpis order": _terms(kpis=("满意度 90% 以上", "每月探访 40 户")),
    "terms.kpis added": _terms(kpis=(*TERMS.kpis, "每季度提交报告")),
    "terms.confidentiality": _terms(confidentiality="不得泄露受助老人的个人资料"),
    "terms.dispute": _terms(dispute="向鹿城区人民法院起诉"),
    "terms.extra[0]": _terms(extra=("本协议一式四份",)),
    "terms.extra added": _terms(extra=(*TERMS.extra, "未尽事宜另行协商")),
    "funding.committed_amount": lambda doc: replace(
        doc, funding=replace(doc.funding, committed_amount=3_000_100)
    ),
    "funding.tranches[0].amount": _tranche(0, amount=1_000_001),
    "funding.tranches[0].due_on": _tranche(0, due_on=date(2026, 3, 2)),
    "funding.tranches[1].project_id": _tranche(1, project_id=8),
    "funding.tranches[0].note": _tranche(0, note="第一期"),
    "funding.tranches removed": lambda doc: replace(
        doc, funding=replace(doc.funding, tranches=FUNDING.tranches[:1])
    ),
}
OTHER_CHANGES: dict[str, Callable[[Document], Document]] = {
    "type": lambda doc: replace(doc, agreement_type="service_contract"),
    "version_no": lambda doc: replace(doc, version_no=2),
    "parties[1].signatory": _party(1, signatory=False),
}
EVERY_CHANGE = {**MATERIAL_CHANGES, **OTHER_CHANGES}


@pytest.mark.parametrize("change", list(EVERY_CHANGE.values()), ids=list(EVERY_CHANGE))
def test_changing_any_single_field_changes_the_hash(change: Callable[[Document], Document]) -> None:
    changed = change(DOC)
    assert changed != DOC
    assert _hash(changed) != _hash(DOC)


def test_terms_survive_a_json_round_trip() -> None:
    assert Terms.from_json(json.loads(json.dumps(TERMS.as_json()))) == TERMS
    assert Terms.from_json({}) == Terms()


# ─────────────────────────────── the period ───────────────────────────────


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "notice", "problems"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), 30, set()),
        (date(2026, 1, 1), date(2026, 1, 31), 0, set()),
        (date(2026, 1, 1), date(2025, 12, 31), 30, {"ends_on"}),
        (date(2026, 1, 1), date(2026, 1, 1), 0, {"ends_on"}),
        # A 30-day term: notice must be shorter than the term.
        (date(2026, 1, 1), date(2026, 1, 31), 29, set()),
        (date(2026, 1, 1), date(2026, 1, 31), 30, {"renewal_notice_days"}),
        (date(2026, 1, 1), date(2026, 1, 31), 45, {"renewal_notice_days"}),
        (date(2026, 1, 1), date(2026, 12, 31), -1, {"renewal_notice_days"}),
        (date(2026, 1, 1), date(2026, 12, 31), True, {"renewal_notice_days"}),
        (date(2026, 1, 1), date(2026, 12, 31), False, {"renewal_notice_days"}),
        (date(2026, 1, 1), date(2026, 12, 31), 30.0, {"renewal_notice_days"}),
        (date(2026, 1, 1), date(2028, 12, 31), NOTICE_MAX, set()),
        (date(2026, 1, 1), date(2028, 12, 31), NOTICE_MAX + 1, {"renewal_notice_days"}),
        (date(2026, 1, 1), date(2025, 1, 1), 400, {"ends_on", "renewal_notice_days"}),
    ],
)
def test_check_period(starts_on: date, ends_on: date, notice: Any, problems: set[str]) -> None:
    assert set(check_period(Period(starts_on, ends_on, False, notice))) == problems


def test_period_messages_name_the_problem() -> None:
    assert check_period(Period(date(2026, 1, 1), date(2026, 1, 1)))["ends_on"] == "结束日期必须晚于开始日期"
    too_long = check_period(Period(date(2026, 1, 1), date(2026, 1, 31), False, 30))
    assert too_long["renewal_notice_days"] == "续约提醒天数（30 天）必须短于协议期限（30 天）"


# ─────────────────────────────── the terms ───────────────────────────────


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, set()),
        ({"scope": ""}, {"terms.scope"}),
        ({"scope": " \n\t"}, {"terms.scope"}),
        ({"scope": "合" * TEXT_MAX}, set()),
        ({"scope": "合" * (TEXT_MAX + 1)}, {"terms.scope"}),
        ({"obligations_company": ""}, {"terms.obligations.company"}),
        ({"obligations_organization": "  "}, {"terms.obligations.organization"}),
        ({"obligations_organization": "义" * (TEXT_MAX + 1)}, {"terms.obligations.organization"}),
        ({"in_kind": "", "confidentiality": "", "dispute": "", "kpis": (), "extra": ()}, set()),
        ({"in_kind": "物" * (TEXT_MAX + 1)}, {"terms.in_kind"}),
        ({"confidentiality": "密" * (TEXT_MAX + 1)}, {"terms.confidentiality"}),
        ({"dispute": "争" * (TEXT_MAX + 1)}, {"terms.dispute"}),
        ({"volunteers": None}, set()),
        ({"volunteers": 0}, set()),
        ({"volunteers": VOLUNTEERS_MAX}, set()),
        ({"volunteers": VOLUNTEERS_MAX + 1}, {"terms.volunteers"}),
        ({"volunteers": -1}, {"terms.volunteers"}),
        ({"volunteers": True}, {"terms.volunteers"}),
        ({"volunteers": False}, {"terms.volunteers"}),
        ({"volunteers": 12.0}, {"terms.volunteers"}),
        ({"kpis": tuple(f"指标{n}" for n in range(KPI_MAX))}, set()),
        ({"kpis": tuple(f"指标{n}" for n in range(KPI_MAX + 1))}, {"terms.kpis"}),
        ({"kpis": ("每月探访 40 户", "  ")}, {"terms.kpis[1]"}),
        ({"kpis": ("指" * 200,)}, set()),
        ({"kpis": ("指" * 201,)}, {"terms.kpis[0]"}),
        ({"extra": tuple(f"条款{n}" for n in range(20))}, set()),
        ({"extra": tuple(f"条款{n}" for n in range(21))}, {"terms.extra"}),
        ({"extra": ("条" * 201,)}, set()),
        ({"extra": ("", "条" * (TEXT_MAX + 1))}, {"terms.extra[0]", "terms.extra[1]"}),
    ],
    ids=lambda value: None if isinstance(value, dict | set) else str(value),
)
def test_check_terms(changes: dict[str, Any], problems: set[str]) -> None:
    assert set(check_terms(replace(TERMS, **changes))) == problems


def test_empty_terms_ask_for_the_three_required_fields() -> None:
    problems = check_terms(Terms())
    assert problems == {
        "terms.scope": "请写明合作范围",
        "terms.obligations.company": "请写明企业一方的义务",
        "terms.obligations.organization": "请写明社会组织一方的义务",
    }


def test_length_messages_give_the_limit() -> None:
    assert check_terms(replace(TERMS, scope="合" * (TEXT_MAX + 1)))["terms.scope"] == "不能超过 5000 个字"
    assert check_terms(replace(TERMS, kpis=("指" * 201,)))["terms.kpis[0]"] == "不能超过 200 个字"


# ─────────────────────────────── money ───────────────────────────────


def _funding(committed: Any, *tranches: Tranche) -> Funding:
    return Funding(committed, tranches)


def _t(day: date, amount: Any, project_id: int | None = None, note: str = "") -> Tranche:
    return Tranche(day, amount, project_id, note)


MARCH, SEPT = date(2026, 3, 1), date(2026, 9, 1)


@pytest.mark.parametrize(
    ("funding", "project_ids", "problems"),
    [
        (Funding(), [PROJECT], set()),
        (FUNDING, [PROJECT], set()),
        (_funding(300, _t(MARCH, 100), _t(SEPT, 200)), [PROJECT], set()),
        (_funding(300, _t(MARCH, 100), _t(SEPT, 200)), [], set()),
        # The period's first and last days are inside it.
        (_funding(300, _t(PERIOD.starts_on, 100), _t(PERIOD.ends_on, 200)), [], set()),
        (_funding(0, _t(MARCH, 100)), [], {"committed_amount"}),
        (_funding(-100, _t(MARCH, -100)), [], {"committed_amount"}),
        (_funding(300.0, _t(MARCH, 300)), [], {"committed_amount"}),
        (_funding(True, _t(MARCH, 1)), [], {"committed_amount"}),
        (_funding(COMMITTED_MAX + 1, _t(MARCH, COMMITTED_MAX + 1)), [], {"committed_amount"}),
        (_funding(COMMITTED_MAX, _t(MARCH, COMMITTED_MAX)), [], set()),
        (_funding(None, _t(MARCH, 100)), [], {"committed_amount"}),
        (_funding(300), [], {"tranches"}),
        (_funding(300, _t(MARCH, 100), _t(SEPT, 100)), [], {"tranches"}),
        (_funding(300, _t(MARCH, 100), _t(SEPT, 300)), [], {"tranches"}),
        (_funding(300, _t(MARCH, 100.0), _t(SEPT, 200)), [], {"tranches[0].amount"}),
        (_funding(300, _t(MARCH, 100), _t(SEPT, True)), [], {"tranches[1].amount"}),
        (_funding(300, _t(MARCH, 0), _t(SEPT, 300)), [], {"tranches[0].amount"}),
        (_funding(300, _t(date(2025, 12, 31), 100), _t(SEPT, 200)), [], {"tranches[0].due_on"}),
        (_funding(300, _t(MARCH, 100), _t(date(2027, 1, 1), 200)), [], {"tranches[1].due_on"}),
        (_funding(300, _t(MARCH, 100, 99), _t(SEPT, 200, PROJECT)), [PROJECT], {"tranches[0].project_id"}),
        (_funding(300, _t(MARCH, 100, PROJECT)), [], {"tranches[0].project_id", "tranches"}),
        (_funding(300, _t(MARCH, 100, 7), _t(SEPT, 200, 8)), [7, 8], set()),
        (_funding(300, _t(MARCH, 100, 7), _t(SEPT, 200)), [7, 8], {"tranches[1].project_id"}),
        (_funding(300, _t(MARCH, 100, note="注" * 200), _t(SEPT, 200)), [], set()),
        (_funding(300, _t(MARCH, 100, note="注" * 201), _t(SEPT, 200)), [], {"tranches[0].note"}),
        (_funding(TRANCHES_MAX, *[_t(MARCH, 1)] * TRANCHES_MAX), [], set()),
        (_funding(TRANCHES_MAX + 1, *[_t(MARCH, 1)] * (TRANCHES_MAX + 1)), [], {"tranches"}),
    ],
)
def test_check_funding(funding: Funding, project_ids: list[int], problems: set[str]) -> None:
    assert set(check_funding(funding, PERIOD, project_ids=project_ids)) == problems


def test_funding_messages_say_what_is_wrong() -> None:
    mismatch = check_funding(_funding(3_000_000, _t(MARCH, 1_000_000)), PERIOD, project_ids=[])
    assert mismatch["tranches"] == "各期金额合计 ¥10,000，与承诺资助总额 ¥30,000 不一致"
    several = check_funding(_funding(300, _t(MARCH, 300)), PERIOD, project_ids=[7, 8])
    assert several["tranches[0].project_id"] == "协议关联了多个项目，请为每一期指定资助的项目"
    without = check_funding(_funding(None, _t(MARCH, 300)), PERIOD, project_ids=[])
    assert without["committed_amount"] == "填写了拨付计划，请同时填写承诺资助总额"
    too_many = check_funding(_funding(25, *[_t(MARCH, 1)] * 25), PERIOD, project_ids=[])
    assert too_many["tranches"] == "拨付计划最多 24 期"


@pytest.mark.parametrize(
    ("tranche", "project_ids", "expected"),
    [
        (_t(MARCH, 1, 8), [7, 8], 8),
        (_t(MARCH, 1), [7], 7),
        (_t(MARCH, 1), [], None),
        (_t(MARCH, 1), [7, 8], None),
    ],
)
def test_the_project_a_tranche_pays(tranche: Tranche, project_ids: list[int], expected: int | None) -> None:
    assert tranche_project(tranche, project_ids) == expected


JUNE = date(2026, 6, 1)
FIRST, SECOND, THIRD = _t(MARCH, 100), _t(JUNE, 200), _t(SEPT, 300)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (0, [(1, FIRST, 100), (2, SECOND, 200), (3, THIRD, 300)]),
        (-50, [(1, FIRST, 100), (2, SECOND, 200), (3, THIRD, 300)]),
        (100, [(2, SECOND, 200), (3, THIRD, 300)]),
        (150, [(2, SECOND, 150), (3, THIRD, 300)]),
        (99, [(1, FIRST, 1), (2, SECOND, 200), (3, THIRD, 300)]),
        (300, [(3, THIRD, 300)]),
        (599, [(3, THIRD, 1)]),
        (600, []),
        (1_000, []),
    ],
    ids=[
        "nothing",
        "negative",
        "first paid",
        "partial second",
        "partial first",
        "two paid",
        "one fen",
        "all",
        "over",
    ],
)
def test_money_received_pays_the_earliest_tranches_first(received: int, expected: list[Any]) -> None:
    # Given in any order: positions are in due order.
    assert outstanding((THIRD, FIRST, SECOND), received) == expected


# ─────────────────────────────── reminders and renewal ───────────────────────────────

PROPOSED_AT = datetime(2026, 1, 1, 9, 30)


@pytest.mark.parametrize(("sent", "days"), [(0, 5), (1, 7), (2, 9), (3, 11), (4, 13)])
def test_signature_reminders_after_5_days_then_every_2(sent: int, days: int) -> None:
    assert signature_reminder_due(PROPOSED_AT, sent) == PROPOSED_AT + timedelta(days=days)


@pytest.mark.parametrize("sent", [5, 6, 50])
def test_no_more_than_five_signature_reminders(sent: int) -> None:
    assert signature_reminder_due(PROPOSED_AT, sent) is None


@pytest.mark.parametrize(
    ("notice", "expected"),
    [(30, date(2026, 12, 1)), (0, date(2026, 12, 31)), (1, date(2026, 12, 30)), (364, date(2026, 1, 1))],
)
def test_renewal_reminder_starts_notice_days_before_the_end(notice: int, expected: date) -> None:
    assert renewal_reminder_from(replace(PERIOD, renewal_notice_days=notice)) == expected


def test_a_renewed_period_starts_the_day_after_and_lasts_as_long() -> None:
    period = Period(date(2026, 3, 10), date(2026, 6, 14), True, 10)  # 96 days, not whole months
    renewed = renewed_period(period)
    assert renewed == Period(date(2026, 6, 15), date(2026, 9, 19), True, 10)
    assert renewed.term_days == period.term_days


def test_a_calendar_year_agreement_renews_for_the_next_calendar_year() -> None:
    assert renewed_period(PERIOD) == Period(date(2027, 1, 1), date(2027, 12, 31), True, 30)


def test_a_calendar_year_agreement_renewed_into_a_leap_year_still_ends_on_31_december() -> None:
    second = renewed_period(renewed_period(PERIOD))
    assert second == Period(date(2028, 1, 1), date(2028, 12, 31), True, 30)


# ─────────────────────────────── diff ───────────────────────────────


def test_diff_of_a_version_with_itself_has_every_row_unchanged() -> None:
    content = document(DOC)
    rows = diff(content, content)
    assert [row.key for row in rows] == [
        "title",
        "parties",
        "broker",
        "projects",
        "period",
        "auto_renew",
        "renewal_notice_days",
        "terms.scope",
        "terms.obligations.company",
        "terms.obligations.organization",
        "committed_amount",
        "tranches",
        "terms.in_kind",
        "terms.volunteers",
        "terms.kpis",
        "terms.confidentiality",
        "terms.dispute",
        "terms.extra",
    ]
    assert not any(row.changed for row in rows)
    assert all(row.old == row.new for row in rows)
    title = rows[0]
    assert title.label == "协议名称" and title.old == (Segment("青春助老战略合作协议", False),)


def test_diff_marks_exactly_the_characters_that_changed() -> None:
    rows = {
        row.key: row
        for row in diff(document(DOC), document(_terms(scope="双方共同开展青春助残志愿服务")(DOC)))
    }
    scope = rows["terms.scope"]
    assert scope.changed
    assert scope.old == (
        Segment("双方共同开展青春助", False),
        Segment("老", True),
        Segment("志愿服务", False),
    )
    assert scope.new == (
        Segment("双方共同开展青春助", False),
        Segment("残", True),
        Segment("志愿服务", False),
    )
    assert [key for key, row in rows.items() if row.changed] == ["terms.scope"]


def test_diff_shows_an_added_tranche_as_a_new_line() -> None:
    one = replace(DOC, funding=Funding(1_000_000, (_t(MARCH, 1_000_000, PROJECT, "首期"),)))
    two = replace(
        DOC, funding=Funding(3_000_000, (_t(MARCH, 1_000_000, PROJECT, "首期"), _t(SEPT, 2_000_000)))
    )
    rows = {row.key: row for row in diff(document(one), document(two))}
    tranches = rows["tranches"]
    assert tranches.old == (Segment("2026-03-01  ¥10,000  「四点钟课堂」  首期", False),)
    assert tranches.new == (
        Segment("2026-03-01  ¥10,000  「四点钟课堂」  首期", False),
        Segment("\n2026-09-01  ¥20,000", True),
    )
    assert rows["committed_amount"].old_text == "¥10,000" and rows["committed_amount"].new_text == "¥30,000"
    assert [key for key, row in rows.items() if row.changed] == ["committed_amount", "tranches"]


def test_diff_shows_a_removed_kpi_on_the_old_side_only() -> None:
    rows = {row.key: row for row in diff(document(DOC), document(_terms(kpis=TERMS.kpis[:1])(DOC)))}
    kpis = rows["terms.kpis"]
    assert kpis.old == (Segment("每月探访 40 户", False), Segment("\n满意度 90% 以上", True))
    assert kpis.new == (Segment("每月探访 40 户", False),)


@pytest.mark.parametrize(
    "change",
    [pytest.param(change, id=name) for name, change in MATERIAL_CHANGES.items()],
)
def test_every_material_change_shows_in_the_diff(change: Callable[[Document], Document]) -> None:
    assert any(row.changed for row in diff(document(DOC), document(change(DOC))))
