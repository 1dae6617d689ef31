"""What changes an evaluation round: staff open it, choose participants and peer assignments, score
(government), close, reopen, assign tiers and publish; members of participating organizations
score the peers assigned to them. Each operation flushes; the caller commits once. Staff decisions
are audited (``evaluation.<action>``).

Public voting lives in ``voting`` (it only adds PublicVote rows, which results count)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.evaluations import grading
from marketplace.evaluations.models import (
    EvaluationParticipant,
    EvaluationRound,
    EvaluationScore,
    PeerAssignment,
)
from marketplace.evaluations.results import (
    criteria_of,
    live_partner_pairs,
    live_results,
    participant_for,
    participant_ids,
    peer_score_by,
    quotas_of,
    suggestion,
    tier_counts,
)
from marketplace.evaluations.states import RoundStatus, ScoreKind, next_status
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.parties.models import TIER_LABELS, Organization, Tier
from marketplace.timeutil import local_today, utcnow

TITLE_MAX = 100
MAX_VOTES_LIMIT = 50
NOT_OPEN = Msg("本轮评估已截止或已公布，不能再评分或调整")
STAFF_ONLY = Msg("只有团区委工作人员可以这样做")


def _require_staff(actor: User | None) -> User:
    if actor is None or not actor.is_staff:
        raise Forbidden.on("actor", STAFF_ONLY)
    return actor


def _audit(actor: User | None, action: str, subject: Any, **payload: Any) -> None:
    audit.record_by(actor, f"evaluation.{action}", subject=subject, payload=payload)


def _lock(round_: EvaluationRound) -> None:
    """Serialise changes to one round (row lock on PostgreSQL, write lock on SQLite)."""
    db.session.flush()
    db.session.execute(
        update(EvaluationRound)
        .where(EvaluationRound.id == round_.id)
        .values(id=EvaluationRound.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(round_)


def _notify_members(organization_ids: Sequence[int], title: Msg, body: Msg, link: str) -> int:
    """Tell the organizations' active members (in-app and by mail)."""
    from marketplace.notifications.operations import notify

    if not organization_ids:
        return 0
    members = db.session.scalars(
        select(User)
        .where(User.organization_id.in_(list(organization_ids)), User.active.is_(True))
        .order_by(User.id)
    )
    return notify(members, kind="evaluation", title=title, body=body, link=link)


def _require_open(round_: EvaluationRound) -> None:
    if round_.status != RoundStatus.OPEN:
        raise Conflict.on("round", NOT_OPEN)


def _eligible(organization_ids: Sequence[int], field_name: str = "organization_ids") -> list[Organization]:
    ids = list(dict.fromkeys(organization_ids))
    found = {org.id: org for org in db.session.scalars(select(Organization).where(Organization.id.in_(ids)))}
    bad = [str(org_id) for org_id in ids if org_id not in found]
    if bad:
        raise DomainError.on(field_name, Msg("找不到这些组织：%(ids)s", ids="、".join(bad)))
    refused = [
        found[org_id].name for org_id in ids if not found[org_id].is_verified or found[org_id].is_league_body
    ]
    if refused:
        raise DomainError.on(
            field_name,
            Msg("只有已认证的社会组织可以参评（团区委直属单位不参评）：%(names)s", names="、".join(refused)),
        )
    return [found[org_id] for org_id in ids]


# ───────────── opening a round ─────────────


@dataclass
class RoundInput:
    """A round as staff describe it. Weights are decimals (0.4) as strings or numbers; criteria
    are (name, weight) pairs; grade bands map A5…A1 to a minimum score; None → the defaults."""

    year: int | None
    organization_ids: list[int] = field(default_factory=list)
    title: str | None = None
    weights: tuple[object, object, object] | None = None
    criteria: list[tuple[object, object]] | None = None
    grade_bands: list[tuple[str, object]] | None = None
    max_votes: object = grading.DEFAULT_MAX_VOTES
    quotas: tuple[object, object, object] | None = None


