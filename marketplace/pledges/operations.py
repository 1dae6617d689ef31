"""Pledges, refunds, matching funds and disbursements: every money state change lives here.

Each function flushes and never commits; the caller (page, API, webhook, CLI) commits once.
Money moves only through atomic conditional UPDATEs (``… SET raised_amount = raised_amount + :x``,
``… WHERE status = 'pending'``, ``… WHERE remaining >= :x``), because a read-modify-write loses
money under concurrency and SQLite silently ignores SELECT … FOR UPDATE. Each movement writes a
ledger row whose UNIQUE reference makes a replay fail instead of counting twice.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.matching.operations import convert_introductions
from marketplace.messages import Msg
from marketplace.money import format_fen
from marketplace.parties.models import Company, Organization
from marketplace.pledges.accounting import (
    RAISED_KINDS,
    LedgerKind,
    PoolOffer,
    PoolTerms,
    check_pledge_amount,
    check_pool_terms,
    check_refund,
    reversal_due,
    split_match,
)
from marketplace.pledges.models import (
    Disbursement,
    LedgerEntry,
    MatchCredit,
    MatchingPool,
    PartnerFoundation,
    Pledge,
    PoolProjectTotal,
)
from marketplace.pledges.states import MONEY_HELD, PledgeMethod, PledgeStatus, sources_for
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStatus
from marketplace.timeutil import utcnow

MESSAGE_MAX = 200
IN_KIND_MAX = 1000
BANK_REFERENCE_MAX = 64
# No 0/O, 1/I/L: people copy this code into their bank transfer's remark by hand.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


# ---------------------------------------------------------------------------------------------
# Who receives the money


@dataclass(frozen=True)
class ReceivingEntity:
    kind: str  # "organization" | "foundation"
    id: int
    name: str
    bank_name: str
    account_name: str
    account_number: str

    @property
    def account(self) -> str:
        return f"{self.kind}:{self.id}"


def default_foundation() -> PartnerFoundation | None:
    return db.session.scalar(
        select(PartnerFoundation)
        .where(PartnerFoundation.active.is_(True))
        .order_by(PartnerFoundation.is_default.desc(), PartnerFoundation.id)
        .limit(1)
    )


def receiving_entity(project: Project) -> ReceivingEntity | None:
    """Only an organization with public-fundraising qualification (公开募捐资格) and a bank account
    on file receives money itself; every other project raises through a partner foundation."""
    return organization_receiving_entity(project.organization, project.partner_foundation)


def organization_receiving_entity(
    organization: Organization, foundation: PartnerFoundation | None = None
) -> ReceivingEntity | None:
    """Who receives money meant for ``organization``: itself when qualified, else ``foundation``
    (when active) or the default partner foundation."""
    if organization.public_fundraising_qualified and organization.bank_account_number:
        return ReceivingEntity(
            "organization",
            organization.id,
            organization.name,
            organization.bank_name,
            organization.bank_account_name or organization.name,
            organization.bank_account_number,
        )
    if foundation is None or not foundation.active:
        foundation = default_foundation()
    if foundation is None:
        return None
    return ReceivingEntity(
        "foundation",
        foundation.id,
        foundation.name,
        foundation.bank_name,
        foundation.bank_account_name,
        foundation.bank_account_number,
    )


@dataclass(frozen=True)
class FoundationInput:
    name: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str
    uscc: str = ""
    is_default: bool = False
    active: bool = True


@dataclass(frozen=True)
class BankAccountInput:
    bank_name: str
    bank_account_name: str
    bank_account_number: str


def _check_bank_account(data: FoundationInput | BankAccountInput, *, required: bool) -> dict[str, str]:
    problems: dict[str, str] = {}
    fields = {
        "bank_name": (data.bank_name, Msg("开户银行"), 100),
        "bank_account_name": (data.bank_account_name, Msg("户名"), 100),
        "bank_account_number": (data.bank_account_number, Msg("银行账号"), 40),
    }
    for name, (value, label, limit) in fields.items():
        if required and not value.strip():
            problems[name] = Msg("请填写%(label)s", label=label)
        elif len(value.strip()) > limit:
            problems[name] = Msg("%(label)s不能超过 %(n)d 个字", label=label, n=limit)
    number = data.bank_account_number.replace(" ", "")
    if number and "bank_account_number" not in problems and not (number.isdigit() and 8 <= len(number) <= 30):
        problems["bank_account_number"] = Msg("银行账号应为 8 至 30 位数字")
    return problems


def save_foundation(
    foundation: PartnerFoundation | None, staff: User | None, data: FoundationInput
) -> PartnerFoundation:
    """Staff add or edit a partner foundation; exactly one active foundation is the default."""
    _require_staff(staff, "foundation", Msg("只有团区委工作人员可以管理合作基金会"))
    assert staff is not None
    problems = _check_bank_account(data, required=True)
    name = data.name.strip()
    if not name:
        problems["name"] = Msg("请填写基金会名称")
    elif len(name) > 100:
        problems["name"] = Msg("名称不能超过 100 个字")
    elif db.session.scalar(
        select(PartnerFoundation.id).where(
            PartnerFoundation.name == name, PartnerFoundation.id != (foundation.id if foundation else -1)
        )
    ):
        problems["name"] = Msg("已有同名的合作基金会")
    if len(data.uscc.strip()) > 18:
        problems["uscc"] = Msg("统一社会信用代码为 18 位")
    if problems:
        raise DomainError(problems)
    if foundation is None:
        foundation = PartnerFoundation()
        db.session.add(foundation)
    foundation.name = name
    foundation.uscc = data.uscc.strip()
    foundation.bank_name = data.bank_name.strip()
    foundation.bank_account_name = data.bank_account_name.strip()
    foundation.bank_account_number = data.bank_account_number.replace(" ", "")
    foundation.active = data.active
    foundation.is_default = data.is_default and data.active
    db.session.flush()
    if foundation.is_default:
        db.session.execute(
            update(PartnerFoundation).where(PartnerFoundation.id != foundation.id).values(is_default=False)
        )
    audit.record("foundation.saved", actor_id=staff.id, subject=foundation, payload={"name": name})
    return foundation


def set_fundraising_qualification(
    organization: Any, staff: User | None, *, qualified: bool, account: BankAccountInput
) -> Any:
    """Staff record whether an organization holds 公开募捐资格 and the account it receives money in."""
    _require_staff(staff, "organization", Msg("只有团区委工作人员可以登记公开募捐资格"))
    assert staff is not None
    problems = _check_bank_account(account, required=qualified)
    if problems:
        raise DomainError(problems)
    organization.public_fundraising_qualified = qualified
    organization.bank_name = account.bank_name.strip()
    organization.bank_account_name = account.bank_account_name.strip()
    organization.bank_account_number = account.bank_account_number.replace(" ", "")
    db.session.flush()
    audit.record(
        "organization.fundraising_qualification",
        actor_id=staff.id,
        subject=organization,
        payload={"qualified": qualified},
    )
    return organization


def set_project_foundation(
    project: Project, staff: User | None, foundation: PartnerFoundation | None
) -> Project:
    """Staff choose which partner foundation receives a project's money (None: the default one)."""
    _require_staff(staff, "partner_foundation", Msg("只有团区委工作人员可以设置收款机构"))
    assert staff is not None
    if foundation is not None and not foundation.active:
        raise DomainError.on("partner_foundation", Msg("该基金会已停用"))
    project.partner_foundation_id = foundation.id if foundation else None
    db.session.flush()
    audit.record(
        "project.partner_foundation",
        actor_id=staff.id,
        subject=project,
        payload={"foundation_id": project.partner_foundation_id},
    )
    return project


