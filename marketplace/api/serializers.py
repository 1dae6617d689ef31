"""Model → JSON for the API. Amounts are integer fen; moments are ISO 8601 in Wenzhou time (+08:00).

What a caller may see is decided by the caller passed in: ``return_reason`` and the allowed
actions only for the owner and staff, contact details only for a party's own members and staff,
an anonymous pledge's company only for that company and staff, a pledge's flag only for staff.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import Role, User
from marketplace.agreements.models import Agreement, AgreementParty, AgreementSignature, AgreementVersion
from marketplace.parties.models import Company, Organization
from marketplace.pledges.accounting import RAISED_KINDS, refundable
from marketplace.pledges.models import LedgerEntry, MatchingPool, Pledge
from marketplace.pledges.operations import receiving_entity
from marketplace.pledges.states import PledgeMethod, PledgeStatus
from marketplace.projects.models import Project
from marketplace.projects.operations import is_owner
from marketplace.projects.states import Actor, allowed_actions
from marketplace.rendering import render_markdown
from marketplace.taxonomy.models import Category, District
from marketplace.timeutil import isoformat_local, utcnow


def party_ref(party: Organization | Company | None) -> dict[str, Any] | None:
    return None if party is None else {"id": party.id, "name": party.name}


def _actor(project: Project, user: User | None) -> Actor | None:
    if user is not None and user.is_staff:
        return Actor.STAFF
    if is_owner(project, user):
        return Actor.OWNER
    return None


def receiving_entity_ref(project: Project) -> dict[str, str] | None:
    """Who receives the project's money: the organization itself (公开募捐资格) or a partner
    foundation; None while staff have configured neither."""
    entity = receiving_entity(project)
    return None if entity is None else {"kind": entity.kind, "name": entity.name}


def project_summary(project: Project) -> dict[str, Any]:
    """What a list shows: no rendered description, nothing caller-specific."""
    return {
        "id": project.id,
        "title": project.title,
        "summary": project.summary,
        "category": project.category.slug,
        "district": project.district,
        "tags": list(project.tags or []),
        "status": project.status,
        "funding_model": project.funding_model,
        "goal_amount": project.goal_amount,
        "raised_amount": project.raised_amount,
        "matched_amount": project.matched_amount,
        "disbursed_amount": project.disbursed_amount,
        "receiving_entity": receiving_entity_ref(project),
        "supporters": project.supporters_count,
        "deadline": isoformat_local(project.deadline),
        "cover_url": project.cover_url,
        "organization": party_ref(project.organization),
        "published_at": isoformat_local(project.published_at),
    }


def project_detail(project: Project, user: User | None) -> dict[str, Any]:
    actor = _actor(project, user)
    return {
        **project_summary(project),
        "description": project.description,
        "description_html": render_markdown(project.description),
        "community": project.community,
        "beneficiaries": project.beneficiaries,
        "video_url": project.video_url,
        "created_at": isoformat_local(project.created_at),
        "return_reason": project.return_reason if actor is not None else None,
        "allowed_actions": [str(action) for action in allowed_actions(project.status, actor)]
        if actor is not None
        else [],
    }


def _contact(party: Organization | Company, show: bool) -> dict[str, str] | None:
    if not show:
        return None
    return {"name": party.contact_name, "phone": party.contact_phone, "email": party.contact_email}


def organization_profile(organization: Organization, *, show_contact: bool) -> dict[str, Any]:
    return {
        "id": organization.id,
        "name": organization.name,
        "uscc": organization.uscc,
        "district": organization.district,
        "community": organization.community,
        "founded_year": organization.founded_year,
        "business_areas": [category.slug for category in organization.business_areas],
        "grade": organization.grade,
        "grade_valid_until": organization.grade_valid_until.isoformat()
        if organization.grade_valid_until
        else None,
        "tier": organization.tier,
        "description": organization.description,
        "verification_status": organization.verification_status,
        "contact": _contact(organization, show_contact),
    }


def company_profile(company: Company, *, show_contact: bool) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "uscc": company.uscc,
        "district": company.district,
        "industry": company.industry,
        "focus_categories": [category.slug for category in company.focus_categories],
        "districts_of_interest": [district.name for district in company.districts_of_interest],
        "yearly_budget": company.yearly_budget,
        "description": company.description,
        "verification_status": company.verification_status,
        "contact": _contact(company, show_contact),
    }


def me(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "organization": party_ref(user.organization) if user.role == Role.ORG else None,
        "company": party_ref(user.company) if user.role == Role.COMPANY else None,
    }


def category(item: Category) -> dict[str, Any]:
    return {"slug": item.slug, "name": item.name, "name_en": item.name_en}


def district(item: District) -> dict[str, Any]:
    return {"name": item.name, "name_en": item.name_en}


# ───────────── pledges, the ledger and matching pools ─────────────


def _is_staff(user: User | None) -> bool:
    return bool(user is not None and user.is_staff)


def _is_pledging_member(pledge: Pledge, user: User | None) -> bool:
    return bool(user is not None and user.role == Role.COMPANY and user.company_id == pledge.company_id)


def shows_donor(pledge: Pledge, user: User | None) -> bool:
    """An anonymous pledge names its company only to that company and to staff."""
    return not pledge.anonymous or _is_staff(user) or _is_pledging_member(pledge, user)


def pledge(item: Pledge, user: User | None) -> dict[str, Any]:
    """One pledge for a caller allowed to see it (its company, the project's organization, staff).

    ``bank_reference`` is the code to write in the bank transfer's remark (附言) — the same value
    as ``reference_code``, present only for bank transfers; ``bank_transaction_reference`` is the
    bank's own transaction number that staff recorded on receipt.
    """
    donor = shows_donor(item, user)
    payer = _is_staff(user) or _is_pledging_member(item, user)
    pending = item.status == PledgeStatus.PENDING
    return {
        "id": item.id,
        "project_id": item.project_id,
        "company_id": item.company_id if donor else None,
        "company": party_ref(item.company) if donor else None,
        "status": item.status,
        "method": item.method,
        "amount": item.amount,
        "currency": item.currency,
        "message": item.message,
        "anonymous": item.anonymous,
        "in_kind_description": item.in_kind_description,
        "reference_code": item.reference_code,
        "bank_reference": item.reference_code if item.method == PledgeMethod.BANK_TRANSFER else None,
        "checkout_url": item.checkout_url if item.method == PledgeMethod.CARD and pending and payer else None,
        "payee": {
            "kind": item.payee_kind,
            "name": item.payee_name,
            "bank_name": item.payee_bank_name,
            "account_number": item.payee_account_number,
        },
        "paid_amount": item.paid_amount or 0,
        "refunded_amount": item.refunded_amount,
        "refundable_amount": refundable(item.paid_amount or 0, item.refunded_amount)
        if item.status in (PledgeStatus.PAID, PledgeStatus.REFUND_DUE)
        else 0,
        "matched_amount": item.matched_amount,
        "bank_transaction_reference": item.bank_reference,
        "flag": item.flag_reason if _is_staff(user) else None,
        "created_at": isoformat_local(item.created_at),
        "paid_at": isoformat_local(item.paid_at),
        "closed_at": isoformat_local(item.closed_at),
    }


def ledger_entry(entry: LedgerEntry, pledges_by_id: dict[int, Pledge], user: User | None) -> dict[str, Any]:
    source = pledges_by_id.get(entry.pledge_id) if entry.pledge_id is not None else None
    company = None
    # Match rows name the pledge they follow, not their pool's company: the pool is public.
    if source is not None and shows_donor(source, user):
        company = party_ref(source.company)
    return {
        "id": entry.id,
        "kind": entry.kind,
        "amount": entry.amount,
        "counts_toward_raised": entry.kind in RAISED_KINDS,
        "pledge_id": entry.pledge_id,
        "pool_id": entry.pool_id,
        "disbursement_id": entry.disbursement_id,
        "company": company,
        "account": entry.account,
        "reference": entry.reference,
        "created_at": isoformat_local(entry.created_at),
    }


def pool(item: MatchingPool, category_slugs: dict[int, str]) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "company": party_ref(item.company),
        "budget": item.budget,
        "remaining": item.remaining,
        "matched_total": item.matched_total,
        "ratio_bp": item.ratio_bp,
        "cap_per_pledge": item.cap_per_pledge,
        "cap_per_project": item.cap_per_project,
        "categories": sorted(category_slugs[i] for i in item.category_ids or [] if i in category_slugs),
        "districts": list(item.districts or []),
        "starts_at": isoformat_local(item.starts_at),
        "ends_at": isoformat_local(item.ends_at),
        "active": item.active,
        "open": bool(item.active and item.remaining > 0 and item.starts_at <= now < item.ends_at),
        "created_at": isoformat_local(item.created_at),
    }


# ───────────── sponsor matching and introductions ─────────────


def sponsor_profile(company: Company, profile: Any) -> dict[str, Any]:
    from marketplace.matching.operations import missing_profile_parts

    """A company's sponsor profile; without a saved one, ``exists`` is false and only the
    company-level fields (focus categories, districts of interest, yearly budget) are filled."""
    missing = missing_profile_parts(company, profile)
    return {
        "company": party_ref(company),
        "exists": profile is not None,
        "complete": not missing,
        "missing": missing,
        "focus_categories": [item.slug for item in company.focus_categories],
        "districts": [item.name for item in company.districts_of_interest],
        "yearly_budget": company.yearly_budget,
        "pledge_min": profile.pledge_min if profile else None,
        "pledge_max": profile.pledge_max if profile else None,
        "interest_statement": (profile.interest_statement or "") if profile else "",
        "preferred_grades": list(profile.preferred_grades or []) if profile else [],
        "preferred_tiers": list(profile.preferred_tiers or []) if profile else [],
        "volunteer_capacity": profile.volunteer_capacity if profile else None,
        "updated_at": isoformat_local(profile.updated_at) if profile else None,
    }


def match_reasons(reasons: Any) -> list[dict[str, str]]:
    """Why a match was suggested, strongest first, in the caller's language."""
    from marketplace.web import reason_text

    return [{"code": reason.code, "text": reason_text(reason)} for reason in reasons]


def match_project(project: Project) -> dict[str, Any]:
    from flask import url_for

    return {
        "id": project.id,
        "title": project.title,
        "summary": project.summary,
        "category": project.category.slug,
        "district": project.district,
        "organization": party_ref(project.organization),
        "goal_amount": project.goal_amount,
        "raised_amount": project.raised_amount,
        "deadline": isoformat_local(project.deadline),
        "cover_url": project.cover_url,
        "url": url_for("api.get_project", project_id=project.id),
        "page_url": url_for("projects.detail", project_id=project.id),
    }


def project_match(item: Any) -> dict[str, Any]:
    """One ``operations.ProjectMatch``: a project suggested to a company."""
    return {
        "project": match_project(item.project),
        "score": item.match.score,
        "reasons": match_reasons(item.match.reasons),
        "gap": item.match.gap,
        "suggested_amount": item.match.suggested_amount,
    }


def sponsor_match(item: Any) -> dict[str, Any]:
    """One ``operations.SponsorMatch``: a company a project fits."""
    return {
        "company": party_ref(item.company),
        "score": item.match.score,
        "reasons": match_reasons(item.match.reasons),
    }


def introduction(item: Any, raised: dict[int, int]) -> dict[str, Any]:
    """One introduction; ``raised`` is ``operations.raised_through`` of the introductions shown."""
    from marketplace.web import translate

    return {
        "id": item.id,
        "status": item.status,
        "status_label": translate(item.status_label),
        "open": item.is_open,
        "company": party_ref(item.company),
        "project": {"id": item.project.id, "title": item.project.title},
        "organization": party_ref(item.organization),
        "staff": {"id": item.staff.id, "name": item.staff.name},
        "note": item.note or "",
        "score": None if item.score is None else item.score / 10,
        "sent_at": isoformat_local(item.sent_at),
        "viewed_at": isoformat_local(item.viewed_at),
        "interested_at": isoformat_local(item.interested_at),
        "responded_at": isoformat_local(item.responded_at),
        "response_note": item.response_note or "",
        "converted_at": isoformat_local(item.converted_at),
        "converted_via": item.converted_via,
        "pledge_id": item.pledge_id,
        "raised_amount": raised.get(item.id, 0),
    }


def funnel_row(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "sent": row.sent,
        "viewed": row.viewed,
        "interested": row.interested,
        "declined": row.declined,
        "converted": row.converted,
        "conversion_percent": row.conversion_percent,
        "raised_amount": row.raised,
    }


# ───────────── partnership agreements ─────────────


def user_ref(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "name": user.name}


def agreement_party(party: AgreementParty) -> dict[str, Any]:
    from marketplace.web import translate

    return {
        "id": party.id,
        "role": party.role,
        "role_label": translate(party.role_label),
        "name": party.display_name,
        "uscc": party.uscc,
        "company_id": party.company_id,
        "organization_id": party.organization_id,
        "signatory": party.signatory,
        "signer": user_ref(party.signer),
        "signer_title": party.signer_title,
    }


def agreement_signature(signature: AgreementSignature) -> dict[str, Any]:
    """A party's decision on one version, with the hash it bound and where it was made from. A
    buyer's signature is recorded by staff (``signer`` is then the staff member who recorded it,
    ``signer_name`` the buyer's signatory) with the evidence they saw."""
    return {
        "id": signature.id,
        "version_id": signature.version_id,
        "version_no": signature.version.version_no,
        "party_id": signature.party_id,
        "party_name": signature.party.display_name,
        "decision": signature.decision,
        "version_sha256": signature.version_sha256,
        "signer": user_ref(signature.signer),
        "signer_name": signature.signer_name,
        "signer_title": signature.signer_title,
        "reason": signature.reason,
        "recorded_by_staff": bool(signature.recorded_by_staff),
        "evidence": signature.evidence if signature.recorded_by_staff else None,
        "ip": signature.ip,
        "user_agent": signature.user_agent,
        "signed_at": isoformat_local(signature.signed_at),
    }


def agreement_version_summary(version: AgreementVersion | None) -> dict[str, Any] | None:
    from marketplace.web import translate

    if version is None:
        return None
    return {
        "id": version.id,
        "version_no": version.version_no,
        "status": version.status,
        "status_label": translate(version.status_label),
        "kind": version.kind,
        "content_sha256": version.content_sha256,
        "committed_amount": version.committed_amount,
        "starts_on": version.starts_on.isoformat(),
        "ends_on": version.ends_on.isoformat(),
        "created_at": isoformat_local(version.created_at),
        "proposed_at": isoformat_local(version.proposed_at),
        "signed_at": isoformat_local(version.signed_at),
        "closed_at": isoformat_local(version.closed_at),
    }


def agreement_version(version: AgreementVersion) -> dict[str, Any]:
    """One version's terms, money and period (terms and tranches in their canonical JSON form), its
    signatures, and ``content``: the canonical document whose SHA-256 is ``content_sha256``."""
    summary = agreement_version_summary(version)
    assert summary is not None
    return {
        **summary,
        "agreement_id": version.agreement_id,
        "editable": version.is_editable,
        "terms": version.terms_value.as_json(),
        "currency": "CNY",
        "tranches": [tranche.as_json() for tranche in version.tranche_values],
        "auto_renew": version.auto_renew,
        "renewal_notice_days": version.renewal_notice_days,
        "created_by": user_ref(version.created_by),
        "proposed_by": user_ref(version.proposed_by),
        "updated_at": isoformat_local(version.updated_at),
        "close_reason": version.close_reason,
        "signatures": [agreement_signature(signature) for signature in version.signatures],
        "content": version.content,
    }


def agreement_summary(agreement: Agreement) -> dict[str, Any]:
    """What a list shows: the parties, the period and the versions in force and in play."""
    from marketplace.web import translate

    return {
        "id": agreement.id,
        "title": agreement.title,
        "type": agreement.type,
        "type_label": translate(agreement.type_label),
        "status": agreement.status,
        "status_label": translate(agreement.status_label),
        "company": party_ref(agreement.company),
        "organization": party_ref(agreement.organization),
        "broker": user_ref(agreement.broker),
        "introduction_id": agreement.introduction_id,
        "project_ids": agreement.project_ids,
        "starts_on": agreement.starts_on.isoformat(),
        "ends_on": agreement.ends_on.isoformat(),
        "auto_renew": agreement.auto_renew,
        "renewal_notice_days": agreement.renewal_notice_days,
        "current_version": agreement_version_summary(agreement.current_version),
        "pending_version": agreement_version_summary(agreement.pending_version),
        "created_at": isoformat_local(agreement.created_at),
        "updated_at": isoformat_local(agreement.updated_at),
        "activated_at": isoformat_local(agreement.activated_at),
        "ended_at": isoformat_local(agreement.ended_at),
        "end_reason": agreement.end_reason,
    }


def agreement_pledge(item: Pledge) -> dict[str, Any]:
    """A tranche scheduled as a bank-transfer pledge when a version took effect."""
    return {
        "id": item.id,
        "tranche_no": item.tranche_no,
        "version_id": item.agreement_version_id,
        "project_id": item.project_id,
        "due_on": item.due_on.isoformat() if item.due_on else None,
        "amount": item.amount,
        "paid_amount": item.paid_amount or 0,
        "status": item.status,
        "bank_reference": item.reference_code,
    }


def agreement_money(money: Any) -> dict[str, Any]:
    """``operations.MoneySummary``: committed by the version in force against what arrived."""
    return {
        "currency": "CNY",
        "committed": money.committed,
        "scheduled": money.scheduled,
        "received": money.received,
        "outstanding": money.outstanding,
        "percent": money.percent,
        "pledges": [agreement_pledge(item) for item in money.pledges],
    }


def agreement(item: Agreement, money: Any) -> dict[str, Any]:
    """The whole agreement for a party member or staff; ``money`` is ``operations.money_summary``."""
    return {
        **agreement_summary(item),
        "parties": [agreement_party(party) for party in item.parties],
        "projects": [{"id": project.id, "title": project.title} for project in item.projects],
        "versions": [agreement_version_summary(version) for version in item.versions],
        "signatures": [
            agreement_signature(signature) for version in item.versions for signature in version.signatures
        ],
        "money": agreement_money(money),
    }


def audit_event(event: Any) -> dict[str, Any]:
    """One event of the hash chain: ``hash`` is over the event and ``prev_hash``, the hash of the
    event before it in the platform-wide chain."""
    return {
        "id": event.id,
        "action": event.action,
        "actor_id": event.actor_id,
        "acting_for": event.acting_for,
        "created_at": isoformat_local(event.created_at),
        "ip": event.ip,
        "payload": event.payload or {},
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _segments(segments: Any) -> list[dict[str, Any]]:
    return [{"text": segment.text, "changed": segment.changed} for segment in segments]


def diff_row(row: Any) -> dict[str, Any]:
    """One ``terms.DiffRow``: a labelled line of both versions, characters that changed marked."""
    from marketplace.web import translate

    return {
        "key": row.key,
        "label": translate(row.label),
        "changed": row.changed,
        "old_text": row.old_text,
        "new_text": row.new_text,
        "old": _segments(row.old),
        "new": _segments(row.new),
    }


# ───────────── service-purchase tenders, bids and awards ─────────────


def _share(basis_points: int | None) -> str | None:
    from marketplace.tenders.rules import format_share

    return None if basis_points is None else format_share(basis_points)


def _day(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def tender_award(award: Any) -> dict[str, Any]:
    """One ``TenderAward``: the bid, its value and suppliers (the lead and every member), and the
    service contract awaiting the buyer's and every supplier's signature."""
    from marketplace.web import translate

    return {
        "id": award.id,
        "tender_id": award.tender_id,
        "bid_id": award.bid_id,
        "status": award.status,
        "status_label": translate(award.status_label),
        "value": award.value,
        "currency": "CNY",
        "suppliers": [item.organization_id for item in award.bid.members],
        "agreement_id": award.agreement_id,
        "contract_signed": award.contract_signed,
        "decided_at": isoformat_local(award.decided_at),
        "declined_at": isoformat_local(award.declined_at),
        "decline_reason": award.decline_reason,
    }


def tender(item: Any) -> dict[str, Any]:
    """A tender as anyone who may see it sees it (drafts only reach staff). Bids stay sealed."""
    from marketplace.web import translate

    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "status": item.status,
        "status_label": translate(item.status_label),
        "buyer": {
            "id": item.buyer.id,
            "name": item.buyer.name,
            "kind": item.buyer.kind,
            "uscc": item.buyer.uscc,
        },
        "category": item.category.slug,
        "district": item.district,
        "budget": item.budget,
        "budget_is_cap": item.budget_is_cap,
        "currency": "CNY",
        "method": item.method,
        "method_label": translate(item.method_label),
        "enquiry_ends_at": isoformat_local(item.enquiry_ends_at),
        "submission_deadline": isoformat_local(item.submission_deadline),
        "expected_award_on": _day(item.expected_award_on),
        "contract_starts_on": _day(item.contract_starts_on),
        "contract_ends_on": _day(item.contract_ends_on),
        "allows_consortium": item.allows_consortium,
        "max_members": item.max_members,
        "allows_subcontracting": item.allows_subcontracting,
        "max_subcontract_share": _share(item.max_subcontract_share),
        "min_grade": item.min_grade,
        "grade_rule": item.grade_rule,
        "grade_rule_basis": item.grade_rule_basis,
        "required_documents": list(item.required_documents or []),
        "notice_url": item.notice_url,
        "revision": item.revision,
        "awards": [tender_award(award) for award in item.awards],
        "created_at": isoformat_local(item.created_at),
        "updated_at": isoformat_local(item.updated_at),
        "published_at": isoformat_local(item.published_at),
        "closed_at": isoformat_local(item.closed_at),
        "ended_at": isoformat_local(item.ended_at),
        "end_reason": item.end_reason,
    }


def _participant(item: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "organization_id": item.organization_id,
        "organization_name": item.organization.name,
        "share": _share(item.share),
        "scope": item.scope,
        "confirmed": item.is_confirmed,
        "confirmed_at": isoformat_local(item.confirmed_at) if item.is_confirmed else None,
    }


def bid_member(item: Any) -> dict[str, Any]:
    return {**_participant(item), "role": item.role}


def bid_subcontract(item: Any) -> dict[str, Any]:
    return {
        **_participant(item),
        "is_core_work": item.is_core_work,
        "consent_status": item.consent_status,
        "consent_note": item.consent_note,
        "consent_recorded_at": isoformat_local(item.consent_recorded_at),
        "activated_at": isoformat_local(item.activated_at),
    }


def bid_document(item: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "size": item.size,
        "sha256": item.sha256,
        "uploaded_at": isoformat_local(item.uploaded_at),
    }


def bid(item: Any) -> dict[str, Any]:
    """A bid for its organizations and staff (nobody else sees a bid)."""
    from marketplace.web import translate

    return {
        "id": item.id,
        "tender_id": item.tender_id,
        "lead_organization": party_ref(item.lead_organization),
        "mode": item.mode,
        "mode_label": translate(item.mode_label),
        "status": item.status,
        "status_label": translate(item.status_label),
        "price": item.price,
        "currency": item.currency,
        "proposal": item.proposal,
        "revision": item.revision,
        "members": [bid_member(member) for member in item.members],
        "subcontractors": [bid_subcontract(line) for line in item.subcontractors],
        "documents": [bid_document(document) for document in item.documents],
        "unconfirmed": [
            participant.organization_id
            for participant in item.participants
            if participant.organization_id != item.lead_organization_id and not participant.is_confirmed
        ],
        "invalidated_reason": item.invalidated_reason,
        "score": _share(item.score),
        "evaluation_reason": item.evaluation_reason,
        "evaluated_at": isoformat_local(item.evaluated_at),
        "created_at": isoformat_local(item.created_at),
        "updated_at": isoformat_local(item.updated_at),
        "submitted_at": isoformat_local(item.submitted_at),
        "withdrawn_at": isoformat_local(item.withdrawn_at),
    }


def ranked_bid(item: Any) -> dict[str, Any]:
    """One ``operations.RankedBid``."""
    return {
        "bid_id": item.bid.id,
        "position": item.position,
        "score": _share(item.bid.score),
        "price": item.bid.price,
        "grade": item.grade,
        "priority": item.priority,
        "warnings": [str(warning) for warning in item.warnings],
    }


def partner_suggestion(item: Any) -> dict[str, Any]:
    """One ``partner_operations.PartnerSuggestion``: an organization that complements the lead."""
    from marketplace.web import translate

    return {
        "organization_id": item.organization.id,
        "name": item.organization.name,
        "district": item.organization.district,
        "grade": item.organization.grade,
        "score": item.score,
        "reasons": [
            {"code": reason.code, "text": translate(reason.text), "caution": bool(reason.caution)}
            for reason in item.reasons
        ],
        "invited": item.invitation is not None,
        "invitation_status": item.invitation.status if item.invitation is not None else None,
    }


def consortium_invitation(item: Any) -> dict[str, Any]:
    from marketplace.web import translate

    return {
        "id": item.id,
        "tender_id": item.tender_id,
        "lead_organization": party_ref(item.lead_organization),
        "organization": party_ref(item.organization),
        "status": item.status,
        "message": item.message,
        "reasons": [translate(reason) for reason in item.reason_messages],
        "created_at": isoformat_local(item.created_at),
        "responded_at": isoformat_local(item.responded_at),
    }
