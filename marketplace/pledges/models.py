"""Pledges, the money ledger, receiving entities, disbursements and matching pools (配捐).

A project's raised amount always equals the sum of its ledger rows of the raised kinds; each
money movement writes its ledger row in the same transaction as the state change, and every
idempotency key, Stripe id and ledger reference is UNIQUE in the database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import inspect as inspect_row
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.pledges.accounting import LEDGER_KIND_LABELS, LedgerKind
from marketplace.pledges.states import METHOD_LABELS, MONEY_HELD, STATUS_LABELS, PledgeMethod, PledgeStatus
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.agreements.models import Agreement
    from marketplace.parties.models import Company
    from marketplace.projects.models import Project

__all__ = [
    "Disbursement",
    "LedgerEntry",
    "MatchCredit",
    "MatchingPool",
    "PartnerFoundation",
    "Pledge",
    "PledgeMethod",
    "PledgeStatus",
    "PoolProjectTotal",
]

_PLEDGE_STATUSES = ", ".join(f"'{status.value}'" for status in PledgeStatus)
_PLEDGE_METHODS = ", ".join(f"'{method.value}'" for method in PledgeMethod)
_LEDGER_KINDS = ", ".join(f"'{kind.value}'" for kind in LedgerKind)


class PartnerFoundation(db.Model):
    """A foundation with public-fundraising qualification (公开募捐资格) that receives money for
    organizations that lack it, e.g. the district youth development foundation."""

    __tablename__ = "partner_foundations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), default="")
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account_name: Mapped[str] = mapped_column(String(100))
    bank_account_number: Mapped[str] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Pledge(db.Model):
    __tablename__ = "pledges"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("currency = 'CNY'", name="currency_cny"),
        CheckConstraint(f"status IN ({_PLEDGE_STATUSES})", name="status_known"),
        CheckConstraint(f"method IN ({_PLEDGE_METHODS})", name="method_known"),
        CheckConstraint("paid_amount IS NULL OR paid_amount > 0", name="paid_positive"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= COALESCE(paid_amount, 0)", name="refund_within_paid"
        ),
        Index("ix_pledges_project_status", "project_id", "status"),
        CheckConstraint("project_id IS NOT NULL OR agreement_id IS NOT NULL", name="project_or_agreement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None only for an agreement's tranche that names no project: the money then goes to the
    # organization's agreement account (the agreement says which organization).
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # A tranche of an active partnership agreement, scheduled for ``due_on``.
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    agreement_version_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_versions.id"))
    tranche_no: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # fen, as pledged (in kind: the company's estimate)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=PledgeStatus.PENDING, index=True)
    # Scoped by the caller ("api:<user>:<key>", "form:<token>"); UNIQUE makes replays harmless.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # sha256 of what was asked, so the same key with a different body is refused (409).
    request_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    # The code the company writes in its bank transfer's remark (附言) so staff can match it.
    reference_code: Mapped[str] = mapped_column(String(20), unique=True)
    message: Mapped[str] = mapped_column(String(200), default="")
    # Moderation hold on the message (see marketplace/moderation): shown as "under review" publicly.
    message_hidden_at: Mapped[datetime | None] = mapped_column(DateTime)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    in_kind_description: Mapped[str] = mapped_column(Text, default="")
    # Who receives the money, fixed when the pledge is made so receipts never change afterwards.
    payee_kind: Mapped[str] = mapped_column(String(16))  # "organization" | "foundation"
    payee_id: Mapped[int] = mapped_column(Integer)
    payee_name: Mapped[str] = mapped_column(String(100))
    payee_bank_name: Mapped[str] = mapped_column(String(100), default="")
    payee_account_name: Mapped[str] = mapped_column(String(100), default="")  # 户名
    payee_account_number: Mapped[str] = mapped_column(String(40), default="")
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)  # fen received (or valued, in kind)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # absolute, fen
    bank_reference: Mapped[str | None] = mapped_column(String(64), unique=True)  # staff's receipt ref
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(1000))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Set when something needs a person: amount/currency mismatch, dispute, refund failure.
    flag_reason: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)  # failed / cancelled / expired / refunded

    project: Mapped[Project | None] = relationship()
    company: Mapped[Company] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    match_credits: Mapped[list[MatchCredit]] = relationship(
        back_populates="pledge", order_by="MatchCredit.id"
    )

    @property
    def status_label(self) -> Msg:
        if self.status == PledgeStatus.PAID and self.refunded_amount:
            return Msg("部分退款")
        return STATUS_LABELS[PledgeStatus(self.status)]

    @property
    def method_label(self) -> Msg:
        return METHOD_LABELS[PledgeMethod(self.method)]

    @property
    def organization_id(self) -> int | None:
        """The organization the money is for: the project's, or the agreement's."""
        if self.project is not None:
            return self.project.organization_id
        return self.agreement.organization_id if self.agreement is not None else None

    @property
    def purpose(self) -> str:
        """What the money is for, as receipts and lists name it: the project, else the agreement."""
        if self.project is not None:
            return self.project.title
        if self.agreement is not None:
            return f"《{self.agreement.title}》协议资金"
        return ""

    @property
    def net_amount(self) -> int:
        """What this pledge currently contributes: received minus refunded."""
        return (self.paid_amount or 0) - self.refunded_amount

    @property
    def matched_amount(self) -> int:
        return sum(credit.amount - credit.reversed_amount for credit in self.match_credits)

    @property
    def is_flagged(self) -> bool:
        return bool(self.flag_reason)

    def seen_by_visitors(self) -> bool:
        """Whether this pledge, as it is now or as it was loaded, shows on a page anyone may see.
        Only pledges holding money are on the supporter wall (``public_supporters``); a pending,
        failed or cancelled one shows nowhere public, so the page cache (marketplace/cache.py) keeps
        the project's page when only such a pledge changes."""
        statuses = {self.status, *inspect_row(self).attrs.status.history.deleted}
        return any(status in MONEY_HELD for status in statuses if status is not None)

    def __repr__(self) -> str:
        return f"<Pledge {self.id} {self.method} {self.status} {self.amount}>"


