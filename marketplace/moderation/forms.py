"""Moderation forms. They only carry input: every rule lives in ``moderation.rules`` and
``moderation.operations``, so the page, the API and the demo give the same answer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField

from marketplace.forms import strip_filter
from marketplace.moderation.rules import DETAILS_MAX, NOTE_MAX
from marketplace.moderation.states import REASON_LABELS
from marketplace.projects.forms import MarkRequired
from marketplace.web import translate


class ReportForm(FlaskForm):
    reason = RadioField(_l("举报原因"), validators=[MarkRequired()], validate_choice=False)
    details = TextAreaField(
        _l("补充说明"),
        filters=[strip_filter],
        render_kw={"maxlength": DETAILS_MAX, "rows": 5},
        description=_l("具体哪里有问题（选择“其他”时必填，不超过 %(n)d 个字）", n=DETAILS_MAX),
    )

    def set_choices(self) -> None:
        self.reason.choices = [(reason.value, translate(label)) for reason, label in REASON_LABELS.items()]


class DecisionForm(FlaskForm):
    decision = HiddenField()
    note = TextAreaField(
        _l("处理说明"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": NOTE_MAX, "rows": 3},
        description=_l("必填，记入审计日志；隐藏时会显示给被举报的组织"),
    )
