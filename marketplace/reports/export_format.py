"""How export cells are written, and the date range an export covers. PURE: no Flask, no SQLAlchemy.

Money leaves as yuan with two decimals computed from integer fen ("123.45", "-5.50"), scores in
hundredths of a point the same way ("87.50"): text first, so CSV and XLSX agree to the fen, and the
XLSX writer turns that exact text into a Decimal number cell. Moments are stored naive UTC and shown
in Asia/Shanghai. Free text typed by people gets a leading apostrophe when a spreadsheet would take
it for a formula (CSV/Excel formula injection).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from marketplace.messages import Msg

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# The first characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
# (OWASP "CSV Injection"): = + - @, and tab / carriage return, which some importers strip first.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Dates an export may cover: wide enough for any real record, narrow enough that the day after
# the end can always be computed.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


class Kind(StrEnum):
    """What a column holds; decides the formatter, and the XLSX cell type and number format."""

    TEXT = "text"  # typed by people (names, titles, notes): guarded against formula injection
    LABEL = "label"  # a code shown through a label table (statuses, methods, tiers)
    MONEY = "money"  # integer fen → "123.45"
    SCORE = "score"  # hundredths of a point → "87.50"
    INT = "int"
    DATETIME = "datetime"  # naive UTC → "2026-03-05 14:30" Asia/Shanghai
    DATE = "date"  # a calendar date, as is
    BOOL = "bool"  # 是 / 否
    GRADE = "grade"  # "A3" → "3A"


NUMERIC_KINDS = frozenset({Kind.MONEY, Kind.SCORE})


def neutralize_formula(text: str) -> str:
    """Text a spreadsheet shows as typed: a leading apostrophe before a would-be formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def hundredths_text(value: int | None) -> str:
    """Integer hundredths as text with exactly two decimals: 12345 → "123.45", -550 → "-5.50"."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an int number of hundredths, got {type(value).__name__}")
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(value), 100)
    return f"{sign}{whole}.{part:02d}"


def fen_to_yuan(fen: int | None) -> str:
    """Integer fen as yuan with two decimals, no separators or symbol (machine-readable)."""
    return hundredths_text(fen)


def local_datetime(moment: datetime | None) -> str:
    """A naive-UTC moment as Wenzhou wall time, to the minute."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def iso_date(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def grade_text(grade: str | None) -> str:
    """The grade as people say it: "A3" → "3A"."""
    return f"{grade[1]}A" if grade and len(grade) == 2 else (grade or "")


def text_cell(value: Any) -> str:
    return "" if value is None else neutralize_formula(str(value))


def formatter(
    kind: Kind, labels: Mapping[str, str] | None = None, translate: Callable[[Any], str] = str
) -> Callable[[Any], str]:
    """The function turning one database value of ``kind`` into the cell's text.

    Label tables are translated once per export here, not once per cell.
    """
    if kind is Kind.LABEL:
        table = {str(code): translate(label) for code, label in (labels or {}).items()}
        return lambda value: "" if value is None else table.get(str(value), str(value))
    if kind is Kind.BOOL:
        answers = {True: translate(Msg("是")), False: translate(Msg("否"))}
        return lambda value: "" if value is None else answers[bool(value)]
    simple: dict[Kind, Callable[[Any], str]] = {
        Kind.TEXT: text_cell,
        Kind.MONEY: fen_to_yuan,
        Kind.SCORE: hundredths_text,
        Kind.INT: lambda value: "" if value is None else str(int(value)),
        Kind.DATETIME: local_datetime,
        Kind.DATE: iso_date,
        Kind.GRADE: grade_text,
    }
    return simple[kind]


# ─────────────────────────────── the date range ───────────────────────────────


@dataclass(frozen=True)
class DateRange:
    """Whole Asia/Shanghai days, both ends included."""

    start: date
    end: date

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in naive UTC, for DateTime columns: local midnight to the next local midnight."""
        return _local_midnight_utc(self.start), _local_midnight_utc(self.end + timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


class RangeError(ValueError):
    """Bad date range input; ``fields`` maps the form field ("from", "to") to the reason."""

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in fields.items()))


def _parse_day(raw: str | None, field: str, problems: dict[str, str]) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        problems[field] = Msg("日期格式应为 YYYY-MM-DD，例如 2026-01-31")
    elif not EARLIEST_DAY <= day <= LATEST_DAY:
        problems[field] = Msg("日期需在 2000-01-01 至 2099-12-31 之间")
        return None
    return day


def parse_date_range(raw_from: str | None, raw_to: str | None, today: date) -> DateRange:
    """The range asked for. Missing ends default to this year so far: no start → 1 January of the
    end's year, no end → today (or the start, when the start is later). An inverted range is
    refused rather than swapped: the person may have mistyped either end."""
    problems: dict[str, str] = {}
    start = _parse_day(raw_from, "from", problems)
    end = _parse_day(raw_to, "to", problems)
    if problems:
        raise RangeError(problems)
    if start is not None and end is not None and start > end:
        raise RangeError(
            {
                "to": Msg(
                    "结束日期（%(end)s）早于开始日期（%(start)s），请调整日期范围",
                    start=start.isoformat(),
                    end=end.isoformat(),
                )
            }
        )
    if end is None:
        end = max(today, start) if start is not None else today
    if start is None:
        start = date(end.year, 1, 1)
    return DateRange(start, end)
