"""Progress updates and fund-usage reports: who may post them, what is stored, who is notified and
mailed (after the commit, never before), and how the project page's partial shows them."""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from marketplace import mail
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.projects import updates
from marketplace.projects.models import FundUsageItem, FundUsageReport, Project, ProjectUpdate
from marketplace.projects.updates import ReportInput, ReportItemInput, UpdateInput
from tests import factories
from tests.test_projects_operations import png_bytes
from tests.test_uploads_receipts import PDF


@dataclass(frozen=True)
class Cast:
    owner: str
    colleague: str
    other_org: str
    supporter: str
    bystander: str
    staff: str
    project_id: int
    draft_id: int
    bare_id: int  # published, no money yet


@pytest.fixture
def cast(app: Flask) -> Cast:
    with app.app_context():
        owner = factories.org_member()
        colleague = accounts.add_member(
            owner.organization,
            accounts.AccountInput(email="colleague@example.cn", password=factories.PASSWORD, name="同事"),
            actor_id=owner.id,
        )
        db.session.commit()
        reviewer = factories.staff()
        project = factories.project(owner, status="published", reviewer=reviewer, title="社区长者助餐")
        draft = factories.project(owner, title="还在草稿的项目")
        bare = factories.project(owner, status="published", reviewer=reviewer, title="还没有善款的项目")
        supporter = factories.company_member()
        factories.pledge(project, supporter, 100_000, reviewer=reviewer)  # ¥1,000 paid
        return Cast(
            owner=owner.email,
            colleague=colleague.email,
            other_org=factories.org_member().email,
            supporter=supporter.email,
            bystander=factories.company_member().email,
            staff=reviewer.email,
            project_id=project.id,
            draft_id=draft.id,
            bare_id=bare.id,
        )


def login(client: FlaskClient, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def stored_files(app: Flask) -> list[str]:
    directory = Path(app.config["UPLOAD_DIR"])
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


def notified(app: Flask, kind: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(User.email)
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.kind == kind)
                .order_by(User.email)
            )
        )


def partial_html(app: Flask, project_id: int, viewer: str | None = None) -> str:
    """The project page's updates/reports partial, rendered the way the page includes it."""
    with app.test_request_context(f"/projects/{project_id}"):
        if viewer:
            login_user(user(viewer))
        from flask_login import current_user

        from marketplace.projects.updates import feed_for

        project = db.session.get(Project, project_id)
        return render_template(
            "projects/_updates_and_reports.html",
            project=project,
            current_user=current_user,
            feed=feed_for(project, current_user),
        )


def prose(page: str) -> str:
    """The rendered Markdown of the (first) update on a page."""
    found = re.search(r'<div class="prose[^"]*">(.*?)</div>', page, re.S)
    assert found, "no rendered update on the page"
    return found[1]


def image(data: bytes, name: str = "photo.png") -> tuple[io.BytesIO, str, str]:
    return (io.BytesIO(data), name, "image/png")


# ───────────── progress updates ─────────────


