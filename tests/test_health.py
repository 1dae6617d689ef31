"""/healthz: what a load balancer and an operator read from one app host.

The database decides up (200) or down (503); Redis and the search index only degrade the status.
Redis is a real redis-server on a free loopback port; "down" is a port nobody listens on.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from marketplace.extensions import db, limiter
from marketplace.search.models import SearchOutbox
from marketplace.search.service import get_service
from marketplace.timeutil import utcnow
from tests import factories
from tests.faults.support import free_port, start_redis, stop


def _health(app: Flask) -> tuple[int, dict[str, Any], Any]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json(), response


def _build_index(app: Flask) -> None:
    with app.app_context():
        get_service().indexer().rebuild()


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = start_redis(port)
    try:
        yield port
    finally:
        stop(process)


def test_all_up_answers_ok_with_each_part(make_app: Any) -> None:
    app = make_app()
    _build_index(app)
    status, body, response = _health(app)
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert 0 <= body["database"]["latency_ms"] < 5000
    assert body["redis"] == {"status": "not_configured"}
    assert body["search"] == {"status": "ok", "applied_through": 0, "pending": 0, "lag_seconds": 0.0}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"


def test_no_cookie_no_login_and_never_rate_limited(make_app: Any) -> None:
    # Every other route limited to 2 a minute: a monitor polling /healthz must never be refused.
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    try:
        client = app.test_client()
        for _ in range(6):
            response = client.get("/healthz")
            assert response.status_code == 200
            assert "Set-Cookie" not in response.headers
        assert [client.get("/").status_code for _ in range(3)][-1] == 429  # the limit is really on
    finally:
        limiter.limit_manager.set_default_limits([])  # the limiter is shared by every app in this process


def test_missing_index_degrades_but_serves(make_app: Any) -> None:
    app = make_app()  # no index built: searches answer from the database meanwhile
    status, body, _ = _health(app)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["search"]["status"] == "unavailable"


def test_redis_up_is_pinged(make_app: Any, redis_port: int) -> None:
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
    _build_index(app)
    status, body, _ = _health(app)
    assert status == 200
    assert body["status"] == "ok"
    assert body["redis"]["status"] == "ok"
    assert body["redis"]["latency_ms"] >= 0


def test_redis_down_degrades_but_stays_200(make_app: Any) -> None:
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    _build_index(app)
    status, body, _ = _health(app)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["redis"]["status"] == "down"
    assert body["redis"]["error"] == "ConnectionError"
    assert body["database"]["status"] == "ok"


def test_database_down_is_503_and_names_no_secret(make_app: Any) -> None:
    url = f"postgresql://qqc:s3cret-password@127.0.0.1:{free_port()}/nowhere"
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    status, body, response = _health(app)
    assert status == 503
    assert body["status"] == "down"
    assert body["database"]["status"] == "down"
    assert body["database"]["error"] == "OperationalError"
    assert body["search"] == {"status": "unknown"}
    assert "s3cret" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_search_lag_counts_rows_the_index_has_not_applied(make_app: Any) -> None:
    # As with `search watch` running: commits leave their outbox rows to the indexer process.
    app = make_app(SEARCH_SYNC_ON_COMMIT=False)
    _build_index(app)
    with app.app_context():
        owner = factories.org_member()
        factories.project(owner, status="published")
        factories.project(owner, status="published")
        db.session.commit()
        written = db.session.scalar(select(func.count(SearchOutbox.id)))
    assert written >= 2

    status, body, _ = _health(app)
    assert status == 200
    assert body["search"]["status"] == "ok"  # young rows: the indexer is simply a moment behind
    assert body["search"]["applied_through"] == 0
    assert body["search"]["pending"] == written
    assert 0 <= body["search"]["lag_seconds"] < 60

    with app.app_context():  # the indexer stopped ten minutes ago
        db.session.execute(update(SearchOutbox).values(created_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    status, body, _ = _health(app)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["search"]["status"] == "lagging"
    assert body["search"]["pending"] == written
    assert 590 <= body["search"]["lag_seconds"] < 700

    with app.app_context():  # the indexer catches up
        get_service().indexer().apply_pending(wait=True)
        last_id = db.session.scalar(select(func.max(SearchOutbox.id)))
    status, body, _ = _health(app)
    assert body["status"] == "ok"
    assert body["search"] == {"status": "ok", "applied_through": last_id, "pending": 0, "lag_seconds": 0.0}
