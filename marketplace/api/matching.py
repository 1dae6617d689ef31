"""Sponsor matching and staff introductions (牵线): a company's sponsor profile, the projects that
fit it, the companies that fit a project, and the introductions staff send and companies answer.

Every rule lives in ``marketplace.matching.operations`` (the same as for the pages and the CLI);
this module turns JSON into their inputs and their results into JSON. Amounts are integer fen.
Reasons are rendered in the caller's language (``Accept-Language: en``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import jsonify, request, url_for

from marketplace.accounts.models import Role, User
from marketplace.api import bp, serializers
from marketplace.api.auth import api_login_required, require_api_user
from marketplace.api.input import JsonField, checked_body, query_integer, require_fields
from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.matching.models import Introduction
from marketplace.matching.operations import VOLUNTEERS_MAX, SponsorProfileInput
from marketplace.matching.scoring import MAX_LIMIT, Audience
from marketplace.messages import Msg
from marketplace.parties.models import Company
from marketplace.projects.models import Project
from marketplace.projects.operations import get_visible_project
from marketplace.timeutil import LOCAL_TZ

DEFAULT_LIMIT = 20
INTRODUCTIONS_MAX = 100
RESPONSE_NOTE_MAX = 500
_FEN = Msg("金额必须是以分为单位的整数")
PROFILE_FIELDS: Mapping[str, JsonField] = {
    "focus_categories": JsonField("string_list", message=Msg("项目类别应为类别代码列表")),
    "districts": JsonField("string_list", message=Msg("区县应为区县名称列表")),
    "pledge_min": JsonField("integer", nullable=True, message=_FEN),
    "pledge_max": JsonField("integer", nullable=True, message=_FEN),
    "yearly_budget": JsonField("integer", nullable=True, message=_FEN),
    "interest_statement": JsonField("string"),
    "preferred_grades": JsonField("string_list", message=Msg("组织评级应为 A1 至 A5 组成的列表")),
    "preferred_tiers": JsonField(
        "string_list", message=Msg("组织梯队应为 leading、demonstration、growing 组成的列表")
    ),
    "volunteer_capacity": JsonField(
        "integer", nullable=True, message=Msg("志愿者人数应为 0 到 %(n)s 之间的整数", n=VOLUNTEERS_MAX)
    ),
}
# A PUT replaces the whole profile, so these must be sent (amounts may be null: no preference).
PROFILE_REQUIRED: Mapping[str, Msg] = {
    "focus_categories": Msg("关注的项目类别（可为空列表）"),
    "districts": Msg("关注的区县（可为空列表）"),
    "pledge_min": Msg("单笔认捐下限（分，可为 null）"),
    "pledge_max": Msg("单笔认捐上限（分，可为 null）"),
    "yearly_budget": Msg("年度公益预算（分，可为 null）"),
    "interest_statement": Msg("关注说明（可为空字符串）"),
}
_ID = Msg("应为整数编号")
INTRODUCTION_FIELDS: Mapping[str, JsonField] = {
    "company_id": JsonField("integer", message=_ID),
    "project_id": JsonField("integer", message=_ID),
    "note": JsonField("string", nullable=True),
}
RESPONSE_FIELDS: Mapping[str, JsonField] = {
    "status": JsonField("string"),
    "note": JsonField("string", nullable=True),
}
_DAY = Msg("请填写日期，例如 2026-09-07")


def _is_member(company: Company, user: User) -> bool:
    return user.role == Role.COMPANY and user.company_id == company.id


def _company_or_404(company_id: int, user: User) -> Company:
    """The company; one that staff have not verified is hidden (404) from all but its members and
    staff, as on its public profile."""
    company = db.session.get(Company, company_id)
    if company is None or not (company.is_verified or user.is_staff or _is_member(company, user)):
        raise NotFound.on("company", Msg("找不到该企业"))
    return company


def _introduction_or_404(introduction_id: int, user: User) -> Introduction:
    introduction = db.session.get(Introduction, introduction_id)
    if introduction is None:
        raise NotFound.on("introduction", Msg("找不到该介绍"))
    matching.require_introduction_access(introduction, user)  # 404 for everyone else
    return introduction


def _limit(default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    errors: dict[str, str] = {}
    limit = query_integer(request.args, "limit", errors, default=default, maximum=maximum)
    if errors:
        raise DomainError(errors)
    assert limit is not None
    return limit


def _require_staff(user: User, reason: Msg) -> None:
    if not user.is_staff:
        raise Forbidden.on("introduction", reason)


# ───────────── the sponsor profile ─────────────


def _profile_response(company: Company) -> Any:
    return jsonify(serializers.sponsor_profile(company, matching.sponsor_profile_of(company)))


@bp.get("/companies/<int:company_id>/sponsor-profile")
@api_login_required
def get_sponsor_profile(company_id: int) -> Any:
    user = require_api_user()
    company = _company_or_404(company_id, user)
    if not (user.is_staff or _is_member(company, user)):
        raise Forbidden.on("company", Msg("只有该企业的成员和团区委工作人员可以查看赞助偏好"))
    return _profile_response(company)


@bp.put("/companies/<int:company_id>/sponsor-profile")
@api_login_required
def save_sponsor_profile_endpoint(company_id: int) -> Any:
    user = require_api_user()
    company = _company_or_404(company_id, user)
    matching.require_company_member(company, user)  # 403 before the body is read
    body = checked_body(PROFILE_FIELDS)
    missing = {
        name: Msg("请填写%(label)s", label=label)
        for name, label in PROFILE_REQUIRED.items()
        if name not in body
    }
    if missing:
        raise DomainError(missing)
    matching.save_sponsor_profile(
        company,
        SponsorProfileInput(
            focus_categories=body["focus_categories"],
            districts=body["districts"],
            pledge_min=body["pledge_min"],
            pledge_max=body["pledge_max"],
            yearly_budget=body["yearly_budget"],
            interest_statement=body["interest_statement"],
            preferred_grades=body.get("preferred_grades") or [],
            preferred_tiers=body.get("preferred_tiers") or [],
            volunteer_capacity=body.get("volunteer_capacity"),
        ),
        user,
    )
    db.session.commit()
    return _profile_response(company)


# ───────────── matches ─────────────


@bp.get("/companies/<int:company_id>/matches")
@api_login_required
def get_company_matches(company_id: int) -> Any:
    user = require_api_user()
    company = _company_or_404(company_id, user)
    matching.require_company_access(company, user)
    limit = _limit()
    audience = Audience.BROKER if user.is_staff else Audience.COMPANY
    found = matching.company_matches(company, limit=limit, audience=audience)
    profile = matching.sponsor_profile_of(company)
    return jsonify(
        {
            "items": [serializers.project_match(item) for item in found],
            "profile_complete": not matching.missing_profile_parts(company, profile),
        }
    )


@bp.get("/projects/<int:project_id>/sponsor-matches")
@api_login_required
def get_project_sponsor_matches(project_id: int) -> Any:
    user = require_api_user()
    project = get_visible_project(project_id, user)  # 404 for projects the caller may not see
    matching.require_project_access(project, user)
    limit = _limit()
    found = matching.project_sponsors(project, limit=limit)
    return jsonify({"items": [serializers.sponsor_match(item) for item in found]})


# ───────────── introductions ─────────────


def _introduction_response(introduction: Introduction, status: int = 200) -> Any:
    raised = matching.raised_through([introduction])
    response = jsonify(serializers.introduction(introduction, raised))
    response.status_code = status
    return response


@bp.post("/introductions")
@api_login_required
def create_introduction() -> Any:
    user = require_api_user()
    _require_staff(user, Msg("只有团区委工作人员可以发送牵线介绍"))
    body = checked_body(INTRODUCTION_FIELDS)
    require_fields(body, {"company_id": Msg("企业编号"), "project_id": Msg("项目编号")})
    company = db.session.get(Company, body["company_id"])
    if company is None:
        raise NotFound.on("company_id", Msg("找不到该企业"))
    project = db.session.get(Project, body["project_id"])
    if project is None:
        raise NotFound.on("project_id", Msg("找不到该项目"))
    introduction = matching.send_introduction(user, company, project, body.get("note") or "")
    db.session.commit()
    response = _introduction_response(introduction, 201)
    response.headers["Location"] = url_for("api.get_introduction", introduction_id=introduction.id)
    return response


@bp.get("/introductions")
@api_login_required
def list_introductions_endpoint() -> Any:
    user = require_api_user()
    if not (user.is_staff or user.role == Role.COMPANY):  # 403 before the parameters are read
        raise Forbidden.on("introduction", Msg("只有企业成员和团区委工作人员可以查看牵线介绍"))
    errors: dict[str, str] = {}
    filters = {
        name: query_integer(request.args, name, errors) for name in ("staff_id", "company_id", "project_id")
    }
    limit = query_integer(request.args, "limit", errors, default=INTRODUCTIONS_MAX, maximum=INTRODUCTIONS_MAX)
    if errors:
        raise DomainError(errors)
    assert limit is not None
    found = matching.list_introductions(
        user, status=request.args.get("status") or None, limit=limit, **filters
    )
    raised = matching.raised_through(found)
    return jsonify({"items": [serializers.introduction(item, raised) for item in found]})


def _day(name: str, errors: dict[str, str]) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _DAY
        return None


def _start_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


@bp.get("/introductions/funnel")
@api_login_required
def get_introduction_funnel() -> Any:
    user = require_api_user()
    _require_staff(user, Msg("只有团区委工作人员可以查看牵线成效"))
    errors: dict[str, str] = {}
    since, until = _day("since", errors), _day("until", errors)
    if errors:
        raise DomainError(errors)
    by = request.args.get("by") or "staff"
    rows = matching.funnel(
        by=by,
        since=_start_of_local_day(since) if since else None,
        until=_start_of_local_day(until + timedelta(days=1)) if until else None,
    )
    return jsonify({"by": by, "rows": [serializers.funnel_row(row) for row in rows]})


@bp.get("/introductions/<int:introduction_id>")
@api_login_required
def get_introduction(introduction_id: int) -> Any:
    user = require_api_user()
    return _introduction_response(_introduction_or_404(introduction_id, user))


@bp.patch("/introductions/<int:introduction_id>")
@api_login_required
def respond_to_introduction_endpoint(introduction_id: int) -> Any:
    user = require_api_user()
    introduction = _introduction_or_404(introduction_id, user)
    if user.role != Role.COMPANY:  # staff see it but may not answer for the company
        raise Forbidden.on("status", Msg("只有被介绍的企业可以回复介绍"))
    body = checked_body(RESPONSE_FIELDS)
    require_fields(body, {"status": Msg("回复状态")})
    matching.respond_to_introduction(introduction, user, body["status"], body.get("note") or "")
    db.session.commit()
    return _introduction_response(introduction)
