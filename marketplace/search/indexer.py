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
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, Row, delete, func, select
from sqlalchemy.orm import Session

from marketplace.projects.models import Project
from marketplace.search.documents import all_documents, documents_for
from marketplace.search.engine import IndexBusy, IndexUnavailable, SearchIndex, build_index
from marketplace.search.models import SearchOutbox
from marketplace.search.types import ProjectDocument, only_raised_differs
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
        raised_delay_seconds: float = 0.0,
    ):
        self.root = root
        self.engine = engine
        self.batch_size = batch_size
        self.lookback = timedelta(seconds=lookback_seconds)
        self.procs = procs
        self._applied: dict[int, float] = {}  # outbox id → when this indexer applied it (monotonic)
        # Documents whose only change is the amount raised wait up to raised_delay_seconds (only a
        # long-lived indexer may hold them: the lookback sweep of the next one to start re-reads them).
        if raised_delay_seconds >= lookback_seconds:
            raise ValueError("raised_delay_seconds must be shorter than the lookback")
        self.raised_delay = raised_delay_seconds
        self._held: dict[int, ProjectDocument] = {}
        self._held_since = 0.0
        self._held_in: Path | None = None  # the index directory the held documents are for

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

        With `sweep`, first apply the rows of the last few minutes below the applied mark that this
        indexer has not applied itself: on PostgreSQL a transaction can commit a lower outbox id after
        a higher one was applied (see _apply_late_rows).
        """
        index = index or self.open_current()
        if self._held_in != index.directory:
            # A rebuilt index read every amount after these were: writing them would turn it back.
            self._held.clear()
            self._held_in = index.directory
        applied = self._apply_late_rows(index, wait=wait) if sweep else 0
        while True:
            since = index.last_applied()
            with Session(self.engine) as session:
                rows = session.execute(
                    select(SearchOutbox.id, SearchOutbox.entity_id)
                    .where(SearchOutbox.id > since)
                    .order_by(SearchOutbox.id)
                    .limit(self.batch_size)
                ).all()
            if not rows:
                break
            applied += self._apply_rows(index, rows, through=max(since, rows[-1].id), wait=wait)
            if len(rows) < self.batch_size:
                break
        if self._held and time.monotonic() - self._held_since >= self.raised_delay:
            index.apply(list(self._held.values()), wait=wait)
            self._held.clear()
        return applied

    def _apply_rows(self, index: SearchIndex, rows: Sequence[Row], *, through: int | None, wait: bool) -> int:
        project_ids = {row.entity_id for row in rows}
        with Session(self.engine) as session:
            documents = documents_for(session, project_ids)
        # Rewrite only what changed: a late row applied again and many outbox rows (an edit of a
        # field no document holds) leave the document as indexed, and every write is a new segment
        # that each web worker must open (and a merge of the small segments, for the writer: most
        # of its time).
        indexed = index.versions_of(project_ids)
        changed: list[ProjectDocument] = []
        for pid, doc in documents.items():
            indexed_version = indexed.get(pid)
            if self.raised_delay and indexed_version and only_raised_differs(indexed_version, doc.version):
                self._hold(doc)
                continue
            self._held.pop(pid, None)  # written now, or back to what the index holds
            if indexed_version != doc.version:
                changed.append(doc)
        removed = [pid for pid in project_ids - documents.keys() if pid in indexed]
        for pid in removed:
            self._held.pop(pid, None)
        # When a commit is made anyway, the held amounts go with it.
        commits = bool(changed or removed)
        index.apply(
            [*changed, *self._held.values()] if commits else [], removed, applied_through=through, wait=wait
        )
        if commits:
            self._held.clear()
        now = time.monotonic()
        self._applied.update((row.id, now) for row in rows)
        return len(project_ids)

    def _hold(self, doc: ProjectDocument) -> None:
        """Keep a document whose only change is the amount raised for the next commit, made when
        something else changes or raised_delay after the first one held. Each confirmed pledge
        changes one; written one commit each, they were most of the indexer's work under load
        (bench/RESULTS.md), for figures the list cards show up to PAGE_CACHE_LIST_SECONDS late."""
        if not self._held:
            self._held_since = time.monotonic()
        self._held[doc.id] = doc

    def _apply_late_rows(self, index: SearchIndex, *, wait: bool) -> int:
        """Rows of the last `lookback` with ids up to the applied mark that this indexer has not
        applied: a transaction that took id N and committed after N + 1 was applied. Only those are
        read again — all of them, however many rows the window holds — so a sweep under steady load
        rebuilds no document; a process that just started has applied none and goes over the whole
        window once (re-applying is idempotent)."""
        since = index.last_applied()
        horizon = utcnow() - self.lookback
        applied, after = 0, 0
        while True:
            with Session(self.engine) as session:
                rows = session.execute(
                    select(SearchOutbox.id, SearchOutbox.entity_id)
                    .where(
                        SearchOutbox.created_at >= horizon, SearchOutbox.id <= since, SearchOutbox.id > after
                    )
                    .order_by(SearchOutbox.id)
                    .limit(self.batch_size)
                ).all()
            if not rows:
                break
            after = rows[-1].id
            late = [row for row in rows if row.id not in self._applied]
            if late:
                applied += self._apply_rows(index, late, through=None, wait=wait)
            if len(rows) < self.batch_size:
                break
        # What this indexer applied is remembered as long as a late row could still be looked for.
        forget_before = time.monotonic() - 2 * self.lookback.total_seconds()
        self._applied = {row_id: at for row_id, at in self._applied.items() if at >= forget_before}
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
