"""A fake Stripe API on loopback for tests and benchmarks (stripe-mock is not obtainable here).

    with FakeStripe() as fake:
        gateway = StripeGateway(StripeSettings("sk_test_x", "whsec_x", api_base=fake.api_base))

Speaks what stripe-python 16.x sends: form-encoded bodies with bracketed keys
(`metadata[pledge_id]=7`, `line_items[0][price_data][unit_amount]=5000`, `expand[0]=…`),
`Authorization: Bearer sk_test_…` and `Idempotency-Key`. Answers with Stripe-shaped JSON and
Stripe-shaped errors for the endpoints the gateway uses. Idempotency follows Stripe: a key
replays the stored response when the parameters match and is rejected (400
`idempotency_error`) when they differ. Only 2xx responses are stored, so an injected 500 is
not replayed and the library's automatic retry can succeed.

Stripe does not deliver webhooks from here: tests build events with `fake.event(...)` and sign
them with `sign(...)`, exactly as Stripe would.
"""

from __future__ import annotations

import contextlib
import copy
import html
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

API_VERSION = "2026-10-28.endive"  # what stripe-python 16.1 sends as Stripe-Version


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, computed by stripe-python itself."""
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode("utf-8"), secret, timestamp=int(time.time()) if timestamp is None else timestamp
    )


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Bracketed form keys → nested dicts/lists, the way Stripe's API reads them.

    `a[b][0][c]=v` → {"a": {"b": [{"c": "v"}]}}; `expand[]=x` appends. Values stay strings.
    """
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        parts = [head] + ([p for p in rest[:-1].split("][")] if rest.endswith("]") else [])
        node: dict[str, Any] = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # `key[]`: append with a fresh index
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):  # `a=1&a[b]=2`: later, nested wins
                    child = node[part] = {}
                node = child
    return _lists(root)


