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
from marketplace.api import bp
from marketplace.api.accounts import TOKEN_FIELDS
from marketplace.api.input import JsonField
from marketplace.api.projects import (
    API_ACTIONS,
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    PROJECT_FIELDS,
    REASON_MAX,
    TRANSITION_FIELDS,
)
from marketplace.parties.models import GRADES, Tier, VerificationStatus
from marketplace.projects.states import FundingModel, ProjectStatus
from marketplace.search.types import PROGRESS_BUCKETS, SORTS

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
    "string_list": STRING_LIST,
}


def _input_schema(fields: Mapping[str, JsonField], descriptions: Mapping[str, str]) -> Schema:
    """A request body schema generated from the table the endpoint checks bodies with."""
    properties: dict[str, Schema] = {}
    for name, field in fields.items():
        schema = dict(_JSON_TYPES[field.kind])
        if field.nullable:
            schema["type"] = [schema["type"], "null"]
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
    "raised_amount": FEN,
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

_ERROR_RESPONSES: dict[str, Schema] = {
    "BadRequest": {"description": "Malformed JSON or a body that is not a JSON object."},
    "Unauthorized": {"description": "No, a revoked or an invalid bearer token; or wrong credentials."},
    "Forbidden": {"description": "The caller's role may not do this."},
    "NotFound": {"description": "No such resource, or one the caller may not see."},
    "Conflict": {"description": "Not allowed in the resource's current state."},
    "UnsupportedMediaType": {"description": "The body is not application/json."},
    "Unprocessable": {
        "description": "Invalid fields (see error.fields), including fields that may not be set."
    },
    "TooManyRequests": {"description": "Too many attempts; try again later."},
}
_STATUS_RESPONSES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "415": "UnsupportedMediaType",
    "422": "Unprocessable",
    "429": "TooManyRequests",
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
