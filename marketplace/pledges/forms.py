"""Pledge, staff money and partner-foundation forms. They only carry input: amounts stay text until
the view parses them with ``money.parse_yuan``, and every rule lives in ``pledges.operations``."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from marketplace.forms import strip_filter
from marketplace.money import fen_to_yuan_input
from marketplace.parties.models import Organization
from marketplace.pledges.models import PartnerFoundation
from marketplace.pledges.operations import (
    BANK_REFERENCE_MAX,
    IN_KIND_MAX,
    MESSAGE_MAX,
    BankAccountInput,
    FoundationInput,
    PledgeRequest,
)
from marketplace.pledges.states import PledgeMethod
from marketplace.projects.forms import MarkRequired

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_MONEY_INPUT = {"inputmode": "decimal", "autocomplete": "off"}


def new_form_token() -> str:
    """A one-time token for one pledge form: submitting the same form twice gives one pledge."""
    return secrets.token_urlsafe(24)


def valid_form_token(token: str | None) -> bool:
    return bool(token) and _TOKEN.fullmatch(token or "") is not None


class PledgeForm(FlaskForm):
    amount = StringField(
        _l("认捐金额（元）"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("以人民币元为单位，最少 1 元，单笔不超过 1000 万元，最多两位小数"),
    )
    method = RadioField(_l("认捐方式"), validators=[MarkRequired()], validate_choice=False)
    in_kind_description = TextAreaField(
        _l("物资或服务说明（仅物资捐赠填写）"),
        filters=[strip_filter],
        render_kw={"maxlength": IN_KIND_MAX, "rows": 3},
        description=_l("写明名称、数量和规格，例如：儿童绘本 200 册、护眼台灯 30 盏；金额栏填写估价"),
    )
    message = TextAreaField(
        _l("给项目的留言"),
        filters=[strip_filter],
        render_kw={"maxlength": MESSAGE_MAX, "rows": 2},
        description=_l("选填，不超过 %(n)d 个字，会显示在项目页面的支持者名单中", n=MESSAGE_MAX),
    )
    anonymous = BooleanField(
        _l("匿名展示"),
        description=_l("勾选后，支持者名单显示为“匿名企业”；金额和留言照常显示，收据仍开给贵企业"),
    )
    token = HiddenField()

    def set_methods(self, *, card_enabled: bool) -> None:
        choices = []
        if card_enabled:
            choices.append(SelectChoice(PledgeMethod.CARD.value, _l("在线支付（银行卡）")))
        choices += [
            SelectChoice(PledgeMethod.BANK_TRANSFER.value, _l("对公转账")),
            SelectChoice(PledgeMethod.IN_KIND.value, _l("物资或服务捐赠")),
        ]
        self.method.choices = choices

    def to_request(self, amount: int) -> PledgeRequest:
        return PledgeRequest(
            amount=amount,
            method=self.method.data or "",
            message=self.message.data or "",
            anonymous=bool(self.anonymous.data),
            in_kind_description=self.in_kind_description.data or "",
        )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (cancel, clear a flag)."""


