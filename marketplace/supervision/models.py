"""Supervision records: staff visits (必访) and sampled inspections (必查)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.parties.models import Organization


class SupervisionVisit(db.Model):
    __tablename__ = "supervision_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_tasks.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    staff: Mapped[User | None] = relationship()


INSPECTION_STATUS_LABELS = {"open": Msg("待检查"), "done": Msg("已完成")}


class InspectionTask(db.Model):
    """An organization drawn for inspection in a quarter ("2026Q4"); drawing again for the same
    quarter never adds it twice."""

    __tablename__ = "inspection_tasks"
    __table_args__ = (
        UniqueConstraint("quarter", "organization_id", name="inspection_tasks_once_per_quarter"),
        CheckConstraint("status IN ('open', 'done')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    grade: Mapped[str | None] = mapped_column(String(2))  # the grade it was drawn from (None: ungraded)
    seed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="open")
    findings: Mapped[str] = mapped_column(Text, default="")
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()

    @property
    def status_label(self) -> Msg:
        return INSPECTION_STATUS_LABELS[self.status]
