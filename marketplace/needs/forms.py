"""Needs forms. They only carry input: every rule lives in ``needs.operations``, so the page, the
API and the demo give the same answer to the same input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.widgets import NumberInput

from marketplace.forms import strip_filter
from marketplace.needs.models import CommunityNeed
from marketplace.needs.operations import COMMUNITY_MAX, DESCRIPTION_MAX, NOTE_MAX, TITLE_MAX, NeedInput
from marketplace.needs.states import URGENCY_LABELS, Urgency
from marketplace.projects.forms import MarkRequired
from marketplace.projects.models import Project
from marketplace.taxonomy.models import Category, District
from marketplace.web import localized, translate


class NeedForm(FlaskForm):
    title = StringField(
        _l("需求标题"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
        description=_l("不超过 %(n)d 个字，例如：独居老人上门理发", n=TITLE_MAX),
    )
    district = SelectField(_l("所在区县"), validators=[MarkRequired()], validate_choice=False)
    community = StringField(
        _l("街道/社区"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": COMMUNITY_MAX},
        description=_l("例如：南汇街道葡萄社区"),
    )
    category = SelectField(_l("需求类别"), validators=[MarkRequired()], validate_choice=False)
    people_affected = StringField(
        _l("受影响人数"),
        filters=[strip_filter],
        widget=NumberInput(min=0),
        description=_l("大约多少居民有这个需求；不清楚可填 0"),
    )
    urgency = SelectField(_l("紧急程度"), validate_choice=False, default=Urgency.NORMAL.value)
    description = TextAreaField(
        _l("需求描述"),
        filters=[strip_filter],
        render_kw={"maxlength": DESCRIPTION_MAX, "rows": 8},
        description=_l(
            "谁需要帮助、现在的困难、社区能提供什么（场地、志愿者等），不超过 %(n)d 个字", n=DESCRIPTION_MAX
        ),
    )

    def set_choices(self, categories: Sequence[Category], districts: Sequence[District]) -> None:
        self.district.choices = [("", translate(_l("请选择")))] + [(d.name, localized(d)) for d in districts]
        self.category.choices = [("", translate(_l("请选择")))] + [(c.slug, localized(c)) for c in categories]
        self.urgency.choices = [(item.value, translate(label)) for item, label in URGENCY_LABELS.items()]

    def fill_from(self, need: CommunityNeed) -> None:
        self.title.data = need.title
        self.district.data = need.district
        self.community.data = need.community
        self.category.data = need.category.slug if need.category else ""
        self.people_affected.data = str(need.people_affected)
        self.urgency.data = need.urgency
        self.description.data = need.description

    def to_input(self) -> NeedInput:
        people: Any = self.people_affected.data or "0"
        return NeedInput(
            title=self.title.data or "",
            district=self.district.data or "",
            community=self.community.data or "",
            category=self.category.data or "",
            people_affected=people,
            urgency=self.urgency.data or Urgency.NORMAL.value,
            description=self.description.data or "",
        )


class RespondForm(FlaskForm):
    project_id = SelectField(_l("选择本组织的项目"), validators=[MarkRequired()], validate_choice=False)
    note = TextAreaField(
        _l("响应说明"),
        filters=[strip_filter],
        render_kw={"maxlength": NOTE_MAX, "rows": 3},
        description=_l("这个项目怎样回应社区的需求（选填，不超过 %(n)d 个字）", n=NOTE_MAX),
    )

    def set_choices(self, projects: Sequence[Project]) -> None:
        self.project_id.choices = [("", translate(_l("请选择")))] + [
            (str(project.id), f"{project.title}（{translate(project.status_label)}）") for project in projects
        ]


class NeedTransitionForm(FlaskForm):
    action = HiddenField()
