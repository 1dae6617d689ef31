"""Redis dies under the running app: rate limiting falls back to each worker's memory with a logged
warning, the site keeps answering, and the login limit keeps counting; once Redis is back the
limits are shared through it again.

A real redis-server on a free loopback port, killed and restarted by the test.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests import factories
from tests.faults.support import free_port, start_redis, stop, wait_for

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")

LIMIT = 5  # LOGIN_RATE_LIMIT in the app below: 5 failed logins a minute per address


def _client(app: Any, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address  # the limit is per client address
    return client


def _fail_logins(client: FlaskClient, email: str, times: int) -> list[int]:
    return [
        client.post("/login", data={"email": email, "password": "wrong-password-1"}).status_code
        for _ in range(times)
    ]


def _limit_keys(server: redis.Redis) -> list[bytes]:
    return sorted(server.keys("LIMITS*"))


@pytest.fixture
def redis_server() -> Iterator[dict[str, Any]]:
    port = free_port()
    state: dict[str, Any] = {"port": port, "process": start_redis(port)}
    try:
        yield state
    finally:
        stop(state["process"])


def test_redis_down_falls_back_to_memory_and_recovers(
    make_app: Any, redis_server: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    port = redis_server["port"]
    app = make_app(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT=f"{LIMIT} per minute",
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == f"redis://127.0.0.1:{port}/0"
    with app.app_context():
        email = factories.org_member().email
        db.session.remove()
    server = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)

    # 1. Redis up: the failed logins are counted in Redis and the sixth is refused.
    first = _client(app, "10.0.0.1")
    assert _fail_logins(first, email, LIMIT) == [422] * LIMIT
    assert _fail_logins(first, email, 1) == [429]
    assert _limit_keys(server), "the login counter should live in Redis"
    server.flushall()

    # 2. Redis dies: pages still answer, a warning says what happened, the limit still counts.
    caplog.set_level(logging.INFO)
    stop(redis_server["process"])
    wait_for(lambda: _ping_fails(server), 10, message="redis-server gone")
    second = _client(app, "10.0.0.2")
    assert second.get("/").status_code == 200
    assert second.get("/projects").status_code == 200
    assert second.get("/healthz").get_json()["status"] == "degraded"
    assert _fail_logins(second, email, LIMIT) == [422] * LIMIT
    logged = [(record.name, record.levelno, record.getMessage()) for record in caplog.records]
    assert any(level == logging.WARNING and "falling back" in text for _, level, text in logged)
    assert any(
        name == "marketplace.extensions" and level == logging.WARNING and "memory" in text
        for name, level, text in logged
    ), "the app's own warning"
    assert _fail_logins(second, email, 1) == [429]  # counted in this process's memory
    assert _fail_logins(_client(app, "10.0.0.3"), email, 1) == [422]  # per address, as before

    # 3. Redis is back on the same port: the limiter notices (it re-checks with backoff) and uses it.
    redis_server["process"] = start_redis(port)
    assert not _limit_keys(server)
    third = _client(app, "10.0.0.4")

    def recovered() -> bool:
        assert third.get("/").status_code == 200
        return any("reachable again" in record.getMessage() for record in caplog.records)

    wait_for(recovered, 40, interval=0.25, message="the limiter to use Redis again")
    assert _fail_logins(third, email, 2) == [422, 422]
    assert _limit_keys(server), "counting in Redis again"


def _ping_fails(server: redis.Redis) -> bool:
    try:
        server.ping()
    except redis.RedisError:
        return True
    return False
