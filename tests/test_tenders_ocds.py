"""The OCDS export of a tender (issue 7, item 6), on SQLite and PostgreSQL.

Every package is validated with ``jsonschema`` against the official OCDS 1.1 release-package schema
whose release schema has the bids and subcontracting extensions merged in (RFC 7386), all read from
tests/data/ocds/ — nothing is fetched. Beyond validity the tests check what a reader of the data
relies on: who is a tenderer, supplier or subcontractor, consortium shares summing to exactly 1,
sealed bids staying sealed, exact yuan amounts and local times with their offset."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import referencing.exceptions
from flask import Flask
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.taxonomy.models import Category
from marketplace.tenders import ocds
from marketplace.tenders.models import Bid, BidParticipant, Buyer, Tender, TenderAward
from tests import factories

DATA = Path(__file__).parent / "data" / "ocds"
PUBLISHED = datetime(2026, 12, 20, 4, 0, 0)  # naive UTC: 12:00 in Wenzhou
DEADLINE = datetime(2026, 12, 10, 2, 0, 0)  # 10:00:00 in Wenzhou


# ─────────────────────────────── the validator ───────────────────────────────


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: objects merge key by key, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _refuse_to_fetch(uri: str) -> Resource[Any]:
    raise LookupError(f"schema {uri} is not in tests/data/ocds and nothing is fetched")


def _offline_registry(release_schema: dict[str, Any]) -> Registry[Any]:
    resource = Resource.from_contents(release_schema, default_specification=DRAFT4)
    return Registry(retrieve=_refuse_to_fetch).with_resource(release_schema["id"], resource)


def _date_time(value: object) -> bool:
    """RFC 3339 date-time with an explicit offset (the default checker needs an extra package and
    would otherwise wave everything through)."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        return False
    return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (parts.scheme not in ("http", "https") or bool(parts.netloc))


@cache
def patched_release_schema() -> dict[str, Any]:
    release = _load("1.1-release-schema.json")
    for extension in ("bid-extension-release-schema.json", "subcontracting-extension-release-schema.json"):
        release = merge_patch(release, _load(extension))
    Draft4Validator.check_schema(release)
    return release


@cache
def package_validator() -> Draft4Validator:
    release = patched_release_schema()
    package = _load("1.1-release-package-schema.json")
    # The package must refer to exactly the release schema we patched, or we would validate nothing.
    assert package["properties"]["releases"]["items"]["$ref"] == release["id"]
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_date_time)
    checker.checks("uri")(_uri)
    return Draft4Validator(package, registry=_offline_registry(release), format_checker=checker)


def schema_errors(package: dict[str, Any]) -> list[str]:
    # Round-trip through JSON text: what a client receives is what must validate.
    received = json.loads(json.dumps(package, ensure_ascii=False))
    errors = sorted(package_validator().iter_errors(received), key=lambda error: list(error.absolute_path))
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors]


def assert_valid(package: dict[str, Any]) -> dict[str, Any]:
    assert schema_errors(package) == []
    return package["releases"][0]


# ─────────────────────────────── building tenders ───────────────────────────────


def _org(name: str) -> Organization:
    organization = factories.org_member(name=f"{name}{factories.unique_uscc()[-6:]}").organization
    assert organization is not None
    return organization


def _tender(status: str, *, budget: int = 50_000_000, **values: Any) -> Tender:
    buyer = Buyer(
        name=f"鹿城区民政局{factories.unique_uscc()[-6:]}",
        kind="government",
        uscc=factories.unique_uscc("11330302"),
    )
    fields: dict[str, Any] = {
        "buyer": buyer,
        "title": "五马街道居家养老服务项目",
        "description": "为辖区 300 名独居老人提供上门助餐、助洁和探访服务。",
        "category_id": db.session.scalar(select(Category.id).where(Category.slug == "elderly")),
        "district": "鹿城区",
        "budget": budget,
        "method": "competitive_consultation",
        "status": status,
        "submission_deadline": DEADLINE,
        "allows_consortium": True,
        "max_members": 3,
        "allows_subcontracting": True,
        "max_subcontract_share": 4000,
        "created_at": datetime(2026, 11, 19, 1, 0, 0),
        "published_at": datetime(2026, 11, 20, 1, 0, 0),
        "updated_at": datetime(2026, 11, 20, 1, 0, 0),
    }
    fields.update(values)
    tender = Tender(**fields)
    db.session.add(tender)
    db.session.flush()
    return tender


