"""The consortium partner finder against the database (SQLite and PostgreSQL): a small world of
organizations with fields, districts, grades, projects and a past contract with the lead; who is
suggested in which order and why; who never is; the lead's one-click invitation and the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from marketplace.accounts.models import User
from marketplace.agreements import operations as agreements
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.parties.models import Organization
from marketplace.parties.operations import categories_named
from marketplace.tenders import operations as ops
from marketplace.tenders import partner_operations as finder
from marketplace.tenders.models import ConsortiumInvitation, Tender
from marketplace.timeutil import utcnow
from tests import factories
from tests.tender_support import (
    PDF,
    after_deadline,
    consortium_input,
    make_tender,
    member,
    org_user,
    tender_input,
)


@pytest.fixture
def uploads(app: Flask) -> Path:
    return Path(app.config["UPLOAD_DIR"])


def _organization(user: User) -> Organization:
    organization = db.session.get(Organization, user.organization_id)
    assert organization is not None
    return organization


def _areas(user: User, *slugs: str) -> None:
    _organization(user).business_areas = categories_named(list(slugs), "business_areas", {})
    db.session.commit()


@dataclass
class World:
    staff: User
    tender: Tender
    lead: User  # 鹿城区, elders, 3A
    local: User  # A: children + education in 鹿城区, 4A, two projects
    trusted: User  # B: children in 瓯海区, 5A, a signed contract and a bid with the lead
    youth: User  # C: youth + education in 龙湾区, no grade
    island: User  # D: children in 洞头区, 2A
    unverified: User  # E
    league: User  # F: a league body
    committed: User  # G: confirmed its part in another bid on the tender
    rival: User  # H: leads that other bid
    named: User  # I: named in the rival's draft without confirming (binds nobody)

    def org_id(self, name: str) -> int:
        user: User = getattr(self, name)
        assert user.organization_id is not None
        return user.organization_id


def _past_contract(staff: User, lead: User, partner: User, uploads: Path) -> None:
    """The lead and the partner won an earlier tender together and both signed the contract."""
    earlier = make_tender(staff, title="鹿城区留守儿童暑期托管服务采购")
    bid = ops.create_bid(earlier, lead, consortium_input(lead, partner))
    ops.add_document(bid, lead, kind="joint_agreement", title="联合体协议", data=PDF, directory=uploads)
    ops.confirm_part(bid, partner)
    ops.submit_bid(bid, lead)
    db.session.commit()
    ops.evaluate_bid(
        earlier,
        staff,
        ops.EvaluationInput(bid_id=bid.id, result="valid", score="90"),
        now=after_deadline(earlier),
    )
    award = ops.award(earlier, staff, bid_id=bid.id, now=after_deadline(earlier))
    db.session.commit()
    contract = award.agreement
    assert contract is not None
    version = contract.pending_version
    assert version is not None
    buyer = next(party for party in contract.parties if party.role == "buyer")
    agreements.record_party_signature(
        contract,
        staff,
        agreements.RecordedSignature(
            party_id=buyer.id,
            version_id=version.id,
            content_sha256=version.content_sha256,
            signer_name="王局长",
            signer_title="局长",
            evidence="纸质合同 LC-2026-001 号",
        ),
    )
    for user in (lead, partner):
        agreements.sign(contract, user, version_id=version.id, content_sha256=version.content_sha256)
    db.session.commit()
    assert contract.status == "active"


def build_world(uploads: Path, **tender_overrides: object) -> World:
    staff = factories.staff()
    lead = org_user("鹿城区夕阳红长者服务中心", grade="A3")
    local = org_user("鹿城区童心儿童服务中心", grade="A4")
    _areas(local, "children", "education")
    for title in ("四点钟课堂", "困境儿童心理陪伴"):
        factories.project(local, status="published", title=title)
    trusted = org_user("瓯海区心桥社会工作服务社", grade="A5", district="瓯海区")
    _areas(trusted, "children")
    youth = org_user("龙湾区青少年发展中心", district="龙湾区")
    _areas(youth, "youth", "education")
    island = org_user("洞头区海岛儿童关爱协会", grade="A2", district="洞头区")
    _areas(island, "children")
    unverified = org_user("鹿城区新苗儿童服务社", verified=False)
    _areas(unverified, "children")
    league = org_user("鹿城区青少年宫", grade="A5")
    _areas(league, "children")
    _organization(league).is_league_body = True
    committed = org_user("鹿城区阳光儿童服务中心", grade="A5")
    _areas(committed, "children", "education")
    rival = org_user("鹿城区彩虹社工事务所", grade="A4")
    named = org_user("洞头区渔村互助会", district="洞头区")
    db.session.commit()
    _past_contract(staff, lead, trusted, uploads)
    tender = make_tender(staff, **({"max_members": 3} | tender_overrides))
    if tender.allows_consortium:
        rival_bid = ops.create_bid(
            tender,
            rival,
            consortium_input(
                rival,
                committed,
                members=[
                    member(rival, "lead", "50", "个案管理"),
                    member(committed, "member", "30", "课业辅导"),
                    member(named, "member", "20", "家访"),
                ],
            ),
        )
        ops.confirm_part(rival_bid, committed)
        db.session.commit()
    return World(
        staff, tender, lead, local, trusted, youth, island, unverified, league, committed, rival, named
    )


@pytest.fixture
def world(ctx: Flask, uploads: Path) -> World:
    return build_world(uploads)


def _suggested(world: World, **kwargs: object) -> list[finder.PartnerSuggestion]:
    return finder.suggest_partners(world.tender, _organization(world.lead), **kwargs)  # type: ignore[arg-type]


def _reasons(suggestion: finder.PartnerSuggestion) -> list[str]:
    return [str(reason.text) for reason in suggestion.reasons]


# ─────────────────────────────── suggestions ───────────────────────────────


@pytest.mark.parametrize("few", [200, 0], ids=["by-id", "every-row"])
def test_the_realistic_case_in_order_with_reasons(
    world: World, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finder, "_FEW", few)  # many organizations: the aggregates read every row
    suggestions = _suggested(world)
    assert [(s.organization.id, s.score) for s in suggestions] == [
        (world.org_id("local"), 68),  # 35 + 16.4 + 15 + 1.95
        (world.org_id("trusted"), 64),  # 28 + 16.8 + 7.5 + 0.45 + 11.25
        (world.org_id("island"), 36),  # 28 + 8 + 0.45: it would cost the consortium its 3A priority
        (world.org_id("youth"), 26),  # 14 + 4 + 7.5 + 0.45
        (world.org_id("named"), 4),  # named in the rival's draft, never confirmed: still free
    ]
    local, trusted, island, youth, named = suggestions
    assert _reasons(local) == [
        "具备该项目所需的儿童关爱服务领域，可补足牵头方",
        "还能提供贵组织尚未涉及的助学助教服务，与本项目相关",
        "等级 4A，联合体按最低等级计仍为 3A",
        "同在鹿城区开展服务",
        "已有 2 个公益项目",
    ]
    assert _reasons(trusted) == [
        "具备该项目所需的儿童关爱服务领域，可补足牵头方",
        "等级 5A，联合体按最低等级计仍为 3A",
        "与贵组织曾合作 1 次",
        "曾与贵组织联合投标 1 次",
        "在邻近的瓯海区开展服务",
    ]
    assert _reasons(island) == [
        "具备该项目所需的儿童关爱服务领域，可补足牵头方",
        "加入后联合体按最低等级计为 2A，将失去 3A 及以上的政策优先",
    ]
    assert island.reasons[-1].caution
    assert _reasons(youth) == [
        "还能提供贵组织尚未涉及的青少年服务、助学助教服务，与本项目相关",
        "在邻近的龙湾区开展服务",
        "加入后联合体按最低等级计将没有等级，将失去 3A 及以上的政策优先",
    ]
    assert _reasons(named)[0] == "已通过团区委认证，可作为联合体成员参与投标"
    assert all(s.invitation is None for s in suggestions)


def test_never_suggested(world: World) -> None:
    suggested = {s.organization.id for s in _suggested(world, limit=50)}
    for name in ("lead", "unverified", "league", "committed", "rival"):
        assert world.org_id(name) not in suggested, name


def test_an_organization_moderation_holds_is_neither_suggested_nor_invited(world: World) -> None:
    local_id = world.org_id("local")
    assert local_id in {s.organization.id for s in _suggested(world)}
    db.session.get(Organization, local_id).hidden_at = utcnow()
    db.session.commit()
    assert local_id not in {s.organization.id for s in _suggested(world, limit=50)}
    with pytest.raises(NotFound) as refused:
        finder.invite_partner(world.tender, world.lead, local_id)
    db.session.rollback()
    assert refused.value.message == "找不到该社会组织"  # the same answer as for no such organization
    assert db.session.scalar(select(func.count()).select_from(ConsortiumInvitation)) == 0


def test_the_limit_caps_the_list_and_is_checked(world: World) -> None:
    assert [s.organization.id for s in _suggested(world, limit=2)] == [
        world.org_id("local"),
        world.org_id("trusted"),
    ]
    for limit in (0, 51, "3", True):
        with pytest.raises(DomainError):
            _suggested(world, limit=limit)


def test_organizations_in_the_leads_bid_leave_the_list_and_count_for_its_grade(world: World) -> None:
    # The lead drafts a consortium with the island organization (2A): the consortium is now at 2A.
    bid = ops.create_bid(
        world.tender,
        world.lead,
        consortium_input(world.lead, world.island),
    )
    db.session.commit()
    suggestions = _suggested(world)
    ids = [s.organization.id for s in suggestions]
    assert world.org_id("island") not in ids
    assert ids[:2] == [world.org_id("local"), world.org_id("trusted")]
    assert "等级 4A，联合体按最低等级计仍为 2A" in _reasons(suggestions[0])
    # Three members is this tender's maximum: with one more there is no room left.
    ops.update_bid(
        bid,
        world.lead,
        ops.BidInput(
            members=[
                member(world.lead, "lead", "50"),
                member(world.island, "member", "30"),
                member(world.youth, "member", "20"),
            ]
        ),
    )
    db.session.commit()
    assert _suggested(world) == []
    with pytest.raises(Conflict) as refused:
        finder.invite_partner(world.tender, world.lead, world.org_id("local"))
    assert refused.value.message == "联合体成员已达本次采购的上限 3 个"


def test_an_organization_already_in_the_leads_bid_is_not_invited_again(world: World) -> None:
    ops.create_bid(world.tender, world.lead, consortium_input(world.lead, world.island))
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        finder.invite_partner(world.tender, world.lead, world.org_id("island"))
    assert refused.value.message == "「洞头区海岛儿童关爱协会」已在贵组织的投标中"


def test_nothing_is_suggested_once_the_tender_stops_taking_bids(world: World) -> None:
    assert _suggested(world, now=after_deadline(world.tender)) == []
    ops.cancel_tender(world.tender, world.staff, reason="预算调整")
    db.session.commit()
    assert _suggested(world) == []


def test_nothing_is_suggested_for_a_tender_without_consortia(ctx: Flask, uploads: Path) -> None:
    world = build_world(uploads, allows_consortium=False, max_members=None)
    assert _suggested(world) == []


def test_the_number_of_queries_does_not_grow_with_the_number_of_organizations(world: World) -> None:
    def queries() -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            _suggested(world)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = queries()
    for n in range(4):
        extra = org_user(f"鹿城区新增儿童服务社{n}", grade="A4")
        _areas(extra, "children", "health")
        factories.project(extra, status="published", title="困境儿童关爱")
    assert len(_suggested(world, limit=50)) == 9
    assert queries() == before


# ─────────────────────────────── invitations ───────────────────────────────


def _notifications(user: User) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_invite_is_one_click_idempotent_and_notifies(world: World) -> None:
    trusted_id = world.org_id("trusted")
    shown = next(s for s in _suggested(world) if s.organization.id == trusted_id)
    invitation = finder.invite_partner(world.tender, world.lead, trusted_id, "期待再次合作")
    db.session.commit()
    assert invitation.status == "pending"
    # The reasons are kept as the lead saw them, as messages that read in the visitor's language.
    assert [str(reason) for reason in invitation.reason_messages] == _reasons(shown)
    assert all(item["msgid"] and item["code"] for item in invitation.reasons)
    assert invitation.message == "期待再次合作" and invitation.invited_by_id == world.lead.id
    again = finder.invite_partner(world.tender, world.lead, str(trusted_id))
    db.session.commit()
    assert again.id == invitation.id
    count = db.session.scalar(select(func.count()).select_from(ConsortiumInvitation))
    assert count == 1
    notes = [n for n in _notifications(world.trusted) if n.title.startswith("联合体投标邀请")]
    assert len(notes) == 1
    assert notes[0].link == f"/tenders/{world.tender.id}"
    assert "鹿城区夕阳红长者服务中心邀请贵组织组成联合体" in notes[0].body and "期待再次合作" in notes[0].body
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tender.partner_invited")).all()
    assert len(events) == 1 and events[0].subject_id == invitation.id
    assert events[0].payload["organization_id"] == trusted_id
    # The finder shows the invitation next to the suggestion.
    shown_again = next(s for s in _suggested(world) if s.organization.id == trusted_id)
    assert shown_again.invitation is not None and shown_again.invitation.id == invitation.id
    assert [item.id for item in finder.invitations_sent(world.tender, world.org_id("lead"))] == [
        invitation.id
    ]


@pytest.mark.parametrize("who", ["nobody", "staff", "company"])
def test_only_an_organization_member_invites(world: World, who: str) -> None:
    actor = {"nobody": None, "staff": world.staff, "company": factories.company_member()}[who]
    with pytest.raises(Forbidden):
        finder.invite_partner(world.tender, actor, world.org_id("local"))


def test_an_unverified_lead_cannot_invite(world: World) -> None:
    with pytest.raises(Forbidden):
        finder.invite_partner(world.tender, world.unverified, world.org_id("local"))


@pytest.mark.parametrize(
    ("target", "error", "field"),
    [
        ("unverified", Conflict, "organization_id"),
        ("league", Conflict, "organization_id"),
        ("committed", Conflict, "organization_id"),
        ("rival", Conflict, "organization_id"),
        ("lead", DomainError, "organization_id"),
    ],
)
def test_organizations_that_cannot_join_are_refused(
    world: World, target: str, error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as refused:
        finder.invite_partner(world.tender, world.lead, world.org_id(target))
    assert field in refused.value.fields  # type: ignore[attr-defined]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ConsortiumInvitation)) == 0


def test_committed_elsewhere_says_which_bid(world: World) -> None:
    with pytest.raises(Conflict) as refused:
        finder.invite_partner(world.tender, world.lead, world.org_id("committed"))
    assert "已参与本次采购的另一份投标" in refused.value.message


def test_bad_targets_and_messages(world: World) -> None:
    with pytest.raises(NotFound):
        finder.invite_partner(world.tender, world.lead, 999_999)
    with pytest.raises(DomainError):
        finder.invite_partner(world.tender, world.lead, "abc")
    with pytest.raises(DomainError) as refused:
        finder.invite_partner(world.tender, world.lead, world.org_id("local"), "很" * 501)
    assert "message" in refused.value.fields


def test_no_invitations_once_the_tender_is_closed(world: World) -> None:
    with pytest.raises(Conflict) as refused:
        finder.invite_partner(
            world.tender, world.lead, world.org_id("local"), now=after_deadline(world.tender, 0)
        )
    assert "submission_deadline" in refused.value.fields
    ops.cancel_tender(world.tender, world.staff, reason="预算调整")
    db.session.commit()
    with pytest.raises(Conflict):
        finder.invite_partner(world.tender, world.lead, world.org_id("local"))


def test_no_invitations_on_a_tender_without_consortia(ctx: Flask, uploads: Path) -> None:
    world = build_world(uploads, allows_consortium=False, max_members=None)
    with pytest.raises(Conflict) as refused:
        finder.invite_partner(world.tender, world.lead, world.org_id("local"))
    assert "不接受联合体" in refused.value.message


def test_a_draft_tender_is_invisible(world: World) -> None:
    draft = ops.create_tender(world.staff, tender_input(), publish=False)
    db.session.commit()
    with pytest.raises(NotFound):
        finder.invite_partner(draft, world.lead, world.org_id("local"))


def test_the_lead_bound_to_another_bid_cannot_gather_its_own(world: World) -> None:
    with pytest.raises(Conflict) as refused:
        finder.invite_partner(world.tender, world.committed, world.org_id("local"))
    assert "不能再牵头组建联合体" in refused.value.message
    assert finder.suggest_partners(world.tender, _organization(world.committed)) == []


# ─────────────────────────────── answers ───────────────────────────────


def test_accepting_notifies_the_lead_and_is_final(world: World) -> None:
    invitation = finder.invite_partner(world.tender, world.lead, world.org_id("trusted"))
    db.session.commit()
    for outsider in (world.lead, world.local, world.staff, None):
        with pytest.raises(Forbidden):
            finder.respond_to_invitation(invitation, outsider, True)
    with pytest.raises(DomainError):
        finder.respond_to_invitation(invitation, world.trusted, "yes")
    finder.respond_to_invitation(invitation, world.trusted, True)
    db.session.commit()
    assert invitation.status == "accepted" and invitation.responded_at is not None
    notes = [n for n in _notifications(world.lead) if "接受了联合体邀请" in n.title]
    assert len(notes) == 1 and notes[0].link == f"/tenders/{world.tender.id}"
    assert finder.respond_to_invitation(invitation, world.trusted, True).status == "accepted"  # same answer
    with pytest.raises(Conflict):
        finder.respond_to_invitation(invitation, world.trusted, False)
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "tender.partner_invitation_accepted")
        )
        == 1
    )


def test_declining_notifies_the_lead(world: World) -> None:
    invitation = finder.invite_partner(world.tender, world.lead, world.org_id("island"))
    db.session.commit()
    finder.respond_to_invitation(invitation, world.island, False)
    db.session.commit()
    assert invitation.status == "declined"
    assert any("谢绝了联合体邀请" in n.title for n in _notifications(world.lead))
    # A second click of the lead does not reopen it.
    assert finder.invite_partner(world.tender, world.lead, world.org_id("island")).status == "declined"


def test_accepting_needs_an_open_tender_but_declining_does_not(world: World) -> None:
    first = finder.invite_partner(world.tender, world.lead, world.org_id("local"))
    second = finder.invite_partner(world.tender, world.lead, world.org_id("youth"))
    db.session.commit()
    late = after_deadline(world.tender)
    with pytest.raises(Conflict):
        finder.respond_to_invitation(first, world.local, True, now=late)
    db.session.rollback()
    assert finder.respond_to_invitation(second, world.youth, False, now=late).status == "declined"


def test_accepting_is_refused_once_bound_to_another_bid(world: World) -> None:
    invitation = finder.invite_partner(world.tender, world.lead, world.org_id("named"))
    db.session.commit()
    rival_bid = next(bid for bid in world.tender.bids if bid.lead_organization_id == world.org_id("rival"))
    ops.confirm_part(rival_bid, world.named)  # it commits to the rival after being invited
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        finder.respond_to_invitation(invitation, world.named, True)
    assert f"#{rival_bid.id}" in refused.value.message


def test_invitations_received_pending_first(world: World) -> None:
    from_lead = finder.invite_partner(world.tender, world.lead, world.org_id("trusted"))
    db.session.commit()
    finder.respond_to_invitation(from_lead, world.trusted, True)
    from_local = finder.invite_partner(world.tender, world.local, world.org_id("trusted"))
    db.session.commit()
    assert [item.id for item in finder.invitations_for(world.org_id("trusted"))] == [
        from_local.id,
        from_lead.id,
    ]
    assert finder.invitations_for(world.org_id("youth")) == []
    assert finder.get_invitation(from_lead.id).id == from_lead.id
    with pytest.raises(NotFound):
        finder.get_invitation(999_999)


def test_invitations_survive_the_deadline_in_the_lists(world: World) -> None:
    invitation = finder.invite_partner(world.tender, world.lead, world.org_id("local"))
    db.session.commit()
    ops.close_submissions(world.tender, now=world.tender.submission_deadline + timedelta(seconds=1))
    db.session.commit()
    assert [item.id for item in finder.invitations_for(world.org_id("local"))] == [invitation.id]
    assert finder.invitation_status_label(invitation) == "待答复"