def _validated(data: RoundInput) -> dict[str, Any]:
    """Every field's problem at once, or the round's column values."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    year = data.year
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = Msg("请填写 2000 到 2100 之间的年份")
    else:
        values["year"] = year
    title = (data.title or "").strip() or (f"{year}年度青年社会组织评估" if "year" in values else "")
    if len(title) > TITLE_MAX:
        errors["title"] = Msg("标题最多 %(max)d 个字", max=TITLE_MAX)
    values["title"] = title

    def collect(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except DomainError as error:
            errors.update(error.fields)
            return None

    weights = collect(grading.validate_weights, *data.weights) if data.weights else grading.DEFAULT_WEIGHTS
    criteria = (
        collect(grading.validate_criteria, data.criteria)
        if data.criteria is not None
        else grading.DEFAULT_CRITERIA
    )
    bands = (
        collect(grading.validate_bands, data.grade_bands)
        if data.grade_bands is not None
        else grading.DEFAULT_BANDS
    )
    quotas = collect(grading.validate_quotas, *data.quotas) if data.quotas else grading.DEFAULT_QUOTAS
    max_votes = data.max_votes
    if isinstance(max_votes, str) and max_votes.strip().isdigit():
        max_votes = int(max_votes.strip())
    if isinstance(max_votes, bool) or not isinstance(max_votes, int) or not 1 <= max_votes <= MAX_VOTES_LIMIT:
        errors["max_votes"] = Msg("每人可投票数须是 1 到 %(max)d 之间的整数", max=MAX_VOTES_LIMIT)
    if not data.organization_ids:
        errors["organization_ids"] = Msg("请至少选择一家参评组织")
    else:
        collect(_eligible, data.organization_ids)
    if errors:
        raise DomainError(errors)
    values.update(
        government_weight_bp=weights.government,
        peer_weight_bp=weights.peer,
        public_weight_bp=weights.public,
        criteria=[{"name": c.name, "weight": c.weight} for c in criteria],
        grade_bands=[{"min": band.min, "grade": band.grade} for band in bands],
        max_votes=max_votes,
        leading_quota=quotas.leading,
        demonstration_quota=quotas.demonstration,
        growing_quota=quotas.growing,
    )
    return values


def open_round(actor: User | None, data: RoundInput) -> EvaluationRound:
    """Open a round for a year (one round per year) with the chosen organizations."""
    staff = _require_staff(actor)
    values = _validated(data)
    if db.session.scalar(select(EvaluationRound.id).where(EvaluationRound.year == values["year"])):
        raise Conflict.on("year", Msg("%(year)s 年度的评估已经存在", year=values["year"]))
    round_ = EvaluationRound(status=RoundStatus.OPEN, opened_by_id=staff.id, **values)
    db.session.add(round_)
    for organization_id in dict.fromkeys(data.organization_ids):
        round_.participants.append(EvaluationParticipant(organization_id=organization_id, votes=0))
    db.session.flush()
    _audit(
        staff,
        "round_opened",
        round_,
        year=round_.year,
        organization_ids=participant_ids(round_),
        weights_bp=[round_.government_weight_bp, round_.peer_weight_bp, round_.public_weight_bp],
    )
    return round_


# ───────────── participants and peer assignments ─────────────


def add_participant(
    actor: User | None, round_: EvaluationRound, organization_id: int
) -> EvaluationParticipant:
    staff = _require_staff(actor)
    _lock(round_)
    _require_open(round_)
    _eligible([organization_id], "organization_id")
    if participant_for(round_, organization_id) is not None:
        raise Conflict.on("organization_id", Msg("该组织已经在本轮参评"))
    participant = EvaluationParticipant(organization_id=organization_id, votes=0)
    round_.participants.append(participant)
    db.session.flush()
    _audit(staff, "participant_added", round_, organization_id=organization_id)
    return participant


def remove_participant(actor: User | None, round_: EvaluationRound, organization_id: int) -> None:
    """Take an organization out of an open round, with its assignments and the scores it gave
    and received."""
    staff = _require_staff(actor)
    _lock(round_)
    _require_open(round_)
    participant = participant_for(round_, organization_id)
    if participant is None:
        raise NotFound.on("organization_id", Msg("该组织不在本轮参评名单中"))
    db.session.execute(
        delete(PeerAssignment).where(
            PeerAssignment.round_id == round_.id,
            (PeerAssignment.organization_id == organization_id)
            | (PeerAssignment.reviewer_organization_id == organization_id),
        )
    )
    db.session.execute(
        delete(EvaluationScore).where(
            EvaluationScore.round_id == round_.id,
            (EvaluationScore.organization_id == organization_id)
            | (EvaluationScore.scorer_organization_id == organization_id),
        )
    )
    round_.participants.remove(participant)
    db.session.flush()
    _audit(staff, "participant_removed", round_, organization_id=organization_id)


def auto_assign_peers(
    actor: User | None, round_: EvaluationRound, per_reviewer: int = grading.DEFAULT_PEERS_PER_REVIEWER
) -> int:
    """Replace the assignments nobody has scored yet by a balanced round-robin that never pairs an
    organization with itself or a live partner. Returns how many assignments were added."""
    staff = _require_staff(actor)
    _lock(round_)
    _require_open(round_)
    if not 1 <= per_reviewer <= 20:
        raise DomainError.on("per_reviewer", Msg("每家组织评几家须是 1 到 20 之间的整数"))
    ids = participant_ids(round_)
    scored = {
        (score.scorer_organization_id, score.organization_id)
        for score in db.session.scalars(
            select(EvaluationScore).where(
                EvaluationScore.round_id == round_.id, EvaluationScore.kind == ScoreKind.PEER
            )
        )
    }
    existing = db.session.scalars(select(PeerAssignment).where(PeerAssignment.round_id == round_.id))
    kept = set()
    for assignment in existing:
        pair = (assignment.reviewer_organization_id, assignment.organization_id)
        if pair in scored:
            kept.add(pair)
        else:
            db.session.delete(assignment)
    db.session.flush()
    pairs = grading.assign_peers(ids, live_partner_pairs(ids), per_reviewer)
    added = 0
    reviewers: set[int] = set()
    for reviewer, reviewee in pairs:
        if (reviewer, reviewee) not in kept:
            db.session.add(
                PeerAssignment(
                    round_id=round_.id, reviewer_organization_id=reviewer, organization_id=reviewee
                )
            )
            reviewers.add(reviewer)
            added += 1
    db.session.flush()
    _notify_members(
        sorted(reviewers),
        Msg("%(title)s：同行互评任务已分配", title=round_.title),
        Msg("团区委为贵组织分配了要评分的同行组织，请在评分截止前完成。"),
        "/evaluations/peer-reviews",
    )
    _audit(staff, "peers_assigned", round_, per_reviewer=per_reviewer, assignments=added + len(kept))
    return added


def add_peer_assignment(
    actor: User | None, round_: EvaluationRound, reviewer_id: int, organization_id: int
) -> PeerAssignment:
    staff = _require_staff(actor)
    _lock(round_)
    _require_open(round_)
    ids = participant_ids(round_)
    errors: dict[str, str] = {}
    if reviewer_id not in ids:
        errors["reviewer_organization_id"] = Msg("评分组织不在本轮参评名单中")
    if organization_id not in ids:
        errors["organization_id"] = Msg("被评组织不在本轮参评名单中")
    if errors:
        raise DomainError(errors)
    reason = grading.peer_exclusion(
        reviewer_id, organization_id, live_partner_pairs([reviewer_id, organization_id])
    )
    if reason is not None:
        raise DomainError.on("organization_id", reason)
    exists = db.session.scalar(
        select(PeerAssignment.id).where(
            PeerAssignment.round_id == round_.id,
            PeerAssignment.reviewer_organization_id == reviewer_id,
            PeerAssignment.organization_id == organization_id,
        )
    )
    if exists:
        raise Conflict.on("organization_id", Msg("已经分配过这组互评"))
    assignment = PeerAssignment(
        round_id=round_.id, reviewer_organization_id=reviewer_id, organization_id=organization_id
    )
    db.session.add(assignment)
    db.session.flush()
    _audit(staff, "peer_assignment_added", round_, reviewer=reviewer_id, organization_id=organization_id)
    return assignment


def remove_peer_assignment(actor: User | None, round_: EvaluationRound, assignment_id: int) -> None:
    """Remove an assignment (and the peer score given under it, if any)."""
    staff = _require_staff(actor)
    _lock(round_)
    _require_open(round_)
    assignment = db.session.get(PeerAssignment, assignment_id)
    if assignment is None or assignment.round_id != round_.id:
        raise NotFound(message=Msg("找不到该互评分配"))
    reviewer, organization_id = assignment.reviewer_organization_id, assignment.organization_id
    db.session.execute(
        delete(EvaluationScore).where(
            EvaluationScore.round_id == round_.id,
            EvaluationScore.kind == ScoreKind.PEER,
            EvaluationScore.scorer_organization_id == reviewer,
            EvaluationScore.organization_id == organization_id,
        )
    )
    db.session.delete(assignment)
    db.session.flush()
    _audit(staff, "peer_assignment_removed", round_, reviewer=reviewer, organization_id=organization_id)


# ───────────── scores ─────────────

KIND_MESSAGE = Msg("评分类型只能是 government（政府评分）或 peer（同行互评）")


def _check_peer_scorer(user: User, round_: EvaluationRound, organization_id: int) -> int:
    """The scoring organization's id, after checking it may score `organization_id`."""
    reviewer = user.organization_id
    if reviewer is None:
        raise Forbidden.on("kind", Msg("同行互评只能由参评组织的成员完成"))
    if reviewer == organization_id:
        raise Forbidden.on("organization_id", Msg(grading.SELF_MESSAGE))
    if participant_for(round_, reviewer) is None:
        raise Forbidden.on("organization_id", Msg("您的组织不在本轮参评名单中，不能互评"))
    reason = grading.peer_exclusion(
        reviewer, organization_id, live_partner_pairs([reviewer, organization_id])
    )
    if reason is not None:
        raise Forbidden.on("organization_id", reason)
    assigned = db.session.scalar(
        select(PeerAssignment.id).where(
            PeerAssignment.round_id == round_.id,
            PeerAssignment.reviewer_organization_id == reviewer,
            PeerAssignment.organization_id == organization_id,
        )
    )
    if not assigned:
        raise Forbidden.on("organization_id", Msg("本轮没有分配您的组织为该组织评分"))
    return reviewer


