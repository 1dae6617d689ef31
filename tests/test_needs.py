"""Community needs (社区需求) operations: recording and editing by staff, organizations answering with
their own projects, the automatic open → in_progress, staff moving needs along, notifications.

Every refusal leaves the needs tables, notifications and the audit log exactly as they were."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.audit import AuditEvent
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.needs.models import NeedResponse
from marketplace.notifications.models import Notification
from tests import factories
from tests.needs_support import need_input, needs_state, record

# (overrides, field, the Chinese reason): each bad input on its own.
BAD_INPUTS: list[tuple[dict[str, Any], str, str]] = [
    ({"title": ""}, "title", "请填写需求标题"),
    ({"title": "   "}, "title", "请填写需求标题"),
    ({"title": "需" * 61}, "title", "需求标题不能超过 60 个字（现在 61 个字）"),
    ({"title": 5}, "title", "需求标题必须是文字"),
    ({"community": ""}, "community", "请填写街道/社区"),
    ({"community": "社" * 101}, "community", "街道/社区不能超过 100 个字（现在 101 个字）"),
    ({"district": "杭州市"}, "district", "请选择温州市的一个区县"),
    ({"district": ""}, "district", "请选择所在区县"),
    ({"district": None}, "district", "请选择所在区县"),
    ({"category": "pets"}, "category", "请选择有效的需求类别"),
    ({"category": None}, "category", "请选择需求类别"),
    ({"category": ""}, "category", "请选择需求类别"),
    ({"description": "字" * 2001}, "description", "需求描述不能超过 2000 个字（现在 2001 个字）"),
    ({"people_affected": -1}, "people_affected", "受影响人数应为 0 到 10000000 之间的整数"),
    ({"people_affected": 10_000_001}, "people_affected", "受影响人数应为 0 到 10000000 之间的整数"),
    ({"people_affected": "三十"}, "people_affected", "受影响人数应为 0 到 10000000 之间的整数"),
    ({"people_affected": "1.5"}, "people_affected", "受影响人数应为 0 到 10000000 之间的整数"),
    ({"people_affected": True}, "people_affected", "受影响人数应为 0 到 10000000 之间的整数"),
    ({"people_affected": 2.0}, "people_affected", "受影响人数应为 0 到 10000000 之间的整数"),
    ({"urgency": "extreme"}, "urgency", "紧急程度只能是：不急、一般、紧急、非常紧急"),
]


@pytest.fixture
def cast(ctx: Flask) -> dict[str, Any]:
    """Staff, a verified organization's member with a published and a draft project, another
    organization's member with a published project, and a company member."""
    staff = factories.staff()
    member = factories.org_member()
    other = factories.org_member()
    return {
        "staff": staff,
        "member": member,
        "other": other,
        "published": factories.project(member, status="published", reviewer=staff, title="长者理发上门服务"),
        "draft": factories.project(member, title="社区理发志愿队（筹备中）"),
        "other_project": factories.project(other, status="published", reviewer=staff, title="别家的项目"),
        "company": factories.company_member(),
    }


def _refused(error_type: type[DomainError], call: Any) -> DomainError:
    """The call is refused with ``error_type`` and changes nothing."""
    before = needs_state()
    with pytest.raises(error_type) as caught:
        call()
    db.session.rollback()
    assert needs_state() == before
    return caught.value


# ───────────── recording and editing ─────────────


def test_staff_record_a_need(cast: dict[str, Any]) -> None:
    need = record(cast["staff"], title="  独居老人上门理发  ", people_affected="23")
    assert (need.title, need.community, need.district, need.category.slug) == (
        "独居老人上门理发",
        "广化街道广化社区",
        "鹿城区",
        "elderly",
    )
    assert (need.people_affected, need.urgency, need.status, need.recorded_by_id) == (
        23,
        "high",
        "open",
        cast["staff"].id,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "need.recorded"))
    assert event is not None and event.subject_id == need.id and event.acting_for == "staff"


def test_optional_fields_have_defaults(cast: dict[str, Any]) -> None:
    need = ops.record_need(
        cast["staff"],
        ops.NeedInput(title="楼道照明", community="五马社区", district="鹿城区", category="community"),
    )
    assert (need.description, need.people_affected, need.urgency) == ("", 0, "normal")


