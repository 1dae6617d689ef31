"""Public voting rules as tables: identities, hashes, codes, the per-identity code limit and ballots.
No app, no database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from marketplace.errors import DomainError
from marketplace.evaluations.voting_rules import (
    CODE_LIFETIME,
    DUPLICATE_CHOICE,
    MAX_CODE_ATTEMPTS,
    NO_CHOICE,
    Channel,
    CodeState,
    Identity,
    choice_problem,
    clean_code,
    code_hash,
    code_matches,
    code_state,
    identity_hash,
    mask,
    new_code,
    next_code_allowed_at,
    normalise_email,
    normalise_identity,
    normalise_phone,
    retry_message,
    wrong_code_message,
)

EMAIL, PHONE = Channel.EMAIL, Channel.PHONE
T0 = datetime(2026, 11, 27, 8, 0, 0)


@pytest.mark.parametrize(
    ("typed", "channel", "value"),
    [
        ("voter@example.com", EMAIL, "voter@example.com"),
        ("  Voter@Example.COM ", EMAIL, "voter@example.com"),
        ("ZHANG.San@QQ.com", EMAIL, "zhang.san@qq.com"),
        ("ｖｏｔｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ", EMAIL, "voter@example.com"),  # full-width input
        ("13812345678", PHONE, "13812345678"),
        ("138 1234 5678", PHONE, "13812345678"),
        ("138-1234-5678", PHONE, "13812345678"),
        ("+86 138 1234 5678", PHONE, "13812345678"),
        ("+86-13812345678", PHONE, "13812345678"),
        ("0086 13812345678", PHONE, "13812345678"),
        ("8613812345678", PHONE, "13812345678"),
        ("(+86) 199-0000-1111", PHONE, "19900001111"),
        ("１３８１２３４５６７８", PHONE, "13812345678"),  # full-width digits
        ("15012345678", PHONE, "15012345678"),
    ],
)
def test_identities_normalise_to_one_form(typed: str, channel: Channel, value: str) -> None:
    assert normalise_identity(typed) == Identity(channel, value)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        None,
        "voter@",
        "@example.com",
        "voter@example",
        "voter@localhost",
        "a b@example.com",
        "12812345678",  # 12x is not a mobile prefix
        "1381234567",  # ten digits
        "138123456789",  # twelve digits
        "+1 138 1234 5678",
        "+86 023 1234 5678",
        "02388886666",  # a landline
        "abcdefghijk",
        "138l2345678",
    ],
)
def test_bad_identities_are_refused_on_the_field(typed: str | None) -> None:
    with pytest.raises(DomainError) as caught:
        normalise_identity(typed, field="identity")
    assert set(caught.value.fields) == {"identity"}


def test_email_and_phone_only_parsers_name_their_field() -> None:
    assert normalise_email("A@Example.cn") == Identity(EMAIL, "a@example.cn")
    assert normalise_phone("+86 139 0000 0000") == Identity(PHONE, "13900000000")
    with pytest.raises(DomainError) as caught:
        normalise_email("13900000000")
    assert set(caught.value.fields) == {"email"}
    with pytest.raises(DomainError) as caught:
        normalise_phone("voter@example.com")
    assert set(caught.value.fields) == {"phone"}


def test_identity_hash_is_stable_keyed_and_channel_bound() -> None:
    email = Identity(EMAIL, "voter@example.com")
    digest = identity_hash("secret", email)
    assert digest == identity_hash("secret", normalise_identity(" VOTER@example.com"))
    assert len(digest) == 64 and int(digest, 16) >= 0
    # HMAC-SHA256 over "email:voter@example.com" keyed with the secret: fixed, so stored hashes stay valid.
    assert digest == "f53107a581bfe177cc6475df301ad4ae8834d16a614245bd4bca64217163eed4"
    assert identity_hash("another secret", email) != digest
    assert identity_hash("secret", Identity(PHONE, "voter@example.com")) != digest
    assert identity_hash("secret", normalise_identity("+86 138-1234-5678")) == identity_hash(
        "secret", normalise_identity("13812345678")
    )


def test_codes_are_six_digits_and_stored_keyed() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 150  # random, not a counter
    stored = code_hash("secret", 7, "abc", "123456")
    assert stored != "123456" and len(stored) == 64
    assert code_matches("secret", 7, "abc", "123456", stored)
    assert not code_matches("secret", 7, "abc", "123457", stored)
    assert not code_matches("secret", 8, "abc", "123456", stored)  # another round
    assert not code_matches("secret", 7, "abd", "123456", stored)  # another voter
    assert not code_matches("other", 7, "abc", "123456", stored)


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [("123456", "123456"), (" 123 456 ", "123456"), ("１２３４５６", "123456"), (None, "")],
)
def test_codes_as_typed_lose_spaces(typed: str | None, cleaned: str) -> None:
    assert clean_code(typed) == cleaned


@pytest.mark.parametrize(
    ("identity", "masked"),
    [
        (Identity(EMAIL, "zhangsan@example.com"), "z***@example.com"),
        (Identity(EMAIL, "z@example.com"), "z***@example.com"),
        (Identity(PHONE, "13812345678"), "138****5678"),
    ],
)
def test_masks(identity: Identity, masked: str) -> None:
    assert mask(identity) == masked == identity.masked


@pytest.mark.parametrize(
    ("expires_in", "used", "attempts", "state"),
    [
        (timedelta(minutes=5), False, 0, CodeState.USABLE),
        (timedelta(seconds=1), False, MAX_CODE_ATTEMPTS - 1, CodeState.USABLE),
        (timedelta(0), False, 0, CodeState.EXPIRED),  # expires at that very moment
        (-timedelta(seconds=1), False, 0, CodeState.EXPIRED),
        (timedelta(minutes=5), False, MAX_CODE_ATTEMPTS, CodeState.VOID),
        (-timedelta(minutes=5), False, MAX_CODE_ATTEMPTS, CodeState.VOID),
        (timedelta(minutes=5), True, 0, CodeState.USED),
        (-timedelta(minutes=5), True, 3, CodeState.USED),
    ],
)
def test_code_states(expires_in: timedelta, used: bool, attempts: int, state: CodeState) -> None:
    assert (
        code_state(expires_at=T0 + expires_in, used_at=T0 if used else None, attempts=attempts, now=T0)
        == state
    )


def test_a_code_lives_ten_minutes_and_five_attempts() -> None:
    assert (timedelta(minutes=10), 5) == (CODE_LIFETIME, MAX_CODE_ATTEMPTS)


def _ago(*seconds: int) -> list[datetime]:
    return [T0 - timedelta(seconds=value) for value in seconds]


@pytest.mark.parametrize(
    ("sent", "allowed_at"),
    [
        ([], None),
        (_ago(60), None),  # exactly a minute later
        (_ago(59), T0 + timedelta(seconds=1)),
        (_ago(1), T0 + timedelta(seconds=59)),
        (_ago(3600, 3000, 2000, 1000, 100), None),  # the oldest has left the hour
        (_ago(3000, 2000, 1000, 500, 100), T0 + timedelta(seconds=600)),  # five in the hour
        (_ago(3599, 2000, 1000, 500, 100), T0 + timedelta(seconds=1)),
        (_ago(3000, 2000, 1000, 500, 30), T0 + timedelta(seconds=600)),  # the later of both limits
        (_ago(3500, 3400, 3300, 3200, 3100, 3000, 10), T0 + timedelta(seconds=300)),  # fifth latest
        (_ago(10_000, 9_000, 8_000, 7_000, 6_000, 5_000), None),
    ],
)
def test_one_code_a_minute_and_five_an_hour(sent: list[datetime], allowed_at: datetime | None) -> None:
    assert next_code_allowed_at(sent, T0) == allowed_at


@pytest.mark.parametrize(
    ("wait", "text"),
    [
        (timedelta(seconds=30), "请 30 秒后再试"),
        (timedelta(seconds=0.2), "请 1 秒后再试"),
        (timedelta(seconds=59.5), "请 60 秒后再试"),
        (timedelta(seconds=120), "请 120 秒后再试"),
        (timedelta(seconds=121), "请 3 分钟后再试"),
        (timedelta(minutes=42), "请 42 分钟后再试"),
    ],
)
def test_retry_messages_say_when(wait: timedelta, text: str) -> None:
    assert text in retry_message(wait)


@pytest.mark.parametrize(
    ("attempts", "text"),
    [(1, "还可以再试 4 次"), (4, "还可以再试 1 次"), (5, "已失效"), (6, "已失效")],
)
def test_wrong_code_messages(attempts: int, text: str) -> None:
    assert text in wrong_code_message(attempts)


PARTICIPANTS = [11, 12, 13, 14, 15, 16]


@pytest.mark.parametrize(
    ("chosen", "max_votes", "problem"),
    [
        ([11], 5, None),
        ([11, 12, 13, 14, 15], 5, None),
        ([16, 11], 2, None),
        ([], 5, NO_CHOICE),
        ([11, 12, 13, 14, 15, 16], 5, "最多可选 5 家"),
        ([11, 12], 1, "最多可选 1 家"),
        ([11, 11], 5, DUPLICATE_CHOICE),
        ([11, 12, 11], 2, DUPLICATE_CHOICE),
        ([99], 5, "未参加本轮评议（编号 99）"),
        ([11, 98, 99], 5, "编号 98、99"),
    ],
)
def test_ballots(chosen: list[int], max_votes: int, problem: str | None) -> None:
    found = choice_problem(chosen, PARTICIPANTS, max_votes)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
