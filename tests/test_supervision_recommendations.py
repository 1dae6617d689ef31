"""A funded project with no fund-usage report 90 days after funding drops out of recommendations
until it reports. The funded project is no longer open anyway, so the rule holds back its
organization's open projects (matching.catalog): from a company's matches, from a project's
potential sponsors and from the staff board — and brings them back once the report is filed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.matching import catalog as catalogs
from marketplace.matching import operations as matching
from marketplace.matching.models import MatchSuggestion
from marketplace.parties.models import Company
from marketplace.projects.models import Project
from marketplace.timeutil import utcnow
from tests import factories
from tests.supervision_support import funded_project, report


def matched(company: Company) -> set[int]:
    return {m.project.id for m in matching.company_matches(company, limit=50)}


def test_an_overdue_report_holds_the_organizations_projects_back_until_it_reports(ctx: Flask) -> None:
    staff = factories.staff()
    late, punctual = factories.org_member(), factories.org_member()
    company, donor = factories.company_member(), factories.company_member()
    held = [
        factories.project(late, status="published", reviewer=staff, category="elderly"),
        factories.project(late, status="published", reviewer=staff, category="children"),
    ]
    other = factories.project(punctual, status="published", reviewer=staff, category="elderly")
    overdue = funded_project(late, donor, reviewer=staff, funded_at=utcnow() - timedelta(days=90, minutes=1))
    # Funded recently: its report is not due yet, so it holds nothing back.
    funded_project(punctual, donor, reviewer=staff, funded_at=utcnow() - timedelta(days=89))
    sponsor = company.company
    assert sponsor is not None

    assert matched(sponsor) == {other.id}
    assert matching.project_sponsors(held[0], limit=10) == []
    assert matching.project_sponsors(other, limit=10) != []
    matching.refresh_board(now=utcnow())
    db.session.commit()
    boarded = set(db.session.scalars(select(MatchSuggestion.project_id)))
    assert other.id in boarded and not boarded & {p.id for p in held}

    report(overdue, late, 5_000)  # filed late: the organization is recommended again
    assert matched(sponsor) == {other.id, *(p.id for p in held)}
    assert matching.project_sponsors(held[0], limit=10) != []


def test_a_cached_catalog_drops_them_as_soon_as_the_report_is_overdue(make_app: Any) -> None:
    app = make_app(MATCHING_CATALOG_TTL=3600)
    with app.app_context():
        catalogs.forget_catalog()
        staff = factories.staff()
        late = factories.org_member()
        company, donor = factories.company_member(), factories.company_member()
        open_project = factories.project(late, status="published", reviewer=staff, category="elderly")
        funded = funded_project(late, donor, reviewer=staff)
        sponsor = company.company
        assert sponsor is not None
        assert matched(sponsor) == {open_project.id}  # the catalog is built and kept for an hour
        db.session.execute(
            update(Project).where(Project.id == funded.id).values(ended_at=utcnow() - timedelta(days=91))
        )
        db.session.commit()
        assert matched(sponsor) == set()  # the re-read before showing drops it from the cached catalog
        catalogs.forget_catalog()
