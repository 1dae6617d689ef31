"""Append-only, hash-chained audit events for logins, money changes and staff decisions.

Each event stores the hash of the one before it, so an edited or deleted row breaks the
chain that ``verify_chain`` walks.

Appends are serialised: two transactions that both read the same last hash and both append would
fork the chain. On PostgreSQL ``record`` first takes a transaction-scoped advisory lock (held until
commit or rollback); on SQLite it first writes (a no-op UPDATE), because a transaction holds the
database's single write lock from its first write on, and reads before that see a snapshot another
writer may already have moved past. Either way the next appender reads the last hash only after the
previous one committed, and ids increase in chain order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key for appending to the chain: b"AUDT" read as a big-endian integer.
APPEND_LOCK_KEY = 0x41554454


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The party the actor acted for, e.g. "organization:3", "company:7" or "staff".
    acting_for: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def _event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    fields = {
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "ip": event.ip,
        "request_id": event.request_id,
        "payload": event.payload,
    }
    # Added later: hashed only when set, so events written before it still verify.
    if event.acting_for is not None:
        fields["acting_for"] = event.acting_for
    return fields


def _request_context() -> tuple[str | None, str | None]:
    from flask import g, has_request_context, request

    if not has_request_context():
        return None, None
    return request.remote_addr, getattr(g, "request_id", None)


def _lock_chain() -> None:
    """Hold the right to append until this transaction ends (re-entrant within it)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK_KEY)))
    elif dialect == "sqlite":
        # pysqlite opens the transaction at the first DML statement, and that statement takes the
        # write lock even when it matches no row; reads before it would run outside the lock.
        db.session.execute(
            update(AuditEvent).where(AuditEvent.id == -1).values(id=AuditEvent.id),
            execution_options={"synchronize_session": False},
        )


def record(
    action: str,
    *,
    actor_id: int | None = None,
    subject: Any = None,
    payload: dict[str, Any] | None = None,
    acting_for: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    ip, request_id = _request_context()
    _lock_chain()
    last_hash = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(
        created_at=utcnow(),
        actor_id=actor_id,
        acting_for=acting_for,
        action=action,
        subject_type=type(subject).__name__ if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        ip=ip,
        request_id=request_id,
        payload=payload or {},
        prev_hash=last_hash or GENESIS_HASH,
    )
    event.hash = _event_hash(event.prev_hash, _hashed_fields(event))
    db.session.add(event)
    db.session.flush()
    return event


def acting_for_label(user: Any) -> str | None:
    """The party a user acts for, as audit events record it."""
    if user is None:
        return None
    if getattr(user, "is_staff", False):
        return "staff"
    if getattr(user, "organization_id", None):
        return f"organization:{user.organization_id}"
    if getattr(user, "company_id", None):
        return f"company:{user.company_id}"
    return None


def record_by(actor: Any, action: str, *, subject: Any, payload: dict[str, Any]) -> AuditEvent:
    """An event by ``actor`` (a user, or None for the system's jobs), naming the party acted for."""
    return record(
        action,
        actor_id=actor.id if actor is not None else None,
        acting_for=acting_for_label(actor) if actor is not None else "system",
        subject=subject,
        payload=payload,
    )


_VERIFY_PAGE = 1000
_LINK_BROKEN = "它记录的上一条哈希与上一条事件不符（有事件被删除、插入或改动）"
_CONTENT_CHANGED = "它的内容与其哈希不符（内容被改动）"


@dataclass(frozen=True)
class ChainReport:
    checked: int  # events that verified before the first broken one (all of them when intact)
    broken_id: int | None = None
    problem: str = ""


def verify_report() -> ChainReport:
    """Walk the chain in id order: each event must name the previous event's hash and hash to its
    own stored hash. Reports the first event where either fails."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:  # in pages by id: memory stays flat however long the chain grows
        page = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(_VERIFY_PAGE)
        ).all()
        if not page:
            break
        for event in page:
            if event.prev_hash != expected_prev:
                return ChainReport(checked, event.id, _LINK_BROKEN)
            if event.hash != _event_hash(event.prev_hash, _hashed_fields(event)):
                return ChainReport(checked, event.id, _CONTENT_CHANGED)
            expected_prev = event.hash
            checked += 1
        last_id = page[-1].id
    return ChainReport(checked)


def verify_chain() -> int | None:
    """Return the id of the first event whose hash or link does not hold, or None when intact."""
    return verify_report().broken_id
