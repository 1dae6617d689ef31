"""Security headers on every kind of response, and pages that need no inline script (RELIABILITY.md,
Web security: "Headers on every response: a CSP without inline script, `frame-ancestors 'none'`,
`X-Content-Type-Options`, `Referrer-Policy`, HSTS behind HTTPS").

tests/test_app.py checks five ordinary pages. Here: every other kind of answer — 404, 405, 413,
429, a forced 500 (page and API), a CSRF refusal, a redirect, a static file, an upload, the health
check and the JSON API — and a walk over every page each role can open, asserting the HTML holds no
inline script, event-handler attribute or inline style (which the CSP would block anyway: a page
that relied on one would be broken, not unsafe).
"""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.routing import Rule
from werkzeug.test import stream_encode_multipart

from marketplace.uploads import store_image
from tests import factories
from tests.factories import World
from tests.pages import html
from tests.test_projects_operations import png_bytes
from tests.test_projects_views import valid_form


def assert_security_headers(response: Any, where: str, *, hsts: bool = False) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("script-src") == ["'self'"], (where, csp)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, (where, csp)
    assert directives.get("frame-ancestors") == ["'none'"], (where, csp)
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where
    if hsts:
        assert "max-age=31536000" in headers.get("Strict-Transport-Security", ""), where
    else:
        assert "Strict-Transport-Security" not in headers, where


def _app_with_a_crash(make_app: Any, **config: Any) -> Flask:
    app = make_app(PROPAGATE_EXCEPTIONS=False, **config)

    @app.get("/h8-boom")
    def boom() -> Any:
        raise RuntimeError("forced")

    @app.get("/api/v1/h8-boom")
    def api_boom() -> Any:
        raise RuntimeError("forced")

    app.testing = False  # answer with the error handler, as in production
    return app


@pytest.mark.parametrize("hsts", [False, True], ids=["http", "behind https"])
def test_every_kind_of_response_carries_the_headers(make_app: Any, tmp_path: Path, hsts: bool) -> None:
    app = _app_with_a_crash(make_app, HSTS=hsts, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True)
    with app.app_context():
        email = factories.org_member().email
        image = store_image(png_bytes(), Path(app.config["UPLOAD_DIR"]))
    client = app.test_client()
    answers: dict[str, Any] = {
        "page": client.get("/"),
        "404 page": client.get("/no-such-page"),
        "405": client.post("/projects"),
        "500 page": client.get("/h8-boom"),
        "500 api": client.get("/api/v1/h8-boom"),
        "csrf refusal": client.post("/logout"),
        "redirect": client.get("/dashboard"),
        "static file": client.get("/static/css/app.css"),
        "favicon redirect": client.get("/favicon.ico"),
        "uploaded image": client.get(f"/uploads/{image}"),
        "health check": client.get("/healthz"),
        "api list": client.get("/api/v1/projects"),
        "api 404": client.get("/api/v1/no-such-thing"),
        "api 401": client.get("/api/v1/me"),
        "openapi": client.get("/api/v1/openapi.json"),
        "413": client.post(
            "/signup/company", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1), content_type="text/plain"
        ),
    }
    wrong = {"email": email, "password": "Wrong-Password-1"}
    for _ in range(5):
        client.post("/api/v1/tokens", json=wrong)
    answers["429"] = client.post("/api/v1/tokens", json=wrong)
    expected = {"404 page": 404, "405": 405, "500 page": 500, "500 api": 500, "csrf refusal": 400}
    expected |= {"api 404": 404, "api 401": 401, "413": 413, "429": 429, "redirect": 302}
    expected |= {"favicon redirect": 301}
    for name, response in answers.items():
        assert response.status_code == expected.get(name, 200), (name, response.status_code)
        assert_security_headers(response, name, hsts=hsts)
        response.close()


