"""The search index is lost while the app runs — its directory deleted, or its segment files
truncated or garbled — and people searching never notice more than a notice: the browse page and
``GET /api/v1/projects?q=`` answer 200 with the right projects from the database
(``marketplace/search/fallback.py``), the index is rebuilt in the background
(``SEARCH_AUTO_REBUILD``, off in other tests, on here), and then the index answers again.

How a result's source is told apart: the database fallback matches words literally, the index also
through synonyms — 长者 finds the project titled 老人 only through the index.

Already covered elsewhere, not repeated: a missing index answering the browse page from the
database without a rebuild (tests/search_pipeline/test_search_pages.py::
test_a_missing_index_falls_back_to_the_database) and a corrupt table of contents at the engine level
(tests/search/test_engine.py::test_corrupt_directory_is_unavailable).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import random
import re
import shutil
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer

from marketplace.projects.states import LISTED_STATUSES
from marketplace.search.engine import IndexUnavailable, SearchIndex, build_index
from marketplace.search.indexer import current_directory
from marketplace.search.service import get_service
from marketplace.search.types import ProjectDocument, SearchRequest
from tests import factories
from tests.faults.support import http_get, threaded_server, wait_for

ELDERLY = "银龄老人助餐计划"  # says 老人, never 长者
AFTER_SCHOOL = "四点钟课堂：外来务工子女课后托管"
REBUILD_LIMIT = 120.0  # seconds; the rebuild of a few projects takes well under one
REBUILD_LOG = "rebuilding the search index in the background"
FALLBACK_NOTICE = "搜索索引正在更新"


# ── breaking an index ──


@pytest.fixture(autouse=True)
def _collect_abandoned_segment_files() -> Iterator[None]:
    """Whoosh leaves the file of a segment that failed to open (truncated or garbled under it) to the
    garbage collector, which closes it with a ResourceWarning; collect here, where that is expected,
    instead of in whichever test of this worker happens to run next."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _segment_files(directory: Path) -> list[Path]:
    files = [path for path in directory.iterdir() if path.suffix == ".seg"]
    assert files, f"no segment files in {directory}"
    return files


