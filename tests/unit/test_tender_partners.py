"""The pure consortium partner finder: each part of the score as the module documents it, the grade
logic under each grade rule, the organizations never suggested, the reasons a lead reads, and a
deterministic order whatever order the facts arrive in."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from typing import Any

import pytest

from marketplace.taxonomy.data import CATEGORIES, CATEGORY_SLUGS, DISTRICT_NAMES
from marketplace.tenders.partners import (
    CENTRAL_DISTRICTS,
    PARTS,
    RELATED,
    WEIGHTS,
    Area,
    CandidateFacts,
    Exclusion,
    LeadFacts,
    Suggestion,
    TenderFacts,
    capacity_part,
    complement_part,
    district_part,
    exclusion,
    grade_part,
    rank_partners,
    room_left,
    score_partner,
    total,
    trust_part,
)
from marketplace.tenders.rules import OrgFacts

DEADLINE = date(2027, 1, 15)
VALID = DEADLINE + timedelta(days=365)
NAMES = {slug: name for slug, name, _ in CATEGORIES}


def area(slug: str) -> Area:
    return Area(slug, NAMES[slug])


def tender(**overrides: Any) -> TenderFacts:
    values: dict[str, Any] = dict(
        category=area("children"), district="鹿城区", deadline=DEADLINE, allows_consortium=True
    )
    values.update(overrides)
    return TenderFacts(**values)


def lead(**overrides: Any) -> LeadFacts:
    """An elderly-care organization in 鹿城区 with no grade, bidding alone so far."""
    values: dict[str, Any] = dict(id=1, district="鹿城区", areas=frozenset({"elderly"}))
    if "grade" in overrides:
        values["grade_valid_until"] = VALID
    values.update(overrides)
    if "areas" in overrides:
        values["areas"] = frozenset(overrides["areas"])
    return LeadFacts(**values)


def candidate(org_id: int = 2, *areas: str, **overrides: Any) -> CandidateFacts:
    """A verified organization in 洞头区 (neither the tender's district nor near it) with nothing else."""
    values: dict[str, Any] = dict(id=org_id, name=f"组织{org_id}", district="洞头区")
    values["areas"] = tuple(area(slug) for slug in areas)
    if "grade" in overrides:
        values["grade_valid_until"] = VALID
    values.update(overrides)
    return CandidateFacts(**values)


def member(org_id: int, grade: str | None) -> OrgFacts:
    return OrgFacts(id=org_id, name=f"成员{org_id}", grade=grade, grade_valid_until=VALID if grade else None)


def scored(
    cand: CandidateFacts, tender_facts: TenderFacts | None = None, lead_facts: LeadFacts | None = None
):
    found = score_partner(cand, tender_facts or tender(), lead_facts or lead())
    assert found is not None
    return found


def texts(suggestion: Suggestion) -> list[str]:
    return [str(reason.text) for reason in suggestion.reasons]


def codes(suggestion: Suggestion) -> list[str]:
    return [reason.code for reason in suggestion.reasons]


# ─────────────────────────────── the weights ───────────────────────────────


def test_weights_are_the_five_documented_parts_and_add_up_to_100() -> None:
    assert dict(WEIGHTS) == {"complement": 35, "grade": 20, "district": 15, "capacity": 15, "trust": 15}
    assert PARTS == ("complement", "grade", "district", "capacity", "trust")
    assert sum(WEIGHTS.values()) == 100


def test_the_weights_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        WEIGHTS["trust"] = 99  # type: ignore[index]


def test_the_score_is_the_weighted_sum_of_the_parts_in_whole_points() -> None:
    suggestion = scored(candidate(2, "children", grade="A3", projects=3, raised=2_000_000, members=2))
    exact = sum(WEIGHTS[name] * suggestion.parts[name] for name in PARTS)
    assert suggestion.score == int(exact + 0.5)
    assert set(suggestion.parts) == set(PARTS)
    assert all(0.0 <= value <= 1.0 for value in suggestion.parts.values())


@pytest.mark.parametrize(("exact", "points"), [(72.5, 73), (72.49, 72), (0.0, 0), (99.5, 100)])
def test_halves_round_up(exact: float, points: int) -> None:
    assert total({"complement": exact / 35, "grade": 0, "district": 0, "capacity": 0, "trust": 0}) == points


def test_a_perfect_partner_scores_100() -> None:
    perfect = candidate(
        2,
        "children",
        "education",
        district="鹿城区",
        grade="A5",
        projects=10,
        raised=10_000_000,
        members=5,
        agreements_with_lead=2,
    )
    suggestion = scored(perfect, lead_facts=lead(grade="A5"))
    assert dict(suggestion.parts) == {
        "complement": 1.0,
        "grade": 1.0,
        "district": 1.0,
        "capacity": 1.0,
        "trust": 1.0,
    }
    assert suggestion.score == 100


# ─────────────────────────────── each part ───────────────────────────────


@pytest.mark.parametrize(
    ("lead_areas", "candidate_areas", "expected"),
    [
        ({"elderly"}, ["children"], 0.8),  # brings the tender's field the lead lacks
        ({"children"}, ["children"], 0.4),  # the same field: more hands
        ({"elderly"}, ["children", "education"], 1.0),  # … and a related field
        ({"children"}, ["children", "education"], 0.6),
        ({"elderly"}, ["education"], 0.2),  # only a related field
        ({"elderly"}, ["education", "youth", "health"], 0.4),  # related fields count up to two
        ({"education"}, ["education"], 0.0),  # a related field the lead already has adds nothing
        ({"elderly"}, ["environment"], 0.0),  # unrelated
        ({"elderly"}, [], 0.0),
    ],
)
def test_complement(lead_areas: set[str], candidate_areas: list[str], expected: float) -> None:
    assert complement_part(candidate(2, *candidate_areas), tender(), lead(areas=lead_areas)) == pytest.approx(
        expected
    )


def test_related_fields_are_symmetric_and_name_real_categories() -> None:
    assert set(RELATED) <= CATEGORY_SLUGS
    for slug, others in RELATED.items():
        assert others <= CATEGORY_SLUGS and slug not in others
        assert all(slug in RELATED[other] for other in others)
    assert CENTRAL_DISTRICTS <= DISTRICT_NAMES


@pytest.mark.parametrize(
    ("tender_district", "candidate_district", "expected"),
    [
        ("鹿城区", "鹿城区", 1.0),
        ("鹿城区", "瓯海区", 0.5),  # both in the central urban districts
        ("龙湾区", "鹿城区", 0.5),
        ("鹿城区", "洞头区", 0.0),
        ("瑞安市", "龙港市", 0.0),  # only the central districts count as near each other
        ("瑞安市", "瑞安市", 1.0),
    ],
)
def test_district(tender_district: str, candidate_district: str, expected: float) -> None:
    assert district_part(candidate(district=candidate_district), tender(district=tender_district)) == expected


@pytest.mark.parametrize(
    ("projects", "raised", "members", "expected"),
    [
        (0, 0, 0, 0.0),
        (10, 10_000_000, 5, 1.0),
        (30, 99_000_000, 40, 1.0),  # full marks are a ceiling
        (5, 5_000_000, 1, 0.5 * 0.5 + 0.35 * 0.5 + 0.15 * 0.2),
        (10, 0, 0, 0.5),
        (0, 10_000_000, 0, 0.35),
        (0, 0, 5, 0.15),
    ],
)
def test_capacity(projects: int, raised: int, members: int, expected: float) -> None:
    facts = candidate(projects=projects, raised=raised, members=members)
    assert capacity_part(facts) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("agreements", "bids", "expected"),
    [(0, 0, 0.0), (1, 0, 0.5), (0, 1, 0.25), (2, 0, 1.0), (1, 2, 1.0), (1, 3, 1.0), (0, 2, 0.5)],
)
def test_trust_from_past_collaborations(agreements: int, bids: int, expected: float) -> None:
    assert trust_part(candidate(agreements_with_lead=agreements, bids_with_lead=bids)) == expected


