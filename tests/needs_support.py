"""What the community-needs tests share: a valid need input, a recorded need, and a snapshot of the
needs tables for "nothing changed" checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.needs.models import CommunityNeed, NeedResponse
from marketplace.notifications.models import Notification


def need_input(**overrides: Any) -> ops.NeedInput:
    values: dict[str, Any] = {
        "title": "独居老人上门理发",
        "community": "广化街道广化社区",
        "district": "鹿城区",
        "category": "elderly",
        "description": "社区登记的独居老人中有20多位行动不便，希望志愿者每月上门理发。",
        "people_affected": 23,
        "urgency": "high",
    }
    values.update(overrides)
    return ops.NeedInput(**values)


def record(staff: User, **overrides: Any) -> CommunityNeed:
    need = ops.record_need(staff, need_input(**overrides))
    db.session.commit()
    return need


def needs_state() -> tuple[Any, ...]:
    """Everything the needs operations could change, as plain values."""
    return (
        tuple(
            db.session.execute(
                select(
                    CommunityNeed.id,
                    CommunityNeed.title,
                    CommunityNeed.description,
                    CommunityNeed.district,
                    CommunityNeed.community,
                    CommunityNeed.category_id,
                    CommunityNeed.people_affected,
                    CommunityNeed.urgency,
                    CommunityNeed.status,
                    CommunityNeed.addressed_at,
                ).order_by(CommunityNeed.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(NeedResponse.id, NeedResponse.need_id, NeedResponse.project_id).order_by(
                    NeedResponse.id
                )
            ).all()
        ),
        db.session.scalar(select(func.count()).select_from(Notification)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )
