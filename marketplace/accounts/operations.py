"""Sign-up, login, password changes and API tokens. Pages, the API and the CLI all call these."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import audit
from marketplace.accounts.models import ApiToken, Role, User
from marketplace.accounts.passwords import (
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.parties import operations as parties
from marketplace.parties.models import Company, Organization, VerificationStatus
from marketplace.timeutil import utcnow

# Verified against when the e-mail is unknown, so both failures cost the same time (ASVS 6.3.8).
_DUMMY_HASH: str | None = None


@dataclass
class AccountInput:
    email: str = ""
    password: str = ""
    name: str = ""


def _validate_account(data: AccountInput) -> tuple[str, str]:
    errors: dict[str, str] = {}
    email = ""
    try:
        email = parties.normalise_email(data.email)
    except DomainError as error:
        errors.update(error.fields)
    name = (data.name or "").strip()
    if not name:
        errors["name"] = Msg("请填写您的姓名")
    elif len(name) > 50:
        errors["name"] = Msg("姓名不能超过 %(n)d 个字", n=50)
    try:
        check_password_strength(data.password or "", email=email or None)
    except DomainError as error:
        errors.update(error.fields)
    if email and "email" not in errors and db.session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = Msg("该邮箱已注册，请直接登录或使用其他邮箱")
    if errors:
        raise DomainError(errors)
    return email, name


def _add_user(
    email: str,
    name: str,
    password: str,
    role: Role,
    *,
    organization: Organization | None = None,
    company: Company | None = None,
) -> User:
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        organization=organization,
        company=company,
    )
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(
    role: Role,
    account: AccountInput,
    party: parties.PartyInput,
    *,
    verified: bool = False,
    actor_id: int | None = None,
) -> User:
    """Create a member and the organization or company it acts for, pending staff verification.

    Every field error of both parts is reported at once, and nothing is saved when any fails.
    """
    errors: dict[str, str] = {}
    email = name = ""
    try:
        email, name = _validate_account(account)
    except DomainError as error:
        errors.update(error.fields)
    new_party: Organization | Company | None = None
    try:
        with db.session.no_autoflush:
            new_party = parties.new_organization(party) if role == Role.ORG else parties.new_company(party)
    except DomainError as error:
        # Both parts have a "name" (the person's and the party's): keep both reasons apart.
        errors.update(
            {("party_name" if key == "name" else key): reason for key, reason in error.fields.items()}
        )
    if errors or new_party is None:
        if new_party is not None:
            db.session.expunge(new_party)
        raise DomainError(errors)
    if verified:
        new_party.verification_status = VerificationStatus.VERIFIED
        new_party.verified_at = utcnow()
    user = _add_user(
        email,
        name,
        account.password,
        role,
        organization=new_party if role == Role.ORG else None,
        company=new_party if role == Role.COMPANY else None,
    )
    audit.record(
        "account.signed_up",
        actor_id=actor_id or user.id,
        subject=user,
        payload={"role": role.value, "party": new_party.name, "verified": verified},
    )
    return user


def create_staff(role: Role, account: AccountInput, *, actor_id: int | None = None) -> User:
    if role not in (Role.STAFF, Role.ADMIN):
        raise DomainError.on("role", Msg("工作人员角色只能是 staff 或 admin"))
    email, name = _validate_account(account)
    user = _add_user(email, name, account.password, role)
    audit.record(
        "account.staff_created", actor_id=actor_id or user.id, subject=user, payload={"role": role.value}
    )
    return user


def add_member(party: Organization | Company, account: AccountInput, *, actor_id: int) -> User:
    """Another person joins an existing organization or company (several users per party)."""
    email, name = _validate_account(account)
    if isinstance(party, Organization):
        user = _add_user(email, name, account.password, Role.ORG, organization=party)
    else:
        user = _add_user(email, name, account.password, Role.COMPANY, company=party)
    audit.record("account.member_added", actor_id=actor_id, subject=user, payload={"party": party.name})
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; unknown e-mail and wrong password look alike."""
    global _DUMMY_HASH
    normalised = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == normalised)) if normalised else None
    if user is None or not user.active:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(16))
        verify_password(_DUMMY_HASH, password or "")
        audit.record("account.login_failed", payload={"email": normalised[:254]})
        return None
    if not verify_password(user.password_hash, password or ""):
        audit.record("account.login_failed", actor_id=user.id, subject=user)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record("account.logged_in", actor_id=user.id, subject=user)
    return user


def change_password(user: User, current_password: str, new_password: str, confirmation: str) -> User:
    """Set a new password and end every other session (ASVS 7.4.3)."""
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current_password or ""):
        errors["current_password"] = Msg("当前密码不正确")
    try:
        check_password_strength(new_password or "", email=user.email, field="new_password")
    except DomainError as error:
        errors.update(error.fields)
    if "new_password" not in errors and new_password == current_password:
        errors["new_password"] = Msg("新密码不能与当前密码相同")
    if new_password != confirmation:
        errors["confirmation"] = Msg("两次输入的新密码不一致")
    if errors:
        raise DomainError(errors)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    revoked = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in revoked:
        token.revoked_at = utcnow()
    db.session.flush()
    audit.record(
        "account.password_changed", actor_id=user.id, subject=user, payload={"tokens_revoked": len(revoked)}
    )
    return user


def _token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_api_token(user: User, *, name: str = "") -> str:
    """Return a new bearer token; only its hash is kept, so it is shown once."""
    raw = "qqc_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(raw), name=name[:100]))
    db.session.flush()
    audit.record("account.token_issued", actor_id=user.id, subject=user)
    return raw


def revoke_api_token(raw_token: str) -> bool:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(raw_token)))
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record("account.token_revoked", actor_id=token.user_id)
    return True


def user_for_token(raw_token: str) -> User | None:
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _token_digest(raw_token), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user))  # every API request: one query, not two
    )
    if token is None or not token.user.active:
        return None
    return token.user
