"""Staff exports end to end (SQLite and PostgreSQL): rows made through the real operations (evaluation
results and community needs straight through their models), downloaded as CSV and XLSX through the
page routes as staff; the CSV read with the csv module, the XLSX opened with openpyxl, both checked
against each other, against the Chinese headers and against the values (money "123.45", Wenzhou
dates, labels); the date range, bad ranges, formula injection, the audit trail and who may export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.agreements import operations as agreements
from marketplace.audit import AuditEvent
from marketplace.evaluations.models import EvaluationParticipant, EvaluationRound
from marketplace.extensions import db
from marketplace.needs.models import CommunityNeed
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry
from marketplace.reports import exports
from marketplace.reports.datasets import DATASETS
from marketplace.taxonomy.models import Category
from marketplace.tenders import operations as tenders
from marketplace.timeutil import LOCAL_TZ, local_today
from tests import factories
from tests.pages import login, text
from tests.tender_support import after_deadline, org_user, submitted_consortium

TODAY = local_today()
WEEK_AGO = TODAY - timedelta(days=7)
LONG_AGO = datetime(2021, 5, 4, 2, 0)  # naive UTC, outside every range used here


def utc(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Naive UTC for a Wenzhou wall-clock time."""
    local = datetime.combine(day, time(hour, minute, second), tzinfo=LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def download(client: FlaskClient, slug: str, fmt: str, start: Any = None, end: Any = None) -> Any:
    query = {key: str(value) for key, value in (("from", start), ("to", end)) if value is not None}
    return client.get(f"/staff/exports/{slug}.{fmt}", query_string=query)


def csv_table(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM, so Excel reads Chinese"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def xlsx_table(response: Any) -> list[list[str]]:
    """The sheet as text, numbers as the CSV writes them (money and scores with two decimals)."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == exports.XLSX_MIMETYPE
    sheet = read_xlsx(response).active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    table = []
    for row in sheet.iter_rows():
        values = []
        for cell in row:
            if isinstance(cell.value, float) or cell.number_format == "0.00":
                assert cell.number_format == "0.00", cell.coordinate
                values.append(f"{cell.value:.2f}")
            else:
                values.append("" if cell.value is None else str(cell.value))
        table.append(values)
    return table


def read_xlsx(response: Any) -> Any:
    """The workbook sent; closing the response closes (and so deletes) its temporary file."""
    body = response.get_data()
    response.close()
    return load_workbook(io.BytesIO(body))


def both(client: FlaskClient, slug: str, start: Any, end: Any) -> list[list[str]]:
    """The export as CSV and as XLSX, which must say the same; returns the CSV's rows."""
    from_csv = csv_table(download(client, slug, "csv", start, end))
    from_xlsx = xlsx_table(download(client, slug, "xlsx", start, end))
    assert from_xlsx == from_csv
    return from_csv


def by_id(table: list[list[str]]) -> dict[str, dict[str, str]]:
    header = table[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}


@dataclass(frozen=True)
class Staff:
    id: int
    email: str
    name: str

    def user(self) -> User:
        found = db.session.get(User, self.id)
        assert found is not None
        return found


@pytest.fixture
def staff(app: Flask) -> Staff:
    with app.app_context():
        user = factories.staff()
        return Staff(user.id, user.email, user.name)


@pytest.fixture
def client(app: Flask, staff: Staff) -> FlaskClient:
    """Staff signed in. Requests run outside the test's own app context (see ``setup``)."""
    return login(app, staff.email)


# ─────────────────────────────── each dataset ───────────────────────────────


def test_pledges_export(app: Flask, client: FlaskClient, staff: Staff) -> None:
    with app.app_context():
        owner = factories.org_member(name="鹿城区青禾社工服务中心")
        project = factories.project(owner, status="published", reviewer=staff.user(), title="长者助餐点")
        company = factories.company_member(name="温州瓯江实业有限公司")
        paid = factories.pledge(project, company, 12_345)
        pending = factories.pledge(project, company, 50_000, paid=False, message='=HYPERLINK("http://x")')
        refunded = factories.pledge(project, company, 20_000, anonymous=True)
        pledges.refund_pledge(refunded, staff.user(), amount=5_050, gateway=None)
        old = factories.pledge(project, company, 100)
        paid.created_at = utc(TODAY - timedelta(days=2), 9, 30)
        old.created_at = LONG_AGO
        db.session.commit()
        ids = {"paid": str(paid.id), "pending": str(pending.id), "refunded": str(refunded.id)}
        reference_code = paid.reference_code

    table = both(client, "pledges", WEEK_AGO, TODAY)

    assert table[0] == [
        "认捐编号",
        "认捐时间",
        "认捐企业",
        "项目或协议",
        "受助组织",
        "认捐方式",
        "状态",
        "认捐金额（元）",
        "到账金额（元）",
        "退款金额（元）",
        "到账时间",
        "收款方",
        "转账附言码",
        "匿名",
        "留言",
    ]
    rows = by_id(table)
    assert set(rows) == set(ids.values())  # the old one is out of range
    assert table[1][0] == ids["paid"], "in the order they were made: the backdated one first"
    first = rows[ids["paid"]]
    assert first["认捐时间"] == f"{TODAY - timedelta(days=2)} 09:30"
    assert first["认捐企业"] == "温州瓯江实业有限公司"
    assert first["项目或协议"] == "长者助餐点"
    assert first["受助组织"] == "鹿城区青禾社工服务中心"
    assert (first["认捐方式"], first["状态"]) == ("对公转账", "已到账")
    assert (first["认捐金额（元）"], first["到账金额（元）"], first["退款金额（元）"]) == (
        "123.45",
        "123.45",
        "0.00",
    )
    assert first["到账时间"].startswith(str(TODAY)) or first["到账时间"].startswith(
        str(TODAY - timedelta(days=1))
    )
    assert (first["转账附言码"], first["匿名"]) == (reference_code, "否")
    pending_row = rows[ids["pending"]]
    assert (pending_row["状态"], pending_row["到账金额（元）"]) == ("待到账", "")
    assert pending_row["留言"] == '\'=HYPERLINK("http://x")', "never a live formula"
    partly = rows[ids["refunded"]]
    assert (partly["状态"], partly["退款金额（元）"], partly["匿名"]) == ("部分退款", "50.50", "是")


def test_ledger_export_uses_wenzhou_days_at_both_ends(app: Flask, client: FlaskClient, staff: Staff) -> None:
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    with app.app_context():
        owner = factories.org_member()
        project = factories.project(owner, status="published", reviewer=staff.user(), title="防溺水安全课")
        company = factories.company_member(name="温州南塘科技有限公司")
        pledge = factories.pledge(project, company, 30_000)
        pledges.refund_pledge(pledge, staff.user(), amount=1_250, gateway=None)
        db.session.commit()
        paid_entry, refund_entry = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.pledge_id == pledge.id).order_by(LedgerEntry.id)
        ).all()
        # 00:00:00 on the first day and 23:59:59 on the last, Wenzhou time, are in; a second either
        # side is not.
        paid_entry.created_at = utc(start, 0, 0, 0)
        refund_entry.created_at = utc(end, 23, 59, 59)
        db.session.add_all(
            LedgerEntry(
                project_id=project.id, kind="fee", amount=-1, reference=f"test-outside-{n}", created_at=at
            )
            for n, at in enumerate((utc(start, 0) - timedelta(seconds=1), utc(end + timedelta(days=1), 0)))
        )
        db.session.commit()
        ids = [str(paid_entry.id), str(refund_entry.id)]
        pledge_id = str(pledge.id)

    table = both(client, "ledger", start, end)

    assert table[0] == [
        "流水号",
        "入账时间",
        "类型",
        "金额（元）",
        "项目或协议",
        "受助组织",
        "认捐编号",
        "认捐企业",
        "配捐池",
        "业务参考号",
        "备注",
    ]
    rows = by_id(table)
    assert list(rows) == ids
    paid_row, refund_row = rows[ids[0]], rows[ids[1]]
    assert (paid_row["入账时间"], refund_row["入账时间"]) == ("2026-03-01 00:00", "2026-03-31 23:59")
    assert (paid_row["类型"], paid_row["金额（元）"]) == ("认捐到账", "300.00")
    # A refund is negative money, not a formula: no apostrophe.
    assert (refund_row["类型"], refund_row["金额（元）"]) == ("退款", "-12.50")
    assert (paid_row["项目或协议"], paid_row["认捐企业"]) == ("防溺水安全课", "温州南塘科技有限公司")
    assert paid_row["认捐编号"] == pledge_id


