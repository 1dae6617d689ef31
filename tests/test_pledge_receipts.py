"""The receipt's amount in Chinese capital numerals (大写) and its other printed parts, with no app."""

from __future__ import annotations

import pytest

from marketplace.pledges.receipts import (
    MAX_FEN,
    amount_in_words,
    receipt_number,
    spaced_account_number,
)


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (123_450, "人民币壹仟贰佰叁拾肆元伍角整"),  # the example printed on every guide
        (0, "人民币零元整"),
        (100, "人民币壹元整"),
        (1_000, "人民币壹拾元整"),  # 壹拾, never a bare 拾
        (1_500, "人民币壹拾伍元整"),
        (10_000, "人民币壹佰元整"),
        (100_400, "人民币壹仟零肆元整"),  # zeros inside a group: one 零
        (101_000, "人民币壹仟零壹拾元整"),
        (110_000, "人民币壹仟壹佰元整"),  # trailing zeros: nothing
        (1_000_000, "人民币壹万元整"),
        (1_000_100, "人民币壹万零壹元整"),  # a whole empty stretch before the last digit: one 零
        (10_000_000, "人民币壹拾万元整"),
        (10_001_000, "人民币壹拾万零壹拾元整"),
        (100_500_000, "人民币壹佰万伍仟元整"),  # zeros closing a 万 group are not read
        (10_000_000_000, "人民币壹亿元整"),
        (10_005_000_000, "人民币壹亿零伍万元整"),
        (10_000_050_000, "人民币壹亿零伍佰元整"),
        (100_005_000_000, "人民币壹拾亿零伍万元整"),
        (1_234_567_890_12, "人民币壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
        (5, "人民币伍分"),  # no 元, no 零 before the first digit
        (50, "人民币伍角整"),
        (55, "人民币伍角伍分"),
        (105, "人民币壹元零伍分"),  # 元 then 零 then 分 when the 角 is empty
        (150, "人民币壹元伍角整"),
        (1_000_000_000, "人民币壹仟万元整"),  # ¥10,000,000, the largest single pledge
        (999_999_999, "人民币玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_words(fen: int, words: str) -> None:
    assert amount_in_words(fen) == words


def test_the_prefix_can_be_left_off_for_a_form_that_prints_its_own() -> None:
    assert amount_in_words(123_450, prefix="") == "壹仟贰佰叁拾肆元伍角整"


@pytest.mark.parametrize("bad", [1.5, "100", True, None])
def test_only_integer_fen_are_accepted(bad: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, MAX_FEN + 1])
def test_negative_and_absurd_amounts_are_refused(bad: int) -> None:
    with pytest.raises(ValueError):
        amount_in_words(bad)


def test_the_largest_amount_still_reads() -> None:
    assert amount_in_words(MAX_FEN).startswith("人民币玖仟玖佰玖拾玖万亿")


def test_every_digit_word_appears_where_it_belongs() -> None:
    assert amount_in_words(987_654_321_00) == "人民币玖亿捌仟柒佰陆拾伍万肆仟叁佰贰拾壹元整"


def test_receipt_number() -> None:
    assert receipt_number(123, 2026) == "QQC-2026-000123"
    assert receipt_number(1_234_567, 2026) == "QQC-2026-1234567"
    with pytest.raises(ValueError):
        receipt_number(0, 2026)
    with pytest.raises(ValueError):
        receipt_number(5, 26)


@pytest.mark.parametrize(
    ("number", "spaced"),
    [
        ("6228000000001234", "6228 0000 0000 1234"),
        ("6228 0000 0000 1234", "6228 0000 0000 1234"),
        ("1203020109024800123", "1203 0201 0902 4800 123"),
        ("", ""),
    ],
)
def test_spaced_account_number(number: str, spaced: str) -> None:
    assert spaced_account_number(number) == spaced