# ---------------------------------------------------------------------------------------------
# Making a pledge


@dataclass(frozen=True)
class PledgeRequest:
    amount: int  # fen, already parsed from yuan by the caller
    method: str
    message: str = ""
    anonymous: bool = False
    in_kind_description: str = ""

    def fingerprint(self) -> str:
        canonical = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def pledging_company(actor: User | None) -> Company:
    """The company a user pledges for; refuses org members, staff and unverified companies (403)."""
    if actor is None or actor.role != Role.COMPANY or actor.company is None:
        raise Forbidden.on("company", Msg("只有爱心企业账号可以认捐"))
    if not actor.company.is_verified:
        raise Forbidden.on("company", Msg("企业通过认证后才能认捐"))
    return actor.company


def check_pledge_request(request: PledgeRequest, *, card_enabled: bool) -> None:
    problems: dict[str, str] = {}
    try:
        check_pledge_amount(request.amount)
    except DomainError as error:
        problems.update(error.fields)
    try:
        method = PledgeMethod(request.method)
    except ValueError:
        problems["method"] = Msg("请选择认捐方式：在线支付、对公转账或物资捐赠")
    else:
        if method == PledgeMethod.CARD and not card_enabled:
            problems["method"] = Msg("平台暂未开通在线支付，请选择对公转账或物资捐赠")
        if method == PledgeMethod.IN_KIND and not request.in_kind_description.strip():
            problems["in_kind_description"] = Msg("请说明捐赠的物资或服务（名称、数量、规格）")
    if len(request.message) > MESSAGE_MAX:
        problems["message"] = Msg("留言不能超过 %(n)d 个字", n=MESSAGE_MAX)
    if len(request.in_kind_description) > IN_KIND_MAX:
        problems["in_kind_description"] = Msg("物资说明不能超过 %(n)d 个字", n=IN_KIND_MAX)
    if problems:
        raise DomainError(problems)


def check_project_open(project: Project, now: datetime | None = None) -> None:
    if project.status != ProjectStatus.PUBLISHED:
        raise Conflict.on(
            "project", Msg("该项目当前状态为「%(status)s」，不接受认捐", status=project.status_label)
        )
    if project.deadline <= (now or utcnow()):
        raise Conflict.on("project", Msg("该项目已过截止日期，不再接受认捐"))


def _new_reference_code() -> str:
    return "QQC" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def _pledge_by_key(idempotency_key: str) -> Pledge | None:
    return db.session.scalar(select(Pledge).where(Pledge.idempotency_key == idempotency_key))


def _replayed(existing: Pledge, request: PledgeRequest, project: Project) -> Pledge:
    if existing.request_fingerprint != request.fingerprint() or existing.project_id != project.id:
        raise Conflict.on("idempotency_key", Msg("该幂等键已用于另一笔不同的认捐，请换一个新的键"))
    return existing


