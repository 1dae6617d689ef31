"""Community needs (社区需求): staff and grid stewards (铺掌柜) record them, organizations answer them
with their own projects, staff move them along ``open → in_progress → addressed``.

The use cases behind the pages, the API and the demo: they validate, change state, audit and flush;
the caller commits once. The lifecycle itself is the pure ``states.py`` table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.needs.models import CommunityNeed, NeedResponse
from marketplace.needs.states import NEED_STATUS_LABELS, NeedStatus, Urgency, next_status
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStatus
from marketplace.taxonomy.models import Category, District
from marketplace.timeutil import utcnow

TITLE_MAX = 60
COMMUNITY_MAX = 100
DESCRIPTION_MAX = 2000
NOTE_MAX = 500
# More people than live in Wenzhou (~9.7 million) is a typing mistake, not a need.
PEOPLE_MAX = 10_000_000
# A project in preparation may answer a need (an organization often drafts one for it), and so may
# one that raised its money (funded; closed = keep-it-all, the money goes to the work). A project
# that failed or was cancelled will not happen, so it answers nothing.
RESPONDING_PROJECT_STATUSES: frozenset[str] = frozenset(
    {
        ProjectStatus.DRAFT,
        ProjectStatus.SUBMITTED,
        ProjectStatus.RETURNED,
        ProjectStatus.PUBLISHED,
        ProjectStatus.FUNDED,
        ProjectStatus.CLOSED,
    }
)
ACTION_LABELS: dict[str, Msg] = {
    "start": Msg("标记为响应中"),
    "address": Msg("标记为已解决"),
    "reopen": Msg("重新开放"),
}


@dataclass
class NeedInput:
    """Plain input from a form, the API or the demo. On edit, unset (None) fields are left alone."""

    title: str | None = None
    community: str | None = None
    district: str | None = None
    category: str | None = None  # slug
    description: str | None = None
    people_affected: Any = None  # int, or digits as typed
    urgency: str | None = None

    def provided(self) -> set[str]:
        return {item.name for item in fields(self) if getattr(self, item.name) is not None}


# ───────────── lookups and permissions ─────────────


def get_need(need_id: int) -> CommunityNeed:
    need = db.session.get(CommunityNeed, need_id)
    if need is None:
        raise NotFound.on("need", Msg("找不到该社区需求"))
    return need


def require_staff(actor: User | None) -> User:
    if actor is None or not actor.is_staff:
        raise Forbidden.on("actor", Msg("只有团区委工作人员和铺掌柜可以登记和处理社区需求"))
    return actor


def responding_organization_member(actor: User | None) -> User:
    """A member of a verified organization: the only people who answer needs with projects."""
    if actor is None or actor.role != Role.ORG or actor.organization is None:
        raise Forbidden.on("actor", Msg("只有公益组织成员可以用项目响应社区需求"))
    if not actor.organization.is_verified:
        raise Forbidden.on("actor", Msg("贵组织通过团区委认证后才能响应社区需求"))
    return actor


def need_answered_by(project: Project) -> CommunityNeed | None:
    """The need a project answers (at most one), or None."""
    return db.session.scalar(
        select(CommunityNeed).join(NeedResponse).where(NeedResponse.project_id == project.id)
    )


def projects_to_offer(actor: User) -> list[Project]:
    """The organization's projects that could answer a need now: in a state that will happen and
    not already answering another need."""
    if actor.organization_id is None:
        return []
    answering = select(NeedResponse.project_id)
    return list(
        db.session.scalars(
            select(Project)
            .where(
                Project.organization_id == actor.organization_id,
                Project.status.in_(list(RESPONDING_PROJECT_STATUSES)),
                Project.id.not_in(answering),
            )
            .order_by(Project.id.desc())
        )
    )


def _lock(need: CommunityNeed) -> None:
    """Serialise changes to one need: the no-op UPDATE takes the row lock (PostgreSQL) or the write
    lock (SQLite) until commit, then the need is read again."""
    db.session.flush()
    db.session.execute(
        update(CommunityNeed)
        .where(CommunityNeed.id == need.id)
        .values(id=CommunityNeed.id, updated_at=CommunityNeed.updated_at)  # not a change: keep updated_at
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(need)


# ───────────── cleaning input ─────────────


def _clean_text(
    errors: dict[str, str],
    values: dict[str, Any],
    name: str,
    value: Any,
    label: Msg,
    limit: int,
    required: bool,
) -> None:
    if not isinstance(value, str):
        errors[name] = Msg("%(label)s必须是文字", label=label)
        return
    text = value.strip()
    if required and not text:
        errors[name] = Msg("请填写%(label)s", label=label)
    elif len(text) > limit:
        errors[name] = Msg(
            "%(label)s不能超过 %(n)d 个字（现在 %(m)d 个字）", label=label, n=limit, m=len(text)
        )
    else:
        values[name] = text


def _clean_people(errors: dict[str, str], values: dict[str, Any], value: Any) -> None:
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else text
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= PEOPLE_MAX:
        errors["people_affected"] = Msg("受影响人数应为 0 到 %(n)d 之间的整数", n=PEOPLE_MAX)
    else:
        values["people_affected"] = value


def _clean_choices(errors: dict[str, str], values: dict[str, Any], data: NeedInput) -> None:
    if data.district is not None:
        district = data.district.strip() if isinstance(data.district, str) else ""
        if not district:
            errors["district"] = Msg("请选择所在区县")
        elif db.session.get(District, district) is None:
            errors["district"] = Msg("请选择温州市的一个区县")
        else:
            values["district"] = district
    if data.category is not None:
        slug = data.category.strip() if isinstance(data.category, str) else ""
        category_id = db.session.scalar(select(Category.id).where(Category.slug == slug)) if slug else None
        if not slug:
            errors["category"] = Msg("请选择需求类别")
        elif category_id is None:
            errors["category"] = Msg("请选择有效的需求类别")
        else:
            values["category_id"] = category_id
    if data.urgency is not None:
        if data.urgency not in {item.value for item in Urgency}:
            errors["urgency"] = Msg("紧急程度只能是：不急、一般、紧急、非常紧急")
        else:
            values["urgency"] = data.urgency


def clean_need_input(data: NeedInput, *, required: bool) -> dict[str, Any]:
    """Validate every provided field at once; raise one DomainError naming each bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    given = data.provided()
    for name, label, limit, must in (
        ("title", Msg("需求标题"), TITLE_MAX, True),
        ("community", Msg("街道/社区"), COMMUNITY_MAX, True),
        ("description", Msg("需求描述"), DESCRIPTION_MAX, False),
    ):
        if name in given:
            _clean_text(errors, values, name, getattr(data, name), label, limit, must)
        elif required and must:
            errors[name] = Msg("请填写%(label)s", label=label)
    for name, message in (
        ("district", Msg("请选择所在区县")),
        ("category", Msg("请选择需求类别")),
    ):
        if required and name not in given:
            errors[name] = message
    _clean_choices(errors, values, data)
    if "people_affected" in given:
        _clean_people(errors, values, data.people_affected)
    if errors:
        raise DomainError(errors)
    return values


