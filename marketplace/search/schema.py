"""The Whoosh schema of the project index and the mapping ProjectDocument → index fields.

The text fields index with ``index()`` methods that build postings straight from
``analysis`` (no Whoosh Token objects): jieba runs once per text, and the fields that share a text
(title words, title pinyin) share that pass through the memo in ``analysis``.

Bump ``SCHEMA_VERSION`` whenever fields or analysis change: an index with another version is
reported unavailable (the pages fall back to the database) until ``search reindex`` rebuilds it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate, pairwise
from typing import Any

from whoosh import columns, fields, formats
from whoosh.codec.whoosh3 import W3Codec
from whoosh.system import emptybytes

from marketplace.search import analysis
from marketplace.search.types import ProjectDocument, progress_bucket
from marketplace.taxonomy.data import CATEGORIES, DISTRICTS

# 2: the stored fingerprint leaves out the amount raised (ProjectDocument.content_version).
SCHEMA_VERSION = 2

# Word fields and how much a match in each counts (see engine ranking).
WORD_FIELDS = ("title", "tags", "summary", "meta", "body")
BODY_FIELD = "body"
CHAR_FIELD = "chars"
PINYIN_FIELD = "py"
FACET_FIELDS = ("category", "district", "status", "bucket")

# Per-document numbers read in bulk by the engine: project id, created, deadline (UTC epoch
# seconds), raised, goal (fen), grade rank, and the 8 bytes of the content fingerprint (the version
# without the amount raised, which is stored beside it).
PACK = struct.Struct("<qqqqqq8s")

_CATEGORY_LABELS = {slug: f"{zh}\n{en}" for slug, zh, en in CATEGORIES}
_DISTRICT_LABELS = {zh: en for zh, en in DISTRICTS}
_EPOCH = datetime(1970, 1, 1)
_UINT = struct.Struct("!I")


def value_frequency(value: bytes) -> int:
    """The frequency at the head of a CompactPositions value (1 for presence-only postings)."""
    return _UINT.unpack_from(value)[0] if len(value) >= 4 else 1


_STRUCTS: dict[int, struct.Struct] = {}


def _positions_struct(count: int) -> struct.Struct:
    st = _STRUCTS.get(count)
    if st is None:
        st = _STRUCTS[count] = struct.Struct(f"!{count + 1}I")
    return st


_SINGLE_POSITIONS = tuple(_positions_struct(1).pack(1, pos) for pos in range(4096))


class CompactPositions(formats.Positions):
    """Positions as packed unsigned deltas (count, d1, d2, ...) instead of a pickle per posting."""

    def encode(self, poslist: list[int]) -> bytes:
        if len(poslist) == 1:
            pos = poslist[0]
            if pos < len(_SINGLE_POSITIONS):
                return _SINGLE_POSITIONS[pos]
            return _positions_struct(1).pack(1, pos)
        deltas = [poslist[0]]
        deltas.extend(b - a for a, b in pairwise(poslist))
        return _positions_struct(len(deltas)).pack(len(deltas), *deltas)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        count = self.decode_frequency(valuestring)
        return list(accumulate(_positions_struct(count).unpack(valuestring[: 4 * (count + 1)])[1:]))

    def decode_frequency(self, valuestring: bytes) -> int:
        return _UINT.unpack(valuestring[:4])[0]

    def decode_weight(self, valuestring: bytes) -> float:
        return float(self.decode_frequency(valuestring)) * self.field_boost

    def combine(self, vs: list[bytes]) -> bytes:
        merged: set[int] = set()
        for v in vs:
            merged.update(self.decode_positions(v))
        return self.encode(sorted(merged))


class IndexCodec(W3Codec):
    """Whoosh's W3 codec without per-block field-length statistics (they only serve Whoosh's own
    BM25 block skipping, which the engine does not use; looking lengths up for every posting was a
    large part of the indexing time) and with light block compression."""

    length_stats = False

    def __init__(self) -> None:
        super().__init__(blocklimit=128, compression=1, inlinelimit=1)


class CompactPool:
    """A drop-in for Whoosh's PostingPool (``writer.pool``): postings grouped per field and term
    (terms kept as str, encoded once when the segment is written) in plain lists, in memory,
    instead of one tuple per posting sorted through temporary run files. Documents arrive in
    docnum order, so each term's postings are normally already sorted. Weights are not kept."""

    def __init__(self) -> None:
        self.fieldnames: set[str] = set()
        self._fields: dict[str, dict[str, list[Any]]] = {}
        self._unsorted: set[tuple[str, str]] = set()

    def add_terms(self, fieldname: str, docnum: int, postings: Iterable[tuple[str, bytes, int]]) -> int:
        """One document's (term, value, frequency) postings of one field (the fast path); returns
        the field length (sum of frequencies)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        length = 0
        for term, vbytes, freq in postings:
            length += freq
            entry = terms.get(term)
            if entry is None:
                terms[term] = [[docnum], [vbytes] if vbytes else None]
                continue
            docs = entry[0]
            if docs[-1] > docnum:
                self._unsorted.add((fieldname, term))
            docs.append(docnum)
            values = entry[1]
            if vbytes:
                if values is None:
                    values = entry[1] = [b""] * (len(docs) - 1)
                values.append(vbytes)
            elif values is not None:
                values.append(b"")
        return length

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Whoosh's interface (used when segments are merged)."""
        fieldname, btext, docnum, _weight, vbytes = item
        self.add_terms(fieldname, docnum, ((btext.decode("utf-8"), vbytes or b"", 1),))

    def iter_terms(self) -> Iterator[tuple[str, bytes, list[int], list[bytes] | None]]:
        """(fieldname, term bytes, docnums, values or None) in (field, term) order (str order is
        UTF-8 byte order), docnums ascending."""
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            for term in sorted(terms):
                docs, values = terms[term]
                if (fieldname, term) in self._unsorted:
                    order = sorted(range(len(docs)), key=docs.__getitem__)
                    docs = [docs[i] for i in order]
                    if values is not None:
                        values = [values[i] for i in order]
                yield fieldname, term.encode("utf-8"), docs, values

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        for fieldname, btext, docs, values in self.iter_terms():
            for i, docnum in enumerate(docs):
                yield fieldname, btext, docnum, 1.0, b"" if values is None else values[i]

    def save(self) -> None:
        pass

    def cleanup(self) -> None:
        self._fields.clear()
        self._unsorted.clear()


