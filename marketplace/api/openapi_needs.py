"""The OpenAPI paths and schemas of api/needs.py, merged into the document by api/openapi.py."""

from __future__ import annotations

from typing import Any

from marketplace.api.needs import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    NEED_FIELDS,
    RESPONSE_FIELDS,
    TRANSITION_FIELDS,
)
from marketplace.api.openapi import (
    INTEGER,
    MOMENT,
    NULLABLE_MOMENT,
    PUBLIC,
    SIGNED_IN,
    STATUS,
    STRING,
    _body,
    _created,
    _input_schema,
    _object,
    _ok,
    _path_id,
    _query,
    _ref,
    _refined,
    _responses,
)
from marketplace.needs.operations import (
    ACTION_LABELS,
    COMMUNITY_MAX,
    DESCRIPTION_MAX,
    NOTE_MAX,
    PEOPLE_MAX,
    TITLE_MAX,
)
from marketplace.needs.queries import QUERY_MAX, SORT_LABELS
from marketplace.needs.states import NeedStatus, Urgency

NEED_STATUS: dict[str, Any] = {"type": "string", "enum": [status.value for status in NeedStatus]}
URGENCY: dict[str, Any] = {"type": "string", "enum": [urgency.value for urgency in Urgency]}
COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_NEED_PROPERTIES: dict[str, Any] = {
    "id": INTEGER,
    "title": STRING,
    "description": STRING,
    "district": {**STRING, "description": "District name, see /districts."},
    "community": STRING,
    "category": {**STRING, "description": "Category slug, see /categories."},
    "people_affected": COUNT,
    "urgency": URGENCY,
    "status": NEED_STATUS,
    "responses_count": {**COUNT, "description": "Every response, including projects still in preparation."},
    "created_at": MOMENT,
    "addressed_at": NULLABLE_MOMENT,
}

SCHEMAS: dict[str, Any] = {
    "Need": _object(_NEED_PROPERTIES),
    "NeedList": _object(
        {
            "items": {"type": "array", "items": _ref("Need")},
            "total": COUNT,
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "status_counts": {
                **_object({status.value: COUNT for status in NeedStatus}),
                "description": "Needs per status under the other filters (status itself ignored).",
            },
        }
    ),
    "NeedResponse": _object(
        {
            "id": INTEGER,
            "need_id": INTEGER,
            "project": _object({"id": INTEGER, "title": STRING, "status": STATUS}),
            "organization": _object({"id": INTEGER, "name": STRING}),
            "note": STRING,
            "created_at": MOMENT,
        }
    ),
    "NeedDetail": _object(
        {
            **_NEED_PROPERTIES,
            "responses": {
                "type": "array",
                "items": _ref("NeedResponse"),
                "description": "Responses whose projects the caller may see (public projects; drafts and "
                "projects under review only for their organization and staff).",
            },
            "responses_in_preparation": {**COUNT, "description": "Responses not shown to this caller."},
        }
    ),
    "NeedCreate": _refined(
        _input_schema(
            NEED_FIELDS,
            {
                "category": "Category slug, see /categories.",
                "district": "District name, see /districts.",
                "urgency": "Default normal.",
            },
        ),
        required=["title", "community", "district", "category"],
        title={"maxLength": TITLE_MAX},
        community={"maxLength": COMMUNITY_MAX},
        description={"maxLength": DESCRIPTION_MAX},
        people_affected={"minimum": 0, "maximum": PEOPLE_MAX},
        urgency={"enum": [urgency.value for urgency in Urgency]},
    ),
    "NeedResponseCreate": _refined(
        _input_schema(RESPONSE_FIELDS, {"project_id": "One of the caller's organization's projects."}),
        required=["project_id"],
        note={"maxLength": NOTE_MAX},
    ),
    "NeedTransition": _refined(
        _input_schema(TRANSITION_FIELDS, {}),
        required=["action"],
        action={"enum": list(ACTION_LABELS)},
    ),
}

_NEED_ID = _path_id("need_id")

PATHS: dict[str, Any] = {
    "/needs": {
        "get": {
            "operationId": "list_needs",
            "summary": "Community needs (社区需求), most urgent first",
            "security": PUBLIC,
            "parameters": [
                _query("district", STRING, "District name."),
                _query("category", STRING, "Category slug."),
                _query("status", NEED_STATUS, "Only needs in this status."),
                _query("urgency", URGENCY, "Only needs of this urgency."),
                _query(
                    "q", {**STRING, "maxLength": QUERY_MAX}, "Words in the title, description or community."
                ),
                _query(
                    "sort",
                    {"type": "string", "enum": list(SORT_LABELS), "default": "urgent"},
                    "urgent (urgency, then people affected), people, or newest.",
                ),
                _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
                _query(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
                    "Items per page.",
                ),
            ],
            "responses": _responses(_ok("NeedList", "One page of needs."), 422),
        },
        "post": {
            "operationId": "create_need",
            "summary": "Record a community need (staff and grid stewards)",
            "description": "The need starts open. 403 for everyone but staff; 422 for a missing title, "
            "community, district or category, an unknown district, category or urgency, a title over "
            f"{TITLE_MAX} characters, a description over {DESCRIPTION_MAX}, or people_affected outside "
            f"0–{PEOPLE_MAX}.",
            "security": SIGNED_IN,
            "requestBody": _body("NeedCreate"),
            "responses": _responses(
                _created("NeedDetail", "The recorded need.", "The need's URL."), 400, 403, 415, 422
            ),
        },
    },
    "/needs/{need_id}": {
        "parameters": [_NEED_ID],
        "get": {
            "operationId": "get_need",
            "summary": "A community need with the projects answering it",
            "security": PUBLIC,
            "responses": _responses(_ok("NeedDetail", "The need."), 404),
        },
    },
    "/needs/{need_id}/responses": {
        "parameters": [_NEED_ID],
        "post": {
            "operationId": "respond_to_need",
            "summary": "Answer a need with one of your organization's projects",
            "description": "Members of verified organizations only (403 otherwise, and for another "
            "organization's project). The first response moves an open need to in_progress and notifies "
            "the staff member who recorded it. 409 when the need is addressed, the project already answers "
            "a need (the message names it) or the project failed or was cancelled; 422 for an unknown "
            "project.",
            "security": SIGNED_IN,
            "requestBody": _body("NeedResponseCreate"),
            "responses": _responses(
                _created("NeedResponse", "The response.", "The need's URL."), 400, 403, 404, 409, 415, 422
            ),
        },
    },
    "/needs/{need_id}/transitions": {
        "parameters": [_NEED_ID],
        "post": {
            "operationId": "transition_need",
            "summary": "Move a need along: start, address or reopen (staff)",
            "description": "start: open → in_progress; address: open or in_progress → addressed; reopen: "
            "in_progress or addressed → open. 409 for an action the need's status does not allow; 422 for "
            "an unknown action.",
            "security": SIGNED_IN,
            "requestBody": _body("NeedTransition"),
            "responses": _responses(
                _ok("NeedDetail", "The need after the change."), 400, 403, 404, 409, 415, 422
            ),
        },
    },
}
