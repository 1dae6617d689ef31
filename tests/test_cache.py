"""The anonymous page cache (marketplace/cache.py): visitors who are not logged in may get a page a
few seconds old; nobody else ever gets a cached page, and nothing personal is ever stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from marketplace import cache
from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.web import LANGUAGE_COOKIE
from tests import factories

OLD_TITLE = "已发布项目：防溺水安全课"
NEW_TITLE = "改名后的项目：暑期防溺水"


@pytest.fixture
def cached_app(make_app: Any) -> Flask:
    return make_app(PAGE_CACHE_SECONDS=30)


def _world(app: Flask) -> factories.World:
    with app.app_context():
        return factories.build_world()


def _rename(app: Flask, project_id: int, title: str) -> None:
    with app.app_context():
        db.session.execute(update(Project).where(Project.id == project_id).values(title=title))
        db.session.commit()


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the memory store's clock forward instead of waiting."""
    now = cache.time.monotonic()
    monkeypatch.setattr(cache.time, "monotonic", lambda: now + seconds)


def test_an_anonymous_visitor_gets_the_page_until_it_expires(
    cached_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(cached_app)
    client = cached_app.test_client()
    first = client.get(f"/projects/{world.published_id}")
    assert OLD_TITLE in first.get_data(as_text=True)

    _rename(cached_app, world.published_id, NEW_TITLE)
    again = cached_app.test_client().get(f"/projects/{world.published_id}")
    assert again.status_code == 200
    assert OLD_TITLE in again.get_data(as_text=True)  # served from the cache
    # Still a response of its own: its own request id, the security headers, no replayed cookie.
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert "frame-ancestors 'none'" in again.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in again.headers

    _later(monkeypatch, 31)
    fresh = cached_app.test_client().get(f"/projects/{world.published_id}")
    assert NEW_TITLE in fresh.get_data(as_text=True)


def test_browse_and_search_pages_are_cached_per_address(cached_app: Flask) -> None:
    world = _world(cached_app)
    client = cached_app.test_client()
    assert OLD_TITLE in client.get("/projects").get_data(as_text=True)
    _rename(cached_app, world.published_id, NEW_TITLE)
    assert OLD_TITLE in client.get("/projects").get_data(as_text=True)
    # Another query string is another page, rendered now.
    assert NEW_TITLE in client.get("/projects?sort=newest").get_data(as_text=True)


def test_logged_in_people_never_get_or_leave_a_cached_page(cached_app: Flask) -> None:
    world = _world(cached_app)
    anonymous = cached_app.test_client()
    assert OLD_TITLE in anonymous.get(f"/projects/{world.published_id}").get_data(as_text=True)
    _rename(cached_app, world.published_id, NEW_TITLE)

    company = cached_app.test_client()
    company.post("/login", data={"email": world.company_email, "password": factories.PASSWORD})
    page = company.get(f"/projects/{world.published_id}").get_data(as_text=True)
    assert NEW_TITLE in page  # rendered for them, not the anonymous copy
    assert "退出登录" in page

    # What was rendered for the company was not stored for anonymous visitors either.
    browse = company.get("/projects?category=children").get_data(as_text=True)
    assert "退出登录" in browse and "csrf_token" in browse
    assert "退出登录" not in anonymous.get("/projects?category=children").get_data(as_text=True)


def test_a_page_showing_a_flashed_message_is_not_stored(cached_app: Flask) -> None:
    world = _world(cached_app)
    flashed = cached_app.test_client()
    with flashed.session_transaction() as session:
        session["_flashes"] = [("success", "只给这位访客看的提示")]
    assert "只给这位访客看的提示" in flashed.get(f"/projects/{world.published_id}").get_data(as_text=True)
    other = cached_app.test_client().get(f"/projects/{world.published_id}")
    assert "只给这位访客看的提示" not in other.get_data(as_text=True)


def test_each_language_has_its_own_copy(cached_app: Flask) -> None:
    _world(cached_app)
    chinese = cached_app.test_client().get("/projects").get_data(as_text=True)
    english_client = cached_app.test_client()
    english_client.set_cookie(LANGUAGE_COOKIE, "en")
    english = english_client.get("/projects").get_data(as_text=True)
    assert 'lang="zh' in chinese
    assert 'lang="en' in english


def test_missing_pages_are_not_cached(cached_app: Flask) -> None:
    world = _world(cached_app)
    assert cached_app.test_client().get("/projects/999999").status_code == 404
    # A draft is hidden from visitors: 404 every time, never a stored page.
    assert cached_app.test_client().get(f"/projects/{world.draft_id}").status_code == 404
    assert cached_app.test_client().get(f"/projects/{world.draft_id}").status_code == 404


def test_off_by_default_in_tests_and_when_zero(make_app: Any) -> None:
    apps = (make_app(), make_app(PAGE_CACHE_SECONDS=0))
    world = _world(apps[0])
    for title, app in zip((NEW_TITLE, OLD_TITLE), apps, strict=True):
        client = app.test_client()
        client.get(f"/projects/{world.published_id}")
        _rename(app, world.published_id, title)
        assert title in client.get(f"/projects/{world.published_id}").get_data(as_text=True)


def test_an_unreachable_redis_never_fails_a_page(make_app: Any) -> None:
    # Port 1 on loopback refuses at once: every read and write fails, the page renders anyway.
    app = make_app(PAGE_CACHE_SECONDS=30, REDIS_URL="redis://127.0.0.1:1/0")
    world = _world(app)
    for _ in range(2):
        response = app.test_client().get(f"/projects/{world.published_id}")
        assert response.status_code == 200
        assert OLD_TITLE in response.get_data(as_text=True)


def test_the_memory_store_is_bounded() -> None:
    store = cache.MemoryStore(max_entries=3)
    for n in range(5):
        store.set(f"k{n}", b"page", 60)
    assert store.get("k0") is None and store.get("k1") is None
    assert store.get("k4") == b"page"
