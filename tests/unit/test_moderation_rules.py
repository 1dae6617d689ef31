"""The moderation tables and validation, with no app and no database."""

from __future__ import annotations

import pytest

from marketplace.moderation.rules import DETAILS_MAX, NOTE_MAX, check_decision, check_report
from marketplace.moderation.states import (
    HELD_AFTER,
    Decision,
    ReportStatus,
    allowed_decisions,
    decision_allowed,
    next_report_status,
)


@pytest.mark.parametrize(
    ("decision", "held", "open_reports", "allowed"),
    [
        ("hide", False, 0, True),
        ("hide", False, 2, True),
        ("hide", True, 1, False),
        ("restore", True, 0, True),
        ("restore", False, 1, False),
        ("dismiss", False, 1, True),
        ("dismiss", True, 1, True),
        ("dismiss", False, 0, False),
        ("action", False, 1, True),
        ("action", True, 3, True),
        ("action", True, 0, False),
    ],
)
def test_which_decisions_apply(decision: str, held: bool, open_reports: int, allowed: bool) -> None:
    assert decision_allowed(decision, held=held, open_reports=open_reports) is allowed
    assert (Decision(decision) in allowed_decisions(held=held, open_reports=open_reports)) is allowed


@pytest.mark.parametrize(
    ("status", "decision", "after"),
    [
        ("open", "dismiss", "dismissed"),
        ("open", "action", "actioned"),
        ("open", "hide", "open"),
        ("open", "restore", "open"),
        ("dismissed", "action", "dismissed"),  # a decided report is never decided again
        ("actioned", "dismiss", "actioned"),
    ],
)
def test_report_status_after_a_decision(status: str, decision: str, after: str) -> None:
    assert next_report_status(status, decision) == ReportStatus(after)


def test_content_is_held_after_hide_and_action_only() -> None:
    assert {decision for decision, held in HELD_AFTER.items() if held} == {Decision.HIDE, Decision.ACTION}


@pytest.mark.parametrize(
    ("kind", "reason", "details", "field", "message"),
    [
        ("user", "spam", "", "kind", "只能举报项目、组织或认捐留言"),
        ("project", "", "", "reason", "请选择举报原因"),
        ("project", None, "", "reason", "请选择举报原因"),
        (
            "project",
            "boring",
            "",
            "reason",
            "举报原因只能是：虚假信息/诈骗、违法违规、侵权、骚扰或仇恨言论、垃圾广告、其他",
        ),
        ("project", "other", "", "details", "选择“其他”时请写明举报理由"),
        ("project", "other", "   ", "details", "选择“其他”时请写明举报理由"),
        ("project", "spam", 5, "details", "补充说明必须是文字"),
        (
            "project",
            "spam",
            "字" * (DETAILS_MAX + 1),
            "details",
            f"补充说明不能超过 {DETAILS_MAX} 个字（现在 {DETAILS_MAX + 1} 个字）",
        ),
    ],
)
def test_bad_reports_name_the_field(
    kind: object, reason: object, details: object, field: str, message: str
) -> None:
    assert check_report(kind, reason, details) == {field: message}


@pytest.mark.parametrize(
    ("kind", "reason", "details"),
    [
        ("project", "fraud", ""),
        ("organization", "other", "简介抄袭了我们的机构"),
        ("pledge_message", "harassment", None),
        ("project", "spam", "字" * DETAILS_MAX),
    ],
)
def test_good_reports_pass(kind: str, reason: str, details: object) -> None:
    assert check_report(kind, reason, details) == {}


@pytest.mark.parametrize(
    ("decision", "note", "field", "message"),
    [
        (
            "delete",
            "说明",
            "decision",
            "处理方式只能是 hide（隐藏待审）、restore（恢复显示）、dismiss（驳回）或 action（处理）",
        ),
        ("hide", "", "note", "请填写处理说明（会记入审计日志）"),
        ("hide", "  ", "note", "请填写处理说明（会记入审计日志）"),
        ("hide", None, "note", "请填写处理说明（会记入审计日志）"),
        ("hide", 3, "note", "处理说明必须是文字"),
        (
            "hide",
            "字" * (NOTE_MAX + 1),
            "note",
            f"处理说明不能超过 {NOTE_MAX} 个字（现在 {NOTE_MAX + 1} 个字）",
        ),
    ],
)
def test_bad_decisions_name_the_field(decision: object, note: object, field: str, message: str) -> None:
    assert check_decision(decision, note) == {field: message}


def test_a_good_decision_passes() -> None:
    assert check_decision("action", "核实为虚假宣传") == {}
