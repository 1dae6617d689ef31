"""Copy every row of the test database and put the same rows back later: for fixtures whose rows
cost far more to build through the operations (hundreds of milliseconds) than to insert (a few).

Only the database and the upload directory are copied; a fixture that keeps other state (files
elsewhere, in-process caches) must not use this."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select, text

from marketplace.extensions import db
from tests import conftest

# A snapshot is used only this long after it was taken, so rows stamped "now" stay recent.
MAX_AGE_SECONDS = 30.0


@dataclass
class RowSnapshot:
    database_url: str
    tables: list[tuple[Table, list[dict[str, Any]]]]
    uploads: Path
    taken_at: float

    def fresh(self, database_url: str) -> bool:
        return self.database_url == database_url and time.monotonic() - self.taken_at < MAX_AGE_SECONDS


def _tables() -> list[Table]:
    return [table for table in db.metadata.sorted_tables if table.name not in conftest.REFERENCE_TABLES]


def take(database_url: str, upload_dir: str | Path, keep_uploads_in: Path) -> RowSnapshot:
    """Every row of every table but the reference tables, and a copy of the upload directory."""
    engine, own = conftest.tables_engine(database_url)
    tables = []
    with engine.connect() as connection:
        for table in _tables():
            rows = connection.execute(select(table)).all()
            tables.append((table, [dict(zip(table.columns.keys(), row, strict=True)) for row in rows]))
    if own:
        engine.dispose()
    if keep_uploads_in.exists():
        shutil.rmtree(keep_uploads_in)
    if Path(upload_dir).exists():
        shutil.copytree(upload_dir, keep_uploads_in)
    else:
        keep_uploads_in.mkdir(parents=True)
    return RowSnapshot(database_url, tables, keep_uploads_in, time.monotonic())


def can_restore(database_url: str) -> bool:
    """Restoring inserts rows whose foreign keys form cycles: SQLite does not enforce them here (no
    ``PRAGMA foreign_keys``), PostgreSQL skips them only for a superuser acting as a replica."""
    if not database_url.startswith("postgresql"):
        return True
    engine, own = conftest.tables_engine(database_url)
    with engine.connect() as connection:
        superuser = conftest._is_superuser(connection)
    if own:
        engine.dispose()
    return superuser


def restore(snapshot: RowSnapshot, upload_dir: str | Path) -> None:
    """Into empty tables: the snapshot's rows (same ids, sequences moved past them) and upload files."""
    engine, own = conftest.tables_engine(snapshot.database_url)
    with engine.begin() as connection:
        postgresql = engine.dialect.name == "postgresql"
        if postgresql:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table, rows in snapshot.tables:
            if rows:
                connection.execute(table.insert(), rows)
        if postgresql:
            restarts = [
                f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f"{max(row['id'] for row in rows)}, true)"
                for table, rows in snapshot.tables
                if rows
                and "id" in table.c
                and table.c.id.primary_key
                and isinstance(rows[0]["id"], int)
                and table.c.id.autoincrement in (True, "auto")
            ]
            if restarts:
                connection.execute(text(f"SELECT {', '.join(restarts)}"))
    if own:
        engine.dispose()
    shutil.copytree(snapshot.uploads, upload_dir, dirs_exist_ok=True)
