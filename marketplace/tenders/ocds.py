"""A tender as an OCDS 1.1 release package (one release), with the bids and subcontracting extensions.

``release_package(tender, published=…, uri=…, base_url=…)`` returns a plain dict ready for
``json.dumps``. The release is a snapshot of the tender now; its ``id`` is the ocid plus a hash of
its content, so it changes whenever the tender, a published bid or an award changes.

What is published
-----------------
- ``ocid`` = ``{OCDS_OCID_PREFIX}-tender-{tender.id}``; party ids are ``buyer-{id}`` and ``org-{id}``;
  party identifiers use the 统一社会信用代码 (``scheme: "CN-USCC"``) when there is one.
- Bids stay sealed while the tender is draft or open (招标投标法 第22条: nothing that could affect
  fair competition is disclosed before the bids are opened): no ``bids``, no tenderers, no
  ``numberOfTenderers``, and the release ``date`` (then the publication time) and ``id`` ignore
  bid activity. From the deadline
  on, every ``submitted``, ``valid``, ``disqualified``, ``awarded`` or ``unsuccessful`` bid is
  published; drafts, withdrawn, invalid (edited, not re-submitted) and cancelled bids never are.
- Bid status: submitted → ``pending``; valid, awarded and unsuccessful → ``valid`` (an unsuccessful
  bid was a valid one); disqualified → ``disqualified``.
- Tender status: draft → ``planning``; open, evaluating → ``active``; awarded → ``complete``;
  unsuccessful → ``unsuccessful``; cancelled → ``cancelled``.
- Tag: draft → ``planning``; cancelled → ``tenderCancellation``; unsuccessful → ``tenderUpdate``;
  with awards → ``award`` (plus ``awardUpdate`` once an award was declined or cancelled); else
  ``tender``.
- ``numberOfTenderers`` counts published bids: a consortium bids as one supplier (政府采购法 第24条).
- Party roles: ``buyer``; ``tenderer`` for the lead and every member of each published bid;
  ``supplier`` for the lead and every member of the bid holding a pending or signed award (the
  suppliers of a declined award stay in that award's ``suppliers`` but lose the role);
  ``subcontractor`` for every subcontractor declared in a published bid.
- Amounts are yuan (integer fen / 100, exact, at most two decimals) in CNY; proportions are 0–1
  (basis points / 10 000, exact). Times are ISO 8601 in Asia/Shanghai (+08:00); a contract date
  starts at 00:00:00 and ends at 23:59:59 that day.

Extension fields (ours; OCDS has no place for them)
---------------------------------------------------
- ``bids.details[].x_memberShares``: each bidder's part of the bid, lead first::

      [{"id": "org-12", "role": "lead", "share": 0.5, "scope": "项目统筹与社工服务"},
       {"id": "org-15", "role": "member", "share": 0.3, "scope": "心理咨询"}, …]

  ``id`` is the party id (as in ``tenderers``), ``role`` is ``lead`` or ``member``, ``share`` the
  member's share of the bid as a number from 0 to 1 (exact: 33.33 % is 0.3333; the shares of a bid
  sum to exactly 1), ``scope`` the work the member takes on (omitted when none was given, as for a
  single bidder). Single and prime-with-subcontractor bids have one entry, the lead, with share 1.
- ``…subcontracting.subcontracts[].x_share``: the subcontract's share of the bid (or award) value,
  0 to 1, and ``x_scope``: the subcontracted work. The subcontracting object's
  ``minimumPercentage`` and ``maximumPercentage`` both hold the exact total.
- ``awards[].subcontracting.subcontracts[].x_buyerConsent``: ``none`` | ``consented`` |
  ``refused`` — the buyer's consent, without which a subcontract cannot take effect (政府采购法 第48条).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from flask import current_app, has_app_context

from marketplace.money import BASIS_POINTS, FEN_PER_YUAN
from marketplace.tenders import rules
from marketplace.tenders.models import Bid, BidParticipant, Buyer, Tender, TenderAward
from marketplace.tenders.states import BidStatus, TenderStatus
from marketplace.timeutil import LOCAL_TZ, end_of_local_day, isoformat_local

OCDS_VERSION: Final = "1.1"
DEFAULT_OCID_PREFIX: Final = "ocds-qqc000"
PUBLISHER_NAME: Final = "青亲筹 · 共青团鹿城区委"
USCC_SCHEME: Final = "CN-USCC"
LANGUAGE: Final = "zh"
EXTENSIONS: Final = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_subcontracting_extension/master/extension.json",
)

TENDER_STATUSES: Final[dict[TenderStatus, str]] = {
    TenderStatus.DRAFT: "planning",
    TenderStatus.OPEN: "active",
    TenderStatus.EVALUATING: "active",
    TenderStatus.AWARDED: "complete",
    TenderStatus.UNSUCCESSFUL: "unsuccessful",
    TenderStatus.CANCELLED: "cancelled",
}
# Bids published once the tender is past its deadline, with their OCDS bidStatus.
BID_STATUSES: Final[dict[BidStatus, str]] = {
    BidStatus.SUBMITTED: "pending",
    BidStatus.VALID: "valid",
    BidStatus.DISQUALIFIED: "disqualified",
    BidStatus.AWARDED: "valid",
    BidStatus.UNSUCCESSFUL: "valid",
}
SEALED: Final = frozenset({TenderStatus.DRAFT, TenderStatus.OPEN})
CENT: Final = Decimal("0.01")


def release_package(
    tender: Tender,
    *,
    published: datetime,
    uri: str,
    base_url: str,
    ocid_prefix: str | None = None,
) -> dict[str, Any]:
    """The release package for ``tender``. ``published`` is naive UTC (like every stored time),
    ``uri`` this package's own address, ``base_url`` the platform's (the publisher's URI)."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": _time(published),
        "publisher": {"name": PUBLISHER_NAME, "uri": base_url},
        "releases": [build_release(tender, ocid_prefix=ocid_prefix)],
    }


