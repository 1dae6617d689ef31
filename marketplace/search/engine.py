"""The project search engine: a Whoosh index on local disk, queried through cached document bitsets.

Whoosh stores the postings, stored fields, columns and segments and provides the writer lock.
Queries do not go through Whoosh's query parser or scorer: each query word becomes an OR of
alternatives (word fields, synonyms, character grams, pinyin; see ``query.py``) and every
alternative is a bitset of document numbers (a Python int), read once from the postings of a
segment and cached per segment (segments never change, only gain deletions). The match set, its
total and the facet counts are then a few big-int ANDs and ``bit_count()``s, whatever the number
of hits; only the shown page's stored fields are loaded.

Relevance: a document's score is the sum over the query terms of the best field weight the term
reached in it (title 10 > tags 8 > pinyin 6 > summary 5 > organization/category/district 4 >
description 3 > character grams 2; synonyms × 0.7), times an optional grade boost; ties go to the
newest project. The top of that order is found by splitting the match set into score classes (bitset
ANDs, see ``_rank_classes``) instead of scoring every matching document.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import heapq
import html
import logging
import multiprocessing
import os
import re
import shutil
import threading
import time
import unicodedata
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from queue import Empty, Full
from typing import Any

from whoosh import columns as whoosh_columns
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import TOC
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import Phrase
from whoosh.reading import TermNotFound
from whoosh.system import pack_ushort
from whoosh.util.filelock import try_for
from whoosh.writing import SegmentWriter

from marketplace.messages import Msg
from marketplace.search import analysis
from marketplace.search.query import Alt, Plan, Term, build_plan
from marketplace.search.schema import (
    FACET_FIELDS,
    PACK,
    PINYIN_FIELD,
    SCHEMA_VERSION,
    CompactPool,
    IndexCodec,
    document_fields,
    make_schema,
)
from marketplace.search.types import (
    MAX_QUERY_LENGTH,
    PROGRESS_BUCKETS,
    SORTS,
    ProjectDocument,
    SearchHit,
    SearchRequest,
    SearchResult,
)

__all__ = ["IndexBusy", "IndexUnavailable", "SearchIndex", "build_index", "warm_up"]

log = logging.getLogger(__name__)

_INDEX_NAME = "MAIN"  # Whoosh's default index name
APPLIED_FILE = "applied_through"
VERSION_FILE = "schema_version"
WRITE_WAIT_SECONDS = 30.0
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
SEGMENT_MASK_CACHE = 4096  # cached bitsets per segment (≤ 12.5 KB each at 100k documents)
GLOBAL_MASK_CACHE = 2048
SMALL_RESULT = 500  # rank result sets up to this size document by document
# Whoosh checks phrase positions document by document (~0.1 ms each): an implicit phrase (a long
# word's pieces in the description) is skipped above this many candidate documents, a quoted one
# above the second limit.
PHRASE_CANDIDATES = 2_000
QUOTED_PHRASE_CANDIDATES = 20_000
INLINE_POSTINGS = 4  # terms in at most this many documents of a segment keep their postings inline
SNIPPET_CHARS = 120
SNIPPET_LEAD = 30


class IndexBusy(Exception):
    """Another writer holds the index lock."""


class IndexUnavailable(Exception):
    """The index directory is missing, corrupt or from another schema version."""


def warm_up(cache_dir: Path | None = None) -> None:
    """Initialise jieba (cache file in a directory the app owns) and pypinyin once per process."""
    analysis.warm_up(cache_dir)


# --- bitsets -------------------------------------------------------------------------------------

_BIT = tuple(1 << i for i in range(8))
_BITS_OF = tuple(tuple(i for i in range(8) if v >> i & 1) for v in range(256))
_NONZERO = re.compile(rb"[^\x00]")


def _mask_of(ids: Iterable[int], n: int) -> int:
    data = bytearray((n >> 3) + 1)
    for i in ids:
        data[i >> 3] |= _BIT[i & 7]
    return int.from_bytes(data, "little")


def _docs_of(mask: int) -> list[int]:
    """The set bits of a bitset, ascending."""
    if not mask:
        return []
    data = mask.to_bytes((mask.bit_length() + 7) >> 3, "little")
    out: list[int] = []
    extend = out.extend
    for match in _NONZERO.finditer(data):
        i = match.start()
        base = i << 3
        extend(base + bit for bit in _BITS_OF[data[i]])
    return out


def _has(data: bytes, doc: int) -> bool:
    return bool(data[doc >> 3] >> (doc & 7) & 1)


# --- per-segment and per-generation caches -------------------------------------------------------


class _Pack:
    """Bulk-decoded per-document numbers of one segment."""

    __slots__ = ("created", "deadline", "grade", "ids", "progress", "raised", "versions")

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.ids = [r[0] for r in rows]
        self.created = [r[1] for r in rows]
        self.deadline = [r[2] for r in rows]
        self.raised = [r[3] for r in rows]
        self.progress = [r[3] * 100 // r[4] if r[4] > 0 else 0 for r in rows]
        self.grade = [r[5] for r in rows]
        self.versions = [r[6].hex() for r in rows]

    def version_at(self, local: int) -> str:
        """The document's ProjectDocument.version: its content fingerprint, then the amount raised."""
        return f"{self.versions[local]}:{self.raised[local]}"


def _refreshed_searcher(ix: Any, old: Any) -> tuple[Any, list[Any]]:
    """A searcher over the index's latest generation that keeps the opened readers of the segments
    it still has, and the readers it no longer needs (to close once it is in use). Opening every
    segment again read each one's term index anew at every generation: with the indexer committing
    every 2 s under load, that was the largest single cost of a search."""
    from whoosh.reading import EmptyReader, MultiReader, SegmentReader
    from whoosh.searching import Searcher

    toc = ix._read_toc()
    opened = {
        reader.segment().segment_id(): reader
        for reader, _ in old.reader().leaf_readers()
        if isinstance(reader, SegmentReader)
    }
    readers = []
    for segment in toc.segments:
        previous = opened.pop(segment.segment_id(), None)
        if previous is None:
            readers.append(SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation))
        else:
            readers.append(_with_segment(previous, segment, toc.generation))
    if not readers:
        reader = EmptyReader(toc.schema)
    elif len(readers) == 1:
        reader = readers[0]
    else:
        reader = MultiReader(readers, generation=toc.generation)
    return Searcher(reader, fromindex=ix), list(opened.values())


def _with_segment(reader: Any, segment: Any, generation: int) -> Any:
    """``reader``'s open files, seen through the segment as the new generation records it: the same
    files, perhaps more deleted documents. Whoosh's reader and its per-document reader both ask the
    segment object which documents are deleted, so both get the new one."""
    fresh = copy.copy(reader)
    fresh.__dict__.pop("deleted_docs_set", None)  # a cached_property of the old deletions
    fresh._segment = segment
    fresh._gen = generation
    perdoc = copy.copy(reader._perdoc)
    perdoc._segment = segment
    fresh._perdoc = perdoc
    return fresh


