"""The consortium partner finder and its invitations: the use cases behind the pages and the API.

``suggest_partners`` reads the facts the pure scorer (``partners.py``) needs in a fixed number of
queries, whatever the number of organizations; ``invite_partner`` is the lead's one click (idempotent
per tender, lead and organization); ``respond_to_invitation`` is the invited organization's answer.
An invitation binds nobody: an organization commits to a bid only by confirming its part in it
(``operations.confirm_part``). Operations flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, distinct, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from marketplace.accounts.models import Role, User
from marketplace.agreements.models import Agreement, AgreementParty
from marketplace.agreements.states import AgreementStatus
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.moderation.visibility import listed_organizations
from marketplace.parties.models import Organization, VerificationStatus
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStatus
from marketplace.tenders import partners
from marketplace.tenders.models import Bid, BidParticipant, ConsortiumInvitation, Tender
from marketplace.tenders.operations import (
    as_id,
    audit_event,
    committed_participation,
    member_organization,
    notify_organizations,
    org_facts,
    require_tender_viewer,
)
from marketplace.tenders.partners import Exclusion, Reason
from marketplace.tenders.rules import MAX_MEMBERS_LIMIT, grade_label
from marketplace.tenders.states import TenderStatus
from marketplace.timeutil import to_local, utcnow

MESSAGE_MAX = 500
_FEW = 200  # organizations looked up by id; beyond this the aggregates read every row
# Projects that show an organization's track record: public ones, not drafts, failures or cancelled.
TRACK_RECORD = (ProjectStatus.PUBLISHED.value, ProjectStatus.FUNDED.value, ProjectStatus.CLOSED.value)
# Agreements that came into force (a collaboration that happened), not drafts or cancelled ones.
SIGNED = (AgreementStatus.ACTIVE.value, AgreementStatus.EXPIRED.value)
INVITATION_STATUS_LABELS: dict[str, Msg] = {
    "pending": Msg("待答复"),
    "accepted": Msg("已接受"),
    "declined": Msg("已谢绝"),
}


@dataclass
class PartnerSuggestion:
    organization: Organization
    score: int
    reasons: list[Reason]
    invitation: ConsortiumInvitation | None = None
    parts: dict[str, float] = field(default_factory=dict)


# ─────────────────────────────── helpers ───────────────────────────────


def _notify_organization(organization_id: int, title: Msg, body: Msg, link: str) -> int:
    return notify_organizations([organization_id], title, body, link)


def _deadline_label(tender: Tender) -> str:
    return to_local(tender.submission_deadline).strftime("%Y-%m-%d %H:%M")


def can_find_partners(organization: Organization, user: User | None) -> bool:
    """A lead's suggestions are for its own members and for staff."""
    return user is not None and (user.is_staff or user.organization_id == organization.id)


def require_partner_finder(organization: Organization, user: User | None) -> None:
    if not can_find_partners(organization, user):
        raise Forbidden.on("organization", Msg("只有该组织的成员和团区委工作人员可以查看联合体伙伴推荐"))


def accepts_partners(tender: Tender, now: datetime | None = None) -> bool:
    """Whether a lead may still look for and invite partners on the tender."""
    now = now or utcnow()
    return (
        tender.status == TenderStatus.OPEN and now < tender.submission_deadline and tender.allows_consortium
    )


def _require_accepting_partners(tender: Tender, now: datetime) -> None:
    if tender.status != TenderStatus.OPEN:
        raise Conflict.on(
            "tender", Msg("采购项目当前状态为「%(status)s」，不能邀请联合体伙伴", status=tender.status_label)
        )
    if now >= tender.submission_deadline:
        raise Conflict.on("submission_deadline", Msg("投标已截止，不能再邀请联合体伙伴"))
    if not tender.allows_consortium:
        raise Conflict.on("tender", Msg("本次采购不接受联合体投标，不能邀请联合体伙伴"))


# ─────────────────────────────── facts ───────────────────────────────