# ─────────────────────────────── grades ───────────────────────────────

GRADE_CASES = [
    # (id, lead grade, other member grades, candidate grade, part, reasons as read)
    (
        "keeps the consortium grade",
        "A4",
        [],
        "A5",
        0.8 * 0.9 + 0.2 * 1.0,
        ["等级 5A，联合体按最低等级计仍为 4A"],
    ),
    ("lowers it within 3A+", "A4", [], "A3", 0.8, ["等级 3A，联合体按最低等级计为 3A"]),
    (
        "pulls it below 3A",
        "A4",
        [],
        "A2",
        0.4,
        ["加入后联合体按最低等级计为 2A，将失去 3A 及以上的政策优先"],
    ),
    (
        "no grade pulls it to none",
        "A3",
        [],
        None,
        0.2,
        ["加入后联合体按最低等级计将没有等级，将失去 3A 及以上的政策优先"],
    ),
    ("no grade under a low lead", "A2", [], None, 0.2, ["尚未评定等级，联合体按最低等级计将没有等级"]),
    ("a lead without a grade", None, [], "A5", 0.8 * 0.2 + 0.2 * 1.0, ["等级 5A"]),
    ("both without a grade", None, [], None, 0.2, []),
    (
        "other members count too",
        "A5",
        ["A3"],
        "A4",
        0.8 * 0.8 + 0.2 * 0.9,
        ["等级 4A，联合体按最低等级计仍为 3A"],
    ),
    (
        "a low member already lost priority",
        "A4",
        ["A2"],
        "A5",
        0.8 * 0.4 + 0.2 * 1.0,
        ["等级 5A，联合体按最低等级计仍为 2A"],
    ),
]


