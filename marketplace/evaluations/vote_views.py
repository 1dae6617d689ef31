"""Public voting pages: ask for a one-time code, then vote.

One address, ``/evaluations/<round_id>/vote``, in two steps: (1) the visitor types an e-mail address
or a mobile number and is sent a code; the normalised identity is kept in the session for this round;
(2) the visitor types the code and ticks up to ``max_votes`` participating organizations. A thank-you
page follows; a closed or published round shows that voting has ended. Anonymous visitors and
signed-in users vote alike (a signed-in user's e-mail is only suggested). Every rule is in
``voting`` / ``voting_rules``; these views read the form, call the operation and commit once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.errors import DomainError
from marketplace.evaluations import voting
from marketplace.evaluations.models import EvaluationParticipant, EvaluationRound
from marketplace.evaluations.vote_forms import VoteCodeForm, VoteForm
from marketplace.evaluations.voting_rules import Channel, Identity, clean_code, normalise_identity
from marketplace.extensions import db, limiter
from marketplace.forms import populate_errors
from marketplace.messages import Msg
from marketplace.moderation.visibility import listed_organizations
from marketplace.parties.models import Organization
from marketplace.web import translate

bp = Blueprint("votes", __name__, url_prefix="/evaluations")

_PENDING = "vote_identity"  # {"round": id, "channel": "email"|"phone", "value": "..."}
_VOTED = "vote_done"  # {"round": id, "organizations": [id, …]}


_STEPS = ("code", "resend", "vote", "restart")


def _step() -> str | None:
    """What a POST asks for; a POST without a known step is a code request (the first form)."""
    if request.method != "POST":
        return None
    step = request.form.get("step")
    return step if step in _STEPS else "code"


def _posting(*steps: str) -> bool:
    return _step() in steps


def _pending_identity(round_id: int) -> Identity | None:
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or pending.get("round") != round_id:
        return None
    try:
        return Identity(Channel(pending["channel"]), str(pending["value"]))
    except (KeyError, ValueError):
        return None


def _remember(round_id: int, identity: Identity) -> None:
    session[_PENDING] = {"round": round_id, "channel": str(identity.channel), "value": identity.value}


def _participants(evaluation_round: EvaluationRound) -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization)
            .join(EvaluationParticipant, EvaluationParticipant.organization_id == Organization.id)
            .where(EvaluationParticipant.round_id == evaluation_round.id, listed_organizations())
            .options(joinedload(Organization.district_ref))
            .order_by(Organization.name, Organization.id)
        ).unique()
    )


def _render_code_step(evaluation_round: EvaluationRound, form: VoteCodeForm, status: int = 200) -> Any:
    return (
        render_template(
            "evaluations/vote.html",
            round=evaluation_round,
            step="code",
            form=form,
            participants=_participants(evaluation_round),
        ),
        status,
    )


def _render_vote_step(
    evaluation_round: EvaluationRound, identity: Identity, form: VoteForm, status: int = 200
) -> Any:
    participants = _participants(evaluation_round)
    form.organizations.choices = [(str(org.id), org.name) for org in participants]
    chosen = {str(value) for value in (form.organizations.data or [])}
    return (
        render_template(
            "evaluations/vote.html",
            round=evaluation_round,
            step="vote",
            form=form,
            identity=identity,
            participants=participants,
            chosen=chosen,
        ),
        status,
    )


def _results_url(evaluation_round: EvaluationRound) -> str | None:
    """The public results page (helper EVAL's ``evaluations.results``) once the round is published."""
    if not evaluation_round.is_published or "evaluations.results" not in current_app.view_functions:
        return None
    return url_for("evaluations.results", round_id=evaluation_round.id)


def _render_closed(evaluation_round: EvaluationRound, status: int = 200) -> Any:
    return (
        render_template(
            "evaluations/vote_closed.html", round=evaluation_round, results_url=_results_url(evaluation_round)
        ),
        status,
    )


@bp.route("/<int:round_id>/vote", methods=["GET", "POST"], endpoint="vote_form")
@limiter.shared_limit(
    voting.code_rate_limit, voting.CODE_LIMIT_SCOPE, exempt_when=lambda: not _posting("code", "resend")
)
@limiter.shared_limit(
    voting.vote_rate_limit, voting.VOTE_LIMIT_SCOPE, exempt_when=lambda: not _posting("vote")
)
def vote_form(round_id: int) -> Any:
    evaluation_round = voting.get_round(round_id)
    if not evaluation_round.is_open:
        return _render_closed(evaluation_round, 409 if request.method == "POST" else 200)
    step = _step()
    if step == "restart":
        session.pop(_PENDING, None)
        return redirect(url_for(".vote_form", round_id=round_id), 303)
    if step in ("code", "resend"):
        return _send_code(evaluation_round, resend=step == "resend")
    if step == "vote":
        return _vote(evaluation_round)
    identity = _pending_identity(round_id)
    if identity is not None:
        return _render_vote_step(evaluation_round, identity, VoteForm(formdata=None))
    form = VoteCodeForm(formdata=None)
    if current_user.is_authenticated and current_user.email:
        form.identity.data = current_user.email
    return _render_code_step(evaluation_round, form)


def _send_code(evaluation_round: EvaluationRound, *, resend: bool) -> Any:
    pending = _pending_identity(evaluation_round.id)
    if resend and pending is not None:
        form: Any = VoteForm()
        if not form.validate_on_submit():
            return _render_vote_step(evaluation_round, pending, form, 400)
        identity = pending
    else:
        form = VoteCodeForm()
        if not form.validate_on_submit():
            return _render_code_step(evaluation_round, form, 400)
        try:
            identity = normalise_identity(form.identity.data)
        except DomainError as error:
            populate_errors(form, error)
            return _render_code_step(evaluation_round, form, 422)
    try:
        sent = voting.request_vote_code(evaluation_round, identity, request.remote_addr)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if isinstance(form, VoteForm):
            form.form_errors.append(translate(error.message))
            return _render_vote_step(evaluation_round, identity, form, error.status)
        populate_errors(form, error, aliases={"email": "identity", "phone": "identity"})
        return _render_code_step(evaluation_round, form, error.status)
    _remember(evaluation_round.id, identity)
    flash(
        translate(
            Msg(
                "验证码已发送至 %(to)s，%(minutes)d 分钟内有效", to=sent.masked, minutes=sent.expires_in // 60
            )
        ),
        "success",
    )
    return redirect(url_for(".vote_form", round_id=evaluation_round.id), 303)


def _vote(evaluation_round: EvaluationRound) -> Any:
    identity = _pending_identity(evaluation_round.id)
    if identity is None:
        flash(translate(Msg("请先填写电子邮箱或手机号获取验证码")), "info")
        return redirect(url_for(".vote_form", round_id=evaluation_round.id), 303)
    form = VoteForm()
    if not form.validate_on_submit():
        return _render_vote_step(evaluation_round, identity, form, 400)
    try:
        organization_ids = form.organization_ids()
        voting.cast_vote(evaluation_round, identity, clean_code(form.code.data), organization_ids)
        db.session.commit()
    except voting.WrongCode as error:
        db.session.commit()  # keep the counted attempt: five wrong codes void the code
        populate_errors(form, error)
        return _render_vote_step(evaluation_round, identity, form, 422)
    except voting.RoundClosed:
        db.session.rollback()
        return _render_closed(evaluation_round, 409)
    except voting.AlreadyVoted as error:
        db.session.rollback()
        session.pop(_PENDING, None)
        code_form = VoteCodeForm(formdata=None)
        code_form.form_errors.append(translate(error.message))
        return _render_code_step(evaluation_round, code_form, 409)
    except DomainError as error:
        db.session.rollback()
        populate_errors(form, error, aliases={"organization_ids": "organizations"})
        return _render_vote_step(evaluation_round, identity, form, error.status)
    session.pop(_PENDING, None)
    session[_VOTED] = {"round": evaluation_round.id, "organizations": organization_ids}
    return redirect(url_for(".vote_thanks", round_id=evaluation_round.id), 303)


@bp.get("/<int:round_id>/vote/thanks", endpoint="vote_thanks")
def vote_thanks(round_id: int) -> Any:
    evaluation_round = voting.get_round(round_id)
    done = session.get(_VOTED)
    if not isinstance(done, dict) or done.get("round") != round_id:
        return redirect(url_for(".vote_form", round_id=round_id), 303)
    wanted = [item for item in done.get("organizations", []) if isinstance(item, int)]
    chosen = [org for org in _participants(evaluation_round) if org.id in wanted]
    return render_template("evaluations/vote_thanks.html", round=evaluation_round, chosen=chosen)
