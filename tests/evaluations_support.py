"""What the evaluation tests share: organizations, a round, partners, votes and a snapshot of
everything a refused action must leave unchanged."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.agreements.models import Agreement, AgreementParty
from marketplace.evaluations import grading
from marketplace.evaluations import operations as ops
from marketplace.evaluations.models import (
    EvaluationParticipant,
    EvaluationRound,
    EvaluationScore,
    PeerAssignment,
    PublicVote,
    PublicVoteChoice,
)
from marketplace.extensions import db
from marketplace.parties.models import Organization
from tests import factories

ALL = {c.name: "80" for c in grading.DEFAULT_CRITERIA}


def criteria(value: object) -> dict[str, object]:
    """The same score for every default criterion."""
    return {c.name: value for c in grading.DEFAULT_CRITERIA}


def org_users(count: int, prefix: str = "评估测试社工中心") -> list[User]:
    return [factories.org_member(name=f"{prefix}{n}") for n in range(1, count + 1)]


def open_round(staff: User, users: list[User], year: int = 2026, **overrides: Any) -> EvaluationRound:
    data = ops.RoundInput(year=year, organization_ids=[user.organization_id for user in users], **overrides)
    round_ = ops.open_round(staff, data)
    db.session.commit()
    return round_


def agreement_between(first: int, second: int, status: str = "negotiating") -> Agreement:
    """An agreement whose parties are two organizations (as a consortium's service contract has)."""
    agreement = Agreement(
        title="评估测试：合作协议",
        status=status,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 1) + timedelta(days=365),
        type="service_contract",
    )
    agreement.parties = [
        AgreementParty(role="member", organization_id=first, position=0),
        AgreementParty(role="member", organization_id=second, position=1),
    ]
    db.session.add(agreement)
    db.session.commit()
    return agreement


def votes(round_: EvaluationRound, ballots: list[list[int]]) -> None:
    """Public votes as VOTE's operations store them (one identity per ballot)."""
    for n, organization_ids in enumerate(ballots):
        vote = PublicVote(round_id=round_.id, identity_hash=f"{round_.id}-{n:060d}"[:64], channel="email")
        vote.choices = [PublicVoteChoice(round_id=round_.id, organization_id=org) for org in organization_ids]
        db.session.add(vote)
    db.session.commit()


def snapshot() -> dict[str, Any]:
    """Everything evaluation operations change, to assert a refusal changed nothing."""
    db.session.expire_all()
    scores = db.session.execute(
        select(
            EvaluationScore.organization_id, EvaluationScore.scorer_organization_id, EvaluationScore.score
        ).order_by(EvaluationScore.id)
    ).all()
    return {
        "rounds": db.session.execute(
            select(EvaluationRound.id, EvaluationRound.status, EvaluationRound.year).order_by(
                EvaluationRound.id
            )
        ).all(),
        "participants": db.session.execute(
            select(
                EvaluationParticipant.organization_id,
                EvaluationParticipant.tier,
                EvaluationParticipant.grade,
                EvaluationParticipant.composite,
            ).order_by(EvaluationParticipant.id)
        ).all(),
        "assignments": db.session.scalar(select(func.count(PeerAssignment.id))),
        "scores": scores,
        "organizations": db.session.execute(
            select(
                Organization.id, Organization.grade, Organization.grade_valid_until, Organization.tier
            ).order_by(Organization.id)
        ).all(),
    }
