"""The engine-specific half of `flask backup`: reading what a database holds, copying SQLite with its
online backup API, and driving pg_dump / pg_restore. No Flask: `backup.py` passes URLs and paths."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from marketplace.backup_rules import BackupRefused, Snapshot
from marketplace.messages import Msg
from marketplace.pledges.accounting import RAISED_KINDS

SQLITE_HEADER = b"SQLite format 3\x00"
POSTGRES_HEADER = b"PGDMP"  # pg_dump's custom format (-Fc)


def read_snapshot(connection: Connection) -> Snapshot:
    """Row counts of every table and the money totals. On PostgreSQL call it inside one REPEATABLE
    READ transaction so every number comes from the same moment."""
    tables = sorted(inspect(connection).get_table_names())
    counts: dict[str, int] = {}
    if tables:
        union = " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM \"{name}\"" for name in tables)
        counts = {name: int(n) for name, n in connection.execute(text(union))}
    revision = None
    if "alembic_version" in counts:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    ledger_total = raised_total = 0
    raised: dict[int, int] = {}
    mismatches: list[int] = []
    if "ledger_entries" in counts:
        ledger_total = int(
            connection.execute(text("SELECT COALESCE(SUM(amount), 0) FROM ledger_entries")).scalar()
        )
    if "projects" in counts and "ledger_entries" in counts:
        kinds = ", ".join(f"'{kind.value}'" for kind in sorted(RAISED_KINDS, key=lambda kind: kind.value))
        rows = connection.execute(
            text(
                "SELECT p.id, p.raised_amount, COALESCE((SELECT SUM(l.amount) FROM ledger_entries l"
                f" WHERE l.project_id = p.id AND l.kind IN ({kinds})), 0) FROM projects p ORDER BY p.id"
            )
        )
        for project_id, amount, ledger in rows:
            raised[int(project_id)] = int(amount)
            if int(amount) != int(ledger):
                mismatches.append(int(project_id))
        raised_total = sum(raised.values())
    return Snapshot(revision, counts, ledger_total, raised_total, mismatches, raised)


def _refuse_corrupt(path: Path, detail: str) -> BackupRefused:
    return BackupRefused(message=Msg("备份文件已损坏（%(detail)s）：%(path)s", detail=detail, path=str(path)))


# ---------------------------------------------------------------------------------------------
# SQLite


def sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupRefused(message=Msg("配置的 SQLite 数据库不是一个普通文件，无法备份或恢复"))
    return Path(url.database).resolve()


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)


def _read_only_engine(path: Path) -> Engine:
    return create_engine("sqlite://", creator=lambda: _read_only(path), poolclass=NullPool)


def sqlite_copy(source: Path, destination: Path, *, timeout: float) -> None:
    """Copy a live database with SQLite's online backup API, into an existing empty file."""
    if not source.is_file():
        raise BackupRefused(message=Msg("数据库文件不存在：%(path)s", path=str(source)))
    with (
        closing(sqlite3.connect(source, timeout=timeout)) as live,
        closing(sqlite3.connect(destination)) as copy,
    ):
        # In one step (pages=-1): every page is copied under one read lock, so the copy is a single
        # moment even while workers commit. Stepwise, each commit by another connection restarts the
        # copy, and a busy site could keep it from ever finishing. A writer caught mid-commit makes
        # the step return BUSY; Python then sleeps 0.25 s and tries again.
        live.backup(copy)
    _fsync(destination)


