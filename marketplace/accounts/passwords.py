"""Password policy (ASVS 6.2.1, 6.2.4) and argon2id hashing. No Flask.

Passwords are NFKC-normalised before they are checked or hashed, so that the full-width
characters a Chinese input method may produce ("ａｂｃ１２３") match the half-width ones typed on
another device; NIST SP 800-63B recommends normalising for the same reason.
"""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from marketplace.errors import DomainError
from marketplace.messages import Msg

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_FILE = "common_passwords.txt"

_hasher = PasswordHasher()


def configure_hasher(time_cost: int, memory_cost: int, *, parallelism: int | None = None) -> None:
    """Replace the module's hasher, e.g. with cheap parameters for tests (hashes stay verifiable).

    Argon2 needs at least 8 KiB of memory per lane, so the default parallelism is lowered to
    fit a small ``memory_cost`` instead of failing on the first hash.
    """
    global _hasher
    lanes = parallelism if parallelism is not None else max(1, min(4, memory_cost // 8))
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=lanes)


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The common-password list, read once on first use (not at import, which every CLI call pays)."""
    text = resources.files(__package__ or "marketplace.accounts").joinpath(COMMON_PASSWORDS_FILE)
    lines = (line.strip() for line in text.read_text(encoding="utf-8").splitlines())
    return frozenset(line.lower() for line in lines if line and not line.startswith("#"))


def check_password_strength(password: str, *, email: str | None = None, field: str = "password") -> None:
    """Raise ``DomainError`` on ``field`` if ``password`` may not be used; return None otherwise."""
    normalised = _normalise(password or "")
    if len(normalised) < MIN_PASSWORD_LENGTH:
        raise DomainError.on(field, Msg("密码至少需要 %(n)d 个字符", n=MIN_PASSWORD_LENGTH))
    if len(normalised) > MAX_PASSWORD_LENGTH:
        raise DomainError.on(field, Msg("密码不能超过 %(n)d 个字符", n=MAX_PASSWORD_LENGTH))
    lowered = normalised.lower()
    # One character repeated is as guessable as anything on the list, whichever character it is.
    if lowered in common_passwords() or len(set(lowered)) == 1:
        raise DomainError.on(field, Msg("该密码过于常见，请换一个更难猜的密码"))
    if email:
        address = _normalise(email).strip().lower()
        local_part = address.rpartition("@")[0] if "@" in address else address
        if lowered.strip() in {address, local_part}:
            raise DomainError.on(field, Msg("密码不能与邮箱地址或其用户名部分相同"))


def hash_password(password: str) -> str:
    return _hasher.hash(_normalise(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True only for a match; a mismatch, an empty or a malformed hash is False, never an exception."""
    if not password_hash or password is None:
        return False
    normalised = _normalise(password)
    if len(normalised) > MAX_PASSWORD_LENGTH:
        # No stored password can be this long; skip the expensive hash of attacker-sized input.
        return False
    try:
        return _hasher.verify(password_hash, normalised)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters (or is not an argon2 hash at all)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
