"""Public voting operations: codes by mail and SMS, one ballot per identity and round, and every
refusal leaving nothing behind (a wrong code only counts an attempt).

Rounds and participants are made here directly with the models (``make_round``), so these tests do
not depend on the round operations. Times are passed as ``now`` instead of waited for.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace import mail, sms
from marketplace.errors import DomainError
from marketplace.evaluations import voting
from marketplace.evaluations.models import (
    EvaluationParticipant,
    EvaluationRound,
    PublicVote,
    PublicVoteChoice,
    VoteCode,
)
from marketplace.evaluations.voting_rules import Identity, code_hash, identity_hash, normalise_identity
from marketplace.extensions import db
from marketplace.timeutil import utcnow
from tests import factories
from tests.concurrency import run_rounds

_years = itertools.count(2200)
_CODE = re.compile(r"\b([0-9]{6})\b")


def make_round(
    organization_ids: list[int],
    *,
    status: str = "open",
    max_votes: int = 3,
    title: str = "2026年度青年社会组织评议",
) -> EvaluationRound:
    """An evaluation round with these participants, written straight to the database (committed)."""
    evaluation_round = EvaluationRound(
        year=next(_years),
        title=title,
        status=status,
        criteria=[{"name": "团队建设", "weight": 1}],
        grade_bands=[{"min": 9000, "grade": "A5"}],
        max_votes=max_votes,
    )
    evaluation_round.participants = [
        EvaluationParticipant(organization_id=organization_id) for organization_id in organization_ids
    ]
    db.session.add(evaluation_round)
    db.session.commit()
    return evaluation_round


def organizations(count: int) -> list[int]:
    return [
        factories.org_member(name=f"投票测试公益服务中心{index}").organization_id for index in range(count)
    ]


def last_code(to: str) -> str:
    """The code in the latest mail or text sent to ``to``."""
    texts = [f"{item.subject} {item.body}" for item in mail.outbox() if item.to == to]
    texts += [item.body for item in sms.outbox() if item.to == to]
    assert texts, f"nothing was sent to {to}"
    found = _CODE.search(texts[-1])
    assert found is not None
    return found.group(1)


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(PublicVote)) or 0,
        db.session.scalar(select(func.count()).select_from(PublicVoteChoice)) or 0,
    )


def codes_state() -> list[tuple[int, datetime | None]]:
    db.session.expire_all()
    return [
        (code.attempts, code.used_at) for code in db.session.scalars(select(VoteCode).order_by(VoteCode.id))
    ]


@dataclass
class Scene:
    round_id: int
    orgs: list[int]

    @property
    def round(self) -> EvaluationRound:
        found = db.session.get(EvaluationRound, self.round_id)
        assert found is not None
        return found


@pytest.fixture
def scene(ctx: Flask) -> Iterator[Scene]:
    ctx.config["SMS_BACKEND"] = "memory"
    orgs = organizations(4)
    yield Scene(make_round(orgs[:3], max_votes=2).id, orgs)


VOTER = "Voter@Example.com"


def send(scene: Scene, who: str = VOTER, *, now: datetime | None = None) -> str:
    identity = normalise_identity(who)
    voting.request_vote_code(scene.round, identity, "127.0.0.1", now=now)
    db.session.commit()
    return last_code(identity.value)


def vote(scene: Scene, code: str, chosen: list[int], who: str = VOTER, *, now: datetime | None = None) -> Any:
    result = voting.cast_vote(scene.round, normalise_identity(who), code, chosen, now=now)
    db.session.commit()
    return result


def refused(call: Any, error: type[DomainError] = DomainError) -> DomainError:
    """Run ``call``, expect ``error``, roll back as a view would, and return the error."""
    with pytest.raises(error) as caught:
        call()
    db.session.rollback()
    return caught.value


# ───────────── the whole way through ─────────────


def test_a_voter_gets_a_code_by_mail_and_votes_once(scene: Scene) -> None:
    sent = voting.request_vote_code(scene.round, normalise_identity(VOTER), "127.0.0.1")
    assert (sent.channel, sent.masked, sent.expires_in) == ("email", "v***@example.com", 600)
    assert mail.outbox() == []  # sent only once the transaction commits
    db.session.commit()
    message = mail.outbox()[-1]
    assert message.to == "voter@example.com" and "投票验证码" in message.subject
    code = last_code("voter@example.com")
    stored = db.session.scalars(select(VoteCode)).one()
    assert code not in (stored.code_hash, stored.identity_hash)  # only hashes are kept
    assert "voter@example.com" not in stored.identity_hash

    ballot = vote(scene, code, [scene.orgs[0], scene.orgs[2]])
    assert ballot.channel == "email"
    assert sorted(choice.organization_id for choice in ballot.choices) == [scene.orgs[0], scene.orgs[2]]
    assert all(choice.round_id == scene.round_id for choice in ballot.choices)
    assert counts() == (1, 2)
    assert codes_state()[0][1] is not None  # the code is used


def test_a_phone_voter_gets_a_text_and_any_spelling_of_the_number_is_one_voter(scene: Scene) -> None:
    code = send(scene, "+86 138-1234-5678")
    assert "您的投票验证码" in sms.outbox()[-1].body and sms.outbox()[-1].to == "13812345678"
    vote(scene, code, [scene.orgs[1]], who="138 1234 5678")
    assert db.session.scalars(select(PublicVote.channel)).one() == "phone"
    error = refused(
        lambda: send(scene, "13812345678", now=utcnow() + timedelta(minutes=2)), voting.AlreadyVoted
    )
    assert error.status == 409 and error.code == "already_voted"


def test_the_latest_code_counts_and_an_earlier_one_does_not(scene: Scene) -> None:
    start = utcnow()
    first = send(scene, now=start)
    second = send(scene, now=start + timedelta(seconds=61))
    if first != second:
        refused(
            lambda: vote(scene, first, [scene.orgs[0]], now=start + timedelta(seconds=70)), voting.WrongCode
        )
    vote(scene, second, [scene.orgs[0]], now=start + timedelta(seconds=80))
    assert counts() == (1, 1)


# ───────────── bad codes ─────────────


def test_a_wrong_code_counts_an_attempt_saves_no_vote_and_the_right_code_still_works(scene: Scene) -> None:
    code = send(scene)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(voting.WrongCode) as caught:
        voting.cast_vote(scene.round, normalise_identity(VOTER), wrong, [scene.orgs[0]])
    db.session.commit()  # as the views do: the attempt is kept
    assert "还可以再试 4 次" in caught.value.fields["code"]
    assert counts() == (0, 0)
    assert codes_state() == [(1, None)]
    vote(scene, code, [scene.orgs[0]])
    assert counts() == (1, 1)


def test_the_sixth_attempt_after_five_wrong_codes_is_refused_even_when_right(scene: Scene) -> None:
    code = send(scene)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    messages = []
    for _ in range(5):
        with pytest.raises(voting.WrongCode) as caught:
            voting.cast_vote(scene.round, normalise_identity(VOTER), wrong, [scene.orgs[0]])
        db.session.commit()
        messages.append(caught.value.fields["code"])
    assert "已失效" in messages[-1]
    error = refused(lambda: vote(scene, code, [scene.orgs[0]]))
    assert "错误次数过多" in error.fields["code"]
    assert counts() == (0, 0)
    assert codes_state() == [(5, None)]


def test_an_expired_code_is_refused(scene: Scene) -> None:
    start = utcnow()
    code = send(scene, now=start)
    error = refused(lambda: vote(scene, code, [scene.orgs[0]], now=start + timedelta(minutes=10)))
    assert "过期" in error.fields["code"]
    assert counts() == (0, 0)
    assert codes_state() == [(0, None)]


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef"])
def test_a_malformed_code_is_refused_without_an_attempt(scene: Scene, typed: str) -> None:
    send(scene)
    error = refused(lambda: vote(scene, typed, [scene.orgs[0]]))
    assert "6 位数字" in error.fields["code"]
    assert counts() == (0, 0) and codes_state() == [(0, None)]


def test_voting_without_any_code_is_refused(scene: Scene) -> None:
    error = refused(lambda: vote(scene, "123456", [scene.orgs[0]]))
    assert "请先获取验证码" in error.fields["code"]
    assert counts() == (0, 0)


# ───────────── bad ballots ─────────────


@pytest.mark.parametrize(
    ("chosen", "reason"),
    [
        (lambda orgs: [], "请至少选择 1 家组织"),
        (lambda orgs: orgs[:3], "最多可选 2 家"),
        (lambda orgs: [orgs[0], orgs[0]], "只能选择一次"),
        (lambda orgs: [orgs[3]], "未参加本轮评议"),  # an organization outside the round
        (lambda orgs: [orgs[0], 999_999], "未参加本轮评议"),
    ],
    ids=["none", "too_many", "duplicates", "non_participant", "unknown"],
)
def test_bad_ballots_are_refused_and_keep_the_code(scene: Scene, chosen: Any, reason: str) -> None:
    code = send(scene)
    error = refused(lambda: vote(scene, code, chosen(scene.orgs)))
    assert error.status == 422 and reason in error.fields["organization_ids"]
    assert counts() == (0, 0)
    assert codes_state() == [(0, None)]  # neither used nor counted
    vote(scene, code, [scene.orgs[0]])


# ───────────── once per identity and round, only while open ─────────────


def test_an_organization_moderation_holds_cannot_be_voted_for(scene: Scene) -> None:
    from marketplace.parties.models import Organization

    db.session.get(Organization, scene.orgs[1]).hidden_at = utcnow()
    db.session.commit()
    code = send(scene)
    refused(lambda: vote(scene, code, [scene.orgs[1]]))
    assert counts() == (0, 0)
    ballot = vote(scene, code, [scene.orgs[0]])  # the code was kept; the others still count
    assert [choice.organization_id for choice in ballot.choices] == [scene.orgs[0]]


def test_a_second_vote_is_refused_even_with_a_fresh_code(scene: Scene) -> None:
    vote(scene, send(scene), [scene.orgs[0]])
    error = refused(lambda: send(scene, now=utcnow() + timedelta(minutes=5)), voting.AlreadyVoted)
    assert (error.status, error.code) == (409, "already_voted")
    # A fresh code made anyway (as if sent just before the first vote) does not help.
    digest = identity_hash("test-secret-key", normalise_identity(VOTER))
    db.session.add(
        VoteCode(
            round_id=scene.round_id,
            identity_hash=digest,
            code_hash=code_hash("test-secret-key", scene.round_id, digest, "654321"),
            attempts=0,
            expires_at=utcnow() + timedelta(minutes=10),
            created_at=utcnow() + timedelta(seconds=1),
        )
    )
    db.session.commit()
    error = refused(lambda: vote(scene, "654321", [scene.orgs[1]]), voting.AlreadyVoted)
    assert (error.status, error.code) == (409, "already_voted")
    assert counts() == (1, 1)


def test_the_same_person_votes_again_in_another_round(scene: Scene) -> None:
    start = utcnow()
    vote(scene, send(scene, now=start), [scene.orgs[0]], now=start)
    other = Scene(make_round(scene.orgs[:2]).id, scene.orgs)
    vote(
        other,
        send(other, now=start + timedelta(seconds=61)),
        [scene.orgs[1]],
        now=start + timedelta(seconds=62),
    )
    assert counts() == (2, 2)


@pytest.mark.parametrize("status", ["closed", "published"])
def test_no_codes_and_no_votes_once_the_round_is_closed(scene: Scene, status: str) -> None:
    code = send(scene)
    scene.round.status = status
    db.session.commit()
    error = refused(lambda: vote(scene, code, [scene.orgs[0]]), voting.RoundClosed)
    assert (error.status, error.code) == (409, "round_closed")
    error = refused(lambda: send(scene, "someone@example.com"), voting.RoundClosed)
    assert (error.status, error.code) == (409, "round_closed")
    assert counts() == (0, 0)
    assert codes_state() == [(0, None)]


def test_a_vote_racing_the_close_is_refused(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    """The round is re-read after the vote is written: a close that committed in between wins."""
    code = send(scene)
    checked = voting._require_open

    def close_after_check(evaluation_round: EvaluationRound) -> None:
        checked(evaluation_round)
        db.session.execute(
            EvaluationRound.__table__.update()
            .where(EvaluationRound.id == evaluation_round.id)
            .values(status="closed")
        )

    monkeypatch.setattr(voting, "_require_open", close_after_check)
    refused(lambda: vote(scene, code, [scene.orgs[0]]), voting.RoundClosed)
    assert counts() == (0, 0)


def test_per_identity_code_limits_one_a_minute_five_an_hour(scene: Scene) -> None:
    start = utcnow()
    send(scene, now=start)
    error = refused(lambda: send(scene, now=start + timedelta(seconds=30)), voting.TooManyCodeRequests)
    assert error.status == 429 and "30 秒后再试" in error.message
    for minute in range(1, 5):
        send(scene, now=start + timedelta(minutes=minute))
    error = refused(lambda: send(scene, now=start + timedelta(minutes=10)), voting.TooManyCodeRequests)
    assert "50 分钟后再试" in error.message
    assert db.session.scalar(select(func.count()).select_from(VoteCode)) == 5
    # Another voter is not held up, and the first may ask again an hour after its first code.
    send(scene, "other@example.com", now=start + timedelta(minutes=10))
    send(scene, now=start + timedelta(minutes=60, seconds=1))


def test_a_lost_unique_race_becomes_409_and_leaves_the_session_usable(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests that both passed the "has voted?" check: the unique constraint decides."""
    start = utcnow()
    vote(scene, send(scene, now=start), [scene.orgs[0]], now=start)
    digest = identity_hash("test-secret-key", normalise_identity(VOTER))
    db.session.add(
        VoteCode(
            round_id=scene.round_id,
            identity_hash=digest,
            code_hash=code_hash("test-secret-key", scene.round_id, digest, "111111"),
            attempts=0,
            expires_at=start + timedelta(minutes=10),
            created_at=start + timedelta(seconds=5),
        )
    )
    db.session.commit()
    monkeypatch.setattr(voting, "has_voted", lambda *_args: False)
    with pytest.raises(voting.AlreadyVoted):
        voting.cast_vote(scene.round, normalise_identity(VOTER), "111111", [scene.orgs[1]], now=start)
    assert db.session.scalar(select(func.count()).select_from(PublicVote)) == 1  # still usable
    db.session.rollback()
    assert counts() == (1, 1)


def test_two_requests_voting_at_once_with_one_identity_make_one_vote(app: Flask) -> None:
    app.config["SMS_BACKEND"] = "memory"
    with app.app_context():
        orgs = organizations(2)
        round_id = make_round(orgs).id
        scene = Scene(round_id, orgs)
        code = send(scene)

    def step(thread: int, _round: int) -> str:
        evaluation_round = db.session.get(EvaluationRound, round_id)
        assert evaluation_round is not None
        try:
            voting.cast_vote(evaluation_round, normalise_identity(VOTER), code, [orgs[thread % 2]])
            db.session.commit()
            return "voted"
        except voting.AlreadyVoted:
            db.session.rollback()
            return "already_voted"

    results = run_rounds(app, 3, 1, step)
    outcomes = sorted(result[0] for result in results)
    assert outcomes == ["already_voted", "already_voted", "voted"]
    with app.app_context():
        assert counts() == (1, 1)


def test_identity_hash_uses_the_app_secret(scene: Scene) -> None:
    send(scene)
    stored = db.session.scalars(select(VoteCode.identity_hash)).one()
    assert stored == identity_hash(
        "test-secret-key", Identity(normalise_identity(VOTER).channel, "voter@example.com")
    )
