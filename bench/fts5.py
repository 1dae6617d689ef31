"""The peer the Whoosh engine is measured against: SQLite FTS5 over the same jieba text.

Each document is segmented once (jieba search mode, tokens joined by spaces) and stored in an FTS5
table with the `unicode61` tokenizer, which then only splits on the spaces. Filters, sorts and
pagination use ordinary columns of a plain table joined on rowid; ranking is bm25() with a title
boost; facets are one GROUP BY over the matching rows; queries are segmented with jieba too
(precise mode, every word required, synonyms OR-ed in, pinyin words matched against a column of
the pinyin of title and tag words and word pairs). Highlights mark the query words in the original
title, summary and description of the page's hits, as the Whoosh engine does.

Not a product module: it answers the same `SearchRequest` with the same `SearchResult` so the
benchmark can run one query list through both.
"""

from __future__ import annotations

import html
import multiprocessing
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice, pairwise
from pathlib import Path

import jieba
from pypinyin import lazy_pinyin

from marketplace.projects.states import ProjectStatus
from marketplace.search.types import (
    MAX_QUERY_LENGTH,
    PROGRESS_BUCKETS,
    ProjectDocument,
    SearchHit,
    SearchRequest,
    SearchResult,
    progress_bucket,
)
from marketplace.taxonomy.data import CATEGORIES, DISTRICTS

DATABASE = "fts5.sqlite3"
TEXT_COLUMNS = ("title", "summary", "description", "meta", "tags", "pinyin")
# bm25() weights in TEXT_COLUMNS order: the title counts most, then tags and summary.
WEIGHTS = (5.0, 2.0, 1.0, 1.0, 3.0, 2.0)
SYNONYMS = (
    ("老人", "长者", "老年人"),
    ("自闭症", "孤独症"),
    ("残疾", "残障", "残疾人", "残障人士"),
    ("环境保护", "环保"),
    ("科学普及", "科普"),
    ("孩子", "儿童", "小朋友"),
    ("义工", "志愿者"),
    ("敬老院", "养老院"),
)


def _synonym_groups() -> tuple[tuple[str, ...], ...]:
    """The engine's synonym groups when it ships them, so both engines expand the same words."""
    try:
        from marketplace.search.analysis import synonym_groups
    except ImportError:
        return SYNONYMS
    return tuple(tuple(sorted(group)) for group in synonym_groups()) or SYNONYMS


def _prepare_jieba() -> None:
    """The engine's jieba set-up when available (its synonym words added to the dictionary), so
    both engines cut the same words; plain jieba otherwise."""
    try:
        from marketplace.search.analysis import warm_up
    except ImportError:
        jieba.initialize()
        return
    warm_up()


SYNONYM_OF: dict[str, tuple[str, ...]] = {}
for _group in _synonym_groups():
    for _word in _group:
        SYNONYM_OF[_word] = tuple(dict.fromkeys((*SYNONYM_OF.get(_word, (_word,)), *_group)))
# The engine's orders: relevance ties go to the newest; closing soon lists open deadlines first
# (soonest first), then past ones (latest first); funding is by percentage, then amount.
ORDER_BY = {
    "relevance": "score, d.created DESC, d.id",
    "newest": "d.created DESC, d.id",
    "closing_soon": "d.deadline < '{now}', CASE WHEN d.deadline >= '{now}' THEN d.deadline END, "
    "d.deadline DESC, d.id",
    "most_funded": "d.progress DESC, d.raised DESC, d.id",
    "least_funded": "d.progress, d.raised, d.id",
}
_PINYIN = re.compile(r"^[a-z]+$")
_WORD = re.compile(r"\w", re.UNICODE)
CATEGORY_SLUGS = tuple(slug for slug, _, _ in CATEGORIES)
# Like the engine, the organization's name, the category's and the district's labels are searchable.
_LABELS = {slug: f"{zh} {en}" for slug, zh, en in CATEGORIES}
DISTRICT_NAMES = tuple(name for name, _ in DISTRICTS)
STATUSES = tuple(status.value for status in ProjectStatus)
# Facets are counted with one GROUP BY over a single integer that packs the four facet values:
# sorting one integer per match is ~3x cheaper than grouping by four text columns.
FACET_AXES = (
    ("category", CATEGORY_SLUGS),
    ("district", DISTRICT_NAMES),
    ("status", STATUSES),
    ("progress", PROGRESS_BUCKETS),
)
# The filter and sort columns live in a narrow table, the display text in another, so the join
# over every match reads small rows.
SCHEMA = """
CREATE TABLE docs (
    id INTEGER PRIMARY KEY, facet INTEGER NOT NULL,
    category TEXT NOT NULL, district TEXT NOT NULL, status TEXT NOT NULL, bucket TEXT NOT NULL,
    progress INTEGER NOT NULL, raised INTEGER NOT NULL, deadline TEXT NOT NULL, created TEXT NOT NULL,
    organization_id INTEGER NOT NULL, grade_rank INTEGER NOT NULL
);
CREATE TABLE texts (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, summary TEXT NOT NULL, description TEXT NOT NULL
);
CREATE VIRTUAL TABLE fts USING fts5(
    title, summary, description, meta, tags, pinyin, tokenize = 'unicode61'
);
"""
INDEXES = """
CREATE INDEX docs_status_created ON docs (status, created);
CREATE INDEX docs_status_deadline ON docs (status, deadline);
"""


