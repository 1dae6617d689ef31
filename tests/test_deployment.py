"""The production setup: gunicorn's settings, the Redis setting, the 503 answer to a database outage,
and the deploy/ examples agreeing with the code they start."""

from __future__ import annotations

import multiprocessing
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy import exc as sqlalchemy_exc

from marketplace import create_app
from marketplace.config import Defaults, environment_overrides
from marketplace.extensions import db, redis_client
from tests import factories
from tests.conftest import test_config as config_for
from tests.faults.support import (
    GUNICORN_CONFIG,
    PROJECT_ROOT,
    free_port,
    http_get,
    http_post_form,
    start_gunicorn,
    stop,
)

DEPLOY = PROJECT_ROOT / "deploy"
SETTING = re.compile(r"^#?\s*MARKETPLACE_([A-Z0-9_]+)=", re.MULTILINE)


def _gunicorn_settings(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict[str, Any]:
    for name in ("WEB_CONCURRENCY", "MARKETPLACE_BIND", "MARKETPLACE_WORKER_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONFIG))


# ── gunicorn ──


def test_workers_follow_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _gunicorn_settings(monkeypatch)
    assert settings["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert settings["bind"] == "127.0.0.1:8000"
    assert settings["timeout"] == 60
    assert settings["graceful_timeout"] < settings["timeout"]


def test_environment_overrides_workers_bind_and_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _gunicorn_settings(
        monkeypatch, WEB_CONCURRENCY="3", MARKETPLACE_BIND="0.0.0.0:9000", MARKETPLACE_WORKER_TIMEOUT="20"
    )
    assert (settings["workers"], settings["bind"], settings["timeout"]) == (3, "0.0.0.0:9000", 20)


def test_real_gunicorn_logs_request_ids_and_sees_clients_behind_the_proxy(
    database_url: str, tmp_path: Path
) -> None:
    """One real gunicorn with deploy/gunicorn.conf.py: the id a client (or nginx) sends, and the one
    the app makes up otherwise, appear in the access-log line of that request, as in the response's
    X-Request-Id; and two visitors behind nginx have a login limit each, not one between them."""
    log = tmp_path / "gunicorn.log"
    port = free_port()
    env = {
        "MARKETPLACE_DATABASE_URL": database_url,
        "MARKETPLACE_SECRET_KEY": "deployment-test",
        "MARKETPLACE_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "MARKETPLACE_SEARCH_AUTO_REBUILD": "false",
        "MARKETPLACE_UPLOAD_DIR": str(tmp_path / "uploads"),
        "MARKETPLACE_WTF_CSRF_ENABLED": "false",
        "MARKETPLACE_LOGIN_RATE_LIMIT": "2 per minute",
    }
    process = start_gunicorn(env, port, workers=1, log_path=log)
    try:
        status, headers, _ = http_get(
            f"http://127.0.0.1:{port}/healthz", headers={"X-Request-Id": "deploytest-0a1b2c"}
        )
        assert status == 200
        assert headers["X-Request-Id"] == "deploytest-0a1b2c"
        status, headers, _ = http_get(f"http://127.0.0.1:{port}/about-nothing-here")
        assert status == 404
        made_up = headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{16}", made_up)

        def logged() -> str:
            text = log.read_text(errors="replace")
            return text if "rid=deploytest-0a1b2c" in text and f"rid={made_up}" in text else ""

        text = _wait(logged)
        line = next(line for line in text.splitlines() if "rid=deploytest-0a1b2c" in line)
        assert '"GET /healthz HTTP/1.1" 200' in line
        line = next(line for line in text.splitlines() if f"rid={made_up}" in line)
        assert '"GET /about-nothing-here HTTP/1.1" 404' in line

        def login_as(client: str) -> int:
            form = {"email": "nobody@example.cn", "password": "wrong-password-1"}
            url = f"http://127.0.0.1:{port}/login"
            return http_post_form(url, form, headers={"X-Forwarded-For": client})[0]

        assert [login_as("203.0.113.7") for _ in range(3)] == [422, 422, 429]
        assert login_as("203.0.113.8") == 422  # another visitor, though nginx's address is the same
    finally:
        assert stop(process) is not None


def _wait(predicate: Any, timeout: float = 10.0) -> Any:
    from tests.faults.support import wait_for

    return wait_for(predicate, timeout, message="access-log lines")


# ── configuration ──


def test_redis_url_comes_from_the_environment() -> None:
    overrides = environment_overrides({"MARKETPLACE_REDIS_URL": "redis://:p%40ss@10.0.0.5:6379/0"})
    assert overrides == {"REDIS_URL": "redis://:p%40ss@10.0.0.5:6379/0"}
    assert Defaults.REDIS_URL is None


def test_rate_limits_use_redis_unless_told_otherwise(database_url: str, tmp_path: Path) -> None:
    url = "redis://127.0.0.1:6390/2"
    app = create_app(config_for(database_url, tmp_path, REDIS_URL=url))
    assert app.config["RATELIMIT_STORAGE_URI"] == url
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    with app.app_context():
        client = redis_client()
        assert client is not None and client is redis_client()  # one client per app
        assert client.connection_pool.connection_kwargs["socket_timeout"] == 0.5

    explicit = "redis://127.0.0.1:6391/5"
    app = create_app(config_for(database_url, tmp_path, REDIS_URL=url, RATELIMIT_STORAGE_URI=explicit))
    assert app.config["RATELIMIT_STORAGE_URI"] == explicit

    app = create_app(config_for(database_url, tmp_path))
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    with app.app_context():
        assert redis_client() is None


def test_postgresql_connections_time_out(database_url: str, tmp_path: Path) -> None:
    app = create_app(
        config_for(database_url, tmp_path, SQLALCHEMY_DATABASE_URI="postgres://u@db.internal/qqc")
    )
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 5
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


# ── a database outage answers 503 ──


def test_unreachable_database_answers_a_friendly_503(make_app: Any) -> None:
    app = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql://qqc@127.0.0.1:{free_port()}/gone")
    client = app.test_client()
    page = client.get("/projects")
    assert page.status_code == 503
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "服务暂时不可用" in html and "数据库暂时无法连接" in html
    assert page.headers["Retry-After"] == "5"

    api = client.get("/api/v1/projects")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "database_unavailable"
    assert api.get_json()["error"]["message"] == "数据库暂时无法连接，请稍后刷新重试。"


def _connection_lost() -> sqlalchemy_exc.OperationalError:
    return sqlalchemy_exc.OperationalError(
        "SELECT 1",
        {},
        Exception("terminating connection due to administrator command"),
        connection_invalidated=True,
    )


def _with_failing_routes(app: Flask) -> None:
    def lose_connection() -> Any:
        _ = current_user.name  # the user row was read before the server went away
        raise _connection_lost()

    def break_a_constraint() -> Any:
        raise sqlalchemy_exc.IntegrityError("INSERT …", {}, Exception("duplicate key"))

    app.add_url_rule("/test-lost-connection", view_func=lose_connection)
    app.add_url_rule("/api/v1/test-lost-connection", "api_lost", view_func=lose_connection)
    app.add_url_rule("/test-integrity", view_func=break_a_constraint)


def test_lost_connection_mid_request_is_503_and_the_next_request_works(app: Flask) -> None:
    _with_failing_routes(app)
    with app.app_context():
        member = factories.org_member()
        email = member.email
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302

    page = client.get("/test-lost-connection")
    assert page.status_code == 503
    assert "数据库暂时无法连接" in page.get_data(as_text=True)  # rendered without touching the database
    api = client.get("/api/v1/test-lost-connection")
    assert (api.status_code, api.get_json()["error"]["code"]) == (503, "database_unavailable")

    # The session was rolled back and released: the same signed-in visitor carries on.
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200


def test_connection_lost_after_the_page_was_made_still_sends_the_page(app: Flask) -> None:
    """PostgreSQL restarting between a request's last query and its end: the ROLLBACK that ends the
    session fails. The page that was made is sent, and the thread's next request works."""
    failures = {"left": 1}

    def server_gone(connection: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise _connection_lost()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "rollback", server_gone)
    try:
        client = app.test_client()
        first = client.get("/projects")
        assert first.status_code == 200 and failures["left"] == 0
        assert client.get("/projects").status_code == 200
    finally:
        event.remove(engine, "rollback", server_gone)


def test_other_database_errors_stay_500(app: Flask) -> None:
    _with_failing_routes(app)
    response = app.test_client().get("/test-integrity")
    assert response.status_code == 500


# ── the deploy/ examples ──


def test_make_serve_runs_the_documented_gunicorn_config() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    recipe = makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0]
    command = "gunicorn -c deploy/gunicorn.conf.py 'marketplace:create_app()'"
    assert command in recipe
    assert (PROJECT_ROOT / "deploy/gunicorn.conf.py") == GUNICORN_CONFIG and GUNICORN_CONFIG.exists()
    assert "-c deploy/gunicorn.conf.py 'marketplace:create_app()'" in (DEPLOY / "README.md").read_text()
    unit = (DEPLOY / "systemd/marketplace-web.service").read_text()
    assert "-c deploy/gunicorn.conf.py 'marketplace:create_app()'" in unit


def test_env_example_names_only_real_settings() -> None:
    """A typo in deploy/env.example would be silently ignored in production."""
    names = set(SETTING.findall((DEPLOY / "env.example").read_text()))
    known = {name for name in dir(Defaults) if name.isupper()} | {
        "DATABASE_URL",  # mapped to SQLALCHEMY_DATABASE_URI
        "MAIL_SERVER",  # read by marketplace/mail.py for the smtp backend
        "MAIL_PORT",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "MAIL_USE_TLS",
        "BACKUP_DIR",  # read by marketplace/backup.py
    }
    known |= set(re.findall(r"MARKETPLACE_([A-Z0-9_]+)", GUNICORN_CONFIG.read_text()))
    assert names - known == set()
    must = {
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "SESSION_COOKIE_SECURE",
        "REMEMBER_COOKIE_SECURE",
        "HSTS",
        "PREFERRED_URL_SCHEME",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "MAIL_BACKEND",
        "SITE_URL",
        "SEARCH_SYNC_ON_COMMIT",
        "SEARCH_INDEX_DIR",
        "UPLOAD_DIR",
    }
    assert must - names == set()


def test_every_job_the_readme_lists_has_a_timer_and_a_cron_line() -> None:
    crontab = (DEPLOY / "crontab.example").read_text()
    timers = "\n".join(path.read_text() for path in (DEPLOY / "systemd").glob("marketplace-job-*.service"))
    for command in (
        "jobs close-due",
        "jobs refresh-matches",
        "jobs agreements",
        "jobs close-tenders",
        "jobs overdue-reports",
        "payments reconcile",
        "search check",
        "backup",
    ):
        assert command in crontab, command
        assert command in timers, command
    for service in (DEPLOY / "systemd").glob("marketplace-job-*.service"):
        assert service.with_suffix(".timer").exists(), service.name