@dataclass
class Line:
    organization: Organization
    share: int  # basis points
    scope: str = ""


def _bid(
    tender: Tender,
    mode: str,
    status: str,
    members: list[Line],
    subcontractors: tuple[Line, ...] = (),
    *,
    price: int = 40_000_000,
    **values: Any,
) -> Bid:
    bid = Bid(
        tender_id=tender.id,
        lead_organization_id=members[0].organization.id,
        mode=mode,
        status=status,
        price=price,
        submitted_at=None if status == "draft" else DEADLINE - timedelta(days=1),
        updated_at=DEADLINE - timedelta(days=1),
        **values,
    )
    db.session.add(bid)
    for position, line in enumerate(members):
        bid.participants.append(
            BidParticipant(
                organization_id=line.organization.id,
                kind="member",
                role="lead" if position == 0 else "member",
                share=line.share,
                scope=line.scope,
                position=position,
            )
        )
    for position, line in enumerate(subcontractors, start=len(members)):
        bid.participants.append(
            BidParticipant(
                organization_id=line.organization.id,
                kind="subcontractor",
                role=None,
                share=line.share,
                scope=line.scope,
                position=position,
            )
        )
    db.session.add(bid)
    db.session.flush()
    return bid


def _award(tender: Tender, bid: Bid, status: str = "pending", **values: Any) -> TenderAward:
    fields: dict[str, Any] = {"value": bid.price, "decided_at": DEADLINE + timedelta(days=3)}
    fields.update(values)
    award = TenderAward(tender=tender, bid=bid, status=status, **fields)
    db.session.add(award)
    db.session.flush()
    return award


def _export(tender: Tender) -> dict[str, Any]:
    db.session.commit()
    db.session.expire_all()
    fresh = db.session.get(Tender, tender.id)
    assert fresh is not None
    return ocds.release_package(
        fresh,
        published=PUBLISHED,
        uri=f"https://qqc.example.cn/api/v1/tenders/{tender.id}/ocds",
        base_url="https://qqc.example.cn",
    )


def _party(release: dict[str, Any], organization: Organization) -> dict[str, Any]:
    return next(party for party in release["parties"] if party["id"] == f"org-{organization.id}")


def _roles(release: dict[str, Any]) -> dict[str, list[str]]:
    return {party["id"]: party["roles"] for party in release["parties"]}


def _ids(references: list[dict[str, Any]]) -> list[str]:
    return [reference["id"] for reference in references]


def _exact(number: int | float) -> Decimal:
    """The decimal a JSON reader sees for ``number``."""
    return Decimal(json.dumps(number))


@dataclass
class Evaluating:
    tender: Tender
    single: Bid
    consortium: Bid
    prime: Bid
    draft: Bid
    withdrawn: Bid
    orgs: dict[str, Organization]


