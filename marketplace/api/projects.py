"""Projects: list, detail, create, edit and the review workflow. Each endpoint calls the same
operations as the pages; this module only translates JSON to their inputs and back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Role, User
from marketplace.api import bp
from marketplace.api.auth import api_login_required, api_roles, current_api_user, require_api_user
from marketplace.api.input import JsonField, checked_body, query_integer
from marketplace.api.serializers import project_detail, project_summary
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.moderation.visibility import listed_projects
from marketplace.projects.models import Project
from marketplace.projects.operations import (
    ProjectInput,
    create_project,
    get_visible_project,
    transition_project,
    update_project,
)
from marketplace.projects.states import PUBLIC_STATUSES, ProjectAction, ProjectStatus
from marketplace.search.fallback import facet_counts
from marketplace.search.service import search_projects, visible_statuses_for
from marketplace.search.types import PROGRESS_BUCKETS, SORTS, SearchRequest
from marketplace.taxonomy.models import Category, District
from marketplace.web import translate

DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
REASON_MAX = 500
# The actions people take; fund / fail / close belong to the deadline job alone.
API_ACTIONS: tuple[ProjectAction, ...] = (
    ProjectAction.SUBMIT,
    ProjectAction.PUBLISH,
    ProjectAction.RETURN,
    ProjectAction.CANCEL,
    ProjectAction.REVISE,
)
_GOAL_TYPE = Msg("筹款目标必须是以分为单位的整数")
PROJECT_FIELDS: Mapping[str, JsonField] = {
    "title": JsonField("string"),
    "summary": JsonField("string"),
    "description": JsonField("string", nullable=True),
    "category": JsonField("string"),
    "tags": JsonField("string_list", message=Msg("标签必须是文字列表")),
    "district": JsonField("string"),
    "community": JsonField("string", nullable=True),
    "goal_amount": JsonField("integer", message=_GOAL_TYPE),
    "deadline": JsonField("string"),
    "funding_model": JsonField("string"),
    "beneficiaries": JsonField("integer"),
    "video_url": JsonField("string", nullable=True),
}
# null clears these optional texts.
_CLEARED_BY_NULL = ("description", "community", "video_url")
TRANSITION_FIELDS: Mapping[str, JsonField] = {
    "action": JsonField("string"),
    "reason": JsonField("string", nullable=True),
}


# ───────────── listing ─────────────


@dataclass(frozen=True)
class ProjectListQuery:
    status: str | None
    category_id: int | None
    district: str | None
    organization_id: int | None
    page: int
    per_page: int
    category: str | None = None
    q: str | None = None
    sort: str | None = None
    progress: str | None = None

    @property
    def is_search(self) -> bool:
        return bool(self.q or self.sort or self.progress)

    def search_request(self, user: User | None) -> SearchRequest:
        return SearchRequest(
            text=self.q or "",
            categories=(self.category,) if self.category else (),
            districts=(self.district,) if self.district else (),
            statuses=(self.status,) if self.status else (),
            visible_statuses=visible_statuses_for(user),
            progress=self.progress,
            organization_id=self.organization_id,
            sort=self.sort or "relevance",
            page=self.page,
            per_page=self.per_page,
        )

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ProjectListQuery:
        """Validate every filter at once; unknown values are errors, not silently ignored."""
        errors: dict[str, str] = {}
        status = (args.get("status") or "").strip() or None
        if status is not None and status not in {item.value for item in ProjectStatus}:
            errors["status"] = Msg("未知的项目状态")
        category_id = None
        if slug := (args.get("category") or "").strip():
            category_id = db.session.scalar(select(Category.id).where(Category.slug == slug))
            if category_id is None:
                errors["category"] = Msg("未知的项目类别")
        district = (args.get("district") or "").strip() or None
        if district is not None and db.session.get(District, district) is None:
            errors["district"] = Msg("请选择温州市的一个区县")
        organization_id = query_integer(args, "organization_id", errors)
        page = query_integer(args, "page", errors, default=1)
        per_page = query_integer(args, "per_page", errors, default=DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE)
        sort = (args.get("sort") or "").strip() or None
        if sort is not None and sort not in SORTS:
            errors["sort"] = Msg("排序方式只能是 %(choices)s", choices=" / ".join(SORTS))
        progress = (args.get("progress") or "").strip() or None
        if progress is not None and progress not in PROGRESS_BUCKETS:
            errors["progress"] = Msg("筹款进度只能是 %(choices)s", choices=" / ".join(PROGRESS_BUCKETS))
        # Over-long text is cut by the search engine, which says so in `notices`.
        q = " ".join((args.get("q") or "").split())[:1000] or None
        if errors:
            raise DomainError(errors)
        assert page is not None and per_page is not None
        return cls(
            status, category_id, district, organization_id, page, per_page, slug or None, q, sort, progress
        )


def visible_projects_condition(user: User | None) -> ColumnElement[bool] | None:
    """SQL form of ``operations.can_view``: public states, plus everything of one's own
    organization; staff see all (None: no condition)."""
    if user is not None and user.is_staff:
        return None
    public = and_(Project.status.in_([status.value for status in PUBLIC_STATUSES]), listed_projects())
    if user is not None and user.role == Role.ORG and user.organization_id is not None:
        return or_(public, Project.organization_id == user.organization_id)
    return public


def _conditions(query: ProjectListQuery, user: User | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if (visible := visible_projects_condition(user)) is not None:
        conditions.append(visible)
    if query.status is not None:
        conditions.append(Project.status == query.status)
    if query.category_id is not None:
        conditions.append(Project.category_id == query.category_id)
    if query.district is not None:
        conditions.append(Project.district == query.district)
    if query.organization_id is not None:
        conditions.append(Project.organization_id == query.organization_id)
    return conditions


def list_projects(query: ProjectListQuery, user: User | None) -> tuple[list[Project], int]:
    conditions = _conditions(query, user)
    total = db.session.scalar(select(func.count()).select_from(Project).where(*conditions)) or 0
    items = db.session.scalars(
        select(Project)
        .where(*conditions)
        .options(joinedload(Project.organization), joinedload(Project.category))
        .order_by(Project.id.desc())
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    return list(items), total


@bp.get("/projects")
def list_projects_endpoint() -> Any:
    query = ProjectListQuery.from_args(request.args)
    user = current_api_user()
    if query.is_search:
        result, items = search_projects(query.search_request(user))
        highlights = {hit.project_id: hit.highlights for hit in result.hits}
        total, facets = result.total, result.facets
        notices, suggestion = [translate(notice) for notice in result.notices], result.suggestion
    else:
        items, total = list_projects(query, user)
        highlights, facets = {}, facet_counts(_conditions(query, user))
        notices, suggestion = [], None
    return jsonify(
        {
            "items": [
                {**project_summary(project), "highlight": highlights.get(project.id, {})} for project in items
            ],
            "total": total,
            "page": query.page,
            "per_page": query.per_page,
            "facets": facets,
            "notices": notices,
            "suggestion": suggestion,
        }
    )


# ───────────── one project ─────────────


@bp.get("/projects/<int:project_id>")
def get_project(project_id: int) -> Any:
    user = current_api_user()
    return jsonify(project_detail(get_visible_project(project_id, user), user))


def _project_input() -> ProjectInput:
    body = checked_body(PROJECT_FIELDS)
    for name in _CLEARED_BY_NULL:
        if name in body and body[name] is None:
            body[name] = ""
    return ProjectInput(**body)


@bp.post("/projects")
@api_roles(Role.ORG)
def create_project_endpoint() -> Any:
    user = require_api_user()
    project = create_project(user, _project_input())
    db.session.commit()
    response = jsonify(project_detail(project, user))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_project", project_id=project.id)
    return response


@bp.patch("/projects/<int:project_id>")
@api_login_required
def update_project_endpoint(project_id: int) -> Any:
    user = require_api_user()
    project = get_visible_project(project_id, user)
    data = _project_input()
    update_project(project, user, data)
    db.session.commit()
    return jsonify(project_detail(project, user))


@bp.post("/projects/<int:project_id>/transitions")
@api_login_required
def transition_project_endpoint(project_id: int) -> Any:
    user = require_api_user()
    project = get_visible_project(project_id, user)
    body = checked_body(TRANSITION_FIELDS)
    action, reason = body.get("action"), body.get("reason")
    errors: dict[str, str] = {}
    if not action:
        errors["action"] = Msg("请选择要执行的操作")
    elif action not in {item.value for item in API_ACTIONS}:
        errors["action"] = Msg(
            "未知的操作，可选：%(actions)s", actions=", ".join(item.value for item in API_ACTIONS)
        )
    if reason is not None and len(reason.strip()) > REASON_MAX:
        errors["reason"] = Msg("原因不能超过 %(n)d 个字", n=REASON_MAX)
    if errors:
        raise DomainError(errors)
    transition_project(project, action, user, reason=reason)
    db.session.commit()
    return jsonify(project_detail(project, user))
