"""Bearer-token authentication for /api/v1.

API calls are authenticated only by ``Authorization: Bearer <token>``, never by the session
cookie: a browser attaches cookies to cross-site requests by itself but never this header, so
the API needs no CSRF token and a page on another site cannot act through it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, g, request

from marketplace.accounts.models import Role, User
from marketplace.accounts.operations import user_for_token
from marketplace.errors import Forbidden, Unauthorized
from marketplace.messages import Msg

F = TypeVar("F", bound=Callable[..., Any])

INVALID_TOKEN = Msg("访问令牌无效或已被撤销，请重新获取")
# Exchanging credentials for a token must work even when the client still sends a stale token.
_CREDENTIAL_ENDPOINTS = frozenset({"api.create_token"})
_MAX_TOKEN_LENGTH = 200


def load_api_user() -> None:
    """Before each API request: set ``g.api_user`` (None when anonymous) from the bearer token."""
    g.api_user = None
    g.api_token = None
    header = request.headers.get("Authorization")
    if header is None or request.endpoint in _CREDENTIAL_ENDPOINTS:
        return
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthorized(message=INVALID_TOKEN)
    user = user_for_token(token)
    if user is None:
        raise Unauthorized(message=INVALID_TOKEN)
    g.api_user = user
    g.api_token = token


def api_response_headers(response: Response) -> Response:
    """After each API request: answers depend on the caller, and 401s say how to authenticate."""
    response.vary.add("Authorization")
    response.vary.add("Accept-Language")
    if request.headers.get("Authorization") or request.endpoint in _CREDENTIAL_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    if response.status_code == 401:
        challenge = 'Bearer realm="api"'
        if request.headers.get("Authorization"):
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    return response


def current_api_user() -> User | None:
    return g.get("api_user")


def require_api_user() -> User:
    user = current_api_user()
    if user is None:
        raise Unauthorized()
    return user


def api_login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_api_user()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def api_roles(*roles: Role) -> Callable[[F], F]:
    """401 for anonymous callers, 403 for a signed-in caller of another role."""
    allowed = {str(role) for role in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if require_api_user().role not in allowed:
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def is_staff(user: User | None) -> bool:
    return bool(user is not None and user.is_staff)
