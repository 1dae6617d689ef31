"""The search facade each process keeps: one reused index (reopened when `reindex` swaps in a new
one), read-your-writes after a commit, and a database fallback with a background rebuild when the
index is missing or broken."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload

from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.projects.states import LISTED_STATUSES
from marketplace.search import outbox
from marketplace.search.engine import IndexUnavailable, SearchIndex
from marketplace.search.fallback import database_search
from marketplace.search.indexer import Indexer, current_directory
from marketplace.search.types import SearchRequest, SearchResult

log = logging.getLogger(__name__)

REBUILD_LOCK = ".rebuild.lock"


class SearchService:
    def __init__(self, app: Flask):
        self.root = Path(app.config["SEARCH_INDEX_DIR"])
        self.sync_on_commit: bool = app.config["SEARCH_SYNC_ON_COMMIT"]
        self.auto_rebuild: bool = app.config["SEARCH_AUTO_REBUILD"]
        self._app = app
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()  # one writer per process; other processes are kept out by Whoosh's lock
        self._rebuilding = threading.Lock()

    def indexer(self, *, raised_delay_seconds: float = 0.0) -> Indexer:
        """The index's writer. Only a long-lived one (``search watch``) may hold back amounts raised."""
        config = self._app.config
        return Indexer(
            self.root,
            db.engine,
            batch_size=config["SEARCH_BATCH_SIZE"],
            lookback_seconds=config["SEARCH_LOOKBACK_SECONDS"],
            procs=config["SEARCH_PROCS"],
            raised_delay_seconds=raised_delay_seconds,
        )

    def index(self) -> SearchIndex:
        """The index in use, reopened when `search reindex` swapped in a new generation."""
        directory = current_directory(self.root)
        if directory is None:
            raise IndexUnavailable(f"no search index under {self.root}")
        index = self._index
        if index is None or index.directory != directory:
            if index is not None:
                index.close()  # the generation `reindex` replaced: release its open files
            index = self._index = SearchIndex(directory, grade_boost=self._app.config["SEARCH_GRADE_BOOST"])
        return index

    def search(self, request: SearchRequest) -> SearchResult:
        failed = current_directory(self.root)
        try:
            return self.index().search(request)
        except IndexUnavailable as error:
            log.warning("search index unavailable (%s): answering from the database", error)
            self.rebuild_in_background(failed)
            return database_search(db.session, request)

    def apply_pending(self) -> None:
        with self._lock:
            failed = current_directory(self.root)
            try:
                index = self.index()
            except IndexUnavailable:
                self.rebuild_in_background(failed)
                return
            self.indexer().try_apply_pending(index)

    def rebuild_in_background(self, failed: Path | None = None) -> None:
        """Rebuild a missing or corrupt index without holding up the request that noticed.

        ``failed`` is the index directory that was in use when the request noticed (None: there
        was none). One rebuild at a time per host: a thread of this process, or another worker
        process (a lock file under the root), may already be at it; and a request that noticed
        just before a rebuild finished finds a new index in place and starts no second one."""
        if not self.auto_rebuild or not self._rebuilding.acquire(blocking=False):
            return

        def work() -> None:
            try:
                with self._app.app_context(), _host_lock(self.root) as acquired:
                    if not acquired or current_directory(self.root) != failed:
                        return  # another process is rebuilding, or already swapped in a new index
                    log.warning("rebuilding the search index in the background")
                    self.indexer().rebuild()
                    self._index = None
            except Exception:
                log.exception("background rebuild of the search index failed")
            finally:
                self._rebuilding.release()

        threading.Thread(target=work, name="search-rebuild", daemon=True).start()


@contextlib.contextmanager
def _host_lock(root: Path) -> Iterator[bool]:
    """A non-blocking lock shared by the processes of one host (gunicorn workers): True when this
    process holds it until the block ends. Released by the kernel if the process dies."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / REBUILD_LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def get_service() -> SearchService:
    return current_app.extensions["search"]  # type: ignore[no-any-return]


def _after_commit(session: Session) -> None:
    if not session.info.pop(outbox.PENDING_FLAG, False) or not has_app_context():
        return
    service: SearchService | None = current_app.extensions.get("search")
    if service is not None and service.sync_on_commit:
        service.apply_pending()


def _after_rollback(session: Session) -> None:
    session.info.pop(outbox.PENDING_FLAG, None)


def init_app(app: Flask) -> None:
    app.extensions["search"] = SearchService(app)
    outbox.install()
    for name, listener in (("after_commit", _after_commit), ("after_rollback", _after_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def visible_statuses_for(user: object) -> frozenset[str] | None:
    """What a caller may find: staff every state; everyone else the listed public ones."""
    if getattr(user, "is_staff", False):
        return None
    return LISTED_STATUSES


def search_projects(request: SearchRequest) -> tuple[SearchResult, list[Project]]:
    """Run a search and load the hits' projects, in the result's order."""
    result = get_service().search(request)
    ids = [hit.project_id for hit in result.hits]
    found = {
        project.id: project
        for project in db.session.scalars(
            select(Project)
            .where(Project.id.in_(ids))
            # Both are many-to-one: one joined SELECT, not three round trips.
            .options(joinedload(Project.organization), joinedload(Project.category))
        )
    }
    # A hit whose row vanished since indexing is skipped rather than shown broken.
    return result, [found[project_id] for project_id in ids if project_id in found]
