"""Export formatting without an app or a database: money and scores from integers, Wenzhou times,
labels, formula injection, the date range, the CSV pieces and the XLSX package (read back with
openpyxl), file names."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from marketplace.messages import Msg
from marketplace.reports.datasets import DATASETS, Column
from marketplace.reports.export_format import (
    DateRange,
    Kind,
    RangeError,
    fen_to_yuan,
    formatter,
    grade_text,
    hundredths_text,
    local_datetime,
    neutralize_formula,
    parse_date_range,
)
from marketplace.reports.exports import (
    column_letter,
    content_disposition,
    csv_chunks,
    sheet_name,
    write_xlsx,
)

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00"),
        (1, "0.01"),
        (10, "0.10"),
        (99, "0.99"),
        (100, "1.00"),
        (12_345, "123.45"),
        (100_000_000_00, "100000000.00"),
        (-550, "-5.50"),
        (-1, "-0.01"),
        (None, ""),
        # Beyond what a float holds exactly: still exact.
        (9_007_199_254_740_993, "90071992547409.93"),
    ],
)
def test_fen_to_yuan(fen: int | None, text: str) -> None:
    assert fen_to_yuan(fen) == text


@pytest.mark.parametrize("value", [1.5, "100", True])
def test_money_refuses_anything_but_int(value: object) -> None:
    with pytest.raises(TypeError):
        fen_to_yuan(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hundredths", "text"), [(8750, "87.50"), (10000, "100.00"), (0, "0.00"), (5, "0.05")]
)
def test_scores_in_hundredths(hundredths: int, text: str) -> None:
    assert hundredths_text(hundredths) == text


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+86 577", "'+86 577"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("温州=1", "温州=1"),
        ("a-b", "a-b"),
        ("", ""),
        ("'=1", "'=1"),  # already inert
    ],
)
def test_formula_injection_is_neutralised(text: str, safe: str) -> None:
    assert neutralize_formula(text) == safe
    assert formatter(Kind.TEXT)(text) == safe


def test_numbers_we_generate_are_not_touched() -> None:
    assert formatter(Kind.MONEY)(-1250) == "-12.50"
    assert formatter(Kind.INT)(-3) == "-3"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 1, 0, 0), "2026-01-01 08:00"),
        (datetime(2025, 12, 31, 16, 0), "2026-01-01 00:00"),  # a new Wenzhou day, still the old UTC one
        (datetime(2026, 3, 31, 15, 59, 59), "2026-03-31 23:59"),
        (None, ""),
    ],
)
def test_local_datetime(moment: datetime | None, text: str) -> None:
    assert local_datetime(moment) == text
    assert formatter(Kind.DATETIME)(moment) == text


def test_labels_bools_grades_and_unknown_codes() -> None:
    labels = {"paid": Msg("已到账"), "pending": Msg("待到账")}
    status = formatter(Kind.LABEL, labels)
    assert (status("paid"), status("pending"), status("new_code"), status(None)) == (
        "已到账",
        "待到账",
        "new_code",
        "",
    )
    shout = formatter(Kind.LABEL, labels, translate=lambda message: f"<{message}>")
    assert shout("paid") == "<已到账>", "label tables go through the visitor's language"
    flag = formatter(Kind.BOOL)
    assert (flag(True), flag(False), flag(None), flag(1)) == ("是", "否", "", "是")
    assert [grade_text(grade) for grade in ("A1", "A5", None)] == ["1A", "5A", ""]
    assert formatter(Kind.DATE)(date(2027, 1, 1)) == "2027-01-01"


# ─────────────────────────────── the date range ───────────────────────────────


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "start", "end"),
    [
        ("2026-01-01", "2026-01-31", date(2026, 1, 1), date(2026, 1, 31)),
        ("2026-05-01", "2026-05-01", date(2026, 5, 1), date(2026, 5, 1)),  # one day
        (" 2026-05-01 ", None, date(2026, 5, 1), TODAY),
        (None, None, date(2026, 1, 1), TODAY),  # this year so far
        ("", "", date(2026, 1, 1), TODAY),
        (None, "2025-03-15", date(2025, 1, 1), date(2025, 3, 15)),
        ("2027-02-01", None, date(2027, 2, 1), date(2027, 2, 1)),  # a start after today: not inverted
    ],
)
def test_parse_date_range(raw_from: str | None, raw_to: str | None, start: date, end: date) -> None:
    assert parse_date_range(raw_from, raw_to, TODAY) == DateRange(start, end)


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "field", "message"),
    [
        (
            "2026-05-02",
            "2026-05-01",
            "to",
            "结束日期（2026-05-01）早于开始日期（2026-05-02），请调整日期范围",
        ),
        (
            "2026-12-31",
            "2026-01-01",
            "to",
            "结束日期（2026-01-01）早于开始日期（2026-12-31），请调整日期范围",
        ),
        ("2026-02-30", "", "from", "日期格式应为 YYYY-MM-DD，例如 2026-01-31"),
        ("2026/01/01", "", "from", "日期格式应为 YYYY-MM-DD，例如 2026-01-31"),
        ("", "20260101", "to", "日期格式应为 YYYY-MM-DD，例如 2026-01-31"),
        ("", "9999-12-31", "to", "日期需在 2000-01-01 至 2099-12-31 之间"),
        ("1999-12-31", "", "from", "日期需在 2000-01-01 至 2099-12-31 之间"),
    ],
)
def test_bad_ranges_are_refused(raw_from: str, raw_to: str, field: str, message: str) -> None:
    with pytest.raises(RangeError) as refused:
        parse_date_range(raw_from, raw_to, TODAY)
    assert refused.value.fields == {field: message}


def test_range_bounds_are_wenzhou_midnights_in_utc() -> None:
    period = DateRange(date(2026, 1, 1), date(2026, 1, 31))
    assert period.utc_bounds == (datetime(2025, 12, 31, 16, 0), datetime(2026, 1, 31, 16, 0))
    assert period.label == "2026-01-01_2026-01-31"


# ─────────────────────────────── the datasets ───────────────────────────────


def test_every_dataset_selects_its_columns_in_order() -> None:
    assert list(DATASETS) == ["pledges", "ledger", "agreements", "bids", "awards", "evaluations", "needs"]
    for dataset in DATASETS.values():
        keys = [column.key for column in dataset.columns]
        assert [column.name for column in dataset.source.select.selected_columns] == keys, dataset.slug
        assert len(set(keys)) == len(keys)
        assert all(column.kind is not Kind.LABEL or column.labels for column in dataset.columns)


# ─────────────────────────────── writers ───────────────────────────────


def test_csv_has_a_bom_crlf_rows_and_quotes_what_needs_it() -> None:
    chunks = list(csv_chunks(["编号", "留言"], iter([[["1", "你好，\n世界"]], [["2", 'say "hi"']]])))
    assert chunks[0] == "\ufeff编号,留言\r\n".encode()
    assert len(chunks) == 3
    body = b"".join(chunks).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body, newline=""))) == [
        ["编号", "留言"],
        ["1", "你好，\n世界"],
        ["2", 'say "hi"'],
    ]


def test_xlsx_package_reads_back_with_types_styles_and_layout() -> None:
    columns = [
        Column("id", Msg("编号"), Kind.INT, width=10),
        Column("amount", Msg("金额（元）"), Kind.MONEY, width=14),
        Column("note", Msg("备注"), width=30),
    ]
    batches = iter(
        [
            [["1", "123.45", "'=1+2"], ["2", "-5.50", "a\x00b\x1fc & <d>"]],
            [["3", "", "  留 白  "]],
        ]
    )
    target = io.BytesIO()

    assert write_xlsx(target, "资金台账", columns, ["编号", "金额（元）", "备注"], batches) == 3

    book = load_workbook(io.BytesIO(target.getvalue()))
    sheet = book.active
    assert book.sheetnames == ["资金台账"]
    assert [cell.value for cell in sheet[1]] == ["编号", "金额（元）", "备注"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert [sheet.column_dimensions[letter].width for letter in "ABC"] == [10, 14, 30]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    # Characters XML cannot hold are dropped; leading and trailing spaces are kept.
    assert rows == [[1, 123.45, "'=1+2"], [2, -5.5, "abc & <d>"], [3, None, "  留 白  "]]
    assert sheet["B2"].number_format == "0.00" and sheet["B2"].data_type == "n"
    assert sheet["C2"].data_type == "s", "text that looks like a formula is text"


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ")]
)
def test_column_letters(index: int, letter: str) -> None:
    assert column_letter(index) == letter


def test_sheet_names_and_file_names() -> None:
    assert sheet_name("认捐") == "认捐"
    assert sheet_name("a/b:c") == "a_b_c"
    assert len(sheet_name("长" * 40)) == 31
    header = content_disposition("认捐_2026-01-01_2026-11-27.xlsx", "pledges_2026-01-01_2026-11-27.xlsx")
    assert header.startswith('attachment; filename="pledges_2026-01-01_2026-11-27.xlsx"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert encoded.isascii() and " " not in encoded
    assert unquote(encoded) == "认捐_2026-01-01_2026-11-27.xlsx"