# ───────────── staff: record, edit, move along ─────────────


def record_need(staff: User | None, data: NeedInput) -> CommunityNeed:
    """A need collected in a community, recorded by staff or a grid steward."""
    actor = require_staff(staff)
    values = clean_need_input(data, required=True)
    defaults = {"description": "", "people_affected": 0, "urgency": Urgency.NORMAL.value}
    need = CommunityNeed(**{**defaults, **values}, status=NeedStatus.OPEN.value, recorded_by_id=actor.id)
    db.session.add(need)
    db.session.flush()
    audit.record_by(actor, "need.recorded", subject=need, payload={"title": need.title, **_facts(need)})
    return need


def edit_need(need: CommunityNeed, staff: User | None, data: NeedInput) -> CommunityNeed:
    actor = require_staff(staff)
    values = clean_need_input(data, required=False)
    changed = {name: value for name, value in values.items() if getattr(need, name) != value}
    for name, value in changed.items():
        setattr(need, name, value)
    db.session.flush()
    if changed:
        audit.record_by(actor, "need.edited", subject=need, payload={"changed": sorted(changed)})
    return need


def transition_need(need: CommunityNeed, staff: User | None, action: str) -> CommunityNeed:
    """Staff's start / address / reopen, through the pure transition table."""
    actor = require_staff(staff)
    if action not in ACTION_LABELS:
        raise DomainError.on(
            "action", Msg("操作只能是 start（开始响应）、address（已解决）或 reopen（重新开放）")
        )
    _lock(need)
    target = next_status(need.status, action)
    if target is None:
        raise Conflict.on(
            "action",
            Msg(
                "「%(status)s」的需求不能%(action)s",
                status=NEED_STATUS_LABELS[NeedStatus(need.status)],
                action=ACTION_LABELS[action],
            ),
        )
    _move(need, target, actor, action)
    return need


def _move(need: CommunityNeed, target: NeedStatus, actor: User | None, action: str) -> None:
    previous = need.status
    need.status = target
    need.addressed_at = utcnow() if target == NeedStatus.ADDRESSED else None
    db.session.flush()
    audit.record_by(actor, f"need.{action}", subject=need, payload={"from": str(previous), "to": str(target)})


