"""The OpenAPI paths and schemas of api/evaluations.py, merged into the document by api/openapi.py."""

from __future__ import annotations

from typing import Any

from marketplace.api.evaluations import ASSIGN_FIELDS, ROUND_FIELDS, SCORE_FIELDS, TIER_FIELDS
from marketplace.api.openapi import (
    INTEGER,
    PUBLIC,
    SIGNED_IN,
    STRING,
    _body,
    _created,
    _input_schema,
    _object,
    _ok,
    _path_id,
    _refined,
    _responses,
)
from marketplace.evaluations import grading
from marketplace.evaluations.states import RoundStatus, ScoreKind

_ROUND = _path_id("round_id")
_SCORE: dict[str, Any] = {
    "type": "number",
    "minimum": 0,
    "maximum": 100,
    "description": "0–100 with at most two decimals (exact: stored in hundredths).",
}
_NULLABLE_SCORE: dict[str, Any] = {
    **_SCORE,
    "type": ["number", "null"],
    "description": _SCORE["description"] + " null: the part is missing.",
}
_SCORE_IN: dict[str, Any] = {
    "type": ["number", "string"],
    "description": '0–100, at most two decimals: 88.5 or "88.5".',
}
_WEIGHT: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}
_WEIGHT_IN: dict[str, Any] = {
    "type": ["number", "string"],
    "description": '0–1, at most four decimals: 0.4 or "0.4".',
}
_GRADE: dict[str, Any] = {"type": ["string", "null"], "enum": [*grading.GRADES, None]}
_TIER: dict[str, Any] = {"type": ["string", "null"], "enum": [*grading.TIERS, None]}
_STAFF = "Staff only (403 for everyone else)."

SCHEMAS: dict[str, Any] = {
    "EvaluationCreate": _refined(
        {
            **_input_schema(
                ROUND_FIELDS,
                {
                    "year": "One round per year (409 if it exists).",
                    "title": "Default: “<year>年度青年社会组织评估”.",
                    "organization_ids": "Verified organizations (not league bodies).",
                    "max_votes": "How many organizations one public voter may choose (default 5).",
                },
            ),
            "properties": {
                **_input_schema(ROUND_FIELDS, {})["properties"],
                "criteria": {
                    "type": "array",
                    "description": "Criterion names (equal weights) or {name, weight} objects; default: the "
                    "nine Spring Bud criteria with their weights.",
                    "items": {
                        "oneOf": [
                            STRING,
                            _object(
                                {"name": STRING, "weight": {"type": "integer", "minimum": 1}}, required=False
                            ),
                        ]
                    },
                },
            },
        },
        required=["year", "organization_ids"],
        weights={
            "type": ["object", "null"],
            "description": "The three parts' weights, summing to exactly 1 (default 0.4 / 0.3 / 0.3).",
            "properties": {"government": _WEIGHT_IN, "peer": _WEIGHT_IN, "public": _WEIGHT_IN},
            "required": ["government", "peer", "public"],
            "additionalProperties": False,
        },
        quotas={
            "type": ["object", "null"],
            "description": "Tier quotas 名木 / 成木 / 苗木 (default 10 / 30 / 300).",
            "properties": {name: {"type": "integer", "minimum": 0} for name in grading.TIERS},
            "required": list(grading.TIERS),
            "additionalProperties": False,
        },
    ),
    "Evaluation": _object(
        {
            "id": INTEGER,
            "year": INTEGER,
            "title": STRING,
            "status": {"type": "string", "enum": [status.value for status in RoundStatus]},
            "weights": _object({"government": _WEIGHT, "peer": _WEIGHT, "public": _WEIGHT}),
            "criteria": {"type": "array", "items": STRING},
            "criterion_weights": {"type": "object", "additionalProperties": INTEGER},
            "grade_bands": {
                "type": "object",
                "description": "Each grade's minimum composite.",
                "additionalProperties": _SCORE,
            },
            "max_votes": INTEGER,
            "quotas": _object({name: INTEGER for name in grading.TIERS}),
            "organization_ids": {"type": "array", "items": INTEGER},
            "grades_valid_until": {"type": ["string", "null"], "format": "date"},
        }
    ),
    "EvaluationScoreCreate": _refined(
        _input_schema(
            SCORE_FIELDS,
            {
                "kind": "government (staff) or peer (a member of an assigned participating organization).",
                "criteria": "Every criterion of the round, each 0–100.",
            },
        ),
        required=["organization_id", "kind", "criteria"],
        kind={"enum": [kind.value for kind in ScoreKind]},
        criteria={"additionalProperties": _SCORE_IN},
    ),
    "EvaluationScore": _object(
        {
            "id": INTEGER,
            "organization_id": INTEGER,
            "kind": {"type": "string", "enum": [kind.value for kind in ScoreKind]},
            "scorer_organization_id": {"type": ["integer", "null"]},
            "score": {**_SCORE, "description": "The weighted mean of the criteria."},
            "criteria": {"type": "object", "additionalProperties": _SCORE},
        }
    ),
    "EvaluationAssign": _input_schema(
        ASSIGN_FIELDS, {"per_reviewer": "Organizations each one scores (1–20, default 5)."}
    ),
    "EvaluationAssignments": _object(
        {
            "items": {
                "type": "array",
                "items": _object({"reviewer_organization_id": INTEGER, "organization_id": INTEGER}),
            }
        }
    ),
    "EvaluationTierSet": _refined(
        _input_schema(
            TIER_FIELDS, {"tier": "leading 名木, demonstration 成木, growing 苗木; null clears it."}
        ),
        required=["organization_id", "tier"],
    ),
    "EvaluationTier": _object({"organization_id": INTEGER, "tier": _TIER}),
    "EvaluationResults": _object(
        {
            "published": {"type": "boolean"},
            "items": {
                "type": "array",
                "items": _object(
                    {
                        "organization_id": INTEGER,
                        "name": STRING,
                        "government": _NULLABLE_SCORE,
                        "peer": _NULLABLE_SCORE,
                        "public": _NULLABLE_SCORE,
                        "votes": INTEGER,
                        "composite": _NULLABLE_SCORE,
                        "grade": _GRADE,
                        "rank": {"type": ["integer", "null"]},
                        "tier": _TIER,
                    }
                ),
            },
        }
    ),
}

