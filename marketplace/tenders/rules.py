"""The rules a tender and a bid must keep, from Chinese procurement law. PURE: no Flask, no database.

Every check returns *all* its violations as ``(field path, reason)`` pairs, so a bid builder (page or
API) can show every problem at once, each next to its input (``members[1].share``). The ten rules
are numbered as in TENDERS_AND_AGREEMENTS.md:

V1  consortium shares exact, each > 0, summing to exactly 100 %          (政府采购法 第24条)
V2  consortium composition: ≥ 2 distinct organizations, one lead, scopes, joint agreement
V3  consortium only where the tender explicitly allows it
V4  no double participation on one tender                                  (实施条例 第22条)
V5  eligibility of every member: verified, grade valid through the deadline, grade rule, no league body
V6  subcontract cap and scope: allowed, each share in (0, 100 %), total ≤ cap, never core work
                                                                           (招标投标法 第30、48条)
V7  subcontract graph: a subcontractor is not a member; no re-subcontracting; consent before active
V8  bid state and timing (see ``states`` and :func:`check_timing`)
V9  bid value: integer fen > 0, CNY, ≤ the budget when the tender caps it
V10 signature integrity (the agreements package)

Shares are exact: percentages with at most two decimals, held as basis points (1 % = 100 bp), so
that 33.33 + 33.33 + 33.34 is exactly 100 % and a float never enters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from marketplace.messages import Msg
from marketplace.money import format_fen
from marketplace.timeutil import to_local

Violation = tuple[str, Msg]

WHOLE: Final = 10_000  # 100 % in basis points
SHARE_DECIMALS: Final = 2
SCOPE_MAX: Final = 500
PROPOSAL_MAX: Final = 20_000
MAX_MEMBERS_LIMIT: Final = 20
MAX_SUBCONTRACTORS: Final = 20
# Far above any district service purchase, and safely inside BIGINT.
PRICE_MAX: Final = 10**10 * 100
GRADE_PRIORITY_RANK: Final = 3  # 3A and above get policy priority
CONTRACT_SIGNING_DAYS: Final = 30  # 政府采购法 第46条: the contract within 30 days of the award notice
CURRENCY: Final = "CNY"


class BidMode(StrEnum):
    SINGLE = "single"  # 单独承接
    CONSORTIUM = "consortium"  # 联合承担
    PRIME_WITH_SUBS = "prime_with_subs"  # 总包分包


class GradeRule(StrEnum):
    # Official procurement may not exclude suppliers on unreasonable conditions (实施条例 第20条):
    # by default a minimum grade only ranks and flags; a hard gate needs a recorded basis.
    PRIORITY_ONLY = "priority_only"
    MIN_OF_MEMBERS = "min_of_members"  # every member (the consortium counts at its lowest grade)
    LEAD_ONLY = "lead_only"


class BuyerKind(StrEnum):
    GOVERNMENT = "government"
    FOUNDATION = "foundation"


class Method(StrEnum):
    OPEN = "open_tender"  # 公开招标
    CONSULTATION = "competitive_consultation"  # 竞争性磋商
    NEGOTIATION = "competitive_negotiation"  # 竞争性谈判
    ENQUIRY = "enquiry"  # 询价
    SINGLE_SOURCE = "single_source"  # 单一来源
    FOUNDATION_CALL = "foundation_call"  # 基金会项目征集


MODE_LABELS: Final[dict[BidMode, Msg]] = {
    BidMode.SINGLE: Msg("单独承接"),
    BidMode.CONSORTIUM: Msg("联合体投标"),
    BidMode.PRIME_WITH_SUBS: Msg("总包分包"),
}
GRADE_RULE_LABELS: Final[dict[GradeRule, Msg]] = {
    GradeRule.PRIORITY_ONLY: Msg("仅作优先排序（不设门槛）"),
    GradeRule.MIN_OF_MEMBERS: Msg("每个成员均须达到（联合体按最低等级）"),
    GradeRule.LEAD_ONLY: Msg("牵头方须达到"),
}
BUYER_KIND_LABELS: Final[dict[BuyerKind, Msg]] = {
    BuyerKind.GOVERNMENT: Msg("政府部门"),
    BuyerKind.FOUNDATION: Msg("基金会"),
}
METHOD_LABELS: Final[dict[Method, Msg]] = {
    Method.OPEN: Msg("公开招标"),
    Method.CONSULTATION: Msg("竞争性磋商"),
    Method.NEGOTIATION: Msg("竞争性谈判"),
    Method.ENQUIRY: Msg("询价"),
    Method.SINGLE_SOURCE: Msg("单一来源"),
    Method.FOUNDATION_CALL: Msg("基金会项目征集"),
}
# OCDS tender.procurementMethod (open | selective | limited | direct) for each method.
OCDS_METHODS: Final[dict[Method, str]] = {
    Method.OPEN: "open",
    Method.CONSULTATION: "selective",
    Method.NEGOTIATION: "selective",
    Method.ENQUIRY: "selective",
    Method.SINGLE_SOURCE: "direct",
    Method.FOUNDATION_CALL: "open",
}
GRADES: Final = ("A1", "A2", "A3", "A4", "A5")


# ─────────────────────────────── values ───────────────────────────────

_SHARE = re.compile(r"\d{1,3}(?:\.\d+)?")


def parse_share(raw: object) -> int | Msg:
    """A percentage ("60", "33.33", 60, Decimal("12.5")) as basis points, or the reason it is not one.

    Floats are refused (0.1 has no exact binary form), as are more than two decimals, signs,
    blanks and anything outside 0–100 %.
    """
    if raw is None:
        return Msg("请填写份额（百分比，如 60 或 33.33）")
    if isinstance(raw, bool):
        return Msg('份额须是百分比字符串，如 "60" 或 "33.33"')
    if isinstance(raw, float):
        return Msg('份额不能是浮点数，请写成字符串，如 "33.33"')
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().removesuffix("%").strip()
        if not text:
            return Msg("请填写份额（百分比，如 60 或 33.33）")
        if text.startswith("-"):
            return Msg("份额必须大于 0")
        if not _SHARE.fullmatch(text):
            return Msg("份额须是 0 到 100 之间的百分比，如 60 或 33.33")
        # Counted on the text as typed: "33.330" has more decimals than the API allows.
        if "." in text and len(text.split(".", 1)[1]) > SHARE_DECIMALS:
            return Msg("份额最多保留两位小数")
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            return Msg("份额须是 0 到 100 之间的百分比，如 60 或 33.33")
    else:
        return Msg('份额须是百分比字符串，如 "60" 或 "33.33"')
    if not value.is_finite():
        return Msg("份额须是 0 到 100 之间的百分比，如 60 或 33.33")
    if value < 0:
        return Msg("份额必须大于 0")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -SHARE_DECIMALS:
        return Msg("份额最多保留两位小数")
    if value > 100:
        return Msg("份额不能超过 100%")
    return int(value * 100)


def format_share(basis_points: int) -> str:
    """Basis points as the API's percentage string: 6000 → "60", 3333 → "33.33", 1250 → "12.5"."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


