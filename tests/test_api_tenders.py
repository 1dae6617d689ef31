"""The tender and bid API: every bad input of the validation rules V1–V9 refused with its status and
field path and nothing saved; the buyer-signature endpoint (V10); a consortium from tender to signed
service contract through the API only, with the next-ranked fallback and the OCDS export;
invalidation on edit; deadlines to the second. Every request goes through ``ApiChecker``, so every
response is also validated against the OpenAPI document."""

from __future__ import annotations

import errno
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from marketplace import uploads
from marketplace.accounts import operations as accounts
from marketplace.extensions import db
from marketplace.parties.models import Organization
from marketplace.tenders.models import Bid, BidDocument, BidParticipant, ConsortiumInvitation, Tender
from marketplace.timeutil import local_today, to_local, utcnow
from tests import factories
from tests.tender_support import PDF, org_user
from tests.test_api_openapi import HTTP_METHODS, SPEC, TENDER_PATHS, ApiChecker
from tests.test_api_pledges import token_for

CJK = re.compile(r"[\u4e00-\u9fff]")
OFFSET = timedelta(hours=8)


# ───────────── the cast ─────────────


@dataclass
class Scene:
    """Plain ids and tokens: staff, organizations a–e (verified, 3A), subcontractors s1–s3, and the
    ineligible: an unverified organization, a league body, a 1A one and one whose grade expires
    before any deadline; a company member."""

    tokens: dict[str, str]
    orgs: dict[str, int]

    def token(self, who: str) -> str:
        return self.tokens[who]

    def org(self, who: str) -> int:
        return self.orgs[who]


@pytest.fixture
def api(client: Any) -> ApiChecker:
    return ApiChecker(client)


@pytest.fixture
def scene(app: Flask) -> Scene:
    with app.app_context():
        users = {"staff": factories.staff(), "company": factories.company_member()}
        for who in ("a", "b", "c", "d", "e", "s1", "s2", "s3"):
            users[who] = org_user(grade="A3")
        users["unverified"] = org_user(verified=False)
        users["league"] = org_user(grade="A3")
        users["low"] = org_user(grade="A1")
        users["expiring"] = org_user(grade="A4", valid_until=date.today())
        league = db.session.get(Organization, users["league"].organization_id)
        assert league is not None
        league.is_league_body = True
        db.session.commit()
        # A second member of organization a: anyone of the lead organization may act for it.
        assert users["a"].organization is not None
        users["a2"] = accounts.add_member(
            users["a"].organization,
            accounts.AccountInput(email="a2@example.cn", password=factories.PASSWORD, name="阳光同事"),
            actor_id=users["a"].id,
        )
        db.session.commit()
        return Scene(
            tokens={who: token_for(user) for who, user in users.items()},
            orgs={who: user.organization_id for who, user in users.items() if user.organization_id},
        )


def local_moment(**delta: float) -> str:
    """An ISO 8601 moment with the +08:00 offset, ``delta`` from now, to the second."""
    return to_local(utcnow().replace(microsecond=0) + timedelta(**delta)).isoformat()


def day(offset: int) -> str:
    return (local_today() + timedelta(days=offset)).isoformat()


def tender_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "鹿城区困境儿童关爱服务采购",
        "description": "为辖区 200 名困境儿童提供一年的课业辅导、心理支持和家访服务。",
        "buyer_name": "温州市鹿城区民政局",
        "buyer_kind": "government",
        "category": "children",
        "district": "鹿城区",
        "budget": 50_000_000,
        "method": "competitive_consultation",
        "submission_deadline": local_moment(days=10),
        "allows_consortium": True,
        "max_members": 3,
        "allows_subcontracting": True,
        "max_subcontract_share": "40",
        "contract_starts_on": day(40),
        "contract_ends_on": day(405),
        "required_documents": ["投标方案", "联合体协议"],
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not ...}


def open_tender(api: ApiChecker, scene: Scene, **overrides: Any) -> int:
    response = api.post("/tenders", token=scene.token("staff"), json_body=tender_body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def member(scene: Scene, who: str, role: str, share: Any, scope: str = "课业辅导") -> dict[str, Any]:
    return {"organization_id": scene.org(who), "role": role, "share": share, "scope": scope}


def sub(scene: Scene, who: str, share: Any = "20", **extra: Any) -> dict[str, Any]:
    line = {"organization_id": scene.org(who), "share": share, "scope": "心理咨询热线", "is_core_work": False}
    line.update(extra)
    return line


def consortium(scene: Scene, lead: str = "a", partner: str = "b", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mode": "consortium",
        "members": [
            member(scene, lead, "lead", "60", "课业辅导与个案管理"),
            member(scene, partner, "member", "40", "心理支持"),
        ],
        "price": 45_000_000,
        "proposal": "双方发挥各自专长，分片区开展服务。",
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not ...}


def single(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"mode": "single", "price": 44_000_000, "proposal": "独立承接全部服务。"}
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not ...}


def prime(scene: Scene, *lines: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mode": "prime_with_subs",
        "subcontractors": list(lines) or [sub(scene, "s1")],
        "price": 43_000_000,
    }
    body.update(overrides)
    return body


def post_bid(api: ApiChecker, scene: Scene, tender_id: int, who: str, body: dict[str, Any]) -> Any:
    return api.post(f"/tenders/{tender_id}/bids", token=scene.token(who), json_body=body)


