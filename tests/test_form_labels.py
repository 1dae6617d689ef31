"""Every form field is labelled: on every page a person can open (each GET route of the access-control
matrix, for each role allowed to see it), each input, select and textarea a person fills in has a
<label for=…>, sits inside a <label>, or carries aria-label / aria-labelledby — so a screen reader
says what to type, and clicking the label focuses the field."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from flask import Flask

from marketplace import create_app
from marketplace.extensions import db
from tests import conftest, factories
from tests.access_cases.base import OK, ROLES
from tests.test_access_control import READ_CASES, Fixture, _build_fixture

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Fields(HTMLParser):
    """The fields a person fills in, and which ids some <label for> names."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"] or "")
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and (attributes.get("type") or "text").lower() in UNLABELLED_TYPES:
                return
            self.fields.append({"tag": tag, "wrapped": "yes" if self.open_labels else None, **attributes})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.open_labels:
            self.open_labels -= 1


def unlabelled_fields(html: str) -> list[str]:
    """The fields of ``html`` a screen reader could not name, each as a short description."""
    parser = _Fields()
    parser.feed(html)
    parser.close()
    missing = []
    for field in parser.fields:
        labelled = (
            field["wrapped"]
            or (field.get("id") and field["id"] in parser.label_for)
            or (field.get("aria-label") or "").strip()
            or (field.get("aria-labelledby") or "").strip()
        )
        if not labelled:
            missing.append(f"<{field['tag']} name={field.get('name')!r} id={field.get('id')!r}>")
    return missing


def test_the_checker_accepts_each_way_of_labelling_and_names_what_is_missing() -> None:
    page = """
      <label for="a">A</label><input id="a" name="a">
      <label>B <select name="b"><option>1</option></select></label>
      <textarea name="c" aria-label="C"></textarea>
      <input name="d" aria-labelledby="d-title">
      <input type="hidden" name="csrf_token"><input type="submit" value="go"><button>x</button>
      <input type="checkbox" id="e" name="e">
      <label for="other">F</label><input name="f" id="f">
    """
    assert unlabelled_fields(page) == ["<input name='e' id='e'>", "<input name='f' id='f'>"]


@pytest.fixture(scope="module")
def rendered_world(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, Fixture]]:
    """Every feature's rows (the access-control matrix's), built once: reading pages changes nothing."""
    conftest._empty_tables(database_url)
    app = create_app(conftest.test_config(database_url, tmp_path_factory.mktemp("labels")))
    with app.app_context():
        fixture = _build_fixture()
    yield app, fixture
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    conftest._empty_tables(database_url)


PAGE_CASES = [case for case in READ_CASES if not case.api]


@pytest.mark.parametrize("role", ROLES)
def test_every_form_field_on_every_page_has_a_label(rendered_world: tuple[Flask, Fixture], role: str) -> None:
    app, fixture = rendered_world
    conftest.mark_dirty()
    client = app.test_client()
    email = fixture.world.email_for(role)
    if email is not None:
        assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    problems, forms_seen = [], 0
    for case in PAGE_CASES:
        if case.expect[role] != OK:
            continue
        response = client.get(case.path.format(**fixture.ids))
        body = response.get_data()  # read to the end: a streamed download then closes its session
        response.close()
        if not response.content_type.startswith("text/html") or response.status_code != 200:
            continue
        html = body.decode("utf-8")
        forms_seen += "<form" in html
        problems += [f"{case.path}: {field}" for field in unlabelled_fields(html)]
    assert forms_seen > 0
    assert not problems, f"{role} sees form fields without a label:\n" + "\n".join(problems)
