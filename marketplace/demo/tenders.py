"""Demo service purchases, played step by step through the tender operations.

Every row comes from the operations people use: staff publish, edit, evaluate, award, record the
buyer's signature and consent, cancel; organizations prepare, confirm and submit bids, invite the
partners the finder suggests and sign the contract. A tender whose deadline the story puts in the
past is run with its real deadline a day ahead, then the deadline is moved back in the database and
the evaluation operations are given the story's ``now``. Rows a step wrote get the story's time, as
the rest of the demo loader does; audit events keep the time they were really written, so the hash
chain stays intact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from fpdf import FPDF
from sqlalchemy import select, update

from marketplace.accounts.models import User
from marketplace.agreements import operations as agreements
from marketplace.agreements.models import Agreement, AgreementSignature, AgreementVersion
from marketplace.demo import tender_content
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.parties.models import Organization
from marketplace.parties.uscc import make_uscc
from marketplace.tenders import operations as ops
from marketplace.tenders import partner_operations
from marketplace.tenders.models import (
    Bid,
    BidDocument,
    BidParticipant,
    Buyer,
    ConsortiumInvitation,
    Tender,
    TenderAward,
)
from marketplace.timeutil import LOCAL_TZ, local_today, utcnow

if TYPE_CHECKING:
    from marketplace.demo.loader import LoadReport

# Notifications about things that happened a week or more ago have been read by then.
READ_AFTER_DAYS = 7
DEADLINE_AT = time(9, 30)
ENQUIRY_ENDS_AT = time(17, 0)
# The timestamp columns an operation fills with the current time; a step's rows get the story's.
DATED: tuple[tuple[type, tuple[str, ...]], ...] = (
    (Buyer, ("created_at",)),
    (Tender, ("created_at", "updated_at", "published_at", "closed_at", "ended_at")),
    (Bid, ("created_at", "updated_at", "submitted_at", "withdrawn_at", "evaluated_at")),
    (BidParticipant, ("confirmed_at", "consent_recorded_at", "activated_at")),
    (BidDocument, ("uploaded_at",)),
    (ConsortiumInvitation, ("created_at", "responded_at")),
    (TenderAward, ("decided_at", "declined_at")),
    (Agreement, ("created_at", "updated_at", "activated_at", "ended_at")),
    (AgreementVersion, ("created_at", "updated_at", "proposed_at", "signed_at", "closed_at")),
    (AgreementSignature, ("signed_at",)),
)


def load_tenders(organizations: dict[str, Organization], report: LoadReport) -> None:
    """The tenders, once: any tender in the database means they were loaded."""
    loaded = db.session.scalar(select(Tender.id).limit(1)) is not None
    for _record in tender_content.TENDERS:
        report.count("tenders", created=not loaded)
    if loaded:
        return
    now = utcnow().replace(microsecond=0)
    for record in tender_content.TENDERS:
        _Story(record, organizations, now).play()


@dataclass
class _Story:
    record: dict[str, Any]
    organizations: dict[str, Organization]
    now: datetime
    tender: Tender = field(init=False)
    bids: dict[str, Bid] = field(default_factory=dict)
    steps_on_day: dict[int, int] = field(default_factory=dict)
    last: datetime | None = None

    def play(self) -> Tender:
        record = self.record
        for step in record["steps"]:
            when = self.deadline if step["do"] == "close" else self.moment(step["days_ago"])
            if self.last is not None and when < self.last:
                raise ValueError(f"demo tender {record['key']}: step {step['do']} is out of order")
            self.last = when
            started = utcnow()
            mark = _last_notification_id()
            STEPS[step["do"]](self, step, when)
            self.settle(started, when, mark)
        if self.tender.status != record["status"]:
            raise ValueError(
                f"demo tender {record['key']} ended {self.tender.status}, expected {record['status']}"
            )
        for key, expected in record["bid_statuses"].items():
            ended = self.bids[key].status
            if ended != expected:
                raise ValueError(f"demo tender {record['key']}: bid {key} ended {ended}, expected {expected}")
        return self.tender

    # ── time ──

    @property
    def today(self) -> date:
        return local_today(self.now)

    def at(self, days: int, clock: time) -> datetime:
        local = datetime.combine(self.today + timedelta(days=days), clock, tzinfo=LOCAL_TZ)
        return local.astimezone(UTC).replace(tzinfo=None)

    def day(self, key: str) -> date | None:
        days = self.record[key]
        return None if days is None else self.today + timedelta(days=days)

    @property
    def deadline(self) -> datetime:
        return self.at(self.record["deadline_days"], DEADLINE_AT)

    @property
    def in_the_past(self) -> bool:
        return self.deadline <= self.now

    def moment(self, days_ago: int) -> datetime:
        """Office hours on that day, Wenzhou time: 09:10, then 50 minutes later for each further step
        of the same story that day (never later than now)."""
        slot = self.steps_on_day.get(days_ago, 0)
        self.steps_on_day[days_ago] = slot + 1
        return min(self.at(-days_ago, time(9, 10)) + timedelta(minutes=50 * slot), self.now)

    def settle(self, started: datetime, when: datetime, mark: int) -> None:
        """Date what the step wrote (every timestamp set since it started) and the notifications it sent."""
        db.session.flush()
        for model, columns in DATED:
            for name in columns:
                column = getattr(model, name)
                db.session.execute(
                    update(model)
                    .where(column >= started)
                    .values({name: when})
                    .execution_options(synchronize_session=False)
                )
        read_at = when + timedelta(hours=2) if self.now - when >= timedelta(days=READ_AFTER_DAYS) else None
        db.session.execute(
            update(Notification)
            .where(Notification.id > mark)
            .values(created_at=when, read_at=read_at)
            .execution_options(synchronize_session=False)
        )
        db.session.flush()
        db.session.expire_all()

    # ── lookups ──

    def organization(self, key: str) -> Organization:
        return self.organizations[key]

    def bid_input(self, key: str) -> ops.BidInput:
        spec = self.record["bids"][key]
        members = [
            ops.MemberInput(
                organization_id=self.organization(item["organization"]).id,
                role=item["role"],
                share=item["share"],
                scope=item["scope"],
            )
            for item in spec["members"]
        ]
        subcontractors = [
            ops.SubcontractInput(
                organization_id=self.organization(item["organization"]).id,
                share=item["share"],
                scope=item["scope"],
                is_core_work=False,
            )
            for item in spec["subcontractors"]
        ]
        return ops.BidInput(
            mode=spec["mode"],
            members=members or None,
            subcontractors=subcontractors,
            price=spec["price_yuan"] * 100,
            proposal=spec["proposal"],
        )

    def contract(self) -> Agreement:
        award = self.tender.current_award
        assert award is not None and award.agreement is not None, (
            f"demo tender {self.record['key']}: no contract"
        )
        return award.agreement

    def subcontract(self, step: dict[str, Any]) -> tuple[Bid, BidParticipant]:
        bid = self.bids[step["bid"]]
        organization = self.organization(step["subcontractor"])
        row = next(item for item in bid.subcontractors if item.organization_id == organization.id)
        return bid, row


# ── steps: each plays one thing a person did ──


def _create(story: _Story, step: dict[str, Any], when: datetime) -> None:
    record = story.record
    buyer = tender_content.BUYERS[record["buyer"]]
    past = story.in_the_past
    # A deadline the story puts in the past is a day ahead while the bids come in (see ``_close``).
    deadline = story.now + timedelta(days=1) if past else story.deadline
    story.tender = ops.create_tender(
        _user(step["by"]),
        ops.TenderInput(
            title=record["title"],
            description=record["description"],
            buyer_name=buyer["name"],
            buyer_kind=buyer["kind"],
            buyer_uscc=make_uscc(buyer["uscc_prefix"]),
            category=record["category"],
            district=record["district"],
            budget=record["budget_yuan"] * 100,
            budget_is_cap=record["budget_is_cap"],
            method=record["method"],
            enquiry_ends_at=None if past else story.at(record["enquiry_ends_days"], ENQUIRY_ENDS_AT),
            submission_deadline=deadline,
            expected_award_on=None if past else story.day("expected_award_days"),
            contract_starts_on=story.day("contract_starts_days"),
            contract_ends_on=story.day("contract_ends_days"),
            allows_consortium=record["allows_consortium"],
            max_members=record["max_members"],
            allows_subcontracting=record["allows_subcontracting"],
            max_subcontract_share=record["max_subcontract_share"],
            min_grade=record["min_grade"],
            grade_rule=record["grade_rule"],
            grade_rule_basis=record["grade_rule_basis"],
            required_documents=list(record["required_documents"]),
        ),
        publish=step["publish"],
    )


def _publish(story: _Story, step: dict[str, Any], when: datetime) -> None:
    ops.publish_tender(story.tender, _user(step["by"]))


def _bid(story: _Story, step: dict[str, Any], when: datetime) -> None:
    user = _user(step["by"])
    lead = story.organization(story.record["bids"][step["bid"]]["lead"])
    if user.organization_id != lead.id:
        raise ValueError(f"demo bid {step['bid']}: {step['by']} is not a member of its lead")
    story.bids[step["bid"]] = ops.create_bid(story.tender, user, story.bid_input(step["bid"]), now=when)


def _document(story: _Story, step: dict[str, Any], when: datetime) -> None:
    ops.add_document(
        story.bids[step["bid"]],
        _user(step["by"]),
        kind=step["kind"],
        title=step["title"],
        data=_placeholder_pdf(story.record["key"], step["bid"], step["kind"]),
        directory=Path(current_app.config["UPLOAD_DIR"]),
        now=when,
    )


def _confirm(story: _Story, step: dict[str, Any], when: datetime) -> None:
    ops.confirm_part(story.bids[step["bid"]], _user(step["by"]), now=when)


def _submit(story: _Story, step: dict[str, Any], when: datetime) -> None:
    if when >= story.deadline:
        raise ValueError(f"demo bid {step['bid']} is submitted after its tender's deadline")
    ops.submit_bid(story.bids[step["bid"]], _user(step["by"]), now=when)


def _invite(story: _Story, step: dict[str, Any], when: datetime) -> None:
    """The lead invites a partner from the finder's suggestions (the invitation keeps its reasons)."""
    partner_operations.invite_partner(
        story.tender,
        _user(step["by"]),
        story.organization(step["organization"]).id,
        step["message"],
        now=when,
    )


