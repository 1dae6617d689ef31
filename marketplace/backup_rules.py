"""Pure rules for backups: file names, which old backups a retention policy keeps, whether a backup's
migration revision fits the code, and comparing what two databases hold. No Flask, no SQLAlchemy:
`marketplace/backup.py` reads the databases and calls these."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from marketplace.errors import DomainError
from marketplace.messages import Msg

BACKUP_PREFIX = "marketplace-"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
SQLITE_SUFFIX = ".db"
POSTGRES_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".json"
UPLOADS_SUFFIX = ".uploads.tar"
MANIFEST_FORMAT = 1
# Filled by the migrations themselves: a database holding only these counts as empty.
REFERENCE_TABLES = frozenset({"alembic_version", "categories", "districts"})


class BackupRefused(DomainError):
    """A backup or restore that was not done, with the reason; nothing was changed."""

    code = "backup_refused"


_NAME = re.compile(
    rf"^{re.escape(BACKUP_PREFIX)}(?P<stamp>\d{{8}}T\d{{6}}Z)(?P<suffix>{re.escape(SQLITE_SUFFIX)}"
    rf"|{re.escape(POSTGRES_SUFFIX)})$"
)


def backup_name(when: datetime, suffix: str) -> str:
    """`marketplace-20261127T180102Z.db`: sorts by time, and says UTC so servers in two zones agree."""
    return f"{BACKUP_PREFIX}{when.astimezone(UTC).strftime(TIMESTAMP_FORMAT)}{suffix}"


def backup_time(name: str) -> datetime | None:
    """The UTC time in a backup's file name, or None for any other file (manifests, uploads, strays)."""
    match = _NAME.match(name)
    if match is None:
        return None
    return datetime.strptime(match["stamp"], TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def companion_names(name: str) -> tuple[str, str]:
    """The manifest and the uploads archive that belong to a backup file name."""
    stem = name.removesuffix(SQLITE_SUFFIX).removesuffix(POSTGRES_SUFFIX)
    return name + MANIFEST_SUFFIX, stem + UPLOADS_SUFFIX


@dataclass(frozen=True)
class Retention:
    """Keep the newest backup of each of the last `daily` days, `weekly` ISO weeks and `monthly`
    months that have one (the grandfather-father-son scheme); the newest backup is always kept."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 6


def backups_to_delete(names: Iterable[str], policy: Retention) -> list[str]:
    """The backup file names the policy lets go, oldest first. Names that are not backups are
    never returned, so a stray file in the directory is never deleted."""
    dated = sorted(
        ((when, name) for name in names if (when := backup_time(name)) is not None),
        reverse=True,
    )
    keep: set[str] = {dated[0][1]} if dated else set()
    periods = (
        (policy.daily, lambda when: when.date()),
        (policy.weekly, lambda when: when.isocalendar()[:2]),
        (policy.monthly, lambda when: (when.year, when.month)),
    )
    for count, period_of in periods:
        seen: list[Any] = []
        for when, name in dated:
            period = period_of(when)
            if period in seen:
                continue
            if len(seen) == count:
                break
            seen.append(period)
            keep.add(name)
    return [name for _when, name in reversed(dated) if name not in keep]


class RevisionFit(Enum):
    CURRENT = "current"  # the code's head: ready to use
    OLDER = "older"  # an earlier revision of this code: restore, then `flask db upgrade`
    UNKNOWN = "unknown"  # newer code or another application: refuse


def revision_fit(revision: str | None, heads: Sequence[str], known: Iterable[str]) -> RevisionFit:
    if revision is not None and revision in heads:
        return RevisionFit.CURRENT
    if revision is not None and revision in set(known):
        return RevisionFit.OLDER
    return RevisionFit.UNKNOWN


@dataclass(frozen=True)
class Snapshot:
    """What a database holds, in numbers a person can compare: rows per table and the money."""

    revision: str | None
    counts: Mapping[str, int]
    ledger_total: int  # every ledger entry, signed, in fen
    raised_total: int  # sum of projects.raised_amount
    # Projects whose raised_amount differs from the sum of their raised-kind ledger entries.
    ledger_mismatches: Sequence[int] = field(default=())
    raised_by_project: Mapping[int, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not any(n for table, n in self.counts.items() if table not in REFERENCE_TABLES)

    def to_manifest(self, **extra: Any) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "revision": self.revision,
            "counts": dict(sorted(self.counts.items())),
            "ledger_total": self.ledger_total,
            "raised_total": self.raised_total,
            **extra,
        }

    @classmethod
    def from_manifest(cls, data: Mapping[str, Any]) -> Snapshot:
        return cls(
            revision=data.get("revision"),
            counts={str(k): int(v) for k, v in data["counts"].items()},
            ledger_total=int(data["ledger_total"]),
            raised_total=int(data["raised_total"]),
        )


def differences(expected: Snapshot, actual: Snapshot) -> list[str]:
    """Human-readable differences between what a backup held and what the database holds now:
    empty when every table's row count and the money totals agree."""
    problems: list[str] = []
    for table in sorted(set(expected.counts) | set(actual.counts)):
        want, got = expected.counts.get(table), actual.counts.get(table)
        if want != got:
            problems.append(
                Msg("表 %(table)s：备份 %(want)s 行，现在 %(got)s 行", table=table, want=want, got=got)
            )
    if expected.ledger_total != actual.ledger_total:
        problems.append(
            Msg(
                "账本合计：备份 %(want)s 分，现在 %(got)s 分",
                want=expected.ledger_total,
                got=actual.ledger_total,
            )
        )
    if expected.raised_total != actual.raised_total:
        problems.append(
            Msg(
                "项目已筹合计：备份 %(want)s 分，现在 %(got)s 分",
                want=expected.raised_total,
                got=actual.raised_total,
            )
        )
    return problems
