"""Partnership agreements: parties and their signers, versions bound by a content hash, signatures,
the negotiation thread and the reminders the jobs sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.agreements.states import (
    PENDING_VERSION,
    STATUS_LABELS,
    TYPE_LABELS,
    VERSION_STATUS_LABELS,
    AgreementStatus,
    AgreementType,
    VersionStatus,
)
from marketplace.agreements.terms import Funding, Period, Terms, Tranche
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.parties.models import Company, Organization
    from marketplace.projects.models import Project

_STATUSES = ", ".join(f"'{status.value}'" for status in AgreementStatus)
_TYPES = ", ".join(f"'{kind.value}'" for kind in AgreementType)
_VERSION_STATUSES = ", ".join(f"'{status.value}'" for status in VersionStatus)
_PENDING = ", ".join(f"'{status.value}'" for status in sorted(PENDING_VERSION))
PARTY_ROLES = ("company", "organization", "buyer", "member")
_ROLES = ", ".join(f"'{role}'" for role in PARTY_ROLES)

agreement_projects = Table(
    "agreement_projects",
    db.metadata,
    Column("agreement_id", ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", ForeignKey("projects.id"), primary_key=True),
)


class Agreement(db.Model):
    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        CheckConstraint(f"type IN ({_TYPES})", name="type_known"),
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        CheckConstraint("renewal_notice_days >= 0", name="notice_not_negative"),
        Index("ix_agreements_status_ends", "status", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32), default=AgreementType.STRATEGIC_COOPERATION)
    title: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(24), default=AgreementStatus.DRAFT, index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The league staff member who brokers it: a witness named on the document, never a signatory.
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # use_alter: introductions → pledges → agreements → introductions is a cycle of references.
    introduction_id: Mapped[int | None] = mapped_column(
        ForeignKey("introductions.id", use_alter=True, name="fk_agreements_introduction_id_introductions")
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    renewal_notice_days: Mapped[int] = mapped_column(Integer, default=30)
    # The version in force (signed by every party); None until the agreement first becomes active.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_versions.id", use_alter=True, name="fk_agreements_current_version")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(1000))

    company: Mapped[Company | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    broker: Mapped[User | None] = relationship(foreign_keys=[broker_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    projects: Mapped[list[Project]] = relationship(secondary=agreement_projects, order_by="Project.id")
    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement", order_by="AgreementParty.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement",
        order_by="AgreementVersion.version_no",
        foreign_keys="AgreementVersion.agreement_id",
    )
    current_version: Mapped[AgreementVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )

    @property
    def status_label(self) -> Msg:
        return STATUS_LABELS[AgreementStatus(self.status)]

    @property
    def type_label(self) -> Msg:
        return TYPE_LABELS[AgreementType(self.type)]

    @property
    def pending_version(self) -> AgreementVersion | None:
        """The version being drafted or awaiting signatures (at most one)."""
        return next((version for version in self.versions if version.status in PENDING_VERSION), None)

    @property
    def latest_version(self) -> AgreementVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def signatory_parties(self) -> list[AgreementParty]:
        return [party for party in self.parties if party.signatory]

    @property
    def project_ids(self) -> list[int]:
        return [project.id for project in self.projects]

    @property
    def period(self) -> Period:
        return Period(self.starts_on, self.ends_on, self.auto_renew, self.renewal_notice_days)

    def __repr__(self) -> str:
        return f"<Agreement {self.id} {self.status}>"


class AgreementParty(db.Model):
    """A party to an agreement and, optionally, the one member authorised to sign for it (when
    unset, any active member of the party may sign)."""

    __tablename__ = "agreement_parties"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLES})", name="role_known"),
        CheckConstraint(
            "(company_id IS NOT NULL AND organization_id IS NULL)"
            " OR (company_id IS NULL AND organization_id IS NOT NULL)"
            " OR (company_id IS NULL AND organization_id IS NULL AND role = 'buyer')",
            name="one_party",
        ),
        UniqueConstraint("agreement_id", "company_id", name="one_row_per_company"),
        UniqueConstraint("agreement_id", "organization_id", name="one_row_per_organization"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    # A buyer (government department or foundation) is named, not a member account here.
    name: Mapped[str] = mapped_column(String(100), default="")
    signatory: Mapped[bool] = mapped_column(Boolean, default=True)
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_title: Mapped[str] = mapped_column(String(50), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    company: Mapped[Company | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    signer: Mapped[User | None] = relationship()

    @property
    def party(self) -> Company | Organization | None:
        return self.company or self.organization

    @property
    def display_name(self) -> str:
        party = self.party
        return party.name if party is not None else self.name

    @property
    def uscc(self) -> str:
        party = self.party
        return party.uscc if party is not None else ""

    @property
    def role_label(self) -> Msg:
        return PARTY_ROLE_LABELS[self.role]

    def __repr__(self) -> str:
        return f"<AgreementParty {self.role} {self.display_name}>"


PARTY_ROLE_LABELS: dict[str, Msg] = {
    "company": Msg("企业方"),
    "organization": Msg("社会组织方"),
    "buyer": Msg("采购方"),
    "member": Msg("联合体成员"),
}


class AgreementVersion(db.Model):
    """One version of the terms. Editable while draft; from proposal on its ``content`` (the
    canonical document, see ``terms.document``) and ``content_sha256`` never change."""

    __tablename__ = "agreement_versions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_VERSION_STATUSES})", name="status_known"),
        CheckConstraint("committed_amount IS NULL OR committed_amount > 0", name="committed_positive"),
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        CheckConstraint("renewal_notice_days >= 0", name="notice_not_negative"),
        UniqueConstraint("agreement_id", "version_no", name="one_number_per_version"),
        # At most one version in play (draft or proposed) per agreement, also under concurrent requests.
        Index(
            "uq_agreement_versions_pending",
            "agreement_id",
            unique=True,
            sqlite_where=text(f"status IN ({_PENDING})"),
            postgresql_where=text(f"status IN ({_PENDING})"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    version_no: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT)
    # "original" | "amendment" | "renewal": what people call it; the rules are the same.
    kind: Mapped[str] = mapped_column(String(16), default="original")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    renewal_notice_days: Mapped[int] = mapped_column(Integer, default=30)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    committed_amount: Mapped[int | None] = mapped_column(BigInteger)  # fen
    tranches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime | None] = mapped_column(DateTime)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    close_reason: Mapped[str | None] = mapped_column(String(1000))

    agreement: Mapped[Agreement] = relationship(back_populates="versions", foreign_keys=[agreement_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    signatures: Mapped[list[AgreementSignature]] = relationship(
        back_populates="version", order_by="AgreementSignature.id"
    )
    comments: Mapped[list[AgreementComment]] = relationship(
        back_populates="version", order_by="AgreementComment.id"
    )

    @property
    def status_label(self) -> Msg:
        return VERSION_STATUS_LABELS[VersionStatus(self.status)]

    @property
    def kind_label(self) -> Msg:
        return VERSION_KIND_LABELS.get(self.kind, VERSION_KIND_LABELS["original"])

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def terms_value(self) -> Terms:
        return Terms.from_json(self.terms or {})

    @property
    def period(self) -> Period:
        return Period(self.starts_on, self.ends_on, self.auto_renew, self.renewal_notice_days)

    @property
    def tranche_values(self) -> tuple[Tranche, ...]:
        return tuple(
            Tranche(
                date.fromisoformat(item["due_on"]),
                int(item["amount"]),
                item.get("project_id"),
                item.get("note", ""),
            )
            for item in self.tranches or []
        )

    @property
    def funding(self) -> Funding:
        return Funding(self.committed_amount, self.tranche_values)

    @property
    def signed_signatures(self) -> list[AgreementSignature]:
        return [signature for signature in self.signatures if signature.decision == "signed"]

    def __repr__(self) -> str:
        return f"<AgreementVersion {self.agreement_id}v{self.version_no} {self.status}>"


VERSION_KIND_LABELS: dict[str, Msg] = {
    "original": Msg("初始版本"),
    "amendment": Msg("补充修订"),
    "renewal": Msg("续签"),
}


class AgreementSignature(db.Model):
    """A party's decision on one version: signed (binding the version's hash) or declined."""

    __tablename__ = "agreement_signatures"
    __table_args__ = (
        CheckConstraint("decision IN ('signed', 'declined')", name="decision_known"),
        # One decision per party and version: a second signature is refused by the database too.
        UniqueConstraint("version_id", "party_id", name="one_decision_per_party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("agreement_parties.id"))
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(16), default="signed")
    version_sha256: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(50))
    signer_title: Mapped[str] = mapped_column(String(50), default="")
    reason: Mapped[str | None] = mapped_column(String(1000))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    signed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A party without accounts here (a buyer) signs on paper or with its own e-seal; staff record
    # that signature (``signer_id`` is then the recorder, ``signer_name`` the buyer's signatory)
    # together with the evidence they saw, e.g. the signed contract's number.
    recorded_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[str | None] = mapped_column(String(300))

    version: Mapped[AgreementVersion] = relationship(back_populates="signatures")
    party: Mapped[AgreementParty] = relationship()
    signer: Mapped[User] = relationship()


class AgreementComment(db.Model):
    """The negotiation thread: comments on a version, by the parties and the broker."""

    __tablename__ = "agreement_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_versions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Who the author spoke for, e.g. the company's name or 团区委 (kept as written at the time).
    acting_for: Mapped[str] = mapped_column(String(100), default="")
    # What the comment answered, e.g. "request_changes" with the reason, so the thread tells the story.
    kind: Mapped[str] = mapped_column(String(24), default="comment")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    version: Mapped[AgreementVersion | None] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class AgreementReminder(db.Model):
    """A reminder the jobs sent; ``key`` is UNIQUE, so a job run twice (or on two hosts) sends once."""

    __tablename__ = "agreement_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "signature" | "renewal" | "expired" | "renewed"
    version_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_versions.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_parties.id"))
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
