"""Organization and company pages: public profiles, profile editing, team members, staff
verification and grading.

Thin on purpose: forms become ``PartyInput`` / ``AccountInput``, operations validate and write
audit events, the view commits once on success and rolls back on a domain error.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.accounts import operations as accounts
from marketplace.accounts.models import Role
from marketplace.authz import org_required, require_role, staff_required
from marketplace.errors import BadRequest, DomainError
from marketplace.extensions import db
from marketplace.forms import populate_errors
from marketplace.messages import Msg
from marketplace.parties import operations, queries
from marketplace.parties.forms import (
    PROFILE_ALIASES,
    CompanyProfileForm,
    DecisionForm,
    GradeForm,
    MemberForm,
    OrganizationProfileForm,
    category_choices,
    district_choices,
)
from marketplace.parties.models import GRADES, TIER_LABELS, Company, Organization
from marketplace.parties.policy import POLICY_SUMMARY, policy_notes
from marketplace.timeutil import local_today
from marketplace.web import translate

bp = Blueprint("parties", __name__)

member_required = require_role(Role.ORG, Role.COMPANY)


def _flash(message: Msg, category: str = "success") -> None:
    flash(translate(message), category)


# ───────────── public pages ─────────────


@bp.route("/organizations")
def organizations() -> Any:
    filters = {
        "grade": request.args.get("grade", "").strip(),
        "tier": request.args.get("tier", "").strip(),
        "area": request.args.get("area", "").strip(),
        "district": request.args.get("district", "").strip(),
        "q": request.args.get("q", "").strip()[:50],
    }
    page_number = max(request.args.get("page", 1, type=int) or 1, 1)
    page = queries.organizations_page(
        page=page_number,
        grade=filters["grade"],
        tier=filters["tier"],
        area=filters["area"],
        district=filters["district"],
        query=filters["q"],
    )
    return render_template(
        "parties/organizations.html",
        page=page,
        filters=filters,
        active_filters={key: value for key, value in filters.items() if value},
        project_counts=queries.public_project_counts([organization.id for organization in page.items]),
        grade_options=[(grade, f"{grade[1]}A") for grade in reversed(GRADES)],
        tier_options=[(tier.value, translate(label)) for tier, label in TIER_LABELS.items()],
        area_options=category_choices(),
        district_options=district_choices(),
        today=local_today(),
        policy_summary=POLICY_SUMMARY,
    )


@bp.route("/organizations/<int:organization_id>")
def organization(organization_id: int) -> Any:
    party = queries.visible_party("organization", organization_id, current_user)
    return _render_organization(cast(Organization, party))


def _render_organization(party: Organization, grade_form: GradeForm | None = None, status: int = 200) -> Any:
    if grade_form is None and current_user.is_staff:
        grade_form = GradeForm(data=GradeForm.data_from(party))
    return (
        render_template(
            "parties/organization.html",
            organization=party,
            projects=queries.public_projects(party),
            is_member=queries.is_member(party, current_user),
            grade_current=queries.grade_is_current(party),
            policy_notes=policy_notes(party.current_grade, party.tier),
            grade_form=grade_form,
            member_count=len(party.members),
        ),
        status,
    )


@bp.route("/organizations/<int:organization_id>/grade", methods=["POST"])
@staff_required
def grade_organization(organization_id: int) -> Any:
    party = db.session.get(Organization, organization_id)
    if party is None:
        abort(404)
    form = GradeForm()
    if not form.validate():
        return _render_organization(party, form, 422)
    try:
        operations.set_organization_grade(
            party,
            grade=form.grade.data or None,
            valid_until=form.grade_valid_until.data,
            tier=form.tier.data or None,
            staff_id=current_user.id,
        )
    except DomainError as error:
        db.session.rollback()
        populate_errors(form, error)
        return _render_organization(party, form, 422)
    db.session.commit()
    _flash(Msg("已更新「%(name)s」的等级与层级", name=party.name))
    return redirect(url_for("parties.organization", organization_id=party.id))


@bp.route("/companies/<int:company_id>")
def company(company_id: int) -> Any:
    party = queries.visible_party("company", company_id, current_user)
    return render_template(
        "parties/company.html",
        company=party,
        is_member=queries.is_member(party, current_user),
        show_private=queries.is_member(party, current_user) or current_user.is_staff,
    )


# ───────────── staff verification ─────────────


@bp.route("/staff/verifications")
@staff_required
def verification_queue() -> Any:
    return _render_queue()


def _render_queue(decision_error: dict[str, Any] | None = None, status: int = 200) -> Any:
    return (
        render_template(
            "parties/verification_queue.html",
            organizations=queries.pending_parties("organization"),
            companies=queries.pending_parties("company"),
            decisions=queries.recent_decisions(),
            decision_error=decision_error,
        ),
        status,
    )


@bp.route("/staff/verifications/<kind>/<int:party_id>", methods=["POST"])
@staff_required
def decide_verification(kind: str, party_id: int) -> Any:
    model = queries.PARTY_MODELS.get(kind)
    party = db.session.get(model, party_id) if model else None
    if party is None:
        abort(404)
    form = DecisionForm()
    action = form.action.data
    if action not in ("verify", "reject"):
        raise BadRequest.on("action", Msg("未知的操作"))
    try:
        if action == "verify":
            operations.verify_party(party, staff_id=current_user.id)
        else:
            operations.reject_party(party, staff_id=current_user.id, reason=form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status != 422:
            _flash(error.message, "error")
            return redirect(url_for("parties.verification_queue"))
        reason = translate(next(iter(error.fields.values()), error.message))
        return _render_queue(
            {"kind": kind, "id": party_id, "message": reason, "reason": form.reason.data or ""}, 422
        )
    db.session.commit()
    if action == "verify":
        _flash(Msg("「%(name)s」已通过认证", name=party.name))
    else:
        _flash(Msg("「%(name)s」未通过认证，已通知对方修改后重新提交", name=party.name), "info")
    return redirect(url_for("parties.verification_queue"))


# ───────────── members: own profile and team ─────────────


@bp.route("/organization/profile", methods=["GET", "POST"])
@org_required
def edit_organization() -> Any:
    return _edit_profile(current_user.organization, OrganizationProfileForm, "parties/edit_organization.html")


@bp.route("/company/profile", methods=["GET", "POST"])
@require_role(Role.COMPANY)
def edit_company() -> Any:
    return _edit_profile(current_user.company, CompanyProfileForm, "parties/edit_company.html")


def _edit_profile(party: Organization | Company, form_class: Any, template: str) -> Any:
    if request.method == "GET":
        form = form_class(data=form_class.data_from(party))
        return render_template(template, form=form, party=party)
    form = form_class()
    if not form.validate():
        return render_template(template, form=form, party=party), 422
    was_verified = party.is_verified
    try:
        operations.update_party(party, form.party_input(), actor_id=current_user.id)
    except DomainError as error:
        db.session.rollback()
        populate_errors(form, error, aliases=PROFILE_ALIASES)
        return render_template(template, form=form, party=party), 422
    db.session.commit()
    if was_verified and not party.is_verified:
        _flash(Msg("资料已保存。名称或统一社会信用代码有变化，需要团区委重新认证。"), "warning")
    else:
        _flash(Msg("资料已保存"))
    return redirect(request.path)


@bp.route("/profile/resubmit", methods=["POST"])
@member_required
def resubmit_verification() -> Any:
    party = current_user.party
    endpoint = "parties.edit_organization" if isinstance(party, Organization) else "parties.edit_company"
    try:
        operations.resubmit_for_verification(party, actor_id=current_user.id)
    except DomainError as error:
        db.session.rollback()
        _flash(error.message, "error")
        return redirect(url_for(endpoint))
    db.session.commit()
    _flash(Msg("已重新提交认证，团区委会尽快审核"))
    return redirect(url_for(endpoint))


@bp.route("/team", methods=["GET", "POST"])
@member_required
def members() -> Any:
    party = current_user.party
    form = MemberForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                user = accounts.add_member(party, form.account_input(), actor_id=current_user.id)
            except DomainError as error:
                db.session.rollback()
                populate_errors(form, error)
            else:
                db.session.commit()
                _flash(
                    Msg(
                        "已添加同事 %(name)s，对方可以用 %(email)s 和初始密码登录",
                        name=user.name,
                        email=user.email,
                    )
                )
                return redirect(url_for("parties.members"))
    return (
        render_template(
            "parties/members.html",
            form=form,
            party=party,
            members=queries.party_members(party),
            party_url=_party_url(party),
        ),
        status,
    )


def _party_url(party: Organization | Company) -> str:
    if isinstance(party, Organization):
        return url_for("parties.organization", organization_id=party.id)
    return url_for("parties.company", company_id=party.id)
