"""Demo partnership agreements, played step by step through the agreement operations.

Every row comes from the operations people use (create, draft, edit, comment, propose, sign,
request changes, terminate, the expiry job; staff confirming a tranche's bank transfer). Only
timestamps of the rows a step created are moved back to when the story says it happened, as the
rest of the demo loader does; audit events keep the time they were really written, so the hash
chain stays intact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements.models import Agreement, AgreementComment, AgreementSignature, AgreementVersion
from marketplace.agreements.states import VersionStatus
from marketplace.agreements.terms import Terms, Tranche
from marketplace.demo import agreement_content
from marketplace.extensions import db
from marketplace.matching.models import Introduction
from marketplace.notifications.models import Notification
from marketplace.parties.models import Company, Organization
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry
from marketplace.pledges.states import PledgeStatus
from marketplace.projects.models import Project
from marketplace.timeutil import LOCAL_TZ, local_today, utcnow

if TYPE_CHECKING:
    from marketplace.demo.loader import LoadReport

# Notifications about things that happened a week or more ago have been read by then.
READ_AFTER_DAYS = 7


def load_agreements(
    companies: dict[str, Company],
    organizations: dict[str, Organization],
    projects_by_key: dict[str, Project],
    report: LoadReport,
) -> None:
    """The agreements, once: any agreement in the database means they were loaded."""
    loaded = db.session.scalar(select(Agreement.id).limit(1)) is not None
    for _record in agreement_content.AGREEMENTS:
        report.count("agreements", created=not loaded)
    if loaded:
        return
    now = utcnow()
    for record in agreement_content.AGREEMENTS:
        _Story(record, companies, organizations, projects_by_key, now).play()
    # What the daily jobs would have sent by now: the reminder to sign 「银龄食堂」 (proposed six days
    # ago) and the renewal reminder for 「每日一杯奶」 (ends within its notice period).
    ops.send_signature_reminders(now)
    ops.send_renewal_reminders(now)


@dataclass
class _Story:
    record: dict[str, Any]
    companies: dict[str, Company]
    organizations: dict[str, Organization]
    projects_by_key: dict[str, Project]
    now: datetime
    agreement: Agreement = field(init=False)
    steps_on_day: dict[int, int] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return local_today(self.now)

    def play(self) -> Agreement:
        record = self.record
        company = self.companies[record["company"]]
        organization = self.organizations[record["organization"]]
        when = self.moment(record["created_days_ago"])
        mark = _last_notification_id()
        self.agreement = ops.create_agreement(
            _user(record["broker"]),
            ops.AgreementInput(
                title=record["title"],
                company_id=company.id,
                organization_id=organization.id,
                project_ids=[self.projects_by_key[key].id for key in record["projects"]],
                starts_on=self.day(record["starts_days"]),
                ends_on=self.day(record["ends_days"]),
                auto_renew=record["auto_renew"],
                renewal_notice_days=record["renewal_notice_days"],
                introduction_id=self.introduction_id(company),
            ),
        )
        self.agreement.created_at = when
        for party in self.agreement.parties:
            signer = record["signers"].get(party.role)
            if signer is not None:
                email, title = signer
                ops.set_signer(
                    self.agreement, party, _user(record["broker"]), signer_id=_user(email).id, title=title
                )
        self.settle(when, mark)
        for step in record["steps"]:
            when = self.moment(step["days_ago"])
            if "by" in step:
                self.read_until(_user(step["by"]), when)
            mark = _last_notification_id()
            STEPS[step["do"]](self, step, when)
            self.settle(when, mark)
        if self.agreement.status != record["status"]:
            raise ValueError(
                f"demo agreement {record['key']} ended {self.agreement.status}, expected {record['status']}"
            )
        return self.agreement

    # ── time ──

    def day(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def moment(self, days_ago: int) -> datetime:
        """Office hours on that day, Wenzhou time: 09:10, then ~50 minutes later for each further
        step of the same story that day (never later than now)."""
        slot = self.steps_on_day.get(days_ago, 0)
        self.steps_on_day[days_ago] = slot + 1
        local = datetime.combine(self.day(-days_ago), time(9, 10), tzinfo=LOCAL_TZ)
        local += timedelta(minutes=50 * slot)
        return min(local.astimezone(UTC).replace(tzinfo=None), self.now)

    def settle(self, when: datetime, mark: int) -> None:
        """Date what the step changed: the agreement's last change and the notifications it sent."""
        self.agreement.updated_at = when
        read_at = when + timedelta(hours=2) if self.now - when >= timedelta(days=READ_AFTER_DAYS) else None
        db.session.execute(
            update(Notification)
            .where(Notification.id > mark)
            .values(created_at=when, read_at=read_at)
            .execution_options(synchronize_session=False)
        )
        db.session.flush()

    def read_until(self, user: User, when: datetime) -> None:
        """Whoever acts on the agreement has read what they were told about it before."""
        db.session.execute(
            update(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.link == f"/agreements/{self.agreement.id}",
                Notification.read_at.is_(None),
                Notification.created_at <= when,
            )
            .values(read_at=when)
            .execution_options(synchronize_session=False)
        )

    # ── lookups ──

    def introduction_id(self, company: Company) -> int | None:
        key = self.record["introduced_project"]
        if key is None:
            return None
        return db.session.scalar(
            select(Introduction.id)
            .where(
                Introduction.company_id == company.id,
                Introduction.project_id == self.projects_by_key[key].id,
            )
            .order_by(Introduction.id)
            .limit(1)
        )

    def version_input(self, name: str) -> ops.VersionInput:
        spec = self.record["terms"][name]
        committed = spec.get("committed_yuan")
        return ops.VersionInput(
            terms=Terms(
                scope=spec["scope"],
                obligations_company=spec["obligations_company"],
                obligations_organization=spec["obligations_organization"],
                in_kind=spec["in_kind"],
                volunteers=spec["volunteers"],
                kpis=tuple(spec["kpis"]),
                confidentiality=spec["confidentiality"],
                dispute=spec["dispute"],
                extra=tuple(spec["extra"]),
            ),
            committed_amount=committed * 100 if committed is not None else None,
            tranches=tuple(
                Tranche(self.day(item["due_days"]), item["amount_yuan"] * 100, note=item["note"])
                for item in spec.get("tranches", [])
            ),
        )

    def pending(self) -> AgreementVersion:
        version = self.agreement.pending_version
        assert version is not None, f"demo agreement {self.record['key']}: no version in play"
        return version

    def transition(self, step: dict[str, Any], action: str, **values: Any) -> None:
        ops.transition(self.agreement, _user(step["by"]), ops.TransitionRequest(action, **values))


