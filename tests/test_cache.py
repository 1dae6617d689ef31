"""The anonymous page cache (marketplace/cache.py): visitors who are not logged in get a stored page
until what it shows changes through the app — at once on the project's own page, within
PAGE_CACHE_LIST_SECONDS for the amounts on list cards; nobody else ever gets a cached page, and
nothing personal is ever stored."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from flask import Flask, request, request_started
from sqlalchemy import select, text, update

from marketplace import audit, cache
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.moderation import operations as moderation
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from marketplace.web import LANGUAGE_COOKIE
from tests import factories

OLD_TITLE = "已发布项目：防溺水安全课"
NEW_TITLE = "改名后的项目：暑期防溺水"


@pytest.fixture
def cached_app(make_app: Any) -> Flask:
    return make_app(PAGE_CACHE_SECONDS=300, PAGE_CACHE_LIST_SECONDS=30)


def _world(app: Flask) -> factories.World:
    with app.app_context():
        return factories.build_world()


def _rename_through_the_app(app: Flask, project_id: int, title: str) -> None:
    """A bulk UPDATE, as the project transitions and pledge state changes write."""
    with app.app_context():
        db.session.execute(update(Project).where(Project.id == project_id).values(title=title))
        db.session.commit()


def _rename_outside_the_app(app: Flask, project_id: int, title: str) -> None:
    """Plain SQL, as from psql: no ORM statement, so nothing tells the cache."""
    with app.app_context():
        db.session.execute(
            text("UPDATE projects SET title = :title WHERE id = :id"), {"title": title, "id": project_id}
        )
        db.session.commit()


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the memory store's clock forward instead of waiting."""
    now = cache.time.monotonic()
    monkeypatch.setattr(cache.time, "monotonic", lambda: now + seconds)


def _page(app: Flask, path: str) -> tuple[str, str | None]:
    response = app.test_client().get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), response.headers.get(cache.STATUS_HEADER)


