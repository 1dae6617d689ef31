"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
MARKETPLACE_TEST_DATABASE_URL points at an (empty) PostgreSQL database.

The schema is built once per run by the real Alembic migrations; every test then starts from
empty tables (reference data — categories and districts — stays).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from werkzeug.routing.rules import Rule

from marketplace import create_app
from marketplace.extensions import db
from tests import factories

REFERENCE_TABLES = {"categories", "districts", "alembic_version"}


def _reuse_url_builders() -> None:
    """Most tests build an app of their own, and werkzeug compiles two URL builder functions per
    rule for each (Python source, ``compile``): with 200+ routes that was two thirds of
    ``create_app`` and minutes of every test run. A builder depends only on the rule's parsed parts
    and defaults, never on the app, so the same rule text compiles once per process."""
    original = Rule._compile_builder
    compiled: dict[tuple[Any, ...], Any] = {}

    def compile_once(self: Rule, append_unknown: bool = True) -> Any:
        key = (
            tuple(self._trace),
            tuple(sorted((name, repr(value)) for name, value in (self.defaults or {}).items())),
            tuple(sorted((name, type(converter)) for name, converter in self._converters.items())),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = original(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = compile_once  # type: ignore[method-assign]


_reuse_url_builders()


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    """A throwaway SQLite test database need not reach the disk at every commit (thousands per run):
    this changes durability after a power cut only, never what a transaction sees."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")


def test_config(database_url: str, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SEARCH_INDEX_DIR": str(tmp_path / "search_index"),
        # No background rebuild threads in tests; search tests build their index explicitly.
        "SEARCH_AUTO_REBUILD": False,
        # Ranking tests that predate grades expect pure relevance; tests of the boost turn it on.
        "SEARCH_GRADE_BOOST": 0.0,
        "SMS_BACKEND": "memory",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        # Cheap hashing keeps the suite fast; production uses the argon2 defaults.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 8,
        # Fail loudly if a test forgets to replace an outside service.
        "STRIPE_SECRET_KEY": None,
        "MAIL_BACKEND": "memory",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 0,
        # Matches read the database as it is now: no per-process catalog reuse between requests.
        "MATCHING_CATALOG_TTL": 0,
    }
    config.update(overrides)
    return config


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist every worker gets its own PostgreSQL database next to the given one
    (created here, dropped when the worker finishes), so workers never truncate each other's rows."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        _without_commit_flush(connection, name)
    return base.set(database=name).render_as_string(hide_password=False)


def _without_commit_flush(connection: Any, name: str) -> None:
    """As for SQLite (no fsync): a commit in a throwaway test database returns before its WAL record
    reaches the disk (thousands of commits a run, each an fsync otherwise). Only what survives a
    crash of the server changes — never what a transaction sees, locks or constraint checks."""
    connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


def _drop_worker_database(url: str) -> None:
    base = make_url(url)
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("MARKETPLACE_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    own_database = bool(url and worker and url.startswith("postgresql"))
    if url and own_database:
        url = _worker_database(url, worker)  # type: ignore[arg-type]
    if not url:
        # tmp_path_factory is per worker, so each xdist worker has its own SQLite file.
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(test_config(url, tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        # Start from nothing even when a PostgreSQL database is reused between runs.
        upgrade()
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
    yield url
    _dispose_engines()
    if own_database:
        _drop_worker_database(url)


# Whether tables hold rows another fixture left on purpose (the access matrix shares one set of
# rows between its read-only cases), and how often the tables were emptied.
DATABASE_STATE = {"generation": 0, "dirty": False}


def mark_dirty() -> None:
    DATABASE_STATE["dirty"] = True


def _clean_before(url: str) -> None:
    if DATABASE_STATE["dirty"]:
        _empty_tables(url)


def _is_superuser(connection: Any) -> bool:
    superuser = text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(connection.execute(superuser).scalar())


# PostgreSQL: one engine per test database for emptying it. A new engine cost ~20 ms a test (a
# connection and the dialect's first-connect queries), and on a kept connection psycopg prepares
# the repeated probe below after a few runs instead of planning a 50-way UNION every time. A
# connection lost to a server restart (the fault tests) is replaced at the next checkout.
_ENGINES: dict[str, Engine] = {}
_SUPERUSER: dict[str, bool] = {}


def tables_engine(url: str) -> tuple[Engine, bool]:
    """An engine on the test database for fixtures' own statements, and whether the caller must
    dispose of it (SQLite: always a new one; a test may replace the database file under it)."""
    if not url.startswith("postgresql"):
        return create_engine(url), True
    if url not in _ENGINES:
        _ENGINES[url] = create_engine(url, pool_size=1, max_overflow=2, pool_pre_ping=True)
    return _ENGINES[url], False


def _dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _empty_tables(url: str) -> None:
    engine, own = tables_engine(url)
    tables = [table for table in reversed(db.metadata.sorted_tables) if table.name not in REFERENCE_TABLES]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # TRUNCATE of every table costs ~0.4 s per test; most tests touch a few tables. Find the
            # non-empty ones in one statement and truncate only those.
            probe = " UNION ALL ".join(
                f"(SELECT '{table.name}' FROM \"{table.name}\" LIMIT 1)" for table in tables
            )
            used = [row[0] for row in connection.execute(text(probe))]
            if url not in _SUPERUSER:
                _SUPERUSER[url] = _is_superuser(connection)
            if used and _SUPERUSER[url]:
                # DELETE of a few rows is ~10x faster than TRUNCATE, which makes new files for each
                # table and index (0.3 s a test with 70 tables). Foreign keys (some are circular)
                # are not checked while the session acts as a replica: every used table is emptied.
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                for name in used:
                    connection.execute(text(f'DELETE FROM "{name}"'))
            elif used:
                names = ", ".join(f'"{name}"' for name in used)
                connection.execute(text(f"TRUNCATE {names} CASCADE"))
            # Ids start at 1 again, as after TRUNCATE … RESTART IDENTITY (reference tables keep theirs).
            restarts = ", ".join(
                f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), 1, false)"
                for table in tables
                if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement in (True, "auto")
            )
            connection.execute(text(f"SELECT {restarts}"))
        else:
            # One probe (as above) instead of a DELETE for each of the ~50 tables, most of them empty.
            probe = " UNION ALL ".join(
                f"SELECT '{table.name}' FROM (SELECT 1 FROM \"{table.name}\" LIMIT 1)" for table in tables
            )
            used = {row[0] for row in connection.execute(text(probe))}
            for table in tables:
                if table.name in used:
                    connection.execute(table.delete())
    if own:
        engine.dispose()
    DATABASE_STATE["generation"] += 1
    DATABASE_STATE["dirty"] = False


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    _clean_before(database_url)
    app = create_app(test_config(database_url, tmp_path))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    _empty_tables(database_url)


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build an app with extra settings (e.g. CSRF or rate limits switched on)."""
    _clean_before(database_url)
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(test_config(database_url, tmp_path, **overrides))
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    _empty_tables(database_url)


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for calling operations and queries directly."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client: FlaskClient):
        self._client = client

    def login(self, email: str, password: str = factories.PASSWORD) -> Any:
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self) -> Any:
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def world(app: Flask) -> factories.World:
    """A small cast: two organizations with members, a company, staff and an admin, and a few projects."""
    with app.app_context():
        return factories.build_world()
