"""`flask backup create|restore|prune`: consistent copies of the configured database that can be
taken while the site runs, checked before they are trusted, and restored with the same checks.

SQLite is copied with its online backup API in one step (one read lock: a consistent snapshot even
while workers write); PostgreSQL with `pg_dump -Fc` on a snapshot exported from a REPEATABLE READ
transaction, so the counts printed and written to the manifest are those of the dump itself. Every
file is written under a temporary name, verified, then renamed: a file with a backup's name is
complete. Engine-specific steps live in `backup_engines.py`; the pure rules (names, retention,
comparisons) in `backup_rules.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import make_url
from sqlalchemy.engine import URL

from marketplace import backup_engines as engines
from marketplace.backup_rules import (
    POSTGRES_SUFFIX,
    REFERENCE_TABLES,
    SQLITE_SUFFIX,
    BackupRefused,
    Retention,
    RevisionFit,
    Snapshot,
    backup_name,
    backup_time,
    backups_to_delete,
    companion_names,
    differences,
    revision_fit,
)
from marketplace.cli_errors import exit_refused
from marketplace.config import PROJECT_ROOT
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.money import format_fen
from marketplace.timeutil import utcnow

backup_cli = AppGroup("backup", help="备份与恢复数据库。")


@dataclass(frozen=True)
class CreatedBackup:
    path: Path
    snapshot: Snapshot
    seconds: float
    uploads: Path | None


@dataclass(frozen=True)
class RestoredBackup:
    snapshot: Snapshot
    fit: RevisionFit
    seconds: float
    safety_copy: Path | None
    problems: list[str]
    uploads_restored: bool


def _database_url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _is_postgres(url: URL) -> bool:
    return url.get_backend_name() == "postgresql"


def backup_directory() -> Path:
    """BACKUP_DIR (MARKETPLACE_BACKUP_DIR), by default instance/backups."""
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def migration_heads() -> tuple[list[str], list[str]]:
    """(head revisions, every revision) of the migrations shipped with this code."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    script = ScriptDirectory.from_config(config)
    return list(script.get_heads()), [revision.revision for revision in script.walk_revisions()]


# ---------------------------------------------------------------------------------------------
# Creating


def create_backup(
    output: Path | None = None, *, with_uploads: bool = False, prefix: str = ""
) -> CreatedBackup:
    """Copy the configured database to `output` (default instance/backups/marketplace-<UTC>.db or
    .dump), verify the copy, write its manifest, and optionally archive the uploads beside it."""
    started = time.monotonic()
    url = _database_url()
    suffix = POSTGRES_SUFFIX if _is_postgres(url) else SQLITE_SUFFIX
    if output is None:
        # Names are to the second; a second backup within it (a restore's safety copy right after
        # another restore) takes the next free second rather than being refused.
        when = utcnow()
        while (output := backup_directory() / (prefix + backup_name(when, suffix))).exists():
            when += timedelta(seconds=1)
    output = output.resolve()
    if output.exists():
        raise BackupRefused(message=Msg("文件已存在，不会覆盖：%(path)s", path=str(output)))
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    _private_file(partial)
    try:
        if _is_postgres(url):
            snapshot = engines.postgres_dump(url, partial)
        else:
            timeout = current_app.config["SQLITE_BUSY_TIMEOUT"]
            engines.sqlite_copy(engines.sqlite_file(url), partial, timeout=timeout)
            snapshot = engines.sqlite_check(partial)  # read back what was written
        if snapshot.revision is None:
            raise BackupRefused(message=Msg("数据库里没有 alembic_version：请先运行 flask db upgrade"))
        uploads = _archive_uploads(output) if with_uploads else None
        manifest = snapshot.to_manifest(
            engine="postgresql" if _is_postgres(url) else "sqlite",
            created_at=utcnow().isoformat(timespec="seconds") + "Z",
            sha256=_sha256(partial),
            size=partial.stat().st_size,
            uploads=uploads.name if uploads else None,
        )
        _write_atomically(output.with_name(companion_names(output.name)[0]), json.dumps(manifest, indent=2))
        os.replace(partial, output)
        _fsync_directory(output.parent)
    finally:
        partial.unlink(missing_ok=True)
    return CreatedBackup(output, snapshot, time.monotonic() - started, uploads)