@pytest.mark.parametrize(
    ("lead_grade", "member_grades", "candidate_grade", "expected", "reasons"),
    [case[1:] for case in GRADE_CASES],
    ids=[case[0] for case in GRADE_CASES],
)
def test_grade_counts_the_consortium_at_its_lowest_member(
    lead_grade: str | None,
    member_grades: list[str],
    candidate_grade: str | None,
    expected: float,
    reasons: list[str],
) -> None:
    members = tuple(member(10 + i, grade) for i, grade in enumerate(member_grades))
    lead_facts = lead(grade=lead_grade, grade_valid_until=VALID if lead_grade else None, members=members)
    cand = candidate(grade=candidate_grade, grade_valid_until=VALID if candidate_grade else None)
    assert grade_part(cand, tender(), lead_facts) == pytest.approx(expected)
    suggestion = scored(cand, lead_facts=lead_facts)
    grade_reasons = [str(r.text) for r in suggestion.reasons if r.code.startswith("grade")]
    assert grade_reasons == reasons


def test_a_grade_that_expires_before_the_deadline_does_not_count() -> None:
    lead_facts = lead(grade="A4")
    expiring = candidate(grade="A5", grade_valid_until=DEADLINE - timedelta(days=1))
    through = candidate(grade="A5", grade_valid_until=DEADLINE)  # valid on the deadline day: counts
    assert grade_part(expiring, tender(), lead_facts) == pytest.approx(0.2)
    assert grade_part(through, tender(), lead_facts) == pytest.approx(0.8 * 0.9 + 0.2)
    reasons = {r.code: str(r.text) for r in scored(expiring, lead_facts=lead_facts).reasons}
    assert reasons["grade_expires"] == "等级 5A 于 2027-01-14 到期，早于投标截止日，届时不再计入"
    assert "grade_lowers" in reasons


def test_under_priority_only_a_candidate_that_costs_the_3a_priority_ranks_lower() -> None:
    lead_facts = lead(grade="A4")
    low = candidate(2, "children", grade="A2", district="鹿城区")
    high = candidate(3, "children", grade="A3", district="鹿城区")
    ranked = rank_partners(tender(), lead_facts, [low, high])
    assert [s.organization_id for s in ranked] == [3, 2]
    caution = ranked[1].reasons[-1]
    assert caution.caution and caution.code == "grade_lowers"
    assert str(caution.text) == "加入后联合体按最低等级计为 2A，将失去 3A 及以上的政策优先"


