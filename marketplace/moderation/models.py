"""Abuse reports (举报). The hold itself (hidden content) lives on the subject rows: ``hidden_at`` /
``hidden_reason`` on projects and organizations, ``message_hidden_at`` on pledges (see
``moderation.visibility`` for why)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db, sql_values
from marketplace.messages import Msg
from marketplace.moderation.states import (
    REASON_LABELS,
    REPORT_STATUS_LABELS,
    SUBJECT_KIND_LABELS,
    Reason,
    ReportStatus,
    SubjectKind,
)
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User

_OPEN = f"status = '{ReportStatus.OPEN.value}'"


class AbuseReport(db.Model):
    __tablename__ = "abuse_reports"
    __table_args__ = (
        CheckConstraint(f"subject_kind IN ({sql_values(SubjectKind)})", name="subject_kind_known"),
        CheckConstraint(f"reason IN ({sql_values(Reason)})", name="reason_known"),
        CheckConstraint(f"status IN ({sql_values(ReportStatus)})", name="status_known"),
        CheckConstraint("subject_id > 0", name="subject_id_positive"),
        Index("ix_abuse_reports_subject", "subject_kind", "subject_id", "status"),
        # One open report per reporter and subject: a second click (or a replayed form) adds nothing.
        Index(
            "uq_abuse_reports_open_per_reporter",
            "subject_kind",
            "subject_id",
            "reporter_key",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(String(500), default="")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # HMAC-SHA256 of the client IP with the app's secret key: lets staff see that anonymous reports
    # came from one place without keeping the address.
    reporter_ip_hash: Mapped[str | None] = mapped_column(String(64))
    # "user:<id>" or "ip:<hash>": who counts as the same reporter for the one-open-report rule.
    reporter_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.OPEN, index=True)
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_note: Mapped[str | None] = mapped_column(String(500))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def reason_label(self) -> Msg:
        return REASON_LABELS[Reason(self.reason)]

    @property
    def status_label(self) -> Msg:
        return REPORT_STATUS_LABELS[ReportStatus(self.status)]

    @property
    def kind_label(self) -> Msg:
        return SUBJECT_KIND_LABELS[SubjectKind(self.subject_kind)]

    @property
    def is_open(self) -> bool:
        return self.status == ReportStatus.OPEN