def new_bid(api: ApiChecker, scene: Scene, tender_id: int, who: str, body: dict[str, Any]) -> dict:
    response = post_bid(api, scene, tender_id, who, body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(api: ApiChecker, scene: Scene, bid_id: int, who: str, action: str) -> Any:
    return api.post(f"/bids/{bid_id}/transitions", token=scene.token(who), json_body={"action": action})


def done(response: Any, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def upload(api: ApiChecker, scene: Scene, bid_id: int, who: str = "a", kind: str = "joint_agreement") -> Any:
    return api.post(
        f"/bids/{bid_id}/documents",
        token=scene.token(who),
        data={"kind": kind, "title": "联合体协议（盖章版）", "file": (io.BytesIO(PDF), "agreement.pdf")},
        content_type="multipart/form-data",
    )


def submitted(
    api: ApiChecker, scene: Scene, tender_id: int, lead: str = "a", partner: str = "b", **overrides: Any
) -> dict:
    """A consortium bid built, documented, confirmed by the partner and submitted by the lead."""
    bid = new_bid(api, scene, tender_id, lead, consortium(scene, lead, partner, **overrides))
    done(upload(api, scene, bid["id"], lead), 201)
    done(act(api, scene, bid["id"], partner, "confirm"))
    return done(act(api, scene, bid["id"], lead, "submit"))


def submitted_alone(api: ApiChecker, scene: Scene, tender_id: int, who: str, **overrides: Any) -> dict:
    bid = new_bid(api, scene, tender_id, who, single(**overrides))
    return done(act(api, scene, bid["id"], who, "submit"))


def set_deadline(app: Flask, tender_id: int, seconds: int) -> None:
    """Move the tender's deadline to ``seconds`` from now, directly in the database (no sleeping)."""
    with app.app_context():
        tender = db.session.get(Tender, tender_id)
        assert tender is not None
        tender.submission_deadline = utcnow().replace(microsecond=0) + timedelta(seconds=seconds)
        db.session.commit()


def evaluate(
    api: ApiChecker, scene: Scene, tender_id: int, bid_id: int, score: str = "90", **extra: Any
) -> Any:
    body = {"bid_id": bid_id, "result": "valid", "score": score, **extra}
    return api.post(f"/tenders/{tender_id}/evaluations", token=scene.token("staff"), json_body=body)


def rows(app: Flask) -> tuple[int, ...]:
    """How many tenders, bids, participants, documents and invitations exist."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Tender, Bid, BidParticipant, BidDocument, ConsortiumInvitation)
        )


def bid_rows(app: Flask) -> tuple[Any, ...]:
    """Every bid's and participant's state, as plain values."""
    with app.app_context():
        return (
            tuple(db.session.execute(select(Bid.id, Bid.status, Bid.price, Bid.revision).order_by(Bid.id))),
            tuple(
                db.session.execute(
                    select(
                        BidParticipant.id,
                        BidParticipant.organization_id,
                        BidParticipant.share,
                        BidParticipant.confirmed_revision,
                    ).order_by(BidParticipant.id)
                )
            ),
        )


def refused(response: Any, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert CJK.search(error["message"]), error
    for field in fields:
        assert field in error["fields"], error
        assert CJK.search(error["fields"][field]), error
    return error


# ───────────── (a) V1–V9 through the API: refused, field named, nothing saved ─────────────

Setup = Callable[[ApiChecker, Scene, Flask], tuple[str, int, dict[str, Any]]]


def _on_tender(who: str, body: Callable[[Scene], dict[str, Any]], **tender: Any) -> Setup:
    """A bid by ``who`` on a fresh tender (with ``tender`` overrides)."""

    def setup(api: ApiChecker, scene: Scene, app: Flask) -> tuple[str, int, dict[str, Any]]:
        return who, open_tender(api, scene, **tender), body(scene)

    return setup


def _pair(scene: Scene, first: Any, second: Any, **extra: Any) -> dict[str, Any]:
    return consortium(
        scene,
        members=[member(scene, "a", "lead", first), member(scene, "b", "member", second)],
        **extra,
    )


def _a_alone_then_in_consortium_b(api: ApiChecker, scene: Scene, app: Flask) -> tuple[str, int, dict]:
    tender_id = open_tender(api, scene)
    new_bid(api, scene, tender_id, "a", single())  # a draft binds its lead at once
    return "b", tender_id, consortium(scene, "b", "a")


def _b_c_consortium_then_c_alone(api: ApiChecker, scene: Scene, app: Flask) -> tuple[str, int, dict]:
    tender_id = open_tender(api, scene)
    submitted(api, scene, tender_id, "b", "c")
    return "c", tender_id, single()


def _a_in_two_consortia(api: ApiChecker, scene: Scene, app: Flask) -> tuple[str, int, dict]:
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "b", consortium(scene, "b", "a"))
    done(act(api, scene, bid["id"], "a", "confirm"))  # a commits to b's consortium
    return "d", tender_id, consortium(scene, "d", "a")


def _subcontractor_then_bidder(api: ApiChecker, scene: Scene, app: Flask) -> tuple[str, int, dict]:
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "b", prime(scene, sub(scene, "s1")))
    done(act(api, scene, bid["id"], "s1", "confirm"))
    return "s1", tender_id, single()


def _bidder_then_subcontractor(api: ApiChecker, scene: Scene, app: Flask) -> tuple[str, int, dict]:
    tender_id = open_tender(api, scene)
    new_bid(api, scene, tender_id, "c", single())
    return "d", tender_id, prime(scene, sub(scene, "c"))


_GATED = {
    "min_grade": "A3",
    "grade_rule": "min_of_members",
    "grade_rule_basis": "市民政局购买服务实施办法第十二条",
}

BID_CASES: list[tuple[str, Setup, str]] = [
    # V1 consortium shares exact, each > 0, summing to exactly 100 %
    ("V1 60+30", _on_tender("a", lambda s: _pair(s, "60", "30")), "members"),
    ("V1 70+40", _on_tender("a", lambda s: _pair(s, "70", "40")), "members"),
    ("V1 100+0", _on_tender("a", lambda s: _pair(s, "100", "0")), "members[1].share"),
    ("V1 negative", _on_tender("a", lambda s: _pair(s, "140", "-40")), "members[1].share"),
    ("V1 three decimals", _on_tender("a", lambda s: _pair(s, "33.333", "66.667")), "members[0].share"),
    ("V1 float", _on_tender("a", lambda s: _pair(s, 60.0, "40")), "members[0].share"),
    # V2 composition
    (
        "V2 one member",
        _on_tender("a", lambda s: consortium(s, members=[member(s, "a", "lead", "100")])),
        "members",
    ),
    (
        "V2 two leads",
        _on_tender(
            "a", lambda s: consortium(s, members=[member(s, "a", "lead", "50"), member(s, "b", "lead", "50")])
        ),
        "members[1].role",
    ),
    (
        "V2 no lead",
        _on_tender(
            "a",
            lambda s: consortium(s, members=[member(s, "a", "member", "50"), member(s, "b", "member", "50")]),
        ),
        "members",
    ),
    (
        "V2 same organization twice",
        _on_tender(
            "a",
            lambda s: consortium(s, members=[member(s, "a", "lead", "50"), member(s, "a", "member", "50")]),
        ),
        "members[1].organization_id",
    ),
    (
        "V2 empty scope",
        _on_tender(
            "a",
            lambda s: consortium(
                s, members=[member(s, "a", "lead", "60"), member(s, "b", "member", "40", " ")]
            ),
        ),
        "members[1].scope",
    ),
    (
        "V2 more members than allowed",
        _on_tender(
            "a",
            lambda s: consortium(
                s, members=[member(s, who, "lead" if who == "a" else "member", "25") for who in "abcd"]
            ),
            max_members=3,
        ),
        "members",
    ),
    # V3 consortium only where explicitly allowed
    (
        "V3 consortium not allowed",
        _on_tender("a", consortium, allows_consortium=False, max_members=None),
        "mode",
    ),
    # V4 no double participation on one tender
    ("V4 a alone, then in consortium b+a", _a_alone_then_in_consortium_b, "members[1].organization_id"),
    ("V4 c in consortium b+c, then alone", _b_c_consortium_then_c_alone, "members[0].organization_id"),
    ("V4 a in two consortia", _a_in_two_consortia, "members[1].organization_id"),
    ("V4 subcontractor bids too", _subcontractor_then_bidder, "members[0].organization_id"),
    ("V4 bidder listed as subcontractor", _bidder_then_subcontractor, "subcontractors[0].organization_id"),
    # V5 eligibility of every member
    (
        "V5 unverified member",
        _on_tender("a", lambda s: consortium(s, "a", "unverified")),
        "members[1].organization_id",
    ),
    (
        "V5 grade below the minimum",
        _on_tender("a", lambda s: consortium(s, "a", "low"), **_GATED),
        "members[1].organization_id",
    ),
    (
        "V5 grade expires before the deadline",
        _on_tender("a", lambda s: consortium(s, "a", "expiring"), **_GATED),
        "members[1].organization_id",
    ),
    ("V5 league body as bidder", _on_tender("league", lambda s: single()), "members[0].organization_id"),
    # V6 subcontract cap and scope
    (
        "V6 subcontracting not allowed",
        _on_tender("a", prime, allows_subcontracting=False, max_subcontract_share=None),
        "subcontractors",
    ),
    (
        "V6 30+30 against a 50 cap",
        _on_tender(
            "a", lambda s: prime(s, sub(s, "s1", "30"), sub(s, "s2", "30")), max_subcontract_share="50"
        ),
        "subcontractors",
    ),
    ("V6 100 %", _on_tender("a", lambda s: prime(s, sub(s, "s1", "100"))), "subcontractors[0].share"),
    ("V6 0 %", _on_tender("a", lambda s: prime(s, sub(s, "s1", "0"))), "subcontractors[0].share"),
    (
        "V6 core work",
        _on_tender("a", lambda s: prime(s, sub(s, "s1", is_core_work=True))),
        "subcontractors[0].is_core_work",
    ),
    (
        "V6 core work not stated",
        _on_tender("a", lambda s: prime(s, {k: v for k, v in sub(s, "s1").items() if k != "is_core_work"})),
        "subcontractors[0].is_core_work",
    ),
    # V7 subcontract graph
    (
        "V7 subcontractor is also the bidder",
        _on_tender("a", lambda s: prime(s, sub(s, "a"))),
        "subcontractors[0].organization_id",
    ),
    (
        "V7 sub-subcontract",
        _on_tender(
            "a",
            lambda s: prime(s, sub(s, "s1", "20"), sub(s, "s2", "10", main_contractor_id=s.org("s1"))),
        ),
        "subcontractors[1].main_contractor_id",
    ),
    # V8 a bid is created as a draft: a client cannot create it valid
    ("V8 created as valid", _on_tender("a", lambda s: single(status="valid")), "status"),
    # V9 bid value
    ("V9 price missing", _on_tender("a", lambda s: single(price=...)), "price"),
    ("V9 price 0", _on_tender("a", lambda s: single(price=0)), "price"),
    ("V9 negative price", _on_tender("a", lambda s: single(price=-100)), "price"),
    ("V9 price as a float", _on_tender("a", lambda s: single(price=44_000_000.0)), "price"),
    ("V9 another currency", _on_tender("a", lambda s: single(currency="USD")), "currency"),
    ("V9 above the capped budget", _on_tender("a", lambda s: single(price=50_000_001)), "price"),
]


@pytest.mark.parametrize(
    ("setup", "field"), [case[1:] for case in BID_CASES], ids=[case[0] for case in BID_CASES]
)
def test_a_bad_bid_is_refused_with_its_field_and_nothing_is_saved(
    app: Flask, api: ApiChecker, scene: Scene, setup: Setup, field: str
) -> None:
    who, tender_id, body = setup(api, scene, app)
    before, state = rows(app), bid_rows(app)
    refused(post_bid(api, scene, tender_id, who, body), 422, field)
    assert rows(app) == before and bid_rows(app) == state


def test_every_violation_is_named_at_once(app: Flask, api: ApiChecker, scene: Scene) -> None:
    tender_id = open_tender(api, scene)
    body = consortium(
        scene,
        members=[
            member(scene, "a", "lead", 60.0),
            member(scene, "b", "member", "33.333"),
            member(scene, "unverified", "member", "0", ""),
        ],
        price=0,
        currency="USD",
        status="valid",
    )
    before = rows(app)
    error = refused(post_bid(api, scene, tender_id, "a", body), 422)
    assert {
        "members[0].share",
        "members[1].share",
        "members[2].share",
        "members[2].scope",
        "members[2].organization_id",
        "currency",
        "status",
    } <= set(error["fields"])
    assert rows(app) == before


def test_a_tender_must_state_whether_it_accepts_consortia(app: Flask, api: ApiChecker, scene: Scene) -> None:
    """V3: publishing a tender with the flag unset, absent or null."""
    staff = scene.token("staff")
    before = rows(app)
    for value in (..., None):
        refused(
            api.post("/tenders", token=staff, json_body=tender_body(allows_consortium=value)),
            422,
            "allows_consortium",
        )
    refused(
        api.post("/tenders", token=staff, json_body=tender_body(allows_subcontracting=None)),
        422,
        "allows_subcontracting",
    )
    assert rows(app) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {"submission_deadline": (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()},
            "submission_deadline",
        ),
        ({"submission_deadline": day(3)}, "submission_deadline"),
        ({"submission_deadline": "下周五"}, "submission_deadline"),
        ({"submission_deadline": local_moment(seconds=-1)}, "submission_deadline"),
        ({"enquiry_ends_at": "2026-12-01T10:00:00"}, "enquiry_ends_at"),
        ({"budget": 50_000_000.0}, "budget"),
        ({"budget": "50000000"}, "budget"),
        ({"budget": 0}, "budget"),
        ({"max_subcontract_share": 40.0}, "max_subcontract_share"),
        ({"max_subcontract_share": "100"}, "max_subcontract_share"),
        ({"allows_consortium": "yes"}, "allows_consortium"),
        ({"grade_rule": "min_of_members", "min_grade": "A3"}, "grade_rule_basis"),
        ({"contract_ends_on": day(30)}, "contract_ends_on"),
        ({"status": "awarded"}, "status"),
        ({"category": "nope"}, "category"),
    ],
    ids=[
        "deadline without offset",
        "deadline as a day",
        "deadline not a time",
        "deadline passed",
        "enquiry end without offset",
        "budget float",
        "budget string",
        "budget 0",
        "share cap float",
        "share cap 100",
        "consortium flag not a boolean",
        "grade gate without basis",
        "contract ends before it starts",
        "status set by the client",
        "unknown category",
    ],
)
def test_a_bad_tender_is_refused_with_its_field(
    app: Flask, api: ApiChecker, scene: Scene, overrides: dict[str, Any], field: str
) -> None:
    before = rows(app)
    error = refused(
        api.post("/tenders", token=scene.token("staff"), json_body=tender_body(**overrides)), 422, field
    )
    assert rows(app) == before
    if field == "submission_deadline" and "T" in str(overrides[field]) and "+" not in overrides[field]:
        assert "时区" in error["fields"][field]


def test_moments_need_an_offset_and_count_to_the_second(app: Flask, api: ApiChecker, scene: Scene) -> None:
    moment = (utcnow() + timedelta(days=5)).replace(microsecond=0)
    written = moment.isoformat() + ".750Z"  # UTC, with a fraction of a second
    tender = done(
        api.post("/tenders", token=scene.token("staff"), json_body=tender_body(submission_deadline=written)),
        201,
    )
    assert tender["submission_deadline"] == to_local(moment).isoformat()
    assert tender["submission_deadline"].endswith("+08:00")
    with app.app_context():
        stored = db.session.get(Tender, tender["id"])
        assert stored is not None and stored.submission_deadline == moment


def test_shares_are_percentage_strings_not_numbers(app: Flask, api: ApiChecker, scene: Scene) -> None:
    tender_id = open_tender(api, scene)
    before = rows(app)
    refused(
        post_bid(api, scene, tender_id, "a", _pair(scene, 60, 40)),
        422,
        "members[0].share",
        "members[1].share",
    )
    refused(
        post_bid(api, scene, tender_id, "a", prime(scene, sub(scene, "s1", 20))),
        422,
        "subcontractors[0].share",
    )
    assert rows(app) == before
    bid = new_bid(api, scene, tender_id, "a", _pair(scene, "66.67", "33.33"))
    assert [item["share"] for item in bid["members"]] == ["66.67", "33.33"]


def test_only_staff_publish_tenders(app: Flask, api: ApiChecker, scene: Scene) -> None:
    before = rows(app)
    for who in ("a", "company"):
        refused(api.post("/tenders", token=scene.token(who), json_body=tender_body()), 403)
    assert api.post("/tenders", json_body=tender_body()).status_code == 401
    assert rows(app) == before


def test_a_second_bid_by_the_same_lead_is_a_conflict(app: Flask, api: ApiChecker, scene: Scene) -> None:
    """Any member of the lead organization is told to edit the bid it already has."""
    tender_id = open_tender(api, scene)
    new_bid(api, scene, tender_id, "a", single())
    before = rows(app)
    refused(post_bid(api, scene, tender_id, "a2", single(price=43_000_000)), 409, "tender")
    assert rows(app) == before


def test_a_grade_must_be_valid_on_the_local_day_of_the_deadline(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    """A 07:00 Wenzhou deadline falls on the previous day in UTC: the grade must be valid locally."""
    deadline_day = local_today() + timedelta(days=10)
    with app.app_context():
        organization = db.session.get(Organization, scene.org("e"))
        assert organization is not None
        organization.grade_valid_until = deadline_day - timedelta(days=1)
        db.session.commit()
    tender_id = open_tender(
        api, scene, submission_deadline=f"{deadline_day.isoformat()}T07:00:00+08:00", **_GATED
    )
    before = rows(app)
    refused(
        post_bid(api, scene, tender_id, "a", consortium(scene, "a", "e")), 422, "members[1].organization_id"
    )
    assert rows(app) == before


# ───────────── V8: state and timing ─────────────


def test_a_bidder_cannot_set_a_decision_through_transitions(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    tender_id = open_tender(api, scene)
    bid = submitted_alone(api, scene, tender_id, "a")
    state = bid_rows(app)
    for action in ("awarded", "valid", "disqualified", "award", "qualify"):
        refused(act(api, scene, bid["id"], "a", action), 403, "action")
    refused(act(api, scene, bid["id"], "a", "approve"), 422, "action")
    assert bid_rows(app) == state
    assert api.get(f"/bids/{bid['id']}", token=scene.token("a")).get_json()["status"] == "submitted"


def test_submitting_one_second_after_the_deadline_is_refused(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "a", consortium(scene))
    done(upload(api, scene, bid["id"]), 201)
    done(act(api, scene, bid["id"], "b", "confirm"))
    set_deadline(app, tender_id, -1)
    state = bid_rows(app)
    refused(act(api, scene, bid["id"], "a", "submit"), 409, "submission_deadline")
    assert bid_rows(app) == state


def test_before_the_deadline_the_same_submission_goes_through(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "a", consortium(scene))
    done(upload(api, scene, bid["id"]), 201)
    done(act(api, scene, bid["id"], "b", "confirm"))
    set_deadline(app, tender_id, 60)
    body = done(act(api, scene, bid["id"], "a2", "submit"))  # any member of the lead organization
    assert body["status"] == "submitted" and body["submitted_at"]
    assert datetime.fromisoformat(body["submitted_at"]).utcoffset() == OFFSET


def test_withdrawing_and_editing_after_the_deadline_are_refused(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    tender_id = open_tender(api, scene)
    bid = submitted_alone(api, scene, tender_id, "a")
    set_deadline(app, tender_id, -1)
    state = bid_rows(app)
    refused(act(api, scene, bid["id"], "a", "withdraw"), 409, "submission_deadline")
    refused(api.patch(f"/bids/{bid['id']}", token=scene.token("a"), json_body={"price": 1}), 409)
    refused(post_bid(api, scene, tender_id, "c", single()), 409, "submission_deadline")
    assert bid_rows(app) == state


def test_nothing_is_submitted_on_a_cancelled_tender(app: Flask, api: ApiChecker, scene: Scene) -> None:
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "a", single())
    cancelled = done(
        api.post(f"/tenders/{tender_id}/cancel", token=scene.token("staff"), json_body={"reason": "预算调整"})
    )
    assert cancelled["status"] == "cancelled" and cancelled["end_reason"] == "预算调整"
    assert api.get(f"/bids/{bid['id']}", token=scene.token("a")).get_json()["status"] == "cancelled"
    state = bid_rows(app)
    refused(act(api, scene, bid["id"], "a", "submit"), 409)
    refused(post_bid(api, scene, tender_id, "c", single()), 409, "tender")
    assert bid_rows(app) == state


def test_members_cannot_change_after_submission(app: Flask, api: ApiChecker, scene: Scene) -> None:
    tender_id = open_tender(api, scene)
    bid = submitted(api, scene, tender_id)
    state = bid_rows(app)
    path = f"/bids/{bid['id']}"
    swapped = [member(scene, "a", "lead", "60"), member(scene, "c", "member", "40")]
    refused(api.patch(path, token=scene.token("a"), json_body={"members": swapped}), 409, "members")
    refused(
        api.patch(path, token=scene.token("a"), json_body={"mode": "single", "members": swapped[:1]}), 409
    )
    assert bid_rows(app) == state
    assert api.get(path, token=scene.token("b")).get_json()["status"] == "submitted"


def test_only_the_lead_edits_submits_and_withdraws(app: Flask, api: ApiChecker, scene: Scene) -> None:
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "a", consortium(scene))
    state = bid_rows(app)
    path = f"/bids/{bid['id']}"
    refused(api.patch(path, token=scene.token("b"), json_body={"price": 1_000}), 403)
    for action in ("submit", "withdraw"):
        refused(act(api, scene, bid["id"], "b", action), 403)
    refused(act(api, scene, bid["id"], "c", "confirm"), 403)  # not in the bid
    refused(upload(api, scene, bid["id"], "b"), 403)
    assert bid_rows(app) == state


# ───────────── (b) the happy path through the API only ─────────────


def test_a_consortium_from_tender_to_signed_service_contract(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    staff = scene.token("staff")
    response = api.post("/tenders", token=staff, json_body=tender_body())
    tender = done(response, 201)
    assert response.headers["Location"] == f"/api/v1/tenders/{tender['id']}"
    assert tender["status"] == "open" and tender["budget"] == 50_000_000 and tender["currency"] == "CNY"
    assert tender["allows_consortium"] is True and tender["max_subcontract_share"] == "40"
    assert tender["buyer"]["name"] == "温州市鹿城区民政局" and tender["buyer"]["kind"] == "government"
    for name in ("submission_deadline", "published_at", "created_at"):
        assert datetime.fromisoformat(tender[name]).utcoffset() == OFFSET, name
    tender_id = tender["id"]
    assert api.get(f"/tenders/{tender_id}").get_json() == tender  # public

    response = post_bid(api, scene, tender_id, "a", consortium(scene))
    bid = done(response, 201)
    assert response.headers["Location"] == f"/api/v1/bids/{bid['id']}"
    assert bid["status"] == "draft" and bid["mode"] == "consortium" and bid["price"] == 45_000_000
    assert [(m["organization_id"], m["role"], m["share"], m["confirmed"]) for m in bid["members"]] == [
        (scene.org("a"), "lead", "60", False),
        (scene.org("b"), "member", "40", False),
    ]
    assert bid["unconfirmed"] == [scene.org("b")]
    # Submitting before the joint agreement and the partner's confirmation names both.
    refused(act(api, scene, bid["id"], "a", "submit"), 422, "documents.joint_agreement", "confirmations")

    document = done(upload(api, scene, bid["id"]), 201)
    assert document["kind"] == "joint_agreement" and document["size"] == len(PDF)
    assert re.fullmatch(r"[0-9a-f]{64}", document["sha256"])
    confirmed = done(act(api, scene, bid["id"], "b", "confirm"))
    assert confirmed["unconfirmed"] == [] and confirmed["members"][1]["confirmed"] is True
    bid = done(act(api, scene, bid["id"], "a", "submit"))
    assert bid["status"] == "submitted"

    # Before the deadline nobody evaluates; after it (set in the database), staff do.
    refused(evaluate(api, scene, tender_id, bid["id"]), 409, "submission_deadline")
    set_deadline(app, tender_id, -1)
    evaluated = done(evaluate(api, scene, tender_id, bid["id"], "88.5"))
    assert evaluated["status"] == "valid" and evaluated["score"] == "88.5"
    ranking = done(api.get(f"/tenders/{tender_id}/ranking", token=staff))["items"]
    assert [(item["bid_id"], item["position"], item["score"], item["price"]) for item in ranking] == [
        (bid["id"], 1, "88.5", 45_000_000)
    ]
    assert ranking[0]["grade"] == "A3" and ranking[0]["priority"] is True

    award = done(api.post(f"/tenders/{tender_id}/award", token=staff, json_body={"bid_id": bid["id"]}), 201)
    assert award["bid_id"] == bid["id"] and award["status"] == "pending" and award["value"] == 45_000_000
    assert award["suppliers"] == [scene.org("a"), scene.org("b")] and award["contract_signed"] is False
    assert api.get(f"/tenders/{tender_id}").get_json()["status"] == "awarded"
    assert api.get(f"/bids/{bid['id']}", token=scene.token("b")).get_json()["status"] == "awarded"

    agreement_id = award["agreement_id"]
    contract = done(api.get(f"/agreements/{agreement_id}", token=scene.token("a")))
    assert contract["type"] == "service_contract" and contract["status"] == "pending_signature"
    assert contract["company"] is None
    assert sorted((p["role"], p["organization_id"]) for p in contract["parties"]) == sorted(
        [("buyer", None), ("member", scene.org("a")), ("member", scene.org("b"))]
    )
    version = contract["pending_version"]
    for who in ("a", "b"):
        signing = {"action": "sign", "version_id": version["id"], "content_sha256": version["content_sha256"]}
        signed = done(
            api.post(f"/agreements/{agreement_id}/transitions", token=scene.token(who), json_body=signing)
        )
        assert signed["status"] == "pending_signature"  # the buyer has not signed yet
    buyer = next(p for p in contract["parties"] if p["role"] == "buyer")
    signature = done(
        api.post(
            f"/agreements/{agreement_id}/signatures",
            token=staff,
            json_body=buyer_signature(buyer["id"], version),
        ),
        201,
    )
    assert signature["party_id"] == buyer["id"] and signature["recorded_by_staff"] is True
    assert signature["signer_name"] == "王局长" and signature["evidence"] == "纸质合同 LC-2026-118 号"
    assert signature["version_sha256"] == version["content_sha256"]
    contract = done(api.get(f"/agreements/{agreement_id}", token=scene.token("b")))
    assert contract["status"] == "active"
    tender = done(api.get(f"/tenders/{tender_id}"))
    assert tender["awards"][0]["contract_signed"] is True

    package = api.get(f"/tenders/{tender_id}/ocds")
    assert package.status_code == 200 and package.mimetype == "application/json"
    release = package.get_json()["releases"][0]
    assert release["ocid"].endswith(f"-tender-{tender_id}")
    assert {party["id"] for party in release["parties"] if "supplier" in party["roles"]} == {
        f"org-{scene.org('a')}",
        f"org-{scene.org('b')}",
    }


def buyer_signature(party_id: int, version: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "party_id": party_id,
        "version_id": version["id"],
        "content_sha256": version["content_sha256"],
        "signer_name": "王局长",
        "signer_title": "局长",
        "evidence": "纸质合同 LC-2026-118 号",
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not ...}


def test_the_winner_declines_and_the_next_ranked_bid_gets_the_award(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    staff = scene.token("staff")
    tender_id = open_tender(api, scene)
    first = submitted(api, scene, tender_id, "a", "b", price=40_000_000)
    second = submitted(api, scene, tender_id, "c", "d", price=42_000_000)
    third = submitted_alone(api, scene, tender_id, "e")
    set_deadline(app, tender_id, -1)
    done(evaluate(api, scene, tender_id, first["id"], "90"))
    done(evaluate(api, scene, tender_id, second["id"], "85"))
    refused(
        api.post(
            f"/tenders/{tender_id}/evaluations",
            token=staff,
            json_body={"bid_id": third["id"], "result": "disqualified"},
        ),
        422,
        "reason",
    )
    disqualified = done(
        api.post(
            f"/tenders/{tender_id}/evaluations",
            token=staff,
            json_body={"bid_id": third["id"], "result": "disqualified", "reason": "缺少财务审计报告"},
        )
    )
    assert (
        disqualified["status"] == "disqualified" and disqualified["evaluation_reason"] == "缺少财务审计报告"
    )
    ranking = done(api.get(f"/tenders/{tender_id}/ranking", token=staff))["items"]
    assert [item["bid_id"] for item in ranking] == [first["id"], second["id"]]
    # The second-ranked bid cannot jump the queue.
    refused(
        api.post(f"/tenders/{tender_id}/award", token=staff, json_body={"bid_id": second["id"]}),
        409,
        "bid_id",
    )
    award = done(api.post(f"/tenders/{tender_id}/award", token=staff, json_body={"bid_id": first["id"]}), 201)

    decline = f"/tenders/{tender_id}/award/decline"
    refused(api.post(decline, token=staff, json_body={"reason": ""}), 422, "reason")
    result = done(api.post(decline, token=staff, json_body={"reason": "牵头方无法按期组建团队"}))
    assert result["tender_status"] == "awarded"
    assert result["award"]["bid_id"] == second["id"] and result["award"]["status"] == "pending"
    assert result["award"]["suppliers"] == [scene.org("c"), scene.org("d")]
    assert result["award"]["agreement_id"] != award["agreement_id"]
    tender = done(api.get(f"/tenders/{tender_id}"))
    assert [(item["bid_id"], item["status"]) for item in tender["awards"]] == [
        (first["id"], "declined"),
        (second["id"], "pending"),
    ]
    assert tender["awards"][0]["decline_reason"] == "牵头方无法按期组建团队"
    old = done(api.get(f"/agreements/{award['agreement_id']}", token=staff))
    assert old["status"] == "cancelled"
    assert api.get(f"/bids/{first['id']}", token=scene.token("a")).get_json()["status"] == "unsuccessful"

    result = done(api.post(decline, token=staff, json_body={"reason": "亦放弃签约"}))
    assert result == {"award": None, "tender_status": "unsuccessful"}
    refused(api.post(decline, token=staff, json_body={"reason": "再次放弃"}), 409, "award")


def test_a_tender_without_a_good_bid_ends_unsuccessful(app: Flask, api: ApiChecker, scene: Scene) -> None:
    staff = scene.token("staff")
    tender_id = open_tender(api, scene)
    bid = submitted_alone(api, scene, tender_id, "a")
    path = f"/tenders/{tender_id}/unsuccessful"
    refused(api.post(path, token=staff, json_body={"reason": "无有效投标"}), 409, "submission_deadline")
    set_deadline(app, tender_id, -1)
    done(
        api.post(
            f"/tenders/{tender_id}/evaluations",
            token=staff,
            json_body={"bid_id": bid["id"], "result": "disqualified", "reason": "报价明显低于成本"},
        )
    )
    refused(api.post(path, token=scene.token("a"), json_body={"reason": "x"}), 403)
    tender = done(api.post(path, token=staff, json_body={"reason": "无有效投标"}))
    assert tender["status"] == "unsuccessful" and tender["end_reason"] == "无有效投标"


def test_a_subcontract_takes_effect_only_with_the_buyers_consent(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    """V7: activating a subcontract without the buyer's consent is refused."""
    staff = scene.token("staff")
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "a", prime(scene, sub(scene, "s1", "25")))
    line = bid["subcontractors"][0]
    assert (line["share"], line["is_core_work"], line["consent_status"]) == ("25", False, "none")
    done(act(api, scene, bid["id"], "s1", "confirm"))
    done(act(api, scene, bid["id"], "a", "submit"))
    set_deadline(app, tender_id, -1)
    done(evaluate(api, scene, tender_id, bid["id"]))
    done(api.post(f"/tenders/{tender_id}/award", token=staff, json_body={"bid_id": bid["id"]}), 201)
    base = f"/bids/{bid['id']}/subcontracts/{line['id']}"
    before = bid_rows(app)
    refused(api.post(f"{base}/activate", token=staff), 409, "subcontract_id")
    refused(api.post(f"{base}/activate", token=scene.token("a")), 403)
    refused(
        api.post(f"{base}/consent", token=staff, json_body={"consented": None, "note": "x"}), 422, "consented"
    )
    refused(api.post(f"{base}/consent", token=staff, json_body={"consented": True, "note": ""}), 422, "note")
    refused(
        api.post(f"{base}/consent", token=scene.token("a"), json_body={"consented": True, "note": "x"}), 403
    )
    assert bid_rows(app) == before
    refused_line = done(
        api.post(f"{base}/consent", token=staff, json_body={"consented": False, "note": "采购人复函不同意"})
    )["subcontractors"][0]
    assert refused_line["consent_status"] == "refused"
    refused(api.post(f"{base}/activate", token=staff), 409, "subcontract_id")
    consented = done(
        api.post(f"{base}/consent", token=staff, json_body={"consented": True, "note": "鹿民函〔2026〕18号"})
    )
    assert consented["subcontractors"][0]["consent_status"] == "consented"
    active = done(api.post(f"{base}/activate", token=staff))["subcontractors"][0]
    assert active["activated_at"] and datetime.fromisoformat(active["activated_at"]).utcoffset() == OFFSET


# ───────────── V10: the staff-recorded buyer signature ─────────────


def awarded_contract(app: Flask, api: ApiChecker, scene: Scene) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """An awarded consortium a+b: the contract id, its parties by role and the version to sign."""
    tender_id = open_tender(api, scene)
    bid = submitted(api, scene, tender_id)
    set_deadline(app, tender_id, -1)
    done(evaluate(api, scene, tender_id, bid["id"]))
    award = done(
        api.post(f"/tenders/{tender_id}/award", token=scene.token("staff"), json_body={"bid_id": bid["id"]}),
        201,
    )
    contract = done(api.get(f"/agreements/{award['agreement_id']}", token=scene.token("staff")))
    parties = {
        "buyer": next(p for p in contract["parties"] if p["role"] == "buyer"),
        **{
            who: next(p for p in contract["parties"] if p["organization_id"] == scene.org(who))
            for who in "ab"
        },
    }
    return contract["id"], parties, contract["pending_version"]


def test_the_buyer_signature_is_recorded_by_staff_only_once_and_bound_to_the_hash(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    agreement_id, parties, version = awarded_contract(app, api, scene)
    path = f"/agreements/{agreement_id}/signatures"
    staff = scene.token("staff")
    buyer = parties["buyer"]["id"]

    def signatures() -> list[Any]:
        return done(api.get(f"/agreements/{agreement_id}", token=staff))["signatures"]

    refused(api.post(path, token=scene.token("a"), json_body=buyer_signature(buyer, version)), 403)
    refused(api.post(path, token=scene.token("c"), json_body=buyer_signature(buyer, version)), 404)
    refused(
        api.post(path, token=staff, json_body=buyer_signature(buyer, version, content_sha256="0" * 64)),
        409,
        "content_sha256",
    )
    refused(
        api.post(path, token=staff, json_body=buyer_signature(parties["b"]["id"], version)), 403, "party_id"
    )
    refused(
        api.post(path, token=staff, json_body=buyer_signature(buyer, version, evidence="")), 422, "evidence"
    )
    refused(
        api.post(
            path,
            token=staff,
            json_body={k: v for k, v in buyer_signature(buyer, version).items() if k != "party_id"},
        ),
        422,
        "party_id",
    )
    assert signatures() == []
    done(api.post(path, token=staff, json_body=buyer_signature(buyer, version)), 201)
    refused(api.post(path, token=staff, json_body=buyer_signature(buyer, version)), 409)
    assert len(signatures()) == 1


def test_the_contract_is_active_only_when_the_buyer_and_every_member_signed(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    agreement_id, parties, version = awarded_contract(app, api, scene)
    staff = scene.token("staff")
    done(
        api.post(
            f"/agreements/{agreement_id}/signatures",
            token=staff,
            json_body=buyer_signature(parties["buyer"]["id"], version),
        ),
        201,
    )
    signing = {"action": "sign", "version_id": version["id"], "content_sha256": version["content_sha256"]}
    transitions = f"/agreements/{agreement_id}/transitions"
    # Staff cannot sign for a member; the lead alone does not make the contract.
    refused(api.post(transitions, token=staff, json_body=signing), 403)
    assert (
        done(api.post(transitions, token=scene.token("a"), json_body=signing))["status"]
        == "pending_signature"
    )
    assert done(api.post(transitions, token=scene.token("b"), json_body=signing))["status"] == "active"


# ───────────── (c) invalidation on edit ─────────────


def test_editing_a_submitted_bid_makes_it_invalid_until_reconfirmed(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    tender_id = open_tender(api, scene)
    bid = submitted(api, scene, tender_id)
    path = f"/bids/{bid['id']}"
    edited = done(api.patch(path, token=scene.token("a"), json_body={"price": 44_000_000}))
    assert edited["status"] == "invalid" and edited["price"] == 44_000_000
    assert edited["revision"] > bid["revision"] and edited["invalidated_reason"]
    assert edited["unconfirmed"] == [scene.org("b")]
    refused(act(api, scene, bid["id"], "a", "submit"), 422, "confirmations")
    done(act(api, scene, bid["id"], "b", "confirm"))
    assert done(act(api, scene, bid["id"], "a", "submit"))["status"] == "submitted"
    # Shares may change after submission (the membership may not): invalid again.
    shares = [member(scene, "a", "lead", "55"), member(scene, "b", "member", "45")]
    edited = done(api.patch(path, token=scene.token("a"), json_body={"members": shares}))
    assert edited["status"] == "invalid" and [m["share"] for m in edited["members"]] == ["55", "45"]
    # A bad edit changes nothing.
    state = bid_rows(app)
    bad = [member(scene, "a", "lead", "55"), member(scene, "b", "member", "44.999")]
    refused(
        api.patch(path, token=scene.token("a"), json_body={"members": bad, "price": 0}),
        422,
        "members[1].share",
        "price",
    )
    assert bid_rows(app) == state


def test_removing_a_document_after_submission_makes_the_bid_invalid(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    tender_id = open_tender(api, scene)
    bid = submitted(api, scene, tender_id)
    document_id = bid["documents"][0]["id"]
    path = f"/bids/{bid['id']}/documents/{document_id}"
    refused(api.delete(path, token=scene.token("b")), 403)
    after = done(api.delete(path, token=scene.token("a")))
    assert after["status"] == "invalid" and after["documents"] == []
    refused(api.delete(path, token=scene.token("a")), 404)
    refused(act(api, scene, bid["id"], "a", "submit"), 422, "documents.joint_agreement", "confirmations")


def test_a_substantive_tender_edit_invalidates_submitted_bids(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    staff = scene.token("staff")
    tender_id = open_tender(api, scene)
    bid = submitted(api, scene, tender_id)
    draft = new_bid(api, scene, tender_id, "c", single())
    path = f"/tenders/{tender_id}"
    tender = done(api.patch(path, token=staff, json_body={"title": "鹿城区困境儿童关爱服务采购（更正）"}))
    assert tender["revision"] == 1  # a title is not substantive
    assert api.get(f"/bids/{bid['id']}", token=scene.token("a")).get_json()["status"] == "submitted"
    deadline = local_moment(days=12)
    tender = done(
        api.patch(path, token=staff, json_body={"budget": 48_000_000, "submission_deadline": deadline})
    )
    assert tender["revision"] == 2 and tender["budget"] == 48_000_000
    assert tender["submission_deadline"] == deadline
    after = done(api.get(f"/bids/{bid['id']}", token=scene.token("b")))
    assert after["status"] == "invalid" and after["unconfirmed"] == [scene.org("b")]
    assert done(api.get(f"/bids/{draft['id']}", token=scene.token("c")))["status"] == "draft"
    # Non-staff cannot edit; a bad edit changes nothing; the buyer cannot be changed.
    before = tender
    refused(api.patch(path, token=scene.token("a"), json_body={"budget": 1}), 403)
    refused(
        api.patch(path, token=staff, json_body={"budget": 1.5, "max_members": 1}),
        422,
        "budget",
        "max_members",
    )
    refused(api.patch(path, token=staff, json_body={"buyer_name": "别的局"}), 422, "buyer_name")
    refused(api.patch(path, token=staff, json_body={"allows_consortium": False}), 422, "allows_consortium")
    assert done(api.get(path)) == before
    set_deadline(app, tender_id, -1)
    refused(api.patch(path, token=staff, json_body={"title": "截止后修改"}), 409, "submission_deadline")


# ───────────── reading ─────────────


def test_a_bid_is_seen_by_its_organizations_and_staff_only(app: Flask, api: ApiChecker, scene: Scene) -> None:
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "a", prime(scene, sub(scene, "s1")))
    path = f"/bids/{bid['id']}"
    for who in ("a", "a2", "s1", "staff"):
        assert done(api.get(path, token=scene.token(who)))["id"] == bid["id"]
    for who in ("c", "company"):
        refused(api.get(path, token=scene.token(who)), 403)
    assert api.get(path).status_code == 401
    refused(api.get("/bids/999999", token=scene.token("staff")), 404)


def test_listing_bids(app: Flask, api: ApiChecker, scene: Scene) -> None:
    first = open_tender(api, scene)
    second = open_tender(api, scene, title="瓯海区青少年防溺水安全教育采购")
    mine = new_bid(api, scene, first, "a", consortium(scene))
    also = new_bid(api, scene, second, "a", single())
    theirs = new_bid(api, scene, first, "c", single())

    def ids(who: str, query: str = "") -> list[int]:
        return [item["id"] for item in done(api.get(f"/bids{query}", token=scene.token(who)))["items"]]

    assert ids("a") == [also["id"], mine["id"]]
    assert ids("b") == [mine["id"]]  # a member sees the bids it is named in
    assert ids("a", f"?tender_id={first}") == [mine["id"]]
    refused(api.get("/bids", token=scene.token("company")), 403)  # bids are organizations' business
    assert ids("staff") == [theirs["id"], also["id"], mine["id"]]
    assert ids("staff", f"?tender_id={first}") == [theirs["id"], mine["id"]]
    refused(api.get("/bids?tender_id=abc", token=scene.token("staff")), 422, "tender_id")


def test_listing_and_reading_tenders(app: Flask, api: ApiChecker, scene: Scene) -> None:
    children = open_tender(api, scene)
    foundation = open_tender(
        api,
        scene,
        title="助老服务项目征集",
        buyer_name="温州市慈善总会",
        buyer_kind="foundation",
        category="elderly",
        district="瓯海区",
        method="foundation_call",
        submission_deadline=local_moment(days=20),
    )

    def ids(query: str = "") -> list[int]:
        return [item["id"] for item in done(api.get(f"/tenders{query}"))["items"]]

    assert ids() == [foundation, children]  # latest deadline first
    assert ids("?buyer_kind=foundation") == [foundation]
    assert ids("?category=children") == [children]
    assert ids("?district=瓯海区") == [foundation]
    assert ids("?status=open") == [foundation, children]
    assert ids("?status=awarded") == []
    refused(api.get("/tenders?status=nope"), 422, "status")
    refused(api.get("/tenders?buyer_kind=company"), 422, "buyer_kind")
    body = done(api.get(f"/tenders/{foundation}", token=scene.token("a")))
    assert body["buyer"]["kind"] == "foundation" and body["method"] == "foundation_call"
    assert body["max_subcontract_share"] == "40" and body["required_documents"] == ["投标方案", "联合体协议"]
    refused(api.get("/tenders/999999"), 404)


def test_the_ocds_export_is_public_json(app: Flask, api: ApiChecker, scene: Scene) -> None:
    tender_id = open_tender(api, scene)
    submitted(api, scene, tender_id)
    response = api.get(f"/tenders/{tender_id}/ocds")
    assert response.status_code == 200 and response.mimetype == "application/json"
    package = response.get_json()
    assert package["version"] == "1.1" and package["uri"].endswith(f"/api/v1/tenders/{tender_id}/ocds")
    (release,) = package["releases"]
    assert release["ocid"].endswith(f"-tender-{tender_id}") and release["id"].startswith(release["ocid"])
    assert release["tender"]["status"] == "active"
    assert "bids" not in release  # sealed until the deadline
    refused(api.get("/tenders/999999/ocds"), 404)


# ───────────── the partner finder ─────────────


def test_a_lead_finds_partners_and_invites_one(app: Flask, api: ApiChecker, scene: Scene) -> None:
    tender_id = open_tender(api, scene)
    path = f"/tenders/{tender_id}/partners"
    items = done(api.get(path, token=scene.token("a")))["items"]
    suggested = {item["organization_id"] for item in items}
    assert scene.org("b") in suggested and scene.org("a") not in suggested
    assert scene.org("unverified") not in suggested and scene.org("league") not in suggested
    assert all(item["reasons"] and 0 <= item["score"] <= 100 and item["invited"] is False for item in items)
    assert [item["score"] for item in items] == sorted((item["score"] for item in items), reverse=True)
    assert all(CJK.search(reason["text"]) for item in items for reason in item["reasons"])
    assert len(done(api.get(f"{path}?limit=2", token=scene.token("a")))["items"]) <= 2
    staff_view = done(api.get(f"{path}?organization_id={scene.org('a')}", token=scene.token("staff")))[
        "items"
    ]
    assert [item["organization_id"] for item in staff_view] == [item["organization_id"] for item in items]
    refused(api.get(f"{path}?organization_id={scene.org('a')}", token=scene.token("c")), 403)
    refused(api.get(path, token=scene.token("staff")), 422, "organization_id")
    refused(api.get(f"{path}?limit=0", token=scene.token("a")), 422, "limit")

    invitations = f"/tenders/{tender_id}/invitations"
    body = {"organization_id": scene.org("b"), "message": "希望与贵中心联合承接心理支持部分"}
    invitation = done(api.post(invitations, token=scene.token("a"), json_body=body), 201)
    assert invitation["organization"]["id"] == scene.org("b") and invitation["status"] == "pending"
    assert invitation["lead_organization"]["id"] == scene.org("a") and invitation["reasons"]
    again = done(api.post(invitations, token=scene.token("a2"), json_body=body), 201)
    assert again["id"] == invitation["id"]  # one invitation per pair
    marked = done(api.get(path, token=scene.token("a")))["items"]
    assert [item["invited"] for item in marked if item["organization_id"] == scene.org("b")] == [True]
    before = rows(app)
    refused(api.post(invitations, token=scene.token("a"), json_body={"organization_id": scene.org("a")}), 422)
    refused(api.post(invitations, token=scene.token("a"), json_body={}), 422, "organization_id")
    refused(
        api.post(invitations, token=scene.token("a"), json_body={"organization_id": scene.org("unverified")}),
        409,
    )
    refused(api.post(invitations, token=scene.token("staff"), json_body=body), 403)
    assert rows(app) == before


# ───────────── the document ─────────────


def _disk_full(*_args: object, **_kwargs: object) -> str:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_tender_endpoints_match_the_document(
    app: Flask, api: ApiChecker, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every documented response of the tender, bid, award and buyer-signature endpoints is produced
    (and validated) here."""
    staff, lead, partner, outsider = (scene.token(who) for who in ("staff", "a", "b", "c"))
    bad_json = {"data": "{", "content_type": "application/json"}
    not_json = {"data": "x=1", "content_type": "text/plain"}

    # /tenders
    assert api.get("/tenders").status_code == 200
    assert api.get("/tenders", token="qqc_bad").status_code == 401
    assert api.get("/tenders?status=nope").status_code == 422
    created = api.post("/tenders", token=staff, json_body=tender_body())
    assert created.status_code == 201
    tender_id = created.get_json()["id"]
    assert api.post("/tenders", token=staff, **bad_json).status_code == 400
    assert api.post("/tenders", json_body=tender_body()).status_code == 401
    assert api.post("/tenders", token=lead, json_body=tender_body()).status_code == 403
    assert api.post("/tenders", token=staff, **not_json).status_code == 415
    assert api.post("/tenders", token=staff, json_body=tender_body(budget=1.5)).status_code == 422

    # /tenders/{id}
    tender = f"/tenders/{tender_id}"
    assert api.get(tender).status_code == 200
    assert api.get(tender, token="qqc_bad").status_code == 401
    assert api.get("/tenders/999999").status_code == 404
    assert api.patch(tender, token=staff, json_body={"title": "改名"}).status_code == 200
    assert api.patch(tender, token=staff, **bad_json).status_code == 400
    assert api.patch(tender, json_body={}).status_code == 401
    assert api.patch(tender, token=lead, json_body={"title": "x"}).status_code == 403
    assert api.patch("/tenders/999999", token=staff, json_body={}).status_code == 404
    assert api.patch(tender, token=staff, **not_json).status_code == 415
    assert api.patch(tender, token=staff, json_body={"budget": "1"}).status_code == 422

    # /tenders/{id}/ocds
    assert api.get(f"{tender}/ocds").status_code == 200
    assert api.get(f"{tender}/ocds", token="qqc_bad").status_code == 401
    assert api.get("/tenders/999999/ocds").status_code == 404

    # /tenders/{id}/bids
    bids = f"{tender}/bids"
    created = api.post(bids, token=lead, json_body=consortium(scene))
    assert created.status_code == 201
    bid_id = created.get_json()["id"]
    assert api.post(bids, token=lead, **bad_json).status_code == 400
    assert api.post(bids, json_body=single()).status_code == 401
    assert api.post(bids, token=staff, json_body=single()).status_code == 403
    assert api.post("/tenders/999999/bids", token=lead, json_body=single()).status_code == 404
    assert api.post(bids, token=lead, **not_json).status_code == 415
    assert api.post(bids, token=outsider, json_body=single(price=0)).status_code == 422

    # /bids, /bids/{id}
    assert api.get("/bids", token=lead).status_code == 200
    assert api.get("/bids").status_code == 401
    assert api.get("/bids", token=scene.token("company")).status_code == 403
    assert api.get("/bids?tender_id=0", token=lead).status_code == 422
    bid = f"/bids/{bid_id}"
    assert api.get(bid, token=partner).status_code == 200
    assert api.get(bid).status_code == 401
    assert api.get(bid, token=outsider).status_code == 403
    assert api.get("/bids/999999", token=lead).status_code == 404
    assert api.patch(bid, token=lead, json_body={"proposal": "补充服务方案"}).status_code == 200
    assert api.patch(bid, token=lead, **bad_json).status_code == 400
    assert api.patch(bid, json_body={}).status_code == 401
    assert api.patch(bid, token=partner, json_body={"price": 1}).status_code == 403
    assert api.patch("/bids/999999", token=lead, json_body={}).status_code == 404
    assert api.patch(bid, token=lead, **not_json).status_code == 415
    assert api.patch(bid, token=lead, json_body={"price": -1}).status_code == 422

    # documents
    documents = f"{bid}/documents"
    uploaded = upload(api, scene, bid_id)
    assert uploaded.status_code == 201
    document_id = uploaded.get_json()["id"]
    assert api.post(documents, data={"kind": "other"}, content_type="multipart/form-data").status_code == 401
    assert upload(api, scene, bid_id, "b").status_code == 403
    assert upload(api, scene, 999999).status_code == 404
    assert api.post(documents, token=lead, json_body={"kind": "other"}).status_code == 415
    assert send_document(api, scene, bid_id, big_pdf(11)).status_code == 413
    with monkeypatch.context() as full:  # tests/faults/test_disk_full.py fills a real disk
        full.setattr(uploads, "_write_atomically", _disk_full)
        assert upload(api, scene, bid_id, kind="other").status_code == 503
    assert upload(api, scene, bid_id, kind="photo").status_code == 422
    extra = upload(api, scene, bid_id, kind="other").get_json()["id"]
    assert api.delete(f"{documents}/{extra}", token=lead).status_code == 200
    assert api.delete(f"{documents}/{extra}").status_code == 401
    assert api.delete(f"{documents}/{document_id}", token=partner).status_code == 403
    assert api.delete(f"{documents}/{extra}", token=lead).status_code == 404

    # transitions
    transitions = f"{bid}/transitions"
    assert api.post(transitions, token=partner, json_body={"action": "confirm"}).status_code == 200
    assert api.post(transitions, token=lead, **bad_json).status_code == 400
    assert api.post(transitions, json_body={"action": "submit"}).status_code == 401
    assert api.post(transitions, token=lead, json_body={"action": "awarded"}).status_code == 403
    assert api.post("/bids/999999/transitions", token=lead, json_body={"action": "submit"}).status_code == 404
    assert api.post(transitions, token=lead, **not_json).status_code == 415
    assert api.post(transitions, token=lead, json_body={"action": "fly"}).status_code == 422
    assert api.post(transitions, token=lead, json_body={"action": "submit"}).status_code == 200

    # a prime-with-subs bid for the subcontract endpoints, and a bid to decline to
    prime_bid = new_bid(api, scene, tender_id, "d", prime(scene, sub(scene, "s1")))
    done(act(api, scene, prime_bid["id"], "s1", "confirm"))
    done(act(api, scene, prime_bid["id"], "d", "submit"))
    subcontract = f"/bids/{prime_bid['id']}/subcontracts/{prime_bid['subcontractors'][0]['id']}"
    consent = {"consented": True, "note": "鹿民函〔2026〕18号"}
    assert api.post(f"{subcontract}/consent", token=staff, **bad_json).status_code == 400
    assert api.post(f"{subcontract}/consent", json_body=consent).status_code == 401
    assert api.post(f"{subcontract}/consent", token=scene.token("d"), json_body=consent).status_code == 403
    assert (
        api.post(
            f"/bids/{prime_bid['id']}/subcontracts/999999/consent", token=staff, json_body=consent
        ).status_code
        == 404
    )
    assert api.post(f"{subcontract}/consent", token=staff, **not_json).status_code == 415
    assert api.post(f"{subcontract}/consent", token=staff, json_body={"consented": True}).status_code == 422
    assert api.post(f"{subcontract}/activate", token=staff).status_code == 409  # not awarded, no consent
    assert api.post(f"{subcontract}/activate").status_code == 401
    assert api.post(f"{subcontract}/activate", token=scene.token("d")).status_code == 403
    assert api.post(f"/bids/{prime_bid['id']}/subcontracts/999999/activate", token=staff).status_code == 404

    # partners and invitations (while open)
    partners = f"{tender}/partners"
    assert api.get(partners, token=scene.token("e")).status_code == 200
    assert api.get(partners).status_code == 401
    assert api.get(f"{partners}?organization_id={scene.org('e')}", token=outsider).status_code == 403
    assert api.get(f"{partners}?organization_id=999999", token=staff).status_code == 404
    assert api.get("/tenders/999999/partners", token=lead).status_code == 404
    assert api.get(f"{partners}?limit=0", token=lead).status_code == 422
    invitations = f"{tender}/invitations"
    invite = {"organization_id": scene.org("e")}
    assert api.post(invitations, token=scene.token("s2"), json_body=invite).status_code == 201
    assert api.post(invitations, token=lead, **bad_json).status_code == 400
    assert api.post(invitations, json_body=invite).status_code == 401
    assert api.post(invitations, token=staff, json_body=invite).status_code == 403
    assert api.post("/tenders/999999/invitations", token=lead, json_body=invite).status_code == 404
    committed = {"organization_id": scene.org("s1")}  # bound to d's bid as its subcontractor
    assert api.post(invitations, token=lead, json_body=committed).status_code == 409
    assert api.post(invitations, token=lead, **not_json).status_code == 415
    assert (
        api.post(invitations, token=scene.token("s2"), json_body={"organization_id": "x"}).status_code == 422
    )

    # evaluation, ranking and award (after the deadline)
    evaluations = f"{tender}/evaluations"
    evaluation = {"bid_id": bid_id, "result": "valid", "score": "90"}
    assert api.post(evaluations, token=staff, json_body=evaluation).status_code == 409  # before the deadline
    assert api.post(f"{tender}/award", token=staff, json_body={"bid_id": bid_id}).status_code == 409
    assert api.post(f"{tender}/unsuccessful", token=staff, json_body={"reason": "x"}).status_code == 409
    set_deadline(app, tender_id, -1)
    assert api.patch(tender, token=staff, json_body={"title": "截止后"}).status_code == 409
    assert api.post(bids, token=scene.token("e"), json_body=single()).status_code == 409
    assert api.patch(bid, token=lead, json_body={"price": 1_000}).status_code == 409
    assert api.post(transitions, token=lead, json_body={"action": "withdraw"}).status_code == 409
    assert api.post(evaluations, token=staff, json_body=evaluation).status_code == 200
    assert (
        api.post(
            evaluations, token=staff, json_body={**evaluation, "bid_id": prime_bid["id"], "score": "80"}
        ).status_code
        == 200
    )
    assert api.post(evaluations, token=staff, **bad_json).status_code == 400
    assert api.post(evaluations, json_body=evaluation).status_code == 401
    assert api.post(evaluations, token=lead, json_body=evaluation).status_code == 403
    assert api.post(evaluations, token=staff, json_body={**evaluation, "bid_id": 999999}).status_code == 404
    assert api.post(evaluations, token=staff, **not_json).status_code == 415
    assert api.post(evaluations, token=staff, json_body={**evaluation, "score": 90.5}).status_code == 422
    ranking = f"{tender}/ranking"
    assert api.get(ranking, token=staff).status_code == 200
    assert api.get(ranking).status_code == 401
    assert api.get(ranking, token=lead).status_code == 403
    assert api.get("/tenders/999999/ranking", token=staff).status_code == 404

    award = f"{tender}/award"
    assert api.post(award, token=staff, **bad_json).status_code == 400
    assert api.post(award, json_body={"bid_id": bid_id}).status_code == 401
    assert api.post(award, token=lead, json_body={"bid_id": bid_id}).status_code == 403
    assert api.post(award, token=staff, json_body={"bid_id": 999999}).status_code == 404
    assert (
        api.post(award, token=staff, json_body={"bid_id": prime_bid["id"]}).status_code == 409
    )  # ranked second
    assert api.post(award, token=staff, **not_json).status_code == 415
    assert api.post(award, token=staff, json_body={}).status_code == 422
    awarded = api.post(award, token=staff, json_body={"bid_id": bid_id})
    assert awarded.status_code == 201
    agreement_id = awarded.get_json()["agreement_id"]

    # the buyer's signature
    contract = done(api.get(f"/agreements/{agreement_id}", token=staff))
    version = contract["pending_version"]
    buyer = next(p for p in contract["parties"] if p["role"] == "buyer")
    signatures = f"/agreements/{agreement_id}/signatures"
    good = buyer_signature(buyer["id"], version)
    assert api.post(signatures, token=staff, **bad_json).status_code == 400
    assert api.post(signatures, json_body=good).status_code == 401
    assert api.post(signatures, token=lead, json_body=good).status_code == 403
    assert api.post(signatures, token=outsider, json_body=good).status_code == 404
    assert (
        api.post(signatures, token=staff, json_body={**good, "content_sha256": "f" * 64}).status_code == 409
    )
    assert api.post(signatures, token=staff, **not_json).status_code == 415
    assert api.post(signatures, token=staff, json_body={**good, "signer_name": ""}).status_code == 422
    assert api.post(signatures, token=staff, json_body=good).status_code == 201

    # decline → the prime bid; decline again → unsuccessful
    decline = f"{tender}/award/decline"
    assert api.post(decline, token=staff, **bad_json).status_code == 400
    assert api.post(decline, json_body={"reason": "x"}).status_code == 401
    assert api.post(decline, token=lead, json_body={"reason": "x"}).status_code == 403
    assert (
        api.post("/tenders/999999/award/decline", token=staff, json_body={"reason": "x"}).status_code == 404
    )
    assert api.post(decline, token=staff, **not_json).status_code == 415
    assert api.post(decline, token=staff, json_body={"reason": ""}).status_code == 422
    assert api.post(decline, token=staff, json_body={"reason": "放弃签约"}).status_code == 200
    assert api.post(f"{subcontract}/consent", token=staff, json_body=consent).status_code == 200
    assert api.post(f"{subcontract}/activate", token=staff).status_code == 200
    assert (
        api.post(f"{subcontract}/consent", token=staff, json_body=consent).status_code == 409
    )  # already active
    assert api.post(decline, token=staff, json_body={"reason": "亦放弃"}).status_code == 200
    assert api.post(decline, token=staff, json_body={"reason": "再放弃"}).status_code == 409
    assert api.delete(f"{documents}/{document_id}", token=lead).status_code == 409  # the tender has ended

    # unsuccessful and cancel on a second tender
    other_id = open_tender(api, scene)
    other = f"/tenders/{other_id}"
    alone = submitted_alone(api, scene, other_id, "e")
    set_deadline(app, other_id, -1)
    done(
        api.post(
            f"{other}/evaluations",
            token=staff,
            json_body={"bid_id": alone["id"], "result": "disqualified", "reason": "资质不符"},
        )
    )
    unsuccessful = f"{other}/unsuccessful"
    assert api.post(unsuccessful, token=staff, **bad_json).status_code == 400
    assert api.post(unsuccessful, json_body={"reason": "x"}).status_code == 401
    assert api.post(unsuccessful, token=lead, json_body={"reason": "x"}).status_code == 403
    assert api.post("/tenders/999999/unsuccessful", token=staff, json_body={"reason": "x"}).status_code == 404
    assert api.post(unsuccessful, token=staff, **not_json).status_code == 415
    assert api.post(unsuccessful, token=staff, json_body={"reason": ""}).status_code == 422
    assert api.post(unsuccessful, token=staff, json_body={"reason": "无有效投标"}).status_code == 200
    cancel_id = open_tender(api, scene)
    cancel = f"/tenders/{cancel_id}/cancel"
    assert api.post(cancel, token=staff, **bad_json).status_code == 400
    assert api.post(cancel, json_body={"reason": "x"}).status_code == 401
    assert api.post(cancel, token=lead, json_body={"reason": "x"}).status_code == 403
    assert api.post("/tenders/999999/cancel", token=staff, json_body={"reason": "x"}).status_code == 404
    assert api.post(cancel, token=staff, **not_json).status_code == 415
    assert api.post(cancel, token=staff, json_body={"reason": ""}).status_code == 422
    assert api.post(cancel, token=staff, json_body={"reason": "预算调整"}).status_code == 200
    assert api.post(cancel, token=staff, json_body={"reason": "再次取消"}).status_code == 409
    assert api.patch(f"/tenders/{cancel_id}", token=staff, json_body={"title": "x"}).status_code == 409
    cancelled_bid = f"/bids/{alone['id']}"
    assert (
        api.post(
            f"{cancelled_bid}/documents",
            token=scene.token("e"),
            data={"kind": "other", "file": (io.BytesIO(PDF), "a.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 409
    )

    documented = {
        (path, method, status)
        for path, item in SPEC["paths"].items()
        if path in TENDER_PATHS
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status in operation["responses"]
    }
    assert {path for path, _, _ in documented} == TENDER_PATHS
    assert not documented - api.seen, f"documented responses never produced: {sorted(documented - api.seen)}"


def big_pdf(megabytes: int) -> bytes:
    """A PDF of about ``megabytes`` MB: a long comment after the header."""
    header = b"%PDF-1.4\n"
    return header + b"%" + b"x" * (megabytes * 1024 * 1024) + b"\n" + PDF.removeprefix(header)


def send_document(api: ApiChecker, scene: Scene, bid_id: int, data: bytes) -> Any:
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        MultiDict(
            [
                ("kind", "proposal"),
                ("title", "投标方案"),
                ("file", FileStorage(io.BytesIO(data), "proposal.pdf", content_type="application/pdf")),
            ]
        )
    )
    return api.post(
        f"/bids/{bid_id}/documents",
        token=scene.token("a"),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_bid_documents_up_to_10_mb_fit_and_larger_ones_are_refused(
    app: Flask, api: ApiChecker, scene: Scene
) -> None:
    """A bid document may be a 10 MB PDF although the app-wide request limit is sized for one image:
    the documents endpoint raises its own limit; a larger body gets 413 and nothing is stored."""
    tender_id = open_tender(api, scene)
    bid = new_bid(api, scene, tender_id, "a", consortium(scene))
    big = big_pdf(9)
    assert app.config["MAX_CONTENT_LENGTH"] < len(big) <= 10 * 1024 * 1024
    assert done(send_document(api, scene, bid["id"], big), 201)["kind"] == "proposal"
    assert send_document(api, scene, bid["id"], big_pdf(11)).status_code == 413
    with app.app_context():
        assert len(db.session.get(Bid, bid["id"]).documents) == 1
