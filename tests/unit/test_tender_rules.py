"""The pure bid and tender rules (marketplace/tenders/rules.py), tested as tables.

Every bad input that TENDERS_AND_AGREEMENTS.md lists under "must reject" is one case below, named
"V<n>-<bad input>", and asserts the exact field path the bid builder shows the reason next to, plus a
fragment of that reason. The good drafts the bad ones are made from are checked clean first.

Rule → test functions (pytest cases; a parametrized function counts once per row):

V1 shares (14)               test_v1_consortium_shares_refused 14
V2 composition (12)          test_v2_consortium_composition_refused 11,
                             test_v2_joint_agreement_is_needed_only_to_submit 1
V3 consortium allowed (9)    test_v3_consortium_refused_where_not_allowed 2,
                             test_v3_publishing_needs_an_explicit_consortium_flag 5,
                             test_v3_tender_with_explicit_flags_publishes 2
V4 double participation (8)  test_v4_double_participation_refused 7,
                             test_v4_unrelated_other_bids_do_not_block 1
V5 eligibility (30)          test_v5_eligibility_refused 13 (one: a deadline early in the Wenzhou morning),
                             test_v5_priority_only_never_refuses_but_warns 1,
                             test_v5_min_of_members_refuses_each_member_below_the_minimum 1,
                             test_v5_lead_only_refuses_only_the_lead 2,
                             test_v5_grade_valid_on_the_deadline_day_counts 1,
                             test_v5_a_grade_gate_needs_a_recorded_basis 1,
                             test_consortium_grade_is_the_lowest_members 5, test_has_priority_from_3a 6
V6 subcontract cap (13)      test_v6_subcontracts_refused 13
V7 subcontract graph (8)     test_v7_subcontract_graph_refused 5, test_v7_subcontract_activation 3
V8 state and timing (27)     test_v8_timing_refused 4, test_v8_timing_to_the_second 3,
                             test_v8_bidder_state_moves_refused 6, test_v8_bidder_cannot_reach 4,
                             test_v8_only_an_open_tender_accepts_bids 6,
                             test_v8_changing_a_submitted_bid_is_never_silent 1,
                             test_v8_publishing_needs_a_future_deadline_to_the_second 3
                             (the full bid and tender tables: test_tender_states.py)
V9 bid value (14)            test_v9_bid_value_refused 10, test_v9_bid_value_accepted 4
good bids, all at once (8)   test_good_bids_have_no_violations 6, test_good_bids_carry_their_exact_shares 1,
                             test_every_violation_is_returned_at_once 1
shares (46)                  test_share_round_trip_every_basis_point 1 (all 10,000 values),
                             test_share_display_form 6, test_parse_share_accepts 13,
                             test_parse_share_refuses 20, test_parse_score 6
evaluation (9)               test_rank_* 6, test_shared_representatives_* 3
labels (5)                   test_every_label_dict_covers_its_enum 5
total 203

V10 (signature integrity) belongs to the agreements package, not to these rules.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from marketplace.messages import Msg
from marketplace.tenders.rules import (
    BUYER_KIND_LABELS,
    GRADE_RULE_LABELS,
    METHOD_LABELS,
    MODE_LABELS,
    OCDS_METHODS,
    PRICE_MAX,
    BidDraft,
    BidMode,
    BuyerKind,
    GradeRule,
    MemberLine,
    Method,
    OrgFacts,
    OtherBid,
    Ranked,
    SubcontractLine,
    TenderDraft,
    TenderTerms,
    check_bid,
    check_tender,
    check_timing,
    consortium_grade,
    format_share,
    has_priority,
    parse_score,
    parse_share,
    rank,
    shared_representatives,
    subcontract_can_activate,
)
from marketplace.tenders.states import (
    TENDER_ACCEPTS_BIDS,
    Actor,
    BidAction,
    BidStatus,
    TenderStatus,
    next_bid_status,
)

# 10:00 on 10 December in Wenzhou (naive UTC, as the database holds it).
DEADLINE = datetime(2026, 12, 10, 2, 0)
NOW = DEADLINE - timedelta(days=3)
BUDGET = 1_000_000  # ¥10,000
PRICE = 800_000
FAR_FUTURE = date(2030, 1, 1)

TENDER = TenderTerms(
    submission_deadline=DEADLINE,
    budget=BUDGET,
    allows_consortium=True,
    allows_subcontracting=True,
    max_subcontract_share=5000,  # 50 %
)
# A tender that gates on grade 3A for every member, with organizations that all hold a valid 3A.
GATED = replace(TENDER, min_grade="A3", grade_rule=GradeRule.MIN_OF_MEMBERS)
LEAD_GATED = replace(GATED, grade_rule=GradeRule.LEAD_ONLY)
PRIORITY = replace(GATED, grade_rule=GradeRule.PRIORITY_ONLY)

ORGS: dict[int, OrgFacts] = {i: OrgFacts(id=i, name=f"社会组织{i}") for i in range(1, 26)}
GRADED: dict[int, OrgFacts] = {
    i: replace(org, grade="A3", grade_valid_until=FAR_FUTURE) for i, org in ORGS.items()
}


def with_org(orgs: Mapping[int, OrgFacts], org_id: int, **changes: object) -> dict[int, OrgFacts]:
    changed = dict(orgs)
    changed[org_id] = replace(orgs[org_id], **changes)  # type: ignore[arg-type]
    return changed


# ─────────────────────────────── bid builders ───────────────────────────────


def consortium(
    *shares: object,
    ids: Sequence[int] | None = None,
    roles: Sequence[str] | None = None,
    scopes: Sequence[str] | None = None,
    **changes: object,
) -> BidDraft:
    """A consortium led by its first member (organization 1, then 2, 3 …), every member with a scope."""
    ids = ids or range(1, len(shares) + 1)
    roles = roles or ["lead"] + ["member"] * (len(shares) - 1)
    scopes = scopes or [f"第{i}部分服务" for i in range(1, len(shares) + 1)]
    members = tuple(
        MemberLine(organization_id=org, role=role, share=share, scope=scope)
        for org, role, share, scope in zip(ids, roles, shares, scopes, strict=True)
    )
    fields: dict[str, object] = {"price": PRICE, "has_joint_agreement": True, **changes}
    return BidDraft(BidMode.CONSORTIUM, members, **fields)  # type: ignore[arg-type]


def single(org: int = 1, share: object = None, **changes: object) -> BidDraft:
    fields: dict[str, object] = {"price": PRICE, **changes}
    lead = MemberLine(organization_id=org, role="lead", share=share, scope="全部服务内容")
    return BidDraft(BidMode.SINGLE, (lead,), **fields)  # type: ignore[arg-type]


def sub(org: int, share: object, **changes: object) -> SubcontractLine:
    fields: dict[str, object] = {"scope": f"分包工作{org}", "is_core_work": False, **changes}
    return SubcontractLine(organization_id=org, share=share, **fields)  # type: ignore[arg-type]


def prime(*subs: SubcontractLine, lead: int = 1, **changes: object) -> BidDraft:
    fields: dict[str, object] = {"price": PRICE, **changes}
    member = MemberLine(organization_id=lead, role="lead", scope="总包：主体服务")
    return BidDraft(BidMode.PRIME_WITH_SUBS, (member,), subs, **fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Bad:
    """A bid that must be refused: ``path`` is among the violations, its reason containing ``reason``."""

    draft: BidDraft
    path: str
    reason: str
    tender: TenderTerms = TENDER
    orgs: Mapping[int, OrgFacts] | None = None
    others: tuple[OtherBid, ...] = ()
    submitting: bool = True


def case(draft: BidDraft, path: str, reason: str, *, id: str, marks: object = (), **more: object) -> object:
    return pytest.param(Bad(draft, path, reason, **more), id=id, marks=marks)  # type: ignore[arg-type]


def assert_refused(bad: Bad) -> None:
    checked = check_bid(bad.draft, bad.tender, bad.orgs or ORGS, bad.others, submitting=bad.submitting)
    reasons = [reason for path, reason in checked.violations if path == bad.path]
    assert reasons, f"{bad.path} not among {checked.violations}"
    assert all(isinstance(reason, Msg) for reason in reasons)
    assert any(bad.reason in reason for reason in reasons), f"{bad.reason!r} not in {reasons}"
    assert not checked.ok


# ─────────────────────────────── good bids ───────────────────────────────


@pytest.mark.parametrize(
    ("draft", "tender"),
    [
        pytest.param(single(), TENDER, id="single"),
        pytest.param(single(), replace(TENDER, budget=PRICE), id="single-at-budget"),
        pytest.param(consortium("33.33", "33.33", "33.34"), TENDER, id="consortium-33.33/33.33/33.34"),
        pytest.param(consortium("６０", "４０％"), TENDER, id="consortium-full-width-60/40"),
        pytest.param(prime(sub(2, "20"), sub(3, "30")), TENDER, id="prime-20+30-under-50-cap"),
        pytest.param(
            prime(sub(2, "25"), sub(3, "25", main_contractor_id=1)), TENDER, id="prime-25+25-at-50-cap"
        ),
    ],
)
def test_good_bids_have_no_violations(draft: BidDraft, tender: TenderTerms) -> None:
    checked = check_bid(draft, tender, ORGS, submitting=True)
    assert checked.violations == []
    assert checked.ok
    assert checked.price == draft.price


def test_good_bids_carry_their_exact_shares() -> None:
    assert check_bid(consortium("33.33", "33.33", "33.34"), TENDER, ORGS).member_shares == (3333, 3333, 3334)
    assert check_bid(prime(sub(2, "20"), sub(3, "30")), TENDER, ORGS).subcontract_shares == (2000, 3000)
    assert check_bid(single(), TENDER, ORGS).member_shares == (10_000,)


def test_every_violation_is_returned_at_once() -> None:
    """Four independent problems (V1 shares, V2 scope, V5 verification, V9 price): all four reported."""
    draft = consortium("66.667", "33.333", scopes=["", "第二部分服务"], price=0)
    checked = check_bid(draft, TENDER, with_org(ORGS, 2, verified=False), submitting=True)
    assert sorted(path for path, _ in checked.violations) == [
        "members[0].scope",
        "members[0].share",
        "members[1].organization_id",
        "members[1].share",
        "price",
    ]


# ─────────────────────────────── V1 ───────────────────────────────

V1_CASES = [
    case(consortium("60", "30"), "members", "现为 90%", id="V1-60+30"),
    case(consortium("70", "40"), "members", "现为 110%", id="V1-70+40"),
    case(consortium("100", "0"), "members[1].share", "必须大于 0", id="V1-100+0"),
    case(consortium(100, 0), "members[1].share", "必须大于 0", id="V1-100+0-int"),
    case(consortium("110", "-10"), "members[1].share", "必须大于 0", id="V1-negative-string"),
    case(consortium(110, -10), "members[1].share", "必须大于 0", id="V1-negative-int"),
    case(consortium("110", Decimal("-10")), "members[1].share", "必须大于 0", id="V1-negative-Decimal"),
    case(consortium("110", "－10"), "members[1].share", "必须大于 0", id="V1-negative-full-width"),
    case(consortium("33.333", "66.667"), "members[0].share", "两位小数", id="V1-three-decimals"),
    case(
        consortium(Decimal("33.333"), "66.667"),
        "members[0].share",
        "两位小数",
        id="V1-three-decimals-Decimal",
    ),
    case(consortium(60.0, 40.0), "members[0].share", "浮点数", id="V1-float-60.0"),
    case(consortium("33.33", 33.33, "33.34"), "members[1].share", "浮点数", id="V1-float-33.33"),
    case(consortium("60", True), "members[1].share", "百分比", id="V1-bool"),
    case(single(share="60"), "members[0].share", "100%", id="V1-single-bid-60"),
]


@pytest.mark.parametrize("bad", V1_CASES)
def test_v1_consortium_shares_refused(bad: Bad) -> None:
    assert_refused(bad)


# ─────────────────────────────── V2 ───────────────────────────────

TWENTY_ONE_SHARES = ["4.99"] * 20 + ["0.2"]  # 99.8 % + 0.2 %: exact, so only the count is wrong

V2_CASES = [
    case(consortium("100"), "members", "至少需要两个不同", id="V2-one-member"),
    case(
        consortium("60", "40", roles=["lead", "lead"]),
        "members[1].role",
        "只能有一个牵头方",
        id="V2-two-leads",
    ),
    case(consortium("60", "40", roles=["member", "member"]), "members", "须指定一个牵头方", id="V2-no-lead"),
    case(
        consortium("60", "40", ids=[1, 1]), "members[1].organization_id", "重复出现", id="V2-same-org-twice"
    ),
    case(
        consortium("60", "40", ids=[1, 1]), "members", "至少需要两个不同", id="V2-same-org-twice-not-two-orgs"
    ),
    case(
        consortium("40", "30", "30", ids=[1, 2, 1]),
        "members[2].organization_id",
        "重复",
        id="V2-same-org-of-three",
    ),
    case(
        consortium("60", "40", scopes=["第一部分", ""]), "members[1].scope", "工作内容", id="V2-empty-scope"
    ),
    case(
        consortium("60", "40", scopes=["　 ", "第二部分"]),
        "members[0].scope",
        "工作内容",
        id="V2-blank-scope",
    ),
    case(
        consortium("40", "30", "30"),
        "members",
        "最多 2 个成员",
        tender=replace(TENDER, max_members=2),
        id="V2-more-members-than-the-tender-allows",
    ),
    case(consortium(*TWENTY_ONE_SHARES), "members", "最多 20 个成员", id="V2-more-than-20-members"),
    case(
        consortium("60", "40", has_joint_agreement=False),
        "documents.joint_agreement",
        "联合体协议",
        id="V2-submitted-without-joint-agreement",
    ),
]


@pytest.mark.parametrize("bad", V2_CASES)
def test_v2_consortium_composition_refused(bad: Bad) -> None:
    assert_refused(bad)


def test_v2_joint_agreement_is_needed_only_to_submit() -> None:
    draft = consortium("60", "40", has_joint_agreement=False)
    assert check_bid(draft, TENDER, ORGS, submitting=False).ok
    assert not check_bid(draft, TENDER, ORGS, submitting=True).ok


# ─────────────────────────────── V3 ───────────────────────────────

V3_CASES = [
    case(
        consortium("60", "40"),
        "mode",
        "不接受联合体",
        tender=replace(TENDER, allows_consortium=False),
        id="V3-consortium-where-not-allowed",
    ),
    case(
        consortium("60", "40"),
        "mode",
        "不接受联合体",
        tender=replace(TENDER, allows_consortium=None),
        id="V3-consortium-where-flag-unset",
    ),
]


@pytest.mark.parametrize("bad", V3_CASES)
def test_v3_consortium_refused_where_not_allowed(bad: Bad) -> None:
    assert_refused(bad)


def tender_draft(**changes: object) -> TenderDraft:
    fields: dict[str, object] = {
        "title": "社区居家养老服务采购",
        "budget": BUDGET,
        "allows_consortium": False,
        "allows_subcontracting": False,
        "submission_deadline": DEADLINE,
        **changes,
    }
    return TenderDraft(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "flag",
    [
        pytest.param(None, id="V3-publish-flag-unset"),
        pytest.param("false", id="V3-publish-flag-string"),
        pytest.param(0, id="V3-publish-flag-0"),
        pytest.param(1, id="V3-publish-flag-1"),
        pytest.param("", id="V3-publish-flag-blank"),
    ],
)
def test_v3_publishing_needs_an_explicit_consortium_flag(flag: object) -> None:
    found = check_tender(tender_draft(allows_consortium=flag), now=NOW, publishing=True)
    assert "allows_consortium" in [path for path, _ in found]


@pytest.mark.parametrize("flag", [True, False])
def test_v3_tender_with_explicit_flags_publishes(flag: bool) -> None:
    assert check_tender(tender_draft(allows_consortium=flag), now=NOW, publishing=True) == []


# ─────────────────────────────── V4 ───────────────────────────────

# Organization 1 is "A", 2 is "B", 3 is "C"; the other bid is #7.
V4_CASES = [
    case(
        single(1),
        "members[0].organization_id",
        "另一份投标（#7）",
        others=(OtherBid(bid_id=7, lead_id=2, member_ids=frozenset({3, 1})),),
        id="V4-A-alone-while-in-consortium-B+C+A",
    ),
    case(
        consortium("40", "30", "30", ids=[2, 3, 1]),
        "members[2].organization_id",
        "另一份投标（#7）",
        others=(OtherBid(bid_id=7, lead_id=1),),
        id="V4-consortium-B+C+A-while-A-alone",
    ),
    case(
        consortium("50", "50", ids=[1, 2]),
        "members[0].organization_id",
        "另一份投标（#7）",
        others=(OtherBid(bid_id=7, lead_id=4, member_ids=frozenset({1, 5})),),
        id="V4-A-in-two-consortia",
    ),
    case(
        consortium("50", "50", ids=[2, 1]),
        "members[1].organization_id",
        "另一份投标（#7）",
        others=(OtherBid(bid_id=7, lead_id=1, member_ids=frozenset({5})),),
        id="V4-A-member-here-and-lead-of-another-consortium",
    ),
    case(
        single(1),
        "members[0].organization_id",
        "需复核",
        others=(OtherBid(bid_id=7, lead_id=4, subcontractor_ids=frozenset({1})),),
        id="V4-bidder-is-another-bids-subcontractor",
    ),
    case(
        prime(sub(2, "20")),
        "subcontractors[0].organization_id",
        "需复核",
        others=(OtherBid(bid_id=7, lead_id=2),),
        id="V4-subcontractor-is-another-bids-bidder",
    ),
    case(
        prime(sub(2, "20")),
        "subcontractors[0].organization_id",
        "需复核",
        others=(OtherBid(bid_id=7, lead_id=4, member_ids=frozenset({2})),),
        id="V4-subcontractor-is-another-bids-consortium-member",
    ),
]


@pytest.mark.parametrize("bad", V4_CASES)
def test_v4_double_participation_refused(bad: Bad) -> None:
    assert_refused(bad)


def test_v4_unrelated_other_bids_do_not_block() -> None:
    others = (OtherBid(bid_id=7, lead_id=4, member_ids=frozenset({5}), subcontractor_ids=frozenset({6})),)
    for draft in (single(1), consortium("50", "50"), prime(sub(2, "20"))):
        assert check_bid(draft, TENDER, ORGS, others).violations == []


# ─────────────────────────────── V5 ───────────────────────────────


V5_CASES = [
    case(
        consortium("50", "50"),
        "members[1].organization_id",
        "尚未通过团区委认证",
        orgs=with_org(ORGS, 2, verified=False),
        id="V5-unverified-member",
    ),
    case(
        single(1),
        "members[0].organization_id",
        "尚未通过团区委认证",
        orgs=with_org(ORGS, 1, verified=False),
        id="V5-unverified-single-bidder",
    ),
    case(
        prime(sub(2, "20")),
        "subcontractors[0].organization_id",
        "尚未通过团区委认证",
        orgs=with_org(ORGS, 2, verified=False),
        id="V5-unverified-subcontractor",
    ),
    case(single(99), "members[0].organization_id", "找不到社会组织 #99", id="V5-unknown-organization"),
    case(
        BidDraft(BidMode.SINGLE, (MemberLine(None, "lead", None, "全部"),), price=PRICE),
        "members[0].organization_id",
        "请选择社会组织",
        id="V5-no-organization",
    ),
    case(
        consortium("50", "50"),
        "members[1].organization_id",
        "（2A）低于本次采购要求的 3A",
        tender=GATED,
        orgs=with_org(GRADED, 2, grade="A2"),
        id="V5-grade-below-minimum-min_of_members",
    ),
    case(
        consortium("50", "50"),
        "members[1].organization_id",
        "（—）低于本次采购要求的 3A",
        tender=GATED,
        orgs=with_org(GRADED, 2, grade=None, grade_valid_until=None),
        id="V5-no-grade-min_of_members",
    ),
    case(
        consortium("50", "50"),
        "members[1].organization_id",
        "于 2026-12-09 到期，早于投标截止日",
        tender=GATED,
        orgs=with_org(GRADED, 2, grade="A5", grade_valid_until=DEADLINE.date() - timedelta(days=1)),
        id="V5-grade-expires-day-before-deadline-min_of_members",
    ),
    case(
        consortium("50", "50"),
        "members[0].organization_id",
        "到期，早于投标截止日",
        tender=LEAD_GATED,
        orgs=with_org(GRADED, 1, grade="A5", grade_valid_until=DEADLINE.date() - timedelta(days=1)),
        id="V5-lead-grade-expires-before-deadline-lead_only",
    ),
    case(
        consortium("50", "50"),
        "members[1].organization_id",
        "到期，早于投标截止日",
        tender=replace(GATED, submission_deadline=datetime(2026, 12, 10, 17, 0)),  # 11 Dec 01:00 Wenzhou
        orgs=with_org(GRADED, 2, grade="A5", grade_valid_until=date(2026, 12, 10)),
        id="V5-grade-expires-before-local-deadline-day",
    ),
    case(
        single(1),
        "members[0].organization_id",
        "撮合方",
        orgs=with_org(ORGS, 1, is_league_body=True),
        id="V5-league-body-as-bidder",
    ),
    case(
        consortium("50", "50"),
        "members[1].organization_id",
        "撮合方",
        orgs=with_org(ORGS, 2, is_league_body=True),
        id="V5-league-body-as-consortium-member",
    ),
    case(
        prime(sub(2, "20")),
        "subcontractors[0].organization_id",
        "撮合方",
        orgs=with_org(ORGS, 2, is_league_body=True),
        id="V5-league-body-as-subcontractor",
    ),
]


@pytest.mark.parametrize("bad", V5_CASES)
def test_v5_eligibility_refused(bad: Bad) -> None:
    assert_refused(bad)


def test_v5_priority_only_never_refuses_but_warns() -> None:
    orgs = with_org(GRADED, 2, grade="A1")
    orgs = with_org(orgs, 3, grade="A5", grade_valid_until=DEADLINE.date() - timedelta(days=1))
    orgs = with_org(orgs, 1, grade=None, grade_valid_until=None)
    checked = check_bid(consortium("40", "30", "30"), PRIORITY, orgs, submitting=True)
    assert checked.violations == []
    warned = [path for path, _ in checked.warnings]
    assert warned == [
        "members[0].organization_id",
        "members[1].organization_id",
        "members[2].organization_id",
    ]
    assert all(isinstance(reason, Msg) for _, reason in checked.warnings)


def test_v5_min_of_members_refuses_each_member_below_the_minimum() -> None:
    orgs = with_org(GRADED, 2, grade="A2")
    orgs = with_org(orgs, 3, grade="A1")
    orgs = with_org(orgs, 4, grade="A5")
    checked = check_bid(consortium("25", "25", "25", "25"), GATED, orgs)
    assert [path for path, _ in checked.violations] == [
        "members[1].organization_id",
        "members[2].organization_id",
    ]
    assert checked.warnings == []


@pytest.mark.parametrize(
    ("lead_grade", "refused"),
    [
        pytest.param("A2", ["members[0].organization_id"], id="lead-below"),
        pytest.param("A3", [], id="lead-at-min"),
    ],
)
def test_v5_lead_only_refuses_only_the_lead(lead_grade: str, refused: list[str]) -> None:
    orgs = with_org(GRADED, 1, grade=lead_grade)
    orgs = with_org(orgs, 2, grade="A1")
    checked = check_bid(consortium("50", "50"), LEAD_GATED, orgs)
    assert [path for path, _ in checked.violations] == refused
    # The member below the minimum is only flagged for staff.
    assert [path for path, _ in checked.warnings] == ["members[1].organization_id"]


def test_v5_grade_valid_on_the_deadline_day_counts() -> None:
    orgs = with_org(GRADED, 2, grade="A3", grade_valid_until=DEADLINE.date())
    assert check_bid(consortium("50", "50"), GATED, orgs).violations == []


def test_v5_a_grade_gate_needs_a_recorded_basis() -> None:
    gate = tender_draft(min_grade="A3", grade_rule=GradeRule.MIN_OF_MEMBERS)
    assert [path for path, _ in check_tender(gate, now=NOW, publishing=True)] == ["grade_rule_basis"]
    recorded = replace(gate, grade_rule_basis="区民政局采购文件第 3.2 条")
    assert check_tender(recorded, now=NOW, publishing=True) == []


ON = DEADLINE.date()


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        pytest.param(
            [("A5", FAR_FUTURE), ("A3", FAR_FUTURE), ("A4", FAR_FUTURE)], "A3", id="lowest-of-three"
        ),
        pytest.param([("A2", FAR_FUTURE), ("A2", FAR_FUTURE)], "A2", id="equal"),
        pytest.param([("A5", FAR_FUTURE), (None, None)], None, id="a-member-without-grade"),
        pytest.param([("A5", FAR_FUTURE), ("A4", ON - timedelta(days=1))], None, id="a-member-grade-expired"),
        pytest.param([], None, id="no-members"),
    ],
)
def test_consortium_grade_is_the_lowest_members(
    grades: list[tuple[str | None, date | None]], expected: str | None
) -> None:
    members = [
        OrgFacts(id=i, name=f"社会组织{i}", grade=g, grade_valid_until=u) for i, (g, u) in enumerate(grades)
    ]
    assert consortium_grade(members, ON) == expected


@pytest.mark.parametrize(
    ("grade", "priority"),
    [("A1", False), ("A2", False), ("A3", True), ("A4", True), ("A5", True), (None, False)],
)
def test_has_priority_from_3a(grade: str | None, priority: bool) -> None:
    assert has_priority(grade) is priority


# ─────────────────────────────── V6 ───────────────────────────────

V6_CASES = [
    case(
        prime(sub(2, "20")),
        "subcontractors",
        "不允许分包",
        tender=replace(TENDER, allows_subcontracting=False, max_subcontract_share=None),
        id="V6-subcontracting-where-not-allowed",
    ),
    case(
        single(1, subcontractors=(sub(2, "20"),)),
        "subcontractors",
        "总包分包",
        id="V6-subcontract-on-single-bid",
    ),
    case(
        consortium("50", "50", subcontractors=(sub(3, "20"),)),
        "subcontractors",
        "总包分包",
        id="V6-subcontract-on-consortium-bid",
    ),
    case(prime(), "subcontractors", "至少列出一个分包", id="V6-prime-without-subcontract"),
    case(
        prime(sub(2, "30"), sub(3, "30")),
        "subcontractors",
        "合计 60% 超过本次采购允许的上限 50%",
        id="V6-30+30-cap-50",
    ),
    case(
        prime(sub(2, "50"), sub(3, "50")),
        "subcontractors",
        "合计 100%",
        tender=replace(TENDER, max_subcontract_share=None),
        id="V6-50+50-whole-contract-no-cap",
    ),
    case(
        prime(sub(2, "100")),
        "subcontractors[0].share",
        "转包",
        tender=replace(TENDER, max_subcontract_share=None),
        id="V6-100%-转包",
    ),
    case(prime(sub(2, "0")), "subcontractors[0].share", "必须大于 0", id="V6-0%"),
    case(prime(sub(2, "-10")), "subcontractors[0].share", "必须大于 0", id="V6-negative"),
    case(prime(sub(2, 20.0)), "subcontractors[0].share", "浮点数", id="V6-float"),
    case(
        prime(sub(2, "20", is_core_work=True)), "subcontractors[0].is_core_work", "非主体", id="V6-core-work"
    ),
    case(
        prime(sub(2, "20", is_core_work=None)),
        "subcontractors[0].is_core_work",
        "非主体",
        id="V6-core-work-undeclared",
    ),
    case(prime(sub(2, "20", scope=" ")), "subcontractors[0].scope", "工作内容", id="V6-empty-scope"),
]


@pytest.mark.parametrize("bad", V6_CASES)
def test_v6_subcontracts_refused(bad: Bad) -> None:
    assert_refused(bad)


# ─────────────────────────────── V7 ───────────────────────────────

V7_CASES = [
    case(
        prime(sub(1, "20")),
        "subcontractors[0].organization_id",
        "投标人",
        id="V7-subcontractor-is-the-bidder",
    ),
    case(
        consortium("50", "50", subcontractors=(sub(2, "20"),)),
        "subcontractors[0].organization_id",
        "联合体成员",
        id="V7-subcontractor-is-a-consortium-member",
    ),
    case(
        prime(sub(2, "20"), sub(3, "10", main_contractor_id=2)),
        "subcontractors[1].main_contractor_id",
        "不得再次分包",
        id="V7-sub-subcontract",
    ),
    case(
        prime(sub(2, "20", main_contractor_id=9)),
        "subcontractors[0].main_contractor_id",
        "总包方须是本投标的投标人",
        id="V7-main-contractor-outside-the-bid",
    ),
    case(
        prime(sub(2, "20"), sub(2, "10")),
        "subcontractors[1].organization_id",
        "重复",
        id="V7-same-subcontractor-twice",
    ),
]


@pytest.mark.parametrize("bad", V7_CASES)
def test_v7_subcontract_graph_refused(bad: Bad) -> None:
    assert_refused(bad)


@pytest.mark.parametrize(
    ("awarded", "consented", "reason"),
    [
        pytest.param(True, False, "采购人同意", id="V7-activate-without-buyer-consent"),
        pytest.param(False, True, "中标", id="V7-activate-under-a-bid-not-awarded"),
        pytest.param(True, True, None, id="awarded-and-consented"),
    ],
)
def test_v7_subcontract_activation(awarded: bool, consented: bool, reason: str | None) -> None:
    refusal = subcontract_can_activate(bid_awarded=awarded, buyer_consented=consented)
    if reason is None:
        assert refusal is None
    else:
        assert isinstance(refusal, Msg)
        assert reason in refusal


# ─────────────────────────────── V8 ───────────────────────────────


@pytest.mark.parametrize(
    ("now", "verb"),
    [
        pytest.param(DEADLINE + timedelta(seconds=1), "提交", id="V8-submit-1s-after-deadline"),
        pytest.param(DEADLINE, "提交", id="V8-submit-at-the-deadline-second"),
        pytest.param(DEADLINE + timedelta(seconds=1), "撤回", id="V8-withdraw-after-deadline"),
        pytest.param(DEADLINE + timedelta(days=2), "撤回", id="V8-withdraw-days-after-deadline"),
    ],
)
def test_v8_timing_refused(now: datetime, verb: str) -> None:
    found = check_timing(now, DEADLINE, Msg(verb))
    assert [path for path, _ in found] == ["submission_deadline"]
    assert f"不能{verb}" in found[0][1]


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        pytest.param(DEADLINE - timedelta(seconds=1), True, id="deadline-minus-1s-accepted"),
        pytest.param(DEADLINE, False, id="deadline-exactly-refused"),
        pytest.param(DEADLINE - timedelta(days=1), True, id="a-day-before-accepted"),
    ],
)
def test_v8_timing_to_the_second(now: datetime, open_: bool) -> None:
    assert (check_timing(now, DEADLINE, Msg("提交")) == []) is open_


@pytest.mark.parametrize(
    ("status", "action"),
    [
        pytest.param(BidStatus.SUBMITTED, BidAction.QUALIFY, id="V8-bidder-sets-valid"),
        pytest.param(BidStatus.SUBMITTED, BidAction.DISQUALIFY, id="V8-bidder-sets-disqualified"),
        pytest.param(BidStatus.VALID, BidAction.AWARD, id="V8-bidder-sets-awarded"),
        pytest.param(BidStatus.UNSUCCESSFUL, BidAction.AWARD, id="V8-bidder-sets-awarded-after-losing"),
        pytest.param(BidStatus.CANCELLED, BidAction.SUBMIT, id="V8-submitting-a-cancelled-bid"),
        pytest.param(BidStatus.SUBMITTED, BidAction.SUBMIT, id="V8-resubmitting-silently"),
    ],
)
def test_v8_bidder_state_moves_refused(status: BidStatus, action: BidAction) -> None:
    assert next_bid_status(status, action, Actor.BIDDER) is None


def bidder_reachable(start: BidStatus) -> set[BidStatus]:
    """Every status a bidder can bring a bid to from ``start`` on their own."""
    seen = {start}
    todo = [start]
    while todo:
        status = todo.pop()
        for action in BidAction:
            target = next_bid_status(status, action, Actor.BIDDER)
            if target is not None and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.mark.parametrize(
    ("starts", "forbidden"),
    [
        # Every bid is created as a draft: nothing a bidder does from there makes it valid.
        pytest.param([BidStatus.DRAFT], BidStatus.VALID, id="V8-create-as-valid"),
        pytest.param(list(BidStatus), BidStatus.VALID, id="V8-bidder-reaches-valid"),
        pytest.param(list(BidStatus), BidStatus.DISQUALIFIED, id="V8-bidder-reaches-disqualified"),
        pytest.param(
            [s for s in BidStatus if s != BidStatus.AWARDED],
            BidStatus.AWARDED,
            id="V8-bidder-reaches-awarded",
        ),
    ],
)
def test_v8_bidder_cannot_reach(starts: list[BidStatus], forbidden: BidStatus) -> None:
    for start in starts:
        if start != forbidden:
            assert forbidden not in bidder_reachable(start), start


@pytest.mark.parametrize(
    "tender_status",
    [pytest.param(status, id=f"V8-submit-on-{status}-tender") for status in TenderStatus],
)
def test_v8_only_an_open_tender_accepts_bids(tender_status: TenderStatus) -> None:
    assert (tender_status in TENDER_ACCEPTS_BIDS) is (tender_status == TenderStatus.OPEN)


def test_v8_changing_a_submitted_bid_is_never_silent() -> None:
    """V8-change-members-after-submission-silently: the edit makes the bid invalid (the system's move)
    and only the bidder's new submission, after every party re-confirmed, makes it submitted again."""
    assert next_bid_status(BidStatus.SUBMITTED, BidAction.INVALIDATE, Actor.SYSTEM) == BidStatus.INVALID
    assert next_bid_status(BidStatus.SUBMITTED, BidAction.SUBMIT, Actor.BIDDER) is None
    assert next_bid_status(BidStatus.INVALID, BidAction.QUALIFY, Actor.STAFF) is None
    assert next_bid_status(BidStatus.INVALID, BidAction.SUBMIT, Actor.BIDDER) == BidStatus.SUBMITTED


@pytest.mark.parametrize(
    ("now", "refused"),
    [
        pytest.param(DEADLINE, True, id="V8-publish-with-deadline-now"),
        pytest.param(DEADLINE + timedelta(seconds=1), True, id="V8-publish-with-deadline-past"),
        pytest.param(DEADLINE - timedelta(seconds=1), False, id="publish-1s-before-deadline"),
    ],
)
def test_v8_publishing_needs_a_future_deadline_to_the_second(now: datetime, refused: bool) -> None:
    found = check_tender(tender_draft(), now=now, publishing=True)
    assert ("submission_deadline" in [path for path, _ in found]) is refused


# ─────────────────────────────── V9 ───────────────────────────────

V9_CASES = [
    case(single(price=None), "price", "请填写投标报价", id="V9-missing"),
    case(single(price=""), "price", "请填写投标报价", id="V9-missing-blank"),
    case(single(price=0), "price", "必须大于 0", id="V9-zero"),
    case(single(price=-100), "price", "必须大于 0", id="V9-negative"),
    case(single(currency="USD"), "currency", "人民币", id="V9-another-currency"),
    case(single(price=BUDGET + 1), "price", "不能超过采购预算 ¥10,000", id="V9-above-capped-budget"),
    case(single(price=800_000.0), "price", "整数", id="V9-float"),
    case(single(price="800000"), "price", "整数", id="V9-string"),
    case(single(price=True), "price", "整数", id="V9-bool"),
    case(
        single(price=PRICE_MAX + 1),
        "price",
        "过大",
        tender=replace(TENDER, budget=None),
        id="V9-absurd-without-budget",
    ),
]


@pytest.mark.parametrize("bad", V9_CASES)
def test_v9_bid_value_refused(bad: Bad) -> None:
    assert_refused(bad)


@pytest.mark.parametrize(
    ("draft", "tender"),
    [
        pytest.param(single(price=BUDGET), TENDER, id="at-the-budget"),
        pytest.param(
            single(price=BUDGET + 1), replace(TENDER, budget_is_cap=False), id="above-an-uncapped-budget"
        ),
        pytest.param(single(price=1), TENDER, id="one-fen"),
        pytest.param(single(currency=None), TENDER, id="currency-defaults-to-CNY"),
    ],
)
def test_v9_bid_value_accepted(draft: BidDraft, tender: TenderTerms) -> None:
    checked = check_bid(draft, tender, ORGS)
    assert checked.violations == []
    assert checked.price == draft.price


# ─────────────────────────────── shares ───────────────────────────────


def test_share_round_trip_every_basis_point() -> None:
    """0.01 % … 100.00 %: the display form parses back to the same basis points, as a string, as a
    Decimal and (when whole) as an int."""
    wrong = []
    for basis_points in range(1, 10_001):
        text = format_share(basis_points)
        parsed = {parse_share(text), parse_share(Decimal(text)), parse_share(f"{basis_points / 100:.2f}")}
        if basis_points % 100 == 0:
            parsed.add(parse_share(basis_points // 100))
        if parsed != {basis_points}:
            wrong.append((basis_points, text, parsed))
    assert wrong == []


@pytest.mark.parametrize(
    ("basis_points", "text"),
    [(6000, "60"), (3333, "33.33"), (1250, "12.5"), (1, "0.01"), (10, "0.1"), (10_000, "100")],
)
def test_share_display_form(basis_points: int, text: str) -> None:
    assert format_share(basis_points) == text


@pytest.mark.parametrize(
    ("raw", "basis_points"),
    [
        ("60", 6000),
        ("60%", 6000),
        (" 60 ", 6000),
        ("６０", 6000),
        ("６０％", 6000),
        ("３３．３３", 3333),
        ("33.33", 3333),
        ("100", 10_000),
        ("100.00", 10_000),
        ("0", 0),  # a number; "must be > 0" is the rule's business, with its own reason
        (60, 6000),
        (Decimal("33.33"), 3333),
        (Decimal("12.5"), 1250),
    ],
)
def test_parse_share_accepts(raw: object, basis_points: int) -> None:
    assert parse_share(raw) == basis_points


@pytest.mark.parametrize(
    "raw",
    [
        60.0,
        0.5,
        33.33,
        True,
        False,
        None,
        "",
        "  ",
        "abc",
        "1e2",
        "+60",
        "-1",
        "100.01",
        "101",
        "1000",
        "33.333",
        Decimal("NaN"),
        Decimal("Infinity"),
        101,
        [60],
    ],
    ids=repr,
)
def test_parse_share_refuses(raw: object) -> None:
    assert isinstance(parse_share(raw), Msg)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("85.5", 8550), (100, 10_000), ("0", 0), ("", None), (None, None), ("100.5", None)],
)
def test_parse_score(raw: object, expected: int | None) -> None:
    parsed = parse_score(raw)
    if expected is None:
        assert isinstance(parsed, Msg)
    else:
        assert parsed == expected


# ─────────────────────────────── evaluation ───────────────────────────────


def ranked_ids(*bids: Ranked) -> list[int]:
    orders = {tuple(bid.bid_id for bid in rank(order)) for order in itertools.permutations(bids)}
    assert len(orders) == 1, "the order must not depend on the input order"
    return list(orders.pop())


def test_rank_higher_score_first() -> None:
    assert ranked_ids(Ranked(1, 7000, 500, None), Ranked(2, 9000, 900, None), Ranked(3, 8000, 100, None)) == [
        2,
        3,
        1,
    ]


def test_rank_equal_scores_lower_price_first_even_against_priority() -> None:
    assert ranked_ids(Ranked(1, 8000, 600, "A5"), Ranked(2, 8000, 500, None)) == [2, 1]


def test_rank_equal_score_and_price_3a_priority_first() -> None:
    bids = (Ranked(1, 8000, 500, "A2"), Ranked(2, 8000, 500, "A3"), Ranked(3, 8000, 500, None))
    assert ranked_ids(*bids) == [2, 1, 3]


def test_rank_full_tie_earlier_bid_first() -> None:
    assert ranked_ids(Ranked(9, 8000, 500, "A4"), Ranked(4, 8000, 500, "A5")) == [4, 9]


def test_rank_priority_never_outranks_a_better_score() -> None:
    # One hundredth of a point is enough, whatever the price and grade.
    assert ranked_ids(Ranked(1, 8000, 100, "A5"), Ranked(2, 8001, 999_999, None)) == [2, 1]


def test_rank_empty() -> None:
    assert rank([]) == []


def rep(org_id: int, name: str) -> OrgFacts:
    return OrgFacts(id=org_id, name=f"社会组织{org_id}", legal_representative=name)


def test_shared_representatives_finds_pairs() -> None:
    bids = {
        1: [rep(1, "张三"), rep(2, "李四")],
        2: [rep(3, " 张三 ")],
        3: [rep(4, "王五")],
        4: [rep(5, "李四"), rep(6, "张三")],
    }
    assert shared_representatives(bids) == [(1, 2, "张三"), (1, 4, "张三"), (2, 4, "张三"), (1, 4, "李四")]


def test_shared_representatives_within_one_bid_is_not_a_pair() -> None:
    assert shared_representatives({1: [rep(1, "张三"), rep(2, "张三")], 2: [rep(3, "李四")]}) == []


def test_shared_representatives_ignores_blank_names() -> None:
    assert shared_representatives({1: [rep(1, "")], 2: [rep(2, "  ")]}) == []


# ─────────────────────────────── labels ───────────────────────────────


@pytest.mark.parametrize(
    ("labels", "enum"),
    [
        pytest.param(MODE_LABELS, BidMode, id="MODE_LABELS"),
        pytest.param(GRADE_RULE_LABELS, GradeRule, id="GRADE_RULE_LABELS"),
        pytest.param(BUYER_KIND_LABELS, BuyerKind, id="BUYER_KIND_LABELS"),
        pytest.param(METHOD_LABELS, Method, id="METHOD_LABELS"),
        pytest.param(OCDS_METHODS, Method, id="OCDS_METHODS"),
    ],
)
def test_every_label_dict_covers_its_enum(labels: Mapping[object, str], enum: type) -> None:
    assert set(labels) == set(enum)  # type: ignore[call-overload]
    assert all(label.strip() for label in labels.values())
    if labels is OCDS_METHODS:
        assert set(labels.values()) <= {"open", "selective", "limited", "direct"}
    else:
        assert all(isinstance(label, Msg) for label in labels.values())
        assert len(set(labels.values())) == len(labels), "two members would read the same"