@pytest.mark.parametrize("rule", ["priority_only", "lead_only"])
def test_below_the_minimum_without_a_gate_is_suggested_but_flagged(rule: str) -> None:
    terms = tender(min_grade="A3", grade_rule=rule)
    lead_facts = lead(grade="A2")
    cand = candidate(grade="A2")
    assert exclusion(cand, terms, lead_facts) is None
    assert grade_part(cand, terms, lead_facts) == pytest.approx(0.4 * 0.5)  # halved: staff will flag it
    suggestion = scored(cand, terms, lead_facts)
    assert [str(r.text) for r in suggestion.reasons if r.caution] == [
        "等级 2A，低于本项目要求的 3A：不设门槛，但评审时会被标注"
    ]
    ungraded = scored(candidate(), terms, lead_facts)
    assert "尚无有效等级，低于本项目要求的 3A：不设门槛，但评审时会被标注" in texts(ungraded)


@pytest.mark.parametrize(
    ("grade", "valid_until", "excluded"),
    [
        ("A2", VALID, True),
        (None, None, True),
        ("A4", DEADLINE - timedelta(days=1), True),  # expired by the deadline
        ("A3", VALID, False),
        ("A5", DEADLINE, False),
    ],
)
def test_under_min_of_members_a_candidate_below_the_minimum_is_never_suggested(
    grade: str | None, valid_until: date | None, excluded: bool
) -> None:
    terms = tender(min_grade="A3", grade_rule="min_of_members")
    cand = candidate(grade=grade, grade_valid_until=valid_until)
    assert (exclusion(cand, terms, lead(grade="A4")) == Exclusion.BELOW_MINIMUM) is excluded
    assert (rank_partners(terms, lead(grade="A4"), [cand]) == []) is excluded


def test_at_the_minimum_nothing_is_flagged() -> None:
    suggestion = scored(candidate(grade="A3"), tender(min_grade="A3"), lead(grade="A4"))
    assert not any(reason.caution for reason in suggestion.reasons)


# ─────────────────────────────── never suggested ───────────────────────────────


def test_organizations_that_may_never_be_suggested_do_not_appear() -> None:
    lead_facts = lead(in_bid=frozenset({6, 7}))
    everyone = [
        candidate(1, "children"),  # the lead itself
        candidate(2, "children", verified=False),
        candidate(3, "children", is_league_body=True),
        candidate(4, "children", committed_bid_id=99),
        candidate(6, "children"),  # already a member of the lead's bid
        candidate(7, "children"),  # already its subcontractor
        candidate(8, "children"),
    ]
    assert [exclusion(c, tender(), lead_facts) for c in everyone] == [
        Exclusion.LEAD,
        Exclusion.UNVERIFIED,
        Exclusion.LEAGUE_BODY,
        Exclusion.COMMITTED,
        Exclusion.IN_BID,
        Exclusion.IN_BID,
        None,
    ]
    assert [s.organization_id for s in rank_partners(tender(), lead_facts, everyone)] == [8]
    assert score_partner(everyone[1], tender(), lead_facts) is None


def test_nothing_is_suggested_where_consortia_are_not_accepted() -> None:
    assert rank_partners(tender(allows_consortium=False), lead(), [candidate(2, "children")]) == []


def test_nothing_is_suggested_once_the_consortium_is_full() -> None:
    one_member = lead(members=(member(5, None),))
    assert room_left(tender(max_members=2), one_member) == 0
    assert rank_partners(tender(max_members=2), one_member, [candidate(2)]) == []
    assert room_left(tender(max_members=3), one_member) == 1
    assert len(rank_partners(tender(max_members=3), one_member, [candidate(2)])) == 1
    assert room_left(tender(), lead()) == 19  # no stated maximum: the rules' own ceiling of 20


