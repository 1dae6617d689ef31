"""Abuse reports (举报) and the moderation queue in the access-control matrix.

Who may do what: everyone (anonymous too) opens the report form of a project they can see, reports
it and reads the thank-you page; only staff (and admins) see the queue and a subject's reports and
decide (hide / restore / dismiss / action), on the pages and through the API. A report on a draft is
404 for those who cannot see the draft.

The rows (``ids``): the World's published project with one open report from the company's member.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.moderation import operations as ops
from marketplace.moderation.models import AbuseReport
from marketplace.parties.models import Organization
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from tests.access_cases.base import (
    INVALID,
    OWNER_AND_STAFF_SEE,
    STAFF_ONLY,
    Case,
    everyone,
)
from tests.factories import World

REPORT = "/report/{moderation_kind}/{published_id}"
DRAFT_REPORT = "/report/{moderation_kind}/{draft_id}"
SUBJECT = "/staff/moderation/{moderation_kind}/{published_id}"
FORM = {"reason": "fraud", "details": "矩阵测试：图片与说明不符"}
DECISION = {"decision": "hide", "note": "矩阵测试：先隐藏核实"}
API_REPORT: dict[str, Any] = {"kind": "project", "subject_id": 0, "reason": "spam", "details": "矩阵测试"}
STAFF_INVALID = {**STAFF_ONLY, "staff": INVALID, "admin": INVALID}
# The draft is its organization's and staff's: everyone else gets 404 before the form is read.
DRAFT_INVALID = {
    **OWNER_AND_STAFF_SEE,
    "org": INVALID,
    "staff": INVALID,
    "admin": INVALID,
}
ANY_INVALID = everyone(INVALID)

CASES = [
    Case("GET", REPORT, everyone()),
    Case("GET", DRAFT_REPORT, OWNER_AND_STAFF_SEE),
    Case("POST", REPORT, everyone(), FORM),
    Case("POST", REPORT, ANY_INVALID, {"reason": "other", "details": ""}),
    Case("POST", DRAFT_REPORT, DRAFT_INVALID, {"reason": "nope"}),
    Case("GET", "/report/thanks", everyone()),
    Case("GET", "/staff/moderation", STAFF_ONLY),
    Case("GET", SUBJECT, STAFF_ONLY),
    Case("POST", SUBJECT + "/decisions", STAFF_ONLY, DECISION),
    Case("POST", SUBJECT + "/decisions", STAFF_INVALID, {"decision": "hide", "note": ""}),
    Case("POST", "/api/v1/reports", everyone(), API_REPORT, api=True),
    Case("POST", "/api/v1/reports", ANY_INVALID, {**API_REPORT, "reason": "nope"}, api=True),
    Case("GET", "/api/v1/moderation/reports", STAFF_ONLY, api=True),
    Case(
        "POST",
        "/api/v1/moderation/reports/{moderation_report_id}/decision",
        STAFF_ONLY,
        {"decision": "dismiss", "note": "矩阵测试：举报不成立"},
        api=True,
    ),
    Case(
        "POST",
        "/api/v1/moderation/reports/{moderation_report_id}/decision",
        STAFF_INVALID,
        {"decision": "delete", "note": "矩阵测试"},
        api=True,
    ),
]


def ids(world: World) -> dict[str, Any]:
    company_member = db.session.scalar(select(User).where(User.email == world.company_email))
    report, _ = ops.file_report(
        company_member,
        None,
        ops.ReportInput(kind="project", subject_id=world.published_id, reason="spam", details="矩阵测试"),
    )
    db.session.commit()
    API_REPORT.update(subject_id=world.published_id)
    return {"moderation_kind": "project", "moderation_report_id": report.id}


def state() -> tuple[object, ...]:
    """What a refused request must leave as it was: the reports and every hold."""
    return (
        tuple(db.session.execute(select(AbuseReport.id, AbuseReport.status).order_by(AbuseReport.id)).all()),
        tuple(db.session.scalars(select(Project.id).where(Project.hidden_at.is_not(None)))),
        tuple(db.session.scalars(select(Organization.id).where(Organization.hidden_at.is_not(None)))),
        tuple(db.session.scalars(select(Pledge.id).where(Pledge.message_hidden_at.is_not(None)))),
    )
