"""Login, sign-up and password forms. They only coerce types; the operations validate.

Field names equal the operation's field names (``AccountInput``, ``PartyInput``), except the
party's name, which is ``party_name`` here because the person signing up also has a ``name``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField

from marketplace.accounts.operations import AccountInput
from marketplace.forms import strip_filter
from marketplace.parties.forms import Filled, Required, category_choices, district_choices
from marketplace.parties.operations import PartyInput


class LoginForm(FlaskForm):
    email = EmailField(_l("邮箱"), filters=[strip_filter], render_kw={"autocomplete": "username"})
    password = PasswordField(_l("密码"), render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("记住我（30 天内免登录）"))


class _SignUpForm(FlaskForm):
    party_name = StringField(filters=[strip_filter], validators=[Required()], render_kw={"maxlength": 100})
    uscc = StringField(
        _l("统一社会信用代码"),
        filters=[strip_filter],
        validators=[Required()],
        render_kw={"maxlength": 24, "autocomplete": "off", "spellcheck": "false"},
    )
    district = SelectField(_l("所在区县"), validate_choice=False, validators=[Required()])
    name = StringField(
        _l("联系人姓名"), filters=[strip_filter], validators=[Required()], render_kw={"autocomplete": "name"}
    )
    contact_phone = StringField(
        _l("联系电话"),
        filters=[strip_filter],
        validators=[Filled(message=_l("请填写联系电话"))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    email = EmailField(
        _l("登录邮箱"), filters=[strip_filter], validators=[Required()], render_kw={"autocomplete": "email"}
    )
    password = PasswordField(
        _l("密码"), validators=[Required()], render_kw={"autocomplete": "new-password", "minlength": 10}
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.district.choices = [("", _l("请选择区县")), *district_choices()]

    def account_input(self) -> AccountInput:
        return AccountInput(
            email=self.email.data or "", password=self.password.data or "", name=self.name.data or ""
        )

    def _party_common(self) -> dict[str, Any]:
        # The person signing up is the party's first contact.
        return {
            "name": self.party_name.data or "",
            "uscc": self.uscc.data or "",
            "district": self.district.data or "",
            "contact_name": self.name.data or "",
            "contact_phone": self.contact_phone.data or "",
            "contact_email": self.email.data or "",
        }


class OrganizationSignUpForm(_SignUpForm):
    business_areas = SelectMultipleField(
        _l("服务领域（可多选）"),
        validate_choice=False,
        validators=[Filled(message=_l("请至少选择一个服务领域"))],
    )
    community = StringField(_l("街道 / 社区"), filters=[strip_filter], render_kw={"maxlength": 100})

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.party_name.label.text = _l("组织名称")
        self.business_areas.choices = category_choices()

    def party_input(self) -> PartyInput:
        return PartyInput(
            **self._party_common(),
            community=self.community.data or "",
            business_areas=list(self.business_areas.data or []),
        )


class CompanySignUpForm(_SignUpForm):
    industry = StringField(_l("所属行业"), filters=[strip_filter], render_kw={"maxlength": 50})
    focus_categories = SelectMultipleField(_l("关注的公益领域（可多选）"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.party_name.label.text = _l("企业名称")
        self.focus_categories.choices = category_choices()

    def party_input(self) -> PartyInput:
        return PartyInput(
            **self._party_common(),
            industry=self.industry.data or "",
            focus_categories=list(self.focus_categories.data or []),
        )


# Where a sign-up operation's field differs from the form's field.
SIGN_UP_ALIASES = {"contact_name": "name", "contact_email": "email"}


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("新密码"), render_kw={"autocomplete": "new-password", "minlength": 10})
    confirmation = PasswordField(_l("再次输入新密码"), render_kw={"autocomplete": "new-password"})
