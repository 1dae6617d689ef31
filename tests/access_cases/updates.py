"""Progress updates and fund-usage reports in the access-control matrix.

Only members of the project's organization (the World's `org` for its published project) may post;
anyone may read an update of a public project. Posting an empty form reaches the operation and
gets 422 with nothing saved. A paid pledge gives the project money to report on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.projects import updates
from marketplace.projects.models import Project
from tests import factories
from tests.access_cases.base import DENIED, HIDDEN, INVALID, LOGIN, OK, Case, everyone
from tests.factories import World

# The project's organization only: others who can see the project are refused (403).
ORG_ONLY = {
    "anonymous": LOGIN,
    "org": OK,
    "other_org": DENIED,
    "company": DENIED,
    "staff": DENIED,
    "admin": DENIED,
}
ORG_POSTS = {**ORG_ONLY, "org": INVALID}

CASES = [
    Case("GET", "/projects/{published_id}/updates/new", ORG_ONLY),
    Case("POST", "/projects/{published_id}/updates/new", ORG_POSTS),
    Case("POST", "/projects/{published_id}/updates/new", ORG_POSTS, {"title": "", "body": "只有内容"}),
    Case("GET", "/projects/{published_id}/updates/{updates_update_id}", everyone()),
    # An update is only found under its own project (and a draft's path hides the draft too).
    Case("GET", "/projects/{draft_id}/updates/{updates_update_id}", everyone(HIDDEN)),
    Case("GET", "/projects/{published_id}/reports/new", ORG_ONLY),
    Case("POST", "/projects/{published_id}/reports/new", ORG_POSTS),
    Case(
        "POST",
        "/projects/{published_id}/reports/new",
        ORG_POSTS,
        {"title": "报告", "items-0-description": "文具", "items-0-amount": "0"},
    ),
]


def ids(world: World) -> dict[str, Any]:
    org_user = db.session.scalar(select(User).where(User.email == world.org_email))
    project = db.session.get(Project, world.published_id)
    factories.pledge(project, factories.company_member(), 20_000)
    update = updates.post_update(
        project,
        org_user,
        updates.UpdateInput("第一期课堂开课了", "共有 **32 名**孩子参加。"),
        Path(current_app.config["UPLOAD_DIR"]),
    )
    db.session.commit()
    return {"updates_update_id": update.id}