def test_bids_awards_and_contract_agreements(app: Flask, client: FlaskClient, staff: Staff) -> None:
    with app.app_context():
        reviewer = staff.user()
        built = submitted_consortium(reviewer, Path(app.config["UPLOAD_DIR"]), price=45_012_345)
        tender, bid = built.tender, built.bid
        draft_only = tenders.create_bid(
            tender, org_user(), tenders.BidInput(mode="single", price=40_000_000, proposal="单独承接。")
        )
        db.session.commit()
        tenders.evaluate_bid(
            tender,
            reviewer,
            tenders.EvaluationInput(bid_id=bid.id, result="valid", score="88.5"),
            now=after_deadline(tender),
        )
        award = tenders.award(tender, reviewer, bid_id=bid.id, now=after_deadline(tender))
        db.session.commit()
        company = factories.company_member(name="温州信河实业有限公司")
        brokered = agreements.create_agreement(
            reviewer,
            agreements.AgreementInput(
                title="+86 年度战略合作",
                company_id=company.company_id,
                organization_id=built.lead.organization_id,
                starts_on=date(2027, 1, 1),
                ends_on=date(2027, 12, 31),
            ),
        )
        db.session.commit()
        lead_name = built.lead.organization.name
        bid_id, draft_id, award_id = str(bid.id), str(draft_only.id), str(award.id)
        contract_id, contract_title, brokered_id = (
            str(award.agreement_id),
            award.agreement.title,
            str(brokered.id),
        )

    bids = both(client, "bids", WEEK_AGO, TODAY)
    assert bids[0] == [
        "投标编号",
        "采购项目",
        "采购人",
        "投标组织（牵头方）",
        "投标方式",
        "状态",
        "投标报价（元）",
        "评审得分",
        "提交时间",
        "评审意见",
    ]
    rows = by_id(bids)
    assert set(rows) == {bid_id} and draft_id not in rows, "a draft never submitted is the organization's own"
    row = rows[bid_id]
    assert (row["采购项目"], row["采购人"], row["投标组织（牵头方）"]) == (
        "鹿城区困境儿童关爱服务采购",
        "温州市鹿城区民政局",
        lead_name,
    )
    assert (row["投标方式"], row["状态"], row["投标报价（元）"], row["评审得分"]) == (
        "联合体投标",
        "中标",
        "450123.45",
        "88.50",
    )

    # The award was decided "after the deadline", ten days from now.
    assert len(both(client, "awards", WEEK_AGO, TODAY)) == 1
    awards = both(client, "awards", WEEK_AGO, TODAY + timedelta(days=30))
    assert awards[0] == [
        "中标编号",
        "采购项目",
        "采购人",
        "中标组织（牵头方）",
        "投标方式",
        "中标金额（元）",
        "状态",
        "确定中标时间",
        "合同协议",
        "放弃签约原因",
    ]
    award_row = by_id(awards)[award_id]
    assert (award_row["中标组织（牵头方）"], award_row["中标金额（元）"], award_row["状态"]) == (
        lead_name,
        "450123.45",
        "待签约",
    )
    assert award_row["合同协议"] == contract_title

    # The award's contract is an agreement too, beside the one staff broker with a company.
    table = both(client, "agreements", WEEK_AGO, TODAY)
    assert table[0] == [
        "协议编号",
        "协议名称",
        "协议类型",
        "状态",
        "企业",
        "组织",
        "起始日期",
        "到期日期",
        "自动续期",
        "创建时间",
        "生效时间",
        "终止或到期时间",
        "经办人",
        "终止原因",
    ]
    rows = by_id(table)
    assert set(rows) == {contract_id, brokered_id}
    assert (rows[contract_id]["协议类型"], rows[contract_id]["状态"]) == ("服务合同", "待签署")
    ours = rows[brokered_id]
    assert ours["协议名称"] == "'+86 年度战略合作"
    assert (ours["协议类型"], ours["状态"], ours["企业"], ours["组织"], ours["经办人"]) == (
        "战略合作协议",
        "草拟中",
        "温州信河实业有限公司",
        lead_name,
        staff.name,
    )
    assert (ours["起始日期"], ours["到期日期"], ours["自动续期"], ours["生效时间"]) == (
        "2027-01-01",
        "2027-12-31",
        "否",
        "",
    )


