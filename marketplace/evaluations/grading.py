"""The arithmetic of an evaluation round (pure: no Flask, no SQLAlchemy, no floats).

Scores are integers in hundredths of a point (0–10000 is 0.00–100.00); weights of the three parts
are basis points (10000 = 1). Means are computed exactly with ``Fraction`` and rounded half up to a
hundredth only at the end, so a composite never drifts by a rounding of a rounding.

Defaults follow Yongjia's Spring Bud plan (永嘉县"春苗计划"): nine criteria; government 4 : peers 3 :
public 3; ≥ 90 → A5 … ≥ 50 → A1; a grade is valid five years; tiers 名木 / 成木 / 苗木 with yearly
quotas of 10 / 30 / 300.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise
from typing import Final

from marketplace.errors import DomainError
from marketplace.messages import Msg

MAX_SCORE: Final = 10000  # 100.00 points
ONE_BP: Final = 10000  # a weight of 1
GRADES: Final = ("A5", "A4", "A3", "A2", "A1")  # best first
GRADE_VALID_YEARS: Final = 5
MAX_CRITERIA: Final = 20
CRITERION_NAME_MAX: Final = 20
CRITERION_WEIGHT_MAX: Final = 1000
DEFAULT_PEERS_PER_REVIEWER: Final = 5
# With at least this many peer scores, the highest and the lowest are dropped (one each).
DROP_EXTREMES_FROM: Final = 5

PARTS: Final = ("government", "peer", "public")
TIERS: Final = ("leading", "demonstration", "growing")  # 名木, 成木, 苗木


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: int  # relative: a criterion of weight 20 counts twice one of weight 10


@dataclass(frozen=True)
class Band:
    min: int  # hundredths of a point, inclusive
    grade: str


@dataclass(frozen=True)
class Weights:
    government: int  # basis points
    peer: int
    public: int

    def of(self, part: str) -> int:
        return int(getattr(self, part))


@dataclass(frozen=True)
class Quotas:
    leading: int = 10
    demonstration: int = 30
    growing: int = 300

    def of(self, tier: str) -> int:
        return int(getattr(self, tier))


DEFAULT_CRITERIA: Final = (
    Criterion("团队建设", 15),  # team building
    Criterion("硬件设施", 10),  # facilities
    Criterion("内部管理", 15),  # management
    Criterion("服务成效", 20),  # service results
    Criterion("社会效益", 10),  # social benefit
    Criterion("宣传推广", 10),  # publicity
    Criterion("资源使用", 10),  # use of resources
    Criterion("创新发展", 5),  # innovation
    Criterion("调查研究", 5),  # research
)
DEFAULT_WEIGHTS_BP: Final = (4000, 3000, 3000)
DEFAULT_WEIGHTS: Final = Weights(*DEFAULT_WEIGHTS_BP)
DEFAULT_BANDS: Final = (
    Band(9000, "A5"),
    Band(8000, "A4"),
    Band(7000, "A3"),
    Band(6000, "A2"),
    Band(5000, "A1"),
)
DEFAULT_QUOTAS: Final = Quotas()
DEFAULT_MAX_VOTES: Final = 5


# ───────────── parsing ─────────────


def round_half_up(value: Fraction) -> int:
    """The nearest integer, halves away from zero (values here are never negative)."""
    floor = value.numerator // value.denominator
    return floor + 1 if value - floor >= Fraction(1, 2) else floor


def _decimal(raw: object) -> Decimal | None:
    """A number written as an int, a string or a Decimal (a float is read as the shortest decimal
    that prints as it, which is what a JSON client wrote: 88.5 → 88.5)."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip()
        if not text or len(text) > 20:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return value if value.is_finite() else None


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 99


SCORE_RANGE_MESSAGE: Final = Msg("分数须在 0 到 100 之间，最多两位小数")


def parse_score(raw: object) -> int | Msg:
    """A criterion score 0–100 with at most two decimals, as hundredths; or the reason it is not."""
    value = _decimal(raw)
    if value is None or not Decimal(0) <= value <= Decimal(100) or _places(value) > 2:
        return SCORE_RANGE_MESSAGE
    return int(value * 100)


def format_score(hundredths: int | None) -> str:
    """10000 → "100.00"; None → "—"."""
    if hundredths is None:
        return "—"
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def score_number(hundredths: int | None) -> Decimal | None:
    """A score as an exact two-decimal number for JSON (88.5 → 88.50)."""
    return None if hundredths is None else Decimal(hundredths).scaleb(-2).quantize(Decimal("0.01"))