def _edit_tender(story: _Story, step: dict[str, Any], when: datetime) -> None:
    ops.update_tender(
        story.tender,
        _user(step["by"]),
        ops.TenderInput(budget=step["budget_yuan"] * 100, description=step["description"]),
    )


def _close(story: _Story, step: dict[str, Any], when: datetime) -> None:
    """The deadline passes: moved back to where the story has it, then submissions close at it."""
    tender, record = story.tender, story.record
    tender.submission_deadline = story.deadline
    tender.enquiry_ends_at = story.at(record["enquiry_ends_days"], ENQUIRY_ENDS_AT)
    tender.expected_award_on = story.day("expected_award_days")
    db.session.flush()
    if not ops.close_submissions(tender, now=when):
        raise ValueError(f"demo tender {record['key']} did not close")


def _evaluate(story: _Story, step: dict[str, Any], when: datetime) -> None:
    ops.evaluate_bid(
        story.tender,
        _user(step["by"]),
        ops.EvaluationInput(
            bid_id=story.bids[step["bid"]].id,
            result=step["result"],
            score=step.get("score"),
            reason=step.get("reason", ""),
        ),
        now=when,
    )


def _award(story: _Story, step: dict[str, Any], when: datetime) -> None:
    staff = _user(step["by"])
    award = ops.award(story.tender, staff, bid_id=story.bids[step["bid"]].id, now=when)
    contract = award.agreement
    assert contract is not None
    for key, (email, title) in step["signers"].items():
        organization = story.organization(key)
        party = next(item for item in contract.parties if item.organization_id == organization.id)
        agreements.set_signer(contract, party, staff, signer_id=_user(email).id, title=title)


