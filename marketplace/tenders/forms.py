"""Tender and bid forms. They only carry input: amounts stay text until ``to_input`` reads them (yuan
into fen with ``money.parse_yuan``, never through floats), a deadline typed as a Wenzhou date and
time becomes naive UTC, and every rule lives in ``tenders.operations`` and the pure ``rules``. The
operations name fields by paths (``members[1].share``, ``subcontractors[0].is_core_work``);
:func:`place_bid_errors` puts each reason next to its input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import DateInput, TimeInput, URLInput

from marketplace.errors import DomainError
from marketplace.forms import FieldReader, add_error, optional_date, optional_int, optional_yuan, strip_filter
from marketplace.messages import Msg
from marketplace.money import fen_to_yuan_input
from marketplace.tenders import operations as ops
from marketplace.tenders import rules
from marketplace.tenders.models import Bid, Tender
from marketplace.timeutil import LOCAL_TZ, to_local
from marketplace.web import translate

_MONEY_INPUT = {"inputmode": "decimal", "autocomplete": "off"}
_NUMBER_INPUT = {"inputmode": "numeric", "autocomplete": "off"}
_SHARE_INPUT = {"inputmode": "decimal", "autocomplete": "off", "maxlength": 6}
YES_NO = {"yes": True, "no": False}


class MarkRequired:
    """Marks a field as required on the page (asterisk) without validating it here: the operation
    decides and words the message."""

    field_flags = {"required": True}  # noqa: RUF012 (WTForms reads this class attribute)

    def __call__(self, form: Any, field: Any) -> None:
        return None


def local_moment(
    day_text: str | None, time_text: str | None, date_field: str, time_field: str
) -> datetime | None:
    """A date and a time typed in Wenzhou time → naive UTC (what the columns hold); None when both
    are blank."""
    day_value = (day_text or "").strip()
    time_value = (time_text or "").strip()
    if not day_value and not time_value:
        return None
    problems: dict[str, str] = {}
    day = None
    moment = None
    try:
        day = optional_date(day_value, date_field)
    except DomainError as error:
        problems.update(error.fields)
    if not day_value:
        problems[date_field] = Msg("请填写日期")
    if not time_value:
        problems[time_field] = Msg("请填写时刻，例如 17:00")
    else:
        try:
            moment = time.fromisoformat(time_value)
        except ValueError:
            problems[time_field] = Msg("时刻格式应为 HH:MM，例如 17:00")
    if problems or day is None or moment is None:
        raise DomainError(problems)
    local = datetime.combine(day, moment.replace(microsecond=0), tzinfo=LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def _lines(text: str | None) -> list[str]:
    """One item per line; blank lines are spacing, not empty items."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def options(pairs: Sequence[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


# ───────────── the tender (staff) ─────────────

GRADE_CHOICES = options(
    [("", _l("不设最低等级"))] + [(grade, rules.grade_label(grade)) for grade in rules.GRADES]
)
OPTIONAL_FIELDS = frozenset(
    {
        "enquiry_ends_at",
        "expected_award_on",
        "contract_starts_on",
        "contract_ends_on",
        "max_members",
        "max_subcontract_share",
        "min_grade",
        "grade_rule_basis",
        "required_documents",
        "notice_url",
        "buyer_uscc",
    }
)
# Where an operation's field path shows on the tender form (the rest have the same name).
TENDER_ALIASES = {
    "submission_deadline": "submission_deadline_date",
    "enquiry_ends_at": "enquiry_ends_date",
}


