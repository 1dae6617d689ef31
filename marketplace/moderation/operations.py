"""Abuse reports (举报) and staff moderation decisions.

Anyone may report a project, an organization or a pledge message they can see; staff hide content
pending review, restore it, dismiss the reports or uphold them (action). Every decision needs a note
and is written to the audit log. Operations validate, change state, audit and flush; the caller
commits once. The lifecycle is the pure ``states.py`` table, validation the pure ``rules.py``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.moderation.models import AbuseReport
from marketplace.moderation.rules import check_decision, check_report
from marketplace.moderation.states import (
    DECISION_LABELS,
    HELD_AFTER,
    Decision,
    ReportStatus,
    SubjectKind,
    decision_allowed,
    next_report_status,
)
from marketplace.parties.models import Organization
from marketplace.pledges.models import Pledge
from marketplace.pledges.states import MONEY_HELD
from marketplace.projects.models import Project
from marketplace.timeutil import utcnow

Subject = Project | Organization | Pledge
_MODELS: dict[SubjectKind, type[Project] | type[Organization] | type[Pledge]] = {
    SubjectKind.PROJECT: Project,
    SubjectKind.ORGANIZATION: Organization,
    SubjectKind.PLEDGE_MESSAGE: Pledge,
}
_NOT_FOUND: dict[SubjectKind, Msg] = {
    SubjectKind.PROJECT: Msg("找不到该项目"),
    SubjectKind.ORGANIZATION: Msg("找不到该组织"),
    SubjectKind.PLEDGE_MESSAGE: Msg("找不到该留言"),
}
QUEUE_FILTERS = ("open", "decided")


@dataclass
class ReportInput:
    """Plain input from the form, the API or the demo."""

    kind: Any
    subject_id: Any
    reason: Any
    details: Any = ""


# ───────────── subjects ─────────────


def _kind(kind: Any) -> SubjectKind:
    if kind not in {item.value for item in SubjectKind}:
        raise NotFound.on("kind", Msg("只能举报项目、组织或认捐留言"))
    return SubjectKind(kind)


def load_subject(kind: Any, subject_id: Any) -> Subject:
    """The row behind (kind, id), whoever may see it (staff), or NotFound."""
    chosen = _kind(kind)
    if isinstance(subject_id, bool) or not isinstance(subject_id, int) or subject_id <= 0:
        raise NotFound.on("subject_id", _NOT_FOUND[chosen])
    subject = db.session.get(_MODELS[chosen], subject_id)
    if subject is None or (chosen == SubjectKind.PLEDGE_MESSAGE and not subject.message):
        raise NotFound.on("subject_id", _NOT_FOUND[chosen])
    return subject


def reportable_subject(kind: Any, subject_id: Any, viewer: Any) -> Subject:
    """The subject, if the viewer can see it where it is shown publicly (a pledge message on the
    project page's supporter wall); 404 otherwise, so reporting does not reveal hidden rows."""
    from marketplace.parties.queries import can_view_party
    from marketplace.projects.operations import can_view

    subject = load_subject(kind, subject_id)
    if isinstance(subject, Project):
        visible = can_view(subject, viewer)
    elif isinstance(subject, Organization):
        visible = can_view_party(subject, viewer)
    else:
        visible = subject.status in MONEY_HELD and can_view(subject.project, viewer)
    if not visible:
        raise NotFound.on("subject_id", _NOT_FOUND[SubjectKind(kind)])
    return subject


def subject_kind_of(subject: Subject) -> SubjectKind:
    if isinstance(subject, Project):
        return SubjectKind.PROJECT
    if isinstance(subject, Organization):
        return SubjectKind.ORGANIZATION
    return SubjectKind.PLEDGE_MESSAGE


def is_held(subject: Subject) -> bool:
    if isinstance(subject, Pledge):
        return subject.message_hidden_at is not None
    return subject.hidden_at is not None


def subject_title(subject: Subject) -> str:
    if isinstance(subject, Project):
        return subject.title
    if isinstance(subject, Organization):
        return subject.name
    return Msg("「%(project)s」的认捐留言 #%(id)d", project=subject.project.title, id=subject.id)


def subject_text(subject: Subject) -> str:
    """The reported content, as staff review it."""
    if isinstance(subject, Project):
        return f"{subject.summary}\n\n{subject.description or ''}".strip()
    if isinstance(subject, Organization):
        return subject.description or ""
    return subject.message


# ───────────── reporting ─────────────


def hash_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def _reporter_key(reporter: User | None, ip_hash: str | None) -> str:
    if reporter is not None:
        return f"user:{reporter.id}"
    return f"ip:{ip_hash or 'unknown'}"


def _open_report(kind: SubjectKind, subject_id: int, key: str) -> AbuseReport | None:
    return db.session.scalar(
        select(AbuseReport).where(
            AbuseReport.subject_kind == kind.value,
            AbuseReport.subject_id == subject_id,
            AbuseReport.reporter_key == key,
            AbuseReport.status == ReportStatus.OPEN.value,
        )
    )


def file_report(reporter: User | None, client_ip: str | None, data: ReportInput) -> tuple[AbuseReport, bool]:
    """Record a report; (report, created). The same reporter's open report on the same subject is
    returned instead of a second one (reporters are users, or anonymous visitors by hashed IP)."""
    errors = check_report(data.kind, data.reason, data.details)
    if errors:
        raise DomainError(errors)
    kind = SubjectKind(data.kind)
    subject = reportable_subject(kind, data.subject_id, reporter)
    ip_hash = hash_ip(client_ip)
    key = _reporter_key(reporter, ip_hash)
    existing = _open_report(kind, subject.id, key)
    if existing is not None:
        return existing, False
    report = AbuseReport(
        subject_kind=kind.value,
        subject_id=subject.id,
        reason=data.reason,
        details=(data.details or "").strip(),
        reporter_id=reporter.id if reporter is not None else None,
        reporter_ip_hash=ip_hash,
        reporter_key=key,
        status=ReportStatus.OPEN.value,
    )
    try:
        with db.session.begin_nested():
            db.session.add(report)
            db.session.flush()
    except IntegrityError:  # the same reporter's concurrent request won the unique index
        existing = _open_report(kind, subject.id, key)
        if existing is None:
            raise
        return existing, False
    return report, True


# ───────────── staff decisions ─────────────


def require_staff(actor: User | None) -> User:
    if actor is None or not actor.is_staff:
        raise Forbidden.on("actor", Msg("只有团区委工作人员可以处理举报"))
    return actor


def _lock(subject: Subject) -> None:
    """Serialise decisions on one subject: a no-op UPDATE takes the row lock (PostgreSQL) or the
    write lock (SQLite) until commit; then the row is read again."""
    model = type(subject)
    db.session.flush()
    keep: dict[Any, Any] = {model.id: model.id}
    if "updated_at" in model.__table__.c:  # not a change: keep updated_at as it is
        keep[model.updated_at] = model.updated_at  # type: ignore[union-attr]
    db.session.execute(
        update(model).where(model.id == subject.id).values(keep).execution_options(synchronize_session=False)
    )
    db.session.refresh(subject)


def open_reports_for(kind: SubjectKind | str, subject_id: int) -> list[AbuseReport]:
    return list(
        db.session.scalars(
            select(AbuseReport)
            .where(
                AbuseReport.subject_kind == str(kind),
                AbuseReport.subject_id == subject_id,
                AbuseReport.status == ReportStatus.OPEN.value,
            )
            .order_by(AbuseReport.id)
        )
    )


def reports_for(kind: SubjectKind | str, subject_id: int) -> list[AbuseReport]:
    return list(
        db.session.scalars(
            select(AbuseReport)
            .where(AbuseReport.subject_kind == str(kind), AbuseReport.subject_id == subject_id)
            .order_by(AbuseReport.id.desc())
        )
    )


def _hold(subject: Subject, held: bool, note: str, now: datetime) -> None:
    if isinstance(subject, Pledge):
        subject.message_hidden_at = now if held else None
    else:
        subject.hidden_at = now if held else None
        subject.hidden_reason = note if held else None


def decide(staff: User | None, kind: Any, subject_id: Any, decision: Any, note: Any) -> Subject:
    """Apply one staff decision to a subject (see states.py) and audit it."""
    actor = require_staff(staff)
    errors = check_decision(decision, note)
    if errors:
        raise DomainError(errors)
    subject = load_subject(kind, subject_id)
    chosen, text = Decision(decision), note.strip()
    _lock(subject)
    pending = open_reports_for(kind, subject.id)
    held = is_held(subject)
    if not decision_allowed(chosen, held=held, open_reports=len(pending)):
        raise Conflict.on("decision", _refusal(chosen))
    now = utcnow()
    if HELD_AFTER[chosen] != held:
        _hold(subject, HELD_AFTER[chosen], text, now)
    closed = []
    for report in pending:
        target = next_report_status(report.status, chosen)
        if target != ReportStatus.OPEN:
            report.status = target.value
            report.decision = chosen.value
            report.decision_note = text
            report.decided_by_id = actor.id
            report.decided_at = now
            closed.append(report.id)
    db.session.flush()
    audit.record_by(
        actor,
        f"moderation.{chosen.value}",
        subject=subject,
        payload={
            "kind": str(kind),
            "subject_id": subject.id,
            "note": text,
            "reports": closed,
            "held": HELD_AFTER[chosen],
        },
    )
    return subject


def _refusal(decision: Decision) -> Msg:
    if decision == Decision.HIDE:
        return Msg("该内容已经隐藏，无需再次隐藏")
    if decision == Decision.RESTORE:
        return Msg("该内容没有被隐藏，无需恢复")
    return Msg("该内容没有待处理的举报，不能%(action)s", action=DECISION_LABELS[decision])


def get_report(report_id: int) -> AbuseReport:
    report = db.session.get(AbuseReport, report_id)
    if report is None:
        raise NotFound.on("report", Msg("找不到该举报"))
    return report


# ───────────── the queue ─────────────


@dataclass(frozen=True)
class QueueRow:
    kind: SubjectKind
    subject_id: int
    title: str
    open_reports: int
    total_reports: int
    latest_at: datetime
    held: bool


def queue(
    *, status: str = "open", kind: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[list[QueueRow], int]:
    """Reported subjects, newest report first: ``open`` = with a report waiting, ``decided`` =
    every report decided. Returns (one page of rows, total subjects)."""
    open_count = func.sum(case((AbuseReport.status == ReportStatus.OPEN.value, 1), else_=0))
    grouped = select(
        AbuseReport.subject_kind,
        AbuseReport.subject_id,
        open_count.label("open_reports"),
        func.count().label("total_reports"),
        func.max(AbuseReport.created_at).label("latest_at"),
    ).group_by(AbuseReport.subject_kind, AbuseReport.subject_id)
    if kind:
        grouped = grouped.where(AbuseReport.subject_kind == kind)
    grouped = grouped.having(open_count > 0 if status != "decided" else open_count == 0)
    total = db.session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    rows = db.session.execute(
        grouped.order_by(
            func.max(AbuseReport.created_at).desc(), AbuseReport.subject_kind, AbuseReport.subject_id
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    result = []
    for row in rows:
        subject = db.session.get(_MODELS[SubjectKind(row.subject_kind)], row.subject_id)
        result.append(
            QueueRow(
                kind=SubjectKind(row.subject_kind),
                subject_id=row.subject_id,
                title=subject_title(subject) if subject is not None else "—",
                open_reports=int(row.open_reports or 0),
                total_reports=int(row.total_reports),
                latest_at=row.latest_at,
                held=subject is not None and is_held(subject),
            )
        )
    return result, int(total)


def open_report_count() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(AbuseReport).where(AbuseReport.status == ReportStatus.OPEN.value)
        )
        or 0
    )