def create_pledge(
    project: Project,
    actor: User | None,
    request: PledgeRequest,
    *,
    idempotency_key: str,
    card_enabled: bool,
) -> Pledge:
    """A verified company pledges to a published project. The same key and request give back the
    same pledge (also under concurrent retries); the same key with another request is a conflict."""
    company = pledging_company(actor)
    assert actor is not None
    existing = _pledge_by_key(idempotency_key)
    if existing is not None:
        return _replayed(existing, request, project)
    check_pledge_request(request, card_enabled=card_enabled)
    check_project_open(project)
    payee = receiving_entity(project)
    if payee is None:
        raise Conflict.on("project", Msg("该项目尚未设置收款机构，请联系团区委工作人员"))
    pledge = Pledge(
        project_id=project.id,
        company_id=company.id,
        amount=request.amount,
        method=PledgeMethod(request.method).value,
        status=PledgeStatus.PENDING.value,
        idempotency_key=idempotency_key,
        request_fingerprint=request.fingerprint(),
        reference_code=_new_reference_code(),
        message=request.message.strip(),
        anonymous=request.anonymous,
        in_kind_description=request.in_kind_description.strip(),
        payee_kind=payee.kind,
        payee_id=payee.id,
        payee_name=payee.name,
        payee_bank_name=payee.bank_name,
        payee_account_name=payee.account_name,
        payee_account_number=payee.account_number,
        created_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(pledge)
    except IntegrityError:
        # A concurrent request with the same key won the insert: answer with its pledge.
        existing = _pledge_by_key(idempotency_key)
        if existing is None:
            raise
        return _replayed(existing, request, project)
    set_committed_value(pledge, "match_credits", [])  # new: none yet, and showing it asks for none
    # A pledge within 90 days of a staff introduction to this project is that introduction's success.
    convert_introductions(company.id, project_id=project.id, via="pledge", pledge_id=pledge.id)
    # Last, as in mark_paid: from here to the commit this transaction holds the audit chain's lock.
    audit.record(
        "pledge.created",
        actor_id=actor.id,
        subject=pledge,
        payload={"project_id": project.id, "amount": request.amount, "method": pledge.method},
    )
    return pledge


@dataclass(frozen=True)
class ScheduledPledge:
    """A bank transfer a company committed to in a signed agreement, due on a given day."""

    company_id: int
    organization: Organization
    project: Project | None  # None: the organization's agreement account
    amount: int  # fen
    due_on: date
    agreement_id: int
    agreement_version_id: int
    tranche_no: int
    message: str = ""


def schedule_pledge(scheduled: ScheduledPledge, *, actor_id: int | None) -> Pledge:
    """Create the pending bank-transfer pledge for one tranche of an agreement. The idempotency key
    names the agreement, version and tranche, so activating the same version twice schedules once.
    Staff confirm its arrival like any bank transfer; the project need not be open for pledges,
    because the money was promised in a signed agreement, not through the project page."""
    key = f"agreement:{scheduled.agreement_id}:v{scheduled.agreement_version_id}:t{scheduled.tranche_no}"
    existing = _pledge_by_key(key)
    if existing is not None:
        return existing
    foundation = scheduled.project.partner_foundation if scheduled.project is not None else None
    payee = organization_receiving_entity(scheduled.organization, foundation)
    if payee is None:
        raise Conflict.on("organization", Msg("该社会组织尚未设置收款机构，请联系团区委工作人员"))
    pledge = Pledge(
        project_id=scheduled.project.id if scheduled.project is not None else None,
        company_id=scheduled.company_id,
        agreement_id=scheduled.agreement_id,
        agreement_version_id=scheduled.agreement_version_id,
        tranche_no=scheduled.tranche_no,
        due_on=scheduled.due_on,
        amount=scheduled.amount,
        method=PledgeMethod.BANK_TRANSFER.value,
        status=PledgeStatus.PENDING.value,
        idempotency_key=key,
        request_fingerprint="",
        reference_code=_new_reference_code(),
        message=scheduled.message[:MESSAGE_MAX],
        payee_kind=payee.kind,
        payee_id=payee.id,
        payee_name=payee.name,
        payee_bank_name=payee.bank_name,
        payee_account_name=payee.account_name,
        payee_account_number=payee.account_number,
        created_by_id=actor_id,
    )
    db.session.add(pledge)
    db.session.flush()
    audit.record(
        "pledge.scheduled",
        actor_id=actor_id,
        subject=pledge,
        payload={
            "agreement_id": scheduled.agreement_id,
            "tranche_no": scheduled.tranche_no,
            "amount": scheduled.amount,
            "due_on": scheduled.due_on.isoformat(),
            "project_id": pledge.project_id,
        },
    )
    return pledge


class CheckoutGateway(Protocol):
    """The part of payments.gateway.StripeGateway that starting a card payment needs."""

    def create_checkout_session(
        self,
        *,
        pledge_id: int,
        amount: int,
        currency: str,
        description: str,
        success_url: str,
        cancel_url: str,
        customer_email: str | None,
        idempotency_key: str,
    ) -> Any: ...


def checkout_idempotency_key(pledge: Pledge) -> str:
    # The random reference code as well as the id: SQLite reuses the id of a rolled-back row, and a
    # different pledge must never replay (or be refused) on another pledge's Stripe key.
    return f"pledge-{pledge.id}-{pledge.reference_code}-checkout"


def start_card_checkout(
    pledge: Pledge, gateway: CheckoutGateway, *, success_url: str, cancel_url: str, email: str | None
) -> str:
    """Create (or find again) the Stripe Checkout Session for a card pledge and return its URL.

    The idempotency key is derived from the pledge, so a retry after a crash between the Stripe
    call and the commit gets the very same session back instead of a second one.
    """
    if pledge.method != PledgeMethod.CARD:
        raise Conflict.on("method", Msg("只有在线支付的认捐需要跳转支付页面"))
    if pledge.status != PledgeStatus.PENDING:
        raise Conflict.on("pledge", Msg("这笔认捐已不在待支付状态"))
    if pledge.checkout_session_id and pledge.checkout_url:
        return pledge.checkout_url
    session = gateway.create_checkout_session(
        pledge_id=pledge.id,
        amount=pledge.amount,
        currency=pledge.currency,
        description=f"认捐：{pledge.purpose}"[:120],
        success_url=success_url,
        cancel_url=cancel_url,
        customer_email=email,
        idempotency_key=checkout_idempotency_key(pledge),
    )
    link_checkout_session(pledge, session.id, session.url)
    return session.url


def link_checkout_session(pledge: Pledge, session_id: str, url: str | None) -> None:
    db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge.id, Pledge.checkout_session_id.is_(None))
        .values(checkout_session_id=session_id, checkout_url=url)
    )
    db.session.flush()
    db.session.refresh(pledge)


def remember_payment_intent(pledge: Pledge, payment_intent_id: str | None) -> None:
    """An asynchronous method (e.g. a bank debit) is under way: keep its payment intent so later
    payment_intent.* / charge.* events find the pledge even without the metadata."""
    if not payment_intent_id or pledge.payment_intent_id:
        return
    db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge.id, Pledge.payment_intent_id.is_(None))
        .values(payment_intent_id=payment_intent_id)
    )
    db.session.flush()
    db.session.refresh(pledge)


# ---------------------------------------------------------------------------------------------
# Money arriving