@lru_cache(maxsize=200_000)
def _pinyin(word: str) -> str:
    return "".join(lazy_pinyin(word)) if not word.isascii() else ""


def _tokens(text: str) -> list[str]:
    # HMM off, as the engine: its new-word guesses depend on context, so a query word could be cut
    # otherwise than the same word inside a document.
    return [token for token in jieba.cut_for_search(text, HMM=False) if _WORD.search(token)]


def _pinyin_terms(texts: Iterable[str]) -> dict[str, None]:
    """Pinyin of every word and sub-word (search mode: 留守儿童 → liushou, ertong, liushouertong)
    and of every two adjacent words (图书 + 角 → tushujiao) of the title and the tags — the texts
    the engine indexes pinyin for."""
    terms: dict[str, None] = {}
    for text in texts:
        terms.update(dict.fromkeys(reading for reading in map(_pinyin, _tokens(text)) if reading))
        words = [token for token in jieba.cut(text, HMM=False) if _WORD.search(token)]
        readings = [_pinyin(word) for word in words]
        for first, second in pairwise(readings):
            if first and second:
                terms[first + second] = None
    return terms


def _facet_key(values: Sequence[str]) -> int:
    key = 0
    for (_, axis), value in zip(FACET_AXES, values, strict=True):
        key = key * len(axis) + axis.index(value)
    return key


def _facet_values(key: int) -> list[str]:
    values = []
    for _, axis in reversed(FACET_AXES):
        key, index = divmod(key, len(axis))
        values.append(axis[index])
    return values[::-1]


Rows = tuple[tuple[object, ...], tuple[object, ...], tuple[str, ...]]


def segment(document: ProjectDocument) -> Rows:
    """One document's rows: filter columns, display text, and the space-joined tokens."""
    title = _tokens(document.title)
    summary = _tokens(document.summary)
    tags = [token for tag in document.tags for token in _tokens(tag)]
    pinyin = _pinyin_terms((document.title, *document.tags))
    bucket = progress_bucket(document.raised, document.goal)
    values = (document.category, document.district, document.status, bucket)
    plain = (
        document.id,
        _facet_key(values),
        *values,
        document.progress,
        document.raised,
        document.deadline.isoformat(),
        document.created.isoformat(),
        document.organization_id,
        document.grade_rank,
    )
    texts = (document.id, document.title, document.summary, document.description)
    text = (
        " ".join(title),
        " ".join(summary),
        " ".join(_tokens(document.description)),
        " ".join(
            _tokens(f"{document.organization} {_LABELS.get(document.category, '')} {document.district}")
        ),
        " ".join(tags),
        " ".join(pinyin),
    )
    return plain, texts, text


def _segment_chunk(
    documents: Sequence[ProjectDocument],
) -> tuple[list[Rows], float]:
    started = time.process_time()
    rows = [segment(document) for document in documents]
    return rows, time.process_time() - started


def _chunks(documents: Iterable[ProjectDocument], size: int) -> Iterator[list[ProjectDocument]]:
    iterator = iter(documents)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class BuildStats:
    documents: int
    seconds: float
    segment_cpu_seconds: float  # jieba + pinyin, summed over the worker processes


