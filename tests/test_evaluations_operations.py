"""Evaluation rounds through the operations: opening (one per year, eligible organizations, weights
summing to 1), peer exclusions from real agreements and consortia, scoring and its refusals, results
from scores and votes, tiers within quotas, and publication onto the organizations. Every refusal
asserts that nothing changed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.evaluations import grading
from marketplace.evaluations import operations as ops
from marketplace.evaluations import results as queries
from marketplace.evaluations.models import EvaluationScore, PeerAssignment
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.parties.models import Organization
from marketplace.tenders import operations as tenders
from tests import factories
from tests.evaluations_support import agreement_between, criteria, open_round, org_users, snapshot, votes
from tests.tender_support import consortium_input, make_tender


def _refused(error: type[Exception], call: Any, *args: Any, **kwargs: Any) -> Exception:
    """The call is refused with `error` and changes nothing."""
    before = snapshot()
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    assert snapshot() == before
    return caught.value


def test_opening_a_round(ctx: Flask) -> None:
    staff = factories.staff()
    users = org_users(3)
    pending = factories.org_member(verified=False, name="评估测试：未认证组织")
    league = factories.org_member(name="评估测试：团区委直属单位")
    db.session.get(Organization, league.organization_id).is_league_body = True  # type: ignore[union-attr]
    db.session.commit()

    error = _refused(
        DomainError,
        ops.open_round,
        staff,
        ops.RoundInput(year=2026, organization_ids=[], weights=("0.4", "0.3", "0.2")),
    )
    assert error.fields["weights"] == "三项权重之和必须等于 1（现在是 0.9）"
    assert "organization_ids" in error.fields
    for outsider in (pending, league):
        error = _refused(
            DomainError,
            ops.open_round,
            staff,
            ops.RoundInput(year=2026, organization_ids=[users[0].organization_id, outsider.organization_id]),
        )
        assert "只有已认证的社会组织可以参评" in error.fields["organization_ids"]
    _refused(
        Forbidden,
        ops.open_round,
        users[0],
        ops.RoundInput(year=2026, organization_ids=[users[0].organization_id]),
    )
    error = _refused(
        DomainError,
        ops.open_round,
        staff,
        ops.RoundInput(
            year=2026,
            organization_ids=[users[0].organization_id],
            criteria=[("团队建设", 1), ("团队建设", 2)],
        ),
    )
    assert "criteria.1.name" in error.fields

    round_ = open_round(staff, users, weights=("0.5", "0.25", "0.25"))
    assert (round_.status, round_.year, round_.title) == ("open", 2026, "2026年度青年社会组织评估")
    assert (round_.government_weight_bp, round_.peer_weight_bp, round_.public_weight_bp) == (5000, 2500, 2500)
    assert round_.criterion_names == [c.name for c in grading.DEFAULT_CRITERIA]
    assert round_.grade_bands[0] == {"min": 9000, "grade": "A5"}
    assert sorted(queries.participant_ids(round_)) == sorted(u.organization_id for u in users)

    error = _refused(
        Conflict,
        ops.open_round,
        staff,
        ops.RoundInput(year=2026, organization_ids=[users[0].organization_id]),
    )
    assert error.fields["year"] == "2026 年度的评估已经存在"


def test_partners_from_live_agreements_and_consortia_are_never_paired(ctx: Flask, app: Flask) -> None:
    staff = factories.staff()
    a, b, c, d, e, f = org_users(6)
    agreement_between(a.organization_id, b.organization_id, status="active")
    agreement_between(a.organization_id, c.organization_id, status="terminated")  # no longer binds
    tender = make_tender(staff)
    tenders.create_bid(tender, d, consortium_input(d, e))  # a draft consortium is live
    withdrawn_tender = make_tender(staff, title="评估测试：另一采购")
    old = tenders.create_bid(withdrawn_tender, c, consortium_input(c, f))
    old.status = "withdrawn"
    db.session.commit()

    ids = [user.organization_id for user in (a, b, c, d, e, f)]
    assert queries.live_partner_pairs(ids) == grading.partner_pairs(
        [(a.organization_id, b.organization_id), (d.organization_id, e.organization_id)]
    )
    round_ = open_round(staff, [a, b, c, d, e, f])
    ops.auto_assign_peers(staff, round_, per_reviewer=3)
    db.session.commit()
    pairs = set(
        db.session.execute(
            select(PeerAssignment.reviewer_organization_id, PeerAssignment.organization_id)
        ).all()
    )
    assert len(pairs) == 18
    forbidden = {(a.organization_id, b.organization_id), (d.organization_id, e.organization_id)}
    assert not pairs & (forbidden | {(y, x) for x, y in forbidden})

    error = _refused(
        DomainError, ops.add_peer_assignment, staff, round_, a.organization_id, b.organization_id
    )
    assert error.fields["organization_id"] == grading.PARTNER_MESSAGE
    error = _refused(
        DomainError, ops.add_peer_assignment, staff, round_, a.organization_id, a.organization_id
    )
    assert error.fields["organization_id"] == grading.SELF_MESSAGE


def test_bad_scores_change_nothing(ctx: Flask) -> None:
    staff = factories.staff()
    a, b, c, partner = org_users(4)
    outsider = factories.org_member(name="评估测试：未参评组织")
    round_ = open_round(staff, [a, b, c, partner])
    ops.add_peer_assignment(staff, round_, a.organization_id, b.organization_id)
    ops.add_peer_assignment(staff, round_, a.organization_id, partner.organization_id)
    db.session.commit()
    # The partnership began after the assignment: scoring is still refused.
    agreement_between(a.organization_id, partner.organization_id)

    error = _refused(
        DomainError, ops.record_score, staff, round_, b.organization_id, "government", criteria("100.5")
    )
    assert error.fields["criteria.团队建设"] == grading.SCORE_RANGE_MESSAGE
    _refused(DomainError, ops.record_score, staff, round_, b.organization_id, "government", criteria(-1))
    error = _refused(
        DomainError, ops.record_score, staff, round_, b.organization_id, "government", {"团队建设": 90}
    )
    assert "criteria.服务成效" in error.fields
    _refused(DomainError, ops.record_score, staff, round_, b.organization_id, "grumpy", criteria(80))
    error = _refused(Forbidden, ops.record_score, a, round_, a.organization_id, "peer", criteria(80))
    assert error.fields["organization_id"] == grading.SELF_MESSAGE
    error = _refused(Forbidden, ops.record_score, a, round_, partner.organization_id, "peer", criteria(80))
    assert error.fields["organization_id"] == grading.PARTNER_MESSAGE
    error = _refused(Forbidden, ops.record_score, a, round_, c.organization_id, "peer", criteria(80))
    assert error.fields["organization_id"] == "本轮没有分配您的组织为该组织评分"
    _refused(Forbidden, ops.record_score, outsider, round_, b.organization_id, "peer", criteria(80))
    _refused(Forbidden, ops.record_score, a, round_, b.organization_id, "government", criteria(80))
    error = _refused(
        DomainError, ops.record_score, staff, round_, outsider.organization_id, "government", criteria(80)
    )
    assert error.fields["organization_id"] == "该组织不在本轮参评名单中"

    ops.record_score(a, round_, b.organization_id, "peer", criteria("70"))
    ops.record_score(a, round_, b.organization_id, "peer", criteria("75.5"))  # re-scoring replaces
    db.session.commit()
    peer_scores = db.session.scalars(select(EvaluationScore).where(EvaluationScore.kind == "peer")).all()
    assert [(s.scorer_organization_id, s.organization_id, s.score) for s in peer_scores] == [
        (a.organization_id, b.organization_id, 7550)
    ]

    ops.close_round(staff, round_)
    db.session.commit()
    error = _refused(Conflict, ops.record_score, a, round_, b.organization_id, "peer", criteria(90))
    assert error.fields["round"] == ops.NOT_OPEN
    _refused(Conflict, ops.record_score, staff, round_, b.organization_id, "government", criteria(90))
    _refused(Conflict, ops.auto_assign_peers, staff, round_)
    _refused(Conflict, ops.close_round, staff, round_)


def _score_all(staff: User, round_: Any, government: dict[int, object]) -> None:
    for organization_id, value in government.items():
        ops.record_score(staff, round_, organization_id, "government", criteria(value))
    db.session.commit()


def test_results_tiers_and_publication(ctx: Flask) -> None:
    staff = factories.staff()
    users = org_users(6)
    a, b, c, d, e, f = (user.organization_id for user in users)
    round_ = open_round(staff, users, quotas=(1, 1, 5))
    ops.auto_assign_peers(staff, round_, per_reviewer=5)
    db.session.commit()
    # Every organization reviews all five others; each receives five peer scores.
    peer_values = {a: "95", b: "85", c: "75", d: "65", e: "55", f: "45"}
    for reviewer in users:
        for task in queries.peer_tasks(round_, reviewer.organization_id):
            ops.record_score(
                reviewer, round_, task.organization.id, "peer", criteria(peer_values[task.organization.id])
            )
    db.session.commit()
    votes(round_, [[a, b], [a], [a, c], [b]])  # a: 3, b: 2, c: 1, others 0
    _score_all(staff, round_, {a: "90", b: "80", c: "70", d: "60", e: "50"})

    live = queries.live_results(round_)
    # a: 0.4·90 + 0.3·95 + 0.3·100 = 94.50
    assert (live[a].government, live[a].peer, live[a].public, live[a].composite, live[a].grade) == (
        9000,
        9500,
        10000,
        9450,
        "A5",
    )
    # b: public 2/3 → 66.67; 0.4·80 + 0.3·85 + 0.3·66.67 = 77.501 → 77.50
    assert (live[b].public, live[b].composite, live[b].grade) == (6667, 7750, "A3")
    # c: public 1/3 → 33.33; 28 + 22.5 + 9.999 = 60.499 → 60.50 (A2); d: 24 + 19.5 + 0 = 43.50
    assert (live[c].public, live[c].composite, live[c].grade) == (3333, 6050, "A2")
    assert (live[d].composite, live[d].grade) == (4350, None)
    assert (live[e].composite, live[e].grade) == (3650, None)  # 20 + 16.5 + 0
    assert (live[f].composite, live[f].grade, live[f].rank) == (None, None, None)  # not scored
    assert [live[org].rank for org in (a, b, c, d, e)] == [1, 2, 3, 4, 5]

    error = _refused(Conflict, ops.publish_round, staff, round_)
    assert error.fields["government"] == "还有组织没有政府评分，不能公布：评估测试社工中心6"

    ops.assign_tier(staff, round_, a, "leading")
    db.session.commit()
    error = _refused(DomainError, ops.assign_tier, staff, round_, b, "leading")
    assert error.fields["tier"] == "超出名额：名木最多 1 家"
    _refused(DomainError, ops.assign_tier, staff, round_, b, "sapling")
    _refused(Forbidden, ops.assign_tier, users[0], round_, b, "growing")

    _score_all(staff, round_, {f: "40"})
    assert ops.accept_suggested_tiers(staff, round_) == 2  # a kept 名木; b 成木; c 苗木; no grade, no tier
    db.session.commit()
    tiers = {p.organization_id: p.tier for p in round_.participants}
    assert tiers == {a: "leading", b: "demonstration", c: "growing", d: None, e: None, f: None}

    # e had a grade from an earlier round: publishing below the lowest band takes it away.
    earlier = db.session.get(Organization, e)
    assert earlier is not None
    earlier.grade, earlier.grade_valid_until, earlier.tier = "A2", date(2027, 6, 30), "growing"
    db.session.commit()
    ops.publish_round(staff, round_, now=datetime(2026, 12, 20, 17, 0))  # 12-21 01:00 in Wenzhou
    db.session.commit()
    assert round_.status == "published" and round_.grades_valid_until == date(2031, 12, 21)
    organizations = {org.id: org for org in db.session.scalars(select(Organization))}
    assert (organizations[a].grade, organizations[a].grade_valid_until, organizations[a].tier) == (
        "A5",
        date(2031, 12, 21),
        "leading",
    )
    assert (organizations[b].grade, organizations[b].tier) == ("A3", "demonstration")
    assert (organizations[e].grade, organizations[e].grade_valid_until, organizations[e].tier) == (
        None,
        None,
        None,
    )
    notes = db.session.scalars(
        select(Notification.title).where(Notification.user_id == users[0].id).order_by(Notification.id)
    ).all()
    assert notes == ["2026年度青年社会组织评估：同行互评任务已分配", "2026年度青年社会组织评估结果已公布"]
    stored = {p.organization_id: (p.composite, p.grade, p.rank, p.votes) for p in round_.participants}
    assert stored[a] == (9450, "A5", 1, 3)

    _refused(Conflict, ops.assign_tier, staff, round_, c, "leading")
    _refused(Conflict, ops.record_score, staff, round_, a, "government", criteria(10))
    _refused(Conflict, ops.publish_round, staff, round_)
    _refused(Conflict, ops.reopen_round, staff, round_)


def test_participants_while_open(ctx: Flask) -> None:
    staff = factories.staff()
    a, b, c = org_users(3)
    round_ = open_round(staff, [a, b])
    ops.add_participant(staff, round_, c.organization_id)
    ops.add_peer_assignment(staff, round_, c.organization_id, a.organization_id)
    ops.record_score(c, round_, a.organization_id, "peer", criteria(90))
    db.session.commit()
    _refused(Conflict, ops.add_participant, staff, round_, c.organization_id)
    ops.remove_participant(staff, round_, c.organization_id)
    db.session.commit()
    assert sorted(queries.participant_ids(round_)) == sorted([a.organization_id, b.organization_id])
    assert db.session.scalar(select(EvaluationScore.id)) is None
    assert db.session.scalar(select(PeerAssignment.id)) is None
    assert ops.valid_until(date(2028, 2, 29)) == date(2033, 2, 28)
