"""Public-welfare projects and their lifecycle history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.money import MAX_GOAL_FEN, progress_percent
from marketplace.projects.states import (
    FUNDING_MODEL_LABELS,
    PUBLIC_STATUSES,
    STATUS_LABELS,
    FundingModel,
    ProjectStatus,
)
from marketplace.taxonomy.models import Category
from marketplace.timeutil import days_left, utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.parties.models import Organization
    from marketplace.pledges.models import PartnerFoundation

_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in ProjectStatus)
_MODEL_VALUES = ", ".join(f"'{model.value}'" for model in FundingModel)


class Project(db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status_known"),
        CheckConstraint(f"funding_model IN ({_MODEL_VALUES})", name="funding_model_known"),
        CheckConstraint(f"goal_amount > 0 AND goal_amount <= {MAX_GOAL_FEN}", name="goal_in_range"),
        CheckConstraint("raised_amount >= 0", name="raised_not_negative"),
        CheckConstraint("supporters_count >= 0", name="supporters_not_negative"),
        CheckConstraint("matched_amount >= 0", name="matched_not_negative"),
        # Not "≤ raised": a refund Stripe already made must be recorded even after a disbursement;
        # record_disbursement enforces the bound when money is paid out.
        CheckConstraint("disbursed_amount >= 0", name="disbursed_not_negative"),
        CheckConstraint("beneficiaries >= 0", name="beneficiaries_not_negative"),
        CheckConstraint("currency = 'CNY'", name="currency_cny"),
        Index("ix_projects_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    district: Mapped[str] = mapped_column(ForeignKey("districts.name"), index=True)
    community: Mapped[str] = mapped_column(String(100), default="")
    goal_amount: Mapped[int] = mapped_column(BigInteger)  # fen
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # Maintained only by the pledge ledger with atomic increments; equals SUM(ledger) for the project.
    raised_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Parts of raised_amount / money passed on, kept by the same atomic updates as raised_amount.
    matched_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    disbursed_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    supporters_count: Mapped[int] = mapped_column(Integer, default=0)
    # The partner foundation that receives the money when the organization has no public-fundraising
    # qualification; None means the default foundation (see pledges.operations.receiving_entity).
    partner_foundation_id: Mapped[int | None] = mapped_column(ForeignKey("partner_foundations.id"))
    deadline: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    funding_model: Mapped[str] = mapped_column(String(16))
    beneficiaries: Mapped[int] = mapped_column(Integer, default=0)
    cover_image: Mapped[str | None] = mapped_column(String(64))  # generated file name
    video_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=ProjectStatus.DRAFT, index=True)
    return_reason: Mapped[str | None] = mapped_column(String(500))
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Moderation hold (see marketplace/moderation): set while staff keep the project from the public.
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))

    organization: Mapped[Organization] = relationship(back_populates="projects")
    category: Mapped[Category] = relationship()
    created_by: Mapped[User | None] = relationship()
    transitions: Mapped[list[ProjectTransition]] = relationship(
        back_populates="project", order_by="ProjectTransition.id", cascade="all, delete-orphan"
    )
    partner_foundation: Mapped[PartnerFoundation | None] = relationship()
    updates: Mapped[list[ProjectUpdate]] = relationship(
        back_populates="project", order_by="ProjectUpdate.id.desc()", cascade="all, delete-orphan"
    )
    usage_reports: Mapped[list[FundUsageReport]] = relationship(
        back_populates="project", order_by="FundUsageReport.id.desc()", cascade="all, delete-orphan"
    )

    @property
    def reported_spent(self) -> int:
        return sum(report.total for report in self.usage_reports)

    @property
    def status_label(self) -> Msg:
        return STATUS_LABELS[ProjectStatus(self.status)]

    @property
    def funding_model_label(self) -> Msg:
        return FUNDING_MODEL_LABELS[FundingModel(self.funding_model)]

    @property
    def is_public(self) -> bool:
        """Public state and not held by moderation (the project or its organization)."""
        held = self.hidden_at is not None or (self.organization is not None and self.organization.hidden_at)
        return self.status in PUBLIC_STATUSES and not held

    @property
    def progress(self) -> int:
        return progress_percent(self.raised_amount, self.goal_amount)

    @property
    def days_left(self) -> int | None:
        if self.status != ProjectStatus.PUBLISHED:
            return None
        return days_left(self.deadline)

    @property
    def cover_url(self) -> str | None:
        from flask import url_for  # models stay importable without an app context

        return url_for("main.uploaded_file", name=self.cover_image) if self.cover_image else None

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.status}>"


class ProjectTransition(db.Model):
    """Who moved a project from one state to another, when and why: the review history."""

    __tablename__ = "project_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()

    @property
    def to_status_label(self) -> Msg:
        return STATUS_LABELS[ProjectStatus(self.to_status)]


class ProjectUpdate(db.Model):
    """A progress update the organization posts for its supporters (text and images)."""

    __tablename__ = "project_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)  # Markdown, rendered through rendering.render_markdown
    images: Mapped[list[str]] = mapped_column(JSON, default=list)  # stored upload names
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()


class FundUsageReport(db.Model):
    """How the organization spent the money: items with amounts and receipts (images or PDFs)."""

    __tablename__ = "fund_usage_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="usage_reports")
    author: Mapped[User | None] = relationship()
    items: Mapped[list[FundUsageItem]] = relationship(
        back_populates="report", order_by="FundUsageItem.position", cascade="all, delete-orphan"
    )

    @property
    def total(self) -> int:
        return sum(item.amount for item in self.items)


class FundUsageItem(db.Model):
    __tablename__ = "fund_usage_items"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("fund_usage_reports.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)  # fen
    receipt_file: Mapped[str | None] = mapped_column(String(64))  # stored upload name (image or PDF)

    report: Mapped[FundUsageReport] = relationship(back_populates="items")
