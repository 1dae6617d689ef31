"""Demo abuse reports (举报) and one staff decision, through the same operations people use.

Four reports: two still open on 「科学小达人」 (one anonymous, one from a company's member), one open
on an organization, and one on a pledge message that staff looked at and dismissed. Nothing is held,
so every demo page stays public. Only the reports' timestamps are moved afterwards (audit events keep
the time they were really written, so the hash chain stays intact).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.moderation import operations as ops
from marketplace.moderation.models import AbuseReport
from marketplace.parties.models import Organization
from marketplace.pledges.models import Pledge
from marketplace.projects.models import Project
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.demo.loader import LoadReport

STAFF = "staff@demo.qingqinchou.cn"
DOCUMENTATION_IP = "203.0.113.7"  # RFC 5737: an address that belongs to nobody

# (who: an email or None for an anonymous visitor, kind, how to find the subject, reason, details, days ago)
REPORTS: list[dict[str, Any]] = [
    {
        "reporter": None,
        "kind": "project",
        "project": "「科学小达人」流动科普大篷车进社区",
        "reason": "fraud",
        "details": "项目里的大篷车照片好像是网上找的，和其他城市的新闻图片一样，请核实。",
        "days_ago": 2,
    },
    {
        "reporter": "caiyuhang@demo.qingqinchou.cn",
        "kind": "project",
        "project": "「科学小达人」流动科普大篷车进社区",
        "reason": "other",
        "details": "预算里“设备采购”一项和去年同类项目相比偏高，希望团区委帮忙看看明细。",
        "days_ago": 1,
    },
    {
        "reporter": None,
        "kind": "organization",
        "organization": "龙湾区少年科创科普服务中心",
        "reason": "infringement",
        "details": "组织简介里的科普课程名称与我们机构的注册课程相同。",
        "days_ago": 5,
    },
    {
        "reporter": "maxiaodong@demo.qingqinchou.cn",
        "kind": "pledge_message",
        "message": "孩子们加油！",
        "reason": "spam",
        "details": "",
        "days_ago": 9,
        "dismissed": "留言是普通的祝福，不是广告，保持公开。",
    },
]


def _subject_id(record: dict[str, Any]) -> int | None:
    if record["kind"] == "project":
        return db.session.scalar(select(Project.id).where(Project.title == record["project"]))
    if record["kind"] == "organization":
        return db.session.scalar(select(Organization.id).where(Organization.name == record["organization"]))
    return db.session.scalar(select(Pledge.id).where(Pledge.message == record["message"]).limit(1))


def load_moderation(report: LoadReport) -> None:
    """The demo's reports, once: any report in the database means they were loaded. Load after the
    projects and the pledges."""
    loaded = db.session.scalar(select(AbuseReport.id).limit(1)) is not None
    for _record in REPORTS:
        report.count("abuse_reports", created=not loaded)
    if loaded:
        return
    staff = db.session.scalar(select(User).where(User.email == STAFF))
    now = utcnow().replace(microsecond=0)
    for record in REPORTS:
        subject_id = _subject_id(record)
        if subject_id is None:
            raise ValueError(f"demo report subject not found: {record}")
        reporter = (
            db.session.scalar(select(User).where(User.email == record["reporter"]))
            if record["reporter"]
            else None
        )
        filed, _ = ops.file_report(
            reporter,
            None if reporter is not None else DOCUMENTATION_IP,
            ops.ReportInput(
                kind=record["kind"], subject_id=subject_id, reason=record["reason"], details=record["details"]
            ),
        )
        db.session.execute(
            update(AbuseReport)
            .where(AbuseReport.id == filed.id)
            .values(created_at=now - timedelta(days=record["days_ago"]))
        )
        if "dismissed" in record:
            ops.decide(staff, record["kind"], subject_id, "dismiss", record["dismissed"])
    db.session.flush()