def record_score(
    user: User | None, round_: EvaluationRound, organization_id: int | None, kind: str | None, criteria: Any
) -> EvaluationScore:
    """A government score (staff) or a peer score (a member of an assigned organization), from one
    0–100 score per criterion; the party's score is their weighted mean. Re-scoring replaces."""
    if user is None:
        raise Forbidden()
    errors: dict[str, str] = {}
    if kind not in (ScoreKind.GOVERNMENT, ScoreKind.PEER):
        errors["kind"] = KIND_MESSAGE
    if isinstance(organization_id, bool) or not isinstance(organization_id, int):
        errors["organization_id"] = Msg("请选择被评组织")
    if not isinstance(criteria, dict):
        errors["criteria"] = Msg("请为每个评分项打分")
    if errors:
        raise DomainError(errors)
    assert organization_id is not None
    _lock(round_)
    if kind == ScoreKind.GOVERNMENT:
        _require_staff(user)
        reviewer: int | None = None
    else:
        reviewer = _check_peer_scorer(user, round_, organization_id)
    if participant_for(round_, organization_id) is None:
        raise DomainError.on("organization_id", Msg("该组织不在本轮参评名单中"))
    _require_open(round_)
    scores = grading.score_criteria(criteria_of(round_), criteria)
    value = grading.weighted_mean(scores, criteria_of(round_))
    if kind == ScoreKind.GOVERNMENT:
        existing = db.session.scalar(
            select(EvaluationScore).where(
                EvaluationScore.round_id == round_.id,
                EvaluationScore.organization_id == organization_id,
                EvaluationScore.kind == ScoreKind.GOVERNMENT,
            )
        )
    else:
        assert reviewer is not None
        existing = peer_score_by(round_, organization_id, reviewer)
    if existing is None:
        existing = EvaluationScore(
            round_id=round_.id, organization_id=organization_id, kind=kind, scorer_organization_id=reviewer
        )
        db.session.add(existing)
    existing.criteria = scores
    existing.score = value
    existing.scored_by_id = user.id
    existing.updated_at = utcnow()
    db.session.flush()
    if kind == ScoreKind.GOVERNMENT:
        _audit(user, "government_scored", round_, organization_id=organization_id, score=value)
    return existing


