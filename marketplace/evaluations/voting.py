"""Public voting in an evaluation round: a one-time code sent to an e-mail address or a mobile
number, then one ballot of up to ``round.max_votes`` participating organizations per verified
identity and round.

The rules live in the pure ``voting_rules``; these operations read and change rows and ``flush()``;
the caller commits once. A wrong code is the one refusal whose side effect must be kept (the attempt
counts towards voiding the code), so callers commit before re-raising ``WrongCode``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import mail, sms
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.evaluations.models import (
    EvaluationParticipant,
    EvaluationRound,
    PublicVote,
    PublicVoteChoice,
    VoteCode,
)
from marketplace.evaluations.states import RoundStatus
from marketplace.evaluations.voting_rules import (
    CODE_LIFETIME,
    MAX_CODE_ATTEMPTS,
    Channel,
    CodeState,
    Identity,
    choice_problem,
    code_hash,
    code_matches,
    code_state,
    identity_hash,
    new_code,
    next_code_allowed_at,
    retry_message,
    wrong_code_message,
)
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.moderation.visibility import listed_organizations
from marketplace.parties.models import Organization
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)

CODE_EXPIRES_IN: Final = int(CODE_LIFETIME.total_seconds())


class RoundClosed(Conflict):
    code = "round_closed"
    default_message = Msg("本轮评议的公众投票已经结束")


class AlreadyVoted(Conflict):
    code = "already_voted"
    default_message = Msg("该邮箱或手机号已在本轮投过票，每人每轮只能投一次")


class TooManyCodeRequests(DomainError):
    status = 429
    code = "rate_limited"
    default_message = Msg("获取验证码太频繁，请稍后再试")

    def __init__(self, message: Msg, retry_after: int):
        super().__init__(message=message)
        self.retry_after = retry_after


class WrongCode(DomainError):
    """A code that does not match: the attempt is counted, so the caller commits before answering."""


ROUND_CLOSED = Msg("本轮评议的公众投票已经结束")
ALREADY_VOTED = Msg("该邮箱或手机号已在本轮投过票，每人每轮只能投一次")
NO_CODE = Msg("请先获取验证码")
CODE_EXPIRED = Msg("验证码已过期，请重新获取")
CODE_VOID = Msg("验证码错误次数过多，该验证码已失效，请重新获取")
CODE_FORMAT = Msg("验证码是 6 位数字")


@dataclass(frozen=True)
class CodeSent:
    channel: Channel
    masked: str
    expires_in: int


def get_round(round_id: int) -> EvaluationRound:
    evaluation_round = db.session.get(EvaluationRound, round_id)
    if evaluation_round is None:
        raise NotFound.on("round", Msg("找不到该评议"))
    return evaluation_round


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _require_open(evaluation_round: EvaluationRound) -> None:
    if not evaluation_round.is_open:
        raise RoundClosed(message=ROUND_CLOSED)


def has_voted(evaluation_round: EvaluationRound, digest: str) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(PublicVote.round_id == evaluation_round.id, PublicVote.identity_hash == digest)
            )
        )
    )


def request_vote_code(
    evaluation_round: EvaluationRound,
    identity: Identity,
    ip: str | None = None,
    *,
    now: datetime | None = None,
) -> CodeSent:
    """Send a fresh six-digit code to ``identity`` for voting in ``evaluation_round``."""
    now = now or utcnow()
    _require_open(evaluation_round)
    digest = identity_hash(_secret(), identity)
    if has_voted(evaluation_round, digest):
        raise AlreadyVoted(message=ALREADY_VOTED)
    # The limit is per identity across rounds: the hash does not depend on the round.
    sent = db.session.scalars(
        select(VoteCode.created_at).where(
            VoteCode.identity_hash == digest, VoteCode.created_at > now - timedelta(hours=1)
        )
    ).all()
    allowed_at = next_code_allowed_at(sent, now)
    if allowed_at is not None:
        wait = allowed_at - now
        raise TooManyCodeRequests(retry_message(wait), retry_after=max(1, int(-(-wait.total_seconds() // 1))))
    code = new_code()
    db.session.add(
        VoteCode(
            round_id=evaluation_round.id,
            identity_hash=digest,
            code_hash=code_hash(_secret(), evaluation_round.id, digest, code),
            attempts=0,
            expires_at=now + CODE_LIFETIME,
            created_at=now,
        )
    )
    db.session.flush()
    _send_code(evaluation_round, identity, code)
    log.info("vote code sent: round %s by %s from %s", evaluation_round.id, identity.channel, ip or "-")
    return CodeSent(identity.channel, identity.masked, CODE_EXPIRES_IN)


def _send_code(evaluation_round: EvaluationRound, identity: Identity, code: str) -> None:
    minutes = CODE_EXPIRES_IN // 60
    if identity.channel == Channel.PHONE:
        sms.queue(
            identity.value,
            Msg(
                "【青亲筹】您的投票验证码为 %(code)s，%(minutes)d 分钟内有效。如非本人操作，请忽略本短信。",
                code=code,
                minutes=minutes,
            ),
        )
        return
    mail.queue(
        identity.value,
        Msg("您的投票验证码：%(code)s", code=code),
        Msg(
            "您好！\n\n您正在参加「%(title)s」的公众投票。"
            "您的投票验证码为 %(code)s，%(minutes)d 分钟内有效。\n\n如非本人操作，请忽略本邮件。\n\n青亲筹",
            title=evaluation_round.title,
            code=code,
            minutes=minutes,
        ),
    )


def _latest_code(evaluation_round: EvaluationRound, digest: str) -> VoteCode | None:
    return db.session.scalar(
        select(VoteCode)
        .where(VoteCode.round_id == evaluation_round.id, VoteCode.identity_hash == digest)
        .order_by(VoteCode.created_at.desc(), VoteCode.id.desc())
        .limit(1)
    )


def _participant_ids(evaluation_round: EvaluationRound) -> list[int]:
    """The organizations a ballot may name: the round's, less those moderation holds (the vote page
    does not show them either)."""
    return list(
        db.session.scalars(
            select(EvaluationParticipant.organization_id)
            .join(Organization, Organization.id == EvaluationParticipant.organization_id)
            .where(EvaluationParticipant.round_id == evaluation_round.id, listed_organizations())
        )
    )


def _check_code(evaluation_round: EvaluationRound, digest: str, code: str, now: datetime) -> VoteCode:
    """The voter's latest code when ``code`` matches it; a miss is counted (and flushed)."""
    latest = _latest_code(evaluation_round, digest)
    if latest is None:
        raise DomainError.on("code", NO_CODE)
    state = code_state(
        expires_at=latest.expires_at, used_at=latest.used_at, attempts=latest.attempts, now=now
    )
    if state == CodeState.USED:
        # Used by a ballot that committed after this request's first look: that ballot is the vote.
        if has_voted(evaluation_round, digest):
            raise AlreadyVoted(message=ALREADY_VOTED)
        raise DomainError.on("code", CODE_EXPIRED)
    if state == CodeState.VOID:
        raise DomainError.on("code", CODE_VOID)
    if state == CodeState.EXPIRED:
        raise DomainError.on("code", CODE_EXPIRED)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise DomainError.on("code", CODE_FORMAT)
    if code_matches(_secret(), evaluation_round.id, digest, code, latest.code_hash):
        return latest
    # Counted in one statement, so that simultaneous guesses cannot share one attempt.
    db.session.execute(
        update(VoteCode)
        .where(VoteCode.id == latest.id, VoteCode.attempts < MAX_CODE_ATTEMPTS)
        .values(attempts=VoteCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(latest, ["attempts"])
    raise WrongCode.on("code", wrong_code_message(latest.attempts))


def cast_vote(
    evaluation_round: EvaluationRound,
    identity: Identity,
    code: str,
    organization_ids: list[int],
    *,
    now: datetime | None = None,
) -> PublicVote:
    """Record ``identity``'s ballot for ``organization_ids`` with the code it was sent."""
    now = now or utcnow()
    _require_open(evaluation_round)
    digest = identity_hash(_secret(), identity)
    if has_voted(evaluation_round, digest):
        raise AlreadyVoted(message=ALREADY_VOTED)
    problem = choice_problem(organization_ids, _participant_ids(evaluation_round), evaluation_round.max_votes)
    if problem is not None:
        raise DomainError.on("organization_ids", problem)
    used = _check_code(evaluation_round, digest, code, now)
    # Whoever marks the code used first votes; on PostgreSQL a simultaneous request waits for the
    # row and then finds it used.
    marked = db.session.execute(
        update(VoteCode)
        .where(VoteCode.id == used.id, VoteCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if marked != 1:
        raise AlreadyVoted(message=ALREADY_VOTED)
    vote = PublicVote(
        round_id=evaluation_round.id, identity_hash=digest, channel=identity.channel, created_at=now
    )
    vote.choices = [
        PublicVoteChoice(round_id=evaluation_round.id, organization_id=organization_id)
        for organization_id in organization_ids
    ]
    try:
        with db.session.begin_nested():
            db.session.add(vote)
    except IntegrityError:
        # Another request with another code of the same identity won the unique constraint.
        raise AlreadyVoted(message=ALREADY_VOTED) from None
    # The round may have been closed while this ballot was checked. Re-read it now that the vote is
    # written: on PostgreSQL FOR SHARE makes a concurrent close wait for this commit; on SQLite this
    # transaction already holds the only write lock.
    status = db.session.scalar(
        select(EvaluationRound.status)
        .where(EvaluationRound.id == evaluation_round.id)
        .with_for_update(read=True)
    )
    if status != RoundStatus.OPEN:
        raise RoundClosed(message=ROUND_CLOSED)
    return vote


# Per-IP limits (flask-limiter), shared by the voting page and the API. Per identity the operations
# allow one code a minute and five an hour; these stop one machine from cycling through identities.
DEFAULT_CODE_RATE_LIMIT: Final = "10 per hour"
DEFAULT_VOTE_RATE_LIMIT: Final = "20 per hour"
CODE_LIMIT_SCOPE: Final = "vote-code"
VOTE_LIMIT_SCOPE: Final = "vote-cast"


def code_rate_limit() -> str:
    return str(current_app.config.get("VOTE_CODE_RATE_LIMIT", DEFAULT_CODE_RATE_LIMIT))


def vote_rate_limit() -> str:
    return str(current_app.config.get("VOTE_RATE_LIMIT", DEFAULT_VOTE_RATE_LIMIT))
