"""Sponsor-profile, introduction and response forms. They only carry input: amounts stay text until
``to_input`` parses them with ``money.parse_yuan``, and every rule lives in ``matching.operations``."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField

from marketplace.errors import DomainError
from marketplace.forms import FieldReader, optional_yuan, strip_filter
from marketplace.matching.models import SponsorProfile
from marketplace.matching.operations import NOTE_MAX, STATEMENT_MAX, SponsorProfileInput
from marketplace.matching.scoring import GRADES, TIER_NAMES, TIERS
from marketplace.messages import Msg
from marketplace.money import fen_to_yuan_input
from marketplace.parties.forms import category_choices, district_choices
from marketplace.parties.models import Company

_MONEY_INPUT = {"inputmode": "decimal", "autocomplete": "off"}
RESPONSE_NOTE_MAX = 500


def grade_label(grade: str) -> str:
    """ "A4" → "4A", as organizations' grades are written in China."""
    return f"{grade[1:]}A" if grade[:1] == "A" else grade


def _optional_count(text: str | None, field: str) -> int | None:
    value = (text or "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise DomainError.on(field, Msg("志愿者人数请填写整数，例如 20"))
    return int(value)


class SponsorProfileForm(FlaskForm):
    focus_categories = SelectMultipleField(
        _l("关注的公益领域（可多选）"),
        validate_choice=False,
        description=_l("同领域的项目排在前面；不选表示各领域都可以"),
    )
    districts = SelectMultipleField(
        _l("关注的区县（可多选）"),
        validate_choice=False,
        description=_l("不选表示不限区县；贵司所在区县的项目也会优先"),
    )
    pledge_min = StringField(
        _l("通常单笔认捐：最低（元）"),
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("选填，例如 2000"),
    )
    pledge_max = StringField(
        _l("通常单笔认捐：最高（元）"),
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("选填，例如 20000；缺口在这个范围内的项目会优先推荐，一键认捐按它建议金额"),
    )
    yearly_budget = StringField(
        _l("年度公益预算（元）"),
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("选填；没有填写单笔范围时，按年度预算的四分之一估计"),
    )
    interest_statement = TextAreaField(
        _l("关注说明"),
        filters=[strip_filter],
        render_kw={"maxlength": STATEMENT_MAX, "rows": 5},
        description=_l(
            "用几句话写下贵司想支持什么，例如“关注留守儿童的课后陪伴和阅读，也愿意支持社区长者助餐”。"
            "平台会把这段话和项目的标题、简介、详情逐词比对，用词相近的项目得分更高，推荐理由里会列出相符的词。"
        ),
    )
    preferred_grades = SelectMultipleField(
        _l("偏好的组织评级（选填）"),
        validate_choice=False,
        description=_l("不选表示不限；选了之后，其他评级的组织仍会推荐，但排得靠后"),
    )
    preferred_tiers = SelectMultipleField(
        _l("偏好的组织梯队（选填）"),
        validate_choice=False,
        description=_l("不选表示不限"),
    )
    volunteer_capacity = StringField(
        _l("每年可组织的志愿者人数（选填）"),
        filters=[strip_filter],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
        description=_l("员工志愿服务的大致人数，便于团区委牵线需要志愿者的项目"),
    )

    def set_choices(self) -> None:
        self.focus_categories.choices = category_choices()
        self.districts.choices = district_choices()
        self.preferred_grades.choices = [(grade, grade_label(grade)) for grade in reversed(GRADES)]
        self.preferred_tiers.choices = [(tier, TIER_NAMES[tier]) for tier in TIERS]

    def fill_from(self, company: Company, profile: SponsorProfile | None) -> None:
        self.focus_categories.data = [category.slug for category in company.focus_categories]
        self.districts.data = [district.name for district in company.districts_of_interest]
        budget = company.yearly_budget
        self.yearly_budget.data = fen_to_yuan_input(budget) if budget is not None else ""
        if profile is None:
            return
        self.pledge_min.data = fen_to_yuan_input(profile.pledge_min) if profile.pledge_min else ""
        self.pledge_max.data = fen_to_yuan_input(profile.pledge_max) if profile.pledge_max else ""
        self.interest_statement.data = profile.interest_statement or ""
        self.preferred_grades.data = list(profile.preferred_grades or [])
        self.preferred_tiers.data = list(profile.preferred_tiers or [])
        capacity = profile.volunteer_capacity
        self.volunteer_capacity.data = str(capacity) if capacity is not None else ""

    def to_input(self) -> tuple[SponsorProfileInput, dict[str, str]]:
        """The typed values (fen for amounts) and the reasons of the fields that could not be read;
        an unreadable field is left empty in the input so the operation still checks the others."""
        reader = FieldReader()
        read, errors = reader.read, reader.errors
        data = SponsorProfileInput(
            focus_categories=list(self.focus_categories.data or []),
            districts=list(self.districts.data or []),
            pledge_min=read(lambda: optional_yuan(self.pledge_min.data, "pledge_min")),
            pledge_max=read(lambda: optional_yuan(self.pledge_max.data, "pledge_max")),
            yearly_budget=read(lambda: optional_yuan(self.yearly_budget.data, "yearly_budget")),
            interest_statement=self.interest_statement.data or "",
            preferred_grades=list(self.preferred_grades.data or []),
            preferred_tiers=list(self.preferred_tiers.data or []),
            volunteer_capacity=read(
                lambda: _optional_count(self.volunteer_capacity.data, "volunteer_capacity")
            ),
        )
        return data, errors


class IntroduceForm(FlaskForm):
    """Staff introduce a company to a project (posted from the board, the project page or a list)."""

    company_id = HiddenField()
    project_id = HiddenField()
    note = TextAreaField(
        _l("给企业的附言"),
        filters=[strip_filter],
        render_kw={"maxlength": NOTE_MAX, "rows": 2},
    )
    back = HiddenField()

    def ids(self) -> tuple[int | None, int | None]:
        def number(value: Any) -> int | None:
            text = str(value or "").strip()
            return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None

        return number(self.company_id.data), number(self.project_id.data)


class RespondForm(FlaskForm):
    """The company answers an introduction: interested or declined, with an optional note."""

    status = HiddenField()
    note = TextAreaField(
        _l("回复团区委（选填）"),
        filters=[strip_filter],
        render_kw={"maxlength": RESPONSE_NOTE_MAX, "rows": 3},
        description=_l("例如希望了解的情况、可以支持的方式，或婉拒的原因"),
    )
