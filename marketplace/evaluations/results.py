"""Reading a round: its settings as grading values, live partner pairs, each participant's figures
computed from the scores and votes (without writing them), progress, and the queries pages use.

Nothing here changes the database; ``operations`` stores what ``live_results`` computes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import func, select

from marketplace.agreements.models import Agreement, AgreementParty
from marketplace.agreements.states import AgreementStatus
from marketplace.errors import NotFound
from marketplace.evaluations import grading
from marketplace.evaluations.models import (
    EvaluationParticipant,
    EvaluationRound,
    EvaluationScore,
    PeerAssignment,
    PublicVoteChoice,
)
from marketplace.evaluations.states import RoundStatus, ScoreKind
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.parties.models import Organization
from marketplace.tenders.models import Bid, BidParticipant
from marketplace.tenders.states import LIVE_BID

# An agreement that still binds its parties (or is being negotiated between them).
LIVE_AGREEMENT = frozenset(
    {
        AgreementStatus.DRAFT,
        AgreementStatus.NEGOTIATING,
        AgreementStatus.PENDING_SIGNATURE,
        AgreementStatus.ACTIVE,
    }
)


# ───────────── a round's settings ─────────────


def get_round(round_id: int) -> EvaluationRound:
    item = db.session.get(EvaluationRound, round_id)
    if item is None:
        raise NotFound(message=Msg("找不到该评估轮次"))
    return item


def criteria_of(round_: EvaluationRound) -> tuple[grading.Criterion, ...]:
    return tuple(grading.Criterion(item["name"], int(item["weight"])) for item in round_.criteria)


def bands_of(round_: EvaluationRound) -> tuple[grading.Band, ...]:
    return tuple(grading.Band(int(item["min"]), item["grade"]) for item in round_.grade_bands)


def weights_of(round_: EvaluationRound) -> grading.Weights:
    return grading.Weights(round_.government_weight_bp, round_.peer_weight_bp, round_.public_weight_bp)


def quotas_of(round_: EvaluationRound) -> grading.Quotas:
    return grading.Quotas(round_.leading_quota, round_.demonstration_quota, round_.growing_quota)


def participant_ids(round_: EvaluationRound) -> list[int]:
    return [participant.organization_id for participant in round_.participants]


def participant_for(round_: EvaluationRound, organization_id: int) -> EvaluationParticipant | None:
    return next((p for p in round_.participants if p.organization_id == organization_id), None)


# ───────────── partners ─────────────


def live_partner_pairs(organization_ids: list[int] | None = None) -> grading.PartnerPairs:
    """Pairs of organizations working together now: parties to one live agreement (draft to
    active), or organizations in one live bid (lead, members and subcontractors). Restricted to
    `organization_ids` when given."""
    wanted = set(organization_ids) if organization_ids is not None else None
    groups: dict[tuple[str, int], set[int]] = defaultdict(set)
    agreement_rows = db.session.execute(
        select(AgreementParty.agreement_id, AgreementParty.organization_id)
        .join(Agreement, Agreement.id == AgreementParty.agreement_id)
        .where(Agreement.status.in_([str(status) for status in LIVE_AGREEMENT]))
        .where(AgreementParty.organization_id.is_not(None))
    )
    for agreement_id, organization_id in agreement_rows:
        groups[("agreement", agreement_id)].add(organization_id)
    bid_rows = db.session.execute(
        select(Bid.id, Bid.lead_organization_id, BidParticipant.organization_id)
        .join(BidParticipant, BidParticipant.bid_id == Bid.id)
        .where(Bid.status.in_([str(status) for status in LIVE_BID]))
    )
    for bid_id, lead_id, organization_id in bid_rows:
        groups[("bid", bid_id)].update({lead_id, organization_id})
    pairs: list[tuple[int, int]] = []
    for members in groups.values():
        chosen = sorted(members if wanted is None else members & wanted)
        pairs.extend(combinations(chosen, 2))
    return grading.partner_pairs(pairs)


# ───────────── results ─────────────


@dataclass(frozen=True)
class LiveResult:
    organization_id: int
    government: int | None
    peer: int | None
    peer_count: int
    public: int | None
    votes: int
    composite: int | None
    parts_used: tuple[str, ...]
    grade: str | None
    rank: int | None


def _scores(round_: EvaluationRound) -> list[EvaluationScore]:
    return list(db.session.scalars(select(EvaluationScore).where(EvaluationScore.round_id == round_.id)))


def vote_counts(round_: EvaluationRound) -> dict[int, int]:
    rows = db.session.execute(
        select(PublicVoteChoice.organization_id, func.count(PublicVoteChoice.id))
        .where(PublicVoteChoice.round_id == round_.id)
        .group_by(PublicVoteChoice.organization_id)
    )
    return {organization_id: int(count) for organization_id, count in rows}


def live_results(round_: EvaluationRound) -> dict[int, LiveResult]:
    """Each participant's figures as the scores and votes stand now (nothing is written)."""
    ids = participant_ids(round_)
    government: dict[int, int] = {}
    peers: dict[int, list[int]] = defaultdict(list)
    for score in _scores(round_):
        if score.kind == ScoreKind.GOVERNMENT:
            government[score.organization_id] = score.score
        else:
            peers[score.organization_id].append(score.score)
    counts = vote_counts(round_)
    votes = {org: counts.get(org, 0) for org in ids}
    # "Nobody voted in the round" looks at every vote cast in it, not only for current participants.
    public = grading.public_scores(votes) if sum(counts.values()) else dict.fromkeys(ids)
    weights, bands = weights_of(round_), bands_of(round_)
    partial: dict[int, tuple[int | None, grading.Composite | None]] = {}
    for org in ids:
        peer = grading.peer_score(peers.get(org, []))
        partial[org] = (peer, grading.composite(government.get(org), peer, public.get(org), weights))
    ranks = grading.rank({org: (c.value if c else None) for org, (_, c) in partial.items()})
    results: dict[int, LiveResult] = {}
    for org in ids:
        peer, combined = partial[org]
        value = combined.value if combined else None
        results[org] = LiveResult(
            organization_id=org,
            government=government.get(org),
            peer=peer,
            peer_count=len(peers.get(org, [])),
            public=public.get(org),
            votes=votes[org],
            composite=value,
            parts_used=combined.parts_used if combined else (),
            grade=grading.grade_for(value, bands),
            rank=ranks[org],
        )
    return results