# ── steps: each plays one thing a person (or the daily job) did, then dates what it created ──


def _draft(story: _Story, step: dict[str, Any], when: datetime) -> None:
    version = ops.add_version(story.agreement, _user(step["by"]), story.version_input(step["terms"]))
    version.created_at = version.updated_at = when


def _edit(story: _Story, step: dict[str, Any], when: datetime) -> None:
    version = ops.update_version(story.pending(), _user(step["by"]), story.version_input(step["terms"]))
    version.updated_at = when


def _comment(story: _Story, step: dict[str, Any], when: datetime) -> None:
    # On the version under discussion; after a change request, the withdrawn one it answers.
    agreement = story.agreement
    about = agreement.pending_version or agreement.current_version or agreement.latest_version
    comment = ops.add_comment(
        agreement, _user(step["by"]), version_id=about.id if about else None, body=step["body"]
    )
    comment.created_at = when


def _propose(story: _Story, step: dict[str, Any], when: datetime) -> None:
    version = story.pending()
    story.transition(step, "propose", version_id=version.id)
    version.proposed_at = when


def _sign(story: _Story, step: dict[str, Any], when: datetime) -> None:
    version = story.pending()
    signer = _user(step["by"])
    previous = story.agreement.current_version
    story.transition(step, "sign", version_id=version.id, content_sha256=version.content_sha256)
    signature = db.session.scalar(
        select(AgreementSignature).where(
            AgreementSignature.version_id == version.id, AgreementSignature.signer_id == signer.id
        )
    )
    assert signature is not None
    signature.signed_at = when
    if version.status != VersionStatus.SIGNED:
        return
    # The last signature: the version took effect, and its tranches became scheduled pledges.
    version.signed_at = when
    if previous is None:
        story.agreement.activated_at = when
    elif previous.id != version.id:
        previous.closed_at = when
    for pledge in ops.agreement_pledges(story.agreement):
        if pledge.agreement_version_id == version.id:
            pledge.created_at = when


def _request_changes(story: _Story, step: dict[str, Any], when: datetime) -> None:
    version = story.pending()
    story.transition(step, "request_changes", version_id=version.id, reason=step["reason"])
    version.closed_at = when
    _date_last_comment(story.agreement, when)


def _confirm(story: _Story, step: dict[str, Any], when: datetime) -> None:
    """Staff record the bank transfer of a tranche, with the bank's reference, as in the pledge queue."""
    pledge = next(
        pledge
        for pledge in ops.agreement_pledges(story.agreement)
        if pledge.tranche_no == step["tranche"] and pledge.status == PledgeStatus.PENDING
    )
    pledges.confirm_offline_pledge(
        pledge, _user(step["by"]), received_amount=pledge.amount, bank_reference=step["reference"]
    )
    pledge.paid_at = when
    for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.pledge_id == pledge.id)):
        entry.created_at = when


def _terminate(story: _Story, step: dict[str, Any], when: datetime) -> None:
    story.transition(step, "terminate", reason=step["reason"])
    story.agreement.ended_at = when
    for pledge in ops.agreement_pledges(story.agreement):
        if pledge.status == PledgeStatus.CANCELLED:
            pledge.closed_at = when


def _expire(story: _Story, step: dict[str, Any], when: datetime) -> None:
    """The daily job, run on the day after the end date."""
    result = ops.expire_agreements(story.now)
    assert story.agreement.id in result.expired, f"demo agreement {story.record['key']} did not expire"
    story.agreement.ended_at = when


STEPS: dict[str, Callable[[_Story, dict[str, Any], datetime], None]] = {
    "draft": _draft,
    "edit": _edit,
    "comment": _comment,
    "propose": _propose,
    "sign": _sign,
    "request_changes": _request_changes,
    "confirm": _confirm,
    "terminate": _terminate,
    "expire": _expire,
}


def _date_last_comment(agreement: Agreement, when: datetime) -> None:
    comment = db.session.scalar(
        select(AgreementComment)
        .where(AgreementComment.agreement_id == agreement.id)
        .order_by(AgreementComment.id.desc())
        .limit(1)
    )
    if comment is not None:
        comment.created_at = when


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise ValueError(f"demo agreement names an unknown user {email}")
    return user


def _last_notification_id() -> int:
    return db.session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
