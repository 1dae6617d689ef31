"""Partnership agreement pages in the access-control matrix.

Staff broker agreements between the World's company and the World's organization: one proposed and
awaiting both signatures, one just created (no terms yet), one with a draft version. Their parties
(org, company) and staff see and work on them; a member of another organization gets 404 (the
agreement's existence is not revealed); the list and the new-agreement form are for every member;
the expiring list is for staff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements.models import AgreementParty
from marketplace.agreements.terms import Terms, Tranche
from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.parties.models import Company
from marketplace.timeutil import local_today
from tests import factories
from tests.access_cases.base import DENIED, HIDDEN, INVALID, LOGIN, OK, STAFF_ONLY, Case, members_only
from tests.factories import World

PARTIES_AND_STAFF = {
    "anonymous": LOGIN,
    "org": OK,
    "other_org": HIDDEN,
    "company": OK,
    "staff": OK,
    "admin": OK,
}
PARTIES_AND_STAFF_INVALID = {
    **PARTIES_AND_STAFF,
    "org": INVALID,
    "company": INVALID,
    "staff": INVALID,
    "admin": INVALID,
}
# Only the parties' signers sign; staff witness.
SIGNERS = {**PARTIES_AND_STAFF, "staff": DENIED, "admin": DENIED}
# The company's side names its own signer (or staff do); the organization may not.
COMPANY_SIDE = {**PARTIES_AND_STAFF, "org": DENIED}
# An introduction is seen by its company and staff only.
INTRODUCED = {**PARTIES_AND_STAFF, "org": HIDDEN}

_TODAY = local_today()
NEW_AGREEMENT = {
    "title": "矩阵测试：新协议",
    "company_id": "{company_id}",
    "organization_id": "{organization_id}",
    "starts_on": _TODAY.isoformat(),
    "ends_on": (_TODAY + timedelta(days=365)).isoformat(),
    "renewal_notice_days": "30",
}
TERMS = {
    "scope": "矩阵测试的合作范围",
    "obligations_company": "出资",
    "obligations_organization": "执行",
    "committed_amount": "1000",
    "tranches-0-due_on": (_TODAY + timedelta(days=30)).isoformat(),
    "tranches-0-amount": "1000",
}

CASES = [
    Case("GET", "/agreements", members_only()),
    # Only staff witness; the parties may not make themselves (or anyone) the broker.
    Case(
        "POST", "/agreements/{agreements_id}/broker", {**PARTIES_AND_STAFF, "org": DENIED, "company": DENIED}
    ),
    Case("GET", "/agreements?status=pending_signature&q=矩阵", members_only()),
    Case("GET", "/agreements/new", members_only()),
    Case("GET", "/agreements/new?introduction={agreements_introduction_id}", INTRODUCED),
    Case(
        "POST",
        "/agreements/new",
        members_only(org=INVALID, other_org=INVALID, company=INVALID, staff=INVALID, admin=INVALID),
    ),
    # Between the World's company and organization: another organization may not start it for them.
    Case("POST", "/agreements/new", members_only(other_org=DENIED), NEW_AGREEMENT),
    Case("GET", "/agreements/{agreements_id}", PARTIES_AND_STAFF),
    Case("GET", "/agreements/{agreements_id}/versions/{agreements_version_id}", PARTIES_AND_STAFF),
    Case("GET", "/agreements/{agreements_id}/versions/{agreements_version_id}.pdf", PARTIES_AND_STAFF),
    # A proposed version cannot be edited: the page sends the visitor to the version instead.
    Case("GET", "/agreements/{agreements_id}/versions/{agreements_version_id}/edit", PARTIES_AND_STAFF),
    Case("GET", "/agreements/{agreements_id}/versions/{agreements_version_id}/sign", PARTIES_AND_STAFF),
    Case("GET", "/agreements/{agreements_id}/versions/new", PARTIES_AND_STAFF),
    Case("GET", "/agreements/{agreements_id}/diff", PARTIES_AND_STAFF),
    Case(
        "GET",
        "/agreements/{agreements_id}/diff?from={agreements_version_id}&to={agreements_version_id}",
        PARTIES_AND_STAFF,
    ),
    Case(
        "POST",
        "/agreements/{agreements_id}/versions/{agreements_version_id}/sign",
        SIGNERS,
        {"agree": "y", "content_sha256": "{agreements_version_sha256}"},
    ),
    Case(
        "POST", "/agreements/{agreements_id}/versions/{agreements_version_id}/sign", PARTIES_AND_STAFF_INVALID
    ),
    Case(
        "POST",
        "/agreements/{agreements_id}/transitions",
        PARTIES_AND_STAFF,
        {"action": "request_changes", "version_id": "{agreements_version_id}", "reason": "请补充绩效指标"},
    ),
    Case("POST", "/agreements/{agreements_id}/transitions", PARTIES_AND_STAFF_INVALID, {"action": "cancel"}),
    Case("POST", "/agreements/{agreements_id}/comments", PARTIES_AND_STAFF, {"body": "请看第三条"}),
    Case("POST", "/agreements/{agreements_id}/comments", PARTIES_AND_STAFF_INVALID),
    Case(
        "POST",
        "/agreements/{agreements_id}/parties/{agreements_company_party_id}/signer",
        COMPANY_SIDE,
        {"company-signer_id": "", "company-signer_title": "总经理"},
    ),
    Case("POST", "/agreements/{agreements_draft_id}/versions/new", PARTIES_AND_STAFF, TERMS),
    Case("POST", "/agreements/{agreements_draft_id}/versions/new", PARTIES_AND_STAFF_INVALID),
    Case(
        "POST",
        "/agreements/{agreements_drafting_id}/versions/{agreements_draft_version_id}/edit",
        PARTIES_AND_STAFF,
        TERMS,
    ),
    Case(
        "POST",
        "/agreements/{agreements_drafting_id}/versions/{agreements_draft_version_id}/edit",
        PARTIES_AND_STAFF_INVALID,
    ),
    Case(
        "POST",
        "/agreements/{agreements_drafting_id}/versions/{agreements_draft_version_id}/discard",
        PARTIES_AND_STAFF,
    ),
    Case("GET", "/staff/agreements/expiring", STAFF_ONLY),
]


def _agreement(staff: User, world: World, title: str, project_id: int) -> Any:
    return ops.create_agreement(
        staff,
        ops.AgreementInput(
            title=title,
            company_id=world.company_id,
            organization_id=world.organization_id,
            project_ids=[project_id],
            starts_on=_TODAY,
            ends_on=_TODAY + timedelta(days=365),
        ),
    )


def _terms() -> ops.VersionInput:
    return ops.VersionInput(
        terms=Terms(scope="矩阵测试", obligations_company="出资", obligations_organization="执行"),
        committed_amount=100_000,
        tranches=(Tranche(_TODAY + timedelta(days=30), 100_000),),
    )


def ids(world: World) -> dict[str, Any]:
    staff = db.session.scalar(select(User).where(User.email == world.staff_email))
    # The agreements commit money: the organization needs a partner foundation to receive it.
    factories.foundation(is_default=False)
    owner = db.session.scalar(select(User).where(User.email == world.org_email))
    project = factories.project(owner, status="published", reviewer=staff, title="矩阵测试：协议项目")
    introduction = matching.send_introduction(
        staff, db.session.get(Company, world.company_id), project, "矩阵测试：可以谈谈长期合作"
    )
    proposed = _agreement(staff, world, "矩阵测试：待签署的协议", project.id)
    version = ops.add_version(proposed, staff, _terms())
    ops.propose(proposed, staff, version_id=version.id)
    draft = _agreement(staff, world, "矩阵测试：刚创建的协议", project.id)
    drafting = _agreement(staff, world, "矩阵测试：起草中的协议", project.id)
    draft_version = ops.add_version(drafting, staff, _terms())
    company_party = db.session.scalar(
        select(AgreementParty.id).where(
            AgreementParty.agreement_id == proposed.id, AgreementParty.role == "company"
        )
    )
    db.session.commit()
    return {
        "agreements_introduction_id": introduction.id,
        "agreements_id": proposed.id,
        "agreements_version_id": version.id,
        "agreements_version_sha256": version.content_sha256,
        "agreements_company_party_id": company_party,
        "agreements_draft_id": draft.id,
        "agreements_drafting_id": drafting.id,
        "agreements_draft_version_id": draft_version.id,
    }
