from __future__ import annotations

from datetime import date, timedelta

from marketplace import audit
from marketplace.agreements import operations as ops
from marketplace.agreements.terms import Terms, Tranche
from marketplace.extensions import db
from marketplace.timeutil import local_today
from tests import factories


def test_smoke_flow(ctx):
    factories.foundation()
    org = factories.org_member()
    company = factories.company_member()
    staff = factories.staff()
    project = factories.project(org, status="published", reviewer=staff)
    today = local_today()
    agreement = ops.create_agreement(
        staff,
        ops.AgreementInput(
            title="助老战略合作协议", company_id=company.company_id, organization_id=org.organization_id,
            project_ids=[project.id], starts_on=today, ends_on=today + timedelta(days=365),
        ),
    )
    db.session.commit()
    terms = Terms(scope="共同开展助老服务", obligations_company="出资", obligations_organization="执行")
    version = ops.add_version(
        agreement, staff,
        ops.VersionInput(terms=terms, committed_amount=3_000_000,
                         tranches=(Tranche(today + timedelta(days=10), 1_000_000),
                                   Tranche(today + timedelta(days=100), 2_000_000))),
    )
    db.session.commit()
    assert agreement.status == "negotiating"
    ops.propose(agreement, staff, version_id=version.id)
    db.session.commit()
    assert agreement.status == "pending_signature"
    ops.sign(agreement, company, version_id=version.id, content_sha256=version.content_sha256)
    db.session.commit()
    assert agreement.status == "pending_signature"
    ops.sign(agreement, org, version_id=version.id, content_sha256=version.content_sha256)
    db.session.commit()
    assert agreement.status == "active"
    summary = ops.money_summary(agreement)
    assert summary.committed == 3_000_000 and summary.scheduled == 3_000_000
    assert [p.amount for p in summary.pledges] == [1_000_000, 2_000_000]
    assert all(p.project_id == project.id for p in summary.pledges)
    assert audit.verify_chain() is None
    assert [e.action for e in ops.events(agreement)][:2] == ["agreement.created", "agreement.version_created"]
    # amendment: new version, keep first tranche
    amend = ops.add_version(agreement, org, ops.fresh_copy(version))
    db.session.commit()
    ops.propose(agreement, org, version_id=amend.id)
    ops.sign(agreement, company, version_id=amend.id, content_sha256=amend.content_sha256)
    ops.sign(agreement, org, version_id=amend.id, content_sha256=amend.content_sha256)
    db.session.commit()
    assert version.status == "superseded" and amend.status == "signed"
    assert ops.send_signature_reminders() == 0
    res = ops.expire_agreements(now=None)
    assert res.expired == []
    db.session.commit()
