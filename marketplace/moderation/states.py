"""Abuse reports (举报) and moderation holds, as pure tables.

A report is ``open`` until staff decide it: ``dismissed`` (nothing wrong) or ``actioned`` (upheld).
Staff decide per subject (a project, an organization or a pledge message), so one decision closes
every open report on that subject. Separately, the subject itself can be *held*: hidden from the
public pending review and restored later. The decisions and what they do to the hold:

- hide: reports stay open; the content is held (hidden) pending review.
- restore: reports stay as they are; the content is shown again.
- dismiss: every open report → dismissed; held content is shown again (it was fine).
- action: every open report → actioned; the content is held (it stays hidden until restored).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from marketplace.messages import Msg


class SubjectKind(StrEnum):
    PROJECT = "project"
    ORGANIZATION = "organization"
    PLEDGE_MESSAGE = "pledge_message"


SUBJECT_KIND_LABELS: Final[dict[SubjectKind, Msg]] = {
    SubjectKind.PROJECT: Msg("项目"),
    SubjectKind.ORGANIZATION: Msg("组织"),
    SubjectKind.PLEDGE_MESSAGE: Msg("认捐留言"),
}


class Reason(StrEnum):
    FRAUD = "fraud"
    ILLEGAL = "illegal"
    INFRINGEMENT = "infringement"
    HARASSMENT = "harassment"
    SPAM = "spam"
    OTHER = "other"


REASON_LABELS: Final[dict[Reason, Msg]] = {
    Reason.FRAUD: Msg("虚假信息/诈骗"),
    Reason.ILLEGAL: Msg("违法违规"),
    Reason.INFRINGEMENT: Msg("侵权"),
    Reason.HARASSMENT: Msg("骚扰或仇恨言论"),
    Reason.SPAM: Msg("垃圾广告"),
    Reason.OTHER: Msg("其他"),
}


class ReportStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    ACTIONED = "actioned"


REPORT_STATUS_LABELS: Final[dict[ReportStatus, Msg]] = {
    ReportStatus.OPEN: Msg("待处理"),
    ReportStatus.DISMISSED: Msg("已驳回"),
    ReportStatus.ACTIONED: Msg("已处理"),
}


class Decision(StrEnum):
    HIDE = "hide"
    RESTORE = "restore"
    DISMISS = "dismiss"
    ACTION = "action"


DECISION_LABELS: Final[dict[Decision, Msg]] = {
    Decision.HIDE: Msg("隐藏待审"),
    Decision.RESTORE: Msg("恢复显示"),
    Decision.DISMISS: Msg("驳回举报"),
    Decision.ACTION: Msg("举报属实，处理"),
}


# decision → (report statuses it closes → the status they get, or None: reports untouched)
REPORT_OUTCOME: Final[dict[Decision, ReportStatus | None]] = {
    Decision.HIDE: None,
    Decision.RESTORE: None,
    Decision.DISMISS: ReportStatus.DISMISSED,
    Decision.ACTION: ReportStatus.ACTIONED,
}
# decision → whether the content is held afterwards
HELD_AFTER: Final[dict[Decision, bool]] = {
    Decision.HIDE: True,
    Decision.RESTORE: False,
    Decision.DISMISS: False,
    Decision.ACTION: True,
}


def decision_allowed(decision: Decision | str, *, held: bool, open_reports: int) -> bool:
    """hide needs visible content, restore held content; dismiss and action need an open report."""
    chosen = Decision(decision)
    if chosen == Decision.HIDE:
        return not held
    if chosen == Decision.RESTORE:
        return held
    return open_reports > 0


def allowed_decisions(*, held: bool, open_reports: int) -> list[Decision]:
    return [item for item in Decision if decision_allowed(item, held=held, open_reports=open_reports)]


def next_report_status(status: ReportStatus | str, decision: Decision | str) -> ReportStatus:
    """The status a report has after a decision on its subject: only open reports are closed."""
    outcome = REPORT_OUTCOME[Decision(decision)]
    if outcome is None or ReportStatus(status) != ReportStatus.OPEN:
        return ReportStatus(status)
    return outcome
