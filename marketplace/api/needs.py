"""Community needs (社区需求): the public board, staff recording needs and moving them along, and
organizations answering them with their own projects.

Every rule lives in ``marketplace.needs.operations``; this module turns JSON into its input and its
results into JSON, and commits once. Categories are slugs (see /categories), districts names (see
/districts). List filters are strict: an unknown value is a 422, not an empty page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.api import bp
from marketplace.api.auth import api_login_required, api_roles, current_api_user, require_api_user
from marketplace.api.input import JsonField, checked_body, query_integer, require_fields
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.needs import operations as ops
from marketplace.needs import queries
from marketplace.needs.models import CommunityNeed, NeedResponse
from marketplace.needs.states import NeedStatus, Urgency
from marketplace.projects.models import Project
from marketplace.taxonomy.models import Category, District
from marketplace.timeutil import isoformat_local

DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
_PEOPLE = Msg("受影响人数应为整数")
NEED_FIELDS: Mapping[str, JsonField] = {
    "title": JsonField("string"),
    "community": JsonField("string"),
    "district": JsonField("string"),
    "category": JsonField("string"),
    "description": JsonField("string"),
    "people_affected": JsonField("integer", message=_PEOPLE),
    "urgency": JsonField("string"),
}
RESPONSE_FIELDS: Mapping[str, JsonField] = {
    "project_id": JsonField("integer", message=Msg("应为整数编号")),
    "note": JsonField("string"),
}
TRANSITION_FIELDS: Mapping[str, JsonField] = {"action": JsonField("string")}


# ───────────── JSON out ─────────────


def need_summary(need: CommunityNeed) -> dict[str, Any]:
    return {
        "id": need.id,
        "title": need.title,
        "description": need.description,
        "district": need.district,
        "community": need.community,
        "category": need.category.slug,
        "people_affected": need.people_affected,
        "urgency": need.urgency,
        "status": need.status,
        "responses_count": len(need.responses),
        "created_at": isoformat_local(need.created_at),
        "addressed_at": isoformat_local(need.addressed_at),
    }


def response_json(response: NeedResponse) -> dict[str, Any]:
    return {
        "id": response.id,
        "need_id": response.need_id,
        "project": {
            "id": response.project.id,
            "title": response.project.title,
            "status": response.project.status,
        },
        "organization": {"id": response.organization.id, "name": response.organization.name},
        "note": response.note,
        "created_at": isoformat_local(response.created_at),
    }


def need_detail(need: CommunityNeed) -> dict[str, Any]:
    shown, preparing = ops.visible_responses(need, current_api_user())
    return {
        **need_summary(need),
        "responses": [response_json(item) for item in shown],
        "responses_in_preparation": preparing,
    }


# ───────────── the board ─────────────


def _filters() -> tuple[queries.NeedFilters, int, int]:
    args = request.args
    errors: dict[str, str] = {}
    page = query_integer(args, "page", errors, default=1)
    per_page = query_integer(args, "per_page", errors, default=DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE)

    def choice(name: str, allowed: set[str], message: Msg) -> str | None:
        value = (args.get(name) or "").strip()
        if value and value not in allowed:
            errors[name] = message
        return value or None

    district = choice("district", set(db.session.scalars(select(District.name))), Msg("没有这个区县"))
    category = choice("category", set(db.session.scalars(select(Category.slug))), Msg("没有这个类别"))
    status = choice(
        "status", {item.value for item in NeedStatus}, Msg("状态只能是 open、in_progress 或 addressed")
    )
    urgency = choice(
        "urgency", {item.value for item in Urgency}, Msg("紧急程度只能是 low、normal、high 或 urgent")
    )
    sort = choice("sort", set(queries.SORT_LABELS), Msg("排序只能是 urgent、people 或 newest"))
    q = (args.get("q") or "").strip()
    if len(q) > queries.QUERY_MAX:
        errors["q"] = Msg("关键词不能超过 %(n)d 个字", n=queries.QUERY_MAX)
    if errors:
        raise DomainError(errors)
    assert page is not None and per_page is not None
    filters = queries.NeedFilters(
        district=district,
        category=category,
        status=status,
        urgency=urgency,
        q=q or None,
        sort=sort or queries.DEFAULT_SORT,
    )
    return filters, page, per_page


@bp.get("/needs")
def list_needs() -> Any:
    filters, page, per_page = _filters()
    found = queries.find_needs(filters, page=page, per_page=per_page)
    return jsonify(
        {
            "items": [need_summary(need) for need in found.items],
            "total": found.total,
            "page": page,
            "per_page": per_page,
            "status_counts": queries.counts_by_status(filters),
        }
    )


@bp.get("/needs/<int:need_id>")
def get_need(need_id: int) -> Any:
    return jsonify(need_detail(ops.get_need(need_id)))


# ───────────── staff ─────────────


def _need_input(body: Mapping[str, Any]) -> ops.NeedInput:
    return ops.NeedInput(
        title=body.get("title"),
        community=body.get("community"),
        district=body.get("district"),
        category=body.get("category"),
        description=body.get("description"),
        people_affected=body.get("people_affected"),
        urgency=body.get("urgency"),
    )


@bp.post("/needs")
@api_roles(Role.STAFF, Role.ADMIN)
def create_need() -> Any:
    body = checked_body(NEED_FIELDS)
    require_fields(
        body,
        {
            "title": Msg("需求标题"),
            "community": Msg("街道/社区"),
            "district": Msg("所在区县"),
            "category": Msg("需求类别"),
        },
    )
    need = ops.record_need(require_api_user(), _need_input(body))
    db.session.commit()
    response = jsonify(need_detail(need))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_need", need_id=need.id)
    return response


@bp.post("/needs/<int:need_id>/transitions")
@api_roles(Role.STAFF, Role.ADMIN)
def transition_need(need_id: int) -> Any:
    need = ops.get_need(need_id)
    body = checked_body(TRANSITION_FIELDS)
    require_fields(body, {"action": Msg("操作")})
    ops.transition_need(need, require_api_user(), body["action"])
    db.session.commit()
    return jsonify(need_detail(need))


# ───────────── organizations ─────────────


@bp.post("/needs/<int:need_id>/responses")
@api_login_required
def respond_to_need(need_id: int) -> Any:
    need = ops.get_need(need_id)
    user = ops.responding_organization_member(require_api_user())  # 403 before the body
    body = checked_body(RESPONSE_FIELDS)
    require_fields(body, {"project_id": Msg("响应的项目")})
    project = db.session.get(Project, body["project_id"])
    if project is None:
        raise DomainError.on("project_id", Msg("找不到该项目"))
    response = ops.respond(user, need, project, body.get("note") or "")
    db.session.commit()
    result = jsonify(response_json(response))
    result.status_code = 201
    result.headers["Location"] = url_for("api.get_need", need_id=need.id)
    return result
