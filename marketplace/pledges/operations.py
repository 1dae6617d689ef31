"""Offline pledges (bank transfer 对公转账 and in-kind), the first-class path for mainland companies.

Money reaches a project only through `confirm_pledge_paid`, which writes the ledger row and the
project's running total in one transaction. The total is bumped with an atomic
``UPDATE … SET raised_amount = raised_amount + :amount`` because a read-modify-write loses money
under concurrency (and SQLite ignores SELECT … FOR UPDATE).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.parties.models import Company
from marketplace.pledges.models import LedgerEntry, Pledge, PledgeMethod, PledgeStatus
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStatus
from marketplace.timeutil import utcnow


def create_offline_pledge(
    project: Project,
    company: Company,
    amount: int,
    *,
    method: PledgeMethod,
    idempotency_key: str,
    actor: User,
    note: str = "",
) -> Pledge:
    """Record a committed pledge awaiting receipt. Replaying the same key returns the same pledge."""
    existing = db.session.scalar(select(Pledge).where(Pledge.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    if not (actor.is_staff or actor.company_id == company.id):
        raise Forbidden.on("company", Msg("只能以本企业的名义认捐"))
    if not company.is_verified:
        raise Conflict.on("company", Msg("企业通过认证后才能认捐"))
    if project.status != ProjectStatus.PUBLISHED:
        raise Conflict.on("project", Msg("只能为筹款中的项目认捐"))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError.on("amount", Msg("认捐金额必须大于 0"))
    pledge = Pledge(
        project_id=project.id,
        company_id=company.id,
        amount=amount,
        method=method,
        idempotency_key=idempotency_key,
        note=note[:500],
        created_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(pledge)
    except IntegrityError:
        # A concurrent request with the same key won the insert: answer with its pledge.
        return db.session.scalar(select(Pledge).where(Pledge.idempotency_key == idempotency_key))
    audit.record(
        "pledge.created",
        actor_id=actor.id,
        subject=pledge,
        payload={"project_id": project.id, "amount": amount, "method": method.value},
    )
    return pledge


def confirm_pledge_paid(pledge: Pledge, *, staff: User | None) -> Pledge:
    """Staff record receipt of an offline pledge: pending → paid, one ledger row, raised += amount."""
    if staff is not None and not staff.is_staff:
        raise Forbidden.on("pledge", Msg("只有团区委工作人员可以确认到账"))
    claimed = db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge.id, Pledge.status == PledgeStatus.PENDING)
        .values(status=PledgeStatus.PAID, paid_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.refresh(pledge)
        if pledge.status == PledgeStatus.PAID:
            return pledge  # already confirmed: a replay changes nothing
        raise Conflict.on("pledge", Msg("该认捐当前不能确认到账"))
    first_from_company = not db.session.scalar(
        select(func.count())
        .select_from(Pledge)
        .where(
            Pledge.project_id == pledge.project_id,
            Pledge.company_id == pledge.company_id,
            Pledge.status == PledgeStatus.PAID,
            Pledge.id != pledge.id,
        )
    )
    db.session.add(
        LedgerEntry(
            project_id=pledge.project_id,
            pledge_id=pledge.id,
            entry_type="payment",
            amount=pledge.amount,
            reference=f"pledge-{pledge.id}-payment",
        )
    )
    db.session.execute(
        update(Project)
        .where(Project.id == pledge.project_id)
        .values(
            raised_amount=Project.raised_amount + pledge.amount,
            supporters_count=Project.supporters_count + (1 if first_from_company else 0),
        )
    )
    db.session.flush()
    db.session.refresh(pledge)
    audit.record(
        "pledge.paid",
        actor_id=staff.id if staff else None,
        subject=pledge,
        payload={"amount": pledge.amount, "project_id": pledge.project_id},
    )
    return pledge


def ledger_total(project_id: int) -> int:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.project_id == project_id)
        )
        or 0
    )