def _buyer_signs(story: _Story, step: dict[str, Any], when: datetime) -> None:
    contract = story.contract()
    version = contract.pending_version
    assert version is not None
    buyer = next(party for party in contract.parties if party.role == "buyer")
    agreements.record_party_signature(
        contract,
        _user(step["by"]),
        agreements.RecordedSignature(
            party_id=buyer.id,
            version_id=version.id,
            content_sha256=version.content_sha256,
            signer_name=step["signer_name"],
            signer_title=step["signer_title"],
            evidence=step["evidence"],
        ),
    )


def _sign(story: _Story, step: dict[str, Any], when: datetime) -> None:
    contract = story.contract()
    version = contract.pending_version
    assert version is not None
    agreements.sign(contract, _user(step["by"]), version_id=version.id, content_sha256=version.content_sha256)


def _consent(story: _Story, step: dict[str, Any], when: datetime) -> None:
    bid, row = story.subcontract(step)
    ops.record_subcontract_consent(
        bid, _user(step["by"]), subcontract_id=row.id, consented=True, note=step["note"]
    )


def _activate_subcontract(story: _Story, step: dict[str, Any], when: datetime) -> None:
    bid, row = story.subcontract(step)
    ops.activate_subcontract(bid, _user(step["by"]), subcontract_id=row.id)


def _decline(story: _Story, step: dict[str, Any], when: datetime) -> None:
    ops.decline_award(story.tender, _user(step["by"]), reason=step["reason"], now=when)


def _cancel(story: _Story, step: dict[str, Any], when: datetime) -> None:
    ops.cancel_tender(story.tender, _user(step["by"]), reason=step["reason"])


STEPS: dict[str, Callable[[_Story, dict[str, Any], datetime], None]] = {
    "create": _create,
    "publish": _publish,
    "bid": _bid,
    "document": _document,
    "confirm": _confirm,
    "submit": _submit,
    "invite": _invite,
    "edit_tender": _edit_tender,
    "close": _close,
    "evaluate": _evaluate,
    "award": _award,
    "buyer_signs": _buyer_signs,
    "sign": _sign,
    "consent": _consent,
    "activate_subcontract": _activate_subcontract,
    "decline": _decline,
    "cancel": _cancel,
}


def _placeholder_pdf(tender_key: str, bid_key: str, kind: str) -> bytes:
    """A one-page PDF standing in for the scanned document (ASCII only: no CJK font is needed)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text="Qingqinchou demo data - placeholder bid document")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=11)
    pdf.cell(text=f"tender: {tender_key}   bid: {bid_key}   kind: {kind}")
    return bytes(pdf.output())


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise ValueError(f"demo tender names an unknown user {email}")
    return user


def _last_notification_id() -> int:
    return db.session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