# ───────────── organizations: respond, withdraw ─────────────


def respond(actor: User | None, need: CommunityNeed, project: Project, note: str = "") -> NeedResponse:
    """An organization answers a need with one of its own projects. The first answer moves an open
    need to in_progress; a project answers at most one need."""
    member = responding_organization_member(actor)
    if project.organization_id != member.organization_id:
        raise Forbidden.on("project_id", Msg("只能用本组织自己的项目响应社区需求"))
    if project.status not in RESPONDING_PROJECT_STATUSES:
        raise Conflict.on(
            "project_id",
            Msg("「%(status)s」的项目不能用来响应社区需求", status=project.status_label),
        )
    text = note.strip() if isinstance(note, str) else None
    if text is None or len(text) > NOTE_MAX:
        raise DomainError.on("note", Msg("响应说明不能超过 %(n)d 个字", n=NOTE_MAX))
    _lock(need)
    if need.status == NeedStatus.ADDRESSED:
        raise Conflict.on("need", Msg("该需求已经解决，不再接受新的响应"))
    answered = need_answered_by(project)
    if answered is not None:
        raise Conflict.on(
            "project_id",
            Msg(
                "项目「%(project)s」已在回应社区需求「%(need)s」，一个项目只能回应一个需求",
                project=project.title,
                need=answered.title,
            ),
        )
    response = NeedResponse(
        need_id=need.id,
        project_id=project.id,
        organization_id=member.organization_id,
        note=text,
        responded_by_id=member.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
            db.session.flush()
    except IntegrityError:  # another request linked the same project meanwhile
        raise Conflict.on(
            "project_id", Msg("该项目已在回应另一个社区需求，一个项目只能回应一个需求")
        ) from None
    db.session.expire(need, ["responses"])
    audit.record_by(
        member, "need.responded", subject=need, payload={"project_id": project.id, "response_id": response.id}
    )
    if need.status == NeedStatus.OPEN:
        _move(need, NeedStatus.IN_PROGRESS, member, "start")
    _notify_recorder(need, project, member)
    return response


def get_response(need: CommunityNeed, response_id: int) -> NeedResponse:
    response = db.session.get(NeedResponse, response_id)
    if response is None or response.need_id != need.id:
        raise NotFound.on("response", Msg("找不到该响应"))
    return response


def withdraw_response(actor: User | None, response: NeedResponse) -> CommunityNeed:
    """The responding organization (or staff) takes its project off the need. When the last answer
    of a need in progress goes, the need is open again."""
    is_member = (
        actor is not None and actor.role == Role.ORG and actor.organization_id == response.organization_id
    )
    if actor is None or not (is_member or actor.is_staff):
        raise Forbidden.on("response", Msg("只有响应的组织成员和团区委工作人员可以撤回响应"))
    need = response.need
    _lock(need)
    project_id = response.project_id
    need.responses.remove(response)
    db.session.flush()
    audit.record_by(actor, "need.response_withdrawn", subject=need, payload={"project_id": project_id})
    if need.status == NeedStatus.IN_PROGRESS and not need.responses:
        _move(need, NeedStatus.OPEN, actor, "reopen")
    return need


def _notify_recorder(need: CommunityNeed, project: Project, member: User) -> None:
    from marketplace.notifications.operations import notify

    if need.recorded_by is None:
        return
    organization = member.organization
    notify(
        [need.recorded_by],
        kind="need",
        title=Msg(
            "「%(org)s」响应了社区需求「%(need)s」",
            org=organization.name if organization else "",
            need=need.title,
        ),
        body=Msg("响应项目：%(project)s", project=project.title),
        link=f"/needs/{need.id}",
    )


def _facts(need: CommunityNeed) -> dict[str, Any]:
    return {
        "district": need.district,
        "community": need.community,
        "category_id": need.category_id,
        "people_affected": need.people_affected,
        "urgency": need.urgency,
    }


def visible_responses(need: CommunityNeed, viewer: Any) -> tuple[list[NeedResponse], int]:
    """The answers whose projects the viewer may see, and how many others are still in preparation
    (drafts and reviews stay private to their organization and staff)."""
    from marketplace.projects.operations import can_view

    shown = [item for item in need.responses if can_view(item.project, viewer)]
    return shown, len(need.responses) - len(shown)


def status_counts(rows: Sequence[tuple[str, int]]) -> dict[str, int]:
    counts = {status.value: 0 for status in NeedStatus}
    for status, count in rows:
        counts[status] = count
    return counts
