from __future__ import annotations

import itertools
from typing import Any

import pytest

from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.messages import Msg
from marketplace.projects.states import (
    ACTION_ACTORS,
    ACTION_LABELS,
    EDITABLE_STATUSES,
    FUNDING_MODEL_LABELS,
    LOCKED_AFTER_PUBLISH_FIELDS,
    PUBLIC_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    Actor,
    FundingModel,
    ProjectAction,
    ProjectStatus,
    allowed_actions,
    next_status,
    outcome_at_deadline,
)

S = ProjectStatus
A = ProjectAction

# Written out independently of the module's table, so a change to the table must be deliberate.
EXPECTED = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.RETURNED, A.SUBMIT): S.SUBMITTED,
    (S.RETURNED, A.REVISE): S.DRAFT,
    (S.SUBMITTED, A.PUBLISH): S.PUBLISHED,
    (S.SUBMITTED, A.RETURN): S.RETURNED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.RETURNED, A.CANCEL): S.CANCELLED,
    (S.PUBLISHED, A.FUND): S.FUNDED,
    (S.PUBLISHED, A.FAIL): S.FAILED,
    (S.PUBLISHED, A.CLOSE): S.CLOSED,
}

PERMITTED_ACTOR = {
    A.SUBMIT: Actor.OWNER,
    A.REVISE: Actor.OWNER,
    A.CANCEL: Actor.OWNER,
    A.PUBLISH: Actor.STAFF,
    A.RETURN: Actor.STAFF,
    A.FUND: Actor.SYSTEM,
    A.FAIL: Actor.SYSTEM,
    A.CLOSE: Actor.SYSTEM,
}

# Extra arguments that make each action's own guard pass, so only the table decides.
PASSING_KWARGS: dict[ProjectAction, dict[str, Any]] = {
    A.RETURN: {"reason": "预算明细不完整"},
    A.FAIL: {"funding_model": FundingModel.ALL_OR_NOTHING},
    A.CLOSE: {"funding_model": FundingModel.KEEP_IT_ALL},
}

ALL_PAIRS = list(itertools.product(ProjectStatus, ProjectAction))


def test_table_is_exactly_the_documented_one() -> None:
    assert dict(TRANSITIONS) == EXPECTED


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_every_status_action_pair(status: ProjectStatus, action: ProjectAction) -> None:
    actor = PERMITTED_ACTOR[action]
    kwargs = PASSING_KWARGS.get(action, {})
    if (status, action) in EXPECTED:
        assert next_status(status, action, actor, **kwargs) is EXPECTED[(status, action)]
    else:
        with pytest.raises(Conflict) as info:
            next_status(status, action, actor, **kwargs)
        assert set(info.value.fields) == {"action"}
        assert STATUS_LABELS[status] in info.value.message
        assert ACTION_LABELS[action] in info.value.message


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_wrong_actor_is_forbidden_whatever_the_state(status: ProjectStatus, action: ProjectAction) -> None:
    for actor in set(Actor) - ACTION_ACTORS[action]:
        with pytest.raises(Forbidden) as info:
            next_status(status, action, actor, **PASSING_KWARGS.get(action, {}))
        assert set(info.value.fields) == {"action"}


def test_actor_table() -> None:
    assert ACTION_ACTORS[A.SUBMIT] == {Actor.OWNER}
    assert ACTION_ACTORS[A.REVISE] == {Actor.OWNER}
    assert ACTION_ACTORS[A.CANCEL] == {Actor.OWNER, Actor.STAFF}
    assert ACTION_ACTORS[A.PUBLISH] == {Actor.STAFF}
    assert ACTION_ACTORS[A.RETURN] == {Actor.STAFF}
    for action in (A.FUND, A.FAIL, A.CLOSE):
        assert ACTION_ACTORS[action] == {Actor.SYSTEM}
    assert set(ACTION_ACTORS) == set(ProjectAction)