def _lists(value: Any) -> Any:
    # A dict whose keys are all indexes was an array: {"0": x, "1": y} → [x, y].
    if isinstance(value, dict):
        converted = {k: _lists(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return value


class StripeApiError(Exception):
    """Raised inside a handler; becomes a Stripe-shaped error response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": type, "message": message}}
        if code:
            self.body["error"]["code"] = code
        if param:
            self.body["error"]["param"] = param


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int  # 0 when the connection was dropped without an answer
    replayed: bool = False


@dataclass
class _Fault:
    path_prefix: str
    kind: str  # "status" | "drop" | "drop_after"
    status: int
    remaining: int


def _missing(kind: str, param: str, value: str) -> StripeApiError:
    return StripeApiError(404, f"No such {kind}: '{value}'", code="resource_missing", param=param)


def _int_param(params: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise StripeApiError(
                400, f"Missing required param: {name}.", code="parameter_missing", param=name
            )
        return None
    if not isinstance(raw, str) or not raw.isdigit():
        raise StripeApiError(400, f"Invalid integer: {raw}", code="parameter_invalid_integer", param=name)
    return int(raw)


class FakeStripe:
    """The fake server. Starts on construction; `stop()` (or leaving the `with`) shuts it down."""

    def __init__(self, *, api_key: str | None = None) -> None:
        # api_key None: any `sk_test_…` key is accepted; otherwise exactly this one.
        self.expected_api_key = api_key
        self._lock = threading.RLock()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[RecordedRequest] = []
        # Parts of a create request Stripe keeps but does not return on the session.
        self._session_pi_metadata: dict[str, dict[str, str]] = {}
        self._session_order: dict[str, int] = {}
        self._sequence = 0
        self._idempotency: dict[tuple[str, str], tuple[str, int, bytes]] = {}
        self._faults: list[_Fault] = []
        self._connections: set[socket.socket] = set()
        self._idle = threading.Condition(self._lock)
        self._stopped = False

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.api_base = f"http://{host}:{port}"
        # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stripe", daemon=True
        )
        self._thread.start()

    # ---- lifecycle

    def __enter__(self) -> FakeStripe:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving, drop keep-alive connections, close the listening socket. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._server.shutdown()
        with self._lock:
            # Keep-alive connections park their handler threads in readline(); wake them.
            for conn in list(self._connections):
                with contextlib.suppress(OSError):  # already closed by the client
                    conn.shutdown(socket.SHUT_RDWR)
            self._idle.wait_for(lambda: not self._connections, timeout=5)
        self._server.server_close()
        self._thread.join(timeout=5)

    # ---- test controls

    def fail_next(self, path_prefix: str, status: int = 500, times: int = 1) -> None:
        """The next `times` requests whose path starts with `path_prefix` get a Stripe-shaped
        error with `status`, before any processing (nothing is stored, nothing replays)."""
        with self._lock:
            self._faults.append(_Fault(path_prefix, "status", status, times))

    def drop_connection_next(
        self, path_prefix: str, *, after_processing: bool = False, times: int = 1
    ) -> None:
        """Close the socket without answering. `after_processing=True` first performs the request
        (the object exists at Stripe, the idempotent response is stored) and loses the answer —
        the "crash between Stripe and our commit" case."""
        with self._lock:
            self._faults.append(_Fault(path_prefix, "drop_after" if after_processing else "drop", 0, times))

    def complete_session(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        """The customer finished checkout. Creates the payment intent (and, when paid, a charge)."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"session {session_id} is {session['status']}, not open")
            amount = session["amount_total"]
            pi_id = self._new_id("pi")
            intent: dict[str, Any] = {
                "id": pi_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": 0,
                "currency": session["currency"],
                "created": int(time.time()),
                "latest_charge": None,
                "livemode": False,
                "metadata": dict(self._session_pi_metadata.get(session_id, {})),
                "status": "processing",
            }
            if payment_status == "paid":
                charge_id = self._new_id("ch")
                self.charges[charge_id] = {
                    "id": charge_id,
                    "object": "charge",
                    "amount": amount,
                    "amount_captured": amount,
                    "amount_refunded": 0,
                    "captured": True,
                    "currency": session["currency"],
                    "created": int(time.time()),
                    "livemode": False,
                    "metadata": dict(intent["metadata"]),
                    "paid": True,
                    "payment_intent": pi_id,
                    "refunded": False,
                    "status": "succeeded",
                }
                intent.update(amount_received=amount, latest_charge=charge_id, status="succeeded")
            self.payment_intents[pi_id] = intent
            session.update(status="complete", payment_status=payment_status, payment_intent=pi_id, url=None)
            return copy.deepcopy(session)

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="expired", url=None)
            return copy.deepcopy(session)

    @staticmethod
    def event(
        type: str,
        data_object: dict[str, Any],
        *,
        event_id: str | None = None,
        created: int | None = None,
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A Stripe event dict; `json.dumps` it, sign the bytes, post them to the webhook."""
        data: dict[str, Any] = {"object": copy.deepcopy(data_object)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        return {
            "id": event_id or f"evt_test_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()) if created is None else created,
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }

    sign = staticmethod(sign)

    def charge_for(self, payment_intent_id: str) -> dict[str, Any] | None:
        """The latest charge of a payment intent (a copy), for building charge.* events."""
        with self._lock:
            charge_id = self.payment_intents[payment_intent_id]["latest_charge"]
            return copy.deepcopy(self.charges[charge_id]) if charge_id else None

    # ---- request handling (called from handler threads)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{secrets.token_hex(12)}"

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if path.startswith(fault.path_prefix) and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _authorise(self, header: str | None) -> str:
        if not header or not header.startswith("Bearer "):
            raise StripeApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        key = header.removeprefix("Bearer ").strip()
        valid = key == self.expected_api_key if self.expected_api_key else key.startswith("sk_test_")
        if not valid:
            # Stripe shows only the last four characters of a wrong key.
            raise StripeApiError(401, f"Invalid API Key provided: {key[:8]}****{key[-4:]}")
        return key

    def handle(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]] | None:
        """Answer one request: (status, JSON body, extra headers), or None to drop the connection."""
        split = urlsplit(target)
        path = split.path
        raw = body.decode("utf-8") if method == "POST" else split.query
        params = parse_form(parse_qsl(raw, keep_blank_values=True))
        idem_key = headers.get("idempotency-key")
        extra = {"Request-Id": f"req_{secrets.token_hex(7)}", "Stripe-Version": API_VERSION}
        with self._lock:
            fault = self._take_fault(path)
            status, payload, replayed = 0, b"", False
            try:
                if fault is not None and fault.kind == "status":
                    raise StripeApiError(
                        fault.status,
                        "An unknown error occurred (injected by FakeStripe).",
                        type="api_error" if fault.status >= 500 else "invalid_request_error",
                        code="rate_limit" if fault.status == 429 else None,
                    )
                if fault is not None and fault.kind == "drop":
                    self._record(method, path, params, idem_key, 0)
                    return None
                api_key = self._authorise(headers.get("authorization"))
                if method == "POST" and idem_key:
                    stored = self._idempotency.get((api_key, idem_key))
                    fingerprint = json.dumps([method, path, params], sort_keys=True)
                    if stored is not None:
                        if stored[0] != fingerprint:
                            raise StripeApiError(
                                400,
                                "Keys for idempotent requests can only be used with the same parameters "
                                "they were first used with. Try using a key other than "
                                f"'{idem_key}' if you meant to execute a different request.",
                                type="idempotency_error",
                            )
                        status, payload, replayed = stored[1], stored[2], True
                if not replayed:
                    result = self._route(method, path, params)
                    status, payload = 200, json.dumps(result).encode()
                    if method == "POST" and idem_key:
                        self._idempotency[(api_key, idem_key)] = (fingerprint, status, payload)
            except StripeApiError as err:
                status, payload = err.status, json.dumps(err.body).encode()
            if fault is not None and fault.kind == "drop_after":
                self._record(method, path, params, idem_key, 0)
                return None
            self._record(method, path, params, idem_key, status, replayed)
        if replayed:
            extra["Idempotent-Replayed"] = "true"
        if idem_key:
            extra["Idempotency-Key"] = idem_key
        return status, payload, extra

    def _record(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        idem_key: str | None,
        status: int,
        replayed: bool = False,
    ) -> None:
        self.requests.append(RecordedRequest(method, path, params, idem_key, status, replayed))

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        expand = params.get("expand") or []
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if len(parts) == 3 and method == "POST":
                return self._create_session(params)
            if len(parts) == 3 and method == "GET":
                return self._list_sessions(params)
            if len(parts) == 4 and method == "GET":
                return self._expand_session(self._session(parts[3]), expand)
            if len(parts) == 5 and parts[4] == "expire" and method == "POST":
                return self._expire_session(parts[3])
        if parts == ["v1", "refunds"] and method == "POST":
            return self._create_refund(params)
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and method == "GET":
            intent = self.payment_intents.get(parts[2])
            if intent is None:
                raise _missing("payment_intent", "intent", parts[2])
            return self._expand_intent(intent, expand)
        raise StripeApiError(
            404,
            f"Unrecognized request URL ({method}: {path}). FakeStripe implements only what the "
            "marketplace uses.",
        )

    # ---- endpoints

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise _missing("checkout.session", "session", session_id)
        return session

    def _expand_session(self, session: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        result = copy.deepcopy(session)
        if "payment_intent" in expand and result.get("payment_intent"):
            result["payment_intent"] = self._expand_intent(self.payment_intents[result["payment_intent"]], [])
        return result

    def _expand_intent(self, intent: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        result = copy.deepcopy(intent)
        if "latest_charge" in expand and result.get("latest_charge"):
            result["latest_charge"] = copy.deepcopy(self.charges[result["latest_charge"]])
        return result

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("mode") != "payment":
            raise StripeApiError(400, "FakeStripe supports mode=payment only.", param="mode")
        line_items = params.get("line_items")
        if not isinstance(line_items, list) or not line_items:
            raise StripeApiError(400, "Missing required param: line_items.", code="parameter_missing")
        currency: str | None = None
        total = 0
        for index, item in enumerate(line_items):
            price = item.get("price_data") if isinstance(item, dict) else None
            if not isinstance(price, dict):
                raise StripeApiError(
                    400, "FakeStripe needs price_data.", param=f"line_items[{index}][price_data]"
                )
            item_currency = price.get("currency", "")
            if len(item_currency) != 3 or item_currency != item_currency.lower():
                raise StripeApiError(400, f"Invalid currency: {item_currency}.", param="currency")
            if currency not in (None, item_currency):
                raise StripeApiError(400, "All line items must use the same currency.")
            currency = item_currency
            name = (price.get("product_data") or {}).get("name")
            if not name:
                raise StripeApiError(
                    400,
                    "Missing required param: line_items[0][price_data][product_data][name].",
                    code="parameter_missing",
                )
            unit_amount = _int_param(price, "unit_amount")
            quantity = _int_param(item, "quantity")
            assert unit_amount is not None and quantity is not None
            if unit_amount < 1 or quantity < 1:
                raise StripeApiError(400, "Amounts must be positive.", code="amount_too_small")
            total += unit_amount * quantity
        if not params.get("success_url"):
            raise StripeApiError(400, "Missing required param: success_url.", code="parameter_missing")
        session_id = f"cs_test_{secrets.token_hex(24)}"
        created = int(time.time())
        metadata = params.get("metadata") or {}
        self._sequence += 1
        self._session_order[session_id] = self._sequence
        pi_data = params.get("payment_intent_data") or {}
        self._session_pi_metadata[session_id] = dict(pi_data.get("metadata") or {})
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": created,
            "currency": currency,
            "customer": None,
            "customer_email": params.get("customer_email"),
            "expires_at": created + 24 * 3600,
            "livemode": False,
            "metadata": dict(metadata),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            # On loopback, never checkout.stripe.com: a browser test that follows it stays local.
            "url": f"{self.api_base}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return copy.deepcopy(session)

    def _list_sessions(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = _int_param(params, "limit", required=False) or 10
        if not 1 <= limit <= 100:
            raise StripeApiError(400, "Invalid limit: must be between 1 and 100", param="limit")
        created = params.get("created")
        bounds: dict[str, Any] = created if isinstance(created, dict) else {}
        if isinstance(created, str):
            bounds = {"gte": created, "lte": created}

        def within(session: dict[str, Any]) -> bool:
            value = session["created"]
            checks = {
                "gt": lambda b: value > b,
                "gte": lambda b: value >= b,
                "lt": lambda b: value < b,
                "lte": lambda b: value <= b,
            }
            for op, raw in bounds.items():
                bound = _int_param(bounds, op)
                if op not in checks or bound is None:
                    raise StripeApiError(400, f"Invalid created[{op}]: {raw}", param="created")
                if not checks[op](bound):
                    return False
            return True

        matching = [
            s
            for s in self.sessions.values()
            if within(s)
            and params.get("payment_intent") in (None, s["payment_intent"])
            and params.get("status") in (None, s["status"])
        ]
        # Newest first, like Stripe; creation order breaks ties within one second.
        matching.sort(key=lambda s: (s["created"], self._session_order[s["id"]]), reverse=True)
        cursor = params.get("starting_after")
        if cursor:
            ids = [s["id"] for s in matching]
            if cursor not in ids:
                raise _missing("checkout.session", "starting_after", cursor)
            matching = matching[ids.index(cursor) + 1 :]
        page = matching[:limit]
        return {
            "object": "list",
            "data": [copy.deepcopy(s) for s in page],
            "has_more": len(matching) > limit,
            "url": "/v1/checkout/sessions",
        }

    def _expire_session(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise StripeApiError(
                400,
                f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
                f'Session has a status of "{session["status"]}".',
            )
        session.update(status="expired", url=None)
        return copy.deepcopy(session)

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        pi_id = params.get("payment_intent")
        if not pi_id:
            raise StripeApiError(
                400,
                "One of the following params should be provided for this request: payment_intent or charge.",
            )
        intent = self.payment_intents.get(pi_id)
        if intent is None:
            raise _missing("payment_intent", "payment_intent", pi_id)
        charge = self.charges.get(intent["latest_charge"] or "")
        if charge is None or intent["status"] != "succeeded":
            raise StripeApiError(
                400,
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        if charge["refunded"]:
            raise StripeApiError(
                400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = _int_param(params, "amount", required=False)
        if amount is None:
            amount = remaining
        if amount < 1:
            raise StripeApiError(400, "Refund amount must be positive.", code="parameter_invalid_integer")
        if amount > remaining:
            raise StripeApiError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                code="amount_too_large",
                param="amount",
            )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund_id = self._new_id("re")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "metadata": dict(params.get("metadata") or {}),
            "payment_intent": pi_id,
            "reason": params.get("reason"),
            "status": "succeeded",
        }
        self.refunds[refund_id] = refund
        return copy.deepcopy(refund)

    # ---- the hosted checkout page (loopback stand-in for checkout.stripe.com)

    def checkout_page(self, session_id: str) -> tuple[int, bytes]:
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                return 404, b"<!doctype html><title>Not found</title><p>No such session."
            amount, currency, status = session["amount_total"], session["currency"], session["status"]
        page = (
            "<!doctype html><title>FakeStripe Checkout</title>"
            f"<p id=amount>{amount} {html.escape(currency or '')}</p><p id=status>{html.escape(status)}</p>"
            f"<form method=post><button id=pay type=submit>Pay</button></form>"
        )
        return 200, page.encode()

    def pay_from_page(self, session_id: str) -> str | None:
        """The page's Pay button: completes the session, returns the success URL to redirect to."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None or session["status"] != "open":
                return None
            self.complete_session(session_id)
            return (session["success_url"] or "").replace("{CHECKOUT_SESSION_ID}", session_id)

    # ---- connection bookkeeping for stop()

    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._idle.notify_all()


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 so the requests session keeps its connection, as it would with Stripe.
        protocol_version = "HTTP/1.1"
        # An idle keep-alive connection must not pin a thread forever.
        timeout = 30

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; with Nagle on, the client's delayed ACK
            # stalls every response by ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            fake._opened(self.connection)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                fake._closed(self.connection)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request log is fake.requests; stderr noise helps nobody

        def _send(self, status: int, body: bytes, headers: dict[str, str], content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _dispatch(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            if path.startswith("/c/pay/"):
                self._checkout_page(method, path.removeprefix("/c/pay/"))
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = fake.handle(method, self.path, body, headers)
            if answer is None:
                # Close without a byte of response: the client sees a dropped connection.
                self.close_connection = True
                return
            status, payload, extra = answer
            self._send(status, payload, extra, "application/json")

        def _checkout_page(self, method: str, session_id: str) -> None:
            if method == "POST":
                target = fake.pay_from_page(session_id)
                if target:
                    self.send_response(303)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            status, page = fake.checkout_page(session_id)
            self._send(status, page, {}, "text/html; charset=utf-8")

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

    return Handler
