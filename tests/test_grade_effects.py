"""A published grade changes what people see: the badge beside the organization's name on its
projects, the policy notes on its page, and its projects' place in browse and search when the
ranking boost is on. An expired grade changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from marketplace.extensions import db
from marketplace.parties import operations as parties
from marketplace.timeutil import local_today
from tests import factories


def _card_titles(html: str) -> list[str]:
    titles = re.findall(r'<h3 class="project-card-title">\s*<a[^>]*>(.*?)</a>', html, re.S)
    return [re.sub(r"<[^>]+>", "", title).strip() for title in titles]


@pytest.fixture
def boosted(make_app) -> Flask:
    return make_app(SEARCH_GRADE_BOOST=0.04)


def _two_projects() -> tuple[int, int, int]:
    """(staff id, organization id of the OLDER project, its project id); the newer project's
    organization stays ungraded."""
    reviewer = factories.staff()
    older_owner, newer_owner = factories.org_member(), factories.org_member()
    older = factories.project(older_owner, status="published", reviewer=reviewer, title="社区助老食堂（甲）")
    factories.project(newer_owner, status="published", reviewer=reviewer, title="社区助老食堂（乙）")
    return reviewer.id, older_owner.organization_id, older.id


def _grade(organization_id: int, staff_id: int, grade: str, tier: str | None, valid_days: int) -> None:
    from marketplace.parties.models import Organization

    organization = db.session.get(Organization, organization_id)
    parties.set_organization_grade(
        organization,
        grade=grade,
        valid_until=local_today() + timedelta(days=valid_days),
        tier=tier,
        staff_id=staff_id,
    )
    db.session.commit()


@pytest.mark.parametrize("query", ["", "助老食堂"])
def test_a_grade_moves_an_organizations_projects_up_in_browse_and_search(boosted: Flask, query: str) -> None:
    with boosted.app_context():
        staff_id, organization_id, _ = _two_projects()
        assert boosted.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0
        client = boosted.test_client()

        def first_two() -> list[str]:
            return _card_titles(client.get("/projects", query_string={"q": query}).get_data(as_text=True))[:2]

        assert first_two() == ["社区助老食堂（乙）", "社区助老食堂（甲）"]  # newest first, neither graded
        _grade(organization_id, staff_id, "A5", "leading", valid_days=365)
        assert first_two() == ["社区助老食堂（甲）", "社区助老食堂（乙）"]


def test_an_expired_grade_earns_no_boost_and_no_badge(boosted: Flask) -> None:
    with boosted.app_context():
        staff_id, organization_id, project_id = _two_projects()
        _grade(organization_id, staff_id, "A5", None, valid_days=-1)
        assert boosted.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0
        client = boosted.test_client()
        assert _card_titles(client.get("/projects").get_data(as_text=True))[0] == "社区助老食堂（乙）"
        page = client.get(f"/projects/{project_id}").get_data(as_text=True)
        assert "grade-level" not in page


def test_the_badge_and_policy_notes_follow_the_grade(app: Flask) -> None:
    with app.app_context():
        staff_id, organization_id, project_id = _two_projects()
        client = app.test_client()
        assert "grade-level" not in client.get(f"/projects/{project_id}").get_data(as_text=True)
        assert "享受的扶持政策" not in client.get(f"/organizations/{organization_id}").get_data(as_text=True)

        _grade(organization_id, staff_id, "A4", "demonstration", valid_days=5 * 365)
        project_page = client.get(f"/projects/{project_id}").get_data(as_text=True)
        assert re.search(r'class="grade-level">.*?4A</span>', project_page, re.S)
        assert '<span class="grade-tier">成木</span>' in project_page
        browse = client.get("/projects").get_data(as_text=True)
        assert '<span class="grade-tier">成木</span>' in browse  # on the project card too

        organization_page = client.get(f"/organizations/{organization_id}").get_data(as_text=True)
        assert "3A 及以上：政府购买服务中同等条件下优先" in organization_page
        assert "成木及以上：优先享受孵化基地场地、培训和资金扶持等服务政策" in organization_page
        assert "名木：优先向爱心企业推荐对接" not in organization_page
