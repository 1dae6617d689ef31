"""Public voting in an evaluation round: ask for a one-time code, then vote with it.

Both endpoints are open to anonymous callers (a bearer token is accepted and changes nothing: the
voter is the e-mail address or phone number, not the account). The rules live in
``marketplace.evaluations.voting``; this module turns JSON into their inputs and commits once —
except that a wrong code is committed as a counted attempt before the 422 is returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify, request

from marketplace.api import bp
from marketplace.api.input import JsonField, checked_body
from marketplace.errors import DomainError
from marketplace.evaluations import voting
from marketplace.evaluations.voting_rules import Identity, clean_code, normalise_email, normalise_phone
from marketplace.extensions import db, limiter
from marketplace.messages import Msg
from marketplace.web import json_error

_IDENTITY_FIELDS: Mapping[str, JsonField] = {
    "email": JsonField("string"),
    "phone": JsonField("string"),
}
CODE_FIELDS: Mapping[str, JsonField] = _IDENTITY_FIELDS
VOTE_FIELDS: Mapping[str, JsonField] = {
    **_IDENTITY_FIELDS,
    "code": JsonField("string"),
    "organization_ids": JsonField("integer_list"),
}
ONE_IDENTITY = Msg("请填写 email 或 phone 其中一项")


def _identity(body: Mapping[str, Any]) -> Identity:
    email, phone = body.get("email"), body.get("phone")
    if (email is None) == (phone is None):
        raise DomainError({"email": ONE_IDENTITY, "phone": ONE_IDENTITY})
    if email is not None:
        return normalise_email(email, field="email")
    return normalise_phone(phone, field="phone")


@bp.post("/evaluations/<int:round_id>/votes/code")
@limiter.shared_limit(voting.code_rate_limit, voting.CODE_LIMIT_SCOPE)
def request_vote_code(round_id: int) -> Any:
    evaluation_round = voting.get_round(round_id)
    body = checked_body(CODE_FIELDS)
    try:
        sent = voting.request_vote_code(evaluation_round, _identity(body), request.remote_addr)
    except voting.TooManyCodeRequests as error:
        db.session.rollback()
        response = json_error(error.status, error.code, error.message)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    db.session.commit()
    return jsonify({"sent": True, "channel": str(sent.channel), "expires_in": sent.expires_in}), 202


@bp.post("/evaluations/<int:round_id>/votes")
@limiter.shared_limit(voting.vote_rate_limit, voting.VOTE_LIMIT_SCOPE)
def cast_vote(round_id: int) -> Any:
    evaluation_round = voting.get_round(round_id)
    body = checked_body(VOTE_FIELDS)
    identity = _identity(body)
    missing = {
        name: Msg("请填写%(label)s", label=label)
        for name, label in (("code", Msg("验证码")), ("organization_ids", Msg("所选组织")))
        if body.get(name) is None
    }
    if missing:
        raise DomainError(missing)
    organization_ids = list(body["organization_ids"])
    try:
        voting.cast_vote(evaluation_round, identity, clean_code(body["code"]), organization_ids)
    except voting.WrongCode:
        db.session.commit()  # keep the counted attempt: five wrong codes void the code
        raise
    db.session.commit()
    return jsonify({"round_id": evaluation_round.id, "organization_ids": organization_ids}), 201