PATHS: dict[str, Any] = {
    "/evaluations": {
        "post": {
            "operationId": "create_evaluation_endpoint",
            "summary": "Open an evaluation round for a year (staff)",
            "description": _STAFF + " 409 when the year already has a round; 422 with every bad field "
            "(weights not summing to 1, unverified organizations, duplicate criteria …).",
            "security": SIGNED_IN,
            "requestBody": _body("EvaluationCreate"),
            "responses": _responses(
                _created("Evaluation", "The open round.", "The round's URL."), 400, 403, 409, 415, 422
            ),
        }
    },
    "/evaluations/{round_id}": {
        "parameters": [_ROUND],
        "get": {
            "operationId": "get_evaluation_endpoint",
            "summary": "An evaluation round: status, weights and criteria",
            "security": PUBLIC,
            "responses": _responses(_ok("Evaluation", "The round."), 404),
        },
    },
    "/evaluations/{round_id}/scores": {
        "parameters": [_ROUND],
        "post": {
            "operationId": "score_evaluation_endpoint",
            "summary": "Score an organization: government (staff) or peer (an assigned participant)",
            "description": "The party's score is the weighted mean of its criteria. Re-scoring replaces "
            "(200). 403 for scoring itself, a live partner (agreement or consortium), an organization not "
            "assigned to it, or a government score by a non-staff; 409 once the round is closed; 422 for a "
            "score outside 0–100 or a missing criterion.",
            "security": SIGNED_IN,
            "requestBody": _body("EvaluationScoreCreate"),
            "responses": _responses(
                {
                    **_created("EvaluationScore", "The new score."),
                    **_ok("EvaluationScore", "The score, replaced."),
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
    "/evaluations/{round_id}/peer-assignments": {
        "parameters": [_ROUND],
        "post": {
            "operationId": "assign_peers_endpoint",
            "summary": "Assign peer reviews automatically (staff)",
            "description": _STAFF + " A balanced round-robin that never assigns an organization to itself "
            "or a live partner; assignments already scored are kept. 409 once the round is closed.",
            "security": SIGNED_IN,
            "requestBody": {**_body("EvaluationAssign"), "required": False},
            "responses": _responses(
                _ok("EvaluationAssignments", "Every assignment of the round."), 400, 403, 404, 409, 415, 422
            ),
        },
    },
    "/evaluations/{round_id}/tiers": {
        "parameters": [_ROUND],
        "post": {
            "operationId": "assign_tier_endpoint",
            "summary": "Set a participant's tier (staff)",
            "description": _STAFF + " 422 beyond the tier's quota; 409 once published.",
            "security": SIGNED_IN,
            "requestBody": _body("EvaluationTierSet"),
            "responses": _responses(_ok("EvaluationTier", "The tier."), 400, 403, 404, 409, 415, 422),
        },
    },
    "/evaluations/{round_id}/publish": {
        "parameters": [_ROUND],
        "post": {
            "operationId": "publish_evaluation_endpoint",
            "summary": "Publish the results (staff)",
            "description": _STAFF + " Writes grades (valid five years from today) and tiers onto the "
            "organizations. 409 when a participant has no government score or the round is published.",
            "security": SIGNED_IN,
            "responses": _responses(_ok("Evaluation", "The published round."), 403, 404, 409),
        },
    },
    "/evaluations/{round_id}/results": {
        "parameters": [_ROUND],
        "get": {
            "operationId": "evaluation_results_endpoint",
            "summary": "Each organization's three parts, composite, grade, rank and tier",
            "description": "Public once published; before that staff see the live figures and everyone "
            "else gets 404.",
            "security": PUBLIC,
            "responses": _responses(_ok("EvaluationResults", "The results, best first."), 404),
        },
    },
}
