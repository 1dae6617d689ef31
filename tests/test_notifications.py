"""The notifications page (newest first, opening it marks them read) and the unread counter every
template gets for the header bell (one COUNT query; 0 when signed out)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy import event, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.operations import notify, unread_count
from marketplace.timeutil import utcnow
from tests import factories


@pytest.fixture
def people(app: Flask) -> dict[str, str]:
    with app.app_context():
        return {"reader": factories.company_member().email, "other": factories.org_member().email}


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def send(app: Flask, email: str, title: str, *, link: str = "/projects", age_minutes: int = 0) -> None:
    with app.app_context():
        notify([user(email)], kind="project_update", title=title, body=f"{title}的内容", link=link)
        if age_minutes:
            latest = db.session.scalars(select(Notification).order_by(Notification.id.desc())).first()
            assert latest is not None
            latest.created_at = utcnow() - timedelta(minutes=age_minutes)
        db.session.commit()


def login(client: FlaskClient, email: str) -> None:
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302


def unread(app: Flask, email: str) -> int:
    with app.app_context():
        return unread_count(user(email))


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_anonymous_visitors_log_in_first(client: FlaskClient) -> None:
    response = client.get("/notifications")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_page_lists_newest_first_and_marks_them_read(
    app: Flask, client: FlaskClient, people: dict[str, str]
) -> None:
    send(app, people["reader"], "较早的通知", age_minutes=30)
    send(app, people["reader"], "最新的通知", link="/projects/7#update-3")
    send(app, people["other"], "别人的通知")
    login(client, people["reader"])
    assert unread(app, people["reader"]) == 2

    html = client.get("/notifications").get_data(as_text=True)
    assert html.index("最新的通知") < html.index("较早的通知")
    assert "别人的通知" not in html
    assert 'href="/projects/7#update-3"' in html
    assert html.count(">新</span>") == 2
    assert "2 条新通知" in html
    assert unread(app, people["reader"]) == 0
    assert unread(app, people["other"]) == 1  # nobody else's are touched

    again = client.get("/notifications").get_data(as_text=True)
    assert ">新</span>" not in again
    assert "最新的通知" in again  # read ones stay listed


def test_an_empty_list(client: FlaskClient, people: dict[str, str]) -> None:
    login(client, people["other"])
    response = client.get("/notifications")
    assert response.status_code == 200
    assert "还没有通知" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "//evil.example/x", "https://evil.example/", "/\\evil.example", ""]
)
def test_only_paths_inside_the_site_become_links(
    app: Flask, client: FlaskClient, people: dict[str, str], link: str
) -> None:
    send(app, people["reader"], "奇怪的链接", link=link)
    login(client, people["reader"])
    html = client.get("/notifications").get_data(as_text=True)
    assert "奇怪的链接" in html
    if link:
        assert f'href="{link}"' not in html
    assert "javascript:" not in html


def test_titles_are_text_not_markup(app: Flask, client: FlaskClient, people: dict[str, str]) -> None:
    send(app, people["reader"], "<img src=x onerror=alert(1)>")
    login(client, people["reader"])
    html = client.get("/notifications").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_every_template_gets_the_unread_count_with_one_query(app: Flask, people: dict[str, str]) -> None:
    send(app, people["reader"], "一")
    send(app, people["reader"], "二")
    send(app, people["other"], "三")
    with app.test_request_context("/"):
        login_user(user(people["reader"]))
        with counted_statements(app) as statements:
            rendered = render_template_string("{{ unread_notifications }}")
        assert rendered == "2"
        assert len(statements) == 1
        assert "count" in statements[0].lower()


def test_signed_out_visitors_get_zero_without_a_query(app: Flask) -> None:
    with app.test_request_context("/"), counted_statements(app) as statements:
        assert render_template_string("{{ unread_notifications }}") == "0"
        assert statements == []


def test_the_count_falls_as_they_are_read(app: Flask, client: FlaskClient, people: dict[str, str]) -> None:
    send(app, people["reader"], "一")
    login(client, people["reader"])
    assert unread(app, people["reader"]) == 1
    client.get("/notifications")
    assert unread(app, people["reader"]) == 0
    send(app, people["reader"], "二")
    assert unread(app, people["reader"]) == 1
