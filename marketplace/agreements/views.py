"""Partnership agreement pages: the list, drafting an agreement (from an introduction too) and staff's
"30 天内到期" list; the agreement's own page is in ``detail_views`` and the pages of one version (the
terms form, the printable document and its PDF, the diff, the signing step) in ``version_views``, on
the same blueprint.

Thin on purpose: who may see or do what, every state change and every check live in
``agreements.operations`` (and the pure ``states`` / ``terms``); a view reads what the page shows,
calls one operation, commits once and redirects with a flash, or shows the reasons (422, 409).
A non-party never learns an agreement exists: 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements import terms as rules
from marketplace.agreements.forms import (
    AgreementForm,
)
from marketplace.agreements.models import Agreement, AgreementParty, AgreementVersion
from marketplace.agreements.states import (
    STATUS_LABELS,
    VersionStatus,
)
from marketplace.authz import login_required_any, staff_required
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.forms import committed_or_refused, populate_errors
from marketplace.matching.models import Introduction
from marketplace.matching.operations import require_introduction_access
from marketplace.messages import Msg
from marketplace.parties.models import Company, Organization, VerificationStatus
from marketplace.projects.models import Project
from marketplace.timeutil import local_today
from marketplace.web import translate

bp = Blueprint("agreements", __name__)

LIST_LIMIT = 200
SELECT_LIMIT = 1000
HASH_SHORT = 12


def flash_message(message: Msg, category: str = "success") -> None:
    flash(translate(message), category)


def agreement_for(agreement_id: int) -> Agreement:
    """The agreement if the caller is one of its parties or staff; 404 for everyone else."""
    agreement = ops.get_agreement(agreement_id)
    if not ops.can_view(agreement, current_user):
        raise NotFound.on("agreement", Msg("找不到该协议"))
    return agreement


def error_text(error: DomainError) -> str:
    reasons = [translate(reason) for reason in error.fields.values()]
    return "；".join(reasons) if reasons else translate(error.message)


def short_hash(value: str | None) -> str:
    return (value or "")[:HASH_SHORT]


bp.add_app_template_filter(short_hash, "short_hash")


def viewer_party(agreement: Agreement) -> AgreementParty | None:
    return ops.party_of(agreement, current_user)


def may_sign(agreement: Agreement, version: AgreementVersion | None) -> bool:
    """Whether the page offers the viewer "签署" / "拒绝签署" on ``version`` (the operation decides)."""
    party = viewer_party(agreement)
    return (
        version is not None
        and version.status == VersionStatus.PROPOSED
        and party is not None
        and ops.can_sign(party, current_user)
        and all(signature.party_id != party.id for signature in version.signatures)
    )


def tranche_target(agreement: Agreement, tranche: rules.Tranche) -> str:
    """Where a tranche's money goes: the project it names (or the only one), else the agreement account."""
    project_id = rules.tranche_project(tranche, agreement.project_ids)
    titles = {project.id: project.title for project in agreement.projects}
    if project_id is not None and project_id in titles:
        return titles[project_id]
    return translate(Msg("协议资金账户"))


# ───────────── template globals for the navigation and the dashboards ─────────────


@bp.app_template_global("agreements_awaiting_signature")
def agreements_awaiting_signature() -> list[tuple[Agreement, AgreementVersion]]:
    """Versions the signed-in member can sign and their party has not decided on (dashboards)."""
    if not current_user.is_authenticated or current_user.is_staff:
        return []
    return ops.awaiting_my_signature(current_user)


@bp.app_template_global("agreements_expiring_soon")
def agreements_expiring_soon() -> list[Agreement]:
    """Active agreements ending within 30 days (staff dashboard)."""
    if not current_user.is_authenticated or not current_user.is_staff:
        return []
    return ops.expiring()


# ───────────── the list ─────────────


@dataclass(frozen=True)
class ListRow:
    agreement: Agreement
    committed: int  # by the version in force
    received: int
    proposed: int  # by the latest version, while none is in force yet


def _rows(agreements: Sequence[Agreement]) -> list[ListRow]:
    rows = []
    for agreement in agreements[:LIST_LIMIT]:
        current = agreement.current_version
        committed = (current.committed_amount or 0) if current is not None else 0
        latest = agreement.latest_version
        proposed = (latest.committed_amount or 0) if current is None and latest is not None else 0
        rows.append(ListRow(agreement, committed, ops.received_amount(agreement), proposed))
    return rows


@bp.get("/agreements")
@login_required_any
def index() -> Any:
    status = (request.args.get("status") or "").strip()
    query = (request.args.get("q") or "").strip()[:50]
    problem = None
    try:
        found = ops.list_agreements(current_user, ops.AgreementFilters(status=status or None, query=query))
    except DomainError as error:
        problem = error_text(error)
        status = ""
        found = ops.list_agreements(current_user, ops.AgreementFilters(query=query))
    return (
        render_template(
            "agreements/index.html",
            rows=_rows(found),
            total=len(found),
            awaiting=agreements_awaiting_signature(),
            status=status,
            query=query,
            problem=problem,
            status_labels=STATUS_LABELS,
        ),
        422 if problem else 200,
    )


# ───────────── drafting an agreement ─────────────


