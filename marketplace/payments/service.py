"""One Stripe gateway per app, built from its configuration (None when no key is configured)."""

from __future__ import annotations

from flask import current_app

from marketplace.payments.gateway import StripeGateway, settings_from_config

_KEY = "stripe_gateway"


def get_gateway() -> StripeGateway | None:
    """The app's gateway, or None: then card payments are hidden and offline pledges still work."""
    extensions = current_app.extensions
    if _KEY not in extensions:
        settings = settings_from_config(current_app.config)
        extensions[_KEY] = StripeGateway(settings) if settings is not None else None
    return extensions[_KEY]


def card_payments_enabled() -> bool:
    return get_gateway() is not None
