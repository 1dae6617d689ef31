"""Feed the index from the database outbox, rebuild it, and check it against the database.

Layout under the configured root (SEARCH_INDEX_DIR)::

    root/current            -> generations/20261126T101500-1a2b   (a symlink, swapped atomically)
    root/generations/…      one directory per build

Each index remembers the last outbox id it applied (``SearchIndex.last_applied``), so every host
keeps its own index and catches up on its own. Applying is idempotent — documents are rebuilt from
the database's current rows — so re-applying a row after a crash is harmless.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.orm import Session

from marketplace.projects.models import Project
from marketplace.search.documents import all_documents, documents_for
from marketplace.search.engine import IndexBusy, IndexUnavailable, SearchIndex, build_index
from marketplace.search.models import SearchOutbox
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)

CURRENT = "current"
GENERATIONS = "generations"


def current_directory(root: Path) -> Path | None:
    """The real directory of the index in use, or None when there is none yet."""
    link = root / CURRENT
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def _swap_current(root: Path, target: Path) -> None:
    """Point root/current at target in one rename, so readers see the old or the new index."""
    temporary = root / f".current-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(target, root), temporary)
    os.replace(temporary, root / CURRENT)


def _remove_old_generations(root: Path, keep: Path) -> None:
    for directory in (root / GENERATIONS).iterdir():
        if directory.resolve() != keep.resolve():
            # Another process may still read an old generation; on POSIX its open files stay valid.
            shutil.rmtree(directory, ignore_errors=True)


@dataclass
class CheckReport:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # indexed content differs from the database
    extra: list[int] = field(default_factory=list)  # in the index, gone from the database

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


class Indexer:
    """The single writer's work. Web processes call `apply_pending(wait=False)` after their own
    commit; `flask search watch` calls it in a loop with waiting allowed."""

    def __init__(
        self,
        root: Path,
        engine: Engine,
        *,
        batch_size: int = 500,
        lookback_seconds: int = 120,
        procs: int = 1,
    ):
        self.root = root
        self.engine = engine
        self.batch_size = batch_size
        self.lookback = timedelta(seconds=lookback_seconds)
        self.procs = procs

    # ── the index in use ──

    def open_current(self) -> SearchIndex:
        directory = current_directory(self.root)
        if directory is None:
            raise IndexUnavailable(f"no search index under {self.root}")
        index = SearchIndex(directory)
        if not index.exists():
            raise IndexUnavailable(f"search index at {directory} is missing or unreadable")
        return index

    # ── applying the outbox ──

    def apply_pending(
        self, *, wait: bool = False, index: SearchIndex | None = None, sweep: bool = False
    ) -> int:
        """Apply outbox rows the index has not seen; return how many projects were (re)indexed.

        With `sweep`, rows from the last few minutes are applied again too: on PostgreSQL a
        transaction can commit a lower outbox id after a higher one was applied, and the sweep
        catches those late commits (re-applying is idempotent).
        """
        index = index or self.open_current()
        applied = 0
        first_pass = sweep
        while True:
            since = index.last_applied()
            with Session(self.engine) as session:
                condition = SearchOutbox.id > since
                if first_pass:
                    condition = or_(condition, SearchOutbox.created_at >= utcnow() - self.lookback)
                rows = session.execute(
                    select(SearchOutbox.id, SearchOutbox.entity_id)
                    .where(condition)
                    .order_by(SearchOutbox.id)
                    .limit(self.batch_size)
                ).all()
                if not rows:
                    return applied
                project_ids = {row.entity_id for row in rows}
                documents = documents_for(session, project_ids)
            through = max(since, rows[-1].id)
            # Rewrite only what changed: a pending pledge, a sweep's re-applied rows and most
            # outbox rows leave the document as indexed, and every write is a new segment that each
            # web worker must open.
            indexed = index.versions()
            index.apply(
                [doc for pid, doc in documents.items() if indexed.get(pid) != doc.version],
                [pid for pid in project_ids - documents.keys() if pid in indexed],
                applied_through=through,
                wait=wait,
            )
            applied += len(project_ids)
            first_pass = False
            if len(rows) < self.batch_size:
                return applied

    def try_apply_pending(self, index: SearchIndex | None = None) -> None:
        """After a web request's commit: bring the index up to date if nobody else is writing.

        Never blocks and never raises to the request: a busy writer means the rows wait for the
        next writer (another request or `flask search watch`)."""
        try:
            self.apply_pending(wait=False, index=index)
        except IndexBusy:
            log.info("search index busy; outbox rows left for the next writer")
        except IndexUnavailable:
            log.warning("search index unavailable; outbox rows left until it is rebuilt")
        except Exception:  # the user's change is committed; indexing must not turn it into an error
            log.exception("applying the search outbox failed; rows left for the next writer")

    # ── rebuilding ──

    def rebuild(self) -> SearchIndex:
        """Build a complete new index from the database and swap it in atomically."""
        generation = self.root / GENERATIONS / f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        generation.parent.mkdir(parents=True, exist_ok=True)
        with Session(self.engine) as session:
            # Read the watermark first: rows after it are applied again after the swap.
            through = session.scalar(select(func.coalesce(func.max(SearchOutbox.id), 0))) or 0
            build_index(generation, all_documents(session), applied_through=through, procs=self.procs)
        _swap_current(self.root, generation)
        _remove_old_generations(self.root, generation)
        log.info("search index rebuilt into %s (outbox through %s)", generation, through)
        return SearchIndex(generation)

    # ── checking ──

    def check(self) -> CheckReport:
        index = self.open_current()
        indexed = index.versions()
        report = CheckReport()
        with Session(self.engine) as session:
            last_id = 0
            while True:
                ids = session.scalars(
                    select(Project.id).where(Project.id > last_id).order_by(Project.id).limit(1000)
                ).all()
                if not ids:
                    break
                for project_id, document in documents_for(session, ids).items():
                    version = indexed.pop(project_id, None)
                    if version is None:
                        report.missing.append(project_id)
                    elif version != document.version:
                        report.stale.append(project_id)
                last_id = ids[-1]
        report.extra = sorted(indexed)
        return report

    def prune(self, *, older_than: timedelta) -> int:
        """Delete outbox rows every index has long since applied."""
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                delete(SearchOutbox).where(SearchOutbox.created_at < utcnow() - older_than)
            )
            return result.rowcount or 0
