"""Supervision rules (必访、必查、必审) as pure functions: quarters, the reproducible inspection draw,
the year-end fund-check flags and the fund-usage report deadline.

PURE: no Flask, no SQLAlchemy. Dates in, dates out; amounts are integer fen.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from marketplace.errors import DomainError
from marketplace.messages import Msg

# A funded project owes a fund-usage report this many days after it was funded (see
# ``report_is_overdue``); until it reports, its organization is held back from recommendations.
REPORT_DUE_DAYS = 90
# Organizations drawn per grade each quarter (必查).
PER_GRADE = 2
GRADES = ("A1", "A2", "A3", "A4", "A5")
FIRST_YEAR = 2000
LAST_YEAR = 2099
SEED_MAX = 2**31 - 1  # the seed is stored in a 32-bit integer column
NOTES_MAX = 2000

_QUARTER = re.compile(r"^([0-9]{4})Q([0-9])$")  # ASCII digits only


# ─────────────────────────────── quarters ───────────────────────────────


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1..4

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day (inclusive)."""
        if self.number == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.number + 1, 1) - timedelta(days=1)

    def __str__(self) -> str:
        return self.code


def parse_quarter(text: str | None, field: str = "quarter") -> Quarter:
    """ "2026Q4" (case and surrounding spaces ignored) → the quarter; anything else is refused with
    what is wrong with it."""
    value = (text or "").strip().upper()
    if not value:
        raise DomainError.on(field, Msg("请填写季度，格式如 2026Q4"))
    match = _QUARTER.match(value)
    if match is None:
        raise DomainError.on(
            field, Msg("季度格式不正确：%(value)s（应为 年份+Q+季度，例如 2026Q4）", value=value[:20])
        )
    year, number = int(match.group(1)), int(match.group(2))
    if not 1 <= number <= 4:
        raise DomainError.on(field, Msg("季度只能是 Q1 至 Q4：%(value)s", value=value))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError.on(
            field, Msg("年份应在 %(first)s 到 %(last)s 之间", first=FIRST_YEAR, last=LAST_YEAR)
        )
    return Quarter(year, number)


def quarter_of(day: date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def default_seed(quarter: Quarter) -> int:
    """The seed used when staff give none: derived from the quarter alone (2026Q4 → 20264), so anyone
    can repeat the draw from the quarter's name."""
    return quarter.year * 10 + quarter.number


def check_seed(seed: object, field: str = "seed") -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise DomainError.on(field, Msg("随机种子应为 0 到 %(max)s 之间的整数", max=SEED_MAX))
    return seed


def check_year(year: object, field: str = "year") -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError.on(
            field, Msg("年份应在 %(first)s 到 %(last)s 之间", first=FIRST_YEAR, last=LAST_YEAR)
        )
    return year


# ─────────────────────────────── the draw ───────────────────────────────


def sample_per_grade(
    organizations_by_grade: Mapping[str, Iterable[int]], per_grade: int = PER_GRADE, seed: int = 0
) -> dict[str, list[int]]:
    """Draw ``per_grade`` organization ids from each grade, reproducibly.

    Each grade draws from its ids sorted ascending with its own ``random.Random`` seeded by the seed
    and the grade, so the same seed and the same organizations always give the same picks, and a
    change in one grade does not change the picks of another. A grade with ``per_grade`` or fewer
    organizations gives all of them. Picks are returned sorted ascending.
    """
    drawn: dict[str, list[int]] = {}
    for grade in sorted(organizations_by_grade):
        ids = sorted(set(organizations_by_grade[grade]))
        if len(ids) <= per_grade:
            drawn[grade] = ids
        else:
            drawn[grade] = sorted(random.Random(f"{seed}:{grade}").sample(ids, per_grade))
    return drawn


# ─────────────────────────────── the fund check ───────────────────────────────


class FundFlag(StrEnum):
    DISBURSED_OVER_RAISED = "disbursed_over_raised"
    NO_REPORT = "no_report"
    REPORTED_OVER_DISBURSED = "reported_over_disbursed"
    UNREPORTED_GAP = "unreported_gap"


FUND_FLAG_LABELS: Mapping[FundFlag, Msg] = MappingProxyType(
    {
        FundFlag.DISBURSED_OVER_RAISED: Msg("拨付超过已筹"),
        FundFlag.NO_REPORT: Msg("未提交资金使用报告"),
        FundFlag.REPORTED_OVER_DISBURSED: Msg("报告支出超过拨付"),
        FundFlag.UNREPORTED_GAP: Msg("已拨付资金未全部报告"),
    }
)


def fund_flags(*, raised: int, disbursed: int, reported: int, has_report: bool) -> tuple[FundFlag, ...]:
    """The gaps the year-end fund check shows for one funded project (empty: it adds up).

    Without any report the project is flagged "no report" (not also "unreported gap": the missing
    report is the gap); with reports, spending is compared with the money actually paid out.
    """
    flags: list[FundFlag] = []
    if disbursed > raised:
        flags.append(FundFlag.DISBURSED_OVER_RAISED)
    if not has_report:
        flags.append(FundFlag.NO_REPORT)
    elif reported > disbursed:
        flags.append(FundFlag.REPORTED_OVER_DISBURSED)
    elif reported < disbursed:
        flags.append(FundFlag.UNREPORTED_GAP)
    return tuple(flags)


# ─────────────────────────────── overdue reports ───────────────────────────────


def report_due_at(funded_at: datetime) -> datetime:
    return funded_at + timedelta(days=REPORT_DUE_DAYS)


def report_is_overdue(funded_at: datetime | None, has_report: bool, now: datetime) -> bool:
    """A funded project with no fund-usage report once ``REPORT_DUE_DAYS`` have passed since it was
    funded (at 90 days exactly it is overdue; at 89 days and 23 hours not yet)."""
    return funded_at is not None and not has_report and now >= report_due_at(funded_at)


def days_overdue(funded_at: datetime, now: datetime) -> int:
    return max((now - report_due_at(funded_at)).days, 0)
