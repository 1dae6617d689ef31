"""`flask backup create|restore|prune`: a backup restored into a fresh database holds the same rows
and the same money; a backup taken while pledges are written is one consistent moment; bad files and
non-empty targets are refused and change nothing. Runs on SQLite (file databases, SQLite's backup API)
and, with MARKETPLACE_TEST_DATABASE_URL, on PostgreSQL (pg_dump / pg_restore into a new database)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from marketplace.accounts.models import User
from marketplace.backup import migration_heads
from marketplace.backup_engines import read_snapshot
from marketplace.backup_rules import Retention, Snapshot, backup_name, backups_to_delete, differences
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.projects.models import Project
from tests import factories, pgdb

DEADLINE = 60  # seconds for a polled condition; reaching it fails the test


def _postgres(url: str) -> bool:
    return url.startswith("postgresql")


def _suffix(url: str) -> str:
    return ".dump" if _postgres(url) else ".db"


def snapshot_of(url: str) -> Snapshot:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if _postgres(url):
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                return read_snapshot(connection)
    finally:
        engine.dispose()


@pytest.fixture
def fresh_database(database_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Make empty databases of the suite's engine: a new SQLite file, or a new PostgreSQL database
    (dropped afterwards)."""
    created: list[str] = []
    base = make_url(database_url)
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    def make() -> str:
        if not _postgres(database_url):
            return f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.db'}"
        name = f"{base.database}_r{uuid.uuid4().hex[:8]}"[-63:].lstrip("0123456789")
        assert pgdb.main(["create", admin, name]) == 0
        created.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    for name in created:
        pgdb.main(["drop", admin, name])