def _evaluating_tender() -> Evaluating:
    orgs = {
        name: _org(name)
        for name in (
            "独行社工",
            "牵头社工",
            "伙伴心理",
            "伙伴志愿",
            "总包服务",
            "分包保洁",
            "分包餐饮",
            "草稿社",
            "撤回社",
        )
    }
    tender = _tender("evaluating", closed_at=DEADLINE)
    single = _bid(tender, "single", "submitted", [Line(orgs["独行社工"], 10000)], price=33_333)
    consortium = _bid(
        tender,
        "consortium",
        "valid",
        [
            Line(orgs["牵头社工"], 5000, "项目统筹与上门探访"),
            Line(orgs["伙伴心理"], 3000, "心理慰藉"),
            Line(orgs["伙伴志愿"], 2000, "志愿者招募与培训"),
        ],
        price=45_000_000,
    )
    prime = _bid(
        tender,
        "prime_with_subs",
        "disqualified",
        [Line(orgs["总包服务"], 10000, "居家养老服务总体实施")],
        (Line(orgs["分包保洁"], 1000, "上门保洁"), Line(orgs["分包餐饮"], 2000, "助餐配送")),
        price=48_000_000,
        evaluation_reason="未按要求提供分包单位资质证明",
    )
    draft = _bid(tender, "single", "draft", [Line(orgs["草稿社"], 10000)])
    withdrawn = _bid(tender, "single", "withdrawn", [Line(orgs["撤回社"], 10000)])
    return Evaluating(tender, single, consortium, prime, draft, withdrawn, orgs)


# ─────────────────────────────── the validator itself ───────────────────────────────


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [  # RFC 7386, appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7386(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


def test_the_patched_schema_knows_both_extensions() -> None:
    release = patched_release_schema()
    assert release["properties"]["bids"]["properties"]["details"]["items"] == {"$ref": "#/definitions/Bid"}
    assert "relatedBids" in release["definitions"]["Award"]["properties"]
    assert "subcontracting" in release["definitions"]["Award"]["properties"]
    assert "subcontracting" in release["definitions"]["Bid"]["properties"]
    assert release["definitions"]["Bid"]["properties"]["status"]["enum"] == [
        "invited",
        "pending",
        "valid",
        "disqualified",
        "withdrawn",
        None,
    ]


def test_a_remote_reference_fails_loudly_instead_of_being_fetched() -> None:
    validator = package_validator().evolve(
        schema={"$ref": "https://standard.open-contracting.org/schema/other.json"}
    )
    with pytest.raises(referencing.exceptions.Unresolvable):
        validator.validate({})


def test_the_validator_catches_broken_packages(ctx: Flask) -> None:
    tender = _tender("awarded")
    orgs = [_org("甲"), _org("乙")]
    bid = _bid(tender, "consortium", "awarded", [Line(orgs[0], 6000, "统筹"), Line(orgs[1], 4000, "执行")])
    _award(tender, bid)
    package = _export(tender)
    assert_valid(package)

    def broken(change: Any) -> list[str]:
        copied = copy.deepcopy(package)
        change(copied["releases"][0])
        return schema_errors(copied)

    assert broken(lambda r: r["tender"]["value"].update(amount="500000")) == [
        "releases/0/tender/value/amount: '500000' is not of type 'number', 'null'"
    ]
    assert broken(lambda r: r["bids"]["details"][0].update(status="awarded"))[0].startswith(
        "releases/0/bids/details/0/status: 'awarded' is not one of"
    )
    assert broken(lambda r: r["tender"]["tenderPeriod"].update(endDate="2026-12-10T10:00:00")) == [
        "releases/0/tender/tenderPeriod/endDate: '2026-12-10T10:00:00' is not a 'date-time'"
    ]
    assert broken(lambda r: r["parties"][0].update(roles="buyer")) == [
        "releases/0/parties/0/roles: 'buyer' is not of type 'array', 'null'"
    ]
    assert broken(lambda r: r.pop("initiationType")) == [
        "releases/0: 'initiationType' is a required property"
    ]
    assert broken(lambda r: r["tender"].update(mainProcurementCategory="service")) != []


# ─────────────────────────────── numbers ───────────────────────────────


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (12345, "123.45"),
        (33333, "333.33"),
        (50_000_000, "500000"),
        (1, "0.01"),
        (10, "0.1"),
        (10**12, "10000000000"),
    ],
)
def test_fen_become_exact_yuan(fen: int, text: str) -> None:
    assert json.dumps(ocds.yuan(fen)) == text


