"""Progress updates and fund-usage reports: what an organization tells its supporters after raising.

Only members of the project's organization post them, and only once the project is public
(published, funded or closed). Each one notifies the project's supporters; the e-mail copy leaves
after the caller commits. These functions validate, store files, change state and flush; the page
that called them commits once.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nh3
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.errors import Conflict, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.money import format_fen, parse_yuan
from marketplace.notifications.operations import notify
from marketplace.pledges.operations import supporters_of
from marketplace.projects.models import FundUsageItem, FundUsageReport, Project, ProjectUpdate
from marketplace.projects.operations import is_owner
from marketplace.projects.states import ProjectStatus
from marketplace.rendering import render_markdown
from marketplace.stored_files import store_file
from marketplace.uploads import validate_image, validate_receipt

UPDATE_TITLE_MAX = 60
UPDATE_BODY_MAX = 10_000
MAX_UPDATE_IMAGES = 6
REPORT_TITLE_MAX = 60
REPORT_NOTE_MAX = 2_000
MAX_REPORT_ITEMS = 20
ITEM_DESCRIPTION_MAX = 200
# A failed project returned its money, and drafts have none: there is nothing to report on.
POSTING_STATUSES = frozenset({ProjectStatus.PUBLISHED, ProjectStatus.FUNDED, ProjectStatus.CLOSED})
NOTICE_BODY_MAX = 200


@dataclass(frozen=True)
class UpdateInput:
    title: str
    body: str
    images: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class ReportItemInput:
    """One spending line. The amount comes in yuan as typed by a person (`amount_yuan`) or in
    integer fen (`amount`, for scripts and an API); a row with nothing filled in is ignored."""

    description: str = ""
    amount_yuan: str = ""
    amount: int | None = None
    receipt: bytes | None = None

    def is_blank(self) -> bool:
        return (
            not self.description.strip()
            and not self.amount_yuan.strip()
            and self.amount is None
            and not self.receipt
        )


@dataclass(frozen=True)
class ReportInput:
    title: str
    note: str = ""
    items: tuple[ReportItemInput, ...] = ()


def item_field(index: int, name: str) -> str:
    """The error key for one item's field: `items-<row>-<name>`, the form's own field name."""
    return f"items-{index}-{name}"


# ---------------------------------------------------------------------------------------------
# Who may post


def can_post(project: Project, user: Any) -> bool:
    return is_owner(project, user) and project.status in POSTING_STATUSES


def check_can_post(project: Project, user: Any) -> None:
    """403 for anyone outside the project's organization; 409 while the project is not public."""
    if not is_owner(project, user):
        raise Forbidden.on("project", Msg("只有发起该项目的组织成员可以发布进展和资金使用报告"))
    if project.status not in POSTING_STATUSES:
        raise Conflict.on(
            "project",
            Msg(
                "项目处于「%(status)s」状态，发布后才能发布进展和资金使用报告",
                status=project.status_label,
            ),
        )


def check_can_report(project: Project, user: Any) -> None:
    check_can_post(project, user)
    if project.raised_amount <= 0:
        raise Conflict.on("project", Msg("项目还没有到账的善款，有善款到账后才能提交资金使用报告"))


# ---------------------------------------------------------------------------------------------
# Progress updates


def _clean_text(
    errors: dict[str, str], name: str, value: str, label: str, max_length: int, *, required: bool
) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[name] = Msg("请填写%(label)s", label=label)
    elif len(text) > max_length:
        errors[name] = Msg(
            "%(label)s不能超过 %(n)d 个字（现在 %(m)d 个字）", label=label, n=max_length, m=len(text)
        )
    return text


def _check_images(errors: dict[str, str], images: tuple[bytes, ...]) -> list[str]:
    """The stored extension of each image, or an error on `images` naming the first bad one."""
    if len(images) > MAX_UPDATE_IMAGES:
        errors["images"] = Msg("每条进展最多上传 %(n)d 张图片", n=MAX_UPDATE_IMAGES)
        return []
    kinds = []
    for number, image in enumerate(images, start=1):
        try:
            kinds.append(validate_image(image, field="images", cover=False))
        except DomainError as error:
            errors["images"] = Msg("第 %(n)d 张图片：%(reason)s", n=number, reason=error.fields["images"])
            return []
    return kinds


