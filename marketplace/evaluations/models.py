"""Evaluation rounds, their participants and results, government and peer scores, peer
assignments and public votes.

Scores are integers in hundredths of a point (0–10000 is 0.00–100.00), so that results are exact
to two decimals and nothing is a float. Weights are basis points (10000 = 1).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.evaluations.states import ROUND_STATUS_LABELS, RoundStatus, ScoreKind
from marketplace.extensions import db, sql_values
from marketplace.messages import Msg
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.parties.models import Organization


_SCORE_RANGE = "BETWEEN 0 AND 10000"


class EvaluationRound(db.Model):
    """One year's evaluation of the organizations staff chose to take part."""

    __tablename__ = "evaluation_rounds"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(RoundStatus)})", name="status_known"),
        CheckConstraint(
            "government_weight_bp + peer_weight_bp + public_weight_bp = 10000", name="weights_sum_to_one"
        ),
        CheckConstraint(
            "government_weight_bp >= 0 AND peer_weight_bp >= 0 AND public_weight_bp >= 0",
            name="weights_not_negative",
        ),
        CheckConstraint("max_votes >= 1", name="max_votes_positive"),
        CheckConstraint(
            "leading_quota >= 0 AND demonstration_quota >= 0 AND growing_quota >= 0",
            name="quotas_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.OPEN, index=True)
    government_weight_bp: Mapped[int] = mapped_column(Integer, default=4000)
    peer_weight_bp: Mapped[int] = mapped_column(Integer, default=3000)
    public_weight_bp: Mapped[int] = mapped_column(Integer, default=3000)
    # [{"name": "团队建设", "weight": 10}, …]: a party's score is the weighted mean over these.
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"min": 9000, "grade": "A5"}, …] best first; `min` in hundredths of a point.
    grade_bands: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    max_votes: Mapped[int] = mapped_column(Integer, default=5)  # organizations one voter may choose
    leading_quota: Mapped[int] = mapped_column(Integer, default=10)  # 名木
    demonstration_quota: Mapped[int] = mapped_column(Integer, default=30)  # 成木
    growing_quota: Mapped[int] = mapped_column(Integer, default=300)  # 苗木
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    grades_valid_until: Mapped[date | None] = mapped_column(Date)

    participants: Mapped[list[EvaluationParticipant]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="EvaluationParticipant.id"
    )

    @property
    def status_label(self) -> Msg:
        return ROUND_STATUS_LABELS[RoundStatus(self.status)]

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def is_published(self) -> bool:
        return self.status == RoundStatus.PUBLISHED

    @property
    def criterion_names(self) -> list[str]:
        return [criterion["name"] for criterion in self.criteria]


class EvaluationParticipant(db.Model):
    """An organization taking part in a round, with its computed result once staff compute or
    publish it (hundredths of a point; None where that part is missing)."""

    __tablename__ = "evaluation_participants"
    __table_args__ = (
        UniqueConstraint("round_id", "organization_id", name="evaluation_participants_once"),
        CheckConstraint("tier IS NULL OR tier IN ('leading', 'demonstration', 'growing')", name="tier_known"),
        CheckConstraint("grade IS NULL OR grade IN ('A1', 'A2', 'A3', 'A4', 'A5')", name="grade_known"),
        CheckConstraint(f"composite IS NULL OR composite {_SCORE_RANGE}", name="composite_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    government: Mapped[int | None] = mapped_column(Integer)
    peer: Mapped[int | None] = mapped_column(Integer)
    public: Mapped[int | None] = mapped_column(Integer)
    votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    composite: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(2))
    rank: Mapped[int | None] = mapped_column(Integer)
    tier: Mapped[str | None] = mapped_column(String(16))  # assigned by staff (suggested by score)
    tier_assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    round: Mapped[EvaluationRound] = relationship(back_populates="participants")
    organization: Mapped[Organization] = relationship()


class PeerAssignment(db.Model):
    """Which participant scores which: never itself, never a live partner (checked when made)."""

    __tablename__ = "evaluation_peer_assignments"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "reviewer_organization_id", "organization_id", name="evaluation_peer_assignments_once"
        ),
        CheckConstraint("reviewer_organization_id <> organization_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    reviewer_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    reviewer: Mapped[Organization] = relationship(foreign_keys=[reviewer_organization_id])
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])


class EvaluationScore(db.Model):
    """A government score (staff, one per organization and round) or a peer score (one per scoring
    organization, organization and round). `criteria` holds each criterion's score in hundredths;
    `score` is their weighted mean. Re-scoring while the round is open replaces it."""

    __tablename__ = "evaluation_scores"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_values(ScoreKind)})", name="kind_known"),
        CheckConstraint(f"score {_SCORE_RANGE}", name="score_range"),
        CheckConstraint(
            "(kind = 'government' AND scorer_organization_id IS NULL) OR "
            "(kind = 'peer' AND scorer_organization_id IS NOT NULL)",
            name="scorer_matches_kind",
        ),
        CheckConstraint(
            "scorer_organization_id IS NULL OR scorer_organization_id <> organization_id", name="not_self"
        ),
        UniqueConstraint(
            "round_id", "organization_id", "scorer_organization_id", name="evaluation_scores_peer_once"
        ),
        Index(
            "evaluation_scores_government_once",
            "round_id",
            "organization_id",
            unique=True,
            sqlite_where=text("kind = 'government'"),
            postgresql_where=text("kind = 'government'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    scorer_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    criteria: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class VoteCode(db.Model):
    """A one-time code sent to a voter's e-mail or phone; only its hash is kept."""

    __tablename__ = "evaluation_vote_codes"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    # An HMAC of the normalised e-mail or phone number: votes are anonymous to staff.
    identity_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PublicVote(db.Model):
    """One verified identity's vote in a round (a second one is refused by the unique constraint)."""

    __tablename__ = "evaluation_public_votes"
    __table_args__ = (UniqueConstraint("round_id", "identity_hash", name="evaluation_public_votes_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    identity_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))  # "email" | "phone"
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    choices: Mapped[list[PublicVoteChoice]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", order_by="PublicVoteChoice.id"
    )


class PublicVoteChoice(db.Model):
    __tablename__ = "evaluation_public_vote_choices"
    __table_args__ = (UniqueConstraint("vote_id", "organization_id", name="evaluation_vote_choices_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_public_votes.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)

    vote: Mapped[PublicVote] = relationship(back_populates="choices")
