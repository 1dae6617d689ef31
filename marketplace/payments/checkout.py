"""Starting a card payment for a pledge: one place builds the return URLs and calls the gateway,
so the pages and the API create identical Checkout Sessions (Stripe rejects an idempotency key
replayed with different parameters, so nothing here may vary between retries)."""

from __future__ import annotations

from flask import url_for

from marketplace.errors import Conflict
from marketplace.messages import Msg
from marketplace.payments.service import get_gateway
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import Pledge


def checkout_url_for(pledge: Pledge) -> str:
    """The Stripe-hosted payment page for a pending card pledge (created once, then reused)."""
    gateway = get_gateway()
    if gateway is None:
        raise Conflict.on("method", Msg("平台暂未开通在线支付，请选择对公转账或物资捐赠"))
    return pledges.start_card_checkout(
        pledge,
        gateway,
        success_url=url_for("payments.checkout_returned", pledge_id=pledge.id, _external=True),
        cancel_url=url_for("payments.checkout_cancelled", pledge_id=pledge.id, _external=True),
        # From the row, not the caller: a retry by API or page must send identical parameters.
        email=pledge.created_by.email if pledge.created_by else None,
    )