class TenderForm(FlaskForm):
    title = StringField(
        _l("采购项目名称"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": ops.TITLE_MAX, "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("采购需求"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": ops.DESCRIPTION_MAX, "rows": 8},
        description=_l("服务内容、服务对象与数量、服务期限、考核要求"),
    )
    buyer_name = StringField(
        _l("采购人名称"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": ops.NAME_MAX, "autocomplete": "off", "list": "buyer-names"},
        description=_l("例如：温州市鹿城区民政局；已登记的采购人会出现在候选中"),
    )
    buyer_kind = RadioField(
        _l("采购人类型"),
        choices=options([(kind.value, label) for kind, label in rules.BUYER_KIND_LABELS.items()]),
        validators=[MarkRequired()],
        validate_choice=False,
    )
    buyer_uscc = StringField(
        _l("采购人统一社会信用代码（选填）"),
        filters=[strip_filter],
        render_kw={"maxlength": 24, "autocomplete": "off", "spellcheck": "false"},
    )
    category = SelectField(_l("服务类别"), validators=[MarkRequired()], validate_choice=False)
    district = SelectField(_l("服务区域"), validators=[MarkRequired()], validate_choice=False)
    budget = StringField(
        _l("采购预算（元）"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
    )
    budget_is_cap = RadioField(
        _l("预算是否为最高限价"),
        choices=options([("yes", _l("是，报价不得超过预算")), ("no", _l("否，预算仅供参考"))]),
        default="yes",
        validate_choice=False,
    )
    method = SelectField(
        _l("采购方式"),
        choices=options(
            [("", _l("— 请选择 —"))]
            + [(method.value, label) for method, label in rules.METHOD_LABELS.items()]
        ),
        validators=[MarkRequired()],
        validate_choice=False,
    )
    enquiry_ends_date = StringField(_l("答疑截止日期"), filters=[strip_filter], widget=DateInput())
    enquiry_ends_time = StringField(_l("答疑截止时刻"), filters=[strip_filter], widget=TimeInput())
    submission_deadline_date = StringField(
        _l("投标截止日期"), validators=[MarkRequired()], filters=[strip_filter], widget=DateInput()
    )
    submission_deadline_time = StringField(
        _l("投标截止时刻"), validators=[MarkRequired()], filters=[strip_filter], widget=TimeInput()
    )
    expected_award_on = StringField(_l("预计成交日期"), filters=[strip_filter], widget=DateInput())
    contract_starts_on = StringField(_l("服务期开始"), filters=[strip_filter], widget=DateInput())
    contract_ends_on = StringField(_l("服务期结束"), filters=[strip_filter], widget=DateInput())
    # V3: no default — staff say yes or no on purpose.
    allows_consortium = RadioField(
        _l("是否接受联合体投标"),
        choices=options([("yes", _l("接受联合体投标")), ("no", _l("不接受联合体投标"))]),
        validators=[MarkRequired()],
        validate_choice=False,
    )
    max_members = StringField(
        _l("联合体成员上限（家，选填）"),
        filters=[strip_filter],
        render_kw=_NUMBER_INPUT,
        description=_l("含牵头方，2 到 20 家；不填为不限"),
    )
    allows_subcontracting = RadioField(
        _l("是否允许分包"),
        choices=options([("yes", _l("允许分包（非主体、非关键性工作）")), ("no", _l("不允许分包"))]),
        validators=[MarkRequired()],
        validate_choice=False,
    )
    max_subcontract_share = StringField(
        _l("分包比例上限（%，选填）"),
        filters=[strip_filter],
        render_kw=_SHARE_INPUT,
        description=_l("各分包份额合计不得超过此比例，例如 40；不填则合计须低于 100%"),
    )
    min_grade = SelectField(_l("最低等级"), choices=GRADE_CHOICES, validate_choice=False)
    grade_rule = RadioField(
        _l("等级规则"),
        choices=options([(rule.value, label) for rule, label in rules.GRADE_RULE_LABELS.items()]),
        default=rules.GradeRule.PRIORITY_ONLY.value,
        validate_choice=False,
        description=_l(
            "政府采购不得以不合理条件排斥供应商（实施条例第二十条）：默认只作优先排序；作为门槛须记录依据"
        ),
    )
    grade_rule_basis = TextAreaField(
        _l("等级门槛的依据"),
        filters=[strip_filter],
        render_kw={"maxlength": 500, "rows": 3},
        description=_l("仅在以等级作为门槛时必填，例如：采购文件第三章资格条件及其论证"),
    )
    required_documents = TextAreaField(
        _l("投标须提交的材料"),
        filters=[strip_filter],
        render_kw={"rows": 5},
        description=_l("每行一项，例如：法人登记证书复印件"),
    )
    notice_url = StringField(
        _l("官方采购公告链接"),
        filters=[strip_filter],
        widget=URLInput(),
        render_kw={"maxlength": ops.URL_MAX, "autocomplete": "off"},
        description=_l("政府采购网等指定平台上的公告地址，以 http:// 或 https:// 开头"),
    )

    def fill_from(self, tender: Tender) -> None:
        self.title.data = tender.title
        self.description.data = tender.description
        self.buyer_name.data = tender.buyer.name
        self.buyer_kind.data = tender.buyer.kind
        self.buyer_uscc.data = tender.buyer.uscc
        self.category.data = tender.category.slug
        self.district.data = tender.district
        self.budget.data = fen_to_yuan_input(tender.budget)
        self.budget_is_cap.data = "yes" if tender.budget_is_cap else "no"
        self.method.data = tender.method
        self.enquiry_ends_date.data, self.enquiry_ends_time.data = _local_parts(tender.enquiry_ends_at)
        self.submission_deadline_date.data, self.submission_deadline_time.data = _local_parts(
            tender.submission_deadline
        )
        for name in ("expected_award_on", "contract_starts_on", "contract_ends_on"):
            value = getattr(tender, name)
            getattr(self, name).data = value.isoformat() if value else ""
        self.allows_consortium.data = "yes" if tender.allows_consortium else "no"
        self.max_members.data = str(tender.max_members) if tender.max_members else ""
        self.allows_subcontracting.data = "yes" if tender.allows_subcontracting else "no"
        cap = tender.max_subcontract_share
        self.max_subcontract_share.data = rules.format_share(cap) if cap is not None else ""
        self.min_grade.data = tender.min_grade or ""
        self.grade_rule.data = tender.grade_rule
        self.grade_rule_basis.data = tender.grade_rule_basis
        self.required_documents.data = "\n".join(tender.required_documents or [])
        self.notice_url.data = tender.notice_url

    def to_input(self) -> tuple[ops.TenderInput, dict[str, str]]:
        reader = FieldReader()
        read = reader.read
        data = ops.TenderInput(
            title=self.title.data or "",
            description=self.description.data or "",
            buyer_name=self.buyer_name.data or "",
            buyer_kind=self.buyer_kind.data or "",
            buyer_uscc=self.buyer_uscc.data or "",
            category=self.category.data or None,
            district=self.district.data or None,
            budget=read(lambda: optional_yuan(self.budget.data, "budget")),
            budget_is_cap=YES_NO.get(self.budget_is_cap.data or ""),
            method=self.method.data or "",
            enquiry_ends_at=read(
                lambda: local_moment(
                    self.enquiry_ends_date.data,
                    self.enquiry_ends_time.data,
                    "enquiry_ends_date",
                    "enquiry_ends_time",
                )
            ),
            submission_deadline=read(
                lambda: local_moment(
                    self.submission_deadline_date.data,
                    self.submission_deadline_time.data,
                    "submission_deadline_date",
                    "submission_deadline_time",
                )
            ),
            expected_award_on=read(lambda: optional_date(self.expected_award_on.data, "expected_award_on")),
            contract_starts_on=read(
                lambda: optional_date(self.contract_starts_on.data, "contract_starts_on")
            ),
            contract_ends_on=read(lambda: optional_date(self.contract_ends_on.data, "contract_ends_on")),
            allows_consortium=YES_NO.get(self.allows_consortium.data or ""),
            max_members=read(
                lambda: optional_int(
                    self.max_members.data, "max_members", Msg("联合体成员上限须是 2 到 20 之间的整数")
                )
            ),
            allows_subcontracting=YES_NO.get(self.allows_subcontracting.data or ""),
            max_subcontract_share=self.max_subcontract_share.data or None,
            min_grade=self.min_grade.data or None,
            grade_rule=self.grade_rule.data or rules.GradeRule.PRIORITY_ONLY.value,
            grade_rule_basis=self.grade_rule_basis.data or "",
            required_documents=_lines(self.required_documents.data),
            notice_url=self.notice_url.data or "",
            provided=OPTIONAL_FIELDS,
        )
        return data, reader.errors


def _local_parts(moment: datetime | None) -> tuple[str, str]:
    if moment is None:
        return "", ""
    local = to_local(moment)
    return local.date().isoformat(), local.strftime("%H:%M" if local.second == 0 else "%H:%M:%S")


def place_tender_errors(form: TenderForm, problems: Mapping[str, str]) -> None:
    for path, reason in problems.items():
        target = getattr(form, TENDER_ALIASES.get(path, path), None)
        if target is not None and hasattr(target, "errors") and path not in ("csrf_token",):
            add_error(target, reason)
        else:
            form.form_errors.append(translate(reason))


class ReasonForm(FlaskForm):
    """A decision that needs its reason: cancelling a tender, a declined award, 流标."""

    reason = TextAreaField(
        _l("原因"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": ops.REASON_MAX, "rows": 3},
    )


# ───────────── the bid builder ─────────────

MODE_CHOICES = options([(mode.value, label) for mode, label in rules.MODE_LABELS.items()])


class MemberRow(Form):
    """A consortium member: an organization, its share (%) and its work. Row 0 is the lead (the
    organization preparing the bid, fixed); a row left blank is not a member."""

    organization_id = SelectField(_l("成员组织"), validate_choice=False)
    share = StringField(_l("份额（%）"), filters=[strip_filter], render_kw=_SHARE_INPUT)
    scope = StringField(
        _l("分工（承担的工作）"), filters=[strip_filter], render_kw={"maxlength": rules.SCOPE_MAX}
    )

    @property
    def is_blank(self) -> bool:
        return not (self.organization_id.data or self.share.data or self.scope.data)


class SubcontractRow(Form):
    """A declared subcontract: non-core work only, confirmed row by row."""

    organization_id = SelectField(_l("分包单位"), validate_choice=False)
    share = StringField(_l("分包份额（%）"), filters=[strip_filter], render_kw=_SHARE_INPUT)
    scope = StringField(
        _l("分包的工作内容"), filters=[strip_filter], render_kw={"maxlength": rules.SCOPE_MAX}
    )
    not_core_work = BooleanField(_l("确认不属于主体、关键性工作"))

    @property
    def is_blank(self) -> bool:
        return not (
            self.organization_id.data or self.share.data or self.scope.data or self.not_core_work.data
        )


@dataclass
class BidRead:
    """What the builder read: the operation's input, the reasons of fields that could not be read,
    and which form row each member / subcontract came from (blank rows are skipped, so the
    operation's ``members[i]`` is not always row i)."""

    data: ops.BidInput
    unreadable: dict[str, str] = field(default_factory=dict)
    member_rows: list[int] = field(default_factory=list)
    subcontract_rows: list[int] = field(default_factory=list)


class BidForm(FlaskForm):
    mode = RadioField(
        _l("投标方式"), choices=MODE_CHOICES, validators=[MarkRequired()], validate_choice=False
    )
    members = FieldList(FormField(MemberRow), label=_l("联合体成员"), min_entries=2)
    subcontractors = FieldList(FormField(SubcontractRow), label=_l("分包"), min_entries=1)
    price = StringField(
        _l("投标报价（元）"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw=_MONEY_INPUT,
        description=_l("人民币，含税；不得超过采购预算（最高限价）"),
    )
    proposal = TextAreaField(
        _l("投标方案说明"),
        filters=[strip_filter],
        render_kw={"maxlength": rules.PROPOSAL_MAX, "rows": 8},
        description=_l("服务思路、团队、进度安排与质量保障；完整方案可在投标页上传 PDF"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Problems with the composition as a whole ("members": the shares do not add up to 100 %).
        self.member_errors: list[str] = []
        self.subcontract_errors: list[str] = []

    def set_organizations(self, choices: Sequence[tuple[str, str]]) -> None:
        listed = [("", str(_l("— 请选择社会组织 —"))), *choices]
        for row in (*self.members, *self.subcontractors):
            row.form.organization_id.choices = listed

    def ensure_rows(self) -> None:
        """At least the lead and one partner row, and one subcontract row, to type into."""
        while len(self.members.entries) < 2:
            self.members.append_entry()
        if not self.subcontractors.entries:
            self.subcontractors.append_entry()

    def fill_from(self, bid: Bid) -> None:
        self.mode.data = bid.mode
        while self.members.entries:
            self.members.pop_entry()
        while self.subcontractors.entries:
            self.subcontractors.pop_entry()
        # The builder's first row is the lead (a bid made through the API may list it anywhere).
        for item in sorted(bid.members, key=lambda member: member.role != "lead"):
            self.members.append_entry(
                {"organization_id": str(item.organization_id), "share": item.share_label, "scope": item.scope}
            )
        for item in bid.subcontractors:
            self.subcontractors.append_entry(
                {
                    "organization_id": str(item.organization_id),
                    "share": item.share_label,
                    "scope": item.scope,
                    "not_core_work": not item.is_core_work,
                }
            )
        self.price.data = fen_to_yuan_input(bid.price)
        self.proposal.data = bid.proposal
        self.ensure_rows()

    def to_input(self, lead_id: int) -> BidRead:
        reader = FieldReader()
        mode = self.mode.data or ""
        read = BidRead(ops.BidInput(mode=mode or None))
        lead = self.members.entries[0].form if self.members.entries else None
        if mode == rules.BidMode.CONSORTIUM:
            members = [
                ops.MemberInput(
                    organization_id=lead_id,
                    role="lead",
                    share=(lead.share.data if lead else "") or "",
                    scope=(lead.scope.data if lead else "") or "",
                )
            ]
            read.member_rows.append(0)
            for number, row in enumerate(self.members.entries[1:], start=1):
                line = row.form
                if line.is_blank:
                    continue
                members.append(
                    ops.MemberInput(
                        organization_id=_id(line.organization_id.data),
                        role="member",
                        share=line.share.data or "",
                        scope=line.scope.data or "",
                    )
                )
                read.member_rows.append(number)
            read.data.members = members
        else:
            # Bidding alone (or as prime contractor) the lead holds the whole contract.
            read.data.members = [ops.MemberInput(organization_id=lead_id, role="lead", share="100", scope="")]
            read.member_rows.append(0)
        subcontracts = []
        if mode == rules.BidMode.PRIME_WITH_SUBS:
            for number, row in enumerate(self.subcontractors.entries):
                line = row.form
                if line.is_blank:
                    continue
                subcontracts.append(
                    ops.SubcontractInput(
                        organization_id=_id(line.organization_id.data),
                        share=line.share.data or "",
                        scope=line.scope.data or "",
                        # Unticked is not "not core work": the rule refuses it next to the box.
                        is_core_work=False if line.not_core_work.data else None,
                    )
                )
                read.subcontract_rows.append(number)
        read.data.subcontractors = subcontracts
        read.data.price = reader.read(lambda: optional_yuan(self.price.data, "price"))
        read.data.provided = frozenset({"price"})
        read.data.proposal = self.proposal.data or ""
        read.unreadable = dict(reader.errors)
        return read

    def share_total(self) -> str | None:
        """The members' shares as typed, summed exactly (for the meter on a re-shown form)."""
        total = 0
        for row in self.members.entries:
            text = (row.form.share.data or "").strip()
            if not text:
                continue
            parsed = rules.parse_share(text)
            if isinstance(parsed, Msg):
                return None
            total += parsed
        return rules.format_share(total)


def row_name(kind: str, position: int) -> Msg:
    """How the builder names a row: 牵头方, 成员 2, 分包 1."""
    if kind == "members":
        return Msg("牵头方") if position == 0 else Msg("成员 %(n)d", n=position + 1)
    return Msg("分包 %(n)d", n=position + 1)


def error_summary(form: BidForm) -> list[tuple[str, str]]:
    """Every reason on the builder as (the id of the input it belongs to, the text), in page order,
    for the summary at the top; each links to its input."""
    items: list[tuple[str, str]] = [("", translate(message)) for message in form.form_errors]
    items += [(form.mode.id, f"{translate(form.mode.label.text)}：{message}") for message in form.mode.errors]
    for kind, entries, whole in (
        ("members", form.members.entries, form.member_errors),
        ("subcontractors", form.subcontractors.entries, form.subcontract_errors),
    ):
        items += [(kind, message) for message in whole]
        for position, entry in enumerate(entries):
            name = translate(row_name(kind, position))
            for item in entry.form:
                items += [
                    (item.id, f"{name} · {translate(item.label.text)}：{message}") for message in item.errors
                ]
    for item in (form.price, form.proposal):
        items += [(item.id, f"{translate(item.label.text)}：{message}") for message in item.errors]
    return items


_MEMBER_FIELDS = {"share": "share", "scope": "scope"}
_SUBCONTRACT_FIELDS = {"share": "share", "scope": "scope", "is_core_work": "not_core_work"}


def _indexed(path: str, prefix: str) -> tuple[int, str] | None:
    """``members[2].share`` → (2, "share"); ``members[2]`` → (2, "")."""
    if not path.startswith(prefix + "["):
        return None
    index_text, _, rest = path[len(prefix) + 1 :].partition("]")
    if not index_text.isdigit():
        return None
    return int(index_text), rest.removeprefix(".")


def _place_row_error(form: BidForm, path: str, reason: str, read: BidRead, row_paths: bool) -> bool:
    """A ``members[i].…`` or ``subcontractors[i].…`` reason next to its row's input; False when the
    path names no row of the form."""
    for prefix, entries, rows, names in (
        ("members", form.members.entries, read.member_rows, _MEMBER_FIELDS),
        ("subcontractors", form.subcontractors.entries, read.subcontract_rows, _SUBCONTRACT_FIELDS),
    ):
        found = _indexed(path, prefix)
        if found is None:
            continue
        index, name = found
        number = index if row_paths else (rows[index] if 0 <= index < len(rows) else -1)
        if not 0 <= number < len(entries):
            return False
        # The organization, its role, the row as a whole: shown at the organization picker.
        target = names.get(name, "organization_id")
        if prefix == "members" and number == 0 and target == "organization_id":
            # The lead is the bidding organization itself (no picker): shown with the meter.
            form.member_errors.append(translate(reason))
        else:
            add_error(getattr(entries[number].form, target), reason)
        return True
    return False


def place_bid_errors(
    form: BidForm, problems: Mapping[str, str], read: BidRead, *, row_paths: bool = False
) -> None:
    """Put each of the operation's reasons next to its input. ``read`` maps the operation's
    ``members[i]`` / ``subcontractors[i]`` to the form rows they came from; ``row_paths`` says the
    paths already name rows (the reasons of unreadable fields)."""
    whole = {"members": form.member_errors, "subcontractors": form.subcontract_errors}
    fields = {"mode": form.mode, "price": form.price, "currency": form.price, "proposal": form.proposal}
    for path, reason in problems.items():
        if path in whole:
            whole[path].append(translate(reason))
        elif path in fields:
            add_error(fields[path], reason)
        elif not _place_row_error(form, path, reason, read, row_paths):
            form.form_errors.append(translate(reason))


# ───────────── the bid page's small forms ─────────────

DOCUMENT_KINDS = options(
    [("proposal", _l("投标方案")), ("joint_agreement", _l("联合体协议")), ("other", _l("其他材料"))]
)


class DocumentForm(FlaskForm):
    kind = SelectField(_l("材料类型"), choices=DOCUMENT_KINDS, validate_choice=False)
    title = StringField(
        _l("材料名称"),
        filters=[strip_filter],
        render_kw={"maxlength": ops.DOCUMENT_TITLE_MAX, "autocomplete": "off"},
        description=_l("例如：联合体协议（各方盖章）"),
    )
    file = FileField(
        _l("文件"),
        validators=[MarkRequired()],
        render_kw={"accept": "application/pdf,.pdf"},
        description=_l("PDF 文件（扫描件请先转为 PDF），不超过 10 MB"),
    )


class EvaluationForm(FlaskForm):
    result = RadioField(
        _l("评审结果"),
        choices=options([("valid", _l("有效")), ("disqualified", _l("无效（不合格）"))]),
        validators=[MarkRequired()],
        validate_choice=False,
    )
    score = StringField(
        _l("评分（0–100）"),
        filters=[strip_filter],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "maxlength": 6},
        description=_l("评为有效时必填，最多两位小数"),
    )
    reason = TextAreaField(
        _l("评审意见"),
        filters=[strip_filter],
        render_kw={"maxlength": ops.REASON_MAX, "rows": 2},
        description=_l("评为无效时必须写明原因"),
    )


class ConsentForm(FlaskForm):
    consented = RadioField(
        _l("采购人意见"),
        choices=options([("yes", _l("同意分包")), ("no", _l("不同意分包"))]),
        validators=[MarkRequired()],
        validate_choice=False,
    )
    note = StringField(
        _l("依据"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": 500, "autocomplete": "off"},
        description=_l("例如：采购人复函（鹿民函〔2026〕12 号）"),
    )


class InviteForm(FlaskForm):
    organization_id = HiddenField()
    message = StringField(
        _l("附言（选填）"), filters=[strip_filter], render_kw={"maxlength": 500, "autocomplete": "off"}
    )
