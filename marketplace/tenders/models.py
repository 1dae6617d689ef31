"""Buyers, tenders (service purchase calls), bids with their members and subcontractors, bid
documents, consortium invitations and awards."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db, sql_values
from marketplace.messages import Msg
from marketplace.tenders import rules
from marketplace.tenders.states import (
    BID_STATUS_LABELS,
    LIVE_BID,
    TENDER_STATUS_LABELS,
    BidStatus,
    TenderStatus,
)
from marketplace.timeutil import local_today, utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.agreements.models import Agreement
    from marketplace.parties.models import Organization
    from marketplace.taxonomy.models import Category


_LIVE = ", ".join(f"'{status.value}'" for status in sorted(LIVE_BID))


class Buyer(db.Model):
    """A government department or foundation buying services; staff act for it here (it has no
    accounts: official notices still go on the designated procurement platforms)."""

    __tablename__ = "buyers"
    __table_args__ = (CheckConstraint(f"kind IN ({sql_values(rules.BuyerKind)})", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # 统一社会信用代码 when known: OCDS party identifiers use it.
    uscc: Mapped[str] = mapped_column(String(18), default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def kind_label(self) -> Msg:
        return rules.BUYER_KIND_LABELS[rules.BuyerKind(self.kind)]


class Tender(db.Model):
    __tablename__ = "tenders"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(TenderStatus)})", name="status_known"),
        CheckConstraint(f"method IN ({sql_values(rules.Method)})", name="method_known"),
        CheckConstraint(f"grade_rule IN ({sql_values(rules.GradeRule)})", name="grade_rule_known"),
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("max_members IS NULL OR max_members >= 2", name="max_members_at_least_two"),
        CheckConstraint(
            "max_subcontract_share IS NULL OR (max_subcontract_share > 0 AND max_subcontract_share < 10000)",
            name="subcontract_cap_range",
        ),
        CheckConstraint(
            "grade_rule = 'priority_only' OR (min_grade IS NOT NULL AND grade_rule_basis <> '')",
            name="grade_gate_has_basis",
        ),
        Index("ix_tenders_status_deadline", "status", "submission_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    district: Mapped[str] = mapped_column(ForeignKey("districts.name"))
    budget: Mapped[int] = mapped_column(BigInteger)  # fen
    # A budget is a price ceiling in Chinese service purchases (最高限价) unless said otherwise.
    budget_is_cap: Mapped[bool] = mapped_column(Boolean, default=True)
    method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=TenderStatus.DRAFT, index=True)
    enquiry_ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    submission_deadline: Mapped[datetime] = mapped_column(DateTime)  # naive UTC, to the second
    expected_award_on: Mapped[date | None] = mapped_column(Date)
    contract_starts_on: Mapped[date | None] = mapped_column(Date)
    contract_ends_on: Mapped[date | None] = mapped_column(Date)
    # Explicit, never defaulted (V3): NOT NULL and set from the form or the API on purpose.
    allows_consortium: Mapped[bool] = mapped_column(Boolean)
    max_members: Mapped[int | None] = mapped_column(Integer)
    allows_subcontracting: Mapped[bool] = mapped_column(Boolean)
    max_subcontract_share: Mapped[int | None] = mapped_column(Integer)  # basis points
    min_grade: Mapped[str | None] = mapped_column(String(2))
    grade_rule: Mapped[str] = mapped_column(String(16), default=rules.GradeRule.PRIORITY_ONLY)
    grade_rule_basis: Mapped[str] = mapped_column(String(500), default="")
    required_documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    notice_url: Mapped[str] = mapped_column(String(500), default="")
    # Bumped by every substantive edit while open: bids submitted against an older revision are invalid.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(1000))

    buyer: Mapped[Buyer] = relationship()
    category: Mapped[Category] = relationship()
    created_by: Mapped[User | None] = relationship()
    bids: Mapped[list[Bid]] = relationship(back_populates="tender", order_by="Bid.id")
    awards: Mapped[list[TenderAward]] = relationship(back_populates="tender", order_by="TenderAward.id")

    @property
    def status_label(self) -> Msg:
        return TENDER_STATUS_LABELS[TenderStatus(self.status)]

    @property
    def method_label(self) -> Msg:
        return rules.METHOD_LABELS[rules.Method(self.method)]

    @property
    def grade_rule_label(self) -> Msg:
        return rules.GRADE_RULE_LABELS[rules.GradeRule(self.grade_rule)]

    @property
    def terms(self) -> rules.TenderTerms:
        return rules.TenderTerms(
            submission_deadline=self.submission_deadline,
            budget=self.budget,
            budget_is_cap=self.budget_is_cap,
            allows_consortium=self.allows_consortium,
            max_members=self.max_members,
            allows_subcontracting=self.allows_subcontracting,
            max_subcontract_share=self.max_subcontract_share,
            min_grade=self.min_grade,
            grade_rule=self.grade_rule,
        )

    @property
    def current_award(self) -> TenderAward | None:
        return next((award for award in reversed(self.awards) if award.status == "pending"), None)

    def __repr__(self) -> str:
        return f"<Tender {self.id} {self.status}>"


class Bid(db.Model):
    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(BidStatus)})", name="status_known"),
        CheckConstraint(f"mode IN ({sql_values(rules.BidMode)})", name="mode_known"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("currency = 'CNY'", name="currency_cny"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 10000)", name="score_range"),
        CheckConstraint(
            "status <> 'disqualified' OR evaluation_reason <> ''", name="disqualified_has_reason"
        ),
        # One live bid per lead and tender (实施条例 第22条), also under concurrent requests.
        Index(
            "uq_bids_live_lead",
            "tender_id",
            "lead_organization_id",
            unique=True,
            sqlite_where=text(f"status IN ({_LIVE})"),
            postgresql_where=text(f"status IN ({_LIVE})"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    lead_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=BidStatus.DRAFT, index=True)
    price: Mapped[int] = mapped_column(BigInteger)  # fen
    currency: Mapped[str] = mapped_column(String(3), default=rules.CURRENCY)
    proposal: Mapped[str] = mapped_column(Text, default="")
    # Bumped by every edit: confirmations given for an earlier revision no longer count.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The tender revision the bid was last submitted against.
    tender_revision: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    invalidated_reason: Mapped[str | None] = mapped_column(String(500))
    # What the bid was when the tender's cancellation (or the deadline, for a bid never submitted in
    # time) cancelled it: an opened bid stays in the public record as what it was.
    cancelled_from: Mapped[str | None] = mapped_column(String(16))
    # The evaluation's verdict (True valid, False disqualified), kept once the award moves the
    # status on: after a winner declines, the next-ranked *qualified* bid gets the award.
    qualified: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[int | None] = mapped_column(Integer)  # hundredths of a point
    evaluation_reason: Mapped[str] = mapped_column(String(1000), default="")
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime)

    tender: Mapped[Tender] = relationship(back_populates="bids")
    lead_organization: Mapped[Organization] = relationship()
    participants: Mapped[list[BidParticipant]] = relationship(
        back_populates="bid", order_by="BidParticipant.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[BidDocument]] = relationship(back_populates="bid", order_by="BidDocument.id")

    @property
    def status_label(self) -> Msg:
        return BID_STATUS_LABELS[BidStatus(self.status)]

    @property
    def mode_label(self) -> Msg:
        return rules.MODE_LABELS[rules.BidMode(self.mode)]

    @property
    def members(self) -> list[BidParticipant]:
        return [item for item in self.participants if item.kind == "member"]

    @property
    def subcontractors(self) -> list[BidParticipant]:
        return [item for item in self.participants if item.kind == "subcontractor"]

    @property
    def lead(self) -> BidParticipant | None:
        return next((item for item in self.members if item.role == "lead"), None)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_BID

    @property
    def score_label(self) -> str:
        return "—" if self.score is None else rules.format_share(self.score)

    def __repr__(self) -> str:
        return f"<Bid {self.id} {self.mode} {self.status}>"


class BidParticipant(db.Model):
    """An organization in a bid: the lead and consortium members (``kind='member'``, each with a
    share and a work scope) or a declared subcontractor (``kind='subcontractor'``, non-core work,
    active only after the award and the buyer's consent)."""

    __tablename__ = "bid_participants"
    __table_args__ = (
        CheckConstraint("kind IN ('member', 'subcontractor')", name="kind_known"),
        CheckConstraint(
            "(kind = 'member' AND role IN ('lead', 'member')) OR (kind = 'subcontractor' AND role IS NULL)",
            name="role_fits_kind",
        ),
        CheckConstraint("share > 0 AND share <= 10000", name="share_range"),
        CheckConstraint(
            "kind = 'member' OR (share < 10000 AND is_core_work = false)", name="subcontract_rules"
        ),
        CheckConstraint("consent_status IN ('none', 'consented', 'refused')", name="consent_status_known"),
        CheckConstraint("activated_at IS NULL OR consent_status = 'consented'", name="active_needs_consent"),
        # An organization appears once in a bid: a subcontractor is never also a member (V7).
        UniqueConstraint("bid_id", "organization_id", name="uq_bid_participants_one_per_organization"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(8))
    share: Mapped[int] = mapped_column(Integer)  # basis points
    scope: Mapped[str] = mapped_column(String(500), default="")
    is_core_work: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_revision: Mapped[int | None] = mapped_column(Integer)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    consent_status: Mapped[str] = mapped_column(String(16), default="none")
    consent_note: Mapped[str] = mapped_column(String(500), default="")
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)

    bid: Mapped[Bid] = relationship(back_populates="participants")
    organization: Mapped[Organization] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_revision is not None and self.confirmed_revision == self.bid.revision

    @property
    def share_label(self) -> str:
        return rules.format_share(self.share)

    @property
    def role_label(self) -> Msg:
        if self.kind == "subcontractor":
            return Msg("分包单位")
        return Msg("牵头方") if self.role == "lead" else Msg("联合体成员")


class BidDocument(db.Model):
    """A file attached to a bid: the proposal, the consortium's joint agreement, or another required
    document. Stored under a generated name (see ``uploads``); ``sha256`` lets anyone check it."""

    __tablename__ = "bid_documents"
    __table_args__ = (CheckConstraint("kind IN ('proposal', 'joint_agreement', 'other')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    stored_name: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    bid: Mapped[Bid] = relationship(back_populates="documents")

    @property
    def kind_label(self) -> Msg:
        return DOCUMENT_KIND_LABELS[self.kind]


DOCUMENT_KIND_LABELS: dict[str, Msg] = {
    "proposal": Msg("投标方案"),
    "joint_agreement": Msg("联合体协议"),
    "other": Msg("其他材料"),
}


class ConsortiumInvitation(db.Model):
    """A lead's invitation to another organization to bid together (from the partner finder)."""

    __tablename__ = "consortium_invitations"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status_known"),
        UniqueConstraint(
            "tender_id",
            "lead_organization_id",
            "organization_id",
            name="uq_consortium_invitations_one_per_pair",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    lead_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Why the finder suggested the partner, as shown to the lead: each a message id with its
    # parameters (so it reads in the visitor's language), see ``reason_messages``.
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(String(500), default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)

    tender: Mapped[Tender] = relationship()
    lead_organization: Mapped[Organization] = relationship(foreign_keys=[lead_organization_id])
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])

    @staticmethod
    def stored_reason(code: str, text: Msg) -> dict[str, Any]:
        params = {
            name: value if isinstance(value, int) else str(value) for name, value in text.params.items()
        }
        return {"code": code, "msgid": text.msgid, "params": params}

    @property
    def reason_messages(self) -> list[str]:
        """The stored reasons as messages the page translates (plain text kept from older rows)."""
        return [
            Msg(item["msgid"], **item.get("params", {})) if isinstance(item, dict) else str(item)
            for item in self.reasons or []
        ]


class TenderAward(db.Model):
    """The award of a tender to one bid. ``pending`` until the winner signs (the contract agreement
    then says ``active``) or declines (``declined``: the next-ranked valid bid may get the award)."""

    __tablename__ = "tender_awards"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'declined', 'cancelled')", name="status_known"),
        CheckConstraint("value > 0", name="value_positive"),
        UniqueConstraint("tender_id", "bid_id", name="uq_tender_awards_one_per_bid"),
        Index(
            "uq_tender_awards_pending",
            "tender_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    value: Mapped[int] = mapped_column(BigInteger)  # fen
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    declined_at: Mapped[datetime | None] = mapped_column(DateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(1000))

    tender: Mapped[Tender] = relationship(back_populates="awards")
    bid: Mapped[Bid] = relationship()
    agreement: Mapped[Agreement | None] = relationship()

    @property
    def signing_due_on(self) -> date:
        """The contract is signed within 30 days of the award notice (政府采购法 第46条)."""
        return local_today(self.decided_at) + timedelta(days=rules.CONTRACT_SIGNING_DAYS)

    def signing_overdue(self, now: datetime | None = None) -> bool:
        return (
            not self.contract_signed and self.status == "pending" and local_today(now) > self.signing_due_on
        )

    @property
    def contract_signed(self) -> bool:
        return self.agreement is not None and self.agreement.status in ("active", "expired")

    @property
    def ocds_status(self) -> str:
        """OCDS award status: pending until the contract is signed, then active."""
        if self.status == "declined":
            return "unsuccessful"
        if self.status == "cancelled":
            return "cancelled"
        return "active" if self.contract_signed else "pending"

    @property
    def status_label(self) -> Msg:
        return {
            "pending": Msg("待签约") if not self.contract_signed else Msg("已签约"),
            "declined": Msg("中标人放弃签约"),
            "cancelled": Msg("已取消"),
        }[self.status]
