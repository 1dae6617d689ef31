"""Public voting rules (pure): who a voter is, how a one-time code is kept and checked, how often one
may be sent, and which choices a ballot may hold.

A voter is a verified e-mail address or mainland mobile number. Votes are anonymous to staff: only an
HMAC of the normalised identity is stored (keyed with the app's secret, so the hash of a known
number cannot be computed without it), and codes are stored as HMACs too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from email_validator import EmailNotValidError, validate_email

from marketplace.errors import DomainError
from marketplace.messages import Msg

CODE_DIGITS: Final = 6
CODE_LIFETIME: Final = timedelta(minutes=10)
MAX_CODE_ATTEMPTS: Final = 5  # wrong codes before a code is void
CODE_INTERVAL: Final = timedelta(seconds=60)  # one code per identity per minute…
CODES_PER_HOUR: Final = 5  # …and at most five an hour
_HOUR: Final = timedelta(hours=1)

# Mainland mobile numbers: 1, then 3–9, then nine digits (optionally written +86 / 0086 / 86 first).
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086)")


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class Identity:
    channel: Channel
    value: str  # a lowercase e-mail address, or 11 digits

    @property
    def masked(self) -> str:
        return mask(self)


INVALID_EMAIL = Msg("请填写有效的电子邮箱地址")
INVALID_PHONE = Msg("请填写有效的中国大陆手机号（11 位，1 开头）")
INVALID_IDENTITY = Msg("请填写有效的电子邮箱或中国大陆手机号")
MISSING_IDENTITY = Msg("请填写电子邮箱或手机号")


def normalise_email(text: str, *, field: str = "email") -> Identity:
    try:
        address = validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise DomainError.on(field, INVALID_EMAIL) from None
    return Identity(Channel.EMAIL, address.lower())


def normalise_phone(text: str, *, field: str = "phone") -> Identity:
    cleaned = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    cleaned = _COUNTRY_PREFIX.sub("", cleaned)
    if len(cleaned) == 13 and cleaned.startswith("86"):
        cleaned = cleaned[2:]
    if not _MOBILE.fullmatch(cleaned):
        raise DomainError.on(field, INVALID_PHONE)
    return Identity(Channel.PHONE, cleaned)


def normalise_identity(text: str | None, *, field: str = "identity") -> Identity:
    """An e-mail address or a mainland mobile number as typed → its one normalised form."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        raise DomainError.on(field, MISSING_IDENTITY)
    if "@" in text:
        return normalise_email(text, field=field)
    try:
        return normalise_phone(text, field=field)
    except DomainError:
        raise DomainError.on(field, INVALID_IDENTITY) from None


def identity_hash(secret: str, identity: Identity) -> str:
    return hmac.new(
        secret.encode(), f"{identity.channel}:{identity.value}".encode(), hashlib.sha256
    ).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(secret: str, round_id: int, identity_digest: str, code: str) -> str:
    """A six-digit code has a million values: a plain hash would be reversed at once, so the secret,
    the round and the voter key it."""
    message = f"vote-code:{round_id}:{identity_digest}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def code_matches(secret: str, round_id: int, identity_digest: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(secret, round_id, identity_digest, code), stored_hash)


def clean_code(text: str | None) -> str:
    """The code as typed, without spaces (people copy "123 456")."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))


def mask(identity: Identity) -> str:
    """z***@example.com, 138****5678: enough for the voter to recognise, not to read off a screen."""
    if identity.channel == Channel.PHONE:
        return f"{identity.value[:3]}****{identity.value[-4:]}"
    local, _, domain = identity.value.partition("@")
    return f"{local[:1]}***@{domain}"


class CodeState(StrEnum):
    USABLE = "usable"
    EXPIRED = "expired"
    USED = "used"
    VOID = "void"  # too many wrong attempts


def code_state(*, expires_at: datetime, used_at: datetime | None, attempts: int, now: datetime) -> CodeState:
    if used_at is not None:
        return CodeState.USED
    if attempts >= MAX_CODE_ATTEMPTS:
        return CodeState.VOID
    if now >= expires_at:
        return CodeState.EXPIRED
    return CodeState.USABLE


def next_code_allowed_at(sent_at: Iterable[datetime], now: datetime) -> datetime | None:
    """When the identity that was sent codes at ``sent_at`` may have another: None for now, else the
    first moment both limits (one a minute, five an hour) allow it."""
    recent = sorted((moment for moment in sent_at if moment > now - _HOUR), reverse=True)
    waits = []
    if recent and recent[0] + CODE_INTERVAL > now:
        waits.append(recent[0] + CODE_INTERVAL)
    if len(recent) >= CODES_PER_HOUR:
        waits.append(recent[CODES_PER_HOUR - 1] + _HOUR)
    return max(waits) if waits else None


def retry_message(wait: timedelta) -> Msg:
    seconds = max(1, int(-(-wait.total_seconds() // 1)))
    if seconds <= 120:
        return Msg("获取验证码太频繁，请 %(seconds)d 秒后再试", seconds=seconds)
    return Msg("获取验证码太频繁，请 %(minutes)d 分钟后再试", minutes=-(-seconds // 60))


def wrong_code_message(attempts: int) -> Msg:
    left = MAX_CODE_ATTEMPTS - attempts
    if left <= 0:
        return Msg("验证码错误次数过多，该验证码已失效，请重新获取")
    return Msg("验证码不正确，还可以再试 %(left)d 次", left=left)


NO_CHOICE = Msg("请至少选择 1 家组织")
DUPLICATE_CHOICE = Msg("同一家组织只能选择一次")


def choice_problem(
    organization_ids: Sequence[int], participant_ids: Iterable[int], max_votes: int
) -> Msg | None:
    """Why a ballot of ``organization_ids`` may not be cast, or None when it may."""
    if not organization_ids:
        return NO_CHOICE
    if len(set(organization_ids)) != len(organization_ids):
        return DUPLICATE_CHOICE
    if len(organization_ids) > max_votes:
        return Msg("最多可选 %(max)d 家组织", max=max_votes)
    allowed = set(participant_ids)
    strangers = [str(item) for item in organization_ids if item not in allowed]
    if strangers:
        return Msg("所选组织未参加本轮评议（编号 %(ids)s）", ids="、".join(strangers))
    return None
