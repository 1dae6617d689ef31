"""The evaluation round pages: staff open and manage rounds, score (government) and assign tiers;
organizations score the peers assigned to them; everyone reads published results.

Views are thin: they read the form, call ``operations`` inside ``committed_or_refused`` (one commit)
and render. A refused action re-renders the page it came from with the reason and the error's
status (409 / 422)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.authz import forbid_unless, org_required, staff_required
from marketplace.errors import DomainError, NotFound
from marketplace.evaluations import forms, grading
from marketplace.evaluations import operations as ops
from marketplace.evaluations import results as queries
from marketplace.evaluations.models import EvaluationRound
from marketplace.evaluations.states import RoundStatus
from marketplace.forms import committed_or_refused
from marketplace.messages import Msg
from marketplace.parties.models import TIER_LABELS, Tier
from marketplace.timeutil import local_today
from marketplace.web import translate

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")

TIER_CHOICES = [(tier.value, TIER_LABELS[tier]) for tier in Tier]


@bp.app_template_filter("score")
def score_filter(hundredths: int | None) -> str:
    return grading.format_score(hundredths)


@bp.app_context_processor
def _evaluation_helpers() -> dict[str, Any]:
    return {"vote_link": _vote_link, "tier_label": _tier_label}


def _vote_link(round_: EvaluationRound) -> str | None:
    """The public vote page (helper VOTE's ``votes.vote_form``) while the round is open."""
    if not round_.is_open or "votes.vote_form" not in current_app.view_functions:
        return None
    return url_for("votes.vote_form", round_id=round_.id)


def _tier_label(tier: str | None) -> str:
    return translate(TIER_LABELS[Tier(tier)]) if tier else ""


def _flash(message: Msg, category: str = "success") -> None:
    from flask import flash

    flash(translate(message), category)


def _error_text(error: DomainError) -> str:
    reasons = [translate(reason) for reason in error.fields.values()]
    return "；".join(dict.fromkeys(reasons)) if reasons else translate(error.message)


def _status(error: DomainError) -> int:
    return error.status if error.status in (400, 409, 422) else 422


# ───────────── public ─────────────


@bp.get("")
def index() -> Any:
    return render_template(
        "evaluations/index.html",
        rounds=queries.list_rounds(published_only=True),
        open_rounds=[round_ for round_ in queries.list_rounds() if round_.is_open],
    )


@bp.get("/<int:round_id>/results")
def results(round_id: int) -> Any:
    round_ = queries.get_round(round_id)
    is_staff = current_user.is_authenticated and current_user.is_staff
    if not round_.is_published and not is_staff:
        raise NotFound(message=Msg("该轮评估的结果尚未公布"))
    return render_template(
        "evaluations/results.html",
        round=round_,
        participants=queries.stored_results(round_),
        live=None if round_.is_published else queries.live_results(round_),
    )


# ───────────── staff: rounds ─────────────


@bp.get("/manage")
@staff_required
def manage_index() -> Any:
    return render_template("evaluations/manage_index.html", rounds=queries.list_rounds())


def _render_new(page: forms.PageForm, status: int = 200) -> Any:
    return (
        render_template(
            "evaluations/new_round.html", page=page, organizations=queries.eligible_organizations()
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new_round() -> Any:
    if request.method == "GET":
        return _render_new(forms.round_defaults(local_today().year))
    data, page = forms.read_round_form(request.form)
    with committed_or_refused() as outcome:
        round_ = ops.open_round(current_user, data)
    if (error := outcome.error) is not None:
        forms.place_round_errors(page, error.fields, error.message)
        return _render_new(page, _status(error))
    _flash(Msg("%(year)s 年度评估已开启", year=round_.year))
    return redirect(url_for(".manage", round_id=round_.id), 303)


def _render_manage(round_: EvaluationRound, problem: str | None = None, status: int = 200) -> Any:
    rows = queries.progress(round_)
    taken = {row.organization.id for row in rows}
    return (
        render_template(
            "evaluations/manage.html",
            round=round_,
            rows=rows,
            assignments=queries.assignments_of(round_),
            addable=[org for org in queries.eligible_organizations() if org.id not in taken],
            problem=problem,
            criteria=queries.criteria_of(round_),
        ),
        status,
    )


@bp.get("/<int:round_id>/manage")
@staff_required
def manage(round_id: int) -> Any:
    return _render_manage(queries.get_round(round_id))


def _form_id(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _act(round_id: int, action: Any, done: Msg, anchor: str = "") -> Any:
    """Run a staff action on the round page; back to it with a notice, or the reason refused."""
    round_ = queries.get_round(round_id)
    with committed_or_refused() as outcome:
        action(round_)
    if (error := outcome.error) is not None:
        return _render_manage(queries.get_round(round_id), _error_text(error), _status(error))
    _flash(done)
    return redirect(url_for(".manage", round_id=round_id) + anchor, 303)


@bp.post("/<int:round_id>/participants")
@staff_required
def add_participant(round_id: int) -> Any:
    org_id = _form_id("organization_id")

    def action(round_: EvaluationRound) -> None:
        if org_id is None:
            raise DomainError.on("organization_id", Msg("请选择要加入的组织"))
        ops.add_participant(current_user, round_, org_id)

    return _act(round_id, action, Msg("已加入参评名单"), "#participants")


@bp.post("/<int:round_id>/participants/<int:organization_id>/remove")
@staff_required
def remove_participant(round_id: int, organization_id: int) -> Any:
    return _act(
        round_id,
        lambda round_: ops.remove_participant(current_user, round_, organization_id),
        Msg("已移出参评名单"),
        "#participants",
    )


@bp.post("/<int:round_id>/peers/auto")
@staff_required
def auto_assign(round_id: int) -> Any:
    per = _form_id("per_reviewer") or grading.DEFAULT_PEERS_PER_REVIEWER
    return _act(
        round_id,
        lambda round_: ops.auto_assign_peers(current_user, round_, per),
        Msg("已自动分配同行互评（不会分到自己或合作伙伴）"),
        "#peers",
    )


@bp.post("/<int:round_id>/peers")
@staff_required
def add_assignment(round_id: int) -> Any:
    reviewer, reviewee = _form_id("reviewer_organization_id"), _form_id("organization_id")

    def action(round_: EvaluationRound) -> None:
        if reviewer is None or reviewee is None:
            raise DomainError.on("organization_id", Msg("请选择评分组织和被评组织"))
        ops.add_peer_assignment(current_user, round_, reviewer, reviewee)

    return _act(round_id, action, Msg("已添加互评分配"), "#peers")


@bp.post("/<int:round_id>/peers/<int:assignment_id>/remove")
@staff_required
def remove_assignment(round_id: int, assignment_id: int) -> Any:
    return _act(
        round_id,
        lambda round_: ops.remove_peer_assignment(current_user, round_, assignment_id),
        Msg("已删除互评分配"),
        "#peers",
    )


_TRANSITIONS = {
    "close": (ops.close_round, Msg("本轮评估已截止：评分和投票已停止")),
    "reopen": (ops.reopen_round, Msg("本轮评估已重新开放评分")),
    "publish": (ops.publish_round, Msg("评估结果已公布，等级和梯队已更新到各组织")),
}


@bp.post("/<int:round_id>/transitions")
@staff_required
def transition(round_id: int) -> Any:
    action = request.form.get("action", "")
    if action not in _TRANSITIONS:
        return _render_manage(queries.get_round(round_id), translate(Msg("未知的操作")), 422)
    operation, done = _TRANSITIONS[action]
    response = _act(round_id, lambda round_: operation(current_user, round_), done)
    if action == "publish" and response.status_code == 303:
        return redirect(url_for(".results", round_id=round_id), 303)
    return response


# ───────────── staff: government scores ─────────────


def _participant_or_404(round_: EvaluationRound, organization_id: int) -> Any:
    participant = queries.participant_for(round_, organization_id)
    if participant is None:
        raise NotFound(message=Msg("该组织不在本轮参评名单中"))
    return participant


def _render_score(
    round_: EvaluationRound, participant: Any, page: forms.PageForm, kind: str, status: int = 200
) -> Any:
    return (
        render_template(
            "evaluations/score.html",
            round=round_,
            participant=participant,
            criteria=queries.criteria_of(round_),
            page=page,
            kind=kind,
            heading=translate(Msg("政府评分") if kind == "government" else Msg("同行互评")),
        ),
        status,
    )


def _score(round_id: int, organization_id: int, kind: str, reviewer_id: int | None) -> Any:
    round_ = queries.get_round(round_id)
    participant = _participant_or_404(round_, organization_id)
    criteria = queries.criteria_of(round_)
    if request.method == "GET":
        stored = (
            queries.government_score(round_, organization_id)
            if reviewer_id is None
            else queries.peer_score_by(round_, organization_id, reviewer_id)
        )
        values = forms.stored_score_values(criteria, stored.criteria if stored else None)
        return _render_score(round_, participant, forms.score_page(criteria, values), kind)
    typed = forms.read_scores(request.form, criteria)
    with committed_or_refused() as outcome:
        ops.record_score(current_user, round_, organization_id, kind, typed)
    if (error := outcome.error) is not None:
        page = forms.score_page(criteria, typed)
        forms.place_score_errors(page, criteria, error.fields, error.message)
        return _render_score(queries.get_round(round_id), participant, page, kind, _status(error))
    _flash(Msg("已保存对「%(name)s」的评分", name=participant.organization.name))
    if reviewer_id is None:
        return redirect(url_for(".manage", round_id=round_id) + "#participants", 303)
    return redirect(url_for(".peer_reviews"), 303)


@bp.route("/<int:round_id>/government/<int:organization_id>", methods=["GET", "POST"])
@staff_required
def government_score(round_id: int, organization_id: int) -> Any:
    return _score(round_id, organization_id, "government", None)


# ───────────── staff: tiers ─────────────


def _render_tiers(round_: EvaluationRound, problem: str | None = None, status: int = 200) -> Any:
    live = queries.live_results(round_)
    suggestion = queries.suggestion(round_, live)
    rows = sorted(
        queries.progress(round_),
        key=lambda row: (row.result.rank is None, row.result.rank or 0, row.organization.name),
    )
    names = {row.organization.id: row.organization.name for row in rows}
    return (
        render_template(
            "evaluations/tiers.html",
            round=round_,
            rows=rows,
            suggestion=suggestion,
            counts=queries.tier_counts(round_),
            quotas=queries.quotas_of(round_),
            tier_choices=TIER_CHOICES,
            problem=problem,
            ties=[
                (
                    tie,
                    "、".join(names[org] for org in tie.inside),
                    "、".join(names[org] for org in tie.outside),
                )
                for tie in suggestion.ties
            ],
        ),
        status,
    )


@bp.get("/<int:round_id>/tiers")
@staff_required
def tiers(round_id: int) -> Any:
    return _render_tiers(queries.get_round(round_id))


@bp.post("/<int:round_id>/tiers")
@staff_required
def assign_tier(round_id: int) -> Any:
    round_ = queries.get_round(round_id)
    org_id = _form_id("organization_id")
    tier = request.form.get("tier") or None
    with committed_or_refused() as outcome:
        if org_id is None:
            raise DomainError.on("organization_id", Msg("请选择组织"))
        ops.assign_tier(current_user, round_, org_id, tier)
    if (error := outcome.error) is not None:
        return _render_tiers(queries.get_round(round_id), _error_text(error), _status(error))
    _flash(Msg("梯队已更新"))
    return redirect(url_for(".tiers", round_id=round_id), 303)


@bp.post("/<int:round_id>/tiers/accept")
@staff_required
def accept_tiers(round_id: int) -> Any:
    round_ = queries.get_round(round_id)
    with committed_or_refused() as outcome:
        ops.accept_suggested_tiers(current_user, round_)
    if (error := outcome.error) is not None:
        return _render_tiers(queries.get_round(round_id), _error_text(error), _status(error))
    _flash(Msg("已按综合得分采用系统建议的梯队"))
    return redirect(url_for(".tiers", round_id=round_id), 303)


# ───────────── organizations: peer reviews ─────────────


@bp.app_template_global("peer_reviews_due")
def peer_reviews_due() -> list[tuple[EvaluationRound, int]]:
    """For the organization dashboard: open rounds where the signed-in organization still has peer
    reviews to give, with how many."""
    org_id = current_user.organization_id
    due = []
    for round_ in queries.rounds_reviewing(org_id):
        if round_.status == RoundStatus.OPEN:
            left = sum(1 for task in queries.peer_tasks(round_, org_id) if task.score is None)
            if left:
                due.append((round_, left))
    return due


@bp.get("/peer-reviews")
@org_required
def peer_reviews() -> Any:
    org_id = current_user.organization_id
    rounds = [
        (round_, queries.peer_tasks(round_, org_id))
        for round_ in queries.rounds_reviewing(org_id)
        if round_.status != RoundStatus.PUBLISHED
    ]
    return render_template("evaluations/peer_reviews.html", rounds=rounds)


@bp.route("/<int:round_id>/peer/<int:organization_id>", methods=["GET", "POST"])
@org_required
def peer_score(round_id: int, organization_id: int) -> Any:
    round_ = queries.get_round(round_id)
    reviewer = current_user.organization_id
    assigned = any(task.organization.id == organization_id for task in queries.peer_tasks(round_, reviewer))
    forbid_unless(assigned, Msg("本轮没有分配您的组织为该组织评分"))
    return _score(round_id, organization_id, "peer", reviewer)
