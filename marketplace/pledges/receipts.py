"""What a donation receipt (捐赠收据) prints besides the amount in figures. PURE: no Flask, no database.

Chinese receipts and bank forms carry the amount a second time in capital numerals (大写金额), which
cannot be altered by adding a stroke: ¥1,234.50 → 人民币壹仟贰佰叁拾肆元伍角整. The wording follows
the usual rules for 中文大写金额 (《支付结算办法》附件 正确填写票据和结算凭证的基本规定): the integer
part ends in 元; 整 follows when there are no 分; a zero inside the number is written once as 零;
壹拾 keeps its 壹.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")  # within a group of four digits
_GROUPS = ("", "万", "亿", "万亿")  # one per group of four digits, from the right
MAX_FEN = 10**16 * 100 - 1  # below 1 京 yuan: more than any receipt will ever carry
CURRENCY = "人民币"


def amount_in_words(fen: int, *, prefix: str = CURRENCY) -> str:
    """The amount in capital numerals, e.g. 123450 fen → 人民币壹仟贰佰叁拾肆元伍角整."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, got {type(fen).__name__}")
    if fen < 0:
        raise ValueError("a receipt amount cannot be negative")
    if fen > MAX_FEN:
        raise ValueError("amount too large for a receipt")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return f"{prefix}零元整"
    words = _yuan_words(yuan) + "元" if yuan else ""
    if jiao:
        words += DIGITS[jiao] + "角"
    elif fen_digit and yuan:
        words += "零"  # ¥1.05 → 壹元零伍分
    if fen_digit:
        words += DIGITS[fen_digit] + "分"
    else:
        words += "整"
    return prefix + words


def _yuan_words(yuan: int) -> str:
    groups: list[int] = []
    while yuan:
        yuan, group = divmod(yuan, 10_000)
        groups.append(group)
    words = ""
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(words)
            continue
        # A gap before this group (a whole empty group, or leading zeros inside it) reads as one 零.
        if words and (zero_pending or group < 1000):
            words += "零"
        words += _group_words(group) + _GROUPS[index]
        zero_pending = False
    return words


def _group_words(group: int) -> str:
    """One group of up to four digits, e.g. 1010 → 壹仟零壹拾, 5 → 伍 (no leading 零 here)."""
    words = ""
    zero_pending = False
    for place in range(3, -1, -1):
        digit = group // 10**place % 10
        if digit == 0:
            zero_pending = bool(words)
            continue
        if zero_pending:
            words += "零"
        words += DIGITS[digit] + _PLACES[place]
        zero_pending = False
    return words


def receipt_number(pledge_id: int, year: int) -> str:
    """The printed receipt number: the year money arrived and the pledge, e.g. QQC-2026-000123."""
    if pledge_id <= 0 or not 2000 <= year <= 9999:
        raise ValueError("pledge id must be positive and the year four digits")
    return f"QQC-{year}-{pledge_id:06d}"


def spaced_account_number(number: str) -> str:
    """Bank account numbers in groups of four, as printed on bank cards and forms: easier to copy."""
    digits = "".join(number.split())
    return " ".join(digits[start : start + 4] for start in range(0, len(digits), 4))