def _require_staff(user: User | None, field: str, reason: Msg) -> None:
    if user is None or not user.is_staff:
        raise Forbidden.on(field, reason)


def _ledger(
    *,
    project_id: int,
    kind: LedgerKind,
    amount: int,
    reference: str,
    account: str = "",
    pledge_id: int | None = None,
    pool_id: int | None = None,
    disbursement_id: int | None = None,
    note: str = "",
) -> None:
    db.session.add(
        LedgerEntry(
            project_id=project_id,
            kind=kind.value,
            amount=amount,
            reference=reference,
            account=account,
            pledge_id=pledge_id,
            pool_id=pool_id,
            disbursement_id=disbursement_id,
            note=note[:300],
        )
    )


def _bump_project(project_id: int, *, raised: int = 0, matched: int = 0) -> None:
    db.session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(
            raised_amount=Project.raised_amount + raised,
            matched_amount=Project.matched_amount + matched,
        )
    )


def _recount_supporters(project_id: int) -> Project:
    """Supporters = companies holding money in the project, counted by the database in the same
    statement that writes it: deciding "first pledge from this company" in Python before the row is
    locked counts concurrent first pledges of one company several times. Call it after
    _bump_project: that UPDATE holds the project row, so under READ COMMITTED this statement's fresh
    snapshot already sees every earlier confirmation of the project. Returns the project as it now
    is (RETURNING loads it without another SELECT)."""
    held = (
        select(func.count(func.distinct(Pledge.company_id)))
        .where(Pledge.project_id == project_id, Pledge.status.in_([status.value for status in MONEY_HELD]))
        .scalar_subquery()
    )
    return db.session.execute(
        update(Project).where(Project.id == project_id).values(supporters_count=held).returning(Project),
        execution_options={"populate_existing": True, "synchronize_session": False},
    ).scalar_one()


def _account_of(pledge: Pledge) -> str:
    return f"{pledge.payee_kind}:{pledge.payee_id}"


def mark_paid(
    pledge: Pledge,
    paid_amount: int,
    *,
    actor_id: int | None,
    source: str,
    bank_reference: str | None = None,
    payment_intent_id: str | None = None,
) -> bool:
    """pending → paid with one ledger row, the project total and the matching funds, atomically.

    Returns False (and changes nothing) when the pledge was already paid: a replayed webhook or a
    double-clicked confirmation. Any other state is a conflict.
    """
    values: dict[str, Any] = {
        "status": PledgeStatus.PAID.value,
        "paid_amount": paid_amount,
        "paid_at": utcnow(),
        "confirmed_by_id": actor_id,
        "flag_reason": None,
    }
    if bank_reference is not None:
        values["bank_reference"] = bank_reference
    if payment_intent_id is not None:
        values["payment_intent_id"] = payment_intent_id
    try:
        with db.session.begin_nested():
            # RETURNING puts the claimed row's new values into ``pledge`` without another SELECT.
            claimed = (
                db.session.execute(
                    update(Pledge)
                    .where(Pledge.id == pledge.id, Pledge.status.in_(sources_for(PledgeStatus.PAID)))
                    .values(**values)
                    .returning(Pledge),
                    execution_options={"populate_existing": True, "synchronize_session": False},
                )
                .scalars()
                .all()
            )
    except IntegrityError:
        raise Conflict.on("bank_reference", Msg("该银行流水号已登记在另一笔认捐上，请核对")) from None
    if not claimed:
        db.session.refresh(pledge)  # someone else moved it: say what it is now
        if pledge.status in MONEY_HELD or pledge.status == PledgeStatus.REFUNDED:
            return False
        raise Conflict.on(
            "pledge", Msg("该认捐当前状态为「%(status)s」，不能确认到账", status=pledge.status_label)
        )
    _ledger(
        project_id=pledge.project_id,
        kind=LedgerKind.PLEDGE_PAID,
        amount=paid_amount,
        reference=f"pledge-{pledge.id}-paid",
        account=_account_of(pledge),
        pledge_id=pledge.id,
        note=source,
    )
    matched = 0
    if pledge.project_id is not None:
        _bump_project(pledge.project_id, raised=paid_amount)
        # Held here until the notice below names it: the session keeps only weak references, and a
        # project nobody holds would be read again for its title.
        project = _recount_supporters(pledge.project_id)
        matched = apply_matches(pledge, project)
    _notify_company(
        pledge,
        Msg("认捐已到账"),
        Msg(
            "您对「%(title)s」的认捐 %(amount)s 已确认到账，感谢支持！",
            title=pledge.purpose,
            amount=format_fen(paid_amount),
        ),
    )
    if matched:
        # The credits were added as rows of their own: a list of them read earlier is out of date.
        db.session.expire(pledge, ["match_credits"])
    else:
        # Credits come only with a payment, and only pending pledges get paid: there are none.
        set_committed_value(pledge, "match_credits", [])
    # Last: the record holds the audit chain's lock until the commit, so every other money change
    # waits for this transaction from here on.
    audit.record(
        "pledge.paid",
        actor_id=actor_id,
        subject=pledge,
        payload={"amount": paid_amount, "project_id": pledge.project_id, "source": source},
    )
    return True