@pytest.fixture
def source(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """The suite's database, with backups going to a temporary directory (never instance/)."""
    return make_app(BACKUP_DIR=str(tmp_path / "backups"))


def _target(make_app: Callable[..., Flask], url: str, tmp_path: Path) -> Flask:
    name = uuid.uuid4().hex[:8]
    return make_app(
        SQLALCHEMY_DATABASE_URI=url,
        BACKUP_DIR=str(tmp_path / f"backups-{name}"),
        UPLOAD_DIR=str(tmp_path / f"uploads-{name}"),
    )


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _create(app: Flask, output: Path, *extra: str) -> Any:
    result = _cli(app, "backup", "create", "--output", str(output), *extra)
    assert result.exit_code == 0, result.output
    assert output.is_file()
    return result


def _small_world(app: Flask) -> int:
    """An organization's published project with two paid pledges and a refund; returns its id."""
    with app.app_context():
        org = factories.org_member()
        company = factories.company_member()
        staff = factories.staff()
        project = factories.project(org, status="published", reviewer=staff)
        factories.pledge(project, company, 150_000, reviewer=staff)
        refunded = factories.pledge(project, company, 20_000, reviewer=staff)
        pledges.refund_pledge(refunded, staff, amount=5_000, gateway=None, note="重复捐赠")
        db.session.commit()
        return project.id


# ---------------------------------------------------------------------------------------------
# A backup restored into a fresh database


def test_restore_into_a_fresh_database_holds_every_row_and_the_same_money(
    source, make_app, fresh_database, database_url, tmp_path
):
    demo = _cli(source, "demo")
    assert demo.exit_code == 0, demo.output
    before = snapshot_of(database_url)
    assert before.counts["pledges"] > 20 and before.counts["ledger_entries"] > 20
    assert before.ledger_mismatches == [] and before.raised_total > 0

    backup = tmp_path / f"demo{_suffix(database_url)}"
    created = _create(source, backup)
    assert "备份已写入" in created.output
    assert (
        "ledger_entries" in created.output and "每个项目的已筹金额都与账本中的筹款条目一致" in created.output
    )

    target_url = fresh_database()
    target = _target(make_app, target_url, tmp_path)
    restored = _cli(target, "backup", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "search reindex" in restored.output

    after = snapshot_of(target_url)
    assert after.counts == before.counts  # every table, row for row
    assert after.ledger_total == before.ledger_total
    assert after.raised_by_project == before.raised_by_project
    assert after.ledger_mismatches == []
    assert after.revision == before.revision == migration_heads()[0][0]
    with target.app_context():
        assert pledges.ledger_mismatches() == []  # the application's own check, on the restored copy
    assert target.test_client().get("/projects").status_code == 200


def test_uploads_travel_with_the_backup(source, make_app, fresh_database, database_url, tmp_path):
    _small_world(source)
    uploads = Path(source.config["UPLOAD_DIR"])
    (uploads / "receipts").mkdir(parents=True)
    (uploads / "receipts" / "r1.pdf").write_bytes(b"%PDF-1.4 receipt")
    backup = tmp_path / f"with-uploads{_suffix(database_url)}"
    _create(source, backup, "--with-uploads")

    target = _target(make_app, fresh_database(), tmp_path)
    restored = _cli(target, "backup", "restore", str(backup), "--with-uploads")
    assert restored.exit_code == 0, restored.output
    copy = Path(target.config["UPLOAD_DIR"]) / "receipts" / "r1.pdf"
    assert copy.read_bytes() == b"%PDF-1.4 receipt"


# ---------------------------------------------------------------------------------------------
# Consistency while the site keeps writing


def test_backup_taken_while_pledges_are_written_is_one_consistent_moment(
    source, make_app, fresh_database, database_url, tmp_path
):
    project_id = _small_world(source)
    with source.app_context():
        company_id = factories.company_member().id
        staff_id = factories.staff().id
    written: list[int] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_pledging() -> None:
        with source.app_context():
            try:
                while not stop.is_set() and len(written) < 2000:
                    project = db.session.get(Project, project_id)
                    company, staff = db.session.get(User, company_id), db.session.get(User, staff_id)
                    factories.pledge(project, company, 10_000 + len(written), reviewer=staff)
                    written.append(1)
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + DEADLINE
        while len(written) < count and not errors:
            assert time.monotonic() < deadline, f"only {len(written)} pledges written"
            time.sleep(0.01)

    writer = threading.Thread(target=keep_pledging, name="pledge-writer")
    writer.start()
    backups = []
    try:
        for round_ in range(2):
            wait_for(len(written) + 5)  # the writer is in full flow when each backup starts
            backup = tmp_path / f"live-{round_}{_suffix(database_url)}"
            _create(source, backup)
            backups.append((backup, len(written)))
        wait_for(backups[-1][1] + 5)  # and kept writing afterwards: the backup blocked no one for good
    finally:
        stop.set()
        writer.join(DEADLINE)
    assert not writer.is_alive() and not errors, errors

    for backup, written_at_end in backups:
        target_url = fresh_database()
        restored = _cli(_target(make_app, target_url, tmp_path), "backup", "restore", str(backup))
        assert restored.exit_code == 0, restored.output
        copy = snapshot_of(target_url)
        assert copy.ledger_mismatches == []  # raised equals the ledger sum in the copy, per project
        # Taken mid-stream: more than the writer had done when it started, no more than by its end
        # (+1: a pledge committed but not yet counted). The world had 2 pledges of its own.
        assert 2 + 5 <= copy.counts["pledges"] <= 2 + written_at_end + 1


# ---------------------------------------------------------------------------------------------
# Refusals: a specific message, exit 1, nothing changed


def _corrupt_copy(backup: Path, database_url: str, tmp_path: Path) -> Path:
    broken = tmp_path / f"broken{_suffix(database_url)}"
    data = bytearray(backup.read_bytes())
    if _postgres(database_url):
        broken.write_bytes(bytes(data[: len(data) * 2 // 3]))  # cut short, as by a full disk
    else:
        page = 4096
        for start in range(2 * page, len(data) - page, 3 * page):
            data[start + 8 : start + 200] = b"\xa5" * 192  # scribble over page headers
        broken.write_bytes(bytes(data))
    return broken


def _foreign_engine_file(database_url: str, tmp_path: Path) -> Path:
    if _postgres(database_url):
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE t (x)")
        return path
    path = tmp_path / "other.dump"
    path.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "备份文件不存在"),
        ("not_a_backup", "不是本系统的备份文件"),
        ("corrupt", "备份文件已损坏"),
        ("checksum", "校验和与清单"),
        ("other_engine", "而配置的数据库是"),
        ("unknown_revision", "不属于当前代码"),
    ],
)
def test_bad_backup_files_are_refused_and_change_nothing(
    case, message, source, make_app, fresh_database, database_url, tmp_path
):
    _small_world(source)
    backup = tmp_path / f"good{_suffix(database_url)}"
    if case == "unknown_revision":
        with _revision_set_to("ffffffffffff", database_url):
            _create(source, backup)
    else:
        _create(source, backup)
    if case == "missing":
        path = tmp_path / "nowhere.db"
    elif case == "not_a_backup":
        path = tmp_path / "notes.db"
        path.write_text("这不是数据库\n" * 100, encoding="utf-8")
    elif case == "corrupt":
        path = _corrupt_copy(backup, database_url, tmp_path)
    elif case == "checksum":
        path = backup
        with path.open("r+b") as handle:
            handle.seek(path.stat().st_size - 10)
            handle.write(b"\xff" * 10)
    elif case == "other_engine":
        path = _foreign_engine_file(database_url, tmp_path)
    else:
        path = backup

    target_url = fresh_database()
    target = _target(make_app, target_url, tmp_path)
    before = snapshot_of(target_url)
    result = _cli(target, "backup", "restore", str(path), "--yes")
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert snapshot_of(target_url) == before
    assert not Path(target.config["BACKUP_DIR"]).exists()  # no safety copy either: nothing was begun


def _set_revision(url: str, revision: str | None) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    engine.dispose()


@contextmanager
def _revision_set_to(revision: str, url: str) -> Iterator[None]:
    """The suite's database stamped with another migration revision, for one backup."""
    original = snapshot_of(url).revision
    _set_revision(url, revision)
    try:
        yield
    finally:
        _set_revision(url, original)


def test_an_older_revision_restores_and_asks_for_an_upgrade(
    source, make_app, fresh_database, database_url, tmp_path
):
    _small_world(source)
    heads, known = migration_heads()
    older = known[1]  # walk_revisions goes from the head down
    backup = tmp_path / f"older{_suffix(database_url)}"
    with _revision_set_to(older, database_url):
        _create(source, backup)
    restored = _cli(_target(make_app, fresh_database(), tmp_path), "backup", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "db upgrade" in restored.output
    assert heads[0] != older


def test_restore_over_data_needs_yes_and_keeps_a_copy_of_what_it_replaced(
    source, make_app, fresh_database, database_url, tmp_path
):
    _small_world(source)
    backup = tmp_path / f"first{_suffix(database_url)}"
    _create(source, backup)
    first = snapshot_of(database_url)
    _small_world(source)  # the live database moves on after the backup
    live = snapshot_of(database_url)
    assert live != first

    refused = _cli(source, "backup", "restore", str(backup))
    assert refused.exit_code == 1, refused.output
    assert "目标数据库不是空的" in refused.output and "--yes" in refused.output
    assert snapshot_of(database_url) == live

    restored = _cli(source, "backup", "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "原有数据已先备份到" in restored.output
    after = snapshot_of(database_url)
    assert differences(first, after) == [] and after.raised_by_project == first.raised_by_project
    safety = list(
        Path(source.config["BACKUP_DIR"]).glob(f"before-restore-marketplace-*{_suffix(database_url)}")
    )
    assert len(safety) == 1
    # The automatic copy brings back what the restore replaced.
    again = _cli(source, "backup", "restore", str(safety[0]), "--yes")
    assert again.exit_code == 0, again.output
    assert differences(live, snapshot_of(database_url)) == []


def test_create_never_overwrites_an_existing_file(source, database_url, tmp_path):
    existing = tmp_path / f"taken{_suffix(database_url)}"
    existing.write_bytes(b"keep me")
    result = _cli(source, "backup", "create", "--output", str(existing))
    assert result.exit_code == 1 and "文件已存在" in result.output
    assert existing.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial left behind


def test_default_backup_name_is_a_utc_timestamp_in_the_backup_directory(source, database_url):
    result = _cli(source, "backup", "create")
    assert result.exit_code == 0, result.output
    (made,) = [p for p in Path(source.config["BACKUP_DIR"]).iterdir() if not p.name.endswith(".json")]
    assert made.name.startswith("marketplace-") and made.name.endswith("Z" + _suffix(database_url))
    assert made.stat().st_mode & 0o077 == 0  # holds password hashes: owner only
    verified = _cli(source, "backup", "verify", str(made))
    assert verified.exit_code == 0, verified.output
    assert "备份文件完好" in verified.output and "与当前代码一致" in verified.output


# ---------------------------------------------------------------------------------------------
# Retention


def test_retention_keeps_daily_weekly_and_monthly_backups_and_nothing_else():
    start = datetime(2026, 1, 1, 2, 30, tzinfo=UTC)
    names = [backup_name(start + timedelta(hours=12 * i), ".db") for i in range(2 * 180)]
    doomed = set(backups_to_delete([*names, "notes.txt", "before-restore-x.db"], Retention(7, 4, 6)))
    kept = [name for name in names if name not in doomed]
    newest_day = sorted(names)[-1][: len("marketplace-20260101")]
    assert sorted(names)[-1] in kept
    assert len([name for name in kept if name.startswith(newest_day)]) == 1  # one per day, the newest
    assert 7 <= len(kept) <= 7 + 4 + 6
    assert "notes.txt" not in doomed and "before-restore-x.db" not in doomed
    assert backups_to_delete([], Retention()) == []


def test_prune_deletes_old_backups_with_their_manifests(source, tmp_path):
    directory = Path(source.config["BACKUP_DIR"])
    directory.mkdir()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(10):
        name = backup_name(start + timedelta(days=day), ".db")
        (directory / name).write_bytes(b"x")
        (directory / f"{name}.json").write_text("{}")
    (directory / "keep-me.txt").write_text("not a backup")
    result = _cli(source, "backup", "prune", "--keep-daily", "3", "--keep-weekly", "0", "--keep-monthly", "0")
    assert result.exit_code == 0, result.output
    left = sorted(p.name for p in directory.iterdir())
    assert left == sorted(
        [
            "keep-me.txt",
            *(backup_name(start + timedelta(days=d), ".db") + s for d in (7, 8, 9) for s in ("", ".json")),
        ]
    )
