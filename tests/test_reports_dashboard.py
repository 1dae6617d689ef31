"""The staff dashboard: its figures equal the ledger, month by month; the page shows them in KPI
cards and in the tables behind the charts; a refused date range says why and breaks nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.pledges.accounting import RAISED_KINDS
from marketplace.pledges.models import LedgerEntry
from marketplace.projects.models import Project
from marketplace.reports import periods
from marketplace.reports.stats import dashboard_stats
from marketplace.tenders import operations as tenders
from marketplace.timeutil import to_local, utcnow
from tests import factories
from tests.conftest import AuthActions
from tests.dashboard_support import (
    CHILDREN_PAID,
    ELDERLY_PAID,
    ELDERLY_REFUNDED,
    IN_RANGE,
    OLD_PAID,
    Scene,
    build_scene,
)
from tests.tender_support import after_deadline, submitted_consortium


@pytest.fixture
def scene(app: Flask) -> Scene:
    with app.app_context():
        return build_scene()


def _ledger_raised() -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.kind.in_([kind.value for kind in RAISED_KINDS])
            )
        )
        or 0
    )


def test_figures_equal_the_ledger_and_leave_out_money_outside_the_range(app: Flask, scene: Scene) -> None:
    with app.app_context():
        stats = dashboard_stats(periods.default_range(scene.today), scene.today)
        ledger = pledges.ledger_total(scene.children_id) + pledges.ledger_total(scene.elderly_id)
        assert ledger == _ledger_raised() == IN_RANGE + OLD_PAID
        # The pledge paid long ago is in the ledger, not in the last twelve months.
        assert stats.raised_amount == ledger - OLD_PAID == IN_RANGE == 700_000
        assert stats.raised_this_month == stats.raised_this_year == IN_RANGE
        assert stats.pledge_count == 2  # confirmed in the range; not the pending one, not the old one
        months = stats.raised_by_month
        assert len(months) == 12 and sum(point.value for point in months) == IN_RANGE
        assert months[-1].key == scene.today.strftime("%Y-%m") and months[-1].value == IN_RANGE
        assert all(point.value == 0 for point in months[:-1])
        assert [(p.key, p.value) for p in stats.raised_by_category] == [
            ("children", CHILDREN_PAID),
            ("elderly", ELDERLY_PAID - ELDERLY_REFUNDED),
        ]
        assert [(p.key, p.value) for p in stats.raised_by_district] == [
            ("鹿城区", CHILDREN_PAID),
            ("瓯海区", ELDERLY_PAID - ELDERLY_REFUNDED),
        ]
        assert stats.active_agreements == 1
        assert (stats.tenders_won_count, stats.tenders_won_amount) == (0, 0)
        assert stats.organizations_by_grade == {"A5": 1, "A4": 0, "A3": 0, "A2": 0, "A1": 0, "none": 1}
        assert stats.organizations_by_tier == {"leading": 1, "demonstration": 0, "growing": 1, "none": 0}
        assert (stats.introductions_made, stats.introductions_converted, stats.introductions_declined) == (
            2,
            1,
            1,
        )
        assert [(p.key, p.value) for p in stats.introduction_funnel] == [
            ("sent", 2),
            ("viewed", 2),
            ("interested", 1),
            ("converted", 1),
        ]
        assert [p.value for p in stats.grade_distribution] == [1, 0, 0, 0, 0, 1]


def test_a_range_reaching_back_counts_the_old_pledge_in_its_own_month(app: Flask, scene: Scene) -> None:
    with app.app_context():
        old_day = to_local(scene.old_paid_at).date()
        period = periods.check_range(periods.first_of_month(old_day), scene.today)
        stats = dashboard_stats(period, scene.today)
        assert stats.raised_amount == _ledger_raised() == IN_RANGE + OLD_PAID
        assert stats.pledge_count == 3
        by_month = {point.key: point.value for point in stats.raised_by_month}
        assert by_month[old_day.strftime("%Y-%m")] == OLD_PAID
        assert by_month[scene.today.strftime("%Y-%m")] == IN_RANGE
        assert sum(by_month.values()) == stats.raised_amount
        assert len(by_month) == len(periods.month_buckets(period))
        # Every project's raised amount is its ledger, and the whole-range total is their sum.
        assert stats.raised_amount == db.session.scalar(select(func.sum(Project.raised_amount)))

        # A range that ends the day before the old pledge leaves it out; one that starts that day keeps it.
        before = dashboard_stats(
            periods.check_range(old_day - timedelta(days=30), old_day - timedelta(days=1))
        )
        assert (before.raised_amount, before.pledge_count) == (0, 0)
        that_day = dashboard_stats(periods.check_range(old_day, old_day))
        assert (that_day.raised_amount, that_day.pledge_count) == (OLD_PAID, 1)
        # Introductions and this month's money follow the range or today, never the other.
        assert (that_day.introductions_made, that_day.raised_this_month) == (0, IN_RANGE)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _table(html: str, key: str) -> str:
    found = re.search(rf'<table class="table" id="table-{key}">(.*?)</table>', html, re.S)
    assert found, f"no table for {key}"
    return _text(found.group(1))


def test_the_page_shows_the_figures_and_a_table_behind_every_chart(
    client: FlaskClient, auth: AuthActions, scene: Scene
) -> None:
    auth.login(scene.staff_email)
    response = client.get("/staff/reports")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "期间筹款 ¥7,000" in text and "确认到账 2 笔认捐" in text
    assert "生效中的合作协议 1" in text
    assert "期间牵线介绍 2 已促成 1 个（50%）" in text
    # Five charts, each a labelled image with its table (caption, header row, one row per bar).
    assert len(re.findall(r'<canvas id="chart-[a-z-]+" role="img" aria-label="[^"]+"', html)) == 5
    assert html.count('<details class="report-table"') == 5
    assert html.count("<caption>") == 5
    this_month = scene.today.strftime("%Y-%m")
    assert f"{this_month} ¥7,000" in _table(html, "raised-by-month")
    assert _table(html, "raised-by-month").count("¥0") == 11
    category = _table(html, "raised-by-category")
    assert "儿童关爱 ¥5,000" in category and "扶老助老 ¥2,000" in category and "合计 ¥7,000" in category
    assert "鹿城区 ¥5,000" in _table(html, "raised-by-district")
    assert "已发送 2 100% 已查看 2 100% 有意向 1 50% 已促成 1 50%" in _table(html, "introduction-funnel")
    assert "5A 1" in _table(html, "grade-distribution") and "暂未评级 1" in _table(html, "grade-distribution")
    # The charts' data: one JSON block, no inline script.
    assert '<script type="application/json" id="report-chart-data">' in html
    assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", html)
    assert "style=" not in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html

    # In English the names of categories and districts follow the visitor's language.
    client.get("/language/en")
    english = client.get("/staff/reports")
    assert english.status_code == 200
    assert "Child care" in _table(english.get_data(as_text=True), "raised-by-category")
    assert "Lucheng" in _table(english.get_data(as_text=True), "raised-by-district")


def test_an_inverted_range_is_refused_with_a_message_and_nothing_else_breaks(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    with app.app_context():
        email = factories.staff().email
    auth.login(email)
    response = client.get("/staff/reports?from=2026-06-01&to=2026-05-01")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "开始日期不能晚于结束日期" in html
    assert 'value="2026-06-01"' in html and 'value="2026-05-01"' in html  # kept as typed
    assert 'aria-invalid="true"' in html and "report-chart-data" not in html
    # Nonsense and too-long ranges: the same kind of answer, and the default range still works.
    assert client.get("/staff/reports?from=abc").status_code == 422
    assert "不能超过 5 年" in client.get("/staff/reports?from=2020-01-01&to=2026-01-01").get_data(
        as_text=True
    )
    assert client.get("/staff/reports").status_code == 200
    assert client.get("/staff/reports?from=&to=").status_code == 200


def test_an_empty_platform_shows_zeros_and_empty_states(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    with app.app_context():
        email = factories.staff().email
    auth.login(email)
    html = client.get("/staff/reports").get_data(as_text=True)
    assert "期间筹款 ¥0" in _text(html)
    assert html.count("<canvas") == 1  # only the months (all zero); the others say there is nothing yet
    assert "所选期间没有筹款记录" in html and "所选期间没有发出牵线介绍" in html


@pytest.fixture
def uploads(app: Flask) -> Path:
    return Path(app.config["UPLOAD_DIR"])


def test_tenders_won_count_standing_awards_in_the_range(app: Flask, uploads: Path) -> None:
    with app.app_context():
        staff = factories.staff()
        built = submitted_consortium(staff, uploads, price=40_000_000)
        moment = after_deadline(built.tender)
        tenders.evaluate_bid(
            built.tender,
            staff,
            tenders.EvaluationInput(bid_id=built.bid.id, result="valid", score="90"),
            now=moment,
        )
        tenders.award(built.tender, staff, bid_id=built.bid.id, now=moment)
        db.session.commit()
        awarded_on = to_local(moment).date()
        stats = dashboard_stats(periods.check_range(awarded_on, awarded_on))
        assert (stats.tenders_won_count, stats.tenders_won_amount) == (1, 40_000_000)
        earlier = dashboard_stats(
            periods.check_range(awarded_on - timedelta(days=40), awarded_on - timedelta(days=1))
        )
        assert (earlier.tenders_won_count, earlier.tenders_won_amount) == (0, 0)
        assert moment > utcnow()  # the award is dated after the bid deadline, in the future here
