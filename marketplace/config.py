"""Configuration: defaults here, then instance/config.py, then MARKETPLACE_* environment variables,
then the mapping passed to ``create_app`` (tests)."""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in with an SQLite file under instance/
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    # SQLite serialises writers; a writer waits this many seconds for the lock before "database is
    # locked" (pysqlite's default is 5 s, too short for concurrent jobs, workers and threads).
    SQLITE_BUSY_TIMEOUT = 30
    SECRET_KEY: str | None = None  # generated once into instance/secret_key
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    SEARCH_INDEX_DIR = str(PROJECT_ROOT / "search_index")
    # Seconds a worker reuses its catalog of open projects for matching (the projects it shows are
    # always re-read, so a stale catalog only delays new projects and grade changes).
    MATCHING_CATALOG_TTL = 60
    SEARCH_SYNC_ON_COMMIT = True  # apply the outbox right after each commit (read-your-writes)
    SEARCH_AUTO_REBUILD = True  # rebuild a missing or corrupt index in a background thread
    SEARCH_BATCH_SIZE = 500
    SEARCH_LOOKBACK_SECONDS = 120  # `search watch` re-applies this much recent outbox history
    SEARCH_PROCS = 1  # processes for `search reindex`
    # Ranking boost for graded organizations in browse and search: relevance × (1 + boost × level),
    # level 1..5 for a still-valid A1..A5 (so 0.04 puts a 5A organization's projects 20 percent ahead);
    # 0 turns it off. Matching weighs grade and tier in its credibility part (matching/scoring.py).
    SEARCH_GRADE_BOOST = 0.04
    UPLOAD_DIR: str | None = None  # defaults to instance/uploads
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # one 5 MB image plus the rest of the form
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set MARKETPLACE_SESSION_COOKIE_SECURE=true behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"
    # Redis shared by every worker and host: rate limits use it when RATELIMIT_STORAGE_URI is left at
    # memory:// (see ratelimit_storage_uri); marketplace.extensions.redis_client() hands it to others.
    REDIS_URL: str | None = None
    # Whole pages for anonymous visitors (browse, search, project pages) are reused until what they
    # show changes, and at most this many seconds (marketplace/cache.py): None = 300 with Redis, 5 in
    # per-process memory, 0 under TESTING; 0 turns the cache off.
    PAGE_CACHE_SECONDS: int | None = None
    # List pages also expire after this long: the amounts on their cards move with every pledge.
    PAGE_CACHE_LIST_SECONDS = 30
    BACKUP_DIR: str | None = None  # `flask backup create` writes here; None = instance/backups
    REDIS_TIMEOUT_SECONDS = 0.5  # connect and read timeout: a dead Redis must not hold up a request
    # Memory storage is per worker; production sets MARKETPLACE_REDIS_URL (or RATELIMIT_STORAGE_URI).
    RATELIMIT_STORAGE_URI = "memory://"
    # Redis unreachable: count in this worker's memory instead (a warning is logged once per worker)
    # and check Redis again with backoff; never turn a limiter error into a failed request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "5 per minute"  # failed logins per client IP, page and API token exchange together
    TOKEN_RATE_LIMIT = "5 per minute"  # API tokens requested per client IP, successful ones included
    PLEDGE_RATE_LIMIT = "30 per minute"  # new pledges per signed-in user, page and API together
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_COST = 65536
    PROJECTS_PER_PAGE = 12
    STRIPE_SECRET_KEY: str | None = None  # no key: card payments are hidden, offline pledges work
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None  # None = Stripe's own; tests point it at a loopback fake
    STRIPE_RECONCILE_AFTER_MINUTES = 30  # `payments reconcile` asks Stripe about older pending pledges
    MAIL_BACKEND = "log"  # "log", "memory" (tests) or "smtp" (MAIL_SERVER, MAIL_PORT, …)
    SMS_BACKEND = "log"  # "log" (development: writes texts, codes included, to the log) or "memory" (tests)
    VOTE_CODE_RATE_LIMIT = "10 per hour"  # per client IP: voting codes (page and API share it)
    VOTE_RATE_LIMIT = "20 per hour"  # per client IP: ballots (page and API share it)
    MAIL_SENDER = "noreply@qingqinchou.cn"
    SITE_URL = "http://127.0.0.1:5000"  # for links in mail sent outside a request (jobs, CLI)
    HSTS = False  # turn on behind HTTPS
    # /healthz reports "degraded" when the oldest outbox row this host's index has not applied is older.
    HEALTH_SEARCH_MAX_LAG_SECONDS = 120
    # The CJK font agreement PDFs are set in: one path, or paths tried in order. In a collection
    # (.ttc) the Simplified Chinese face is chosen by name; a "-Bold" sibling file sets the headings.
    # Debian's fonts-noto-cjk first (`make browser-deps` installs it), then the WenQuanYi packages.
    AGREEMENT_PDF_FONT: str | tuple[str, ...] = (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    )