# ───────────── results, status, tiers, publication ─────────────


def compute_results(round_: EvaluationRound) -> list[EvaluationParticipant]:
    """Store each participant's figures as the scores and votes stand (tiers are left alone)."""
    results = live_results(round_)
    for participant in round_.participants:
        result = results[participant.organization_id]
        participant.government = result.government
        participant.peer = result.peer
        participant.public = result.public
        participant.votes = result.votes
        participant.composite = result.composite
        participant.grade = result.grade
        participant.rank = result.rank
    db.session.flush()
    return list(round_.participants)


def _move(actor: User | None, round_: EvaluationRound, action: str) -> RoundStatus:
    target = next_status(round_.status, action)
    if target is None:
        raise Conflict.on(
            "status", Msg("本轮评估当前为「%(status)s」，不能执行此操作", status=round_.status_label)
        )
    return target


def close_round(actor: User | None, round_: EvaluationRound) -> EvaluationRound:
    """Stop scoring and voting and freeze the figures for tier assignment."""
    staff = _require_staff(actor)
    _lock(round_)
    round_.status = _move(staff, round_, "close")
    round_.closed_at = utcnow()
    compute_results(round_)
    _audit(staff, "round_closed", round_)
    return round_


def reopen_round(actor: User | None, round_: EvaluationRound) -> EvaluationRound:
    staff = _require_staff(actor)
    _lock(round_)
    round_.status = _move(staff, round_, "reopen")
    round_.closed_at = None
    _audit(staff, "round_reopened", round_)
    return round_


