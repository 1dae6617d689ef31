"""Date ranges for the staff dashboard: checking them and cutting them into months. PURE.

A range is a pair of calendar days as Wenzhou counts them (Asia/Shanghai), both included. The
database stores naive UTC, so each day boundary becomes the UTC moment of local midnight; a row
belongs to the range when ``start <= created_at < end``. Month buckets follow the same rule, so the
months of a range always add up to the whole range, to the fen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from marketplace.errors import DomainError
from marketplace.messages import Msg
from marketplace.timeutil import LOCAL_TZ

MAX_SPAN_YEARS = 5
DEFAULT_MONTHS = 12
# Far enough back for any record, and early enough that UTC conversions never overflow.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only (str.isdigit takes ２)

BAD_DAY = Msg("请填写日期，例如 2026-09-07")
OUT_OF_BOUNDS = Msg("日期须在 2000-01-01 至 2099-12-31 之间")
INVERTED = Msg("开始日期不能晚于结束日期，请调换或重新选择")
TOO_LONG = Msg("日期范围不能超过 %(years)d 年", years=MAX_SPAN_YEARS)
DEFAULT_LABEL = Msg("近 12 个月")
THIS_YEAR_LABEL = Msg("今年")
LAST_YEAR_LABEL = Msg("去年")


@dataclass(frozen=True)
class DateRange:
    start: date  # first day, included
    end: date  # last day, included

    @property
    def start_utc(self) -> datetime:
        return local_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """The first moment after the range: midnight (Wenzhou) after its last day, in naive UTC."""
        return local_midnight_utc(self.end + timedelta(days=1))


@dataclass(frozen=True)
class MonthBucket:
    key: str  # "2026-03"
    first_day: date  # the month's first day, or the range's start for a partial first month
    last_day: date  # the month's last day, or the range's end for a partial last month

    @property
    def start_utc(self) -> datetime:
        return local_midnight_utc(self.first_day)

    @property
    def end_utc(self) -> datetime:
        return local_midnight_utc(self.last_day + timedelta(days=1))


def local_midnight_utc(day: date) -> datetime:
    """The naive UTC moment at which ``day`` begins in Wenzhou."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _days_in_month(year, month + 1)))


def _days_in_month(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def default_range(today: date) -> DateRange:
    """The last twelve months: from the first day of the month eleven months ago up to today."""
    return DateRange(first_of_month(add_months(today, -(DEFAULT_MONTHS - 1))), today)


def month_range(today: date) -> DateRange:
    return DateRange(first_of_month(today), today)


def year_range(today: date) -> DateRange:
    return DateRange(date(today.year, 1, 1), today)


def last_year_range(today: date) -> DateRange:
    return DateRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))


def parse_day(value: str | None) -> date | None:
    """``YYYY-MM-DD`` exactly, or None for anything else (including days that do not exist)."""
    text = (value or "").strip()
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check_range(start: date, end: date) -> DateRange:
    """A range staff may ask for: both days within bounds, start ≤ end, at most five years long."""
    problems: dict[str, str] = {}
    for field, day in (("from", start), ("to", end)):
        if not EARLIEST <= day <= LATEST:
            problems[field] = OUT_OF_BOUNDS
    if problems:
        raise DomainError(problems)
    if start > end:
        raise DomainError({"from": INVERTED})
    if end >= add_months(start, 12 * MAX_SPAN_YEARS):
        raise DomainError({"to": TOO_LONG})
    return DateRange(start, end)


def range_from_text(raw_from: str | None, raw_to: str | None, today: date) -> DateRange:
    """The range typed in the filter form or the API's query string; an empty side takes the default
    (the last twelve months up to today)."""
    fallback = default_range(today)
    problems: dict[str, str] = {}
    days: dict[str, date] = {}
    for field, raw, default in (("from", raw_from, fallback.start), ("to", raw_to, fallback.end)):
        if not (raw or "").strip():
            days[field] = default
            continue
        parsed = parse_day(raw)
        if parsed is None:
            problems[field] = BAD_DAY
        else:
            days[field] = parsed
    if problems:
        raise DomainError(problems)
    return check_range(days["from"], days["to"])


def month_buckets(period: DateRange) -> list[MonthBucket]:
    """Every month the range touches, in order, the first and last clipped to the range."""
    buckets = []
    month = first_of_month(period.start)
    while month <= period.end:
        following = add_months(month, 1)
        buckets.append(
            MonthBucket(
                key=f"{month.year:04d}-{month.month:02d}",
                first_day=max(month, period.start),
                last_day=min(following - timedelta(days=1), period.end),
            )
        )
        month = following
    return buckets
