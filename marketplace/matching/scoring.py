"""How well a project fits a company (0–100) and why, in words a person can check. PURE: no Flask, no
database; numpy only, so that one company can be scored against 100,000 projects at once.

The score is a weighted sum of seven parts, each between 0 and 1. The weights are the whole
policy, live here only, and add up to 100:

| part          | weight | 1.0 means                                                             |
|---------------|-------:|-----------------------------------------------------------------------|
| category      |   25   | the project's category is one of the company's focus categories       |
| text          |   20   | its text shares the words of the company's interest statement (TF-IDF) |
| budget        |   15   | the missing amount lies inside the company's usual single pledge range |
| district      |   10   | it is in one of the company's districts of interest (or its own)      |
| credibility   |   10   | A5 organization, 名木, every fund-usage report on time                 |
| urgency       |   10   | a week or less left and nothing raised yet                            |
| history       |   10   | the company already gave to this category and to this organization    |

A company's stated preferred grades or tiers scale credibility down to ``PREFERENCE_MISS`` for
organizations outside them. Ranking adds a diversity rule: at most ``PER_ORGANIZATION`` projects of
one organization in a list, unless nothing else qualifies. Ties break on project id, so the same
inputs always give the same list.

Never suggested (``suggestible``): projects that are not published, have met their goal, are past
their deadline, belong to an unverified organization, or that the company already pledged to.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Final

import numpy as np

from marketplace.messages import Msg
from marketplace.money import format_fen

WEIGHTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "category": 25,
        "text": 20,
        "budget": 15,
        "district": 10,
        "credibility": 10,
        "urgency": 10,
        "history": 10,
    }
)
PARTS: Final = tuple(WEIGHTS)

PER_ORGANIZATION: Final = 2
MAX_LIMIT: Final = 100

# category / district
NO_PREFERENCE: Final = 0.5  # a company that named no categories (districts) is neutral about them
HOME_DISTRICT: Final = 0.8  # its own district, when it named others of interest
# text: cosine similarity at which the text part is full (interest statements are short)
TEXT_FULL_AT: Final = 0.35
# budget
BELOW_RANGE: Final = 0.7  # less missing than the company usually gives: one pledge finishes it
ABOVE_RANGE_FLOOR: Final = 0.2  # far more missing than the company gives: it can only chip in
# credibility
GRADE_CREDIT: Final[Mapping[str | None, float]] = MappingProxyType(
    {"A5": 1.0, "A4": 0.85, "A3": 0.7, "A2": 0.55, "A1": 0.4, None: 0.25}
)
TIER_CREDIT: Final[Mapping[str | None, float]] = MappingProxyType(
    {"leading": 1.0, "demonstration": 0.75, "growing": 0.5, None: 0.3}
)
REPORTS_UNKNOWN: Final = 0.6  # no funded project yet: neither on time nor late
CREDIBILITY_MIX: Final = (0.45, 0.25, 0.30)  # grade, tier, reports on time
PREFERENCE_MISS: Final = 0.4
# urgency
URGENT_DAYS: Final = 7
CALM_DAYS: Final = 60
URGENCY_MIX: Final = (0.6, 0.4)  # time left, share of the goal still missing
URGENT_REASON_DAYS: Final = 14  # "还剩 N 天" is worth saying from two weeks out
# history
SUPPORTED_ORGANIZATION: Final = 0.5

GRADES: Final = ("A1", "A2", "A3", "A4", "A5")
TIERS: Final = ("leading", "demonstration", "growing")
TIER_NAMES: Final[Mapping[str, Msg]] = MappingProxyType(
    {"leading": Msg("名木"), "demonstration": Msg("成木"), "growing": Msg("苗木")}
)
DAY: Final = 86_400.0
_GRADE_CODE: Final = {grade: code for code, grade in enumerate(GRADES, start=1)}
_TIER_CODE: Final = {tier: code for code, tier in enumerate(TIERS, start=1)}
# Up to this many rows, the text part looks words up per row rather than walking the postings.
_FEW_ROWS: Final = 64


class Audience:
    """Whom reasons speak to: the company itself (贵司) or a broker or organization (该企业)."""

    COMPANY = "company"
    BROKER = "broker"


# ─────────────────────────────── inputs ───────────────────────────────


@dataclass(frozen=True)
class OrganizationFacts:
    id: int
    verified: bool
    grade: str | None = None
    tier: str | None = None
    reports_due: int = 0  # funded projects that owed a fund-usage report
    reports_on_time: int = 0  # of those, reported within the deadline


@dataclass(frozen=True)
class ProjectFacts:
    id: int
    organization_id: int
    status: str
    category: str  # slug
    category_name: str
    district: str
    goal: int  # fen
    raised: int  # fen
    deadline: datetime  # naive UTC
    terms: Mapping[str, int] = field(default_factory=dict)  # text.weighted_terms of its text


@dataclass(frozen=True)
class SponsorFacts:
    company_id: int
    district: str
    focus_categories: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    pledge_min: int | None = None  # fen
    pledge_max: int | None = None
    yearly_budget: int | None = None
    interest_terms: Mapping[str, int] = field(default_factory=dict)  # text.words of the statement
    preferred_grades: frozenset[str] = frozenset()
    preferred_tiers: frozenset[str] = frozenset()
    # Past support: category slug → number of projects the company paid or committed to.
    history: Mapping[str, int] = field(default_factory=dict)
    supported_organizations: frozenset[int] = frozenset()
    # Organizations it signed a partnership agreement with (also counted in supported_organizations).
    partner_organizations: frozenset[int] = frozenset()
    pledged_projects: frozenset[int] = frozenset()  # already pledged: not suggested again


def suggestible(project: ProjectFacts, organization: OrganizationFacts, now: datetime) -> bool:
    """The hard rule: only open, unfinished projects of verified organizations."""
    return (
        project.status == "published"
        and project.raised < project.goal
        and organization.verified
        and project.deadline > now
    )


def credibility(organization: OrganizationFacts) -> float:
    grade_mix, tier_mix, report_mix = CREDIBILITY_MIX
    if organization.reports_due:
        reports = min(organization.reports_on_time, organization.reports_due) / organization.reports_due
    else:
        reports = REPORTS_UNKNOWN
    return (
        grade_mix * GRADE_CREDIT.get(organization.grade, GRADE_CREDIT[None])
        + tier_mix * TIER_CREDIT.get(organization.tier, TIER_CREDIT[None])
        + report_mix * reports
    )


def suggested_amount(sponsor: SponsorFacts, gap: int) -> int:
    """What the one-click pledge proposes: the gap, within the company's usual range."""
    amount = gap
    if sponsor.pledge_max:
        amount = min(amount, sponsor.pledge_max)
    if sponsor.pledge_min:
        amount = max(amount, min(sponsor.pledge_min, gap))
    return max(amount, 100)


