"""Rich text and autoescaping (RELIABILITY.md, Web security: "every other field autoescaped (no
`|safe` on user data)").

Markdown itself is tested in tests/unit/test_rendering.py (40 payloads through nh3) and on its two
surfaces (project description: tests/test_projects_views.py and the API's ``description_html``;
updates: tests/test_project_updates.py). Here: every ``|safe`` in the templates is one that was
reviewed, no Python code builds ``Markup`` by hand, and the one ``|safe`` on text that is not
Markdown — search highlights of titles and summaries — escapes what the user typed, with the
Whoosh index and with the database fallback.
"""

from __future__ import annotations

import re
from pathlib import Path

import nh3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace import rendering
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.search import engine, fallback
from tests import factories
from tests.factories import World
from tests.pages import html

ROOT = Path(__file__).resolve().parent.parent
SAFE = re.compile(r"\|\s*safe\b")

# Each |safe reviewed: (template, the expression before |safe, why the value is safe).
REVIEWED_SAFE_USES = {
    ("projects/detail.html", "description_html"): "rendering.render_markdown (nh3)",
    ("projects/updates/show_update.html", "body_html"): "rendering.render_markdown (nh3)",
    ("projects/_updates_and_reports.html", "shown.body_html"): "rendering.render_markdown (nh3)",
    ("_macros.html", "highlight.title"): "search highlight: html.escape, then <mark>",
    ("_macros.html", "(highlight.summary or highlight.description)"): "search highlight / snippet: escaped",
}
HOSTILE_TITLE = '<img src=x onerror="alert(1)">助老午餐'
HOSTILE_SUMMARY = "<script>alert(2)</script>为长者助老送餐"


def safe_uses() -> set[tuple[str, str]]:
    found = set()
    for path in sorted((ROOT / "templates").rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for match in SAFE.finditer(source):
            expression = source[: match.start()].rsplit("{{", 1)[1].strip()
            found.add((path.relative_to(ROOT / "templates").as_posix(), expression))
    return found


def test_every_safe_filter_in_the_templates_was_reviewed() -> None:
    uses = safe_uses()
    assert uses == set(REVIEWED_SAFE_USES), (
        "a |safe was added or removed: review it (user text must go through rendering.render_markdown "
        f"or be escaped first) and update REVIEWED_SAFE_USES: {sorted(uses ^ set(REVIEWED_SAFE_USES))}"
    )


def test_no_template_turns_autoescaping_off_and_no_code_builds_markup() -> None:
    for path in (ROOT / "templates").rglob("*.html"):
        assert "autoescape false" not in path.read_text(encoding="utf-8").replace("  ", " "), path
    for path in (ROOT / "marketplace").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "Markup(" not in source and "markupsafe" not in source, path


def test_markdown_is_sanitised_by_nh3_and_nothing_imports_bleach() -> None:
    assert isinstance(rendering._cleaner, nh3.Cleaner)
    for path in (ROOT / "marketplace").rglob("*.py"):
        assert not re.search(r"^\s*(import|from) bleach\b", path.read_text(encoding="utf-8"), re.MULTILINE), (
            path
        )


@pytest.mark.parametrize("highlight", [engine.highlight, fallback._highlight])
def test_highlighting_escapes_the_text_and_marks_only_the_words(highlight: object) -> None:
    marked = highlight(HOSTILE_TITLE, ["助老"])  # type: ignore[operator]
    assert "<img" not in marked and "&lt;img" in marked
    assert "<mark>助老</mark>" in marked
    # A search word that looks like markup is text too.
    assert "<script" not in highlight(HOSTILE_SUMMARY, ["<script>"])  # type: ignore[operator]


def hostile_project(app: Flask, world: World) -> int:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == world.org_email))
        project = factories.project(
            owner,
            status="published",
            reviewer=factories.staff_user(),
            title=HOSTILE_TITLE,
            summary=HOSTILE_SUMMARY,
            description=f"{HOSTILE_SUMMARY}\n\n<svg onload=alert(3)>",
        )
        return project.id


def assert_inert(page: str) -> None:
    assert HOSTILE_TITLE not in page and "<img src=x" not in page
    assert "<script>alert(2)</script>" not in page
    for needle in ('onerror="alert(1)"', "<script>alert", "<svg onload"):
        assert needle not in page


@pytest.mark.parametrize("indexed", [False, True], ids=["database fallback", "whoosh index"])
def test_search_results_show_hostile_titles_as_text(
    app: Flask, client: FlaskClient, world: World, indexed: bool
) -> None:
    project_id = hostile_project(app, world)
    if indexed:
        assert app.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0
    page = html(client.get("/projects", query_string={"q": "助老"}))
    assert f"/projects/{project_id}" in page, "the project is found"
    assert "<mark>" in page, "the words are highlighted"
    assert "&lt;img src=x" in page
    assert_inert(page)


def test_the_project_page_and_cards_show_hostile_text_as_text(
    app: Flask, client: FlaskClient, world: World
) -> None:
    project_id = hostile_project(app, world)
    for path in (f"/projects/{project_id}", "/projects", "/", f"/organizations/{world.organization_id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(html(response))
