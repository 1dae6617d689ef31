"""Forms for progress updates and fund-usage reports. They only carry input (text as typed, file
bytes); every rule lives in ``projects.updates``, which words the messages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import FieldList, Form, FormField, StringField, TextAreaField

from marketplace.forms import strip_filter
from marketplace.projects.forms import MarkRequired
from marketplace.projects.updates import (
    ITEM_DESCRIPTION_MAX,
    MAX_REPORT_ITEMS,
    MAX_UPDATE_IMAGES,
    REPORT_NOTE_MAX,
    REPORT_TITLE_MAX,
    UPDATE_BODY_MAX,
    UPDATE_TITLE_MAX,
    ReportInput,
    ReportItemInput,
    UpdateInput,
)
from marketplace.uploads import CONTENT_TYPES, MAX_IMAGE_BYTES, MAX_PDF_BYTES, RECEIPT_CONTENT_TYPES

REPORT_ROWS = 5  # item rows a new report form starts with; ?rows= asks for more, up to the maximum


def _read(upload: Any, limit: int) -> bytes | None:
    """An uploaded file's bytes, read up to one byte past ``limit`` so the size check still fires."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return bytes(upload.read(limit + 1))


class UpdateForm(FlaskForm):
    title = StringField(
        _l("标题"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": UPDATE_TITLE_MAX, "autocomplete": "off"},
        description=_l("不超过 %(n)d 个字，例如“第一期课堂开课了”", n=UPDATE_TITLE_MAX),
    )
    body = TextAreaField(
        _l("进展内容"),
        validators=[MarkRequired()],
        render_kw={"maxlength": UPDATE_BODY_MAX, "rows": 10},
        description=_l(
            "支持 Markdown：## 小标题、- 列表、**加粗**、[链接](https://…)。HTML 代码和脚本不会生效。"
        ),
    )
    images = MultipleFileField(
        _l("图片"),
        render_kw={"accept": ",".join(CONTENT_TYPES.values())},
        description=_l(
            "选填，最多 %(n)d 张，PNG、JPEG 或 WebP 格式，每张不超过 %(mb)d MB",
            n=MAX_UPDATE_IMAGES,
            mb=MAX_IMAGE_BYTES // (1024 * 1024),
        ),
    )

    def to_input(self) -> UpdateInput:
        # One past the maximum is enough for the operation to say "too many" without reading them all.
        chosen = [upload for upload in (self.images.data or []) if getattr(upload, "filename", "")]
        images = tuple(
            data
            for data in (_read(upload, MAX_IMAGE_BYTES) for upload in chosen[: MAX_UPDATE_IMAGES + 1])
            if data is not None
        )
        return UpdateInput(title=self.title.data or "", body=self.body.data or "", images=images)


class ReportItemForm(Form):
    """One spending line (a plain WTForms form: the enclosing FlaskForm carries the CSRF token)."""

    description = StringField(
        _l("支出说明"),
        filters=[strip_filter],
        render_kw={"maxlength": ITEM_DESCRIPTION_MAX, "autocomplete": "off"},
    )
    amount = StringField(
        _l("金额（元）"),
        filters=[strip_filter],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    receipt = FileField(
        _l("凭证（选填）"),
        render_kw={"accept": ",".join(RECEIPT_CONTENT_TYPES.values())},
    )

    def to_input(self) -> ReportItemInput:
        return ReportItemInput(
            description=self.description.data or "",
            amount_yuan=self.amount.data or "",
            receipt=_read(self.receipt.data, MAX_PDF_BYTES),
        )


class ReportForm(FlaskForm):
    title = StringField(
        _l("报告标题"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": REPORT_TITLE_MAX, "autocomplete": "off"},
        description=_l("例如“2026 年 3 月课堂物资采购”"),
    )
    note = TextAreaField(
        _l("说明"),
        filters=[strip_filter],
        render_kw={"maxlength": REPORT_NOTE_MAX, "rows": 4},
        description=_l("选填，说明这些支出用在了哪里、取得了什么效果"),
    )
    items = FieldList(
        FormField(ReportItemForm),
        label=_l("支出明细"),
        min_entries=REPORT_ROWS,
        max_entries=MAX_REPORT_ITEMS,
    )

    def add_rows(self, rows: int) -> None:
        """Show ``rows`` item rows (between the default and the maximum) on a fresh form."""
        wanted = min(max(rows, REPORT_ROWS), MAX_REPORT_ITEMS)
        while len(self.items.entries) < wanted:
            self.items.append_entry()

    def to_input(self) -> ReportInput:
        return ReportInput(
            title=self.title.data or "",
            note=self.note.data or "",
            items=tuple(entry.form.to_input() for entry in self.items.entries),
        )