def _excerpt(markdown_text: str) -> str:
    """The start of an update as plain text for the notification and the e-mail (no Markdown marks)."""
    flat = " ".join(html.unescape(nh3.clean(render_markdown(markdown_text), tags=set())).split())
    return flat if len(flat) <= NOTICE_BODY_MAX else flat[: NOTICE_BODY_MAX - 1] + "…"


def post_update(project: Project, author: User, data: UpdateInput, upload_dir: Path) -> ProjectUpdate:
    """Publish a progress update (Markdown text and up to six images) and notify the supporters."""
    check_can_post(project, author)
    errors: dict[str, str] = {}
    title = _clean_text(errors, "title", data.title, Msg("标题"), UPDATE_TITLE_MAX, required=True)
    body = _clean_text(errors, "body", data.body, Msg("进展内容"), UPDATE_BODY_MAX, required=True)
    kinds = _check_images(errors, data.images)
    if errors:
        raise DomainError(errors)
    # Every image was checked before the first is written, so bad input leaves no stray files.
    names = [
        store_file(image, upload_dir, kind, field="images")
        for image, kind in zip(data.images, kinds, strict=True)
    ]
    update = ProjectUpdate(project_id=project.id, title=title, body=body, images=names, author_id=author.id)
    db.session.add(update)
    db.session.flush()
    audit.record(
        "project.update_posted",
        actor_id=author.id,
        subject=project,
        payload={"update_id": update.id, "title": title, "images": len(names)},
    )
    notify(
        supporters_of(project),
        kind="project_update",
        title=Msg("您支持的「%(project)s」有新进展：%(title)s", project=project.title, title=title),
        body=_excerpt(body),
        link=f"/projects/{project.id}#update-{update.id}",
    )
    return update


def get_update(project: Project, update_id: int) -> ProjectUpdate:
    update = db.session.get(ProjectUpdate, update_id)
    if update is None or update.project_id != project.id:
        raise NotFound.on("update", Msg("找不到这条项目进展"))
    return update


# ---------------------------------------------------------------------------------------------
# Fund-usage reports


@dataclass
class _CleanItem:
    index: int
    description: str = ""
    amount: int = 0
    receipt: bytes | None = None
    receipt_kind: str | None = None


def _clean_amount(errors: dict[str, str], index: int, item: ReportItemInput) -> int:
    name = item_field(index, "amount")
    if item.amount is not None:
        amount = item.amount
        if isinstance(amount, bool) or not isinstance(amount, int):
            errors[name] = Msg("金额必须是以分为单位的整数")
            return 0
    else:
        try:
            amount = parse_yuan(item.amount_yuan, field=name)
        except DomainError as error:
            errors.update(error.fields)
            return 0
    if amount <= 0:
        errors[name] = Msg("金额必须大于 0")
    return amount


def _clean_item(errors: dict[str, str], index: int, item: ReportItemInput) -> _CleanItem:
    clean = _CleanItem(index)
    clean.description = _clean_text(
        errors,
        item_field(index, "description"),
        item.description,
        Msg("支出说明"),
        ITEM_DESCRIPTION_MAX,
        required=True,
    )
    clean.amount = _clean_amount(errors, index, item)
    if item.receipt:
        try:
            clean.receipt_kind = validate_receipt(item.receipt, field=item_field(index, "receipt"))
            clean.receipt = item.receipt
        except DomainError as error:
            errors.update(error.fields)
    return clean


def _clean_items(errors: dict[str, str], items: tuple[ReportItemInput, ...]) -> list[_CleanItem]:
    filled = [(index, item) for index, item in enumerate(items) if not item.is_blank()]
    if not filled:
        errors["items"] = Msg("请至少填写一项支出")
        return []
    if len(filled) > MAX_REPORT_ITEMS:
        errors["items"] = Msg("每份报告最多 %(n)d 项支出，请分成几份报告提交", n=MAX_REPORT_ITEMS)
        return []
    return [_clean_item(errors, index, item) for index, item in filled]


