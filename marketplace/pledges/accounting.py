"""Money rules for pledges, refunds and matching funds (配捐). PURE: integers in fen only.

Nothing here touches the database; operations.py asks these functions what to write and then
writes it with atomic updates, so the same arithmetic serves the pages, the API, webhooks and jobs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from marketplace.errors import DomainError
from marketplace.messages import Msg
from marketplace.money import BASIS_POINTS, FEN_PER_YUAN, format_fen

MIN_PLEDGE_FEN = 1 * FEN_PER_YUAN
MAX_PLEDGE_FEN = 10_000_000 * FEN_PER_YUAN  # ¥10,000,000 per pledge
MAX_RATIO_BP = 10 * BASIS_POINTS  # at most 10:1; beyond that is a typo, not a pledge drive


class LedgerKind(StrEnum):
    PLEDGE_PAID = "pledge_paid"
    REFUND = "refund"
    MATCH_CREDIT = "match_credit"
    MATCH_REVERSAL = "match_reversal"
    DISBURSEMENT = "disbursement"
    FEE = "fee"


# The kinds whose amounts make up a project's raised amount. Disbursements move money that was
# already raised to the organization; fees are what the receiving entity paid to collect it.
RAISED_KINDS = frozenset(
    {LedgerKind.PLEDGE_PAID, LedgerKind.REFUND, LedgerKind.MATCH_CREDIT, LedgerKind.MATCH_REVERSAL}
)

LEDGER_KIND_LABELS: Mapping[LedgerKind, Msg] = MappingProxyType(
    {
        LedgerKind.PLEDGE_PAID: Msg("认捐到账"),
        LedgerKind.REFUND: Msg("退款"),
        LedgerKind.MATCH_CREDIT: Msg("配捐"),
        LedgerKind.MATCH_REVERSAL: Msg("配捐冲回"),
        LedgerKind.DISBURSEMENT: Msg("拨付给组织"),
        LedgerKind.FEE: Msg("手续费"),
    }
)


def check_pledge_amount(amount: object, *, field: str = "amount") -> int:
    """A pledge is ¥1 to ¥10,000,000, in whole fen. Callers parse yuan text with money.parse_yuan."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise DomainError.on(field, Msg("金额必须是数字，例如 5000 或 5000.50"))
    if amount < MIN_PLEDGE_FEN:
        raise DomainError.on(field, Msg("认捐金额不能少于 1 元"))
    if amount > MAX_PLEDGE_FEN:
        raise DomainError.on(field, Msg("单笔认捐不能超过 1000 万元"))
    return amount


def refundable(paid: int, refunded: int) -> int:
    return max(paid - refunded, 0)


def check_refund(paid: int, refunded: int, amount: int | None, *, field: str = "amount") -> int:
    """The amount to refund now: all that is left when `amount` is None, else 0 < amount ≤ left."""
    left = refundable(paid, refunded)
    if left == 0:
        raise DomainError.on(field, Msg("这笔认捐已全部退款，没有可退金额"))
    if amount is None:
        return left
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError.on(field, Msg("退款金额必须大于 0"))
    if amount > left:
        raise DomainError.on(field, Msg("退款金额不能超过可退金额 %(left)s", left=format_fen(left)))
    return amount


