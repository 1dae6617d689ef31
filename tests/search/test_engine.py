"""The Whoosh search engine on a temporary index directory (no app, no database)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from marketplace.search import analysis, engine
from marketplace.search.engine import IndexBusy, IndexUnavailable, SearchIndex, build_index, warm_up
from marketplace.search.types import (
    MAX_QUERY_LENGTH,
    PROGRESS_BUCKETS,
    SORTS,
    ProjectDocument,
    SearchRequest,
    progress_bucket,
)

NOW = datetime.utcnow().replace(microsecond=0)


def doc(project_id: int, **overrides: object) -> ProjectDocument:
    values: dict[str, object] = {
        "id": project_id,
        "title": f"项目{project_id}",
        "summary": "",
        "description": "",
        "organization": "温州青年公益社",
        "organization_id": 1,
        "tags": (),
        "category": "community",
        "district": "鹿城区",
        "status": "published",
        "goal": 100_000,
        "raised": 0,
        "deadline": NOW + timedelta(days=30),
        "created": NOW - timedelta(days=project_id),
        "grade_rank": 0,
    }
    values.update(overrides)
    return ProjectDocument(**values)  # type: ignore[arg-type]


CORPUS = [
    doc(1, title="长者助餐点志愿服务", summary="为社区长者提供午餐", tags=("助餐", "长者"),
        category="elderly"),
    doc(2, title="社区四点钟课堂", summary="放学后的作业辅导", description="大学生志愿者陪伴孩子写作业。",
        category="education", district="瓯海区", raised=60_000),
    doc(3, title="周末篮球训练营", summary="下午四点在钟楼广场集合",
        description="每周六下午四点，教练在钟楼广场的篮球课堂带青少年训练。", category="youth",
        raised=120_000),
    doc(4, title="敬老助老志愿行", summary="青年志愿者走访独居老人", tags=("敬老",), category="elderly",
        district="乐清市", raised=30_000),
    doc(5, title="乡村图书角", summary="给山村孩子一个读书的角落", tags=("图书角",), category="education",
        district="永嘉县", raised=99_000),
    doc(6, title="小区分类督导", description="开展生活垃圾分类宣传和破袋指导。", category="community",
        status="closed", raised=100_000),
    doc(7, title="草稿项目", summary="还没有发布的助餐计划", status="draft"),
]  # fmt: skip
PUBLIC = frozenset({"published", "closed"})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    return build_index(tmp_path_factory.mktemp("engine") / "index", CORPUS, applied_through=42)


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    return SearchIndex.create(tmp_path / "index")


def ids(result) -> list[int]:  # type: ignore[no-untyped-def]
    return [hit.project_id for hit in result.hits]


def search(index: SearchIndex, text: str = "", **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("visible_statuses", None)
    kwargs.setdefault("per_page", 50)
    return index.search(SearchRequest(text=text, **kwargs))  # type: ignore[arg-type]


# --- schema, writing, progress ------------------------------------------------------------------


def test_schema_round_trip(built: SearchIndex) -> None:
    assert built.exists()
    assert built.doc_count() == len(CORPUS)
    assert built.last_applied() == 42
    assert built.versions() == {d.id: d.version for d in CORPUS}
    result = search(built, "四点钟课堂")
    assert ids(result)[0] == 2
    highlights = result.hits[0].highlights
    assert highlights["title"] == "社区<mark>四点钟课堂</mark>"
    assert highlights["summary"] == "放学后的作业辅导"


def test_apply_upserts_replace_and_deletes_remove(index: SearchIndex) -> None:
    assert index.last_applied() == 0
    assert index.doc_count() == 0
    index.apply([CORPUS[0], CORPUS[1]], applied_through=3)
    assert index.doc_count() == 2
    assert ids(search(index, "助餐")) == [1]
    index.apply([replace(CORPUS[0], title="长者午餐服务", tags=())])
    assert index.doc_count() == 2
    assert ids(search(index, "午餐服务")) == [1]
    assert ids(search(index, "助餐点")) == []
    index.apply([CORPUS[2]], deletes=[2])
    assert sorted(index.versions()) == [1, 3]
    # the indexer's per-batch lookup: the replaced document's live version, nothing for ids not held
    replaced = replace(CORPUS[0], title="长者午餐服务", tags=()).version
    assert index.versions_of([1, 2, 3, 999]) == {1: replaced, 3: CORPUS[2].version} == index.versions()
    # an id both upserted and deleted is deleted; deleting an unknown id is harmless
    index.apply([CORPUS[2]], deletes=[3, 999])
    assert sorted(index.versions()) == [1]
    assert index.last_applied() == 3


def test_a_reader_keeps_the_segments_it_has_open_and_sees_their_new_deletions(index: SearchIndex) -> None:
    """A web worker's index, refreshed after the indexer process committed: the segment it already
    had is not opened again (its term index read anew), yet the document replaced in it is gone."""
    index.apply([CORPUS[0], CORPUS[1]], applied_through=1)
    worker = SearchIndex(index.directory)
    assert ids(search(worker, "助餐")) == [1]

    def open_terms() -> dict[str, object]:
        return {
            leaf.segment().segment_id(): leaf._terms
            for leaf, _ in worker._current().searcher.reader().leaf_readers()
        }

    before = open_terms()
    index.apply([replace(CORPUS[0], title="长者午餐服务", tags=())], applied_through=2)
    assert ids(search(worker, "午餐服务")) == [1]
    assert ids(search(worker, "助餐点")) == []
    assert ids(search(worker, "作业辅导")) == [2]
    after = open_terms()
    assert len(after) == 2
    kept = set(before) & set(after)
    assert kept and all(after[segid] is before[segid] for segid in kept)


def test_last_applied_is_persisted_atomically(index: SearchIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    index.apply([CORPUS[0]], applied_through=10)
    assert SearchIndex(index.directory).last_applied() == 10
    index.apply([], applied_through=11)
    assert SearchIndex(index.directory).last_applied() == 11
    index.apply([CORPUS[1]])  # no progress given: unchanged
    assert index.last_applied() == 11

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(engine.os, "replace", broken_replace)
    with pytest.raises(OSError):
        index.apply([], applied_through=12)
    monkeypatch.undo()
    assert index.last_applied() == 11
    assert (index.directory / engine.APPLIED_FILE).read_text() == "11"
    assert not [p for p in os.listdir(index.directory) if p.endswith(".tmp") and "applied" in p]


def test_apply_raises_index_busy_at_once_while_a_writer_holds_the_lock(index: SearchIndex) -> None:
    writer = index.writer()
    try:
        started = time.monotonic()
        with pytest.raises(IndexBusy):
            index.apply([CORPUS[0]], applied_through=5)
        assert time.monotonic() - started < 1.0
        assert index.last_applied() == 0
    finally:
        writer.cancel()
    index.apply([CORPUS[0]], applied_through=5)
    assert index.doc_count() == 1


def test_apply_wait_true_waits_for_the_lock(index: SearchIndex) -> None:
    writer = index.writer()
    releaser = threading.Timer(0.5, writer.cancel)
    releaser.start()
    started = time.monotonic()
    index.apply([CORPUS[0]], wait=True)
    releaser.join()
    assert time.monotonic() - started >= 0.4
    assert index.doc_count() == 1


def test_many_small_commits_are_merged_and_stay_searchable(index: SearchIndex) -> None:
    for round_ in range(12):
        index.apply(
            [doc(round_ + 1, title=f"助餐服务第{round_}期", tags=("助餐",)), doc(100, title=f"敬老{round_}")]
        )
    segments = index._open_ix()._segments()
    assert len(segments) < 12  # Whoosh merged the small segments (through the engine's pool)
    assert sorted(index.versions()) == [*range(1, 13), 100]
    assert search(index, "助餐").total == 12
    assert ids(search(index, '"敬老11"')) == [100]
    assert ids(search(index, "jinglao")) == [100]
    assert search(index, "", sort="newest").total == 13


def test_a_reused_index_sees_changes_made_elsewhere(index: SearchIndex) -> None:
    reader = SearchIndex(index.directory)
    assert search(reader, "助餐").total == 0
    SearchIndex(index.directory).apply([CORPUS[0]])
    assert search(reader, "助餐").total == 1  # refreshed by the cheap staleness check
    reader.refresh()
    assert reader.doc_count() == 1


def test_parallel_build_matches_single_process(tmp_path: Path) -> None:
    documents = [
        doc(i, title=f"{word}项目{i}", summary=f"{word}服务", category=("elderly", "children")[i % 2],
            raised=i * 1_000)
        for i, word in enumerate(["助餐", "陪伴", "敬老", "图书", "编程"] * 12, start=1)
    ]  # fmt: skip
    single = build_index(tmp_path / "one", documents, segment_docs=25)
    parallel = build_index(tmp_path / "two", documents, procs=2, batch_size=7, segment_docs=10)
    assert parallel.versions() == single.versions() == {d.id: d.version for d in documents}
    for text in ("敬老", "jinglao", "书", ""):
        for sort in SORTS:
            a = search(single, text, sort=sort, per_page=100)
            b = search(parallel, text, sort=sort, per_page=100)
            assert (ids(a), a.total, a.facets) == (ids(b), b.total, b.facets), (text, sort)
    with pytest.raises(FileExistsError):
        build_index(tmp_path / "one", documents)


# --- filters, sorting, paging, facets -----------------------------------------------------------


def test_visibility_is_always_applied(built: SearchIndex) -> None:
    assert sorted(ids(search(built, "助餐", visible_statuses=frozenset({"published"})))) == [1]
    assert sorted(ids(search(built, "助餐"))) == [1, 7]  # None = everything
    assert ids(search(built, "", visible_statuses=frozenset())) == []
    # asking for a status one may not see gives nothing, not the hidden projects
    hidden = search(built, "", statuses=("draft",), visible_statuses=PUBLIC)
    assert hidden.total == 0
    closed = search(built, "", statuses=("closed",), visible_statuses=PUBLIC)
    assert ids(closed) == [6]
    assert search(built, "").facets["status"] == {"published": 5, "closed": 1, "draft": 1}


def test_filters(built: SearchIndex) -> None:
    assert sorted(ids(search(built, "", categories=("education",)))) == [2, 5]
    assert sorted(ids(search(built, "", districts=("瓯海区", "乐清市")))) == [2, 4]
    assert sorted(ids(search(built, "", progress="100+"))) == [3, 6]
    assert ids(search(built, "", organization_id=2)) == []
    assert len(ids(search(built, "", organization_id=1))) == len(CORPUS)


def test_every_sort(built: SearchIndex) -> None:
    by_created = [d.id for d in sorted(CORPUS, key=lambda d: d.created, reverse=True)]
    assert ids(search(built, "", sort="newest")) == by_created
    assert ids(search(built, "", sort="relevance")) == by_created  # no words: newest first
    progress = {d.id: d.progress for d in CORPUS}
    most = ids(search(built, "", sort="most_funded"))
    assert [progress[i] for i in most] == sorted(progress.values(), reverse=True)
    least = ids(search(built, "", sort="least_funded"))
    assert [progress[i] for i in least] == sorted(progress.values())
    # relevance: the title match before the summary-only match
    assert ids(search(built, "助餐", sort="relevance")) == [1, 7]


def test_closing_soon_puts_open_deadlines_first(index: SearchIndex) -> None:
    deadlines = {1: 5, 2: -1, 3: 1, 4: -10, 5: 30}
    index.apply([doc(i, deadline=NOW + timedelta(days=d)) for i, d in deadlines.items()])
    assert ids(search(index, "", sort="closing_soon")) == [3, 1, 5, 2, 4]


def test_unknown_sort_and_odd_paging_values_fall_back(built: SearchIndex) -> None:
    result = built.search(SearchRequest(sort="random()", page=-3, per_page=10_000))  # type: ignore[arg-type]
    assert result.page == 1
    assert result.per_page == engine.MAX_PER_PAGE
    assert result.total == len(CORPUS)


def test_pagination(built: SearchIndex) -> None:
    pages = [search(built, "", per_page=3, page=p) for p in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [3, 3, 1, 0]
    assert all(p.total == len(CORPUS) and p.pages == 3 for p in pages)
    seen = [i for p in pages for i in ids(p)]
    assert sorted(seen) == sorted(d.id for d in CORPUS)
    relevance = [search(built, "志愿者 OR 长者", per_page=1, page=p) for p in (1, 2, 3)]
    everything = ids(search(built, "志愿者 OR 长者", per_page=10))
    assert [i for p in relevance for i in ids(p)] == everything[:3]


def test_facets_count_the_whole_result_set_not_the_page(tmp_path: Path) -> None:
    documents = [
        doc(i, title=f"社区服务{i}", category=("elderly", "children", "culture")[i % 3],
            district=("鹿城区", "瓯海区")[i % 2], status=("published", "closed")[i % 5 == 0],
            raised=(i * 7919) % 130_000)
        for i in range(1, 41)
    ]  # fmt: skip
    index = build_index(tmp_path / "index", documents)
    result = search(index, "社区", per_page=5, visible_statuses=PUBLIC)
    assert result.total == 40 and len(result.hits) == 5

    def count(key) -> dict[str, int]:  # type: ignore[no-untyped-def]
        out: dict[str, int] = {}
        for d in documents:
            out[key(d)] = out.get(key(d), 0) + 1
        return out

    assert result.facets["category"] == count(lambda d: d.category)
    assert result.facets["district"] == count(lambda d: d.district)
    assert result.facets["status"] == count(lambda d: d.status)
    expected = count(lambda d: progress_bucket(d.raised, d.goal))
    assert result.facets["progress"] == expected
    assert list(result.facets["progress"]) == [b for b in PROGRESS_BUCKETS if b in expected]
    filtered = search(index, "社区", categories=("children",), per_page=2)
    assert (
        sum(filtered.facets["category"].values()) == filtered.total == count(lambda d: d.category)["children"]
    )


# --- query handling -----------------------------------------------------------------------------


def test_highlights_escape_html(index: SearchIndex) -> None:
    index.apply(
        [
            doc(
                1,
                title="<script>alert(1)</script> 助餐 & <b>",
                summary='"助餐" <img src=x onerror=alert(1)>',
                description="前言" * 80 + "长者助餐点<i>每天</i>开放" + "结语" * 80,
            )
        ]
    )
    hit = search(index, "助餐").hits[0]
    title = hit.highlights["title"]
    assert "<script>" not in title and "&lt;script&gt;alert(1)&lt;/script&gt;" in title
    assert "<mark>助餐</mark>" in title and "&amp; &lt;b&gt;" in title
    assert (
        "<img" not in hit.highlights["summary"]
        and "&quot;<mark>助餐</mark>&quot;" in hit.highlights["summary"]
    )
    snippet = hit.highlights["description"]
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>助餐" in snippet
    assert "&lt;i&gt;" in snippet and "<i>" not in snippet
    assert len(snippet) < 300


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        'AND OR NOT * ? ~ ^ : ( ) " [ ] { }',
        "title:助餐 AND NOT (敬老 OR *) ~2 ^3",
        "' OR 1=1 --",
        "'; DROP TABLE projects; --",
        '"',
        '"助餐',
        "“敬老",
        '""',
        "😀🎉",
        "的 了 和",
        "the of and",
        "\x00\n\t\r",
        "助餐" * 250,
        "x" * 500,
        "<script>alert(1)</script>",
        "%_\\",
        "ＡＢＣ１２３",
        "a" * 60,
        "zzzzzzzzzzzzzzzzzzzzz qqq",
    ],
)
def test_bad_input_never_raises(built: SearchIndex, text: str) -> None:
    result = search(built, text, visible_statuses=PUBLIC)
    assert result.total >= 0 and result.page == 1
    for hit in result.hits:
        assert "<script>" not in hit.highlights["title"]


def test_long_queries_are_cut_with_a_notice(built: SearchIndex) -> None:
    result = search(built, "助餐 " + "x" * 498)
    cut = [n for n in result.notices if n.msgid.startswith("搜索词过长")]
    assert len(cut) == 1 and str(MAX_QUERY_LENGTH) in cut[0]
    assert ids(result) == [1, 7]  # the cut query still searches (any-term fallback for the x-word)
    assert 1 in ids(search(built, "助餐 " * 100 + "敬老" * 100))  # 200 characters kept, no raise
    assert search(built, "助餐").notices == []


def test_empty_and_stop_word_queries_list_everything(built: SearchIndex) -> None:
    for text in ("", "的", "😀"):
        result = search(built, text, visible_statuses=PUBLIC)
        assert result.total == 6 and result.matched_all_terms and not result.notices


def test_syntax_is_text_and_only_balanced_quotes_make_phrases(built: SearchIndex) -> None:
    words = search(built, "助餐 AND NOT 敬老")  # "and" is a stop word, "not" a word found nowhere
    assert not words.matched_all_terms and {1, 4} <= set(ids(words))
    assert 1 in ids(search(built, "(助餐)"))
    assert 1 in ids(search(built, '"助餐'))  # lone quote: plain text
    assert 1 in ids(search(built, "title:助餐"))


def test_phrase_queries(built: SearchIndex) -> None:
    assert ids(search(built, '"四点钟课堂"')) == [2]  # 3 has 四点, 钟 and 课堂 apart
    assert ids(search(built, "“敬老助老”")) == [4]
    assert ids(search(built, '"垃圾分类"')) == [6]  # inside a description
    assert ids(search(built, '"分类垃圾"')) == []
    assert ids(search(built, '"钟楼 广场"')) == [3]


def test_single_characters_and_partial_tags(built: SearchIndex) -> None:
    assert 5 in ids(search(built, "书"))  # 读书 in a summary
    assert 5 in ids(search(built, "图书"))  # the tag 图书角
    assert 1 in ids(search(built, "餐"))


def test_synonyms_expand_both_ways(built: SearchIndex) -> None:
    assert 4 in ids(search(built, "长者"))  # 老人 in a summary
    assert 1 in ids(search(built, "老年人"))  # 长者


def test_pinyin(built: SearchIndex) -> None:
    for text in ("jinglao", "jing lao", "jl", "JingLao"):
        result = search(built, text)
        assert ids(result)[:1] == [4], text
        assert "<mark>敬老</mark>" in result.hits[0].highlights["title"]
    assert 1 in ids(search(built, "zhucan"))
    assert ids(search(built, "python")) == []  # English words stay English


def test_english_and_digits(index: SearchIndex) -> None:
    index.apply([doc(1, title="Python 编程营 2024", summary="AED 急救"), doc(2, title="编程")])
    assert ids(search(index, "python")) == [1]
    assert ids(search(index, "PYTHON 2024")) == [1]
    assert ids(search(index, "aed")) == [1]
    assert ids(search(index, "2025")) == []


def test_falls_back_to_any_term_with_a_notice(built: SearchIndex) -> None:
    result = search(built, "助餐 火星基地")
    assert not result.matched_all_terms
    assert ids(result)[0] == 1
    assert [n.msgid for n in result.notices] == ["没有同时包含所有关键词的项目，以下是包含部分关键词的结果"]
    complete = search(built, "助餐 长者")
    assert complete.matched_all_terms and not complete.notices


def test_did_you_mean(built: SearchIndex) -> None:
    typo = search(built, "zhucam")
    assert typo.total == 0 and typo.suggestion == "助餐"
    chinese = search(built, "敬佬")  # an unknown word: found as a whole nowhere, then 敬 alone
    assert not chinese.matched_all_terms and chinese.suggestion == "敬老"
    assert search(built, "敬佬 助老").suggestion == "敬老 助老"
    assert search(built, "助餐").suggestion is None
    assert search(built, "qqqqqqqq").suggestion is None


def test_grade_boost_is_off_unless_configured(tmp_path: Path) -> None:
    documents = [
        doc(1, title="助餐服务", grade_rank=5, created=NOW - timedelta(days=9)),
        doc(2, title="助餐服务", grade_rank=0, created=NOW - timedelta(days=1)),
    ]
    plain = build_index(tmp_path / "index", documents)
    assert ids(search(plain, "助餐")) == [2, 1]  # equal relevance: newest first
    boosted = SearchIndex(tmp_path / "index", grade_boost=0.05)
    assert ids(search(boosted, "助餐")) == [1, 2]
    assert search(boosted, "助餐").hits[0].score > search(plain, "助餐").hits[0].score


def test_large_result_ranking_matches_document_by_document_ranking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = ["助餐", "长者", "陪伴", "社区", "老人", "志愿者"]
    documents = [
        doc(
            i,
            title=f"{words[i % 6]}{words[i % 5]}项目",
            summary=f"{words[i % 4]}服务",
            description=f"{words[i % 3]}和{words[i % 7 % 6]}",
            tags=(words[i % 2],),
            grade_rank=i % 6,
            created=NOW - timedelta(hours=i % 50),
        )
        for i in range(1, 701)
    ]
    index = build_index(tmp_path / "index", documents, segment_docs=300)
    for boost in (0.0, 0.03):
        index.grade_boost = boost
        for text in ("助餐", "长者 陪伴", "社区 志愿者 助餐", "老人 火星"):
            for page in (1, 3):
                monkeypatch.setattr(engine, "SMALL_RESULT", 0)
                by_classes = search(index, text, per_page=20, page=page)
                monkeypatch.setattr(engine, "SMALL_RESULT", 10**9)
                by_documents = search(index, text, per_page=20, page=page)
                assert by_classes.total == by_documents.total > 100
                assert [(h.project_id, h.score) for h in by_classes.hits] == [
                    (h.project_id, h.score) for h in by_documents.hits
                ], (text, page, boost)


# --- availability -------------------------------------------------------------------------------


def test_missing_directory_is_unavailable(tmp_path: Path) -> None:
    missing = SearchIndex(tmp_path / "nothing-here")
    assert not missing.exists()
    with pytest.raises(IndexUnavailable):
        missing.search(SearchRequest(text="助餐"))
    with pytest.raises(IndexUnavailable):
        missing.apply([CORPUS[0]])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(IndexUnavailable):
        SearchIndex(empty).search(SearchRequest())


def test_corrupt_directory_is_unavailable(tmp_path: Path) -> None:
    index = build_index(tmp_path / "index", CORPUS[:3])
    tocs = list(index.directory.glob("*.toc"))
    assert tocs
    for toc in tocs:
        toc.write_bytes(b"\x00garbage\xff" * 10)
    fresh = SearchIndex(index.directory)
    assert not fresh.exists()
    with pytest.raises(IndexUnavailable):
        fresh.search(SearchRequest(text="助餐"))
    with pytest.raises(IndexUnavailable):
        fresh.versions()


def test_removed_directory_becomes_unavailable_for_a_reused_index(tmp_path: Path) -> None:
    index = build_index(tmp_path / "index", CORPUS[:2])
    assert search(index, "助餐").total == 1
    moved = tmp_path / "moved"
    index.directory.rename(moved)
    with pytest.raises(IndexUnavailable):
        search(index, "助餐")
    moved.rename(index.directory)
    assert search(index, "助餐").total == 1


def test_concurrent_searches_while_the_index_changes(index: SearchIndex) -> None:
    index.apply(CORPUS)
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(30):
                search(index, "助餐 长者")
                search(index, "", sort="newest")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    writer = SearchIndex(index.directory)
    for round_ in range(5):
        writer.apply([replace(CORPUS[0], title=f"长者助餐{round_}")], wait=True)
    for thread in threads:
        thread.join()
    assert errors == []
    assert search(index, "长者助餐4").total >= 1


def test_warm_up_keeps_the_jieba_cache_out_of_the_shared_tmp(tmp_path: Path) -> None:
    import jieba

    warm_up()
    cache_dir = Path(jieba.dt.tmp_dir)
    assert cache_dir != Path("/tmp") and cache_dir.is_dir()
    assert jieba.dt.cache_file != "jieba.cache"
    assert oct(cache_dir.stat().st_mode & 0o077) == "0o0"
    assert analysis.synonyms_of("自闭症") >= {"孤独症"}
    assert len(analysis.synonym_groups()) >= 40


def test_fast_segmentation_matches_jieba() -> None:
    import jieba

    warm_up()
    texts = [
        "青年志愿者在社区助餐点帮厨送餐上门并陪伴长者用餐聊天",
        "阿尔茨海默症家庭支持小组为认知症老人家属提供支持",
        "python3编程课2024年abc",
        "四点钟课堂和留守儿童周末陪伴以及生活垃圾分类宣传",
        "瓯绣非遗传承蓝夹缬楹联体验日吸引835名居民参加",
    ]
    for text in texts:
        assert analysis._cut_dag(text) == list(jieba.dt.cut(text, HMM=False)), text
