"""Agreement forms. They only carry input: dates and amounts stay text until ``to_input`` reads them
(yuan into fen with ``money.parse_yuan``, never through floats), and every rule lives in
``agreements.operations`` and the pure ``agreements.terms``. The operations name fields by paths
(``terms.scope``, ``tranches[0].amount``); :func:`place_errors` puts each reason next to its input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import DateInput

from marketplace.agreements import terms as rules
from marketplace.agreements.operations import (
    COMMENT_MAX,
    REASON_MAX,
    SIGNER_TITLE_MAX,
    TITLE_MAX,
    AgreementInput,
    VersionInput,
)
from marketplace.agreements.terms import Terms, Tranche
from marketplace.forms import FieldReader, add_error, optional_date, optional_int, optional_yuan, strip_filter
from marketplace.messages import Msg
from marketplace.money import fen_to_yuan_input
from marketplace.web import translate

TRANCHE_ROWS = 6
_MONEY_INPUT = {"inputmode": "decimal", "autocomplete": "off"}
_NUMBER_INPUT = {"inputmode": "numeric", "autocomplete": "off"}


class MarkRequired:
    """Marks a field as required on the page (asterisk) without validating it here: the operation
    decides and words the message."""

    field_flags = {"required": True}  # noqa: RUF012 (WTForms reads this class attribute)

    def __call__(self, form: Any, field: Any) -> None:
        return None


def _id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def _lines(text: str | None) -> tuple[str, ...]:
    """One item per line; blank lines are spacing, not empty items."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


# ───────────── creating an agreement ─────────────


class AgreementForm(FlaskForm):
    title = StringField(
        _l("协议名称"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
        description=_l("例如：温州某某公司 × 某某社工服务中心 战略合作协议"),
    )
    company_id = SelectField(_l("签约企业"), validators=[MarkRequired()], validate_choice=False)
    organization_id = SelectField(_l("签约社会组织"), validators=[MarkRequired()], validate_choice=False)
    project_ids = SelectMultipleField(_l("关联项目（选填）"), validate_choice=False)
    starts_on = StringField(
        _l("开始日期"), validators=[MarkRequired()], filters=[strip_filter], widget=DateInput()
    )
    ends_on = StringField(
        _l("结束日期"), validators=[MarkRequired()], filters=[strip_filter], widget=DateInput()
    )
    auto_renew = BooleanField(_l("到期自动续期（按原期限再续一期）"))
    renewal_notice_days = StringField(
        _l("续约提醒（到期前天数）"),
        filters=[strip_filter],
        render_kw=_NUMBER_INPUT,
        description=_l("到期前多少天提醒各方商量续约，须短于协议期限"),
    )
    introduction_id = HiddenField()

    def to_input(self) -> tuple[AgreementInput, dict[str, str]]:
        reader = FieldReader()
        read = reader.read
        notice = read(
            lambda: optional_int(
                self.renewal_notice_days.data,
                "renewal_notice_days",
                Msg("续约提醒天数须为不小于 0 的整数"),
            )
        )
        data = AgreementInput(
            title=self.title.data or "",
            company_id=_id(self.company_id.data),
            organization_id=_id(self.organization_id.data),
            project_ids=[number for number in map(_id, self.project_ids.data or []) if number is not None],
            starts_on=read(lambda: optional_date(self.starts_on.data, "starts_on")),
            ends_on=read(lambda: optional_date(self.ends_on.data, "ends_on")),
            auto_renew=bool(self.auto_renew.data),
            renewal_notice_days=rules.NOTICE_DEFAULT if notice is None else notice,
            introduction_id=_id(self.introduction_id.data),
        )
        return data, reader.errors


# ───────────── the terms of a version ─────────────


class TrancheRow(Form):
    """One line of the payment schedule; a row left blank is not a tranche."""

    due_on = StringField(_l("拨付日期"), filters=[strip_filter], widget=DateInput())
    amount = StringField(_l("金额（元）"), filters=[strip_filter], render_kw=_MONEY_INPUT)
    project_id = SelectField(_l("资助项目"), validate_choice=False)
    note = StringField(_l("备注"), filters=[strip_filter], render_kw={"maxlength": rules.SHORT_MAX})

    @property
    def is_blank(self) -> bool:
        return not (self.due_on.data or self.amount.data or self.note.data)


@dataclass
class TermsInput:
    """What the terms form read: the operation's input, the reasons of fields that could not be read,
    and which form row each tranche came from (blank rows are skipped, so the operation's
    ``tranches[i]`` is not always row i)."""

    data: VersionInput
    unreadable: dict[str, str] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)