def damage(root_or_directory: Path, how: str) -> None:
    """Delete the index root, truncate its segment files, or garble their second half in place."""
    if how == "deleted":
        # Moved away first, so the index vanishes at once even while a rebuild writes into it.
        lost = root_or_directory.with_name(f"{root_or_directory.name}-lost-{time.monotonic_ns()}")
        os.rename(root_or_directory, lost)
        shutil.rmtree(lost, ignore_errors=True)
        return
    directory = current_directory(root_or_directory) or root_or_directory
    for path in _segment_files(directory):
        size = path.stat().st_size
        if how == "truncated":
            os.truncate(path, size // 2)
        elif how == "garbled":
            noise = random.Random(7).randbytes(size - size // 2)
            with open(path, "r+b") as handle:
                handle.seek(size // 2)
                handle.write(noise)
        else:  # pragma: no cover - a typo in a parameter
            raise ValueError(how)


# ── the engine alone: damage is an IndexUnavailable, never another exception or a crash ──


def _doc(project_id: int, title: str) -> ProjectDocument:
    now = datetime.utcnow().replace(microsecond=0)
    return ProjectDocument(
        id=project_id,
        title=title,
        summary="",
        description="",
        organization="温州青年公益社",
        organization_id=1,
        tags=(),
        category="elderly",
        district="鹿城区",
        status="published",
        goal=100_000,
        raised=0,
        deadline=now + timedelta(days=30),
        created=now,
    )


@pytest.mark.parametrize("how", ["truncated", "garbled"])
def test_a_damaged_segment_makes_a_reused_index_unavailable_not_a_crash(tmp_path: Path, how: str) -> None:
    """The index a web process keeps open reads its segments through mmap: a file truncated
    under it used to kill the whole process with SIGBUS at the next read, and a garbled one kept
    answering from cached readers. The change on disk is noticed before any read."""
    directory = tmp_path / "index"
    build_index(directory, [_doc(1, ELDERLY), _doc(2, AFTER_SCHOOL)]).close()
    index = SearchIndex(directory)
    try:
        assert index.search(SearchRequest(text="助餐")).total == 1
        damage(directory, how)
        with pytest.raises(IndexUnavailable, match="changed on disk"):
            index.search(SearchRequest(text="助餐"))
        with pytest.raises(IndexUnavailable):  # and it stays so until the index is rebuilt
            index.search(SearchRequest(text="课堂"))
    finally:
        index.close()


# ── the app: fallback, rebuild, index again ──


@dataclass(frozen=True)
class Scene:
    elderly_id: int
    after_school_id: int


@pytest.fixture
def search_app(make_app: Any) -> Flask:
    app = make_app(SEARCH_AUTO_REBUILD=True)
    with app.app_context():
        get_service().indexer().rebuild()  # an index before the first commit, so none is rebuilt
    return app


@pytest.fixture
def scene(search_app: Flask) -> Scene:
    with search_app.app_context():
        owner = factories.org_member()
        reviewer = factories.staff()
        elderly = factories.project(
            owner,
            status="published",
            reviewer=reviewer,
            title=ELDERLY,
            summary="为五马街道独居老人每周送三次午餐。",
            description="志愿者上门送餐。",
            tags=["助餐"],
            category="elderly",
        )
        after_school = factories.project(owner, status="published", reviewer=reviewer, title=AFTER_SCHOOL)
        assert get_service().indexer().check().ok
        return Scene(elderly.id, after_school.id)


def _service_search(app: Flask, text: str) -> tuple[list[int], bool]:
    """(project ids, answered from the database?) as an anonymous visitor would get them."""
    with app.app_context():
        result = get_service().search(SearchRequest(text=text, visible_statuses=LISTED_STATUSES))
        return [hit.project_id for hit in result.hits], result.from_database


def _card_titles(page: str) -> list[str]:
    titles = re.findall(r'<h3 class="project-card-title">\s*<a[^>]*>(.*?)</a>', page, re.S)
    return [re.sub(r"<[^>]+>", "", title).strip() for title in titles]


def _page_titles(status: int, body: bytes) -> list[str]:
    assert status == 200, (status, body[:300])
    return _card_titles(body.decode())


def _api_titles(status: int, body: bytes) -> list[str]:
    assert status == 200, (status, body[:300])
    return [item["title"] for item in json.loads(body)["items"]]


def _get(app: Flask, path: str, q: str) -> tuple[int, bytes]:
    response = app.test_client().get(path, query_string={"q": q})
    return response.status_code, response.get_data()


def _rebuilt(app: Flask, scene: Scene) -> bool:
    """The index answers again: not from the database, and with synonyms."""
    ids, from_database = _service_search(app, "长者")
    return not from_database and ids == [scene.elderly_id]


@pytest.mark.parametrize("how", ["deleted", "truncated", "garbled"])
def test_a_lost_index_answers_from_the_database_then_rebuilds(
    search_app: Flask, scene: Scene, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = search_app
    root = get_service_root(app)
    before = current_directory(root)
    assert _rebuilt(app, scene)  # the index answers, synonyms included
    caplog.set_level(logging.WARNING)

    damage(root, how)

    # The first search after the damage is answered by the database, correctly.
    ids, from_database = _service_search(app, "助餐")
    assert from_database and ids == [scene.elderly_id]
    # Pages and the API answer 200 with the right projects (whoever answers them by now).
    assert _page_titles(*_get(app, "/projects", "助餐")) == [ELDERLY]
    assert _api_titles(*_get(app, "/api/v1/projects", "课后托管")) == [AFTER_SCHOOL]

    wait_for(lambda: _rebuilt(app, scene), REBUILD_LIMIT, interval=0.1, message="the rebuilt index")
    assert current_directory(root) not in (None, before)  # a new generation, swapped in
    page = _get(app, "/projects", "长者")
    assert _page_titles(*page) == [ELDERLY]  # only the index knows 长者 means 老人
    assert FALLBACK_NOTICE not in page[1].decode()
    assert _api_titles(*_get(app, "/api/v1/projects", "长者")) == [ELDERLY]
    assert caplog.text.count(REBUILD_LOG) == 1
    with app.app_context():
        assert get_service().indexer().check().ok  # the rebuilt index holds every project, current


def get_service_root(app: Flask) -> Path:
    with app.app_context():
        return get_service().root


# ── many people searching while the index breaks ──


@pytest.fixture
def server(search_app: Flask) -> Iterator[BaseWSGIServer]:
    with threaded_server(search_app, "search-server") as httpd:
        yield httpd


def test_concurrent_searches_while_the_index_is_deleted_and_garbled_all_answer(
    search_app: Flask, scene: Scene, server: BaseWSGIServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Eight visitors search the browse page and the API without pause while the index's segment
    files are garbled, and — while the database answers and the rebuild runs — the index
    directory is deleted too. Every answer is 200 with the right project; the index comes back
    once (one rebuild per loss, not one per request that noticed) and answers again."""
    app = search_app
    caplog.set_level(logging.WARNING)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    root = get_service_root(app)
    started = time.monotonic()
    stop = threading.Event()
    answers: Counter[str] = Counter()
    wrong: list[str] = []
    lock = threading.Lock()

    def visitor(index: int) -> None:
        while not stop.is_set():
            if index % 2:
                status, _headers, body = http_get(f"{base}/projects?q=%E5%8A%A9%E9%A4%90", timeout=60)  # 助餐
                titles = _card_titles(body.decode(errors="replace")) if status == 200 else []
            else:
                status, _headers, body = http_get(f"{base}/api/v1/projects?q=%E5%8A%A9%E9%A4%90", timeout=60)
                titles = _api_titles(status, body) if status == 200 else []
            with lock:
                answers[f"{status}"] += 1
                if status != 200 or titles != [ELDERLY]:
                    wrong.append(f"{status} {titles} {body[:200]!r}")

    visitors = [threading.Thread(target=visitor, args=(i,), daemon=True) for i in range(8)]
    for thread in visitors:
        thread.start()
    try:
        wait_for(lambda: sum(answers.values()) >= 16, 60, message="first answers")
        damage(root, "garbled")
        wait_for(lambda: REBUILD_LOG in caplog.text, 60, message="a rebuild started")
        damage(root, "deleted")  # the second loss, while the database answers
        served = sum(answers.values())
        wait_for(lambda: _rebuilt(app, scene), REBUILD_LIMIT, interval=0.1, message="the rebuilt index")
        wait_for(lambda: sum(answers.values()) >= served + 16, 60, message="answers after the rebuild")
    finally:
        stop.set()
        for thread in visitors:
            thread.join(60)
    assert not any(thread.is_alive() for thread in visitors)
    assert not wrong, wrong[:5]
    assert set(answers) == {"200"}
    # One rebuild for the garbled index; the deletion during it may need one more, never one per request.
    assert 1 <= caplog.text.count(REBUILD_LOG) <= 2, caplog.text.count(REBUILD_LOG)
    assert _page_titles(*_get(app, "/projects", "长者")) == [ELDERLY]
    elapsed = time.monotonic() - started
    print(f"\nsearch under index loss: {sum(answers.values())} answers, all 200, in {elapsed:.1f} s")