# ─────────────────────────────── the catalog ───────────────────────────────


class Catalog:
    """The suggestible-by-state projects as columns, with TF-IDF vectors of their text.

    Built once and reused for many companies; ``refresh_amounts`` patches raised amounts of a few
    rows from fresh database reads, so a cached catalog never states a stale gap.
    """

    def __init__(
        self, projects: Iterable[ProjectFacts], organizations: Mapping[int, OrganizationFacts]
    ) -> None:
        kept = [
            p
            for p in projects
            if p.status == "published"
            and p.raised < p.goal
            and p.organization_id in organizations
            and organizations[p.organization_id].verified
        ]
        kept.sort(key=lambda p: p.id)
        self.projects: list[ProjectFacts] = kept
        self.organizations = dict(organizations)
        self.row_of = {p.id: row for row, p in enumerate(kept)}
        n = len(kept)
        self.ids = np.fromiter((p.id for p in kept), dtype=np.int64, count=n)
        self.org_ids = np.fromiter((p.organization_id for p in kept), dtype=np.int64, count=n)
        self.goal = np.fromiter((p.goal for p in kept), dtype=np.float64, count=n)
        self.raised = np.fromiter((p.raised for p in kept), dtype=np.float64, count=n)
        self.deadline = np.fromiter((_epoch(p.deadline) for p in kept), dtype=np.float64, count=n)
        self.categories = sorted({p.category for p in kept})
        self.districts = sorted({p.district for p in kept})
        category_index = {c: i for i, c in enumerate(self.categories)}
        district_index = {d: i for i, d in enumerate(self.districts)}
        self.category_idx = np.fromiter((category_index[p.category] for p in kept), dtype=np.int32, count=n)
        self.district_idx = np.fromiter((district_index[p.district] for p in kept), dtype=np.int32, count=n)
        org_credit = {oid: credibility(org) for oid, org in self.organizations.items()}
        self.credibility = np.fromiter((org_credit[p.organization_id] for p in kept), np.float64, count=n)
        self.grade = [self.organizations[p.organization_id].grade for p in kept]
        self.tier = [self.organizations[p.organization_id].tier for p in kept]
        # The same as small codes (0 = none), so that a company's preferred grades and tiers are
        # one array lookup per row instead of a Python test per row.
        self.grade_code = np.fromiter((_GRADE_CODE.get(g, 0) for g in self.grade), np.int8, count=n)
        self.tier_code = np.fromiter((_TIER_CODE.get(t, 0) for t in self.tier), np.int8, count=n)
        self._build_text(kept)

    def __len__(self) -> int:
        return len(self.projects)

    def _build_text(self, kept: Sequence[ProjectFacts]) -> None:
        # Flat arrays, one entry per (project, word), in each project's word order: numpy does the
        # counting, weighting and normalising that per-word Python loops did (same floats).
        vocabulary: dict[str, int] = {}
        number = vocabulary.setdefault
        term_lists = [[number(term, len(vocabulary)) for term in project.terms] for project in kept]
        n = len(kept)
        lengths = np.fromiter((len(terms) for terms in term_lists), np.int64, count=n)
        total = int(lengths.sum())
        term_ids = np.fromiter(itertools.chain.from_iterable(term_lists), np.int64, count=total)
        # math.log, as before: numpy's SIMD log may differ from libm in the last bit on some CPUs
        log_tf = np.fromiter(
            (math.log(tf) for project in kept for tf in project.terms.values()), np.float64, count=total
        )
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        df = np.bincount(term_ids, minlength=len(vocabulary))
        self.vocabulary = vocabulary
        self.terms = list(vocabulary)  # term id → word (ids are given in insertion order)
        self.idf = np.log((n + 1) / (df.astype(np.float64) + 1.0)) + 1.0
        weights = (1.0 + log_tf) * self.idf[term_ids]
        squares = np.zeros(n)
        np.add.at(squares, rows, weights * weights)  # unbuffered: summed in each project's word order
        norms = np.sqrt(squares)
        norms[norms == 0.0] = 1.0
        normalised = weights / norms[rows]
        # Per project: its term ids and L2-normalised weights (for explanations and single rows);
        # per term: the rows that contain it and their weights (for scoring everything at once).
        starts = np.concatenate(([0], np.cumsum(lengths))).tolist()
        flat = normalised.tolist()
        self.project_terms: list[dict[int, float]] = [
            dict(zip(terms, flat[start:end], strict=True))
            for terms, start, end in zip(term_lists, starts, starts[1:], strict=False)
        ]
        order = np.argsort(term_ids, kind="stable")  # rows stay in ascending order within a term
        by_term_rows, by_term_weights = rows[order], normalised[order]
        bounds = np.concatenate(([0], np.cumsum(df))).tolist()
        self.postings = [
            (by_term_rows[start:end], by_term_weights[start:end]) for start, end in itertools.pairwise(bounds)
        ]

    def query_vector(self, terms: Mapping[str, int]) -> dict[int, float]:
        weights = {
            self.vocabulary[t]: (1.0 + math.log(tf)) * self.idf[self.vocabulary[t]]
            for t, tf in terms.items()
            if t in self.vocabulary and tf > 0
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def raised_of(self, project_id: int) -> int | None:
        row = self.row_of.get(project_id)
        return None if row is None else int(self.raised[row])

    def gap_of(self, project_id: int) -> int | None:
        row = self.row_of.get(project_id)
        return None if row is None else int(self.goal[row] - self.raised[row])

    def refresh_amounts(self, raised: Mapping[int, int | None]) -> None:
        """Patch raised amounts from fresh reads; None marks a project that can no longer be
        suggested (closed, funded elsewhere, organization suspended) until the next rebuild."""
        for project_id, amount in raised.items():
            row = self.row_of.get(project_id)
            if row is not None:
                self.raised[row] = self.goal[row] if amount is None else amount


def _epoch(moment: datetime) -> float:
    # Naive UTC throughout; timestamp() would read a naive datetime as local time.
    return (moment - datetime(1970, 1, 1)).total_seconds()


# ─────────────────────────────── scoring ───────────────────────────────


@dataclass(frozen=True)
class Reason:
    code: str
    message: Msg


@dataclass(frozen=True)
class Match:
    company_id: int
    project_id: int
    organization_id: int
    score: float
    parts: Mapping[str, float]
    reasons: tuple[Reason, ...]
    gap: int
    suggested_amount: int


class _Sponsor:
    """A sponsor's facts turned into lookups against one catalog."""

    def __init__(self, sponsor: SponsorFacts, catalog: Catalog) -> None:
        self.facts = sponsor
        self.query = catalog.query_vector(sponsor.interest_terms)
        focus = sponsor.focus_categories
        self.category_fit = np.array(
            [1.0 if c in focus else (0.0 if focus else NO_PREFERENCE) for c in catalog.categories] or [0.0]
        )
        self.district_fit = np.array([_district_fit(sponsor, d) for d in catalog.districts] or [0.0])
        total = sum(sponsor.history.values())
        self.history_fit = np.array(
            [min(1.0, 1.5 * sponsor.history.get(c, 0) / total) if total else 0.0 for c in catalog.categories]
            or [0.0]
        )
        self.supported = np.fromiter(sponsor.supported_organizations, np.int64)
        self.pledged = np.fromiter(sponsor.pledged_projects, np.int64)
        self.low = sponsor.pledge_min or 0
        high = sponsor.pledge_max
        if high is None and sponsor.yearly_budget:
            high = sponsor.yearly_budget // 4  # no range given: a quarter of the year's budget
        self.high = high


def _district_fit(sponsor: SponsorFacts, district: str) -> float:
    if district in sponsor.districts:
        return 1.0
    if district == sponsor.district:
        return HOME_DISTRICT if sponsor.districts else 1.0
    return 0.0 if sponsor.districts else NO_PREFERENCE


def _parts(sponsor: _Sponsor, catalog: Catalog, rows: np.ndarray, now: float) -> dict[str, np.ndarray]:
    gap = catalog.goal[rows] - catalog.raised[rows]
    parts = {
        "category": sponsor.category_fit[catalog.category_idx[rows]],
        "district": sponsor.district_fit[catalog.district_idx[rows]],
        "text": _text_part(sponsor, catalog, rows),
        "budget": _budget_part(sponsor, gap),
        "credibility": _credibility_part(sponsor, catalog, rows),
        "urgency": _urgency_part(catalog, rows, gap, now),
        "history": _history_part(sponsor, catalog, rows),
    }
    return parts


def _text_part(sponsor: _Sponsor, catalog: Catalog, rows: np.ndarray) -> np.ndarray:
    if not sponsor.query:
        return np.zeros(len(rows))
    if len(rows) > _FEW_ROWS:  # walk the postings of the statement's words, then keep the rows asked
        similarity = np.zeros(len(catalog))
        for term, weight in sponsor.query.items():
            hit_rows, hit_weights = catalog.postings[term]
            similarity[hit_rows] += weight * hit_weights
        if len(rows) != len(catalog):
            similarity = similarity[rows]
    else:  # one or a few rows (score_pair, rank_sponsors): look the words up per row
        similarity = np.array(
            [
                sum(
                    weight * catalog.project_terms[row].get(term, 0.0)
                    for term, weight in sponsor.query.items()
                )
                for row in rows
            ]
        )
    return np.minimum(1.0, similarity / TEXT_FULL_AT)


def _budget_part(sponsor: _Sponsor, gap: np.ndarray) -> np.ndarray:
    if sponsor.high is None:
        return np.full(len(gap), NO_PREFERENCE)
    high = max(sponsor.high, 1)
    inside = (gap >= sponsor.low) & (gap <= high)
    below = gap < sponsor.low
    above = ABOVE_RANGE_FLOOR + (1.0 - ABOVE_RANGE_FLOOR) * high / np.maximum(gap, 1.0)
    return np.where(inside, 1.0, np.where(below, BELOW_RANGE, np.minimum(above, 1.0)))


def _credibility_part(sponsor: _Sponsor, catalog: Catalog, rows: np.ndarray) -> np.ndarray:
    part = catalog.credibility[rows]
    grades, tiers = sponsor.facts.preferred_grades, sponsor.facts.preferred_tiers
    if grades or tiers:
        misses = np.zeros(len(rows), dtype=bool)
        if grades:
            allowed = np.array([grade in grades for grade in (None, *GRADES)])
            misses |= ~allowed[catalog.grade_code[rows]]
        if tiers:
            allowed = np.array([tier in tiers for tier in (None, *TIERS)])
            misses |= ~allowed[catalog.tier_code[rows]]
        part = np.where(misses, part * PREFERENCE_MISS, part)
    return part


def _urgency_part(catalog: Catalog, rows: np.ndarray, gap: np.ndarray, now: float) -> np.ndarray:
    days = (catalog.deadline[rows] - now) / DAY
    time_pressure = np.clip((CALM_DAYS - days) / (CALM_DAYS - URGENT_DAYS), 0.0, 1.0)
    missing = gap / catalog.goal[rows]
    time_mix, missing_mix = URGENCY_MIX
    return time_mix * time_pressure + missing_mix * missing


def _history_part(sponsor: _Sponsor, catalog: Catalog, rows: np.ndarray) -> np.ndarray:
    part = sponsor.history_fit[catalog.category_idx[rows]]
    if len(sponsor.supported):
        part = part + SUPPORTED_ORGANIZATION * np.isin(catalog.org_ids[rows], sponsor.supported)
    return np.minimum(part, 1.0)


def _total(parts: Mapping[str, np.ndarray]) -> np.ndarray:
    """Scores to one decimal, equal to Python's ``round(sum(weight × part), 1)`` for every row (what a
    person recomputing a score from its parts gets). numpy's own round differs where ×10 lands on .5
    (49.15 → 49.2, Python 49.1), so those few rows are rounded by Python."""
    total = sum(WEIGHTS[name] * values for name, values in parts.items())
    scaled = total * 10
    rounded = np.rint(scaled) / 10
    for index in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6):
        rounded[index] = round(float(total[index]), 1)
    return rounded


