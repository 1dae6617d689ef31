"""Streaming CSV and XLSX writers for the staff exports.

Rows come off the database cursor in batches (``yield_per``: a server-side cursor on PostgreSQL),
are formatted (``export_format``) and written out batch by batch, so memory stays flat however many
rows an export holds.

- CSV: UTF-8 with a byte-order mark (so Excel opens Chinese correctly), CRLF rows, streamed to the
  client as it is produced.
- XLSX: one worksheet written straight into a ZIP entry in an anonymous temporary file (bold, frozen
  header row, column widths, money as numbers with two decimals), then sent from that file in
  chunks. The sheet XML is written here rather than by openpyxl's write-only workbook, which spends
  ~16 µs per cell serialising XML without lxml (100,000 rows × 12 columns: 19 s on the 2-core
  machine, 12 s with lxml) against ~1.5 µs here; openpyxl reads the result back in the tests.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Response, stream_with_context

from marketplace.extensions import db
from marketplace.reports.datasets import Column, Dataset
from marketplace.reports.export_format import NUMERIC_KINDS, DateRange, Kind, formatter

BATCH_SIZE = 2000
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
# Characters XML 1.0 cannot hold (a worksheet with one is refused as corrupt), and Excel's cell limit.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_CELL_MAX = 32_767
_SHEET_NAME_ILLEGAL = re.compile(r"[\[\]:*?/\\]")


def rows(
    dataset: Dataset, period: DateRange, translate: Callable[[Any], str], batch_size: int | None = None
) -> Iterator[list[list[str]]]:
    """The dataset's rows in the range, formatted, one batch at a time."""
    source = dataset.source
    formatters = [formatter(column.kind, column.labels, translate) for column in source.columns]
    result = db.session.execute(
        source.query(period), execution_options={"yield_per": batch_size or BATCH_SIZE}
    )
    try:
        for batch in result.partitions():
            yield [[format_(value) for format_, value in zip(formatters, row, strict=True)] for row in batch]
    finally:
        result.close()


def count_rows(dataset: Dataset, period: DateRange) -> int:
    return db.session.scalar(dataset.source.count(period)) or 0


def headers(dataset: Dataset, translate: Callable[[Any], str]) -> list[str]:
    return [translate(column.header) for column in dataset.columns]


# ─────────────────────────────── CSV ───────────────────────────────


def csv_chunks(header: Sequence[str], batches: Iterator[list[list[str]]]) -> Iterator[bytes]:
    """The CSV file in pieces: the BOM and header first, then one piece per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")


# ─────────────────────────────── XLSX ───────────────────────────────

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _XML_DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _XML_DECLARATION + f'<Relationships xmlns="{_PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _XML_DECLARATION + f'<Relationships xmlns="{_PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/></Relationships>'
)
# Cell styles: 0 plain, 1 bold (the header row), 2 the built-in number format 2, "0.00" (money, scores).
_STYLES = (
    _XML_DECLARATION + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def sheet_name(title: str) -> str:
    return _SHEET_NAME_ILLEGAL.sub("_", title)[:31] or "Sheet1"


def _text_cell(ref: str, value: str, style: str = "") -> str:
    value = _XML_ILLEGAL.sub("", value)[:_CELL_MAX]
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def _row_xml(number: int, letters: Sequence[str], kinds: Sequence[Kind], values: Sequence[str]) -> str:
    cells = []
    for letter, kind, value in zip(letters, kinds, values, strict=True):
        if value == "":
            continue
        if kind in NUMERIC_KINDS:
            cells.append(f'<c r="{letter}{number}" s="2"><v>{value}</v></c>')
        elif kind is Kind.INT:
            cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
        else:
            cells.append(_text_cell(f"{letter}{number}", value))
    return f'<row r="{number}">{"".join(cells)}</row>'


def _sheet_start(columns: Sequence[Column], header: Sequence[str]) -> str:
    widths = "".join(
        f'<col min="{index}" max="{index}" width="{column.width}" customWidth="1"/>'
        for index, column in enumerate(columns, start=1)
    )
    header_cells = "".join(
        _text_cell(f"{column_letter(index)}1", text, ' s="1"') for index, text in enumerate(header)
    )
    return (
        _XML_DECLARATION + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{widths}</cols><sheetData>"
        f'<row r="1">{header_cells}</row>'
    )


def write_xlsx(
    target: IO[bytes],
    title: str,
    columns: Sequence[Column],
    header: Sequence[str],
    batches: Iterator[list[list[str]]],
) -> int:
    """Write a one-sheet workbook to ``target``; returns the number of data rows."""
    letters = [column_letter(index) for index in range(len(columns))]
    kinds = [column.kind for column in columns]
    workbook = (
        _XML_DECLARATION + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<sheets><sheet name="{escape(sheet_name(title), {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_start(columns, header).encode("utf-8"))
            for batch in batches:
                first = count + 2
                count += len(batch)
                sheet.write(
                    "".join(
                        _row_xml(number, letters, kinds, values)
                        for number, values in enumerate(batch, start=first)
                    ).encode("utf-8")
                )
            sheet.write(b"</sheetData></worksheet>")
    return count


# ─────────────────────────────── responses ───────────────────────────────


def file_names(
    dataset: Dataset, period: DateRange, fmt: str, translate: Callable[[Any], str]
) -> tuple[str, str]:
    """The file name people see (``认捐_2026-01-01_2026-11-27.xlsx``) and its ASCII fallback."""
    return f"{translate(dataset.title)}_{period.label}.{fmt}", f"{dataset.slug}_{period.label}.{fmt}"


def content_disposition(name: str, ascii_name: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the UTF-8 name per RFC 5987/6266."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _download_headers(name: str, ascii_name: str) -> dict[str, str]:
    # Personal and money data: never kept by a shared cache or the browser's.
    return {"Content-Disposition": content_disposition(name, ascii_name), "Cache-Control": "no-store"}


def csv_response(dataset: Dataset, period: DateRange, translate: Callable[[Any], str]) -> Response:
    name, ascii_name = file_names(dataset, period, "csv", translate)
    body = csv_chunks(headers(dataset, translate), rows(dataset, period, translate))
    return Response(
        stream_with_context(body), mimetype=CSV_MIMETYPE, headers=_download_headers(name, ascii_name)
    )


class TemporaryFileBody:
    """A finished temporary file sent in chunks. Closing it (the WSGI server does, after the last
    chunk or when the client goes away; at the latest when it is garbage-collected) deletes it."""

    def __init__(self, file: IO[bytes], chunk_size: int = 64 * 1024):
        self._file = file
        self._chunk_size = chunk_size

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._file.read(self._chunk_size):
            yield chunk

    def close(self) -> None:
        self._file.close()

    def __del__(self) -> None:
        self.close()


def xlsx_response(dataset: Dataset, period: DateRange, translate: Callable[[Any], str]) -> Response:
    name, ascii_name = file_names(dataset, period, "xlsx", translate)
    # Anonymous: the file has no name on disk, and is gone once closed (or the process ends).
    target = tempfile.TemporaryFile(prefix="qqc-export-", suffix=".xlsx")  # noqa: SIM115 (the body closes it)
    try:
        write_xlsx(
            target,
            translate(dataset.title),
            dataset.columns,
            headers(dataset, translate),
            rows(dataset, period, translate),
        )
        size = target.tell()
        target.seek(0)
    except BaseException:
        target.close()
        raise
    response = Response(
        TemporaryFileBody(target),
        mimetype=XLSX_MIMETYPE,
        headers=_download_headers(name, ascii_name),
        direct_passthrough=True,
    )
    response.content_length = size
    return response
