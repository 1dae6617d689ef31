"""Tell people about things that concern them: an in-app notification, plus an e-mail copy."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, has_request_context, request
from sqlalchemy import func, select, update

from marketplace import mail
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.timeutil import utcnow


def notify(users: Iterable[User], *, kind: str, title: str, body: str = "", link: str = "") -> int:
    """Add one notification per user (and queue the e-mail copy); return how many were added."""
    count = 0
    seen: set[int] = set()
    for user in users:
        if user.id in seen or not user.active:
            continue
        seen.add(user.id)
        db.session.add(
            Notification(
                user_id=user.id, kind=kind, title=str(title)[:120], body=str(body)[:500], link=link[:300]
            )
        )
        mail.queue(user.email, f"【青亲筹】{title}", f"{body}\n\n{absolute(link)}".strip())
        count += 1
    if count:
        db.session.flush()
    return count


def absolute(link: str) -> str:
    """Mail needs the site's address in front of a path; pages use the path as it is."""
    if not link.startswith("/"):
        return link
    if has_request_context():
        return request.host_url.rstrip("/") + link
    return current_app.config.get("SITE_URL", "").rstrip("/") + link


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def recent(user: User, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(user: User) -> int:
    changed = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
    db.session.flush()
    return changed
