"""A short-lived cache of whole pages rendered for anonymous visitors (browse, search, project pages).

Most traffic is visitors who are not logged in, asking for the same lists and projects; rendering
them is most of a worker's time (bench/load.py). A page is kept for PAGE_CACHE_SECONDS (default 5,
off under TESTING unless set; 0 turns the cache off), so a new pledge or a newly published project
shows within seconds, without any invalidation to get wrong. Shared between workers in Redis when
REDIS_URL is set, else kept per process in memory (bounded). Redis trouble never fails a request:
the page is rendered as usual.

Only what cannot differ between anonymous visitors is cached: GET requests from a visitor who is
not logged in and has no flashed message waiting, answered 200 with HTML that carries no CSRF token.
The cached body is served through the normal response path, so every response still gets its own
request id and security headers, and no cookie is ever replayed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol

from flask import Response, current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 5
MEMORY_ENTRIES = 2048  # per process: a few tens of MB of HTML at most
_KEY_PREFIX = "qqc:page:"
_CSRF_MARK = b"csrf_token"


class PageStore(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, body: bytes, seconds: int) -> None: ...


class MemoryStore:
    """Per-process, bounded (oldest entries go first), thread-safe."""

    def __init__(self, max_entries: int = MEMORY_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            return entry[1]

    def set(self, key: str, body: bytes, seconds: int) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (time.monotonic() + seconds, body)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class RedisStore:
    """Shared by every worker; a Redis error is logged and treated as a miss."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)

    def get(self, key: str) -> bytes | None:
        try:
            value = self.client.get(key)
        except Exception as error:  # redis.RedisError and socket errors alike: render instead
            log.warning("page cache: Redis read failed (%s); rendering", error)
            return None
        return value if isinstance(value, bytes) else None

    def set(self, key: str, body: bytes, seconds: int) -> None:
        try:
            self.client.setex(key, seconds, body)
        except Exception as error:
            log.warning("page cache: Redis write failed (%s)", error)


_lock = threading.Lock()


def page_store() -> PageStore:
    """The app's store: Redis at REDIS_URL when set, else this process's memory."""
    store = current_app.extensions.get("page_cache")
    if store is None:
        with _lock:
            store = current_app.extensions.get("page_cache")
            if store is None:
                url = current_app.config.get("REDIS_URL")
                store = RedisStore(url) if url else MemoryStore()
                current_app.extensions["page_cache"] = store
    return store


def cache_seconds() -> int:
    """PAGE_CACHE_SECONDS; unset, 5 — but off under TESTING, where a test reads its own writes at once."""
    configured = current_app.config.get("PAGE_CACHE_SECONDS")
    if configured is None:
        return 0 if current_app.testing else DEFAULT_SECONDS
    return int(configured)


def _cacheable_request() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
        and cache_seconds() > 0
    )


def _key() -> str:
    path = request.full_path.encode("utf-8", "surrogateescape")
    return f"{_KEY_PREFIX}{get_locale()}:{request.endpoint}:{hashlib.sha256(path).hexdigest()}"


def _html(body: bytes) -> Response:
    return Response(body, status=200, mimetype="text/html")


def anonymous_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve `view`'s page from the cache for anonymous visitors; store what it renders for them."""

    @wraps(view)
    def cached_view(*args: Any, **kwargs: Any) -> Any:
        if not _cacheable_request():
            return view(*args, **kwargs)
        store, key = page_store(), _key()
        body = store.get(key)
        if body is not None:
            return _html(body)
        response = make_response(view(*args, **kwargs))
        if (
            response.status_code == 200
            and response.mimetype == "text/html"
            and not response.direct_passthrough
            and not current_user.is_authenticated  # the view did not log anyone in
        ):
            body = response.get_data()
            if _CSRF_MARK not in body:
                store.set(key, body, cache_seconds())
        return response

    return cached_view
