"""Access cases for public voting: the voting page (/evaluations/{id}/vote), its thank-you page and
the two API endpoints (/api/v1/evaluations/{id}/votes/code and /votes).

Everyone may vote — anonymous visitors and every signed-in role alike: the voter is the e-mail
address or phone number that received the code, not the account. So every role gets the same
answer: the page and a code request succeed; an empty or bad submission is 422; the thank-you page
without a vote leads back to the form (a redirect, not to the login page).

The rows (``ids``): an open round (an unusual year, so that it never meets another feature's round)
with the World's two organizations taking part, written straight to the database.
"""

from __future__ import annotations

from typing import Any

from marketplace.evaluations.models import EvaluationParticipant, EvaluationRound
from marketplace.extensions import db
from tests.access_cases.base import INVALID, Case, everyone
from tests.factories import World

PAGE = "/evaluations/{votes_round_id}/vote"
API = "/api/v1/evaluations/{votes_round_id}/votes"

CASES = [
    Case("GET", PAGE, everyone()),
    Case("GET", PAGE + "/thanks", everyone()),
    Case("POST", PAGE, everyone(), {"step": "code", "identity": "voter@example.com"}),
    Case("POST", PAGE, everyone(INVALID), {"step": "code", "identity": "not-an-address"}),
    Case("POST", API + "/code", everyone(), {"email": "voter@example.com"}, api=True),
    Case("POST", API + "/code", everyone(INVALID), {"email": "not-an-address"}, api=True),
    Case(
        "POST",
        API,
        everyone(INVALID),
        {"email": "voter@example.com", "code": "000000", "organization_ids": []},
        api=True,
    ),
]


def ids(world: World) -> dict[str, Any]:
    evaluation_round = EvaluationRound(
        year=2097,
        title="访问控制测试评议",
        status="open",
        criteria=[{"name": "团队建设", "weight": 1}],
        grade_bands=[{"min": 9000, "grade": "A5"}],
        max_votes=2,
    )
    evaluation_round.participants = [
        EvaluationParticipant(organization_id=world.organization_id),
        EvaluationParticipant(organization_id=world.other_organization_id),
    ]
    db.session.add(evaluation_round)
    db.session.commit()
    return {"votes_round_id": evaluation_round.id}
