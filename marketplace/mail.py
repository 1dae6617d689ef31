"""The mail adapter: the one place that sends e-mail.

MAIL_BACKEND chooses how: "log" (default: write the message to the application log, for
development and the demo), "memory" (keep messages in ``app.extensions["mail_outbox"]``, for tests)
or "smtp" (MAIL_SERVER, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS, MAIL_SENDER).
Sending happens after the transaction commits, so a rolled-back change never mails anyone.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.extensions import db

_PENDING_KEY = "mail_pending"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def queue(to: str, subject: str, body: str) -> None:
    """Send `subject`/`body` to `to` once the current transaction commits."""
    if not to:
        return
    db.session.info.setdefault(_PENDING_KEY, []).append(Mail(to, subject, body))


def outbox() -> list[Mail]:
    """Messages sent with the memory backend (tests read this)."""
    return current_app.extensions.setdefault("mail_outbox", [])


def _deliver(mail: Mail) -> None:
    backend = current_app.config.get("MAIL_BACKEND", "log")
    if backend == "memory":
        outbox().append(mail)
    elif backend == "smtp":
        message = EmailMessage()
        message["From"] = current_app.config.get("MAIL_SENDER", "noreply@qingqinchou.cn")
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(
            current_app.config["MAIL_SERVER"], current_app.config.get("MAIL_PORT", 25), timeout=10
        ) as smtp:
            if current_app.config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if current_app.config.get("MAIL_USERNAME"):
                smtp.login(current_app.config["MAIL_USERNAME"], current_app.config.get("MAIL_PASSWORD", ""))
            smtp.send_message(message)
    else:
        current_app.logger.info("mail to %s: %s", mail.to, mail.subject)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    for mail in pending:
        try:
            _deliver(mail)
        except (OSError, smtplib.SMTPException):
            # Mail is a courtesy copy of the in-app notification; it must never undo a commit.
            current_app.logger.warning("mail to %s failed", mail.to, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
