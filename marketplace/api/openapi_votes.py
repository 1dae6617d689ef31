"""The OpenAPI paths and schemas of api/votes.py, merged into the document by api/openapi.py."""

from __future__ import annotations

from typing import Any

from marketplace.api.openapi import (
    INTEGER,
    PUBLIC,
    _body,
    _input_schema,
    _object,
    _ok,
    _path_id,
    _responses,
)
from marketplace.api.votes import CODE_FIELDS, VOTE_FIELDS
from marketplace.evaluations.voting import CODE_EXPIRES_IN

_IDENTITY_DESCRIPTIONS = {
    "email": "The voter's e-mail address (give either email or phone).",
    "phone": "A mainland mobile number, e.g. 13812345678 or +86 138-1234-5678 (give either email or phone).",
}
_ROUND = _path_id("round_id")
_LIMITS = (
    "Per e-mail or phone: one code a minute and five an hour (429 with a message saying when to retry); "
    "per client IP: VOTE_CODE_RATE_LIMIT (429)."
)

SCHEMAS: dict[str, Any] = {
    "VoteCodeRequest": {
        **_input_schema(CODE_FIELDS, _IDENTITY_DESCRIPTIONS),
        "minProperties": 1,
        "maxProperties": 1,
    },
    "VoteCodeSent": _object(
        {
            "sent": {"type": "boolean", "const": True},
            "channel": {"type": "string", "enum": ["email", "phone"]},
            "expires_in": {**INTEGER, "description": f"Seconds the code stays valid ({CODE_EXPIRES_IN})."},
        }
    ),
    "VoteRequest": {
        **_input_schema(
            VOTE_FIELDS,
            {
                **_IDENTITY_DESCRIPTIONS,
                "code": "The six-digit code sent to the e-mail address or phone.",
                "organization_ids": "1 to the round's max_votes distinct participating organizations.",
            },
        ),
        "required": ["code", "organization_ids"],
    },
    "VoteCast": _object(
        {
            "round_id": INTEGER,
            "organization_ids": {"type": "array", "items": INTEGER},
        }
    ),
}

PATHS: dict[str, Any] = {
    "/evaluations/{round_id}/votes/code": {
        "parameters": [_ROUND],
        "post": {
            "operationId": "request_vote_code",
            "summary": "Send a one-time voting code to an e-mail address or a mobile number",
            "description": "Anyone may ask while the round is open (409 round_closed after it closes; "
            "409 already_voted for an identity that has voted in this round). The code is valid for "
            f"{CODE_EXPIRES_IN // 60} minutes; a new code replaces the previous one. " + _LIMITS,
            "security": PUBLIC,
            "requestBody": _body("VoteCodeRequest"),
            "responses": _responses(
                _ok("VoteCodeSent", "The code is on its way.", "202"), 400, 404, 409, 415, 422, 429
            ),
        },
    },
    "/evaluations/{round_id}/votes": {
        "parameters": [_ROUND],
        "post": {
            "operationId": "cast_vote",
            "summary": "Vote once in a round with the code that was sent",
            "description": "The code must be the latest one sent to this identity, unused and unexpired; "
            "after five wrong codes it is void (422). A second vote by the same identity, even with a fresh "
            "code, is refused with 409 already_voted; a vote after the round closed with 409 round_closed. "
            "Per client IP: VOTE_RATE_LIMIT (429).",
            "security": PUBLIC,
            "requestBody": _body("VoteRequest"),
            "responses": _responses(
                _ok("VoteCast", "The vote is recorded.", "201"), 400, 404, 409, 415, 422, 429
            ),
        },
    },
}
