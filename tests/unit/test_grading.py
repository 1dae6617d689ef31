"""The evaluation arithmetic as tables (no app, no database): criteria means, peer scores dropping
the extremes, vote normalisation, the composite with missing parts, grade bands at their edges,
ranking, tier suggestions with ties at quota boundaries, quotas, input validation, and peer
assignments that never pair an organization with itself or a partner."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from marketplace.errors import DomainError
from marketplace.evaluations import grading as g
from marketplace.evaluations.grading import Criterion, Quotas, Result, Weights

W433 = g.DEFAULT_WEIGHTS


def test_defaults_follow_the_spring_bud_plan() -> None:
    assert [c.name for c in g.DEFAULT_CRITERIA] == [
        "团队建设",
        "硬件设施",
        "内部管理",
        "服务成效",
        "社会效益",
        "宣传推广",
        "资源使用",
        "创新发展",
        "调查研究",
    ]
    assert sum(c.weight for c in g.DEFAULT_CRITERIA) == 100
    assert g.DEFAULT_WEIGHTS_BP == (4000, 3000, 3000) and sum(g.DEFAULT_WEIGHTS_BP) == 10000
    assert [(b.min, b.grade) for b in g.DEFAULT_BANDS] == [
        (9000, "A5"),
        (8000, "A4"),
        (7000, "A3"),
        (6000, "A2"),
        (5000, "A1"),
    ]
    assert g.GRADE_VALID_YEARS == 5
    assert (g.DEFAULT_QUOTAS.leading, g.DEFAULT_QUOTAS.demonstration, g.DEFAULT_QUOTAS.growing) == (
        10,
        30,
        300,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, 0),
        (100, 10000),
        ("88.5", 8850),
        ("88.55", 8855),
        (88.55, 8855),
        (Decimal("59.99"), 5999),
        (" 70 ", 7000),
        ("100.00", 10000),
        ("0.01", 1),
        ("100.01", g.SCORE_RANGE_MESSAGE),
        (-1, g.SCORE_RANGE_MESSAGE),
        ("-0.5", g.SCORE_RANGE_MESSAGE),
        ("88.555", g.SCORE_RANGE_MESSAGE),
        (101, g.SCORE_RANGE_MESSAGE),
        ("", g.SCORE_RANGE_MESSAGE),
        ("abc", g.SCORE_RANGE_MESSAGE),
        ("NaN", g.SCORE_RANGE_MESSAGE),
        ("Infinity", g.SCORE_RANGE_MESSAGE),
        (True, g.SCORE_RANGE_MESSAGE),
        (None, g.SCORE_RANGE_MESSAGE),
        ([90], g.SCORE_RANGE_MESSAGE),
    ],
)
def test_parse_score(raw: object, expected: object) -> None:
    assert g.parse_score(raw) == expected


@pytest.mark.parametrize(
    ("scores", "criteria", "expected"),
    [
        ({"a": 9000, "b": 8000}, [Criterion("a", 1), Criterion("b", 1)], 8500),
        ({"a": 9000, "b": 8000}, [Criterion("a", 3), Criterion("b", 1)], 8750),
        # 90·1 + 80·2 = 250 / 3 = 83.333… → 83.33
        ({"a": 9000, "b": 8000}, [Criterion("a", 1), Criterion("b", 2)], 8333),
        # 90·2 + 80·1 = 260 / 3 = 86.666… → 86.67
        ({"a": 9000, "b": 8000}, [Criterion("a", 2), Criterion("b", 1)], 8667),
        # (0.01 + 0.02) / 2 = 0.015 → 0.02 (half up)
        ({"a": 1, "b": 2}, [Criterion("a", 1), Criterion("b", 1)], 2),
        ({"a": 10000}, [Criterion("a", 7)], 10000),
        ({"a": 0, "b": 0}, [Criterion("a", 1), Criterion("b", 1)], 0),
        (
            {c.name: 8000 for c in g.DEFAULT_CRITERIA} | {"服务成效": 10000},
            list(g.DEFAULT_CRITERIA),
            8400,  # 80 + 20 % × 20
        ),
    ],
)
def test_weighted_mean(scores: dict[str, int], criteria: list[Criterion], expected: int) -> None:
    assert g.weighted_mean(scores, criteria) == expected


def test_weighted_mean_needs_every_criterion() -> None:
    with pytest.raises(ValueError):
        g.weighted_mean({"a": 9000}, [Criterion("a", 1), Criterion("b", 1)])


def test_score_criteria_reports_each_problem() -> None:
    criteria = [Criterion("团队建设", 1), Criterion("服务成效", 1)]
    assert g.score_criteria(criteria, {"团队建设": "90", "服务成效": 85.5}) == {
        "团队建设": 9000,
        "服务成效": 8550,
    }
    with pytest.raises(DomainError) as caught:
        g.score_criteria(criteria, {"团队建设": 101, "宣传推广": 80})
    assert set(caught.value.fields) == {"criteria.团队建设", "criteria.服务成效", "criteria.宣传推广"}


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ([], None),
        ([8000], 8000),
        ([8000, 9000], 8500),
        ([6000, 7000, 8000], 7000),
        # four scores: nothing dropped: (60+70+80+100)/4 = 77.5
        ([6000, 7000, 8000, 10000], 7750),
        # five: drop 40 and 100 → (70+80+90)/3 = 80
        ([4000, 7000, 8000, 9000, 10000], 8000),
        # six: drop one 100 and one 40 → (50+70+80+100)/4 = 75
        ([10000, 4000, 5000, 7000, 8000, 10000], 7500),
        # ties at the extremes: only one of each is dropped
        ([5000, 5000, 5000, 9000, 9000], 6333),
        # (70 + 70.01 + 70.01) / 3 = 70.00666… → 70.01
        ([1, 7000, 7001, 7001, 9999], 7001),
    ],
)
def test_peer_score_drops_the_extremes_from_five(received: list[int], expected: int | None) -> None:
    assert g.peer_score(received) == expected


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        ({}, {}),
        ({1: 0, 2: 0}, {1: None, 2: None}),  # nobody voted: missing, not 0
        ({1: 10, 2: 5, 3: 0}, {1: 10000, 2: 5000, 3: 0}),
        ({1: 3, 2: 1, 3: 2}, {1: 10000, 2: 3333, 3: 6667}),
        ({1: 7, 2: 7}, {1: 10000, 2: 10000}),
        # 1 × 100 / 8 = 12.5 → 12.50; 1/6 → 16.666… → 16.67
        ({1: 8, 2: 1}, {1: 10000, 2: 1250}),
        ({1: 6, 2: 1}, {1: 10000, 2: 1667}),
    ],
)
def test_public_scores_are_normalised_to_the_most_votes(
    votes: dict[int, int], expected: dict[int, int | None]
) -> None:
    assert g.public_scores(votes) == expected


@pytest.mark.parametrize(
    ("government", "peer", "public", "weights", "expected", "parts"),
    [
        (9000, 8000, 7000, W433, 8100, ("government", "peer", "public")),
        (10000, 10000, 10000, W433, 10000, ("government", "peer", "public")),
        (0, 0, 0, W433, 0, ("government", "peer", "public")),
        # 0.4·85.55 + 0.3·70.01 + 0.3·60.03 = 34.22 + 21.003 + 18.009 = 73.232 → 73.23
        (8555, 7001, 6003, W433, 7323, ("government", "peer", "public")),
        # missing peer: 4:3 rescaled → (4·90 + 3·60)/7 = 77.142… → 77.14
        (9000, None, 6000, W433, 7714, ("government", "public")),
        # missing public: (4·90 + 3·80)/7 = 85.714… → 85.71
        (9000, 8000, None, W433, 8571, ("government", "peer")),
        # both missing: the government score alone
        (8765, None, None, W433, 8765, ("government",)),
        # no government score: not yet scored
        (None, 9000, 9000, W433, None, ()),
        # other weights: 0.5 / 0.25 / 0.25
        (8000, 6000, 4000, Weights(5000, 2500, 2500), 6500, ("government", "peer", "public")),
        # half up at the last step: (4·75.01 + 3·75.00 + 3·75.00) / 10 = 75.004 → 75.00
        (7501, 7500, 7500, W433, 7500, ("government", "peer", "public")),
        # 0.4·75.02 + 0.6·75 = 75.008 → 75.01
        (7502, 7500, 7500, W433, 7501, ("government", "peer", "public")),
        # government weighs 0 and is the only part: it counts alone
        (7000, None, None, Weights(0, 5000, 5000), 7000, ("government",)),
    ],
)
def test_composite(
    government: int | None,
    peer: int | None,
    public: int | None,
    weights: Weights,
    expected: int | None,
    parts: tuple[str, ...],
) -> None:
    result = g.composite(government, peer, public, weights)
    if expected is None:
        assert result is None
    else:
        assert result == g.Composite(expected, parts)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (None, None),
        (0, None),
        (4999, None),
        (5000, "A1"),
        (5999, "A1"),
        (6000, "A2"),
        (6999, "A2"),
        (7000, "A3"),
        (7999, "A3"),
        (8000, "A4"),
        (8999, "A4"),
        (9000, "A5"),
        (10000, "A5"),
    ],
)
def test_grade_bands_at_their_edges(score: int | None, grade: str | None) -> None:
    assert g.grade_for(score, g.DEFAULT_BANDS) == grade


def test_grade_bands_of_a_round() -> None:
    bands = g.validate_bands([("A5", "95"), ("A4", "85"), ("A3", "75"), ("A2", "65"), ("A1", 55)])
    assert g.grade_for(9499, bands) == "A4" and g.grade_for(5499, bands) is None


@pytest.mark.parametrize(
    ("composites", "expected"),
    [
        ({1: 9000, 2: 8000, 3: 7000}, {1: 1, 2: 2, 3: 3}),
        ({1: 9000, 2: 9000, 3: 7000}, {1: 1, 2: 1, 3: 3}),
        ({1: 7000, 2: 9000, 3: 9000, 4: 9000, 5: 6000}, {1: 4, 2: 1, 3: 1, 4: 1, 5: 5}),
        ({1: None, 2: 5000}, {1: None, 2: 1}),
        ({}, {}),
    ],
)
def test_competition_ranking(composites: dict[int, int | None], expected: dict[int, int | None]) -> None:
    assert g.rank(composites) == expected


def _result(org: int, composite: int | None, government: int = 8000, peer: int | None = 8000) -> Result:
    return Result(org, government, peer, None, composite, g.grade_for(composite))


def test_tier_suggestion_fills_quotas_best_first() -> None:
    results = [_result(org, 9500 - org * 100) for org in range(1, 8)] + [_result(99, 4000), _result(98, None)]
    suggestion = g.suggest_tiers(results, Quotas(2, 3, 1))
    assert suggestion.tiers == {
        1: "leading",
        2: "leading",
        3: "demonstration",
        4: "demonstration",
        5: "demonstration",
        6: "growing",
        7: None,  # beyond every quota
        99: None,  # below the lowest band: no grade, no tier
        98: None,  # not scored
    }
    assert suggestion.ties == ()


def test_tier_suggestion_breaks_boundary_ties_and_reports_them() -> None:
    results = [
        _result(1, 9000),
        # 2 and 3 tie on composite across the 名木 boundary: government decides (3 wins)
        _result(2, 8500, government=8000),
        _result(3, 8500, government=8200),
        # 4 and 5 tie on composite and government: peer decides, then id
        _result(4, 8000, government=8000, peer=7000),
        _result(5, 8000, government=8000, peer=7000),
        _result(6, 7000),
    ]
    suggestion = g.suggest_tiers(results, Quotas(2, 2, 5))
    assert suggestion.tiers == {
        1: "leading",
        3: "leading",
        2: "demonstration",
        4: "demonstration",
        5: "growing",
        6: "growing",
    }
    assert suggestion.ties == (
        g.BoundaryTie("leading", 8500, inside=(3,), outside=(2,)),
        g.BoundaryTie("demonstration", 8000, inside=(4,), outside=(5,)),
    )


def test_tier_suggestion_is_deterministic_whatever_the_input_order() -> None:
    results = [_result(org, 8000) for org in (5, 3, 9, 1)]
    first = g.suggest_tiers(results, Quotas(1, 1, 1))
    again = g.suggest_tiers(list(reversed(results)), Quotas(1, 1, 1))
    assert first == again
    assert first.tiers == {1: "leading", 3: "demonstration", 5: "growing", 9: None}
    assert [tie.tier for tie in first.ties] == ["leading", "demonstration", "growing"]


@pytest.mark.parametrize(
    ("counts", "quotas", "over"),
    [
        ({"leading": 10, "demonstration": 30, "growing": 300}, Quotas(), []),
        ({"leading": 11}, Quotas(), ["leading"]),
        ({"leading": 1, "demonstration": 3, "growing": 1}, Quotas(1, 2, 0), ["demonstration", "growing"]),
        ({}, Quotas(0, 0, 0), []),
    ],
)
def test_tiers_beyond_their_quota(counts: dict[str, int], quotas: Quotas, over: list[str]) -> None:
    assert g.check_tier_assignment(counts, quotas) == over


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (("0.4", "0.3", "0.3"), Weights(4000, 3000, 3000)),
        ((0.4, 0.3, 0.3), Weights(4000, 3000, 3000)),
        ((Decimal("0.5"), Decimal("0.25"), Decimal("0.25")), Weights(5000, 2500, 2500)),
        ((1, 0, 0), Weights(10000, 0, 0)),
        (("0.3333", "0.3333", "0.3334"), Weights(3333, 3333, 3334)),
    ],
)
def test_weights_accepted(raw: tuple[object, object, object], expected: Weights) -> None:
    assert g.validate_weights(*raw) == expected


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        (("0.4", "0.3", "0.2"), {"weights"}),  # sums to 0.9
        (("0.5", "0.3", "0.3"), {"weights"}),  # sums to 1.1
        ((0.1, 0.2, 0.3), {"weights"}),
        (("1.2", "0", "0"), {"weights.government"}),
        (("-0.1", "0.6", "0.5"), {"weights.government"}),
        (("0.33333", "0.33333", "0.33334"), {"weights.government", "weights.peer", "weights.public"}),
        (("abc", None, True), {"weights.government", "weights.peer", "weights.public"}),
    ],
)
def test_weights_refused(raw: tuple[object, object, object], fields: set[str]) -> None:
    with pytest.raises(DomainError) as caught:
        g.validate_weights(*raw)
    assert set(caught.value.fields) == fields


def test_weights_not_summing_to_one_say_so() -> None:
    with pytest.raises(DomainError) as caught:
        g.validate_weights("0.4", "0.3", "0.2")
    assert caught.value.fields["weights"] == "三项权重之和必须等于 1（现在是 0.9）"


@pytest.mark.parametrize(
    ("items", "fields"),
    [
        ([], {"criteria"}),
        ([("", 1)], {"criteria.0.name"}),
        ([("  ", 1)], {"criteria.0.name"}),
        ([("a" * 21, 1)], {"criteria.0.name"}),
        ([("团队建设", 1), ("团队建设", 2)], {"criteria.1.name"}),
        ([("团队建设", 0)], {"criteria.0.weight"}),
        ([("团队建设", -3)], {"criteria.0.weight"}),
        ([("团队建设", 1.5)], {"criteria.0.weight"}),
        ([("团队建设", True)], {"criteria.0.weight"}),
        ([(f"项{n}", 1) for n in range(21)], {"criteria"}),
    ],
)
def test_criteria_refused(items: list[tuple[object, object]], fields: set[str]) -> None:
    with pytest.raises(DomainError) as caught:
        g.validate_criteria(items)
    assert set(caught.value.fields) == fields


def test_criteria_accepted() -> None:
    assert g.validate_criteria([(" 团队建设 ", "3"), ("a" * 20, 1)]) == (
        Criterion("团队建设", 3),
        Criterion("a" * 20, 1),
    )


@pytest.mark.parametrize(
    "items",
    [
        [("A5", 90), ("A4", 80), ("A3", 70), ("A2", 60)],  # A1 missing
        [("A5", 90), ("A4", 90), ("A3", 70), ("A2", 60), ("A1", 50)],  # not strictly better
        [("A5", 101), ("A4", 80), ("A3", 70), ("A2", 60), ("A1", 50)],
        [("A6", 95), ("A5", 90), ("A4", 80), ("A3", 70), ("A2", 60), ("A1", 50)],
    ],
)
def test_bands_refused(items: list[tuple[str, object]]) -> None:
    with pytest.raises(DomainError):
        g.validate_bands(items)


PARTNERS = g.partner_pairs([(1, 2), (3, 4), (1, 5), (2, 6)])


@pytest.mark.parametrize(
    ("reviewer", "reviewee", "reason"),
    [
        (1, 1, g.SELF_MESSAGE),
        (1, 2, g.PARTNER_MESSAGE),
        (2, 1, g.PARTNER_MESSAGE),
        (1, 3, None),
        (5, 1, g.PARTNER_MESSAGE),
        (5, 6, None),
    ],
)
def test_peer_exclusions(reviewer: int, reviewee: int, reason: str | None) -> None:
    assert g.peer_exclusion(reviewer, reviewee, PARTNERS) == reason


@pytest.mark.parametrize("size", [2, 3, 5, 6, 7, 10, 13, 24])
@pytest.mark.parametrize("partners", [frozenset(), PARTNERS], ids=["no-partners", "partners"])
@pytest.mark.parametrize("per_reviewer", [1, 3, 5])
def test_assign_peers_never_self_or_partner_and_balanced(
    size: int, partners: g.PartnerPairs, per_reviewer: int
) -> None:
    participants = list(range(size, 0, -1))  # any order: the result depends only on the set
    pairs = g.assign_peers(participants, partners, per_reviewer)
    assert pairs == g.assign_peers(sorted(participants), partners, per_reviewer)
    assert len(set(pairs)) == len(pairs)
    assert all(g.peer_exclusion(a, b, partners) is None for a, b in pairs)
    received = Counter(b for _, b in pairs)
    given = Counter(a for a, _ in pairs)
    for org in participants:
        allowed = sum(1 for other in participants if g.peer_exclusion(org, other, partners) is None)
        assert given[org] == min(per_reviewer, allowed)
    spread = max(received.get(org, 0) for org in participants) - min(
        received.get(org, 0) for org in participants
    )
    assert spread <= (1 if not partners else 2)
    if not partners and size > per_reviewer:
        assert set(received.values()) == {per_reviewer}


def test_assign_peers_with_too_few_participants() -> None:
    assert g.assign_peers([7], frozenset()) == []
    assert g.assign_peers([1, 2], g.partner_pairs([(1, 2)])) == []


@pytest.mark.parametrize(
    ("hundredths", "text"), [(None, "—"), (0, "0.00"), (5, "0.05"), (8850, "88.50"), (10000, "100.00")]
)
def test_format_score(hundredths: int | None, text: str) -> None:
    assert g.format_score(hundredths) == text