def confirm_offline_pledge(
    pledge: Pledge,
    staff: User | None,
    *,
    received_amount: int,
    bank_reference: str | None,
    note: str = "",
) -> Pledge:
    """Staff record receipt of a bank transfer (with the bank's reference and the amount that
    arrived) or, for goods and services, their valuation on receipt. That makes the pledge paid."""
    _require_staff(staff, "pledge", Msg("只有团区委工作人员可以确认到账"))
    assert staff is not None
    if pledge.method == PledgeMethod.CARD:
        raise Conflict.on("pledge", Msg("在线支付的认捐由支付平台通知到账，不能手工确认"))
    problems: dict[str, str] = {}
    try:
        check_pledge_amount(received_amount, field="received_amount")
    except DomainError as error:
        problems.update(error.fields)
    reference = (bank_reference or "").strip()
    if pledge.method == PledgeMethod.BANK_TRANSFER and not reference:
        problems["bank_reference"] = Msg("请填写银行流水号，便于对账")
    elif len(reference) > BANK_REFERENCE_MAX:
        problems["bank_reference"] = Msg("银行流水号不能超过 %(n)d 个字符", n=BANK_REFERENCE_MAX)
    if len(note.strip()) > 300:
        problems["note"] = Msg("备注不能超过 300 个字")
    if problems:
        raise DomainError(problems)
    if pledge.status in MONEY_HELD or pledge.status == PledgeStatus.REFUNDED:
        if pledge.bank_reference == (reference or None) and pledge.paid_amount == received_amount:
            return pledge  # the same confirmation submitted twice
        raise Conflict.on(
            "bank_reference",
            Msg("该认捐已确认到账（流水号 %(ref)s），不能再次确认", ref=pledge.bank_reference or "—"),
        )
    # A reference already on another pledge: the UNIQUE constraint refuses it in mark_paid.
    mark_paid(
        pledge,
        received_amount,
        actor_id=staff.id,
        source=f"staff: {note.strip()}" if note.strip() else "staff",
        bank_reference=reference or None,
    )
    return pledge


def flag_pledge(pledge: Pledge, reason: str) -> None:
    """Something needs a person (amount mismatch, dispute, failed refund): shown on the staff queue."""
    db.session.execute(update(Pledge).where(Pledge.id == pledge.id).values(flag_reason=reason[:300]))
    db.session.flush()
    db.session.refresh(pledge)
    audit.record("pledge.flagged", subject=pledge, payload={"reason": reason[:300]})


def clear_flag(pledge: Pledge, staff: User | None) -> Pledge:
    _require_staff(staff, "pledge", Msg("只有团区委工作人员可以处理异常认捐"))
    assert staff is not None
    db.session.execute(update(Pledge).where(Pledge.id == pledge.id).values(flag_reason=None))
    db.session.flush()
    db.session.refresh(pledge)
    audit.record("pledge.flag_cleared", actor_id=staff.id, subject=pledge)
    return pledge


def mark_card_paid(
    pledge: Pledge, *, amount: int | None, currency: str | None, payment_intent_id: str | None, source: str
) -> str:
    """A card payment Stripe reports as paid. Returns "applied", "no-change" or "flagged".

    The amount and currency must match the pledge exactly; otherwise the pledge stays pending and
    is flagged for staff rather than counting money that may not be what was pledged.
    """
    if (currency or "").upper() != pledge.currency or amount != pledge.amount:
        if pledge.status != PledgeStatus.PENDING:
            return "no-change"
        flag_pledge(
            pledge,
            f"支付平台报告的金额或币种与认捐不符：{amount} {currency}"
            f"（认捐 {pledge.amount} {pledge.currency}）",
        )
        return "flagged"
    changed = mark_paid(pledge, amount, actor_id=None, source=source, payment_intent_id=payment_intent_id)
    return "applied" if changed else "no-change"


def close_pending(pledge: Pledge, target: PledgeStatus, *, actor_id: int | None, reason: str = "") -> bool:
    """pending → failed | cancelled | expired. False when the pledge had already moved on."""
    moved = db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge.id, Pledge.status.in_(sources_for(target)))
        .values(status=target.value, closed_at=utcnow())
    ).rowcount
    db.session.flush()
    db.session.refresh(pledge)
    if moved == 1:
        audit.record(f"pledge.{target.value}", actor_id=actor_id, subject=pledge, payload={"reason": reason})
    return moved == 1


def cancel_pledge(pledge: Pledge, actor: User | None) -> Pledge:
    """The pledging company (or staff) withdraws a pledge before any money arrived."""
    if actor is None or not (actor.is_staff or actor.company_id == pledge.company_id):
        raise Forbidden.on("pledge", Msg("只能取消本企业的认捐"))
    if not close_pending(pledge, PledgeStatus.CANCELLED, actor_id=actor.id):
        raise Conflict.on("pledge", Msg("只有待到账的认捐可以取消"))
    return pledge


# ---------------------------------------------------------------------------------------------
# Money going back


class RefundGateway(Protocol):
    def create_refund(self, *, payment_intent_id: str, amount: int, idempotency_key: str) -> Any: ...


def record_refunded_total(pledge: Pledge, refunded_total: int, *, actor_id: int | None, source: str) -> int:
    """Bring the pledge's refunded amount up to the absolute `refunded_total` (as Stripe reports
    it on `charge.refunded`); return how much more was refunded now.

    Absolute totals make duplicated and reordered refund events harmless: a smaller or equal
    total changes nothing. The optimistic ``WHERE refunded_amount = :seen`` keeps two concurrent
    callers from both writing the same difference.
    """
    for _attempt in range(10):
        db.session.refresh(pledge)
        seen = pledge.refunded_amount
        paid = pledge.paid_amount or 0
        if pledge.status not in MONEY_HELD or refunded_total <= seen:
            return 0
        if refunded_total > paid:
            flag_pledge(pledge, f"退款总额 {refunded_total} 超过到账金额 {paid}，请核对")
            refunded_total = paid
            if refunded_total <= seen:
                return 0
        full = refunded_total == paid
        moved = db.session.execute(
            update(Pledge)
            .where(
                Pledge.id == pledge.id,
                Pledge.refunded_amount == seen,
                Pledge.status.in_([status.value for status in MONEY_HELD]),
            )
            .values(
                refunded_amount=refunded_total,
                status=PledgeStatus.REFUNDED.value if full else Pledge.status,
                closed_at=utcnow() if full else Pledge.closed_at,
            )
        ).rowcount
        if moved != 1:
            continue  # someone else recorded a refund in between: look again
        delta = refunded_total - seen
        _ledger(
            project_id=pledge.project_id,
            kind=LedgerKind.REFUND,
            amount=-delta,
            reference=f"pledge-{pledge.id}-refunded-to-{refunded_total}",
            account=_account_of(pledge),
            pledge_id=pledge.id,
            note=source,
        )
        db.session.flush()
        db.session.refresh(pledge)
        if pledge.project_id is not None:
            _bump_project(pledge.project_id, raised=-delta)
            _recount_supporters(pledge.project_id)
            db.session.flush()
            reverse_matches(pledge)
        audit.record(
            "pledge.refunded",
            actor_id=actor_id,
            subject=pledge,
            payload={"amount": delta, "refunded_total": refunded_total, "source": source},
        )
        return delta
    raise Conflict.on("pledge", Msg("退款正在被同时处理，请稍后刷新查看"))


