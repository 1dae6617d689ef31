"""Matchmaking on the database (SQLite and PostgreSQL): sponsor profiles, matches that never show a
stale or closed project, staff introductions and their life, conversion by pledges and agreements,
the funnel, and the precomputed board."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from marketplace import mail
from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.matching import catalog as catalogs
from marketplace.matching import operations as matching
from marketplace.matching.models import Introduction, MatchSuggestion, SponsorProfile
from marketplace.matching.operations import SponsorProfileInput
from marketplace.notifications.models import Notification
from marketplace.parties.models import Company, Organization
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from marketplace.timeutil import local_today, utcnow
from tests import factories
from tests.concurrency import run_rounds


@dataclass
class Cast:
    staff: User
    other_staff: User
    owner: User  # member of organization A
    other_owner: User  # member of organization B
    company: User  # member of the company being matched (verified)
    other_company: User  # another verified company
    unverified_company: User
    elderly: Project  # organization A, 扶老助老, 鹿城区
    children: Project  # organization A, 儿童关爱
    river: Project  # organization B, 生态环保, 瓯海区
    draft: Project  # organization A, never published


@pytest.fixture
def cast(ctx: Flask) -> Cast:
    staff = factories.staff()
    owner = factories.org_member()
    other_owner = factories.org_member(district="瓯海区")
    elderly = factories.project(
        owner,
        status="published",
        reviewer=staff,
        title="社区长者助餐点",
        summary="为独居老人提供午餐和上门送餐服务。",
        category="elderly",
        tags=["助餐", "独居老人"],
        goal_yuan="10000",
    )
    children = factories.project(owner, status="published", reviewer=staff, goal_yuan="10000")
    river = factories.project(
        other_owner,
        status="published",
        reviewer=staff,
        title="塘河清洁护水行动",
        summary="组织志愿者巡护河道，开展垃圾分类宣传。",
        category="environment",
        tags=["河道", "护水"],
        district="瓯海区",
        goal_yuan="10000",
    )
    draft = factories.project(owner, title="草稿：社区图书角", category="elderly")
    factories.foundation()
    return Cast(
        staff=staff,
        other_staff=factories.staff(),
        owner=owner,
        other_owner=other_owner,
        company=factories.company_member(),
        other_company=factories.company_member(),
        unverified_company=factories.company_member(verified=False),
        elderly=elderly,
        children=children,
        river=river,
        draft=draft,
    )


def company_of(user: User) -> Company:
    assert user.company is not None
    return user.company


def fresh(model: Any, item_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, item_id)


def shift(model: Any, item_id: int, **deltas: timedelta) -> None:
    """Move timestamps of a row into the past (no waiting in tests)."""
    row = fresh(model, item_id)
    columns = {name: getattr(row, name) - delta for name, delta in deltas.items()}
    db.session.execute(update(model).where(model.id == item_id).values(**columns))
    db.session.commit()


def introduce(
    staff: User, company_user: User, project: Project, note: str = "这家企业一直关注养老"
) -> Introduction:
    introduction = matching.send_introduction(staff, company_of(company_user), project, note)
    db.session.commit()
    return introduction


def profile_input(**overrides: Any) -> SponsorProfileInput:
    values: dict[str, Any] = {
        "focus_categories": ["elderly", "health"],
        "districts": ["鹿城区", "瓯海区"],
        "pledge_min": 100_000,
        "pledge_max": 500_000,
        "yearly_budget": 5_000_000,
        "interest_statement": "  关注独居长者的吃饭问题  ",
        "preferred_grades": ["A5", "A3", "A5"],
        "preferred_tiers": ["leading"],
        "volunteer_capacity": 30,
    }
    values.update(overrides)
    return SponsorProfileInput(**values)


# ─────────────────────────────── sponsor profile ───────────────────────────────


def test_a_member_saves_the_sponsor_profile_and_the_company_profile_follows(cast: Cast) -> None:
    company = company_of(cast.company)
    matching.save_sponsor_profile(company, profile_input(), cast.company)
    db.session.commit()

    profile = fresh(SponsorProfile, company.id)
    assert (profile.pledge_min, profile.pledge_max) == (100_000, 500_000)
    assert profile.interest_statement == "关注独居长者的吃饭问题"
    assert profile.preferred_grades == ["A3", "A5"]  # once each, in the scale's order
    assert profile.preferred_tiers == ["leading"]
    assert profile.volunteer_capacity == 30
    assert profile.updated_by_id == cast.company.id
    company = fresh(Company, company.id)
    assert [c.slug for c in company.focus_categories] == ["elderly", "health"]
    assert sorted(d.name for d in company.districts_of_interest) == ["瓯海区", "鹿城区"]
    assert company.yearly_budget == 5_000_000
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "company.sponsor_profile_saved")
    )


def test_saving_again_replaces_the_profile(cast: Cast) -> None:
    company = company_of(cast.company)
    matching.save_sponsor_profile(company, profile_input(), cast.company)
    db.session.commit()
    matching.save_sponsor_profile(
        company,
        SponsorProfileInput(focus_categories=["environment"], districts=[], interest_statement="护水"),
        cast.company,
    )
    db.session.commit()
    profile = fresh(SponsorProfile, company.id)
    assert (profile.pledge_min, profile.pledge_max, profile.volunteer_capacity) == (None, None, None)
    assert profile.preferred_grades == [] and profile.preferred_tiers == []
    assert profile.interest_statement == "护水"
    company = fresh(Company, company.id)
    assert [c.slug for c in company.focus_categories] == ["environment"]
    assert company.districts_of_interest == [] and company.yearly_budget is None
    assert db.session.scalar(select(func.count()).select_from(SponsorProfile)) == 1


BAD_PROFILES = [
    ("min-above-max", {"pledge_min": 600_000, "pledge_max": 500_000}, "pledge_max", "不能低于下限"),
    ("negative-min", {"pledge_min": -100}, "pledge_min", "必须大于 0"),
    ("zero-max", {"pledge_max": 0}, "pledge_max", "必须大于 0"),
    ("negative-budget", {"yearly_budget": -1}, "yearly_budget", "不能为负数"),
    ("float-min", {"pledge_min": 1000.5}, "pledge_min", "以分为单位的整数"),
    ("float-budget", {"yearly_budget": 100.0}, "yearly_budget", "以分为单位的整数"),
    ("string-max", {"pledge_max": "5000"}, "pledge_max", "以分为单位的整数"),
    ("bool-min", {"pledge_min": True}, "pledge_min", "以分为单位的整数"),
    ("max-above-limit", {"pledge_max": 1_000_000_001}, "pledge_max", "不能超过"),
    ("unknown-category", {"focus_categories": ["elderly", "space"]}, "focus_categories", "space"),
    ("unknown-district", {"districts": ["鹿城区", "海淀区"]}, "districts", "海淀区"),
    ("unknown-grade", {"preferred_grades": ["A6"]}, "preferred_grades", "A6"),
    ("unknown-tier", {"preferred_tiers": ["giant"]}, "preferred_tiers", "giant"),
    ("statement-too-long", {"interest_statement": "长" * 2001}, "interest_statement", "最多 2000 字"),
    ("negative-volunteers", {"volunteer_capacity": -1}, "volunteer_capacity", "整数"),
    ("float-volunteers", {"volunteer_capacity": 1.5}, "volunteer_capacity", "整数"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [case[1:] for case in BAD_PROFILES],
    ids=[case[0] for case in BAD_PROFILES],
)
def test_a_bad_profile_is_refused_with_a_reason_and_nothing_is_saved(
    cast: Cast, overrides: dict[str, Any], field: str, reason: str
) -> None:
    company = company_of(cast.company)
    with pytest.raises(DomainError) as caught:
        matching.save_sponsor_profile(company, profile_input(**overrides), cast.company)
    assert caught.value.status == 422
    assert reason in caught.value.fields[field]
    db.session.commit()  # even a careless caller that commits saves nothing
    assert_nothing_saved(company.id)


def assert_nothing_saved(company_id: int) -> None:
    assert fresh(SponsorProfile, company_id) is None
    company = db.session.get(Company, company_id)
    assert [c.slug for c in company.focus_categories] == ["children"]  # as signed up
    assert company.districts_of_interest == [] and company.yearly_budget is None


def test_every_problem_is_reported_at_once(cast: Cast) -> None:
    with pytest.raises(DomainError) as caught:
        matching.save_sponsor_profile(
            company_of(cast.company),
            profile_input(pledge_min=-1, focus_categories=["space"], preferred_tiers=["giant"]),
            cast.company,
        )
    assert set(caught.value.fields) == {"pledge_min", "focus_categories", "preferred_tiers"}


def test_a_statement_of_exactly_2000_characters_is_fine(cast: Cast) -> None:
    company = company_of(cast.company)
    matching.save_sponsor_profile(company, profile_input(interest_statement="长" * 2000), cast.company)
    db.session.commit()
    assert len(fresh(SponsorProfile, company.id).interest_statement) == 2000


@pytest.mark.parametrize("who", ["other_company", "staff", "owner", "nobody"])
def test_only_members_of_the_company_may_edit_its_sponsor_profile(cast: Cast, who: str) -> None:
    actor = None if who == "nobody" else getattr(cast, who)
    company = company_of(cast.company)
    with pytest.raises(Forbidden) as caught:
        matching.save_sponsor_profile(company, profile_input(), actor)
    assert caught.value.status == 403
    db.session.commit()
    assert_nothing_saved(company.id)


# ─────────────────────────────── matches ───────────────────────────────


def test_company_matches_show_only_projects_that_may_be_suggested(cast: Cast) -> None:
    # A project of an organization that is no longer verified, one past its deadline (not yet
    # closed by the job), one the company already pledged to, one already funded.
    suspended_owner = factories.org_member()
    suspended = factories.project(
        suspended_owner, status="published", reviewer=cast.staff, category="elderly"
    )
    late = factories.project(cast.owner, status="published", reviewer=cast.staff, category="elderly")
    pledged = factories.project(cast.owner, status="published", reviewer=cast.staff, category="elderly")
    funded = factories.project(cast.other_owner, status="published", reviewer=cast.staff, goal_yuan="100")
    db.session.execute(
        update(Organization)
        .where(Organization.id == suspended_owner.organization_id)
        .values(verification_status="pending")
    )
    db.session.execute(
        update(Project).where(Project.id == late.id).values(deadline=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    factories.pledge(pledged, cast.company, 10_000, paid=False)  # pending: still "already pledged"
    factories.pledge(funded, cast.other_company, 10_000)

    shown = {m.project.id for m in matching.company_matches(company_of(cast.company), limit=50)}
    assert shown == {cast.elderly.id, cast.children.id, cast.river.id}
    assert not shown & {suspended.id, late.id, pledged.id, funded.id, cast.draft.id}
    # The same projects are still shown to another company that has not pledged to them.
    assert pledged.id in {
        m.project.id for m in matching.company_matches(company_of(cast.other_company), limit=50)
    }


def test_company_matches_follow_the_profile(cast: Cast) -> None:
    company = company_of(cast.company)
    matching.save_sponsor_profile(
        company,
        profile_input(focus_categories=["environment"], districts=["瓯海区"], interest_statement="河道巡护"),
        cast.company,
    )
    db.session.commit()
    matches = matching.company_matches(company)
    assert matches[0].project.id == cast.river.id
    assert "同属 环境保护 领域" in [str(r.message) for r in matches[0].match.reasons]
    assert [m.match.score for m in matches] == sorted((m.match.score for m in matches), reverse=True)
    broker = matching.company_matches(company, audience="broker")
    assert all("贵司" not in str(r.message) for m in broker for r in m.match.reasons)
    only = matching.company_matches(company, among=[cast.children.id, cast.draft.id])
    assert [m.project.id for m in only] == [cast.children.id]


@pytest.mark.parametrize("limit", [0, -1, 101])
def test_company_matches_refuse_a_limit_out_of_range(cast: Cast, limit: int) -> None:
    with pytest.raises(DomainError) as caught:
        matching.company_matches(company_of(cast.company), limit=limit)
    assert "limit" in caught.value.fields


def test_a_new_project_is_matched_without_waiting_for_a_cache(cast: Cast) -> None:
    # The shared test config keeps no catalog between calls (MATCHING_CATALOG_TTL = 0).
    company = company_of(cast.company)
    before = {m.project.id for m in matching.company_matches(company, limit=50)}
    added = factories.project(cast.owner, status="published", reviewer=cast.staff, title="新发布：助老义诊")
    after = {m.project.id for m in matching.company_matches(company, limit=50)}
    assert added.id not in before and after == before | {added.id}


def test_a_cached_catalog_never_shows_a_stale_gap_or_a_funded_project(make_app: Any) -> None:
    app = make_app(MATCHING_CATALOG_TTL=3600)
    with app.app_context():
        catalogs.forget_catalog()  # nothing cached by an earlier test
        try:
            staff = factories.staff()
            owner = factories.org_member()
            first = factories.project(owner, status="published", reviewer=staff, goal_yuan="10000")
            second = factories.project(owner, status="published", reviewer=staff, goal_yuan="10000")
            company_user = factories.company_member()
            donor = factories.company_member()
            company = company_of(company_user)

            initial = {m.project.id: m.match for m in matching.company_matches(company)}
            assert set(initial) == {first.id, second.id}
            assert initial[first.id].gap == 1_000_000
            cached = catalogs.catalog(utcnow())
            assert catalogs.catalog(utcnow()) is cached  # the catalog really is reused

            factories.pledge(first, donor, 1_000_000)  # funded in full by someone else
            factories.pledge(second, donor, 250_000)  # part of it
            matches = {m.project.id: m.match for m in matching.company_matches(company)}
            assert catalogs.catalog(utcnow()) is cached  # still the old catalog, patched
            assert set(matches) == {second.id}
            assert matches[second.id].gap == 750_000
            # The staff view of the project's sponsors sees the same truth.
            assert matching.project_sponsors(fresh(Project, first.id)) == []
            sponsors = {s.company.id: s.match for s in matching.project_sponsors(fresh(Project, second.id))}
            assert sponsors[company.id].gap == 750_000
            assert donor.company_id not in sponsors  # it has pledged already
        finally:
            catalogs.forget_catalog()


def test_project_sponsors_are_verified_companies_best_first(cast: Cast) -> None:
    matching.save_sponsor_profile(
        company_of(cast.other_company),
        profile_input(focus_categories=["elderly"], districts=["鹿城区"], interest_statement="长者助餐"),
        cast.other_company,
    )
    db.session.commit()
    sponsors = matching.project_sponsors(cast.elderly)
    ids = [s.company.id for s in sponsors]
    assert ids[0] == cast.other_company.company_id
    assert set(ids) == {cast.company.company_id, cast.other_company.company_id}
    assert cast.unverified_company.company_id not in ids
    assert all(s.match.project_id == cast.elderly.id for s in sponsors)
    assert all("贵司" not in str(r.message) for s in sponsors for r in s.match.reasons)
    restricted = matching.project_sponsors(cast.elderly, company_ids=[cast.company.company_id])
    assert [s.company.id for s in restricted] == [cast.company.company_id]


def test_a_project_that_may_not_be_suggested_has_no_sponsors(cast: Cast) -> None:
    assert matching.project_sponsors(cast.draft) == []


# ─────────────────────────────── sending introductions ───────────────────────────────


def test_staff_introduce_a_company_and_its_members_hear_of_it(cast: Cast) -> None:
    mail.outbox().clear()
    introduction = matching.send_introduction(
        cast.staff, company_of(cast.company), cast.elderly, "  贵司去年支持过助老项目  "
    )
    assert mail.outbox() == []  # queued until the transaction commits
    db.session.commit()

    introduction = fresh(Introduction, introduction.id)
    assert introduction.status == "sent" and introduction.is_open
    assert introduction.status_label == "已发送"
    assert (introduction.company_id, introduction.project_id) == (cast.company.company_id, cast.elderly.id)
    assert introduction.organization_id == cast.owner.organization_id
    assert introduction.staff_id == cast.staff.id
    assert introduction.note == "贵司去年支持过助老项目"
    assert introduction.score is not None and 0 <= introduction.score <= 1000
    assert introduction.sent_at is not None and introduction.viewed_at is None

    notes = db.session.scalars(select(Notification).where(Notification.kind == "introduction")).all()
    assert [(n.user_id, n.title, n.link) for n in notes] == [
        (cast.company.id, "团区委为您推荐了一个项目", f"/introductions/{introduction.id}")
    ]
    assert "社区长者助餐点" in notes[0].body and "贵司去年支持过助老项目" in notes[0].body
    sent = [m for m in mail.outbox() if m.to == cast.company.email]
    assert len(sent) == 1 and sent[0].subject == "【青亲筹】团区委为您推荐了一个项目"
    assert "社区长者助餐点" in sent[0].body
    assert not [m for m in mail.outbox() if m.to == cast.other_company.email]


@pytest.mark.parametrize("who", ["company", "owner", "nobody"])
def test_only_staff_send_introductions(cast: Cast, who: str) -> None:
    actor = None if who == "nobody" else getattr(cast, who)
    with pytest.raises(Forbidden) as caught:
        matching.send_introduction(actor, company_of(cast.company), cast.elderly, "")
    assert caught.value.status == 403
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Introduction)) == 0


def test_an_unpublished_project_cannot_be_introduced(cast: Cast) -> None:
    with pytest.raises(DomainError) as caught:
        matching.send_introduction(cast.staff, company_of(cast.company), cast.draft, "")
    assert caught.value.status == 422 and "只能介绍筹款中的项目" in caught.value.fields["project_id"]
    assert "草稿" in caught.value.fields["project_id"]


def test_a_funded_project_cannot_be_introduced(cast: Cast) -> None:
    factories.pledge(cast.elderly, cast.other_company, 1_000_000)
    with pytest.raises(DomainError) as caught:
        matching.send_introduction(cast.staff, company_of(cast.company), fresh(Project, cast.elderly.id), "")
    assert caught.value.status == 422 and "已筹满" in caught.value.fields["project_id"]


def test_an_unverified_company_cannot_be_introduced(cast: Cast) -> None:
    with pytest.raises(DomainError) as caught:
        matching.send_introduction(cast.staff, company_of(cast.unverified_company), cast.elderly, "")
    assert caught.value.status == 422 and "已认证" in caught.value.fields["company_id"]


def test_a_note_longer_than_1000_characters_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as caught:
        matching.send_introduction(cast.staff, company_of(cast.company), cast.elderly, "好" * 1001)
    assert "1000" in caught.value.fields["note"]


def test_one_open_introduction_per_company_and_project(cast: Cast) -> None:
    first = introduce(cast.staff, cast.company, cast.elderly)
    with pytest.raises(Conflict) as caught:
        matching.send_introduction(cast.other_staff, company_of(cast.company), cast.elderly, "再推荐一次")
    assert caught.value.status == 409 and "介绍仍在进行中" in caught.value.fields["project_id"]
    db.session.rollback()
    # Other pairs are unaffected.
    introduce(cast.staff, cast.company, cast.children)
    introduce(cast.staff, cast.other_company, cast.elderly)
    # Interested is still open.
    matching.respond_to_introduction(fresh(Introduction, first.id), cast.company, "interested")
    db.session.commit()
    with pytest.raises(Conflict):
        matching.send_introduction(cast.staff, company_of(cast.company), cast.elderly, "")


def test_after_a_decline_the_pair_may_be_introduced_again(cast: Cast) -> None:
    first = introduce(cast.staff, cast.company, cast.elderly)
    matching.respond_to_introduction(first, cast.company, "declined", "今年预算已用完")
    db.session.commit()
    second = introduce(cast.other_staff, cast.company, cast.elderly, "明年预算开放了")
    assert second.id != first.id and second.status == "sent"
    assert matching.open_introduction(cast.company.company_id, cast.elderly.id).id == second.id


# ─────────────────────────────── answering ───────────────────────────────


def test_the_company_answers_and_the_staff_member_hears_of_it(cast: Cast) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    mail.outbox().clear()
    matching.respond_to_introduction(introduction, cast.company, "interested", "  想了解预算明细  ")
    db.session.commit()
    introduction = fresh(Introduction, introduction.id)
    assert introduction.status == "interested"
    assert introduction.viewed_at is not None  # interest implies it was seen
    assert introduction.interested_at is not None and introduction.responded_at is not None
    assert introduction.response_note == "想了解预算明细"
    note = db.session.scalar(select(Notification).where(Notification.user_id == cast.staff.id))
    assert note is not None and note.title == "企业回复了您的牵线介绍"
    assert "有意向" in note.body and "想了解预算明细" in note.body
    assert note.link == f"/staff/introductions/{introduction.id}"
    assert [m.subject for m in mail.outbox() if m.to == cast.staff.email] == [
        "【青亲筹】企业回复了您的牵线介绍"
    ]


def test_staff_cannot_answer_for_the_company(cast: Cast) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    with pytest.raises(Forbidden) as caught:
        matching.respond_to_introduction(introduction, cast.staff, "interested")
    assert caught.value.status == 403
    assert fresh(Introduction, introduction.id).status == "sent"


@pytest.mark.parametrize("who", ["other_company", "owner", "nobody"])
def test_others_do_not_even_see_the_introduction(cast: Cast, who: str) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    actor = None if who == "nobody" else getattr(cast, who)
    with pytest.raises(NotFound) as caught:
        matching.respond_to_introduction(introduction, actor, "declined")
    assert caught.value.status == 404
    assert fresh(Introduction, introduction.id).status == "sent"


@pytest.mark.parametrize("status", ["converted", "sent", "maybe", ""])
def test_the_company_may_only_choose_viewed_interested_or_declined(cast: Cast, status: str) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    with pytest.raises(DomainError) as caught:
        matching.respond_to_introduction(introduction, cast.company, status)
    assert caught.value.status == 422 and "status" in caught.value.fields
    assert fresh(Introduction, introduction.id).status == "sent"


def test_an_answer_longer_than_500_characters_is_refused(cast: Cast) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    with pytest.raises(DomainError) as caught:
        matching.respond_to_introduction(introduction, cast.company, "declined", "不" * 501)
    assert "500" in caught.value.fields["note"]


@pytest.mark.parametrize(
    ("steps", "then", "current_label"),
    [
        (["declined"], "interested", "已婉拒"),
        (["declined"], "viewed", "已婉拒"),
        (["interested"], "viewed", "有意向"),
        (["pledge"], "declined", "已促成"),
        (["pledge"], "interested", "已促成"),
        (["declined", "pledge"], "declined", "已促成"),
    ],
)
def test_illegal_moves_are_conflicts_and_change_nothing(
    cast: Cast, steps: list[str], then: str, current_label: str
) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    for step in steps:
        if step == "pledge":
            factories.pledge(cast.elderly, cast.company, 10_000, paid=False)
        else:
            matching.respond_to_introduction(fresh(Introduction, introduction.id), cast.company, step)
            db.session.commit()
    before = fresh(Introduction, introduction.id)
    status, responded_at = before.status, before.responded_at
    with pytest.raises(Conflict) as caught:
        matching.respond_to_introduction(before, cast.company, then)
    assert caught.value.status == 409 and current_label in caught.value.fields["status"]
    db.session.commit()
    after = fresh(Introduction, introduction.id)
    assert (after.status, after.responded_at) == (status, responded_at)


@pytest.mark.parametrize("status", ["viewed", "interested", "declined"])
def test_saying_the_same_thing_twice_changes_nothing(cast: Cast, status: str) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    matching.respond_to_introduction(introduction, cast.company, status, "第一次")
    db.session.commit()
    first = fresh(Introduction, introduction.id)
    stamps = (first.viewed_at, first.interested_at, first.responded_at, first.response_note)
    notes = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == cast.staff.id)
    )
    again = matching.respond_to_introduction(first, cast.company, status, "第二次")
    db.session.commit()
    assert again.id == first.id
    second = fresh(Introduction, introduction.id)
    assert second.status == status
    assert (second.viewed_at, second.interested_at, second.responded_at, second.response_note) == stamps
    assert (
        db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == cast.staff.id)
        )
        == notes
    )


def test_opening_an_introduction_marks_it_viewed_once(cast: Cast) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    assert matching.mark_viewed(introduction, cast.staff) is False  # staff looking is not the company
    assert matching.mark_viewed(introduction, cast.other_company) is False
    assert matching.mark_viewed(introduction, None) is False
    assert fresh(Introduction, introduction.id).status == "sent"

    assert matching.mark_viewed(fresh(Introduction, introduction.id), cast.company) is True
    db.session.commit()
    viewed = fresh(Introduction, introduction.id)
    assert viewed.status == "viewed" and viewed.viewed_at is not None and viewed.responded_at is None
    assert matching.mark_viewed(viewed, cast.company) is False  # already seen
    # Viewing tells the staff member nothing (only answers do).
    assert db.session.scalar(select(Notification).where(Notification.user_id == cast.staff.id)) is None

    matching.respond_to_introduction(viewed, cast.company, "interested")
    db.session.commit()
    assert matching.mark_viewed(fresh(Introduction, introduction.id), cast.company) is False
    assert fresh(Introduction, introduction.id).status == "interested"


def test_lists_show_staff_everything_and_a_company_its_own(cast: Cast) -> None:
    mine = introduce(cast.staff, cast.company, cast.elderly)
    theirs = introduce(cast.other_staff, cast.other_company, cast.river)
    assert {i.id for i in matching.list_introductions(cast.staff)} == {mine.id, theirs.id}
    assert [i.id for i in matching.list_introductions(cast.staff, staff_id=cast.other_staff.id)] == [
        theirs.id
    ]
    assert [i.id for i in matching.list_introductions(cast.company)] == [mine.id]
    assert [i.id for i in matching.list_introductions(cast.staff, project_id=cast.river.id)] == [theirs.id]
    assert matching.list_introductions(cast.company, status="declined") == []
    with pytest.raises(DomainError):
        matching.list_introductions(cast.staff, status="lost")
    with pytest.raises(Forbidden):
        matching.list_introductions(cast.owner)


# ─────────────────────────────── conversion ───────────────────────────────


def test_a_pledge_within_90_days_converts_only_that_pair(cast: Cast) -> None:
    target = introduce(cast.staff, cast.company, cast.elderly)
    same_company_other_project = introduce(cast.staff, cast.company, cast.children)
    other_company_same_project = introduce(cast.staff, cast.other_company, cast.elderly)
    shift(Introduction, target.id, sent_at=timedelta(days=89))

    pledge = factories.pledge(cast.elderly, cast.company, 50_000, paid=False)

    converted = fresh(Introduction, target.id)
    assert converted.status == "converted" and not converted.is_open
    assert converted.converted_via == "pledge" and converted.pledge_id == pledge.id
    assert converted.converted_at is not None
    # The steps the company skipped are filled in, so the funnel counts them.
    assert converted.viewed_at is not None and converted.interested_at is not None
    assert fresh(Introduction, same_company_other_project.id).status == "sent"
    assert fresh(Introduction, other_company_same_project.id).status == "sent"


def test_a_pledge_after_90_days_converts_nothing(cast: Cast) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    shift(Introduction, introduction.id, sent_at=timedelta(days=91))
    factories.pledge(cast.elderly, cast.company, 50_000)
    stale = fresh(Introduction, introduction.id)
    assert stale.status == "sent" and stale.converted_at is None and stale.pledge_id is None


def test_a_declined_introduction_still_converts_and_keeps_its_answer_times(cast: Cast) -> None:
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    matching.respond_to_introduction(introduction, cast.company, "declined")
    db.session.commit()
    declined = fresh(Introduction, introduction.id)
    viewed_at, responded_at = declined.viewed_at, declined.responded_at
    factories.pledge(cast.elderly, cast.company, 20_000)
    converted = fresh(Introduction, introduction.id)
    assert converted.status == "converted"
    assert (converted.viewed_at, converted.responded_at) == (viewed_at, responded_at)
    assert converted.interested_at is not None


def test_an_agreement_with_the_organization_converts_its_introductions(cast: Cast) -> None:
    first = introduce(cast.staff, cast.company, cast.elderly)
    second = introduce(cast.staff, cast.company, cast.children)  # same organization A
    elsewhere = introduce(cast.staff, cast.company, cast.river)  # organization B
    other_company = introduce(cast.staff, cast.other_company, cast.elderly)
    matching.respond_to_introduction(second, cast.company, "interested")
    db.session.commit()

    count = matching.convert_introductions(
        cast.company.company_id, organization_id=cast.owner.organization_id, via="agreement"
    )
    db.session.commit()
    assert count == 2
    for introduction_id in (first.id, second.id):
        converted = fresh(Introduction, introduction_id)
        assert (converted.status, converted.converted_via, converted.pledge_id) == (
            "converted",
            "agreement",
            None,
        )
    assert fresh(Introduction, elsewhere.id).status == "sent"
    assert fresh(Introduction, other_company.id).status == "sent"
    # Nothing left to convert: a second agreement changes nothing.
    assert (
        matching.convert_introductions(
            cast.company.company_id, organization_id=cast.owner.organization_id, via="agreement"
        )
        == 0
    )
    assert matching.convert_introductions(cast.company.company_id, via="agreement") == 0  # no target at all


def test_raised_through_counts_held_money_pledged_after_the_introduction(cast: Cast) -> None:
    earlier = factories.pledge(cast.elderly, cast.company, 30_000)  # before any introduction
    shift(Pledge, earlier.id, created_at=timedelta(days=1))
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    converting = factories.pledge(cast.elderly, cast.company, 50_000)
    pledges.refund_pledge(fresh(Pledge, converting.id), cast.staff, amount=5_000, gateway=None)
    db.session.commit()
    factories.pledge(cast.elderly, cast.company, 70_000, paid=False)  # promised, not received
    factories.pledge(cast.elderly, cast.other_company, 90_000)  # someone else's money
    open_one = introduce(cast.staff, cast.company, cast.river)  # not converted: brought nothing

    introduction = fresh(Introduction, introduction.id)
    assert introduction.status == "converted" and introduction.pledge_id == converting.id
    assert matching.raised_through([introduction, fresh(Introduction, open_one.id)]) == {
        introduction.id: 45_000
    }
    assert matching.raised_through([]) == {}


def test_a_pledge_is_credited_to_one_introduction_only(cast: Cast) -> None:
    """Two introductions of the same pair, each converted by its own pledge: the money raised
    through them together is the money pledged, not more."""
    first = introduce(cast.staff, cast.company, cast.elderly)
    first_pledge = factories.pledge(cast.elderly, cast.company, 10_000)
    shift(Introduction, first.id, sent_at=timedelta(days=10))
    shift(Pledge, first_pledge.id, created_at=timedelta(days=9))
    second = introduce(cast.other_staff, cast.company, cast.elderly)  # allowed: the first is converted
    second_pledge = factories.pledge(cast.elderly, cast.company, 20_000)

    both = [fresh(Introduction, first.id), fresh(Introduction, second.id)]
    assert [i.pledge_id for i in both] == [first_pledge.id, second_pledge.id]
    raised = matching.raised_through(both)
    assert sum(raised.values()) == 30_000
    assert raised == {first.id: 10_000, second.id: 20_000}
    funnel = matching.funnel(by="staff")
    assert sum(row.raised for row in funnel) == 30_000


# ─────────────────────────────── funnel ───────────────────────────────


def funnel_scene(cast: Cast) -> dict[str, Introduction]:
    """The first staff member: five introductions at every step; the second: one, unanswered."""
    intros = {
        "sent": introduce(cast.staff, cast.company, cast.river),
        "viewed": introduce(cast.staff, cast.other_company, cast.river),
        "interested": introduce(cast.staff, cast.company, cast.children),
        "declined": introduce(cast.staff, cast.other_company, cast.children),
        "converted": introduce(cast.staff, cast.company, cast.elderly),
        "other": introduce(cast.other_staff, cast.other_company, cast.elderly),
    }
    matching.mark_viewed(intros["viewed"], cast.other_company)
    matching.respond_to_introduction(intros["interested"], cast.company, "interested")
    matching.respond_to_introduction(intros["declined"], cast.other_company, "declined")
    db.session.commit()
    factories.pledge(cast.elderly, cast.company, 123_456)  # ¥1,234.56, converts "converted"
    return intros


def test_the_funnel_by_staff_counts_every_step_reached_and_the_money(cast: Cast) -> None:
    funnel_scene(cast)
    rows = {row.key: row for row in matching.funnel(by="staff")}
    assert set(rows) == {cast.staff.name, cast.other_staff.name}
    mine = rows[cast.staff.name]
    assert (mine.sent, mine.viewed, mine.interested, mine.declined, mine.converted) == (5, 4, 2, 1, 1)
    assert mine.raised == 123_456  # fen
    assert mine.conversion_percent == 20
    other = rows[cast.other_staff.name]
    assert (other.sent, other.viewed, other.interested, other.declined, other.converted, other.raised) == (
        1,
        0,
        0,
        0,
        0,
        0,
    )
    assert other.conversion_percent == 0
    for row in rows.values():
        assert row.sent >= row.viewed >= row.interested >= row.converted
    assert [row.key for row in matching.funnel(by="staff")] == sorted(rows)


def mid_month_before(now: datetime) -> datetime:
    """The 15th at noon Wenzhou time (04:00 UTC) of this month or, if that is still ahead, of the
    month before: far from any month boundary in either time zone."""
    anchor = now.replace(day=15, hour=4, minute=0, second=0, microsecond=0)
    if anchor > now:
        anchor = (anchor.replace(day=1) - timedelta(days=1)).replace(day=15)
    return anchor


def test_the_funnel_by_month_and_period(cast: Cast) -> None:
    intros = funnel_scene(cast)
    recent = mid_month_before(utcnow())
    earlier = (recent.replace(day=1) - timedelta(days=1)).replace(day=15)
    for name, introduction in intros.items():
        moment = earlier if name in ("declined", "other") else recent
        db.session.execute(
            update(Introduction).where(Introduction.id == introduction.id).values(sent_at=moment)
        )
    db.session.commit()

    months = matching.funnel(by="month")
    assert [row.key for row in months] == [
        recent.strftime("%Y-%m"),
        earlier.strftime("%Y-%m"),
    ]  # newest first
    assert [row.sent for row in months] == [4, 2]
    assert [row.converted for row in months] == [1, 0]
    assert [row.raised for row in months] == [123_456, 0]
    for row in months:
        assert row.sent >= row.viewed >= row.interested >= row.converted

    since = matching.funnel(by="month", since=recent - timedelta(days=1))
    assert [(row.key, row.sent) for row in since] == [(recent.strftime("%Y-%m"), 4)]
    until = matching.funnel(by="staff", until=recent - timedelta(days=1))
    assert sorted((row.key, row.sent) for row in until) == sorted(
        [(cast.staff.name, 1), (cast.other_staff.name, 1)]
    )
    assert matching.funnel(by="month", since=utcnow() + timedelta(days=1)) == []


def test_the_funnel_counts_months_as_wenzhou_people_do(cast: Cast) -> None:
    """Staff in Wenzhou read "2026-11" as November in Wenzhou: an introduction sent at 01:00 on
    1 November local time (17:00 UTC on 31 October) belongs to November."""
    introduction = introduce(cast.staff, cast.company, cast.elderly)
    db.session.execute(
        update(Introduction)
        .where(Introduction.id == introduction.id)
        .values(sent_at=datetime(2026, 10, 31, 17, 0))
    )
    db.session.commit()
    assert [row.key for row in matching.funnel(by="month")] == ["2026-11"]


def test_the_funnel_groups_only_by_staff_or_month(cast: Cast) -> None:
    with pytest.raises(DomainError) as caught:
        matching.funnel(by="company")
    assert "by" in caught.value.fields


# ─────────────────────────────── the board ───────────────────────────────


def board_rows() -> list[tuple[int, int, int, int, Any]]:
    db.session.expire_all()
    return [
        (s.company_id, s.project_id, s.rank, s.score, s.reasons)
        for s in db.session.scalars(
            select(MatchSuggestion).order_by(MatchSuggestion.company_id, MatchSuggestion.rank)
        )
    ]


def test_refresh_board_writes_each_verified_companys_best_projects(cast: Cast) -> None:
    extra = factories.project(cast.other_owner, status="published", reviewer=cast.staff, category="elderly")
    written = matching.refresh_board(per_company=3)
    db.session.commit()
    rows = board_rows()
    assert written == len(rows) == 6  # two verified companies × three of four open projects
    open_projects = {cast.elderly.id, cast.children.id, cast.river.id, extra.id}
    by_company: dict[int, list[tuple[int, int, int, int, Any]]] = {}
    for row in rows:
        by_company.setdefault(row[0], []).append(row)
    assert set(by_company) == {cast.company.company_id, cast.other_company.company_id}
    for company_id, company_rows in by_company.items():
        assert [row[2] for row in company_rows] == [1, 2, 3]
        assert {row[1] for row in company_rows} <= open_projects
        scores = [row[3] for row in company_rows]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1000 for s in scores)
        # Stored reasons come back as the broker's sentences, in the visitor's language later.
        for row in company_rows:
            reasons = matching.stored_reasons(row[4])
            assert reasons and all("贵司" not in str(r.message) for r in reasons)
        # The same as the live ranking for staff, to the tenth of a point.
        live = matching.company_matches(db.session.get(Company, company_id), limit=3, audience="broker")
        assert [(m.project.id, round(m.match.score * 10)) for m in live] == [
            (row[1], row[3]) for row in company_rows
        ]


def test_refresh_board_is_idempotent_and_drops_companies_no_longer_verified(cast: Cast) -> None:
    matching.refresh_board(per_company=5)
    db.session.commit()
    first = board_rows()
    assert {row[0] for row in first} == {cast.company.company_id, cast.other_company.company_id}
    assert len(first) == 6  # three open projects each

    matching.refresh_board(per_company=5)
    db.session.commit()
    assert board_rows() == first

    db.session.execute(
        update(Company)
        .where(Company.id == cast.other_company.company_id)
        .values(verification_status="pending")
    )
    db.session.commit()
    matching.refresh_board(per_company=5)
    db.session.commit()
    assert board_rows() == [row for row in first if row[0] == cast.company.company_id]


def test_refresh_board_in_small_batches_writes_the_same_rows(cast: Cast) -> None:
    matching.refresh_board(per_company=2)
    db.session.commit()
    whole = board_rows()
    matching.refresh_board(per_company=2, batch=1)
    db.session.commit()
    assert board_rows() == whole


def test_refresh_board_forgets_projects_that_closed(cast: Cast) -> None:
    matching.refresh_board()
    db.session.commit()
    factories.pledge(cast.river, cast.other_company, 1_000_000)  # funded
    matching.refresh_board()
    db.session.commit()
    assert cast.river.id not in {row[1] for row in board_rows()}
    assert cast.elderly.id in {row[1] for row in board_rows()}


# ─────────────────────────────── concurrency ───────────────────────────────


@dataclass(frozen=True)
class RaceScene:
    staff_ids: tuple[int, ...]
    company_id: int
    project_ids: tuple[int, ...]


THREADS = 4
ROUNDS = 5


@pytest.fixture
def race(app: Flask) -> Iterator[RaceScene]:
    with app.app_context():
        owner = factories.org_member()
        staff = [factories.staff() for _ in range(THREADS)]
        projects = tuple(
            factories.project(owner, status="published", reviewer=staff[0]).id for _ in range(ROUNDS)
        )
        company = factories.company_member()
        scene = RaceScene(tuple(s.id for s in staff), company.company_id, projects)
        db.session.commit()
        yield scene


def test_concurrent_introductions_of_one_pair_give_one_row_and_conflicts(app: Flask, race: RaceScene) -> None:
    """Four staff members introduce the same company to the same project at the same moment, five
    times over: each time exactly one introduction is made and the others are told it exists."""

    def introduce(index: int, round_: int) -> str:
        staff = db.session.get(User, race.staff_ids[index])
        company = db.session.get(Company, race.company_id)
        project = db.session.get(Project, race.project_ids[round_])
        try:
            matching.send_introduction(staff, company, project, f"第 {round_} 轮")
            db.session.commit()
        except Conflict:
            db.session.rollback()
            return "conflict"
        return "sent"

    outcomes = run_rounds(app, THREADS, ROUNDS, introduce)
    for round_ in range(ROUNDS):
        assert sorted(outcomes[t][round_] for t in range(THREADS)) == ["conflict"] * (THREADS - 1) + ["sent"]
    with app.app_context():
        counts = dict(
            db.session.execute(
                select(Introduction.project_id, func.count()).group_by(Introduction.project_id)
            ).all()
        )
        assert counts == dict.fromkeys(race.project_ids, 1)
        # One notification per introduction, none for the refused attempts.
        assert (
            db.session.scalar(
                select(func.count()).select_from(Notification).where(Notification.kind == "introduction")
            )
            == ROUNDS
        )


def test_a_signed_agreement_counts_as_support_in_the_sponsor_history(ctx):
    """An organization the company signed a partnership agreement with scores as one it supports,
    before any of the agreement's money has arrived; a draft agreement does not count."""
    from marketplace.agreements import operations as agreements
    from marketplace.agreements.terms import Terms

    factories.foundation()
    org = factories.org_member()
    company = factories.company_member()
    staff = factories.staff()
    today = local_today()
    agreement = agreements.create_agreement(
        staff,
        agreements.AgreementInput(
            title="志愿服务合作协议",
            company_id=company.company_id,
            organization_id=org.organization_id,
            starts_on=today,
            ends_on=today + timedelta(days=365),
        ),
    )
    version = agreements.add_version(
        agreement,
        staff,
        agreements.VersionInput(
            terms=Terms(
                scope="员工志愿服务", obligations_company="组织员工", obligations_organization="安排岗位"
            )
        ),
    )
    db.session.commit()
    company_row = db.session.get(Company, company.company_id)
    assert org.organization_id not in catalogs.sponsor_facts([company_row])[0].supported_organizations
    agreements.propose(agreement, staff, version_id=version.id)
    for signer in (company, org):
        agreements.sign(agreement, signer, version_id=version.id, content_sha256=version.content_sha256)
    db.session.commit()
    facts = catalogs.sponsor_facts([company_row])[0]
    assert org.organization_id in facts.supported_organizations
    assert org.organization_id in facts.partner_organizations
    project = factories.project(org, status="published", reviewer=staff)
    company_row = db.session.get(Company, company.company_id)
    found = next(
        item for item in matching.company_matches(company_row, limit=20) if item.project.id == project.id
    )
    assert "贵司与该组织签有合作协议" in [str(reason.message) for reason in found.match.reasons]
