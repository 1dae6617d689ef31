"""Money as integer fen (1 CNY = 100 fen): parsing user input, display, fees. PURE.

Floats never enter: binary fractions cannot hold 0.1 yuan exactly, and a ledger that is off by
one fen no longer equals the sum of its rows.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from marketplace.errors import DomainError
from marketplace.messages import Msg

FEN_PER_YUAN = 100
MAX_GOAL_FEN = 100_000_000 * FEN_PER_YUAN  # 1 亿元
BASIS_POINTS = 10_000

# More integer digits than this is a typo, not an amount; it also keeps absurdly long input away
# from int() (which refuses over 4,300 digits) and from BIGINT columns.
_MAX_INTEGER_DIGITS = 13

# "1234", "1,234", "1,234.5", "1234.", ".5" — commas only as thousands separators.
_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+")
_CURRENCY_PREFIXES = ("¥", "CNY", "RMB")
_CURRENCY_SUFFIXES = ("元", "CNY", "RMB")


def parse_yuan(value: str | int | Decimal, *, field: str = "amount") -> int:
    """Parse an amount in yuan typed by a person (or an int / Decimal) into fen.

    Trailing zeros beyond two decimals ("5.500") are accepted because they change nothing;
    any real fraction of a fen is rejected rather than rounded.
    """
    if isinstance(value, bool):  # bool is an int subclass; True is not 1 yuan
        raise DomainError.on(field, Msg("金额必须是数字，例如 5000 或 5000.50"))
    if isinstance(value, float):
        raise DomainError.on(field, Msg("金额不能是浮点数"))
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        amount = _decimal_from_text(value, field)
    elif value is None:
        raise DomainError.on(field, Msg("请输入金额"))
    else:
        raise DomainError.on(field, Msg("金额必须是数字，例如 5000 或 5000.50"))
    return _to_fen(amount, field)


def _decimal_from_text(text: str, field: str) -> Decimal:
    # NFKC folds full-width digits, "，", "．" and "￥" into their ASCII forms, as typed by Chinese IMEs.
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    if not cleaned:
        raise DomainError.on(field, Msg("请输入金额"))
    negative = cleaned.startswith("-")
    cleaned = cleaned.removeprefix("-").strip()
    for prefix in _CURRENCY_PREFIXES:
        cleaned = cleaned.removeprefix(prefix).strip()
    if not negative and cleaned.startswith("-"):  # "¥-5"
        negative = True
        cleaned = cleaned[1:].strip()
    for suffix in _CURRENCY_SUFFIXES:
        cleaned = cleaned.removesuffix(suffix).strip()
    if cleaned in {"NAN", "INF", "INFINITY", "+INF", "+INFINITY", "SNAN"}:
        raise DomainError.on(field, Msg("金额必须是有限的数字"))
    if not cleaned:
        raise DomainError.on(field, Msg("请输入金额"))
    if not _AMOUNT.fullmatch(cleaned):
        raise DomainError.on(field, Msg("金额必须是数字，例如 5000 或 5000.50"))
    if len(cleaned.split(".")[0].replace(",", "")) > _MAX_INTEGER_DIGITS:
        raise DomainError.on(field, Msg("金额过大，请检查输入"))
    amount = Decimal(cleaned.replace(",", ""))
    return -amount if negative else amount


def _to_fen(amount: Decimal, field: str) -> int:
    if not amount.is_finite():
        raise DomainError.on(field, Msg("金额必须是有限的数字"))
    if amount == 0:
        return 0
    if amount < 0:
        raise DomainError.on(field, Msg("金额不能为负数"))
    if amount.adjusted() >= _MAX_INTEGER_DIGITS:
        raise DomainError.on(field, Msg("金额过大，请检查输入"))
    # Work on the digits themselves: Decimal arithmetic rounds to the context precision
    # (28 digits), which would quietly accept "1.000…0001".
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    if exponent >= -2:
        return int("".join(map(str, digits))) * 10 ** (exponent + 2)
    cut = len(digits) - (-exponent - 2)
    if any(digits[max(cut, 0) :]):
        raise DomainError.on(field, Msg("金额最多保留两位小数（到分）"))
    return int("".join(map(str, digits[: max(cut, 0)])) or "0")


def _require_int(value: int, name: str) -> None:
    # Programming errors, not user input: a float here means a float leaked into the money path.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of fen, got {type(value).__name__}")


def format_fen(fen: int) -> str:
    """Display form: "¥12,345" for whole yuan, "¥12,345.60" otherwise, "-¥5.50" when negative."""
    _require_int(fen, "fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    if cents:
        return f"{sign}¥{yuan:,}.{cents:02d}"
    return f"{sign}¥{yuan:,}"


def fen_to_yuan_input(fen: int) -> str:
    """The value to prefill a form field with: "12345" or "12345.60", no separators, no ¥."""
    _require_int(fen, "fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{yuan}.{cents:02d}" if cents else f"{sign}{yuan}"


def progress_percent(raised: int, goal: int) -> int:
    """Whole percent of the goal reached, rounded down (so 99.9 % never shows as 100 %)."""
    _require_int(raised, "raised")
    _require_int(goal, "goal")
    if goal <= 0 or raised <= 0:
        return 0
    return raised * 100 // goal


def apply_basis_points(amount: int, bps: int) -> int:
    """``amount × bps / 10 000`` rounded down, in exact integer arithmetic (fees, matching ratios)."""
    _require_int(amount, "amount")
    _require_int(bps, "bps")
    return amount * bps // BASIS_POINTS
