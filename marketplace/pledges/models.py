"""Pledges and the money ledger. A project's raised amount always equals the sum of its ledger."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.parties.models import Company
    from marketplace.projects.models import Project


class PledgeStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    REFUNDED = "refunded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PledgeMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    IN_KIND = "in_kind"
    CARD = "card"


PLEDGE_STATUS_LABELS: dict[PledgeStatus, Msg] = {
    PledgeStatus.PENDING: Msg("待确认"),
    PledgeStatus.PAID: Msg("已到账"),
    PledgeStatus.REFUNDED: Msg("已退款"),
    PledgeStatus.FAILED: Msg("支付失败"),
    PledgeStatus.CANCELLED: Msg("已取消"),
    PledgeStatus.EXPIRED: Msg("已过期"),
}


class Pledge(db.Model):
    __tablename__ = "pledges"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("currency = 'CNY'", name="currency_cny"),
        CheckConstraint(
            "status IN ('pending', 'paid', 'refunded', 'failed', 'cancelled', 'expired')",
            name="status_known",
        ),
        CheckConstraint("method IN ('bank_transfer', 'in_kind', 'card')", name="method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # fen
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=PledgeStatus.PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)

    project: Mapped[Project] = relationship()
    company: Mapped[Company] = relationship()

    @property
    def status_label(self) -> Msg:
        return PLEDGE_STATUS_LABELS[PledgeStatus(self.status)]


class LedgerEntry(db.Model):
    """One money movement. `reference` is unique so a replayed confirmation writes nothing twice."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("currency = 'CNY'", name="currency_cny"),
        CheckConstraint("entry_type IN ('payment', 'refund')", name="entry_type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    entry_type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)  # fen; refunds are negative
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
