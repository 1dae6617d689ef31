"""The project lifecycle as one pure transition table.

Every status change of a project goes through :func:`next_status`, so the pages, the API, the
CLI and the deadline job cannot disagree about what is allowed. PURE: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.messages import Msg


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"
    FUNDED = "funded"
    FAILED = "failed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class FundingModel(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    KEEP_IT_ALL = "keep_it_all"


class ProjectAction(StrEnum):
    SUBMIT = "submit"
    REVISE = "revise"
    PUBLISH = "publish"
    RETURN = "return"
    CANCEL = "cancel"
    FUND = "fund"
    FAIL = "fail"
    CLOSE = "close"


class Actor(StrEnum):
    OWNER = "owner"  # a member of the organization that owns the project
    STAFF = "staff"  # league staff or admin
    SYSTEM = "system"  # the deadline job


STATUS_LABELS: Mapping[ProjectStatus, Msg] = MappingProxyType(
    {
        ProjectStatus.DRAFT: Msg("草稿"),
        ProjectStatus.SUBMITTED: Msg("待审核"),
        ProjectStatus.RETURNED: Msg("已退回"),
        ProjectStatus.PUBLISHED: Msg("筹款中"),
        ProjectStatus.FUNDED: Msg("已成功"),
        ProjectStatus.FAILED: Msg("未达成"),
        ProjectStatus.CLOSED: Msg("已结束"),
        ProjectStatus.CANCELLED: Msg("已取消"),
    }
)

FUNDING_MODEL_LABELS: Mapping[FundingModel, Msg] = MappingProxyType(
    {
        FundingModel.ALL_OR_NOTHING: Msg("全有或全无"),
        FundingModel.KEEP_IT_ALL: Msg("筹多少用多少"),
    }
)

ACTION_LABELS: Mapping[ProjectAction, Msg] = MappingProxyType(
    {
        ProjectAction.SUBMIT: Msg("提交审核"),
        ProjectAction.REVISE: Msg("重新编辑"),
        ProjectAction.PUBLISH: Msg("发布"),
        ProjectAction.RETURN: Msg("退回"),
        ProjectAction.CANCEL: Msg("取消"),
        ProjectAction.FUND: Msg("标记成功"),
        ProjectAction.FAIL: Msg("标记未达成"),
        ProjectAction.CLOSE: Msg("结束"),
    }
)

_S = ProjectStatus
_A = ProjectAction

TRANSITIONS: Mapping[tuple[ProjectStatus, ProjectAction], ProjectStatus] = MappingProxyType(
    {
        (_S.DRAFT, _A.SUBMIT): _S.SUBMITTED,
        (_S.RETURNED, _A.SUBMIT): _S.SUBMITTED,
        (_S.RETURNED, _A.REVISE): _S.DRAFT,
        (_S.SUBMITTED, _A.PUBLISH): _S.PUBLISHED,
        (_S.SUBMITTED, _A.RETURN): _S.RETURNED,
        (_S.DRAFT, _A.CANCEL): _S.CANCELLED,
        (_S.SUBMITTED, _A.CANCEL): _S.CANCELLED,
        (_S.RETURNED, _A.CANCEL): _S.CANCELLED,
        (_S.PUBLISHED, _A.FUND): _S.FUNDED,
        (_S.PUBLISHED, _A.FAIL): _S.FAILED,
        (_S.PUBLISHED, _A.CLOSE): _S.CLOSED,
    }
)

ACTION_ACTORS: Mapping[ProjectAction, frozenset[Actor]] = MappingProxyType(
    {
        _A.SUBMIT: frozenset({Actor.OWNER}),
        _A.REVISE: frozenset({Actor.OWNER}),
        _A.CANCEL: frozenset({Actor.OWNER, Actor.STAFF}),
        _A.PUBLISH: frozenset({Actor.STAFF}),
        _A.RETURN: frozenset({Actor.STAFF}),
        # Outcomes follow from the deadline and the ledger, never from a person's say-so.
        _A.FUND: frozenset({Actor.SYSTEM}),
        _A.FAIL: frozenset({Actor.SYSTEM}),
        _A.CLOSE: frozenset({Actor.SYSTEM}),
    }
)

EDITABLE_STATUSES: frozenset[ProjectStatus] = frozenset({_S.DRAFT, _S.RETURNED})
# What lists and search show to everyone but staff; a failed project stays reachable by its link.
LISTED_STATUSES: frozenset[str] = frozenset({_S.PUBLISHED, _S.FUNDED, _S.CLOSED})
PUBLIC_STATUSES: frozenset[ProjectStatus] = frozenset({_S.PUBLISHED, _S.FUNDED, _S.FAILED, _S.CLOSED})
# Sponsors pledged against these terms; changing them afterwards would change the deal under them.
LOCKED_AFTER_PUBLISH_FIELDS: frozenset[str] = frozenset({"goal_amount", "deadline", "funding_model"})

# The deadline outcome that each funding model forbids.
_WRONG_OUTCOME: Mapping[ProjectAction, FundingModel] = MappingProxyType(
    {_A.FAIL: FundingModel.KEEP_IT_ALL, _A.CLOSE: FundingModel.ALL_OR_NOTHING}
)


def _as_status(value: ProjectStatus | str) -> ProjectStatus:
    try:
        return ProjectStatus(value)
    except ValueError:
        raise DomainError.on("status", Msg("未知的项目状态「%(value)s」", value=str(value)))


def _as_action(value: ProjectAction | str) -> ProjectAction:
    try:
        return ProjectAction(value)
    except ValueError:
        raise DomainError.on("action", Msg("未知的操作「%(value)s」", value=str(value)))


def _as_actor(value: Actor | str) -> Actor:
    try:
        return Actor(value)
    except ValueError:
        raise DomainError.on("actor", Msg("未知的操作者「%(value)s」", value=str(value)))


def _as_funding_model(value: FundingModel | str) -> FundingModel:
    try:
        return FundingModel(value)
    except ValueError:
        raise DomainError.on("funding_model", Msg("未知的筹款模式「%(value)s」", value=str(value)))


def next_status(
    status: ProjectStatus | str,
    action: ProjectAction | str,
    actor: Actor | str,
    *,
    reason: str | None = None,
    funding_model: FundingModel | str | None = None,
    has_pledges: bool = False,
) -> ProjectStatus:
    """Return the status that ``action`` by ``actor`` leads to, or raise why it may not happen.

    ``funding_model`` is required for FAIL and CLOSE: without it the guard that keeps the
    deadline job from picking the wrong outcome could be skipped silently.
    """
    current = _as_status(status)
    act = _as_action(action)
    who = _as_actor(actor)

    # The actor is checked before the state so that people without the right learn nothing
    # about the project's current state from the error.
    if who not in ACTION_ACTORS[act]:
        raise Forbidden.on("action", Msg("您没有权限「%(action)s」这个项目", action=ACTION_LABELS[act]))

    target = TRANSITIONS.get((current, act))
    if target is None:
        raise Conflict.on(
            "action",
            Msg(
                "「%(status)s」状态的项目不能「%(action)s」",
                status=STATUS_LABELS[current],
                action=ACTION_LABELS[act],
            ),
        )

    if act is ProjectAction.RETURN and not (reason or "").strip():
        raise DomainError.on("reason", Msg("退回项目时请填写退回原因，方便组织修改"))

    if act is ProjectAction.CANCEL and has_pledges:
        raise Conflict.on("action", Msg("已有认捐的项目不能取消"))

    if act in _WRONG_OUTCOME:
        if funding_model is None:
            raise ValueError(f"funding_model is required for the {act.value!r} action")
        model = _as_funding_model(funding_model)
        if model is _WRONG_OUTCOME[act]:
            raise Conflict.on(
                "action",
                Msg(
                    "「%(model)s」的项目到期时不能「%(action)s」",
                    model=FUNDING_MODEL_LABELS[model],
                    action=ACTION_LABELS[act],
                ),
            )

    return target


def allowed_actions(status: ProjectStatus | str, actor: Actor | str) -> list[ProjectAction]:
    """Actions ``actor`` may take from ``status``, in declaration order (stable for buttons)."""
    current = _as_status(status)
    who = _as_actor(actor)
    return [act for act in ProjectAction if (current, act) in TRANSITIONS and who in ACTION_ACTORS[act]]


def outcome_at_deadline(funding_model: FundingModel | str, raised: int, goal: int) -> ProjectAction:
    """The action the deadline job takes. Keep-it-all keeps what was raised and simply closes;
    all-or-nothing is funded when the goal is met and fails (everything is refunded) otherwise."""
    model = _as_funding_model(funding_model)
    if model is FundingModel.KEEP_IT_ALL:
        return ProjectAction.CLOSE
    return ProjectAction.FUND if raised >= goal else ProjectAction.FAIL
