"""Adapter around the official `stripe` library (16.x). PURE: no Flask, no SQLAlchemy.

This is the only module that imports `stripe`, so a library upgrade (16.x made Stripe objects
non-dicts and moved services under `client.v1`) touches one file. Everything that leaves this
module is a plain frozen dataclass or a plain dict, and every library error becomes a
`GatewayError` whose message never contains the secret key.

Money is integer fen throughout; Stripe's `unit_amount` for CNY is also in fen (its minor unit).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import stripe

DEFAULT_API_BASE = "https://api.stripe.com"
# Stripe limits list pages to 100 objects.
_PAGE_LIMIT = 100
# A reconcile scan that needs more pages than this is looking at the wrong window; stop rather
# than walk an account's whole history (or loop forever on a misbehaving server).
_MAX_PAGES = 200
_DIGITS = re.compile(r"[0-9]{1,18}")

T = TypeVar("T")


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class StripeSettings:
    # repr=False: settings end up in debug output and tracebacks; the keys must not.
    secret_key: str = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    api_base: str = DEFAULT_API_BASE
    max_network_retries: int = 2
    timeout: float = 20.0


def _optional_text(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        # Do not echo the value: it may be a secret.
        raise ValueError(f"{key} must be a string")
    value = value.strip()
    return value or None


def settings_from_config(config: Mapping[str, Any]) -> StripeSettings | None:
    """Stripe settings from app config, or None when no secret key is configured.

    None means "card payments are off": the app then offers bank transfer / in-kind pledges only.
    """
    secret_key = _optional_text(config, "STRIPE_SECRET_KEY")
    if secret_key is None:
        return None
    api_base = _optional_text(config, "STRIPE_API_BASE") or DEFAULT_API_BASE
    if not api_base.startswith(("https://", "http://")):
        raise ValueError("STRIPE_API_BASE must be an http(s) URL")
    return StripeSettings(
        secret_key=secret_key,
        webhook_secret=_optional_text(config, "STRIPE_WEBHOOK_SECRET"),
        # The library appends "/v1/..." to the base; a trailing slash would make "//v1".
        api_base=api_base.rstrip("/"),
    )


# --------------------------------------------------------------------------- results and errors


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None  # None once the session is complete or expired
    status: str | None  # "open" | "complete" | "expired"
    payment_status: str  # "paid" | "unpaid" | "no_payment_required"
    amount_total: int | None  # fen
    currency: str | None  # lower-case ISO code, "cny"
    payment_intent_id: str | None  # None until the customer pays (API versions >= 2022-08-01)
    pledge_id: int | None  # from metadata.pledge_id (client_reference_id as a fallback)
    created: int  # unix seconds


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int  # fen
    status: str | None  # "pending" | "succeeded" | "failed" | "canceled" | "requires_action"
    payment_intent_id: str | None


@dataclass(frozen=True)
class PaymentState:
    payment_intent_id: str
    amount_received: int  # fen
    amount_refunded: int  # fen, absolute (cumulative) amount refunded on the latest charge
    currency: str


class GatewayError(Exception):
    """A Stripe call failed. `retryable` says whether repeating the same call (same idempotency
    key) may succeed: network trouble, 409/429/5xx. Validation errors, idempotency conflicts and
    bad keys are not retryable."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"GatewayError({self.message!r}, retryable={self.retryable}, code={self.code!r})"


class WebhookRejected(Exception):
    """A webhook request that must be answered 400 and not acted upon."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- helpers


def _pledge_id(value: Any) -> int | None:
    # Only plain ASCII digits: int() would also accept "٣" or " 3 ", which we never write.
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return None


def _object_id(value: Any) -> str | None:
    """An expandable field is either an id string or an expanded object (a dict after to_dict)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = value.get("id")
        return inner if isinstance(inner, str) else None
    return None


def _as_dict(obj: Any) -> dict[str, Any]:
    # 16.x StripeObjects are not dicts (no .get, not iterable); convert once, recursively.
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _fen(value: Any, name: str) -> int:
    # bool is an int subclass and floats are never money; refuse both before they reach Stripe.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer amount in fen")
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value


def _require_key(idempotency_key: str) -> str:
    # Without our own key the library invents a random one per call, which does not survive a
    # crash-and-retry of our own; an empty key would silently fall back to that.
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise ValueError("an idempotency key is required")
    if len(idempotency_key) > 255:
        raise ValueError("idempotency keys are at most 255 characters")
    return idempotency_key


def _signed_timestamp(header: str) -> int | None:
    """The `t=` value of a Stripe-Signature header (first one, as the library reads it)."""
    for part in header.split(","):
        name, _, value = part.partition("=")
        if name.strip() == "t":
            value = value.strip()
            return int(value) if _DIGITS.fullmatch(value) else None
    return None