def grade_rank(grade: str | None) -> int:
    """A1 → 1 … A5 → 5; no grade → 0."""
    return GRADES.index(grade) + 1 if grade in GRADES else 0


def grade_label(grade: str | None) -> str:
    return f"{grade[1]}A" if grade in GRADES and grade else "—"


# ─────────────────────────────── inputs ───────────────────────────────


@dataclass(frozen=True)
class TenderTerms:
    """What the bid rules need to know of a tender."""

    submission_deadline: datetime  # naive UTC
    budget: int | None  # fen
    budget_is_cap: bool = True
    allows_consortium: bool | None = False
    max_members: int | None = None
    allows_subcontracting: bool = False
    max_subcontract_share: int | None = None  # basis points
    min_grade: str | None = None
    grade_rule: str = GradeRule.PRIORITY_ONLY


@dataclass(frozen=True)
class OrgFacts:
    id: int
    name: str
    verified: bool = True
    grade: str | None = None
    grade_valid_until: date | None = None
    is_league_body: bool = False
    legal_representative: str = ""


@dataclass(frozen=True)
class MemberLine:
    organization_id: int | None
    role: str = "member"  # "lead" | "member"
    share: object = None  # raw input: str, int or Decimal; parsed by parse_share
    scope: str = ""


@dataclass(frozen=True)
class SubcontractLine:
    organization_id: int | None
    share: object = None
    scope: str = ""
    is_core_work: bool | None = False
    # The contractor this subcontract is under (OCDS subcontract.mainContractors); None = the lead.
    main_contractor_id: int | None = None


