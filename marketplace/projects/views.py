"""Project pages: browse, detail, the draft form, workflow decisions and the staff review queue.

Thin on purpose: each view turns the request into a ``ProjectInput`` or an action, calls the
operation, commits once on success and rolls back on a domain error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace import cache
from marketplace.accounts.models import Role
from marketplace.authz import login_required_any, org_required, staff_required
from marketplace.errors import BadRequest, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.forms import populate_errors
from marketplace.messages import Msg
from marketplace.projects import queries
from marketplace.projects.forms import ProjectForm, TransitionForm
from marketplace.projects.models import Project
from marketplace.projects.operations import (
    create_project,
    get_visible_project,
    is_owner,
    set_cover_image,
    transition_project,
    update_project,
)
from marketplace.projects.states import (
    ACTION_LABELS,
    EDITABLE_STATUSES,
    Actor,
    ProjectAction,
    ProjectStatus,
    allowed_actions,
)
from marketplace.projects.updates import feed_for
from marketplace.rendering import render_markdown
from marketplace.search.service import search_projects, visible_statuses_for
from marketplace.uploads import MAX_IMAGE_BYTES, validate_image
from marketplace.web import translate

bp = Blueprint("projects", __name__)

QUEUE_ORIGIN = "queue"
# Buttons each side sees on the detail page; the edit link covers "revise" for the owner.
OWNER_BUTTONS = (ProjectAction.SUBMIT, ProjectAction.CANCEL)
STAFF_BUTTONS = (ProjectAction.PUBLISH, ProjectAction.RETURN)
DONE_MESSAGES = {
    ProjectAction.SUBMIT: Msg("项目已提交审核，团区委工作人员审核通过后会公开发布"),
    ProjectAction.REVISE: Msg("项目已回到草稿状态，可以继续修改"),
    ProjectAction.PUBLISH: Msg("项目已发布，现在所有人都能看到"),
    ProjectAction.RETURN: Msg("项目已退回，发起组织会看到退回原因"),
    ProjectAction.CANCEL: Msg("项目已取消"),
}
# The operation reports state problems on "action"; the form has no visible field of that name.
_TRANSITION_ALIASES = {"action": "form-level"}


# ───────────── browsing ─────────────


@bp.get("/projects")
@cache.anonymous_page(list_page=True)
def browse() -> Any:
    staff = bool(current_user.is_staff)
    filters = queries.BrowseFilters.from_args(request.args, staff=staff)
    search_request = filters.search_request(
        visible_statuses=visible_statuses_for(current_user), per_page=current_app.config["PROJECTS_PER_PAGE"]
    )
    result, projects = search_projects(search_request)
    return render_template(
        "projects/browse.html",
        page=queries.ResultPage(projects, result.total, result.page, result.per_page),
        result=result,
        highlights={hit.project_id: hit.highlights for hit in result.hits},
        filters=filters,
        categories=queries.categories(),
        districts=queries.districts(),
        status_choices=queries.status_filter_choices(staff=staff),
        sort_choices=queries.SORT_LABELS,
        progress_choices=queries.PROGRESS_LABELS,
    )


@bp.get("/projects/<int:project_id>")
@cache.anonymous_page(scopes=lambda project_id: [cache.project_scope(project_id)])
def detail(project_id: int) -> Any:
    return _render_detail(get_visible_project(project_id, current_user))


def _render_detail(project: Project, form: TransitionForm | None = None, status: int = 200) -> Any:
    from marketplace.matching.views import potential_sponsors  # matching's pages build on projects
    from marketplace.pledges.views import project_money_context  # pledges' pages build on projects

    owner = is_owner(project, current_user)
    staff = bool(current_user.is_staff)
    owner_actions = [a for a in allowed_actions(project.status, Actor.OWNER) if a in OWNER_BUTTONS]
    staff_actions = [a for a in allowed_actions(project.status, Actor.STAFF) if a in STAFF_BUTTONS]
    return (
        render_template(
            "projects/detail.html",
            project=project,
            description_html=render_markdown(project.description),
            is_owner=owner,
            can_edit=owner and project.status in EDITABLE_STATUSES,
            owner_actions=owner_actions if owner else [],
            staff_actions=staff_actions if staff else [],
            action_labels=ACTION_LABELS,
            history=queries.project_history(project) if owner or staff else [],
            show_contact=_is_verified_company() and project.status == ProjectStatus.PUBLISHED,
            form=form or TransitionForm(formdata=None),
            money=project_money_context(project, current_user),
            sponsors=potential_sponsors(project, current_user),
            # One read of the updates and reports: the money tiles show their total too.
            feed=feed_for(project, current_user),
        ),
        status,
    )


def _is_verified_company() -> bool:
    if not current_user.is_authenticated or current_user.role != Role.COMPANY:
        return False
    return bool(current_user.company and current_user.company.is_verified)


# ───────────── drafting ─────────────


def _project_form() -> ProjectForm:
    form = ProjectForm()
    form.set_choices(queries.categories(), queries.districts())
    form.set_deadline_bounds()
    return form


def _render_form(form: ProjectForm, project: Project | None, status: int = 200, **extra: Any) -> Any:
    return render_template("projects/form.html", form=form, project=project, **extra), status


def _save_project(form: ProjectForm, save: Callable[[], Project], project: Project | None) -> Any:
    """Save and attach the cover in one transaction; on bad input save nothing and re-show the form."""
    cover = form.cover_bytes(MAX_IMAGE_BYTES)
    try:
        saved = save()
        if cover is not None:
            set_cover_image(saved, current_user, cover, Path(current_app.config["UPLOAD_DIR"]))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status == 409 and project is not None:
            # The project moved on (e.g. it was published meanwhile): show it and say why.
            flash(translate(error.message), "error")
            return _render_detail(project, status=409)
        if error.status != 422:
            raise
        error = _with_cover_reason(error, cover)
        populate_errors(form, error, aliases={"goal_amount": "goal_yuan"})
        return _render_form(form, project, 422, reselect_cover=cover is not None)
    flash(translate(Msg("项目已保存") if project else Msg("项目草稿已创建，确认无误后请提交审核")), "success")
    return redirect(url_for(".detail", project_id=saved.id), 303)


def _with_cover_reason(error: DomainError, cover: bytes | None) -> DomainError:
    """When the text fields failed first, still say at once what is wrong with the chosen image."""
    if cover is None or "cover_image" in error.fields or not error.fields:
        return error
    try:
        validate_image(cover)
    except DomainError as image_error:
        return DomainError({**error.fields, **image_error.fields})
    return error


@bp.route("/projects/new", methods=["GET", "POST"])
@org_required
def new() -> Any:
    form = _project_form()
    if request.method == "GET":
        return _render_form(form, None)
    if not form.validate_on_submit():
        return _render_form(form, None, 400)
    return _save_project(form, lambda: create_project(current_user, form.to_input(creating=True)), None)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@org_required
def edit(project_id: int) -> Any:
    project = get_visible_project(project_id, current_user)
    if not is_owner(project, current_user):
        raise Forbidden.on("project", Msg("只有发起该项目的组织成员可以修改"))
    form = _project_form()
    if request.method == "GET":
        if project.status not in EDITABLE_STATUSES:
            flash(translate(Msg("「%(status)s」的项目不能再修改", status=project.status_label)), "warning")
            return redirect(url_for(".detail", project_id=project.id))
        form.fill_from(project)
        return _render_form(form, project)
    if not form.validate_on_submit():
        return _render_form(form, project, 400)
    return _save_project(
        form, lambda: update_project(project, current_user, form.to_input(creating=False)), project
    )


# ───────────── workflow ─────────────


@bp.post("/projects/<int:project_id>/transitions")
@login_required_any
def transition(project_id: int) -> Any:
    project = get_visible_project(project_id, current_user)
    form = TransitionForm()
    if not form.validate_on_submit():
        raise BadRequest()
    from_queue = form.origin.data == QUEUE_ORIGIN and current_user.is_staff
    try:
        transition_project(project, form.action.data or "", current_user, reason=form.reason.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 403, 404):
            raise
        populate_errors(form, error, aliases=_TRANSITION_ALIASES)
        if from_queue:
            return _render_queue(failed_form=form, failed_project_id=project.id, status=error.status)
        return _render_detail(project, form, error.status)
    done = DONE_MESSAGES.get(ProjectAction(form.action.data))
    if done:
        flash(translate(done), "success")
    if from_queue:
        return redirect(url_for(".review_queue"), 303)
    return redirect(url_for(".detail", project_id=project.id), 303)


@bp.get("/staff/reviews")
@staff_required
def review_queue() -> Any:
    return _render_queue()


def _render_queue(
    failed_form: TransitionForm | None = None, failed_project_id: int | None = None, status: int = 200
) -> Any:
    return (
        render_template(
            "projects/review_queue.html",
            pending=queries.review_queue(),
            recent=queries.recent_reviews(),
            form=TransitionForm(formdata=None),
            failed_form=failed_form,
            failed_project_id=failed_project_id,
            action_labels=ACTION_LABELS,
            queue_origin=QUEUE_ORIGIN,
        ),
        status,
    )