def _tender_facts(tender: Tender) -> partners.TenderFacts:
    return partners.TenderFacts(
        category=partners.Area(tender.category.slug, tender.category.name),
        district=tender.district,
        deadline=tender.submission_deadline.date(),
        allows_consortium=bool(tender.allows_consortium),
        max_members=tender.max_members,
        min_grade=tender.min_grade,
        grade_rule=tender.grade_rule,
    )


def _lead_bid(tender: Tender, lead_id: int) -> Bid | None:
    return next((bid for bid in tender.bids if bid.lead_organization_id == lead_id and bid.is_live), None)


def _bound(tender: Tender, except_bid_id: int | None) -> dict[int, int]:
    """Organization id → the other live bid on the tender that binds it (实施条例 第22条)."""
    bound: dict[int, int] = {}
    for other in committed_participation(tender, except_bid_id=except_bid_id):
        for organization_id in sorted(other.bidder_ids | other.subcontractor_ids):
            bound.setdefault(organization_id, other.bid_id)
    return bound


def _lead_facts(tender: Tender, lead: Organization, bound: dict[int, int]) -> partners.LeadFacts:
    bid = _lead_bid(tender, lead.id)
    return partners.LeadFacts(
        id=lead.id,
        district=lead.district,
        areas=frozenset(area.slug for area in lead.business_areas),
        grade=lead.grade,
        grade_valid_until=lead.grade_valid_until,
        members=tuple(
            org_facts(item.organization)
            for item in (bid.members if bid else [])
            if item.organization_id != lead.id
        ),
        in_bid=frozenset(item.organization_id for item in (bid.participants if bid else [])),
        committed_bid_id=bound.get(lead.id),
    )


def _among(column: Any, ids: Sequence[int]) -> Any:
    """``column IN ids`` for a few organizations; for many, aggregating every row is cheaper than
    a statement with thousands of parameters."""
    return column.in_(ids) if len(ids) <= _FEW else column.is_not(None)


def _counts(statement: Any) -> dict[int, int]:
    return {int(row[0]): int(row[1]) for row in db.session.execute(statement)}


def _candidate_facts(
    tender: Tender, lead_id: int, organizations: Sequence[Organization], bound: dict[int, int]
) -> list[partners.CandidateFacts]:
    """Facts for ``organizations`` in four aggregate queries (their business areas are preloaded)."""
    ids = [organization.id for organization in organizations]
    if not ids:
        return []
    projects = {
        int(row[0]): (int(row[1]), int(row[2]))
        for row in db.session.execute(
            select(
                Project.organization_id,
                func.count(Project.id),
                func.coalesce(func.sum(Project.raised_amount), 0),
            )
            .where(_among(Project.organization_id, ids), Project.status.in_(TRACK_RECORD))
            .group_by(Project.organization_id)
        )
    }
    members = _counts(
        select(User.organization_id, func.count(User.id))
        .where(_among(User.organization_id, ids), User.active.is_(True))
        .group_by(User.organization_id)
    )
    theirs, ours = aliased(AgreementParty), aliased(AgreementParty)
    agreements = _counts(
        select(theirs.organization_id, func.count(distinct(theirs.agreement_id)))
        .join(ours, ours.agreement_id == theirs.agreement_id)
        .join(Agreement, Agreement.id == theirs.agreement_id)
        .where(
            ours.organization_id == lead_id, _among(theirs.organization_id, ids), Agreement.status.in_(SIGNED)
        )
        .group_by(theirs.organization_id)
    )
    other, mine = aliased(BidParticipant), aliased(BidParticipant)
    bids = _counts(
        select(other.organization_id, func.count(distinct(other.bid_id)))
        .join(mine, mine.bid_id == other.bid_id)
        .join(Bid, Bid.id == other.bid_id)
        .where(
            mine.organization_id == lead_id,
            _among(other.organization_id, ids),
            Bid.tender_id != tender.id,
            Bid.submitted_at.is_not(None),
        )
        .group_by(other.organization_id)
    )
    return [
        partners.CandidateFacts(
            id=organization.id,
            name=organization.name,
            district=organization.district,
            areas=tuple(partners.Area(area.slug, area.name) for area in organization.business_areas),
            verified=organization.is_verified,
            is_league_body=organization.is_league_body,
            grade=organization.grade,
            grade_valid_until=organization.grade_valid_until,
            projects=projects.get(organization.id, (0, 0))[0],
            raised=projects.get(organization.id, (0, 0))[1],
            members=members.get(organization.id, 0),
            agreements_with_lead=agreements.get(organization.id, 0) if organization.id != lead_id else 0,
            bids_with_lead=bids.get(organization.id, 0) if organization.id != lead_id else 0,
            committed_bid_id=bound.get(organization.id),
        )
        for organization in organizations
    ]