def _private_file(path: Path) -> None:
    """Create `path` empty, readable by its owner only: backups hold password hashes and
    personal data. O_EXCL: two backups started in the same second cannot share a file."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _fsync_directory(path: Path) -> None:
    """Make a rename survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, content: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    _private_file(partial)
    try:
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _archive_uploads(backup: Path) -> Path:
    """The uploaded files (receipts, images) the database refers to, as a tar beside the backup.
    Not compressed: they are images and PDFs already."""
    source = Path(current_app.config["UPLOAD_DIR"])
    archive = backup.with_name(companion_names(backup.name)[1])
    partial = archive.with_name(f".{archive.name}.{os.getpid()}.partial")
    _private_file(partial)
    try:
        with tarfile.open(partial, "w") as tar:
            if source.is_dir():
                for child in sorted(source.iterdir()):
                    tar.add(child, arcname=child.name)
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    return archive


# ---------------------------------------------------------------------------------------------
# Restoring


def backup_engine(path: Path) -> str:
    """Which engine wrote the backup, "sqlite" or "postgresql", from its first bytes; refuses a
    missing or foreign file."""
    if not path.exists():
        raise BackupRefused(message=Msg("备份文件不存在：%(path)s", path=str(path)))
    if not path.is_file():
        raise BackupRefused(message=Msg("不是文件：%(path)s", path=str(path)))
    with path.open("rb") as handle:
        header = handle.read(16)
    if header == engines.SQLITE_HEADER:
        return "sqlite"
    if header.startswith(engines.POSTGRES_HEADER):
        return "postgresql"
    raise BackupRefused(
        message=Msg(
            "不是本系统的备份文件（既不是 SQLite 数据库，也不是 pg_dump -Fc 归档）：%(path)s", path=str(path)
        )
    )


def check_backup(path: Path, engine: str) -> tuple[Snapshot | None, str | None]:
    """(what the backup holds if known, its migration revision) after reading the whole file.
    Raises BackupRefused with the specific reason for a damaged file."""
    manifest = _read_manifest(path)
    if manifest is not None and manifest.get("sha256") not in (None, _sha256(path)):
        raise BackupRefused(
            message=Msg("备份文件已损坏：校验和与清单 %(manifest)s 不符", manifest=path.name + ".json")
        )
    if engine == "sqlite":
        snapshot = engines.sqlite_check(path)
        return snapshot, snapshot.revision
    revision = engines.postgres_check(path)
    return (Snapshot.from_manifest(manifest) if manifest else None), revision


def _read_manifest(path: Path) -> dict[str, Any] | None:
    manifest = path.with_name(companion_names(path.name)[0])
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupRefused(
            message=Msg("备份清单 %(manifest)s 无法读取：%(error)s", manifest=manifest.name, error=str(error))
        ) from error
    return data if isinstance(data, dict) else None


def restore_backup(path: Path, *, confirmed: bool = False, with_uploads: bool = False) -> RestoredBackup:
    """Replace the configured database with the backup at `path`, after checking the backup, its
    migration revision, and (without `confirmed`) that the target holds nothing to lose."""
    started = time.monotonic()
    url = _database_url()
    path = path.resolve()
    engine, expected, fit = _check_restorable(path, url)
    uploads = path.with_name(companion_names(path.name)[1])
    if with_uploads and not uploads.is_file():
        raise BackupRefused(message=Msg("找不到上传文件归档：%(path)s", path=str(uploads)))
    current = _target_snapshot(url)
    safety_copy = None
    if not current.is_empty:
        if not confirmed:
            rows = sum(n for table, n in current.counts.items() if table not in REFERENCE_TABLES)
            raise BackupRefused(
                message=Msg(
                    "目标数据库不是空的（%(rows)s 行数据）：恢复会覆盖其中全部数据。"
                    "确认无误后加 --yes 重新运行",
                    rows=rows,
                )
            )
        safety_copy = create_backup(prefix="before-restore-").path
    db.session.remove()
    db.engine.dispose()  # our own pooled connections must not hold locks the restore waits for
    if engine == "postgresql":
        engines.postgres_restore(path, url)
    else:
        timeout = current_app.config["SQLITE_BUSY_TIMEOUT"]
        engines.sqlite_restore(path, engines.sqlite_file(url), timeout=timeout)
    restored = _target_snapshot(url)
    problems = differences(expected, restored) if expected is not None else []
    if with_uploads:
        _extract_uploads(uploads)
    return RestoredBackup(restored, fit, time.monotonic() - started, safety_copy, problems, with_uploads)


