"""The OpenAPI paths and schemas of api/moderation.py, merged into the document by api/openapi.py."""

from __future__ import annotations

from typing import Any

from marketplace.api.moderation import DECISION_FIELDS, DEFAULT_PER_PAGE, MAX_PER_PAGE, REPORT_FIELDS
from marketplace.api.openapi import (
    INTEGER,
    MOMENT,
    NULLABLE_MOMENT,
    NULLABLE_STRING,
    PUBLIC,
    SIGNED_IN,
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
from marketplace.moderation.rules import DETAILS_MAX, NOTE_MAX
from marketplace.moderation.states import Decision, Reason, ReportStatus, SubjectKind

KIND: dict[str, Any] = {"type": "string", "enum": [item.value for item in SubjectKind]}
REASON: dict[str, Any] = {"type": "string", "enum": [item.value for item in Reason]}
REPORT_STATUS: dict[str, Any] = {"type": "string", "enum": [item.value for item in ReportStatus]}
DECISION: dict[str, Any] = {"type": "string", "enum": [item.value for item in Decision]}
NULLABLE_INTEGER: dict[str, Any] = {"type": ["integer", "null"]}
COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_RECEIPT: dict[str, Any] = {
    "id": INTEGER,
    "kind": KIND,
    "subject_id": INTEGER,
    "reason": REASON,
    "status": REPORT_STATUS,
    "created_at": MOMENT,
}

SCHEMAS: dict[str, Any] = {
    "AbuseReportReceipt": _object(_RECEIPT),
    "AbuseReport": _object(
        {
            **_RECEIPT,
            "details": STRING,
            "reporter_id": {**NULLABLE_INTEGER, "description": "null for an anonymous report."},
            "reporter_ip_hash": {
                **NULLABLE_STRING,
                "description": "HMAC-SHA256 of the reporter's IP address (the address itself is not kept).",
            },
            "decision": {"type": ["string", "null"], "enum": [*DECISION["enum"], None]},
            "decision_note": NULLABLE_STRING,
            "decided_by_id": NULLABLE_INTEGER,
            "decided_at": NULLABLE_MOMENT,
        }
    ),
    "AbuseReportList": _object(
        {
            "items": {"type": "array", "items": _ref("AbuseReport")},
            "total": COUNT,
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        }
    ),
    "AbuseReportCreate": _refined(
        _input_schema(
            REPORT_FIELDS,
            {
                "kind": "project, organization or pledge_message.",
                "subject_id": "The project's, organization's or pledge's id.",
                "reason": "fraud 虚假信息/诈骗, illegal 违法违规, infringement 侵权, "
                "harassment 骚扰或仇恨言论, spam 垃圾广告, other 其他.",
                "details": "Required when reason is other.",
            },
        ),
        required=["kind", "subject_id", "reason"],
        kind={"enum": KIND["enum"]},
        reason={"enum": REASON["enum"]},
        details={"maxLength": DETAILS_MAX},
    ),
    "ModerationDecisionInput": _refined(
        _input_schema(DECISION_FIELDS, {"note": "Required; written to the audit log."}),
        required=["decision", "note"],
        decision={"enum": DECISION["enum"]},
        note={"minLength": 1, "maxLength": NOTE_MAX},
    ),
    "ModerationDecision": _object(
        {
            "kind": KIND,
            "subject_id": INTEGER,
            "held": {"type": "boolean", "description": "Whether the content is now hidden from the public."},
            "reports": {"type": "array", "items": _ref("AbuseReport"), "description": "Every report on it."},
        }
    ),
}

PATHS: dict[str, Any] = {
    "/reports": {
        "post": {
            "operationId": "create_report",
            "summary": "Report a project, an organization or a pledge message (举报)",
            "description": "Anyone, with or without a token. 201 for a new report; 200 with the existing "
            "report when the same reporter (user, or anonymous client IP) already has an open report on "
            "the same subject. 404 for content the caller cannot see; 422 for an unknown reason, details "
            f"over {DETAILS_MAX} characters, or reason other without details. Anonymous callers: "
            "MODERATION_REPORT_RATE_LIMIT per client IP (429), shared with the report page.",
            "security": PUBLIC,
            "requestBody": _body("AbuseReportCreate"),
            "responses": {
                **_ok("AbuseReportReceipt", "The same reporter's open report on this subject."),
                **_responses(_created("AbuseReportReceipt", "The report."), 400, 404, 415, 422, 429),
            },
        },
    },
    "/moderation/reports": {
        "get": {
            "operationId": "list_reports",
            "summary": "Abuse reports, newest first (staff)",
            "security": SIGNED_IN,
            "parameters": [
                _query("status", REPORT_STATUS, "Only reports in this status."),
                _query("kind", KIND, "Only reports on this kind of content."),
                _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
                _query(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
                    "Items per page.",
                ),
            ],
            "responses": _responses(_ok("AbuseReportList", "One page of reports."), 403, 422),
        },
    },
    "/moderation/reports/{report_id}/decision": {
        "parameters": [_path_id("report_id")],
        "post": {
            "operationId": "decide_report",
            "summary": "Decide on a report's subject: hide, restore, dismiss or action (staff)",
            "description": "hide: the content is hidden from the public pending review (reports stay open); "
            "restore: shown again; dismiss: every open report on the subject is dismissed and the content "
            "shown; action: every open report is upheld and the content stays hidden. Audited with the "
            "note. 409 when the decision does not apply (hide hidden content, restore visible content, "
            "dismiss or action with no open report); 422 for an unknown decision or an empty note.",
            "security": SIGNED_IN,
            "requestBody": _body("ModerationDecisionInput"),
            "responses": _responses(
                _ok("ModerationDecision", "The subject after the decision."), 400, 403, 404, 409, 415, 422
            ),
        },
    },
}