def test_a_lead_bound_to_another_bid_gets_no_suggestions() -> None:
    assert rank_partners(tender(), lead(committed_bid_id=42), [candidate(2, "children")]) == []


# ─────────────────────────────── reasons ───────────────────────────────


def test_a_realistic_partner_with_every_reason_strongest_first() -> None:
    partner = candidate(
        2,
        "children",
        "education",
        district="鹿城区",
        grade="A4",
        projects=12,
        raised=3_000_000,
        members=3,
        agreements_with_lead=2,
    )
    suggestion = scored(partner, lead_facts=lead(grade="A3"))
    assert suggestion.score == 92  # 35 + 16.4 + 15 + 10.425 + 15
    assert texts(suggestion) == [
        "具备该项目所需的儿童关爱服务领域，可补足牵头方",
        "还能提供贵组织尚未涉及的助学助教服务，与本项目相关",
        "等级 4A，联合体按最低等级计仍为 3A",
        "同在鹿城区开展服务",
        "与贵组织曾合作 2 次",
        "已有 12 个公益项目，承接能力强",
        "累计筹款 ¥30,000",
    ]


REASON_CASES = [
    (
        "same field",
        dict(areas=("children",)),
        dict(areas={"children"}),
        "same_field",
        "同样从事儿童关爱服务，可分担服务量",
    ),
    (
        "local where the lead is not",
        dict(district="鹿城区"),
        dict(district="瓯海区"),
        "district",
        "在项目所在的鹿城区开展服务",
    ),
    ("nearby", dict(district="龙湾区"), {}, "district_nearby", "在邻近的龙湾区开展服务"),
    ("a few projects", dict(projects=2), {}, "projects", "已有 2 个公益项目"),
    ("bids together", dict(bids_with_lead=3), {}, "bid_together", "曾与贵组织联合投标 3 次"),
    ("nothing else to say", {}, {}, "eligible", "已通过团区委认证，可作为联合体成员参与投标"),
]


@pytest.mark.parametrize(
    ("candidate_overrides", "lead_overrides", "code", "text"),
    [case[1:] for case in REASON_CASES],
    ids=[case[0] for case in REASON_CASES],
)
def test_reasons_say_what_the_lead_can_check(
    candidate_overrides: dict[str, Any], lead_overrides: dict[str, Any], code: str, text: str
) -> None:
    areas = candidate_overrides.pop("areas", ())
    suggestion = scored(candidate(2, *areas, **candidate_overrides), lead_facts=lead(**lead_overrides))
    assert (code, text) in [(r.code, str(r.text)) for r in suggestion.reasons]


def test_small_amounts_raised_are_not_worth_a_reason() -> None:
    assert "raised" not in codes(scored(candidate(raised=999_999)))
    assert "累计筹款 ¥10,000" in texts(scored(candidate(raised=1_000_000)))


def test_reasons_keep_their_message_id_and_parameters_for_translation() -> None:
    suggestion = scored(candidate(2, "children", district="鹿城区"))
    complements = suggestion.reasons[0]
    assert complements.code == "complements"
    assert complements.text.msgid == "具备该项目所需的%(field)s服务领域，可补足牵头方"
    assert complements.text.params == {"field": "儿童关爱"}


def test_a_suggestion_is_immutable() -> None:
    suggestion = scored(candidate())
    with pytest.raises(dataclasses.FrozenInstanceError):
        suggestion.score = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        suggestion.parts["trust"] = 1.0  # type: ignore[index]


# ─────────────────────────────── ordering ───────────────────────────────


def test_better_partners_come_first_and_ties_break_on_the_lower_id() -> None:
    twins = [candidate(org_id, "children") for org_id in (9, 4, 7)]
    better = candidate(12, "children", district="鹿城区")
    ranked = rank_partners(tender(), lead(), [*twins, better])
    assert [s.organization_id for s in ranked] == [12, 4, 7, 9]
    assert ranked[1].score == ranked[2].score == ranked[3].score < ranked[0].score


