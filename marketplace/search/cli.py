"""`flask search …`: rebuild, check and keep the index fed. Safe to run on several hosts: each host
keeps its own index, and the outbox tells each what it has not applied yet."""

from __future__ import annotations

import math
import time
from datetime import timedelta

import click
from flask.cli import AppGroup

from marketplace.search.engine import IndexUnavailable, warm_up
from marketplace.search.service import get_service

search_cli = AppGroup("search", help="全文检索索引：重建、检查、持续更新。")


@search_cli.command("reindex")
@click.option("--procs", type=int, default=None, help="并行分词的进程数（默认取配置 SEARCH_PROCS）。")
def reindex_command(procs: int | None) -> None:
    """从数据库重建索引，完成后原子替换。"""
    indexer = get_service().indexer()
    if procs:
        indexer.procs = procs
    started = time.perf_counter()
    index = indexer.rebuild()
    click.echo(f"索引已重建：{index.doc_count()} 个项目，用时 {time.perf_counter() - started:.1f} 秒。")


@search_cli.command("check")
def check_command() -> None:
    """对照数据库检查索引；有缺失或过期的文档时以非零状态退出。"""
    try:
        report = get_service().indexer().check()
    except IndexUnavailable as error:
        click.echo(f"索引不可用：{error}", err=True)
        raise SystemExit(1) from None
    if report.ok:
        click.echo("索引与数据库一致。")
        return
    for label, ids in (("缺失", report.missing), ("过期", report.stale), ("多余", report.extra)):
        if ids:
            click.echo(f"{label} {len(ids)} 个：{', '.join(map(str, ids[:50]))}", err=True)
    raise SystemExit(1)


@search_cli.command("watch")
@click.option("--interval", type=float, default=2.0, show_default=True, help="两次检查之间的秒数。")
@click.option("--once", is_flag=True, help="只处理一轮待更新记录后退出。")
@click.option("--retention-days", type=int, default=7, show_default=True, help="清理多少天前的已处理记录。")
@click.option(
    "--raised-delay",
    type=click.FloatRange(0, 60),
    default=30.0,
    show_default=True,
    help="只有已筹金额变化的项目最多攒多少秒再一起写入索引（列表卡片上的金额本就可晚 30 秒）。",
)
def watch_command(interval: float, once: bool, retention_days: int, raised_delay: float) -> None:
    """持续把数据库的变更写入索引（生产环境的索引进程）。"""
    service = get_service()
    indexer = service.indexer(raised_delay_seconds=0.0 if once else raised_delay)
    warm_up()
    last_sweep = -math.inf  # sweep at once: a previous watcher may have died holding amounts
    while True:
        try:
            index = service.index()
        except IndexUnavailable:
            click.echo("索引不存在，正在重建……")
            index = indexer.rebuild()
        # Every 30 s also re-apply recent rows, catching transactions that committed out of id order.
        sweep = time.monotonic() - last_sweep > 30
        applied = indexer.apply_pending(wait=True, index=index, sweep=sweep)
        if sweep:
            last_sweep = time.monotonic()
            indexer.prune(older_than=timedelta(days=retention_days))
        if applied:
            click.echo(f"已更新 {applied} 个项目的索引（已处理到 {index.last_applied()}）。")
        if once:
            return
        time.sleep(interval)  # a daemon's polling pause, not synchronisation


@search_cli.command("status")
def status_command() -> None:
    """显示索引位置、文档数和已处理到的变更编号。"""
    service = get_service()
    try:
        index = service.index()
    except IndexUnavailable as error:
        click.echo(f"索引不可用：{error}", err=True)
        raise SystemExit(1) from None
    click.echo(f"索引目录：{index.directory}\n文档数：{index.doc_count()}\n已处理到：{index.last_applied()}")