def reported_total(project_id: int) -> int:
    """Everything the project's fund-usage reports account for, in one statement."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(FundUsageItem.amount), 0))
        .join(FundUsageReport, FundUsageReport.id == FundUsageItem.report_id)
        .where(FundUsageReport.project_id == project_id)
    )
    return int(total or 0)  # PostgreSQL sums BIGINTs as NUMERIC (a Decimal); fen are ints


def _lock_reports_of(project: Project) -> None:
    """Serialise fund-usage reports on one project, so two sent at once cannot both pass on the same
    old total. PostgreSQL: a row lock (FOR NO KEY UPDATE, which does not block pledges' foreign-key
    checks). SQLite ignores it; there the report's INSERT takes the database write lock before the
    total is read, which serialises just the same."""
    db.session.execute(select(Project.id).where(Project.id == project.id).with_for_update(key_share=True))


def _check_within_raised(project: Project, this_report: int) -> None:
    """Reports may account for at most what was raised; runs with this report's rows flushed."""
    raised = db.session.scalar(select(Project.raised_amount).where(Project.id == project.id)) or 0
    total = reported_total(project.id)
    if total > raised:
        earlier = total - this_report
        raise DomainError.on(
            "items",
            Msg(
                "资金使用报告的累计金额不能超过项目已筹金额 %(raised)s：此前已报告 %(earlier)s，"
                "本次 %(this)s，本次最多还能报告 %(left)s",
                raised=format_fen(raised),
                earlier=format_fen(earlier),
                this=format_fen(this_report),
                left=format_fen(max(raised - earlier, 0)),
            ),
        )


def submit_report(project: Project, author: User, data: ReportInput, upload_dir: Path) -> FundUsageReport:
    """Account for money spent: items with amounts and optional receipts (images or PDFs). The
    project's reports together may not exceed its raised amount. Supporters are notified."""
    check_can_report(project, author)
    errors: dict[str, str] = {}
    title = _clean_text(errors, "title", data.title, Msg("报告标题"), REPORT_TITLE_MAX, required=True)
    note = _clean_text(errors, "note", data.note, Msg("说明"), REPORT_NOTE_MAX, required=False)
    items = _clean_items(errors, data.items)
    if errors:
        raise DomainError(errors)
    _lock_reports_of(project)
    report = FundUsageReport(project_id=project.id, title=title, note=note, author_id=author.id)
    rows = [
        FundUsageItem(position=position, description=item.description, amount=item.amount)
        for position, item in enumerate(items)
    ]
    report.items = rows
    db.session.add(report)
    db.session.flush()
    this_report = sum(item.amount for item in items)
    _check_within_raised(project, this_report)
    # Receipts were checked by content above; they are written only once the report stands.
    for position, (row, item) in enumerate(zip(rows, items, strict=True)):
        if item.receipt is not None and item.receipt_kind is not None:
            row.receipt_file = store_file(
                item.receipt, upload_dir, item.receipt_kind, field=f"items-{position}-receipt"
            )
    db.session.flush()
    audit.record(
        "project.usage_reported",
        actor_id=author.id,
        subject=project,
        payload={"report_id": report.id, "total": this_report, "items": len(rows)},
    )
    notify(
        supporters_of(project),
        kind="fund_usage_report",
        title=Msg("您支持的「%(project)s」公布了资金使用报告：%(title)s", project=project.title, title=title),
        body=Msg("本次报告支出 %(total)s，共 %(n)d 项。", total=format_fen(this_report), n=len(rows)),
        link=f"/projects/{project.id}#report-{report.id}",
    )
    return report


# ---------------------------------------------------------------------------------------------
# What the project page shows


@dataclass(frozen=True)
class ShownUpdate:
    update: ProjectUpdate
    body_html: str


@dataclass(frozen=True)
class UpdatesFeed:
    updates: list[ShownUpdate] = field(default_factory=list)
    reports: list[FundUsageReport] = field(default_factory=list)
    reported_total: int = 0
    can_post_update: bool = False
    can_report: bool = False


def feed_for(project: Project, user: Any) -> UpdatesFeed:
    """Updates and reports for the project page, newest first, with rendered (sanitised) Markdown."""
    updates = db.session.scalars(
        select(ProjectUpdate)
        .where(ProjectUpdate.project_id == project.id)
        .order_by(ProjectUpdate.created_at.desc(), ProjectUpdate.id.desc())
    ).all()
    reports = db.session.scalars(
        select(FundUsageReport)
        .where(FundUsageReport.project_id == project.id)
        .options(selectinload(FundUsageReport.items))
        .order_by(FundUsageReport.created_at.desc(), FundUsageReport.id.desc())
    ).all()
    posting = can_post(project, user)
    return UpdatesFeed(
        updates=[ShownUpdate(update, render_markdown(update.body)) for update in updates],
        reports=list(reports),
        reported_total=sum(report.total for report in reports),
        can_post_update=posting,
        can_report=posting and project.raised_amount > 0,
    )