def test_every_bad_input_is_refused_with_its_reason_and_nothing_is_saved(cast: dict[str, Any]) -> None:
    for overrides, field, reason in BAD_INPUTS:
        error = _refused(DomainError, lambda o=overrides: ops.record_need(cast["staff"], need_input(**o)))
        assert error.fields == {field: reason}, overrides
        assert error.status == 422


def test_all_problems_are_named_at_once(cast: dict[str, Any]) -> None:
    error = _refused(DomainError, lambda: ops.record_need(cast["staff"], ops.NeedInput()))
    assert set(error.fields) == {"title", "community", "district", "category"}


@pytest.mark.parametrize("who", ["member", "company"])
def test_only_staff_record_needs(cast: dict[str, Any], who: str) -> None:
    error = _refused(Forbidden, lambda: ops.record_need(cast[who], need_input()))
    assert "团区委工作人员" in error.message
    _refused(Forbidden, lambda: ops.record_need(None, need_input()))


def test_staff_edit_a_need(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    ops.edit_need(need, cast["staff"], ops.NeedInput(people_affected=40, urgency="urgent", category="health"))
    db.session.commit()
    assert (need.people_affected, need.urgency, need.category.slug, need.title) == (
        40,
        "urgent",
        "health",
        "独居老人上门理发",
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "need.edited"))
    assert event is not None and event.payload == {"changed": ["category_id", "people_affected", "urgency"]}