class WordField(fields.TEXT):
    """jieba words with positions (phrase queries); see ``analysis.word_positions``."""

    def __init__(self, stored: bool = False) -> None:
        super().__init__(analyzer=analysis.ChineseAnalyzer(), phrase=True, stored=stored)
        self.format = CompactPositions()

    def index(self, value: object, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        for term, vbytes, freq in self.terms(value):
            yield term.encode("utf-8"), freq, float(freq), vbytes

    def terms(self, value: object) -> list[tuple[str, bytes, int]]:
        """(term, encoded positions, frequency) — the writer's fast path."""
        text = "\n".join(value) if isinstance(value, (list, tuple)) else str(value)
        single = _SINGLE_POSITIONS
        encode = self.format.encode
        return [
            (term, single[plist[0]] if len(plist) == 1 and plist[0] < 4096 else encode(plist), len(plist))
            for term, plist in analysis.word_positions(text).items()
        ]


# Presence-only fields are still "scorable" (a one-byte length per document): Whoosh 2.7's writer
# looks the length column up for every posting and, when a field has none, stats the missing
# column file each time (hundreds of stat calls per document).


class CharField(fields.TEXT):
    """Every CJK character and adjacent character pair of the short texts; presence only."""

    def __init__(self) -> None:
        super().__init__(analyzer=analysis.ChineseAnalyzer(), phrase=False)
        self.format = formats.Existence()

    def index(self, value: object, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        for term, _, freq in self.terms(value):
            yield term.encode("utf-8"), freq, float(freq), emptybytes

    def terms(self, value: object) -> list[tuple[str, bytes, int]]:
        text = "\n".join(value) if isinstance(value, (list, tuple)) else str(value)
        return [(term, emptybytes, 1) for term in set(analysis.char_tokens(text))]


class PinyinField(fields.TEXT):
    """Pinyin of titles and tags (one text per line); presence only."""

    def __init__(self) -> None:
        super().__init__(analyzer=analysis.ChineseAnalyzer(), phrase=False)
        self.format = formats.Existence()

    def index(self, value: object, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        for term, _, _ in self.terms(value):
            yield term.encode("utf-8"), 1, 1.0, emptybytes

    def terms(self, value: object) -> list[tuple[str, bytes, int]]:
        texts = list(value) if isinstance(value, (list, tuple)) else str(value).split("\n")
        return [(term, emptybytes, 1) for term in analysis.pinyin_tokens(texts)]


class KeyField(fields.ID):
    """A whole-value keyword (facet values, ids); see the note above on ``scorable``."""

    def __init__(self, stored: bool = False, unique: bool = False) -> None:
        super().__init__(stored=stored, unique=unique)
        self.scorable = True

    def terms(self, value: object) -> list[tuple[str, bytes, int]]:
        return [(str(value), emptybytes, 1)]


def make_schema() -> fields.Schema:
    return fields.Schema(
        id=KeyField(stored=True, unique=True),
        version=fields.STORED(),
        title=WordField(stored=True),
        summary=WordField(stored=True),
        body=WordField(stored=True),  # the description
        tags=WordField(stored=True),
        meta=WordField(),  # organization name, category and district labels
        chars=CharField(),  # title, summary and tags
        py=PinyinField(),
        category=KeyField(),
        district=KeyField(),
        status=KeyField(),
        bucket=KeyField(),  # types.progress_bucket
        org=KeyField(),
        pack=fields.COLUMN(columns.FixedBytesColumn(PACK.size)),
    )


def epoch_seconds(value: datetime) -> int:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return (value - _EPOCH) // timedelta(seconds=1)


def _line(text: str) -> str:
    return " ".join(str(text or "").split())


def document_fields(doc: ProjectDocument) -> dict[str, object]:
    """The keyword arguments for ``writer.add_document``."""
    title = _line(doc.title)
    tags = [t for t in (_line(tag) for tag in doc.tags) if t]
    organization = _line(doc.organization)
    category_label = _CATEGORY_LABELS.get(doc.category, "")
    district_label = f"{doc.district}\n{_DISTRICT_LABELS.get(doc.district, '')}".strip()
    summary = str(doc.summary or "")
    description = str(doc.description or "")
    try:
        version_bytes = bytes.fromhex(doc.content_version)[:8].ljust(8, b"\0")
    except ValueError:
        version_bytes = b"\0" * 8
    values: dict[str, object] = {
        "id": str(doc.id),
        "version": doc.version,
        "title": title,
        "summary": summary,
        "body": description,
        "tags": "\n".join(tags),
        "meta": "\n".join(x for x in (organization, category_label, district_label) if x),
        "chars": "\n".join((title, summary, *tags)),
        "py": "\n".join((title, *tags)),
        "category": doc.category or None,
        "district": doc.district or None,
        "status": doc.status or None,
        "bucket": progress_bucket(doc.raised, doc.goal),
        "org": str(doc.organization_id),
        "pack": PACK.pack(
            doc.id,
            epoch_seconds(doc.created),
            epoch_seconds(doc.deadline),
            doc.raised,
            doc.goal,
            doc.grade_rank,
            version_bytes,
        ),
    }
    return {name: value for name, value in values.items() if value is not None}