def _company_choices(user: User) -> list[tuple[str, str]]:
    if not user.is_staff and user.company_id is not None:
        companies = [user.company]
    else:
        companies = list(
            db.session.scalars(
                select(Company)
                .where(Company.verification_status == VerificationStatus.VERIFIED)
                .order_by(Company.name, Company.id)
                .limit(SELECT_LIMIT)
            )
        )
    return [("", translate(Msg("— 请选择 —")))] + [(str(item.id), item.name) for item in companies]


def _organization_choices(user: User) -> list[Organization]:
    if not user.is_staff and user.organization_id is not None:
        return [user.organization]
    return list(
        db.session.scalars(
            select(Organization)
            .where(
                Organization.verification_status == VerificationStatus.VERIFIED,
                Organization.is_league_body.is_(False),
            )
            .order_by(Organization.name, Organization.id)
            .limit(SELECT_LIMIT)
        )
    )


def _project_groups(organizations: Sequence[Organization]) -> list[tuple[Organization, list[Project]]]:
    """The projects an agreement may name, per organization (published, funded or closed)."""
    by_id = {organization.id: organization for organization in organizations}
    if not by_id:
        return []
    projects = db.session.scalars(
        select(Project)
        .where(
            Project.organization_id.in_(list(by_id)),
            Project.status.in_([status.value for status in ops.FUNDABLE_PROJECT_STATUSES]),
        )
        .order_by(Project.organization_id, Project.id)
        .limit(SELECT_LIMIT)
    )
    groups: dict[int, list[Project]] = {}
    for project in projects:
        groups.setdefault(project.organization_id, []).append(project)
    return [(by_id[key], items) for key, items in groups.items()]


def _one_year_from(day: date) -> date:
    try:
        following = day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        following = day.replace(year=day.year + 1, day=28)
    return following - timedelta(days=1)


def _prefill_from_introduction(form: AgreementForm, introduction_id: int | None) -> Introduction | None:
    if introduction_id is None:
        return None
    introduction = db.session.get(Introduction, introduction_id)
    if introduction is None:
        raise NotFound.on("introduction", Msg("找不到该介绍"))
    require_introduction_access(introduction, current_user)
    form.introduction_id.data = str(introduction.id)
    form.company_id.data = str(introduction.company_id)
    form.organization_id.data = str(introduction.organization_id)
    if introduction.project.status in ops.FUNDABLE_PROJECT_STATUSES:
        form.project_ids.data = [str(introduction.project_id)]
    title = translate(
        Msg(
            "%(company)s × %(organization)s 战略合作协议",
            company=introduction.company.name,
            organization=introduction.organization.name,
        )
    )
    form.title.data = title[: ops.TITLE_MAX]
    return introduction


def _render_new(form: AgreementForm, introduction: Introduction | None, status: int = 200) -> Any:
    organizations = _organization_choices(current_user)
    form.company_id.choices = _company_choices(current_user)
    form.organization_id.choices = [("", translate(Msg("— 请选择 —")))] + [
        (str(item.id), item.name) for item in organizations
    ]
    return (
        render_template(
            "agreements/new.html",
            form=form,
            introduction=introduction,
            project_groups=_project_groups(organizations),
            chosen_projects=set(form.project_ids.data or []),
        ),
        status,
    )


@bp.route("/agreements/new", methods=["GET", "POST"])
@login_required_any
def new() -> Any:
    form = AgreementForm()
    if request.method == "GET":
        introduction_arg = request.args.get("introduction")
        introduction = _prefill_from_introduction(
            form, int(introduction_arg) if (introduction_arg or "").isdigit() else None
        )
        today = local_today()
        form.starts_on.data = today.isoformat()
        form.ends_on.data = _one_year_from(today).isoformat()
        form.renewal_notice_days.data = str(rules.NOTICE_DEFAULT)
        if not current_user.is_staff:
            form.company_id.data = form.company_id.data or str(current_user.company_id or "")
            form.organization_id.data = form.organization_id.data or str(current_user.organization_id or "")
        return _render_new(form, introduction)
    introduction_text = (form.introduction_id.data or "").strip()
    introduction = (
        db.session.get(Introduction, int(introduction_text)) if introduction_text.isdigit() else None
    )
    if not form.validate_on_submit():
        return _render_new(form, introduction, 400)
    data, unreadable = form.to_input()
    with committed_or_refused() as outcome:
        agreement = ops.create_agreement(current_user, data)
        if unreadable:
            raise DomainError(unreadable)
    if (error := outcome.error) is not None:
        populate_errors(form, DomainError({**error.fields, **unreadable}) if error.fields else error)
        return _render_new(form, introduction, 422)
    flash_message(Msg("协议已创建，请起草第 1 版条款"))
    return redirect(url_for(".new_version", agreement_id=agreement.id), 303)


# ───────────── staff: expiring soon ─────────────


@bp.get("/staff/agreements/expiring")
@staff_required
def expiring() -> Any:
    today = local_today()
    rows = [(agreement, (agreement.ends_on - today).days) for agreement in ops.expiring()]
    return render_template("agreements/expiring.html", rows=rows, days=rules.EXPIRING_SOON_DAYS)


# The agreement page and the version pages register their routes on the same blueprint.
from marketplace.agreements import detail_views, version_views  # noqa: E402, F401
