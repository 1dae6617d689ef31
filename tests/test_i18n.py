"""The English translation: complete for every message in the sources, and actually served.

Messages are extracted straight from the sources with Babel (the same babel.cfg and keywords as
`make translations`), so a new ``_()``/``Msg()`` without an English translation fails here.
"""

from __future__ import annotations

import os
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "marketplace" / "translations"
PO_FILE = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "Msg": None, "_l": None, "lazy_gettext": None}
SOURCE_DIRS = ("marketplace", "templates")
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _only_sources(path: str) -> bool:
    """Walk marketplace/ and templates/ only (never .venv, caches or instance data)."""
    relative = Path(path).relative_to(ROOT)
    return relative.parts[0] in SOURCE_DIRS and not relative.name.startswith((".", "_"))


@cache
def source_messages() -> dict[str, list[str]]:
    """msgid → where it is used, for every translatable message in the sources."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=_only_sources
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@cache
def english_catalog() -> Catalog:
    with open(PO_FILE, "rb") as po:
        return read_po(po, locale="en")


def test_the_sources_have_messages_to_translate() -> None:
    messages = source_messages()
    assert len(messages) > 500
    # Each kind of marker is picked up: templates, Msg(), lazy form labels and plain _().
    assert "浏览项目" in messages  # templates/base.html
    assert "邮箱或密码不正确" in messages  # Msg() in accounts/views.py
    assert "项目名称" in messages  # _l() in projects/forms.py
    assert not any(".venv" in where for places in messages.values() for where in places)


def test_every_message_has_an_english_translation() -> None:
    catalog = english_catalog()
    problems = []
    for msgid, places in sorted(source_messages().items()):
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r} ({places[0]}) — run `make translations`")
        elif not entry.string or not isinstance(entry.string, str):
            problems.append(f"untranslated: {msgid!r} ({places[0]})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({places[0]})")
    assert not problems, "\n".join(problems)


def test_translations_keep_every_placeholder() -> None:
    problems = []
    for entry in english_catalog():
        if not entry.id or not entry.string:
            continue
        if sorted(PLACEHOLDER.findall(entry.id)) != sorted(PLACEHOLDER.findall(entry.string)):
            problems.append(f"{entry.id!r} → {entry.string!r}")
        # Templates always %-format (Jinja newstyle gettext), so a lone % would break the page.
        if "%" in PLACEHOLDER.sub("", entry.string):
            problems.append(f"stray %: {entry.string!r}")
    assert not problems, "\n".join(problems)


def test_translations_are_english() -> None:
    catalog = english_catalog()
    assert not catalog.fuzzy
    leftovers = [entry.string for entry in catalog if entry.id and CJK.search(str(entry.string))]
    assert not leftovers


def test_the_catalog_is_compiled() -> None:
    assert MO_FILE.exists(), "run `make install` (or `pybabel compile -d marketplace/translations`)"
    stale = os.path.getmtime(MO_FILE) < os.path.getmtime(PO_FILE)
    assert not stale, "the .mo is older than the .po: run `make install`"


class _VisibleText(HTMLParser):
    """What a visitor sees or hears: text nodes and the attributes browsers show or read out
    (form values such as a district's Chinese name in an <option value> are not chrome)."""

    SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "data-confirm")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        self.texts += [value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value]
        if tag == "meta" and values.get("name") == "description" and values.get("content"):
            self.texts.append(values["content"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.texts


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_english_home_page_is_in_english(client: FlaskClient, world: factories.World) -> None:
    client.get("/language/en")
    page = _page(client, "/")
    assert '<html lang="en"' in page
    for text in ("Browse projects", "How it works", "Log in", "Skip to main content", "Our commitments"):
        assert text in page
    for text in ("浏览项目", "平台如何运作", "跳到主要内容", "我们的承诺"):
        assert text not in page


def test_the_default_home_page_is_in_chinese(client: FlaskClient, world: factories.World) -> None:
    page = _page(client, "/")
    assert '<html lang="zh"' in page
    assert "浏览项目" in page and "平台如何运作" in page
    assert "Browse projects" not in page


@pytest.mark.parametrize("path", ["/", "/projects", "/login", "/signup", "/organizations"])
def test_english_pages_without_user_content_have_no_chinese_chrome(client: FlaskClient, path: str) -> None:
    client.get("/language/en")
    chinese = [text for text in visible_texts(_page(client, path)) if CJK.search(text)]
    # The only Chinese left is the link back to the Chinese site.
    assert chinese == ["中文"]


def test_english_form_labels_and_errors(client: FlaskClient) -> None:
    client.get("/language/en")
    page = client.post("/login", data={"email": "nobody@example.cn", "password": "wrong-password"}).get_data(
        as_text=True
    )
    assert "Incorrect email or password." in page
    assert "Password" in page and "邮箱或密码不正确" not in page


def _token_error(client: FlaskClient, email: str, **headers: str) -> tuple[int, str]:
    body = {"email": email, "password": "not-the-password"}
    response = client.post("/api/v1/tokens", json=body, headers=headers)
    return response.status_code, response.get_json()["error"]["message"]


def test_api_errors_are_english_when_asked(client: FlaskClient, world: factories.World) -> None:
    status, message = _token_error(client, world.org_email, **{"Accept-Language": "en"})
    assert (status, message) == (401, "Incorrect email or password.")
    status, message = _token_error(client, world.org_email, **{"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert message == "Incorrect email or password."


def test_api_errors_are_chinese_by_default(client: FlaskClient, world: factories.World) -> None:
    assert _token_error(client, world.org_email) == (401, "邮箱或密码不正确")
    assert _token_error(client, world.org_email, **{"Accept-Language": "zh-CN"}) == (401, "邮箱或密码不正确")


def test_api_messages_with_parameters_are_translated(client: FlaskClient) -> None:
    response = client.post("/api/v1/tokens", json={"password": "x"}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    # The label itself is a Chinese parameter; the sentence around it is English.
    assert error["fields"]["email"].startswith("Please fill in ")


def test_english_error_pages(client: FlaskClient) -> None:
    client.get("/language/en")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    texts = visible_texts(response.get_data(as_text=True))
    assert "Page not found" in texts
    assert [text for text in texts if CJK.search(text)] == ["中文"]