class _SegmentCache:
    """Everything derived from one immutable segment (deleted documents included: the live mask
    of the generation removes them)."""

    def __init__(self, segid: str, n: int) -> None:
        self.segid = segid
        self.n = n
        self.masks: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        self.facets: dict[str, dict[str, int]] = {}
        self.pack: _Pack | None = None
        self.orders: dict[str, list[int]] = {}
        self.deadline_sorted: list[int] = []
        self.deadline_desc_negated: list[int] = []
        self.grades: dict[int, int] | None = None

    def mask(self, key: tuple[Any, ...], compute: Callable[[], int]) -> int:
        value = self.masks.get(key)
        if value is None:
            value = compute()
            self.masks[key] = value
            if len(self.masks) > SEGMENT_MASK_CACHE:
                self.masks.popitem(last=False)
        else:
            self.masks.move_to_end(key)
        return value


def _posting_ids(reader: Any, field: str, token: str) -> list[int]:
    try:
        matcher = reader.postings(field, token)
    except (TermNotFound, KeyError):
        return []
    while isinstance(matcher, FilterMatcher):  # deleted documents are handled by the live mask
        matcher = matcher.child
    ids: list[int] = []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        # Whoosh 2.7 W3LeafMatcher: take each block's id array at once.
        try:
            while matcher.is_active():
                matcher._read_ids()
                ids.extend(matcher._ids)
                matcher._next_block()
            return ids
        except Exception:  # an unexpected codec: fall back to the public iterator
            matcher = reader.postings(field, token)
            ids = []
    ids.extend(matcher.all_ids())
    return ids


def _read_pack(reader: Any, n: int) -> _Pack:
    size = PACK.size
    try:
        creader = reader.column_reader("pack", translate=False)
    except Exception:
        creader = None
    raw = b""
    if isinstance(creader, whoosh_columns.FixedBytesColumn.Reader):
        count = min(getattr(creader, "_count", 0), n)
        try:
            raw = creader._dbfile.get(creader._basepos, count * size)
        except Exception:
            raw = b"".join(creader[i] for i in range(count))
    elif creader is not None:
        raw = b"".join(bytes(creader[i]) for i in range(n))
    raw = raw[: n * size].ljust(n * size, b"\0")
    return _Pack(list(PACK.iter_unpack(raw)) if n else [])


_ORDER_KEYS: dict[str, Callable[[_Pack, int], tuple[int, ...]]] = {
    "newest": lambda p, i: (-p.created[i], -p.ids[i]),
    "deadline_asc": lambda p, i: (p.deadline[i], -p.created[i], -p.ids[i]),
    "deadline_desc": lambda p, i: (-p.deadline[i], -p.created[i], -p.ids[i]),
    "most_funded": lambda p, i: (-p.progress[i], -p.raised[i], -p.created[i], -p.ids[i]),
    "least_funded": lambda p, i: (p.progress[i], p.raised[i], -p.created[i], -p.ids[i]),
}


class _Generation:
    """One opened searcher (index generation) with its composed global bitsets."""

    def __init__(self, searcher: Any, caches: dict[str, _SegmentCache]) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.generation = self.reader.generation()
        self.n_all = self.reader.doc_count_all()
        self.leaves: list[tuple[_SegmentCache, Any, int]] = []
        self.offsets: list[int] = []
        live = 0
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            n = reader.doc_count_all()
            segment = reader.segment() if hasattr(reader, "segment") else None
            segid = segment.segment_id() if segment is not None else f"anonymous-{id(reader)}"
            cache = caches.get(segid)
            if cache is None or cache.n != n:
                cache = caches[segid] = _SegmentCache(segid, n)
            self.leaves.append((cache, sub, offset))
            self.offsets.append(offset)
            seg_live = (1 << n) - 1
            if n and reader.has_deletions():
                deleted = getattr(reader, "deleted_docs_set", None)
                if deleted is None:
                    deleted = [d for d in range(n) if reader.is_deleted(d)]
                seg_live &= ~_mask_of(deleted, n)
            live |= seg_live << offset
        self.live = live
        self.nbytes = (self.n_all >> 3) + 1
        self.masks: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        self.facet_masks: dict[str, dict[str, int]] = {}
        self.grade_masks: dict[int, int] | None = None

    # global bitsets composed from the segments' cached ones
    def compose(self, key: tuple[Any, ...], compute: Callable[[_SegmentCache, Any], int]) -> int:
        value = self.masks.get(key)
        if value is not None:
            self.masks.move_to_end(key)
            return value
        value = 0
        for cache, sub, offset in self.leaves:
            seg_value = cache.mask(key, lambda cache=cache, sub=sub: compute(cache, sub))
            if seg_value:
                value |= seg_value << offset
        self.masks[key] = value
        if len(self.masks) > GLOBAL_MASK_CACHE:
            self.masks.popitem(last=False)
        return value

    def term(self, field: str, token: str) -> int:
        def compute(cache: _SegmentCache, sub: Any) -> int:
            ids = _posting_ids(sub.reader(), field, token)
            return _mask_of(ids, cache.n) if ids else 0

        return self.compose(("t", field, token), compute)

    def phrase(self, field: str, words: tuple[str, ...]) -> int:
        def compute(cache: _SegmentCache, sub: Any) -> int:
            ids = list(Phrase(field, list(words)).docs(sub))
            return _mask_of(ids, cache.n) if ids else 0

        return self.compose(("p", field, words), compute)

    def facet(self, field: str) -> dict[str, int]:
        masks = self.facet_masks.get(field)
        if masks is not None:
            return masks
        merged: dict[str, int] = {}
        for cache, sub, offset in self.leaves:
            seg_masks = cache.facets.get(field)
            if seg_masks is None:
                reader = sub.reader()
                seg_masks = {}
                for btext in reader.lexicon(field):
                    value = btext.decode("utf-8") if isinstance(btext, bytes) else str(btext)
                    ids = _posting_ids(reader, field, value)
                    if ids:
                        seg_masks[value] = _mask_of(ids, cache.n)
                cache.facets[field] = seg_masks
            for value, seg_mask in seg_masks.items():
                merged[value] = merged.get(value, 0) | seg_mask << offset
        live = self.live
        masks = {value: m & live for value, m in merged.items() if m & live}
        self.facet_masks[field] = masks
        return masks

    def pack(self, cache: _SegmentCache, sub: Any) -> _Pack:
        if cache.pack is None:
            cache.pack = _read_pack(sub.reader(), cache.n)
        return cache.pack

    def grades(self) -> dict[int, int]:
        if self.grade_masks is None:
            merged: dict[int, int] = {}
            for cache, sub, offset in self.leaves:
                if cache.grades is None:
                    by_grade: dict[int, list[int]] = {}
                    for local, grade in enumerate(self.pack(cache, sub).grade):
                        by_grade.setdefault(grade, []).append(local)
                    cache.grades = {g: _mask_of(ids, cache.n) for g, ids in by_grade.items()}
                for grade, m in cache.grades.items():
                    merged[grade] = merged.get(grade, 0) | m << offset
            self.grade_masks = merged
        return self.grade_masks

    def locate(self, doc: int) -> tuple[_SegmentCache, Any, int]:
        i = bisect.bisect_right(self.offsets, doc) - 1
        cache, sub, offset = self.leaves[i]
        return cache, sub, doc - offset

    # sorting: every order ends with "newest first" (created, then project id, descending) so
    # that ties do not depend on how documents happen to be spread over segments
    def order(self, cache: _SegmentCache, sub: Any, kind: str) -> list[int]:
        order = cache.orders.get(kind)
        if order is None:
            p = self.pack(cache, sub)
            key = _ORDER_KEYS[kind]
            order = cache.orders[kind] = sorted(range(cache.n), key=lambda i: key(p, i))
            if kind == "deadline_asc":
                cache.deadline_sorted = [p.deadline[i] for i in order]
            elif kind == "deadline_desc":
                cache.deadline_desc_negated = [-p.deadline[i] for i in order]
        return order

    def sort_key(self, kind: str, doc: int, now: int) -> tuple[int, ...]:
        cache, sub, local = self.locate(doc)
        p = self.pack(cache, sub)
        if kind == "closing_soon":
            deadline = p.deadline[local]
            if deadline >= now:
                return (0, *_ORDER_KEYS["deadline_asc"](p, local), doc)
            return (1, *_ORDER_KEYS["deadline_desc"](p, local), doc)
        return (*_ORDER_KEYS[kind](p, local), doc)

    def newest_key(self, doc: int) -> tuple[int, int]:
        cache, sub, local = self.locate(doc)
        p = self.pack(cache, sub)
        return (-p.created[local], -p.ids[local])

    def grade(self, doc: int) -> int:
        cache, sub, local = self.locate(doc)
        return self.pack(cache, sub).grade[local]

    def walk(self, kind: str, data: bytes, now: int) -> Iterator[tuple[tuple[int, ...], int]]:
        """Documents of the bitset ``data`` in ``kind`` order (lazy merge of the segments)."""
        streams = [
            self._walk_segment(kind, cache, sub, offset, data, now) for cache, sub, offset in self.leaves
        ]
        return heapq.merge(*streams)

    def _walk_segment(
        self, kind: str, cache: _SegmentCache, sub: Any, offset: int, data: bytes, now: int
    ) -> Iterator[tuple[tuple[int, ...], int]]:
        p = self.pack(cache, sub)
        if kind == "closing_soon":
            ascending = self.order(cache, sub, "deadline_asc")
            descending = self.order(cache, sub, "deadline_desc")
            parts = (
                (0, "deadline_asc", ascending[bisect.bisect_left(cache.deadline_sorted, now) :]),
                (1, "deadline_desc", descending[bisect.bisect_right(cache.deadline_desc_negated, -now) :]),
            )
            for rank, name, locals_ in parts:
                key = _ORDER_KEYS[name]
                for local in locals_:
                    doc = offset + local
                    if data[doc >> 3] >> (doc & 7) & 1:
                        yield (rank, *key(p, local), doc), doc
            return
        key = _ORDER_KEYS[kind]
        for local in self.order(cache, sub, kind):
            doc = offset + local
            if data[doc >> 3] >> (doc & 7) & 1:
                yield (*key(p, local), doc), doc

    def select_sorted(self, kind: str, mask: int, count: int, limit: int) -> list[int]:
        """The first ``limit`` documents of ``mask`` in ``kind`` order."""
        if limit <= 0 or not mask:
            return []
        now = int(time.time())
        if count <= 2000 or count * 16 < self.n_all:
            docs = _docs_of(mask)
            return [d for _, d in heapq.nsmallest(limit, ((self.sort_key(kind, d, now), d) for d in docs))]
        data = mask.to_bytes(self.nbytes, "little")
        return [doc for _, doc in islice(self.walk(kind, data, now), limit)]