def _open_rows(sponsor: _Sponsor, catalog: Catalog, rows: np.ndarray, now: float) -> np.ndarray:
    keep = catalog.deadline[rows] > now
    keep &= catalog.raised[rows] < catalog.goal[rows]
    if len(sponsor.pledged):
        keep &= ~np.isin(catalog.ids[rows], sponsor.pledged)
    return rows[keep]


def rank_projects(
    sponsor: SponsorFacts,
    catalog: Catalog,
    now: datetime,
    *,
    limit: int = 20,
    audience: str = Audience.COMPANY,
    per_organization: int = PER_ORGANIZATION,
    among: Iterable[int] | None = None,
) -> list[Match]:
    """The best ``limit`` projects for one company, best first, with reasons.

    ``among`` restricts the ranking to some project ids (a filtered board view).
    """
    compiled = _Sponsor(sponsor, catalog)
    moment = _epoch(now)
    if among is None:
        rows = np.arange(len(catalog))
    else:
        rows = np.array(sorted({catalog.row_of[i] for i in among if i in catalog.row_of}), dtype=np.int64)
    rows = _open_rows(compiled, catalog, rows, moment)
    if not len(rows) or limit <= 0:
        return []
    parts = _parts(compiled, catalog, rows, moment)
    totals = _total(parts)
    order = np.lexsort((catalog.ids[rows], -totals))  # best first, then lowest id
    picked: list[int] = []
    deferred: list[int] = []
    per_org: dict[int, int] = {}
    for position in order:
        organization_id = int(catalog.org_ids[rows[position]])
        if per_org.get(organization_id, 0) >= per_organization:
            if len(deferred) < limit:
                deferred.append(int(position))
            continue
        per_org[organization_id] = per_org.get(organization_id, 0) + 1
        picked.append(int(position))
        if len(picked) == limit:
            break
    picked += deferred[: limit - len(picked)]
    return [
        _match(compiled, catalog, int(rows[p]), parts, p, float(totals[p]), audience, moment) for p in picked
    ]