def refund_idempotency_key(pledge: Pledge, refunded_total: int) -> str:
    return f"pledge-{pledge.id}-refund-to-{refunded_total}"


def refund_pledge(
    pledge: Pledge,
    staff: User | None,
    *,
    amount: int | None,
    gateway: RefundGateway | None,
    note: str = "",
) -> int:
    """Staff refund part or all of a paid pledge. Card payments go back through Stripe (with an
    idempotency key naming the new refunded total); bank transfers and goods are recorded as
    returned by staff. Returns the amount refunded now."""
    _require_staff(staff, "pledge", Msg("只有团区委工作人员可以退款"))
    assert staff is not None
    if pledge.status not in MONEY_HELD:
        raise Conflict.on("pledge", Msg("只有已到账的认捐可以退款"))
    refund_now = check_refund(pledge.paid_amount or 0, pledge.refunded_amount, amount)
    target = pledge.refunded_amount + refund_now
    if pledge.method == PledgeMethod.CARD:
        if gateway is None or not pledge.payment_intent_id:
            raise Conflict.on("pledge", Msg("在线支付未配置，暂时无法原路退款"))
        gateway.create_refund(
            payment_intent_id=pledge.payment_intent_id,
            amount=refund_now,
            idempotency_key=refund_idempotency_key(pledge, target),
        )
    refunded = record_refunded_total(pledge, target, actor_id=staff.id, source=note or "staff")
    if refunded:
        _notify_company(
            pledge,
            Msg("认捐已退款"),
            Msg(
                "您对「%(title)s」的认捐已退回 %(amount)s。",
                title=pledge.purpose,
                amount=format_fen(refunded),
            ),
        )
    return refunded


def mark_refund_due(pledge: Pledge, *, reason: str) -> bool:
    """paid → refund_due: the money must go back by bank transfer; staff record it when sent."""
    moved = db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge.id, Pledge.status.in_(sources_for(PledgeStatus.REFUND_DUE)))
        .values(status=PledgeStatus.REFUND_DUE.value)
    ).rowcount
    db.session.flush()
    db.session.refresh(pledge)
    if moved == 1:
        audit.record("pledge.refund_due", subject=pledge, payload={"reason": reason})
    return moved == 1


# ---------------------------------------------------------------------------------------------
# Matching funds (配捐)


def _eligible_pools(pledge: Pledge, project: Project, now: datetime) -> list[MatchingPool]:
    pools = db.session.scalars(
        select(MatchingPool)
        .where(
            MatchingPool.active.is_(True),
            MatchingPool.starts_at <= now,
            MatchingPool.ends_at > now,
            MatchingPool.remaining > 0,
            MatchingPool.company_id != pledge.company_id,  # a company never matches itself
        )
        .order_by(MatchingPool.id)
    ).all()
    return [
        pool
        for pool in pools
        if (not pool.category_ids or project.category_id in pool.category_ids)
        and (not pool.districts or project.district in pool.districts)
    ]


def _project_matched(pool_id: int, project_id: int) -> int:
    return (
        db.session.scalar(
            select(PoolProjectTotal.matched).where(
                PoolProjectTotal.pool_id == pool_id, PoolProjectTotal.project_id == project_id
            )
        )
        or 0
    )


def _offer(pool: MatchingPool, project_id: int) -> PoolOffer:
    remaining = db.session.scalar(select(MatchingPool.remaining).where(MatchingPool.id == pool.id)) or 0
    room = None
    if pool.cap_per_project is not None:
        room = max(pool.cap_per_project - _project_matched(pool.id, project_id), 0)
    return PoolOffer(pool.id, pool.ratio_bp, remaining, pool.cap_per_pledge, room)


def _ensure_pool_project_row(pool_id: int, project_id: int) -> None:
    exists = db.session.scalar(
        select(func.count())
        .select_from(PoolProjectTotal)
        .where(PoolProjectTotal.pool_id == pool_id, PoolProjectTotal.project_id == project_id)
    )
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(PoolProjectTotal(pool_id=pool_id, project_id=project_id, matched=0))
    except IntegrityError:
        pass  # a concurrent match created it first


def _take_from_pool(pool: MatchingPool, project_id: int, wanted: int) -> int:
    """Take up to `wanted` from the pool with conditional UPDATEs that can only succeed while the
    budget (and the per-project cap) still allow it; retry with what is left after a race."""
    _ensure_pool_project_row(pool.id, project_id)
    for _attempt in range(10):
        offer = _offer(pool, project_id)
        amount = min(
            wanted, offer.remaining, offer.project_room if offer.project_room is not None else wanted
        )
        if amount <= 0:
            return 0
        taken = db.session.execute(
            update(MatchingPool)
            .where(MatchingPool.id == pool.id, MatchingPool.remaining >= amount)
            .values(remaining=MatchingPool.remaining - amount)
        ).rowcount
        if taken != 1:
            continue
        room_ok = PoolProjectTotal.matched + amount <= pool.cap_per_project if pool.cap_per_project else True
        counted = db.session.execute(
            update(PoolProjectTotal)
            .where(PoolProjectTotal.pool_id == pool.id, PoolProjectTotal.project_id == project_id, room_ok)
            .values(matched=PoolProjectTotal.matched + amount)
        ).rowcount
        if counted == 1:
            return amount
        # The project cap filled up in between: give the budget back and look again.
        db.session.execute(
            update(MatchingPool)
            .where(MatchingPool.id == pool.id)
            .values(remaining=MatchingPool.remaining + amount)
        )
    return 0


