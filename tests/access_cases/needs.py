"""Community needs (社区需求) pages and API in the access-control matrix.

Who may do what: everyone reads the board and a need; only staff (and admins) record, edit and move
needs; a member of a verified organization answers with one of its own projects (another
organization's project is refused: 403); the answering organization's members and staff withdraw
a response.

The rows (``ids``): one open need with nothing linked (answered in the cases with the World's
published project, the organization's own), and one in progress answered by the World's submitted
project (for withdrawing).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.projects.models import Project
from tests.access_cases.base import DENIED, INVALID, LOGIN, OK, STAFF_ONLY, Case, everyone
from tests.factories import World
from tests.needs_support import needs_state

NEED = "/needs/{needs_need_id}"
ANSWERED = "/needs/{needs_answered_id}"
FORM = {
    "title": "矩阵测试：楼道照明",
    "district": "鹿城区",
    "community": "五马街道五马社区",
    "category": "community",
    "people_affected": "40",
    "urgency": "normal",
    "description": "老旧小区楼道没有照明。",
}
API_BODY: dict[str, Any] = {
    "title": "矩阵测试：楼道照明",
    "district": "鹿城区",
    "community": "五马街道五马社区",
    "category": "community",
    "people_affected": 40,
}
API_RESPONSE: dict[str, Any] = {"project_id": 0, "note": "矩阵测试"}
STAFF_INVALID = {**STAFF_ONLY, "staff": INVALID, "admin": INVALID}
# The World's organization answers with its own project; the other organization may not use it.
RESPONDER = {
    "anonymous": LOGIN,
    "org": OK,
    "other_org": DENIED,
    "company": DENIED,
    "staff": DENIED,
    "admin": DENIED,
}
RESPONDER_INVALID = {**RESPONDER, "org": INVALID, "other_org": INVALID}
WITHDRAWER = {**RESPONDER, "staff": OK, "admin": OK}

CASES = [
    Case("GET", "/needs", everyone()),
    Case("GET", NEED, everyone()),
    Case("GET", "/needs/new", STAFF_ONLY),
    Case("POST", "/needs/new", STAFF_ONLY, FORM),
    Case("POST", "/needs/new", STAFF_INVALID),
    Case("GET", NEED + "/edit", STAFF_ONLY),
    Case("POST", NEED + "/edit", STAFF_ONLY, FORM),
    Case("POST", NEED + "/edit", STAFF_INVALID, {**FORM, "people_affected": "-1"}),
    Case("POST", NEED + "/transitions", STAFF_ONLY, {"action": "start"}),
    Case("POST", NEED + "/transitions", STAFF_INVALID, {"action": "close"}),
    Case("POST", NEED + "/responses", RESPONDER, {"project_id": "{published_id}", "note": "矩阵测试"}),
    Case("POST", NEED + "/responses", RESPONDER_INVALID),
    Case("POST", ANSWERED + "/responses/{needs_response_id}/withdraw", WITHDRAWER),
    Case("GET", "/api/v1/needs", everyone(), api=True),
    Case("GET", "/api/v1/needs/{needs_need_id}", everyone(), api=True),
    Case("POST", "/api/v1/needs", STAFF_ONLY, API_BODY, api=True),
    Case("POST", "/api/v1/needs", STAFF_INVALID, {**API_BODY, "people_affected": -1}, api=True),
    Case("POST", "/api/v1/needs/{needs_need_id}/transitions", STAFF_ONLY, {"action": "address"}, api=True),
    Case("POST", "/api/v1/needs/{needs_need_id}/transitions", STAFF_INVALID, {"action": "close"}, api=True),
    Case("POST", "/api/v1/needs/{needs_need_id}/responses", RESPONDER, API_RESPONSE, api=True),
    Case("POST", "/api/v1/needs/{needs_need_id}/responses", RESPONDER_INVALID, {"project_id": "1"}, api=True),
]


def ids(world: World) -> dict[str, Any]:
    staff = db.session.scalar(select(User).where(User.email == world.staff_email))
    member = db.session.scalar(select(User).where(User.email == world.org_email))
    submitted = db.session.get(Project, world.submitted_id)
    assert staff is not None and member is not None and submitted is not None
    need = ops.record_need(
        staff,
        ops.NeedInput(
            title="矩阵测试：独居老人理发", community="广化社区", district="鹿城区", category="elderly"
        ),
    )
    answered = ops.record_need(
        staff,
        ops.NeedInput(
            title="矩阵测试：寒假看护", community="葡萄社区", district="鹿城区", category="children"
        ),
    )
    response = ops.respond(member, answered, submitted, "筹备中")
    db.session.commit()
    API_RESPONSE.update(project_id=world.published_id)
    return {"needs_need_id": need.id, "needs_answered_id": answered.id, "needs_response_id": response.id}


def state() -> tuple[object, ...]:
    """What a refused request must leave as it was (the matrix compares it before and after): the
    needs and their responses (refusals elsewhere may write audit events, so not the audit count)."""
    return needs_state()[:2]