@dataclass(frozen=True)
class BidDraft:
    mode: str
    members: tuple[MemberLine, ...]
    subcontractors: tuple[SubcontractLine, ...] = ()
    price: object = None  # raw: int fen expected
    currency: object = CURRENCY
    has_joint_agreement: bool = False


@dataclass(frozen=True)
class OtherBid:
    """Another live bid on the same tender, as far as it binds organizations: its lead, the members
    who committed (confirmed) and the subcontractors who committed."""

    bid_id: int
    lead_id: int
    member_ids: frozenset[int] = frozenset()
    subcontractor_ids: frozenset[int] = frozenset()

    @property
    def bidder_ids(self) -> frozenset[int]:
        return self.member_ids | {self.lead_id}


@dataclass
class Checked:
    """The outcome of :func:`check_bid`: every violation, plus warnings staff see (not refusals)."""

    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)
    member_shares: tuple[int, ...] = ()
    subcontract_shares: tuple[int, ...] = ()
    price: int | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    def fields(self) -> dict[str, Msg]:
        """The violations keyed by field path (the first reason per path), as errors carry them."""
        found: dict[str, Msg] = {}
        for path, reason in self.violations:
            found.setdefault(path, reason)
        return found


# ─────────────────────────────── tender ───────────────────────────────


@dataclass(frozen=True)
class TenderDraft:
    title: str
    budget: object
    allows_consortium: object  # must be an explicit bool (V3)
    allows_subcontracting: object
    submission_deadline: datetime | None
    max_members: object = None
    max_subcontract_share: object = None
    min_grade: str | None = None
    grade_rule: str | None = None
    grade_rule_basis: str = ""
    enquiry_ends_at: datetime | None = None
    contract_starts_on: date | None = None
    contract_ends_on: date | None = None
    expected_award_on: date | None = None