# ─────────────────────────────── suggestions ───────────────────────────────


def check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= partners.MAX_LIMIT:
        raise DomainError.on("limit", Msg("limit 应在 1 到 %(max)s 之间", max=partners.MAX_LIMIT))
    return limit


def suggest_partners(
    tender: Tender, lead_organization: Organization, *, limit: int = 10, now: datetime | None = None
) -> list[PartnerSuggestion]:
    """The organizations that complement the lead best on this tender, best first, each with its
    reasons and the lead's invitation to it if there is one. Empty when the tender no longer takes
    consortium bids (closed, past its deadline, or consortia not accepted), when the lead's
    consortium is full, or when another bid already binds the lead."""
    check_limit(limit)
    if not accepts_partners(tender, now):
        return []
    lead_bid = _lead_bid(tender, lead_organization.id)
    bound = _bound(tender, lead_bid.id if lead_bid else None)
    tender_facts = _tender_facts(tender)
    lead_facts = _lead_facts(tender, lead_organization, bound)
    if partners.room_left(tender_facts, lead_facts) <= 0:
        return []
    # Unverified organizations and league bodies never qualify: leave them in the database.
    organizations = list(
        db.session.scalars(
            select(Organization)
            .where(
                Organization.id != lead_organization.id,
                Organization.verification_status == VerificationStatus.VERIFIED.value,
                Organization.is_league_body.is_(False),
                listed_organizations(),  # nor one moderation holds
            )
            .options(selectinload(Organization.business_areas))
            .order_by(Organization.id)
        )
    )
    facts = _candidate_facts(tender, lead_organization.id, organizations, bound)
    ranked = partners.rank_partners(tender_facts, lead_facts, facts, limit=limit)
    by_id = {organization.id: organization for organization in organizations}
    invitations = {
        invitation.organization_id: invitation
        for invitation in invitations_sent(tender, lead_organization.id)
    }
    return [
        PartnerSuggestion(
            organization=by_id[item.organization_id],
            score=item.score,
            reasons=list(item.reasons),
            invitation=invitations.get(item.organization_id),
            parts=dict(item.parts),
        )
        for item in ranked
    ]


# ─────────────────────────────── invitations ───────────────────────────────


def _refusal(exclusion: Exclusion, organization: Organization, bid_id: int | None, tender: Tender) -> Msg:
    if exclusion == Exclusion.UNVERIFIED:
        return Msg("「%(name)s」尚未通过团区委认证，不能参与投标", name=organization.name)
    if exclusion == Exclusion.LEAGUE_BODY:
        return Msg("团区委所属机构是撮合方，不能参与投标")
    if exclusion == Exclusion.IN_BID:
        return Msg("「%(name)s」已在贵组织的投标中", name=organization.name)
    if exclusion == Exclusion.COMMITTED:
        return Msg(
            "「%(name)s」已参与本次采购的另一份投标（#%(bid)d），同一采购项目只能参与一份投标",
            name=organization.name,
            bid=bid_id or 0,
        )
    if exclusion == Exclusion.BELOW_MINIMUM:
        return Msg(
            "「%(name)s」的有效等级低于本次采购要求的 %(min)s（每个成员均须达到）",
            name=organization.name,
            min=grade_label(tender.min_grade),
        )
    return Msg("不能邀请本组织")


def get_invitation(invitation_id: object) -> ConsortiumInvitation:
    identifier = as_id(invitation_id)
    invitation = db.session.get(ConsortiumInvitation, identifier) if identifier is not None else None
    if invitation is None:
        raise NotFound.on("invitation", Msg("找不到该联合体邀请"))
    return invitation


