"""The OpenAPI 3.1 description of /api/v1, built once and served at ``GET /api/v1/openapi.json``.

tests/test_api_openapi.py keeps it true: the (path, method) pairs must equal the blueprint's
routes, every operationId must name the view function, and every real response of every
endpoint is validated against the schema documented for its status code. Response schemas use
``additionalProperties: false`` so a field added to a serializer must be documented too. Request
schemas are generated from the same field tables the endpoints check bodies with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify

from marketplace.accounts.models import Role
from marketplace.agreements.models import PARTY_ROLES, VERSION_KIND_LABELS
from marketplace.agreements.operations import REASON_MAX as AGREEMENT_REASON_MAX
from marketplace.agreements.operations import TITLE_MAX as AGREEMENT_TITLE_MAX
from marketplace.agreements.states import REQUESTED_ACTIONS, AgreementStatus, AgreementType, VersionStatus
from marketplace.agreements.terms import CANONICAL_FORMAT as AGREEMENT_FORMAT
from marketplace.agreements.terms import COMMITTED_MAX, EXTRA_MAX, KPI_MAX, TRANCHES_MAX
from marketplace.agreements.terms import NOTICE_DEFAULT as AGREEMENT_NOTICE_DEFAULT
from marketplace.agreements.terms import NOTICE_MAX as AGREEMENT_NOTICE_MAX
from marketplace.agreements.terms import SHORT_MAX as TERMS_SHORT_MAX
from marketplace.agreements.terms import TEXT_MAX as TERMS_TEXT_MAX
from marketplace.agreements.terms import VOLUNTEERS_MAX as AGREEMENT_VOLUNTEERS_MAX
from marketplace.api import bp
from marketplace.api.accounts import TOKEN_FIELDS
from marketplace.api.agreements import (
    AGREEMENT_FIELDS,
    EXPIRING_MAX_DAYS,
    SIGNATURE_FIELDS,
    TERMS_FIELDS,
    TRANCHE_FIELDS,
    VERSION_FIELDS,
)
from marketplace.api.agreements import TRANSITION_FIELDS as AGREEMENT_TRANSITION_FIELDS
from marketplace.api.input import JsonField
from marketplace.api.matching import DEFAULT_LIMIT as MATCHES_PER_PAGE
from marketplace.api.matching import (
    INTRODUCTION_FIELDS,
    INTRODUCTIONS_MAX,
    PROFILE_FIELDS,
    PROFILE_REQUIRED,
    RESPONSE_FIELDS,
    RESPONSE_NOTE_MAX,
)
from marketplace.api.pledges import (
    CONFIRM_FIELDS,
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_MAX,
    PLEDGE_FIELDS,
    REFUND_FIELDS,
)
from marketplace.api.pools import DEFAULT_PER_PAGE as POOLS_PER_PAGE
from marketplace.api.pools import MAX_PER_PAGE as POOLS_MAX_PER_PAGE
from marketplace.api.pools import POOL_FIELDS
from marketplace.api.projects import (
    API_ACTIONS,
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    PROJECT_FIELDS,
    REASON_MAX,
    TRANSITION_FIELDS,
)
from marketplace.api.tenders import (
    AWARD_FIELDS,
    BID_FIELDS,
    BID_TRANSITION_FIELDS,
    CONSENT_FIELDS,
    DOCUMENT_KINDS,
    EVALUATION_FIELDS,
    INVITATION_FIELDS,
    MEMBER_FIELDS,
    PARTNERS_DEFAULT_LIMIT,
    PARTNERS_MAX_LIMIT,
    REASON_FIELDS,
    SUBCONTRACT_FIELDS,
    TENDER_FIELDS,
    TENDER_UPDATE_FIELDS,
)
from marketplace.matching.operations import NOTE_MAX, STATEMENT_MAX, VOLUNTEERS_MAX
from marketplace.matching.scoring import GRADES as MATCH_GRADES
from marketplace.matching.scoring import MAX_LIMIT as MATCHES_MAX_LIMIT
from marketplace.matching.scoring import TIERS as MATCH_TIERS
from marketplace.matching.states import COMPANY_CHOICES, CONVERSION_DAYS, IntroductionStatus
from marketplace.parties.models import GRADES, Tier, VerificationStatus
from marketplace.pledges.accounting import MAX_PLEDGE_FEN, MAX_RATIO_BP, MIN_PLEDGE_FEN, LedgerKind
from marketplace.pledges.operations import BANK_REFERENCE_MAX, IN_KIND_MAX, MESSAGE_MAX
from marketplace.pledges.states import PledgeMethod, PledgeStatus
from marketplace.projects.states import FundingModel, ProjectStatus
from marketplace.search.types import PROGRESS_BUCKETS, SORTS
from marketplace.tenders.operations import TITLE_MAX as TENDER_TITLE_MAX
from marketplace.tenders.rules import GRADES as TENDER_GRADES
from marketplace.tenders.rules import (
    MAX_MEMBERS_LIMIT,
    PROPOSAL_MAX,
    SCOPE_MAX,
    BidMode,
    BuyerKind,
    GradeRule,
    Method,
)
from marketplace.tenders.states import BIDDER_ACTIONS, BidStatus, TenderStatus

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: Mapping[str, Schema], *, required: bool = True) -> Schema:
    """A closed object: every listed property present (unless ``required=False``), nothing else."""
    schema: Schema = {"type": "object", "properties": dict(properties), "additionalProperties": False}
    if required:
        schema["required"] = list(properties)
    return schema


STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
FEN: Schema = {"type": "integer", "minimum": 0, "description": "Amount in fen (1 CNY = 100 fen)."}
MOMENT: Schema = {"type": "string", "format": "date-time", "description": "ISO 8601, Asia/Shanghai (+08:00)."}
NULLABLE_MOMENT: Schema = {**MOMENT, "type": ["string", "null"]}
STRING_LIST: Schema = {"type": "array", "items": STRING}
COUNTS: Schema = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
PARTY_REF: Schema = _object({"id": INTEGER, "name": STRING})
NULLABLE_PARTY_REF: Schema = {"oneOf": [{"type": "null"}, PARTY_REF]}
CONTACT: Schema = {
    "oneOf": [{"type": "null"}, _object({"name": STRING, "phone": STRING, "email": STRING})],
    "description": "Only for the party's own members and staff; null for everyone else.",
}
STATUS: Schema = {"type": "string", "enum": [status.value for status in ProjectStatus]}
FUNDING_MODEL: Schema = {"type": "string", "enum": [model.value for model in FundingModel]}
VERIFICATION: Schema = {"type": "string", "enum": [status.value for status in VerificationStatus]}

_JSON_TYPES: Mapping[str, Schema] = {
    "string": STRING,
    "integer": INTEGER,
    "boolean": {"type": "boolean"},
    "string_list": STRING_LIST,
    "integer_list": {"type": "array", "items": INTEGER},
    "object": {"type": "object"},
    "object_list": {"type": "array", "items": {"type": "object"}},
    "string_or_string_list": {"type": ["string", "array"], "items": STRING},
    "date": {"type": "string", "format": "date", "description": "YYYY-MM-DD."},
}


def _input_schema(fields: Mapping[str, JsonField], descriptions: Mapping[str, str]) -> Schema:
    """A request body schema generated from the table the endpoint checks bodies with."""
    properties: dict[str, Schema] = {}
    for name, field in fields.items():
        schema = dict(_JSON_TYPES[field.kind])
        if field.nullable:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            schema["type"] = [*types, "null"]
        if name in descriptions:
            schema["description"] = descriptions[name]
        properties[name] = schema
    return _object(properties, required=False)


def _refined(schema: Schema, *, required: list[str], **properties: Schema) -> Schema:
    """Narrow a generated input schema: required fields and per-property constraints."""
    refined = {**schema, "required": required, "properties": dict(schema["properties"])}
    for name, extra in properties.items():
        refined["properties"][name] = {**refined["properties"][name], **extra}
    return refined


_PROJECT_SUMMARY_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER,
    "title": STRING,
    "summary": STRING,
    "category": {**STRING, "description": "Category slug, see /categories."},
    "district": {**STRING, "description": "District name, see /districts."},
    "tags": STRING_LIST,
    "status": STATUS,
    "funding_model": FUNDING_MODEL,
    "goal_amount": FEN,
    "raised_amount": {
        **FEN,
        "description": "Fen: paid pledges − refunds + matching funds; always the sum of the project's "
        "ledger rows of those kinds (see /projects/{project_id}/ledger).",
    },
    "matched_amount": {
        **FEN,
        "description": "Fen: the part of raised_amount that matching pools (配捐) added.",
    },
    "disbursed_amount": {**FEN, "description": "Fen: raised money already paid out to the organization."},
    "receiving_entity": {
        "oneOf": [{"type": "null"}, _ref("ReceivingEntity")],
        "description": "Who receives the money; null while staff have configured no partner foundation.",
    },
    "supporters": {"type": "integer", "minimum": 0},
    "deadline": MOMENT,
    "cover_url": NULLABLE_STRING,
    "organization": PARTY_REF,
    "published_at": NULLABLE_MOMENT,
}

SCHEMAS: dict[str, Schema] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {**STRING, "description": "Stable machine-readable code."},
                    "message": {**STRING, "description": "Chinese, or English with Accept-Language: en."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": STRING,
                        "description": "Reason per invalid field.",
                    },
                }
            )
        }
    ),
    "TokenRequest": {
        **_input_schema(TOKEN_FIELDS, {"name": "A label to recognise the token by."}),
        "required": ["email", "password"],
    },
    "Token": _object({"token": STRING, "token_type": {"type": "string", "const": "Bearer"}}),
    "Me": _object(
        {
            "id": INTEGER,
            "email": STRING,
            "name": STRING,
            "role": {"type": "string", "enum": [role.value for role in Role]},
            "organization": NULLABLE_PARTY_REF,
            "company": NULLABLE_PARTY_REF,
        }
    ),
    "Project": _object(
        {
            **_PROJECT_SUMMARY_PROPERTIES,
            "description": {**STRING, "description": "Markdown as written."},
            "description_html": {**STRING, "description": "Rendered and sanitised HTML."},
            "community": STRING,
            "beneficiaries": {"type": "integer", "minimum": 0},
            "video_url": NULLABLE_STRING,
            "created_at": MOMENT,
            "return_reason": {**NULLABLE_STRING, "description": "Only for the owner and staff."},
            "allowed_actions": {
                "type": "array",
                "items": {"type": "string", "enum": [action.value for action in API_ACTIONS]},
                "description": "Transitions the caller may request.",
            },
        }
    ),
    "ProjectListItem": _object(
        {
            **_PROJECT_SUMMARY_PROPERTIES,
            "highlight": {
                **_object({"title": STRING, "summary": STRING, "description": STRING}, required=False),
                "description": "Search snippets: HTML-escaped text with <mark> around the matched words "
                "(empty without a query).",
            },
        }
    ),
    "ProjectList": _object(
        {
            "items": {"type": "array", "items": _ref("ProjectListItem")},
            "facets": {
                **_object({name: COUNTS for name in ("category", "district", "status", "progress")}),
                "description": "Counts over the whole result: category slugs, district names, statuses and "
                "funding-progress buckets (0-25, 25-50, 50-75, 75-100, 100+).",
            },
            "notices": {"type": "array", "items": STRING, "description": "E.g. the query was shortened."},
            "suggestion": {**NULLABLE_STRING, "description": "'Did you mean', when nothing matched."},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        }
    ),
    "ProjectInput": _input_schema(
        PROJECT_FIELDS,
        {
            "category": "Category slug.",
            "district": "District name.",
            "goal_amount": "Integer fen, > 0.",
            "deadline": "ISO date (end of that day in Wenzhou) or date-time.",
            "tags": "At most 8 tags of at most 12 characters.",
        },
    ),
    "ProjectCreate": {
        "allOf": [_ref("ProjectInput")],
        "required": ["title", "summary", "category", "district", "goal_amount", "deadline", "funding_model"],
    },
    "Transition": _refined(
        _input_schema(TRANSITION_FIELDS, {"reason": "Required to return a project."}),
        required=["action"],
        action={"enum": [action.value for action in API_ACTIONS]},
        reason={"maxLength": REASON_MAX},
    ),
    "Organization": _object(
        {
            "id": INTEGER,
            "name": STRING,
            "uscc": STRING,
            "district": STRING,
            "community": STRING,
            "founded_year": {"type": ["integer", "null"]},
            "business_areas": {**STRING_LIST, "description": "Category slugs."},
            "grade": {"type": ["string", "null"], "enum": [*GRADES, None]},
            "grade_valid_until": {"type": ["string", "null"], "format": "date"},
            "tier": {"type": ["string", "null"], "enum": [*(tier.value for tier in Tier), None]},
            "description": STRING,
            "verification_status": VERIFICATION,
            "contact": CONTACT,
        }
    ),
    "Company": _object(
        {
            "id": INTEGER,
            "name": STRING,
            "uscc": STRING,
            "district": STRING,
            "industry": STRING,
            "focus_categories": {**STRING_LIST, "description": "Category slugs."},
            "districts_of_interest": {**STRING_LIST, "description": "District names."},
            "yearly_budget": {"type": ["integer", "null"], "minimum": 0, "description": "Fen."},
            "description": STRING,
            "verification_status": VERIFICATION,
            "contact": CONTACT,
        }
    ),
    "CategoryList": _object(
        {"items": {"type": "array", "items": _object({"slug": STRING, "name": STRING, "name_en": STRING})}}
    ),
    "DistrictList": _object(
        {"items": {"type": "array", "items": _object({"name": STRING, "name_en": STRING})}}
    ),
}

_PLEDGE_METHOD: Schema = {"type": "string", "enum": [method.value for method in PledgeMethod]}
_PLEDGE_FEN: Schema = {
    "type": "integer",
    "minimum": MIN_PLEDGE_FEN,
    "maximum": MAX_PLEDGE_FEN,
    "description": f"Integer fen (1 CNY = 100 fen), {MIN_PLEDGE_FEN} to {MAX_PLEDGE_FEN} "
    "(¥1 to ¥10,000,000). Not a string, not a fraction, not a boolean.",
}
_POSITIVE_FEN: Schema = {"type": "integer", "minimum": 1, "description": "Integer fen, > 0."}
_MOMENT_INPUT: Schema = {
    "type": "string",
    "description": "ISO 8601: a date (YYYY-MM-DD, Wenzhou time; the start of that day for starts_at, "
    "its end for ends_at) or a date-time with an offset (without one: Wenzhou time).",
}
_POOL_SUMMARY_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER,
    "name": STRING,
    "description": STRING,
    "company": {**PARTY_REF, "description": "The company whose budget this is."},
    "budget": FEN,
    "remaining": {**FEN, "description": "Fen still available for matches; never below zero."},
    "matched_total": {**FEN, "description": "Fen matched so far (budget − remaining)."},
    "ratio_bp": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_RATIO_BP,
        "description": "Fen matched per fen pledged, in basis points: 10000 = 1:1, 5000 = 1:2.",
    },
    "cap_per_pledge": {"type": ["integer", "null"], "minimum": 1, "description": "Fen; null: no cap."},
    "cap_per_project": {"type": ["integer", "null"], "minimum": 1, "description": "Fen; null: no cap."},
    "categories": {**STRING_LIST, "description": "Eligible category slugs; empty: every category."},
    "districts": {**STRING_LIST, "description": "Eligible district names; empty: every district."},
    "starts_at": MOMENT,
    "ends_at": MOMENT,
    "active": {"type": "boolean", "description": "False once the company or staff closed the pool."},
    "open": {
        "type": "boolean",
        "description": "Matching pledges now: active, started, not ended and budget left.",
    },
    "created_at": MOMENT,
}

SCHEMAS.update(
    {
        "ReceivingEntity": _object(
            {
                "kind": {"type": "string", "enum": ["organization", "foundation"]},
                "name": STRING,
            },
        ),
        "Pledge": _object(
            {
                "id": INTEGER,
                "project_id": {
                    "type": ["integer", "null"],
                    "description": "Null for a tranche of a partnership agreement that names no project: "
                    "the money goes to the organization's agreement account.",
                },
                "company_id": {
                    "type": ["integer", "null"],
                    "description": "Null when the pledge is anonymous and the caller is neither that "
                    "company nor staff (the project's organization does not learn who it was).",
                },
                "company": {**NULLABLE_PARTY_REF, "description": "Null in the same cases as company_id."},
                "status": {"type": "string", "enum": [status.value for status in PledgeStatus]},
                "method": _PLEDGE_METHOD,
                "amount": {**FEN, "description": "Fen as pledged (in kind: the company's estimate)."},
                "currency": {"type": "string", "const": "CNY"},
                "message": STRING,
                "anonymous": {"type": "boolean"},
                "in_kind_description": STRING,
                "reference_code": {
                    **STRING,
                    "description": "The pledge's unique reference code (QQC…), printed on receipts.",
                },
                "bank_reference": {
                    **NULLABLE_STRING,
                    "description": "Bank transfers only: the reference to write in the transfer's remark "
                    "(附言) so staff can match it — the same value as reference_code.",
                },
                "checkout_url": {
                    **NULLABLE_STRING,
                    "description": "Card pledges still pending: the Stripe Checkout page to pay on "
                    "(for the pledging company and staff only).",
                },
                "payee": {
                    **_object(
                        {
                            "kind": {"type": "string", "enum": ["organization", "foundation"]},
                            "name": STRING,
                            "bank_name": STRING,
                            "account_number": STRING,
                        }
                    ),
                    "description": "The receiving entity and its account, fixed when the pledge was made.",
                },
                "paid_amount": {
                    **FEN,
                    "description": "Fen received (in kind: valued by staff); 0 until paid.",
                },
                "refunded_amount": {**FEN, "description": "Fen returned so far."},
                "refundable_amount": {**FEN, "description": "Fen that may still be refunded."},
                "matched_amount": {**FEN, "description": "Fen matching pools added for this pledge, net."},
                "bank_transaction_reference": {
                    **NULLABLE_STRING,
                    "description": "The bank's transaction number staff recorded on receipt (the "
                    "bank_reference sent to /pledges/{pledge_id}/confirm).",
                },
                "flag": {
                    **NULLABLE_STRING,
                    "description": "Staff only (null for others): why the pledge needs a person, e.g. an "
                    "amount mismatch reported by the payment platform.",
                },
                "created_at": MOMENT,
                "paid_at": NULLABLE_MOMENT,
                "closed_at": NULLABLE_MOMENT,
            }
        ),
        "PledgeCreate": _refined(
            _input_schema(
                PLEDGE_FIELDS,
                {
                    "method": "card (Stripe Checkout; only when the platform has Stripe keys), "
                    "bank_transfer (对公转账) or in_kind (goods or services).",
                    "message": "Shown with the pledge.",
                    "anonymous": "Hide the company's name from the public and the organization.",
                    "in_kind_description": "Required for in_kind: what, how many, which specification.",
                },
            ),
            required=["amount", "method"],
            amount=_PLEDGE_FEN,
            method={"enum": [method.value for method in PledgeMethod]},
            message={"maxLength": MESSAGE_MAX},
            in_kind_description={"maxLength": IN_KIND_MAX},
        ),
        "PledgeConfirm": _refined(
            _input_schema(
                CONFIRM_FIELDS,
                {
                    "bank_reference": "The bank's transaction number; required for bank transfers.",
                    "received_amount": "Fen that arrived (in kind: the staff's valuation).",
                },
            ),
            required=["received_amount"],
            received_amount=_PLEDGE_FEN,
            bank_reference={"maxLength": BANK_REFERENCE_MAX},
        ),
        "PledgeRefund": _refined(
            _input_schema(REFUND_FIELDS, {"amount": "Fen to refund now; absent or null: all that is left."}),
            required=[],
            amount={"minimum": 1},
        ),
        "LedgerEntry": _object(
            {
                "id": INTEGER,
                "kind": {
                    "type": "string",
                    "enum": [kind.value for kind in LedgerKind],
                    "description": "pledge_paid, refund, match_credit and match_reversal make up "
                    "raised_amount; disbursement (money passed to the organization) and fee do not.",
                },
                "amount": {
                    "type": "integer",
                    "description": "Signed fen: refunds, match reversals and fees are negative.",
                },
                "counts_toward_raised": {"type": "boolean"},
                "pledge_id": {"type": ["integer", "null"]},
                "pool_id": {"type": ["integer", "null"], "description": "Match rows: the matching pool."},
                "disbursement_id": {"type": ["integer", "null"]},
                "company": {
                    **NULLABLE_PARTY_REF,
                    "description": "The pledging company of the row's pledge; null for anonymous pledges "
                    "(except for that company and staff) and rows without a pledge.",
                },
                "account": {
                    **STRING,
                    "description": "The receiving account: organization:<id> or foundation:<id>.",
                },
                "reference": {**STRING, "description": "Unique reference of the movement."},
                "created_at": MOMENT,
            }
        ),
        "Ledger": _object(
            {
                "project_id": INTEGER,
                "raised_amount": {
                    **FEN,
                    "description": "Exactly the sum of the pledge_paid, refund, match_credit and "
                    "match_reversal entries.",
                },
                "matched_amount": {
                    **FEN,
                    "description": "The sum of the match_credit and match_reversal entries.",
                },
                "disbursed_amount": {**FEN, "description": "The sum of the disbursement entries."},
                "receiving_entity": {"oneOf": [{"type": "null"}, _ref("ReceivingEntity")]},
                "entries": {"type": "array", "items": _ref("LedgerEntry"), "description": "Oldest first."},
            }
        ),
        "MatchingPool": _object(_POOL_SUMMARY_PROPERTIES),
        "MatchingPoolDetail": _object(
            {
                **_POOL_SUMMARY_PROPERTIES,
                "projects": {
                    "type": "array",
                    "items": _object({"id": INTEGER, "title": STRING, "matched_amount": FEN}),
                    "description": "Projects the pool has matched (that the caller may see), most first.",
                },
            }
        ),
        "MatchingPoolList": _object(
            {
                "items": {"type": "array", "items": _ref("MatchingPool")},
                "total": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": POOLS_MAX_PER_PAGE},
            }
        ),
        "MatchingPoolCreate": _refined(
            _input_schema(
                POOL_FIELDS,
                {
                    "budget": "Integer fen, > 0, at most ¥100,000,000.",
                    "categories": "Eligible category slugs (see /categories); empty or absent: all.",
                    "districts": "Eligible district names (see /districts); empty or absent: all.",
                },
            ),
            required=["name", "budget", "ratio_bp", "starts_at", "ends_at"],
            name={"maxLength": 60},
            description={"maxLength": 500},
            budget=_POSITIVE_FEN,
            ratio_bp=_POOL_SUMMARY_PROPERTIES["ratio_bp"],
            cap_per_pledge={"minimum": 1, "description": "Integer fen, > 0; null or absent: no cap."},
            cap_per_project={"minimum": 1, "description": "Integer fen, > 0; null or absent: no cap."},
            starts_at=_MOMENT_INPUT,
            ends_at={**_MOMENT_INPUT, "description": _MOMENT_INPUT["description"] + " After starts_at."},
        ),
    }
)

_ERROR_RESPONSES: dict[str, Schema] = {
    "BadRequest": {
        "description": "Malformed JSON or a body that is not a JSON object; where an Idempotency-Key "
        "header is required: a missing one (code idempotency_key_required) or a malformed one "
        "(idempotency_key_invalid)."
    },
    "Unauthorized": {"description": "No, a revoked or an invalid bearer token; or wrong credentials."},
    "Forbidden": {"description": "The caller's role may not do this."},
    "NotFound": {"description": "No such resource, or one the caller may not see."},
    "Conflict": {
        "description": "Not allowed in the resource's current state; or an Idempotency-Key already "
        "used with a different request (code idempotency_key_reused)."
    },
    "UnsupportedMediaType": {"description": "The body is not application/json."},
    "TooLarge": {"description": "The request body is larger than the endpoint accepts (a document: 10 MB)."},
    "Unprocessable": {
        "description": "Invalid fields (see error.fields), including fields that may not be set."
    },
    "TooManyRequests": {"description": "Too many attempts; try again later."},
    "StorageFull": {
        "description": "The server's storage is full: nothing was stored or saved (error.code "
        "storage_full). Retrying later can work."
    },
    "BadGateway": {
        "description": "The payment platform (Stripe) failed or refused the call. Nothing was saved; "
        "retrying (with the same Idempotency-Key) is safe."
    },
}
_STATUS_RESPONSES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "413": "TooLarge",
    "415": "UnsupportedMediaType",
    "422": "Unprocessable",
    "429": "TooManyRequests",
    "502": "BadGateway",
    "503": "StorageFull",
}


def _json_content(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _responses(success: Mapping[str, Schema], *errors: int) -> Schema:
    responses: Schema = dict(success)
    for status in sorted({401, *errors}):
        responses[str(status)] = {"$ref": f"#/components/responses/{_STATUS_RESPONSES[str(status)]}"}
    return responses


def _ok(schema_name: str, description: str, status: str = "200") -> dict[str, Schema]:
    return {status: {"description": description, "content": _json_content(_ref(schema_name))}}


def _body(schema_name: str) -> Schema:
    return {"required": True, "content": _json_content(_ref(schema_name))}


def _path_id(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PUBLIC: list[Schema] = [{}, {"bearer": []}]  # anonymous, or with a token for more
SIGNED_IN: list[Schema] = [{"bearer": []}]

PATHS: dict[str, Schema] = {
    "/openapi.json": {
        "get": {
            "operationId": "openapi_document",
            "summary": "This document",
            "security": PUBLIC,
            "responses": _responses(
                {"200": {"description": "OpenAPI 3.1", "content": _json_content({"type": "object"})}}
            ),
        }
    },
    "/tokens": {
        "post": {
            "operationId": "create_token",
            "summary": "Exchange e-mail and password for a bearer token (rate-limited like login)",
            "security": [],
            "requestBody": _body("TokenRequest"),
            "responses": _responses(
                _ok("Token", "The token; it is shown only this once.", "201"), 400, 415, 422, 429
            ),
        }
    },
    "/tokens/current": {
        "delete": {
            "operationId": "revoke_current_token",
            "summary": "Revoke the token this request was made with",
            "security": SIGNED_IN,
            "responses": _responses({"204": {"description": "Revoked."}}),
        }
    },
    "/me": {
        "get": {
            "operationId": "get_me",
            "summary": "The caller's account",
            "security": SIGNED_IN,
            "responses": _responses(_ok("Me", "The caller.")),
        }
    },
    "/projects": {
        "get": {
            "operationId": "list_projects_endpoint",
            "summary": "Projects the caller may see, newest first, or full-text search results",
            "description": "Without `q`, `sort` or `progress`: anonymous callers and companies see "
            "published, funded, failed and closed projects; an organization member also sees its own "
            "organization's "
            "projects; staff see all. With any of them the request is a search (Chinese segmentation, "
            "synonyms, pinyin): non-staff find published, funded and closed projects, staff every state.",
            "security": PUBLIC,
            "parameters": [
                _query(
                    "q",
                    STRING,
                    'Search words; "quoted phrases"; pinyin such as jinglao. Cut at 200 characters.',
                ),
                _query("sort", {"type": "string", "enum": list(SORTS)}, "Order (default relevance)."),
                _query(
                    "progress", {"type": "string", "enum": list(PROGRESS_BUCKETS)}, "Funding progress bucket."
                ),
                _query("status", STATUS, "Only this status."),
                _query("category", STRING, "Category slug."),
                _query("district", STRING, "District name."),
                _query("organization_id", {"type": "integer", "minimum": 1}, "Only this organization's."),
                _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
                _query(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
                    "Items per page.",
                ),
            ],
            "responses": _responses(_ok("ProjectList", "One page of projects."), 422),
        },
        "post": {
            "operationId": "create_project_endpoint",
            "summary": "Draft a new project (organization members)",
            "security": SIGNED_IN,
            "requestBody": _body("ProjectCreate"),
            "responses": _responses(
                {
                    "201": {
                        "description": "The new draft.",
                        "headers": {"Location": {"schema": STRING, "description": "The project's URL."}},
                        "content": _json_content(_ref("Project")),
                    }
                },
                400,
                403,
                415,
                422,
            ),
        },
    },
    "/projects/{project_id}": {
        "parameters": [_path_id("project_id")],
        "get": {
            "operationId": "get_project",
            "summary": "One project",
            "security": PUBLIC,
            "responses": _responses(_ok("Project", "The project."), 404),
        },
        "patch": {
            "operationId": "update_project_endpoint",
            "summary": "Edit a draft or returned project (the owning organization)",
            "security": SIGNED_IN,
            "requestBody": _body("ProjectInput"),
            "responses": _responses(_ok("Project", "The edited project."), 400, 403, 404, 409, 415, 422),
        },
    },
    "/projects/{project_id}/transitions": {
        "parameters": [_path_id("project_id")],
        "post": {
            "operationId": "transition_project_endpoint",
            "summary": "Submit, publish, return, cancel or revise a project",
            "description": "submit / revise: the owner; publish / return (with a reason): staff; "
            "cancel: the owner or staff.",
            "security": SIGNED_IN,
            "requestBody": _body("Transition"),
            "responses": _responses(
                _ok("Project", "The project after the transition."), 400, 403, 404, 409, 415, 422
            ),
        },
    },
    "/organizations/{organization_id}": {
        "parameters": [_path_id("organization_id")],
        "get": {
            "operationId": "get_organization",
            "summary": "An organization's public profile",
            "security": PUBLIC,
            "responses": _responses(_ok("Organization", "The organization."), 404),
        },
    },
    "/companies/{company_id}": {
        "parameters": [_path_id("company_id")],
        "get": {
            "operationId": "get_company",
            "summary": "A company's public profile",
            "security": PUBLIC,
            "responses": _responses(_ok("Company", "The company."), 404),
        },
    },
    "/categories": {
        "get": {
            "operationId": "list_categories",
            "summary": "Project categories",
            "security": PUBLIC,
            "responses": _responses(_ok("CategoryList", "Every category.")),
        }
    },
    "/districts": {
        "get": {
            "operationId": "list_districts",
            "summary": "Districts of Wenzhou",
            "security": PUBLIC,
            "responses": _responses(_ok("DistrictList", "Every district.")),
        }
    },
}

_IDEMPOTENCY_PARAMETER: Schema = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX, "pattern": "^[ -~]+$"},
    "description": "A key the client chooses per pledge (1–100 printable ASCII characters), e.g. a UUID. "
    "Keys are scoped to the caller. Retrying with the same key and the same body answers 201 with the "
    "same pledge (never a second one, also when the retries race); the same key with a different "
    "body answers 409 idempotency_key_reused; no key answers 400 idempotency_key_required.",
}

PATHS.update(
    {
        "/projects/{project_id}/pledges": {
            "parameters": [_path_id("project_id")],
            "post": {
                "operationId": "create_pledge_endpoint",
                "summary": "Pledge to a published project (members of verified companies)",
                "description": "Amounts are integer fen. The pledge starts pending: a card pledge gets "
                "`checkout_url` (Stripe Checkout, CNY) and becomes paid only when Stripe confirms the "
                "payment; a bank transfer gets `bank_reference`, the code to write in the transfer's remark, "
                "and becomes paid when staff record its receipt; goods and services are valued by staff on "
                "receipt. Errors: 403 for organization members, staff and unverified companies; 404 for a "
                "project the caller may not see (e.g. a draft); 409 for a project that is not raising funds "
                "(submitted, funded, failed, closed, cancelled, past its deadline) or has no receiving "
                "entity yet; 422 for invalid fields, e.g. an amount that is not an integer from 100 to "
                "1000000000, or `card` when online payment is not configured; 429 past `PLEDGE_RATE_LIMIT` "
                "new pledges a minute per user (default 30, shared with the pledge page).",
                "security": SIGNED_IN,
                "parameters": [_IDEMPOTENCY_PARAMETER],
                "requestBody": _body("PledgeCreate"),
                "responses": _responses(
                    {
                        "201": {
                            "description": "The pledge (also for a retry with the same key and body).",
                            "headers": {"Location": {"schema": STRING, "description": "The pledge's URL."}},
                            "content": _json_content(_ref("Pledge")),
                        }
                    },
                    400,
                    403,
                    404,
                    409,
                    415,
                    422,
                    429,
                    502,
                ),
            },
        },
        "/pledges/{pledge_id}": {
            "parameters": [_path_id("pledge_id")],
            "get": {
                "operationId": "get_pledge",
                "summary": "One pledge (the pledging company, the project's organization, staff)",
                "description": "Everyone else gets 404. An anonymous pledge's company is shown only to that "
                "company and staff; `flag` only to staff.",
                "security": SIGNED_IN,
                "responses": _responses(_ok("Pledge", "The pledge."), 404),
            },
        },
        "/pledges/{pledge_id}/confirm": {
            "parameters": [_path_id("pledge_id")],
            "post": {
                "operationId": "confirm_pledge_endpoint",
                "summary": "Record receipt of a bank transfer or of goods (staff)",
                "description": "Makes a pending offline pledge paid: one ledger row, the project's total and "
                "matching funds. Repeating the same confirmation changes nothing. 409 for card pledges "
                "(Stripe confirms those), for closed pledges and for a bank reference already recorded on "
                "another pledge.",
                "security": SIGNED_IN,
                "requestBody": _body("PledgeConfirm"),
                "responses": _responses(_ok("Pledge", "The pledge, now paid."), 400, 403, 404, 409, 415, 422),
            },
        },
        "/pledges/{pledge_id}/refund": {
            "parameters": [_path_id("pledge_id")],
            "post": {
                "operationId": "refund_pledge_endpoint",
                "summary": "Refund part or all of a paid pledge (staff)",
                "description": "Card payments go back through Stripe (with an idempotency key naming the new "
                "refunded total); bank transfers and goods are recorded as returned. Matching funds follow "
                "in proportion. The body may be omitted to refund everything left. 422 above the refundable "
                "amount; 409 for a pledge that is not paid.",
                "security": SIGNED_IN,
                "requestBody": {"required": False, "content": _json_content(_ref("PledgeRefund"))},
                "responses": _responses(
                    _ok("Pledge", "The pledge after the refund."), 400, 403, 404, 409, 415, 422, 502
                ),
            },
        },
        "/projects/{project_id}/ledger": {
            "parameters": [_path_id("project_id")],
            "get": {
                "operationId": "get_project_ledger",
                "summary": "A project's money ledger (whoever may see the project)",
                "description": "Append-only rows, oldest first. The pledge_paid, refund, match_credit and "
                "match_reversal amounts sum exactly to raised_amount; disbursements are listed as their own "
                "kind and do not change it. Anonymous pledges' companies are not named.",
                "security": PUBLIC,
                "responses": _responses(_ok("Ledger", "The ledger and its totals."), 404),
            },
        },
        "/matching-pools": {
            "get": {
                "operationId": "list_matching_pools",
                "summary": "Matching pools (配捐), newest first",
                "security": PUBLIC,
                "parameters": [
                    _query("company_id", {"type": "integer", "minimum": 1}, "Only this company's pools."),
                    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
                    _query(
                        "per_page",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": POOLS_MAX_PER_PAGE,
                            "default": POOLS_PER_PAGE,
                        },
                        "Items per page.",
                    ),
                ],
                "responses": _responses(_ok("MatchingPoolList", "One page of pools."), 422),
            },
            "post": {
                "operationId": "create_matching_pool",
                "summary": "Open a matching pool (members of verified companies)",
                "description": "When a pledge by another company to an eligible project becomes paid, the "
                "pool adds ratio_bp/10000 of it (within its caps and remaining budget) to the project. "
                "422 for a budget or ratio of 0 or less, an end before the start, unknown categories or "
                "districts.",
                "security": SIGNED_IN,
                "requestBody": _body("MatchingPoolCreate"),
                "responses": _responses(
                    {
                        "201": {
                            "description": "The new pool.",
                            "headers": {"Location": {"schema": STRING, "description": "The pool's URL."}},
                            "content": _json_content(_ref("MatchingPoolDetail")),
                        }
                    },
                    400,
                    403,
                    415,
                    422,
                ),
            },
        },
        "/matching-pools/{pool_id}": {
            "parameters": [_path_id("pool_id")],
            "get": {
                "operationId": "get_matching_pool",
                "summary": "One matching pool with its remaining budget and matched projects",
                "security": PUBLIC,
                "responses": _responses(_ok("MatchingPoolDetail", "The pool."), 404),
            },
        },
    }
)

# ───────────── sponsor matching and introductions ─────────────

_SCORE: Schema = {
    "type": "number",
    "minimum": 0,
    "maximum": 100,
    "description": "How well the pair fits, 0–100 with one decimal.",
}
_REASON: Schema = _object(
    {
        "code": {
            "type": "string",
            "description": "What the reason is about: category, district, interest, budget, grade, tier, "
            "reports, history, urgency or gap.",
        },
        "text": {**STRING, "description": "The reason in the caller's language (Accept-Language: en)."},
    }
)
_REASONS: Schema = {
    "type": "array",
    "items": _ref("MatchReason"),
    "description": "Strongest first; never empty.",
}
_INTRODUCTION_STATUS: Schema = {"type": "string", "enum": [status.value for status in IntroductionStatus]}
_LIMIT: Schema = {"type": "integer", "minimum": 1, "maximum": MATCHES_MAX_LIMIT, "default": MATCHES_PER_PAGE}
_GRADE: Schema = {"type": "string", "enum": list(MATCH_GRADES)}
_TIER: Schema = {"type": "string", "enum": list(MATCH_TIERS)}
_NULLABLE_FEN: Schema = {"type": ["integer", "null"], "minimum": 0, "description": "Fen; null: not set."}
_PROFILE_MISSING = ("sponsor_profile", "focus_categories", "interest_statement", "pledge_range")

SCHEMAS.update(
    {
        "MatchReason": _REASON,
        "SponsorProfile": _object(
            {
                "company": PARTY_REF,
                "exists": {
                    "type": "boolean",
                    "description": "False until the company saves a sponsor profile; the company-level "
                    "fields (focus_categories, districts, yearly_budget) are filled either way.",
                },
                "complete": {
                    "type": "boolean",
                    "description": "True when nothing is listed in `missing`: matches then use every signal.",
                },
                "missing": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(_PROFILE_MISSING)},
                    "description": "What is still to fill in: the profile itself, focus categories, an "
                    "interest statement, a pledge range (pledge_min or pledge_max).",
                },
                "focus_categories": {**STRING_LIST, "description": "Category slugs."},
                "districts": {**STRING_LIST, "description": "District names of interest."},
                "yearly_budget": _NULLABLE_FEN,
                "pledge_min": {**_NULLABLE_FEN, "description": "Usual smallest pledge, fen; null: none."},
                "pledge_max": {**_NULLABLE_FEN, "description": "Usual largest pledge, fen; null: none."},
                "interest_statement": STRING,
                "preferred_grades": {"type": "array", "items": _GRADE},
                "preferred_tiers": {"type": "array", "items": _TIER},
                "volunteer_capacity": {"type": ["integer", "null"], "minimum": 0},
                "updated_at": NULLABLE_MOMENT,
            }
        ),
        "SponsorProfileInput": _refined(
            _input_schema(
                PROFILE_FIELDS,
                {
                    "focus_categories": "Category slugs (see /categories); may be empty.",
                    "districts": "District names of interest (see /districts); may be empty.",
                    "pledge_min": "Usual smallest pledge in integer fen, > 0; null: no lower bound.",
                    "pledge_max": "Usual largest pledge in integer fen, > 0 and ≥ pledge_min; null: no upper "
                    "bound.",
                    "yearly_budget": "Yearly giving budget in integer fen, ≥ 0; null: not said.",
                    "interest_statement": "What the company wants to support, in its own words (matched "
                    "against project texts).",
                    "preferred_grades": "Organization grades the company prefers; absent: none.",
                    "preferred_tiers": "Organization tiers the company prefers; absent: none.",
                    "volunteer_capacity": "Volunteers the company can send a year; absent or null: not said.",
                },
            ),
            required=list(PROFILE_REQUIRED),
            pledge_min={"minimum": 1, "maximum": MAX_PLEDGE_FEN},
            pledge_max={"minimum": 1, "maximum": MAX_PLEDGE_FEN},
            yearly_budget={"minimum": 0},
            interest_statement={"maxLength": STATEMENT_MAX},
            preferred_grades={"items": _GRADE},
            preferred_tiers={"items": _TIER},
            volunteer_capacity={"minimum": 0, "maximum": VOLUNTEERS_MAX},
        ),
        "MatchedProject": _object(
            {
                "id": INTEGER,
                "title": STRING,
                "summary": STRING,
                "category": {**STRING, "description": "Category slug."},
                "district": STRING,
                "organization": PARTY_REF,
                "goal_amount": FEN,
                "raised_amount": FEN,
                "deadline": MOMENT,
                "cover_url": NULLABLE_STRING,
                "url": {**STRING, "description": "The project in this API."},
                "page_url": {**STRING, "description": "The project's page on the site."},
            }
        ),
        "ProjectMatch": _object(
            {
                "project": _ref("MatchedProject"),
                "score": _SCORE,
                "reasons": _REASONS,
                "gap": {**FEN, "description": "Fen still missing to the project's goal."},
                "suggested_amount": {
                    **FEN,
                    "description": "A pledge to propose, fen: the gap, within the company's usual range.",
                },
            }
        ),
        "ProjectMatchList": _object(
            {
                "items": {"type": "array", "items": _ref("ProjectMatch"), "description": "Best first."},
                "profile_complete": {
                    "type": "boolean",
                    "description": "False while the company's sponsor profile lacks something the matching "
                    "uses (see /companies/{company_id}/sponsor-profile `missing`).",
                },
            }
        ),
        "SponsorMatchList": _object(
            {
                "items": {
                    "type": "array",
                    "items": _object({"company": PARTY_REF, "score": _SCORE, "reasons": _REASONS}),
                    "description": "Verified companies, best first.",
                }
            }
        ),
        "Introduction": _object(
            {
                "id": INTEGER,
                "status": _INTRODUCTION_STATUS,
                "status_label": {**STRING, "description": "The status in the caller's language."},
                "open": {
                    "type": "boolean",
                    "description": "sent, viewed or interested: blocks a second introduction of the pair.",
                },
                "company": PARTY_REF,
                "project": _object({"id": INTEGER, "title": STRING}),
                "organization": PARTY_REF,
                "staff": PARTY_REF,
                "note": {**STRING, "description": "The staff member's note to the company."},
                "score": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "maximum": 100,
                    "description": "The match score when the introduction was sent; null if the project "
                    "could not be scored then.",
                },
                "sent_at": MOMENT,
                "viewed_at": NULLABLE_MOMENT,
                "interested_at": NULLABLE_MOMENT,
                "responded_at": NULLABLE_MOMENT,
                "response_note": {**STRING, "description": "The company's note with its answer."},
                "converted_at": NULLABLE_MOMENT,
                "converted_via": {"type": ["string", "null"], "enum": ["pledge", "agreement", None]},
                "pledge_id": {"type": ["integer", "null"], "description": "The pledge that converted it."},
                "raised_amount": {
                    **FEN,
                    "description": "Converted introductions: fen the company's paid pledges to the project "
                    f"brought within {CONVERSION_DAYS} days of the introduction (net of refunds); else 0.",
                },
            }
        ),
        "IntroductionList": _object(
            {"items": {"type": "array", "items": _ref("Introduction"), "description": "Newest first."}}
        ),
        "IntroductionCreate": _refined(
            _input_schema(INTRODUCTION_FIELDS, {"note": "To the company, e.g. why this project."}),
            required=["company_id", "project_id"],
            company_id={"minimum": 1},
            project_id={"minimum": 1},
            note={"maxLength": NOTE_MAX},
        ),
        "IntroductionResponse": _refined(
            _input_schema(RESPONSE_FIELDS, {"note": "Optional, e.g. why the company declines."}),
            required=["status"],
            status={"enum": [status.value for status in COMPANY_CHOICES]},
            note={"maxLength": RESPONSE_NOTE_MAX},
        ),
        "IntroductionFunnel": _object(
            {
                "by": {"type": "string", "enum": ["staff", "month"]},
                "rows": {
                    "type": "array",
                    "items": _object(
                        {
                            "key": {
                                **STRING,
                                "description": "The staff member's name, or the month of sending (YYYY-MM).",
                            },
                            "sent": {"type": "integer", "minimum": 0},
                            "viewed": {"type": "integer", "minimum": 0},
                            "interested": {"type": "integer", "minimum": 0},
                            "declined": {"type": "integer", "minimum": 0},
                            "converted": {"type": "integer", "minimum": 0},
                            "conversion_percent": {"type": "integer", "minimum": 0, "maximum": 100},
                            "raised_amount": {**FEN, "description": "Fen raised through converted ones."},
                        }
                    ),
                    "description": "By staff: by name; by month: newest month first. An introduction counts "
                    "at every step it reached.",
                },
            }
        ),
    }
)

_LIMIT_PARAMETER = _query("limit", _LIMIT, "How many, best first (1–100).")

PATHS.update(
    {
        "/companies/{company_id}/sponsor-profile": {
            "parameters": [_path_id("company_id")],
            "get": {
                "operationId": "get_sponsor_profile",
                "summary": "A company's sponsor profile (its members and staff)",
                "description": "A company that has not saved one answers 200 with `exists: false` and its "
                "company-level fields. 403 for everyone else; 404 for a company staff have not verified "
                "(except for its members and staff).",
                "security": SIGNED_IN,
                "responses": _responses(_ok("SponsorProfile", "The profile."), 403, 404),
            },
            "put": {
                "operationId": "save_sponsor_profile_endpoint",
                "summary": "Save a company's sponsor profile (its members)",
                "description": "Replaces the whole profile, and the company's focus categories, districts of "
                "interest and yearly budget. Amounts are integer fen. 422 names every bad field at once: "
                "unknown categories, districts, grades or tiers, pledge_max below pledge_min, amounts that "
                "are not integers, a missing field.",
                "security": SIGNED_IN,
                "requestBody": _body("SponsorProfileInput"),
                "responses": _responses(_ok("SponsorProfile", "The saved profile."), 400, 403, 404, 415, 422),
            },
        },
        "/companies/{company_id}/matches": {
            "parameters": [_path_id("company_id")],
            "get": {
                "operationId": "get_company_matches",
                "summary": "Open projects that fit a company, best first (its members and staff)",
                "description": "Only published, unfinished projects of verified organizations the company "
                "has not pledged to yet; at most two per organization before the rest. Reasons speak to "
                "the company (贵司) for its members and about it (该企业) for staff. 403 for other "
                "callers; 404 for a company staff have not verified (except for its members and staff).",
                "security": SIGNED_IN,
                "parameters": [_LIMIT_PARAMETER],
                "responses": _responses(_ok("ProjectMatchList", "The matches."), 403, 404, 422),
            },
        },
        "/projects/{project_id}/sponsor-matches": {
            "parameters": [_path_id("project_id")],
            "get": {
                "operationId": "get_project_sponsor_matches",
                "summary": "Verified companies a project fits, best first (its organization and staff)",
                "description": "Empty for a project that is not open for pledges. 404 for a project the "
                "caller may not see; 403 for other callers.",
                "security": SIGNED_IN,
                "parameters": [_LIMIT_PARAMETER],
                "responses": _responses(_ok("SponsorMatchList", "The companies."), 403, 404, 422),
            },
        },
        "/introductions": {
            "get": {
                "operationId": "list_introductions_endpoint",
                "summary": "Introductions, newest first (staff: all; company members: their company's)",
                "description": "403 for organization members.",
                "security": SIGNED_IN,
                "parameters": [
                    _query("status", _INTRODUCTION_STATUS, "Only this status."),
                    _query("staff_id", {"type": "integer", "minimum": 1}, "Sent by this staff member."),
                    _query("company_id", {"type": "integer", "minimum": 1}, "Only to this company."),
                    _query("project_id", {"type": "integer", "minimum": 1}, "Only for this project."),
                    _query(
                        "limit",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": INTRODUCTIONS_MAX,
                            "default": INTRODUCTIONS_MAX,
                        },
                        "How many, newest first.",
                    ),
                ],
                "responses": _responses(_ok("IntroductionList", "The introductions."), 403, 422),
            },
            "post": {
                "operationId": "create_introduction",
                "summary": "Introduce a company to a project (staff)",
                "description": "The company's members are notified. 404 for an unknown company or project; "
                "422 for an unverified company or a project that is not raising funds (not published, or "
                "already funded); 409 while an introduction of the same company to the same project is "
                "still open (sent, viewed or interested).",
                "security": SIGNED_IN,
                "requestBody": _body("IntroductionCreate"),
                "responses": _responses(
                    {
                        "201": {
                            "description": "The introduction.",
                            "headers": {
                                "Location": {"schema": STRING, "description": "The introduction's URL."}
                            },
                            "content": _json_content(_ref("Introduction")),
                        }
                    },
                    400,
                    403,
                    404,
                    409,
                    415,
                    422,
                ),
            },
        },
        "/introductions/funnel": {
            "get": {
                "operationId": "get_introduction_funnel",
                "summary": "Sent → viewed → interested → converted, and money raised (staff)",
                "security": SIGNED_IN,
                "parameters": [
                    _query(
                        "by", {"type": "string", "enum": ["staff", "month"], "default": "staff"}, "Grouping."
                    ),
                    _query(
                        "since",
                        {"type": "string", "format": "date"},
                        "Only introductions sent on or after this day (Wenzhou time).",
                    ),
                    _query(
                        "until",
                        {"type": "string", "format": "date"},
                        "Only introductions sent on or before this day (Wenzhou time).",
                    ),
                ],
                "responses": _responses(_ok("IntroductionFunnel", "The funnel."), 403, 422),
            },
        },
        "/introductions/{introduction_id}": {
            "parameters": [_path_id("introduction_id")],
            "get": {
                "operationId": "get_introduction",
                "summary": "One introduction (the introduced company's members and staff)",
                "description": "Everyone else gets 404.",
                "security": SIGNED_IN,
                "responses": _responses(_ok("Introduction", "The introduction."), 404),
            },
            "patch": {
                "operationId": "respond_to_introduction_endpoint",
                "summary": "Answer an introduction: viewed, interested or declined (the company's members)",
                "description": "sent → viewed → interested | declined; converted follows only from a pledge "
                "(or an agreement) and cannot be set. Sending the current status again changes nothing. "
                "403 for staff; 404 for everyone but the company and staff; 409 for a move the current "
                "status does not allow (e.g. from converted or declined); 422 for another status.",
                "security": SIGNED_IN,
                "requestBody": _body("IntroductionResponse"),
                "responses": _responses(
                    _ok("Introduction", "The introduction after the answer."), 400, 403, 404, 409, 415, 422
                ),
            },
        },
    }
)

# ───────────── partnership agreements ─────────────

_AGREEMENT_STATUS: Schema = {
    "type": "string",
    "enum": [status.value for status in AgreementStatus],
    "description": "draft (no terms yet) → negotiating → pending_signature → active → expired | "
    "terminated; pending_signature → negotiating when a party requests changes; cancelled before "
    "activation.",
}
_VERSION_STATUS: Schema = {
    "type": "string",
    "enum": [status.value for status in VersionStatus],
    "description": "draft (editable) → proposed (immutable, awaiting signatures) → signed → superseded; "
    "a draft or proposed version that is abandoned becomes withdrawn.",
}
_VERSION_KIND: Schema = {
    "type": "string",
    "enum": list(VERSION_KIND_LABELS),
    "description": "original; while the agreement is active, renewal (a later end date) or amendment.",
}
_DAY: Schema = {"type": "string", "format": "date", "description": "YYYY-MM-DD."}
_NULLABLE_DAY: Schema = {**_DAY, "type": ["string", "null"]}
_SHA256: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_USER_REF: Schema = _object({"id": INTEGER, "name": STRING})
_NULLABLE_USER_REF: Schema = {"oneOf": [{"type": "null"}, _USER_REF]}
_NOTICE: Schema = {
    "type": "integer",
    "minimum": 0,
    "maximum": AGREEMENT_NOTICE_MAX,
    "description": "Renewal reminders start this many days before the end; shorter than the term.",
}
_AGREEMENT_FEN: Schema = {"type": "integer", "minimum": 1, "maximum": COMMITTED_MAX, "description": "Fen."}
_AGREEMENT_TERMS_PROPERTIES: dict[str, Schema] = {
    "scope": {**STRING, "description": "合作范围."},
    "obligations": _object(
        {
            "company": {**STRING, "description": "The company's obligations."},
            "organization": {**STRING, "description": "The organization's obligations."},
        }
    ),
    "in_kind": {**STRING, "description": "In-kind resources (物资与服务)."},
    "volunteers": {"type": ["integer", "null"], "minimum": 0, "maximum": AGREEMENT_VOLUNTEERS_MAX},
    "kpis": {**STRING_LIST, "description": "Performance indicators."},
    "confidentiality": STRING,
    "dispute": {**STRING, "description": "The dispute-resolution clause."},
    "extra": {**STRING_LIST, "description": "Free-text extra clauses."},
}
_AGREEMENT_TRANCHE_PROPERTIES: dict[str, Schema] = {
    "due_on": _DAY,
    "amount": _AGREEMENT_FEN,
    "project_id": {
        "type": ["integer", "null"],
        "description": "The linked project the tranche funds; null: the only linked project, or the "
        "organization's agreement account when none is linked.",
    },
    "note": STRING,
}

_AGREEMENT_VERSION_SUMMARY_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER,
    "version_no": {"type": "integer", "minimum": 1},
    "status": _VERSION_STATUS,
    "status_label": {**STRING, "description": "The status in the caller's language."},
    "kind": _VERSION_KIND,
    "content_sha256": {
        **_SHA256,
        "description": "SHA-256 of the canonical JSON of the version's `content`; fixed from proposal on. "
        "Signing must confirm it.",
    },
    "committed_amount": {
        **_AGREEMENT_FEN,
        "type": ["integer", "null"],
        "description": "Fen; null: no money in this version.",
    },
    "starts_on": _DAY,
    "ends_on": _DAY,
    "created_at": MOMENT,
    "proposed_at": NULLABLE_MOMENT,
    "signed_at": {**NULLABLE_MOMENT, "description": "When the last party signed."},
    "closed_at": {**NULLABLE_MOMENT, "description": "When it was withdrawn or superseded."},
}
_NULLABLE_VERSION: Schema = {"oneOf": [{"type": "null"}, _ref("AgreementVersionSummary")]}
_AGREEMENT_SUMMARY_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER,
    "title": STRING,
    "type": {"type": "string", "enum": [kind.value for kind in AgreementType]},
    "type_label": {**STRING, "description": "The type in the caller's language, e.g. 战略合作协议."},
    "status": _AGREEMENT_STATUS,
    "status_label": {**STRING, "description": "The status in the caller's language."},
    "company": {
        **NULLABLE_PARTY_REF,
        "description": "Null for a service contract: its buyer is a party without accounts here.",
    },
    "organization": {
        **PARTY_REF,
        "description": "For a service contract: the lead supplier (every member is in parties).",
    },
    "broker": {
        **_NULLABLE_USER_REF,
        "description": "The staff member who brokers and witnesses it; null when a party started it and "
        "no staff member took it over yet.",
    },
    "introduction_id": {"type": ["integer", "null"]},
    "project_ids": {"type": "array", "items": INTEGER},
    "starts_on": {**_DAY, "description": "From the version in force once active."},
    "ends_on": _DAY,
    "auto_renew": {"type": "boolean"},
    "renewal_notice_days": _NOTICE,
    "current_version": {**_NULLABLE_VERSION, "description": "The version in force (signed by all)."},
    "pending_version": {
        **_NULLABLE_VERSION,
        "description": "The version being drafted or awaiting signatures (at most one).",
    },
    "created_at": MOMENT,
    "updated_at": MOMENT,
    "activated_at": NULLABLE_MOMENT,
    "ended_at": NULLABLE_MOMENT,
    "end_reason": {**NULLABLE_STRING, "description": "Why it was terminated, cancelled or declined."},
}
_DIFF_SEGMENT: Schema = _object({"text": STRING, "changed": {"type": "boolean"}})

SCHEMAS.update(
    {
        "AgreementParty": _object(
            {
                "id": INTEGER,
                "role": {"type": "string", "enum": list(PARTY_ROLES)},
                "role_label": {**STRING, "description": "The role in the caller's language."},
                "name": STRING,
                "uscc": {**STRING, "description": "统一社会信用代码."},
                "company_id": {"type": ["integer", "null"]},
                "organization_id": {"type": ["integer", "null"]},
                "signatory": {"type": "boolean", "description": "Whether the party must sign."},
                "signer": {
                    **_NULLABLE_USER_REF,
                    "description": "The member authorised to sign for the party; null: any active member.",
                },
                "signer_title": STRING,
            }
        ),
        "AgreementSignature": _object(
            {
                "id": INTEGER,
                "version_id": INTEGER,
                "version_no": INTEGER,
                "party_id": INTEGER,
                "party_name": STRING,
                "decision": {"type": "string", "enum": ["signed", "declined"]},
                "version_sha256": {
                    **_SHA256,
                    "description": "The content_sha256 of the version the signer confirmed.",
                },
                "signer": _USER_REF,
                "signer_name": {**STRING, "description": "The signer's name as it was when signing."},
                "signer_title": STRING,
                "reason": {**NULLABLE_STRING, "description": "Why the party declined."},
                "recorded_by_staff": {
                    "type": "boolean",
                    "description": "True for a buyer's signature made on paper or with its own e-seal and "
                    "recorded by staff: signer is then the staff member who recorded it, signer_name the "
                    "buyer's signatory.",
                },
                "evidence": {
                    **NULLABLE_STRING,
                    "description": "What staff saw, e.g. the signed contract's number; null for signatures "
                    "made here.",
                },
                "ip": NULLABLE_STRING,
                "user_agent": NULLABLE_STRING,
                "signed_at": MOMENT,
            }
        ),
        "AgreementVersionSummary": _object(_AGREEMENT_VERSION_SUMMARY_PROPERTIES),
        "AgreementTerms": _object(_AGREEMENT_TERMS_PROPERTIES),
        "AgreementTranche": _object(_AGREEMENT_TRANCHE_PROPERTIES),
        "AgreementDocument": {
            **_object(
                {
                    "format": {"type": "string", "const": AGREEMENT_FORMAT},
                    "type": {"type": "string", "enum": [kind.value for kind in AgreementType]},
                    "title": STRING,
                    "version_no": INTEGER,
                    "parties": {
                        "type": "array",
                        "items": _object(
                            {
                                "role": {"type": "string", "enum": list(PARTY_ROLES)},
                                "name": STRING,
                                "uscc": STRING,
                                "signatory": {"type": "boolean"},
                            }
                        ),
                    },
                    "broker": {**STRING, "description": "The witness: the league and its staff member."},
                    "period": _object(
                        {
                            "starts_on": _DAY,
                            "ends_on": _DAY,
                            "auto_renew": {"type": "boolean"},
                            "renewal_notice_days": _NOTICE,
                        }
                    ),
                    "projects": {
                        "type": "array",
                        "items": _object({"id": INTEGER, "title": STRING}),
                        "description": "The linked projects as named when proposed (tranches refer to "
                        "their ids).",
                    },
                    "terms": _ref("AgreementTerms"),
                    "funding": _object(
                        {
                            "committed_amount": {**_AGREEMENT_FEN, "type": ["integer", "null"]},
                            "currency": {"type": "string", "const": "CNY"},
                            "tranches": {"type": "array", "items": _ref("AgreementTranche")},
                        }
                    ),
                }
            ),
            "description": "The canonical document of a version: exactly what is hashed and signed. "
            "content_sha256 = SHA-256 of its JSON with sorted keys, no whitespace, UTF-8 (not \\u "
            "escapes). Names are copied at proposal, so a later rename does not change a signed text.",
        },
        "AgreementVersion": _object(
            {
                **_AGREEMENT_VERSION_SUMMARY_PROPERTIES,
                "agreement_id": INTEGER,
                "editable": {"type": "boolean", "description": "True while draft: PUT may change it."},
                "terms": _ref("AgreementTerms"),
                "currency": {"type": "string", "const": "CNY"},
                "tranches": {
                    "type": "array",
                    "items": _ref("AgreementTranche"),
                    "description": "By due date; they add up exactly to committed_amount.",
                },
                "auto_renew": {"type": "boolean"},
                "renewal_notice_days": _NOTICE,
                "created_by": _NULLABLE_USER_REF,
                "proposed_by": _NULLABLE_USER_REF,
                "updated_at": MOMENT,
                "close_reason": NULLABLE_STRING,
                "signatures": {"type": "array", "items": _ref("AgreementSignature")},
                "content": _ref("AgreementDocument"),
            }
        ),
        "AgreementSummary": _object(_AGREEMENT_SUMMARY_PROPERTIES),
        "AgreementList": _object(
            {
                "items": {
                    "type": "array",
                    "items": _ref("AgreementSummary"),
                    "description": "Most recently changed first (expiring_within_days: soonest end first).",
                }
            }
        ),
        "AgreementPledge": _object(
            {
                "id": INTEGER,
                "tranche_no": {"type": ["integer", "null"], "description": "Position in due order."},
                "version_id": {"type": ["integer", "null"]},
                "project_id": {
                    "type": ["integer", "null"],
                    "description": "Null: the organization's agreement account.",
                },
                "due_on": _NULLABLE_DAY,
                "amount": FEN,
                "paid_amount": FEN,
                "status": {"type": "string", "enum": [status.value for status in PledgeStatus]},
                "bank_reference": {
                    **STRING,
                    "description": "The code to write in the bank transfer's remark (附言).",
                },
            }
        ),
        "AgreementMoney": _object(
            {
                "currency": {"type": "string", "const": "CNY"},
                "committed": {**FEN, "description": "Fen committed by the version in force."},
                "scheduled": {**FEN, "description": "Fen in pending pledges still to arrive."},
                "received": {**FEN, "description": "Fen received under the agreement, net of refunds."},
                "outstanding": {**FEN, "description": "committed − received, never below 0."},
                "percent": {"type": "integer", "minimum": 0, "maximum": 100},
                "pledges": {
                    "type": "array",
                    "items": _ref("AgreementPledge"),
                    "description": "The tranches scheduled as bank-transfer pledges, by due date.",
                },
            }
        ),
        "Agreement": _object(
            {
                **_AGREEMENT_SUMMARY_PROPERTIES,
                "parties": {"type": "array", "items": _ref("AgreementParty")},
                "projects": {"type": "array", "items": _object({"id": INTEGER, "title": STRING})},
                "versions": {
                    "type": "array",
                    "items": _ref("AgreementVersionSummary"),
                    "description": "Every version, oldest first.",
                },
                "signatures": {
                    "type": "array",
                    "items": _ref("AgreementSignature"),
                    "description": "Every signature and refusal on any version, by version.",
                },
                "money": _ref("AgreementMoney"),
            }
        ),
        "AgreementCreate": _refined(
            _input_schema(
                AGREEMENT_FIELDS,
                {
                    "company_id": "A verified company.",
                    "organization_id": "A verified organization (not a league body).",
                    "project_ids": "Published, funded or closed projects of the organization.",
                    "starts_on": "YYYY-MM-DD.",
                    "ends_on": "YYYY-MM-DD, after starts_on.",
                    "renewal_notice_days": f"Default {AGREEMENT_NOTICE_DEFAULT}; shorter than the term.",
                    "introduction_id": "The staff introduction of this company and organization that "
                    "led to it.",
                },
            ),
            required=["title", "company_id", "organization_id", "starts_on", "ends_on"],
            title={"maxLength": AGREEMENT_TITLE_MAX},
            company_id={"minimum": 1},
            organization_id={"minimum": 1},
            project_ids={"items": {"type": "integer", "minimum": 1}, "uniqueItems": True},
            renewal_notice_days={"minimum": 0, "maximum": AGREEMENT_NOTICE_MAX},
        ),
        "AgreementTermsInput": _refined(
            _input_schema(
                TERMS_FIELDS,
                {
                    "scope": "合作范围 (required).",
                    "obligations": "Each party's obligations (both required).",
                    "extra": "Extra clauses: a list, or one string as a single clause.",
                },
            ),
            required=["scope", "obligations"],
            scope={"maxLength": TERMS_TEXT_MAX},
            obligations=_object(
                {
                    "company": {**STRING, "maxLength": TERMS_TEXT_MAX},
                    "organization": {**STRING, "maxLength": TERMS_TEXT_MAX},
                }
            ),
            volunteers={"minimum": 0, "maximum": AGREEMENT_VOLUNTEERS_MAX},
            kpis={"maxItems": KPI_MAX},
            extra={"maxItems": EXTRA_MAX},
        ),
        "AgreementTrancheInput": _refined(
            _input_schema(TRANCHE_FIELDS, {"project_id": "One of the agreement's projects."}),
            required=["due_on", "amount"],
            amount=_AGREEMENT_FEN,
            note={"maxLength": TERMS_SHORT_MAX},
        ),
        "AgreementVersionInput": _refined(
            _input_schema(
                VERSION_FIELDS,
                {
                    "committed_amount": "Integer fen, > 0; null or absent: no money in this version. "
                    "Not a string, not a fraction, not a boolean.",
                    "tranches": "Required with committed_amount: each due within the period, adding up "
                    "exactly to committed_amount; with several linked projects each names its project.",
                    "starts_on": "Absent or null: the agreement's (or the version in force's).",
                    "ends_on": "Absent or null: the agreement's (or the version in force's).",
                    "auto_renew": "Absent or null: the agreement's (or the version in force's).",
                    "renewal_notice_days": "Absent or null: the agreement's (or the version in force's).",
                },
            ),
            required=["terms"],
            terms=_ref("AgreementTermsInput"),
            committed_amount={"minimum": 1, "maximum": COMMITTED_MAX},
            tranches={"items": _ref("AgreementTrancheInput"), "maxItems": TRANCHES_MAX},
            renewal_notice_days={"minimum": 0, "maximum": AGREEMENT_NOTICE_MAX},
        ),
        "AgreementTransition": _refined(
            _input_schema(
                AGREEMENT_TRANSITION_FIELDS,
                {
                    "version_id": "The version acted on; required to sign. Others default to the "
                    "version in play.",
                    "content_sha256": "Required to sign: the content_sha256 of the version as the signer "
                    "read it.",
                    "reason": "Required for request_changes, decline, terminate and cancel.",
                },
            ),
            required=["action"],
            action={"enum": [action.value for action in REQUESTED_ACTIONS]},
            version_id={"minimum": 1},
            content_sha256=_SHA256,
            reason={"maxLength": AGREEMENT_REASON_MAX},
        ),
        "AuditEvent": _object(
            {
                "id": INTEGER,
                "action": {
                    **STRING,
                    "description": "E.g. agreement.created, agreement.version_created, "
                    "agreement.version_edited, agreement.proposed, agreement.signed, agreement.activated, "
                    "agreement.changes_requested, agreement.declined, agreement.terminated, "
                    "agreement.cancelled, agreement.expired, agreement.renewed.",
                },
                "actor_id": {"type": ["integer", "null"], "description": "Null for the jobs."},
                "acting_for": {
                    **NULLABLE_STRING,
                    "description": "organization:<id>, company:<id>, staff or system.",
                },
                "created_at": MOMENT,
                "ip": NULLABLE_STRING,
                "payload": {"type": "object", "description": "What the event recorded."},
                "prev_hash": {
                    **_SHA256,
                    "description": "The hash of the event before this one in the platform-wide chain "
                    "(not necessarily an event of this agreement).",
                },
                "hash": {**_SHA256, "description": "SHA-256 over prev_hash and the event's fields."},
            }
        ),
        "AgreementEventList": _object(
            {"items": {"type": "array", "items": _ref("AuditEvent"), "description": "Oldest first."}}
        ),
        "AgreementDiff": _object(
            {
                "from": _ref("AgreementVersionSummary"),
                "to": _ref("AgreementVersionSummary"),
                "rows": {
                    "type": "array",
                    "items": _object(
                        {
                            "key": {**STRING, "description": "E.g. terms.scope, committed_amount, tranches."},
                            "label": {**STRING, "description": "In the caller's language."},
                            "changed": {"type": "boolean"},
                            "old_text": STRING,
                            "new_text": STRING,
                            "old": {"type": "array", "items": _DIFF_SEGMENT},
                            "new": {"type": "array", "items": _DIFF_SEGMENT},
                        }
                    ),
                    "description": "Every line of the document in reading order, the characters that "
                    "changed marked on each side.",
                },
            }
        ),
    }
)

_AGREEMENT_VISIBILITY = "Members of the agreement's parties and staff only; everyone else gets 404."

PATHS.update(
    {
        "/agreements": {
            "get": {
                "operationId": "list_agreements_endpoint",
                "summary": "Partnership agreements (staff: all; members: their own party's)",
                "security": SIGNED_IN,
                "parameters": [
                    _query("status", _AGREEMENT_STATUS, "Only this status."),
                    _query(
                        "party_id",
                        {"type": "integer", "minimum": 1},
                        "A company or organization id: agreements where either side has it.",
                    ),
                    _query("company_id", {"type": "integer", "minimum": 1}, "Only with this company."),
                    _query(
                        "organization_id", {"type": "integer", "minimum": 1}, "Only with this organization."
                    ),
                    _query(
                        "expiring_within_days",
                        {"type": "integer", "minimum": 0, "maximum": EXPIRING_MAX_DAYS},
                        "Only active agreements ending within this many days (soonest first).",
                    ),
                ],
                "responses": _responses(_ok("AgreementList", "The agreements."), 422),
            },
            "post": {
                "operationId": "create_agreement_endpoint",
                "summary": "Start an agreement between a company and an organization (staff, or a member "
                "of either)",
                "description": "Staff become its broker (a witness, never a signatory). It starts as a "
                "draft without terms; add a version next. 403 for a member of neither party; 422 for "
                "invalid fields, e.g. ends_on not after starts_on, renewal_notice_days not shorter than "
                "the term, a date not written YYYY-MM-DD, an unverified party, a project of another "
                "organization.",
                "security": SIGNED_IN,
                "requestBody": _body("AgreementCreate"),
                "responses": _responses(
                    {
                        "201": {
                            "description": "The new agreement (status draft).",
                            "headers": {
                                "Location": {"schema": STRING, "description": "The agreement's URL."}
                            },
                            "content": _json_content(_ref("Agreement")),
                        }
                    },
                    400,
                    403,
                    415,
                    422,
                ),
            },
        },
        "/agreements/{agreement_id}": {
            "parameters": [_path_id("agreement_id")],
            "get": {
                "operationId": "get_agreement",
                "summary": "One agreement: parties, broker, versions, signatures and money",
                "description": _AGREEMENT_VISIBILITY,
                "security": SIGNED_IN,
                "responses": _responses(_ok("Agreement", "The agreement."), 404),
            },
        },
        "/agreements/{agreement_id}/transitions": {
            "parameters": [_path_id("agreement_id")],
            "post": {
                "operationId": "transition_agreement_endpoint",
                "summary": "Propose, sign, request changes, decline, terminate or cancel",
                "description": "propose: a draft version goes out for signature (pending_signature). "
                "sign: an authorised member of a signatory party signs a proposed version, confirming its "
                "content_sha256; the last party's signature makes it active and schedules its tranches as "
                "pledges. request_changes (reason): the proposed version is withdrawn, back to "
                "negotiating. decline (reason, a signatory): a first agreement is cancelled. terminate "
                "(reason): an active agreement ends; pending pledges are cancelled. cancel (reason): "
                "before activation. 403 when the caller may not (e.g. staff signing: the broker is a "
                "witness); 404 for non-parties; 409 when the state does not allow it (field `action`), "
                "the version is not proposed (`version_id`), the hash differs (`content_sha256`) or the "
                "party already signed (`signer`); 422 for an unknown action or a missing reason, "
                "version_id or content_sha256.",
                "security": SIGNED_IN,
                "requestBody": _body("AgreementTransition"),
                "responses": _responses(
                    _ok("Agreement", "The agreement after the action."), 400, 403, 404, 409, 415, 422
                ),
            },
        },
        "/agreements/{agreement_id}/events": {
            "parameters": [_path_id("agreement_id")],
            "get": {
                "operationId": "list_agreement_events",
                "summary": "The agreement's audit trail (append-only, hash-chained)",
                "description": _AGREEMENT_VISIBILITY + " Each event's prev_hash is the hash of the event "
                "before it in the platform-wide chain; staff can check the whole chain with "
                "`flask audit verify`.",
                "security": SIGNED_IN,
                "responses": _responses(_ok("AgreementEventList", "The events."), 404),
            },
        },
        "/agreements/{agreement_id}/versions": {
            "parameters": [_path_id("agreement_id")],
            "post": {
                "operationId": "add_agreement_version",
                "summary": "Draft a version of the terms (the first, a new round, an amendment or a renewal)",
                "description": "Amounts are integer fen. The version is a draft (editable with PUT) until "
                "proposed. 404 for non-parties; 409 while another version is a draft or proposed, or when "
                "the agreement has ended; 422 with a field path per problem, e.g. `terms.scope`, "
                "`committed_amount` (≤ 0, a fraction, a string), `tranches` (not adding up to "
                "committed_amount), `tranches[0].due_on` (outside the period), `ends_on`.",
                "security": SIGNED_IN,
                "requestBody": _body("AgreementVersionInput"),
                "responses": _responses(
                    {
                        "201": {
                            "description": "The new draft version.",
                            "headers": {"Location": {"schema": STRING, "description": "The version's URL."}},
                            "content": _json_content(_ref("AgreementVersion")),
                        }
                    },
                    400,
                    404,
                    409,
                    415,
                    422,
                ),
            },
        },
        "/agreements/{agreement_id}/versions/{version_id}": {
            "parameters": [_path_id("agreement_id"), _path_id("version_id")],
            "get": {
                "operationId": "get_agreement_version",
                "summary": "One version with its canonical content and signatures",
                "description": _AGREEMENT_VISIBILITY,
                "security": SIGNED_IN,
                "responses": _responses(_ok("AgreementVersion", "The version."), 404),
            },
            "put": {
                "operationId": "update_agreement_version",
                "summary": "Replace a draft version's terms",
                "description": "The body is a whole version, as for POST …/versions (absent period fields "
                "take the agreement's). 409 (field `terms`) once the version was proposed: its hash is "
                "what the parties sign; ask for changes and draft a new version instead.",
                "security": SIGNED_IN,
                "requestBody": _body("AgreementVersionInput"),
                "responses": _responses(
                    _ok("AgreementVersion", "The edited draft."), 400, 404, 409, 415, 422
                ),
            },
        },
        "/agreements/{agreement_id}/diff": {
            "parameters": [_path_id("agreement_id")],
            "get": {
                "operationId": "get_agreement_diff",
                "summary": "Two versions side by side",
                "description": _AGREEMENT_VISIBILITY + " Without `to`: the latest version; without "
                "`from`: the version before `to`. 422 when there is nothing to compare.",
                "security": SIGNED_IN,
                "parameters": [
                    _query("from", {"type": "integer", "minimum": 1}, "The older version's id."),
                    _query("to", {"type": "integer", "minimum": 1}, "The newer version's id."),
                ],
                "responses": _responses(_ok("AgreementDiff", "The rows."), 404, 422),
            },
        },
    }
)

# ───────────── service-purchase tenders, bids and awards ─────────────

_SHARE_PATTERN = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"
_SHARE_OUT: Schema = {
    "type": "string",
    "pattern": _SHARE_PATTERN,
    "description": 'A percentage with at most two decimals, as a string: "60", "33.33", "12.5".',
}
_SHARE_IN: Schema = {
    "type": ["string", "null"],
    "description": 'A percentage with at most two decimals, as a string ("60", "33.33"); a JSON number '
    "is refused (a float is not exact).",
}
_TENDER_STATUS: Schema = {
    "type": "string",
    "enum": [status.value for status in TenderStatus],
    "description": "draft → open → evaluating (after the deadline) → awarded | unsuccessful; any of "
    "draft, open, evaluating → cancelled; awarded → evaluating when the winner declines to sign.",
}
_BID_STATUS: Schema = {
    "type": "string",
    "enum": [status.value for status in BidStatus],
    "description": "draft → submitted → (after the deadline, staff) valid | disqualified → awarded | "
    "unsuccessful. An edit after submission, or a substantive edit of the tender, makes a submitted bid "
    "invalid until every organization re-confirms and the lead re-submits. draft, submitted and invalid "
    "bids may be withdrawn before the deadline; a cancelled tender cancels its live bids.",
}
_BID_MODE: Schema = {
    "type": "string",
    "enum": [mode.value for mode in BidMode],
    "description": "single (单独承接), consortium (联合体投标), prime_with_subs (总包分包).",
}
_TENDER_MOMENT_IN: Schema = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with an offset, e.g. 2026-12-01T17:00:00+08:00 or …Z; a time without an "
    "offset is refused (422). To the second: fractions of a second are dropped.",
}
_GRADE_OR_NULL: Schema = {"type": ["string", "null"], "enum": [*TENDER_GRADES, None]}
_TENDER_VISIBILITY = "Published tenders are public; drafts are for staff (404 for everyone else)."
_BID_VISIBILITY = "The bid's organizations (lead, members, subcontractors) and staff only; 403 for others."
_TENDER_AWARD_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER,
    "tender_id": INTEGER,
    "bid_id": INTEGER,
    "status": {
        "type": "string",
        "enum": ["pending", "declined", "cancelled"],
        "description": "pending until the contract is signed by all (contract_signed) or the winner "
        "declines.",
    },
    "status_label": {**STRING, "description": "In the caller's language."},
    "value": {**FEN, "description": "Fen: the awarded bid's price."},
    "currency": {"type": "string", "const": "CNY"},
    "suppliers": {
        "type": "array",
        "items": INTEGER,
        "description": "Organization ids: the lead and every consortium member, jointly liable.",
    },
    "agreement_id": {
        "type": ["integer", "null"],
        "description": "The service contract (see /agreements/{agreement_id}), to be signed by the buyer "
        "(recorded by staff at /agreements/{agreement_id}/signatures) and every supplier.",
    },
    "contract_signed": {"type": "boolean"},
    "decided_at": MOMENT,
    "declined_at": NULLABLE_MOMENT,
    "decline_reason": NULLABLE_STRING,
}
_PARTICIPANT_PROPERTIES: dict[str, Schema] = {
    "id": {**INTEGER, "description": "The participant row (a subcontract's id in …/subcontracts/{id})."},
    "organization_id": INTEGER,
    "organization_name": STRING,
    "share": _SHARE_OUT,
    "scope": {**STRING, "description": "The work this organization takes on."},
    "confirmed": {
        "type": "boolean",
        "description": "Whether the organization confirmed this revision of the bid (every edit asks again).",
    },
    "confirmed_at": NULLABLE_MOMENT,
}
_OCDS_PACKAGE: Schema = {
    "type": "object",
    "required": ["uri", "version", "extensions", "publishedDate", "publisher", "releases"],
    "properties": {
        "uri": STRING,
        "version": {"type": "string", "const": "1.1"},
        "extensions": STRING_LIST,
        "publishedDate": {"type": "string", "format": "date-time"},
        "publisher": {"type": "object", "required": ["name"]},
        "releases": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {"type": "object", "required": ["ocid", "id", "date", "tag", "initiationType"]},
        },
    },
    "description": "An OCDS 1.1 release package with the bids and subcontracting extensions (see "
    "marketplace/tenders/ocds.py for what is published and the x_memberShares, x_share, x_scope and "
    "x_buyerConsent extension fields). Bids stay sealed until the deadline.",
}

SCHEMAS.update(
    {
        "Tender": _object(
            {
                "id": INTEGER,
                "title": STRING,
                "description": {**STRING, "description": "采购需求: services, beneficiaries, quantities."},
                "status": _TENDER_STATUS,
                "status_label": {**STRING, "description": "In the caller's language."},
                "buyer": _object(
                    {
                        "id": INTEGER,
                        "name": STRING,
                        "kind": {"type": "string", "enum": [kind.value for kind in BuyerKind]},
                        "uscc": {**STRING, "description": "统一社会信用代码, when known."},
                    }
                ),
                "category": {**STRING, "description": "Category slug."},
                "district": STRING,
                "budget": {**FEN, "description": "Fen."},
                "budget_is_cap": {
                    "type": "boolean",
                    "description": "Whether the budget is the price ceiling (最高限价): bids above it are "
                    "refused.",
                },
                "currency": {"type": "string", "const": "CNY"},
                "method": {"type": "string", "enum": [method.value for method in Method]},
                "method_label": {**STRING, "description": "In the caller's language, e.g. 竞争性磋商."},
                "enquiry_ends_at": NULLABLE_MOMENT,
                "submission_deadline": {
                    **MOMENT,
                    "description": "To the second, server time: at the deadline the door is shut.",
                },
                "expected_award_on": _NULLABLE_DAY,
                "contract_starts_on": _NULLABLE_DAY,
                "contract_ends_on": _NULLABLE_DAY,
                "allows_consortium": {"type": "boolean"},
                "max_members": {"type": ["integer", "null"], "minimum": 2},
                "allows_subcontracting": {"type": "boolean"},
                "max_subcontract_share": {
                    "oneOf": [{"type": "null"}, _SHARE_OUT],
                    "description": "The cap on the subcontracted total; null: below 100 %.",
                },
                "min_grade": _GRADE_OR_NULL,
                "grade_rule": {
                    "type": "string",
                    "enum": [rule.value for rule in GradeRule],
                    "description": "priority_only (default): the minimum grade only ranks and flags; "
                    "min_of_members / lead_only: a hard gate, with a recorded basis (实施条例 第20条).",
                },
                "grade_rule_basis": STRING,
                "required_documents": STRING_LIST,
                "notice_url": {**STRING, "description": "The official notice on the procurement platform."},
                "revision": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Bumped by every substantive edit while open.",
                },
                "awards": {"type": "array", "items": _ref("TenderAward"), "description": "Oldest first."},
                "created_at": MOMENT,
                "updated_at": MOMENT,
                "published_at": NULLABLE_MOMENT,
                "closed_at": {**NULLABLE_MOMENT, "description": "When evaluation began."},
                "ended_at": NULLABLE_MOMENT,
                "end_reason": NULLABLE_STRING,
            }
        ),
        "TenderList": _object(
            {
                "items": {
                    "type": "array",
                    "items": _ref("Tender"),
                    "description": "Latest deadline first.",
                }
            }
        ),
        "TenderCreate": _refined(
            _input_schema(
                TENDER_FIELDS,
                {
                    "buyer_name": "The buyer (a government department or foundation); recorded on first use.",
                    "category": "Category slug, see /categories.",
                    "district": "District name, see /districts.",
                    "budget": "Integer fen, > 0. Not a string, not a fraction.",
                    "budget_is_cap": "Default true: the budget is the price ceiling.",
                    "allows_consortium": "Required and explicit (true or false); null or absent: 422.",
                    "max_members": "2–20; only when allows_consortium.",
                    "allows_subcontracting": "Required and explicit (true or false).",
                    "max_subcontract_share": "Only when allows_subcontracting: a percentage string below "
                    '100, e.g. "40".',
                    "grade_rule": "Default priority_only; min_of_members and lead_only need min_grade and "
                    "grade_rule_basis.",
                    "required_documents": "Names of the documents a bid must bring.",
                },
            ),
            required=[
                "title",
                "description",
                "buyer_name",
                "buyer_kind",
                "category",
                "district",
                "budget",
                "method",
                "submission_deadline",
                "allows_consortium",
                "allows_subcontracting",
            ],
            title={"maxLength": TENDER_TITLE_MAX},
            buyer_kind={"enum": [kind.value for kind in BuyerKind]},
            method={"enum": [method.value for method in Method]},
            budget={"minimum": 1},
            submission_deadline=_TENDER_MOMENT_IN,
            enquiry_ends_at={**_TENDER_MOMENT_IN, "type": ["string", "null"]},
            allows_consortium={"type": "boolean"},
            allows_subcontracting={"type": "boolean"},
            max_members={"minimum": 2, "maximum": MAX_MEMBERS_LIMIT},
            max_subcontract_share=_SHARE_IN,
            min_grade={"enum": [*TENDER_GRADES, None]},
            grade_rule={"enum": [*(rule.value for rule in GradeRule), None]},
        ),
        "TenderUpdate": _refined(
            _input_schema(
                TENDER_UPDATE_FIELDS,
                {
                    "submission_deadline": "A substantive field: changing it (or the budget, the dates, "
                    "the consortium, subcontracting or grade rules, the description, category, district, "
                    "method or required documents) while open makes every submitted bid invalid.",
                },
            ),
            required=[],
            submission_deadline=_TENDER_MOMENT_IN,
            enquiry_ends_at={**_TENDER_MOMENT_IN, "type": ["string", "null"]},
            allows_consortium={"type": "boolean"},
            allows_subcontracting={"type": "boolean"},
            max_subcontract_share=_SHARE_IN,
        ),
        "ReasonInput": _refined(
            _input_schema(REASON_FIELDS, {}), required=["reason"], reason={"minLength": 1, "maxLength": 1000}
        ),
        "TenderAward": _object(_TENDER_AWARD_PROPERTIES),
        "AwardDecision": _object(
            {
                "award": {
                    "oneOf": [{"type": "null"}, _ref("TenderAward")],
                    "description": "The award to the next-ranked qualified bid; null when none was left.",
                },
                "tender_status": {
                    **_TENDER_STATUS,
                    "description": "awarded (to the next bid) or unsuccessful.",
                },
            }
        ),
        "AwardInput": _refined(
            _input_schema(AWARD_FIELDS, {"bid_id": "The best-ranked qualified bid."}),
            required=["bid_id"],
            bid_id={"minimum": 1},
        ),
        "BidMember": _object(
            {**_PARTICIPANT_PROPERTIES, "role": {"type": "string", "enum": ["lead", "member"]}}
        ),
        "BidSubcontract": _object(
            {
                **_PARTICIPANT_PROPERTIES,
                "is_core_work": {"type": "boolean", "const": False},
                "consent_status": {
                    "type": "string",
                    "enum": ["none", "consented", "refused"],
                    "description": "The buyer's decision, recorded by staff (政府采购法 第48条).",
                },
                "consent_note": STRING,
                "consent_recorded_at": NULLABLE_MOMENT,
                "activated_at": {
                    **NULLABLE_MOMENT,
                    "description": "Set once active: only under the awarded bid and with consent.",
                },
            }
        ),
        "BidDocument": _object(
            {
                "id": INTEGER,
                "kind": {"type": "string", "enum": list(DOCUMENT_KINDS)},
                "title": STRING,
                "size": {"type": "integer", "minimum": 1, "description": "Bytes."},
                "sha256": _SHA256,
                "uploaded_at": MOMENT,
            }
        ),
        "BidDocumentUpload": _object(
            {
                "kind": {
                    "type": "string",
                    "enum": list(DOCUMENT_KINDS),
                    "description": "joint_agreement: a consortium's signed joint agreement (联合体协议), "
                    "required to submit a consortium bid.",
                },
                "title": {"type": "string", "maxLength": 100},
                "file": {
                    "type": "string",
                    "contentMediaType": "application/octet-stream",
                    "description": "A PDF (≤ 10 MB) or a PNG, JPEG or WebP scan (≤ 5 MB), judged by content.",
                },
            },
            required=False,
        )
        | {"required": ["kind", "file"]},
        "Bid": _object(
            {
                "id": INTEGER,
                "tender_id": INTEGER,
                "lead_organization": PARTY_REF,
                "mode": _BID_MODE,
                "mode_label": {**STRING, "description": "In the caller's language."},
                "status": _BID_STATUS,
                "status_label": {**STRING, "description": "In the caller's language."},
                "price": {**FEN, "minimum": 1},
                "currency": {"type": "string", "const": "CNY"},
                "proposal": STRING,
                "revision": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Bumped by every edit; confirmations count for one revision.",
                },
                "members": {
                    "type": "array",
                    "items": _ref("BidMember"),
                    "description": "The lead first; a consortium's shares sum to exactly 100.",
                },
                "subcontractors": {"type": "array", "items": _ref("BidSubcontract")},
                "documents": {"type": "array", "items": _ref("BidDocument")},
                "unconfirmed": {
                    "type": "array",
                    "items": INTEGER,
                    "description": "Organizations that have not yet confirmed this revision; the lead "
                    "submits only when empty.",
                },
                "invalidated_reason": NULLABLE_STRING,
                "score": {"oneOf": [{"type": "null"}, _SHARE_OUT], "description": "0–100, set by staff."},
                "evaluation_reason": STRING,
                "evaluated_at": NULLABLE_MOMENT,
                "created_at": MOMENT,
                "updated_at": MOMENT,
                "submitted_at": NULLABLE_MOMENT,
                "withdrawn_at": NULLABLE_MOMENT,
            }
        ),
        "BidList": _object(
            {"items": {"type": "array", "items": _ref("Bid"), "description": "Newest first."}}
        ),
        "BidMemberInput": _refined(
            _input_schema(MEMBER_FIELDS, {"scope": "The work the member takes on (联合协议分工)."}),
            required=["organization_id", "role", "share", "scope"],
            organization_id={"minimum": 1},
            role={"enum": ["lead", "member"]},
            share=_SHARE_IN,
            scope={"maxLength": SCOPE_MAX},
        ),
        "BidSubcontractInput": _refined(
            _input_schema(
                SUBCONTRACT_FIELDS,
                {
                    "is_core_work": "Must be stated false: only non-core work may be subcontracted "
                    "(招标投标法 第30条).",
                    "main_contractor_id": "The bidder this subcontract is under; absent: the lead. Never "
                    "another subcontractor (no re-subcontracting).",
                },
            ),
            required=["organization_id", "share", "scope", "is_core_work"],
            organization_id={"minimum": 1},
            share=_SHARE_IN,
            scope={"maxLength": SCOPE_MAX},
            is_core_work={"const": False},
        ),
        "BidInput": _refined(
            _input_schema(
                BID_FIELDS,
                {
                    "members": "Consortium: every member with role, share and scope, exactly one lead (the "
                    "caller's organization). single / prime_with_subs: may be omitted (the caller's "
                    "organization at 100 %).",
                    "subcontractors": "prime_with_subs only, where the tender allows subcontracting.",
                    "price": "Integer fen, > 0, ≤ the budget when it is the price ceiling.",
                    "currency": "CNY only.",
                },
            ),
            required=[],
            mode=_BID_MODE,
            members={"items": _ref("BidMemberInput")},
            subcontractors={"items": _ref("BidSubcontractInput")},
            price={"minimum": 1},
            currency={"const": "CNY"},
            proposal={"maxLength": PROPOSAL_MAX},
        ),
        "BidTransition": _refined(
            _input_schema(BID_TRANSITION_FIELDS, {}),
            required=["action"],
            action={"enum": sorted(BIDDER_ACTIONS)},
        ),
        "EvaluationInput": _refined(
            _input_schema(
                EVALUATION_FIELDS,
                {
                    "score": 'Required for valid: 0–100 with at most two decimals, as a string ("88.5").',
                    "reason": "Required for disqualified.",
                },
            ),
            required=["bid_id", "result"],
            bid_id={"minimum": 1},
            result={"enum": ["valid", "disqualified"]},
        ),
        "RankedBid": _object(
            {
                "bid_id": INTEGER,
                "position": {"type": "integer", "minimum": 1},
                "score": {"oneOf": [{"type": "null"}, _SHARE_OUT]},
                "price": FEN,
                "grade": {
                    **_GRADE_OR_NULL,
                    "description": "The effective grade on the deadline: a consortium's lowest member's.",
                },
                "priority": {"type": "boolean", "description": "3A and above: policy priority on ties."},
                "warnings": {
                    **STRING_LIST,
                    "description": "For review, e.g. two bids sharing a legal representative (实施条例 "
                    "第18条) or a member below the minimum grade under priority_only.",
                },
            }
        ),
        "TenderRanking": _object(
            {
                "items": {
                    "type": "array",
                    "items": _ref("RankedBid"),
                    "description": "Qualified bids, best first: score, then price, then 3A+ priority.",
                }
            }
        ),
        "SubcontractConsent": _refined(
            _input_schema(CONSENT_FIELDS, {"note": "The basis, e.g. the buyer's letter number."}),
            required=["consented", "note"],
            consented={"type": "boolean"},
        ),
        "PartnerSuggestion": _object(
            {
                "organization_id": INTEGER,
                "name": STRING,
                "district": STRING,
                "grade": _GRADE_OR_NULL,
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "reasons": {
                    "type": "array",
                    "items": _object(
                        {
                            "code": STRING,
                            "text": STRING,
                            "caution": {
                                "type": "boolean",
                                "description": "True for a reason it ranks lower (shown after the others).",
                            },
                        }
                    ),
                    "description": "Why it complements the lead, strongest first, in the caller's language.",
                },
                "invited": {"type": "boolean"},
                "invitation_status": {
                    "type": ["string", "null"],
                    "enum": ["pending", "accepted", "declined", None],
                },
            }
        ),
        "PartnerList": _object({"items": {"type": "array", "items": _ref("PartnerSuggestion")}}),
        "InvitationInput": _refined(
            _input_schema(INVITATION_FIELDS, {"message": "A note to the invited organization."}),
            required=["organization_id"],
            organization_id={"minimum": 1},
            message={"maxLength": 500},
        ),
        "ConsortiumInvitation": _object(
            {
                "id": INTEGER,
                "tender_id": INTEGER,
                "lead_organization": PARTY_REF,
                "organization": PARTY_REF,
                "status": {"type": "string", "enum": ["pending", "accepted", "declined"]},
                "message": STRING,
                "reasons": {**STRING_LIST, "description": "The finder's reasons as shown to the lead."},
                "created_at": MOMENT,
                "responded_at": NULLABLE_MOMENT,
            }
        ),
        "AgreementSignatureInput": _refined(
            _input_schema(
                SIGNATURE_FIELDS,
                {
                    "party_id": "The buyer party of a service contract (a party without accounts here).",
                    "content_sha256": "The content_sha256 of the version the buyer signed.",
                    "signer_name": "The buyer's signatory.",
                    "evidence": "What staff saw, e.g. the signed paper contract's number.",
                },
            ),
            required=["party_id", "version_id", "content_sha256", "signer_name", "evidence"],
            party_id={"minimum": 1},
            version_id={"minimum": 1},
            content_sha256=_SHA256,
            signer_name={"maxLength": 50},
            evidence={"maxLength": 300},
        ),
    }
)


def _created(schema_name: str, description: str, location: str | None = None) -> dict[str, Schema]:
    response: Schema = {"description": description, "content": _json_content(_ref(schema_name))}
    if location:
        response["headers"] = {"Location": {"schema": STRING, "description": location}}
    return {"201": response}


_STAFF_AFTER_DEADLINE = (
    "Staff only (403 otherwise), after the submission deadline (409 before it, or when the tender is not "
    "being evaluated)."
)

PATHS.update(
    {
        "/tenders": {
            "get": {
                "operationId": "list_tenders_endpoint",
                "summary": "Service-purchase tenders (政府购买服务), latest deadline first",
                "description": _TENDER_VISIBILITY,
                "security": PUBLIC,
                "parameters": [
                    _query("status", _TENDER_STATUS, "Only this status."),
                    _query("category", STRING, "Category slug."),
                    _query("district", STRING, "District name."),
                    _query(
                        "buyer_kind",
                        {"type": "string", "enum": [kind.value for kind in BuyerKind]},
                        "Only tenders of government departments or of foundations.",
                    ),
                ],
                "responses": _responses(_ok("TenderList", "The tenders."), 422),
            },
            "post": {
                "operationId": "create_tender_endpoint",
                "summary": "Publish a tender on a buyer's behalf (staff)",
                "description": "The tender is published at once (status open). allows_consortium and "
                "allows_subcontracting must be stated (V3). 403 for non-staff; 422 with every bad field, "
                "e.g. a submission_deadline without an offset or in the past, a budget that is not integer "
                "fen, a grade gate without a basis.",
                "security": SIGNED_IN,
                "requestBody": _body("TenderCreate"),
                "responses": _responses(
                    _created("Tender", "The published tender.", "The tender's URL."), 400, 403, 415, 422
                ),
            },
        },
        "/tenders/{tender_id}": {
            "parameters": [_path_id("tender_id")],
            "get": {
                "operationId": "get_tender_endpoint",
                "summary": "One tender",
                "description": _TENDER_VISIBILITY,
                "security": PUBLIC,
                "responses": _responses(_ok("Tender", "The tender."), 404),
            },
            "patch": {
                "operationId": "update_tender_endpoint",
                "summary": "Edit a draft or open tender before its deadline (staff)",
                "description": "Absent fields keep their value; null clears an optional one. A substantive "
                "change while open bumps the revision and makes every submitted bid invalid until its "
                "organizations re-confirm and the lead re-submits. 409 after the deadline or once "
                "evaluating, awarded, unsuccessful or cancelled.",
                "security": SIGNED_IN,
                "requestBody": _body("TenderUpdate"),
                "responses": _responses(_ok("Tender", "The tender."), 400, 403, 404, 409, 415, 422),
            },
        },
        "/tenders/{tender_id}/cancel": {
            "parameters": [_path_id("tender_id")],
            "post": {
                "operationId": "cancel_tender_endpoint",
                "summary": "Cancel a tender with a reason (staff); its live bids are cancelled",
                "description": "409 once ended or when the contract is signed.",
                "security": SIGNED_IN,
                "requestBody": _body("ReasonInput"),
                "responses": _responses(_ok("Tender", "The cancelled tender."), 400, 403, 404, 409, 415, 422),
            },
        },
        "/tenders/{tender_id}/ocds": {
            "parameters": [_path_id("tender_id")],
            "get": {
                "operationId": "tender_ocds",
                "summary": "The tender as an OCDS 1.1 release package",
                "description": _TENDER_VISIBILITY,
                "security": PUBLIC,
                "responses": _responses(
                    {"200": {"description": "The release package.", "content": _json_content(_OCDS_PACKAGE)}},
                    404,
                ),
            },
        },
        "/tenders/{tender_id}/bids": {
            "parameters": [_path_id("tender_id")],
            "post": {
                "operationId": "create_bid_endpoint",
                "summary": "Prepare a bid for the caller's organization (the lead)",
                "description": "The bid starts as a draft; status and other server-owned fields cannot be "
                "set (422). Every other organization in it is asked to confirm its part. 422 names every "
                "violated rule by field path, e.g. members[1].share, members (shares not summing to 100), "
                "subcontractors[0].is_core_work, price. 409 after the deadline, on a cancelled tender, or "
                "when the organization already has a live bid on it.",
                "security": SIGNED_IN,
                "requestBody": _body("BidInput"),
                "responses": _responses(
                    _created("Bid", "The draft bid.", "The bid's URL."), 400, 403, 404, 409, 415, 422
                ),
            },
        },
        "/bids": {
            "get": {
                "operationId": "list_bids_endpoint",
                "summary": "Bids of the caller's organization (lead, member or subcontractor); staff: all",
                "description": "Company members get 403: bids are the organizations' business.",
                "security": SIGNED_IN,
                "parameters": [
                    _query("tender_id", {"type": "integer", "minimum": 1}, "Only on this tender.")
                ],
                "responses": _responses(_ok("BidList", "The bids."), 403, 422),
            },
        },
        "/bids/{bid_id}": {
            "parameters": [_path_id("bid_id")],
            "get": {
                "operationId": "get_bid_endpoint",
                "summary": "One bid",
                "description": _BID_VISIBILITY,
                "security": SIGNED_IN,
                "responses": _responses(_ok("Bid", "The bid."), 403, 404),
            },
            "patch": {
                "operationId": "update_bid_endpoint",
                "summary": "Edit a bid before the deadline (the lead)",
                "description": "Absent fields keep their value; members and subcontractors are replaced "
                "whole. Every edit is a new revision: confirmations lapse. After submission the membership "
                "is frozen (409 for a change of members, subcontractors or mode) and any edit makes the bid "
                "invalid until re-confirmed and re-submitted.",
                "security": SIGNED_IN,
                "requestBody": _body("BidInput"),
                "responses": _responses(_ok("Bid", "The bid."), 400, 403, 404, 409, 415, 422),
            },
        },
        "/bids/{bid_id}/transitions": {
            "parameters": [_path_id("bid_id")],
            "post": {
                "operationId": "transition_bid_endpoint",
                "summary": "Confirm one's part, submit or withdraw",
                "description": "confirm: a member of a member or subcontractor organization confirms this "
                "revision. submit (the lead): every rule passes and every organization confirmed. withdraw "
                "(the lead). All before the deadline, to the second (409 after it, or on a cancelled "
                "tender). Any other action (valid, disqualified, awarded …) is a decision of staff or of "
                "the award: 403.",
                "security": SIGNED_IN,
                "requestBody": _body("BidTransition"),
                "responses": _responses(_ok("Bid", "The bid."), 400, 403, 404, 409, 415, 422),
            },
        },
        "/bids/{bid_id}/documents": {
            "parameters": [_path_id("bid_id")],
            "post": {
                "operationId": "add_bid_document",
                "summary": "Attach a document (the lead): proposal, joint agreement or other",
                "description": "multipart/form-data. Attaching to a submitted bid is an edit: the bid "
                "becomes invalid until re-confirmed and re-submitted. 415 for another content type.",
                "security": SIGNED_IN,
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": _ref("BidDocumentUpload")}},
                },
                "responses": _responses(
                    _created("BidDocument", "The stored document."), 403, 404, 409, 413, 415, 422, 503
                ),
            },
        },
        "/bids/{bid_id}/documents/{document_id}": {
            "parameters": [_path_id("bid_id"), _path_id("document_id")],
            "delete": {
                "operationId": "remove_bid_document",
                "summary": "Remove a document (the lead)",
                "description": "Removing from a submitted bid makes it invalid until re-submitted.",
                "security": SIGNED_IN,
                "responses": _responses(_ok("Bid", "The bid without the document."), 403, 404, 409),
            },
        },
        "/bids/{bid_id}/subcontracts/{subcontract_id}/consent": {
            "parameters": [_path_id("bid_id"), _path_id("subcontract_id")],
            "post": {
                "operationId": "consent_to_subcontract",
                "summary": "Record the buyer's consent to (or refusal of) a declared subcontract (staff)",
                "description": "政府采购法 第48条. 409 for a bid that is not submitted, valid or awarded, or "
                "a subcontract already active.",
                "security": SIGNED_IN,
                "requestBody": _body("SubcontractConsent"),
                "responses": _responses(_ok("Bid", "The bid."), 400, 403, 404, 409, 415, 422),
            },
        },
        "/bids/{bid_id}/subcontracts/{subcontract_id}/activate": {
            "parameters": [_path_id("bid_id"), _path_id("subcontract_id")],
            "post": {
                "operationId": "activate_subcontract_endpoint",
                "summary": "Make a subcontract active (staff)",
                "description": "Only under the awarded bid and with the buyer's recorded consent (409 "
                "otherwise).",
                "security": SIGNED_IN,
                "responses": _responses(_ok("Bid", "The bid."), 403, 404, 409),
            },
        },
        "/tenders/{tender_id}/evaluations": {
            "parameters": [_path_id("tender_id")],
            "post": {
                "operationId": "evaluate_bid_endpoint",
                "summary": "Mark a submitted bid valid (with a score) or disqualified (with a reason)",
                "description": _STAFF_AFTER_DEADLINE + " The rules run again: a bid no longer eligible "
                "cannot be valid (409).",
                "security": SIGNED_IN,
                "requestBody": _body("EvaluationInput"),
                "responses": _responses(_ok("Bid", "The evaluated bid."), 400, 403, 404, 409, 415, 422),
            },
        },
        "/tenders/{tender_id}/ranking": {
            "parameters": [_path_id("tender_id")],
            "get": {
                "operationId": "tender_ranking",
                "summary": "Qualified bids ranked, with effective grades and review flags (staff)",
                "security": SIGNED_IN,
                "responses": _responses(_ok("TenderRanking", "The ranking."), 403, 404),
            },
        },
        "/tenders/{tender_id}/award": {
            "parameters": [_path_id("tender_id")],
            "post": {
                "operationId": "award_tender",
                "summary": "Award the tender to the best-ranked qualified bid",
                "description": _STAFF_AFTER_DEADLINE + " Every bid must be evaluated and the bid must be "
                "the best-ranked qualified one (409). The bid and all its members become the suppliers; "
                "the other valid bids are unsuccessful; a service contract is proposed for signature by "
                "the buyer and every supplier.",
                "security": SIGNED_IN,
                "requestBody": _body("AwardInput"),
                "responses": _responses(
                    _created("TenderAward", "The award (pending until the contract is signed)."),
                    400,
                    403,
                    404,
                    409,
                    415,
                    422,
                ),
            },
        },
        "/tenders/{tender_id}/award/decline": {
            "parameters": [_path_id("tender_id")],
            "post": {
                "operationId": "decline_tender_award",
                "summary": "The winner refuses to sign: award the next-ranked bid, or end unsuccessful",
                "description": "Staff only. The declined award's contract is cancelled. 409 when there is "
                "no pending award or its contract is already signed.",
                "security": SIGNED_IN,
                "requestBody": _body("ReasonInput"),
                "responses": _responses(
                    _ok("AwardDecision", "The next award, or none."), 400, 403, 404, 409, 415, 422
                ),
            },
        },
        "/tenders/{tender_id}/unsuccessful": {
            "parameters": [_path_id("tender_id")],
            "post": {
                "operationId": "declare_tender_unsuccessful",
                "summary": "End an evaluated tender without award (流标)",
                "description": _STAFF_AFTER_DEADLINE,
                "security": SIGNED_IN,
                "requestBody": _body("ReasonInput"),
                "responses": _responses(_ok("Tender", "The tender."), 400, 403, 404, 409, 415, 422),
            },
        },
        "/tenders/{tender_id}/partners": {
            "parameters": [_path_id("tender_id")],
            "get": {
                "operationId": "tender_partners",
                "summary": "Consortium partners suggested for a lead organization, best first",
                "description": "For a member of the lead organization (default: the caller's own) or "
                "staff; 403 for another organization's members.",
                "security": SIGNED_IN,
                "parameters": [
                    _query(
                        "organization_id",
                        {"type": "integer", "minimum": 1},
                        "The lead organization; default the caller's.",
                    ),
                    _query(
                        "limit",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": PARTNERS_MAX_LIMIT,
                            "default": PARTNERS_DEFAULT_LIMIT,
                        },
                        "How many.",
                    ),
                ],
                "responses": _responses(_ok("PartnerList", "The suggestions."), 403, 404, 422),
            },
        },
        "/tenders/{tender_id}/invitations": {
            "parameters": [_path_id("tender_id")],
            "post": {
                "operationId": "invite_tender_partner",
                "summary": "Invite an organization to bid together (a member of the lead organization)",
                "description": "One invitation per tender, lead and organization: inviting again returns it.",
                "security": SIGNED_IN,
                "requestBody": _body("InvitationInput"),
                "responses": _responses(
                    _created("ConsortiumInvitation", "The invitation."), 400, 403, 404, 409, 415, 422
                ),
            },
        },
        "/agreements/{agreement_id}/signatures": {
            "parameters": [_path_id("agreement_id")],
            "post": {
                "operationId": "record_agreement_signature",
                "summary": "Record a buyer's signature of a service contract (staff)",
                "description": "For a party without accounts here (the buyer), which signs on paper or with "
                "its own e-seal. Bound to the version's content_sha256 like any signature; the contract "
                "becomes active only when the buyer and every supplier have signed. 403 for non-staff and "
                "for a party with accounts (its own signer signs); 404 for another agreement's party; 409 "
                "for a hash mismatch, a version not awaiting signatures or a party that already signed.",
                "security": SIGNED_IN,
                "requestBody": _body("AgreementSignatureInput"),
                "responses": _responses(
                    _created("AgreementSignature", "The recorded signature."), 400, 403, 404, 409, 415, 422
                ),
            },
        },
    }
)

# Later features describe their endpoints in their own modules (they import the helpers above).
from marketplace.api import (  # noqa: E402
    openapi_evaluations,
    openapi_moderation,
    openapi_needs,
    openapi_stats,
    openapi_votes,
)

for _fragment in (openapi_evaluations, openapi_votes, openapi_needs, openapi_stats, openapi_moderation):
    SCHEMAS.update(_fragment.SCHEMAS)
    PATHS.update(_fragment.PATHS)

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "青亲筹 API",
        "version": "1.0.0",
        "description": "JSON API of the 青亲筹 public-welfare marketplace. Amounts are integer fen; "
        "moments are ISO 8601 in Asia/Shanghai time. Authenticate with `Authorization: Bearer <token>` "
        'from POST /tokens. Every error is `{"error": {"code", "message", "fields"}}`; messages are '
        "Chinese unless `Accept-Language: en`.",
    },
    "servers": [{"url": "/api/v1"}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": {
            name: {**response, "content": _json_content(_ref("Error"))}
            for name, response in _ERROR_RESPONSES.items()
        },
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
}


@bp.get("/openapi.json")
def openapi_document() -> Any:
    return jsonify(DOCUMENT)