def sqlite_check(path: Path) -> Snapshot:
    """Read a SQLite backup without changing it: integrity check, then what it holds."""
    try:
        with closing(_read_only(path)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise _refuse_corrupt(path, str(error)) from error
    if problems != ["ok"]:
        raise _refuse_corrupt(path, problems[0])
    engine = _read_only_engine(path)
    try:
        with engine.connect() as connection:
            snapshot = read_snapshot(connection)
    except DBAPIError as error:
        raise _refuse_corrupt(path, str(error.orig)) from error
    finally:
        engine.dispose()
    if snapshot.revision is None:
        raise BackupRefused(
            message=Msg("备份中没有迁移版本（alembic_version）：不是本系统的数据库：%(path)s", path=str(path))
        )
    return snapshot


def sqlite_target_snapshot(path: Path) -> Snapshot:
    if not path.exists() or path.stat().st_size == 0:
        return Snapshot(None, {}, 0, 0)
    engine = _read_only_engine(path)
    try:
        with engine.connect() as connection:
            return read_snapshot(connection)
    except DBAPIError as error:
        raise BackupRefused(
            message=Msg("目标数据库无法读取（%(error)s）：%(path)s", error=str(error.orig), path=str(path))
        ) from error
    finally:
        engine.dispose()


def sqlite_restore(backup: Path, target: Path, *, timeout: float) -> None:
    """Overwrite `target` page by page from the backup, under SQLite's lock: a connection that reads
    the target afterwards sees the backup whole, never a mixture."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(_read_only(backup)) as source, closing(sqlite3.connect(target, timeout=timeout)) as live:
        source.backup(live)
    _fsync(target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def _client(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(
            message=Msg(
                "找不到 %(name)s：请安装与服务器同版本的 PostgreSQL 客户端"
                "（Debian：apt-get install postgresql-client）",
                name=name,
            )
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the client tools; the password goes in the environment, not on
    the command line where `ps` would show it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, env=env, capture_output=True, check=False)


def _first_error(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[0] if lines else "?"


@contextmanager
def _engine(url: URL) -> Iterator[Engine]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def postgres_dump(url: URL, destination: Path) -> Snapshot:
    """`pg_dump -Fc` of the snapshot our own REPEATABLE READ transaction exports, so the snapshot
    returned (counts, ledger) describes exactly what the dump holds; then read the dump back whole."""
    pg_dump = _client("pg_dump")
    dsn, env = _libpq(url)
    with _engine(url) as engine, engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            exported = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            snapshot = read_snapshot(connection)
            done = _run(
                [pg_dump, "-Fc", f"--snapshot={exported}", f"--file={destination}", f"--dbname={dsn}"], env
            )
    if done.returncode != 0:
        raise BackupRefused(message=Msg("pg_dump 失败：%(error)s", error=_first_error(done.stderr)))
    postgres_check(destination)
    return snapshot


_COPY_ALEMBIC = re.compile(r"^COPY \S*alembic_version \(version_num\) FROM stdin;$", re.MULTILINE)


def postgres_check(path: Path) -> str | None:
    """Read the whole archive (as a restore would) and return the migration revision it holds."""
    pg_restore = _client("pg_restore")
    whole = _run([pg_restore, "--file=/dev/null", str(path)])
    if whole.returncode != 0:
        raise _refuse_corrupt(path, _first_error(whole.stderr))
    version = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)])
    script = version.stdout.decode("utf-8", "replace")
    match = _COPY_ALEMBIC.search(script)
    if version.returncode != 0 or match is None:
        raise BackupRefused(
            message=Msg("备份中没有迁移版本（alembic_version）：不是本系统的数据库：%(path)s", path=str(path))
        )
    rows = script[match.end() :].lstrip("\n").split("\n", 1)[0]
    return None if rows == "\\." else rows.strip()


def postgres_target_snapshot(url: URL) -> Snapshot:
    try:
        with _engine(url) as engine, engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                return read_snapshot(connection)
    except DBAPIError as error:
        raise BackupRefused(
            message=Msg("无法读取目标数据库：%(error)s", error=str(error.orig).splitlines()[0])
        ) from error


def postgres_restore(backup: Path, url: URL) -> None:
    """`pg_restore --clean --if-exists` in one transaction: on any error nothing changes.
    --no-owner / --no-acl: objects belong to the restoring role, whatever roles the source had."""
    dsn, env = _libpq(url)
    done = _run(
        [
            _client("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={dsn}",
            str(backup),
        ],
        env,
    )
    if done.returncode != 0:
        raise BackupRefused(
            message=Msg("pg_restore 失败，数据库未改动：%(error)s", error=_first_error(done.stderr))
        )