@pytest.mark.parametrize(
    ("basis_points", "text"), [(3000, "0.3"), (3333, "0.3333"), (3334, "0.3334"), (5, "0.0005"), (10000, "1")]
)
def test_basis_points_become_exact_proportions(basis_points: int, text: str) -> None:
    assert json.dumps(ocds.proportion(basis_points)) == text


# ─────────────────────────────── tenders in each state ───────────────────────────────


def test_open_tender_without_bids(ctx: Flask) -> None:
    tender = _tender(
        "open",
        budget=33_333,
        enquiry_ends_at=datetime(2026, 12, 5, 9, 30, 0),
        contract_starts_on=date(2027, 1, 1),
        contract_ends_on=date(2027, 12, 31),
        notice_url="https://www.ccgp.gov.cn/notice/123",
    )
    package = _export(tender)
    release = assert_valid(package)

    assert package["version"] == "1.1"
    assert package["publishedDate"] == "2026-12-20T12:00:00+08:00"
    assert package["publisher"]["name"] == "青亲筹 · 共青团鹿城区委"
    assert len(package["extensions"]) == 2
    assert release["ocid"] == f"ocds-qqc000-tender-{tender.id}"
    assert release["id"].startswith(f"{release['ocid']}-")
    assert release["tag"] == ["tender"]
    assert release["initiationType"] == "tender"
    assert release["language"] == "zh"
    body = release["tender"]
    assert body["status"] == "active"
    assert body["value"] == {"amount": 333.33, "currency": "CNY"}
    assert _exact(body["value"]["amount"]) == Decimal("333.33")
    assert body["procurementMethod"] == "selective"
    assert body["procurementMethodDetails"] == "竞争性磋商"
    assert body["mainProcurementCategory"] == "services"
    assert body["tenderPeriod"] == {
        "startDate": "2026-11-20T09:00:00+08:00",
        "endDate": "2026-12-10T10:00:00+08:00",
    }
    assert body["enquiryPeriod"]["endDate"] == "2026-12-05T17:30:00+08:00"
    assert body["contractPeriod"] == {
        "startDate": "2027-01-01T00:00:00+08:00",
        "endDate": "2027-12-31T23:59:59+08:00",
    }
    assert body["documents"][0]["url"] == "https://www.ccgp.gov.cn/notice/123"
    assert "hasEnquiries" not in body and "numberOfTenderers" not in body
    assert "bids" not in release and "awards" not in release
    buyer = tender.buyer
    assert release["buyer"] == {"id": f"buyer-{buyer.id}", "name": buyer.name}
    assert release["parties"] == [
        {
            "id": f"buyer-{buyer.id}",
            "name": buyer.name,
            "roles": ["buyer"],
            "identifier": {"scheme": "CN-USCC", "id": buyer.uscc, "legalName": buyer.name},
        }
    ]


def test_submitted_bids_stay_sealed_while_the_tender_is_open(ctx: Flask) -> None:
    tender = _tender("open")
    before = _export(tender)["releases"][0]
    bidder = _org("抢先社")
    _bid(tender, "single", "submitted", [Line(bidder, 10000)])
    # Preparing a bid locks the tender row, which touches its updated_at.
    tender.updated_at = DEADLINE - timedelta(days=2)

    after = assert_valid(_export(tender))

    assert "bids" not in after and "numberOfTenderers" not in after["tender"]
    assert [party["id"] for party in after["parties"]] == [f"buyer-{tender.buyer_id}"]
    # Not even the release id or date betrays that a bid came in.
    assert (after["id"], after["date"]) == (before["id"], before["date"])


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("open_tender", "open"),
        ("competitive_consultation", "selective"),
        ("competitive_negotiation", "selective"),
        ("enquiry", "selective"),
        ("single_source", "direct"),
        ("foundation_call", "open"),
    ],
)
def test_procurement_method_mapping(ctx: Flask, method: str, expected: str) -> None:
    body = assert_valid(_export(_tender("open", method=method)))["tender"]
    assert body["procurementMethod"] == expected
    assert body["procurementMethodDetails"]