def score_pair(
    sponsor: SponsorFacts, project_id: int, catalog: Catalog, now: datetime, audience: str = Audience.COMPANY
) -> Match | None:
    """One company and one project, or None when the project may not be suggested to it."""
    compiled = _Sponsor(sponsor, catalog)
    return _score_row(compiled, catalog, project_id, now, audience)


def rank_sponsors(
    sponsors: Iterable[SponsorFacts],
    project_id: int,
    catalog: Catalog,
    now: datetime,
    *,
    limit: int = 20,
    audience: str = Audience.BROKER,
) -> list[Match]:
    """The companies a project fits best (for its organization and for staff), best first."""
    scored: list[tuple[float, int, Match]] = []
    for sponsor in sponsors:
        match = _score_row(_Sponsor(sponsor, catalog), catalog, project_id, now, audience)
        if match is not None:
            scored.append((-match.score, sponsor.company_id, match))
    scored.sort(key=lambda item: item[:2])
    return [match for _, _, match in scored[:limit]]


def _score_row(
    compiled: _Sponsor, catalog: Catalog, project_id: int, now: datetime, audience: str
) -> Match | None:
    row = catalog.row_of.get(project_id)
    if row is None:
        return None
    moment = _epoch(now)
    rows = _open_rows(compiled, catalog, np.array([row], dtype=np.int64), moment)
    if not len(rows):
        return None
    parts = _parts(compiled, catalog, rows, moment)
    return _match(compiled, catalog, row, parts, 0, float(_total(parts)[0]), audience, moment)


