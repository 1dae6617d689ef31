"""Abuse reports (举报) and the staff moderation queue over the API.

Anyone may report, with or without a token (anonymous reports are rate-limited per client IP, the
budget shared with the report page); staff list reports and decide. Every rule lives in
``marketplace.moderation.operations``; this module turns JSON into its input and its results into
JSON, and commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify, request
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.api import bp
from marketplace.api.auth import api_roles, current_api_user, require_api_user
from marketplace.api.input import JsonField, checked_body, query_integer, require_fields
from marketplace.errors import DomainError
from marketplace.extensions import db, limiter
from marketplace.messages import Msg
from marketplace.moderation import operations as ops
from marketplace.moderation.models import AbuseReport
from marketplace.moderation.states import ReportStatus, SubjectKind
from marketplace.moderation.views import REPORT_LIMIT_SCOPE, report_rate_limit
from marketplace.timeutil import isoformat_local

DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
REPORT_FIELDS: Mapping[str, JsonField] = {
    "kind": JsonField("string"),
    "subject_id": JsonField("integer", message=Msg("应为整数编号")),
    "reason": JsonField("string"),
    "details": JsonField("string", nullable=True),
}
DECISION_FIELDS: Mapping[str, JsonField] = {
    "decision": JsonField("string"),
    "note": JsonField("string"),
}


def receipt_json(report: AbuseReport) -> dict[str, Any]:
    """What the reporter gets back: no other reporter's data, no decision note."""
    return {
        "id": report.id,
        "kind": report.subject_kind,
        "subject_id": report.subject_id,
        "reason": report.reason,
        "status": report.status,
        "created_at": isoformat_local(report.created_at),
    }


def report_json(report: AbuseReport) -> dict[str, Any]:
    """The staff view of a report."""
    return {
        **receipt_json(report),
        "details": report.details,
        "reporter_id": report.reporter_id,
        "reporter_ip_hash": report.reporter_ip_hash,
        "decision": report.decision,
        "decision_note": report.decision_note,
        "decided_by_id": report.decided_by_id,
        "decided_at": isoformat_local(report.decided_at),
    }


def _anonymous_caller() -> bool:
    return current_api_user() is None


@bp.post("/reports")
@limiter.shared_limit(report_rate_limit, REPORT_LIMIT_SCOPE, exempt_when=lambda: not _anonymous_caller())
def create_report() -> Any:
    body = checked_body(REPORT_FIELDS)
    require_fields(
        body, {"kind": Msg("举报对象类型"), "subject_id": Msg("举报对象编号"), "reason": Msg("举报原因")}
    )
    data = ops.ReportInput(
        kind=body["kind"],
        subject_id=body["subject_id"],
        reason=body["reason"],
        details=body.get("details") or "",
    )
    report, created = ops.file_report(current_api_user(), request.remote_addr, data)
    db.session.commit()
    return jsonify(receipt_json(report)), 201 if created else 200


def _list_filters() -> tuple[str | None, str | None, int, int]:
    args = request.args
    errors: dict[str, str] = {}
    page = query_integer(args, "page", errors, default=1)
    per_page = query_integer(args, "per_page", errors, default=DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE)
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in {item.value for item in ReportStatus}:
        errors["status"] = Msg("状态只能是 open、dismissed 或 actioned")
    kind = (args.get("kind") or "").strip() or None
    if kind is not None and kind not in {item.value for item in SubjectKind}:
        errors["kind"] = Msg("举报对象只能是 project、organization 或 pledge_message")
    if errors:
        raise DomainError(errors)
    assert page is not None and per_page is not None
    return status, kind, page, per_page


@bp.get("/moderation/reports")
@api_roles(Role.STAFF, Role.ADMIN)
def list_reports() -> Any:
    status, kind, page, per_page = _list_filters()
    conditions = []
    if status is not None:
        conditions.append(AbuseReport.status == status)
    if kind is not None:
        conditions.append(AbuseReport.subject_kind == kind)
    total = db.session.scalar(select(func.count()).select_from(AbuseReport).where(*conditions)) or 0
    items = db.session.scalars(
        select(AbuseReport)
        .where(*conditions)
        .order_by(AbuseReport.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return jsonify(
        {"items": [report_json(item) for item in items], "total": total, "page": page, "per_page": per_page}
    )


@bp.post("/moderation/reports/<int:report_id>/decision")
@api_roles(Role.STAFF, Role.ADMIN)
def decide_report(report_id: int) -> Any:
    """The decision is on the report's subject: dismiss and action close every open report on it."""
    report = ops.get_report(report_id)
    body = checked_body(DECISION_FIELDS)
    require_fields(body, {"decision": Msg("处理方式"), "note": Msg("处理说明")})
    subject = ops.decide(
        require_api_user(), report.subject_kind, report.subject_id, body["decision"], body["note"]
    )
    db.session.commit()
    return jsonify(
        {
            "kind": report.subject_kind,
            "subject_id": report.subject_id,
            "held": ops.is_held(subject),
            "reports": [
                report_json(item) for item in ops.reports_for(report.subject_kind, report.subject_id)
            ],
        }
    )
