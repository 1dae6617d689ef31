"""Supervision rules without an app: quarters, the reproducible draw, fund-check flags and the
fund-usage report deadline."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from marketplace.errors import DomainError
from marketplace.supervision import rules
from marketplace.supervision.rules import FundFlag, Quarter

# ─────────────────────────────── quarters ───────────────────────────────


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
        (" 2026q4 ", date(2026, 10, 1), date(2026, 12, 31)),
        ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),  # leap year: Q1 still ends on 31 March
        ("2000Q1", date(2000, 1, 1), date(2000, 3, 31)),
        ("2099Q4", date(2099, 10, 1), date(2099, 12, 31)),
    ],
)
def test_a_quarter_is_parsed_into_its_first_and_last_day(text: str, start: date, end: date) -> None:
    quarter = rules.parse_quarter(text)
    assert (quarter.start, quarter.end) == (start, end)
    assert quarter.code == text.strip().upper() == str(quarter)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "请填写季度，格式如 2026Q4"),
        (None, "请填写季度，格式如 2026Q4"),
        ("   ", "请填写季度，格式如 2026Q4"),
        ("2026", "季度格式不正确：2026（应为 年份+Q+季度，例如 2026Q4）"),
        ("2026-Q4", "季度格式不正确：2026-Q4（应为 年份+Q+季度，例如 2026Q4）"),
        ("Q4 2026", "季度格式不正确：Q4 2026（应为 年份+Q+季度，例如 2026Q4）"),
        ("26Q4", "季度格式不正确：26Q4（应为 年份+Q+季度，例如 2026Q4）"),
        ("2026Q10", "季度格式不正确：2026Q10（应为 年份+Q+季度，例如 2026Q4）"),
        ("２０２６Q4", "季度格式不正确：２０２６Q4（应为 年份+Q+季度，例如 2026Q4）"),  # full-width digits
        ("2026Q5", "季度只能是 Q1 至 Q4：2026Q5"),
        ("2026Q0", "季度只能是 Q1 至 Q4：2026Q0"),
        ("1999Q4", "年份应在 2000 到 2099 之间"),
        ("2100Q1", "年份应在 2000 到 2099 之间"),
    ],
)
def test_a_bad_quarter_is_refused_with_what_is_wrong(text: str | None, reason: str) -> None:
    with pytest.raises(DomainError) as refused:
        rules.parse_quarter(text)
    assert refused.value.fields == {"quarter": reason}


@pytest.mark.parametrize(
    ("day", "code"),
    [(date(2026, 1, 1), "2026Q1"), (date(2026, 3, 31), "2026Q1"), (date(2026, 4, 1), "2026Q2"),
     (date(2026, 9, 30), "2026Q3"), (date(2026, 12, 31), "2026Q4")],
)  # fmt: skip
def test_the_quarter_of_a_day(day: date, code: str) -> None:
    assert rules.quarter_of(day).code == code


@pytest.mark.parametrize(
    ("quarter", "seed"), [(Quarter(2026, 4), 20264), (Quarter(2026, 1), 20261), (Quarter(2027, 4), 20274)]
)
def test_the_default_seed_is_derived_from_the_quarter(quarter: Quarter, seed: int) -> None:
    assert rules.default_seed(quarter) == seed
    assert rules.default_seed(rules.parse_quarter(quarter.code)) == seed


@pytest.mark.parametrize("seed", [-1, 2**31, True, 1.5, "7", None])
def test_a_seed_outside_the_stored_range_is_refused(seed: object) -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_seed(seed)
    assert "seed" in refused.value.fields


@pytest.mark.parametrize("seed", [0, 1, 20264, 2**31 - 1])
def test_a_seed_in_range_is_kept(seed: int) -> None:
    assert rules.check_seed(seed) == seed


@pytest.mark.parametrize("year", [1999, 2100, True, "2026", None])
def test_a_year_outside_the_range_is_refused(year: object) -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_year(year)
    assert refused.value.fields == {"year": "年份应在 2000 到 2099 之间"}


# ─────────────────────────────── the draw ───────────────────────────────

POOL = {
    "A1": list(range(100, 130)),
    "A2": list(range(200, 210)),
    "A3": [301, 305, 303],
    "A4": [401],
    "A5": [],
}


def test_the_same_seed_draws_the_same_organizations() -> None:
    first = rules.sample_per_grade(POOL, 2, 20264)
    again = rules.sample_per_grade({grade: list(reversed(ids)) for grade, ids in POOL.items()}, 2, 20264)
    assert first == again  # the order the ids come in does not matter: they are sorted first


def test_each_grade_draws_two_of_its_own_sorted_ascending() -> None:
    drawn = rules.sample_per_grade(POOL, 2, 7)
    assert set(drawn) == set(POOL)
    for grade, picks in drawn.items():
        assert picks == sorted(picks)
        assert set(picks) <= set(POOL[grade])
        assert len(picks) == min(2, len(POOL[grade]))
        assert len(set(picks)) == len(picks)


def test_a_different_seed_usually_draws_differently() -> None:
    draws = {tuple(rules.sample_per_grade(POOL, 2, seed)["A1"]) for seed in range(20)}
    assert len(draws) > 10  # 435 possible pairs out of 30: twenty seeds give many different pairs


@pytest.mark.parametrize(("ids", "expected"), [([], []), ([9], [9]), ([9, 3], [3, 9]), ([9, 3, 3], [3, 9])])
def test_a_grade_with_two_or_fewer_organizations_gives_all_of_them(
    ids: list[int], expected: list[int]
) -> None:
    assert rules.sample_per_grade({"A3": ids}, 2, 1) == {"A3": expected}


def test_one_grade_changing_does_not_change_another_grades_picks() -> None:
    before = rules.sample_per_grade(POOL, 2, 11)
    after = rules.sample_per_grade({**POOL, "A1": [*POOL["A1"], 131, 132]}, 2, 11)
    assert before["A2"] == after["A2"]


def test_the_draw_is_a_known_fixed_answer() -> None:
    # Pinned, so a change of the algorithm (which would change past quarters' draws) is noticed.
    ten = {"A2": list(range(1, 11))}
    assert rules.sample_per_grade(ten, 2, 20264) == {"A2": [6, 8]}
    assert rules.sample_per_grade(ten, 2, 1) == {"A2": [4, 8]}


# ─────────────────────────────── fund flags ───────────────────────────────

D, N, R, U = (
    FundFlag.DISBURSED_OVER_RAISED,
    FundFlag.NO_REPORT,
    FundFlag.REPORTED_OVER_DISBURSED,
    FundFlag.UNREPORTED_GAP,
)


@pytest.mark.parametrize(
    ("raised", "disbursed", "reported", "has_report", "flags"),
    [
        (100_00, 100_00, 100_00, True, ()),  # adds up
        (100_00, 0, 0, True, ()),  # a report of nothing spent, nothing paid out: consistent
        (100_00, 60_00, 60_00, True, ()),  # part paid out, all of it reported
        (100_00, 100_00, 0, False, (N,)),  # paid out, no report
        (100_00, 0, 0, False, (N,)),  # not paid out yet, but no report either
        (100_00, 100_00, 40_00, True, (U,)),  # paid out more than reported spent
        (100_00, 50_00, 80_00, True, (R,)),  # reports spending money not yet paid out
        (100_00, 120_00, 120_00, True, (D,)),  # a refund after disbursement left it over-paid
        (100_00, 120_00, 0, False, (D, N)),
        (100_00, 120_00, 60_00, True, (D, U)),
        (100_00, 120_00, 130_00, True, (D, R)),
        (1, 1, 1, True, ()),
    ],
)
def test_fund_flags(raised: int, disbursed: int, reported: int, has_report: bool, flags: tuple) -> None:
    assert (
        rules.fund_flags(raised=raised, disbursed=disbursed, reported=reported, has_report=has_report)
        == flags
    )


def test_every_fund_flag_has_a_label() -> None:
    assert set(rules.FUND_FLAG_LABELS) == set(FundFlag)


# ─────────────────────────────── overdue reports ───────────────────────────────

FUNDED = datetime(2026, 6, 30, 4, 0)


@pytest.mark.parametrize(
    ("after", "has_report", "overdue"),
    [
        (timedelta(days=0), False, False),
        (timedelta(days=89), False, False),
        (timedelta(days=90) - timedelta(seconds=1), False, False),
        (timedelta(days=90), False, True),
        (timedelta(days=91), False, True),
        (timedelta(days=400), False, True),
        (timedelta(days=90), True, False),
        (timedelta(days=400), True, False),
    ],
)
def test_a_report_is_overdue_from_the_ninetieth_day(
    after: timedelta, has_report: bool, overdue: bool
) -> None:
    assert rules.report_is_overdue(FUNDED, has_report, FUNDED + after) is overdue


def test_a_project_never_funded_owes_no_report() -> None:
    assert rules.report_is_overdue(None, False, FUNDED) is False


@pytest.mark.parametrize(("after", "days"), [(90, 0), (91, 1), (120, 30), (10, 0)])
def test_days_overdue(after: int, days: int) -> None:
    assert rules.report_due_at(FUNDED) == FUNDED + timedelta(days=90)
    assert rules.days_overdue(FUNDED, FUNDED + timedelta(days=after)) == days
