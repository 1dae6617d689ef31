"""A person searching the demo for 老人, 环保, jinglao or 四点钟课堂 gets the obviously right projects,
with highlights and facets, on the browse page and through the API; odd input never breaks the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from marketplace.search.service import get_service
from tests.demo_support import SharedDemo


def _load_demo_and_index(app: Flask) -> str:
    runner = app.test_cli_runner()
    demo = runner.invoke(args=["demo"])
    assert demo.exit_code == 0, demo.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    return demo.output + result.output


_SHARED = SharedDemo()


@pytest.fixture(scope="session")
def shared_demo(database_url: str) -> Iterator[SharedDemo]:
    yield _SHARED
    _SHARED.dispose()


@pytest.fixture
def demo_app(shared_demo: SharedDemo, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """These tests only read, so they share one demo load and one index (five seconds each
    otherwise)."""
    app, _ = shared_demo.get(database_url, tmp_path_factory, _load_demo_and_index)
    return app


@pytest.fixture
def own_demo_app(make_app) -> Flask:
    """For a test that breaks the index."""
    app = make_app()
    _load_demo_and_index(app)
    return app


def _card_titles(html: str) -> list[str]:
    titles = re.findall(r'<h3 class="project-card-title">\s*<a[^>]*>(.*?)</a>', html, re.S)
    return [re.sub(r"<[^>]+>", "", title).strip() for title in titles]


@pytest.mark.parametrize(
    ("query", "expected_title"),
    [
        ("四点钟课堂", "「四点钟课堂」外来务工子女课后托管"),
        ("老人", "「银龄食堂」五马街道独居老人助餐计划"),
        ("长者", "「银龄食堂」五马街道独居老人助餐计划"),  # a synonym of 老人
        ("环保", "「守护瓯江」瓯北段河岸垃圾清理与水质监测"),  # found through its category and tags
        ("jinglao", "重阳节「敬老助老」高龄老人免费健康体检"),  # pinyin of 敬老
    ],
)
def test_the_browse_page_finds_what_people_mean(demo_app: Flask, query: str, expected_title: str) -> None:
    html = (
        demo_app.test_client()
        .get("/projects", query_string={"q": query, "status": "all"})
        .get_data(as_text=True)
    )
    titles = _card_titles(html)
    assert expected_title in titles[:6], titles
    if query != "环保":  # 环保 matches through category and tags, words no card shows
        assert "<mark>" in html  # the matched words (or their synonyms) are highlighted
    assert 'class="facets"' in html and 'class="facet-count"' in html


def test_the_api_search_returns_highlights_and_facets(demo_app: Flask) -> None:
    response = demo_app.test_client().get("/api/v1/projects", query_string={"q": "四点钟课堂"})
    assert response.status_code == 200
    body = response.json
    assert body["items"][0]["title"].startswith("「四点钟课堂」")
    assert "<mark>" in body["items"][0]["highlight"]["title"]
    assert sum(body["facets"]["category"].values()) == body["total"]
    assert set(body["facets"]) == {"category", "district", "status", "progress"}
    # Only listed states for anonymous callers, whatever they ask for.
    assert set(body["facets"]["status"]) <= {"published", "funded", "closed"}


@pytest.mark.parametrize(
    "query",
    [
        'AND OR NOT * ? ~ ^ : ( ) " [ ] { }',
        "' OR 1=1 --",
        '"四点钟',
        "的了和",
        "🙂🙂",
        "x" * 500,
        "title:敬老",
    ],
)
def test_odd_input_never_breaks_the_page(demo_app: Flask, query: str) -> None:
    client = demo_app.test_client()
    assert client.get("/projects", query_string={"q": query}).status_code == 200
    assert client.get("/api/v1/projects", query_string={"q": query}).status_code == 200


def test_a_long_query_is_cut_with_a_notice(demo_app: Flask) -> None:
    html = demo_app.test_client().get("/projects", query_string={"q": "老人" * 150}).get_data(as_text=True)
    assert "200" in html and 'class="alert alert-info"' in html


def test_a_missing_index_falls_back_to_the_database(own_demo_app: Flask, caplog) -> None:
    import shutil

    with own_demo_app.app_context():
        shutil.rmtree(get_service().root)
    page = own_demo_app.test_client().get("/projects", query_string={"q": "四点钟课堂"})
    html = page.get_data(as_text=True)
    assert "「四点钟课堂」外来务工子女课后托管" in _card_titles(html)
    assert "answering from the database" in caplog.text
