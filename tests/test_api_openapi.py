"""The OpenAPI document must stay true to the code.

(a) its (path, method) pairs are exactly the blueprint's routes, and each operationId names the
view function; (b) real responses — success and error, of every endpoint — validate against the
schema documented for their status code, and every documented response is produced at least once;
(c) the document is well-formed OpenAPI 3.1.

``ApiChecker`` is also used by tests/test_api.py, so every response the API suite sees is checked
against the document as well.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from marketplace.accounts import operations as accounts
from marketplace.api import (
    openapi_evaluations,
    openapi_moderation,
    openapi_needs,
    openapi_stats,
    openapi_votes,
)
from marketplace.api.openapi import DOCUMENT
from marketplace.extensions import db
from marketplace.timeutil import local_today
from tests import factories

PREFIX = "/api/v1"
DOC_URI = "urn:qingqinchou:api:v1"
# The document as a client receives it (JSON round trip: tuples become lists, keys strings).
SPEC: dict[str, Any] = json.loads(json.dumps(DOCUMENT))
REGISTRY: Registry = Registry().with_resource(
    DOC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Pledges, the ledger and matching pools: covered by test_money_endpoints_match_the_document.
MONEY_PATHS = frozenset(
    {
        "/projects/{project_id}/pledges",
        "/pledges/{pledge_id}",
        "/pledges/{pledge_id}/confirm",
        "/pledges/{pledge_id}/refund",
        "/projects/{project_id}/ledger",
        "/matching-pools",
        "/matching-pools/{pool_id}",
    }
)
# Partnership agreements: tests/test_api_agreements.py::test_agreement_endpoints_match_the_document.
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
# Tenders, bids, awards and the staff-recorded buyer signature: covered by
# tests/test_api_tenders.py::test_tender_endpoints_match_the_document.
TENDER_PATHS = frozenset(
    {
        "/tenders",
        "/tenders/{tender_id}",
        "/tenders/{tender_id}/cancel",
        "/tenders/{tender_id}/ocds",
        "/tenders/{tender_id}/bids",
        "/tenders/{tender_id}/evaluations",
        "/tenders/{tender_id}/ranking",
        "/tenders/{tender_id}/award",
        "/tenders/{tender_id}/award/decline",
        "/tenders/{tender_id}/unsuccessful",
        "/tenders/{tender_id}/partners",
        "/tenders/{tender_id}/invitations",
        "/bids",
        "/bids/{bid_id}",
        "/bids/{bid_id}/transitions",
        "/bids/{bid_id}/documents",
        "/bids/{bid_id}/documents/{document_id}",
        "/bids/{bid_id}/subcontracts/{subcontract_id}/consent",
        "/bids/{bid_id}/subcontracts/{subcontract_id}/activate",
        "/agreements/{agreement_id}/signatures",
    }
)
# Evaluations, public votes, community needs and stats describe themselves in api/openapi_<x>.py; each
# has its own documented-responses test (tests/test_api_evaluations.py, test_votes_api.py,
# test_api_needs.py, test_api_stats.py).
FRAGMENT_PATHS = frozenset().union(
    *(
        fragment.PATHS
        for fragment in (openapi_evaluations, openapi_votes, openapi_needs, openapi_stats, openapi_moderation)
    )
)
# Sponsor matching and introductions: covered by
# tests/test_api_matching.py::test_matching_endpoints_match_the_document.
MATCHING_PATHS = frozenset(
    {
        "/companies/{company_id}/sponsor-profile",
        "/companies/{company_id}/matches",
        "/projects/{project_id}/sponsor-matches",
        "/introductions",
        "/introductions/funnel",
        "/introductions/{introduction_id}",
    }
)
_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _pointer_escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


_TEMPLATES = [(template, _template_regex(template)) for template in SPEC["paths"]]


def documented_path(url_path: str) -> str | None:
    relative = url_path.removeprefix(PREFIX)
    for template, pattern in _TEMPLATES:
        if pattern.match(relative):
            return template
    return None


def validator_for(pointer: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}{pointer}"},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def error_validator() -> Draft202012Validator:
    return validator_for("#/components/schemas/Error")


def assert_valid(validator: Draft202012Validator, instance: Any, where: str) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.path))
    assert not errors, f"{where}: " + "; ".join(
        f"{'/'.join(map(str, error.path))}: {error.message}" for error in errors[:5]
    )


class ApiChecker:
    """Sends requests to the API and validates each response against the OpenAPI document."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self.seen: set[tuple[str, str, str]] = set()

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            kwargs["json"] = json_body
        response = self.client.open(PREFIX + path, method=method.upper(), headers=headers, **kwargs)
        self.check(method.lower(), (PREFIX + path).split("?")[0], response, json_body)
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("get", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("post", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("patch", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("delete", path, **kwargs)

    def check(self, method: str, url_path: str, response: TestResponse, json_body: Any = None) -> None:
        where = f"{method.upper()} {url_path} → {response.status_code}"
        template = documented_path(url_path)
        operation = SPEC["paths"].get(template, {}).get(method) if template else None
        if operation is None:
            if method in ("head", "options"):
                return
            # Not a documented operation: only "no such route" and "no such method" are possible.
            assert response.status_code in (404, 405), where
            assert response.mimetype == "application/json", where
            assert_valid(error_validator(), response.get_json(), where)
            return
        status = str(response.status_code)
        assert status in operation["responses"], f"{where}: status not documented"
        self.seen.add((template, method, status))
        if json_body is not None and response.status_code < 300 and "requestBody" in operation:
            # A body the API accepted must be one the document allows.
            body_pointer = (
                f"#/paths/{_pointer_escape(template)}/{method}/requestBody/content/application~1json/schema"
            )
            assert_valid(validator_for(body_pointer), json_body, f"{where} (request body)")
        documented = operation["responses"][status]
        pointer = (
            documented["$ref"]
            if "$ref" in documented
            else f"#/paths/{_pointer_escape(template)}/{method}/responses/{status}"
        )
        if "$ref" in documented:
            documented = resolve(documented["$ref"])
        if "content" not in documented:
            assert response.get_data() == b"", f"{where}: body where none is documented"
            return
        assert response.mimetype == "application/json", where
        body = response.get_json()
        assert_valid(validator_for(f"{pointer}/content/application~1json/schema"), body, where)
        for name in documented.get("headers", {}):
            assert name in response.headers, f"{where}: missing header {name}"


def resolve(ref: str) -> Any:
    node: Any = SPEC
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def issue_token(client: FlaskClient, email: str, password: str = factories.PASSWORD) -> str:
    response = client.post(f"{PREFIX}/tokens", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def api_routes(app: Flask) -> set[tuple[str, str]]:
    pairs = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = _RULE_ARGUMENT.sub(r"{\1}", rule.rule.removeprefix(PREFIX))
        pairs.update(
            (path, method.lower()) for method in rule.methods or () if method not in ("HEAD", "OPTIONS")
        )
    return pairs


def documented_operations() -> set[tuple[str, str]]:
    return {
        (path, method) for path, item in SPEC["paths"].items() for method in item if method in HTTP_METHODS
    }


# ───────────── (a) the document lists exactly the routes ─────────────


def test_document_paths_equal_the_blueprint_routes(app: Flask) -> None:
    routes = api_routes(app)
    documented = documented_operations()
    assert routes - documented == set(), "routes missing from the document"
    assert documented - routes == set(), "documented operations with no route"


def test_operation_ids_name_the_view_functions(app: Flask) -> None:
    by_rule = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            path = _RULE_ARGUMENT.sub(r"{\1}", rule.rule.removeprefix(PREFIX))
            for method in rule.methods or ():
                by_rule[(path, method.lower())] = rule.endpoint
    for path, method in documented_operations():
        assert f"api.{SPEC['paths'][path][method]['operationId']}" == by_rule[(path, method)]


def test_served_document_is_the_built_one(client: FlaskClient) -> None:
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == SPEC


# ───────────── (c) the document is well-formed OpenAPI 3.1 ─────────────


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_document_is_well_formed_openapi_31() -> None:
    assert SPEC["openapi"] == "3.1.0"
    assert SPEC["info"]["title"] and SPEC["info"]["version"]
    assert SPEC["paths"]
    schemes = SPEC["components"]["securitySchemes"]
    operation_ids = []
    for path, item in SPEC["paths"].items():
        assert path.startswith("/") and not path.startswith(PREFIX), path
        path_parameters = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert path_parameters == set(re.findall(r"\{([^}]+)\}", path)), path
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert method in HTTP_METHODS, (path, method)
            assert operation["responses"], (path, method)
            operation_ids.append(operation["operationId"])
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status), (path, method, status)
                response = resolve(response["$ref"]) if "$ref" in response else response
                assert response["description"], (path, method, status)
            for requirement in operation.get("security", []):
                assert set(requirement) <= set(schemes), (path, method)
            if "requestBody" in operation:
                # JSON everywhere; file uploads (bid documents) are multipart.
                content = operation["requestBody"]["content"]
                assert set(content) in ({"application/json"}, {"multipart/form-data"}), (path, method)
                for media in content.values():
                    Draft202012Validator.check_schema(media["schema"])
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in ("query", "header", "path", "cookie")
                Draft202012Validator.check_schema(parameter["schema"])
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"
    for ref in _refs(SPEC):
        assert ref.startswith("#/components/"), ref
        resolve(ref)  # raises KeyError when dangling
    for name, schema in SPEC["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        assert name


def test_every_served_schema_is_used_or_a_building_block() -> None:
    used = {ref.rsplit("/", 1)[1] for ref in _refs(SPEC["paths"]) + _refs(SPEC["components"])}
    assert set(SPEC["components"]["schemas"]) <= used


# ───────────── (b) real responses match, and every documented response happens ─────────────


def _set_up_parties(app: Flask) -> dict[str, Any]:
    with app.app_context():
        pending_org = factories.org_member(verified=False)
        pending_company = factories.company_member(verified=False)
        return {
            "pending_org_id": pending_org.organization_id,
            "pending_org_email": pending_org.email,
            "pending_company_id": pending_company.company_id,
        }


def test_every_endpoint_matches_the_document(app: Flask, client: FlaskClient, world: factories.World) -> None:
    api = ApiChecker(client)
    extra = _set_up_parties(app)
    org = issue_token(client, world.org_email)
    other_org = issue_token(client, world.other_org_email)
    company = issue_token(client, world.company_email)
    staff = issue_token(client, world.staff_email)
    deadline = (local_today() + timedelta(days=20)).isoformat()
    valid = {
        "title": "社区长者智能手机课堂",
        "summary": "教社区长者使用智能手机挂号、缴费和视频通话。",
        "description": "## 课程\n\n<script>alert(1)</script>每周两次。",
        "category": "elderly",
        "tags": ["长者", "数字助老"],
        "district": "瓯海区",
        "community": "新桥街道",
        "goal_amount": 800_000,
        "deadline": deadline,
        "funding_model": "keep_it_all",
        "beneficiaries": 120,
        "video_url": None,
    }

    # openapi.json, categories, districts
    for path in ("/openapi.json", "/categories", "/districts"):
        assert api.get(path).status_code == 200
        assert api.get(path, token="qqc_invalid").status_code == 401

    # tokens
    assert (
        api.post("/tokens", json_body={"email": world.company_email, "password": "wrong"}).status_code == 401
    )
    assert api.post("/tokens", json_body={"email": "x@example.cn", "password": 5}).status_code == 422
    assert api.post("/tokens", data="{", content_type="application/json").status_code == 400
    assert api.post("/tokens", data="email=a", content_type="text/plain").status_code == 415
    created = api.post("/tokens", json_body={"email": world.admin_email, "password": factories.PASSWORD})
    assert created.status_code == 201
    throwaway = created.get_json()["token"]
    assert api.delete("/tokens/current", token=throwaway).status_code == 204
    assert api.delete("/tokens/current", token=throwaway).status_code == 401

    # me
    for token in (org, company, staff):
        assert api.get("/me", token=token).status_code == 200
    assert api.get("/me").status_code == 401

    # list
    assert api.get("/projects").status_code == 200
    assert api.get("/projects?status=draft&per_page=100", token=staff).status_code == 200
    assert api.get("/projects?per_page=101&status=nope").status_code == 422
    assert api.get("/projects", token="qqc_invalid").status_code == 401

    # detail
    assert api.get(f"/projects/{world.published_id}").status_code == 200
    assert api.get(f"/projects/{world.draft_id}", token=org).status_code == 200
    assert api.get(f"/projects/{world.draft_id}").status_code == 404
    assert api.get(f"/projects/{world.draft_id}", token="x").status_code == 401

    # create
    response = api.post("/projects", token=org, json_body=valid)
    assert response.status_code == 201
    new_id = response.get_json()["id"]
    assert api.post("/projects", json_body=valid).status_code == 401
    assert api.post("/projects", token=company, json_body=valid).status_code == 403
    assert api.post("/projects", token=org, data="[1,", content_type="application/json").status_code == 400
    assert api.post("/projects", token=org, data=b"title=x").status_code == 415
    assert api.post("/projects", token=org, json_body={**valid, "status": "published"}).status_code == 422

    # update
    path = f"/projects/{new_id}"
    assert api.patch(path, token=org, json_body={"title": "社区长者手机课堂"}).status_code == 200
    assert api.patch(path, json_body={"title": "x"}).status_code == 401
    assert api.patch(path, token=other_org, json_body={"title": "x"}).status_code == 404
    assert api.patch(f"/projects/{world.published_id}", token=other_org, json_body={}).status_code == 403
    assert (
        api.patch(f"/projects/{world.published_id}", token=org, json_body={"title": "x"}).status_code == 409
    )
    assert api.patch(path, token=org, json_body=["title"]).status_code == 400
    assert api.patch(path, token=org, data="title", content_type="text/plain").status_code == 415
    assert api.patch(path, token=org, json_body={"goal_amount": "5000"}).status_code == 422

    # transitions
    transitions = f"/projects/{new_id}/transitions"
    assert api.post(transitions, token=org, json_body={"action": "submit"}).status_code == 200
    assert api.post(transitions, token=org, json_body={"action": "publish"}).status_code == 403
    assert api.post(transitions, token=staff, json_body={"action": "return"}).status_code == 422
    assert (
        api.post(transitions, token=staff, json_body={"action": "return", "reason": "补充预算"}).status_code
        == 200
    )
    assert api.post(transitions, token=staff, json_body={"action": "publish"}).status_code == 409
    assert api.post(transitions, json_body={"action": "submit"}).status_code == 401
    assert (
        api.post(f"/projects/{world.other_draft_id}/transitions", token=org, json_body={}).status_code == 404
    )
    assert api.post(transitions, token=org, data="{]", content_type="application/json").status_code == 400
    assert (
        api.post(
            transitions, token=org, data="a=b", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 415
    )

    # parties
    organization = f"/organizations/{world.organization_id}"
    assert api.get(organization).status_code == 200
    assert api.get(organization, token=org).status_code == 200
    assert api.get(f"/organizations/{extra['pending_org_id']}").status_code == 404
    assert api.get(organization, token="bad").status_code == 401
    assert api.get(f"/companies/{world.company_id}").status_code == 200
    assert api.get(f"/companies/{world.company_id}", token=company).status_code == 200
    assert api.get(f"/companies/{extra['pending_company_id']}", token=staff).status_code == 200
    assert api.get(f"/companies/{extra['pending_company_id']}").status_code == 404
    assert api.get("/companies/1", token="bad").status_code == 401

    # undocumented routes and methods
    assert api.get("/nowhere").status_code == 404
    assert api.request("put", "/projects").status_code == 405
    assert api.request("delete", f"/projects/{new_id}", token=org).status_code == 405

    documented = {
        (path, method, status)
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status in operation["responses"]
    }
    # 429 needs the rate limiter switched on: test_token_creation_is_rate_limited covers it.
    # The money endpoints need a Stripe server: test_money_endpoints_match_the_document covers them.
    # The matching endpoints: tests/test_api_matching.py::test_matching_endpoints_match_the_document.
    # Tenders and bids: tests/test_api_tenders.py::test_tender_endpoints_match_the_document.
    missing = (
        {
            item
            for item in documented
            if item[0] not in MONEY_PATHS | MATCHING_PATHS | AGREEMENT_PATHS | TENDER_PATHS | FRAGMENT_PATHS
        }
        - api.seen
        - {("/tokens", "post", "429")}
    )
    assert not missing, f"documented responses never produced: {sorted(missing)}"


def test_money_endpoints_match_the_document(app: Flask, make_app: Any, world: factories.World) -> None:
    """Every documented response of the pledge, ledger and pool endpoints, produced against an app
    whose Stripe is the loopback fake (for card pledges and the 502s)."""
    from tests.fakestripe import FakeStripe
    from tests.test_api_pledges import build_cast

    cast = build_cast(app, world)
    company, staff, org = cast.token("company"), cast.token("staff"), cast.token("org")
    with FakeStripe() as fake:
        card_app = make_app(
            STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x", STRIPE_API_BASE=fake.api_base
        )
        api = ApiChecker(card_app.test_client())
        pledges = f"/projects/{world.published_id}/pledges"
        bank = {"amount": 500_000, "method": "bank_transfer", "message": "加油", "anonymous": True}
        key = {"Idempotency-Key": "doc-1"}

        # create
        created = api.post(pledges, token=company, json_body=bank, headers=key)
        assert created.status_code == 201
        pledge_id = created.get_json()["id"]
        assert api.post(pledges, token=company, json_body=bank, headers=key).status_code == 201
        assert (
            api.post(pledges, token=company, json_body={**bank, "amount": 1}, headers=key).status_code == 409
        )
        assert api.post(pledges, token=company, json_body=bank).status_code == 400
        assert api.post(pledges, json_body=bank, headers=key).status_code == 401
        assert api.post(pledges, token=org, json_body=bank, headers=key).status_code == 403
        hidden = f"/projects/{world.draft_id}/pledges"
        assert api.post(hidden, token=company, json_body=bank, headers=key).status_code == 404
        assert api.post(pledges, token=company, data="amount=1", headers=key).status_code == 415
        assert (
            api.post(pledges, token=company, json_body={**bank, "amount": 1.5}, headers=key).status_code
            == 422
        )
        card = {"amount": 300_000, "method": "card"}
        card_created = api.post(pledges, token=company, json_body=card, headers={"Idempotency-Key": "c1"})
        assert card_created.status_code == 201 and card_created.get_json()["checkout_url"]
        fake.fail_next("/v1/checkout/sessions", status=400)
        assert (
            api.post(pledges, token=company, json_body=card, headers={"Idempotency-Key": "c2"}).status_code
            == 502
        )

        # read
        for token in (company, org, staff):
            assert api.get(f"/pledges/{pledge_id}", token=token).status_code == 200
        assert api.get(f"/pledges/{pledge_id}").status_code == 401
        assert api.get(f"/pledges/{pledge_id}", token=cast.token("other_org")).status_code == 404

        # confirm
        confirm = f"/pledges/{pledge_id}/confirm"
        receipt = {"received_amount": 500_000, "bank_reference": "DOC-REF-1"}
        assert api.post(confirm, token=staff, json_body=receipt).status_code == 200
        assert api.post(confirm, json_body=receipt).status_code == 401
        assert api.post(confirm, token=company, json_body=receipt).status_code == 403
        assert api.post("/pledges/999999/confirm", token=staff, json_body=receipt).status_code == 404
        card_id = card_created.get_json()["id"]
        assert api.post(f"/pledges/{card_id}/confirm", token=staff, json_body=receipt).status_code == 409
        assert api.post(confirm, token=staff, data="[", content_type="application/json").status_code == 400
        assert api.post(confirm, token=staff, data="x", content_type="text/plain").status_code == 415
        assert api.post(confirm, token=staff, json_body={"received_amount": "1"}).status_code == 422

        # refund
        refund = f"/pledges/{pledge_id}/refund"
        assert api.post(refund, token=staff, json_body={"amount": 100_000}).status_code == 200
        assert api.post(refund, token=staff, json_body={"amount": 10**9}).status_code == 422
        assert api.post(refund).status_code == 401
        assert api.post(refund, token=org, json_body={}).status_code == 403
        assert api.post("/pledges/999999/refund", token=staff).status_code == 404
        assert api.post(f"/pledges/{card_id}/refund", token=staff).status_code == 409
        assert api.post(refund, token=staff, data="{", content_type="application/json").status_code == 400
        assert api.post(refund, token=staff, data="amount=1").status_code == 415
        with card_app.app_context():
            from marketplace.extensions import db
            from marketplace.pledges.models import Pledge
            from marketplace.pledges.operations import mark_card_paid

            pledge = db.session.get(Pledge, card_id)
            completed = fake.complete_session(pledge.checkout_session_id)
            mark_card_paid(
                pledge,
                amount=completed["amount_total"],
                currency=completed["currency"],
                payment_intent_id=completed["payment_intent"],
                source="test",
            )
            db.session.commit()
        fake.fail_next("/v1/refunds", status=400)
        assert api.post(f"/pledges/{card_id}/refund", token=staff).status_code == 502

        # ledger
        ledger = api.get(f"/projects/{world.published_id}/ledger")
        assert ledger.status_code == 200 and ledger.get_json()["entries"]
        assert api.get(f"/projects/{world.published_id}/ledger", token="qqc_bad").status_code == 401
        assert api.get(f"/projects/{world.draft_id}/ledger").status_code == 404

        # matching pools
        today = local_today()
        pool = {
            "name": "99 公益日配捐",
            "budget": 1_000_000,
            "ratio_bp": 10_000,
            "starts_at": today.isoformat(),
            "ends_at": (today + timedelta(days=3)).isoformat(),
        }
        opened = api.post("/matching-pools", token=company, json_body=pool)
        assert opened.status_code == 201
        assert api.post("/matching-pools", json_body=pool).status_code == 401
        assert api.post("/matching-pools", token=staff, json_body=pool).status_code == 403
        assert (
            api.post("/matching-pools", token=company, json_body={**pool, "ratio_bp": 0}).status_code == 422
        )
        assert (
            api.post("/matching-pools", token=company, data="{", content_type="application/json").status_code
            == 400
        )
        assert api.post("/matching-pools", token=company, data="name=x").status_code == 415
        assert api.get("/matching-pools").status_code == 200
        assert api.get("/matching-pools", token="qqc_bad").status_code == 401
        assert api.get("/matching-pools?page=0").status_code == 422
        pool_path = f"/matching-pools/{opened.get_json()['id']}"
        assert api.get(pool_path).status_code == 200
        assert api.get(pool_path, token="qqc_bad").status_code == 401
        assert api.get("/matching-pools/999999").status_code == 404

    documented = {
        (path, method, status)
        for path, item in SPEC["paths"].items()
        if path in MONEY_PATHS
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status in operation["responses"]
    }
    # 429 needs the rate limiter on: test_rate_limited_pledge_response_matches_the_document.
    missing = documented - api.seen - {("/projects/{project_id}/pledges", "post", "429")}
    assert not missing, f"documented responses never produced: {sorted(missing)}"


def test_rate_limited_pledge_response_matches_the_document(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True, PLEDGE_RATE_LIMIT="2 per minute")
    with app.app_context():
        owner = factories.org_member()
        factories.foundation()
        project = factories.project(owner, status="published", reviewer=factories.staff())
        token = accounts.issue_api_token(factories.company_member())
        db.session.commit()
        project_id = project.id
    api = ApiChecker(app.test_client())
    statuses = [
        api.post(
            f"/projects/{project_id}/pledges",
            token=token,
            json_body={"amount": 10_000, "method": "bank_transfer"},
            headers={"Idempotency-Key": f"rate-{attempt}"},
        ).status_code
        for attempt in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert ("/projects/{project_id}/pledges", "post", "429") in api.seen


def test_rate_limited_token_response_matches_the_document(make_app: Any) -> None:
    app = make_app(RATELIMIT_ENABLED=True)
    api = ApiChecker(app.test_client())
    statuses = [
        api.post(
            "/tokens", json_body={"email": "nobody@example.cn", "password": "wrong-password"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert ("/tokens", "post", "429") in api.seen


def test_moments_are_local_iso_8601(app: Flask, client: FlaskClient, world: factories.World) -> None:
    body = ApiChecker(client).get(f"/projects/{world.published_id}").get_json()
    for name in ("deadline", "created_at", "published_at"):
        moment = datetime.fromisoformat(body[name])
        assert moment.utcoffset() == timedelta(hours=8), (name, body[name])


@pytest.mark.parametrize("schema_name", sorted(SPEC["components"]["schemas"]))
def test_schemas_reject_unknown_properties(schema_name: str) -> None:
    """A field added to a serializer but not to the document must fail validation."""
    schema = SPEC["components"]["schemas"][schema_name]
    target = resolve(schema["allOf"][0]["$ref"]) if "allOf" in schema else schema
    assert target.get("additionalProperties") is False, schema_name
