"""The consortium partner finder: which organizations complement a lead on one tender (0–100), and
why, in words the lead can check. PURE: no Flask, no database.

The score is a weighted sum of five parts, each between 0 and 1, rounded to whole points. The
weights are the whole policy, live here only, and add up to 100:

| part       | weight | 1.0 means                                                                  |
|------------|-------:|----------------------------------------------------------------------------|
| complement |   35   | it works in the tender's field, which the lead lacks, and in a related one  |
| grade      |   20   | the consortium, counted at its lowest member's grade, stays at 5A          |
| district   |   15   | it works in the tender's district                                          |
| capacity   |   15   | 10+ public projects, ¥100,000+ raised, 5+ active members on the platform   |
| trust      |   15   | two signed agreements with the lead (or one and two submitted bids together) |

Grades count as a procurement evaluation counts them (``rules.consortium_grade``): only a grade still
valid on the submission deadline, and the consortium at its lowest member's. The grade part mixes
the consortium's grade after the candidate joins (``GRADE_MIX``: mostly) with the candidate's own.
Under ``min_of_members`` a candidate below the minimum would make the bid ineligible, so it is never
suggested; under ``priority_only`` and ``lead_only`` it may join but staff will see it flagged, so its
grade part is scaled down by ``BELOW_MINIMUM`` and a reason says so; a candidate that pulls the
consortium below 3A (losing the policy priority) gets a lower grade part and a reason explaining it.

Never suggested (:func:`exclusion`): the lead itself, an unverified organization, a league body (the
league is broker, not supplier), an organization another live bid on the tender already binds
(实施条例 第22条), an organization already in the lead's bid. Nothing is suggested when the tender
does not accept consortia or the lead's consortium is already full. Ties break on the lower
organization id, so the same facts always give the same list whatever order they arrive in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from marketplace.messages import Msg
from marketplace.money import format_fen
from marketplace.tenders.rules import (
    MAX_MEMBERS_LIMIT,
    GradeRule,
    OrgFacts,
    consortium_grade,
    effective_grade,
    grade_label,
    grade_rank,
    has_priority,
)

WEIGHTS: Final[Mapping[str, int]] = MappingProxyType(
    {"complement": 35, "grade": 20, "district": 15, "capacity": 15, "trust": 15}
)
PARTS: Final = tuple(WEIGHTS)
MAX_LIMIT: Final = 50

# complement
FIELD_LACKED: Final = 0.8  # has the tender's field and the lead does not
FIELD_SHARED: Final = 0.4  # has it too: more hands for the same service
RELATED_EACH: Final = 0.2  # each related field the lead lacks …
RELATED_COUNTED: Final = 2  # … counted up to two
# district
NEARBY: Final = 0.5
# Wenzhou's central urban districts (温州市区): organizations there serve one another's districts.
CENTRAL_DISTRICTS: Final = frozenset({"鹿城区", "龙湾区", "瓯海区"})
# grade
GRADE_CREDIT: Final[Mapping[str | None, float]] = MappingProxyType(
    {"A5": 1.0, "A4": 0.9, "A3": 0.8, "A2": 0.4, "A1": 0.3, None: 0.2}
)
GRADE_MIX: Final = (0.8, 0.2)  # the consortium's grade after joining, the candidate's own
BELOW_MINIMUM: Final = 0.5
# capacity
PROJECTS_FULL: Final = 10
RAISED_FULL: Final = 10_000_000  # fen: ¥100,000
MEMBERS_FULL: Final = 5
CAPACITY_MIX: Final = (0.5, 0.35, 0.15)  # projects, money raised, members
STRONG_PROJECTS: Final = 5  # "承接能力强" from this many projects
RAISED_REASON: Final = 1_000_000  # fen: say how much it raised from ¥10,000
# trust
AGREEMENT_CREDIT: Final = 0.5  # each signed agreement with the lead
BID_CREDIT: Final = 0.25  # each submitted bid with the lead on another tender

# Fields whose organizations a tender in the other often needs: each field, then the later ones it
# relates to (the relation is symmetric; see RELATED).
_RELATED_LISTS: Final = (
    ("children", "education youth health assistance disability"),
    ("youth", "education employment culture science"),
    ("elderly", "health community assistance disability culture"),
    ("disability", "health assistance employment"),
    ("education", "science culture"),
    ("employment", "assistance"),
    ("science", "environment"),
    ("environment", "community emergency"),
    ("emergency", "community health"),
    ("community", "culture assistance"),
)


def _related_table() -> Mapping[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for first, others in _RELATED_LISTS:
        for second in others.split():
            table.setdefault(first, set()).add(second)
            table.setdefault(second, set()).add(first)
    return MappingProxyType({slug: frozenset(others) for slug, others in table.items()})


RELATED: Final = _related_table()


class Exclusion(StrEnum):
    """Why an organization is never suggested."""

    LEAD = "lead"
    UNVERIFIED = "unverified"
    LEAGUE_BODY = "league_body"
    COMMITTED = "committed"  # another live bid on the tender binds it
    IN_BID = "in_bid"  # already in the lead's bid
    BELOW_MINIMUM = "below_minimum"  # min_of_members: it would make the bid ineligible


# ─────────────────────────────── inputs ───────────────────────────────


@dataclass(frozen=True)
class Area:
    """A service field (category) by its stable slug, with the name people read."""

    slug: str
    name: str


@dataclass(frozen=True)
class TenderFacts:
    category: Area
    district: str
    deadline: date  # the submission deadline's day: grades must still be valid then
    allows_consortium: bool
    max_members: int | None = None
    min_grade: str | None = None
    grade_rule: str = GradeRule.PRIORITY_ONLY


@dataclass(frozen=True)
class LeadFacts:
    id: int
    district: str
    areas: frozenset[str] = frozenset()  # slugs
    grade: str | None = None
    grade_valid_until: date | None = None
    # The other members of the lead's live bid on this tender (their grades count too) and every
    # organization already in it, members and subcontractors.
    members: tuple[OrgFacts, ...] = ()
    in_bid: frozenset[int] = frozenset()
    # Another live bid on the tender binding the lead as member or subcontractor: it cannot lead one.
    committed_bid_id: int | None = None

    def as_org(self) -> OrgFacts:
        return OrgFacts(id=self.id, name="", grade=self.grade, grade_valid_until=self.grade_valid_until)


@dataclass(frozen=True)
class CandidateFacts:
    id: int
    name: str
    district: str
    areas: tuple[Area, ...] = ()
    verified: bool = True
    is_league_body: bool = False
    grade: str | None = None
    grade_valid_until: date | None = None
    projects: int = 0  # public projects: published, funded or closed
    raised: int = 0  # fen raised by those projects
    members: int = 0  # active member accounts
    agreements_with_lead: int = 0  # signed (active or expired) agreements both are parties to
    bids_with_lead: int = 0  # bids on other tenders both took part in, submitted
    committed_bid_id: int | None = None  # another live bid on this tender that binds it

    def as_org(self) -> OrgFacts:
        return OrgFacts(
            id=self.id,
            name=self.name,
            verified=self.verified,
            grade=self.grade,
            grade_valid_until=self.grade_valid_until,
            is_league_body=self.is_league_body,
        )


# ─────────────────────────────── outputs ───────────────────────────────


@dataclass(frozen=True)
class Reason:
    code: str
    text: Msg
    # A caution explains why the candidate ranks lower (or what staff will flag); shown after the
    # reasons in its favour.
    caution: bool = False


@dataclass(frozen=True)
class Suggestion:
    organization_id: int
    score: int  # 0–100
    parts: Mapping[str, float] = field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()


# ─────────────────────────────── rules ───────────────────────────────


def room_left(tender: TenderFacts, lead: LeadFacts) -> int:
    """How many more members the lead's consortium may take (0 when consortia are not accepted)."""
    if not tender.allows_consortium or lead.committed_bid_id is not None:
        return 0
    limit = tender.max_members if tender.max_members is not None else MAX_MEMBERS_LIMIT
    return max(0, limit - 1 - len(lead.members))


