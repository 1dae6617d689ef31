"""The two public voting forms: ask for a code, then vote with it. They only collect what was typed;
what it means (a valid e-mail or mobile number, a matching code, allowed choices) is decided by
``voting_rules`` and ``voting``, the same way for the pages and the API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField

from marketplace.errors import DomainError
from marketplace.forms import strip_filter
from marketplace.messages import Msg

INVALID_CHOICE = Msg("所选组织无效，请重新选择")


class VoteCodeForm(FlaskForm):
    step = HiddenField(default="code")
    identity = StringField(
        _l("电子邮箱或手机号"),
        filters=[strip_filter],
        description=_l("我们会向它发送一个 6 位验证码；每个邮箱或手机号每轮只能投一次票。"),
        render_kw={"autocomplete": "email", "maxlength": 254},
    )


class VoteForm(FlaskForm):
    step = HiddenField(default="vote")
    code = StringField(
        _l("验证码"),
        filters=[strip_filter],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 12},
    )
    # Choices are checked by the operation (with its own messages), not by WTForms.
    organizations = SelectMultipleField(_l("选择组织"), choices=[], coerce=str, validate_choice=False)

    def organization_ids(self) -> list[int]:
        ids = []
        for raw in self.organizations.data or []:
            text = str(raw).strip()
            if not text.isascii() or not text.isdigit() or len(text) > 10:
                raise DomainError.on("organization_ids", INVALID_CHOICE)
            ids.append(int(text))
        return ids
