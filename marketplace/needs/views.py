"""The community needs board (社区需求) and its forms.

Thin on purpose: a view reads what the page shows, calls one operation from ``needs.operations``,
commits once and redirects with a flash, or shows the operation's reasons next to the inputs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.authz import login_required_any, org_required, staff_required
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import committed_or_refused, populate_errors
from marketplace.messages import Msg
from marketplace.needs import operations as ops
from marketplace.needs import queries
from marketplace.needs.forms import NeedForm, NeedTransitionForm, RespondForm
from marketplace.needs.models import CommunityNeed
from marketplace.needs.states import NEED_STATUS_LABELS, TRANSITIONS, URGENCY_LABELS, NeedStatus
from marketplace.projects.models import Project
from marketplace.projects.queries import categories, districts
from marketplace.web import localized, translate

bp = Blueprint("needs", __name__, url_prefix="/needs")

PER_PAGE = 12
DONE_MESSAGES = {
    "start": Msg("需求已标记为响应中"),
    "address": Msg("需求已标记为已解决"),
    "reopen": Msg("需求已重新开放"),
}


@bp.app_template_global("need_answered_by")
def need_answered_by(project: Project) -> CommunityNeed | None:
    """For the project page: the community need this project answers, if any."""
    if project is None or getattr(project, "id", None) is None:
        return None
    return ops.need_answered_by(project)


def _flash(message: Msg, category: str = "success") -> None:
    flash(translate(message), category)


def _viewer() -> Any:
    return current_user if current_user.is_authenticated else None


def _need(need_id: int) -> CommunityNeed:
    return ops.get_need(need_id)


# ───────────── the board ─────────────


def _choices() -> dict[str, list[tuple[str, str]]]:
    return {
        "district": [(item.name, localized(item)) for item in districts()],
        "category": [(item.slug, localized(item)) for item in categories()],
        "status": [(status.value, translate(label)) for status, label in NEED_STATUS_LABELS.items()],
        "urgency": [(urgency.value, translate(label)) for urgency, label in URGENCY_LABELS.items()],
        "sort": [(key, translate(label)) for key, label in queries.SORT_LABELS.items()],
    }


@bp.get("")
def board() -> Any:
    filters = queries.NeedFilters.from_args(request.args)
    page_number = request.args.get("page", "1")
    page = queries.find_needs(
        filters,
        page=int(page_number) if page_number.isdigit() and len(page_number) < 7 else 1,
        per_page=PER_PAGE,
    )
    counts = queries.counts_by_status(filters)
    return render_template(
        "needs/index.html",
        page=page,
        filters=filters,
        choices=_choices(),
        counts=counts,
        total=sum(counts.values()),
        status_labels=NEED_STATUS_LABELS,
        is_staff=bool(current_user.is_authenticated and current_user.is_staff),
    )


# ───────────── one need ─────────────


def _respond_form(form: RespondForm | None = None) -> RespondForm | None:
    """The "respond with our project" form, for members of verified organizations only."""
    user = _viewer()
    if user is None or user.role != "org" or user.organization is None or not user.organization.is_verified:
        return None
    form = form or RespondForm(formdata=None)
    form.set_choices(ops.projects_to_offer(user))
    return form


def _render_detail(need: CommunityNeed, *, respond_form: RespondForm | None = None, status: int = 200) -> Any:
    user = _viewer()
    shown, preparing = ops.visible_responses(need, user)
    staff = bool(user is not None and user.is_staff)
    return (
        render_template(
            "needs/detail.html",
            need=need,
            responses=shown,
            preparing=preparing,
            respond_form=_respond_form(respond_form) if need.status != NeedStatus.ADDRESSED else None,
            can_respond_status=need.status != NeedStatus.ADDRESSED,
            is_staff=staff,
            actions=[
                action for action, (sources, _) in TRANSITIONS.items() if NeedStatus(need.status) in sources
            ]
            if staff
            else [],
            action_labels=ops.ACTION_LABELS,
            transition_form=NeedTransitionForm(formdata=None),
            own_organization_id=user.organization_id if user is not None else None,
        ),
        status,
    )


@bp.get("/<int:need_id>")
def detail(need_id: int) -> Any:
    return _render_detail(_need(need_id))


# ───────────── staff: record and edit ─────────────


def _need_form() -> NeedForm:
    form = NeedForm()
    form.set_choices(categories(), districts())
    return form


def _render_form(form: NeedForm, need: CommunityNeed | None, status: int = 200) -> Any:
    return render_template("needs/form.html", form=form, need=need), status


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new() -> Any:
    form = _need_form()
    if request.method == "GET":
        return _render_form(form, None)
    if not form.validate_on_submit():
        return _render_form(form, None, 400)
    with committed_or_refused() as outcome:
        need = ops.record_need(current_user, form.to_input())
    if outcome.error is not None:
        populate_errors(form, outcome.error)
        return _render_form(form, None, outcome.error.status)
    _flash(Msg("社区需求已登记，组织可以开始响应了"))
    return redirect(url_for(".detail", need_id=need.id), 303)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(need_id: int) -> Any:
    need = _need(need_id)
    form = _need_form()
    if request.method == "GET":
        form.fill_from(need)
        return _render_form(form, need)
    if not form.validate_on_submit():
        return _render_form(form, need, 400)
    with committed_or_refused() as outcome:
        ops.edit_need(need, current_user, form.to_input())
    if outcome.error is not None:
        populate_errors(form, outcome.error)
        return _render_form(form, need, outcome.error.status)
    _flash(Msg("社区需求已保存"))
    return redirect(url_for(".detail", need_id=need.id), 303)


@bp.post("/<int:need_id>/transitions")
@staff_required
def transition(need_id: int) -> Any:
    need = _need(need_id)
    form = NeedTransitionForm()
    action = (form.action.data or "").strip()
    with committed_or_refused() as outcome:
        ops.transition_need(need, current_user, action)
    if outcome.error is not None:
        flash(translate(outcome.error.message), "error")
        db.session.expire_all()
        return _render_detail(_need(need_id), status=outcome.error.status)
    _flash(DONE_MESSAGES[action])
    return redirect(url_for(".detail", need_id=need_id), 303)


# ───────────── organizations: respond and withdraw ─────────────


@bp.post("/<int:need_id>/responses")
@org_required
def respond(need_id: int) -> Any:
    need = _need(need_id)
    ops.responding_organization_member(current_user)  # 403 before reading the form
    form = RespondForm()
    raw = (form.project_id.data or "").strip()
    project = db.session.get(Project, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if project is None:
        form.set_choices(ops.projects_to_offer(current_user))
        populate_errors(form, DomainError.on("project_id", Msg("请选择本组织的一个项目")))
        return _render_detail(need, respond_form=form, status=422)
    with committed_or_refused() as outcome:
        ops.respond(current_user, need, project, form.note.data or "")
    if outcome.error is not None:
        db.session.expire_all()
        need = _need(need_id)
        form.set_choices(ops.projects_to_offer(current_user))
        populate_errors(form, outcome.error)
        return _render_detail(need, respond_form=form, status=outcome.error.status)
    _flash(Msg("已用项目「%(title)s」响应这个需求，团区委会看到", title=project.title))
    return redirect(url_for(".detail", need_id=need_id), 303)


@bp.post("/<int:need_id>/responses/<int:response_id>/withdraw")
@login_required_any
def withdraw(need_id: int, response_id: int) -> Any:
    need = _need(need_id)
    response = ops.get_response(need, response_id)
    with committed_or_refused() as outcome:
        ops.withdraw_response(current_user, response)
    if outcome.error is not None:
        flash(translate(outcome.error.message), "error")
        return redirect(url_for(".detail", need_id=need_id), 303)
    _flash(Msg("响应已撤回"))
    return redirect(url_for(".detail", need_id=need_id), 303)
