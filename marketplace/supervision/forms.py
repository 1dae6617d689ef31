"""Supervision forms: they only carry text; the operations check it and word the reasons."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from marketplace.forms import strip_filter
from marketplace.supervision.rules import NOTES_MAX

_DATE = {"type": "date"}


class MarkRequired:
    """Marks a field as required on the page (asterisk) without validating it here: the operation
    decides and words the message."""

    field_flags = {"required": True}  # noqa: RUF012 (WTForms reads this class attribute)

    def __call__(self, form: Any, field: Any) -> None:
        return None


class VisitForm(FlaskForm):
    organization_id = SelectField(
        _l("走访组织"), validators=[MarkRequired()], choices=[], validate_choice=False
    )
    visited_on = StringField(_l("走访日期"), validators=[MarkRequired()], render_kw=_DATE)
    notes = TextAreaField(
        _l("走访情况"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": NOTES_MAX, "rows": 6},
    )


class SampleForm(FlaskForm):
    quarter = StringField(
        _l("季度"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        description=_l("格式如 2026Q4"),
        render_kw={"maxlength": 6, "autocomplete": "off"},
    )
    seed = StringField(
        _l("随机种子"),
        filters=[strip_filter],
        description=_l("可不填：默认由季度得出（2026Q4 → 20264），同一种子总是抽到同样的组织"),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 10},
    )


class CompleteForm(FlaskForm):
    """Completing one inspection; prefixed ``task<id>`` so that several sit on one page."""

    findings = TextAreaField(
        _l("检查发现"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": NOTES_MAX, "rows": 4},
    )
    visited_on = StringField(_l("检查日期"), description=_l("不填则为今天"), render_kw=_DATE)
