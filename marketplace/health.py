"""/healthz: what a load balancer, a monitor or an operator asks of one app host.

    200 {"status": "ok" | "degraded", "database": {...}, "redis": {...}, "search": {...}}
    503 {"status": "down", ...}  when the database does not answer: the site cannot work without it.

Redis (rate limits fall back to memory) and search (pages fall back to the database) only make the
status "degraded": the host still serves, so a load balancer keeps sending it traffic.
The search part is this host's own index: how many outbox rows it has not applied yet and how old the
oldest of them is (each host's indexer, `flask search watch`, records its own position).

No login, no cookies, never cached, never rate limited; the answer names no hosts, users or secrets.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import func, select, text

from marketplace.extensions import db, limiter, redis_client
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1")).scalar()
    except Exception as error:  # any failure to answer SELECT 1 is "down"
        log.warning("health check: database unavailable (%s)", type(error).__name__)
        try:
            db.session.rollback()
        except Exception:
            log.debug("rollback after a failed health check failed too", exc_info=True)
        return {"status": "down", "error": type(error).__name__, "latency_ms": _elapsed_ms(started)}
    return {"status": "ok", "latency_ms": _elapsed_ms(started)}


def check_redis() -> dict[str, Any]:
    client = redis_client()
    if client is None:
        return {"status": "not_configured"}
    started = time.perf_counter()
    try:
        client.ping()
    except Exception as error:  # redis.RedisError, or an OSError from the socket
        log.warning("health check: Redis unavailable (%s)", type(error).__name__)
        return {"status": "down", "error": type(error).__name__, "latency_ms": _elapsed_ms(started)}
    return {"status": "ok", "latency_ms": _elapsed_ms(started)}


def check_search() -> dict[str, Any]:
    """This host's index against the outbox: rows after the index's recorded position."""
    from marketplace.search.engine import IndexUnavailable
    from marketplace.search.models import SearchOutbox
    from marketplace.search.service import get_service

    try:
        index = get_service().index()
    except IndexUnavailable:
        # Searches answer from the database meanwhile; `search watch` or a reindex rebuilds it.
        return {"status": "unavailable", "applied_through": None, "pending": None, "lag_seconds": None}
    applied_through = index.last_applied()
    pending, oldest = db.session.execute(
        select(func.count(SearchOutbox.id), func.min(SearchOutbox.created_at)).where(
            SearchOutbox.id > applied_through
        )
    ).one()
    lag = max(0.0, round((utcnow() - oldest).total_seconds(), 1)) if oldest is not None else 0.0
    limit = float(current_app.config["HEALTH_SEARCH_MAX_LAG_SECONDS"])
    return {
        "status": "lagging" if lag > limit else "ok",
        "applied_through": applied_through,
        "pending": int(pending),
        "lag_seconds": lag,
    }


@bp.get("/healthz")
@limiter.exempt
def healthz() -> Response:
    database = check_database()
    redis = check_redis()
    if database["status"] == "ok":
        try:
            search = check_search()
        except Exception as error:  # the database went away between the checks
            log.warning("health check: search lag unknown (%s)", type(error).__name__)
            db.session.rollback()
            search = {"status": "unknown", "error": type(error).__name__}
    else:
        search = {"status": "unknown"}
    if database["status"] != "ok":
        status, code = "down", 503
    elif redis["status"] == "down" or search["status"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    response = jsonify({"status": status, "database": database, "redis": redis, "search": search})
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response
