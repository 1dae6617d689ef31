"""A whole evaluation round in the browser: staff open it through the form, assign peers, score;
an organization scores its assigned peers; staff close, assign tiers (refused beyond a quota) and
publish; anyone reads the results with each organization's three parts."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from marketplace.evaluations import grading
from marketplace.evaluations.models import EvaluationRound, EvaluationScore, PeerAssignment
from marketplace.extensions import db
from marketplace.parties.models import Organization
from tests import factories
from tests.evaluations_support import snapshot
from tests.pages import html, login, text


def _round_form(organization_ids: list[int], **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "year": "2026",
        "title": "",
        "weight_government": "0.4",
        "weight_peer": "0.3",
        "weight_public": "0.3",
        "max_votes": "5",
        "quota_leading": "1",
        "quota_demonstration": "1",
        "quota_growing": "10",
        "criterion_name": ["团队建设", "服务成效", ""],
        "criterion_weight": ["1", "1", ""],
        "organization_ids": [str(org) for org in organization_ids],
    }
    for band in grading.DEFAULT_BANDS:
        form[f"band_{band.grade}"] = str(band.min // 100)
    form.update(overrides)
    return form


def test_a_whole_round_through_the_pages(app: Flask) -> None:
    with app.app_context():
        staff = factories.staff()
        members = [factories.org_member(name=f"页面评估社工中心{n}") for n in range(1, 4)]
        emails = [member.email for member in members]
        orgs = [member.organization_id for member in members]
        staff_email = staff.email
    desk = login(app, staff_email)

    page = desk.get("/evaluations/new")
    assert page.status_code == 200 and "页面评估社工中心1" in text(page) and 'value="团队建设"' in html(page)
    with app.app_context():
        before = snapshot()
    refused = desk.post("/evaluations/new", data=_round_form(orgs, weight_public="0.2"))
    assert refused.status_code == 422 and "三项权重之和必须等于 1（现在是 0.9）" in text(refused)
    with app.app_context():
        assert snapshot() == before
    opened = desk.post("/evaluations/new", data=_round_form(orgs))
    assert opened.status_code == 303
    with app.app_context():
        round_id = db.session.scalar(select(EvaluationRound.id))
    manage = f"/evaluations/{round_id}/manage"
    assert opened.headers["Location"].endswith(manage)
    assert desk.post("/evaluations/new", data=_round_form(orgs)).status_code == 409

    assert desk.post(f"/evaluations/{round_id}/peers/auto", data={"per_reviewer": "2"}).status_code == 303
    with app.app_context():
        assert db.session.query(PeerAssignment).count() == 6
    for org, value in zip(orgs, ("95", "85", "65"), strict=True):
        url = f"/evaluations/{round_id}/government/{org}"
        form = desk.get(url)
        assert form.status_code == 200 and "服务成效" in text(form)
        assert desk.post(url, data={"c0": value, "c1": value}).status_code == 303
    bad = desk.post(f"/evaluations/{round_id}/government/{orgs[0]}", data={"c0": "101", "c1": ""})
    assert bad.status_code == 422
    assert grading.SCORE_RANGE_MESSAGE in text(bad) and "请为「服务成效」打分" in text(bad)

    # The first organization scores the two peers assigned to it.
    member = login(app, emails[0])
    tasks = member.get("/evaluations/peer-reviews")
    assert tasks.status_code == 200 and "页面评估社工中心2" in text(tasks) and "待评分" in text(tasks)
    for org in orgs[1:]:
        url = f"/evaluations/{round_id}/peer/{org}"
        assert member.get(url).status_code == 200
        assert member.post(url, data={"c0": "80", "c1": "90"}).status_code == 303
    assert (
        member.post(f"/evaluations/{round_id}/peer/{orgs[0]}", data={"c0": "99", "c1": "99"}).status_code
        == 403
    )
    assert "已评分" in text(member.get("/evaluations/peer-reviews"))

    board = desk.get(manage)
    assert board.status_code == 200
    assert "页面评估社工中心3" in text(board)
    assert desk.get(f"/evaluations/{round_id}/results").status_code == 200  # staff preview
    assert login(app, emails[1]).get(f"/evaluations/{round_id}/results").status_code == 404

    assert desk.post(f"/evaluations/{round_id}/transitions", data={"action": "close"}).status_code == 303
    closed = desk.post(f"/evaluations/{round_id}/government/{orgs[0]}", data={"c0": "10", "c1": "10"})
    assert closed.status_code == 409

    tiers = desk.get(f"/evaluations/{round_id}/tiers")
    assert tiers.status_code == 200 and "名木" in text(tiers)
    assert desk.post(f"/evaluations/{round_id}/tiers/accept").status_code == 303
    over = desk.post(
        f"/evaluations/{round_id}/tiers", data={"organization_id": str(orgs[2]), "tier": "leading"}
    )
    assert over.status_code == 422 and "超出名额：名木最多 1 家" in text(over)

    published = desk.post(f"/evaluations/{round_id}/transitions", data={"action": "publish"})
    assert published.status_code == 303 and published.headers["Location"].endswith(
        f"/evaluations/{round_id}/results"
    )

    public = login(app, emails[2]).get(f"/evaluations/{round_id}/results")
    anonymous = app.test_client().get(f"/evaluations/{round_id}/results")
    assert public.status_code == anonymous.status_code == 200
    shown = text(anonymous)
    # Nobody voted, so the public part is missing for everyone and the weights are rescaled.
    # 1: government 95, nobody scored it as a peer → 95.00 (5A, 名木);
    # 3: government 65, peer (80 + 90) / 2 = 85 → (4 × 65 + 3 × 85) / 7 = 73.57 (3A)
    assert "页面评估社工中心1 95.00 — — （0 票） 95.00 等级 5A 名木" in shown
    assert "页面评估社工中心3 65.00 85.00 — （0 票） 73.57 等级 3A 苗木" in shown
    assert "名木" in shown and "政府评分" in shown and "同行互评" in shown and "公众投票" in shown
    assert "社会组织评估" in text(app.test_client().get("/evaluations"))
    with app.app_context():
        organization = db.session.get(Organization, orgs[0])
        assert organization is not None and (organization.grade, organization.tier) == ("A5", "leading")
        assert db.session.scalar(select(EvaluationScore.id).where(EvaluationScore.score == 1000)) is None