def build(
    directory: Path, documents: Iterable[ProjectDocument], *, procs: int = 1, chunk_size: int = 500
) -> BuildStats:
    """Segment in `procs` processes (fork), insert in this one, then merge the FTS5 segments."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / DATABASE
    path.unlink(missing_ok=True)
    _prepare_jieba()  # load the dictionary once, before forking, so the workers share it
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    connection.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + SCHEMA)
    count, cpu = 0, 0.0
    pool = multiprocessing.get_context("fork").Pool(procs) if procs > 1 else None
    try:
        chunks = _chunks(documents, chunk_size)
        results = pool.imap(_segment_chunk, chunks) if pool else map(_segment_chunk, chunks)
        with connection:
            for rows, seconds in results:
                cpu += seconds
                connection.executemany(
                    f"INSERT INTO docs VALUES ({', '.join('?' * 12)})", [r[0] for r in rows]
                )
                connection.executemany("INSERT INTO texts VALUES (?, ?, ?, ?)", [r[1] for r in rows])
                connection.executemany(
                    "INSERT INTO fts (rowid, title, summary, description, meta, tags, pinyin) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(plain[0], *text) for plain, _, text in rows],
                )
                count += len(rows)
    finally:
        if pool:
            pool.close()
            pool.join()
    with connection:
        connection.executescript(INDEXES)
        connection.execute("INSERT INTO fts (fts) VALUES ('optimize')")
    connection.execute("VACUUM")
    connection.close()
    return BuildStats(count, time.perf_counter() - started, cpu)


@dataclass(frozen=True)
class _Query:
    match: str  # the FTS5 expression
    words: tuple[str, ...]  # what to highlight


def _group(word: str) -> str:
    if _PINYIN.match(word):
        return f'pinyin : "{word}"'
    options = SYNONYM_OF.get(word, (word,))
    quoted = [f'"{option}"' for option in options]
    return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"


def parse(text: str, *, any_word: bool = False) -> _Query | None:
    words: list[str] = []
    for part in text[:MAX_QUERY_LENGTH].lower().replace('"', " ").split():
        if part.isascii():
            words.extend(re.findall(r"[a-z0-9]+", part))
        else:
            words.extend(token for token in jieba.cut(part, HMM=False) if _WORD.search(token))
    words = list(dict.fromkeys(words))
    if not words:
        return None
    groups = [_group(word) for word in words]
    shown = tuple(option for word in words for option in SYNONYM_OF.get(word, (word,)))
    return _Query((" OR " if any_word else " AND ").join(groups), shown)


def _highlight(text: str, pattern: re.Pattern[str] | None, limit: int | None = None) -> str | None:
    match = pattern.search(text) if pattern else None
    if match is None:
        return None
    if limit and len(text) > limit:
        start = max(0, match.start() - limit // 3)
        text = ("…" if start else "") + text[start : start + limit] + "…"
    out, last = [], 0
    for found in pattern.finditer(text):  # type: ignore[union-attr]
        out.append(html.escape(text[last : found.start()]))
        out.append(f"<mark>{html.escape(found.group())}</mark>")
        last = found.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


class Fts5Index:
    def __init__(self, directory: Path):
        _prepare_jieba()
        self.connection = sqlite3.connect(
            f"file:{directory / DATABASE}?mode=ro", uri=True, check_same_thread=False
        )
        self.connection.executescript("PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -131072;")

    def doc_count(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM docs").fetchone()[0])

    def close(self) -> None:
        self.connection.close()

    def _filters(self, request: SearchRequest) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []

        def any_of(column: str, values: Iterable[str]) -> None:
            values = list(values)
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)

        statuses = set(request.statuses or ())
        if request.visible_statuses is not None:
            statuses = statuses & request.visible_statuses if statuses else set(request.visible_statuses)
        if statuses or request.statuses:
            any_of("d.status", sorted(statuses))
        if request.categories:
            any_of("d.category", request.categories)
        if request.districts:
            any_of("d.district", request.districts)
        if request.progress:
            any_of("d.bucket", (request.progress,))
        if request.organization_id is not None:
            clauses.append("d.organization_id = ?")
            params.append(request.organization_id)
        return "".join(f" AND {clause}" for clause in clauses), params

    def _run(self, request: SearchRequest, query: _Query | None) -> SearchResult:
        where, params = self._filters(request)
        if query is None:
            source, score, match = "docs d", "0.0", "1"
        else:
            source = "fts CROSS JOIN docs d ON d.id = fts.rowid"  # CROSS: always drive from the matches
            score = f"bm25(fts, {', '.join(map(str, WEIGHTS))})"
            match = "fts MATCH ?"
            params = [query.match, *params]
        facets: dict[str, dict[str, int]] = {name: {} for name, _ in FACET_AXES}
        total = 0
        rows = self.connection.execute(
            f"SELECT d.facet, count(*) FROM {source} WHERE {match}{where} GROUP BY 1", params
        )
        for key, n in rows:
            total += n
            for (name, _), value in zip(FACET_AXES, _facet_values(key), strict=True):
                facets[name][value] = facets[name].get(value, 0) + n
        offset = (request.page - 1) * request.per_page
        sort = request.sort if request.sort in ORDER_BY else "relevance"
        if sort == "relevance" and query is None:
            sort = "newest"
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        order = ORDER_BY[sort].replace("{now}", now)
        page = self.connection.execute(
            f"SELECT d.id, {score} AS score FROM {source} WHERE {match}{where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, request.per_page, offset],
        ).fetchall()
        marks = ", ".join("?" * len(page))
        texts = {
            row[0]: row[1:]
            for row in self.connection.execute(
                f"SELECT id, title, summary, description FROM texts WHERE id IN ({marks})",
                [project_id for project_id, _ in page],
            )
        }
        words = sorted(query.words, key=len, reverse=True) if query else []
        pattern = re.compile("|".join(map(re.escape, words))) if words else None
        hits = []
        for project_id, value in page:
            title, summary, description = texts[project_id]
            marked = {
                "title": _highlight(title, pattern),
                "summary": _highlight(summary, pattern),
                "description": _highlight(description, pattern, limit=120),
            }
            hits.append(
                SearchHit(project_id, -float(value), {k: v for k, v in marked.items() if v is not None})
            )
        return SearchResult(hits, total, request.page, request.per_page, facets)

    def search(self, request: SearchRequest) -> SearchResult:
        query = parse(request.text)
        result = self._run(request, query)
        if result.total == 0 and query is not None and " AND " in query.match:
            # Like the engine: when no project has every word, show those with any of them.
            result = self._run(request, parse(request.text, any_word=True))
            result.matched_all_terms = False
        return result