def test_evaluating_tender_publishes_every_standing_bid(ctx: Flask) -> None:
    case = _evaluating_tender()
    release = assert_valid(_export(case.tender))
    orgs = case.orgs
    details = {detail["id"]: detail for detail in release["bids"]["details"]}

    assert release["tag"] == ["tender"]
    assert release["tender"]["status"] == "active"
    assert list(details) == [str(case.single.id), str(case.consortium.id), str(case.prime.id)]
    assert release["tender"]["numberOfTenderers"] == 3
    assert [details[key]["status"] for key in details] == ["pending", "valid", "disqualified"]
    # Draft and withdrawn bids and their organizations are nowhere in the release.
    assert str(case.draft.id) not in details and str(case.withdrawn.id) not in details
    text = json.dumps(release, ensure_ascii=False)
    for name in ("草稿社", "撤回社"):
        assert orgs[name].name not in text
        assert f"org-{orgs[name].id}" not in text

    single = details[str(case.single.id)]
    assert single["value"] == {"amount": 333.33, "currency": "CNY"}
    assert single["date"] == "2026-12-09T10:00:00+08:00"
    assert single["x_memberShares"] == [{"id": f"org-{orgs['独行社工'].id}", "role": "lead", "share": 1}]
    assert single["hasSubcontracting"] is False and "subcontracting" not in single

    consortium = details[str(case.consortium.id)]
    members = [orgs["牵头社工"], orgs["伙伴心理"], orgs["伙伴志愿"]]
    assert _ids(consortium["tenderers"]) == [f"org-{org.id}" for org in members]
    assert consortium["x_memberShares"] == [
        {"id": f"org-{members[0].id}", "role": "lead", "share": 0.5, "scope": "项目统筹与上门探访"},
        {"id": f"org-{members[1].id}", "role": "member", "share": 0.3, "scope": "心理慰藉"},
        {"id": f"org-{members[2].id}", "role": "member", "share": 0.2, "scope": "志愿者招募与培训"},
    ]
    assert sum(_exact(entry["share"]) for entry in consortium["x_memberShares"]) == 1

    prime = details[str(case.prime.id)]
    lead = f"org-{orgs['总包服务'].id}"
    assert prime["hasSubcontracting"] is True
    subcontracting = prime["subcontracting"]
    assert subcontracting["minimumPercentage"] == subcontracting["maximumPercentage"] == 0.3
    assert subcontracting["value"] == {"amount": 144000, "currency": "CNY"}  # 30 % of 480 000 yuan
    assert [
        (item["subcontractor"]["id"], _ids(item["mainContractors"]), item["x_share"], item["x_scope"])
        for item in subcontracting["subcontracts"]
    ] == [
        (f"org-{orgs['分包保洁'].id}", [lead], 0.1, "上门保洁"),
        (f"org-{orgs['分包餐饮'].id}", [lead], 0.2, "助餐配送"),
    ]
    assert "x_buyerConsent" not in json.dumps(prime)

    roles = _roles(release)
    assert roles[f"buyer-{case.tender.buyer_id}"] == ["buyer"]
    for name in ("独行社工", "牵头社工", "伙伴心理", "伙伴志愿", "总包服务"):
        assert roles[f"org-{orgs[name].id}"] == ["tenderer"]
    for name in ("分包保洁", "分包餐饮"):
        assert roles[f"org-{orgs[name].id}"] == ["subcontractor"]
    assert _party(release, orgs["伙伴心理"])["identifier"] == {
        "scheme": "CN-USCC",
        "id": orgs["伙伴心理"].uscc,
        "legalName": orgs["伙伴心理"].name,
    }


