"""Recall of the search engine on the public relevance fixture (tests/data/search-relevance.json)
plus our own cases (tests/data/search-relevance-extra.json), indexed together.

Each query lists project keys that must appear in the top 10 ("must"), or — for filter queries —
the exact result set ("exact"); extra cases may list keys that must not appear ("must_not").
A query scores the share of its "must" keys found (0 when a "must_not" key shows up); the recall
of a group is the mean over its queries and must reach the group's threshold.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from marketplace.search.engine import SearchIndex, build_index
from marketplace.search.types import ProjectDocument, SearchRequest

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = ("search-relevance.json", "search-relevance-extra.json")
THRESHOLDS = {"literal": 1.0, "filter": 1.0, "synonym": 0.9, "pinyin": 0.9, "multi": 0.9}
VISIBLE = frozenset({"published"})


def _load() -> tuple[list[dict], list[dict]]:
    projects: list[dict] = []
    queries: list[dict] = []
    for name in FILES:
        data = json.loads((DATA / name).read_text(encoding="utf-8"))
        projects.extend(data["projects"])
        queries.extend(dict(q, source=name) for q in data["queries"])
    return projects, queries


PROJECTS, QUERIES = _load()


@pytest.fixture(scope="module")
def relevance_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[SearchIndex, dict[int, str]]:
    keys: dict[int, str] = {}
    documents = []
    base = datetime(2026, 1, 1)
    for number, project in enumerate(PROJECTS, start=1):
        keys[number] = project["key"]
        documents.append(
            ProjectDocument(
                id=number,
                title=project["title"],
                summary=project["summary"],
                description=project["description"],
                organization="青亲筹测试机构",
                organization_id=1,
                tags=tuple(project["tags"]),
                category=project["category"],
                district=project["district"],
                status="published",
                goal=1_000_000,
                raised=number * 10_000,
                deadline=base + timedelta(days=60 + number),
                created=base + timedelta(days=number),
            )
        )
    index = build_index(tmp_path_factory.mktemp("relevance") / "index", documents)
    return index, keys


def _request(query: dict) -> SearchRequest:
    params = query.get("params", {})
    request = SearchRequest(text=query["q"], visible_statuses=VISIBLE, per_page=10)
    if "category" in params:
        request.categories = (params["category"],)
    if "district" in params:
        request.districts = (params["district"],)
    if "status" in params:
        request.statuses = (params["status"],)
    if "progress" in params:
        request.progress = params["progress"]
    return request


def _score(index: SearchIndex, keys: dict[int, str], query: dict) -> tuple[float, list[str], int]:
    result = index.search(_request(query))
    top = [keys[hit.project_id] for hit in result.hits]
    if "exact" in query:
        everything = index.search(replace(_request(query), per_page=100))  # all results
        found = {keys[hit.project_id] for hit in everything.hits}
        expected = set(query["exact"])
        score = 1.0 if found == expected and everything.total == len(expected) else 0.0
        return score, sorted(found), everything.total
    must = query["must"]
    score = sum(1 for key in must if key in top) / len(must)
    if any(key in top for key in query.get("must_not", ())):
        score = 0.0
    return score, top, result.total


def test_fixture_has_the_documented_shape() -> None:
    assert len(PROJECTS) == len({p["key"] for p in PROJECTS})
    groups = defaultdict(int)
    for query in QUERIES:
        groups[query["group"]] += 1
        assert ("must" in query) != ("exact" in query), query
    assert set(groups) == set(THRESHOLDS)
    extra = [q for q in QUERIES if q["source"] == FILES[1]]
    assert len(extra) >= 10


def test_recall_per_group(relevance_index: tuple[SearchIndex, dict[int, str]]) -> None:
    index, keys = relevance_index
    scores: dict[str, list[float]] = defaultdict(list)
    misses: list[str] = []
    for query in QUERIES:
        score, got, total = _score(index, keys, query)
        scores[query["group"]].append(score)
        if score < 1.0:
            wanted = query.get("must") or query.get("exact")
            misses.append(f"  {query['group']:8s} {query['q']!r}: wanted {wanted}, got {got} (total {total})")
    lines = ["", f"{'group':10s}{'queries':>8s}{'recall':>9s}{'needed':>9s}"]
    for group, threshold in THRESHOLDS.items():
        values = scores[group]
        lines.append(f"{group:10s}{len(values):8d}{sum(values) / len(values):9.3f}{threshold:9.2f}")
    print("\n".join(lines + (["misses:", *misses] if misses else [])))
    for group, threshold in THRESHOLDS.items():
        recall = sum(scores[group]) / len(scores[group])
        assert recall >= threshold, f"{group} recall {recall:.3f} < {threshold}\n" + "\n".join(misses)


@pytest.mark.parametrize(
    "query", [q for q in QUERIES if q["group"] in ("literal", "filter")], ids=lambda q: q["q"]
)
def test_literal_and_filter_queries_each(
    relevance_index: tuple[SearchIndex, dict[int, str]], query: dict
) -> None:
    index, keys = relevance_index
    score, got, _ = _score(index, keys, query)
    assert score == 1.0, (query, got)