def _round(year: int, status: str = "published") -> EvaluationRound:
    item = EvaluationRound(
        year=year,
        title=f"{year} 年度青年社会组织评估",
        status=status,
        criteria=[{"name": "团队建设", "weight": 1}],
        grade_bands=[{"min": 9000, "grade": "A5"}, {"min": 8000, "grade": "A4"}],
    )
    db.session.add(item)
    db.session.flush()
    return item


def test_evaluation_results_export(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        this_year, last_year = _round(TODAY.year), _round(TODAY.year - 1)
        first = factories.org_member(name="鹿城区春芽青少年服务中心")
        second = factories.org_member(name="@瓯海区邻里互助会")
        db.session.add_all(
            [
                EvaluationParticipant(
                    round_id=this_year.id,
                    organization_id=second.organization_id,
                    government=7000,
                    public=5000,
                    votes=3,
                ),
                EvaluationParticipant(
                    round_id=this_year.id,
                    organization_id=first.organization_id,
                    government=9000,
                    peer=8525,
                    public=8450,
                    votes=120,
                    composite=8750,
                    rank=1,
                    grade="A4",
                    tier="demonstration",
                ),
                EvaluationParticipant(
                    round_id=last_year.id, organization_id=first.organization_id, composite=6000, grade="A2"
                ),
            ]
        )
        db.session.commit()

    table = both(client, "evaluations", date(TODAY.year, 1, 1), TODAY)

    assert table[0] == [
        "年度",
        "评估名称",
        "评估状态",
        "组织",
        "政府评分",
        "同行互评",
        "公众投票得分",
        "公众票数",
        "综合得分",
        "排名",
        "等级",
        "梯队",
    ]
    assert table[1] == [
        str(TODAY.year),
        f"{TODAY.year} 年度青年社会组织评估",
        "已公布",
        "鹿城区春芽青少年服务中心",
        "90.00",
        "85.25",
        "84.50",
        "120",
        "87.50",
        "1",
        "4A",
        "成木",
    ]
    # Ranked first; missing parts stay empty rather than becoming 0; a typed "@" is neutralised.
    assert table[2] == [
        str(TODAY.year),
        f"{TODAY.year} 年度青年社会组织评估",
        "已公布",
        "'@瓯海区邻里互助会",
        "70.00",
        "",
        "50.00",
        "3",
        "",
        "",
        "",
        "",
    ]
    assert len(table) == 3
    # A range reaching into last year brings last year's round back, first.
    both_years = both(client, "evaluations", date(TODAY.year - 1, 6, 1), TODAY)
    assert [row[0] for row in both_years[1:]] == [str(TODAY.year - 1), str(TODAY.year), str(TODAY.year)]
    assert both_years[1][8:11] == ["60.00", "", "2A"]


def test_community_needs_export(app: Flask, client: FlaskClient, staff: Staff) -> None:
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.slug == "elderly"))
        assert category is not None
        need = CommunityNeed(
            title="独居老人助浴",
            description="=cmd|' /C calc'!A0 每周两次上门助浴。",
            district="鹿城区",
            community="五马街道",
            category_id=category.id,
            people_affected=35,
            urgency="high",
            status="in_progress",
            recorded_by_id=staff.id,
            created_at=utc(TODAY - timedelta(days=1), 10, 5),
        )
        old = CommunityNeed(
            title="旧需求",
            district="鹿城区",
            community="南汇街道",
            category_id=category.id,
            created_at=LONG_AGO,
        )
        db.session.add_all([need, old])
        db.session.commit()
        need_id, category_name = str(need.id), category.name

    table = both(client, "needs", WEEK_AGO, TODAY)

    assert table[0] == [
        "需求编号",
        "登记时间",
        "需求",
        "区域",
        "社区",
        "类别",
        "受益人数",
        "紧急程度",
        "状态",
        "响应项目数",
        "登记人",
        "解决时间",
        "需求描述",
    ]
    assert table[1:] == [
        [
            need_id,
            f"{TODAY - timedelta(days=1)} 10:05",
            "独居老人助浴",
            "鹿城区",
            "五马街道",
            category_name,
            "35",
            "紧急",
            "响应中",
            "0",
            staff.name,
            "",
            "'=cmd|' /C calc'!A0 每周两次上门助浴。",
        ]
    ]