def test_awarded_consortium_makes_every_member_a_supplier(ctx: Flask) -> None:
    members = [_org("牵头"), _org("成员一"), _org("成员二")]
    loser = _org("落选")
    tender = _tender("awarded", ended_at=DEADLINE + timedelta(days=3))
    winner = _bid(
        tender,
        "consortium",
        "awarded",
        [Line(members[0], 3334, "统筹"), Line(members[1], 3333, "助餐"), Line(members[2], 3333, "助洁")],
        price=33_333,
    )
    _bid(tender, "single", "unsuccessful", [Line(loser, 10000)], price=40_000)
    award = _award(tender, winner)

    release = assert_valid(_export(tender))

    assert release["tag"] == ["award"]
    assert release["tender"]["status"] == "complete"
    [exported] = release["awards"]
    assert exported["id"] == str(award.id)
    assert exported["status"] == "pending"
    assert exported["date"] == "2026-12-13T10:00:00+08:00"
    assert exported["value"] == {"amount": 333.33, "currency": "CNY"}
    assert _ids(exported["suppliers"]) == [f"org-{org.id}" for org in members]
    assert exported["relatedBids"] == [str(winner.id)]
    assert exported["hasSubcontracting"] is False
    roles = _roles(release)
    for org in members:
        assert roles[f"org-{org.id}"] == ["tenderer", "supplier"]
    assert roles[f"org-{loser.id}"] == ["tenderer"]
    statuses = {detail["id"]: detail["status"] for detail in release["bids"]["details"]}
    assert set(statuses.values()) == {"valid"}
    shares = next(d for d in release["bids"]["details"] if d["id"] == str(winner.id))["x_memberShares"]
    assert [entry["share"] for entry in shares] == [0.3334, 0.3333, 0.3333]
    assert sum(_exact(entry["share"]) for entry in shares) == 1


def test_declined_award_and_the_next_ranked_bid(ctx: Flask) -> None:
    first = [_org("首选牵头"), _org("首选成员")]
    second, cleaner, caterer = _org("次选总包"), _org("次选保洁"), _org("次选餐饮")
    tender = _tender("awarded", budget=60_000_000)
    declined_bid = _bid(
        tender, "consortium", "unsuccessful", [Line(first[0], 6000, "统筹"), Line(first[1], 4000, "执行")]
    )
    next_bid = _bid(
        tender,
        "prime_with_subs",
        "awarded",
        [Line(second, 10000, "总体实施")],
        (Line(cleaner, 1500, "上门保洁"), Line(caterer, 1500, "助餐配送")),
        price=45_555_555,
    )
    _award(
        tender,
        declined_bid,
        status="declined",
        declined_at=DEADLINE + timedelta(days=10),
        decline_reason="人员无法到位",
    )
    next_bid.participants[1].consent_status = "consented"
    next_bid.participants[1].consent_recorded_at = DEADLINE + timedelta(days=12)
    current = _award(tender, next_bid, decided_at=DEADLINE + timedelta(days=11))

    release = assert_valid(_export(tender))

    assert release["tag"] == ["award", "awardUpdate"]
    assert [(award["status"], award["relatedBids"]) for award in release["awards"]] == [
        ("unsuccessful", [str(declined_bid.id)]),
        ("pending", [str(next_bid.id)]),
    ]
    assert release["awards"][0]["description"] == "中标人放弃签约：人员无法到位"
    assert _ids(release["awards"][0]["suppliers"]) == [f"org-{org.id}" for org in first]
    latest = release["awards"][1]
    assert latest["id"] == str(current.id)
    assert _ids(latest["suppliers"]) == [f"org-{second.id}"]
    assert latest["hasSubcontracting"] is True
    assert latest["subcontracting"]["maximumPercentage"] == 0.3
    assert latest["subcontracting"]["value"] == {"amount": 136666.67, "currency": "CNY"}  # 30 % of 455 555.55
    assert [
        (item["x_share"], item["x_buyerConsent"]) for item in latest["subcontracting"]["subcontracts"]
    ] == [
        (0.15, "consented"),
        (0.15, "none"),
    ]
    roles = _roles(release)
    assert roles[f"org-{second.id}"] == ["tenderer", "supplier"]
    for org in first:
        assert roles[f"org-{org.id}"] == ["tenderer"]  # a declined award makes nobody a supplier
    assert roles[f"org-{cleaner.id}"] == roles[f"org-{caterer.id}"] == ["subcontractor"]
    # The latest change is the buyer's consent to a subcontract.
    assert release["date"] == "2026-12-22T10:00:00+08:00"


