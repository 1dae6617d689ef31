"""Demo evaluation rounds, played through the evaluation operations.

- 2025, published: the graded organizations (and those with only a tier), scored so that each lands
  in the band of the grade it holds in the demo and given the tier it holds; published on
  2025-12-20, so grades are valid until 2030-12-20. An organization whose grade lapses before 2027
  (an older round's grade, kept so the tender pages can flag it) is left out.
- 2026, open: every verified organization, peers assigned automatically (never itself or a partner),
  some government and peer scores given, the rest for staff to finish in the browser.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from marketplace import sms
from marketplace.accounts.models import Role, User
from marketplace.evaluations import operations as ops
from marketplace.evaluations import results as queries
from marketplace.evaluations import voting
from marketplace.evaluations.models import EvaluationRound
from marketplace.evaluations.voting_rules import normalise_phone
from marketplace.extensions import db
from marketplace.parties.models import Organization

PUBLISHED_AT = datetime(2025, 12, 20, 2, 0)  # 10:00 in Wenzhou
OPENED_2025 = datetime(2025, 11, 3, 1, 0)
# A composite in the middle of each grade's band (None: below the lowest band).
TARGET = {"A5": 93, "A4": 85, "A3": 75, "A2": 65, "A1": 55, None: 45}
OLDER_GRADE_BEFORE = date(2027, 1, 1)


def _scores(value: int, round_: EvaluationRound) -> dict[str, Any]:
    return {name: value for name in round_.criterion_names}


def _member(organization: Organization) -> User | None:
    return next((user for user in organization.members if user.active), None)


def _published_round(staff: User, organizations: list[Organization]) -> EvaluationRound:
    chosen = [
        org
        for org in organizations
        if (org.grade or org.tier)
        and not (org.grade and org.grade_valid_until and org.grade_valid_until < OLDER_GRADE_BEFORE)
    ]
    targets = {org.id: TARGET[org.grade] for org in chosen}
    tiers = {org.id: org.tier for org in chosen}
    round_ = ops.open_round(
        staff,
        ops.RoundInput(
            year=2025, organization_ids=[org.id for org in chosen], title="2025年度青年社会组织评估"
        ),
    )
    round_.created_at = OPENED_2025
    ops.auto_assign_peers(staff, round_, per_reviewer=3)
    for org in chosen:
        # Government two points above the target and peers two below: (4 × (t+2) + 3 × (t−2)) / 7
        # = t + 0.29 (nobody voted in the demo, so the public part is missing and not counted).
        ops.record_score(staff, round_, org.id, "government", _scores(targets[org.id] + 2, round_))
    for reviewer in chosen:
        member = _member(reviewer)
        if member is None:
            continue
        for task in queries.peer_tasks(round_, reviewer.id):
            value = targets[task.organization.id] - 2
            ops.record_score(member, round_, task.organization.id, "peer", _scores(value, round_))
    ops.close_round(staff, round_)
    for org in chosen:
        ops.assign_tier(staff, round_, org.id, tiers[org.id])
    ops.publish_round(staff, round_, now=PUBLISHED_AT)
    round_.closed_at = PUBLISHED_AT
    return round_


DEMO_ORG_LOGIN = "org@demo.qingqinchou.cn"


def _open_round(staff: User, organizations: list[Organization]) -> EvaluationRound:
    round_ = ops.open_round(
        staff,
        ops.RoundInput(
            year=2026, organization_ids=[org.id for org in organizations], title="2026年度青年社会组织评估"
        ),
    )
    ops.auto_assign_peers(staff, round_, per_reviewer=3)
    # Half the government scores are in, and the first few organizations did their peer reviews.
    for index, org in enumerate(organizations[::2]):
        ops.record_score(staff, round_, org.id, "government", _scores(70 + (index * 7) % 25, round_))
    for index, reviewer in enumerate(organizations[:5]):
        member = _member(reviewer)
        if member is None:
            continue
        tasks = queries.peer_tasks(round_, reviewer.id)
        if any(person.email == DEMO_ORG_LOGIN for person in reviewer.members):
            tasks = tasks[:1]  # leave peer reviews for whoever tries the demo's organization login
        for task in tasks:
            ops.record_score(
                member, round_, task.organization.id, "peer", _scores(72 + (index * 5) % 20, round_)
            )
    return round_


VOTERS = 40  # demo members of the public (phones 13900000001…), each choosing one to five organizations


def _public_votes(round_: EvaluationRound, organizations: list[Organization]) -> None:
    """Members of the public vote as a person would: ask for a code, read it off the text message
    (the SMS adapter's queue, emptied again so that `flask demo` never sends or logs them), vote."""
    for n in range(1, VOTERS + 1):
        identity = normalise_phone(f"139{n:08d}")
        voting.request_vote_code(round_, identity)
        text = db.session.info[sms.PENDING_KEY].pop().body
        code = re.search(r"\d{6}", text)
        assert code is not None, text
        # One to five choices each, spread unevenly over the first dozen organizations.
        spread = len(organizations) // 2
        picks = {organizations[(n * step) % (spread + step)].id for step in range(1, n % 5 + 2)}
        voting.cast_vote(round_, identity, code.group(), sorted(picks))


def load_evaluations(organizations: dict[str, Organization], report: Any) -> None:
    """The 2025 (published) and 2026 (open) rounds, once: any round in the database means they were
    loaded. Expects the organizations (verified, with their demo grades and tiers), their members and
    a staff account; call it after the agreements and tenders so partner exclusions see them."""
    loaded = db.session.scalar(select(EvaluationRound.id).limit(1)) is not None
    for _year in (2025, 2026):
        report.count("evaluation_rounds", created=not loaded)
    if loaded:
        return
    staff = db.session.scalar(select(User).where(User.role == Role.STAFF).order_by(User.id).limit(1))
    assert staff is not None
    eligible = sorted(
        (org for org in organizations.values() if org.is_verified and not org.is_league_body),
        key=lambda org: org.id,
    )
    _published_round(staff, eligible)
    db.session.flush()
    _public_votes(_open_round(staff, eligible), eligible)
    db.session.flush()