# --- highlighting --------------------------------------------------------------------------------


def _normalized_with_map(text: str) -> tuple[str, list[int] | None]:
    """The text as the analyser sees it (NFKC, lower case) and, when lengths differ, the index of
    the original character behind each normalised one."""
    norm = text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)
    lowered = norm.lower()
    if len(lowered) == len(text):  # full-width punctuation and letters map one to one
        return lowered, None
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch).lower()
        chars.append(norm)
        index.extend([i] * len(norm))
    return "".join(chars), index


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    if not text or not needles:
        return []
    if all(analysis.is_cjk(n) for n in needles):  # Chinese needles: no case or width to fold
        norm, index = text, None
    else:
        norm, index = _normalized_with_map(text)
    covered = bytearray(len(norm))
    spans: list[tuple[int, int]] = []
    for needle in sorted({n for n in needles if n}, key=len, reverse=True):
        whole_word = needle.isascii()
        start = 0
        while True:
            i = norm.find(needle, start)
            if i < 0:
                break
            j = i + len(needle)
            start = i + 1
            if whole_word and (
                (i > 0 and _is_word_char(norm[i - 1])) or (j < len(norm) and _is_word_char(norm[j]))
            ):
                continue
            if any(covered[i:j]):
                continue
            covered[i:j] = b"\x01" * (j - i)
            spans.append((i, j))
    if index is not None:
        spans = [(index[a], index[b - 1] + 1) for a, b in spans]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _render(text: str, spans: list[tuple[int, int]], lo: int = 0, hi: int | None = None) -> str:
    hi = len(text) if hi is None else hi
    out: list[str] = []
    pos = lo
    for a, b in spans:
        if b <= lo or a >= hi:
            continue
        a, b = max(a, lo), min(b, hi)
        out.append(html.escape(text[pos:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:hi]))
    return "".join(out)


def highlight(text: str, needles: list[str]) -> str:
    """The whole text, HTML-escaped, with <mark> around the needles."""
    text = text or ""
    return _render(text, _spans(text, needles))


def snippet(text: str, needles: list[str], width: int = SNIPPET_CHARS) -> str | None:
    """About ``width`` characters around the first match, escaped and marked; None without match."""
    text = text or ""
    spans = _spans(text, needles)
    if not spans:
        return None
    lo = max(0, spans[0][0] - SNIPPET_LEAD)
    hi = min(len(text), lo + width)
    lo = max(0, min(lo, hi - width))
    body = _render(text, spans, lo, hi)
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


# --- the index -----------------------------------------------------------------------------------


def _fallback_notice() -> Msg:
    return Msg("没有同时包含所有关键词的项目，以下是包含部分关键词的结果")


def _cut_notice() -> Msg:
    return Msg("搜索词过长，只搜索了前 %(limit)d 个字", limit=MAX_QUERY_LENGTH)


