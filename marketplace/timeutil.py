"""Time: the database stores naive UTC; people see Asia/Shanghai (the platform serves Wenzhou)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Naive UTC, the form every DateTime column holds (SQLite keeps no offsets)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def local_today(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def end_of_local_day(day: date) -> datetime:
    """A deadline entered as a date lasts until 23:59:59 Wenzhou time that day."""
    local_end = datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ)
    return local_end.astimezone(UTC).replace(tzinfo=None)


def isoformat_local(moment: datetime | None) -> str | None:
    return None if moment is None else to_local(moment).isoformat()


def parse_iso_deadline(value: str) -> datetime:
    """Accept `YYYY-MM-DD` (end of that Wenzhou day) or a full ISO 8601 timestamp; return naive UTC.

    Raises ValueError for anything else.
    """
    value = value.strip()
    if len(value) == 10:
        return end_of_local_day(date.fromisoformat(value))
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC).replace(tzinfo=None)


def days_left(deadline: datetime, now: datetime | None = None) -> int:
    """Whole days until the deadline, counting a part day as a day; 0 once passed."""
    remaining = deadline - (now or utcnow())
    if remaining <= timedelta(0):
        return 0
    return remaining.days + (1 if remaining.seconds or remaining.microseconds else 0)
