"""`flask payments …`: jobs that talk to Stripe."""

from __future__ import annotations

from flask.cli import AppGroup

payments_cli = AppGroup("payments", help="在线支付（Stripe）对账等任务")