def check_tender(draft: TenderDraft, *, now: datetime, publishing: bool) -> list[Violation]:
    """A tender's own rules; when ``publishing``, the deadline must also lie ahead."""
    found: list[Violation] = []
    if not isinstance(draft.allows_consortium, bool):
        found.append(("allows_consortium", Msg("请明确是否接受联合体投标（是/否）")))
    if not isinstance(draft.allows_subcontracting, bool):
        found.append(("allows_subcontracting", Msg("请明确是否允许分包（是/否）")))
    budget = draft.budget
    if budget is None:
        found.append(("budget", Msg("请填写采购预算")))
    elif isinstance(budget, bool) or not isinstance(budget, int):
        found.append(("budget", Msg("预算必须是以分为单位的整数")))
    elif budget <= 0:
        found.append(("budget", Msg("预算必须大于 0")))
    elif budget > PRICE_MAX:
        found.append(("budget", Msg("预算过大，请核对")))
    if draft.allows_consortium is True:
        members = draft.max_members
        if members is not None and (
            isinstance(members, bool) or not isinstance(members, int) or not 2 <= members <= MAX_MEMBERS_LIMIT
        ):
            found.append(
                ("max_members", Msg("联合体成员上限须是 2 到 %(n)d 之间的整数", n=MAX_MEMBERS_LIMIT))
            )
    elif draft.max_members is not None:
        found.append(("max_members", Msg("不接受联合体投标时不能设置联合体成员上限")))
    if draft.allows_subcontracting is True:
        if draft.max_subcontract_share is not None:
            cap = parse_share(draft.max_subcontract_share)
            if isinstance(cap, Msg):
                found.append(("max_subcontract_share", cap))
            elif not 0 < cap < WHOLE:
                found.append(("max_subcontract_share", Msg("分包比例上限须大于 0 且小于 100%")))
    elif draft.max_subcontract_share is not None:
        found.append(("max_subcontract_share", Msg("不允许分包时不能设置分包比例上限")))
    rule = draft.grade_rule or GradeRule.PRIORITY_ONLY
    if rule not in tuple(GradeRule):
        found.append(("grade_rule", Msg("等级规则只能是 priority_only、min_of_members 或 lead_only")))
    if draft.min_grade is not None and draft.min_grade not in GRADES:
        found.append(("min_grade", Msg("最低等级须是 A1 到 A5 之一")))
    if rule != GradeRule.PRIORITY_ONLY:
        if not draft.min_grade:
            found.append(("min_grade", Msg("设置等级门槛时请填写最低等级")))
        if not (draft.grade_rule_basis or "").strip():
            found.append(
                (
                    "grade_rule_basis",
                    Msg("以等级作为资格门槛须记录依据（不得以不合理条件排斥供应商，实施条例第二十条）"),
                )
            )
    deadline = draft.submission_deadline
    if deadline is None:
        found.append(("submission_deadline", Msg("请填写投标截止时间")))
    else:
        if publishing and deadline <= now:
            found.append(("submission_deadline", Msg("投标截止时间必须晚于现在")))
        if draft.enquiry_ends_at is not None and draft.enquiry_ends_at > deadline:
            found.append(("enquiry_ends_at", Msg("答疑截止时间不能晚于投标截止时间")))
        if draft.expected_award_on is not None and draft.expected_award_on < to_local(deadline).date():
            found.append(("expected_award_on", Msg("预计成交日期不能早于投标截止日期")))
    if (
        draft.contract_starts_on
        and draft.contract_ends_on
        and draft.contract_ends_on <= draft.contract_starts_on
    ):
        found.append(("contract_ends_on", Msg("合同结束日期必须晚于开始日期")))
    return found


# ─────────────────────────────── bid ───────────────────────────────


def check_bid(
    draft: BidDraft,
    tender: TenderTerms,
    organizations: Mapping[int, OrgFacts],
    other_bids: Sequence[OtherBid] = (),
    *,
    submitting: bool = False,
) -> Checked:
    """Every rule V1–V7 and V9 over a bid; ``submitting`` adds what only a submission needs (the
    joint agreement). Unknown organization ids are violations too."""
    checked = Checked()
    found = checked.violations
    mode = draft.mode
    if mode not in tuple(BidMode):
        found.append(("mode", Msg("投标方式只能是 single、consortium 或 prime_with_subs")))
        return checked
    found.extend(_known_organizations(draft, organizations))
    if mode == BidMode.CONSORTIUM:
        found.extend(_check_consortium_allowed(tender))  # V3
        shares, problems = _member_shares(draft.members)  # V1
        found.extend(problems)
        checked.member_shares = shares
        found.extend(_check_composition(draft, tender, submitting=submitting))  # V2
    else:
        found.extend(_check_sole_bidder(draft))
        checked.member_shares = (WHOLE,) * len(draft.members)
    sub_shares, problems = _check_subcontracts(draft, tender)  # V6
    found.extend(problems)
    checked.subcontract_shares = sub_shares
    found.extend(_check_subcontract_graph(draft))  # V7
    found.extend(_check_double_participation(draft, other_bids))  # V4
    violations, warnings = _check_eligibility(draft, tender, organizations)  # V5
    found.extend(violations)
    checked.warnings.extend(warnings)
    price, problems = _check_price(draft, tender)  # V9
    found.extend(problems)
    checked.price = price
    return checked