def _match(
    compiled: _Sponsor,
    catalog: Catalog,
    row: int,
    columns: Mapping[str, np.ndarray],
    position: int,
    score: float,
    audience: str,
    now: float,
) -> Match:
    """One match from column ``position`` of the parts; ``score`` is the total the ranking used."""
    project = catalog.projects[row]
    parts = {name: float(values[position]) for name, values in columns.items()}
    gap = int(catalog.goal[row] - catalog.raised[row])
    return Match(
        company_id=compiled.facts.company_id,
        project_id=project.id,
        organization_id=project.organization_id,
        score=score,
        parts=parts,
        reasons=explain(compiled, catalog, row, parts, audience, now),
        gap=gap,
        suggested_amount=suggested_amount(compiled.facts, gap),
    )


# ─────────────────────────────── reasons ───────────────────────────────


def explain(
    compiled: _Sponsor, catalog: Catalog, row: int, parts: Mapping[str, float], audience: str, now: float
) -> tuple[Reason, ...]:
    """The reasons behind a match, the strongest part first; never empty."""
    company = audience == Audience.COMPANY
    sponsor = compiled.facts
    project = catalog.projects[row]
    organization = catalog.organizations[project.organization_id]
    gap = int(catalog.goal[row] - catalog.raised[row])
    found: list[tuple[float, int, Reason]] = []

    def add(part: str, code: str, message: Msg) -> None:
        found.append((-WEIGHTS[part] * parts[part], len(found), Reason(code, message)))

    if project.category in sponsor.focus_categories:
        add("category", "category", Msg("同属 %(category)s 领域", category=project.category_name))
    if project.district in sponsor.districts and project.district != sponsor.district:
        if company:
            add("district", "district", Msg("位于贵司关注的 %(district)s", district=project.district))
        else:
            add("district", "district", Msg("位于该企业关注的 %(district)s", district=project.district))
    elif project.district == sponsor.district:
        add("district", "district", Msg("同在 %(district)s", district=project.district))
    shared = _shared_words(compiled, catalog, row)
    if shared and parts["text"] >= 0.25:
        words = "、".join(shared)
        if company:
            add("text", "interest", Msg("与贵司关注的“%(words)s”相符", words=words))
        else:
            add("text", "interest", Msg("与该企业关注的“%(words)s”相符", words=words))
    _budget_reason(compiled, gap, company, add)
    _credibility_reasons(sponsor, organization, company, add)
    _history_reasons(sponsor, project, company, add)
    _urgency_reason(catalog, row, gap, now, add)
    if not found:  # every suggestion says at least what it still needs
        found.append((0.0, 0, Reason("gap", Msg("距目标还差 %(gap)s", gap=format_fen(gap)))))
    found.sort(key=lambda item: item[:2])
    return tuple(reason for _, _, reason in found)


