"""Unbound extensions, initialised in ``create_app``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy import exc as sqlalchemy_exc
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


log = logging.getLogger(__name__)


class MarketplaceSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request cleanup survives a database that went away.

    When PostgreSQL restarts after a request's last query but before the request ends, the ROLLBACK
    that returns the connection to the pool fails. Flask-SQLAlchemy would let that escape after the
    response was made, turning a finished page into gunicorn's bare 500, and would leave the broken
    session for the thread's next request. Here the connection is dropped instead (the pool opens a
    new one next time) and the response goes out."""

    def discard_session(self) -> None:
        """End the current session whatever state its connection is in."""
        try:
            self.session.remove()
        except sqlalchemy_exc.DBAPIError as error:
            log.warning("database connection lost while ending a session (%s)", type(error).__name__)
            try:
                self.session.close()  # the failed connection is invalidated now; this just detaches it
            except Exception:
                log.debug("closing the session after a lost connection failed too", exc_info=True)
            finally:
                self.session.registry.clear()

    def _teardown_session(self, exc: BaseException | None) -> None:
        self.discard_session()


db = MarketplaceSQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class _FallbackLogFilter(logging.Filter):
    """Say in the app's own log when rate limiting falls back to memory and when Redis is back.
    Flask-Limiter logs both on its "flask-limiter" logger, whose NullHandler also keeps Python's
    last-resort handler quiet, so without this a production log would never show them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.levelno >= logging.WARNING and "falling back" in message:
            log.warning(
                "rate limit storage unreachable (Redis?): counting in this worker's memory until it "
                "answers again, so limits are per worker meanwhile"
            )
        elif "storage recovered" in message:
            log.warning("rate limit storage reachable again: limits are shared between workers again")
        return True


class MarketplaceLimiter(Limiter):
    """Flask-Limiter, configured per app: Redis from REDIS_URL when the storage is left at memory://,
    short Redis timeouts, and a fresh "storage alive" state for each app (tests build many apps on
    the one module-level limiter)."""

    def init_app(self, app: Flask) -> None:
        from marketplace.config import ratelimit_storage_uri, redis_options

        uri = ratelimit_storage_uri(app.config)
        app.config["RATELIMIT_STORAGE_URI"] = uri
        if uri.startswith(("redis", "rediss", "valkey")):
            options = dict(redis_options(app.config))
            options.update(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
            app.config["RATELIMIT_STORAGE_OPTIONS"] = options
        # Flask-Limiter keeps some settings from the first app it saw; each app states its own.
        self._storage_options = {}
        self._swallow_errors = None
        self._in_memory_fallback_enabled = False
        self._storage_dead = False
        super().init_app(app)
        if not any(isinstance(item, _FallbackLogFilter) for item in self.logger.filters):
            self.logger.addFilter(_FallbackLogFilter())
        if self.logger.level == logging.NOTSET:
            self.logger.setLevel(logging.INFO)  # "storage recovered" is logged at INFO


limiter = MarketplaceLimiter(key_func=get_remote_address, default_limits=[])


def redis_client(app: Flask | None = None) -> Any | None:
    """The app's Redis client (redis.Redis, shared by the threads of a process), or None when
    REDIS_URL is not configured. Timeouts are short: callers treat Redis as optional and must
    handle ``redis.RedisError`` by carrying on without it."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("marketplace_redis")
    if client is None:
        import redis

        from marketplace.config import redis_options

        client = redis.Redis.from_url(url, **redis_options(app.config))
        app.extensions["marketplace_redis"] = client
    return client


def sql_values(enum: Iterable[StrEnum]) -> str:
    """``'a', 'b'`` for a CHECK constraint's IN list over a StrEnum's values."""
    return ", ".join(f"'{item.value}'" for item in enum)
