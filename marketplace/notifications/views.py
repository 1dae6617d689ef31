"""The signed-in user's notifications, and the unread count the header bell shows on every page.

Opening the list marks everything read (the way a bell's badge clears once looked at); the page
still highlights which notifications were new on that visit.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from marketplace.authz import login_required_any
from marketplace.extensions import db
from marketplace.notifications.operations import mark_all_read, recent, unread_count

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
log = logging.getLogger(__name__)

PAGE_SIZE = 50


def safe_link(link: str | None) -> str | None:
    """Notification links are paths inside the site; anything else is not rendered as a link."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return None
    return link


@bp.app_context_processor
def _unread_notifications() -> dict[str, Any]:
    """`unread_notifications` for every template: one COUNT on an indexed column, 0 when signed out."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    try:
        return {"unread_notifications": unread_count(current_user)}
    except SQLAlchemyError:
        # A badge is never worth an error page (e.g. while the 500 page renders after a DB failure).
        log.warning("could not count unread notifications", exc_info=True)
        return {"unread_notifications": 0}


@bp.get("")
@login_required_any
def index() -> Any:
    items = recent(current_user, limit=PAGE_SIZE)
    new_ids = {item.id for item in items if item.read_at is None}
    if new_ids:
        # Before rendering, so the header's badge on this very page already shows them as read.
        mark_all_read(current_user)
    html = render_template(
        "notifications/index.html",
        items=items,
        new_ids=new_ids,
        links={item.id: safe_link(item.link) for item in items},
        page_size=PAGE_SIZE,
    )
    db.session.commit()
    return html