TIER_MESSAGE = Msg("梯队只能是 leading（名木）、demonstration（成木）或 growing（苗木）")


def _over_quota_message(round_: EvaluationRound, over: list[str]) -> Msg:
    quotas = quotas_of(round_)
    return Msg(
        "超出名额：%(details)s",
        details="；".join(f"{TIER_LABELS[Tier(tier)]}最多 {quotas.of(tier)} 家" for tier in over),
    )


def assign_tier(
    actor: User | None, round_: EvaluationRound, organization_id: int, tier: str | None
) -> EvaluationParticipant:
    """Staff set (or clear, with None) a participant's tier; refused beyond the tier's quota."""
    staff = _require_staff(actor)
    _lock(round_)
    if round_.status == RoundStatus.PUBLISHED:
        raise Conflict.on("tier", Msg("结果已公布，梯队不能再调整"))
    if tier is not None and tier not in grading.TIERS:
        raise DomainError.on("tier", TIER_MESSAGE)
    participant = participant_for(round_, organization_id)
    if participant is None:
        raise NotFound.on("organization_id", Msg("该组织不在本轮参评名单中"))
    counts = tier_counts(round_)
    if participant.tier:
        counts[participant.tier] -= 1
    if tier:
        counts[tier] += 1
    over = grading.tiers_over_quota(counts, quotas_of(round_))
    if over:
        raise DomainError.on("tier", _over_quota_message(round_, over))
    previous = participant.tier
    participant.tier = tier
    participant.tier_assigned_by_id = staff.id
    db.session.flush()
    _audit(staff, "tier_assigned", round_, organization_id=organization_id, tier=tier, previous=previous)
    return participant


def accept_suggested_tiers(actor: User | None, round_: EvaluationRound) -> int:
    """Set every participant's tier to the suggestion (by composite). Returns how many changed."""
    staff = _require_staff(actor)
    _lock(round_)
    if round_.status == RoundStatus.PUBLISHED:
        raise Conflict.on("tier", Msg("结果已公布，梯队不能再调整"))
    suggested = suggestion(round_).tiers
    changed = 0
    for participant in round_.participants:
        tier = suggested.get(participant.organization_id)
        if participant.tier != tier:
            participant.tier = tier
            participant.tier_assigned_by_id = staff.id
            changed += 1
    db.session.flush()
    _audit(staff, "tiers_accepted", round_, changed=changed)
    return changed


def valid_until(published_on: date) -> date:
    """Five years after publication (29 February → 28 February)."""
    year = published_on.year + grading.GRADE_VALID_YEARS
    try:
        return published_on.replace(year=year)
    except ValueError:
        return published_on.replace(year=year, day=28)


def publish_round(
    actor: User | None, round_: EvaluationRound, *, now: datetime | None = None
) -> EvaluationRound:
    """Compute and publish: every participant needs a government score. Grades (valid five years
    from the publication day, Wenzhou time) and tiers are written onto the organizations; a
    participant below the lowest band loses any grade it had."""
    staff = _require_staff(actor)
    _lock(round_)
    target = _move(staff, round_, "publish")
    participants = compute_results(round_)
    missing = sorted(p.organization.name for p in participants if p.government is None)
    if missing:
        raise Conflict.on(
            "government", Msg("还有组织没有政府评分，不能公布：%(names)s", names="、".join(missing))
        )
    over = grading.tiers_over_quota(tier_counts(round_), quotas_of(round_))
    if over:
        raise DomainError.on("tier", _over_quota_message(round_, over))
    moment = now or utcnow()
    expiry = valid_until(local_today(moment))
    round_.status = target
    round_.published_at = moment
    round_.published_by_id = staff.id
    round_.grades_valid_until = expiry
    for participant in participants:
        organization = participant.organization
        organization.grade = participant.grade
        organization.grade_valid_until = expiry if participant.grade else None
        organization.tier = participant.tier
    db.session.flush()
    _notify_members(
        [p.organization_id for p in participants],
        Msg("%(title)s结果已公布", title=round_.title),
        Msg("评估结果、等级和梯队已公布，等级有效期至 %(day)s。", day=expiry.isoformat()),
        f"/evaluations/{round_.id}/results",
    )
    _audit(
        staff,
        "round_published",
        round_,
        grades_valid_until=expiry.isoformat(),
        results={str(p.organization_id): [p.composite, p.grade, p.tier] for p in participants},
    )
    return round_