# ─────────────────────────────── the range, names, audit, access ───────────────────────────────


def exported_events(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.exported").order_by(AuditEvent.id)
        )
        return [(event.actor_id, event.acting_for, event.payload) for event in events]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_inverted_range_is_refused_and_nothing_is_written(app: Flask, client: FlaskClient, fmt: str) -> None:
    response = download(client, "pledges", fmt, "2026-05-02", "2026-05-01")

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    assert "结束日期（2026-05-01）早于开始日期（2026-05-02），请调整日期范围" in text(response)
    assert 'value="2026-05-02"' in response.get_data(as_text=True), "the page keeps what was typed"
    assert exported_events(app) == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-02-30", "2026-03-01", "日期格式应为 YYYY-MM-DD"),
        ("yesterday", "", "日期格式应为 YYYY-MM-DD"),
        ("1999-12-31", "2026-01-01", "日期需在 2000-01-01 至 2099-12-31 之间"),
    ],
)
def test_unreadable_dates_are_refused(client: FlaskClient, start: str, end: str, message: str) -> None:
    response = download(client, "ledger", "csv", start, end)
    assert response.status_code == 422 and message in text(response)
    assert "Content-Disposition" not in response.headers


def test_default_range_file_names_and_audit(app: Flask, client: FlaskClient, staff: Staff) -> None:
    with app.app_context():
        project = factories.project(factories.org_member(), status="published", reviewer=staff.user())
        factories.pledge(project, factories.company_member(), 1_000)
        factories.pledge(project, factories.company_member(), 2_000, paid=False)

    response = download(client, "pledges", "xlsx")

    assert response.status_code == 200
    period = f"{TODAY.year}-01-01_{TODAY.isoformat()}"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f"attachment; filename=\"pledges_{period}.xlsx\"; filename*=UTF-8''")
    assert unquote(disposition.split("UTF-8''", 1)[1]) == f"认捐_{period}.xlsx"
    assert response.headers["Cache-Control"] == "no-store"
    assert read_xlsx(response).active.max_row == 3
    named = download(client, "needs", "csv", "2026-01-01", "2026-01-31")
    assert unquote(named.headers["Content-Disposition"]).endswith("社区需求_2026-01-01_2026-01-31.csv")
    assert csv_table(named) == [[str(column.header) for column in DATASETS["needs"].columns]]

    this_year = {"from": f"{TODAY.year}-01-01", "to": TODAY.isoformat()}
    assert exported_events(app) == [
        (staff.id, "staff", {"dataset": "pledges", "format": "xlsx", **this_year, "rows": 2}),
        (
            staff.id,
            "staff",
            {"dataset": "needs", "format": "csv", "from": "2026-01-01", "to": "2026-01-31", "rows": 0},
        ),
    ]


