"""Tokens and the caller's own account."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify

from marketplace.accounts.operations import authenticate, issue_api_token, revoke_api_token
from marketplace.accounts.views import LOGIN_LIMIT_SCOPE
from marketplace.api import bp
from marketplace.api.auth import api_login_required, require_api_user
from marketplace.api.input import JsonField, checked_body
from marketplace.api.serializers import me
from marketplace.errors import DomainError, Unauthorized
from marketplace.extensions import db, limiter
from marketplace.messages import Msg

TOKEN_FIELDS = {
    "email": JsonField("string"),
    "password": JsonField("string"),
    "name": JsonField("string", nullable=True),
}
WRONG_CREDENTIALS = Msg("邮箱或密码不正确")


@bp.post("/tokens")
@limiter.limit(lambda: current_app.config["TOKEN_RATE_LIMIT"])
@limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    LOGIN_LIMIT_SCOPE,
    deduct_when=lambda response: response.status_code == 401,
)
def create_token() -> Any:
    body = checked_body(TOKEN_FIELDS)
    missing = {
        name: Msg("请填写%(label)s", label=label)
        for name, label in (("email", "邮箱"), ("password", "密码"))
        if not body.get(name)
    }
    if missing:
        raise DomainError(missing)
    user = authenticate(body["email"], body["password"])
    if user is None:
        db.session.commit()  # keep the audit record of the failed attempt
        # One answer for an unknown e-mail and a wrong password (ASVS 6.3.8).
        raise Unauthorized(message=WRONG_CREDENTIALS)
    token = issue_api_token(user, name=body.get("name") or "api")
    db.session.commit()
    return jsonify({"token": token, "token_type": "Bearer"}), 201


@bp.delete("/tokens/current")
@api_login_required
def revoke_current_token() -> Any:
    revoke_api_token(g.api_token)
    db.session.commit()
    return Response(status=204)


@bp.get("/me")
@api_login_required
def get_me() -> Any:
    return jsonify(me(require_api_user()))