def _existing(tender_id: int, lead_id: int, organization_id: int) -> ConsortiumInvitation | None:
    return db.session.scalar(
        select(ConsortiumInvitation).where(
            ConsortiumInvitation.tender_id == tender_id,
            ConsortiumInvitation.lead_organization_id == lead_id,
            ConsortiumInvitation.organization_id == organization_id,
        )
    )


def invite_partner(
    tender: Tender,
    lead_user: User | None,
    organization_id: object,
    message: str = "",
    *,
    now: datetime | None = None,
) -> ConsortiumInvitation:
    """The lead's one click: invite an organization to bid together on this tender. A second click
    returns the same invitation. The invitation keeps the reasons the finder gave."""
    now = now or utcnow()
    lead = member_organization(lead_user, Msg("只有社会组织的成员可以邀请联合体伙伴"))
    assert lead_user is not None
    require_tender_viewer(tender, lead_user)
    if not lead.is_verified:
        raise Forbidden.on("organization", Msg("贵组织尚未通过团区委认证，不能牵头投标"))
    _require_accepting_partners(tender, now)
    target_id = as_id(organization_id)
    if target_id is None:
        raise DomainError.on("organization_id", Msg("请选择要邀请的社会组织"))
    if target_id == lead.id:
        raise DomainError.on("organization_id", Msg("不能邀请本组织"))
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise DomainError.on("message", Msg("邀请留言不能超过 %(n)d 个字", n=MESSAGE_MAX))
    existing = _existing(tender.id, lead.id, target_id)
    if existing is not None:
        return existing
    organization = db.session.get(Organization, target_id)
    # One moderation holds answers as a missing one: its existence does not leak.
    if organization is None or organization.hidden_at is not None:
        raise NotFound.on("organization_id", Msg("找不到该社会组织"))
    lead_bid = _lead_bid(tender, lead.id)
    bound = _bound(tender, lead_bid.id if lead_bid else None)
    tender_facts = _tender_facts(tender)
    lead_facts = _lead_facts(tender, lead, bound)
    if lead_facts.committed_bid_id is not None:
        raise Conflict.on(
            "organization",
            Msg(
                "贵组织已参与本次采购的另一份投标（#%(bid)d），不能再牵头组建联合体",
                bid=lead_facts.committed_bid_id,
            ),
        )
    if partners.room_left(tender_facts, lead_facts) <= 0:
        raise Conflict.on(
            "organization_id",
            Msg("联合体成员已达本次采购的上限 %(n)d 个", n=tender.max_members or MAX_MEMBERS_LIMIT),
        )
    (candidate,) = _candidate_facts(tender, lead.id, [organization], bound)
    excluded = partners.exclusion(candidate, tender_facts, lead_facts)
    if excluded is not None:
        raise Conflict.on(
            "organization_id", _refusal(excluded, organization, candidate.committed_bid_id, tender)
        )
    suggestion = partners.score_partner(candidate, tender_facts, lead_facts)
    assert suggestion is not None
    invitation = ConsortiumInvitation(
        tender_id=tender.id,
        lead_organization_id=lead.id,
        organization_id=organization.id,
        status="pending",
        reasons=[
            ConsortiumInvitation.stored_reason(reason.code, reason.text) for reason in suggestion.reasons
        ],
        message=message,
        invited_by_id=lead_user.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
            db.session.flush()
    except IntegrityError:  # the same click, twice at once: the other one won
        existing = _existing(tender.id, lead.id, organization.id)
        assert existing is not None
        return existing
    audit_event(
        invitation,
        "partner_invited",
        lead_user,
        tender_id=tender.id,
        lead_organization_id=lead.id,
        organization_id=organization.id,
        score=suggestion.score,
        reasons=invitation.reasons,
    )
    _notify_organization(
        organization.id,
        Msg("联合体投标邀请：%(title)s", title=tender.title),
        Msg(
            "%(lead)s邀请贵组织组成联合体，共同投标「%(title)s」（投标截止 %(deadline)s）。%(message)s",
            lead=lead.name,
            title=tender.title,
            deadline=_deadline_label(tender),
            message=message,
        ),
        f"/tenders/{tender.id}",
    )
    return invitation


def respond_to_invitation(
    invitation: ConsortiumInvitation, org_user: User | None, accept: object, *, now: datetime | None = None
) -> ConsortiumInvitation:
    """A member of the invited organization accepts or declines; the lead hears of it. Answering
    the same way twice changes nothing; changing an answer is refused. Accepting needs the tender
    still open to bids and the organization free of other bids on it."""
    now = now or utcnow()
    if (
        org_user is None
        or org_user.role != Role.ORG
        or org_user.organization_id != invitation.organization_id
    ):
        raise Forbidden.on("invitation", Msg("只有受邀组织的成员可以答复该邀请"))
    if not isinstance(accept, bool):
        raise DomainError.on("accept", Msg("请选择接受或谢绝邀请"))
    wanted = "accepted" if accept else "declined"
    tender = invitation.tender
    if invitation.status == "pending" and accept:
        if not accepts_partners(tender, now):
            raise Conflict.on("tender", Msg("该采购项目已不再接受联合体投标，不能接受邀请"))
        bound = _bound(tender, None)
        lead_bid = _lead_bid(tender, invitation.lead_organization_id)
        other = bound.get(invitation.organization_id)
        if other is not None and (lead_bid is None or other != lead_bid.id):
            raise Conflict.on(
                "invitation",
                Msg("贵组织已参与本次采购的另一份投标（#%(bid)d），同一采购项目只能参与一份投标", bid=other),
            )
    # Only a pending invitation changes, also when two members answer at the same moment.
    changed = db.session.execute(
        update(ConsortiumInvitation)
        .where(ConsortiumInvitation.id == invitation.id, ConsortiumInvitation.status == "pending")
        .values(status=wanted, responded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(invitation)
    if not changed:
        if invitation.status == wanted:
            return invitation
        raise Conflict.on(
            "invitation",
            Msg("该邀请已%(status)s，不能更改", status=INVITATION_STATUS_LABELS[invitation.status]),
        )
    audit_event(
        invitation,
        f"partner_invitation_{wanted}",
        org_user,
        tender_id=invitation.tender_id,
        lead_organization_id=invitation.lead_organization_id,
        organization_id=invitation.organization_id,
    )
    name = invitation.organization.name
    if accept:
        title = Msg("%(org)s接受了联合体邀请：%(title)s", org=name, title=tender.title)
        body = Msg("%(org)s愿意与贵组织组成联合体投标，请在投标中列入该组织并约定分工与份额。", org=name)
    else:
        title = Msg("%(org)s谢绝了联合体邀请：%(title)s", org=name, title=tender.title)
        body = Msg("%(org)s暂不参与本次联合体投标，可以在伙伴推荐中邀请其他组织。", org=name)
    _notify_organization(invitation.lead_organization_id, title, body, f"/tenders/{tender.id}")
    return invitation


def invitations_for(organization_id: int) -> list[ConsortiumInvitation]:
    """The invitations an organization received: pending first, then the newest."""
    return list(
        db.session.scalars(
            select(ConsortiumInvitation)
            .where(ConsortiumInvitation.organization_id == organization_id)
            .order_by(
                case((ConsortiumInvitation.status == "pending", 0), else_=1),
                ConsortiumInvitation.created_at.desc(),
                ConsortiumInvitation.id.desc(),
            )
        )
    )


def invitations_sent(tender: Tender, lead_organization_id: int) -> list[ConsortiumInvitation]:
    """The lead's invitations on one tender, in the order sent."""
    return list(
        db.session.scalars(
            select(ConsortiumInvitation)
            .where(
                ConsortiumInvitation.tender_id == tender.id,
                ConsortiumInvitation.lead_organization_id == lead_organization_id,
            )
            .order_by(ConsortiumInvitation.id)
        )
    )


def invitation_status_label(invitation: ConsortiumInvitation) -> Msg:
    return INVITATION_STATUS_LABELS[invitation.status]