class TermsForm(FlaskForm):
    scope = TextAreaField(
        _l("合作范围"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": rules.TEXT_MAX, "rows": 4},
        description=_l("双方在哪些方面合作，例如：共同开展社区长者助餐与探访服务"),
    )
    obligations_company = TextAreaField(
        _l("企业一方的义务"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": rules.TEXT_MAX, "rows": 4},
    )
    obligations_organization = TextAreaField(
        _l("社会组织一方的义务"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": rules.TEXT_MAX, "rows": 4},
    )
    committed_amount = StringField(
        _l("承诺资助总额（元）"),
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("选填；填写后须在下面的拨付计划中分期列出，各期合计须等于总额"),
    )
    tranches = FieldList(
        FormField(TrancheRow), label=_l("拨付计划"), min_entries=TRANCHE_ROWS, max_entries=TRANCHE_ROWS
    )
    in_kind = TextAreaField(
        _l("物资与服务支持"),
        filters=[strip_filter],
        render_kw={"maxlength": rules.TEXT_MAX, "rows": 3},
        description=_l("选填，例如：每年提供图书 500 册、场地支持"),
    )
    volunteers = StringField(
        _l("志愿者人次"),
        filters=[strip_filter],
        render_kw=_NUMBER_INPUT,
        description=_l("选填，企业每年组织员工志愿服务的人次"),
    )
    kpis = TextAreaField(
        _l("绩效指标"),
        filters=[strip_filter],
        render_kw={"rows": 4},
        description=_l("每行一条，例如：全年服务独居老人不少于 2000 人次"),
    )
    confidentiality = TextAreaField(
        _l("保密条款"), filters=[strip_filter], render_kw={"maxlength": rules.TEXT_MAX, "rows": 3}
    )
    dispute = TextAreaField(
        _l("争议解决"),
        filters=[strip_filter],
        render_kw={"maxlength": rules.TEXT_MAX, "rows": 3},
        description=_l("例如：协商不成的，提交协议签订地人民法院诉讼解决"),
    )
    extra = TextAreaField(
        _l("补充条款"),
        filters=[strip_filter],
        render_kw={"rows": 4},
        description=_l("选填，每行一条"),
    )
    # Only for amendments and renewals: the first version runs for the agreement's period.
    starts_on = StringField(_l("开始日期"), filters=[strip_filter], widget=DateInput())
    ends_on = StringField(_l("结束日期"), filters=[strip_filter], widget=DateInput())
    auto_renew = BooleanField(_l("到期自动续期"))
    renewal_notice_days = StringField(
        _l("续约提醒（到期前天数）"), filters=[strip_filter], render_kw=_NUMBER_INPUT
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Problems with the schedule as a whole ("tranches": no rows, totals do not add up).
        self.tranche_errors: list[str] = []

    def set_projects(self, projects: Sequence[Any]) -> None:
        choices = [("", str(_l("— 请选择 —")))] + [(str(project.id), project.title) for project in projects]
        for row in self.tranches:
            row.form.project_id.choices = choices

    def fill_from(self, data: VersionInput, *, with_period: bool) -> None:
        terms = data.terms
        self.scope.data = terms.scope
        self.obligations_company.data = terms.obligations_company
        self.obligations_organization.data = terms.obligations_organization
        self.in_kind.data = terms.in_kind
        self.volunteers.data = "" if terms.volunteers is None else str(terms.volunteers)
        self.kpis.data = "\n".join(terms.kpis)
        self.confidentiality.data = terms.confidentiality
        self.dispute.data = terms.dispute
        self.extra.data = "\n".join(terms.extra)
        committed = data.committed_amount
        self.committed_amount.data = fen_to_yuan_input(committed) if committed else ""
        for row, tranche in zip(self.tranches, rules.sorted_tranches(data.tranches), strict=False):
            row.form.due_on.data = tranche.due_on.isoformat()
            row.form.amount.data = fen_to_yuan_input(tranche.amount)
            row.form.project_id.data = "" if tranche.project_id is None else str(tranche.project_id)
            row.form.note.data = tranche.note
        if with_period:
            self.starts_on.data = data.starts_on.isoformat() if data.starts_on else ""
            self.ends_on.data = data.ends_on.isoformat() if data.ends_on else ""
            self.auto_renew.data = bool(data.auto_renew)
            notice = data.renewal_notice_days
            self.renewal_notice_days.data = "" if notice is None else str(notice)

    def to_input(self, *, with_period: bool) -> TermsInput:
        reader = FieldReader()
        read = reader.read
        terms = Terms(
            scope=self.scope.data or "",
            obligations_company=self.obligations_company.data or "",
            obligations_organization=self.obligations_organization.data or "",
            in_kind=self.in_kind.data or "",
            volunteers=read(
                lambda: optional_int(
                    self.volunteers.data, "terms.volunteers", Msg("志愿者人次请填写整数，例如 200")
                )
            ),
            kpis=_lines(self.kpis.data),
            confidentiality=self.confidentiality.data or "",
            dispute=self.dispute.data or "",
            extra=_lines(self.extra.data),
        )
        tranches: list[Tranche] = []
        rows: list[int] = []
        for number, row in enumerate(self.tranches):
            line = row.form
            if line.is_blank:
                continue
            path = f"tranches[{number}]"
            due_on = read(lambda line=line, path=path: optional_date(line.due_on.data, f"{path}.due_on"))
            amount = read(lambda line=line, path=path: optional_yuan(line.amount.data, f"{path}.amount"))
            if due_on is None and f"{path}.due_on" not in reader.errors:
                reader.errors[f"{path}.due_on"] = Msg("请填写这一期的拨付日期")
            if amount is None and f"{path}.amount" not in reader.errors:
                reader.errors[f"{path}.amount"] = Msg("请填写这一期的金额")
            if due_on is None or amount is None:
                continue
            tranches.append(Tranche(due_on, amount, _id(line.project_id.data), line.note.data or ""))
            rows.append(number)
        data = VersionInput(
            terms=terms,
            committed_amount=read(lambda: optional_yuan(self.committed_amount.data, "committed_amount")),
            tranches=tuple(tranches),
        )
        if with_period:
            data.starts_on = read(lambda: optional_date(self.starts_on.data, "starts_on"))
            data.ends_on = read(lambda: optional_date(self.ends_on.data, "ends_on"))
            data.auto_renew = bool(self.auto_renew.data)
            data.renewal_notice_days = read(
                lambda: optional_int(
                    self.renewal_notice_days.data,
                    "renewal_notice_days",
                    Msg("续约提醒天数须为不小于 0 的整数"),
                )
            )
        # Unreadable rows were already named by their row number (not the operation's index).
        return TermsInput(data, dict(reader.errors), rows)


_TERM_FIELDS = {
    "terms.scope": "scope",
    "terms.obligations.company": "obligations_company",
    "terms.obligations.organization": "obligations_organization",
    "terms.in_kind": "in_kind",
    "terms.volunteers": "volunteers",
    "terms.kpis": "kpis",
    "terms.confidentiality": "confidentiality",
    "terms.dispute": "dispute",
    "terms.extra": "extra",
    "committed_amount": "committed_amount",
}
_PERIOD_FIELDS = {"starts_on", "ends_on", "auto_renew", "renewal_notice_days"}


def place_errors(
    form: TermsForm,
    problems: dict[str, str],
    *,
    rows: Sequence[int] = (),
    row_paths: bool = False,
    with_period: bool,
) -> None:
    """Put each of the operation's reasons next to its input. ``rows`` maps the operation's
    ``tranches[i]`` to the form row it came from; ``row_paths`` says the paths already name rows."""
    for path, reason in problems.items():
        if path.startswith("tranches[") and "]." in path:
            index_text, _, name = path[len("tranches[") :].partition("].")
            index = int(index_text) if index_text.isdigit() else -1
            number = index if row_paths else (rows[index] if 0 <= index < len(rows) else -1)
            if 0 <= number < len(form.tranches.entries) and name in (
                "due_on",
                "amount",
                "project_id",
                "note",
            ):
                add_error(getattr(form.tranches.entries[number].form, name), reason)
                continue
        elif path == "tranches":
            form.tranche_errors.append(translate(reason))
            continue
        list_path, _, item = path.partition("[")
        target = _TERM_FIELDS.get(list_path)
        if target is not None:
            if item:
                position = int(item.rstrip("]")) + 1 if item.rstrip("]").isdigit() else 0
                reason = Msg("第 %(n)d 条：%(reason)s", n=position, reason=reason)
            add_error(getattr(form, target), reason)
            continue
        if with_period and path in _PERIOD_FIELDS:
            add_error(getattr(form, path), reason)
            continue
        form.form_errors.append(translate(reason))
    # The error summary at the top lists the schedule's problems too, row by row.
    rows_wrong = [
        translate(Msg("第 %(n)d 期：%(reason)s", n=number + 1, reason=message))
        for number, row in enumerate(form.tranches.entries)
        for field_ in row.form
        for message in field_.errors
    ]
    form.tranches.errors = [*form.tranche_errors, *rows_wrong]


# ───────────── the detail page's small forms ─────────────


class TransitionForm(FlaskForm):
    action = HiddenField()
    version_id = HiddenField()
    reason = TextAreaField(_l("理由"), filters=[strip_filter], render_kw={"maxlength": REASON_MAX, "rows": 3})

    def version_number(self) -> int | None:
        return _id(self.version_id.data)


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("留言"),
        filters=[strip_filter],
        render_kw={"maxlength": COMMENT_MAX, "rows": 3},
        description=_l("各方和团区委都能看到；请写明对哪一条的意见"),
    )
    version_id = SelectField(_l("针对的版本"), validate_choice=False)

    def version_number(self) -> int | None:
        return _id(self.version_id.data)


class SignerForm(FlaskForm):
    signer_id = SelectField(_l("授权签署人"), validate_choice=False)
    signer_title = StringField(
        _l("职务"), filters=[strip_filter], render_kw={"maxlength": SIGNER_TITLE_MAX, "autocomplete": "off"}
    )

    def signer(self) -> int | None:
        return _id(self.signer_id.data)


class SignForm(FlaskForm):
    agree = BooleanField(_l("我已阅读并同意以上条款"), validators=[MarkRequired()])
    content_sha256 = HiddenField()
