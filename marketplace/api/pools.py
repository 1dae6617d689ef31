"""Matching pools (配捐): a verified company opens one; everyone may look at them.

The pool's terms are checked by ``pledges.operations.open_matching_pool`` (the same rules as the
page); this module only turns JSON into its input: integer fen, a ratio in basis points
(10000 = 1:1), category slugs and district names, and moments as ISO 8601.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace.api import bp, serializers
from marketplace.api.auth import api_login_required, current_api_user, require_api_user
from marketplace.api.input import JsonField, checked_body, query_integer, require_fields
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.pledges.models import MatchingPool
from marketplace.pledges.operations import PoolInput, open_matching_pool, pledging_company, pool_projects
from marketplace.projects.operations import can_view
from marketplace.taxonomy.models import Category
from marketplace.timeutil import LOCAL_TZ, end_of_local_day, parse_iso_deadline

DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
_FEN = Msg("金额必须是以分为单位的整数")
POOL_FIELDS: Mapping[str, JsonField] = {
    "name": JsonField("string"),
    "description": JsonField("string", nullable=True),
    "budget": JsonField("integer", message=_FEN),
    "ratio_bp": JsonField("integer", message=Msg("配捐比例应为整数基点，10000 表示 1:1")),
    "cap_per_pledge": JsonField("integer", nullable=True, message=_FEN),
    "cap_per_project": JsonField("integer", nullable=True, message=_FEN),
    "categories": JsonField("string_list", message=Msg("项目类别应为类别代码列表")),
    "districts": JsonField("string_list", message=Msg("区县应为区县名称列表")),
    "starts_at": JsonField("string"),
    "ends_at": JsonField("string"),
}
# Field names of the operation's errors → the names this API uses for the same input.
_API_FIELD_NAMES = {"ratio": "ratio_bp", "category_ids": "categories"}
_MOMENT = Msg("请填写日期（如 2026-09-07）或带时区的时间（如 2026-09-07T09:00:00+08:00）")


def parse_moment(value: str, *, end_of_day: bool) -> datetime:
    """``YYYY-MM-DD`` (the start — or the end — of that day in Wenzhou) or an ISO 8601 timestamp
    (without an offset: Wenzhou time); naive UTC. Raises ValueError for anything else."""
    value = value.strip()
    if len(value) == 10:
        day = date.fromisoformat(value)
        if end_of_day:
            return end_of_local_day(day)
        return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)
    return parse_iso_deadline(value)


def _category_slugs() -> dict[int, str]:
    return {row[0]: row[1] for row in db.session.execute(select(Category.id, Category.slug))}


def _pool_input(body: Mapping[str, Any]) -> PoolInput:
    require_fields(
        body,
        {
            "name": Msg("配捐计划名称"),
            "budget": Msg("配捐预算（分）"),
            "ratio_bp": Msg("配捐比例"),
            "starts_at": Msg("开始时间"),
            "ends_at": Msg("结束时间"),
        },
    )
    errors: dict[str, str] = {}
    moments: dict[str, datetime] = {}
    for name in ("starts_at", "ends_at"):
        try:
            moments[name] = parse_moment(body[name], end_of_day=name == "ends_at")
        except ValueError:
            errors[name] = _MOMENT
    slugs = body.get("categories") or []
    by_slug = {slug: category_id for category_id, slug in _category_slugs().items()}
    if any(slug not in by_slug for slug in slugs):
        errors["categories"] = Msg("包含不存在的项目类别")
    if errors:
        raise DomainError(errors)
    return PoolInput(
        name=body["name"],
        budget=body["budget"],
        ratio_bp=body["ratio_bp"],
        starts_at=moments["starts_at"],
        ends_at=moments["ends_at"],
        cap_per_pledge=body.get("cap_per_pledge"),
        cap_per_project=body.get("cap_per_project"),
        category_ids=tuple(by_slug[slug] for slug in slugs),
        districts=tuple(body.get("districts") or ()),
        description=body.get("description") or "",
    )


def _pool_detail(pool: MatchingPool) -> dict[str, Any]:
    user = current_api_user()
    return {
        **serializers.pool(pool, _category_slugs()),
        "projects": [
            {"id": project.id, "title": project.title, "matched_amount": matched}
            for project, matched in pool_projects(pool)
            if can_view(project, user)
        ],
    }


@bp.post("/matching-pools")
@api_login_required
def create_matching_pool() -> Any:
    user = require_api_user()
    pledging_company(user)  # 403 for everyone but members of verified companies, before the body
    data = _pool_input(checked_body(POOL_FIELDS))
    try:
        pool = open_matching_pool(user, data)
    except DomainError as error:
        if type(error) is DomainError:
            fields = {_API_FIELD_NAMES.get(name, name): reason for name, reason in error.fields.items()}
            raise DomainError(fields, error.message) from None
        raise
    db.session.commit()
    response = jsonify(_pool_detail(pool))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_matching_pool", pool_id=pool.id)
    return response


@bp.get("/matching-pools")
def list_matching_pools() -> Any:
    errors: dict[str, str] = {}
    company_id = query_integer(request.args, "company_id", errors)
    page = query_integer(request.args, "page", errors, default=1)
    per_page = query_integer(request.args, "per_page", errors, default=DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE)
    if errors:
        raise DomainError(errors)
    assert page is not None and per_page is not None
    conditions = [] if company_id is None else [MatchingPool.company_id == company_id]
    total = db.session.scalar(select(func.count()).select_from(MatchingPool).where(*conditions)) or 0
    pools = db.session.scalars(
        select(MatchingPool)
        .where(*conditions)
        .options(joinedload(MatchingPool.company))
        .order_by(MatchingPool.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    slugs = _category_slugs()
    return jsonify(
        {
            "items": [serializers.pool(pool, slugs) for pool in pools],
            "total": total,
            "page": page,
            "per_page": per_page,
        }
    )


@bp.get("/matching-pools/<int:pool_id>")
def get_matching_pool(pool_id: int) -> Any:
    pool = db.session.get(MatchingPool, pool_id)
    if pool is None:
        raise NotFound.on("pool", Msg("找不到该配捐计划"))
    return jsonify(_pool_detail(pool))
