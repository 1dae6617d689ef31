"""Abuse reports (举报) and the staff moderation queue.

Thin on purpose: a view reads the form, calls one operation from ``moderation.operations``, commits
once and redirects with a flash, or shows the operation's reasons next to the inputs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.authz import staff_required
from marketplace.extensions import limiter
from marketplace.forms import committed_or_refused, populate_errors
from marketplace.messages import Msg
from marketplace.moderation import operations as ops
from marketplace.moderation.forms import DecisionForm, ReportForm
from marketplace.moderation.states import (
    DECISION_LABELS,
    SUBJECT_KIND_LABELS,
    Decision,
    SubjectKind,
    allowed_decisions,
)
from marketplace.moderation.visibility import pledge_message_shown as _pledge_message_shown
from marketplace.parties.models import Organization
from marketplace.projects.models import Project
from marketplace.web import translate

bp = Blueprint("moderation", __name__)

PER_PAGE = 20
DEFAULT_REPORT_RATE_LIMIT = "10 per hour"
REPORT_LIMIT_SCOPE = "abuse-report"
DONE_MESSAGES = {
    Decision.HIDE: Msg("内容已对公众隐藏，等待审核"),
    Decision.RESTORE: Msg("内容已恢复显示"),
    Decision.DISMISS: Msg("举报已驳回，内容保持公开"),
    Decision.ACTION: Msg("举报已处理，内容保持隐藏"),
}


def report_rate_limit() -> str:
    """Per client IP, for anonymous reporters (page and API share it)."""
    return str(current_app.config.get("MODERATION_REPORT_RATE_LIMIT", DEFAULT_REPORT_RATE_LIMIT))


def anonymous_reporter_exempt() -> bool:
    """Signed-in reporters are known (one open report per subject each); only anonymous POSTs count."""
    return request.method != "POST" or bool(current_user.is_authenticated)


@bp.app_template_global("moderation_open_count")
def moderation_open_count() -> int:
    """For the staff dashboard: reports waiting for a decision."""
    return ops.open_report_count()


@bp.app_template_global("pledge_message_shown")
def pledge_message_shown(pledge: Any) -> bool:
    return _pledge_message_shown(pledge, current_user if current_user.is_authenticated else None)


def _viewer() -> Any:
    return current_user if current_user.is_authenticated else None


def _back_url(subject: ops.Subject) -> str:
    if isinstance(subject, Project):
        return url_for("projects.detail", project_id=subject.id)
    if isinstance(subject, Organization):
        return url_for("parties.organization", organization_id=subject.id)
    return url_for("projects.detail", project_id=subject.project_id)


# ───────────── reporting ─────────────


def _render_report(kind: str, subject: ops.Subject, form: ReportForm, status: int = 200) -> Any:
    form.set_choices()
    return (
        render_template(
            "moderation/report.html",
            form=form,
            kind=kind,
            kind_label=SUBJECT_KIND_LABELS[SubjectKind(kind)],
            subject=subject,
            title=ops.subject_title(subject),
            back_url=_back_url(subject),
        ),
        status,
    )


@bp.route("/report/<kind>/<int:subject_id>", methods=["GET", "POST"])
@limiter.shared_limit(report_rate_limit, REPORT_LIMIT_SCOPE, exempt_when=anonymous_reporter_exempt)
def report(kind: str, subject_id: int) -> Any:
    subject = ops.reportable_subject(kind, subject_id, _viewer())
    form = ReportForm()
    if request.method == "GET":
        return _render_report(kind, subject, form)
    if not form.validate_on_submit():
        return _render_report(kind, subject, form, 400)
    data = ops.ReportInput(
        kind=kind, subject_id=subject_id, reason=form.reason.data, details=form.details.data
    )
    with committed_or_refused() as outcome:
        ops.file_report(_viewer(), request.remote_addr, data)
    if outcome.error is not None:
        populate_errors(form, outcome.error)
        return _render_report(kind, subject, form, outcome.error.status)
    return redirect(url_for(".thanks", back=_back_url(subject)), 303)


@bp.get("/report/thanks")
def thanks() -> Any:
    back = request.args.get("back", "")
    # Only a path on this site: the link must not become an open redirect.
    safe_back = back if back.startswith("/") and not back.startswith("//") and "\\" not in back else None
    return render_template("moderation/thanks.html", back_url=safe_back or url_for("main.home"))


# ───────────── staff ─────────────


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


@bp.get("/staff/moderation")
@staff_required
def queue() -> Any:
    status = request.args.get("status", "open")
    status = status if status in ops.QUEUE_FILTERS else "open"
    kind = request.args.get("kind", "")
    kind = kind if kind in {item.value for item in SubjectKind} else ""
    page = _page_number()
    rows, total = ops.queue(status=status, kind=kind or None, page=page, per_page=PER_PAGE)
    return render_template(
        "moderation/queue.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        status=status,
        kind=kind,
        kind_labels=SUBJECT_KIND_LABELS,
        kind_choices=[(item.value, translate(label)) for item, label in SUBJECT_KIND_LABELS.items()],
    )


def _render_subject(
    kind: str, subject: ops.Subject, form: DecisionForm | None = None, status: int = 200
) -> Any:
    reports = ops.reports_for(kind, subject.id)
    open_reports = sum(1 for item in reports if item.is_open)
    held = ops.is_held(subject)
    return (
        render_template(
            "moderation/subject.html",
            kind=kind,
            kind_label=SUBJECT_KIND_LABELS[SubjectKind(kind)],
            subject=subject,
            title=ops.subject_title(subject),
            text=ops.subject_text(subject),
            content_url=_back_url(subject),
            reports=reports,
            held=held,
            decisions=allowed_decisions(held=held, open_reports=open_reports),
            decision_labels=DECISION_LABELS,
            form=form or DecisionForm(formdata=None),
        ),
        status,
    )


@bp.get("/staff/moderation/<kind>/<int:subject_id>")
@staff_required
def subject(kind: str, subject_id: int) -> Any:
    return _render_subject(kind, ops.load_subject(kind, subject_id))


@bp.post("/staff/moderation/<kind>/<int:subject_id>/decisions")
@staff_required
def decide(kind: str, subject_id: int) -> Any:
    subject = ops.load_subject(kind, subject_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_subject(kind, subject, form, 400)
    decision = (form.decision.data or "").strip()
    with committed_or_refused() as outcome:
        ops.decide(current_user, kind, subject_id, decision, form.note.data or "")
    if outcome.error is not None:
        populate_errors(form, outcome.error, aliases={"decision": "form-level"})
        return _render_subject(kind, ops.load_subject(kind, subject_id), form, outcome.error.status)
    flash(translate(DONE_MESSAGES[Decision(decision)]), "success")
    return redirect(url_for(".subject", kind=kind, subject_id=subject_id), 303)
