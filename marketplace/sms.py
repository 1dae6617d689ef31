"""The SMS adapter: the one place that sends text messages.

SMS_BACKEND chooses how: "log" (default, for development and the demo only: write the whole message,
one-time codes included, to the application log, so that a developer can vote with a phone number)
or "memory" (keep messages in ``app.extensions["sms_outbox"]``, for tests). A real gateway
(阿里云短信, 腾讯云短信 …) would be one more backend here. Like mail, sending happens after the
transaction commits, so a rolled-back change never texts anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.extensions import db

PENDING_KEY = "sms_pending"


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


def queue(to: str, body: str) -> None:
    """Send ``body`` to the mobile number ``to`` once the current transaction commits."""
    if not to:
        return
    db.session.info.setdefault(PENDING_KEY, []).append(Sms(to, body))


def outbox() -> list[Sms]:
    """Messages sent with the memory backend (tests read this)."""
    return current_app.extensions.setdefault("sms_outbox", [])


def _deliver(message: Sms) -> None:
    backend = current_app.config.get("SMS_BACKEND", "log")
    if backend == "memory":
        outbox().append(message)
    elif backend == "log":
        current_app.logger.info("sms to %s: %s", message.to, message.body)
    else:
        raise ValueError(f"unknown SMS_BACKEND {backend!r}")


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    for message in pending:
        try:
            _deliver(message)
        except (OSError, ValueError):
            # A text is a courtesy of a committed change; it must never undo the commit.
            current_app.logger.warning("sms to %s failed", message.to[:3], exc_info=True)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
