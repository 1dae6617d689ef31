"""Community needs and the projects that answer them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db, sql_values
from marketplace.messages import Msg
from marketplace.needs.states import NEED_STATUS_LABELS, URGENCY_LABELS, NeedStatus, Urgency
from marketplace.taxonomy.models import Category
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.parties.models import Organization
    from marketplace.projects.models import Project


class CommunityNeed(db.Model):
    __tablename__ = "community_needs"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(NeedStatus)})", name="status_known"),
        CheckConstraint(f"urgency IN ({sql_values(Urgency)})", name="urgency_known"),
        CheckConstraint("people_affected >= 0", name="people_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    district: Mapped[str] = mapped_column(ForeignKey("districts.name"), index=True)
    community: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    people_affected: Mapped[int] = mapped_column(Integer, default=0)
    urgency: Mapped[str] = mapped_column(String(16), default=Urgency.NORMAL)
    status: Mapped[str] = mapped_column(String(16), default=NeedStatus.OPEN, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    addressed_at: Mapped[datetime | None] = mapped_column(DateTime)

    category: Mapped[Category] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    responses: Mapped[list[NeedResponse]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedResponse.id"
    )

    @property
    def status_label(self) -> Msg:
        return NEED_STATUS_LABELS[NeedStatus(self.status)]

    @property
    def urgency_label(self) -> Msg:
        return URGENCY_LABELS[Urgency(self.urgency)]


class NeedResponse(db.Model):
    """An organization answering a need with one of its projects. A project answers at most one
    need (the project page shows it)."""

    __tablename__ = "community_need_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("community_needs.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    need: Mapped[CommunityNeed] = relationship(back_populates="responses")
    project: Mapped[Project] = relationship()
    organization: Mapped[Organization] = relationship()