def _known_organizations(draft: BidDraft, organizations: Mapping[int, OrgFacts]) -> list[Violation]:
    found: list[Violation] = []
    for prefix, lines in (("members", draft.members), ("subcontractors", draft.subcontractors)):
        for index, line in enumerate(lines):
            if line.organization_id is None:
                found.append((f"{prefix}[{index}].organization_id", Msg("请选择社会组织")))
            elif line.organization_id not in organizations:
                found.append(
                    (
                        f"{prefix}[{index}].organization_id",
                        Msg("找不到社会组织 #%(id)s", id=line.organization_id),
                    )
                )
    return found


def _check_consortium_allowed(tender: TenderTerms) -> list[Violation]:
    if tender.allows_consortium is True:
        return []
    return [("mode", Msg("本次采购不接受联合体投标"))]


def _member_shares(members: Sequence[MemberLine]) -> tuple[tuple[int, ...], list[Violation]]:
    found: list[Violation] = []
    shares: list[int] = []
    for index, member in enumerate(members):
        parsed = parse_share(member.share)
        if isinstance(parsed, Msg):
            found.append((f"members[{index}].share", parsed))
            shares.append(0)
        elif parsed <= 0:
            found.append((f"members[{index}].share", Msg("每个成员的份额必须大于 0")))
            shares.append(0)
        else:
            shares.append(parsed)
    if not found and members and sum(shares) != WHOLE:
        found.append(
            (
                "members",
                Msg(
                    "联合体各成员份额之和须恰好为 100%%（现为 %(total)s%%）",
                    total=format_share(sum(shares)),
                ),
            )
        )
    return tuple(shares), found


def _check_composition(draft: BidDraft, tender: TenderTerms, *, submitting: bool) -> list[Violation]:
    found: list[Violation] = []
    members = draft.members
    ids = [member.organization_id for member in members if member.organization_id is not None]
    if len(set(ids)) < 2:
        found.append(("members", Msg("联合体至少需要两个不同的社会组织")))
    seen: set[int] = set()
    for index, member in enumerate(members):
        if member.organization_id is not None and member.organization_id in seen:
            found.append((f"members[{index}].organization_id", Msg("同一社会组织在联合体中重复出现")))
        if member.organization_id is not None:
            seen.add(member.organization_id)
        if member.role not in ("lead", "member"):
            found.append((f"members[{index}].role", Msg("成员角色只能是 lead（牵头方）或 member（成员）")))
        scope = (member.scope or "").strip()
        if not scope:
            found.append((f"members[{index}].scope", Msg("请写明该成员承担的工作内容（联合协议分工）")))
        elif len(scope) > SCOPE_MAX:
            found.append((f"members[{index}].scope", Msg("工作内容不能超过 %(n)d 个字", n=SCOPE_MAX)))
    leads = [index for index, member in enumerate(members) if member.role == "lead"]
    if not leads:
        found.append(("members", Msg("联合体须指定一个牵头方")))
    for index in leads[1:]:
        found.append((f"members[{index}].role", Msg("联合体只能有一个牵头方")))
    limit = tender.max_members
    if limit is not None and len(members) > limit:
        found.append(("members", Msg("本次采购的联合体最多 %(n)d 个成员", n=limit)))
    elif len(members) > MAX_MEMBERS_LIMIT:
        found.append(("members", Msg("联合体最多 %(n)d 个成员", n=MAX_MEMBERS_LIMIT)))
    if submitting and not draft.has_joint_agreement:
        found.append(("documents.joint_agreement", Msg("联合体投标须上传各方签署的联合体协议")))
    return found


