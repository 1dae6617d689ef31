"""The pure money rules: pledge limits, refunds, splitting a match across pools, reversals."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from marketplace.errors import DomainError
from marketplace.pledges.accounting import (
    MAX_PLEDGE_FEN,
    RAISED_KINDS,
    LedgerKind,
    PoolOffer,
    PoolTerms,
    check_pledge_amount,
    check_pool_terms,
    check_refund,
    reversal_due,
    split_match,
)
from marketplace.pledges.states import (
    FINAL,
    MONEY_HELD,
    TRANSITIONS,
    PledgeStatus,
    can_move,
    sources_for,
)


@pytest.mark.parametrize("amount", [100, 1234_56, MAX_PLEDGE_FEN])
def test_pledge_amounts_within_limits_pass(amount: int) -> None:
    assert check_pledge_amount(amount) == amount


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (0, "不能少于 1 元"),
        (-100, "不能少于 1 元"),
        (99, "不能少于 1 元"),
        (MAX_PLEDGE_FEN + 1, "不能超过 1000 万元"),
        (1.5, "必须是数字"),
        ("100", "必须是数字"),
        (True, "必须是数字"),
        (None, "必须是数字"),
    ],
)
def test_bad_pledge_amounts_are_refused_with_a_reason(amount: object, reason: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_pledge_amount(amount)
    assert reason in caught.value.fields["amount"]


def test_refund_defaults_to_everything_left() -> None:
    assert check_refund(10_000, 2_500, None) == 7_500


@pytest.mark.parametrize(
    ("paid", "refunded", "amount", "reason"),
    [
        (10_000, 10_000, None, "已全部退款"),
        (10_000, 0, 10_001, "不能超过可退金额 ¥100"),
        (10_000, 4_000, 6_001, "不能超过可退金额 ¥60"),
        (10_000, 0, 0, "必须大于 0"),
        (10_000, 0, -5, "必须大于 0"),
    ],
)
def test_refunds_above_what_is_left_are_refused(
    paid: int, refunded: int, amount: int | None, reason: str
) -> None:
    with pytest.raises(DomainError) as caught:
        check_refund(paid, refunded, amount)
    assert reason in caught.value.fields["amount"]


def offer(pool_id: int, remaining: int, ratio_bp: int = 10_000, **caps: int | None) -> PoolOffer:
    return PoolOffer(pool_id, ratio_bp, remaining, caps.get("cap_per_pledge"), caps.get("project_room"))


def test_one_pool_matches_one_to_one() -> None:
    assert split_match(5_000, [offer(1, 100_000)]) == {1: 5_000}


def test_half_ratio_and_rounding_down_to_whole_fen() -> None:
    assert split_match(333, [offer(1, 100_000, ratio_bp=5_000)]) == {1: 166}


def test_two_pools_share_one_match_in_proportion_to_their_remaining_budgets() -> None:
    shares = split_match(9_000, [offer(1, 300_000), offer(2, 600_000)])
    assert shares == {1: 3_000, 2: 6_000}
    assert sum(shares.values()) == 9_000  # two 1:1 pools still make a 1:1 match


def test_rounding_leftovers_are_placed_so_shares_sum_exactly() -> None:
    shares = split_match(100, [offer(1, 50_000), offer(2, 50_000), offer(3, 50_000)])
    assert sum(shares.values()) == 100
    assert sorted(shares.values()) == [33, 33, 34]


def test_a_capped_pool_hands_its_share_to_the_others() -> None:
    shares = split_match(10_000, [offer(1, 500_000, cap_per_pledge=1_000), offer(2, 500_000)])
    assert shares == {1: 1_000, 2: 9_000}


def test_a_pool_never_gives_more_than_it_has_or_the_project_room() -> None:
    assert split_match(10_000, [offer(1, 700)]) == {1: 700}
    assert split_match(10_000, [offer(1, 50_000, project_room=2_500)]) == {1: 2_500}
    assert split_match(10_000, [offer(1, 0)]) == {}
    assert split_match(10_000, []) == {}


def test_the_match_is_the_largest_single_pool_offer() -> None:
    # A 2:1 pool and a 1:1 pool: the pledge earns 2:1, shared by remaining budget within caps.
    shares = split_match(1_000, [offer(1, 100_000, ratio_bp=20_000), offer(2, 100_000)])
    assert sum(shares.values()) == 2_000
    assert shares[2] <= 1_000


@pytest.mark.parametrize(
    ("credited", "reversed_", "paid", "refunded", "due"),
    [
        (1_000, 0, 10_000, 10_000, 1_000),  # full refund takes the whole match back
        (1_000, 0, 10_000, 5_000, 500),  # half refund, half the match
        (1_000, 500, 10_000, 10_000, 500),  # the rest, after an earlier half
        (1_000, 0, 3, 1, 334),  # rounded up in favour of the pool
        (1_000, 1_000, 10_000, 10_000, 0),  # nothing left to reverse
        (1_000, 0, 10_000, 0, 0),
    ],
)
def test_reversals_follow_refunds_in_proportion(
    credited: int, reversed_: int, paid: int, refunded: int, due: int
) -> None:
    assert reversal_due(credited, reversed_, paid, refunded) == due


def terms(**changes: object) -> PoolTerms:
    start = datetime(2026, 12, 1)
    values: dict[str, object] = {
        "name": "瓯江鞋业 99 公益日配捐",
        "budget": 1_000_000,
        "ratio_bp": 10_000,
        "cap_per_pledge": None,
        "cap_per_project": None,
        "starts_at": start,
        "ends_at": start + timedelta(days=3),
    }
    values.update(changes)
    return PoolTerms(**values)  # type: ignore[arg-type]


def test_good_pool_terms_pass() -> None:
    check_pool_terms(terms())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ratio_bp": 0}, "ratio"),
        ({"ratio_bp": -10_000}, "ratio"),
        ({"ratio_bp": 100_001}, "ratio"),
        ({"budget": 0}, "budget"),
        ({"budget": -1}, "budget"),
        ({"name": " "}, "name"),
        ({"cap_per_pledge": 0}, "cap_per_pledge"),
        ({"cap_per_project": -5}, "cap_per_project"),
        ({"ends_at": datetime(2026, 11, 30)}, "ends_at"),
    ],
)
def test_bad_pool_terms_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_pool_terms(terms(**changes))
    assert field in caught.value.fields


def test_raised_kinds_exclude_disbursements_and_fees() -> None:
    assert LedgerKind.DISBURSEMENT not in RAISED_KINDS and LedgerKind.FEE not in RAISED_KINDS
    assert len(RAISED_KINDS) == 4


@pytest.mark.parametrize("source", list(PledgeStatus))
@pytest.mark.parametrize("target", list(PledgeStatus))
def test_the_pledge_table_only_moves_forward(source: PledgeStatus, target: PledgeStatus) -> None:
    allowed = {
        ("pending", "paid"),
        ("pending", "failed"),
        ("pending", "cancelled"),
        ("pending", "expired"),
        ("paid", "refund_due"),
        ("paid", "refunded"),
        ("refund_due", "refunded"),
    }
    assert can_move(source, target) == ((source.value, target.value) in allowed)


def test_derived_sets_follow_the_table() -> None:
    assert sources_for(PledgeStatus.REFUNDED) == {PledgeStatus.PAID, PledgeStatus.REFUND_DUE}
    assert sources_for(PledgeStatus.PAID) == {PledgeStatus.PENDING}
    assert {status for status, targets in TRANSITIONS.items() if not targets} == FINAL
    assert {PledgeStatus.PAID, PledgeStatus.REFUND_DUE} == MONEY_HELD
