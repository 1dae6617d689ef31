"""The application shell: configuration, security headers, error pages and the audit trail of requests."""

from __future__ import annotations

import os
import stat

import pytest
from flask import Flask

from marketplace import create_app
from marketplace.config import environment_overrides, load_or_create_secret_key, normalise_database_url


def test_environment_variables_override_defaults():
    overrides = environment_overrides(
        {
            "MARKETPLACE_DATABASE_URL": "postgresql://postgres@127.0.0.1/qqc",
            "MARKETPLACE_PROJECTS_PER_PAGE": "24",
            "MARKETPLACE_SESSION_COOKIE_SECURE": "true",
            "MARKETPLACE_SECRET_KEY": "12345",
            "UNRELATED": "x",
        }
    )
    assert overrides == {
        "SQLALCHEMY_DATABASE_URI": "postgresql://postgres@127.0.0.1/qqc",
        "PROJECTS_PER_PAGE": 24,
        "SESSION_COOKIE_SECURE": True,
        "SECRET_KEY": "12345",  # secrets stay text even when they look like numbers
    }


def test_a_plain_postgres_url_gets_the_psycopg_driver():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = load_or_create_secret_key(tmp_path)
    assert len(first) == 64
    assert load_or_create_secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_test_config_is_applied_over_environment(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("MARKETPLACE_PROJECTS_PER_PAGE", "30")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "k",
            "PROJECTS_PER_PAGE": 9,
            "UPLOAD_DIR": str(tmp_path),
        }
    )
    assert app.config["PROJECTS_PER_PAGE"] == 9
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k", "UPLOAD_DIR": str(tmp_path)}
    )
    assert app.config["PROJECTS_PER_PAGE"] == 30


@pytest.mark.parametrize("path", ["/", "/projects", "/login", "/api/v1/projects", "/no-such-page"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Request-Id"]


def test_hsts_only_when_configured(make_app):
    assert "Strict-Transport-Security" not in make_app().test_client().get("/").headers
    assert "max-age" in make_app(HSTS=True).test_client().get("/").headers["Strict-Transport-Security"]


def _app_that_breaks(make_app) -> Flask:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret-database-password-in-message")

    @app.get("/api/v1/boom")
    def api_boom():
        raise RuntimeError("secret-database-password-in-message")

    return app


def test_a_crash_shows_a_generic_page_without_traceback(make_app):
    app = _app_that_breaks(make_app)
    app.testing = False  # let the error handler answer, as in production
    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "服务暂时出错" in body or "服务器开小差" in body
    assert "Traceback" not in body and "secret-database-password" not in body
    assert response.headers["X-Request-Id"] in body  # people can quote the error number


def test_an_api_crash_is_a_json_error(make_app):
    app = _app_that_breaks(make_app)
    app.testing = False
    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "secret-database-password" not in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(app, world, client):
    response = client.post("/login", data={"email": world.org_email, "password": "Correct-Horse-42"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
