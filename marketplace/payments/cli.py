"""`flask payments …`: jobs that talk to Stripe."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from marketplace.payments.reconcile import reconcile_card_payments
from marketplace.payments.service import get_gateway

payments_cli = AppGroup("payments", help="在线支付（Stripe）对账等任务")


@payments_cli.command("reconcile")
@click.option(
    "--older-than",
    "older_than",
    type=click.IntRange(min=0),
    default=None,
    metavar="MINUTES",
    help="只处理创建超过这么多分钟仍未到账的在线支付认捐（默认取 STRIPE_RECONCILE_AFTER_MINUTES）。",
)
def reconcile_command(older_than: int | None) -> None:
    """向 Stripe 核对待支付和已支付的在线认捐，补记丢失的支付通知。可重复运行。"""
    try:
        gateway = get_gateway()
    except ValueError as error:
        raise click.ClickException(f"Stripe 配置有误：{error}") from None
    if gateway is None:
        raise click.ClickException("未配置 Stripe 密钥（STRIPE_SECRET_KEY），在线支付未开通，无需对账。")
    minutes = older_than if older_than is not None else current_app.config["STRIPE_RECONCILE_AFTER_MINUTES"]
    report = reconcile_card_payments(gateway, older_than=timedelta(minutes=minutes))
    for line in report.details:
        click.echo(line)
    click.echo(report.summary())
    if report.errors:
        # Non-zero so cron notices; the other pledges were still reconciled and committed.
        raise SystemExit(1)