def test_staff_can_cancel_but_not_submit() -> None:
    assert next_status(S.SUBMITTED, A.CANCEL, Actor.STAFF) is S.CANCELLED
    with pytest.raises(Forbidden):
        next_status(S.DRAFT, A.SUBMIT, Actor.STAFF)


def test_owner_cannot_publish_own_project() -> None:
    with pytest.raises(Forbidden):
        next_status(S.SUBMITTED, A.PUBLISH, Actor.OWNER)


def test_conflict_message_names_state_and_action() -> None:
    with pytest.raises(Conflict) as info:
        next_status(S.PUBLISHED, A.SUBMIT, Actor.OWNER)
    assert info.value.message == "「筹款中」状态的项目不能「提交审核」"
    assert isinstance(info.value.message, Msg)
    assert info.value.status == 409


@pytest.mark.parametrize("reason", [None, "", "   ", "\n\t"])
def test_return_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(DomainError) as info:
        next_status(S.SUBMITTED, A.RETURN, Actor.STAFF, reason=reason)
    assert type(info.value) is DomainError
    assert set(info.value.fields) == {"reason"}


def test_return_with_reason() -> None:
    assert next_status("submitted", "return", "staff", reason="请补充预算") is S.RETURNED


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.RETURNED])
@pytest.mark.parametrize("actor", [Actor.OWNER, Actor.STAFF])
def test_cannot_cancel_with_pledges(status: ProjectStatus, actor: Actor) -> None:
    with pytest.raises(Conflict) as info:
        next_status(status, A.CANCEL, actor, has_pledges=True)
    assert info.value.message == "已有认捐的项目不能取消"
    assert next_status(status, A.CANCEL, actor, has_pledges=False) is S.CANCELLED


def test_fail_is_only_for_all_or_nothing() -> None:
    assert next_status(S.PUBLISHED, A.FAIL, Actor.SYSTEM, funding_model="all_or_nothing") is S.FAILED
    with pytest.raises(Conflict):
        next_status(S.PUBLISHED, A.FAIL, Actor.SYSTEM, funding_model=FundingModel.KEEP_IT_ALL)


def test_close_is_only_for_keep_it_all() -> None:
    assert next_status(S.PUBLISHED, A.CLOSE, Actor.SYSTEM, funding_model="keep_it_all") is S.CLOSED
    with pytest.raises(Conflict):
        next_status(S.PUBLISHED, A.CLOSE, Actor.SYSTEM, funding_model=FundingModel.ALL_OR_NOTHING)


@pytest.mark.parametrize("action", [A.FAIL, A.CLOSE])
def test_deadline_outcomes_require_the_funding_model(action: ProjectAction) -> None:
    with pytest.raises(ValueError, match="funding_model"):
        next_status(S.PUBLISHED, action, Actor.SYSTEM)


@pytest.mark.parametrize("model", list(FundingModel))
def test_fund_works_for_both_models(model: FundingModel) -> None:
    assert next_status(S.PUBLISHED, A.FUND, Actor.SYSTEM, funding_model=model) is S.FUNDED


def test_plain_strings_are_accepted() -> None:
    assert next_status("draft", "submit", "owner") is S.SUBMITTED


@pytest.mark.parametrize(
    ("status", "action", "actor", "field"),
    [
        ("archived", "submit", "owner", "status"),
        ("draft", "delete", "owner", "action"),
        ("draft", "submit", "hacker", "actor"),
    ],
)
def test_unknown_values_are_domain_errors(status: str, action: str, actor: str, field: str) -> None:
    with pytest.raises(DomainError) as info:
        next_status(status, action, actor)
    assert set(info.value.fields) == {field}


def test_unknown_funding_model() -> None:
    with pytest.raises(DomainError) as info:
        next_status(S.PUBLISHED, A.FAIL, Actor.SYSTEM, funding_model="half")
    assert set(info.value.fields) == {"funding_model"}