class MatchingPool(db.Model):
    """A company's matching fund (配捐): it adds `ratio` yuan for every yuan others pledge to
    eligible projects, within its budget and caps, between its start and end."""

    __tablename__ = "matching_pools"
    __table_args__ = (
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("remaining >= 0 AND remaining <= budget", name="remaining_within_budget"),
        CheckConstraint("ratio_bp > 0", name="ratio_positive"),
        CheckConstraint("cap_per_pledge IS NULL OR cap_per_pledge > 0", name="cap_pledge_positive"),
        CheckConstraint("cap_per_project IS NULL OR cap_per_project > 0", name="cap_project_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("currency = 'CNY'", name="currency_cny"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(500), default="")
    budget: Mapped[int] = mapped_column(BigInteger)  # fen
    # Lowered only by an atomic UPDATE … WHERE remaining >= :amount, so it never goes below zero.
    remaining: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    ratio_bp: Mapped[int] = mapped_column(Integer)  # 10,000 = 1:1
    cap_per_pledge: Mapped[int | None] = mapped_column(BigInteger)
    cap_per_project: Mapped[int | None] = mapped_column(BigInteger)
    category_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty = every category
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty = every district
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    company: Mapped[Company] = relationship()

    @property
    def matched_total(self) -> int:
        return self.budget - self.remaining

    def __repr__(self) -> str:
        return f"<MatchingPool {self.id} {self.remaining}/{self.budget}>"


class PoolProjectTotal(db.Model):
    """How much one pool has matched in one project: the per-project cap is enforced on this row
    with an atomic conditional UPDATE, which holds under concurrent pledges."""

    __tablename__ = "pool_project_totals"
    __table_args__ = (CheckConstraint("matched >= 0", name="matched_not_negative"),)

    pool_id: Mapped[int] = mapped_column(ForeignKey("matching_pools.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    matched: Mapped[int] = mapped_column(BigInteger, default=0)


class MatchCredit(db.Model):
    """One pool's match for one pledge; reversed (partly or fully) when the pledge is refunded."""

    __tablename__ = "match_credits"
    __table_args__ = (
        UniqueConstraint("pool_id", "pledge_id", name="one_credit_per_pool_and_pledge"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("reversed_amount >= 0 AND reversed_amount <= amount", name="reversal_within_credit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("matching_pools.id"), index=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reversed_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    pool: Mapped[MatchingPool] = relationship()
    pledge: Mapped[Pledge] = relationship(back_populates="match_credits")
    project: Mapped[Project] = relationship()


class Disbursement(db.Model):
    """Money paid out of the receiving account to the organization running the project."""

    __tablename__ = "disbursements"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    bank_reference: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    project: Mapped[Project] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class LedgerEntry(db.Model):
    """One money movement, append-only. `reference` is UNIQUE so a replay writes nothing twice.

    Amounts are signed: refunds and match reversals are negative. The raised kinds sum exactly to
    the project's raised amount; disbursements (positive, money passed to the organization) and
    fees are listed beside them.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("currency = 'CNY'", name="currency_cny"),
        CheckConstraint(f"kind IN ({_LEDGER_KINDS})", name="kind_known"),
        CheckConstraint(
            "(kind IN ('pledge_paid', 'match_credit', 'disbursement') AND amount > 0)"
            " OR (kind IN ('refund', 'match_reversal', 'fee') AND amount < 0)",
            name="sign_matches_kind",
        ),
        Index("ix_ledger_entries_project_kind", "project_id", "kind"),
        # The staff dashboard sums money by kind over a date range.
        Index("ix_ledger_entries_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for money on an organization's agreement account (no project named); see ``account``.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)  # fen, signed
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id"), index=True)
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("matching_pools.id"), index=True)
    disbursement_id: Mapped[int | None] = mapped_column(ForeignKey("disbursements.id"))
    # The receiving entity's account the money sits in: "organization:<id>" or "foundation:<id>".
    account: Mapped[str] = mapped_column(String(40), default="")
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def kind_label(self) -> Msg:
        return LEDGER_KIND_LABELS[LedgerKind(self.kind)]
