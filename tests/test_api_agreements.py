"""The partnership-agreement API: staff broker an agreement from draft through a version, its proposal
and two signatures to active with its tranches scheduled as pledges; every bad input of issue 6 is
refused with its status and field and changes nothing; changes requested, a new round, the diff,
termination, the audit trail's hash chain, who sees what. Every request goes through ``ApiChecker``,
so every response is also validated against the OpenAPI document."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.agreements import terms as rules
from marketplace.agreements.models import Agreement, AgreementComment, AgreementSignature, AgreementVersion
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.pledges.models import Pledge
from marketplace.timeutil import local_today
from tests import factories
from tests.test_api_openapi import HTTP_METHODS, SPEC, ApiChecker
from tests.test_api_pledges import Cast, build_cast, confirm, user_by_email

SHA256 = re.compile(r"^[0-9a-f]{64}$")
CJK = re.compile(r"[\u4e00-\u9fff]")
# For tests/test_api_openapi.py: these paths' documented responses are all produced here.
AGREEMENT_PATHS = frozenset(
    {
        "/agreements",
        "/agreements/{agreement_id}",
        "/agreements/{agreement_id}/transitions",
        "/agreements/{agreement_id}/events",
        "/agreements/{agreement_id}/versions",
        "/agreements/{agreement_id}/versions/{version_id}",
        "/agreements/{agreement_id}/diff",
    }
)
TERMS: dict[str, Any] = {
    "scope": "共同开展鹿城区独居老人助餐与防溺水安全教育",
    "obligations": {
        "company": "按拨付计划出资，并每季度组织员工志愿服务",
        "organization": "执行项目，每季度提交资金使用报告",
    },
    "in_kind": "每年捐赠救生衣 200 件",
    "volunteers": 120,
    "kpis": ["服务独居老人 300 人次", "开展安全课 24 场"],
    "confidentiality": "双方对受助人信息保密",
    "dispute": "协商不成的，提交温州仲裁委员会仲裁",
    "extra": ["本协议一式三份"],
}


@pytest.fixture
def api(client: Any) -> ApiChecker:
    return ApiChecker(client)


@pytest.fixture
def cast(app: Flask, world: factories.World) -> Cast:
    return build_cast(app, world)


def day(offset: int) -> str:
    return (local_today() + timedelta(days=offset)).isoformat()


def agreement_body(cast: Cast, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "助老与安全教育战略合作协议",
        "company_id": cast.world.company_id,
        "organization_id": cast.world.organization_id,
        "project_ids": [cast.project_id],
        "starts_on": day(0),
        "ends_on": day(365),
        "auto_renew": False,
        "renewal_notice_days": 30,
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not ...}


def version_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "terms": TERMS,
        "committed_amount": 3_000_000,
        "tranches": [
            {"due_on": day(100), "amount": 2_000_000},
            {"due_on": day(10), "amount": 1_000_000, "note": "首期"},
        ],
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not ...}


def create(api: ApiChecker, cast: Cast, who: str = "staff", **overrides: Any) -> Any:
    return api.post("/agreements", token=cast.token(who), json_body=agreement_body(cast, **overrides))


def created(api: ApiChecker, cast: Cast, who: str = "staff", **overrides: Any) -> int:
    response = create(api, cast, who, **overrides)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def add_version(api: ApiChecker, cast: Cast, agreement_id: int, who: str = "staff", **overrides: Any) -> Any:
    return api.post(
        f"/agreements/{agreement_id}/versions", token=cast.token(who), json_body=version_body(**overrides)
    )


def drafted(api: ApiChecker, cast: Cast, agreement_id: int, who: str = "staff", **overrides: Any) -> dict:
    response = add_version(api, cast, agreement_id, who, **overrides)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(api: ApiChecker, cast: Cast, agreement_id: int, who: str, action: str, **fields: Any) -> Any:
    return api.post(
        f"/agreements/{agreement_id}/transitions",
        token=cast.token(who),
        json_body={"action": action, **fields},
    )


def proposed(api: ApiChecker, cast: Cast, **version: Any) -> tuple[int, dict]:
    """An agreement whose first version awaits both signatures."""
    agreement_id = created(api, cast)
    draft = drafted(api, cast, agreement_id, **version)
    response = act(api, cast, agreement_id, "staff", "propose", version_id=draft["id"])
    assert response.status_code == 200, response.get_json()
    return agreement_id, {**draft, "status": "proposed"}


def sign(api: ApiChecker, cast: Cast, agreement_id: int, who: str, version: dict, **fields: Any) -> Any:
    values = {"version_id": version["id"], "content_sha256": version["content_sha256"], **fields}
    return act(api, cast, agreement_id, who, "sign", **values)


def activated(api: ApiChecker, cast: Cast) -> tuple[int, dict]:
    agreement_id, version = proposed(api, cast)
    for who in ("company", "org"):
        assert sign(api, cast, agreement_id, who, version).status_code == 200
    return agreement_id, version


def snapshot(app: Flask) -> tuple[Any, ...]:
    """Everything these endpoints could change, as plain values."""
    with app.app_context():

        def rows(*columns: Any) -> tuple[Any, ...]:
            return tuple(db.session.execute(select(*columns).order_by(columns[0])).all())

        def count(model: Any) -> int:
            return db.session.scalar(select(func.count()).select_from(model)) or 0

        return (
            rows(
                Agreement.id,
                Agreement.status,
                Agreement.title,
                Agreement.starts_on,
                Agreement.ends_on,
                Agreement.renewal_notice_days,
                Agreement.current_version_id,
                Agreement.broker_id,
                Agreement.updated_at,
                Agreement.end_reason,
            ),
            rows(
                AgreementVersion.id,
                AgreementVersion.status,
                AgreementVersion.terms,
                AgreementVersion.committed_amount,
                AgreementVersion.tranches,
                AgreementVersion.content_sha256,
                AgreementVersion.updated_at,
                AgreementVersion.closed_at,
            ),
            rows(AgreementSignature.id, AgreementSignature.party_id, AgreementSignature.decision),
            rows(Pledge.id, Pledge.status, Pledge.amount),
            count(AgreementComment),
            count(audit.AuditEvent),
            count(Notification),
        )


def refused(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    if field is not None:
        assert field in error["fields"], error
        assert CJK.search(error["fields"][field]), error
    return error


# ───────────── the happy path ─────────────


def test_staff_broker_an_agreement_to_two_signatures_and_its_money_is_scheduled(
    app: Flask, api: ApiChecker, cast: Cast
) -> None:
    response = create(api, cast)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    agreement_id = body["id"]
    assert response.headers["Location"] == f"/api/v1/agreements/{agreement_id}"
    assert body["status"] == "draft" and body["type"] == "strategic_cooperation"
    assert body["title"] == "助老与安全教育战略合作协议"
    assert body["company"]["id"] == cast.world.company_id
    assert body["organization"]["id"] == cast.world.organization_id
    assert body["broker"]["id"] == cast.user_ids["staff"]
    assert (body["starts_on"], body["ends_on"], body["renewal_notice_days"]) == (day(0), day(365), 30)
    assert [(party["role"], party["signatory"], party["signer"]) for party in body["parties"]] == [
        ("company", True, None),
        ("organization", True, None),
    ]
    assert body["parties"][0]["company_id"] == cast.world.company_id
    assert body["project_ids"] == [cast.project_id]
    assert body["current_version"] is None and body["pending_version"] is None
    assert body["versions"] == [] and body["signatures"] == []
    assert body["money"]["committed"] == 0 and body["money"]["pledges"] == []

    response = add_version(api, cast, agreement_id)
    assert response.status_code == 201, response.get_json()
    version = response.get_json()
    assert response.headers["Location"] == f"/api/v1/agreements/{agreement_id}/versions/{version['id']}"
    assert (version["version_no"], version["status"], version["kind"]) == (1, "draft", "original")
    assert version["editable"] is True and SHA256.match(version["content_sha256"])
    assert version["terms"] == TERMS
    assert version["committed_amount"] == 3_000_000
    assert [(t["due_on"], t["amount"]) for t in version["tranches"]] == [
        (day(10), 1_000_000),
        (day(100), 2_000_000),
    ]
    # The content is the canonical document, and its hash is the version's.
    assert rules.content_sha256(version["content"]) == version["content_sha256"]
    assert [party["role"] for party in version["content"]["parties"]] == ["company", "organization"]
    negotiating = api.get(f"/agreements/{agreement_id}", token=cast.token("org")).get_json()
    assert negotiating["status"] == "negotiating"
    assert negotiating["pending_version"]["id"] == version["id"]

    response = act(api, cast, agreement_id, "staff", "propose", version_id=version["id"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "pending_signature"
    assert response.get_json()["pending_version"]["status"] == "proposed"

    response = sign(api, cast, agreement_id, "company", version)
    assert response.status_code == 200, response.get_json()
    half = response.get_json()
    assert half["status"] == "pending_signature"  # one of two signatures does not activate it
    assert half["current_version"] is None and half["money"]["pledges"] == []
    [signature] = half["signatures"]
    assert signature["party_id"] == half["parties"][0]["id"] and signature["decision"] == "signed"
    assert signature["version_sha256"] == version["content_sha256"]
    assert signature["signer"]["id"] == cast.user_ids["company"] and signature["ip"] == "127.0.0.1"

    response = sign(api, cast, agreement_id, "org", version)
    assert response.status_code == 200, response.get_json()
    body = api.get(f"/agreements/{agreement_id}", token=cast.token("company")).get_json()
    assert body == response.get_json()
    assert body["status"] == "active" and body["activated_at"]
    assert body["current_version"]["id"] == version["id"] and body["current_version"]["status"] == "signed"
    assert body["pending_version"] is None
    assert [(s["party_id"], s["version_id"]) for s in body["signatures"]] == [
        (party["id"], version["id"]) for party in body["parties"]
    ]
    money = body["money"]
    assert (money["committed"], money["scheduled"], money["received"]) == (3_000_000, 3_000_000, 0)
    assert (money["outstanding"], money["percent"]) == (3_000_000, 0)
    assert [
        (p["tranche_no"], p["due_on"], p["amount"], p["status"], p["project_id"]) for p in money["pledges"]
    ] == [
        (1, day(10), 1_000_000, "pending", cast.project_id),
        (2, day(100), 2_000_000, "pending", cast.project_id),
    ]
    signed = api.get(f"/agreements/{agreement_id}/versions/{version['id']}", token=cast.token("staff"))
    assert signed.status_code == 200
    signed_body = signed.get_json()
    assert signed_body["status"] == "signed" and signed_body["signed_at"] and signed_body["editable"] is False
    assert signed_body["content_sha256"] == version["content_sha256"]
    assert [s["decision"] for s in signed_body["signatures"]] == ["signed", "signed"]

    # Money that arrives shows as received against the commitment.
    assert confirm(api, cast, money["pledges"][0]["id"], 1_000_000, "BANK-AGR-1").status_code == 200
    money = api.get(f"/agreements/{agreement_id}", token=cast.token("org")).get_json()["money"]
    assert (money["scheduled"], money["received"], money["outstanding"], money["percent"]) == (
        2_000_000,
        1_000_000,
        2_000_000,
        33,
    )


def test_a_party_member_starts_an_agreement_without_a_broker(api: ApiChecker, cast: Cast) -> None:
    for who in ("org", "company"):
        response = create(api, cast, who)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["broker"] is None and response.get_json()["status"] == "draft"


def test_the_events_are_the_agreements_links_in_the_audit_chain(
    app: Flask, api: ApiChecker, cast: Cast
) -> None:
    agreement_id, _ = activated(api, cast)
    response = api.get(f"/agreements/{agreement_id}/events", token=cast.token("org"))
    assert response.status_code == 200
    items = response.get_json()["items"]
    actions = [item["action"] for item in items]
    assert actions == [
        "agreement.created",
        "agreement.version_created",
        "agreement.proposed",
        "agreement.signed",
        "agreement.signed",
        "agreement.activated",
    ]
    assert [item["id"] for item in items] == sorted(item["id"] for item in items)
    assert [item["acting_for"] for item in items][:4] == [
        "staff",
        "staff",
        "staff",
        f"company:{cast.world.company_id}",
    ]
    assert items[4]["acting_for"] == f"organization:{cast.world.organization_id}"
    assert items[3]["actor_id"] == cast.user_ids["company"] and items[3]["ip"] == "127.0.0.1"
    assert items[3]["payload"]["content_sha256"] == items[2]["payload"]["content_sha256"]
    with app.app_context():
        assert audit.verify_chain() is None
        for item in items:
            stored = db.session.get(audit.AuditEvent, item["id"])
            assert stored is not None and stored.hash == item["hash"]
            previous = db.session.scalar(
                select(audit.AuditEvent.hash)
                .where(audit.AuditEvent.id < item["id"])
                .order_by(audit.AuditEvent.id.desc())
                .limit(1)
            )
            assert item["prev_hash"] == (previous or audit.GENESIS_HASH)
    for who in ("other_org", "other_company"):
        assert api.get(f"/agreements/{agreement_id}/events", token=cast.token(who)).status_code == 404


# ───────────── bad input: nothing changes ─────────────


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": day(-1)}, "ends_on"),
        ({"ends_on": day(0)}, "ends_on"),
        ({"ends_on": day(30), "renewal_notice_days": 60}, "renewal_notice_days"),
        ({"ends_on": day(30), "renewal_notice_days": 30}, "renewal_notice_days"),
        ({"renewal_notice_days": 400}, "renewal_notice_days"),
        ({"renewal_notice_days": -1}, "renewal_notice_days"),
        ({"renewal_notice_days": 30.0}, "renewal_notice_days"),
        ({"starts_on": "2026/09/07"}, "starts_on"),
        ({"starts_on": "20260907"}, "starts_on"),
        ({"starts_on": "2026-W36-1"}, "starts_on"),
        ({"starts_on": "2026-02-30"}, "starts_on"),
        ({"starts_on": "2026-09-07T00:00:00"}, "starts_on"),
        ({"ends_on": 20270907}, "ends_on"),
        ({"ends_on": "明年"}, "ends_on"),
        ({"starts_on": ...}, "starts_on"),
        ({"title": ...}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "协" * 101}, "title"),
        ({"company_id": "1"}, "company_id"),
        ({"company_id": 999_999}, "company_id"),
        ({"organization_id": ...}, "organization_id"),
        ({"project_ids": ["1"]}, "project_ids"),
        ({"project_ids": [999_999]}, "project_ids"),
        ({"auto_renew": "yes"}, "auto_renew"),
        ({"introduction_id": 999_999}, "introduction_id"),
        ({"status": "active"}, "status"),
    ],
)
def test_bad_agreements_are_422_and_save_nothing(
    app: Flask, api: ApiChecker, cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    before = snapshot(app)
    refused(create(api, cast, **overrides), 422, field)
    assert snapshot(app) == before


def test_unverified_parties_and_other_organizations_projects_are_refused(
    app: Flask, api: ApiChecker, cast: Cast
) -> None:
    with app.app_context():
        pending_company = db.session.get(User, cast.user_ids["unverified_company"]).company_id
    before = snapshot(app)
    refused(create(api, cast, company_id=pending_company), 422, "company_id")
    refused(create(api, cast, project_ids=[cast.world.other_draft_id]), 422, "project_ids")
    refused(create(api, cast, organization_id=cast.world.other_organization_id), 422, "project_ids")
    assert snapshot(app) == before


@pytest.mark.parametrize("who", ["other_org", "other_company"])
def test_only_staff_and_the_parties_start_an_agreement(
    app: Flask, api: ApiChecker, cast: Cast, who: str
) -> None:
    before = snapshot(app)
    refused(create(api, cast, who), 403)
    assert api.post("/agreements", json_body=agreement_body(cast)).status_code == 401
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"committed_amount": 0}, "committed_amount"),
        ({"committed_amount": -100}, "committed_amount"),
        ({"committed_amount": 3_000_000.0}, "committed_amount"),
        ({"committed_amount": 3_000_000.5}, "committed_amount"),
        ({"committed_amount": "3000000"}, "committed_amount"),
        ({"committed_amount": True}, "committed_amount"),
        ({"committed_amount": 10**13}, "committed_amount"),
        ({"committed_amount": 3_500_000}, "tranches"),
        ({"committed_amount": ..., "tranches": [{"due_on": day(10), "amount": 100}]}, "committed_amount"),
        ({"tranches": []}, "tranches"),
        ({"tranches": ...}, "tranches"),
        ({"tranches": [{"due_on": day(10), "amount": 3_000_000.0}]}, "tranches[0].amount"),
        ({"tranches": [{"due_on": day(10), "amount": "3000000"}]}, "tranches[0].amount"),
        ({"tranches": [{"due_on": day(10), "amount": False}]}, "tranches[0].amount"),
        ({"tranches": [{"due_on": day(10)}]}, "tranches[0].amount"),
        ({"tranches": [{"amount": 3_000_000}]}, "tranches[0].due_on"),
        ({"tranches": [{"due_on": "2026/1/1", "amount": 3_000_000}]}, "tranches[0].due_on"),
        ({"tranches": [{"due_on": day(400), "amount": 3_000_000}]}, "tranches[0].due_on"),
        (
            {"tranches": [{"due_on": day(10), "amount": 3_000_000, "project_id": 999_999}]},
            "tranches[0].project_id",
        ),
        (
            {"tranches": [{"due_on": day(10), "amount": 2_000_000}, {"due_on": day(20), "amount": 0}]},
            "tranches[1].amount",
        ),
        ({"tranches": [{"due_on": day(10), "amount": 3_000_000, "bank": "x"}]}, "tranches[0].bank"),
        ({"tranches": [3_000_000]}, "tranches"),
        ({"tranches": {"due_on": day(10)}}, "tranches"),
        ({"terms": ...}, "terms"),
        ({"terms": "合作"}, "terms"),
        ({"terms": {**TERMS, "scope": ""}}, "terms.scope"),
        ({"terms": {**TERMS, "scope": None}}, "terms.scope"),
        ({"terms": {**TERMS, "obligations": {"company": "出资"}}}, "terms.obligations.organization"),
        ({"terms": {**TERMS, "obligations": "双方义务"}}, "terms.obligations"),
        ({"terms": {**TERMS, "kpis": "服务 300 人次"}}, "terms.kpis"),
        ({"terms": {**TERMS, "kpis": ["  "]}}, "terms.kpis[0]"),
        ({"terms": {**TERMS, "volunteers": -1}}, "terms.volunteers"),
        ({"terms": {**TERMS, "volunteers": 1.5}}, "terms.volunteers"),
        ({"terms": {**TERMS, "extra": [1]}}, "terms.extra"),
        ({"terms": {**TERMS, "price": 1}}, "terms.price"),
        ({"ends_on": day(-10)}, "ends_on"),
        ({"starts_on": "2026.1.1"}, "starts_on"),
        ({"renewal_notice_days": 365, "ends_on": day(200)}, "renewal_notice_days"),
        ({"status": "signed"}, "status"),
    ],
)
def test_bad_versions_are_422_and_save_nothing(
    app: Flask, api: ApiChecker, cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    agreement_id = created(api, cast)
    before = snapshot(app)
    refused(add_version(api, cast, agreement_id, **overrides), 422, field)
    assert snapshot(app) == before
    assert api.get(f"/agreements/{agreement_id}", token=cast.token("staff")).get_json()["versions"] == []


def test_a_version_without_money_and_extra_clauses_as_one_string(api: ApiChecker, cast: Cast) -> None:
    agreement_id = created(api, cast, project_ids=[])
    terms = {"scope": "志愿服务合作", "obligations": {"company": "派志愿者", "organization": "组织活动"}}
    version = drafted(
        api,
        cast,
        agreement_id,
        terms={**terms, "extra": "双方另行约定的事项"},
        committed_amount=None,
        tranches=...,
    )
    assert version["committed_amount"] is None and version["tranches"] == []
    assert version["terms"]["extra"] == ["双方另行约定的事项"]
    assert version["terms"]["kpis"] == [] and version["terms"]["volunteers"] is None


def test_a_draft_is_edited_and_a_proposed_version_is_not(app: Flask, api: ApiChecker, cast: Cast) -> None:
    agreement_id = created(api, cast)
    draft = drafted(api, cast, agreement_id)
    path = f"/agreements/{agreement_id}/versions/{draft['id']}"
    changed = {**TERMS, "scope": "共同开展防溺水安全教育"}
    response = api.request("put", path, token=cast.token("org"), json_body=version_body(terms=changed))
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()
    assert edited["terms"]["scope"] == "共同开展防溺水安全教育" and edited["version_no"] == 1
    assert edited["content_sha256"] != draft["content_sha256"]
    assert rules.content_sha256(edited["content"]) == edited["content_sha256"]

    before = snapshot(app)
    bad = api.request("put", path, token=cast.token("org"), json_body=version_body(committed_amount=0))
    refused(bad, 422, "committed_amount")
    assert snapshot(app) == before

    assert act(api, cast, agreement_id, "company", "propose").status_code == 200
    before = snapshot(app)
    response = api.request("put", path, token=cast.token("staff"), json_body=version_body(terms=TERMS))
    refused(response, 409, "terms")
    assert snapshot(app) == before
    assert api.get(path, token=cast.token("org")).get_json()["terms"]["scope"] == "共同开展防溺水安全教育"
    for who in ("other_org", "other_company"):
        refused(api.request("put", path, token=cast.token(who), json_body=version_body()), 404)
    assert snapshot(app) == before


def test_signature_refusals_change_nothing(app: Flask, api: ApiChecker, cast: Cast) -> None:
    agreement_id, version = proposed(api, cast)
    before = snapshot(app)
    for who in ("other_org", "other_company"):  # not a party: the agreement is not even visible
        refused(sign(api, cast, agreement_id, who, version), 404)
    for who in ("staff", "admin"):  # the broker is a witness, not a signatory
        refused(sign(api, cast, agreement_id, who, version), 403, "signer")
    refused(sign(api, cast, agreement_id, "company", version, content_sha256=None), 422, "content_sha256")
    refused(sign(api, cast, agreement_id, "company", version, content_sha256=""), 422, "content_sha256")
    refused(sign(api, cast, agreement_id, "company", version, version_id=None), 422, "version_id")
    refused(sign(api, cast, agreement_id, "company", version, content_sha256="f" * 64), 409, "content_sha256")
    refused(sign(api, cast, agreement_id, "company", version, content_sha256=5), 422, "content_sha256")
    refused(sign(api, cast, agreement_id, "company", version, version_id=999_999), 404, "version_id")
    refused(act(api, cast, agreement_id, "company", "approve"), 422, "action")
    refused(act(api, cast, agreement_id, "company", ""), 422, "action")
    refused(act(api, cast, agreement_id, "company", "activate"), 422, "action")  # internal, never asked for
    refused(
        api.post(f"/agreements/{agreement_id}/transitions", token=cast.token("org"), json_body={}),
        422,
        "action",
    )
    refused(act(api, cast, agreement_id, "company", "terminate"), 422, "reason")
    refused(act(api, cast, agreement_id, "company", "terminate", reason="   "), 422, "reason")
    refused(act(api, cast, agreement_id, "company", "terminate", reason="不合作了"), 409, "action")
    refused(act(api, cast, agreement_id, "staff", "propose"), 409, "version_id")
    assert snapshot(app) == before

    assert sign(api, cast, agreement_id, "company", version).status_code == 200
    before = snapshot(app)
    for who in ("company", "colleague"):  # the same party again, by anyone of it
        refused(sign(api, cast, agreement_id, who, version), 409, "signer")
    assert snapshot(app) == before
    body = api.get(f"/agreements/{agreement_id}", token=cast.token("company")).get_json()
    assert body["status"] == "pending_signature" and len(body["signatures"]) == 1


def test_changes_requested_withdraw_the_version_and_a_new_round_follows(
    app: Flask, api: ApiChecker, cast: Cast
) -> None:
    agreement_id, first = proposed(api, cast)
    assert sign(api, cast, agreement_id, "company", first).status_code == 200
    before = snapshot(app)
    refused(act(api, cast, agreement_id, "org", "request_changes"), 422, "reason")
    assert snapshot(app) == before
    response = act(api, cast, agreement_id, "org", "request_changes", reason="首期拨付时间请提前到下月")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "negotiating" and body["pending_version"] is None
    assert [version["status"] for version in body["versions"]] == ["withdrawn"]

    # A withdrawn version cannot be signed any more, with its own hash or otherwise.
    before = snapshot(app)
    refused(sign(api, cast, agreement_id, "org", first), 409, "version_id")
    assert snapshot(app) == before

    tranches = [{"due_on": day(30), "amount": 1_000_000}, {"due_on": day(100), "amount": 2_000_000}]
    second = drafted(api, cast, agreement_id, "org", tranches=tranches)
    assert second["version_no"] == 2 and second["status"] == "draft"
    assert second["content_sha256"] != first["content_sha256"]

    diff = api.get(f"/agreements/{agreement_id}/diff", token=cast.token("company"))
    assert diff.status_code == 200
    body = diff.get_json()
    assert (body["from"]["id"], body["to"]["id"]) == (first["id"], second["id"])
    changed = [row["key"] for row in body["rows"] if row["changed"]]
    assert changed == ["tranches"]
    [row] = [row for row in body["rows"] if row["key"] == "tranches"]
    assert day(10) in row["old_text"] and day(30) in row["new_text"]
    assert any(segment["changed"] for segment in row["new"]) and row["label"]
    explicit = api.get(
        f"/agreements/{agreement_id}/diff?from={second['id']}&to={first['id']}", token=cast.token("staff")
    ).get_json()
    assert [row["key"] for row in explicit["rows"] if row["changed"]] == ["tranches"]

    # The new round goes out and is signed by both: the withdrawn signature does not count.
    assert act(api, cast, agreement_id, "org", "propose").status_code == 200
    assert sign(api, cast, agreement_id, "org", second).status_code == 200
    mid = api.get(f"/agreements/{agreement_id}", token=cast.token("staff")).get_json()
    assert mid["status"] == "pending_signature"
    assert sign(api, cast, agreement_id, "company", second).status_code == 200
    final = api.get(f"/agreements/{agreement_id}", token=cast.token("staff")).get_json()
    assert final["status"] == "active" and final["current_version"]["id"] == second["id"]
    assert [p["due_on"] for p in final["money"]["pledges"]] == [day(30), day(100)]


def test_terminating_needs_a_reason_and_cancels_the_scheduled_pledges(
    app: Flask, api: ApiChecker, cast: Cast
) -> None:
    agreement_id, _ = activated(api, cast)
    money = api.get(f"/agreements/{agreement_id}", token=cast.token("staff")).get_json()["money"]
    first_pledge = money["pledges"][0]["id"]
    assert confirm(api, cast, first_pledge, 1_000_000, "BANK-AGR-T1").status_code == 200
    before = snapshot(app)
    refused(act(api, cast, agreement_id, "company", "terminate"), 422, "reason")
    refused(act(api, cast, agreement_id, "company", "terminate", reason=""), 422, "reason")
    refused(act(api, cast, agreement_id, "company", "terminate", reason="x" * 1001), 422, "reason")
    refused(act(api, cast, agreement_id, "company", "cancel", reason="不再合作"), 409, "action")
    assert snapshot(app) == before

    response = act(
        api, cast, agreement_id, "company", "terminate", reason="企业经营调整，双方协商一致提前终止"
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "terminated" and body["ended_at"]
    assert body["end_reason"] == "企业经营调整，双方协商一致提前终止"
    assert [(p["status"], p["amount"]) for p in body["money"]["pledges"]] == [
        ("paid", 1_000_000),
        ("cancelled", 2_000_000),
    ]
    assert (body["money"]["scheduled"], body["money"]["received"]) == (0, 1_000_000)
    with app.app_context():
        statuses = db.session.scalars(
            select(Pledge.status).where(Pledge.agreement_id == agreement_id).order_by(Pledge.due_on)
        ).all()
        assert statuses == ["paid", "cancelled"]
    # A terminated agreement takes no new versions and no second termination.
    before = snapshot(app)
    refused(add_version(api, cast, agreement_id), 409)
    refused(act(api, cast, agreement_id, "org", "terminate", reason="再次终止"), 409, "action")
    assert snapshot(app) == before


def test_declining_the_first_version_cancels_the_agreement(api: ApiChecker, cast: Cast) -> None:
    agreement_id, _ = proposed(api, cast)
    refused(act(api, cast, agreement_id, "staff", "decline", reason="不同意"), 403, "signer")
    response = act(api, cast, agreement_id, "org", "decline", reason="资助金额与项目预算不符")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "cancelled" and body["end_reason"] == "资助金额与项目预算不符"
    assert [(s["decision"], s["reason"]) for s in body["signatures"]] == [
        ("declined", "资助金额与项目预算不符")
    ]
    assert body["versions"][0]["status"] == "withdrawn"


def test_a_draft_agreement_is_cancelled_with_a_reason(app: Flask, api: ApiChecker, cast: Cast) -> None:
    agreement_id = created(api, cast)
    before = snapshot(app)
    refused(act(api, cast, agreement_id, "org", "cancel"), 422, "reason")
    refused(act(api, cast, agreement_id, "org", "propose"), 409)
    assert snapshot(app) == before
    response = act(api, cast, agreement_id, "org", "cancel", reason="项目已由其他企业资助")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"


def test_only_one_version_is_in_play_at_a_time(app: Flask, api: ApiChecker, cast: Cast) -> None:
    agreement_id = created(api, cast)
    drafted(api, cast, agreement_id)
    before = snapshot(app)
    refused(add_version(api, cast, agreement_id, "company"), 409, "version")
    assert snapshot(app) == before


def test_an_amendment_while_active_supersedes_the_signed_version(api: ApiChecker, cast: Cast) -> None:
    agreement_id, first = activated(api, cast)
    amendment = drafted(api, cast, agreement_id, "company", ends_on=day(730), renewal_notice_days=60)
    assert amendment["kind"] == "renewal" and amendment["version_no"] == 2
    during = api.get(f"/agreements/{agreement_id}", token=cast.token("org")).get_json()
    assert during["status"] == "active" and during["pending_version"]["id"] == amendment["id"]
    assert act(api, cast, agreement_id, "company", "propose").status_code == 200
    for who in ("company", "org"):
        assert sign(api, cast, agreement_id, who, amendment).status_code == 200
    body = api.get(f"/agreements/{agreement_id}", token=cast.token("org")).get_json()
    assert body["status"] == "active" and body["current_version"]["id"] == amendment["id"]
    assert (body["ends_on"], body["renewal_notice_days"]) == (day(730), 60)
    assert [version["status"] for version in body["versions"]] == ["superseded", "signed"]
    assert first["id"] == body["versions"][0]["id"]


def test_without_projects_the_money_goes_to_the_organizations_agreement_account(
    api: ApiChecker, cast: Cast
) -> None:
    agreement_id = created(api, cast, project_ids=[])
    version = drafted(api, cast, agreement_id)
    assert act(api, cast, agreement_id, "staff", "propose").status_code == 200
    for who in ("company", "org"):
        assert sign(api, cast, agreement_id, who, version).status_code == 200
    pledges = api.get(f"/agreements/{agreement_id}", token=cast.token("org")).get_json()["money"]["pledges"]
    assert [(p["project_id"], p["amount"]) for p in pledges] == [(None, 1_000_000), (None, 2_000_000)]
    for who in ("org", "company", "staff"):
        pledge = api.get(f"/pledges/{pledges[0]['id']}", token=cast.token(who))
        assert pledge.status_code == 200 and pledge.get_json()["project_id"] is None
    assert api.get(f"/pledges/{pledges[0]['id']}", token=cast.token("other_org")).status_code == 404


# ───────────── who sees what ─────────────


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_listing_agreements(app: Flask, api: ApiChecker, cast: Cast) -> None:
    with app.app_context():
        other_owner = user_by_email(cast.world.other_org_email)
        other_project = factories.project(
            other_owner, status="published", reviewer=factories.staff(), title="垃圾分类宣传进社区"
        )
        other_project_id = other_project.id
    mine = created(api, cast)
    theirs = created(
        api,
        cast,
        "other_company",
        company_id=cast.other_company_id,
        organization_id=cast.world.other_organization_id,
        project_ids=[other_project_id],
    )
    proposed_id, _ = proposed(api, cast)
    staff = cast.token("staff")
    assert ids(api.get("/agreements", token=staff)) == [proposed_id, theirs, mine]  # latest change first
    assert ids(api.get("/agreements", token=cast.token("company"))) == [proposed_id, mine]
    assert ids(api.get("/agreements", token=cast.token("org"))) == [proposed_id, mine]
    assert ids(api.get("/agreements", token=cast.token("other_org"))) == [theirs]
    assert ids(api.get("/agreements", token=cast.token("other_company"))) == [theirs]
    assert ids(api.get("/agreements?status=pending_signature", token=staff)) == [proposed_id]
    assert ids(api.get("/agreements?status=draft", token=cast.token("org"))) == [mine]
    assert ids(api.get(f"/agreements?company_id={cast.other_company_id}", token=staff)) == [theirs]
    assert ids(api.get(f"/agreements?organization_id={cast.world.organization_id}", token=staff)) == [
        proposed_id,
        mine,
    ]
    assert ids(api.get(f"/agreements?party_id={cast.world.other_organization_id}", token=staff)) == [theirs]
    # Members see their own party's only, whatever they ask for.
    assert ids(api.get(f"/agreements?company_id={cast.other_company_id}", token=cast.token("company"))) == []
    assert ids(api.get("/agreements?expiring_within_days=30", token=staff)) == []
    item = api.get("/agreements", token=staff).get_json()["items"][0]
    assert item["pending_version"]["status"] == "proposed" and "parties" not in item
    assert api.get("/agreements").status_code == 401
    for query in (
        "status=signed",
        "party_id=abc",
        "company_id=0",
        "organization_id=-1",
        "expiring_within_days=999",
    ):
        response = api.get(f"/agreements?{query}", token=staff)
        refused(response, 422, query.split("=")[0])


def test_an_agreement_is_hidden_from_everyone_but_its_parties_and_staff(api: ApiChecker, cast: Cast) -> None:
    agreement_id, version = proposed(api, cast)
    paths = (
        f"/agreements/{agreement_id}",
        f"/agreements/{agreement_id}/versions/{version['id']}",
        f"/agreements/{agreement_id}/events",
        f"/agreements/{agreement_id}/diff",
    )
    for who in ("other_org", "other_company", "unverified_company"):
        for path in paths:
            error = refused(api.get(path, token=cast.token(who)), 404)
            assert error["code"] == "not_found"
        refused(add_version(api, cast, agreement_id, who), 404)
    missing = refused(api.get("/agreements/999999", token=cast.token("other_org")), 404)
    hidden = refused(api.get(f"/agreements/{agreement_id}", token=cast.token("other_org")), 404)
    assert missing == hidden  # the answer does not tell that it exists
    for who in ("org", "company", "colleague", "staff", "admin"):
        assert api.get(f"/agreements/{agreement_id}", token=cast.token(who)).status_code == 200
    for path in paths:
        assert api.get(path).status_code == 401


def test_versions_and_diffs_of_the_wrong_agreement_are_404(api: ApiChecker, cast: Cast) -> None:
    first_id, first_version = proposed(api, cast)
    second_id = created(api, cast)
    refused(
        api.get(f"/agreements/{second_id}/versions/{first_version['id']}", token=cast.token("staff")), 404
    )
    refused(api.get(f"/agreements/{second_id}/diff", token=cast.token("staff")), 422, "to")
    refused(api.get(f"/agreements/{first_id}/diff", token=cast.token("staff")), 422, "from")
    refused(api.get(f"/agreements/{first_id}/diff?from=abc", token=cast.token("staff")), 422, "from")
    refused(
        api.get(
            f"/agreements/{first_id}/diff?from={first_version['id']}&to=999999", token=cast.token("staff")
        ),
        404,
    )


def test_non_json_bodies_are_refused(app: Flask, api: ApiChecker, cast: Cast) -> None:
    agreement_id, version = proposed(api, cast)
    staff = cast.token("staff")
    before = snapshot(app)
    for method, path in (
        ("post", "/agreements"),
        ("post", f"/agreements/{agreement_id}/versions"),
        ("put", f"/agreements/{agreement_id}/versions/{version['id']}"),
        ("post", f"/agreements/{agreement_id}/transitions"),
    ):
        assert (
            api.request(method, path, token=staff, data="action=sign", content_type="text/plain").status_code
            == 415
        )
        assert (
            api.request(method, path, token=staff, data="{", content_type="application/json").status_code
            == 400
        )
        assert api.request(method, path, token=staff, json_body=["sign"]).status_code == 400
    assert snapshot(app) == before


# ───────────── the document ─────────────


def test_agreement_endpoints_match_the_document(app: Flask, api: ApiChecker, cast: Cast) -> None:
    """Every documented response of the agreement endpoints is produced (and validated) here."""
    staff, company, org, outsider = (cast.token(who) for who in ("staff", "company", "org", "other_org"))
    body = agreement_body(cast)
    assert api.post("/agreements", token=staff, json_body=body).status_code == 201
    assert api.post("/agreements", token=staff, data="{", content_type="application/json").status_code == 400
    assert api.post("/agreements", json_body=body).status_code == 401
    assert api.post("/agreements", token=outsider, json_body=body).status_code == 403
    assert api.post("/agreements", token=staff, data="x", content_type="text/plain").status_code == 415
    assert api.post("/agreements", token=staff, json_body={**body, "ends_on": day(-1)}).status_code == 422

    assert api.get("/agreements", token=staff).status_code == 200
    assert api.get("/agreements").status_code == 401
    assert api.get("/agreements?status=nope", token=staff).status_code == 422

    agreement_id = created(api, cast)
    agreement = f"/agreements/{agreement_id}"
    assert api.get(agreement, token=org).status_code == 200
    assert api.get(agreement).status_code == 401
    assert api.get(agreement, token=outsider).status_code == 404

    versions = f"{agreement}/versions"
    created_version = api.post(versions, token=org, json_body=version_body())
    assert created_version.status_code == 201
    version = created_version.get_json()
    assert api.post(versions, token=org, data="[", content_type="application/json").status_code == 400
    assert api.post(versions, json_body=version_body()).status_code == 401
    assert api.post(versions, token=outsider, json_body=version_body()).status_code == 404
    assert api.post(versions, token=org, json_body=version_body()).status_code == 409
    assert api.post(versions, token=org, data="x", content_type="text/plain").status_code == 415
    assert api.post(versions, token=org, json_body=version_body(committed_amount=1.5)).status_code == 422

    one = f"{versions}/{version['id']}"
    assert api.get(one, token=company).status_code == 200
    assert api.get(one).status_code == 401
    assert api.get(one, token=outsider).status_code == 404
    assert api.request("put", one, token=company, json_body=version_body()).status_code == 200
    assert (
        api.request("put", one, token=company, data="{", content_type="application/json").status_code == 400
    )
    assert api.request("put", one, json_body=version_body()).status_code == 401
    assert api.request("put", one, token=outsider, json_body=version_body()).status_code == 404
    assert api.request("put", one, token=company, data="x", content_type="text/plain").status_code == 415
    assert api.request("put", one, token=company, json_body=version_body(tranches=[])).status_code == 422

    transitions = f"{agreement}/transitions"
    assert api.post(transitions, token=staff, json_body={"action": "propose"}).status_code == 200
    assert api.request("put", one, token=company, json_body=version_body()).status_code == 409
    assert api.post(transitions, token=staff, data="{", content_type="application/json").status_code == 400
    assert api.post(transitions, json_body={"action": "propose"}).status_code == 401
    signing = {"action": "sign", "version_id": version["id"], "content_sha256": "0" * 64}
    assert api.post(transitions, token=staff, json_body=signing).status_code == 403
    assert api.post(transitions, token=outsider, json_body=signing).status_code == 404
    assert api.post(transitions, token=company, json_body=signing).status_code == 409
    assert api.post(transitions, token=company, data="x", content_type="text/plain").status_code == 415
    assert api.post(transitions, token=company, json_body={"action": "approve"}).status_code == 422

    events = f"{agreement}/events"
    assert api.get(events, token=staff).status_code == 200
    assert api.get(events).status_code == 401
    assert api.get(events, token=outsider).status_code == 404

    assert (
        api.post(transitions, token=org, json_body={"action": "request_changes", "reason": "改"}).status_code
        == 200
    )
    assert (
        api.post(versions, token=org, json_body=version_body(committed_amount=None, tranches=...)).status_code
        == 201
    )
    diff = f"{agreement}/diff"
    assert api.get(diff, token=company).status_code == 200
    assert api.get(diff).status_code == 401
    assert api.get(diff, token=outsider).status_code == 404
    assert api.get(f"{diff}?from=0", token=company).status_code == 422

    documented = {
        (path, method, status)
        for path, item in SPEC["paths"].items()
        if path in AGREEMENT_PATHS
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status in operation["responses"]
    }
    assert {path for path, _, _ in documented} == AGREEMENT_PATHS
    assert not documented - api.seen, f"documented responses never produced: {sorted(documented - api.seen)}"
