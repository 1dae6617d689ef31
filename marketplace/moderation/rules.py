"""Validation of an abuse report and a staff decision (pure: no Flask, no database).

Each check returns ``{field: reason}``; an empty dict means the input is acceptable.
"""

from __future__ import annotations

from typing import Any, Final

from marketplace.messages import Msg
from marketplace.moderation.states import Decision, Reason, SubjectKind

DETAILS_MAX: Final = 500
NOTE_MAX: Final = 500


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def check_report(kind: Any, reason: Any, details: Any) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    if kind not in {item.value for item in SubjectKind}:
        errors["kind"] = Msg("只能举报项目、组织或认捐留言")
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        errors["reason"] = Msg("请选择举报原因")
    elif reason not in {item.value for item in Reason}:
        errors["reason"] = Msg(
            "举报原因只能是：虚假信息/诈骗、违法违规、侵权、骚扰或仇恨言论、垃圾广告、其他"
        )
    text = _text("" if details is None else details)
    if text is None:
        errors["details"] = Msg("补充说明必须是文字")
    elif len(text) > DETAILS_MAX:
        errors["details"] = Msg("补充说明不能超过 %(n)d 个字（现在 %(m)d 个字）", n=DETAILS_MAX, m=len(text))
    elif reason == Reason.OTHER.value and not text:
        errors["details"] = Msg("选择“其他”时请写明举报理由")
    return errors


def check_decision(decision: Any, note: Any) -> dict[str, Msg]:
    errors: dict[str, Msg] = {}
    if decision not in {item.value for item in Decision}:
        errors["decision"] = Msg(
            "处理方式只能是 hide（隐藏待审）、restore（恢复显示）、dismiss（驳回）或 action（处理）"
        )
    text = _text("" if note is None else note)
    if text is None:
        errors["note"] = Msg("处理说明必须是文字")
    elif not text:
        errors["note"] = Msg("请填写处理说明（会记入审计日志）")
    elif len(text) > NOTE_MAX:
        errors["note"] = Msg("处理说明不能超过 %(n)d 个字（现在 %(m)d 个字）", n=NOTE_MAX, m=len(text))
    return errors
