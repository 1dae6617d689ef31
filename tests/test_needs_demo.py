"""The demo's community needs load through the operations on top of the demo, cover every status,
are answered by demo projects of the matching category, and load once."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import func, select

from marketplace.audit import verify_chain
from marketplace.demo.loader import LoadReport, load_demo
from marketplace.demo.needs import NEEDS, load_needs
from marketplace.extensions import db
from marketplace.needs.models import CommunityNeed, NeedResponse


def test_demo_needs(app: Flask) -> None:
    with app.app_context():
        report = load_demo()  # `flask demo` loads the needs after the projects they answer
        db.session.commit()
        assert report.created["community_needs"] == len(NEEDS)
        needs = list(db.session.scalars(select(CommunityNeed)))
        assert len(needs) == len(NEEDS) >= 12
        assert set(Counter(need.status for need in needs)) == {"open", "in_progress", "addressed"}
        assert len({need.district for need in needs}) >= 3
        responses = list(db.session.scalars(select(NeedResponse)))
        assert len(responses) >= 6
        # A community need answered by a project of the same kind (the health check-up answers a
        # health need, and so on) and of the answering organization.
        for response in responses:
            assert response.project.category_id == response.need.category_id, response.project.title
            assert response.project.organization_id == response.organization_id
        for need in needs:
            assert (need.status == "addressed") == (need.addressed_at is not None)
            assert need.created_at <= need.updated_at
        assert verify_chain() is None

        again = LoadReport()
        load_needs(again)
        db.session.commit()
        assert again.skipped == {"community_needs": len(NEEDS)}
        assert db.session.scalar(select(func.count()).select_from(CommunityNeed)) == len(NEEDS)