def apply_matches(pledge: Pledge, project: Project) -> int:
    """Add the matching pools' share for a newly paid pledge to ``project``; return the total matched."""
    pools = _eligible_pools(pledge, project, utcnow())
    if not pools:
        return 0
    paid = pledge.paid_amount or 0
    shares = split_match(paid, [_offer(pool, project.id) for pool in pools])
    total = 0
    by_id = {pool.id: pool for pool in pools}
    for pool_id, share in shares.items():
        taken = _take_from_pool(by_id[pool_id], project.id, share)
        if taken <= 0:
            continue
        db.session.add(MatchCredit(pool_id=pool_id, pledge_id=pledge.id, project_id=project.id, amount=taken))
        _ledger(
            project_id=project.id,
            kind=LedgerKind.MATCH_CREDIT,
            amount=taken,
            reference=f"match-{pool_id}-pledge-{pledge.id}",
            account=_account_of(pledge),
            pledge_id=pledge.id,
            pool_id=pool_id,
        )
        total += taken
    if total:
        _bump_project(project.id, raised=total, matched=total)
        db.session.flush()
        audit.record("pledge.matched", subject=pledge, payload={"shares": shares, "total": total})
    return total


def reverse_matches(pledge: Pledge) -> int:
    """Take back the part of each match that follows a refund; the budget returns to the pool."""
    total = 0
    credits = db.session.scalars(select(MatchCredit).where(MatchCredit.pledge_id == pledge.id)).all()
    for credit in credits:
        db.session.refresh(credit)
        due = reversal_due(
            credit.amount, credit.reversed_amount, pledge.paid_amount or 0, pledge.refunded_amount
        )
        if due <= 0:
            continue
        seen = credit.reversed_amount
        moved = db.session.execute(
            update(MatchCredit)
            .where(MatchCredit.id == credit.id, MatchCredit.reversed_amount == seen)
            .values(reversed_amount=seen + due)
        ).rowcount
        if moved != 1:
            continue  # a concurrent refund of the same pledge reversed it
        db.session.execute(
            update(MatchingPool)
            .where(MatchingPool.id == credit.pool_id)
            .values(remaining=MatchingPool.remaining + due)
        )
        db.session.execute(
            update(PoolProjectTotal)
            .where(
                PoolProjectTotal.pool_id == credit.pool_id, PoolProjectTotal.project_id == credit.project_id
            )
            .values(matched=PoolProjectTotal.matched - due)
        )
        _ledger(
            project_id=credit.project_id,
            kind=LedgerKind.MATCH_REVERSAL,
            amount=-due,
            reference=f"match-{credit.pool_id}-pledge-{pledge.id}-reversed-to-{seen + due}",
            account=_account_of(pledge),
            pledge_id=pledge.id,
            pool_id=credit.pool_id,
        )
        total += due
    if total:
        _bump_project(pledge.project_id, raised=-total, matched=-total)
        db.session.flush()
    return total


@dataclass(frozen=True)
class PoolInput:
    name: str
    budget: int
    ratio_bp: int
    starts_at: datetime
    ends_at: datetime
    cap_per_pledge: int | None = None
    cap_per_project: int | None = None
    category_ids: tuple[int, ...] = ()
    districts: tuple[str, ...] = ()
    description: str = ""


def open_matching_pool(actor: User | None, data: PoolInput) -> MatchingPool:
    """A verified company sets aside a budget to match others' pledges (like 99公益日 配捐)."""
    company = pledging_company(actor)
    assert actor is not None
    check_pool_terms(
        PoolTerms(
            data.name,
            data.budget,
            data.ratio_bp,
            data.cap_per_pledge,
            data.cap_per_project,
            data.starts_at,
            data.ends_at,
        )
    )
    _check_pool_scope(data)
    if data.ends_at <= utcnow():
        raise DomainError.on("ends_at", Msg("结束时间必须晚于当前时间"))
    if len(data.description) > 500:
        raise DomainError.on("description", Msg("说明不能超过 500 个字"))
    pool = MatchingPool(
        company_id=company.id,
        name=data.name.strip(),
        description=data.description.strip(),
        budget=data.budget,
        remaining=data.budget,
        ratio_bp=data.ratio_bp,
        cap_per_pledge=data.cap_per_pledge,
        cap_per_project=data.cap_per_project,
        category_ids=sorted(set(data.category_ids)),
        districts=sorted(set(data.districts)),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        created_by_id=actor.id,
    )
    db.session.add(pool)
    db.session.flush()
    audit.record(
        "matching_pool.opened",
        actor_id=actor.id,
        subject=pool,
        payload={"budget": data.budget, "ratio_bp": data.ratio_bp},
    )
    return pool


def _check_pool_scope(data: PoolInput) -> None:
    from marketplace.taxonomy.models import Category, District

    known_categories = set(db.session.scalars(select(Category.id)))
    known_districts = set(db.session.scalars(select(District.name)))
    problems: dict[str, str] = {}
    if any(category_id not in known_categories for category_id in data.category_ids):
        problems["category_ids"] = Msg("包含不存在的项目类别")
    if any(name not in known_districts for name in data.districts):
        problems["districts"] = Msg("包含不存在的区县")
    if problems:
        raise DomainError(problems)


def close_matching_pool(pool: MatchingPool, actor: User | None) -> MatchingPool:
    """Stop matching new pledges; what was matched stays matched."""
    if actor is None or not (actor.is_staff or actor.company_id == pool.company_id):
        raise Forbidden.on("pool", Msg("只能关闭本企业的配捐计划"))
    pool.active = False
    db.session.flush()
    audit.record("matching_pool.closed", actor_id=actor.id, subject=pool)
    return pool