def build_release(tender: Tender, *, ocid_prefix: str | None = None) -> dict[str, Any]:
    ocid = f"{ocid_prefix or _configured_prefix()}-tender-{tender.id}"
    bids = published_bids(tender)
    parties = _Parties()
    buyer = parties.add_buyer(tender.buyer)
    bid_details = [_bid(bid, parties) for bid in bids]
    awards = [_award(award, parties) for award in tender.awards]
    release: dict[str, Any] = {
        "ocid": ocid,
        "date": _time(_latest_change(tender, bids)),
        "tag": _tags(tender),
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": parties.entries(),
        "buyer": buyer,
        "tender": _tender(tender, bids),
    }
    if tender.status not in SEALED:
        release["bids"] = {"details": bid_details}
    if awards:
        release["awards"] = awards
    digest = hashlib.sha256(
        json.dumps(release, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    return {"ocid": ocid, "id": f"{ocid}-{digest[:16]}", **release}


def published_bids(tender: Tender) -> list[Bid]:
    """The bids the export shows: none while bids are sealed (a tender cancelled before its deadline
    never opened them), then every bid that was submitted and still stands or was evaluated — a
    cancellation after the opening keeps each bid as it was."""
    if tender.status in SEALED or (tender.status == TenderStatus.CANCELLED and tender.closed_at is None):
        return []
    return [bid for bid in tender.bids if _standing(bid) in BID_STATUSES]


def _standing(bid: Bid) -> BidStatus:
    """The bid's status, or for a cancelled bid the status it had when the tender was cancelled."""
    if bid.status == BidStatus.CANCELLED and bid.cancelled_from:
        return BidStatus(bid.cancelled_from)
    return BidStatus(bid.status)


# ─────────────────────────────── numbers and times ───────────────────────────────


def json_number(value: Decimal) -> int | float:
    """A Decimal for JSON: an int when whole, else the float whose shortest form is the decimal
    itself (at most 15 significant digits here, so nothing is lost)."""
    return int(value) if value == value.to_integral_value() else float(value)


def yuan(fen: int) -> int | float:
    return json_number(Decimal(fen) / FEN_PER_YUAN)


def proportion(basis_points: int) -> int | float:
    """Basis points as a 0–1 number: 3000 → 0.3, 3333 → 0.3333, 10000 → 1."""
    return json_number(Decimal(basis_points) / BASIS_POINTS)


def _value(fen: int) -> dict[str, Any]:
    return {"amount": yuan(fen), "currency": rules.CURRENCY}


def _share_of(fen: int, basis_points: int) -> dict[str, Any]:
    """``basis_points`` of ``fen``, in yuan rounded half up to the fen."""
    amount = (Decimal(fen) * basis_points / BASIS_POINTS / FEN_PER_YUAN).quantize(CENT, ROUND_HALF_UP)
    return {"amount": json_number(amount), "currency": rules.CURRENCY}


def _time(moment: datetime) -> str:
    return str(isoformat_local(moment.replace(microsecond=0)))


def _day_start(day: date) -> str:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).isoformat()


def _day_end(day: date) -> str:
    return _time(end_of_local_day(day))


def _configured_prefix() -> str:
    if has_app_context():
        return str(current_app.config.get("OCDS_OCID_PREFIX", DEFAULT_OCID_PREFIX))
    return DEFAULT_OCID_PREFIX


def _latest_change(tender: Tender, bids: Sequence[Bid]) -> datetime:
    """When the published content last changed. While bids are sealed only the tender's creation
    and publication count: ``updated_at`` also moves when a bid is prepared (the operations lock
    the tender row by touching it), and when bids come in is itself something bidders must not
    learn. A sealed tender's edits still change the release ``id``, which hashes the content."""
    moments: list[datetime | None] = [tender.created_at, tender.published_at]
    if tender.status in SEALED:
        return max(moment for moment in moments if moment is not None)
    moments += [tender.updated_at, tender.closed_at, tender.ended_at]
    for bid in bids:
        moments += [bid.updated_at, bid.submitted_at, bid.evaluated_at]
    for award in tender.awards:
        moments += [award.decided_at, award.declined_at]
        moments += [item.consent_recorded_at for item in award.bid.subcontractors]
        if award.agreement is not None:
            moments.append(award.agreement.activated_at)
    return max(moment for moment in moments if moment is not None)


def _tags(tender: Tender) -> list[str]:
    status = TenderStatus(tender.status)
    if status == TenderStatus.DRAFT:
        return ["planning"]
    if status == TenderStatus.CANCELLED:
        return ["tenderCancellation"]
    updated = ["awardUpdate"] if any(award.status != "pending" for award in tender.awards) else []
    if status == TenderStatus.UNSUCCESSFUL:
        return ["tenderUpdate", *updated]
    if tender.awards:
        return ["award", *updated]
    return ["tender"]


# ─────────────────────────────── parties ───────────────────────────────


class _Parties:
    """The release's parties in order of first mention, each with the union of its roles."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Any]] = {}

    def add_buyer(self, buyer: Buyer) -> dict[str, Any]:
        return self._add(f"buyer-{buyer.id}", buyer.name, buyer.uscc, "buyer")

    def add_org(self, participant: BidParticipant, role: str | None) -> dict[str, Any]:
        org = participant.organization
        return self._add(f"org-{org.id}", org.name, org.uscc, role)

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries.values())

    def _add(self, party_id: str, name: str, uscc: str | None, role: str | None) -> dict[str, Any]:
        entry = self._entries.get(party_id)
        if entry is None:
            entry = {"id": party_id, "name": name, "roles": []}
            if uscc:
                entry["identifier"] = {"scheme": USCC_SCHEME, "id": uscc, "legalName": name}
            self._entries[party_id] = entry
        if role is not None and role not in entry["roles"]:
            entry["roles"].append(role)
        return {"id": party_id, "name": name}


def _members_first_lead(bid: Bid) -> list[BidParticipant]:
    return sorted(bid.members, key=lambda item: (item.role != "lead", item.position, item.id))


# ─────────────────────────────── tender ───────────────────────────────


def _tender(tender: Tender, bids: Sequence[Bid]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(tender.id),
        "title": tender.title,
        "status": TENDER_STATUSES[TenderStatus(tender.status)],
        "value": _value(tender.budget),
        "procurementMethod": rules.OCDS_METHODS[rules.Method(tender.method)],
        "procurementMethodDetails": str(tender.method_label),
        "mainProcurementCategory": "services",
        "eligibilityCriteria": _eligibility(tender),
        "submissionMethod": ["electronicSubmission"],
        "submissionMethodDetails": (
            "在青亲筹平台在线编制投标；联合体成员和分包单位逐一在线确认后，由牵头方在截止时间前提交。"
            "正式公告以采购人指定的发布渠道为准。"
        ),
        "tenderPeriod": _period(tender.published_at, tender.submission_deadline),
        "subcontractingTerms": {"description": _subcontracting_terms(tender)},
    }
    if tender.description:
        data["description"] = tender.description
    if tender.enquiry_ends_at is not None:
        data["enquiryPeriod"] = _period(tender.published_at, tender.enquiry_ends_at)
    if tender.expected_award_on is not None:
        data["awardPeriod"] = {"endDate": _day_end(tender.expected_award_on)}
    contract = _contract_period(tender.contract_starts_on, tender.contract_ends_on)
    if contract:
        data["contractPeriod"] = contract
    if tender.status not in SEALED:
        data["numberOfTenderers"] = len(bids)
    if tender.notice_url:
        data["documents"] = [
            {"id": "notice", "documentType": "tenderNotice", "title": "采购公告", "url": tender.notice_url}
        ]
    return data


def _period(start: datetime | None, end: datetime) -> dict[str, str]:
    period = {"endDate": _time(end)}
    if start is not None:
        period = {"startDate": _time(start), **period}
    return period


def _contract_period(starts: date | None, ends: date | None) -> dict[str, str]:
    period: dict[str, str] = {}
    if starts is not None:
        period["startDate"] = _day_start(starts)
    if ends is not None:
        period["endDate"] = _day_end(ends)
    return period


def _eligibility(tender: Tender) -> str:
    if tender.allows_consortium:
        limit = f"（最多 {tender.max_members} 家）" if tender.max_members else ""
        parts = [f"接受联合体投标{limit}"]
    else:
        parts = ["不接受联合体投标"]
    if tender.min_grade:
        parts.append(
            f"社会组织评估等级 {rules.grade_label(tender.min_grade)} 及以上：{tender.grade_rule_label}"
        )
    if tender.grade_rule_basis:
        parts.append(f"依据：{tender.grade_rule_basis}")
    return "；".join(parts)


def _subcontracting_terms(tender: Tender) -> str:
    if not tender.allows_subcontracting:
        return "不允许分包"
    cap = (
        f"，分包份额合计不超过 {rules.format_share(tender.max_subcontract_share)}%"
        if tender.max_subcontract_share is not None
        else ""
    )
    return f"允许分包{cap}；只能分包非主体、非关键性工作，须在投标中载明并经采购人同意，分包单位不得再次分包"


# ─────────────────────────────── bids ───────────────────────────────


def _bid(bid: Bid, parties: _Parties) -> dict[str, Any]:
    members = _members_first_lead(bid)
    tenderers = [parties.add_org(member, "tenderer") for member in members]
    data: dict[str, Any] = {
        "id": str(bid.id),
        "status": BID_STATUSES[_standing(bid)],
        "description": str(bid.mode_label),
        "tenderers": tenderers,
        "value": _value(bid.price),
        "hasSubcontracting": bool(bid.subcontractors),
        "x_memberShares": [_member_share(member) for member in members],
    }
    if bid.submitted_at is not None:
        data["date"] = _time(bid.submitted_at)
    if bid.subcontractors:
        data["subcontracting"] = _subcontracting(bid, bid.price, parties, tenderers[:1], with_consent=False)
    return data


def _member_share(member: BidParticipant) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": f"org-{member.organization_id}",
        "role": member.role,
        "share": proportion(member.share),
    }
    if member.scope.strip():
        entry["scope"] = member.scope.strip()
    return entry


def _subcontracting(
    bid: Bid, fen: int, parties: _Parties, main_contractors: list[dict[str, Any]], *, with_consent: bool
) -> dict[str, Any]:
    """The subcontracts of ``bid`` on a contract worth ``fen``. Every subcontract hangs under the
    lead: the models record no other main contractor."""
    lines = bid.subcontractors
    total = sum(line.share for line in lines)
    subcontracts = []
    for line in lines:
        item: dict[str, Any] = {
            "id": f"sub-{line.id}",
            "subcontractor": parties.add_org(line, "subcontractor"),
            "mainContractors": [dict(ref) for ref in main_contractors],
            "x_share": proportion(line.share),
        }
        if line.scope.strip():
            item["x_scope"] = line.scope.strip()
        if with_consent:
            item["x_buyerConsent"] = line.consent_status
        subcontracts.append(item)
    data: dict[str, Any] = {
        "minimumPercentage": proportion(total),
        "maximumPercentage": proportion(total),
        "value": _share_of(fen, total),
        "subcontracts": subcontracts,
    }
    description = "；".join(_scopes(lines))
    if description:
        data["description"] = description
    return data


def _scopes(lines: Iterable[BidParticipant]) -> list[str]:
    return [line.scope.strip() for line in lines if line.scope.strip()]


# ─────────────────────────────── awards ───────────────────────────────


def _award(award: TenderAward, parties: _Parties) -> dict[str, Any]:
    bid = award.bid
    role = "supplier" if award.status == "pending" else None
    suppliers = [parties.add_org(member, role) for member in _members_first_lead(bid)]
    data: dict[str, Any] = {
        "id": str(award.id),
        "status": award.ocds_status,
        "date": _time(award.decided_at),
        "value": _value(award.value),
        "suppliers": suppliers,
        "relatedBids": [str(bid.id)],
        "hasSubcontracting": bool(bid.subcontractors),
    }
    if award.status == "declined" and award.decline_reason:
        data["description"] = f"中标人放弃签约：{award.decline_reason}"
    contract = _contract_period(award.tender.contract_starts_on, award.tender.contract_ends_on)
    if contract:
        data["contractPeriod"] = contract
    if bid.subcontractors:
        data["subcontracting"] = _subcontracting(bid, award.value, parties, suppliers[:1], with_consent=True)
    return data