def _check_sole_bidder(draft: BidDraft) -> list[Violation]:
    """Single and prime-with-subs bids have exactly one bidder, the lead, holding the whole contract."""
    found: list[Violation] = []
    if not draft.members:
        return [("members", Msg("请填写投标人"))]
    for index in range(1, len(draft.members)):
        found.append((f"members[{index}]", Msg("单独投标只能有一个投标人；多个组织共同投标请选择联合体方式")))
    lead = draft.members[0]
    if lead.role != "lead":
        found.append(("members[0].role", Msg("投标人须为牵头方（lead）")))
    if lead.share is not None and lead.share != "":
        parsed = parse_share(lead.share)
        if isinstance(parsed, Msg):
            found.append(("members[0].share", parsed))
        elif parsed != WHOLE:
            found.append(("members[0].share", Msg("单独投标的份额为 100%")))
    return found


def _check_subcontracts(draft: BidDraft, tender: TenderTerms) -> tuple[tuple[int, ...], list[Violation]]:
    found: list[Violation] = []
    lines = draft.subcontractors
    if draft.mode != BidMode.PRIME_WITH_SUBS:
        if lines:
            found.append(("subcontractors", Msg("只有总包分包方式可以列分包；请改选“总包分包”")))
        return (), found
    if not tender.allows_subcontracting:
        found.append(("subcontractors", Msg("本次采购不允许分包")))
        return (), found
    if not lines:
        found.append(("subcontractors", Msg("总包分包方式须至少列出一个分包")))
        return (), found
    if len(lines) > MAX_SUBCONTRACTORS:
        found.append(("subcontractors", Msg("分包最多 %(n)d 项", n=MAX_SUBCONTRACTORS)))
    shares: list[int] = []
    for index, line in enumerate(lines):
        path = f"subcontractors[{index}]"
        parsed = parse_share(line.share)
        if isinstance(parsed, Msg):
            found.append((f"{path}.share", parsed))
            shares.append(0)
        elif parsed <= 0:
            found.append((f"{path}.share", Msg("分包份额必须大于 0")))
            shares.append(0)
        elif parsed >= WHOLE:
            found.append((f"{path}.share", Msg("分包份额须小于 100%：全部转给他人即为转包，法律禁止")))
            shares.append(0)
        else:
            shares.append(parsed)
        if line.is_core_work is not False:
            found.append(
                (
                    f"{path}.is_core_work",
                    Msg("只能分包非主体、非关键性工作（招标投标法第三十条）；请确认该分包不是核心工作"),
                )
            )
        scope = (line.scope or "").strip()
        if not scope:
            found.append((f"{path}.scope", Msg("请写明分包的工作内容")))
        elif len(scope) > SCOPE_MAX:
            found.append((f"{path}.scope", Msg("工作内容不能超过 %(n)d 个字", n=SCOPE_MAX)))
    total = sum(shares)
    cap = tender.max_subcontract_share if tender.max_subcontract_share is not None else WHOLE - 1
    if all(share > 0 for share in shares) and total > cap:
        found.append(
            (
                "subcontractors",
                Msg(
                    "分包份额合计 %(total)s%% 超过本次采购允许的上限 %(cap)s%%",
                    total=format_share(total),
                    cap=format_share(cap),
                ),
            )
        )
    return tuple(shares), found


def _check_subcontract_graph(draft: BidDraft) -> list[Violation]:
    found: list[Violation] = []
    bidders = {member.organization_id for member in draft.members if member.organization_id is not None}
    subcontractors = [line.organization_id for line in draft.subcontractors]
    seen: set[int] = set()
    for index, line in enumerate(draft.subcontractors):
        path = f"subcontractors[{index}]"
        if line.organization_id in bidders:
            found.append((f"{path}.organization_id", Msg("分包单位不能同时是本投标的投标人或联合体成员")))
        elif line.organization_id is not None and line.organization_id in seen:
            found.append((f"{path}.organization_id", Msg("同一分包单位重复出现；请合并为一项")))
        if line.organization_id is not None:
            seen.add(line.organization_id)
        main = line.main_contractor_id
        if main is not None and main not in bidders:
            if main in subcontractors:
                found.append(
                    (f"{path}.main_contractor_id", Msg("分包单位不得再次分包（招标投标法第四十八条）"))
                )
            else:
                found.append((f"{path}.main_contractor_id", Msg("总包方须是本投标的投标人")))
    return found