def _shared_words(compiled: _Sponsor, catalog: Catalog, row: int, most: int = 3) -> list[str]:
    terms = catalog.project_terms[row]
    contributions = sorted(
        ((-weight * terms[term], term) for term, weight in compiled.query.items() if term in terms),
    )
    return [catalog.terms[term] for _, term in contributions[:most]]


def _budget_reason(compiled: _Sponsor, gap: int, company: bool, add) -> None:  # type: ignore[no-untyped-def]
    if compiled.high is None:
        return
    amount = format_fen(gap)
    if compiled.low <= gap <= compiled.high:
        if company:
            add("budget", "budget", Msg("距目标还差 %(gap)s，在贵司单笔认捐范围内", gap=amount))
        else:
            add("budget", "budget", Msg("距目标还差 %(gap)s，在该企业单笔认捐范围内", gap=amount))
    elif gap < compiled.low:
        add("budget", "budget", Msg("距目标只差 %(gap)s，一笔认捐即可完成", gap=amount))
    else:
        share = compiled.high * 100 // max(gap, 1)
        if share >= 20:
            if company:
                add("budget", "budget", Msg("贵司一笔认捐可补上缺口的 %(share)s%%", share=share))
            else:
                add("budget", "budget", Msg("该企业一笔认捐可补上缺口的 %(share)s%%", share=share))


