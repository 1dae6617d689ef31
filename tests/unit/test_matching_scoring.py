"""The pure matching scorer: each part of the score as the module documents it, the hard exclusions,
the diversity rule, determinism, and the reasons a person reads next to a suggestion."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from marketplace.matching import text
from marketplace.matching.scoring import (
    MAX_LIMIT,
    PER_ORGANIZATION,
    WEIGHTS,
    Audience,
    Catalog,
    Match,
    OrganizationFacts,
    ProjectFacts,
    SponsorFacts,
    rank_projects,
    rank_sponsors,
    score_pair,
    suggested_amount,
)

NOW = datetime(2026, 11, 1, 4, 0)
DAY = timedelta(days=1)
CATEGORY_NAMES = {
    "elderly": "扶老助老",
    "children": "儿童关爱",
    "environment": "生态环保",
    "health": "医疗健康",
}

# Which part of the score each reason code speaks for.
REASON_PART = {
    "category": "category",
    "district": "district",
    "interest": "text",
    "budget": "budget",
    "grade": "credibility",
    "tier": "credibility",
    "reports": "credibility",
    "history": "history",
    "urgency": "urgency",
    "gap": None,
}


def org(org_id: int = 1, **overrides: Any) -> OrganizationFacts:
    return OrganizationFacts(id=org_id, verified=overrides.pop("verified", True), **overrides)


def project(project_id: int = 1, **overrides: Any) -> ProjectFacts:
    category = overrides.pop("category", "elderly")
    days = overrides.pop("days", 30)
    values: dict[str, Any] = {
        "organization_id": 1,
        "status": "published",
        "category": category,
        "category_name": CATEGORY_NAMES.get(category, category),
        "district": "鹿城区",
        "goal": 1_000_000,
        "raised": 200_000,
        "deadline": NOW + days * DAY if not isinstance(days, timedelta) else NOW + days,
        "terms": {},
    }
    values.update(overrides)
    return ProjectFacts(id=project_id, **values)


def sponsor(company_id: int = 1, **overrides: Any) -> SponsorFacts:
    """A company that states nothing and lives in a district no test project is in."""
    overrides.setdefault("district", "洞头区")
    for name in (
        "focus_categories",
        "districts",
        "preferred_grades",
        "preferred_tiers",
        "supported_organizations",
        "pledged_projects",
    ):
        if name in overrides:
            overrides[name] = frozenset(overrides[name])
    return SponsorFacts(company_id=company_id, **overrides)


def statement(words: str) -> dict[str, int]:
    return dict(Counter(text.words(words)))


def project_terms(title: str, summary: str = "", tags: str = "", description: str = "") -> dict[str, int]:
    return text.weighted_terms({"title": title, "summary": summary, "tags": tags, "description": description})


def catalog_of(projects: list[ProjectFacts], organizations: list[OrganizationFacts] | None = None) -> Catalog:
    if organizations is None:
        organizations = [org(org_id) for org_id in sorted({p.organization_id for p in projects})]
    return Catalog(projects, {o.id: o for o in organizations})


def single(
    sponsor_facts: SponsorFacts,
    project_facts: ProjectFacts | None = None,
    organization: OrganizationFacts | None = None,
    audience: str = Audience.COMPANY,
    others: list[ProjectFacts] | None = None,
) -> Match:
    project_facts = project_facts or project()
    organization = organization or org(project_facts.organization_id)
    catalog = catalog_of([project_facts, *(others or [])], [organization])
    match = score_pair(sponsor_facts, project_facts.id, catalog, NOW, audience)
    assert match is not None
    return match


def part(sponsor_facts: SponsorFacts, name: str, **kwargs: Any) -> float:
    return single(sponsor_facts, **kwargs).parts[name]


def messages(match: Match) -> list[str]:
    return [str(reason.message) for reason in match.reasons]


# ─────────────────────────────── the weights ───────────────────────────────


def test_weights_are_the_seven_documented_parts_and_add_up_to_100() -> None:
    assert dict(WEIGHTS) == {
        "category": 25,
        "text": 20,
        "budget": 15,
        "district": 10,
        "credibility": 10,
        "urgency": 10,
        "history": 10,
    }
    assert sum(WEIGHTS.values()) == 100


def test_the_weights_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        WEIGHTS["category"] = 99  # type: ignore[index]


# ─────────────────────────────── each part ───────────────────────────────


@pytest.mark.parametrize(
    ("focus", "category", "expected"),
    [
        ({"elderly"}, "elderly", 1.0),
        ({"elderly", "children"}, "children", 1.0),
        ({"children"}, "elderly", 0.0),
        (set(), "elderly", 0.5),  # named none: neutral
    ],
)
def test_category_fit(focus: set[str], category: str, expected: float) -> None:
    assert (
        part(sponsor(focus_categories=focus), "category", project_facts=project(category=category))
        == expected
    )


@pytest.mark.parametrize(
    ("own", "interest", "project_district", "expected"),
    [
        ("洞头区", {"瓯海区"}, "瓯海区", 1.0),  # a district of interest
        ("鹿城区", {"瓯海区"}, "鹿城区", 0.8),  # its own district, when it named others
        ("鹿城区", {"瓯海区", "鹿城区"}, "鹿城区", 1.0),  # its own district named as well
        ("鹿城区", {"瓯海区"}, "龙湾区", 0.0),  # neither
        ("鹿城区", set(), "鹿城区", 1.0),  # no preference: its own district is still best
        ("鹿城区", set(), "龙湾区", 0.5),  # no preference: neutral elsewhere
    ],
)
def test_district_fit(own: str, interest: set[str], project_district: str, expected: float) -> None:
    facts = sponsor(district=own, districts=interest)
    assert part(facts, "district", project_facts=project(district=project_district)) == expected


@pytest.mark.parametrize(
    ("pledge_range", "yearly_budget", "raised", "expected"),
    [
        ((100_000, 1_000_000), None, 200_000, 1.0),  # gap ¥8,000 inside ¥1,000–¥10,000
        ((800_000, 1_000_000), None, 200_000, 1.0),  # gap equal to the minimum
        ((100_000, 800_000), None, 200_000, 1.0),  # gap equal to the maximum
        ((1_000_000, 2_000_000), None, 200_000, 0.7),  # less missing than it gives: one pledge ends it
        ((None, 400_000), None, 200_000, 0.2 + 0.8 * 0.5),  # twice its maximum missing
        ((None, 8_000), None, 200_000, 0.2 + 0.8 * 0.01),  # a hundred times: close to the floor
        ((None, None), None, 200_000, 0.5),  # no range and no budget: neutral
        ((100_000, None), None, 200_000, 0.5),  # a minimum alone says nothing about the size
        ((None, None), 3_200_000, 200_000, 1.0),  # no range: a quarter of the yearly budget (¥8,000)
        ((None, None), 1_600_000, 200_000, 0.2 + 0.8 * 0.5),  # a quarter is ¥4,000: half the gap
    ],
)
def test_budget_fit(
    pledge_range: tuple[int | None, int | None], yearly_budget: int | None, raised: int, expected: float
) -> None:
    low, high = pledge_range
    facts = sponsor(pledge_min=low, pledge_max=high, yearly_budget=yearly_budget)
    assert part(facts, "budget", project_facts=project(raised=raised)) == pytest.approx(expected)


def test_the_budget_part_never_drops_below_its_floor() -> None:
    value = part(sponsor(pledge_max=100), "budget", project_facts=project(goal=10**9, raised=0))
    assert 0.2 <= value < 0.2001


ELDERLY_TEXT = project_terms("社区老人助餐点", "为独居老人提供午餐和上门送餐", "助老")
CHILDREN_TEXT = project_terms("留守儿童四点半课堂", "课后托管与作业辅导", "儿童")
RIVER_TEXT = project_terms("河道清洁护水行动", "垃圾分类与河道巡护", "环保")


def text_catalog() -> Catalog:
    return catalog_of(
        [
            project(1, terms=ELDERLY_TEXT),
            project(2, category="children", terms=CHILDREN_TEXT),
            project(3, category="environment", terms=RIVER_TEXT),
        ]
    )


def test_a_statement_about_seniors_finds_a_project_about_the_elderly_through_synonyms() -> None:
    # The statement says 长者 and 老年人; the project says 老人. They are one word to the matcher.
    facts = sponsor(interest_terms=statement("我们关注社区长者，希望老年人吃上热饭"))
    assert "长者" not in "".join(ELDERLY_TEXT) and "老年人" not in "".join(ELDERLY_TEXT)
    catalog = text_catalog()
    elderly = score_pair(facts, 1, catalog, NOW)
    children = score_pair(facts, 2, catalog, NOW)
    river = score_pair(facts, 3, catalog, NOW)
    assert elderly is not None and children is not None and river is not None
    assert elderly.parts["text"] > 0.5
    assert children.parts["text"] == river.parts["text"] == 0.0
    interest = [reason for reason in elderly.reasons if reason.code == "interest"]
    assert len(interest) == 1 and "老人" in interest[0].message
    assert str(interest[0].message).startswith("与贵司关注的“")
    assert [m.project_id for m in rank_projects(facts, catalog, NOW, limit=1)] == [1]


def test_the_text_part_is_full_for_a_statement_that_repeats_the_project() -> None:
    facts = sponsor(interest_terms={"河道": 1, "清洁": 1, "巡护": 1})
    match = score_pair(facts, 3, text_catalog(), NOW)
    assert match is not None and match.parts["text"] == 1.0


WORDS = [
    "河道",
    "老人",
    "图书",
    "助餐",
    "儿童",
    "课堂",
    "义诊",
    "康复",
    "助残",
    "阅读",
    "环保",
    "巡护",
    "独居",
    "助学",
    "应急",
    "普法",
]


@pytest.mark.parametrize(
    ("statement_words", "expected"),
    [
        (1, 1.0),  # the project's only word
        (4, 1.0),  # cosine 1/2: past the point where the text part is full
        (9, (1 / 3) / 0.35),  # cosine 1/3
        (16, (1 / 4) / 0.35),  # cosine 1/4
    ],
)
def test_the_text_part_is_the_cosine_similarity_scaled_to_full_at_035(
    statement_words: int, expected: float
) -> None:
    # Sixteen one-word projects: every word is equally rare, so a statement of k of them has a
    # cosine of 1/sqrt(k) with the project of each.
    catalog = catalog_of([project(i + 1, organization_id=1, terms={word: 1}) for i, word in enumerate(WORDS)])
    facts = sponsor(interest_terms=dict.fromkeys(WORDS[:statement_words], 1))
    match = score_pair(facts, 1, catalog, NOW)
    assert match is not None and match.parts["text"] == pytest.approx(expected)


def test_no_statement_means_no_text_part_and_no_interest_reason() -> None:
    match = score_pair(sponsor(), 1, text_catalog(), NOW)
    assert match is not None and match.parts["text"] == 0.0
    assert "interest" not in {reason.code for reason in match.reasons}


def test_words_the_catalog_never_saw_count_for_nothing() -> None:
    match = score_pair(sponsor(interest_terms={"航天": 3, "火箭": 1}), 1, text_catalog(), NOW)
    assert match is not None and match.parts["text"] == 0.0


@pytest.mark.parametrize(
    ("organization", "expected"),
    [
        (org(grade="A5", tier="leading", reports_due=3, reports_on_time=3), 1.0),
        (org(), 0.45 * 0.25 + 0.25 * 0.3 + 0.30 * 0.6),  # nothing known: reports neither late nor on time
        (
            org(grade="A4", tier="demonstration", reports_due=2, reports_on_time=1),
            0.45 * 0.85 + 0.25 * 0.75 + 0.15,
        ),
        (org(grade="A3", tier="growing", reports_due=4, reports_on_time=0), 0.45 * 0.7 + 0.25 * 0.5 + 0.0),
        (org(grade="A2"), 0.45 * 0.55 + 0.25 * 0.3 + 0.30 * 0.6),
        (org(grade="A1"), 0.45 * 0.4 + 0.25 * 0.3 + 0.30 * 0.6),
        (org(grade="A5", tier="leading", reports_due=2, reports_on_time=5), 1.0),  # never above full
    ],
)
def test_credibility_from_grade_tier_and_reports(organization: OrganizationFacts, expected: float) -> None:
    assert part(sponsor(), "credibility", organization=organization) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("grades", "tiers", "organization", "missed"),
    [
        ({"A5"}, set(), org(grade="A4", tier="leading"), True),
        ({"A4", "A5"}, set(), org(grade="A4", tier="leading"), False),
        ({"A5"}, set(), org(), True),  # no valid grade is outside any preferred grade
        (set(), {"leading"}, org(grade="A4", tier="growing"), True),
        (set(), {"leading", "growing"}, org(grade="A4", tier="growing"), False),
        ({"A4"}, {"leading"}, org(grade="A4", tier="demonstration"), True),  # grade fits, tier does not
        ({"A4"}, {"leading"}, org(grade="A4", tier="leading"), False),
    ],
)
def test_preferred_grades_and_tiers_scale_credibility_down_for_others(
    grades: set[str], tiers: set[str], organization: OrganizationFacts, missed: bool
) -> None:
    neutral = part(sponsor(), "credibility", organization=organization)
    preferring = part(
        sponsor(preferred_grades=grades, preferred_tiers=tiers), "credibility", organization=organization
    )
    assert preferring == pytest.approx(neutral * 0.4 if missed else neutral)


@pytest.mark.parametrize(
    ("days", "raised", "expected"),
    [
        (5, 0, 1.0),  # a week or less left and nothing raised yet
        (7, 0, 1.0),
        (5, 500_000, 0.6 + 0.4 * 0.5),
        (60, 0, 0.4),  # calm: only the missing share counts
        (120, 500_000, 0.2),
        (33.5, 0, 0.6 * 0.5 + 0.4),  # half-way between a week and sixty days
        (33.5, 750_000, 0.6 * 0.5 + 0.4 * 0.25),
    ],
)
def test_urgency_from_time_left_and_share_missing(days: float, raised: int, expected: float) -> None:
    facts = project(days=timedelta(days=days), raised=raised)
    assert part(sponsor(), "urgency", project_facts=facts) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("history", "supported", "expected"),
    [
        ({}, set(), 0.0),
        ({"elderly": 1}, set(), 1.0),  # everything it gave went to this category
        ({"elderly": 2, "children": 2}, set(), 0.75),  # half of it: 1.5 × 0.5
        ({"elderly": 1, "children": 3}, set(), 0.375),
        ({"children": 3}, set(), 0.0),
        ({}, {1}, 0.5),  # supported this organization before
        ({}, {2}, 0.0),  # another organization
        ({"elderly": 1, "children": 3}, {1}, 0.875),
        ({"elderly": 2, "children": 2}, {1}, 1.0),  # never above full
    ],
)
def test_history_of_support_for_the_category_and_the_organization(
    history: dict[str, int], supported: set[int], expected: float
) -> None:
    facts = sponsor(history=history, supported_organizations=supported)
    assert part(facts, "history") == pytest.approx(expected)


def test_the_score_is_the_weighted_sum_of_the_parts_to_one_decimal() -> None:
    facts = sponsor(
        district="鹿城区",
        focus_categories={"elderly"},
        pledge_min=100_000,
        pledge_max=500_000,
        interest_terms=statement("独居长者助餐"),
        preferred_grades={"A5"},
        history={"elderly": 1, "children": 1},
    )
    organization = org(grade="A4", tier="demonstration", reports_due=1, reports_on_time=1)
    match = single(
        facts, project(terms=ELDERLY_TEXT, days=10), organization, others=[project(2, terms=RIVER_TEXT)]
    )
    assert set(match.parts) == set(WEIGHTS)
    assert all(0.0 <= value <= 1.0 for value in match.parts.values())
    assert match.score == round(sum(WEIGHTS[name] * value for name, value in match.parts.items()), 1)
    assert match.score == round(match.score, 1)


def test_a_perfect_fit_scores_100() -> None:
    facts = sponsor(
        district="鹿城区",
        focus_categories={"environment"},
        pledge_min=100_000,
        pledge_max=2_000_000,
        interest_terms={"河道": 1, "清洁": 1},
        history={"environment": 4},
    )
    perfect = project(3, category="environment", raised=0, days=3, terms=RIVER_TEXT)
    organization = org(grade="A5", tier="leading", reports_due=2, reports_on_time=2)
    match = single(facts, perfect, organization, others=[project(1, terms=ELDERLY_TEXT)])
    assert match.parts == dict.fromkeys(WEIGHTS, 1.0)
    assert match.score == 100.0


def test_gap_and_suggested_amount_of_a_match() -> None:
    match = single(sponsor(pledge_min=100_000, pledge_max=500_000), project(raised=200_000))
    assert match.gap == 800_000
    assert match.suggested_amount == 500_000  # the company's usual maximum, not the whole gap


@pytest.mark.parametrize(
    ("low", "high", "gap", "expected"),
    [
        (None, None, 800_000, 800_000),  # no range: the whole gap
        (None, 300_000, 800_000, 300_000),  # capped at the usual maximum
        (100_000, 300_000, 200_000, 200_000),  # inside the range: exactly the gap
        (100_000, 300_000, 50_000, 50_000),  # less missing than the minimum: never more than the gap
        (100_000, None, 800_000, 800_000),
        (None, None, 40, 100),  # never below the smallest pledge, ¥1
    ],
)
def test_suggested_amount(low: int | None, high: int | None, gap: int, expected: int) -> None:
    assert suggested_amount(sponsor(pledge_min=low, pledge_max=high), gap) == expected


# ─────────────────────────────── hard exclusions ───────────────────────────────


def excluded_world() -> tuple[Catalog, SponsorFacts]:
    projects = [
        project(1),  # the only suggestible one
        project(2, status="draft"),
        project(3, status="submitted"),
        project(4, status="funded", raised=1_000_000),
        project(5, raised=1_000_000),  # still published but the goal is met
        project(6, raised=1_200_000),
        project(7, organization_id=2),  # unverified organization
        project(8, organization_id=3),  # organization unknown to the catalog
        project(9, days=-1),  # past its deadline
        project(10, days=timedelta(0)),  # deadline this very moment
        project(11),  # already pledged by the company
    ]
    catalog = catalog_of(projects, [org(1), org(2, verified=False)])
    return catalog, sponsor(pledged_projects={11}, focus_categories={"elderly"}, district="鹿城区")


def test_projects_that_may_not_be_suggested_never_appear() -> None:
    catalog, facts = excluded_world()
    assert [m.project_id for m in rank_projects(facts, catalog, NOW, limit=MAX_LIMIT)] == [1]
    for project_id in range(2, 12):
        assert score_pair(facts, project_id, catalog, NOW) is None, project_id
    assert [m.company_id for m in rank_sponsors([facts], 11, catalog, NOW)] == []


def test_restricting_to_excluded_projects_gives_nothing() -> None:
    catalog, facts = excluded_world()
    assert rank_projects(facts, catalog, NOW, among=range(2, 12)) == []


def test_a_project_past_its_deadline_drops_out_as_time_passes() -> None:
    catalog = catalog_of([project(1, days=2)])
    assert len(rank_projects(sponsor(), catalog, NOW)) == 1
    assert rank_projects(sponsor(), catalog, NOW + 3 * DAY) == []


# ─────────────────────────────── ranking ───────────────────────────────


def diverse_catalog() -> Catalog:
    """Organization 1 has the five best projects (its own district, the sponsor's category),
    organization 2 three good ones, organization 3 one weak one."""
    projects = [project(i, organization_id=1, raised=200_000 + i * 1000) for i in range(1, 6)]
    projects += [
        project(i, organization_id=2, district="龙湾区", raised=200_000 + i * 1000) for i in range(6, 9)
    ]
    projects += [project(9, organization_id=3, category="environment", district="龙湾区")]
    return catalog_of(projects)


DIVERSE_SPONSOR = sponsor(district="鹿城区", focus_categories={"elderly"})


def test_at_most_two_projects_of_one_organization_while_others_qualify() -> None:
    matches = rank_projects(DIVERSE_SPONSOR, diverse_catalog(), NOW, limit=5)
    assert [m.organization_id for m in matches] == [1, 1, 2, 2, 3]
    # Each organization's best two are the ones shown.
    assert [m.project_id for m in matches] == [1, 2, 6, 7, 9]
    assert PER_ORGANIZATION == 2


def test_more_of_one_organization_only_once_nothing_else_qualifies() -> None:
    matches = rank_projects(DIVERSE_SPONSOR, diverse_catalog(), NOW, limit=7)
    assert [m.project_id for m in matches][:5] == [1, 2, 6, 7, 9]
    # Then the best of the rest, whatever their organization.
    assert [m.project_id for m in matches][5:] == [3, 4]
    everything = rank_projects(DIVERSE_SPONSOR, diverse_catalog(), NOW, limit=MAX_LIMIT)
    assert sorted(m.project_id for m in everything) == list(range(1, 10))


def test_one_organization_alone_still_fills_the_list() -> None:
    catalog = catalog_of([project(i) for i in range(1, 6)])
    assert [m.project_id for m in rank_projects(sponsor(), catalog, NOW, limit=3)] == [1, 2, 3]


def test_ties_break_on_the_lowest_project_id() -> None:
    catalog = catalog_of([project(i, organization_id=i) for i in (7, 3, 9, 1, 5)])
    matches = rank_projects(sponsor(), catalog, NOW, limit=5)
    assert len({m.score for m in matches}) == 1
    assert [m.project_id for m in matches] == [1, 3, 5, 7, 9]


def test_better_fits_come_first() -> None:
    catalog = catalog_of(
        [
            project(1, organization_id=1, category="children", district="龙湾区"),
            project(2, organization_id=2, category="elderly", district="龙湾区"),
            project(3, organization_id=3, category="elderly", district="鹿城区"),
        ]
    )
    matches = rank_projects(sponsor(district="鹿城区", focus_categories={"elderly"}), catalog, NOW)
    assert [m.project_id for m in matches] == [3, 2, 1]
    assert matches[0].score > matches[1].score > matches[2].score


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_of_zero_or_less_gives_nothing(limit: int) -> None:
    assert rank_projects(sponsor(), diverse_catalog(), NOW, limit=limit) == []
    assert rank_sponsors([sponsor()], 1, diverse_catalog(), NOW, limit=limit) == []


def test_the_limit_caps_the_list() -> None:
    assert len(rank_projects(DIVERSE_SPONSOR, diverse_catalog(), NOW, limit=2)) == 2


def test_an_empty_catalog_suggests_nothing() -> None:
    catalog = catalog_of([])
    assert len(catalog) == 0
    assert rank_projects(DIVERSE_SPONSOR, catalog, NOW) == []
    assert score_pair(DIVERSE_SPONSOR, 1, catalog, NOW) is None


def test_among_restricts_the_ranking_without_changing_scores() -> None:
    facts = sponsor(district="鹿城区", focus_categories={"elderly"}, interest_terms=statement("长者助餐"))
    catalog = catalog_of(
        [
            project(1, terms=ELDERLY_TEXT),
            project(2, organization_id=2, category="children", terms=CHILDREN_TEXT),
            project(3, organization_id=3, terms=project_terms("长者食堂", "老年人助餐")),
            project(4, organization_id=4, category="environment", terms=RIVER_TEXT),
        ]
    )
    everything = {m.project_id: m for m in rank_projects(facts, catalog, NOW)}
    some = rank_projects(facts, catalog, NOW, among=[3, 2, 999])  # an unknown id is ignored
    assert sorted(m.project_id for m in some) == [2, 3]
    for match in some:
        reference = everything[match.project_id]
        assert match.score == reference.score
        assert match.parts == pytest.approx(reference.parts)
        assert match.reasons == reference.reasons
    assert rank_projects(facts, catalog, NOW, among=[]) == []


def test_refresh_amounts_moves_the_gap_and_none_removes_a_project() -> None:
    catalog = catalog_of([project(1, raised=200_000), project(2, organization_id=2, raised=200_000)])
    facts = sponsor()
    catalog.refresh_amounts({1: 900_000, 42: 5})  # an id the catalog does not hold is ignored
    assert catalog.gap_of(1) == 100_000 and catalog.raised_of(1) == 900_000
    first = score_pair(facts, 1, catalog, NOW)
    assert first is not None and first.gap == 100_000
    catalog.refresh_amounts({2: None})  # closed or funded elsewhere
    assert [m.project_id for m in rank_projects(facts, catalog, NOW)] == [1]
    assert score_pair(facts, 2, catalog, NOW) is None
    assert catalog.gap_of(42) is None and catalog.raised_of(42) is None


def test_rank_sponsors_orders_companies_by_fit_then_id() -> None:
    catalog = catalog_of([project(1, raised=200_000)])
    sponsors = [
        sponsor(5),  # nothing in common
        sponsor(4, district="鹿城区", focus_categories={"elderly"}),  # the best fit
        sponsor(2),  # the same as 5: the lower id first
        sponsor(3, focus_categories={"elderly"}),
        sponsor(6, focus_categories={"elderly"}, district="鹿城区", pledged_projects={1}),  # already gave
    ]
    matches = rank_sponsors(sponsors, 1, catalog, NOW)
    assert [m.company_id for m in matches] == [4, 3, 2, 5]
    assert all(m.project_id == 1 for m in matches)
    assert [m.company_id for m in rank_sponsors(sponsors, 1, catalog, NOW, limit=2)] == [4, 3]
    assert rank_sponsors(sponsors, 99, catalog, NOW) == []  # a project not in the catalog


def test_rank_sponsors_speaks_about_the_company_in_the_third_person() -> None:
    catalog = catalog_of([project(1, raised=200_000)])
    facts = sponsor(pledge_min=100_000, pledge_max=1_000_000)
    (match,) = rank_sponsors([facts], 1, catalog, NOW)
    assert messages(match) == ["距目标还差 ¥8,000，在该企业单笔认捐范围内"]


# ─────────────────────────────── determinism ───────────────────────────────


def random_world(seed: int) -> tuple[list[ProjectFacts], list[OrganizationFacts], list[SponsorFacts]]:
    rng = random.Random(seed)
    vocabulary = [
        "老人",
        "助餐",
        "儿童",
        "课堂",
        "河道",
        "清洁",
        "图书",
        "阅读",
        "助残",
        "康复",
        "义诊",
        "独居",
    ]
    categories = list(CATEGORY_NAMES)
    districts = ["鹿城区", "龙湾区", "瓯海区", "洞头区"]
    organizations = [
        org(
            org_id,
            verified=rng.random() > 0.15,
            grade=rng.choice([None, "A1", "A2", "A3", "A4", "A5"]),
            tier=rng.choice([None, "leading", "demonstration", "growing"]),
            reports_due=(due := rng.randint(0, 4)),
            reports_on_time=rng.randint(0, due),
        )
        for org_id in range(1, 9)
    ]
    projects = []
    for project_id in range(1, 81):
        goal = rng.randint(10, 500) * 10_000
        projects.append(
            project(
                project_id,
                organization_id=rng.randint(1, 9),  # 9: not in the catalog's organizations
                status=rng.choice(["published"] * 6 + ["draft", "funded", "closed"]),
                category=rng.choice(categories),
                district=rng.choice(districts),
                goal=goal,
                raised=rng.choice([0, rng.randint(0, goal), goal, goal + 100]),
                days=timedelta(hours=rng.randint(-48, 24 * 120)),
                terms={word: rng.randint(1, 5) for word in rng.sample(vocabulary, rng.randint(0, 4))},
            )
        )
    sponsors = []
    for company_id in range(1, 16):
        low = rng.choice([None, rng.randint(1, 50) * 10_000])
        high = rng.choice([None, (low or 0) + rng.randint(1, 200) * 10_000])
        sponsors.append(
            sponsor(
                company_id,
                district=rng.choice(districts),
                focus_categories=set(rng.sample(categories, rng.randint(0, 2))),
                districts=set(rng.sample(districts, rng.randint(0, 2))),
                pledge_min=low,
                pledge_max=high,
                yearly_budget=rng.choice([None, rng.randint(1, 100) * 100_000]),
                interest_terms={
                    word: rng.randint(1, 3) for word in rng.sample(vocabulary, rng.randint(0, 3))
                },
                preferred_grades=set(rng.sample(["A1", "A2", "A3", "A4", "A5"], rng.randint(0, 2))),
                preferred_tiers=set(rng.sample(["leading", "demonstration", "growing"], rng.randint(0, 1))),
                history={c: rng.randint(1, 4) for c in rng.sample(categories, rng.randint(0, 3))},
                supported_organizations=set(rng.sample(range(1, 9), rng.randint(0, 2))),
                pledged_projects=set(rng.sample(range(1, 81), rng.randint(0, 5))),
            )
        )
    return projects, organizations, sponsors


def eligible(
    facts: SponsorFacts, projects: list[ProjectFacts], organizations: list[OrganizationFacts]
) -> set[int]:
    """The hard rule written out independently: what may be suggested to this company."""
    verified = {o.id for o in organizations if o.verified}
    return {
        p.id
        for p in projects
        if p.status == "published"
        and p.raised < p.goal
        and p.organization_id in verified
        and p.deadline > NOW
        and p.id not in facts.pledged_projects
    }


def expected_order(matches: list[Match], limit: int) -> list[int]:
    """The ranking rule written out: best score first, lowest id on ties, at most two per
    organization, then the best of the rest if the list is not full."""
    ordered = sorted(matches, key=lambda m: (-m.score, m.project_id))
    picked: list[Match] = []
    rest: list[Match] = []
    per_org: Counter[int] = Counter()
    for match in ordered:
        if per_org[match.organization_id] < PER_ORGANIZATION:
            per_org[match.organization_id] += 1
            picked.append(match)
        else:
            rest.append(match)
    return (
        [m.project_id for m in (picked + rest)][:limit]
        if len(picked) < limit
        else [m.project_id for m in picked[:limit]]
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("limit", [1, 5, 20, MAX_LIMIT])
def test_random_worlds_follow_every_rule(seed: int, limit: int) -> None:
    projects, organizations, sponsors = random_world(seed)
    catalog = catalog_of(projects, organizations)
    for facts in sponsors:
        allowed = eligible(facts, projects, organizations)
        matches = rank_projects(facts, catalog, NOW, limit=limit)
        ids = [m.project_id for m in matches]
        assert len(ids) == len(set(ids)) == min(limit, len(allowed))
        assert set(ids) <= allowed
        singles = [score_pair(facts, project_id, catalog, NOW) for project_id in sorted(allowed)]
        assert all(single is not None for single in singles)
        assert ids == expected_order([s for s in singles if s is not None], limit)
        for match in matches:
            assert 0.0 <= match.score <= 100.0
            assert all(0.0 <= value <= 1.0 for value in match.parts.values())
            assert match.score == round(sum(WEIGHTS[k] * v for k, v in match.parts.items()), 1)
            assert match.gap == catalog.gap_of(match.project_id) > 0
            assert match.company_id == facts.company_id
            assert_reasons_are_ordered(match)
        # Diversity: a third project of one organization only when every other allowed project is
        # of an organization already shown twice.
        shown = Counter(m.organization_id for m in matches)
        if any(count > PER_ORGANIZATION for count in shown.values()):
            by_id = {p.id: p for p in projects}
            left_out = allowed - set(ids)
            assert all(shown[by_id[i].organization_id] >= PER_ORGANIZATION for i in left_out)


def assert_reasons_are_ordered(match: Match) -> None:
    assert match.reasons, "every suggestion says why"
    contributions = []
    for reason in match.reasons:
        part_name = REASON_PART[reason.code]
        contributions.append(0.0 if part_name is None else WEIGHTS[part_name] * match.parts[part_name])
    assert contributions == sorted(contributions, reverse=True), [str(r.message) for r in match.reasons]


def test_the_same_inputs_give_identical_lists() -> None:
    projects, organizations, sponsors = random_world(5)
    first = [rank_projects(s, catalog_of(projects, organizations), NOW, limit=20) for s in sponsors]
    second = [rank_projects(s, catalog_of(projects, organizations), NOW, limit=20) for s in sponsors]
    assert first == second


@pytest.mark.parametrize("shuffle_seed", [11, 12, 13])
def test_the_order_projects_arrive_in_changes_nothing(shuffle_seed: int) -> None:
    projects, organizations, sponsors = random_world(6)
    reference = catalog_of(projects, organizations)
    rng = random.Random(shuffle_seed)
    shuffled_projects = projects[:]
    rng.shuffle(shuffled_projects)
    shuffled_orgs = organizations[:]
    rng.shuffle(shuffled_orgs)
    shuffled = catalog_of(shuffled_projects, shuffled_orgs)
    for facts in sponsors:
        expected = rank_projects(facts, reference, NOW, limit=30)
        got = rank_projects(facts, shuffled, NOW, limit=30)
        assert [m.project_id for m in got] == [m.project_id for m in expected]
        assert [m.score for m in got] == [m.score for m in expected]
        assert [m.reasons for m in got] == [m.reasons for m in expected]
    project_id = next(p.id for p in projects if p.id in reference.row_of)
    assert rank_sponsors(sponsors, project_id, shuffled, NOW) == rank_sponsors(
        sponsors, project_id, reference, NOW
    )


# ─────────────────────────────── reasons ───────────────────────────────

GAP_ONLY = ["距目标还差 ¥8,000"]

# (sponsor overrides, project overrides, organization overrides, audience, the reasons in order).
# The default sponsor states nothing and lives elsewhere; the default project misses ¥8,000 of
# ¥10,000 with 30 days left; the default organization has no grade, tier or reports.
C, B = Audience.COMPANY, Audience.BROKER
REASON_CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], str, list[str]]] = [
    ("nothing-in-common", {}, {}, {}, C, GAP_ONLY),
    ("category", {"focus_categories": {"elderly"}}, {}, {}, C, ["同属 扶老助老 领域"]),
    ("other-category", {"focus_categories": {"children"}}, {}, {}, C, GAP_ONLY),
    ("own-district", {"district": "鹿城区"}, {}, {}, C, ["同在 鹿城区"]),
    (
        "own-district-among-others",
        {"district": "鹿城区", "districts": {"瓯海区"}},
        {},
        {},
        C,
        ["同在 鹿城区"],
    ),
    ("district-of-interest", {"districts": {"鹿城区"}}, {}, {}, C, ["位于贵司关注的 鹿城区"]),
    ("district-of-interest-broker", {"districts": {"鹿城区"}}, {}, {}, B, ["位于该企业关注的 鹿城区"]),
    ("other-district", {"districts": {"瓯海区"}}, {}, {}, C, GAP_ONLY),
    (
        "budget-inside",
        {"pledge_min": 100_000, "pledge_max": 1_000_000},
        {},
        {},
        C,
        ["距目标还差 ¥8,000，在贵司单笔认捐范围内"],
    ),
    (
        "budget-inside-broker",
        {"pledge_min": 100_000, "pledge_max": 1_000_000},
        {},
        {},
        B,
        ["距目标还差 ¥8,000，在该企业单笔认捐范围内"],
    ),
    (
        "budget-below",
        {"pledge_min": 1_000_000, "pledge_max": 2_000_000},
        {"raised": 950_050},
        {},
        C,
        ["距目标只差 ¥499.50，一笔认捐即可完成"],
    ),
    ("budget-above", {"pledge_max": 400_000}, {}, {}, C, ["贵司一笔认捐可补上缺口的 50%"]),
    ("budget-above-broker", {"pledge_max": 400_000}, {}, {}, B, ["该企业一笔认捐可补上缺口的 50%"]),
    ("budget-far-above", {"pledge_max": 100_000}, {}, {}, C, GAP_ONLY),  # 12 %: not worth saying
    ("budget-from-yearly", {"yearly_budget": 1_600_000}, {}, {}, C, ["贵司一笔认捐可补上缺口的 50%"]),
    ("grade-a5", {}, {}, {"grade": "A5"}, C, ["组织评级 5A"]),
    ("grade-a4", {}, {}, {"grade": "A4"}, C, ["组织评级 4A"]),
    ("grade-a3", {}, {}, {"grade": "A3"}, C, ["组织评级 3A"]),
    ("grade-a2", {}, {}, {"grade": "A2"}, C, GAP_ONLY),
    (
        "grade-a2-preferred",
        {"preferred_grades": {"A2"}},
        {},
        {"grade": "A2"},
        C,
        ["组织评级 2A，符合贵司偏好"],
    ),
    (
        "grade-preferred-broker",
        {"preferred_grades": {"A4"}},
        {},
        {"grade": "A4"},
        B,
        ["组织评级 4A，符合该企业偏好"],
    ),
    ("tier-leading", {}, {}, {"tier": "leading"}, C, ["名木组织"]),
    ("tier-demonstration", {}, {}, {"tier": "demonstration"}, C, ["成木组织"]),
    ("tier-growing", {}, {}, {"tier": "growing"}, C, GAP_ONLY),
    ("tier-growing-preferred", {"preferred_tiers": {"growing"}}, {}, {"tier": "growing"}, C, ["苗木组织"]),
    ("reports-all", {}, {}, {"reports_due": 3, "reports_on_time": 3}, C, ["按时提交了全部 3 份善款使用报告"]),
    ("reports-some-late", {}, {}, {"reports_due": 3, "reports_on_time": 2}, C, GAP_ONLY),
    ("supported-organization", {"supported_organizations": {1}}, {}, {}, C, ["贵司曾支持过该组织的项目"]),
    (
        "supported-organization-broker",
        {"supported_organizations": {1}},
        {},
        {},
        B,
        ["该企业曾支持过该组织的项目"],
    ),
    ("category-history", {"history": {"elderly": 2}}, {}, {}, C, ["贵司曾支持 2 个扶老助老项目"]),
    ("category-history-broker", {"history": {"elderly": 2}}, {}, {}, B, ["该企业曾支持 2 个扶老助老项目"]),
    ("other-category-history", {"history": {"children": 2}}, {}, {}, C, GAP_ONLY),
    ("five-days-left", {}, {"days": 5, "raised": 600_000}, {}, C, ["还剩 5 天"]),
    (
        "part-of-a-day-is-a-day",
        {},
        {"days": timedelta(days=4, hours=3), "raised": 600_000},
        {},
        C,
        ["还剩 5 天"],
    ),
    ("five-days-nothing-raised", {}, {"days": 5, "raised": 0}, {}, C, ["还剩 5 天，目标尚缺 100%"]),
    ("five-days-58-percent-missing", {}, {"days": 5, "raised": 420_000}, {}, C, ["还剩 5 天，目标尚缺 58%"]),
    ("two-weeks-left", {}, {"days": 14, "raised": 600_000}, {}, C, ["还剩 14 天"]),
    ("fifteen-days-left", {}, {"days": 15, "raised": 600_000}, {}, C, ["距目标还差 ¥4,000"]),
    (
        "strongest-first",
        {
            "district": "鹿城区",
            "focus_categories": {"elderly"},
            "pledge_min": 100_000,
            "pledge_max": 1_000_000,
        },
        {"days": 5, "raised": 600_000},
        {"grade": "A4"},
        C,
        # category 25 × 1, budget 15 × 1, district 10 × 1, urgency 10 × 0.76, credibility 10 × 0.6375
        [
            "同属 扶老助老 领域",
            "距目标还差 ¥4,000，在贵司单笔认捐范围内",
            "同在 鹿城区",
            "还剩 5 天",
            "组织评级 4A",
        ],
    ),
    (
        "credibility-reasons-together",
        {},
        {},
        {"grade": "A5", "tier": "leading", "reports_due": 1, "reports_on_time": 1},
        C,
        ["组织评级 5A", "名木组织", "按时提交了全部 1 份善款使用报告"],
    ),
    (
        "history-beats-a-preference-miss",
        {"supported_organizations": {1}, "history": {"elderly": 1}, "preferred_grades": {"A5"}},
        {},
        {"grade": "A4"},
        C,
        # history 10 × 1 before credibility 10 × 0.6375 × 0.4
        ["贵司曾支持过该组织的项目", "组织评级 4A"],
    ),
]


@pytest.mark.parametrize(
    ("sponsor_overrides", "project_overrides", "org_overrides", "audience", "expected"),
    [case[1:] for case in REASON_CASES],
    ids=[case[0] for case in REASON_CASES],
)
def test_reasons_say_what_a_person_can_check(
    sponsor_overrides: dict[str, Any],
    project_overrides: dict[str, Any],
    org_overrides: dict[str, Any],
    audience: str,
    expected: list[str],
) -> None:
    match = single(sponsor(**sponsor_overrides), project(**project_overrides), org(**org_overrides), audience)
    assert messages(match) == expected
    assert_reasons_are_ordered(match)


def test_reasons_keep_their_message_id_and_parameters_for_translation() -> None:
    match = single(sponsor(focus_categories={"elderly"}, pledge_min=100_000, pledge_max=1_000_000))
    by_code = {reason.code: reason.message for reason in match.reasons}
    assert by_code["category"].msgid == "同属 %(category)s 领域"
    assert by_code["category"].params == {"category": "扶老助老"}
    assert by_code["budget"].msgid == "距目标还差 %(gap)s，在贵司单笔认捐范围内"
    assert by_code["budget"].params == {"gap": "¥8,000"}


def test_the_interest_reason_for_a_broker_speaks_of_the_company() -> None:
    facts = sponsor(interest_terms=statement("关爱独居长者"))
    match = score_pair(facts, 1, text_catalog(), NOW, Audience.BROKER)
    assert match is not None
    interest = [str(r.message) for r in match.reasons if r.code == "interest"]
    assert len(interest) == 1 and interest[0].startswith("与该企业关注的“") and "老人" in interest[0]
    assert "贵司" not in "".join(messages(match))


def test_broker_reasons_never_say_your_company() -> None:
    projects, organizations, sponsors = random_world(8)
    catalog = catalog_of(projects, organizations)
    seen_company_words = False
    for facts in sponsors:
        for audience in (Audience.COMPANY, Audience.BROKER):
            for match in rank_projects(facts, catalog, NOW, limit=MAX_LIMIT, audience=audience):
                said = "".join(messages(match))
                if audience == Audience.BROKER:
                    assert "贵司" not in said
                else:
                    assert "该企业" not in said
                    seen_company_words |= "贵司" in said
    assert seen_company_words  # the random world does produce sentences addressed to the company


def test_a_match_is_immutable() -> None:
    match = single(sponsor())
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.score = 0.0  # type: ignore[misc]