def test_the_owner_posts_an_update_with_an_image(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    form = client.get(f"/projects/{cast.project_id}/updates/new")
    assert form.status_code == 200
    assert "发布项目进展" in form.get_data(as_text=True)

    photo = png_bytes(8, 6)
    response = client.post(
        f"/projects/{cast.project_id}/updates/new",
        data={
            "title": "第一期课堂开课了",
            "body": "本周共有 **32 名**孩子参加。\n\n- 新增志愿者 6 名",
            # The uploader's name and declared type mean nothing: the bytes decide.
            "images": [image(photo, "../../课堂.PNG")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        update = db.session.scalars(select(ProjectUpdate)).one()
        assert response.headers["Location"].endswith(f"/projects/{cast.project_id}#update-{update.id}")
        assert update.title == "第一期课堂开课了"
        assert len(update.images) == 1
        assert re.fullmatch(r"[0-9a-f]{32}\.png", update.images[0])
        assert update.author_id == user(cast.owner).id
        name = update.images[0]
    assert stored_files(app) == [name]
    assert (Path(app.config["UPLOAD_DIR"]) / name).read_bytes() == photo

    html = partial_html(app, cast.project_id)
    assert "第一期课堂开课了" in html
    assert "<strong>32 名</strong>" in html
    assert f'src="/uploads/{name}"' in html
    with app.app_context():
        notice = db.session.scalars(select(Notification).where(Notification.kind == "project_update")).one()
        assert notice.user_id == user(cast.supporter).id
        assert notice.body == "本周共有 32 名孩子参加。 新增志愿者 6 名"  # plain text, no Markdown marks
    permalink = client.get(f"/projects/{cast.project_id}/updates/{update.id}")
    assert permalink.status_code == 200
    assert "<strong>32 名</strong>" in permalink.get_data(as_text=True)


def test_a_colleague_in_the_same_organization_may_post(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.colleague)
    response = client.post(
        f"/projects/{cast.project_id}/updates/new", data={"title": "物资已采购", "body": "采购了 60 套文具。"}
    )
    assert response.status_code == 303
    assert count(app, ProjectUpdate) == 1


def test_supporters_are_notified_and_mailed_only_after_the_commit(app: Flask, cast: Cast) -> None:
    with app.app_context():
        mail.outbox().clear()  # the pledge's own "paid" mail from the fixture
        project = db.session.get(Project, cast.project_id)
        updates.post_update(
            project,
            user(cast.owner),
            UpdateInput("课堂开课", "孩子们很开心。"),
            Path(app.config["UPLOAD_DIR"]),
        )
        assert mail.outbox() == []  # queued, not sent: the transaction may still roll back
        db.session.commit()
        sent = list(mail.outbox())
    assert [message.to for message in sent] == [cast.supporter]
    assert "课堂开课" in sent[0].subject
    assert f"/projects/{cast.project_id}#update-" in sent[0].body
    # The company that never pledged and the organization itself hear nothing.
    assert notified(app, "project_update") == [cast.supporter]


def test_a_rolled_back_update_mails_nobody(app: Flask, cast: Cast) -> None:
    with app.app_context():
        mail.outbox().clear()
        project = db.session.get(Project, cast.project_id)
        updates.post_update(
            project, user(cast.owner), UpdateInput("标题", "内容"), Path(app.config["UPLOAD_DIR"])
        )
        db.session.rollback()
        assert mail.outbox() == []
    assert notified(app, "project_update") == []


@pytest.mark.parametrize("who", ["other_org", "supporter", "staff"])
def test_nobody_outside_the_organization_may_post(
    app: Flask, client: FlaskClient, cast: Cast, who: str
) -> None:
    login(client, getattr(cast, who))
    assert client.get(f"/projects/{cast.project_id}/updates/new").status_code == 403
    response = client.post(f"/projects/{cast.project_id}/updates/new", data={"title": "冒名", "body": "冒名"})
    assert response.status_code == 403
    assert count(app, ProjectUpdate) == 0
    assert notified(app, "project_update") == []


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, cast: Cast) -> None:
    response = client.post(f"/projects/{cast.project_id}/updates/new", data={"title": "x", "body": "y"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_draft_project_takes_no_updates(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    page = client.get(f"/projects/{cast.draft_id}/updates/new")
    assert page.status_code == 409
    assert "发布后才能发布进展" in page.get_data(as_text=True)
    response = client.post(f"/projects/{cast.draft_id}/updates/new", data={"title": "x", "body": "y"})
    assert response.status_code == 409
    assert count(app, ProjectUpdate) == 0
    with app.app_context(), pytest.raises(Conflict):
        updates.check_can_post(db.session.get(Project, cast.draft_id), user(cast.owner))


def test_a_hidden_draft_is_not_found_for_others(client: FlaskClient, cast: Cast) -> None:
    login(client, cast.other_org)
    assert client.get(f"/projects/{cast.draft_id}/updates/new").status_code == 404


def test_markdown_is_rendered_and_sanitised(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    body = (
        "正文 <script>alert('x')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        "[点我](javascript:alert(1)) [也点我](java\u200bscript:alert(2))\n\n"
        '<svg onload="alert(3)"></svg> <a href="data:text/html,<script>alert(4)</script>">d</a>\n\n'
        "[站内相对链接](/staff/reviews) [正常链接](https://example.org/report)"
    )
    response = client.post(
        f"/projects/{cast.project_id}/updates/new", data={"title": "<b>标题</b>", "body": body}
    )
    assert response.status_code == 303
    for page in (
        partial_html(app, cast.project_id),
        client.get(f"/projects/{cast.project_id}/updates/1").get_data(as_text=True),
    ):
        assert "&lt;b&gt;标题&lt;/b&gt;" in page  # the title is text, escaped
        html = prose(page)
        lowered = html.lower()
        assert "<script" not in lowered
        assert "alert(" not in lowered
        assert "onerror" not in lowered and "onload" not in lowered
        assert "javascript:" not in lowered
        assert 'href="data:' not in lowered
        assert 'href="/staff/reviews"' not in lowered
        assert 'href="https://example.org/report"' in html
        assert "正文" in html


def test_a_file_that_is_not_an_image_is_refused_by_content(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    login(client, cast.owner)
    response = client.post(
        f"/projects/{cast.project_id}/updates/new",
        data={
            "title": "有图",
            "body": "内容",
            "images": [image(png_bytes()), image(b"<html><script>alert(1)</script></html>", "x.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "第 2 张图片：图片必须是 PNG、JPEG 或 WebP 格式" in response.get_data(as_text=True)
    assert count(app, ProjectUpdate) == 0
    assert stored_files(app) == []  # the good first image was not written either


def test_at_most_six_images(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    response = client.post(
        f"/projects/{cast.project_id}/updates/new",
        data={"title": "很多图", "body": "内容", "images": [image(png_bytes()) for _ in range(7)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "最多上传 6 张图片" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_title_and_body_are_required_and_bounded(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    response = client.post(f"/projects/{cast.project_id}/updates/new", data={"title": "", "body": " "})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "请填写标题" in text and "请填写进展内容" in text
    response = client.post(f"/projects/{cast.project_id}/updates/new", data={"title": "长" * 61, "body": "x"})
    assert response.status_code == 422
    assert "标题不能超过 60 个字" in response.get_data(as_text=True)
    assert count(app, ProjectUpdate) == 0


def test_several_photos_may_exceed_the_single_cover_limit_with_csrf_on(make_app: Any, cast: Cast) -> None:
    """Six photos of up to 5 MB must fit: the request limit for this form is raised before the
    CSRF check reads the body (with the app-wide 6 MB limit it would be a 413)."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert token
    assert (
        client.post(
            "/login", data={"email": cast.owner, "password": factories.PASSWORD, "csrf_token": token[1]}
        ).status_code
        == 302
    )
    form = client.get(f"/projects/{cast.project_id}/updates/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token
    big = png_bytes() + b"\x00" * (3 * 1024 * 1024)  # a real PNG header, 3 MB in all
    # Encoded in memory: the test client would spool a body this large to a temporary file that
    # it never closes.
    boundary, body = encode_multipart(
        MultiDict(
            [
                ("title", "活动照片"),
                ("body", "三张照片"),
                ("csrf_token", token[1]),
                *[
                    ("images", FileStorage(io.BytesIO(big), f"{n}.png", content_type="image/png"))
                    for n in range(3)
                ],
            ]
        )
    )
    assert len(body) > app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        f"/projects/{cast.project_id}/updates/new",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 303
    assert len(stored_files(app)) == 3


def test_a_permalink_belongs_to_its_project(app: Flask, client: FlaskClient, cast: Cast) -> None:
    with app.app_context():
        project = db.session.get(Project, cast.project_id)
        update = updates.post_update(
            project, user(cast.owner), UpdateInput("标题", "内容"), Path(app.config["UPLOAD_DIR"])
        )
        db.session.commit()
        update_id = update.id
    assert client.get(f"/projects/{cast.project_id}/updates/{update_id}").status_code == 200
    assert client.get(f"/projects/{cast.bare_id}/updates/{update_id}").status_code == 404
    assert client.get(f"/projects/{cast.draft_id}/updates/{update_id}").status_code == 404


# ───────────── fund-usage reports ─────────────


def report_form(
    title: str = "3 月物资采购", note: str = "", rows: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"title": title, "note": note}
    for index, row in enumerate(rows or []):
        for key, value in row.items():
            data[f"items-{index}-{key}"] = value
    return data


def test_the_owner_submits_a_report_with_receipts(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    page = client.get(f"/projects/{cast.project_id}/reports/new")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('name="items-') >= 15  # five rows of three inputs

    response = client.post(
        f"/projects/{cast.project_id}/reports/new",
        data=report_form(
            note="课堂第一个月的开支。",
            rows=[
                {
                    "description": "课堂文具 60 套",
                    "amount": "320.50",
                    "receipt": (io.BytesIO(PDF), "发票.pdf"),
                },
                {"description": "", "amount": ""},  # an empty row is ignored
                {"description": "志愿者交通补贴", "amount": "¥100", "receipt": image(png_bytes())},
                {"description": "午餐食材", "amount": "200"},
            ],
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        report = db.session.scalars(select(FundUsageReport)).one()
        assert response.headers["Location"].endswith(f"#report-{report.id}")
        assert report.note == "课堂第一个月的开支。"
        rows = [(item.description, item.amount) for item in report.items]
        assert rows == [("课堂文具 60 套", 32_050), ("志愿者交通补贴", 10_000), ("午餐食材", 20_000)]
        assert report.total == 62_050
        pdf_name = report.items[0].receipt_file
        png_name = report.items[1].receipt_file
        assert report.items[2].receipt_file is None
    assert pdf_name and pdf_name.endswith(".pdf")
    assert png_name and png_name.endswith(".png")
    assert stored_files(app) == sorted([pdf_name, png_name])

    download = client.get(f"/uploads/{pdf_name}")
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.data == PDF
    download.close()

    html = partial_html(app, cast.project_id)
    assert "3 月物资采购" in html
    assert "课堂文具 60 套" in html and "¥320.50" in html
    assert "¥620.50" in html  # the report's total and the reported-spent figure
    assert f'href="/uploads/{pdf_name}" download' in html
    assert f'href="/uploads/{png_name}"' in html
    assert notified(app, "fund_usage_report") == [cast.supporter]


def test_a_fake_pdf_is_refused_by_its_content(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    fake = b"<!doctype html><html><body onload=alert(1)>invoice</body></html>"
    response = client.post(
        f"/projects/{cast.project_id}/reports/new",
        data=report_form(
            rows=[
                {"description": "文具", "amount": "100"},
                {
                    "description": "场地",
                    "amount": "50",
                    "receipt": (io.BytesIO(fake), "invoice.pdf", "application/pdf"),
                },
            ]
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="items-1-receipt-error"' in html  # the reason sits under that row's file input
    assert "第 2 项：凭证必须是" in html  # and the summary at the top names the row
    assert "凭证必须是 PDF 文件或 PNG、JPEG、WebP 图片" in html
    assert count(app, FundUsageReport) == 0
    assert count(app, FundUsageItem) == 0
    assert stored_files(app) == []


def test_reports_together_may_not_exceed_the_raised_amount(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    login(client, cast.owner)
    first = client.post(
        f"/projects/{cast.project_id}/reports/new",
        data=report_form(rows=[{"description": "第一批物资", "amount": "600"}]),
    )
    assert first.status_code == 303
    second = client.post(
        f"/projects/{cast.project_id}/reports/new",
        data=report_form(
            title="第二份",
            rows=[{"description": "a", "amount": "300"}, {"description": "b", "amount": "100.01"}],
        ),
    )
    assert second.status_code == 422
    html = second.get_data(as_text=True)
    assert "不能超过项目已筹金额 ¥1,000" in html
    assert "本次最多还能报告 ¥400" in html
    with app.app_context():
        assert updates.reported_total(cast.project_id) == 60_000
    assert count(app, FundUsageReport) == 1
    exactly_the_rest = client.post(
        f"/projects/{cast.project_id}/reports/new",
        data=report_form(title="第二份", rows=[{"description": "a", "amount": "400"}]),
    )
    assert exactly_the_rest.status_code == 303


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"description": "文具", "amount": "0"}, "金额必须大于 0"),
        ({"description": "文具", "amount": "-5"}, "金额不能为负数"),
        ({"description": "文具", "amount": "1.234"}, "金额最多保留两位小数"),
        ({"description": "文具", "amount": "一百"}, "金额必须是数字"),
        ({"description": "文具", "amount": ""}, "请输入金额"),
        ({"description": "", "amount": "10"}, "请填写支出说明"),
        ({"description": "长" * 201, "amount": "10"}, "支出说明不能超过 200 个字"),
    ],
)
def test_bad_items_are_refused_with_the_row_named(
    app: Flask, client: FlaskClient, cast: Cast, row: dict[str, str], reason: str
) -> None:
    login(client, cast.owner)
    response = client.post(f"/projects/{cast.project_id}/reports/new", data=report_form(rows=[row]))
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert count(app, FundUsageReport) == 0


def test_a_report_needs_a_title_and_an_item(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    response = client.post(f"/projects/{cast.project_id}/reports/new", data=report_form(title=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请填写报告标题" in html and "请至少填写一项支出" in html
    assert count(app, FundUsageReport) == 0


def test_at_most_twenty_items(app: Flask, cast: Cast) -> None:
    with app.app_context():
        project = db.session.get(Project, cast.project_id)
        items = tuple(ReportItemInput(description=f"第 {n} 项", amount=100) for n in range(21))
        with pytest.raises(DomainError) as info:
            updates.submit_report(
                project, user(cast.owner), ReportInput("多", items=items), Path("/nonexistent")
            )
        assert "最多 20 项" in info.value.fields["items"]
        db.session.rollback()


def test_more_rows_can_be_asked_for(client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    html = client.get(f"/projects/{cast.project_id}/reports/new?rows=12").get_data(as_text=True)
    assert 'name="items-11-description"' in html
    assert 'name="items-12-description"' not in html
    html = client.get(f"/projects/{cast.project_id}/reports/new?rows=500").get_data(as_text=True)
    assert 'name="items-19-description"' in html and 'name="items-20-description"' not in html


def test_no_report_before_money_arrives(app: Flask, client: FlaskClient, cast: Cast) -> None:
    login(client, cast.owner)
    page = client.get(f"/projects/{cast.bare_id}/reports/new")
    assert page.status_code == 409
    assert "有善款到账后才能提交" in page.get_data(as_text=True)
    # Updates are fine without money.
    assert client.get(f"/projects/{cast.bare_id}/updates/new").status_code == 200


@pytest.mark.parametrize("who", ["other_org", "supporter", "staff"])
def test_nobody_outside_the_organization_may_report(
    app: Flask, client: FlaskClient, cast: Cast, who: str
) -> None:
    login(client, getattr(cast, who))
    response = client.post(
        f"/projects/{cast.project_id}/reports/new",
        data=report_form(rows=[{"description": "x", "amount": "1"}]),
    )
    assert response.status_code == 403
    assert count(app, FundUsageReport) == 0
    with app.app_context(), pytest.raises(Forbidden):
        updates.check_can_report(db.session.get(Project, cast.project_id), user(getattr(cast, who)))


# ───────────── the project page's partial ─────────────


def test_the_partial_offers_posting_only_to_the_organization(app: Flask, cast: Cast) -> None:
    for viewer in (cast.owner, cast.colleague):
        html = partial_html(app, cast.project_id, viewer)
        assert f'href="/projects/{cast.project_id}/updates/new"' in html
        assert f'href="/projects/{cast.project_id}/reports/new"' in html
    for viewer in (None, cast.supporter, cast.other_org, cast.staff):
        html = partial_html(app, cast.project_id, viewer)
        assert "/updates/new" not in html and "/reports/new" not in html
        assert "发起组织还没有公布资金使用报告" in html  # money arrived, no report yet: said publicly
    bare = partial_html(app, cast.bare_id, cast.owner)
    assert "/updates/new" in bare and "/reports/new" not in bare
    assert partial_html(app, cast.draft_id, cast.owner).strip() == ""


def test_updates_are_listed_newest_first(app: Flask, cast: Cast) -> None:
    with app.app_context():
        project = db.session.get(Project, cast.project_id)
        for title in ("第一条", "第二条", "第三条"):
            updates.post_update(
                project, user(cast.owner), UpdateInput(title, "内容"), Path(app.config["UPLOAD_DIR"])
            )
        db.session.commit()
    html = partial_html(app, cast.project_id)
    assert html.index("第三条") < html.index("第二条") < html.index("第一条")


def test_reports_sent_at_once_never_exceed_the_raised_amount(app: Flask, cast: Cast) -> None:
    """Eight reports of ¥300 against ¥1,000 raised, all at once: at most three may stand."""
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def submit(number: int) -> None:
        with app.app_context():
            project = db.session.get(Project, cast.project_id)
            author = user(cast.owner)
            start.wait()
            try:
                updates.submit_report(
                    project,
                    author,
                    ReportInput(
                        f"报告 {number}", items=(ReportItemInput(description="物资", amount=30_000),)
                    ),
                    Path(app.config["UPLOAD_DIR"]),
                )
                db.session.commit()
                outcomes.append("saved")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            except OperationalError:  # SQLite's "database is locked" for a writer that lost the race
                db.session.rollback()
                outcomes.append("busy")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 8
    assert 1 <= outcomes.count("saved") <= 3
    with app.app_context():
        assert updates.reported_total(cast.project_id) == 30_000 * outcomes.count("saved")
        assert updates.reported_total(cast.project_id) <= 100_000