class PageScan(HTMLParser):
    """What the CSP would block: inline <script>, on*= handlers, javascript: URLs, inline style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("type") != "application/json":  # JSON data blocks never run
            if not values.get("src"):
                self.problems.append("inline <script>")
            else:
                self.scripts.append(values["src"] or "")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name == "style":
                self.problems.append(f"<{tag} style=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")


def scan(page: str) -> PageScan:
    parser = PageScan()
    parser.feed(page)
    parser.close()
    return parser


def test_the_scanner_finds_what_it_looks_for() -> None:
    # The counterpart of the walk below: a page with each problem is caught.
    bad = (
        '<script>alert(1)</script><img src="x" onerror="alert(1)"><p style="color:red">x</p>'
        '<style>p{}</style><a href="javascript:alert(1)">x</a><script src="/static/js/app.js"></script>'
        '<script type="application/json">{"data": 1}</script>'
    )
    assert len(scan(bad).problems) == 5
    assert scan(bad).scripts == ["/static/js/app.js"]


def fill(rule: Rule, ids: dict[str, int]) -> str | None:
    """The rule's path with the World's ids, or None when an argument is not known here."""
    values: dict[str, Any] = {}
    for argument in rule.arguments:
        if argument not in ids:
            return None
        values[argument] = ids[argument]
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return path


ROLES = ["anonymous", "org", "company", "staff"]


def sign_in(client: FlaskClient, email: str) -> Any:
    return client.post("/login", data={"email": email, "password": factories.PASSWORD})


@pytest.fixture
def signed_in(app: Flask, world: World) -> dict[str, FlaskClient]:
    clients = {}
    for role in ROLES:
        client = app.test_client()
        email = world.email_for(role)
        if email:
            assert (
                client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code
                == 302
            )
        clients[role] = client
    return clients


def test_no_page_any_role_can_open_needs_inline_script(
    app: Flask, world: World, signed_in: dict[str, FlaskClient]
) -> None:
    ids = {
        "project_id": world.published_id,
        "organization_id": world.organization_id,
        "company_id": world.company_id,
        "code": "zh",
    }
    paths = sorted(
        {
            path
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or set())
            and not rule.rule.startswith(("/api/", "/static/", "/uploads/", "/language/"))
            and rule.endpoint not in ("main.favicon",)
            and (path := fill(rule, ids)) is not None
        }
        | {
            f"/projects/{world.draft_id}",
            f"/projects/{world.submitted_id}",
            f"/projects/{world.draft_id}/edit",
        }
    )
    seen = 0
    problems: dict[str, list[str]] = {}
    for role, client in signed_in.items():
        for path in paths:
            response = client.get(path)
            assert_security_headers(response, f"{role} {path}")
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            seen += 1
            found = scan(html(response))
            if found.problems:
                problems[f"{role} {path}"] = sorted(set(found.problems))
            assert all(src.startswith("/static/") for src in found.scripts), (role, path, found.scripts)
    assert not problems, problems
    assert seen >= 100, f"only {seen} pages rendered: the walk no longer reaches the pages"


def test_an_upload_over_the_size_limit_is_refused_with_413_and_nothing_is_kept(
    app: Flask, client: FlaskClient, world: World
) -> None:
    assert (
        client.post("/login", data={"email": world.org_email, "password": factories.PASSWORD}).status_code
        == 302
    )
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = png_bytes() + b"\0" * limit  # a real PNG header, padded past the request limit
    # Encoded in memory: the test client would otherwise spool the body to a temporary file.
    body, length, boundary = stream_encode_multipart(
        {**valid_form(title="超大封面"), "cover_image": FileStorage(io.BytesIO(big), "cover.png")},
        use_tempfile=False,
    )
    response = client.post(
        "/projects/new",
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert length > limit and response.status_code == 413
    assert "文件太大" in html(response)
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert not upload_dir.exists() or not any(upload_dir.iterdir())
    assert "超大封面" not in html(client.get("/dashboard"))