def _check_double_participation(draft: BidDraft, other_bids: Sequence[OtherBid]) -> list[Violation]:
    """实施条例 第22条: no organization in two live bids on one tender, whether alone, as a member or
    as one bid's bidder and another's subcontractor."""
    found: list[Violation] = []
    for prefix, lines in (("members", draft.members), ("subcontractors", draft.subcontractors)):
        for index, line in enumerate(lines):
            org = line.organization_id
            if org is None:
                continue
            for other in other_bids:
                if org in other.bidder_ids:
                    reason = (
                        Msg(
                            "该组织已在本次采购的另一份投标（#%(bid)d）中作为投标人或联合体成员",
                            bid=other.bid_id,
                        )
                        if prefix == "members"
                        else Msg(
                            "该组织已参与本次采购的另一份投标（#%(bid)d），不能再作为分包单位（需复核）",
                            bid=other.bid_id,
                        )
                    )
                    found.append((f"{prefix}[{index}].organization_id", reason))
                    break
                if org in other.subcontractor_ids and prefix == "members":
                    found.append(
                        (
                            f"{prefix}[{index}].organization_id",
                            Msg(
                                "该组织已是本次采购另一份投标（#%(bid)d）的分包单位，不能同时投标（需复核）",
                                bid=other.bid_id,
                            ),
                        )
                    )
                    break
    return found


def _check_eligibility(
    draft: BidDraft, tender: TenderTerms, organizations: Mapping[int, OrgFacts]
) -> tuple[list[Violation], list[Violation]]:
    found: list[Violation] = []
    warnings: list[Violation] = []
    # Grades run to a Wenzhou calendar day; the deadline is stored in UTC.
    deadline_day = to_local(tender.submission_deadline).date()
    rule = tender.grade_rule
    minimum = grade_rank(tender.min_grade)
    for prefix, lines in (("members", draft.members), ("subcontractors", draft.subcontractors)):
        for index, line in enumerate(lines):
            org = organizations.get(line.organization_id) if line.organization_id is not None else None
            if org is None:
                continue
            path = f"{prefix}[{index}].organization_id"
            if not org.verified:
                found.append((path, Msg("「%(name)s」尚未通过团区委认证，不能参与投标", name=org.name)))
            if org.is_league_body:
                found.append((path, Msg("团区委所属机构是撮合方，不能参与投标")))
            if prefix != "members" or not minimum:
                continue
            gated = rule == GradeRule.MIN_OF_MEMBERS or (rule == GradeRule.LEAD_ONLY and line.role == "lead")
            grade = effective_grade(org, deadline_day)
            if org.grade and grade is None:
                reason = Msg(
                    "「%(name)s」的等级 %(grade)s 于 %(until)s 到期，早于投标截止日",
                    name=org.name,
                    grade=grade_label(org.grade),
                    until=org.grade_valid_until.isoformat() if org.grade_valid_until else "—",
                )
                (found if gated else warnings).append((path, reason))
            elif grade_rank(grade) < minimum:
                reason = Msg(
                    "「%(name)s」的等级（%(grade)s）低于本次采购要求的 %(min)s",
                    name=org.name,
                    grade=grade_label(grade),
                    min=grade_label(tender.min_grade),
                )
                (found if gated else warnings).append((path, reason))
    return found, warnings


def effective_grade(org: OrgFacts, on: date) -> str | None:
    """The organization's grade if it is still valid on ``on`` (grades are valid five years)."""
    if not org.grade or org.grade_valid_until is None or org.grade_valid_until < on:
        return None
    return org.grade


