"""Turn the demo content into rows through the same operations people use.

Idempotent: every record is looked up by its natural key (e-mail, party name, project title)
first, so loading twice adds nothing. Only timestamps are adjusted directly, to make the history
look lived-in (pledges made weeks ago, projects that ended last month).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace.accounts import operations as accounts
from marketplace.accounts.models import Role, User
from marketplace.demo import content
from marketplace.demo.agreements import load_agreements
from marketplace.demo.evaluations import load_evaluations
from marketplace.demo.moderation import load_moderation
from marketplace.demo.needs import load_needs
from marketplace.demo.supervision import load_supervision
from marketplace.demo.tenders import load_tenders
from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.matching.models import Introduction
from marketplace.parties import operations as parties
from marketplace.parties.models import Company, Organization
from marketplace.parties.uscc import make_uscc
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, MatchingPool, Pledge, PledgeMethod
from marketplace.pledges.states import PledgeStatus
from marketplace.projects import operations as projects
from marketplace.projects import updates
from marketplace.projects.models import Project
from marketplace.projects.states import FundingModel, ProjectStatus, outcome_at_deadline
from marketplace.taxonomy.models import Category
from marketplace.timeutil import local_today, utcnow

FINISHED = {ProjectStatus.FUNDED, ProjectStatus.FAILED, ProjectStatus.CLOSED}


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, created: bool) -> None:
        bucket = self.created if created else self.skipped
        bucket[kind] = bucket.get(kind, 0) + 1


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _party_input(record: dict[str, Any]) -> parties.PartyInput:
    first_member = record["members"][0]
    return parties.PartyInput(
        name=record["name"],
        uscc=make_uscc(record["uscc_prefix"]),
        district=record["district"],
        contact_name=record.get("contact_name", first_member["name"]),
        contact_phone=record.get("contact_phone", ""),
        contact_email=first_member["email"],
        description=record.get("description", ""),
        community=record.get("community", ""),
        founded_year=record.get("founded_year"),
        business_areas=record.get("business_areas", []),
        industry=record.get("industry", ""),
        focus_categories=record.get("focus_categories", []),
        districts_of_interest=record.get("districts_of_interest", []),
        yearly_budget_yuan=record.get("yearly_budget_yuan"),
    )


def _load_staff(report: LoadReport) -> User:
    for record in content.STAFF:
        exists = _user(record["email"]) is not None
        if not exists:
            accounts.create_staff(
                Role(record["role"]),
                accounts.AccountInput(
                    email=record["email"], password=content.DEMO_PASSWORD, name=record["name"]
                ),
            )
        report.count("staff", created=not exists)
    reviewer = _user(content.STAFF[0]["email"])
    assert reviewer is not None
    return reviewer


def _load_party(
    record: dict[str, Any], role: Role, reviewer: User, report: LoadReport
) -> Organization | Company:
    model = Organization if role == Role.ORG else Company
    party = db.session.scalar(select(model).where(model.name == record["name"]))
    kind = "organizations" if role == Role.ORG else "companies"
    report.count(kind, created=party is None)
    if party is None:
        first, *others = record["members"]
        user = accounts.sign_up(
            role,
            accounts.AccountInput(email=first["email"], password=content.DEMO_PASSWORD, name=first["name"]),
            _party_input(record),
        )
        party = user.organization if role == Role.ORG else user.company
        assert party is not None
        for member in others:
            accounts.add_member(
                party,
                accounts.AccountInput(
                    email=member["email"], password=content.DEMO_PASSWORD, name=member["name"]
                ),
                actor_id=user.id,
            )
        verification = record.get("verification", "verified")
        if verification == "verified":
            parties.verify_party(party, staff_id=reviewer.id)
        elif verification == "rejected":
            parties.reject_party(party, staff_id=reviewer.id, reason=record["rejection_reason"])
        if role == Role.ORG and (record.get("grade") or record.get("tier")):
            valid_until = record.get("grade_valid_until")
            parties.set_organization_grade(
                party,
                grade=record.get("grade"),
                valid_until=date.fromisoformat(valid_until) if valid_until else None,
                tier=record.get("tier"),
                staff_id=reviewer.id,
            )
    if isinstance(party, Organization) and not party.legal_representative:
        # For the tenders' 实施条例 第18条 review; also filled in on a database loaded before it existed.
        party.legal_representative = record.get("legal_representative", "")
    return party


def _project_input(record: dict[str, Any], deadline: date) -> projects.ProjectInput:
    return projects.ProjectInput(
        title=record["title"],
        summary=record["summary"],
        description=record["description"],
        category=record["category"],
        tags=record["tags"],
        district=record["district"],
        community=record.get("community", ""),
        goal_amount=record["goal_yuan"] * 100,
        deadline=deadline,
        funding_model=record["funding_model"],
        beneficiaries=record.get("beneficiaries", 0),
    )


def _backdate(project: Project, days_ago: int, now: datetime) -> None:
    project.created_at = now - timedelta(days=days_ago + 5)
    project.submitted_at = now - timedelta(days=days_ago + 3)
    project.published_at = now - timedelta(days=days_ago + 1)


def _transfer_received(
    project: Project, donor: User, reviewer: User, request: pledges.PledgeRequest, key: str, reference: str
) -> Pledge:
    """A bank-transfer pledge made through the real operation, then confirmed by staff in full."""
    pledge = pledges.create_pledge(project, donor, request, idempotency_key=key, card_enabled=False)
    pledges.confirm_offline_pledge(pledge, reviewer, received_amount=request.amount, bank_reference=reference)
    return pledge


def _add_pledges(
    project: Project, record: dict[str, Any], companies: dict[str, Company], reviewer: User, now: datetime
) -> None:
    for number, item in enumerate(record.get("pledges", []), start=1):
        company = companies[item["company"]]
        donor = company.members[0]
        pledge = _transfer_received(
            project,
            donor,
            reviewer,
            pledges.PledgeRequest(item["amount_yuan"] * 100, PledgeMethod.BANK_TRANSFER.value),
            f"demo-{record['key']}-{number}",
            f"DEMO-{record['key']}-{number}",
        )
        when = now - timedelta(days=item["days_ago"])
        pledge.created_at = pledge.paid_at = when
        for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.pledge_id == pledge.id)):
            entry.created_at = when


def _load_project(
    record: dict[str, Any],
    organizations: dict[str, Organization],
    companies: dict[str, Company],
    reviewer: User,
    report: LoadReport,
) -> None:
    organization = organizations[record["organization"]]
    existing = db.session.scalar(
        select(Project).where(Project.organization_id == organization.id, Project.title == record["title"])
    )
    report.count("projects", created=existing is None)
    if existing is not None:
        return
    author = organization.members[0]
    target = ProjectStatus(record["status"])
    now = utcnow()
    days = record["deadline_days"]
    # Finished projects are run while their deadline is still ahead, then moved into the past.
    deadline = local_today() + timedelta(days=days if days > 0 else 30)
    project = projects.create_project(author, _project_input(record, deadline))
    oldest_pledge = max((item["days_ago"] for item in record.get("pledges", [])), default=3)
    _backdate(project, oldest_pledge, now)
    if target == ProjectStatus.CANCELLED:
        projects.transition_project(project, "cancel", author)
        return
    if target == ProjectStatus.DRAFT:
        return
    projects.transition_project(project, "submit", author)
    if target == ProjectStatus.SUBMITTED:
        return
    if target == ProjectStatus.RETURNED:
        projects.transition_project(project, "return", reviewer, reason=record["return_reason"])
        return
    projects.transition_project(project, "publish", reviewer)
    _add_pledges(project, record, companies, reviewer, now)
    db.session.refresh(project)
    if record.get("featured") and target == ProjectStatus.PUBLISHED:
        projects.set_featured(project, reviewer, True)
    if target in FINISHED:
        project.deadline = now + timedelta(days=days)
        action = outcome_at_deadline(
            FundingModel(project.funding_model), project.raised_amount, project.goal_amount
        )
        projects.transition_project(project, action, None)
        if project.status == ProjectStatus.FAILED:
            # As the deadline job does: bank transfers must go back, so staff see them as refund-due.
            for pledge in pledges.pledges_for(project, statuses=[PledgeStatus.PAID.value]):
                pledges.mark_refund_due(pledge, reason="项目未达成目标")
        if project.status != target:
            raise ValueError(f"demo project {record['key']} ended {project.status}, expected {target}")
        project.ended_at = project.deadline


def _load_foundation(reviewer: User, report: LoadReport) -> None:
    record = content.FOUNDATION
    exists = pledges.default_foundation() is not None
    report.count("foundations", created=not exists)
    if not exists:
        pledges.save_foundation(None, reviewer, pledges.FoundationInput(**record))


def load_demo() -> LoadReport:
    """Load everything in one transaction (the caller commits)."""
    report = LoadReport()
    reviewer = _load_staff(report)
    _load_foundation(reviewer, report)
    organizations = {
        record["key"]: _load_party(record, Role.ORG, reviewer, report) for record in content.ORGANIZATIONS
    }
    companies = {
        record["key"]: _load_party(record, Role.COMPANY, reviewer, report) for record in content.COMPANIES
    }
    db.session.flush()
    _load_qualifications(organizations, reviewer)
    for record in content.PROJECTS:
        _load_project(record, organizations, companies, reviewer, report)  # type: ignore[arg-type]
    db.session.flush()
    _load_money(companies, reviewer, report)
    db.session.flush()
    _load_matching(companies, reviewer, report)
    db.session.flush()
    load_agreements(companies, organizations, _projects_by_key(), report)  # type: ignore[arg-type]
    db.session.flush()
    load_tenders(organizations, report)  # type: ignore[arg-type]
    db.session.flush()
    load_needs(report)
    db.session.flush()
    # After the agreements and bids (peer reviews exclude partners), before the supervision draw
    # (it samples by grade).
    load_evaluations(organizations, report)  # type: ignore[arg-type]
    db.session.flush()
    load_supervision(organizations, reviewer, report)  # type: ignore[arg-type]
    db.session.flush()
    load_moderation(report)
    db.session.flush()
    return report


def _load_matching(companies: dict[str, Company], reviewer: User, report: LoadReport) -> None:
    """Sponsor profiles, introductions in every state, and the staff board — once."""
    existing = db.session.scalar(select(Introduction.id).limit(1))
    report.count("introductions", created=existing is None)
    if existing is not None:
        return
    for key, record in content.SPONSOR_PROFILES.items():
        company = companies[key]
        matching.save_sponsor_profile(
            company,
            matching.SponsorProfileInput(
                focus_categories=[category.slug for category in company.focus_categories],
                districts=[district.name for district in company.districts_of_interest],
                pledge_min=record["pledge_min_yuan"] * 100,
                pledge_max=record["pledge_max_yuan"] * 100,
                yearly_budget=company.yearly_budget,
                interest_statement=record["interest_statement"],
                preferred_grades=record["preferred_grades"],
                preferred_tiers=record["preferred_tiers"],
                volunteer_capacity=record["volunteer_capacity"],
            ),
            company.members[0],
        )
    projects_by_key = _projects_by_key()
    now = utcnow()
    for number, item in enumerate(content.INTRODUCTIONS, start=1):
        company, project = companies[item["company"]], projects_by_key[item["project"]]
        member = company.members[0]
        introduction = matching.send_introduction(reviewer, company, project, item["note"])
        introduction.sent_at = now - timedelta(days=item["days_ago"])
        db.session.flush()
        outcome = item["outcome"]
        if outcome == "viewed":
            matching.mark_viewed(introduction, member)
        elif outcome in ("interested", "declined"):
            matching.respond_to_introduction(introduction, member, outcome, item.get("response", ""))
        elif outcome == "converted":
            matching.mark_viewed(introduction, member)
            _transfer_received(
                project,
                member,
                reviewer,
                pledges.PledgeRequest(item["pledge_yuan"] * 100, PledgeMethod.BANK_TRANSFER.value),
                f"demo-introduced-{number}",
                f"DEMO-INTRODUCED-{number}",
            )
    matching.refresh_board(now=now)


def _load_qualifications(organizations: dict[str, Organization], reviewer: User) -> None:
    for record in content.QUALIFIED_ORGANIZATIONS:
        organization = organizations[record["organization"]]
        if organization.public_fundraising_qualified:
            continue
        account = pledges.BankAccountInput(
            record["bank_name"], record["bank_account_name"], record["bank_account_number"]
        )
        pledges.set_fundraising_qualification(organization, reviewer, qualified=True, account=account)


def _projects_by_key() -> dict[str, Project]:
    titles = {record["title"]: record["key"] for record in content.PROJECTS}
    return {
        titles[project.title]: project
        for project in db.session.scalars(select(Project).where(Project.title.in_(list(titles))))
    }


def _load_money(companies: dict[str, Company], reviewer: User, report: LoadReport) -> None:
    """Pools, matched and pending pledges, disbursements — once: the pools are the marker."""
    existing = db.session.scalar(select(MatchingPool.id).limit(1))
    report.count("matching_pools", created=existing is None)
    if existing is not None:
        return
    projects_by_key = _projects_by_key()
    now = utcnow()
    for record in content.MATCHING_POOLS:
        donor = companies[record["company"]].members[0]
        category_ids = db.session.scalars(
            select(Category.id).where(Category.slug.in_(record["categories"]))
        ).all()
        pledges.open_matching_pool(
            donor,
            pledges.PoolInput(
                name=record["name"],
                description=record["description"],
                budget=record["budget_yuan"] * 100,
                ratio_bp=record["ratio_bp"],
                cap_per_pledge=_fen_or_none(record["cap_per_pledge_yuan"]),
                cap_per_project=_fen_or_none(record["cap_per_project_yuan"]),
                category_ids=tuple(category_ids),
                districts=tuple(record["districts"]),
                starts_at=now + timedelta(days=record["start_days"]),
                ends_at=now + timedelta(days=record["end_days"]),
            ),
        )
    for number, item in enumerate(content.MATCHED_PLEDGES, start=1):
        _transfer_received(
            projects_by_key[item["project"]],
            companies[item["company"]].members[0],
            reviewer,
            pledges.PledgeRequest(
                amount=item["amount_yuan"] * 100,
                method=PledgeMethod.BANK_TRANSFER.value,
                message=item["message"],
                anonymous=item.get("anonymous", False),
            ),
            f"demo-matched-{number}",
            f"DEMO-MATCHED-{number}",
        )
    for number, item in enumerate(content.PENDING_PLEDGES, start=1):
        pledges.create_pledge(
            projects_by_key[item["project"]],
            companies[item["company"]].members[0],
            pledges.PledgeRequest(
                amount=item["amount_yuan"] * 100,
                method=item["method"],
                in_kind_description=item.get("in_kind_description", ""),
            ),
            idempotency_key=f"demo-pending-{number}",
            card_enabled=False,
        )
    _load_updates_and_reports(projects_by_key)
    for number, item in enumerate(content.DISBURSEMENTS, start=1):
        pledges.record_disbursement(
            projects_by_key[item["project"]],
            reviewer,
            amount=item["amount_yuan"] * 100,
            bank_reference=f"DEMO-DISB-{number}",
            note=item["note"],
        )


def _load_updates_and_reports(projects_by_key: dict[str, Project]) -> None:
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    for item in content.PROJECT_UPDATES:
        project = projects_by_key[item["project"]]
        updates.post_update(
            project,
            project.organization.members[0],
            updates.UpdateInput(title=item["title"], body=item["body"]),
            upload_dir,
        )
    for item in content.USAGE_REPORTS:
        project = projects_by_key[item["project"]]
        lines = tuple(
            updates.ReportItemInput(description=line["description"], amount=line["amount_yuan"] * 100)
            for line in item["items"]
        )
        updates.submit_report(
            project,
            project.organization.members[0],
            updates.ReportInput(title=item["title"], note=item["note"], items=lines),
            upload_dir,
        )


def _fen_or_none(yuan: int | None) -> int | None:
    return None if yuan is None else yuan * 100


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, e-mail, who) for the README and the command's output."""
    logins = [(record["role"], record["email"], record["name"]) for record in content.STAFF]
    first_org = content.ORGANIZATIONS[0]
    logins.append(("org", first_org["members"][0]["email"], first_org["name"]))
    first_company = content.COMPANIES[0]
    logins.append(("company", first_company["members"][0]["email"], first_company["name"]))
    return logins