def exclusion(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> Exclusion | None:
    """The hard rule: why ``candidate`` may never be suggested to ``lead``, or None."""
    if candidate.id == lead.id:
        return Exclusion.LEAD
    if not candidate.verified:
        return Exclusion.UNVERIFIED
    if candidate.is_league_body:
        return Exclusion.LEAGUE_BODY
    if candidate.id in lead.in_bid:
        return Exclusion.IN_BID
    if candidate.committed_bid_id is not None:
        return Exclusion.COMMITTED
    if (
        tender.grade_rule == GradeRule.MIN_OF_MEMBERS
        and tender.min_grade
        and grade_rank(effective_grade(candidate.as_org(), tender.deadline)) < grade_rank(tender.min_grade)
    ):
        return Exclusion.BELOW_MINIMUM
    return None


# ─────────────────────────────── the parts ───────────────────────────────


def related_areas(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> list[Area]:
    """The candidate's fields related to the tender's that the lead lacks, in the candidate's order."""
    related = RELATED.get(tender.category.slug, frozenset())
    return [area for area in candidate.areas if area.slug in related and area.slug not in lead.areas]


def complement_part(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> float:
    slugs = {area.slug for area in candidate.areas}
    if tender.category.slug in slugs:
        base = FIELD_SHARED if tender.category.slug in lead.areas else FIELD_LACKED
    else:
        base = 0.0
    extra = RELATED_EACH * min(len(related_areas(candidate, tender, lead)), RELATED_COUNTED)
    return min(1.0, base + extra)


def district_part(candidate: CandidateFacts, tender: TenderFacts) -> float:
    if candidate.district == tender.district:
        return 1.0
    if candidate.district in CENTRAL_DISTRICTS and tender.district in CENTRAL_DISTRICTS:
        return NEARBY
    return 0.0


@dataclass(frozen=True)
class _Grades:
    own: str | None  # the candidate's grade valid on the deadline
    before: str | None  # the consortium's without the candidate
    after: str | None  # … and with it


def _grades(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> _Grades:
    consortium = [lead.as_org(), *lead.members]
    return _Grades(
        own=effective_grade(candidate.as_org(), tender.deadline),
        before=consortium_grade(consortium, tender.deadline),
        after=consortium_grade([*consortium, candidate.as_org()], tender.deadline),
    )


def _below_minimum(grade: str | None, tender: TenderFacts) -> bool:
    return bool(tender.min_grade) and grade_rank(grade) < grade_rank(tender.min_grade)


def grade_part(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> float:
    grades = _grades(candidate, tender, lead)
    after_mix, own_mix = GRADE_MIX
    part = after_mix * GRADE_CREDIT[grades.after] + own_mix * GRADE_CREDIT[grades.own]
    if _below_minimum(grades.own, tender):
        part *= BELOW_MINIMUM
    return part


def capacity_part(candidate: CandidateFacts) -> float:
    projects_mix, raised_mix, members_mix = CAPACITY_MIX
    return (
        projects_mix * min(1.0, candidate.projects / PROJECTS_FULL)
        + raised_mix * min(1.0, candidate.raised / RAISED_FULL)
        + members_mix * min(1.0, candidate.members / MEMBERS_FULL)
    )


def trust_part(candidate: CandidateFacts) -> float:
    return min(1.0, AGREEMENT_CREDIT * candidate.agreements_with_lead + BID_CREDIT * candidate.bids_with_lead)


def parts_of(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> dict[str, float]:
    return {
        "complement": complement_part(candidate, tender, lead),
        "grade": grade_part(candidate, tender, lead),
        "district": district_part(candidate, tender),
        "capacity": capacity_part(candidate),
        "trust": trust_part(candidate),
    }


def total(parts: Mapping[str, float]) -> int:
    """The weighted sum in whole points, halves rounded up (what a person recomputing it expects)."""
    exact = sum(WEIGHTS[name] * parts[name] for name in PARTS)
    return math.floor(exact + 0.5 + 1e-9)


# ─────────────────────────────── ranking ───────────────────────────────


def score_partner(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> Suggestion | None:
    """One candidate scored for one lead, or None when it may never be suggested."""
    if exclusion(candidate, tender, lead) is not None:
        return None
    parts = parts_of(candidate, tender, lead)
    return Suggestion(
        organization_id=candidate.id,
        score=total(parts),
        parts=MappingProxyType(parts),
        reasons=explain(candidate, tender, lead, parts),
    )


def rank_partners(
    tender: TenderFacts, lead: LeadFacts, candidates: Iterable[CandidateFacts], *, limit: int = 10
) -> list[Suggestion]:
    """The best ``limit`` partners for the lead, best first (ties: lower organization id)."""
    if limit <= 0 or room_left(tender, lead) <= 0:
        return []
    scored = [s for s in (score_partner(c, tender, lead) for c in candidates) if s is not None]
    scored.sort(key=lambda suggestion: (-suggestion.score, suggestion.organization_id))
    return scored[:limit]


# ─────────────────────────────── reasons ───────────────────────────────


def explain(
    candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts, parts: Mapping[str, float]
) -> tuple[Reason, ...]:
    """The reasons for a suggestion, the part weighing most first, cautions last; never empty."""
    found: list[tuple[float, int, Reason]] = []

    def add(part: str, reason: Reason) -> None:
        found.append((-WEIGHTS[part] * parts[part], len(found), reason))

    for reason in _complement_reasons(candidate, tender, lead):
        add("complement", reason)
    for reason in _district_reasons(candidate, tender, lead):
        add("district", reason)
    for reason in _grade_reasons(candidate, tender, lead):
        add("grade", reason)
    for reason in _capacity_reasons(candidate):
        add("capacity", reason)
    for reason in _trust_reasons(candidate):
        add("trust", reason)
    if not any(not reason.caution for _, _, reason in found):
        found.append((0.0, len(found), Reason("eligible", Msg("已通过团区委认证，可作为联合体成员参与投标"))))
    found.sort(key=lambda item: (item[2].caution, item[0], item[1]))
    return tuple(reason for _, _, reason in found)


def _complement_reasons(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> list[Reason]:
    found = []
    field_name = tender.category.name
    if any(area.slug == tender.category.slug for area in candidate.areas):
        if tender.category.slug in lead.areas:
            text = Msg("同样从事%(field)s服务，可分担服务量", field=field_name)
            found.append(Reason("same_field", text))
        else:
            text = Msg("具备该项目所需的%(field)s服务领域，可补足牵头方", field=field_name)
            found.append(Reason("complements", text))
    related = related_areas(candidate, tender, lead)
    if related:
        names = "、".join(area.name for area in related)
        found.append(
            Reason(
                "related_fields", Msg("还能提供贵组织尚未涉及的%(fields)s服务，与本项目相关", fields=names)
            )
        )
    return found


def _district_reasons(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> list[Reason]:
    if candidate.district == tender.district:
        if lead.district == tender.district:
            return [Reason("district", Msg("同在%(district)s开展服务", district=tender.district))]
        return [Reason("district", Msg("在项目所在的%(district)s开展服务", district=tender.district))]
    if district_part(candidate, tender) > 0:
        return [Reason("district_nearby", Msg("在邻近的%(district)s开展服务", district=candidate.district))]
    return []


def _grade_reasons(candidate: CandidateFacts, tender: TenderFacts, lead: LeadFacts) -> list[Reason]:
    grades = _grades(candidate, tender, lead)
    found: list[Reason] = []
    if candidate.grade and grades.own is None:
        text = Msg(
            "等级 %(grade)s 于 %(until)s 到期，早于投标截止日，届时不再计入",
            grade=grade_label(candidate.grade),
            until=candidate.grade_valid_until.isoformat() if candidate.grade_valid_until else "—",
        )
        found.append(Reason("grade_expires", text, caution=True))
    below = _below_minimum(grades.own, tender)
    if below:
        minimum = grade_label(tender.min_grade)
        if grades.own:
            text = Msg(
                "等级 %(grade)s，低于本项目要求的 %(min)s：不设门槛，但评审时会被标注",
                grade=grade_label(grades.own),
                min=minimum,
            )
        else:
            text = Msg("尚无有效等级，低于本项目要求的 %(min)s：不设门槛，但评审时会被标注", min=minimum)
        found.append(Reason("grade_below_minimum", text, caution=True))
    losing = has_priority(grades.before) and not has_priority(grades.after)
    if losing:
        if grades.after:
            text = Msg(
                "加入后联合体按最低等级计为 %(after)s，将失去 3A 及以上的政策优先",
                after=grade_label(grades.after),
            )
        else:
            text = Msg("加入后联合体按最低等级计将没有等级，将失去 3A 及以上的政策优先")
        found.append(Reason("grade_lowers", text, caution=True))
    elif grades.own is None and grades.before is not None and not candidate.grade:
        found.append(Reason("grade_none", Msg("尚未评定等级，联合体按最低等级计将没有等级"), caution=True))
    if grades.own is not None and not below and not losing:
        found.append(Reason("grade", _grade_text(grades)))
    return found


def _grade_text(grades: _Grades) -> Msg:
    own = grade_label(grades.own)
    if grades.before is None or grades.after is None:
        return Msg("等级 %(grade)s", grade=own)
    if grades.after == grades.before:
        return Msg(
            "等级 %(grade)s，联合体按最低等级计仍为 %(after)s", grade=own, after=grade_label(grades.after)
        )
    return Msg("等级 %(grade)s，联合体按最低等级计为 %(after)s", grade=own, after=grade_label(grades.after))


def _capacity_reasons(candidate: CandidateFacts) -> list[Reason]:
    found = []
    if candidate.projects >= STRONG_PROJECTS:
        found.append(
            Reason("projects", Msg("已有 %(count)d 个公益项目，承接能力强", count=candidate.projects))
        )
    elif candidate.projects > 0:
        found.append(Reason("projects", Msg("已有 %(count)d 个公益项目", count=candidate.projects)))
    if candidate.raised >= RAISED_REASON:
        found.append(Reason("raised", Msg("累计筹款 %(amount)s", amount=format_fen(candidate.raised))))
    return found


def _trust_reasons(candidate: CandidateFacts) -> list[Reason]:
    found = []
    if candidate.agreements_with_lead:
        found.append(
            Reason(
                "worked_together", Msg("与贵组织曾合作 %(count)d 次", count=candidate.agreements_with_lead)
            )
        )
    if candidate.bids_with_lead:
        found.append(
            Reason("bid_together", Msg("曾与贵组织联合投标 %(count)d 次", count=candidate.bids_with_lead))
        )
    return found