def _check_restorable(path: Path, url: URL) -> tuple[str, Snapshot | None, RevisionFit]:
    """(engine, what the backup holds if known, how its revision fits the code), or BackupRefused."""
    engine = backup_engine(path)
    target_engine = "postgresql" if _is_postgres(url) else "sqlite"
    if engine != target_engine:
        raise BackupRefused(
            message=Msg(
                "这是 %(engine)s 的备份，而配置的数据库是 %(target)s：无法恢复",
                engine=engine,
                target=target_engine,
            )
        )
    if engine == "sqlite" and path == engines.sqlite_file(url):
        raise BackupRefused(
            message=Msg("这就是当前配置的数据库文件本身，不能用它恢复自己：%(path)s", path=str(path))
        )
    expected, revision = check_backup(path, engine)
    heads, known = migration_heads()
    fit = revision_fit(revision, heads, known)
    if fit is RevisionFit.UNKNOWN:
        raise BackupRefused(
            message=Msg(
                "备份的迁移版本 %(revision)s 不属于当前代码（最新为 %(head)s）："
                "它来自更新的版本或别的应用，请先部署对应版本的代码",
                revision=str(revision),
                head=", ".join(heads),
            )
        )
    return engine, expected, fit


def _target_snapshot(url: URL) -> Snapshot:
    if _is_postgres(url):
        return engines.postgres_target_snapshot(url)
    return engines.sqlite_target_snapshot(engines.sqlite_file(url))


def _extract_uploads(archive: Path) -> None:
    target = Path(current_app.config["UPLOAD_DIR"])
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")  # no absolute paths, no "..", no device files


# ---------------------------------------------------------------------------------------------
# Commands


def _echo_snapshot(snapshot: Snapshot) -> None:
    click.echo("各表行数：")
    width = max((len(table) for table in snapshot.counts), default=0)
    for table, count in sorted(snapshot.counts.items()):
        click.echo(f"  {table:<{width}}  {count}")
    total_rows = sum(snapshot.counts.values())
    click.echo(f"共 {len(snapshot.counts)} 张表，{total_rows} 行。")
    click.echo(
        f"账本 {snapshot.counts.get('ledger_entries', 0)} 条，合计 {format_fen(snapshot.ledger_total)}"
        f"（含拨付与手续费）；项目已筹合计 {format_fen(snapshot.raised_total)}。"
    )
    if snapshot.ledger_mismatches:
        ids = "、".join(f"#{project_id}" for project_id in snapshot.ledger_mismatches[:20])
        click.echo(f"警告：这些项目的已筹金额与账本不符：{ids}", err=True)
    else:
        click.echo("每个项目的已筹金额都与账本中的筹款条目一致。")


@backup_cli.command("create")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="备份文件路径（默认 BACKUP_DIR 即 instance/backups 下的 marketplace-<UTC 时间>.db 或 .dump）。",
)
@click.option("--with-uploads", is_flag=True, help="同时把上传文件打包为同名 .uploads.tar。")
@with_appcontext
def create_command(output: Path | None, with_uploads: bool) -> None:
    """备份数据库（运行中也可以备份），校验后打印各表行数和账本合计。"""
    try:
        created = create_backup(output, with_uploads=with_uploads)
    except BackupRefused as error:
        exit_refused(error, {})
    size_mb = created.path.stat().st_size / 1e6
    click.echo(f"备份已写入 {created.path}（{size_mb:.1f} MB，用时 {created.seconds:.1f} 秒）")
    click.echo(f"校验通过：迁移版本 {created.snapshot.revision}。")
    if created.uploads is not None:
        click.echo(f"上传文件已打包到 {created.uploads}")
    _echo_snapshot(created.snapshot)


