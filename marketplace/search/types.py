"""The search engine's plain input and output types, shared by the engine (Whoosh), the indexer
that feeds it from the database and the pages/API that query it. PURE: no Whoosh, no SQLAlchemy."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from marketplace.messages import Msg

SORTS = ("relevance", "newest", "closing_soon", "most_funded", "least_funded")
PROGRESS_BUCKETS = ("0-25", "25-50", "50-75", "75-100", "100+")
MAX_QUERY_LENGTH = 200


def progress_bucket(raised: int, goal: int) -> str:
    """Funding progress facet: 0–25 / 25–50 / 50–75 / 75–100 / ≥ 100 % (lower bound inclusive)."""
    percent = raised * 100 // goal if goal > 0 else 0
    if percent >= 100:
        return "100+"
    lower = percent // 25 * 25
    return f"{lower}-{lower + 25}"


@dataclass(frozen=True)
class ProjectDocument:
    """Everything the index knows about one project."""

    id: int
    title: str
    summary: str
    description: str
    organization: str
    organization_id: int
    tags: tuple[str, ...]
    category: str  # slug
    district: str  # Chinese name
    status: str
    goal: int  # fen
    raised: int  # fen
    deadline: datetime  # naive UTC
    created: datetime  # naive UTC
    grade_rank: int = 0  # 0 = no grade, 1..5 = A1..A5: a hook for boosting graded organizations

    @property
    def progress(self) -> int:
        return self.raised * 100 // self.goal if self.goal > 0 else 0

    @property
    def content_version(self) -> str:
        """A fingerprint of everything but the amount raised: what a pledge's confirmation leaves alone."""
        data = asdict(self)
        del data["raised"]
        data["deadline"] = self.deadline.isoformat()
        data["created"] = self.created.isoformat()
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def version(self) -> str:
        """The whole document's version, so `search check` and the indexer can tell a stale one."""
        return f"{self.content_version}:{self.raised}"


def only_raised_differs(indexed_version: str, version: str) -> bool:
    """Whether two versions of a document differ in the amount raised alone."""
    return indexed_version != version and content_of(indexed_version) == content_of(version)


def content_of(version: str) -> str:
    return version.partition(":")[0]


@dataclass
class SearchRequest:
    text: str = ""
    categories: tuple[str, ...] = ()  # slugs; empty = any
    districts: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # the statuses the caller asked for; empty = any visible
    visible_statuses: frozenset[str] | None = None  # what the caller may see; None = everything
    progress: str | None = None  # one of PROGRESS_BUCKETS
    organization_id: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 12


@dataclass
class SearchHit:
    project_id: int
    score: float
    # Escaped HTML with <mark> around matches, for "title", "summary" and/or "description".
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    # {"category": {slug: n}, "district": {name: n}, "status": {status: n}, "progress": {bucket: n}}
    facets: dict[str, dict[str, int]]
    notices: list[Msg] = field(default_factory=list)  # e.g. query cut to 200 characters
    suggestion: str | None = None  # "did you mean", when nothing matched
    matched_all_terms: bool = True
    from_database: bool = False  # True when the index was unavailable and the DB answered

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