def parse_weight(raw: object) -> int | Msg:
    """A weight between 0 and 1 ("0.4", 0.4, Decimal("0.35"), 1) as basis points."""
    value = _decimal(raw)
    if value is None or not Decimal(0) <= value <= Decimal(1) or _places(value) > 4:
        return Msg("权重须是 0 到 1 之间的小数，如 0.4（最多四位小数）")
    return int(value * ONE_BP)


WEIGHTS_SUM_MESSAGE: Final = "三项权重之和必须等于 1（现在是 %(total)s）"


def validate_weights(government: object, peer: object, public: object) -> Weights:
    """The three parts' weights, each 0–1, summing to exactly 1; else a DomainError per field."""
    errors: dict[str, str] = {}
    parsed: dict[str, int] = {}
    for name, raw in (("government", government), ("peer", peer), ("public", public)):
        result = parse_weight(raw)
        if isinstance(result, Msg):
            errors[f"weights.{name}"] = result
        else:
            parsed[name] = result
    if errors:
        raise DomainError(errors)
    total = sum(parsed.values())
    if total != ONE_BP:
        shown = str((Decimal(total) / ONE_BP).normalize())
        raise DomainError({"weights": Msg(WEIGHTS_SUM_MESSAGE, total=shown)})
    return Weights(**parsed)


def validate_criteria(items: Iterable[tuple[object, object]]) -> tuple[Criterion, ...]:
    """1–20 criteria with unique, non-empty names of at most 20 characters and positive integer
    weights (relative: they need not sum to anything in particular)."""
    criteria: list[Criterion] = []
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for index, (raw_name, raw_weight) in enumerate(items):
        name = raw_name.strip() if isinstance(raw_name, str) else ""
        if not name:
            errors[f"criteria.{index}.name"] = Msg("请填写评分项名称")
        elif len(name) > CRITERION_NAME_MAX:
            errors[f"criteria.{index}.name"] = Msg("评分项名称最多 %(max)d 个字", max=CRITERION_NAME_MAX)
        elif name in seen:
            errors[f"criteria.{index}.name"] = Msg("评分项「%(name)s」重复了", name=name)
        seen.add(name)
        weight = raw_weight
        if isinstance(weight, str) and weight.strip().isascii() and weight.strip().isdigit():
            weight = int(weight.strip())
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= CRITERION_WEIGHT_MAX:
            errors[f"criteria.{index}.weight"] = Msg(
                "评分项权重须是 1 到 %(max)d 之间的整数", max=CRITERION_WEIGHT_MAX
            )
            weight = 1
        criteria.append(Criterion(name, weight))
    if not criteria:
        errors["criteria"] = Msg("至少需要一个评分项")
    elif len(criteria) > MAX_CRITERIA:
        errors["criteria"] = Msg("评分项最多 %(max)d 个", max=MAX_CRITERIA)
    if errors:
        raise DomainError(errors)
    return tuple(criteria)


def validate_bands(items: Iterable[tuple[str, object]]) -> tuple[Band, ...]:
    """The five grades A5…A1 each with a minimum score 0–100; a better grade needs a higher
    minimum. Returned best first."""
    errors: dict[str, str] = {}
    bands: dict[str, int] = {}
    for grade, raw in items:
        if grade not in GRADES:
            errors["grade_bands"] = Msg("等级只能是 A1 到 A5")
            continue
        result = parse_score(raw)
        if isinstance(result, Msg):
            errors[f"grade_bands.{grade}"] = result
        else:
            bands[grade] = result
    if not errors and set(bands) != set(GRADES):
        errors["grade_bands"] = Msg("A5 到 A1 五个等级都要设分数线")
    if errors:
        raise DomainError(errors)
    ordered = tuple(Band(bands[grade], grade) for grade in GRADES)
    for better, worse in pairwise(ordered):
        if better.min <= worse.min:
            raise DomainError(
                {
                    f"grade_bands.{better.grade}": Msg(
                        "%(better)s 的分数线须高于 %(worse)s", better=better.grade, worse=worse.grade
                    )
                }
            )
    return ordered


def validate_quotas(leading: object, demonstration: object, growing: object) -> Quotas:
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for name, raw in (("leading", leading), ("demonstration", demonstration), ("growing", growing)):
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 100_000:
            errors[f"quotas.{name}"] = Msg("名额须是 0 到 100000 之间的整数")
        else:
            values[name] = raw
    if errors:
        raise DomainError(errors)
    return Quotas(**values)


