"""Whole pages rendered for anonymous visitors (browse, search, project pages), reused until what
they show changes.

Most traffic is visitors who are not logged in, asking for the same lists and projects; rendering
them is most of a worker's time (bench/load.py). Each cached page is tagged with the generations
of the scopes it depends on, read before it was rendered:

- ``site``: bumped by every committed change that could show on any page — a project published,
  hidden or closed, an organization renamed or graded, a category added. Models that never show on
  an anonymous page (audit rows, API tokens, notifications, the search outbox…) do not bump it.
- ``project:<id>``: bumped by every committed change to that project or to rows that belong to it
  (pledges, ledger rows, updates, reports).

A row whose model says it is not ``seen_by_visitors()`` in its current or loaded state (a pending
pledge: only pledges holding money are on the supporter wall) bumps nothing.

A list page depends on ``site``; a project page on ``site`` and its project. A page whose tag no
longer matches is rendered again, so a pledge shows on its project page at the next visit. The
money figures on list cards are not worth dropping every list for at each pledge: list pages also
expire after PAGE_CACHE_LIST_SECONDS (30). Changes made outside the app (psql) show when an entry
expires (PAGE_CACHE_SECONDS).

Generations and pages live in Redis when REDIS_URL is set, shared by every worker and host, and a
page lives PAGE_CACHE_SECONDS (default 300). Without Redis they are kept per process in memory
(bounded): another worker cannot see this one's bumps, so a page lives 5 s by default there.
Redis trouble never fails a request: the page is rendered as usual and not stored. Under TESTING
the cache is off unless PAGE_CACHE_SECONDS is set; 0 turns it off.

Only what cannot differ between anonymous visitors is cached: GET requests from a visitor who is
not logged in and has no flashed message waiting, answered 200 with HTML that carries no CSRF token.
Every answer from the cache still gets its own request id and the security headers, and no cookie
is ever replayed. Most hits are answered by CachedPages, a WSGI layer in front of Flask, for about
a third of the CPU a hit through Flask's request machinery takes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, NamedTuple, Protocol

from flask import Flask, Response, current_app, has_app_context, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList
from werkzeug.exceptions import HTTPException

from marketplace.web import chosen_locale, request_id, security_headers

log = logging.getLogger(__name__)

MEMORY_SECONDS = 5
SHARED_SECONDS = 300
MEMORY_ENTRIES = 2048  # per process: a few tens of MB of HTML at most
_KEY_PREFIX = "qqc:page:"
_GENERATION_PREFIX = "qqc:gen:"
_CSRF_MARK = b"csrf_token"
STATUS_HEADER = "X-Page-Cache"  # hit, or miss (rendered and stored): for operators and bench/load.py
SITE = "site"
_SCOPES_KEY = "page_cache_scopes"
# Rows that never show on an anonymous page: changing them leaves every cached page valid.
UNSEEN_TABLES = frozenset(
    {
        "audit_events",
        "api_tokens",
        "notifications",
        "search_outbox",
        "stripe_events",
        "match_suggestions",
        "abuse_reports",
        "evaluation_vote_codes",
        "agreement_reminders",
        "inspection_tasks",
        "introductions",  # shown to the organization and staff only
    }
)
# Columns that move with every pledge. A project's move its own page, and list cards only within
# PAGE_CACHE_LIST_SECONDS; a matching pool's balance shows on the pool pages, which are not cached.
# Changing only these does not bump ``site``.
COUNTERS: dict[str, frozenset[str]] = {
    "projects": frozenset(
        {"raised_amount", "matched_amount", "supporters_count", "disbursed_amount", "updated_at"}
    ),
    "matching_pools": frozenset({"remaining", "updated_at"}),
}


def project_scope(project_id: int) -> str:
    return f"project:{project_id}"


class PageStore(Protocol):
    def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...

    def set(self, key: str, body: bytes, seconds: int) -> None: ...

    def bump(self, keys: Iterable[str]) -> None: ...


class MemoryStore:
    """Per-process, bounded (oldest pages go first), thread-safe. Generations are kept apart from
    the pages so that evicting pages never forgets one."""

    def __init__(self, max_entries: int = MEMORY_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._generations: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        now = time.monotonic()
        found: list[bytes | None] = []
        with self._lock:
            for key in keys:
                if key.startswith(_GENERATION_PREFIX):
                    found.append(self._generations.get(key))
                    continue
                entry = self._entries.get(key)
                if entry is not None and entry[0] <= now:
                    del self._entries[key]
                    entry = None
                found.append(entry[1] if entry else None)
        return found

    def set(self, key: str, body: bytes, seconds: int) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (time.monotonic() + seconds, body)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def bump(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._generations[key] = _new_generation()


def _new_generation() -> bytes:
    """A generation only has to differ from every earlier one: the clock in nanoseconds does, even
    after Redis lost the key, where a counter would start again at 1 and match old pages."""
    return str(time.time_ns()).encode()


class RedisStore:
    """Shared by every worker and host; a Redis error is logged and treated as a miss."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        try:
            values = self.client.mget(keys)
        except Exception as error:  # redis.RedisError and socket errors alike: render instead
            log.warning("page cache: Redis read failed (%s); rendering", error)
            raise StoreUnavailable from error
        return [value if isinstance(value, bytes) else None for value in values]

    def set(self, key: str, body: bytes, seconds: int) -> None:
        try:
            self.client.set(key, body, ex=seconds)
        except Exception as error:
            log.warning("page cache: Redis write failed (%s)", error)

    def bump(self, keys: Iterable[str]) -> None:
        try:
            self.client.mset({key: _new_generation() for key in keys})
        except Exception as error:
            # The pages tagged with the old generation are served until they expire.
            log.error("page cache: Redis generation bump failed (%s); pages may be stale", error)