def stored_results(round_: EvaluationRound) -> list[EvaluationParticipant]:
    """Participants with their stored figures, best rank first (unranked last, then by name)."""
    return sorted(
        round_.participants,
        key=lambda p: (p.rank is None, p.rank or 0, p.organization.name, p.organization_id),
    )


def suggestion(
    round_: EvaluationRound, results: dict[int, LiveResult] | None = None
) -> grading.TierSuggestion:
    results = live_results(round_) if results is None else results
    return grading.suggest_tiers(
        (
            grading.Result(r.organization_id, r.government, r.peer, r.public, r.composite, r.grade)
            for r in results.values()
        ),
        quotas_of(round_),
    )


def tier_counts(round_: EvaluationRound) -> dict[str, int]:
    counts = dict.fromkeys(grading.TIERS, 0)
    for participant in round_.participants:
        if participant.tier:
            counts[participant.tier] += 1
    return counts


# ───────────── progress and lists ─────────────


@dataclass(frozen=True)
class ProgressRow:
    participant: EvaluationParticipant
    organization: Organization
    result: LiveResult
    government_scored: bool
    peers_assigned: int  # reviewers assigned to score it
    reviews_assigned: int  # organizations it was assigned to score
    reviews_done: int
    suggested_tier: str | None


def progress(round_: EvaluationRound) -> list[ProgressRow]:
    results = live_results(round_)
    suggested = suggestion(round_, results).tiers
    assignments = list(db.session.scalars(select(PeerAssignment).where(PeerAssignment.round_id == round_.id)))
    done = {
        (score.scorer_organization_id, score.organization_id)
        for score in _scores(round_)
        if score.kind == ScoreKind.PEER
    }
    assigned_to: dict[int, int] = defaultdict(int)
    reviews: dict[int, int] = defaultdict(int)
    reviews_done: dict[int, int] = defaultdict(int)
    for assignment in assignments:
        assigned_to[assignment.organization_id] += 1
        reviews[assignment.reviewer_organization_id] += 1
        if (assignment.reviewer_organization_id, assignment.organization_id) in done:
            reviews_done[assignment.reviewer_organization_id] += 1
    rows = [
        ProgressRow(
            participant=p,
            organization=p.organization,
            result=results[p.organization_id],
            government_scored=results[p.organization_id].government is not None,
            peers_assigned=assigned_to[p.organization_id],
            reviews_assigned=reviews[p.organization_id],
            reviews_done=reviews_done[p.organization_id],
            suggested_tier=suggested.get(p.organization_id),
        )
        for p in round_.participants
    ]
    return sorted(rows, key=lambda row: (row.organization.name, row.organization.id))