def test_cancelled_tender(ctx: Flask) -> None:
    """Cancelled while open: the bids were never opened and stay sealed."""
    tender = _tender(
        "cancelled",
        ended_at=DEADLINE - timedelta(days=2),
        end_reason="预算调整，采购取消",
    )
    _bid(tender, "single", "cancelled", [Line(_org("被取消社"), 10000)], cancelled_from="submitted")

    release = assert_valid(_export(tender))

    assert release["tag"] == ["tenderCancellation"]
    assert release["tender"]["status"] == "cancelled"
    assert release["bids"] == {"details": []}
    assert release["tender"]["numberOfTenderers"] == 0
    assert release["date"] == "2026-12-08T10:00:00+08:00"


def test_a_tender_cancelled_during_evaluation_keeps_its_opened_bids(ctx: Flask) -> None:
    """Cancelled after the opening: each bid stays in the record as it was when the tender was
    cancelled; a bid that was never submitted in time does not appear."""
    tender = _tender(
        "cancelled",
        closed_at=DEADLINE,
        ended_at=DEADLINE + timedelta(days=2),
        end_reason="预算调整，采购取消",
    )
    scored = _bid(tender, "single", "cancelled", [Line(_org("已评有效社"), 10000)], cancelled_from="valid")
    refused = _bid(
        tender, "single", "cancelled", [Line(_org("不合格社"), 10000)], cancelled_from="disqualified"
    )
    waiting = _bid(tender, "single", "cancelled", [Line(_org("待评审社"), 10000)], cancelled_from="submitted")
    _bid(tender, "single", "cancelled", [Line(_org("未提交社"), 10000)], cancelled_from="draft")

    release = assert_valid(_export(tender))

    statuses = {item["id"]: item["status"] for item in release["bids"]["details"]}
    assert statuses == {str(scored.id): "valid", str(refused.id): "disqualified", str(waiting.id): "pending"}
    assert release["tender"]["numberOfTenderers"] == 3


@pytest.mark.parametrize(
    ("status", "ocds_status", "tag"),
    [("draft", "planning", ["planning"]), ("unsuccessful", "unsuccessful", ["tenderUpdate"])],
)
def test_other_tender_states(ctx: Flask, status: str, ocds_status: str, tag: list[str]) -> None:
    release = assert_valid(_export(_tender(status)))
    assert (release["tender"]["status"], release["tag"]) == (ocds_status, tag)


def test_release_id_follows_the_content(ctx: Flask, app: Flask) -> None:
    case = _evaluating_tender()
    first = _export(case.tender)["releases"][0]
    again = ocds.release_package(
        case.tender, published=PUBLISHED + timedelta(hours=1), uri="https://x.cn/p", base_url="https://x.cn"
    )
    assert again["releases"][0]["id"] == first["id"]

    bid = db.session.get(Bid, case.single.id)
    assert bid is not None
    bid.status = "valid"
    changed = _export(case.tender)["releases"][0]
    assert changed["id"] != first["id"]
    assert changed["id"].startswith(f"ocds-qqc000-tender-{case.tender.id}-")

    app.config["OCDS_OCID_PREFIX"] = "ocds-abc123"
    assert _export(case.tender)["releases"][0]["ocid"] == f"ocds-abc123-tender-{case.tender.id}"
    explicit = ocds.build_release(case.tender, ocid_prefix="ocds-zzz999")
    assert explicit["ocid"] == f"ocds-zzz999-tender-{case.tender.id}"