def session_from_stripe(obj: Any) -> CheckoutSession:
    """A Checkout Session (StripeObject or dict, e.g. a webhook's data.object) as a dataclass."""
    data = _as_dict(obj)
    metadata = data.get("metadata") or {}
    pledge_id = _pledge_id(metadata.get("pledge_id"))
    if pledge_id is None:
        pledge_id = _pledge_id(data.get("client_reference_id"))
    return CheckoutSession(
        id=data["id"],
        url=data.get("url"),
        status=data.get("status"),
        payment_status=data.get("payment_status") or "unpaid",
        amount_total=data.get("amount_total"),
        currency=data.get("currency"),
        payment_intent_id=_object_id(data.get("payment_intent")),
        pledge_id=pledge_id,
        created=int(data.get("created") or 0),
    )


def _refund_from_stripe(obj: Any) -> Refund:
    data = _as_dict(obj)
    return Refund(
        id=data["id"],
        amount=int(data["amount"]),
        status=data.get("status"),
        payment_intent_id=_object_id(data.get("payment_intent")),
    )


# --------------------------------------------------------------------------- gateway


class StripeGateway:
    """One `StripeClient` per gateway; safe to share between threads (the requests-based HTTP
    client keeps one session per thread)."""

    def __init__(self, settings: StripeSettings, *, http_client: stripe.HTTPClient | None = None) -> None:
        self._settings = settings
        # An explicit client so the timeout is ours (the library default is 80 s, longer than a
        # gunicorn worker timeout).
        self._http_client = http_client or stripe.RequestsClient(timeout=settings.timeout)
        self._client = stripe.StripeClient(
            settings.secret_key,
            base_addresses={"api": settings.api_base},
            max_network_retries=settings.max_network_retries,
            http_client=self._http_client,
        )

    @property
    def api_base(self) -> str:
        return self._settings.api_base

    def close(self) -> None:
        """Close the calling thread's pooled HTTP connections."""
        self._http_client.close()

    # ---- error translation

    def _scrub(self, text: str) -> str:
        for secret in (self._settings.secret_key, self._settings.webhook_secret):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except stripe.StripeError as exc:
            raise self._translate(what, exc) from None  # the original may carry raw bodies

    def _translate(self, what: str, exc: stripe.StripeError) -> GatewayError:
        status = exc.http_status
        code = exc.code
        if isinstance(exc, stripe.APIConnectionError):
            # The request may or may not have reached Stripe; the same idempotency key makes a
            # repeat safe either way. SSL failures are configuration, not weather.
            retryable = bool(getattr(exc, "should_retry", True))
        elif isinstance(exc, stripe.IdempotencyError):
            retryable = False
        else:
            retryable = status is not None and (status in (409, 429) or status >= 500)
        parts = [f"Stripe {what} failed: {type(exc).__name__}"]
        if status is not None:
            parts.append(f"HTTP {status}")
        if code:
            parts.append(f"code={code}")
        if exc.request_id:
            parts.append(f"request={exc.request_id}")
        # The library wraps connection errors over several lines; log lines want one.
        detail = " ".join((exc.user_message or "").split())
        message = ", ".join(parts) + (f": {detail}" if detail else "")
        return GatewayError(self._scrub(message), retryable=retryable, code=code, http_status=status)

    # ---- checkout sessions

    def create_checkout_session(
        self,
        *,
        pledge_id: int,
        amount: int,
        currency: str,
        description: str,
        success_url: str,
        cancel_url: str,
        customer_email: str | None,
        idempotency_key: str,
    ) -> CheckoutSession:
        """Create a hosted Checkout Session for one pledge.

        Every argument goes into the request body, so a retry with the same idempotency key
        must pass the same values (Stripe rejects the key otherwise); derive them from the row.
        """
        amount = _fen(amount, "amount")
        metadata = {"pledge_id": str(pledge_id)}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": description},
                    },
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            # Both: the session's metadata drives the reconcile job and checkout webhooks; the
            # payment intent's drives payment_intent.* and charge.* webhooks.
            "metadata": metadata,
            "client_reference_id": str(pledge_id),
            "payment_intent_data": {"metadata": metadata},
        }
        if customer_email:
            params["customer_email"] = customer_email
        options = {"idempotency_key": _require_key(idempotency_key)}
        obj = self._call(
            "checkout session create",
            lambda: self._client.v1.checkout.sessions.create(params=params, options=options),
        )
        return session_from_stripe(obj)

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        obj = self._call(
            "checkout session retrieve", lambda: self._client.v1.checkout.sessions.retrieve(session_id)
        )
        return session_from_stripe(obj)

    def find_checkout_session_for_pledge(self, pledge_id: int, created_since: int) -> CheckoutSession | None:
        """The newest session created at or after `created_since` whose metadata names the pledge.

        For the reconcile job: after a crash between the Stripe call and our commit, the session
        exists at Stripe but not in our database.
        """
        best: CheckoutSession | None = None
        starting_after: str | None = None
        for _ in range(_MAX_PAGES):
            params: dict[str, Any] = {"created": {"gte": int(created_since)}, "limit": _PAGE_LIMIT}
            if starting_after:
                params["starting_after"] = starting_after
            page = self._call(
                "checkout session list",
                lambda params=params: self._client.v1.checkout.sessions.list(params=params),
            )
            data = _as_dict(page)
            items = data.get("data") or []
            for item in items:
                session = session_from_stripe(item)
                # Stripe lists newest first, but compare anyway: the fallback must not depend on
                # ordering we do not control.
                if session.pledge_id == pledge_id and (best is None or session.created > best.created):
                    best = session
            if not data.get("has_more") or not items:
                break
            next_cursor = items[-1]["id"]
            if next_cursor == starting_after:
                break
            starting_after = next_cursor
        return best

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        obj = self._call(
            "checkout session expire", lambda: self._client.v1.checkout.sessions.expire(session_id)
        )
        return session_from_stripe(obj)

    # ---- refunds and payment state

    def create_refund(self, *, payment_intent_id: str, amount: int, idempotency_key: str) -> Refund:
        params = {"payment_intent": payment_intent_id, "amount": _fen(amount, "amount")}
        options = {"idempotency_key": _require_key(idempotency_key)}
        obj = self._call(
            "refund create",
            lambda: self._client.v1.refunds.create(params=params, options=options),
        )
        return _refund_from_stripe(obj)

    def retrieve_payment_state(self, payment_intent_id: str) -> PaymentState:
        obj = self._call(
            "payment intent retrieve",
            lambda: self._client.v1.payment_intents.retrieve(
                payment_intent_id, params={"expand": ["latest_charge"]}
            ),
        )
        data = _as_dict(obj)
        charge = data.get("latest_charge")
        # Unexpanded (a bare id) would mean the expand was ignored; treat as unknown = 0 rather
        # than guess, the charge.refunded webhook carries the absolute figure anyway.
        refunded = int(charge.get("amount_refunded") or 0) if isinstance(charge, Mapping) else 0
        return PaymentState(
            payment_intent_id=data["id"],
            amount_received=int(data.get("amount_received") or 0),
            amount_refunded=refunded,
            currency=data.get("currency") or "",
        )

    # ---- webhooks

    def parse_webhook(
        self,
        payload: bytes,
        signature_header: str | None,
        *,
        tolerance: int = 300,
        now: int | None = None,
    ) -> dict[str, Any]:
        """Verify a webhook on the RAW request body and return the event as a plain dict.

        Raises WebhookRejected for anything that must not be acted upon.
        """
        secret = self._settings.webhook_secret
        if not secret:
            raise WebhookRejected("no webhook secret configured")
        if not signature_header:
            raise WebhookRejected("missing Stripe-Signature header")
        if tolerance <= 0:
            # The library treats 0 as "no age check"; we never want that.
            raise ValueError("tolerance must be positive")
        signed_at = _signed_timestamp(signature_header)
        if signed_at is None:
            raise WebhookRejected("malformed Stripe-Signature header")
        current = int(time.time()) if now is None else int(now)
        # The library checks age against the real clock; with an explicit `now` we check
        # ourselves below (tolerance=0 turns the library's clock check off, not the signature).
        library_tolerance = tolerance if now is None else 0
        try:
            stripe.Webhook.construct_event(payload, signature_header, secret, tolerance=library_tolerance)
        except stripe.SignatureVerificationError:
            raise WebhookRejected(self._signature_failure(payload, signature_header, secret)) from None
        except ValueError:  # JSONDecodeError, UnicodeDecodeError, a v2 "thin" event
            raise WebhookRejected("body is not a JSON Stripe event") from None
        if signed_at < current - tolerance:
            raise WebhookRejected("timestamp too old")
        if signed_at > current + tolerance:
            # stripe-python only rejects old timestamps; a far-future one would let a leaked
            # signed payload be replayed for as long as the attacker likes.
            raise WebhookRejected("timestamp in the future")
        # The verified bytes themselves, not the library's Event: StripeObjects coerce some
        # fields (decimal strings, int64 strings); handlers get exactly what Stripe signed.
        event = json.loads(payload)
        if (
            not isinstance(event, dict)
            or event.get("object") != "event"
            or not isinstance(event.get("id"), str)
            or not isinstance(event.get("type"), str)
            or not isinstance(event.get("data"), dict)
        ):
            raise WebhookRejected("body is not a JSON Stripe event")
        return event

    @staticmethod
    def _signature_failure(payload: bytes, header: str, secret: str) -> str:
        # Tell "valid signature, too old" from "wrong signature" for the log line; both are 400.
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=None)
        except stripe.SignatureVerificationError:
            return "signature mismatch"
        return "timestamp too old"
