"""`flask audit verify`: walks the hash chain of audit events; an agreement's trail edited or cut
short directly in the database (as someone with database access would) is caught and named."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from marketplace import audit
from marketplace.agreements import operations as ops
from marketplace.agreements.terms import Terms, Tranche
from marketplace.extensions import db
from marketplace.timeutil import local_today
from tests import factories


@dataclass(frozen=True)
class Trail:
    agreement_id: int
    events: dict[str, int]  # agreement event action → its audit event id (the last one of each action)
    total: int


@pytest.fixture
def trail(app: Flask) -> Trail:
    """An agreement brokered, proposed and signed by both parties: its events sit in the middle of
    the platform-wide chain (sign-ups before, pledge scheduling in between)."""
    with app.app_context():
        factories.foundation()
        staff = factories.staff()
        company = factories.company_member()
        org = factories.org_member()
        today = local_today()
        agreement = ops.create_agreement(
            staff,
            ops.AgreementInput(
                title="助残战略合作协议",
                company_id=company.company_id,
                organization_id=org.organization_id,
                starts_on=today,
                ends_on=today + timedelta(days=365),
            ),
        )
        version = ops.add_version(
            agreement,
            staff,
            ops.VersionInput(
                terms=Terms(
                    scope="无障碍出行服务", obligations_company="出资", obligations_organization="执行"
                ),
                committed_amount=500_000,
                tranches=(Tranche(today + timedelta(days=30), 500_000),),
            ),
        )
        ops.propose(agreement, staff, version_id=version.id)
        db.session.commit()
        ops.sign(agreement, company, version_id=version.id, content_sha256=version.content_sha256)
        db.session.commit()
        ops.sign(agreement, org, version_id=version.id, content_sha256=version.content_sha256)
        db.session.commit()
        events = {event.action: event.id for event in ops.events(agreement)}
        total = db.session.scalar(select(func.count(audit.AuditEvent.id))) or 0
        assert audit.verify_chain() is None
        return Trail(agreement.id, events, total)


def verify(runner: Any) -> Any:
    return runner.invoke(args=["audit", "verify"])


def events_before(event_id: int) -> int:
    return (
        db.session.scalar(select(func.count(audit.AuditEvent.id)).where(audit.AuditEvent.id < event_id)) or 0
    )


def test_verify_passes_on_an_intact_chain_and_counts_the_events(runner: Any, trail: Trail) -> None:
    assert trail.total > len(trail.events)  # sign-ups and pledge events share the one chain
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"审计日志完整：共 {trail.total} 条事件，哈希链无断点。"


def test_verify_passes_on_an_empty_chain(runner: Any, app: Flask) -> None:
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "共 0 条事件" in result.output


def test_an_agreement_event_edited_in_the_database_fails_verify_naming_it(
    app: Flask, runner: Any, trail: Trail
) -> None:
    signed_id = trail.events["agreement.signed"]
    with app.app_context():
        event = db.session.get(audit.AuditEvent, signed_id)
        forged = {**event.payload, "content_sha256": "0" * 64}
        db.session.execute(
            text("UPDATE audit_events SET payload = :payload WHERE id = :id"),
            {"payload": json.dumps(forged), "id": signed_id},
        )
        db.session.commit()
        intact_before = events_before(signed_id)

    result = verify(runner)

    assert result.exit_code == 1
    assert f"第一个断点在事件 #{signed_id}（agreement.signed，" in result.output
    assert "它的内容与其哈希不符（内容被改动）" in result.output
    assert f"此前 {intact_before} 条事件完好" in result.output
    with app.app_context():
        assert audit.verify_chain() == signed_id


@pytest.mark.parametrize(
    "column, value",
    [
        ("acting_for", "'staff'"),  # claims staff signed, not the party
        ("actor_id", "NULL"),
        ("action", "'agreement.declined'"),
        ("ip", "'10.0.0.1'"),
    ],
)
def test_any_hashed_column_edited_breaks_the_chain_at_that_event(
    app: Flask, runner: Any, trail: Trail, column: str, value: str
) -> None:
    activated_id = trail.events["agreement.activated"]
    with app.app_context():
        db.session.execute(
            text(f"UPDATE audit_events SET {column} = {value} WHERE id = :id"), {"id": activated_id}
        )
        db.session.commit()

    result = verify(runner)

    assert result.exit_code == 1
    assert f"事件 #{activated_id}（" in result.output and "内容被改动" in result.output


def test_deleting_a_middle_event_breaks_the_chain_at_the_next_event(
    app: Flask, runner: Any, trail: Trail
) -> None:
    proposed_id = trail.events["agreement.proposed"]
    with app.app_context():
        next_id = db.session.scalar(
            select(func.min(audit.AuditEvent.id)).where(audit.AuditEvent.id > proposed_id)
        )
        next_action = db.session.get(audit.AuditEvent, next_id).action
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": proposed_id})
        db.session.commit()
        intact_before = events_before(next_id)

    result = verify(runner)

    assert result.exit_code == 1
    assert f"第一个断点在事件 #{next_id}（{next_action}，" in result.output
    assert "它记录的上一条哈希与上一条事件不符（有事件被删除、插入或改动）" in result.output
    assert f"此前 {intact_before} 条事件完好" in result.output


def test_verify_names_the_first_of_several_broken_events(app: Flask, runner: Any, trail: Trail) -> None:
    created_id, activated_id = trail.events["agreement.created"], trail.events["agreement.activated"]
    with app.app_context():
        for event_id in (activated_id, created_id):
            db.session.execute(
                text("UPDATE audit_events SET payload = :payload WHERE id = :id"),
                {"payload": json.dumps({"title": "改过的"}), "id": event_id},
            )
        db.session.commit()

    result = verify(runner)
    assert result.exit_code == 1
    assert f"第一个断点在事件 #{created_id}（agreement.created，" in result.output


def test_restoring_the_edited_row_makes_the_chain_whole_again(app: Flask, runner: Any, trail: Trail) -> None:
    """The check recomputes hashes from the rows; it does not merely remember that it failed once."""
    signed_id = trail.events["agreement.signed"]
    with app.app_context():
        original = db.session.get(audit.AuditEvent, signed_id).payload
        for payload in ({**original, "ip": "203.0.113.9"}, original):
            db.session.execute(
                text("UPDATE audit_events SET payload = :payload WHERE id = :id"),
                {"payload": json.dumps(payload), "id": signed_id},
            )
            db.session.commit()
            if payload is not original:
                assert verify(runner).exit_code == 1
    assert verify(runner).exit_code == 0