@dataclass(frozen=True)
class PoolOffer:
    """What one matching pool can put toward one pledge, as seen at the moment of matching."""

    pool_id: int
    ratio_bp: int  # 10,000 = 1:1 (one yuan matched per yuan pledged)
    remaining: int  # budget left in the pool
    cap_per_pledge: int | None
    project_room: int | None  # what the pool may still add to this project (None = no cap)

    def wanted(self, amount: int) -> int:
        """The pool's own match for `amount`, before splitting with other pools."""
        limits = [amount * self.ratio_bp // BASIS_POINTS, self.remaining]
        if self.cap_per_pledge is not None:
            limits.append(self.cap_per_pledge)
        if self.project_room is not None:
            limits.append(self.project_room)
        return max(min(limits), 0)


def split_match(amount: int, offers: Sequence[PoolOffer]) -> dict[int, int]:
    """Split the match for one pledge among eligible pools.

    The pledge earns the largest match any single eligible pool would give (two 1:1 pools do not
    make a 2:1 match); that total is shared in proportion to the pools' remaining budgets, each
    share capped by what its pool may give, and whatever a capped pool cannot take goes to the
    others. Integer fen throughout; leftovers from rounding go to the pools with the largest
    remainders, so the shares always sum exactly to the total that could be placed.
    """
    wants = {offer.pool_id: offer.wanted(amount) for offer in offers}
    total = max(wants.values(), default=0)
    shares = dict.fromkeys(wants, 0)
    open_pools = [offer for offer in offers if wants[offer.pool_id] > 0]
    to_place = total
    while to_place > 0 and open_pools:
        weight = sum(offer.remaining for offer in open_pools)
        exact = {offer.pool_id: to_place * offer.remaining for offer in open_pools}
        portions = {pool_id: value // weight for pool_id, value in exact.items()}
        leftover = to_place - sum(portions.values())
        by_remainder = sorted(open_pools, key=lambda offer: (-(exact[offer.pool_id] % weight), offer.pool_id))
        for offer in by_remainder[:leftover]:
            portions[offer.pool_id] += 1
        placed = 0
        still_open = []
        for offer in open_pools:
            room = wants[offer.pool_id] - shares[offer.pool_id]
            take = min(portions[offer.pool_id], room)
            shares[offer.pool_id] += take
            placed += take
            if shares[offer.pool_id] < wants[offer.pool_id]:
                still_open.append(offer)
        to_place -= placed
        if placed == 0:
            break
        open_pools = still_open
    return {pool_id: share for pool_id, share in shares.items() if share > 0}


def reversal_due(credited: int, already_reversed: int, pledge_paid: int, pledge_refunded: int) -> int:
    """How much more of a match to take back after the pledge was (partly) refunded.

    The match follows the pledge in proportion: refunding half the pledge takes back half the
    match, refunding all of it takes back all. Rounded up in favour of the pool, never past
    what was credited.
    """
    if pledge_paid <= 0:
        return 0
    target = -(-credited * min(pledge_refunded, pledge_paid) // pledge_paid)  # ceil division
    return max(min(target, credited) - already_reversed, 0)


@dataclass(frozen=True)
class PoolTerms:
    name: str
    budget: int
    ratio_bp: int
    cap_per_pledge: int | None
    cap_per_project: int | None
    starts_at: datetime
    ends_at: datetime


def check_pool_terms(terms: PoolTerms) -> None:
    """A pool's terms, checked all at once so the form shows every problem together."""
    problems: dict[str, str] = {}
    if not terms.name.strip():
        problems["name"] = Msg("请填写配捐计划名称")
    elif len(terms.name.strip()) > 60:
        problems["name"] = Msg("名称不能超过 60 个字")
    if terms.budget <= 0:
        problems["budget"] = Msg("配捐预算必须大于 0")
    elif terms.budget > MAX_PLEDGE_FEN * 10:
        problems["budget"] = Msg("配捐预算不能超过 1 亿元")
    if terms.ratio_bp <= 0:
        problems["ratio"] = Msg("配捐比例必须大于 0")
    elif terms.ratio_bp > MAX_RATIO_BP:
        problems["ratio"] = Msg("配捐比例不能超过 10:1")
    if terms.cap_per_pledge is not None and terms.cap_per_pledge <= 0:
        problems["cap_per_pledge"] = Msg("单笔配捐上限必须大于 0")
    if terms.cap_per_project is not None and terms.cap_per_project <= 0:
        problems["cap_per_project"] = Msg("单个项目配捐上限必须大于 0")
    if terms.ends_at <= terms.starts_at:
        problems["ends_at"] = Msg("结束时间必须晚于开始时间")
    if problems:
        raise DomainError(problems)