@backup_cli.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="目标数据库不是空的也恢复（会先自动备份现有数据）。")
@click.option("--with-uploads", is_flag=True, help="同时解压同名 .uploads.tar 到上传目录。")
@with_appcontext
def restore_command(path: Path, yes: bool, with_uploads: bool) -> None:
    """校验备份文件后，用它替换当前配置的数据库。"""
    try:
        restored = restore_backup(path, confirmed=yes, with_uploads=with_uploads)
    except BackupRefused as error:
        exit_refused(error, {})
    if restored.safety_copy is not None:
        click.echo(f"原有数据已先备份到 {restored.safety_copy}")
    click.echo(f"已从 {path} 恢复（用时 {restored.seconds:.1f} 秒）。")
    _echo_snapshot(restored.snapshot)
    if restored.uploads_restored:
        click.echo("上传文件已恢复。")
    if restored.fit is RevisionFit.OLDER:
        click.echo(
            f"备份的迁移版本 {restored.snapshot.revision} 早于当前代码："
            "请运行 flask --app marketplace db upgrade"
        )
    click.echo("搜索索引需要重建：请运行 flask --app marketplace search reindex")
    if restored.problems:
        for problem in restored.problems:
            click.echo(f"错误：{problem}", err=True)
        click.echo("错误：恢复后的数据与备份清单不符，请检查后重新恢复。", err=True)
        raise SystemExit(1)


@backup_cli.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def verify_command(path: Path) -> None:
    """只校验备份文件（完整性、迁移版本、清单校验和），不改动任何数据库。"""
    try:
        engine = backup_engine(path.resolve())
        snapshot, revision = check_backup(path.resolve(), engine)
    except BackupRefused as error:
        exit_refused(error, {})
    heads, known = migration_heads()
    fit = revision_fit(revision, heads, known)
    fits = {
        RevisionFit.CURRENT: "与当前代码一致",
        RevisionFit.OLDER: "早于当前代码，恢复后需运行 flask db upgrade",
        RevisionFit.UNKNOWN: "不属于当前代码，无法恢复",
    }
    click.echo(f"备份文件完好：{path}（{engine}），迁移版本 {revision}（{fits[fit]}）。")
    if snapshot is not None:
        _echo_snapshot(snapshot)
    if fit is RevisionFit.UNKNOWN:
        raise SystemExit(1)


@backup_cli.command("prune")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="默认 BACKUP_DIR（instance/backups）。",
)
@click.option("--keep-daily", type=click.IntRange(min=0), default=7, show_default=True)
@click.option("--keep-weekly", type=click.IntRange(min=0), default=4, show_default=True)
@click.option("--keep-monthly", type=click.IntRange(min=0), default=6, show_default=True)
@click.option("--dry-run", is_flag=True, help="只列出将删除的文件。")
@with_appcontext
def prune_command(
    directory: Path | None, keep_daily: int, keep_weekly: int, keep_monthly: int, dry_run: bool
) -> None:
    """按保留策略删除旧备份（每天、每周、每月各保留最新一份；最新的备份总会保留）。"""
    directory = directory or backup_directory()
    names = [entry.name for entry in directory.iterdir() if entry.is_file()] if directory.is_dir() else []
    doomed = backups_to_delete(names, Retention(daily=keep_daily, weekly=keep_weekly, monthly=keep_monthly))
    for name in doomed:
        for file_name in (name, *companion_names(name)):
            target = directory / file_name
            if target.exists():
                click.echo(f"{'将删除' if dry_run else '删除'} {target}")
                if not dry_run:
                    target.unlink()
    kept = [name for name in names if backup_time(name) is not None and name not in doomed]
    click.echo(f"保留 {len(kept)} 份备份。")