def score_criteria(criteria: Sequence[Criterion], raw: Mapping[str, object]) -> dict[str, int]:
    """Each criterion's score (hundredths) from what a scorer entered; every criterion must be
    scored and no unknown one given. Problems are keyed ``criteria.<name>``."""
    names = {criterion.name for criterion in criteria}
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    for name in raw:
        if name not in names:
            errors[f"criteria.{name}"] = Msg("本轮评估没有这个评分项")
    for criterion in criteria:
        if criterion.name not in raw or raw[criterion.name] in (None, ""):
            errors[f"criteria.{criterion.name}"] = Msg("请为「%(name)s」打分", name=criterion.name)
            continue
        result = parse_score(raw[criterion.name])
        if isinstance(result, Msg):
            errors[f"criteria.{criterion.name}"] = result
        else:
            scores[criterion.name] = result
    if errors:
        raise DomainError(errors)
    return scores


# ───────────── scores ─────────────


def weighted_mean(scores: Mapping[str, int], criteria: Sequence[Criterion]) -> int:
    """The weighted mean of criterion scores (hundredths), rounded half up. A score must cover
    every criterion: a missing one is a programming error here (``score_criteria`` checks input)."""
    missing = [criterion.name for criterion in criteria if criterion.name not in scores]
    if missing or not criteria:
        raise ValueError(f"scores missing for criteria {missing}")
    total_weight = sum(criterion.weight for criterion in criteria)
    total = sum(Fraction(scores[criterion.name] * criterion.weight) for criterion in criteria)
    return round_half_up(total / total_weight)


def peer_score(received: Sequence[int]) -> int | None:
    """The mean of the peer scores an organization received; with five or more, the single highest
    and the single lowest are dropped first (so one friend or one rival cannot swing it). None when
    nobody scored it."""
    if not received:
        return None
    ordered = sorted(received)
    if len(ordered) >= DROP_EXTREMES_FROM:
        ordered = ordered[1:-1]
    return round_half_up(Fraction(sum(ordered), len(ordered)))


def public_scores(votes: Mapping[int, int]) -> dict[int, int | None]:
    """Votes normalised to 0–100: votes × 100 / the most votes any participant got (hundredths,
    half up); 0 votes → 0.00. If nobody voted in the round at all, the public part is missing
    (None) for everyone rather than 0 for everyone."""
    most = max(votes.values(), default=0)
    if most <= 0:
        return dict.fromkeys(votes)
    return {org: round_half_up(Fraction(count * MAX_SCORE, most)) for org, count in votes.items()}


@dataclass(frozen=True)
class Composite:
    value: int  # hundredths
    parts_used: tuple[str, ...]  # which of government / peer / public counted


def composite(
    government: int | None, peer: int | None, public: int | None, weights: Weights
) -> Composite | None:
    """The weighted composite of the three parts, or None without a government score (the
    organization is "not yet scored" and gets no grade).

    A missing peer or public part is left out and the weights of the parts present are rescaled to
    sum to 1: an organization nobody was assigned to review, or a round nobody voted in, should not
    be punished as if it had scored 0. (If the parts present all weigh 0, they count equally.)
    """
    if government is None:
        return None
    present = [
        (part, value)
        for part, value in (("government", government), ("peer", peer), ("public", public))
        if value is not None
    ]
    total_weight = sum(weights.of(part) for part, _ in present)
    if total_weight == 0:
        value = Fraction(sum(score for _, score in present), len(present))
    else:
        value = (
            sum((Fraction(weights.of(part) * score) for part, score in present), Fraction(0)) / total_weight
        )
    return Composite(round_half_up(value), tuple(part for part, _ in present))


def grade_for(score: int | None, bands: Sequence[Band] = DEFAULT_BANDS) -> str | None:
    """The best band whose minimum the score reaches; None below the lowest band (or unscored)."""
    if score is None:
        return None
    for band in sorted(bands, key=lambda band: -band.min):
        if score >= band.min:
            return band.grade
    return None


def rank(composites: Mapping[int, int | None]) -> dict[int, int | None]:
    """Competition ranking (1, 1, 3) by composite, best first; unscored organizations get None."""
    scored = sorted((value for value in composites.values() if value is not None), reverse=True)
    first_place: dict[int, int] = {}
    for position, value in enumerate(scored, start=1):
        first_place.setdefault(value, position)
    return {org: (first_place[value] if value is not None else None) for org, value in composites.items()}


# ───────────── tiers ─────────────


@dataclass(frozen=True)
class Result:
    """One participant's computed figures, as tier suggestions read them."""

    organization_id: int
    government: int | None
    peer: int | None
    public: int | None
    composite: int | None
    grade: str | None


@dataclass(frozen=True)
class BoundaryTie:
    """Organizations with the same composite on both sides of a tier's quota boundary: the
    suggestion broke the tie (government, then peer, then public, then id) and staff should look."""

    tier: str
    composite: int
    inside: tuple[int, ...]  # got the tier
    outside: tuple[int, ...]  # tied but fell below the boundary