def _credibility_reasons(sponsor: SponsorFacts, organization: OrganizationFacts, company: bool, add) -> None:  # type: ignore[no-untyped-def]
    grade = organization.grade
    if grade and (grade >= "A3" or grade in sponsor.preferred_grades):
        label = f"{grade[1]}A"
        if grade in sponsor.preferred_grades:
            if company:
                add("credibility", "grade", Msg("组织评级 %(grade)s，符合贵司偏好", grade=label))
            else:
                add("credibility", "grade", Msg("组织评级 %(grade)s，符合该企业偏好", grade=label))
        else:
            add("credibility", "grade", Msg("组织评级 %(grade)s", grade=label))
    tier = organization.tier
    if tier and (tier != "growing" or tier in sponsor.preferred_tiers):
        add("credibility", "tier", Msg("%(tier)s组织", tier=TIER_NAMES[tier]))
    if organization.reports_due and organization.reports_on_time >= organization.reports_due:
        add(
            "credibility",
            "reports",
            Msg("按时提交了全部 %(count)s 份善款使用报告", count=organization.reports_due),
        )


def _history_reasons(sponsor: SponsorFacts, project: ProjectFacts, company: bool, add) -> None:  # type: ignore[no-untyped-def]
    if project.organization_id in sponsor.partner_organizations:
        if company:
            add("history", "history", Msg("贵司与该组织签有合作协议"))
        else:
            add("history", "history", Msg("该企业与该组织签有合作协议"))
        return
    if project.organization_id in sponsor.supported_organizations:
        if company:
            add("history", "history", Msg("贵司曾支持过该组织的项目"))
        else:
            add("history", "history", Msg("该企业曾支持过该组织的项目"))
        return
    count = sponsor.history.get(project.category, 0)
    if count:
        if company:
            add(
                "history",
                "history",
                Msg("贵司曾支持 %(count)s 个%(category)s项目", count=count, category=project.category_name),
            )
        else:
            add(
                "history",
                "history",
                Msg("该企业曾支持 %(count)s 个%(category)s项目", count=count, category=project.category_name),
            )


def _urgency_reason(catalog: Catalog, row: int, gap: int, now: float, add) -> None:  # type: ignore[no-untyped-def]
    days = math.ceil((catalog.deadline[row] - now) / DAY)  # as the project page counts: a part day is a day
    if days > URGENT_REASON_DAYS:
        return
    goal = int(catalog.goal[row])
    percent = gap * 100 // goal  # integers: 42 % of ¥10,000 missing is 42, not 41.99…
    missing = gap / goal
    if missing >= 0.5:
        add("urgency", "urgency", Msg("还剩 %(days)s 天，目标尚缺 %(percent)s%%", days=days, percent=percent))
    else:
        add("urgency", "urgency", Msg("还剩 %(days)s 天", days=days))
