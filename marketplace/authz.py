"""Role checks for pages and the API. Anonymous callers get 401 (or the login page); the wrong
role gets 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.errors import Forbidden, Unauthorized
from marketplace.messages import Msg

F = TypeVar("F", bound=Callable[..., Any])


def require_role(*roles: Role | str) -> Callable[[F], F]:
    allowed = {str(role) for role in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check_role(allowed)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def check_role(allowed: set[str]) -> None:
    if not current_user.is_authenticated:
        raise Unauthorized()
    if current_user.role not in allowed:
        raise Forbidden()


staff_required = require_role(Role.STAFF, Role.ADMIN)
org_required = require_role(Role.ORG)
company_required = require_role(Role.COMPANY)
login_required_any = require_role(Role.ORG, Role.COMPANY, Role.STAFF, Role.ADMIN)


def forbid_unless(condition: bool, message: Msg | None = None) -> None:
    if not condition:
        raise Forbidden(message=message) if message else Forbidden()