def consortium_grade(members: Iterable[OrgFacts], on: date) -> str | None:
    """A consortium counts at its lowest member's grade (no grade if any member has none)."""
    grades = [effective_grade(member, on) for member in members]
    if not grades or any(grade is None for grade in grades):
        return None
    return min(grades, key=grade_rank)


def has_priority(grade: str | None) -> bool:
    """3A and above get policy priority."""
    return grade_rank(grade) >= GRADE_PRIORITY_RANK


def _check_price(draft: BidDraft, tender: TenderTerms) -> tuple[int | None, list[Violation]]:
    found: list[Violation] = []
    if draft.currency not in (None, CURRENCY):
        found.append(("currency", Msg("投标报价须以人民币（CNY）计")))
    price = draft.price
    if price is None or price == "":
        found.append(("price", Msg("请填写投标报价")))
    elif isinstance(price, bool) or not isinstance(price, int):
        found.append(("price", Msg("投标报价须是以分为单位的整数")))
    elif price <= 0:
        found.append(("price", Msg("投标报价必须大于 0")))
    elif price > PRICE_MAX:
        found.append(("price", Msg("投标报价过大，请核对")))
    elif tender.budget_is_cap and tender.budget is not None and price > tender.budget:
        found.append(("price", Msg("投标报价不能超过采购预算 %(budget)s", budget=format_fen(tender.budget))))
    if found:
        return None, found
    assert isinstance(price, int)
    return price, []


def check_timing(now: datetime, deadline: datetime, verb: Msg) -> list[Violation]:
    """Submit and withdraw only before the deadline, to the second (server time): at 10:00:00 the
    door is shut for a 10:00:00 deadline."""
    if now >= deadline:
        return [("submission_deadline", Msg("投标已于截止时间截止，不能%(verb)s", verb=verb))]
    return []


def shared_representatives(
    bids: Mapping[int, Sequence[OrgFacts]],
) -> list[tuple[int, int, str]]:
    """Pairs of competing bids whose bidders share a legal representative (实施条例 第18条: flag
    for review, not refuse): (bid id, other bid id, the name)."""
    names: dict[str, set[int]] = {}
    for bid_id, orgs in bids.items():
        for org in orgs:
            name = (org.legal_representative or "").strip()
            if name:
                names.setdefault(name, set()).add(bid_id)
    pairs: list[tuple[int, int, str]] = []
    for name, bid_ids in sorted(names.items()):
        ordered = sorted(bid_ids)
        pairs.extend((a, b, name) for i, a in enumerate(ordered) for b in ordered[i + 1 :])
    return pairs


# ─────────────────────────────── evaluation ───────────────────────────────


@dataclass(frozen=True)
class Ranked:
    bid_id: int
    score: int  # hundredths of a point, 0–10000
    price: int
    grade: str | None

    @property
    def priority(self) -> bool:
        return has_priority(self.grade)


def parse_score(raw: object) -> int | Msg:
    """An evaluation score 0–100 with at most two decimals, as hundredths of a point."""
    if raw is None or raw == "":
        return Msg("请填写评分")
    parsed = parse_share(raw)
    if isinstance(parsed, Msg):
        return Msg("评分须是 0 到 100 之间的数，最多两位小数")
    return parsed


def rank(bids: Iterable[Ranked]) -> list[Ranked]:
    """Valid bids best first: higher score, then lower price, then 3A+ policy priority, then the
    earlier bid. Priority breaks ties only: it never outranks a better score (实施条例 第20条)."""
    return sorted(bids, key=lambda bid: (-bid.score, bid.price, not bid.priority, bid.bid_id))


def subcontract_can_activate(*, bid_awarded: bool, buyer_consented: bool) -> Msg | None:
    """V7: a subcontract becomes active only under an awarded bid and with the buyer's consent
    (政府采购法 第48条)."""
    if not bid_awarded:
        return Msg("只有中标投标的分包才能生效")
    if not buyer_consented:
        return Msg("分包须经采购人同意后才能生效，请先登记采购人的同意")
    return None


def price_label(price: int) -> str:
    return format_fen(price)