def pool_projects(pool: MatchingPool) -> list[tuple[Project, int]]:
    """The projects a pool has matched, with how much, largest first."""
    rows = db.session.execute(
        select(Project, PoolProjectTotal.matched)
        .join(PoolProjectTotal, PoolProjectTotal.project_id == Project.id)
        .where(PoolProjectTotal.pool_id == pool.id, PoolProjectTotal.matched > 0)
        .order_by(PoolProjectTotal.matched.desc(), Project.id)
    ).all()
    return [(project, matched) for project, matched in rows]


# ---------------------------------------------------------------------------------------------
# Disbursements and the ledger


def record_disbursement(
    project: Project, staff: User | None, *, amount: int, bank_reference: str, note: str = ""
) -> Disbursement:
    """Staff pay raised money out to the organization: never more than raised and not yet paid out."""
    _require_staff(staff, "disbursement", Msg("只有团区委工作人员可以登记拨付"))
    assert staff is not None
    problems: dict[str, str] = {}
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        problems["amount"] = Msg("拨付金额必须大于 0")
    reference = bank_reference.strip()
    if not reference:
        problems["bank_reference"] = Msg("请填写银行流水号")
    elif len(reference) > BANK_REFERENCE_MAX:
        problems["bank_reference"] = Msg("银行流水号不能超过 %(n)d 个字符", n=BANK_REFERENCE_MAX)
    if len(note) > 300:
        problems["note"] = Msg("备注不能超过 300 个字")
    if problems:
        raise DomainError(problems)
    if project.status not in (ProjectStatus.PUBLISHED, ProjectStatus.FUNDED, ProjectStatus.CLOSED):
        raise Conflict.on(
            "project", Msg("该项目当前状态为「%(status)s」，不能拨付", status=project.status_label)
        )
    if db.session.scalar(select(Disbursement.id).where(Disbursement.bank_reference == reference)):
        raise Conflict.on("bank_reference", Msg("该银行流水号已登记过一笔拨付"))
    claimed = db.session.execute(
        update(Project)
        .where(Project.id == project.id, Project.disbursed_amount + amount <= Project.raised_amount)
        .values(disbursed_amount=Project.disbursed_amount + amount)
    ).rowcount
    db.session.refresh(project)
    if claimed != 1:
        available = max(project.raised_amount - project.disbursed_amount, 0)
        raise DomainError.on(
            "amount", Msg("拨付金额不能超过可拨付余额 %(available)s", available=format_fen(available))
        )
    disbursement = Disbursement(
        project_id=project.id,
        amount=amount,
        bank_reference=reference,
        note=note.strip(),
        recorded_by_id=staff.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(disbursement)
    except IntegrityError:
        raise Conflict.on("bank_reference", Msg("该银行流水号已登记过一笔拨付")) from None
    payee = receiving_entity(project)
    _ledger(
        project_id=project.id,
        kind=LedgerKind.DISBURSEMENT,
        amount=amount,
        reference=f"disbursement-{disbursement.id}",
        account=payee.account if payee else "",
        disbursement_id=disbursement.id,
        note=reference,
    )
    db.session.flush()
    audit.record(
        "project.disbursed",
        actor_id=staff.id,
        subject=project,
        payload={"amount": amount, "bank_reference": reference},
    )
    return disbursement


def ledger_entries(project_id: int) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.project_id == project_id).order_by(LedgerEntry.id)
        )
    )


def ledger_total(project_id: int) -> int:
    """What the ledger says the project has raised: the raised kinds, summed in one statement."""
    # int(): PostgreSQL's SUM over BIGINT is NUMERIC, which arrives as Decimal.
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.project_id == project_id,
                LedgerEntry.kind.in_([kind.value for kind in RAISED_KINDS]),
            )
        )
        or 0
    )


def ledger_mismatches() -> list[tuple[int, int, int]]:
    """(project id, raised_amount, ledger sum) for every project whose total disagrees with its
    ledger — one SQL statement, so READ COMMITTED cannot show a half-finished movement."""
    ledger_sum = (
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .where(
            LedgerEntry.project_id == Project.id,
            LedgerEntry.kind.in_([kind.value for kind in RAISED_KINDS]),
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Project.id, Project.raised_amount, ledger_sum).where(Project.raised_amount != ledger_sum)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


# ---------------------------------------------------------------------------------------------
# Notifying people


def _notify_company(pledge: Pledge, title: Msg, body: Msg) -> None:
    from marketplace.notifications.operations import notify

    members = db.session.scalars(select(User).where(User.company_id == pledge.company_id)).all()
    notify(members, kind="pledge", title=title, body=body, link=f"/pledges/{pledge.id}")


def supporters_of(project: Project) -> list[User]:
    """Everyone who backs the project with money: members of companies with a held pledge, and of
    companies whose matching pool contributed."""
    paying = select(Pledge.company_id).where(
        Pledge.project_id == project.id,
        Pledge.status.in_([status.value for status in MONEY_HELD]),
    )
    matching = (
        select(MatchingPool.company_id)
        .join(MatchCredit, MatchCredit.pool_id == MatchingPool.id)
        .where(MatchCredit.project_id == project.id, MatchCredit.amount > MatchCredit.reversed_amount)
    )
    return list(
        db.session.scalars(
            select(User)
            .where(or_(User.company_id.in_(paying), User.company_id.in_(matching)), User.active.is_(True))
            .order_by(User.id)
        )
    )


def pledges_for(project: Project, *, statuses: Iterable[str] | None = None) -> list[Pledge]:
    query = select(Pledge).where(Pledge.project_id == project.id).order_by(Pledge.id.desc())
    if statuses is not None:
        query = query.where(Pledge.status.in_(list(statuses)))
    return list(db.session.scalars(query))


def public_supporters(project: Project, limit: int = 50) -> list[Pledge]:
    """Paid pledges for the project page's supporter wall, newest first (anonymous ones unnamed)."""
    return list(
        db.session.scalars(
            select(Pledge)
            .where(
                Pledge.project_id == project.id,
                Pledge.status.in_([status.value for status in MONEY_HELD]),
            )
            .order_by(Pledge.paid_at.desc(), Pledge.id.desc())
            .limit(limit)
        )
    )