def test_the_limit_caps_the_list() -> None:
    many = [candidate(org_id, "children") for org_id in range(2, 30)]
    assert [s.organization_id for s in rank_partners(tender(), lead(), many, limit=3)] == [2, 3, 4]
    assert rank_partners(tender(), lead(), many, limit=0) == []


GRADES = (None, "A1", "A2", "A3", "A4", "A5")
SLUGS = sorted(CATEGORY_SLUGS)
DISTRICTS = sorted(DISTRICT_NAMES)


def random_world(seed: int) -> tuple[TenderFacts, LeadFacts, list[CandidateFacts]]:
    rng = random.Random(seed)

    def grade_and_expiry() -> dict[str, Any]:
        grade = rng.choice(GRADES)
        if grade is None:
            return {"grade": None, "grade_valid_until": None}
        return {"grade": grade, "grade_valid_until": DEADLINE + timedelta(days=rng.randint(-30, 900))}

    rule = rng.choice(["priority_only", "min_of_members", "lead_only"])
    terms = tender(
        category=area(rng.choice(SLUGS)),
        district=rng.choice(DISTRICTS),
        min_grade=rng.choice(GRADES) if rule == "priority_only" else rng.choice(GRADES[1:]),
        grade_rule=rule,
    )
    lead_facts = LeadFacts(
        id=1,
        district=rng.choice(DISTRICTS),
        areas=frozenset(rng.sample(SLUGS, rng.randint(0, 3))),
        members=tuple(member(100 + i, rng.choice(GRADES)) for i in range(rng.randint(0, 2))),
        in_bid=frozenset({100, 101, rng.randint(2, 60)}),
        **grade_and_expiry(),
    )
    candidates = [
        CandidateFacts(
            id=org_id,
            name=f"组织{org_id}",
            district=rng.choice(DISTRICTS),
            areas=tuple(area(slug) for slug in rng.sample(SLUGS, rng.randint(0, 4))),
            verified=rng.random() > 0.1,
            is_league_body=rng.random() < 0.05,
            projects=rng.choice([0, 0, 1, 3, 8, 15]),
            raised=rng.choice([0, 500_000, 2_000_000, 20_000_000]),
            members=rng.randint(0, 6),
            agreements_with_lead=rng.choice([0, 0, 0, 1, 2]),
            bids_with_lead=rng.choice([0, 0, 1, 4]),
            committed_bid_id=rng.choice([None] * 9 + [77]),
            **grade_and_expiry(),
        )
        for org_id in range(1, 61)
    ]
    return terms, lead_facts, candidates


@pytest.mark.parametrize("seed", range(8))
def test_random_worlds_follow_every_rule(seed: int) -> None:
    terms, lead_facts, candidates = random_world(seed)
    ranked = rank_partners(terms, lead_facts, candidates, limit=50)
    by_id = {c.id: c for c in candidates}
    keys = [(-s.score, s.organization_id) for s in ranked]
    assert keys == sorted(keys)
    eligible = [c for c in candidates if exclusion(c, terms, lead_facts) is None]
    assert len(ranked) == min(50, len(eligible))
    for suggestion in ranked:
        facts = by_id[suggestion.organization_id]
        assert exclusion(facts, terms, lead_facts) is None
        assert facts.verified and not facts.is_league_body and facts.committed_bid_id is None
        assert facts.id != lead_facts.id and facts.id not in lead_facts.in_bid
        assert 0 <= suggestion.score <= 100
        assert suggestion.reasons and any(not reason.caution for reason in suggestion.reasons)
        cautions = [reason.caution for reason in suggestion.reasons]
        assert cautions == sorted(cautions)  # cautions come after the reasons in favour


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_the_order_facts_arrive_in_changes_nothing(seed: int) -> None:
    terms, lead_facts, candidates = random_world(seed)
    expected = rank_partners(terms, lead_facts, candidates, limit=50)
    shuffled = candidates[:]
    random.Random(seed).shuffle(shuffled)
    assert rank_partners(terms, lead_facts, shuffled, limit=50) == expected
    assert rank_partners(terms, lead_facts, candidates, limit=50) == expected  # and again: no hidden state
