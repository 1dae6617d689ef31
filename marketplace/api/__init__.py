"""The JSON API under /api/v1, described by the OpenAPI document at /api/v1/openapi.json.

It authenticates by bearer token only (see ``auth``), so it is exempt from CSRF: no cookie ever
authenticates an API call. Errors are JSON (``marketplace.web`` renders them for /api/ paths).
"""

from flask import Blueprint

from marketplace.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# Importing the modules registers their routes and hooks on ``bp``.
from marketplace.api import (  # noqa: E402, F401
    accounts,
    agreements,
    auth,
    evaluations,
    matching,
    moderation,
    needs,
    openapi,
    parties,
    pledges,
    pools,
    projects,
    stats,
    tenders,
    votes,
)

bp.before_request(auth.load_api_user)
bp.after_request(auth.api_response_headers)
