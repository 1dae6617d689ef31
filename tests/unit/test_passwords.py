from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketplace.accounts import passwords
from marketplace.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password_strength,
    common_passwords,
    configure_hasher,
    hash_password,
    needs_rehash,
    verify_password,
)
from marketplace.errors import DomainError

GOOD = "绿色江心屿-徒步2024"


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    previous = passwords._hasher
    configure_hasher(1, 8)
    yield
    passwords._hasher = previous


def reason(password: str, **kwargs: str | None) -> str:
    with pytest.raises(DomainError) as info:
        check_password_strength(password, **kwargs)  # type: ignore[arg-type]
    (field, message), *_ = info.value.fields.items()
    assert len(info.value.fields) == 1
    return f"{field}: {message}"


def test_minimum_length_is_ten() -> None:
    assert MIN_PASSWORD_LENGTH == 10
    assert reason("Ab3$efgh9") == "password: 密码至少需要 10 个字符"
    check_password_strength("Ab3$efgh9k")


def test_empty_password() -> None:
    assert reason("") == "password: 密码至少需要 10 个字符"


def test_length_counts_characters_not_bytes() -> None:
    check_password_strength("春眠不觉晓处处闻啼鸟")  # 10 characters, 30 bytes in UTF-8
    assert "至少" in reason("春眠不觉晓处处闻啼")


def test_maximum_length() -> None:
    check_password_strength("x1" * (MAX_PASSWORD_LENGTH // 2))
    assert reason("x1" * (MAX_PASSWORD_LENGTH // 2) + "y") == "password: 密码不能超过 128 个字符"


@pytest.mark.parametrize(
    "password",
    [
        "woaini1314",
        "5201314520",
        "qwertyuiop",
        "1234567890",
        "a1234567890",
        "password123",
        "iloveyou12",
        "1q2w3e4r5t",
        "zxcvbnm123",
        "123456789a",
        "aaaaaaaaaa",
        "1111111111",
        "0000000000",
        "abc1234567",
        "Password123",  # compared lower-case
        "QWERTYUIOP",
        "ｑｗｅｒｔｙｕｉｏｐ",  # full-width, as an IME may type it
        "zzzzzzzzzzzz",  # any single repeated character
    ],
)
def test_common_passwords_are_rejected(password: str) -> None:
    assert reason(password) == "password: 该密码过于常见，请换一个更难猜的密码"


def test_common_list_is_substantial_and_lower_case() -> None:
    listed = common_passwords()
    assert len(listed) >= 300
    assert all(entry == entry.lower() and entry.strip() == entry for entry in listed)
    assert not any(entry.startswith("#") for entry in listed)
    assert common_passwords() is listed  # read once


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("zhangsan2024@qq.com", "zhangsan2024@qq.com"),
        ("ZhangSan2024@QQ.com", "zhangsan2024@qq.com"),
        ("zhangsan2024", "zhangsan2024@qq.com"),
        ("ZHANGSAN2024", "Zhangsan2024@qq.com"),
    ],
)
def test_password_equal_to_email_or_local_part(password: str, email: str) -> None:
    assert reason(password, email=email) == "password: 密码不能与邮箱地址或其用户名部分相同"


def test_password_containing_email_local_part_is_fine() -> None:
    check_password_strength("zhangsan2024-江心屿", email="zhangsan2024@qq.com")
    check_password_strength(GOOD, email=None)
    check_password_strength(GOOD, email="")


def test_custom_field_name() -> None:
    assert reason("short", field="new_password").startswith("new_password: ")


def test_hash_and_verify() -> None:
    hashed = hash_password(GOOD)
    assert hashed.startswith("$argon2id$")
    assert GOOD not in hashed
    assert verify_password(hashed, GOOD)
    assert not verify_password(hashed, GOOD + "x")
    assert not verify_password(hashed, "")


def test_hashes_are_salted() -> None:
    assert hash_password(GOOD) != hash_password(GOOD)


def test_full_width_and_half_width_verify_alike() -> None:
    assert verify_password(hash_password("abc123def456"), "ａｂｃ１２３ｄｅｆ４５６")


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$garbage", "pbkdf2:sha256:1$x$y"])
def test_verify_never_raises_on_bad_hashes(stored: str) -> None:
    assert verify_password(stored, GOOD) is False


def test_verify_with_no_hash() -> None:
    assert verify_password(None, GOOD) is False


def test_verify_refuses_oversized_input_without_error() -> None:
    assert verify_password(hash_password(GOOD), "x" * 1_000_000) is False


def test_needs_rehash_after_parameters_change() -> None:
    cheap = hash_password(GOOD)
    assert not needs_rehash(cheap)
    configure_hasher(2, 16)
    assert needs_rehash(cheap)
    assert verify_password(cheap, GOOD)  # old hashes keep working until rehashed at login
    assert not needs_rehash(hash_password(GOOD))


def test_needs_rehash_for_foreign_hashes() -> None:
    assert needs_rehash("not-a-hash")


def test_configure_hasher_accepts_tiny_memory() -> None:
    # 8 KiB is below argon2's 8 KiB-per-lane minimum at the default 4 lanes.
    configure_hasher(1, 8)
    assert verify_password(hash_password(GOOD), GOOD)
    configure_hasher(1, 64, parallelism=2)
    assert "p=2" in hash_password(GOOD)