def list_rounds(*, published_only: bool = False) -> list[EvaluationRound]:
    query = select(EvaluationRound).order_by(EvaluationRound.year.desc())
    if published_only:
        query = query.where(EvaluationRound.status == RoundStatus.PUBLISHED)
    return list(db.session.scalars(query))


def assignments_of(round_: EvaluationRound) -> list[PeerAssignment]:
    return list(
        db.session.scalars(
            select(PeerAssignment)
            .where(PeerAssignment.round_id == round_.id)
            .order_by(PeerAssignment.reviewer_organization_id, PeerAssignment.organization_id)
        )
    )


@dataclass(frozen=True)
class PeerTask:
    assignment: PeerAssignment
    organization: Organization
    score: EvaluationScore | None


def peer_tasks(round_: EvaluationRound, reviewer_organization_id: int) -> list[PeerTask]:
    """What one organization was assigned to score in a round, with its score where given."""
    scores = {
        score.organization_id: score
        for score in db.session.scalars(
            select(EvaluationScore).where(
                EvaluationScore.round_id == round_.id,
                EvaluationScore.kind == ScoreKind.PEER,
                EvaluationScore.scorer_organization_id == reviewer_organization_id,
            )
        )
    }
    assignments = db.session.scalars(
        select(PeerAssignment)
        .where(
            PeerAssignment.round_id == round_.id,
            PeerAssignment.reviewer_organization_id == reviewer_organization_id,
        )
        .order_by(PeerAssignment.organization_id)
    )
    return [PeerTask(a, a.organization, scores.get(a.organization_id)) for a in assignments]


def rounds_reviewing(organization_id: int) -> list[EvaluationRound]:
    """Rounds in which the organization has peer-review assignments, latest year first."""
    return list(
        db.session.scalars(
            select(EvaluationRound)
            .where(
                EvaluationRound.id.in_(
                    select(PeerAssignment.round_id).where(
                        PeerAssignment.reviewer_organization_id == organization_id
                    )
                )
            )
            .order_by(EvaluationRound.year.desc())
        )
    )


def government_score(round_: EvaluationRound, organization_id: int) -> EvaluationScore | None:
    return db.session.scalar(
        select(EvaluationScore).where(
            EvaluationScore.round_id == round_.id,
            EvaluationScore.organization_id == organization_id,
            EvaluationScore.kind == ScoreKind.GOVERNMENT,
        )
    )


def peer_score_by(round_: EvaluationRound, organization_id: int, reviewer_id: int) -> EvaluationScore | None:
    return db.session.scalar(
        select(EvaluationScore).where(
            EvaluationScore.round_id == round_.id,
            EvaluationScore.organization_id == organization_id,
            EvaluationScore.kind == ScoreKind.PEER,
            EvaluationScore.scorer_organization_id == reviewer_id,
        )
    )


def eligible_organizations() -> list[Organization]:
    """Organizations that may take part: verified, and not a league body."""
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.verification_status == "verified", Organization.is_league_body.is_(False))
            .order_by(Organization.name, Organization.id)
        )
    )
