"""`flask demo` loads a realistic data set once, through the real operations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.agreements import operations as agreements
from marketplace.agreements.models import Agreement, AgreementComment, AgreementReminder
from marketplace.agreements.terms import diff
from marketplace.demo import agreement_content, content, tender_content
from marketplace.extensions import db
from marketplace.matching.models import Introduction
from marketplace.notifications.models import Notification
from marketplace.parties.models import Company, Organization
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import MatchingPool, Pledge
from marketplace.projects.models import FundUsageReport, Project, ProjectUpdate
from marketplace.projects.states import ProjectStatus
from marketplace.taxonomy.data import CATEGORY_SLUGS
from marketplace.tenders import operations as tenders
from marketplace.tenders import partner_operations
from marketplace.tenders.models import Bid, Tender
from marketplace.tenders.states import TenderStatus
from marketplace.timeutil import local_today, utcnow
from tests import conftest
from tests.demo_support import SharedDemo

LUCHENG_INCUBATED = (
    "海汇敬老助老公益发展中心",
    "三乐亭爱心驿站",
    "爱心璀璨公益发展中心",
    "荒岛图书社",
    "青少年社会工作服务中心",
)


_SHARED = SharedDemo()


@pytest.fixture(scope="module")
def shared_demo(database_url: str) -> Iterator[SharedDemo]:
    yield _SHARED
    _SHARED.dispose()


def _run_demo(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def demo(
    shared_demo: SharedDemo, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Flask, str]:
    """The app after one real `flask demo` and what that run printed. The tests below only read what
    it loaded (one signs in and takes a token), so they share one load. The test of loading twice
    has its own."""
    return shared_demo.get(database_url, tmp_path_factory, _run_demo)


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Organization, Company, Project, Pledge, Agreement, AgreementComment, Notification)
    }


def test_demo_loads_once_and_prints_logins(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "org@demo.qingqinchou.cn" in first.output
    assert "staff@demo.qingqinchou.cn" in first.output
    assert content.DEMO_PASSWORD in first.output
    with app.app_context():
        after_first = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _counts() == after_first

        assert after_first["Organization"] >= 12
        assert after_first["Company"] >= 8
        assert after_first["Project"] >= 40
        names = db.session.scalars(select(Organization.name)).all()
        for incubated in LUCHENG_INCUBATED:
            assert any(incubated in name for name in names), incubated
        statuses = set(db.session.scalars(select(Project.status)).all())
        assert statuses == {status.value for status in ProjectStatus}
        used = set(db.session.scalars(select(func.distinct(Project.category_id))).all())
        assert len(used) == len(CATEGORY_SLUGS)
        # Every project's running total equals its ledger, checked in one statement.
        assert pledges.ledger_mismatches() == []
        # The money paths all appear: matched, pending, refund-due pledges, disbursements, a pool.
        statuses = set(db.session.scalars(select(Pledge.status)).all())
        assert {"paid", "pending", "refund_due"} <= statuses
        assert db.session.scalar(select(func.sum(Project.matched_amount))) > 0
        assert db.session.scalar(select(func.sum(Project.disbursed_amount))) > 0
        assert db.session.scalar(select(func.count()).select_from(MatchingPool)) == len(
            content.MATCHING_POOLS
        )
        qualified = db.session.scalar(select(Organization).where(Organization.public_fundraising_qualified))
        assert qualified is not None
        own = db.session.scalars(
            select(Pledge.payee_kind).join(Project).where(Project.organization_id == qualified.id)
        ).all()
        assert own and set(own) == {"organization"}
        assert db.session.scalar(select(func.count()).select_from(ProjectUpdate)) == len(
            content.PROJECT_UPDATES
        )
        report = db.session.scalars(select(FundUsageReport)).one()
        assert report.total == 2_850_000 and report.project.disbursed_amount >= report.total


def test_demo_logins_work(demo):
    app, _ = demo
    client = app.test_client()
    auth = conftest.AuthActions(client)
    response = client.post(
        "/api/v1/tokens", json={"email": "org@demo.qingqinchou.cn", "password": content.DEMO_PASSWORD}
    )
    assert response.status_code == 201

    # The company demo user's agreement list shows its three agreements and no one else's.
    auth.login("company@demo.qingqinchou.cn", content.DEMO_PASSWORD)
    page = client.get("/agreements").get_data(as_text=True)
    for record in (
        agreement_content.FOUR_OCLOCK,
        agreement_content.SILVER_CANTEEN,
        agreement_content.NIGHT_SCHOOL,
    ):
        assert record["title"] in page
    assert agreement_content.MILK["title"] not in page
    auth.logout()
    # The organization demo user is asked to sign 「银龄食堂」.
    auth.login("org@demo.qingqinchou.cn", content.DEMO_PASSWORD)
    page = client.get("/agreements").get_data(as_text=True)
    assert "待我签署" in page
    awaiting = page.split("待我签署", 1)[1].split("</section>", 1)[0]
    assert agreement_content.SILVER_CANTEEN["title"] in awaiting
    assert agreement_content.DIGITAL_CLASS["title"] not in awaiting


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _agreement(record: dict) -> Agreement:
    return db.session.scalars(select(Agreement).where(Agreement.title == record["title"])).one()


def _visible_to(email: str) -> set[int]:
    """The partnership agreements (not the service contracts of tenders) the user sees."""
    found = agreements.list_agreements(_user(email), agreements.AgreementFilters())
    return {agreement.id for agreement in found if agreement.type == "strategic_cooperation"}


def _awaiting(email: str) -> list[int]:
    return [agreement.id for agreement, _ in agreements.awaiting_my_signature(_user(email))]


def test_demo_agreements_cover_every_stage_of_the_brokered_workflow(demo):
    app, output = demo
    assert "合作协议 7 个" in output
    with app.app_context():
        today = local_today()
        statuses = set(
            db.session.scalars(
                select(Agreement.status).where(Agreement.type == "strategic_cooperation")
            ).all()
        )
        assert statuses == {"active", "pending_signature", "negotiating", "terminated", "expired"}
        # Loading went through the operations: every event is in the audit chain, and it holds.
        assert audit.verify_chain() is None
        assert pledges.ledger_mismatches() == []

        # Brokered by staff from the introduction that converted; negotiated through a change request.
        main = _agreement(agreement_content.FOUR_OCLOCK)
        assert main.status == "active" and main.broker.email == "staff@demo.qingqinchou.cn"
        introduction = db.session.get(Introduction, main.introduction_id)
        assert introduction.status == "converted" and introduction.company_id == main.company_id
        assert [project.title for project in main.projects] == ["「四点钟课堂」外来务工子女课后托管"]
        withdrawn, signed = main.versions
        assert (withdrawn.status, signed.status) == ("withdrawn", "signed")
        assert main.current_version_id == signed.id
        request = db.session.scalars(
            select(AgreementComment).where(
                AgreementComment.version_id == withdrawn.id, AgreementComment.kind == "request_changes"
            )
        ).one()
        assert request.body == withdrawn.close_reason and "90,000 元" in request.body
        changed = {row.key for row in diff(withdrawn.content, signed.content) if row.changed}
        assert {"committed_amount", "tranches", "terms.kpis"} <= changed
        assert "服务外来务工人员子女不少于 90 人" in signed.terms["kpis"]
        assert signed.terms["in_kind"] and signed.terms["volunteers"] == 40
        assert {signature.signer.email for signature in signed.signed_signatures} == {
            "company@demo.qingqinchou.cn",
            "jinxiaodong@demo.qingqinchou.cn",
        }
        money = agreements.money_summary(main)
        paid = [pledge for pledge in money.pledges if pledge.status == "paid"]
        scheduled = [pledge for pledge in money.pledges if pledge.status == "pending"]
        assert money.committed == 9_000_000
        assert len(paid) == 1 and paid[0].bank_reference and paid[0].confirmed_by.is_staff
        assert money.received == paid[0].paid_amount == 2_000_000
        assert len(scheduled) == 2 and money.scheduled == 7_000_000
        assert all(pledge.due_on > today for pledge in scheduled)
        assert all(pledge.project_id == main.projects[0].id for pledge in money.pledges)

        # The company signed 「银龄食堂」; the organization demo user is the one it waits for.
        pending = _agreement(agreement_content.SILVER_CANTEEN)
        assert pending.status == "pending_signature"
        assert [signature.signer.email for signature in pending.pending_version.signatures] == [
            "company@demo.qingqinchou.cn"
        ]
        assert pending.id in _awaiting("org@demo.qingqinchou.cn")
        assert agreements.awaiting_my_signature(_user("company@demo.qingqinchou.cn")) == []

        negotiating = _agreement(agreement_content.DIGITAL_CLASS)
        assert negotiating.status == "negotiating" and negotiating.pending_version.status == "draft"
        assert negotiating.introduction_id is not None
        assert len(agreements.comments(negotiating)) >= 2

        # Ends within 30 days: staff's expiring list, and the renewal reminder has gone out.
        milk = _agreement(agreement_content.MILK)
        assert agreements.expiring() == [milk]
        assert today < milk.ends_on <= today + timedelta(days=30)
        assert milk.projects == [] and milk.current_version.committed_amount is None
        assert milk.current_version.terms["in_kind"] and milk.current_version.terms["volunteers"]
        assert db.session.scalar(
            select(AgreementReminder.id).where(
                AgreementReminder.agreement_id == milk.id, AgreementReminder.kind == "renewal"
            )
        )
        org_titles = db.session.scalars(
            select(Notification.title).where(Notification.user_id == _user("org@demo.qingqinchou.cn").id)
        ).all()
        assert any(title.startswith("续约提醒") for title in org_titles)
        assert any(title.startswith("签署提醒") for title in org_titles)

        # No project named: the one tranche goes to the organization's agreement account.
        account = _agreement(agreement_content.NIGHT_SCHOOL)
        [tranche] = agreements.agreement_pledges(account)
        assert tranche.project_id is None and tranche.status == "pending"
        assert tranche.organization_id == account.organization_id

        terminated = _agreement(agreement_content.ISLAND_RESCUE)
        assert terminated.status == "terminated" and terminated.end_reason
        statuses = sorted(pledge.status for pledge in agreements.agreement_pledges(terminated))
        assert statuses == ["cancelled", "paid"]
        expired = _agreement(agreement_content.BRIGHT_EYES)
        assert expired.status == "expired" and expired.ends_on < today
        assert agreements.money_summary(expired).received == expired.current_version.committed_amount

        # What each demo user sees.
        assert _visible_to("company@demo.qingqinchou.cn") == {main.id, pending.id, account.id}
        assert _visible_to("org@demo.qingqinchou.cn") == {pending.id, negotiating.id, milk.id}
        assert len(_visible_to("staff@demo.qingqinchou.cn")) == 7


def _tender(record: dict) -> Tender:
    return db.session.scalars(select(Tender).where(Tender.title == record["title"])).one()


def _bid(tender: Tender, organization_name: str) -> Bid:
    [bid] = [bid for bid in tender.bids if organization_name in bid.lead_organization.name]
    return bid


def test_demo_tenders_cover_every_state_through_the_operations(demo):
    app, output = demo
    assert "政府购买服务 8 个" in output
    with app.app_context():
        now = utcnow()
        statuses = set(db.session.scalars(select(Tender.status)).all())
        assert statuses == {status.value for status in TenderStatus}
        # Played through the operations: the audit chain holds; only row timestamps were moved back,
        # never into the future, and every bid went in before its deadline.
        assert audit.verify_chain() is None
        for tender in db.session.scalars(select(Tender)):
            assert tender.created_at <= (tender.published_at or now) <= now
            for bid in tender.bids:
                assert bid.created_at <= now
                assert bid.submitted_at is None or bid.submitted_at < tender.submission_deadline
        org = _user("org@demo.qingqinchou.cn")

        # Open: 海汇 leads a draft consortium that 爱心璀璨 has yet to confirm, and has invited the
        # partner finder's suggestion; 青少年社工中心's single bid is in.
        children = _tender(tender_content.CHILDREN)
        assert children.status == "open" and children.submission_deadline > now
        assert (
            children.allows_consortium
            and children.max_members == 3
            and children.max_subcontract_share == 3000
        )
        draft = _bid(children, "海汇")
        assert (draft.status, draft.mode, draft.lead_organization_id) == (
            "draft",
            "consortium",
            org.organization_id,
        )
        assert [item.organization.name for item in tenders.unconfirmed(draft)] == [
            "鹿城区爱心璀璨公益发展中心"
        ]
        partner = _user("chenxiaocan@demo.qingqinchou.cn")
        assert draft in tenders.my_bids(partner) and not tenders.participant_of(draft, partner).is_confirmed
        [invitation] = partner_operations.invitations_sent(children, org.organization_id)
        assert (
            invitation.status == "pending" and invitation.organization.name == "鹿城区公益小天使志愿服务中心"
        )
        assert invitation.reasons
        single = _bid(children, "青少年社会工作服务中心")
        assert (single.status, single.mode) == ("submitted", "single")
        assert not tenders.can_view_bid(single, org)  # bids stay confidential until the award

        # Open: the buyer's substantive edit invalidated the submitted consortium bid.
        after_school = _tender(tender_content.AFTER_SCHOOL)
        assert after_school.status == "open" and after_school.revision == 2
        assert after_school.budget == 42_000_000 and "6 所小学" in after_school.description
        [invalid] = after_school.bids
        assert invalid.status == "invalid" and invalid.invalidated_reason
        assert invalid.tender_revision == 1 and tenders.unconfirmed(invalid)

        # Evaluating: three scored, one disqualified with a reason, two bidders with one legal representative.
        first_aid = _tender(tender_content.FIRST_AID)
        assert first_aid.status == "evaluating" and first_aid.submission_deadline < now
        assert first_aid.buyer.kind == "foundation" and first_aid.method == "foundation_call"
        ranked = tenders.ranking(first_aid)
        assert [(item.bid.lead_organization.name, item.bid.score) for item in ranked] == [
            ("洞头区海霞应急救援服务中心", 9150),
            ("鹿城区红铃铛社区服务社", 8600),
            ("鹿城区益立方社会组织服务中心", 8450),
        ]
        disqualified = _bid(first_aid, "三乐亭")
        assert disqualified.status == "disqualified" and "救护培训师资证书" in disqualified.evaluation_reason
        flags = tenders.review_flags(first_aid)
        shared = {_bid(first_aid, "红铃铛").id, _bid(first_aid, "益立方").id}
        assert set(flags) == shared
        assert all("胡思远" in flag for bid_id in shared for flag in flags[bid_id])

        # Awarded to a consortium; the contract waits for 海汇: buyer recorded by staff, lead signed.
        safe = _tender(tender_content.SAFE_AT_HOME)
        assert safe.status == "awarded" and safe.grade_rule == "lead_only" and safe.grade_rule_basis
        award = safe.current_award
        assert award.bid.mode == "consortium" and award.bid.status == "awarded" and not award.contract_signed
        assert _bid(safe, "永嘉县义工协会").status == "unsuccessful"
        contract = award.agreement
        assert contract.type == "service_contract" and contract.status == "pending_signature"
        signed = {signature.party.role: signature for signature in contract.pending_version.signatures}
        assert signed["buyer"].recorded_by_staff and signed["buyer"].evidence
        assert [
            signature.signer.email for signature in signed.values() if signature.party.role == "member"
        ] == ["zhenglequn@demo.qingqinchou.cn"]
        haihui = next(party for party in contract.parties if party.organization_id == org.organization_id)
        assert agreements.can_sign(haihui, org) and haihui.id not in {s.party_id for s in signed.values()}

        # Awarded, contract in force: prime contractor with a consented, active subcontract.
        study = _tender(tender_content.STUDY_TOURS)
        award = study.current_award
        assert study.status == "awarded" and award.contract_signed and award.agreement.status == "active"
        assert award.bid.mode == "prime_with_subs"
        [subcontract] = award.bid.subcontractors
        assert subcontract.consent_status == "consented" and subcontract.consent_note
        assert (
            subcontract.activated_at is not None
            and subcontract.organization.name == "鹿城区瓯越地名文化研究会"
        )

        # Unsuccessful: the only valid bid won and declined; its contract was cancelled.
        swim = _tender(tender_content.SWIM_SAFE)
        assert swim.status == "unsuccessful" and swim.end_reason and swim.current_award is None
        [declined] = swim.awards
        assert declined.status == "declined" and declined.decline_reason
        assert declined.agreement.status == "cancelled"
        assert _bid(swim, "泰迪熊").status == "disqualified"

        # Cancelled with its reason; 海汇's submitted bid went with it.
        wuma = _tender(tender_content.WUMA_HOME_CARE)
        assert wuma.status == "cancelled" and "统一采购" in wuma.end_reason
        assert [bid.status for bid in wuma.bids] == ["cancelled"]

        # The draft is for staff only.
        inclusion = _tender(tender_content.INCLUSION)
        assert inclusion.status == "draft" and not tenders.can_view_tender(inclusion, org)
        staff_sees = tenders.list_tenders(_user("staff@demo.qingqinchou.cn"))
        assert len(staff_sees) == 8 and inclusion in staff_sees
        assert inclusion not in tenders.list_tenders(org) and len(tenders.list_tenders(None)) == 7

        # The organization demo user's bids: its draft consortium, the contract it is a member of,
        # and the cancelled single bid.
        assert set(tenders.my_bids(org)) == {draft, safe.current_award.bid, wuma.bids[0]}


def test_demo_consortium_member_sees_the_contract_it_must_sign(demo):
    app, _ = demo
    with app.app_context():
        contract = _tender(tender_content.SAFE_AT_HOME).current_award.agreement
        found = agreements.list_agreements(_user("org@demo.qingqinchou.cn"), agreements.AgreementFilters())
        assert contract in found
        assert contract.id in _awaiting("org@demo.qingqinchou.cn")
