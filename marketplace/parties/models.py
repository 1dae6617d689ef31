"""Organizations (社会组织) and companies (爱心企业): the two kinds of party users act for."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.taxonomy.models import Category, District
from marketplace.timeutil import local_today, utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.projects.models import Project


class VerificationStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


VERIFICATION_LABELS: dict[VerificationStatus, Msg] = {
    VerificationStatus.PENDING: Msg("待认证"),
    VerificationStatus.VERIFIED: Msg("已认证"),
    VerificationStatus.REJECTED: Msg("未通过"),
}


class Tier(StrEnum):
    LEADING = "leading"
    DEMONSTRATION = "demonstration"
    GROWING = "growing"


TIER_LABELS: dict[Tier, Msg] = {
    Tier.LEADING: Msg("名木"),
    Tier.DEMONSTRATION: Msg("成木"),
    Tier.GROWING: Msg("苗木"),
}

GRADES = ("A1", "A2", "A3", "A4", "A5")

organization_business_areas = Table(
    "organization_business_areas",
    db.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)

company_focus_categories = Table(
    "company_focus_categories",
    db.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)

company_districts = Table(
    "company_districts",
    db.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("district_name", ForeignKey("districts.name"), primary_key=True),
)


class PartyMixin:
    """Columns and behaviour organizations and companies share."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    contact_email: Mapped[str] = mapped_column(String(254))
    verification_status: Mapped[str] = mapped_column(String(16), default=VerificationStatus.PENDING)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def verification_label(self) -> Msg:
        return VERIFICATION_LABELS[VerificationStatus(self.verification_status)]


class Organization(PartyMixin, db.Model):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("verification_status IN ('pending', 'verified', 'rejected')", name="verification"),
        CheckConstraint("grade IS NULL OR grade IN ('A1', 'A2', 'A3', 'A4', 'A5')", name="grade_known"),
        CheckConstraint("tier IS NULL OR tier IN ('leading', 'demonstration', 'growing')", name="tier_known"),
        CheckConstraint("grade IS NULL OR grade_valid_until IS NOT NULL", name="grade_has_expiry"),
    )

    district: Mapped[str] = mapped_column(ForeignKey("districts.name"), index=True)
    community: Mapped[str] = mapped_column(String(100), default="")
    founded_year: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(2))
    grade_valid_until: Mapped[date | None] = mapped_column(Date)
    tier: Mapped[str | None] = mapped_column(String(16))
    # The league is broker, never supplier: a budget-funded league body may not bid (TENDERS V5).
    is_league_body: Mapped[bool] = mapped_column(Boolean, default=False)
    # 法定代表人: two competing bids sharing one are flagged for review (实施条例 第18条).
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    # Moderation hold (see marketplace/moderation): set while staff keep the page and its projects
    # from the public.
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    # 公开募捐资格, recorded by staff: only then may the organization receive public money itself;
    # otherwise its projects raise through a partner foundation.
    public_fundraising_qualified: Mapped[bool] = mapped_column(Boolean, default=False)
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account_number: Mapped[str] = mapped_column(String(40), default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))

    business_areas: Mapped[list[Category]] = relationship(
        secondary=organization_business_areas, order_by=Category.position
    )
    district_ref: Mapped[District] = relationship()
    members: Mapped[list[User]] = relationship(
        back_populates="organization", foreign_keys="User.organization_id"
    )
    projects: Mapped[list[Project]] = relationship(back_populates="organization")

    @property
    def tier_label(self) -> Msg | None:
        return TIER_LABELS[Tier(self.tier)] if self.tier else None

    @property
    def grade_label(self) -> str | None:
        # "A3" is stored; people say 3A.
        return f"{self.grade[1]}A" if self.grade else None

    def grade_on(self, day: date) -> str | None:
        """The grade if it is still valid on `day` (grades last five years from publication)."""
        until = self.grade_valid_until
        return self.grade if self.grade and until and until >= day else None

    @property
    def current_grade(self) -> str | None:
        return self.grade_on(local_today())

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class Company(PartyMixin, db.Model):
    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint("verification_status IN ('pending', 'verified', 'rejected')", name="verification"),
        CheckConstraint("yearly_budget IS NULL OR yearly_budget >= 0", name="budget_not_negative"),
    )

    district: Mapped[str] = mapped_column(ForeignKey("districts.name"), index=True)
    industry: Mapped[str] = mapped_column(String(50), default="")
    yearly_budget: Mapped[int | None] = mapped_column(BigInteger)  # fen
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))

    focus_categories: Mapped[list[Category]] = relationship(
        secondary=company_focus_categories, order_by=Category.position
    )
    districts_of_interest: Mapped[list[District]] = relationship(
        secondary=company_districts, order_by=District.position
    )
    members: Mapped[list[User]] = relationship(back_populates="company", foreign_keys="User.company_id")

    def __repr__(self) -> str:
        return f"<Company {self.name}>"