class StoreUnavailable(Exception):
    """The shared store could not be read: render, and store nothing."""


_lock = threading.Lock()


def page_store() -> PageStore:
    """The app's store: Redis at REDIS_URL when set, else this process's memory."""
    return store_for(current_app)


def store_for(app: Flask) -> PageStore:
    store = app.extensions.get("page_cache")
    if store is None:
        with _lock:
            store = app.extensions.get("page_cache")
            if store is None:
                url = app.config.get("REDIS_URL")
                store = RedisStore(url) if url else MemoryStore()
                app.extensions["page_cache"] = store
    return store  # type: ignore[no-any-return]


def cache_seconds(app: Flask | None = None) -> int:
    """How long a page may be kept: PAGE_CACHE_SECONDS; unset, 300 s with Redis, 5 s in memory —
    but off under TESTING, where a test reads its own writes at once."""
    app = app or current_app
    configured = app.config.get("PAGE_CACHE_SECONDS")
    if configured is None:
        if app.testing:
            return 0
        return SHARED_SECONDS if app.config.get("REDIS_URL") else MEMORY_SECONDS
    return int(configured)


def _cacheable_request() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
        and cache_seconds() > 0
    )


def page_key(locale: str, endpoint: str, full_path: str) -> str:
    path = full_path.encode("utf-8", "surrogateescape")
    return f"{_KEY_PREFIX}{locale}:{endpoint}:{hashlib.sha256(path).hexdigest()}"


def _html(body: bytes) -> Response:
    return Response(body, status=200, mimetype="text/html")


def _tag(generations: Sequence[bytes | None]) -> bytes:
    return b".".join(value or b"0" for value in generations)


class _Lookup(NamedTuple):
    key: str
    body: bytes | None  # the stored page, when its tag is still current
    tag: bytes  # the generations read now: what a page rendered from here on is tagged with


def _look_up(store: PageStore, key: str, scopes: Iterable[str]) -> _Lookup:
    """The stored page at ``key`` if nothing it shows changed since. Raises StoreUnavailable."""
    generation_keys = [_GENERATION_PREFIX + SITE, *(_GENERATION_PREFIX + scope for scope in scopes)]
    entry, *generations = store.get_many([key, *generation_keys])
    tag = _tag(generations)
    if entry is not None:
        stored_tag, _, body = entry.partition(b"\n")
        if stored_tag == tag:
            return _Lookup(key, body, tag)
    return _Lookup(key, None, tag)


class PageRule(NamedTuple):
    """How a view's pages are cached (anonymous_page's arguments), kept on the view function for
    CachedPages, which finds the view from the URL before Flask runs."""

    scopes: Callable[..., Sequence[str]]
    list_page: bool


# Set in the WSGI environ by CachedPages for the Flask view that renders what it did not find.
_LOOKUP_ENVIRON_KEY = "qqc.page_cache.lookup"
_UNAVAILABLE = "unavailable"