@pytest.mark.parametrize(
    ("status", "actor", "expected"),
    [
        (S.DRAFT, Actor.OWNER, [A.SUBMIT, A.CANCEL]),
        (S.DRAFT, Actor.STAFF, [A.CANCEL]),
        (S.DRAFT, Actor.SYSTEM, []),
        (S.SUBMITTED, Actor.OWNER, [A.CANCEL]),
        (S.SUBMITTED, Actor.STAFF, [A.PUBLISH, A.RETURN, A.CANCEL]),
        (S.RETURNED, Actor.OWNER, [A.SUBMIT, A.REVISE, A.CANCEL]),
        (S.RETURNED, Actor.STAFF, [A.CANCEL]),
        (S.PUBLISHED, Actor.OWNER, []),
        (S.PUBLISHED, Actor.STAFF, []),
        (S.PUBLISHED, Actor.SYSTEM, [A.FUND, A.FAIL, A.CLOSE]),
        (S.FUNDED, Actor.SYSTEM, []),
        (S.CANCELLED, Actor.OWNER, []),
    ],
)
def test_allowed_actions(status: ProjectStatus, actor: Actor, expected: list[ProjectAction]) -> None:
    assert allowed_actions(status, actor) == expected
    assert allowed_actions(status.value, actor.value) == expected


@pytest.mark.parametrize(("status", "actor"), list(itertools.product(ProjectStatus, Actor)))
def test_allowed_actions_agree_with_next_status(status: ProjectStatus, actor: Actor) -> None:
    for action in allowed_actions(status, actor):
        next_status(status, action, actor, **PASSING_KWARGS.get(action, {}))


def test_status_sets() -> None:
    assert frozenset({S.DRAFT, S.RETURNED}) == EDITABLE_STATUSES
    assert frozenset({S.PUBLISHED, S.FUNDED, S.FAILED, S.CLOSED}) == PUBLIC_STATUSES
    assert not EDITABLE_STATUSES & PUBLIC_STATUSES
    assert frozenset({"goal_amount", "deadline", "funding_model"}) == LOCKED_AFTER_PUBLISH_FIELDS


def test_every_member_has_a_label() -> None:
    assert set(STATUS_LABELS) == set(ProjectStatus)
    assert set(ACTION_LABELS) == set(ProjectAction)
    assert set(FUNDING_MODEL_LABELS) == set(FundingModel)
    assert STATUS_LABELS[S.PUBLISHED] == "筹款中"
    assert FUNDING_MODEL_LABELS[FundingModel.KEEP_IT_ALL] == "筹多少用多少"
    assert ACTION_LABELS[A.REVISE] == "重新编辑"


@pytest.mark.parametrize(
    ("model", "raised", "goal", "expected"),
    [
        (FundingModel.ALL_OR_NOTHING, 100_00, 100_00, A.FUND),
        (FundingModel.ALL_OR_NOTHING, 100_01, 100_00, A.FUND),
        (FundingModel.ALL_OR_NOTHING, 99_99, 100_00, A.FAIL),
        (FundingModel.ALL_OR_NOTHING, 0, 100_00, A.FAIL),
        (FundingModel.KEEP_IT_ALL, 100_00, 100_00, A.CLOSE),  # keep-it-all closes, goal met or not
        (FundingModel.KEEP_IT_ALL, 99_99, 100_00, A.CLOSE),
        (FundingModel.KEEP_IT_ALL, 0, 100_00, A.CLOSE),
        ("keep_it_all", 1, 2, A.CLOSE),
    ],
)
def test_outcome_at_deadline(model: FundingModel, raised: int, goal: int, expected: ProjectAction) -> None:
    assert outcome_at_deadline(model, raised, goal) is expected


@pytest.mark.parametrize("model", list(FundingModel))
@pytest.mark.parametrize(("raised", "goal"), [(0, 1), (5, 5), (7, 5)])
def test_outcome_is_always_legal_from_published(model: FundingModel, raised: int, goal: int) -> None:
    action = outcome_at_deadline(model, raised, goal)
    assert next_status(S.PUBLISHED, action, Actor.SYSTEM, funding_model=model) in PUBLIC_STATUSES
