"""Users, roles and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.parties.models import Company, Organization


class Role(StrEnum):
    ORG = "org"
    COMPANY = "company"
    STAFF = "staff"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, Msg] = {
    Role.ORG: Msg("公益组织"),
    Role.COMPANY: Msg("爱心企业"),
    Role.STAFF: Msg("团区委工作人员"),
    Role.ADMIN: Msg("管理员"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('org', 'company', 'staff', 'admin')", name="role_known"),
        # A member belongs to exactly the kind of party its role says, and staff to none.
        CheckConstraint(
            "(role = 'org' AND organization_id IS NOT NULL AND company_id IS NULL)"
            " OR (role = 'company' AND company_id IS NOT NULL AND organization_id IS NULL)"
            " OR (role IN ('staff', 'admin') AND organization_id IS NULL AND company_id IS NULL)",
            name="party_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login session id: bumping it (password change) ends every other session.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    organization: Mapped[Organization | None] = relationship(
        back_populates="members", foreign_keys=[organization_id]
    )
    company: Mapped[Company | None] = relationship(back_populates="members", foreign_keys=[company_id])

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def role_label(self) -> Msg:
        return ROLE_LABELS[Role(self.role)]

    @property
    def party(self) -> Organization | Company | None:
        return self.organization or self.company

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
