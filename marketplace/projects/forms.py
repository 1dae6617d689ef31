"""Project forms. They only carry input: every rule lives in ``operations.clean_project_input``,
so the page, the API and scripts give the same answer to the same input."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.widgets import DateInput, NumberInput, URLInput

from marketplace.forms import strip_filter
from marketplace.money import fen_to_yuan_input
from marketplace.projects.models import Project
from marketplace.projects.operations import (
    DESCRIPTION_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    ProjectInput,
    latest_deadline_day,
)
from marketplace.projects.states import FundingModel
from marketplace.taxonomy.reference import CategoryRow, DistrictRow
from marketplace.timeutil import local_today, to_local
from marketplace.uploads import CONTENT_TYPES
from marketplace.web import localized

TAG_SEPARATOR = "、"


class MarkRequired:
    """Marks a field as required on the page (asterisk and the `required` attribute) without
    validating it here: the operation decides and words the message."""

    field_flags = {"required": True}  # noqa: RUF012 (WTForms reads this class attribute)

    def __call__(self, form: Any, field: Any) -> None:
        return None


def _blank_to_none(value: Any) -> Any:
    return value if value not in ("", None) else None


def _as_text(value: Any) -> Any:
    return "" if value is None else value


class ProjectForm(FlaskForm):
    title = StringField(
        _l("项目名称"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
        description=_l("不超过 %(n)d 个字，说清楚做什么、为谁做", n=TITLE_MAX),
    )
    summary = TextAreaField(
        _l("一句话简介"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": SUMMARY_MAX, "rows": 2},
        description=_l("显示在项目卡片上，不超过 %(n)d 个字", n=SUMMARY_MAX),
    )
    description = TextAreaField(
        _l("项目详情"),
        render_kw={"maxlength": DESCRIPTION_MAX, "rows": 12},
        description=_l(
            "支持 Markdown：## 小标题、- 列表、**加粗**、[链接](https://…)。HTML 代码和脚本不会生效。"
        ),
    )
    category = SelectField(_l("项目类别"), validators=[MarkRequired()], validate_choice=False)
    tags = StringField(
        _l("标签"),
        filters=[strip_filter],
        description=_l("用逗号或顿号分隔，最多 8 个，例如：四点钟课堂、留守儿童"),
    )
    district = SelectField(_l("所在区县"), validators=[MarkRequired()], validate_choice=False)
    community = StringField(
        _l("街道 / 社区"), filters=[strip_filter], render_kw={"maxlength": 100, "autocomplete": "off"}
    )
    goal_yuan = StringField(
        _l("筹款目标（元）"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
        description=_l("以人民币元为单位，最多两位小数，上限 1 亿元"),
    )
    deadline = StringField(
        _l("截止日期"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        widget=DateInput(),
        description=_l("一年以内；截止日当天 24 点（北京时间）结束筹款"),
    )
    funding_model = RadioField(
        _l("筹款方式"),
        validators=[MarkRequired()],
        validate_choice=False,
        choices=[
            SelectChoice(FundingModel.ALL_OR_NOTHING.value, _l("全有或全无")),
            SelectChoice(FundingModel.KEEP_IT_ALL.value, _l("筹多少用多少")),
        ],
    )
    beneficiaries = StringField(
        _l("预计受益人数"),
        filters=[strip_filter],
        widget=NumberInput(min=0, step=1),
        render_kw={"inputmode": "numeric"},
    )
    video_url = StringField(
        _l("视频链接"),
        filters=[strip_filter],
        widget=URLInput(),
        render_kw={"placeholder": "https://"},
        description=_l("选填，以 https:// 开头的视频页面地址"),
    )
    cover_image = FileField(
        _l("封面图片"),
        render_kw={"accept": ",".join(CONTENT_TYPES.values())},
        description=_l("选填，PNG、JPEG 或 WebP 格式，不超过 5 MB，建议 16:9 横图"),
    )

    def set_choices(self, categories: Iterable[CategoryRow], districts: Iterable[DistrictRow]) -> None:
        placeholder = [SelectChoice("", _l("请选择"))]
        self.category.choices = placeholder + [
            SelectChoice(category.slug, localized(category)) for category in categories
        ]
        self.district.choices = placeholder + [
            SelectChoice(district.name, localized(district)) for district in districts
        ]

    def set_deadline_bounds(self, today: date | None = None) -> None:
        today = today or local_today()
        self.deadline.render_kw = {
            "min": date.fromordinal(today.toordinal() + 1).isoformat(),
            "max": latest_deadline_day(today).isoformat(),
        }

    def fill_from(self, project: Project) -> None:
        """Prefill the edit form with the project as stored (goal back in yuan, deadline as a local date)."""
        self.title.data = project.title
        self.summary.data = project.summary
        self.description.data = project.description
        self.category.data = project.category.slug if project.category else ""
        self.tags.data = TAG_SEPARATOR.join(project.tags or [])
        self.district.data = project.district
        self.community.data = project.community
        self.goal_yuan.data = fen_to_yuan_input(project.goal_amount)
        self.deadline.data = to_local(project.deadline).date().isoformat()
        self.funding_model.data = project.funding_model
        self.beneficiaries.data = str(project.beneficiaries or 0)
        self.video_url.data = project.video_url or ""

    def to_input(self, *, creating: bool) -> ProjectInput:
        """Everything as typed. On a new project an unselected choice is "not given", so the operation
        asks for it; on an edit it is passed as typed, so clearing a field is an error, not a no-op."""
        blank = _blank_to_none if creating else _as_text
        return ProjectInput(
            title=self.title.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            category=blank(self.category.data),
            tags=self.tags.data or "",
            district=blank(self.district.data),
            community=self.community.data or "",
            goal_yuan=self.goal_yuan.data or "",
            deadline=blank(self.deadline.data),
            funding_model=blank(self.funding_model.data),
            beneficiaries=self.beneficiaries.data or "0",
            video_url=self.video_url.data or "",
        )

    def cover_bytes(self, limit: int) -> bytes | None:
        """The uploaded cover, read up to one byte past ``limit`` so the size check still fires."""
        upload = self.cover_image.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return upload.read(limit + 1)


class TransitionForm(FlaskForm):
    action = HiddenField()
    reason = TextAreaField(
        _l("退回原因"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": 500, "rows": 3},
        description=_l("会显示给发起组织，请写明需要修改的地方"),
    )
    # Where the decision was made, so errors and the success message land back on that page.
    origin = HiddenField()
