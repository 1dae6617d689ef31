"""Progress updates and fund-usage reports an organization posts on its project.

Thin on purpose: the form becomes an ``UpdateInput`` / ``ReportInput``, ``projects.updates``
validates, stores the files and notifies the supporters, and the view commits once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FieldList

from marketplace.authz import login_required_any
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import populate_errors
from marketplace.messages import Msg
from marketplace.projects.models import Project
from marketplace.projects.operations import get_visible_project
from marketplace.projects.update_forms import REPORT_ROWS, ReportForm, UpdateForm
from marketplace.projects.updates import (
    MAX_REPORT_ITEMS,
    check_can_post,
    check_can_report,
    get_update,
    post_update,
    reported_total,
    submit_report,
)
from marketplace.rendering import render_markdown
from marketplace.uploads import StorageFull
from marketplace.web import allow_large_uploads, translate

bp = Blueprint("project_updates", __name__)

# One request may carry several files: six photos of ≤ 5 MB, or receipts for a report.
UPLOAD_REQUEST_LIMIT = 32 * 1024 * 1024
allow_large_uploads(bp, {"project_updates.new_update", "project_updates.new_report"}, UPLOAD_REQUEST_LIMIT)


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


# Bad input, and a full disk: the form comes back with what was typed and the reason beside the
# file input (a long update is not lost to the error page; the files must be chosen again).
_SHOWN_ON_THE_FORM = (422, StorageFull.status)


def _show_failure(form: FlaskForm, error: DomainError) -> None:
    """Put each reason next to its input: item reasons (`items-<row>-<field>`) on that row's field."""
    items: FieldList | None = getattr(form, "items", None)
    entries = items.entries if items is not None else []
    rest: dict[str, str] = {}
    by_row: list[str] = []
    for name, reason in error.fields.items():
        row, _, field_name = name.removeprefix("items-").partition("-")
        entry_field = None
        if name.startswith("items-") and row.isdigit() and int(row) < len(entries):
            entry_field = getattr(entries[int(row)].form, field_name, None)
        if entry_field is not None:
            entry_field.errors = [*list(entry_field.errors or []), translate(reason)]
            by_row.append(translate(Msg("第 %(n)d 项：%(reason)s", n=int(row) + 1, reason=reason)))
        else:
            rest[name] = reason
    if rest or not error.fields:
        populate_errors(form, DomainError(rest, message=error.message) if rest else error)
    if items is not None:
        # Reasons about the list as a whole show above the rows; the summary at the top lists
        # those and each row's reasons, numbered, under "支出明细".
        items.list_errors = [reason for reason in (items.errors or []) if isinstance(reason, str)]
        items.errors = [*items.list_errors, *by_row]


# ───────────── progress updates ─────────────


def _render_update_form(project: Project, form: UpdateForm, status: int = 200) -> Any:
    return render_template("projects/updates/new_update.html", project=project, form=form), status


@bp.route("/projects/<int:project_id>/updates/new", methods=["GET", "POST"])
@login_required_any
def new_update(project_id: int) -> Any:
    project = get_visible_project(project_id, current_user)
    check_can_post(project, current_user)
    form = UpdateForm()
    if request.method == "GET":
        return _render_update_form(project, form)
    if not form.validate_on_submit():
        return _render_update_form(project, form, 400)
    try:
        update = post_update(project, current_user, form.to_input(), _upload_dir())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status not in _SHOWN_ON_THE_FORM:
            raise
        _show_failure(form, error)
        return _render_update_form(project, form, error.status)
    flash(translate(Msg("进展已发布，项目的支持者会收到通知")), "success")
    return redirect(url_for("projects.detail", project_id=project.id, _anchor=f"update-{update.id}"), 303)


@bp.get("/projects/<int:project_id>/updates/<int:update_id>")
def show_update(project_id: int, update_id: int) -> Any:
    project = get_visible_project(project_id, current_user)
    update = get_update(project, update_id)
    return render_template(
        "projects/updates/show_update.html",
        project=project,
        update=update,
        body_html=render_markdown(update.body),
    )


# ───────────── fund-usage reports ─────────────


def _render_report_form(project: Project, form: ReportForm, status: int = 200) -> Any:
    reported = reported_total(project.id)
    return (
        render_template(
            "projects/updates/new_report.html",
            project=project,
            form=form,
            reported=reported,
            available=max(project.raised_amount - reported, 0),
            more_rows=len(form.items.entries) < MAX_REPORT_ITEMS,
            next_rows=min(len(form.items.entries) + REPORT_ROWS, MAX_REPORT_ITEMS),
        ),
        status,
    )


@bp.route("/projects/<int:project_id>/reports/new", methods=["GET", "POST"])
@login_required_any
def new_report(project_id: int) -> Any:
    project = get_visible_project(project_id, current_user)
    check_can_report(project, current_user)
    form = ReportForm()
    if request.method == "GET":
        form.add_rows(request.args.get("rows", REPORT_ROWS, type=int) or REPORT_ROWS)
        return _render_report_form(project, form)
    if not form.validate_on_submit():
        return _render_report_form(project, form, 400)
    try:
        report = submit_report(project, current_user, form.to_input(), _upload_dir())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status not in _SHOWN_ON_THE_FORM:
            raise
        _show_failure(form, error)
        return _render_report_form(project, form, error.status)
    flash(translate(Msg("资金使用报告已公布，项目的支持者会收到通知")), "success")
    return redirect(url_for("projects.detail", project_id=project.id, _anchor=f"report-{report.id}"), 303)
