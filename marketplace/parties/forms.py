"""Profile, team, verification and grading forms. They only coerce types; the operations validate."""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional, StopValidation

from marketplace.accounts.operations import AccountInput
from marketplace.extensions import db
from marketplace.forms import strip_filter
from marketplace.money import fen_to_yuan_input
from marketplace.parties.models import GRADES, TIER_LABELS, Company, Organization
from marketplace.parties.operations import PartyInput
from marketplace.taxonomy.models import Category, District
from marketplace.web import localized, translate


class Filled(DataRequired):
    """``DataRequired`` whose message is plain text, so templates can treat it as a string."""

    def __call__(self, form: Any, field: Any) -> None:
        try:
            super().__call__(form, field)
        except StopValidation as stop:
            raise StopValidation(str(stop.args[0]) if stop.args else "") from None


class Required:
    """Marks a field as required (asterisk, ``required`` attribute); the operation checks it."""

    field_flags: ClassVar[dict[str, bool]] = {"required": True}

    def __call__(self, form: Any, field: Any) -> None:
        return None


def category_choices() -> list[tuple[str, str]]:
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    return [(category.slug, localized(category)) for category in categories]


def district_choices() -> list[tuple[str, str]]:
    districts = db.session.scalars(select(District).order_by(District.position, District.name)).all()
    return [(district.name, localized(district)) for district in districts]


class _ProfileForm(FlaskForm):
    name = StringField(filters=[strip_filter], validators=[Required()], render_kw={"maxlength": 100})
    uscc = StringField(
        _l("统一社会信用代码"),
        filters=[strip_filter],
        validators=[Required()],
        render_kw={"maxlength": 24, "autocomplete": "off", "spellcheck": "false"},
    )
    district = SelectField(_l("所在区县"), validate_choice=False, validators=[Required()])
    description = TextAreaField(_l("简介"), filters=[strip_filter], render_kw={"maxlength": 2000, "rows": 6})
    contact_name = StringField(_l("联系人"), filters=[strip_filter], validators=[Required()])
    contact_phone = StringField(_l("联系电话"), filters=[strip_filter], render_kw={"inputmode": "tel"})
    contact_email = EmailField(_l("联系邮箱"), filters=[strip_filter], validators=[Required()])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.district.choices = [("", _l("请选择区县")), *district_choices()]

    def _common(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "uscc": self.uscc.data or "",
            "district": self.district.data or "",
            "description": self.description.data or "",
            "contact_name": self.contact_name.data or "",
            "contact_phone": self.contact_phone.data or "",
            "contact_email": self.contact_email.data or "",
        }


def _common_data(party: Organization | Company) -> dict[str, Any]:
    return {
        "name": party.name,
        "uscc": party.uscc,
        "district": party.district,
        "description": party.description,
        "contact_name": party.contact_name,
        "contact_phone": party.contact_phone,
        "contact_email": party.contact_email,
    }


class OrganizationProfileForm(_ProfileForm):
    community = StringField(_l("街道 / 社区"), filters=[strip_filter], render_kw={"maxlength": 100})
    founded_year = StringField(_l("成立年份"), filters=[strip_filter], render_kw={"inputmode": "numeric"})
    business_areas = SelectMultipleField(_l("服务领域（可多选）"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.name.label.text = _l("组织名称")
        self.business_areas.choices = category_choices()

    @staticmethod
    def data_from(organization: Organization) -> dict[str, Any]:
        return {
            **_common_data(organization),
            "community": organization.community,
            "founded_year": str(organization.founded_year or ""),
            "business_areas": [category.slug for category in organization.business_areas],
        }

    def party_input(self) -> PartyInput:
        return PartyInput(
            **self._common(),
            community=self.community.data or "",
            founded_year=self.founded_year.data or None,
            business_areas=list(self.business_areas.data or []),
        )


class CompanyProfileForm(_ProfileForm):
    industry = StringField(_l("所属行业"), filters=[strip_filter], render_kw={"maxlength": 50})
    focus_categories = SelectMultipleField(_l("关注的公益领域（可多选）"), validate_choice=False)
    districts_of_interest = SelectMultipleField(_l("关注的区县（可多选）"), validate_choice=False)
    yearly_budget_yuan = StringField(
        _l("年度公益预算（元）"), filters=[strip_filter], render_kw={"inputmode": "decimal"}
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.name.label.text = _l("企业名称")
        self.focus_categories.choices = category_choices()
        self.districts_of_interest.choices = district_choices()

    @staticmethod
    def data_from(company: Company) -> dict[str, Any]:
        budget = company.yearly_budget
        return {
            **_common_data(company),
            "industry": company.industry,
            "focus_categories": [category.slug for category in company.focus_categories],
            "districts_of_interest": [district.name for district in company.districts_of_interest],
            "yearly_budget_yuan": fen_to_yuan_input(budget) if budget is not None else "",
        }

    def party_input(self) -> PartyInput:
        return PartyInput(
            **self._common(),
            industry=self.industry.data or "",
            focus_categories=list(self.focus_categories.data or []),
            districts_of_interest=list(self.districts_of_interest.data or []),
            yearly_budget_yuan=self.yearly_budget_yuan.data or None,
        )


# Profile operations report the budget in fen under "yearly_budget".
PROFILE_ALIASES = {"yearly_budget": "yearly_budget_yuan"}


class MemberForm(FlaskForm):
    """A colleague joining the same organization or company."""

    name = StringField(
        _l("姓名"), filters=[strip_filter], validators=[Required()], render_kw={"maxlength": 50}
    )
    email = EmailField(
        _l("登录邮箱"), filters=[strip_filter], validators=[Required()], render_kw={"autocomplete": "off"}
    )
    password = PasswordField(
        _l("初始密码"), validators=[Required()], render_kw={"autocomplete": "new-password", "minlength": 10}
    )

    def account_input(self) -> AccountInput:
        return AccountInput(
            email=self.email.data or "", password=self.password.data or "", name=self.name.data or ""
        )


class DecisionForm(FlaskForm):
    """Staff verify or reject an organization or a company."""

    action = HiddenField()
    reason = TextAreaField(_l("未通过原因"), filters=[strip_filter])


class GradeForm(FlaskForm):
    grade = SelectField(_l("等级"), validate_choice=False)
    grade_valid_until = DateField(_l("等级有效期至"), validators=[Optional()], render_kw={"type": "date"})
    tier = SelectField(_l("层级"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.grade.choices = [("", _l("暂未评级")), *((grade, f"{grade[1]}A") for grade in reversed(GRADES))]
        self.tier.choices = [
            ("", _l("无")),
            *((tier.value, translate(label)) for tier, label in TIER_LABELS.items()),
        ]

    @staticmethod
    def data_from(organization: Organization) -> dict[str, Any]:
        return {
            "grade": organization.grade or "",
            "grade_valid_until": organization.grade_valid_until,
            "tier": organization.tier or "",
        }
