"""Sponsor profiles, staff introductions and the precomputed matchmaking board."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.matching.states import OPEN_STATUSES, STATUS_LABELS, IntroductionStatus
from marketplace.messages import Msg
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.parties.models import Company, Organization
    from marketplace.pledges.models import Pledge
    from marketplace.projects.models import Project

_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in IntroductionStatus)
_OPEN_VALUES = ", ".join(f"'{status.value}'" for status in sorted(OPEN_STATUSES))


class SponsorProfile(db.Model):
    """What a company wants to support, beyond the focus categories, districts and yearly budget its
    company profile already holds (those stay on ``companies`` and are edited here too)."""

    __tablename__ = "sponsor_profiles"
    __table_args__ = (
        CheckConstraint("pledge_min IS NULL OR pledge_min > 0", name="pledge_min_positive"),
        CheckConstraint("pledge_max IS NULL OR pledge_max > 0", name="pledge_max_positive"),
        CheckConstraint(
            "pledge_min IS NULL OR pledge_max IS NULL OR pledge_min <= pledge_max",
            name="pledge_range_ordered",
        ),
        CheckConstraint(
            "volunteer_capacity IS NULL OR volunteer_capacity >= 0", name="volunteers_not_negative"
        ),
    )

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    pledge_min: Mapped[int | None] = mapped_column(BigInteger)  # fen
    pledge_max: Mapped[int | None] = mapped_column(BigInteger)  # fen
    interest_statement: Mapped[str] = mapped_column(Text, default="")
    preferred_grades: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferred_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    volunteer_capacity: Mapped[int | None] = mapped_column(Integer)  # volunteers a year
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    company: Mapped[Company] = relationship()


class Introduction(db.Model):
    """Staff introduce a company to a project (and so to its organization), with a note."""

    __tablename__ = "introductions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status_known"),
        # One open introduction per company and project; a declined or converted one may be
        # followed by a new introduction later.
        Index(
            "uq_introductions_open_pair",
            "company_id",
            "project_id",
            unique=True,
            sqlite_where=text(f"status IN ({_OPEN_VALUES})"),
            postgresql_where=text(f"status IN ({_OPEN_VALUES})"),
        ),
        Index("ix_introductions_status_sent", "status", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    # Kept here, not only through the project: an agreement with the organization converts too.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=IntroductionStatus.SENT)
    # The match as staff saw it when they sent it, for the funnel's "were our suggestions right".
    score: Mapped[int | None] = mapped_column(Integer)  # tenths of a point
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Each step's first time: the funnel counts an introduction at every step it reached (a
    # conversion fills in the steps the company skipped).
    viewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    interested_at: Mapped[datetime | None] = mapped_column(DateTime)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    response_note: Mapped[str] = mapped_column(String(500), default="")
    converted_at: Mapped[datetime | None] = mapped_column(DateTime)
    converted_via: Mapped[str | None] = mapped_column(String(16))  # "pledge" | "agreement"
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id"))

    company: Mapped[Company] = relationship()
    project: Mapped[Project] = relationship()
    organization: Mapped[Organization] = relationship()
    staff: Mapped[User] = relationship()
    pledge: Mapped[Pledge | None] = relationship()

    @property
    def status_label(self) -> Msg:
        return STATUS_LABELS[IntroductionStatus(self.status)]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MatchSuggestion(db.Model):
    """The board's precomputed top projects per company (``flask jobs refresh-matches``)."""

    __tablename__ = "match_suggestions"
    __table_args__ = (
        UniqueConstraint("company_id", "project_id", name="uq_match_suggestions_pair"),
        CheckConstraint("score >= 0 AND score <= 1000", name="score_in_range"),
        Index("ix_match_suggestions_score", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)  # tenths of a point: 873 is 87.3
    # [{"code", "msgid", "params"}]: translated when shown, so the board follows the visitor's language.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    company: Mapped[Company] = relationship()
    project: Mapped[Project] = relationship()