def test_csv_streams_in_batches(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        category = db.session.scalar(select(Category).limit(1))
        assert category is not None
        db.session.add_all(
            CommunityNeed(title=f"需求{n}", district="鹿城区", community="五马街道", category_id=category.id)
            for n in range(5)
        )
        db.session.commit()
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)

    response = download(client, "needs", "csv", WEEK_AGO, TODAY)

    assert response.is_streamed
    chunks = list(response.response)
    response.close()
    # The header, then batches of 2, 2 and 1 rows: never the whole file in memory at once.
    assert [len(chunk.decode("utf-8-sig").splitlines()) for chunk in chunks] == [1, 2, 2, 1]


def test_exports_page_lists_every_dataset(client: FlaskClient) -> None:
    response = client.get("/staff/exports")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for dataset in DATASETS.values():
        assert str(dataset.title) in page
        for fmt in ("csv", "xlsx"):
            assert f'formaction="/staff/exports/{dataset.slug}.{fmt}"' in page
    assert f'value="{TODAY.year}-01-01"' in page and f'value="{TODAY.isoformat()}"' in page
    # Enter in a date field submits to the page itself: the dates stay, a bad range is said at once.
    kept = client.get("/staff/exports", query_string={"from": "2026-02-01", "to": "2026-02-10"})
    assert 'value="2026-02-01"' in kept.get_data(as_text=True) and 'value="2026-02-10"' in kept.get_data(
        as_text=True
    )
    inverted = client.get("/staff/exports", query_string={"from": "2026-02-10", "to": "2026-02-01"})
    assert inverted.status_code == 422 and "早于开始日期" in text(inverted)


@pytest.mark.parametrize("path", ["/staff/exports/donors.csv", "/staff/exports/pledges.pdf"])
def test_unknown_dataset_or_format_is_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_only_staff_export(app: Flask) -> None:
    with app.app_context():
        emails = [factories.org_member().email, factories.company_member().email]
    for email in emails:
        assert login(app, email).get("/staff/exports/pledges.csv").status_code == 403
    anonymous = app.test_client().get("/staff/exports/ledger.xlsx")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert exported_events(app) == []