def _coerce(raw: str) -> Any:
    """Environment values are strings; accept JSON literals (true, 5, "x") and fall back to text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def environment_overrides(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith("MARKETPLACE_"):
            continue
        key = name.removeprefix("MARKETPLACE_")
        if key == "DATABASE_URL":
            overrides["SQLALCHEMY_DATABASE_URI"] = raw
        elif key in {
            "SECRET_KEY",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "STRIPE_API_BASE",
            "RATELIMIT_STORAGE_URI",
            "REDIS_URL",
            "MAIL_PASSWORD",
        }:
            overrides[key] = raw  # secrets and URLs stay strings even when they look like JSON
        else:
            overrides[key] = _coerce(raw)
    return overrides


def normalise_database_url(url: str) -> str:
    """Let operators paste a plain postgres:// URL; SQLAlchemy needs the psycopg 3 driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def load_or_create_secret_key(instance_path: Path) -> str:
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two workers starting together must agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# PostgreSQL: seconds to wait for a connection before the request answers 503, so an unreachable
# server never holds a worker until gunicorn's timeout (connect_args in SQLALCHEMY_ENGINE_OPTIONS wins).
POSTGRES_CONNECT_TIMEOUT = 5


def engine_options(
    url: str,
    configured: dict[str, Any],
    *,
    busy_timeout: float,
    connect_timeout: float | None = POSTGRES_CONNECT_TIMEOUT,
) -> dict[str, Any]:
    """The engine options for `url`: on SQLite, a busy timeout so concurrent writers wait for the
    write lock instead of failing at once; on PostgreSQL, a connect timeout so an unreachable server
    fails the request (503) within seconds. A copy: the defaults' dict is shared between apps."""
    options = dict(configured)
    if url.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", busy_timeout)
        options["connect_args"] = connect_args
    elif url.startswith("postgresql") and connect_timeout:
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", max(1, int(connect_timeout)))
        options["connect_args"] = connect_args
    return options


def ratelimit_storage_uri(config: dict[str, Any] | Any) -> str:
    """Where Flask-Limiter counts: RATELIMIT_STORAGE_URI when set to something other than the
    per-worker memory default, else REDIS_URL when configured, else memory."""
    configured = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    redis_url = config.get("REDIS_URL")
    if configured == "memory://" and redis_url:
        return str(redis_url)
    return str(configured)


def redis_options(config: dict[str, Any] | Any) -> dict[str, Any]:
    """Client options for every Redis connection the app makes: short timeouts, so an unreachable
    Redis costs a request at most a fraction of a second before the fallback takes over."""
    timeout = float(config.get("REDIS_TIMEOUT_SECONDS") or 0.5)
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout}


_SQLITE_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT)\b", re.IGNORECASE)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Take transaction control away from pysqlite; _sqlite_begin_before_writes does it instead.
        dbapi_connection.isolation_level = None


def _sqlite_begin_before_writes(connection: Any, cursor: Any, statement: str, *_args: Any) -> None:
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = cursor.connection
    if not dbapi_connection.in_transaction and _SQLITE_WRITE.match(statement):
        cursor.execute("BEGIN IMMEDIATE")


def install_sqlite_transactions() -> None:
    """Make SQLite transactions whole. pysqlite (Python ≤ 3.11) opens a transaction only before
    INSERT / UPDATE / DELETE, so a SAVEPOINT (``session.begin_nested()``) that comes first opens
    one itself, and its RELEASE then COMMITS everything so far: a later rollback cannot undo it.
    Here the transaction starts with ``BEGIN IMMEDIATE`` before the first write or SAVEPOINT —
    still at the first write, as before, so reads before it take no lock — and holds SQLite's
    single write lock until COMMIT or ROLLBACK (waiting up to the busy timeout for it).
    Registered once for every engine; it acts on SQLite connections only."""
    if not event.contains(Engine, "connect", _sqlite_connect):
        event.listen(Engine, "connect", _sqlite_connect)
    if not event.contains(Engine, "before_cursor_execute", _sqlite_begin_before_writes):
        event.listen(Engine, "before_cursor_execute", _sqlite_begin_before_writes)
