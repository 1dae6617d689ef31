from __future__ import annotations

import pytest

from marketplace.errors import DomainError
from marketplace.parties.uscc import CHARSET, check_character, make_uscc, validate_uscc

# Published codes: the worked example in GB 32100-2015 and codes printed on well-known companies'
# business licences (Tencent, Huawei, Alibaba, Xiaomi).
REAL_CODES = [
    "91350100M000100Y43",
    "9144030071526726XG",
    "914403001922038216",
    "91330100716105852F",
    "91110108551385082Q",
]


def independent_is_valid(code: str) -> bool:
    """A second, deliberately different derivation: weights are 3**i mod 31, and the check value
    is whatever makes the weighted sum of all 18 characters a multiple of 31."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if len(code) != 18 or any(ch not in alphabet for ch in code):
        return False
    body = sum(alphabet.index(ch) * pow(3, i, 31) for i, ch in enumerate(code[:17]))
    return (body + alphabet.index(code[17])) % 31 == 0


def test_charset_leaves_out_confusable_letters() -> None:
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid_by_both_derivations(code: str) -> None:
    assert independent_is_valid(code)
    assert validate_uscc(code) == code
    assert check_character(code[:17]) == code[17]


def test_gb_example_check_character_by_hand() -> None:
    # 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4 → values 9 1 3 5 0 1 0 0 21 0 0 0 1 0 0 30 4
    values = [9, 1, 3, 5, 0, 1, 0, 0, 21, 0, 0, 0, 1, 0, 0, 30, 4]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(v * w for v, w in zip(values, weights, strict=True))
    assert total == 1640  # 9+3+27+135+26+420+8+900+112
    assert total % 31 == 28
    assert 31 - total % 31 == 3
    assert check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    "first17", ["91350100M000100Y4", "52330302MJ0000000", "51330302MJ1234567", "Y1330302000000000"]
)
def test_make_uscc_round_trip(first17: str) -> None:
    code = make_uscc(first17)
    assert code.startswith(first17)
    assert validate_uscc(code) == code
    assert independent_is_valid(code)


def test_check_character_31_maps_to_zero() -> None:
    # A weighted sum that is already a multiple of 31 would give 31 - 0 = 31, written as "0".
    body = "9135010000000000F"  # 9 + 3 + 27 + 135 + 26 + 15 × 28 = 620 = 31 × 20
    total = sum(CHARSET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body))
    assert total % 31 == 0
    assert check_character(body) == "0"
    assert check_character("0" * 17) == "0"


def test_make_uscc_upper_cases() -> None:
    assert make_uscc("91350100m000100y4") == "91350100M000100Y43"


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_character_substitution_is_rejected(code: str) -> None:
    for pos in range(18):
        for ch in CHARSET:
            if ch == code[pos]:
                continue
            mutated = code[:pos] + ch + code[pos + 1 :]
            assert not independent_is_valid(mutated)
            with pytest.raises(DomainError):
                validate_uscc(mutated)


def test_lowercase_and_spaces_are_normalised() -> None:
    assert validate_uscc("  9144030071526726xg ") == "9144030071526726XG"
    assert validate_uscc("9135 0100 M000 100Y 43") == "91350100M000100Y43"


def test_full_width_input_is_normalised() -> None:
    assert validate_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "请输入统一社会信用代码"),
        ("   ", "请输入统一社会信用代码"),
        ("91350100M000100Y4", "统一社会信用代码应为 18 位，您输入了 17 位"),
        ("91350100M000100Y433", "统一社会信用代码应为 18 位，您输入了 19 位"),
        ("91350100I000100Y43", "统一社会信用代码第 9 位「I」不是有效字符（不使用 I、O、Z、S、V）"),
        ("91350100M000100YO3", "统一社会信用代码第 17 位「O」不是有效字符（不使用 I、O、Z、S、V）"),
        ("9135010-M000100Y43", "统一社会信用代码第 8 位「-」不是有效字符（不使用 I、O、Z、S、V）"),
        ("91350100M000100Y44", "统一社会信用代码校验位不正确，请核对最后一位"),
    ],
)
def test_specific_reasons(code: str, reason: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_uscc(code, field="org_uscc")
    assert info.value.fields == {"org_uscc": reason}


def test_unknown_registration_department() -> None:
    # A check character that fits, so only the department rule can reject it.
    code = make_uscc("B1350100M000100Y4")
    with pytest.raises(DomainError) as info:
        validate_uscc(code)
    assert "第 1 位" in info.value.fields["uscc"]


@pytest.mark.parametrize("department", list("123456789ANY"))
def test_published_registration_departments(department: str) -> None:
    code = make_uscc(department + "1350100M000100Y4")
    assert validate_uscc(code) == code


def test_category_must_be_a_digit() -> None:
    with pytest.raises(DomainError) as info:
        validate_uscc(make_uscc("9A350100M000100Y4"))
    assert "第 2 位" in info.value.fields["uscc"]


def test_division_code_must_be_digits() -> None:
    with pytest.raises(DomainError) as info:
        validate_uscc(make_uscc("9135A100M000100Y4"))
    assert "第 3–8 位" in info.value.fields["uscc"]


def test_check_character_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        check_character("123")
    with pytest.raises(ValueError):
        check_character("91350100I000100Y4")
