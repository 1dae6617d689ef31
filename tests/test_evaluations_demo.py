"""The demo's evaluation rounds: the published 2025 round reproduces each organization's demo grade
and tier through the real operations; the 2026 round is open with work left for staff."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select

from marketplace.demo import content
from marketplace.demo.evaluations import load_evaluations
from marketplace.demo.loader import LoadReport, load_demo
from marketplace.evaluations import results as queries
from marketplace.evaluations.models import EvaluationRound
from marketplace.extensions import db
from marketplace.parties.models import Organization


def test_demo_rounds_reproduce_the_demo_grades(ctx: Flask) -> None:
    load_demo()
    organizations = {
        record["key"]: db.session.scalar(select(Organization).where(Organization.name == record["name"]))
        for record in content.ORGANIZATIONS
    }
    before = {
        org.id: (org.grade, org.tier, org.grade_valid_until)
        for org in organizations.values()
        if org is not None
    }
    # (Once demo/loader.py calls it, load_demo has already loaded the rounds and this skips them.)
    load_evaluations(organizations, LoadReport())  # type: ignore[arg-type]
    db.session.commit()
    again = LoadReport()
    load_evaluations(organizations, again)  # type: ignore[arg-type]
    assert again.skipped == {"evaluation_rounds": 2} and not again.created

    published, open_ = db.session.scalars(select(EvaluationRound).order_by(EvaluationRound.year)).all()
    assert (published.year, published.status, published.grades_valid_until) == (
        2025,
        "published",
        date(2030, 12, 20),
    )
    assert open_.status == "open"
    for participant in published.participants:
        grade, tier, _ = before[participant.organization_id]
        assert (participant.grade, participant.tier) == (grade, tier), participant.organization.name
        org = participant.organization
        assert (org.grade, org.tier) == (grade, tier)
        assert org.grade_valid_until == (date(2030, 12, 20) if grade else None)
    taken = {p.organization_id for p in published.participants}
    kept = [org for org in organizations.values() if org is not None and org.id not in taken and org.grade]
    assert all(before[org.id][2] == org.grade_valid_until for org in kept)  # an older round's grade stays

    rows = queries.progress(open_)
    assert 0 < sum(row.government_scored for row in rows) < len(rows)
    assert 0 < sum(row.reviews_done for row in rows) < sum(row.reviews_assigned for row in rows)
