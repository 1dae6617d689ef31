"""统一社会信用代码 (Unified Social Credit Code) per GB 32100-2015. PURE.

Layout: 1 registration department · 2 organization category · 3–8 administrative division
(GB/T 2260) · 9–17 organization code (GB 11714) · 18 check character (ISO 7064 mod 31).
The check character catches every single-character typo, so we can tell the user which kind of
mistake they made instead of only "invalid".
"""

from __future__ import annotations

import unicodedata

from marketplace.errors import DomainError
from marketplace.messages import Msg

USCC_LENGTH = 18
# I, O, Z, S, V are left out because they read like 1, 0, 2, 5, U.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {ch: i for i, ch in enumerate(CHARSET)}

# 1 机构编制 2 外交 3 司法行政 4 文化 5 民政 6 旅游 7 宗教 8 工会 9 工商/市场监管
# A 中央军委改革和编制办公室 N 农业 Y 其他 — the assignments published with GB 32100-2015.
REGISTRATION_DEPARTMENTS = frozenset("123456789ANY")


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (which must already be upper-case, valid characters)."""
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUES[ch] * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"invalid USCC character {exc.args[0]!r}") from None
    return CHARSET[(31 - total % 31) % 31]


def validate_uscc(code: str, *, field: str = "uscc") -> str:
    """Return the normalised (stripped, upper-case) code, or raise with the specific mistake."""
    # NFKC folds full-width letters and digits typed with a Chinese IME; inner spaces come from
    # codes copied off a printed licence.
    normalised = "".join(unicodedata.normalize("NFKC", code or "").split()).upper()
    if not normalised:
        raise DomainError.on(field, Msg("请输入统一社会信用代码"))
    if len(normalised) != USCC_LENGTH:
        raise DomainError.on(field, Msg("统一社会信用代码应为 18 位，您输入了 %(n)d 位", n=len(normalised)))
    for pos, ch in enumerate(normalised, start=1):
        if ch not in _VALUES:
            raise DomainError.on(
                field,
                Msg(
                    "统一社会信用代码第 %(pos)d 位「%(ch)s」不是有效字符（不使用 I、O、Z、S、V）",
                    pos=pos,
                    ch=ch,
                ),
            )
    if normalised[0] not in REGISTRATION_DEPARTMENTS:
        raise DomainError.on(
            field, Msg("统一社会信用代码第 1 位「%(ch)s」不是有效的登记管理部门代码", ch=normalised[0])
        )
    if not normalised[1].isdigit() or normalised[1] == "0":
        raise DomainError.on(field, Msg("统一社会信用代码第 2 位（机构类别）应为 1–9 的数字"))
    if not normalised[2:8].isdigit():
        raise DomainError.on(field, Msg("统一社会信用代码第 3–8 位应为 6 位数字的行政区划代码"))
    if check_character(normalised[:17]) != normalised[17]:
        raise DomainError.on(field, Msg("统一社会信用代码校验位不正确，请核对最后一位"))
    return normalised


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (demo data and tests)."""
    body = first17.upper()
    return body + check_character(body)