def test_a_page_is_served_from_the_cache_until_it_expires_when_nothing_told_it_of_a_change(
    cached_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(cached_app)
    client = cached_app.test_client()
    first = client.get(f"/projects/{world.published_id}")
    assert OLD_TITLE in first.get_data(as_text=True)
    assert first.headers[cache.STATUS_HEADER] == "miss"

    _rename_outside_the_app(cached_app, world.published_id, NEW_TITLE)
    again = cached_app.test_client().get(f"/projects/{world.published_id}")
    assert again.status_code == 200
    assert OLD_TITLE in again.get_data(as_text=True)
    assert again.headers[cache.STATUS_HEADER] == "hit"
    # Still a response of its own: its own request id, the security headers, no replayed cookie.
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert "frame-ancestors 'none'" in again.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in again.headers

    _later(monkeypatch, 301)
    assert NEW_TITLE in _page(cached_app, f"/projects/{world.published_id}")[0]


@contextmanager
def _flask_requests(app: Flask) -> Iterator[list[str]]:
    """The paths Flask itself handled meanwhile: a hit answered in front of Flask is not one."""
    seen: list[str] = []

    def started(sender: Flask, **_: Any) -> None:
        seen.append(request.path)

    with request_started.connected_to(started, app):
        yield seen


def _headers(response: Any) -> list[tuple[str, str]]:
    """A response's headers but its own request id and the visitor's own session cookie."""
    return sorted(
        (name, value)
        for name, value in response.headers.items()
        if name not in ("X-Request-Id", "Set-Cookie")
    )


def test_hits_for_visitors_without_a_session_are_answered_before_flask_with_the_same_headers(
    cached_app: Flask,
) -> None:
    world = _world(cached_app)
    detail = f"/projects/{world.published_id}"
    with _flask_requests(cached_app) as handled:
        assert _page(cached_app, detail)[1] == "miss"
        assert _page(cached_app, "/projects?district=鹿城区")[1] == "miss"
        assert handled == [detail, "/projects"]
        handled.clear()

        fast = cached_app.test_client().get(detail, headers={"X-Request-Id": "nginx-4f2a"})
        assert fast.headers[cache.STATUS_HEADER] == "hit" and handled == []
        assert fast.headers["X-Request-Id"] == "nginx-4f2a"  # the proxy's id, as in the access log
        assert _page(cached_app, "/projects?district=鹿城区")[1] == "hit" and handled == []

        # A visitor holding a session (anonymous: it only carries a CSRF token from a form they
        # opened) is served by Flask, from the same entry and with the same answer.
        with_session = cached_app.test_client()
        with with_session.session_transaction() as session:
            session["csrf_token"] = "from-an-earlier-form"
        through_flask = with_session.get(detail)
        assert handled == [detail]
    assert through_flask.headers[cache.STATUS_HEADER] == "hit"
    assert "Set-Cookie" not in fast.headers
    assert through_flask.get_data() == fast.get_data()
    assert _headers(through_flask) == _headers(fast)
    assert "frame-ancestors 'none'" in fast.headers["Content-Security-Policy"]
    assert fast.headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(fast.headers["Content-Length"]) == len(fast.get_data())


def test_someone_remembered_from_an_earlier_visit_is_never_answered_from_the_cache(cached_app: Flask) -> None:
    world = _world(cached_app)
    detail = f"/projects/{world.published_id}"
    _page(cached_app, detail)
    company = cached_app.test_client()
    company.post(
        "/login", data={"email": world.company_email, "password": factories.PASSWORD, "remember": "y"}
    )
    company.delete_cookie(cached_app.config["SESSION_COOKIE_NAME"])  # the browser was closed
    page = company.get(detail)
    assert "退出登录" in page.get_data(as_text=True)
    assert cache.STATUS_HEADER not in page.headers


def test_a_change_through_the_app_shows_on_the_project_page_and_the_lists_at_the_next_visit(
    cached_app: Flask,
) -> None:
    world = _world(cached_app)
    detail, browse = f"/projects/{world.published_id}", "/projects"
    for path in (detail, browse, "/projects?sort=newest"):
        assert OLD_TITLE in _page(cached_app, path)[0]
        assert _page(cached_app, path)[1] == "hit"

    _rename_through_the_app(cached_app, world.published_id, NEW_TITLE)
    body, status = _page(cached_app, detail)
    assert NEW_TITLE in body and status == "miss"
    # A title is on every card that shows the project: the lists are rendered again too.
    assert NEW_TITLE in _page(cached_app, browse)[0]

    # A change through the unit of work (an attribute set, then commit) counts the same.
    with cached_app.app_context():
        db.session.get(Project, world.published_id).summary = "新的项目简介：每周两次课"
        db.session.commit()
    assert "新的项目简介：每周两次课" in _page(cached_app, detail)[0]
    assert "新的项目简介：每周两次课" in _page(cached_app, browse)[0]


def test_a_confirmed_pledge_shows_on_its_project_page_at_once_and_on_list_cards_within_their_limit(
    cached_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(cached_app)
    with cached_app.app_context():
        factories.foundation()  # the partner foundation receiving the money: on every page
        db.session.commit()
    detail = f"/projects/{world.published_id}"
    _page(cached_app, detail)
    _page(cached_app, "/projects")
    with cached_app.app_context():
        project = db.session.get(Project, world.published_id)
        company = db.session.scalar(select(User).where(User.email == world.company_email))
        factories.pledge(project, company, 123_400)

    body, status = _page(cached_app, detail)
    assert "¥1,234" in body and status == "miss"
    # The card's amount may lag (a pledge does not drop every list page)…
    body, status = _page(cached_app, "/projects")
    assert status == "hit" and "¥1,234" not in body
    # …for PAGE_CACHE_LIST_SECONDS at most.
    _later(monkeypatch, 31)
    body, status = _page(cached_app, "/projects")
    assert status == "miss" and "¥1,234" in body


def test_a_pledge_waiting_for_its_money_leaves_the_project_page_cached_until_it_is_confirmed(
    cached_app: Flask,
) -> None:
    """A pending pledge shows on no page a visitor sees (the supporter wall lists pledges holding
    money): making one through the API, with everything the request writes besides, keeps the
    project's page; its confirmation drops it."""
    world = _world(cached_app)
    with cached_app.app_context():
        factories.foundation()
        company = db.session.scalar(select(User).where(User.email == world.company_email))
        staff = db.session.scalar(select(User).where(User.email == world.staff_email))
        company_token, staff_token = accounts.issue_api_token(company), accounts.issue_api_token(staff)
        db.session.commit()
    detail = f"/projects/{world.published_id}"
    _page(cached_app, detail)
    created = cached_app.test_client().post(
        f"/api/v1/projects/{world.published_id}/pledges",
        json={"amount": 654_300, "method": "bank_transfer", "message": "愿孩子们平安"},
        headers={"Authorization": f"Bearer {company_token}", "Idempotency-Key": "cache-pending-1"},
    )
    assert created.status_code == 201 and created.get_json()["status"] == "pending"
    body, status = _page(cached_app, detail)
    assert status == "hit" and "¥6,543" not in body

    confirmed = cached_app.test_client().post(
        f"/api/v1/pledges/{created.get_json()['id']}/confirm",
        json={"received_amount": 654_300, "bank_reference": "BANK-CACHE-1"},
        headers={"Authorization": f"Bearer {staff_token}"},
    )
    assert confirmed.status_code == 200
    body, status = _page(cached_app, detail)
    assert status == "miss" and "¥6,543" in body and "愿孩子们平安" in body


def test_a_statement_that_changes_a_pledge_drops_its_project_page_only(cached_app: Flask) -> None:
    """A bulk UPDATE of a pledge names no project: the cache finds it from the session's copy of the
    pledge, or else asks the database; the other pages stay cached."""
    world = _world(cached_app)
    with cached_app.app_context():
        project = db.session.get(Project, world.published_id)
        company = db.session.scalar(select(User).where(User.email == world.company_email))
        pledge_id = factories.pledge(project, company, 50_000).id
    detail = f"/projects/{world.published_id}"
    for loaded in (False, True):
        for path in (detail, "/projects"):
            _page(cached_app, path)
        with cached_app.app_context():
            if loaded:
                db.session.get(Pledge, pledge_id)
            db.session.execute(update(Pledge).where(Pledge.id == pledge_id).values(message="谢谢大家"))
            db.session.commit()
        assert _page(cached_app, detail)[1] == "miss"
        assert _page(cached_app, "/projects")[1] == "hit"
    # A statement over every pledge names no project at all: every page goes.
    with cached_app.app_context():
        db.session.execute(update(Pledge).values(message="谢谢"))
        db.session.commit()
    assert _page(cached_app, "/projects")[1] == "miss"


def test_hiding_a_project_takes_it_off_every_cached_page_at_once(cached_app: Flask) -> None:
    world = _world(cached_app)
    assert OLD_TITLE in _page(cached_app, "/projects")[0]
    assert OLD_TITLE in _page(cached_app, f"/projects/{world.published_id}")[0]
    with cached_app.app_context():
        staff = db.session.scalar(select(User).where(User.email == world.staff_email))
        moderation.decide(staff, "project", world.published_id, "hide", "核实募捐资质前先隐藏")
        db.session.commit()

    assert OLD_TITLE not in _page(cached_app, "/projects")[0]
    assert cached_app.test_client().get(f"/projects/{world.published_id}").status_code == 404


def test_rows_no_page_shows_leave_the_cached_pages_alone(cached_app: Flask) -> None:
    world = _world(cached_app)
    detail = f"/projects/{world.published_id}"
    _page(cached_app, detail)
    with cached_app.app_context():
        audit.record("export.downloaded", actor_id=None, payload={"dataset": "pledges"})
        db.session.commit()
    assert _page(cached_app, detail)[1] == "hit"


def test_a_change_committed_while_a_page_renders_is_not_hidden_by_that_page(cached_app: Flask) -> None:
    """The page is tagged with the generations read before it rendered: when a change commits in
    between, the page it stored is already out of date, and the next visit renders again."""
    world = _world(cached_app)
    renders: list[str] = []

    @cached_app.get("/race-probe")
    @cache.anonymous_page(scopes=lambda: [cache.project_scope(world.published_id)])
    def race_probe() -> str:
        title = db.session.get(Project, world.published_id).title
        renders.append(title)
        if len(renders) == 1:  # another worker commits a rename while this page renders
            _rename_through_the_app(cached_app, world.published_id, NEW_TITLE)
        return f"<p>{title}</p>"

    assert OLD_TITLE in _page(cached_app, "/race-probe")[0]
    body, status = _page(cached_app, "/race-probe")
    assert NEW_TITLE in body and status == "miss"
    assert _page(cached_app, "/race-probe")[1] == "hit"
    assert renders == [OLD_TITLE, NEW_TITLE]


def test_workers_sharing_redis_see_each_others_changes(make_app: Any) -> None:
    # One Redis database per xdist worker: their project ids overlap, their pages must not.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw9")
    url = f"redis://127.0.0.1:6379/{1 + int(worker.removeprefix('gw') or 9) % 10}"
    redis.Redis.from_url(url).flushdb()
    first, second = (make_app(PAGE_CACHE_SECONDS=300, REDIS_URL=url) for _ in range(2))
    world = _world(first)
    detail = f"/projects/{world.published_id}"
    assert _page(first, detail)[1] == "miss"
    body, status = _page(second, detail)
    assert status == "hit" and OLD_TITLE in body

    _rename_through_the_app(second, world.published_id, NEW_TITLE)
    body, status = _page(first, detail)
    assert status == "miss" and NEW_TITLE in body
    redis.Redis.from_url(url).flushdb()


def test_logged_in_people_never_get_or_leave_a_cached_page(cached_app: Flask) -> None:
    world = _world(cached_app)
    anonymous = cached_app.test_client()
    assert OLD_TITLE in anonymous.get(f"/projects/{world.published_id}").get_data(as_text=True)
    _rename_outside_the_app(cached_app, world.published_id, NEW_TITLE)

    company = cached_app.test_client()
    company.post("/login", data={"email": world.company_email, "password": factories.PASSWORD})
    page = company.get(f"/projects/{world.published_id}")
    assert NEW_TITLE in page.get_data(as_text=True)  # rendered for them, not the anonymous copy
    assert "退出登录" in page.get_data(as_text=True)
    assert cache.STATUS_HEADER not in page.headers

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
        _rename_outside_the_app(app, world.published_id, title)
        response = client.get(f"/projects/{world.published_id}")
        assert title in response.get_data(as_text=True)
        assert cache.STATUS_HEADER not in response.headers


def test_lifetimes_default_to_five_seconds_in_memory_and_five_minutes_in_redis(make_app: Any) -> None:
    memory = make_app(TESTING=False)
    shared = make_app(TESTING=False, REDIS_URL="redis://127.0.0.1:6379/0")
    assert cache.cache_seconds(memory) == cache.MEMORY_SECONDS == 5
    assert cache.cache_seconds(shared) == cache.SHARED_SECONDS == 300


def test_an_unreachable_redis_never_fails_a_page(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 1 on loopback refuses at once: every read and write fails, the page renders anyway.
    app = make_app(PAGE_CACHE_SECONDS=30, REDIS_URL="redis://127.0.0.1:1/0")
    world = _world(app)
    reads: list[int] = []
    read = cache.RedisStore.get_many

    def counted_read(store: cache.RedisStore, keys: Any) -> Any:
        reads.append(len(keys))
        return read(store, keys)

    monkeypatch.setattr(cache.RedisStore, "get_many", counted_read)
    for _ in range(2):
        response = app.test_client().get(f"/projects/{world.published_id}")
        assert response.status_code == 200
        assert OLD_TITLE in response.get_data(as_text=True)
    # Each page tried Redis once: a second try would add a second timeout to every page.
    assert reads == [3, 3]
    # A change still commits when the generation cannot be bumped.
    _rename_through_the_app(app, world.published_id, NEW_TITLE)
    assert NEW_TITLE in app.test_client().get(f"/projects/{world.published_id}").get_data(as_text=True)


def test_the_memory_store_is_bounded_and_never_forgets_a_generation() -> None:
    store = cache.MemoryStore(max_entries=3)
    store.bump(["qqc:gen:site"])
    generation = store.get_many(["qqc:gen:site"])[0]
    for n in range(5):
        store.set(f"k{n}", b"page", 60)
    assert store.get_many(["k0", "k1", "k4"]) == [None, None, b"page"]
    assert store.get_many(["qqc:gen:site"]) == [generation]
    store.bump(["qqc:gen:site"])
    assert store.get_many(["qqc:gen:site"])[0] not in (None, generation)
