from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.errors import DomainError
from marketplace.money import (
    FEN_PER_YUAN,
    MAX_GOAL_FEN,
    apply_basis_points,
    fen_to_yuan_input,
    format_fen,
    parse_yuan,
    progress_percent,
)

NOT_A_NUMBER = "金额必须是数字，例如 5000 或 5000.50"
TOO_PRECISE = "金额最多保留两位小数（到分）"


def test_constants() -> None:
    assert FEN_PER_YUAN == 100
    assert MAX_GOAL_FEN == 10_000_000_000


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234", 123_400),
        ("1,234", 123_400),
        ("1,234,567", 123_456_700),
        ("1234.5", 123_450),
        ("1234.56", 123_456),
        ("1234.", 123_400),
        (".5", 50),
        ("0.01", 1),
        ("0", 0),
        ("¥1,234.56", 123_456),
        ("￥1,234.56", 123_456),
        ("¥ 1234", 123_400),
        ("１２３４．５６", 123_456),  # full-width digits and point from a Chinese IME
        ("１，２３４", 123_400),
        ("  5000  ", 500_000),
        ("\u30005000\u3000", 500_000),  # ideographic spaces
        ("5000元", 500_000),
        ("5000 元", 500_000),
        ("5.500", 550),  # zeros past the fen change nothing
        ("0005", 500),
        ("9999999999999", 999_999_999_999_900),
    ],
)
def test_parse_yuan_accepts(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (0, 0),
        (1, 100),
        (5000, 500_000),
        (Decimal("12.34"), 1234),
        (Decimal("12.340"), 1234),
        (Decimal("1E+2"), 10_000),
        (Decimal("-0"), 0),
        (Decimal("0E+100000"), 0),
    ],
)
def test_parse_yuan_numbers(value: int | Decimal, fen: int) -> None:
    result = parse_yuan(value)
    assert result == fen
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "请输入金额"),
        ("   ", "请输入金额"),
        ("¥", "请输入金额"),
        (None, "请输入金额"),
        ("abc", NOT_A_NUMBER),
        ("12a", NOT_A_NUMBER),
        ("1e3", NOT_A_NUMBER),
        ("1 234", NOT_A_NUMBER),
        ("12,34", NOT_A_NUMBER),
        ("1,2345", NOT_A_NUMBER),
        (",123", NOT_A_NUMBER),
        ("1.2.3", NOT_A_NUMBER),
        ("0x10", NOT_A_NUMBER),
        ("+5", NOT_A_NUMBER),
        ("1_000", NOT_A_NUMBER),
        (".", NOT_A_NUMBER),
        ("五千", NOT_A_NUMBER),
        (True, NOT_A_NUMBER),
        ([5], NOT_A_NUMBER),
        ("1234.567", TOO_PRECISE),
        ("0.001", TOO_PRECISE),
        ("1." + "0" * 40 + "1", TOO_PRECISE),  # beyond Decimal's 28-digit context
        (Decimal("0.005"), TOO_PRECISE),
        (Decimal("1." + "0" * 40 + "1"), TOO_PRECISE),
        (12.5, "金额不能是浮点数"),
        (1.0, "金额不能是浮点数"),
        (float("nan"), "金额不能是浮点数"),
        ("NaN", "金额必须是有限的数字"),
        ("inf", "金额必须是有限的数字"),
        ("Infinity", "金额必须是有限的数字"),
        (Decimal("NaN"), "金额必须是有限的数字"),
        (Decimal("sNaN"), "金额必须是有限的数字"),
        (Decimal("-Infinity"), "金额必须是有限的数字"),
        ("-5", "金额不能为负数"),
        ("-¥5", "金额不能为负数"),
        ("¥-5", "金额不能为负数"),
        (-1, "金额不能为负数"),
        (Decimal("-0.01"), "金额不能为负数"),
        ("99999999999999", "金额过大，请检查输入"),
        ("9" * 5000, "金额过大，请检查输入"),  # int() would refuse this many digits
        (Decimal("1E+20"), "金额过大，请检查输入"),
    ],
)
def test_parse_yuan_rejects(value: object, reason: str) -> None:
    with pytest.raises(DomainError) as info:
        parse_yuan(value, field="goal_amount")  # type: ignore[arg-type]
    assert info.value.fields == {"goal_amount": reason}


def test_parse_yuan_default_field() -> None:
    with pytest.raises(DomainError) as info:
        parse_yuan("x")
    assert set(info.value.fields) == {"amount"}


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0"),
        (1, "¥0.01"),
        (10, "¥0.10"),
        (100, "¥1"),
        (1_234_500, "¥12,345"),
        (1_234_560, "¥12,345.60"),
        (1_234_567, "¥12,345.67"),
        (MAX_GOAL_FEN, "¥100,000,000"),
        (-500, "-¥5"),
        (-550, "-¥5.50"),
        (-1, "-¥0.01"),
    ],
)
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0"), (1, "0.01"), (1_234_500, "12345"), (1_234_560, "12345.60"), (-550, "-5.50")],
)
def test_fen_to_yuan_input(fen: int, text: str) -> None:
    assert fen_to_yuan_input(fen) == text


@pytest.mark.parametrize("fen", [0, 1, 99, 100, 1_234_560, 1_234_567, MAX_GOAL_FEN])
def test_prefilled_input_parses_back(fen: int) -> None:
    assert parse_yuan(fen_to_yuan_input(fen)) == fen
    assert parse_yuan(format_fen(fen)) == fen


@pytest.mark.parametrize("bad", [1.5, 2.0, True, "100"])
def test_formatting_refuses_non_int(bad: object) -> None:
    with pytest.raises(TypeError):
        format_fen(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fen_to_yuan_input(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raised", "goal", "percent"),
    [
        (0, 100, 0),
        (50, 100, 50),
        (999, 1000, 99),  # never rounds up to 100 before the goal is met
        (1, 3, 33),
        (2, 3, 66),
        (100, 100, 100),
        (250, 100, 250),
        (100, 0, 0),
        (100, -5, 0),
        (-5, 100, 0),
    ],
)
def test_progress_percent(raised: int, goal: int, percent: int) -> None:
    assert progress_percent(raised, goal) == percent


@pytest.mark.parametrize(
    ("amount", "bps", "result"),
    [
        (10_000, 250, 250),
        (9_999, 250, 249),  # floor: 249.975
        (1, 9_999, 0),
        (123_456, 10_000, 123_456),
        (0, 500, 0),
        (10**18 + 7, 3_333, (10**18 + 7) * 3_333 // 10_000),  # far past float precision
        (100, 0, 0),
    ],
)
def test_apply_basis_points(amount: int, bps: int, result: int) -> None:
    assert apply_basis_points(amount, bps) == result


def test_apply_basis_points_refuses_floats() -> None:
    with pytest.raises(TypeError):
        apply_basis_points(100, 2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        apply_basis_points(100.0, 250)  # type: ignore[arg-type]
