"""The form for opening a matching pool (配捐). It turns what a person typed into a ``PoolInput``
(yuan → fen, "0.5" → basis points, Wenzhou time → naive UTC) and reports what it cannot read;
every rule about the values (budget > 0, ratio > 0, end after start, …) lives in the operation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import DateTimeLocalInput

from marketplace.errors import DomainError
from marketplace.forms import FieldReader, optional_yuan, strip_filter
from marketplace.messages import Msg
from marketplace.money import BASIS_POINTS, parse_yuan
from marketplace.pledges.operations import PoolInput
from marketplace.projects.forms import MarkRequired
from marketplace.taxonomy.reference import CategoryRow, DistrictRow
from marketplace.timeutil import LOCAL_TZ, parse_iso_deadline, to_local, utcnow
from marketplace.web import localized

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
DEFAULT_DAYS = 30
_RATIO = re.compile(r"[+-]?(?:\d{1,6}(?:\.\d{1,12})?|\.\d{1,12})")


def parse_ratio(text: str, *, field: str = "ratio") -> int:
    """A matching ratio as typed ("1", "0.5", "1:0.5", "１：２") → basis points (10,000 = 1:1).

    Exact decimals only: a ratio that is not a whole number of basis points is refused, never
    rounded. Zero and negative ratios pass through for the operation to refuse with its reason.
    """
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    if not cleaned:
        raise DomainError.on(field, Msg("请填写配捐比例，例如 1 表示 1:1"))
    if ":" in cleaned:
        pledged, _, matched = cleaned.partition(":")
        if pledged not in ("1", "1.0"):
            raise DomainError.on(field, Msg("配捐比例请写成 1:x 的形式，例如 1:1 或 1:0.5"))
        cleaned = matched
    if not _RATIO.fullmatch(cleaned):
        raise DomainError.on(field, Msg("配捐比例必须是数字，例如 1 表示 1:1，0.5 表示 1:0.5"))
    try:
        basis_points = Decimal(cleaned) * BASIS_POINTS
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise DomainError.on(field, Msg("配捐比例必须是数字")) from None
    if basis_points != basis_points.to_integral_value():
        raise DomainError.on(field, Msg("配捐比例最多保留四位小数"))
    return int(basis_points)


def format_ratio(ratio_bp: int) -> str:
    """10,000 → "1:1", 5,000 → "1:0.5", 12,500 → "1:1.25"."""
    matched = (Decimal(ratio_bp) / BASIS_POINTS).normalize()
    return f"1:{matched:f}"


def parse_local_moment(text: str | None, *, field: str, end_of_day: bool) -> datetime:
    """A moment typed in Wenzhou time ("2026-09-07T09:00", or a date alone) → naive UTC.

    A date alone means the start of that day for a start, and its last second for an end.
    """
    value = (text or "").strip()
    if not value:
        raise DomainError.on(field, Msg("请选择时间"))
    try:
        if len(value) == 10 and not end_of_day:
            start = datetime.combine(date.fromisoformat(value), time.min, tzinfo=LOCAL_TZ)
            return start.astimezone(UTC).replace(tzinfo=None)
        # A full timestamp without an offset is Wenzhou time; a date alone lasts to 23:59:59.
        return parse_iso_deadline(value)
    except ValueError:
        raise DomainError.on(field, Msg("时间格式不正确，例如 2026-09-07 09:00")) from None


class PoolForm(FlaskForm):
    name = StringField(
        _l("配捐计划名称"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": 60, "autocomplete": "off"},
        description=_l("例如“瓯江鞋业 99 公益日 1:1 配捐”"),
    )
    description = TextAreaField(
        _l("说明"),
        filters=[strip_filter],
        render_kw={"maxlength": 500, "rows": 3},
        description=_l("选填，不超过 500 字：为什么设立、希望支持哪些项目"),
    )
    budget = StringField(
        _l("配捐总预算（元）"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
        description=_l("配捐用完即止，预算不会透支"),
    )
    ratio = StringField(
        _l("配捐比例"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
        description=_l("其他企业每认捐 1 元，本企业配多少元：填 1 即 1:1，填 0.5 即 1:0.5，最高 10"),
    )
    cap_per_pledge = StringField(
        _l("单笔配捐上限（元）"),
        filters=[strip_filter],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
        description=_l("选填，留空表示不限"),
    )
    cap_per_project = StringField(
        _l("单个项目配捐上限（元）"),
        filters=[strip_filter],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
        description=_l("选填，留空表示不限；设上限可以让更多项目得到配捐"),
    )
    category_ids = SelectMultipleField(
        _l("适用的项目类别"), validate_choice=False, description=_l("不选表示所有类别")
    )
    districts = SelectMultipleField(
        _l("适用的区县"), validate_choice=False, description=_l("不选表示所有区县")
    )
    starts_at = StringField(
        _l("开始时间"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        widget=DateTimeLocalInput(),
        description=_l("北京时间"),
    )
    ends_at = StringField(
        _l("结束时间"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        widget=DateTimeLocalInput(),
        description=_l("北京时间；结束后不再配捐，已配的款项不受影响"),
    )

    def set_choices(self, categories: Iterable[CategoryRow], districts: Iterable[DistrictRow]) -> None:
        self.category_ids.choices = [(str(category.id), localized(category)) for category in categories]
        self.districts.choices = [(district.name, localized(district)) for district in districts]

    def fill_defaults(self, now: datetime | None = None) -> None:
        """Start now, end at the last minute of the day 30 days on (both as Wenzhou time)."""
        start = to_local(now or utcnow()).replace(second=0, microsecond=0)
        end = start.replace(hour=23, minute=59) + timedelta(days=DEFAULT_DAYS)
        self.starts_at.data = start.strftime(LOCAL_INPUT_FORMAT)
        self.ends_at.data = end.strftime(LOCAL_INPUT_FORMAT)

    def to_input(self) -> PoolInput:
        """The typed values as a PoolInput; raises one DomainError naming every field it cannot read."""
        reader = FieldReader()
        read, errors = reader.read, reader.errors
        budget = read(lambda: parse_yuan(self.budget.data or "", field="budget"))
        ratio_bp = read(lambda: parse_ratio(self.ratio.data or ""))
        cap_pledge = read(lambda: optional_yuan(self.cap_per_pledge.data, "cap_per_pledge"))
        cap_project = read(lambda: optional_yuan(self.cap_per_project.data, "cap_per_project"))
        starts_at = read(lambda: parse_local_moment(self.starts_at.data, field="starts_at", end_of_day=False))
        ends_at = read(lambda: parse_local_moment(self.ends_at.data, field="ends_at", end_of_day=True))
        if errors or budget is None or ratio_bp is None or starts_at is None or ends_at is None:
            raise DomainError(errors)
        return PoolInput(
            name=self.name.data or "",
            description=self.description.data or "",
            budget=budget,
            ratio_bp=ratio_bp,
            cap_per_pledge=cap_pledge,
            cap_per_project=cap_project,
            starts_at=starts_at,
            ends_at=ends_at,
            # An unreadable id becomes one the operation reports as unknown, in its own words.
            category_ids=tuple(
                int(value) if value.isdigit() else -1 for value in self.category_ids.data or []
            ),
            districts=tuple(self.districts.data or []),
        )