class ConfirmForm(FlaskForm):
    received_amount = StringField(
        _l("到账金额（元）"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("按银行回单填写实际到账金额"),
    )
    bank_reference = StringField(
        _l("银行流水号"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": BANK_REFERENCE_MAX, "autocomplete": "off"},
        description=_l("银行回单上的交易流水号，同一流水号只能登记一次"),
    )

    def prefill(self, amount: int) -> ConfirmForm:
        self.received_amount.data = fen_to_yuan_input(amount)
        return self


class InKindConfirmForm(ConfirmForm):
    """Goods and services: staff value them on receipt; a receipt number is optional."""

    received_amount = StringField(
        _l("验收估值（元）"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("按验收时的市场价或企业提供的发票金额核定"),
    )
    bank_reference = StringField(
        _l("验收单号（选填）"),
        filters=[strip_filter],
        render_kw={"maxlength": BANK_REFERENCE_MAX, "autocomplete": "off"},
        description=_l("入库单或验收单的编号，同一编号只能登记一次"),
    )
    note = StringField(
        _l("验收备注（选填）"),
        filters=[strip_filter],
        render_kw={"maxlength": 300},
        description=_l("如物资数量、规格与认捐说明不一致，请在此说明"),
    )


class RefundForm(FlaskForm):
    amount = StringField(
        _l("退款金额（元）"),
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("留空则退还全部可退金额"),
    )


class DisbursementForm(FlaskForm):
    amount = StringField(
        _l("拨付金额（元）"), validators=[MarkRequired()], filters=[strip_filter], render_kw=_MONEY_INPUT
    )
    bank_reference = StringField(
        _l("银行流水号"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": BANK_REFERENCE_MAX, "autocomplete": "off"},
    )
    note = TextAreaField(
        _l("备注"), filters=[strip_filter], render_kw={"maxlength": 300, "rows": 2}, description=_l("选填")
    )


class ProjectFoundationForm(FlaskForm):
    foundation_id = SelectField(_l("收款基金会"), validate_choice=False)

    def set_choices(self, foundations: Iterable[PartnerFoundation], default_name: str | None) -> None:
        default_label = (
            _l("默认合作基金会（%(name)s）", name=default_name) if default_name else _l("默认合作基金会")
        )
        self.foundation_id.choices = [SelectChoice("", default_label)] + [
            SelectChoice(str(foundation.id), foundation.name) for foundation in foundations
        ]

    def chosen_id(self) -> int | None:
        value = (self.foundation_id.data or "").strip()
        return int(value) if value.isdigit() else None


class _BankAccountFields(FlaskForm):
    bank_name = StringField(
        _l("开户银行"), filters=[strip_filter], render_kw={"maxlength": 100, "autocomplete": "off"}
    )
    bank_account_name = StringField(
        _l("户名"), filters=[strip_filter], render_kw={"maxlength": 100, "autocomplete": "off"}
    )
    bank_account_number = StringField(
        _l("银行账号"),
        filters=[strip_filter],
        render_kw={"maxlength": 40, "inputmode": "numeric", "autocomplete": "off"},
        description=_l("8 至 30 位数字，可以带空格"),
    )


class FoundationForm(_BankAccountFields):
    name = StringField(
        _l("基金会名称"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": 100, "autocomplete": "off"},
    )
    uscc = StringField(
        _l("统一社会信用代码"),
        filters=[strip_filter],
        render_kw={"maxlength": 18, "autocomplete": "off"},
        description=_l("选填，打印在捐赠收据上"),
    )
    is_default = BooleanField(
        _l("设为默认收款基金会"), description=_l("未单独指定基金会、且没有公开募捐资格的项目由它收款")
    )
    active = BooleanField(_l("启用"), default=True, description=_l("停用后不再接收新的认捐"))

    def fill_from(self, foundation: PartnerFoundation) -> FoundationForm:
        self.name.data = foundation.name
        self.uscc.data = foundation.uscc
        self.bank_name.data = foundation.bank_name
        self.bank_account_name.data = foundation.bank_account_name
        self.bank_account_number.data = foundation.bank_account_number
        self.is_default.data = foundation.is_default
        self.active.data = foundation.active
        return self

    def to_input(self) -> FoundationInput:
        return FoundationInput(
            name=self.name.data or "",
            uscc=self.uscc.data or "",
            bank_name=self.bank_name.data or "",
            bank_account_name=self.bank_account_name.data or "",
            bank_account_number=self.bank_account_number.data or "",
            is_default=bool(self.is_default.data),
            active=bool(self.active.data),
        )


class FundraisingForm(_BankAccountFields):
    qualified = BooleanField(
        _l("已取得公开募捐资格"),
        description=_l("依《慈善法》取得公开募捐资格证书的组织，可以用自己的账户接收认捐"),
    )

    def fill_from(self, organization: Organization) -> FundraisingForm:
        self.qualified.data = organization.public_fundraising_qualified
        self.bank_name.data = organization.bank_name
        # The account is normally in the organization's registered name.
        self.bank_account_name.data = organization.bank_account_name or organization.name
        self.bank_account_number.data = organization.bank_account_number
        return self

    def to_account(self) -> BankAccountInput:
        return BankAccountInput(
            bank_name=self.bank_name.data or "",
            bank_account_name=self.bank_account_name.data or "",
            bank_account_number=self.bank_account_number.data or "",
        )
