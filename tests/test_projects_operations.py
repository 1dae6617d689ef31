"""Project use cases on the real database: validation that saves nothing, covers, the review
workflow, access rules and the deadline job."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.money import MAX_GOAL_FEN
from marketplace.pledges.models import Pledge, PledgeMethod
from marketplace.projects import operations as ops
from marketplace.projects.models import Project, ProjectTransition
from marketplace.projects.operations import latest_deadline_day
from marketplace.projects.states import ProjectStatus
from marketplace.timeutil import end_of_local_day, local_today, utcnow
from marketplace.uploads import MAX_IMAGE_BYTES, is_safe_stored_name
from tests import factories


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny) PNG: signature, IHDR with a correct CRC, one IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xd9\x36\x3e" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def project_count() -> int:
    return db.session.scalar(select(func.count(Project.id))) or 0


def create_and_expect_error(author: Any, field: str, fragment: str, **overrides: Any) -> DomainError:
    before = project_count()
    with pytest.raises(DomainError) as caught:
        ops.create_project(author, factories.project_input(**overrides))
    db.session.rollback()
    assert fragment in caught.value.fields[field]
    assert project_count() == before
    return caught.value


@pytest.fixture
def org_user(ctx: Flask) -> Any:
    return factories.org_member()


@pytest.fixture
def staff_user(ctx: Flask) -> Any:
    return factories.staff()


# ───────────── creating and validating ─────────────


def test_create_project_stores_goal_in_fen_and_the_deadline_at_the_end_of_the_local_day(
    org_user: Any,
) -> None:
    day = local_today() + timedelta(days=20)
    project = ops.create_project(
        org_user, factories.project_input(goal_yuan="20,000.50", deadline=day, tags="#敬老、敬老, 助餐；长者")
    )
    db.session.commit()

    stored = db.session.get(Project, project.id)
    assert stored.goal_amount == 2_000_050
    assert stored.deadline == end_of_local_day(day)
    assert stored.tags == ["敬老", "助餐", "长者"]
    assert stored.status == ProjectStatus.DRAFT
    assert stored.organization_id == org_user.organization_id
    assert stored.raised_amount == 0
    assert stored.category.slug == "children"


@pytest.mark.parametrize(
    ("goal", "fragment"),
    [
        ("0", "必须大于 0"),
        ("-5", "不能为负数"),
        ("abc", "金额必须是数字"),
        ("100000000.01", "不能超过"),
        ("200000000", "不能超过"),
        ("12.345", "最多保留两位小数"),
        ("", "请输入金额"),
    ],
)
def test_a_bad_goal_saves_nothing(org_user: Any, goal: str, fragment: str) -> None:
    create_and_expect_error(org_user, "goal_amount", fragment, goal_yuan=goal)


def test_the_goal_limit_itself_is_allowed(org_user: Any) -> None:
    project = ops.create_project(org_user, factories.project_input(goal_yuan="100000000"))
    assert project.goal_amount == MAX_GOAL_FEN


def test_a_float_goal_in_fen_is_refused(org_user: Any) -> None:
    create_and_expect_error(org_user, "goal_amount", "整数", goal_yuan=None, goal_amount=100.5)


@pytest.mark.parametrize(
    ("days", "fragment"),
    [(-1, "必须在今天之后"), (-400, "必须在今天之后"), (367, "不能晚于一年以后"), (800, "不能晚于一年以后")],
)
def test_a_deadline_in_the_past_or_over_a_year_ahead_saves_nothing(
    org_user: Any, days: int, fragment: str
) -> None:
    create_and_expect_error(org_user, "deadline", fragment, deadline=local_today() + timedelta(days=days))


def test_a_deadline_a_year_ahead_is_the_last_allowed_day(org_user: Any) -> None:
    last = latest_deadline_day(local_today())
    assert ops.create_project(org_user, factories.project_input(deadline=last)).deadline == end_of_local_day(
        last
    )


def test_a_malformed_deadline_is_explained(org_user: Any) -> None:
    create_and_expect_error(org_user, "deadline", "格式不正确", deadline="2026-13-45")


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("category", "no-such-category", "有效的项目类别"),
        ("district", "杭州市", "温州市"),
        ("funding_model", "winner_takes_all", "筹款方式"),
        ("title", "长" * 61, "不能超过 60 个字"),
        ("title", "   ", "请填写项目名称"),
        ("summary", "短" * 141, "不能超过 140 个字"),
        ("beneficiaries", "-3", "受益人数"),
        ("video_url", "javascript:alert(1)", "http"),
        ("tags", "一、二、三、四、五、六、七、八、九", "最多填写 8 个标签"),
        ("tags", "这是一个特别特别长的标签名字", "不能超过 12 个字"),
    ],
)
def test_bad_fields_save_nothing(org_user: Any, field: str, value: str, fragment: str) -> None:
    create_and_expect_error(org_user, field, fragment, **{field: value})


def test_a_title_of_exactly_60_characters_is_fine(org_user: Any) -> None:
    assert len(ops.create_project(org_user, factories.project_input(title="长" * 60)).title) == 60


def test_every_bad_field_is_reported_at_once(org_user: Any) -> None:
    error = create_and_expect_error(
        org_user, "goal_amount", "必须大于 0", goal_yuan="0", title="长" * 61, district="杭州市"
    )
    assert set(error.fields) == {"goal_amount", "title", "district"}


def test_a_new_project_needs_every_required_field(org_user: Any) -> None:
    with pytest.raises(DomainError) as caught:
        ops.create_project(org_user, ops.ProjectInput())
    assert {"title", "summary", "goal_amount", "deadline", "category", "district", "funding_model"} <= set(
        caught.value.fields
    )


def test_only_organization_members_create_projects(ctx: Flask) -> None:
    for user in (factories.company_member(), factories.staff()):
        with pytest.raises(Forbidden):
            ops.create_project(user, factories.project_input())
    assert project_count() == 0


# ───────────── editing ─────────────


def test_update_changes_only_the_given_fields(org_user: Any) -> None:
    project = factories.project(org_user)
    ops.update_project(project, org_user, ops.ProjectInput(goal_yuan="5000.5", title="  新的名称  "))
    db.session.commit()
    stored = db.session.get(Project, project.id)
    assert (stored.goal_amount, stored.title, stored.district) == (500_050, "新的名称", "鹿城区")


def test_a_failed_update_changes_nothing(org_user: Any) -> None:
    project = factories.project(org_user, title="原来的名称")
    with pytest.raises(DomainError):
        ops.update_project(project, org_user, ops.ProjectInput(title="新名称", goal_yuan="-1"))
    db.session.rollback()
    stored = db.session.get(Project, project.id)
    assert (stored.title, stored.goal_amount) == ("原来的名称", 2_000_000)


def test_editing_a_published_project_is_a_conflict(org_user: Any) -> None:
    project = factories.project(org_user, status="published")
    for data in (
        ops.ProjectInput(goal_yuan="1"),
        ops.ProjectInput(deadline=local_today() + timedelta(days=3)),
        ops.ProjectInput(funding_model="keep_it_all"),
        ops.ProjectInput(title="改个名字"),
    ):
        with pytest.raises(Conflict) as caught:
            ops.update_project(project, org_user, data)
        assert caught.value.status == 409
    db.session.rollback()
    assert db.session.get(Project, project.id).goal_amount == 2_000_000


def test_another_organization_cannot_edit(org_user: Any) -> None:
    project = factories.project(org_user)
    other = factories.org_member()
    with pytest.raises(Forbidden) as caught:
        ops.update_project(project, other, ops.ProjectInput(title="抢来的项目"))
    assert caught.value.status == 403
    with pytest.raises(Forbidden):
        ops.set_cover_image(project, other, png_bytes(), Path("/nonexistent"))


def test_a_returned_project_can_be_edited_again(org_user: Any) -> None:
    project = factories.project(org_user, status="returned")
    ops.update_project(project, org_user, ops.ProjectInput(summary="补充了预算明细"))
    assert project.summary == "补充了预算明细"


# ───────────── cover images ─────────────


def test_a_valid_png_is_stored_under_a_generated_name(org_user: Any, app: Flask) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    project = factories.project(org_user)
    image = png_bytes()
    ops.set_cover_image(project, org_user, image, upload_dir)
    db.session.commit()

    name = db.session.get(Project, project.id).cover_image
    assert is_safe_stored_name(name) and name.endswith(".png")
    assert (upload_dir / name).read_bytes() == image
    assert [path.name for path in upload_dir.iterdir()] == [name]  # no temporary files left behind


def test_a_replaced_cover_leaves_the_disk_when_the_change_commits_and_stays_when_it_does_not(
    org_user: Any, app: Flask
) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    project = factories.project(org_user)
    ops.set_cover_image(project, org_user, png_bytes(4, 3), upload_dir)
    db.session.commit()
    first = project.cover_image

    ops.set_cover_image(project, org_user, png_bytes(5, 5), upload_dir)
    db.session.rollback()  # e.g. another field of the form was wrong
    assert sorted(path.name for path in upload_dir.iterdir()) == [first]
    assert db.session.get(Project, project.id).cover_image == first

    ops.set_cover_image(project, org_user, png_bytes(6, 2), upload_dir)
    assert (upload_dir / first).exists()  # shown until the change commits
    db.session.commit()
    second = db.session.get(Project, project.id).cover_image
    assert second != first
    assert sorted(path.name for path in upload_dir.iterdir()) == [second]


def test_a_cover_another_project_also_shows_is_kept_when_one_of_them_replaces_it(
    org_user: Any, app: Flask
) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    project, twin = factories.project(org_user), factories.project(org_user)
    ops.set_cover_image(project, org_user, png_bytes(), upload_dir)
    twin.cover_image = project.cover_image  # as a hand-edited or restored database might have it
    db.session.commit()
    shared = project.cover_image

    ops.set_cover_image(project, org_user, png_bytes(7, 7), upload_dir)
    db.session.commit()
    assert (upload_dir / shared).exists()


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 this is an executable renamed to cover.png",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature glued onto garbage
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"",
    ],
)
def test_a_non_image_renamed_png_is_refused_and_nothing_is_stored(
    org_user: Any, app: Flask, content: bytes
) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    project = factories.project(org_user)
    with pytest.raises(DomainError) as caught:
        ops.set_cover_image(project, org_user, content, upload_dir)
    db.session.rollback()
    assert "cover_image" in caught.value.fields
    assert db.session.get(Project, project.id).cover_image is None
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def test_an_image_over_5_mb_is_refused(org_user: Any, app: Flask) -> None:
    project = factories.project(org_user)
    oversized = png_bytes() + b"\x00" * MAX_IMAGE_BYTES
    with pytest.raises(DomainError) as caught:
        ops.set_cover_image(project, org_user, oversized, Path(app.config["UPLOAD_DIR"]))
    assert "5 MB" in caught.value.fields["cover_image"]


# ───────────── workflow ─────────────


def test_submit_publish_records_history(org_user: Any, staff_user: Any) -> None:
    project = factories.project(org_user)
    ops.transition_project(project, "submit", org_user)
    assert project.status == ProjectStatus.SUBMITTED and project.submitted_at is not None
    ops.transition_project(project, "publish", staff_user)
    db.session.commit()

    stored = db.session.get(Project, project.id)
    assert stored.status == ProjectStatus.PUBLISHED and stored.published_at is not None
    history = [(t.action, t.from_status, t.to_status, t.actor_id) for t in stored.transitions]
    assert history == [
        ("submit", "draft", "submitted", org_user.id),
        ("publish", "submitted", "published", staff_user.id),
    ]


def test_returning_needs_a_reason_and_shows_it_until_resubmitted(org_user: Any, staff_user: Any) -> None:
    project = factories.project(org_user, status="submitted")
    for blank in (None, "", "   "):
        with pytest.raises(DomainError) as caught:
            ops.transition_project(project, "return", staff_user, reason=blank)
        assert "退回原因" in caught.value.fields["reason"]
    assert project.status == ProjectStatus.SUBMITTED

    ops.transition_project(project, "return", staff_user, reason="请补充预算明细")
    assert (project.status, project.return_reason) == (ProjectStatus.RETURNED, "请补充预算明细")
    ops.transition_project(project, "submit", org_user)
    assert project.status == ProjectStatus.SUBMITTED and project.return_reason is None
    assert project.transitions[-2].reason == "请补充预算明细"  # the history keeps it


@pytest.mark.parametrize("status", ["draft", "submitted", "returned"])
def test_the_owner_may_cancel_before_publication(org_user: Any, status: str) -> None:
    project = factories.project(org_user, status=status)
    ops.transition_project(project, "cancel", org_user)
    assert project.status == ProjectStatus.CANCELLED and project.ended_at is not None


def test_cancelling_after_a_pledge_is_refused(org_user: Any) -> None:
    project = factories.project(org_user, status="submitted")
    company = factories.company_member()
    # Pledges normally need a published project; the rule must hold whatever state the row is in.
    db.session.add(
        Pledge(
            project_id=project.id,
            company_id=company.company_id,
            amount=10_000,
            method=PledgeMethod.BANK_TRANSFER,
            idempotency_key="test-pledge-1",
            reference_code="QQCTEST0001",
            payee_kind="foundation",
            payee_id=1,
            payee_name="测试基金会",
        )
    )
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        ops.transition_project(project, "cancel", org_user)
    assert "已有认捐" in caught.value.fields["action"]
    db.session.rollback()
    assert db.session.get(Project, project.id).status == ProjectStatus.SUBMITTED


def test_a_published_project_cannot_be_cancelled(org_user: Any) -> None:
    project = factories.project(org_user, status="published")
    with pytest.raises(Conflict):
        ops.transition_project(project, "cancel", org_user)


@pytest.mark.parametrize(
    ("who", "action", "status"),
    [
        ("owner", "publish", "submitted"),
        ("owner", "return", "submitted"),
        ("staff", "submit", "draft"),
        ("other_org", "submit", "draft"),
        ("company", "cancel", "draft"),
    ],
)
def test_only_the_right_people_move_a_project(org_user: Any, who: str, action: str, status: str) -> None:
    project = factories.project(org_user, status=status)
    actor = {
        "owner": lambda: org_user,
        "staff": factories.staff,
        "other_org": factories.org_member,
        "company": factories.company_member,
    }[who]()
    with pytest.raises(Forbidden):
        ops.transition_project(project, action, actor, reason="理由")
    assert project.status == status


def test_an_unverified_organization_cannot_be_published(ctx: Flask) -> None:
    owner = factories.org_member(verified=False)
    project = factories.project(owner, status="submitted")
    with pytest.raises(Conflict) as caught:
        ops.transition_project(project, "publish", factories.staff())
    assert "认证" in caught.value.fields["organization"]


def test_an_unknown_action_is_a_field_error(org_user: Any) -> None:
    project = factories.project(org_user)
    with pytest.raises(DomainError) as caught:
        ops.transition_project(project, "explode", org_user)
    assert "action" in caught.value.fields


# ───────────── visibility ─────────────


def test_drafts_are_hidden_from_everyone_but_the_owner_and_staff(org_user: Any, staff_user: Any) -> None:
    draft = factories.project(org_user)
    published = factories.project(org_user, status="published")
    for outsider in (None, factories.org_member(), factories.company_member()):
        with pytest.raises(NotFound):
            ops.get_visible_project(draft.id, outsider)
        assert ops.get_visible_project(published.id, outsider) is published
    assert ops.get_visible_project(draft.id, org_user) is draft
    assert ops.get_visible_project(draft.id, staff_user) is draft
    with pytest.raises(NotFound):
        ops.get_visible_project(999_999, staff_user)


# ───────────── the deadline job ─────────────


def make_due(project: Project) -> None:
    """Move the deadline into the past, as time would (validation forbids entering it)."""
    db.session.execute(
        update(Project).where(Project.id == project.id).values(deadline=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()


def pay(project: Project, company: Any, amount: int, reviewer: Any) -> None:
    factories.pledge(project, company, amount, reviewer=reviewer)


def published_due_projects(org_user: Any, staff_user: Any) -> dict[str, Project]:
    company = factories.company_member()
    projects = {
        "met": factories.project(org_user, status="published", reviewer=staff_user, goal_yuan="100"),
        "missed": factories.project(org_user, status="published", reviewer=staff_user, goal_yuan="100"),
        "kept": factories.project(
            org_user, status="published", reviewer=staff_user, goal_yuan="100", funding_model="keep_it_all"
        ),
        "running": factories.project(org_user, status="published", reviewer=staff_user),
    }
    pay(projects["met"], company, 10_000, staff_user)
    pay(projects["missed"], company, 9_999, staff_user)
    for key in ("met", "missed", "kept"):
        make_due(projects[key])
    return projects


def test_close_due_projects_funds_fails_and_closes_then_does_nothing(org_user: Any, staff_user: Any) -> None:
    projects = published_due_projects(org_user, staff_user)
    draft = factories.project(org_user)

    report = ops.close_due_projects()

    assert sorted(item.id for item in report.closed) == sorted(
        projects[k].id for k in ("met", "missed", "kept")
    )
    db.session.expire_all()
    status = {key: db.session.get(Project, p.id).status for key, p in projects.items()}
    assert status == {"met": "funded", "missed": "failed", "kept": "closed", "running": "published"}
    assert db.session.get(Project, draft.id).status == "draft"
    system_moves = db.session.scalars(
        select(ProjectTransition).where(ProjectTransition.actor_id.is_(None))
    ).all()
    assert sorted(t.action for t in system_moves) == ["close", "fail", "fund"]
    assert all(db.session.get(Project, projects[k].id).ended_at for k in ("met", "missed", "kept"))

    again = ops.close_due_projects()  # idempotent
    assert not again.changed_anything and again.closed == []
    assert (
        db.session.scalar(
            select(func.count(ProjectTransition.id)).where(ProjectTransition.actor_id.is_(None))
        )
        == 3
    )


def test_a_keep_it_all_project_that_met_its_goal_is_closed(org_user: Any, staff_user: Any) -> None:
    """Keep-it-all keeps what was raised either way: it closes at the deadline (issue 4, item 5)."""
    project = factories.project(
        org_user, status="published", reviewer=staff_user, goal_yuan="100", funding_model="keep_it_all"
    )
    pay(project, factories.company_member(), 20_000, staff_user)
    make_due(project)
    ops.close_due_projects()
    db.session.refresh(project)
    assert project.status == ProjectStatus.CLOSED
    assert project.raised_amount == 20_000  # nothing refunded


def test_a_transition_from_a_state_the_row_already_left_is_a_conflict(org_user: Any, staff_user: Any) -> None:
    """Two reviewers open the same submitted project; the second decision must not be recorded."""
    project = factories.project(org_user, status="submitted")
    assert project.status == "submitted"  # loaded by this "request"
    with db.engine.begin() as other_request:
        other_request.execute(
            update(Project.__table__).where(Project.id == project.id).values(status="published")
        )
    # The ORM object still believes the project is submitted, as a second request's would.
    assert project.status == "submitted"
    with pytest.raises(Conflict):
        ops.transition_project(project, "return", staff_user, reason="请补充预算明细")
    db.session.rollback()
    assert db.session.get(Project, project.id).status == "published"
    assert (
        db.session.scalar(
            select(func.count(ProjectTransition.id)).where(ProjectTransition.project_id == project.id)
        )
        == 1
    )  # only the submit
