"""The dashboard's date ranges and month buckets, as tables (no app, no database)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest

from marketplace.errors import DomainError
from marketplace.reports import periods
from marketplace.reports.periods import DateRange

D = date


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (D(2026, 11, 27), D(2025, 12, 1), D(2026, 11, 27)),
        (D(2026, 1, 1), D(2025, 2, 1), D(2026, 1, 1)),
        (D(2026, 12, 31), D(2026, 1, 1), D(2026, 12, 31)),
        (D(2024, 2, 29), D(2023, 3, 1), D(2024, 2, 29)),
    ],
)
def test_the_default_range_is_the_last_twelve_months(today: date, start: date, end: date) -> None:
    period = periods.default_range(today)
    assert (period.start, period.end) == (start, end)
    assert len(periods.month_buckets(period)) == 12


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 1, 15), -1, D(2025, 12, 15)),
        (D(2026, 5, 1), -11, D(2025, 6, 1)),
        (D(2026, 5, 1), 60, D(2031, 5, 1)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_end_of_a_shorter_month(day: date, months: int, expected: date) -> None:
    assert periods.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "keys", "first", "last"),
    [
        (D(2026, 1, 1), D(2026, 1, 31), ["2026-01"], D(2026, 1, 1), D(2026, 1, 31)),
        (D(2026, 1, 15), D(2026, 1, 15), ["2026-01"], D(2026, 1, 15), D(2026, 1, 15)),
        (D(2026, 1, 15), D(2026, 3, 10), ["2026-01", "2026-02", "2026-03"], D(2026, 1, 15), D(2026, 3, 10)),
        (
            D(2025, 11, 30),
            D(2026, 2, 1),
            ["2025-11", "2025-12", "2026-01", "2026-02"],
            D(2025, 11, 30),
            D(2026, 2, 1),
        ),
        (D(2024, 2, 1), D(2024, 2, 29), ["2024-02"], D(2024, 2, 1), D(2024, 2, 29)),
    ],
)
def test_month_buckets_cover_the_range_clipped_at_both_ends(
    start: date, end: date, keys: list[str], first: date, last: date
) -> None:
    buckets = periods.month_buckets(DateRange(start, end))
    assert [bucket.key for bucket in buckets] == keys
    assert buckets[0].first_day == first and buckets[-1].last_day == last
    # Contiguous: each month starts the day after the previous one ends, so no day is counted twice.
    for earlier, later in itertools.pairwise(buckets):
        assert later.first_day == earlier.last_day + timedelta(days=1)
        assert later.start_utc == earlier.end_utc
        assert later.first_day.day == 1
    assert buckets[0].start_utc == DateRange(start, end).start_utc
    assert buckets[-1].end_utc == DateRange(start, end).end_utc


def test_a_five_year_range_has_sixty_months() -> None:
    period = periods.check_range(D(2021, 1, 1), D(2025, 12, 31))
    assert len(periods.month_buckets(period)) == 60


@pytest.mark.parametrize(
    ("day", "utc"),
    [
        # Wenzhou midnight is 16:00 UTC the day before (no daylight saving in Asia/Shanghai).
        (D(2026, 1, 1), datetime(2025, 12, 31, 16, 0)),
        (D(2026, 7, 1), datetime(2026, 6, 30, 16, 0)),
        (D(2000, 1, 1), datetime(1999, 12, 31, 16, 0)),
    ],
)
def test_days_begin_at_wenzhou_midnight(day: date, utc: datetime) -> None:
    assert periods.local_midnight_utc(day) == utc
    period = DateRange(day, day)
    assert period.start_utc == utc
    assert period.end_utc == utc + timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-07", D(2026, 9, 7)),
        (" 2026-09-07 ", D(2026, 9, 7)),
        ("2024-02-29", D(2024, 2, 29)),
        ("2026-02-29", None),
        ("2026-13-01", None),
        ("2026/09/07", None),
        ("20260907", None),
        ("2026-9-7", None),
        ("2026-W36-1", None),
        ("２０２６-09-07", None),
        ("", None),
        (None, None),
        ("2026-09-07T00:00", None),
    ],
)
def test_parse_day_accepts_only_yyyy_mm_dd(text: str | None, expected: date | None) -> None:
    assert periods.parse_day(text) == expected


TODAY = D(2026, 11, 27)


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "start", "end"),
    [
        ("", "", D(2025, 12, 1), TODAY),
        (None, None, D(2025, 12, 1), TODAY),
        ("2026-01-01", "", D(2026, 1, 1), TODAY),
        ("", "2026-06-30", D(2025, 12, 1), D(2026, 6, 30)),
        ("2026-03-05", "2026-03-05", D(2026, 3, 5), D(2026, 3, 5)),
        ("2021-01-01", "2025-12-31", D(2021, 1, 1), D(2025, 12, 31)),
        ("2026-01-01", "2030-12-31", D(2026, 1, 1), D(2030, 12, 31)),  # the future is allowed
    ],
)
def test_accepted_ranges(raw_from: str | None, raw_to: str | None, start: date, end: date) -> None:
    period = periods.range_from_text(raw_from, raw_to, TODAY)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "fields"),
    [
        ("2026-06-01", "2026-05-31", {"from": periods.INVERTED}),
        ("2026-12-01", "", {"from": periods.INVERTED}),  # after today, the default end
        ("", "2025-01-01", {"from": periods.INVERTED}),  # before the default start
        ("2021-01-01", "2026-01-01", {"to": periods.TOO_LONG}),
        ("2026/01/01", "", {"from": periods.BAD_DAY}),
        ("x", "2026-02-30", {"from": periods.BAD_DAY, "to": periods.BAD_DAY}),
        ("1999-12-31", "2026-01-01", {"from": periods.OUT_OF_BOUNDS}),
        ("0001-01-01", "0001-01-02", {"from": periods.OUT_OF_BOUNDS, "to": periods.OUT_OF_BOUNDS}),
        ("2026-01-01", "2100-01-01", {"to": periods.OUT_OF_BOUNDS}),
        ("9999-12-31", "9999-12-31", {"from": periods.OUT_OF_BOUNDS, "to": periods.OUT_OF_BOUNDS}),
    ],
)
def test_refused_ranges_name_the_field(raw_from: str, raw_to: str, fields: dict[str, str]) -> None:
    with pytest.raises(DomainError) as raised:
        periods.range_from_text(raw_from, raw_to, TODAY)
    assert raised.value.fields == fields


def test_an_inverted_range_says_so_in_chinese() -> None:
    with pytest.raises(DomainError) as raised:
        periods.check_range(D(2026, 6, 1), D(2026, 5, 1))
    assert str(raised.value) == "开始日期不能晚于结束日期，请调换或重新选择"


@pytest.mark.parametrize(
    ("today", "month", "year", "last_year"),
    [
        (
            D(2026, 11, 27),
            (D(2026, 11, 1), D(2026, 11, 27)),
            (D(2026, 1, 1), D(2026, 11, 27)),
            (D(2025, 1, 1), D(2025, 12, 31)),
        ),
        (
            D(2026, 1, 1),
            (D(2026, 1, 1), D(2026, 1, 1)),
            (D(2026, 1, 1), D(2026, 1, 1)),
            (D(2025, 1, 1), D(2025, 12, 31)),
        ),
    ],
)
def test_this_month_this_year_and_last_year(
    today: date, month: tuple[date, date], year: tuple[date, date], last_year: tuple[date, date]
) -> None:
    assert (periods.month_range(today).start, periods.month_range(today).end) == month
    assert (periods.year_range(today).start, periods.year_range(today).end) == year
    assert (periods.last_year_range(today).start, periods.last_year_range(today).end) == last_year