def _clean_request(request: SearchRequest) -> SearchRequest:
    def as_int(value: object, default: int, lo: int, hi: int) -> int:
        try:
            number = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError, OverflowError):
            return default
        return min(max(number, lo), hi)

    def strings(values: object) -> tuple[str, ...]:
        if values is None:
            return ()
        if isinstance(values, str):
            values = (values,)
        try:
            return tuple(str(v) for v in values if v is not None and str(v) != "")  # type: ignore[union-attr]
        except TypeError:
            return ()

    text = request.text
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    visible = request.visible_statuses
    org = request.organization_id
    try:
        org = int(org) if org is not None else None
    except (TypeError, ValueError):
        org = -1  # matches nothing
    return SearchRequest(
        text=text,
        categories=strings(request.categories),
        districts=strings(request.districts),
        statuses=strings(request.statuses),
        visible_statuses=frozenset(strings(visible)) if visible is not None else None,
        progress=request.progress if request.progress in PROGRESS_BUCKETS else None,
        organization_id=org,
        sort=request.sort if request.sort in SORTS else "relevance",
        page=as_int(request.page, 1, 1, MAX_PAGE),
        per_page=as_int(request.per_page, 12, 1, MAX_PER_PAGE),
    )


class SearchIndex:
    """One index directory. Safe to share between the threads of a web process (one reused
    searcher, refreshed when the index changed); only one process writes at a time (file lock)."""

    def __init__(self, directory: Path, *, grade_boost: float = 0.0) -> None:
        self.directory = Path(directory)
        # Multiplicative relevance boost per grade rank (0 = off): score × (1 + boost × rank).
        self.grade_boost = float(grade_boost or 0.0)
        self._lock = threading.RLock()
        self._ix: Any = None
        self._ident: tuple[int, int] | None = None
        self._gen: _Generation | None = None
        self._segments: dict[str, _SegmentCache] = {}
        # Size and mtime of the open generation's segment files. Whoosh never rewrites a segment
        # file in place, so a change means the file was damaged under us (see _check_files).
        self._files: dict[str, tuple[int, int]] = {}
        self._damaged: str | None = None

    # ---- lifecycle
    @classmethod
    def create(cls, directory: Path, **kwargs: Any) -> SearchIndex:
        """A new empty index in ``directory`` (created if needed; an existing non-empty directory is
        refused rather than wiped)."""
        directory = Path(directory)
        if directory.exists() and any(directory.iterdir()):
            raise FileExistsError(f"{directory} is not empty")
        directory.mkdir(parents=True, exist_ok=True)
        FileStorage(str(directory)).create_index(make_schema())
        _write_atomic(directory / VERSION_FILE, str(SCHEMA_VERSION))
        _write_atomic(directory / APPLIED_FILE, "0")
        return cls(directory, **kwargs)

    def exists(self) -> bool:
        """True when the directory holds a readable index of this schema version."""
        try:
            self._open_ix()
        except IndexUnavailable:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._gen is not None:
            with contextlib.suppress(Exception):
                self._gen.searcher.close()
        self._gen = None
        self._ix = None
        self._ident = None
        self._segments.clear()
        self._files = {}

    def _open_ix(self) -> Any:
        directory = self.directory
        if not directory.is_dir():
            raise IndexUnavailable(f"no search index at {directory}")
        try:
            version = (directory / VERSION_FILE).read_text().strip()
        except OSError:
            raise IndexUnavailable(f"{directory} is not a search index (no {VERSION_FILE})")
        if version != str(SCHEMA_VERSION):
            raise IndexUnavailable(f"search index {directory} has schema {version}, need {SCHEMA_VERSION}")
        try:
            _check_toc(directory)
            ix = FileStorage(str(directory)).open_index()
            names = set(ix.schema.names())
        except Exception as exc:
            raise IndexUnavailable(f"cannot open search index {directory}: {exc!r}")
        if not set(make_schema().names()) <= names:
            raise IndexUnavailable(f"search index {directory} has other fields; reindex")
        return ix

    def _current(self) -> _Generation:
        """The generation to search, reopened or refreshed when the index changed (a stat and a
        directory listing per call, and a stat of each open segment file)."""
        if self._damaged is not None:
            # Stays unavailable: the service answers from the database and rebuilds elsewhere.
            raise IndexUnavailable(self._damaged)
        try:
            st = os.stat(self.directory)
        except OSError:
            self._drop()
            raise IndexUnavailable(f"no search index at {self.directory}")
        ident = (st.st_dev, st.st_ino)
        if self._gen is None or ident != self._ident:
            return self._reopen(ident)
        try:
            latest = self._ix.latest_generation()
        except Exception as exc:
            self._drop()
            raise IndexUnavailable(f"cannot read search index {self.directory}: {exc!r}")
        if latest != self._gen.generation:
            # Not ``searcher.refresh()``: Whoosh 2.7 reuses the reader of a segment that gained
            # deletions and would keep showing the deleted documents. Everything the engine caches
            # per segment stays (segments never change, only their deletions do).
            old = self._gen.searcher
            try:
                searcher, closing = _refreshed_searcher(self._ix, old)
            except Exception:
                self._drop()
                self._ix = self._open_ix()
                self._ident = ident
                searcher, closing = self._open_searcher(), [old]
            self._set_searcher(searcher)
            for reader in closing:
                with contextlib.suppress(Exception):
                    reader.close()
        elif not self._files_intact():
            return self._reopen(ident)
        assert self._gen is not None
        return self._gen

    def _reopen(self, ident: tuple[int, int]) -> _Generation:
        self._drop()
        self._ix = self._open_ix()
        self._ident = ident
        self._set_searcher(self._open_searcher())
        assert self._gen is not None
        return self._gen

    def _open_searcher(self) -> Any:
        """A searcher over the opened index; a damaged segment file (truncated, garbled) fails
        here with whatever Whoosh's unpickling or struct reading raises."""
        try:
            return self._ix.searcher()
        except Exception as exc:
            self._drop()
            raise IndexUnavailable(f"cannot open the segments of search index {self.directory}: {exc!r}")

    def _files_intact(self) -> bool:
        """Notice a segment file that changed in place (truncated or overwritten), which cached
        readers would otherwise keep answering from until they hit the damage — and, for a file
        truncated under Whoosh's mmap, a read past its new end kills the process with SIGBUS.
        Checked before every search, so only a truncation during one search can still do that.
        False when a file is gone (a writer merged segments just now): reopen."""
        for name, (size, mtime) in self._files.items():
            try:
                st = os.stat(self.directory / name)
            except FileNotFoundError:
                return False
            if (st.st_size, st.st_mtime_ns) != (size, mtime):
                self._damaged = f"search index {self.directory} is damaged: {name} changed on disk"
                log.error("%s; answering from the database until it is rebuilt", self._damaged)
                self._drop()
                raise IndexUnavailable(self._damaged)
        return True

    def _set_searcher(self, searcher: Any) -> None:
        if self._gen is not None and self._gen.searcher is searcher:
            return
        gen = _Generation(searcher, self._segments)
        alive = {cache.segid for cache, _, _ in gen.leaves}
        for segid in list(self._segments):
            if segid not in alive:
                del self._segments[segid]
        self._gen = gen
        self._files = _segment_files(self.directory, alive)

    def refresh(self) -> None:
        """Reopen the reused searcher if the index changed on disk."""
        with self._lock:
            self._current()

    # ---- writing
    def writer(self, timeout: float = 0.0) -> Any:
        """A raw Whoosh writer holding the index write lock (for tests and maintenance)."""
        return self._open_ix().writer(timeout=timeout)

    def apply(
        self,
        upserts: Iterable[ProjectDocument],
        deletes: Iterable[int] = (),
        *,
        applied_through: int | None = None,
        wait: bool = False,
    ) -> None:
        """One writer commit: replace the ``upserts`` (by project id), remove ``deletes`` (an id in
        both is removed), then record ``applied_through``. ``wait=False`` raises IndexBusy at once
        when another writer holds the lock; ``wait=True`` waits up to 30 s."""
        documents: dict[int, ProjectDocument] = {}
        for doc in upserts:
            documents[int(doc.id)] = doc
        removed = {int(pid) for pid in deletes}
        for pid in removed:
            documents.pop(pid, None)
        ix = self._open_ix()
        lock = ix.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=WRITE_WAIT_SECONDS if wait else 0.0, delay=0.05):
            raise IndexBusy(f"another writer holds the search index lock in {self.directory}")
        try:
            if documents or removed:
                fields = [document_fields(doc) for doc in documents.values()]
                writer = _new_writer(ix)
                try:
                    for pid in sorted(removed | set(documents)):
                        writer.delete_by_term("id", str(pid))
                    for values in fields:
                        writer.add_document(**values)
                    writer.commit()
                except BaseException:
                    writer.cancel()
                    raise
            if applied_through is not None:
                _write_atomic(self.directory / APPLIED_FILE, str(int(applied_through)))
        finally:
            lock.release()

    def last_applied(self) -> int:
        """The last outbox id this index includes (0 for a new index)."""
        try:
            return int((self.directory / APPLIED_FILE).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    # ---- reading
    def doc_count(self) -> int:
        with self._lock:
            return self._current().reader.doc_count()

    def versions(self) -> dict[int, str]:
        """Project id → the version of its indexed document (ProjectDocument.version), for the
        indexer and ``search check``."""
        with self._lock:
            gen = self._current()
            live = gen.live.to_bytes(gen.nbytes, "little")
            out: dict[int, str] = {}
            for cache, sub, offset in gen.leaves:
                p = gen.pack(cache, sub)
                for local in range(cache.n):
                    if _has(live, offset + local):
                        out[p.ids[local]] = p.version_at(local)
            return out

    def versions_of(self, project_ids: Iterable[int]) -> dict[int, str]:
        """Like ``versions``, for the given projects only (those the index holds): a term lookup
        per id and segment, so an indexer batch costs what it names, not the whole index."""
        wanted = [str(int(pid)) for pid in project_ids]
        with self._lock:
            gen = self._current()
            live = gen.live.to_bytes(gen.nbytes, "little")
            out: dict[int, str] = {}
            for cache, sub, offset in gen.leaves:
                reader = sub.reader()
                for token in wanted:
                    for local in _posting_ids(reader, "id", token):
                        if _has(live, offset + local):
                            p = gen.pack(cache, sub)
                            out[p.ids[local]] = p.version_at(local)
            return out

    def search(self, request: SearchRequest) -> SearchResult:
        """Never raises for bad input; raises IndexUnavailable when the index cannot be read."""
        request = _clean_request(request)
        notices: list[Msg] = []
        text = request.text
        if len(text) > MAX_QUERY_LENGTH:
            text = text[:MAX_QUERY_LENGTH]
            notices.append(_cut_notice())
        plan = build_plan(text)
        with self._lock:
            gen = self._current()
            try:
                return self._search(gen, request, plan, notices)
            except IndexUnavailable:
                raise
            except Exception as exc:  # a damaged segment file, a vanished directory, ...
                log.exception("search failed on %s", self.directory)
                self._drop()
                raise IndexUnavailable(f"search index {self.directory} failed: {exc!r}")

    # ---- search internals
    def _filter(self, gen: _Generation, request: SearchRequest) -> int:
        mask = gen.live

        def any_of(field: str, values: Iterable[str]) -> int:
            facet = gen.facet(field)
            out = 0
            for value in values:
                out |= facet.get(value, 0)
            return out

        statuses: set[str] | None = set(request.statuses) if request.statuses else None
        if request.visible_statuses is not None:
            visible = set(request.visible_statuses)
            statuses = visible if statuses is None else statuses & visible
        if statuses is not None:
            mask &= any_of("status", statuses)
        if request.categories:
            mask &= any_of("category", request.categories)
        if request.districts:
            mask &= any_of("district", request.districts)
        if request.progress:
            mask &= any_of("bucket", (request.progress,))
        if request.organization_id is not None:
            mask &= gen.term("org", str(request.organization_id))
        return mask

    def _alt_mask(self, gen: _Generation, alt: Alt) -> int:
        if alt.kind == "term":
            return gen.term(alt.field, alt.tokens[0])
        if alt.kind == "phrase":
            # Whoosh checks positions document by document: only run it when the words occur
            # together at all, and not for words that are together in a large part of the index
            # (the whole word or its synonyms then find plenty already).
            together = -1
            for token in dict.fromkeys(alt.tokens):
                together &= gen.term(alt.field, token)
                if not together:
                    return 0
            limit = QUOTED_PHRASE_CANDIDATES if alt.quoted else PHRASE_CANDIDATES
            if (together & gen.live).bit_count() > limit:
                return 0
            return gen.phrase(alt.field, alt.tokens)
        mask = -1
        for token in alt.tokens:  # grams: all of them
            mask &= gen.term(alt.field, token)
            if not mask:
                return 0
        return mask if mask > 0 else 0

    def _levels(self, gen: _Generation, term: Term) -> list[tuple[float, int]]:
        """(weight, bitset) per alternative that matches live documents; pinyin readings only when
        nothing else matched."""
        live = gen.live
        levels = [(alt.weight, self._alt_mask(gen, alt) & live) for alt in term.alts if not alt.fallback]
        levels = [(w, m) for w, m in levels if m]
        if not levels:
            levels = [(alt.weight, self._alt_mask(gen, alt) & live) for alt in term.alts if alt.fallback]
            levels = [(w, m) for w, m in levels if m]
        return levels

    def _expand(self, gen: _Generation, plan: Plan) -> Plan:
        """Replace unknown words that match nothing by their single characters."""
        if not any(term.split for term in plan.terms):
            return plan
        terms: list[Term] = []
        for term in plan.terms:
            if term.split and not self._levels(gen, term):
                terms.extend(t for t in term.split if all(t.surface != u.surface for u in terms))
            else:
                terms.append(term)
        return Plan(terms=terms, text=plan.text, original=plan.terms)

    def _search(
        self, gen: _Generation, request: SearchRequest, plan: Plan, notices: list[Msg]
    ) -> SearchResult:
        page, per_page = request.page, request.per_page
        start = (page - 1) * per_page
        end = start + per_page
        if gen.n_all == 0:
            return SearchResult([], 0, page, per_page, _empty_facets(), notices=notices)
        filter_mask = self._filter(gen, request)
        plan = self._expand(gen, plan)
        levels = [self._levels(gen, term) for term in plan.terms]
        unions = []
        for term_levels in levels:
            union = 0
            for _, m in term_levels:
                union |= m
            unions.append(union)
        required = [i for i, term in enumerate(plan.terms) if term.required]
        matched_all = True
        if not required:
            matched = filter_mask
        else:
            matched = filter_mask
            for i in required:
                matched &= unions[i]
                if not matched:
                    break
            if not matched and len(required) > 1:
                any_mask = 0
                for i in required:
                    any_mask |= unions[i]
                matched = any_mask & filter_mask
                if matched:
                    matched_all = False
                    notices.append(_fallback_notice())
        total = matched.bit_count()
        facets = self._facets(gen, matched)
        sort = request.sort
        if sort == "relevance" and not required and not self.grade_boost:
            # Without words to rank by, "relevance" is newest first, or, with the grade boost on,
            # best graded first and newest first within a grade.
            sort = "newest"
        ranked: list[tuple[float, int]] = []
        if total and start < total:
            if sort == "relevance":
                ranked = self._rank(gen, plan, levels, matched, total, start, end)
            else:
                docs = gen.select_sorted(sort, matched, total, end)[start:end]
                ranked = [(self._score(gen, levels, d) if required else 0.0, d) for d in docs]
        readings = [
            r for term in plan.terms if term.pinyin and self._read_as_pinyin(gen, term) for r in term.pinyin
        ]
        hits = [self._hit(gen, plan.needles, readings, score, doc) for score, doc in ranked]
        suggestion = None
        if required and (total == 0 or not matched_all or plan.original is not None):
            # nothing found, only some words found, or a word found only as separate characters
            suggestion = self._suggest(gen, plan, filter_mask)
        return SearchResult(
            hits=hits,
            total=total,
            page=page,
            per_page=per_page,
            facets=facets,
            notices=notices,
            suggestion=suggestion,
            matched_all_terms=matched_all,
        )

    def _facets(self, gen: _Generation, matched: int) -> dict[str, dict[str, int]]:
        out = _empty_facets()
        names = dict(zip(FACET_FIELDS, ("category", "district", "status", "progress"), strict=True))
        for field, name in names.items():
            counts: dict[str, int] = {}
            if matched:
                for value, mask in gen.facet(field).items():
                    count = (matched & mask).bit_count()
                    if count:
                        counts[value] = count
            if name == "progress":
                out[name] = {b: counts[b] for b in PROGRESS_BUCKETS if b in counts}
            else:
                out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    def _multiplier(self, gen: _Generation, doc: int) -> float:
        if not self.grade_boost:
            return 1.0
        return 1.0 + self.grade_boost * max(0, gen.grade(doc))

    def _score(self, gen: _Generation, levels: list[list[tuple[float, int]]], doc: int) -> float:
        total = 0.0
        for term_levels in levels:
            best = 0.0
            for weight, mask in term_levels:
                if weight > best and mask >> doc & 1:
                    best = weight
            total += best
        return total * self._multiplier(gen, doc)

    def _rank(
        self,
        gen: _Generation,
        plan: Plan,
        levels: list[list[tuple[float, int]]],
        matched: int,
        total: int,
        start: int,
        end: int,
    ) -> list[tuple[float, int]]:
        """Documents ``start:end`` of ``matched`` by relevance (score desc, newest first)."""
        # Per term: disjoint (weight, bitset) levels within the match set, best first; documents
        # the term missed (optional terms, the any-term fallback) get a weight-0 level.
        term_levels: list[list[tuple[float, int]]] = []
        # Browsing without words: every match scores alike, so the grade boost alone orders them.
        constant = 0.0 if levels else 1.0
        for raw in levels:
            by_weight: dict[float, int] = {}
            for weight, mask in raw:
                by_weight[weight] = by_weight.get(weight, 0) | mask
            covered = 0
            disjoint: list[tuple[float, int]] = []
            for weight in sorted(by_weight, reverse=True):
                mask = by_weight[weight] & matched & ~covered
                if mask:
                    disjoint.append((weight, mask))
                    covered |= mask
            missing = matched & ~covered
            if missing:
                disjoint.append((0.0, missing))
            if len(disjoint) == 1:
                constant += disjoint[0][0]
            elif disjoint:
                term_levels.append(disjoint)
        if total <= SMALL_RESULT or len(term_levels) > 4:
            return self._rank_documents(gen, term_levels, constant, matched, start, end)
        return self._rank_classes(gen, term_levels, constant, matched, start, end)

    def _rank_documents(
        self,
        gen: _Generation,
        term_levels: list[list[tuple[float, int]]],
        constant: float,
        matched: int,
        start: int,
        end: int,
    ) -> list[tuple[float, int]]:
        scores: dict[int, float] = dict.fromkeys(_docs_of(matched), constant)
        for disjoint in term_levels:
            for weight, mask in disjoint:
                if weight:
                    for doc in _docs_of(mask):
                        scores[doc] += weight
        boosted = ((round(score * self._multiplier(gen, doc), 6), doc) for doc, score in scores.items())
        top = heapq.nsmallest(end, boosted, key=lambda sd: (-sd[0], *gen.newest_key(sd[1]), sd[1]))
        return top[start:end]

    def _rank_classes(
        self,
        gen: _Generation,
        term_levels: list[list[tuple[float, int]]],
        constant: float,
        matched: int,
        start: int,
        end: int,
    ) -> list[tuple[float, int]]:
        """Partition the match set into score classes, one term at a time (each class a bitset;
        empty classes vanish at once), then read the page off the best classes, newest first
        inside a class. Exact, and it never scores documents one by one."""
        classes: dict[float, int] = {constant: matched}
        for disjoint in term_levels:
            refined: dict[float, int] = {}
            for score, mask in classes.items():
                rest = mask
                for weight, level in disjoint:
                    part = rest & level
                    if part:
                        key = round(score + weight, 6)
                        refined[key] = refined.get(key, 0) | part
                        rest ^= part
                        if not rest:
                            break
            classes = refined
        if self.grade_boost:
            boosted: dict[float, int] = {}
            for grade, grade_mask in gen.grades().items():
                factor = 1.0 + self.grade_boost * max(0, grade)
                for score, mask in classes.items():
                    part = mask & grade_mask
                    if part:
                        key = round(score * factor, 6)
                        boosted[key] = boosted.get(key, 0) | part
            classes = boosted
        out: list[tuple[float, int]] = []
        position = 0
        for score in sorted(classes, reverse=True):
            mask = classes[score]
            count = mask.bit_count()
            if position + count > start:
                docs = gen.select_sorted("newest", mask, count, end - position)
                out.extend((score, doc) for doc in docs[max(0, start - position) :])
            position += count
            if position >= end:
                break
        return out[: end - start]

    def _read_as_pinyin(self, gen: _Generation, term: Term) -> bool:
        """True when the term matched through its pinyin readings (nothing else matched)."""
        live = gen.live
        return not any(self._alt_mask(gen, alt) & live for alt in term.alts if not alt.fallback)

    def _hit(
        self, gen: _Generation, needles: list[str], readings: list[str], score: float, doc: int
    ) -> SearchHit:
        stored = gen.searcher.stored_fields(doc)
        title = stored.get("title") or ""
        summary = stored.get("summary") or ""
        description = stored.get("body") or ""
        if readings:  # mark the Chinese words the pinyin stood for (titles and tags are indexed)
            needles = list(needles)
            for reading in readings:
                for text in (title, stored.get("tags") or ""):
                    needles.extend(analysis.pinyin_matches(text, reading))
        highlights = {"title": highlight(title, needles), "summary": highlight(summary, needles)}
        description_snippet = snippet(description, needles) if needles else None
        if description_snippet is not None:
            highlights["description"] = description_snippet
        return SearchHit(project_id=int(stored["id"]), score=round(score, 4), highlights=highlights)

    # ---- did you mean
    def _suggest(self, gen: _Generation, plan: Plan, filter_mask: int) -> str | None:
        text = " ".join(analysis.normalize(plan.text).split())
        changed = False
        for term in plan.original or plan.required:
            if term.phrase or any(self._levels(gen, term)):
                continue
            correction = self._correct(gen, term.surface)
            if correction and correction != term.surface:
                if term.surface in text:
                    text = text.replace(term.surface, correction)
                else:
                    text = f"{text} {correction}"
                changed = True
        if not changed:
            return None
        candidate = self._expand(gen, build_plan(text))
        required = candidate.required
        if not required:
            return None
        together = filter_mask
        for term in required:
            union = 0
            for _, m in self._levels(gen, term):
                union |= m
            together &= union
            if not together:
                return None  # only suggest what finds projects with every word
        return text.strip() or None

    def _closest(self, gen: _Generation, fields: Iterable[str], word: str) -> str | None:
        """The most frequent indexed term one edit away (two for longer words) sharing the first
        character (the automaton then only walks that part of the term list)."""
        for maxdist in (1, 2) if len(word) > 4 else (1,):
            best: tuple[int, str] | None = None
            for field in fields:
                for _cache, sub, _offset in gen.leaves:
                    try:
                        found = list(islice(sub.reader().terms_within(field, word, maxdist, prefix=1), 200))
                    except Exception:
                        continue
                    for candidate in found:
                        if candidate == word or len(candidate) < 2:
                            continue
                        df = gen.reader.doc_frequency(field, candidate)
                        if df and (best is None or (-df, candidate) < best):
                            best = (-df, candidate)
            if best is not None:
                return best[1]
        return None

    def _correct(self, gen: _Generation, word: str) -> str | None:
        word = word.replace(" ", "") if word.isascii() else word
        if word.isascii() and word.isalpha():
            if len(word) < 4:
                return None  # two or three letters (initials?) are too short to correct
            reading = self._closest(gen, (PINYIN_FIELD,), word)
            if reading:
                chinese = self._reading_to_chinese(gen, reading)
                return chinese or reading
            return self._closest(gen, ("title", "tags", "summary"), word)
        if analysis.is_cjk(word) and len(word) >= 2:
            return self._closest(gen, ("title", "tags", "summary", "body"), word)
        return None

    def _reading_to_chinese(self, gen: _Generation, reading: str) -> str | None:
        docs = _docs_of(gen.term(PINYIN_FIELD, reading) & gen.live)
        for doc in docs[:5]:
            stored = gen.searcher.stored_fields(doc)
            for text in (stored.get("title") or "", stored.get("tags") or ""):
                found = analysis.pinyin_matches(text, reading)
                if found:
                    return max(found, key=len)
        return None


def _segment_files(directory: Path, segids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(size, mtime) of each file of the given segments (``<segid>.seg`` and friends)."""
    prefixes = tuple(f"{segid}." for segid in segids)
    files: dict[str, tuple[int, int]] = {}
    if not prefixes:
        return files
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(prefixes):
                with contextlib.suppress(OSError):
                    st = entry.stat()
                    files[entry.name] = (st.st_size, st.st_mtime_ns)
    return files


def _check_toc(directory: Path) -> None:
    """Read the latest table of contents from an in-memory copy first: Whoosh leaves the file open
    when a TOC is corrupt (a ResourceWarning later), and the copy tells us so without that."""
    storage = FileStorage(str(directory))
    generation = TOC._latest_generation(storage, _INDEX_NAME)
    if generation < 0:
        raise IndexUnavailable(f"no search index in {directory}")
    name = TOC._filename(_INDEX_NAME, generation)
    try:
        data = (directory / name).read_bytes()
    except FileNotFoundError:  # replaced by a newer generation meanwhile: Whoosh reads that one
        return
    memory = RamStorage()
    with memory.create_file(name) as fh:
        fh.write(data)
    TOC.read(memory, _INDEX_NAME, gen=generation)


def _empty_facets() -> dict[str, dict[str, int]]:
    return {"category": {}, "district": {}, "status": {}, "progress": {}}


def _write_atomic(path: Path, text: str) -> None:
    """Write a small file so readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class _SegmentBuilder:
    """Writes documents into new segments of ``ix`` (no lock, no TOC: the caller commits them),
    starting a new segment every ``segment_docs`` documents to bound memory."""

    def __init__(self, ix: Any, segment_docs: int) -> None:
        self.ix = ix
        self.segment_docs = max(1, segment_docs)
        self.segments: list[Any] = []
        self._writer: Any = None
        self._count = 0

    def add(self, values: dict[str, object]) -> None:
        if self._writer is None:
            self._writer = _new_writer(self.ix)
        self._writer.add_document(**values)
        self._count += 1
        if self._count >= self.segment_docs:
            self._close()

    def _close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None and self._count:
            self.segments.append(writer._finalize_segment())
        self._count = 0

    def finish(self) -> list[Any]:
        self._close()
        return self.segments

    def cancel(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer._close_segment()


class BulkWriter(SegmentWriter):
    """Whoosh's SegmentWriter with the engine's fast paths: postings go into a ``CompactPool``
    (no per-posting tuples, no temporary run files), ``add_document`` skips what the schema does
    not use (boosts, vectors, spelling), and the segment is flushed term by term in whole blocks,
    every weight 1 (the engine never scores with Whoosh), rare terms inline in the term table.
    Writes the same W3 segment files; merging (``commit``) and deletions work as usual."""

    def __init__(self, ix: Any) -> None:
        super().__init__(ix, _lk=False, codec=IndexCodec())
        self.pool = CompactPool()

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        perdoc = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        perdoc.start_doc(docnum)
        try:
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None or fieldname.startswith("_"):
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    terms_of = getattr(field, "terms", None)
                    if terms_of is not None:
                        length = pool.add_terms(fieldname, docnum, terms_of(value))
                    else:
                        for btext, freq, _weight, vbytes in field.index(value):
                            pool.add((fieldname, btext, docnum, 1.0, vbytes))
                            length += freq
                perdoc.add_field(
                    fieldname, field, value if field.stored else None, length if field.scorable else 0
                )
                column = field.column_type
                if column:
                    perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        except BaseException:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        writer = self.fieldwriter
        if _fast_flush_supported(writer):
            self._write_terms(writer)
        else:  # another Whoosh version: the generic (slower) path
            writer.add_postings(self.schema, None, self.pool.iter_postings())
        writer.close()

    def _write_terms(self, writer: Any) -> None:
        current = None
        for fieldname, btext, docs, values in self.pool.iter_terms():
            if fieldname != current:
                if current is not None:
                    writer.finish_field()
                writer.start_field(fieldname, self.schema[fieldname])
                current = fieldname
                postings = writer._postwriter
                block = postings._blocklimit
            writer.start_term(btext)
            if len(docs) <= INLINE_POSTINGS:
                # Rare terms: postings kept in the term table itself (Whoosh reads them back as
                # a ListMatcher; its own writer never inlines, its inline branch is broken).
                postings._ids = docs
                postings._weights = array("f", (1.0,)) * len(docs)
                postings._values = [] if values is None else values
                postings._maxweight = 1.0
                postings._minlength = None
                postings._maxlength = 0
                terminfo = postings._terminfo
                terminfo.add_block(postings)
                terminfo.set_inlined(postings._ids, postings._weights, postings._values)
                postings._terminfo = None
                postings._new_block()
                writer._tindex.add(pack_ushort(writer._fieldid) + writer._btext, terminfo.to_bytes())
                continue
            for start in range(0, len(docs), block):
                if len(postings._ids):
                    postings._write_block()
                ids = docs[start : start + block]
                postings._ids = ids
                postings._weights = array("f", (1.0,)) * len(ids)
                postings._values = [] if values is None else values[start : start + block]
                postings._maxweight = 1.0
                postings._minlength = None
                postings._maxlength = 0
            writer.finish_term()
        if current is not None:
            writer.finish_field()


def _fast_flush_supported(writer: Any) -> bool:
    """The block-at-a-time flush relies on Whoosh 2.7's W3 writer internals; check they are there."""
    from whoosh.codec.whoosh3 import W3FieldWriter, W3PostingsWriter, W3TermInfo

    return (
        isinstance(writer, W3FieldWriter)
        and all(hasattr(W3PostingsWriter, a) for a in ("_write_block", "_new_block", "start_postings"))
        and hasattr(W3TermInfo, "set_inlined")
        and hasattr(writer, "_tindex")
    )


def _new_writer(ix: Any) -> SegmentWriter:
    return BulkWriter(ix)


def _build_worker(directory: str, segment_docs: int, jobs: Any, results: Any) -> None:
    """Worker process of ``build_index``: batches of field dicts in, finished segments out."""
    try:
        warm_up()
        ix = FileStorage(directory).open_index()
        builder = _SegmentBuilder(ix, segment_docs)
        while True:
            batch = jobs.get()
            if batch is None:
                break
            for values in batch:
                builder.add(values)
        results.put(("ok", builder.finish()))
    except BaseException:
        import traceback

        results.put(("error", traceback.format_exc()))


def _put(queue: Any, item: object, workers: list[Any]) -> None:
    while True:
        try:
            queue.put(item, timeout=1.0)
            return
        except Full:
            if not all(w.is_alive() for w in workers):
                raise RuntimeError("a search index build worker died") from None


def _build_parallel(
    directory: Path, documents: Iterable[ProjectDocument], procs: int, batch_size: int, segment_docs: int
) -> list[Any]:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    jobs = ctx.Queue(maxsize=procs * 2)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_build_worker, args=(str(directory), segment_docs, jobs, results), daemon=True)
        for _ in range(procs)
    ]
    for worker in workers:
        worker.start()
    try:
        batch: list[dict[str, object]] = []
        seen: set[int] = set()
        for doc in documents:
            if doc.id in seen:
                log.warning("build_index: project %s given twice; keeping the first", doc.id)
                continue
            seen.add(doc.id)
            batch.append(document_fields(doc))
            if len(batch) >= batch_size:
                _put(jobs, batch, workers)
                batch = []
        if batch:
            _put(jobs, batch, workers)
        for _ in workers:
            _put(jobs, None, workers)
        segments: list[Any] = []
        for _ in workers:
            while True:
                try:
                    status, payload = results.get(timeout=1.0)
                    break
                except Empty:
                    if not any(w.is_alive() for w in workers):
                        raise RuntimeError("search index build workers exited without a result") from None
            if status != "ok":
                raise RuntimeError(f"search index build worker failed:\n{payload}")
            segments.extend(payload)
        for worker in workers:
            worker.join()
        return segments
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join(5)


def build_index(
    directory: Path,
    documents: Iterable[ProjectDocument],
    *,
    applied_through: int = 0,
    procs: int = 1,
    batch_size: int = 500,
    segment_docs: int = 25_000,
) -> SearchIndex:
    """Bulk build a NEW index in ``directory`` (which must not hold an index already; the caller
    swaps directories afterwards) and record ``applied_through``. Each document's text is segmented
    once. ``procs`` > 1 analyses and writes in that many forked worker processes (documents go to
    them in batches of ``batch_size``), each producing its own segments of up to ``segment_docs``
    documents; the parent only reads ``documents`` and commits the segment list."""
    warm_up()
    analysis.prepare_bulk_indexing()
    directory = Path(directory)
    SearchIndex.create(directory)  # refuses a non-empty directory: build fresh, then swap
    storage = FileStorage(str(directory))
    ix = storage.open_index()
    lock = ix.lock("WRITELOCK")
    if not lock.acquire():
        raise IndexBusy(f"another writer holds the search index lock in {directory}")
    try:
        if procs > 1:
            segments = _build_parallel(directory, documents, procs, max(1, batch_size), segment_docs)
        else:
            builder = _SegmentBuilder(ix, segment_docs)
            seen: set[int] = set()
            try:
                for doc in documents:
                    if doc.id in seen:
                        log.warning("build_index: project %s given twice; keeping the first", doc.id)
                        continue
                    seen.add(doc.id)
                    builder.add(document_fields(doc))
                segments = builder.finish()
            except BaseException:
                builder.cancel()
                raise
        TOC(ix.schema, segments, ix.latest_generation() + 1).write(storage, ix.indexname)
        _write_atomic(directory / APPLIED_FILE, str(int(applied_through)))
    finally:
        lock.release()
        for leftover in directory.glob("*.tmp"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
    return SearchIndex(directory)