def anonymous_page(
    *, scopes: Callable[..., Sequence[str]] = lambda **_: (), list_page: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a view's page from the cache for anonymous visitors; store what it renders for them.

    ``scopes(**view_kwargs)`` names what the page shows beyond the site (e.g. its project);
    ``list_page`` caps its life at PAGE_CACHE_LIST_SECONDS. Most hits never reach the view:
    CachedPages answers them before Flask; this serves the visitors it leaves to Flask (a session
    cookie, e.g. after a form) and renders and stores the misses."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def cached_view(*args: Any, **kwargs: Any) -> Any:
            if not _cacheable_request():
                return view(*args, **kwargs)
            store = page_store()
            key = page_key(str(get_locale()), str(request.endpoint), request.full_path)
            lookup = request.environ.get(_LOOKUP_ENVIRON_KEY)
            if lookup == _UNAVAILABLE:
                return view(*args, **kwargs)
            if lookup is None or lookup.key != key:
                try:
                    lookup = _look_up(store, key, scopes(**kwargs))
                except StoreUnavailable:
                    return view(*args, **kwargs)
            # The tag was read before rendering: a change committed while this page renders leaves
            # it stale-tagged.
            if lookup.body is not None:
                hit = _html(lookup.body)
                hit.headers[STATUS_HEADER] = "hit"
                return hit
            response = make_response(view(*args, **kwargs))
            if (
                response.status_code == 200
                and response.mimetype == "text/html"
                and not response.direct_passthrough
                and not current_user.is_authenticated  # the view did not log anyone in
            ):
                body = response.get_data()
                if _CSRF_MARK not in body:
                    seconds = cache_seconds()
                    if list_page:
                        seconds = min(seconds, int(current_app.config["PAGE_CACHE_LIST_SECONDS"]))
                    store.set(key, lookup.tag + b"\n" + body, seconds)
                    response.headers[STATUS_HEADER] = "miss"
            return response

        cached_view.page_rule = PageRule(scopes, list_page)  # type: ignore[attr-defined]
        return cached_view

    return decorate


class CachedPages:
    """WSGI middleware in front of Flask that answers cached pages without running Flask.

    A hit through Flask costs a worker 0.55 ms of CPU, mostly Flask's request machinery (context,
    session, login, locale, hooks) around the Redis read; here it costs 0.2 ms, and hits are most of
    the traffic (bench/load.py, bench/RESULTS.md).
    Here a GET with neither a session nor a remember-me cookie (so nobody logged in and no flashed
    message) for a URL whose view is an ``anonymous_page`` is looked up with the same key and
    generations as the view would; a current page is answered with the same headers a Flask hit
    gets (its own request id, the security headers). Anything else — a miss, a cookie, an unknown
    URL, Redis trouble — goes to Flask, which is told what was already read."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Any]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") == "GET":
            answer = self._cached_answer(environ)
            if answer is not None:
                headers, body = answer
                start_response("200 OK", headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def _cached_answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        app, config = self.app, self.app.config
        if cache_seconds(app) <= 0 or config.get("SERVER_NAME") or "HTTP_AUTHORIZATION" in environ:
            return None  # no cache; or host-based routing, which only Flask's own adapter gets right
        visit = app.request_class(environ)
        remember_cookie = config.get("REMEMBER_COOKIE_NAME", "remember_token")
        if config["SESSION_COOKIE_NAME"] in visit.cookies or remember_cookie in visit.cookies:
            return None
        try:
            endpoint, view_args = app.url_map.bind_to_environ(environ).match()
        except HTTPException:  # not found, a redirect, another method: Flask answers those
            return None
        rule: PageRule | None = getattr(app.view_functions.get(endpoint), "page_rule", None)
        if rule is None:
            return None
        locale = chosen_locale(visit.cookies, config["LANGUAGES"]) or config["BABEL_DEFAULT_LOCALE"]
        key = page_key(locale, endpoint, visit.full_path)
        try:
            lookup = _look_up(store_for(app), key, rule.scopes(**view_args))
        except StoreUnavailable:
            environ[_LOOKUP_ENVIRON_KEY] = _UNAVAILABLE  # Flask renders without asking again
            return None
        if lookup.body is None:
            environ[_LOOKUP_ENVIRON_KEY] = lookup
            return None
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(lookup.body))),
            (STATUS_HEADER, "hit"),
            ("Vary", "Cookie"),  # as Flask's hits: the session was looked at
            *security_headers(config),
            ("X-Request-Id", request_id(environ.get("HTTP_X_REQUEST_ID", ""))),
        ]
        return headers, lookup.body


# ── invalidation: which scopes a transaction changed, bumped once it commits ──


def _scopes_of(obj: object, session: Session) -> set[str]:
    table = getattr(obj, "__tablename__", "")
    if table in UNSEEN_TABLES:
        return set()
    seen_by_visitors = getattr(obj, "seen_by_visitors", None)
    if seen_by_visitors is not None and not seen_by_visitors():
        return set()
    project_id = getattr(obj, "id" if table == "projects" else "project_id", None)
    scopes = {project_scope(project_id)} if isinstance(project_id, int) else set()
    if table == "projects" or not scopes:
        changed = _changed_columns(obj) if obj in session.dirty else {"*"}
        if changed - COUNTERS.get(table, frozenset()):
            scopes.add(SITE)
    return scopes


def _changed_columns(obj: object) -> set[str]:
    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _after_flush(session: Session, _context: Any) -> None:
    if not _tracking():
        return
    scopes: set[str] = session.info.setdefault(_SCOPES_KEY, set())
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        scopes |= _scopes_of(obj, session)


def _on_bulk(state: ORMExecuteState) -> None:
    """UPDATE and DELETE statements bypass the unit of work (pledge state changes, project
    transitions): find the scopes from the statement's table, its SET columns and its WHERE."""
    if not (state.is_update or state.is_delete) or not _tracking():
        return
    mapper = state.bind_mapper
    table = mapper.local_table.name if mapper is not None else None
    if table is None or table in UNSEEN_TABLES:
        return
    scopes: set[str] = state.session.info.setdefault(_SCOPES_KEY, set())
    statement: Any = state.statement
    entity = mapper.class_
    key_column = entity.id if table == "projects" else getattr(entity, "project_id", None)
    if table == "projects" or key_column is None:
        # SQLAlchemy keeps an UPDATE's SET clause in `_values` (no public accessor): keys are
        # column names or Column objects.
        names = (
            {getattr(name, "key", name) for name in (statement._values or {})} if state.is_update else {"*"}
        )
        if names - COUNTERS.get(table, frozenset()):
            scopes.add(SITE)
    if key_column is None:
        return
    if statement.whereclause is None:
        scopes.add(SITE)  # every row (or a bulk by primary key): no query to find the projects
        return
    ids = _pinned_project_ids(state.session, entity, table, statement.whereclause)
    if ids is None:
        ids = state.session.execute(
            select(key_column).where(statement.whereclause).distinct(), execution_options={"autoflush": False}
        ).scalars()
    scopes.update(project_scope(project_id) for project_id in ids if project_id is not None)


def _pinned_project_ids(session: Session, entity: Any, table: str, where: Any) -> list[int] | None:
    """The project of a statement whose WHERE pins it (``project_id == 5``) or pins one row by id
    (``Pledge.id == 7 AND …``, as every money statement does), without a query: the id itself for
    a project, else the ``project_id`` of the session's copy of that row. None when it cannot tell."""
    criteria = (
        where.clauses
        if isinstance(where, BooleanClauseList) and where.operator is operators.and_
        else [where]
    )
    pinned = {
        criterion.left.key: criterion.right.effective_value
        for criterion in criteria
        if isinstance(criterion, BinaryExpression)
        and criterion.operator is operators.eq
        and isinstance(criterion.right, BindParameter)
        and getattr(criterion.left, "table", None) is entity.__table__
    }
    if table == "projects" and "id" in pinned:
        return [pinned["id"]]
    if "project_id" in pinned:
        return [pinned["project_id"]]
    if "id" in pinned:
        row = session.identity_map.get(inspect(entity).identity_key_from_primary_key([pinned["id"]]))
        return [row.project_id] if row is not None else None
    return None


def _tracking() -> bool:
    return has_app_context() and cache_seconds(current_app) > 0


def _after_commit(session: Session) -> None:
    scopes = session.info.pop(_SCOPES_KEY, None)
    if scopes and has_app_context():
        page_store().bump(_GENERATION_PREFIX + scope for scope in sorted(scopes))


def init_app(app: Flask) -> None:
    """Answer hits before Flask; listen on every session (idempotent), each app deciding per commit
    whether it caches."""
    app.wsgi_app = CachedPages(app, app.wsgi_app)  # type: ignore[method-assign]
    for name, listener in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("do_orm_execute", _on_bulk),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