def test_a_bad_edit_changes_nothing(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    for overrides, field, reason in BAD_INPUTS:
        if None in overrides.values():
            continue  # on edit, None means "leave it"
        error = _refused(
            DomainError, lambda o=overrides: ops.edit_need(need, cast["staff"], ops.NeedInput(**o))
        )
        assert error.fields == {field: reason}
    _refused(Forbidden, lambda: ops.edit_need(need, cast["member"], ops.NeedInput(title="改名")))


# ───────────── responses ─────────────


def test_the_first_response_moves_the_need_to_in_progress_and_notifies_the_recorder(
    cast: dict[str, Any],
) -> None:
    need = record(cast["staff"])
    response = ops.respond(cast["member"], need, cast["published"], "  每月第一个周六上门  ")
    db.session.commit()
    assert need.status == "in_progress"
    assert (response.project_id, response.organization_id, response.note) == (
        cast["published"].id,
        cast["member"].organization_id,
        "每月第一个周六上门",
    )
    notice = db.session.scalar(select(Notification).where(Notification.user_id == cast["staff"].id))
    assert notice is not None and notice.kind == "need" and notice.link == f"/needs/{need.id}"
    assert "独居老人上门理发" in notice.title and cast["member"].organization.name in notice.title
    assert "长者理发上门服务" in notice.body
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["need.responded", "need.start"]
    assert ops.need_answered_by(cast["published"]) == need

    # A second answer (a project in preparation is fine) keeps it in progress.
    ops.respond(cast["other"], need, cast["other_project"])
    db.session.commit()
    assert need.status == "in_progress" and len(need.responses) == 2


def test_a_project_answers_at_most_one_need(cast: dict[str, Any]) -> None:
    first = record(cast["staff"], title="独居老人上门理发")
    second = record(cast["staff"], title="老年人防诈骗讲座")
    ops.respond(cast["member"], first, cast["published"])
    db.session.commit()
    error = _refused(Conflict, lambda: ops.respond(cast["member"], second, cast["published"]))
    assert error.fields == {
        "project_id": "项目「长者理发上门服务」已在回应社区需求「独居老人上门理发」，一个项目只能回应一个需求"
    }
    # Not even the same need twice.
    _refused(Conflict, lambda: ops.respond(cast["member"], first, cast["published"]))
    assert second.status == "open"


def test_another_organizations_project_is_refused(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    error = _refused(Forbidden, lambda: ops.respond(cast["member"], need, cast["other_project"]))
    assert error.fields == {"project_id": "只能用本组织自己的项目响应社区需求"}


def test_only_members_of_verified_organizations_respond(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    pending = factories.org_member(verified=False)
    pending_project = factories.project(pending)
    error = _refused(Forbidden, lambda: ops.respond(pending, need, pending_project))
    assert error.message == "贵组织通过团区委认证后才能响应社区需求"
    for who in ("company", "staff"):
        _refused(Forbidden, lambda w=who: ops.respond(cast[w], need, cast["published"]))


@pytest.mark.parametrize("status", ["cancelled", "failed"])
def test_a_project_that_will_not_happen_answers_nothing(cast: dict[str, Any], status: str) -> None:
    need = record(cast["staff"])
    project = factories.project(cast["member"], status="cancelled", title="取消了的项目")
    project.status = status
    db.session.commit()
    error = _refused(Conflict, lambda: ops.respond(cast["member"], need, project))
    assert "不能用来响应社区需求" in error.fields["project_id"]


def test_an_addressed_need_takes_no_more_responses(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    ops.transition_need(need, cast["staff"], "address")
    db.session.commit()
    error = _refused(Conflict, lambda: ops.respond(cast["member"], need, cast["published"]))
    assert error.fields == {"need": "该需求已经解决，不再接受新的响应"}


def test_a_long_note_is_refused(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    error = _refused(DomainError, lambda: ops.respond(cast["member"], need, cast["published"], "说" * 501))
    assert error.fields == {"note": "响应说明不能超过 500 个字"}


def test_withdrawing_the_last_response_reopens_the_need(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    mine = ops.respond(cast["member"], need, cast["published"])
    theirs = ops.respond(cast["other"], need, cast["other_project"])
    db.session.commit()
    _refused(Forbidden, lambda: ops.withdraw_response(cast["other"], mine))
    _refused(Forbidden, lambda: ops.withdraw_response(cast["company"], mine))
    ops.withdraw_response(cast["member"], mine)
    db.session.commit()
    assert need.status == "in_progress" and [item.id for item in need.responses] == [theirs.id]
    ops.withdraw_response(cast["staff"], theirs)  # staff may take a response off too
    db.session.commit()
    assert need.status == "open" and need.responses == []
    assert db.session.scalar(select(NeedResponse.id)) is None
    # The project is free to answer another need.
    assert cast["published"] in ops.projects_to_offer(cast["member"])


def test_projects_to_offer_are_the_organizations_own_live_unlinked_ones(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    cancelled = factories.project(cast["member"], status="cancelled", title="取消了的项目")
    assert {p.id for p in ops.projects_to_offer(cast["member"])} == {cast["published"].id, cast["draft"].id}
    ops.respond(cast["member"], need, cast["draft"])
    db.session.commit()
    offered = {p.id for p in ops.projects_to_offer(cast["member"])}
    assert offered == {cast["published"].id} and cancelled.id not in offered


def test_drafts_answering_a_need_stay_private(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    ops.respond(cast["member"], need, cast["draft"])
    ops.respond(cast["other"], need, cast["other_project"])
    db.session.commit()
    for viewer, shown, hidden in (
        (None, 1, 1),
        (cast["other"], 1, 1),
        (cast["member"], 2, 0),
        (cast["staff"], 2, 0),
    ):
        visible, preparing = ops.visible_responses(need, viewer)
        assert (len(visible), preparing) == (shown, hidden)


# ───────────── staff move needs along ─────────────


def test_staff_start_address_and_reopen(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    ops.transition_need(need, cast["staff"], "start")
    assert need.status == "in_progress" and need.addressed_at is None
    ops.transition_need(need, cast["staff"], "address")
    assert need.status == "addressed" and need.addressed_at is not None
    ops.transition_need(need, cast["staff"], "reopen")
    db.session.commit()
    assert need.status == "open" and need.addressed_at is None
    actions = list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("need.%")).order_by(AuditEvent.id)
        )
    )
    assert actions == ["need.recorded", "need.start", "need.address", "need.reopen"]


def test_wrong_transitions_are_refused(cast: dict[str, Any]) -> None:
    need = record(cast["staff"])
    error = _refused(Conflict, lambda: ops.transition_need(need, cast["staff"], "reopen"))
    assert error.fields == {"action": "「待响应」的需求不能重新开放"}
    ops.transition_need(need, cast["staff"], "address")
    db.session.commit()
    error = _refused(Conflict, lambda: ops.transition_need(need, cast["staff"], "start"))
    assert error.fields == {"action": "「已解决」的需求不能标记为响应中"}
    _refused(Conflict, lambda: ops.transition_need(need, cast["staff"], "address"))
    error = _refused(DomainError, lambda: ops.transition_need(need, cast["staff"], "close"))
    assert error.status == 422 and "start" in error.fields["action"]
    _refused(Forbidden, lambda: ops.transition_need(need, cast["member"], "reopen"))
