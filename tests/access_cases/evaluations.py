"""Evaluation round pages and API in the access-control matrix.

Who may do what: everyone reads the list of published rounds, a published round's results and any
round's settings (API); before publication only staff see results (404 for everyone else). Only staff
open rounds, manage participants and peer assignments, score for the government, set tiers, close
and publish. A member of a participating organization scores the organizations assigned to it; any
other organization member is refused (403); companies and staff never give peer scores.

The rows (``ids``): an open 2026 round of the World's two organizations and two more ("x", "y"),
every participant scored by the government (so publishing goes through), the World's organization
("org") assigned to score x; a published 2025 round. The matrix sends API bodies as they are, so
``ids`` writes this run's organization ids into them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.evaluations import grading
from marketplace.evaluations import operations as ops
from marketplace.extensions import db
from tests import factories
from tests.access_cases.base import DENIED, HIDDEN, INVALID, LOGIN, OK, STAFF_ONLY, Case, everyone
from tests.factories import World

STAFF_INVALID = {**STAFF_ONLY, "staff": INVALID, "admin": INVALID}
STAFF_SEE = {
    "anonymous": HIDDEN,
    "org": HIDDEN,
    "other_org": HIDDEN,
    "company": HIDDEN,
    "staff": OK,
    "admin": OK,
}
# The World's organization is assigned to score x; the other organization is not.
REVIEWER = {
    "anonymous": LOGIN,
    "org": OK,
    "other_org": DENIED,
    "company": DENIED,
    "staff": DENIED,
    "admin": DENIED,
}
REVIEWER_INVALID = {**REVIEWER, "org": INVALID}
ORGS = {"anonymous": LOGIN, "org": OK, "other_org": OK, "company": DENIED, "staff": DENIED, "admin": DENIED}
SCORES = {"c0": "80", "c1": "85.5"}
CRITERIA = [("团队建设", 1), ("服务成效", 2)]
NEW_ROUND = {
    "year": "2030",
    "weight_government": "0.4",
    "weight_peer": "0.3",
    "weight_public": "0.3",
    "max_votes": "5",
    "quota_leading": "10",
    "quota_demonstration": "30",
    "quota_growing": "300",
    "criterion_name": "团队建设",
    "criterion_weight": "1",
    "organization_ids": "{organization_id}",
    **{f"band_{band.grade}": str(band.min // 100) for band in grading.DEFAULT_BANDS},
}

# API bodies: organization ids are written in by ``ids``.
API_NEW_ROUND: dict[str, Any] = {"year": 2031, "organization_ids": []}
API_GOVERNMENT: dict[str, Any] = {"kind": "government", "criteria": {"团队建设": 70, "服务成效": 75}}
API_PEER: dict[str, Any] = {"kind": "peer", "criteria": {"团队建设": 70, "服务成效": "75.5"}}
API_PEER_INVALID: dict[str, Any] = {"kind": "peer", "criteria": {"团队建设": 170}}
API_TIER: dict[str, Any] = {"tier": "growing"}

OPEN = "/evaluations/{evaluations_open_id}"
API_OPEN = "/api/v1/evaluations/{evaluations_open_id}"

CASES = [
    Case("GET", "/evaluations", everyone()),
    Case("GET", "/evaluations/{evaluations_published_id}/results", everyone()),
    Case("GET", OPEN + "/results", STAFF_SEE),
    Case("GET", "/evaluations/manage", STAFF_ONLY),
    Case("GET", "/evaluations/new", STAFF_ONLY),
    Case("POST", "/evaluations/new", STAFF_INVALID),
    Case("POST", "/evaluations/new", STAFF_ONLY, NEW_ROUND),
    Case("GET", OPEN + "/manage", STAFF_ONLY),
    Case("POST", OPEN + "/participants", STAFF_INVALID),
    Case("POST", OPEN + "/participants", STAFF_ONLY, {"organization_id": "{evaluations_extra_id}"}),
    Case("POST", OPEN + "/participants/{evaluations_y_id}/remove", STAFF_ONLY),
    Case("POST", OPEN + "/peers/auto", STAFF_ONLY, {"per_reviewer": "2"}),
    Case("POST", OPEN + "/peers", STAFF_INVALID),
    Case(
        "POST",
        OPEN + "/peers",
        STAFF_ONLY,
        {"reviewer_organization_id": "{evaluations_x_id}", "organization_id": "{evaluations_y_id}"},
    ),
    Case("POST", OPEN + "/peers/{evaluations_assignment_id}/remove", STAFF_ONLY),
    Case("POST", OPEN + "/transitions", STAFF_INVALID),
    Case("POST", OPEN + "/transitions", STAFF_ONLY, {"action": "close"}),
    Case("POST", OPEN + "/transitions", STAFF_ONLY, {"action": "publish"}),
    Case("GET", OPEN + "/government/{evaluations_x_id}", STAFF_ONLY),
    Case("POST", OPEN + "/government/{evaluations_x_id}", STAFF_INVALID),
    Case("POST", OPEN + "/government/{evaluations_x_id}", STAFF_ONLY, SCORES),
    Case("GET", OPEN + "/tiers", STAFF_ONLY),
    Case("POST", OPEN + "/tiers", STAFF_INVALID),
    Case("POST", OPEN + "/tiers", STAFF_ONLY, {"organization_id": "{evaluations_x_id}", "tier": "growing"}),
    Case("POST", OPEN + "/tiers/accept", STAFF_ONLY),
    Case("GET", "/evaluations/peer-reviews", ORGS),
    Case("GET", OPEN + "/peer/{evaluations_x_id}", REVIEWER),
    Case("POST", OPEN + "/peer/{evaluations_x_id}", REVIEWER_INVALID),
    Case("POST", OPEN + "/peer/{evaluations_x_id}", REVIEWER, SCORES),
    # API
    Case("POST", "/api/v1/evaluations", STAFF_ONLY, API_NEW_ROUND, api=True),
    Case("POST", "/api/v1/evaluations", STAFF_INVALID, {"year": "2032"}, api=True),
    Case("GET", API_OPEN, everyone(), api=True),
    Case("POST", API_OPEN + "/scores", STAFF_ONLY, API_GOVERNMENT, api=True),
    Case("POST", API_OPEN + "/scores", REVIEWER, API_PEER, api=True),
    Case("POST", API_OPEN + "/scores", REVIEWER_INVALID, API_PEER_INVALID, api=True),
    Case("POST", API_OPEN + "/peer-assignments", STAFF_ONLY, api=True),
    Case("POST", API_OPEN + "/tiers", STAFF_ONLY, API_TIER, api=True),
    Case("POST", API_OPEN + "/publish", STAFF_ONLY, api=True),
    Case("GET", API_OPEN + "/results", STAFF_SEE, api=True),
    Case("GET", "/api/v1/evaluations/{evaluations_published_id}/results", everyone(), api=True),
]


def ids(world: World) -> dict[str, Any]:
    staff = db.session.scalar(select(User).where(User.email == world.staff_email))
    lead = db.session.scalar(select(User).where(User.email == world.org_email))
    x, y, extra = (factories.org_member(name=f"矩阵评估：社工中心{n}") for n in ("甲", "乙", "丙"))
    members = [world.organization_id, world.other_organization_id, x.organization_id, y.organization_id]

    published = ops.open_round(
        staff, ops.RoundInput(year=2025, organization_ids=members[:2], criteria=CRITERIA)
    )
    open_ = ops.open_round(staff, ops.RoundInput(year=2026, organization_ids=members, criteria=CRITERIA))
    for round_ in (published, open_):
        for organization_id in queries_ids(round_):
            ops.record_score(staff, round_, organization_id, "government", {"团队建设": 80, "服务成效": 90})
    ops.publish_round(staff, published)
    ops.add_peer_assignment(staff, open_, world.organization_id, x.organization_id)
    assignment = ops.add_peer_assignment(staff, open_, x.organization_id, world.organization_id)
    db.session.commit()
    assert lead is not None

    API_NEW_ROUND["organization_ids"] = [world.organization_id]
    for body in (API_GOVERNMENT, API_PEER, API_PEER_INVALID, API_TIER):
        body["organization_id"] = x.organization_id
    return {
        "evaluations_open_id": open_.id,
        "evaluations_published_id": published.id,
        "evaluations_x_id": x.organization_id,
        "evaluations_y_id": y.organization_id,
        "evaluations_extra_id": extra.organization_id,
        "evaluations_assignment_id": assignment.id,
    }


def queries_ids(round_: Any) -> list[int]:
    return [participant.organization_id for participant in round_.participants]


def state() -> tuple[object, ...]:
    """What a refused request must leave as it was: rounds, participants (tiers, results), peer
    assignments and scores."""
    from tests.evaluations_support import snapshot

    taken = snapshot()
    return tuple(
        tuple(taken[key]) if isinstance(taken[key], list) else taken[key]
        for key in ("rounds", "participants", "assignments", "scores")
    )