@dataclass(frozen=True)
class TierSuggestion:
    tiers: dict[int, str | None]
    ties: tuple[BoundaryTie, ...] = field(default=())


def _order_key(result: Result) -> tuple[int, int, int, int, int]:
    def minus(value: int | None) -> int:
        return -value if value is not None else 1  # a missing part sorts after any score

    return (
        minus(result.composite),
        minus(result.government),
        minus(result.peer),
        minus(result.public),
        result.organization_id,
    )


def suggest_tiers(results: Iterable[Result], quotas: Quotas = DEFAULT_QUOTAS) -> TierSuggestion:
    """Best composite first: 名木 for the first `leading` places, then 成木, then 苗木. Only graded
    organizations get a suggestion. Ties are broken deterministically (government, peer, public,
    organization id) and a tie across a quota boundary is reported."""
    results = list(results)
    graded = sorted((result for result in results if result.grade is not None), key=_order_key)
    tiers: dict[int, str | None] = {result.organization_id: None for result in results}
    boundaries: list[tuple[str, int]] = []
    position = 0
    for tier in TIERS:
        end = min(position + quotas.of(tier), len(graded))
        for result in graded[position:end]:
            tiers[result.organization_id] = tier
        boundaries.append((tier, end))
        position = end
    ties: list[BoundaryTie] = []
    for tier, end in boundaries:
        if 0 < end < len(graded) and graded[end - 1].composite == graded[end].composite:
            value = graded[end].composite
            assert value is not None
            tied = [result for result in graded if result.composite == value]
            inside = tuple(r.organization_id for r in tied if graded.index(r) < end)
            outside = tuple(r.organization_id for r in tied if graded.index(r) >= end)
            ties.append(BoundaryTie(tier, value, inside, outside))
    return TierSuggestion(tiers, tuple(ties))


def tiers_over_quota(counts: Mapping[str, int], quotas: Quotas) -> list[str]:
    """The tiers assigned to more organizations than their quota allows (refused: "a tier beyond
    its quota")."""
    return [tier for tier in TIERS if counts.get(tier, 0) > quotas.of(tier)]


def check_tier_assignment(counts: Mapping[str, int], quotas: Quotas) -> list[str]:
    return tiers_over_quota(counts, quotas)


# ───────────── peer assignments ─────────────

PartnerPairs = frozenset[frozenset[int]]


def partner_pairs(pairs: Iterable[tuple[int, int]]) -> PartnerPairs:
    return frozenset(frozenset(pair) for pair in pairs if pair[0] != pair[1])


SELF_MESSAGE: Final = "组织不能给自己评分"
PARTNER_MESSAGE: Final = "两家组织正在合作（协议或联合体），不能互评"


def peer_exclusion(reviewer: int, reviewee: int, partners: PartnerPairs) -> Msg | None:
    """Why `reviewer` may not score `reviewee` (itself; a live partner), or None when it may."""
    if reviewer == reviewee:
        return Msg(SELF_MESSAGE)
    if frozenset((reviewer, reviewee)) in partners:
        return Msg(PARTNER_MESSAGE)
    return None


def assign_peers(
    participants: Iterable[int], partners: PartnerPairs, per_reviewer: int = DEFAULT_PEERS_PER_REVIEWER
) -> list[tuple[int, int]]:
    """(reviewer, reviewee) pairs: each participant reviews up to `per_reviewer` others, never
    itself nor a partner, and everyone is reviewed about equally.

    Deterministic: participants are taken in id order; in each of `per_reviewer` passes every
    reviewer takes the allowed reviewee with the fewest reviews so far, nearest after it in the
    circle of ids (the plain round-robin when nobody is excluded).
    """
    ordered = sorted(set(participants))
    count = len(ordered)
    received = dict.fromkeys(ordered, 0)
    chosen: dict[int, set[int]] = {org: set() for org in ordered}
    pairs: list[tuple[int, int]] = []
    for _ in range(max(0, per_reviewer)):
        for index, reviewer in enumerate(ordered):
            candidates = [
                (received[reviewee], offset, reviewee)
                for offset in range(1, count)
                if (reviewee := ordered[(index + offset) % count]) not in chosen[reviewer]
                and peer_exclusion(reviewer, reviewee, partners) is None
            ]
            if not candidates:
                continue
            _, _, reviewee = min(candidates)
            chosen[reviewer].add(reviewee)
            received[reviewee] += 1
            pairs.append((reviewer, reviewee))
    return pairs
