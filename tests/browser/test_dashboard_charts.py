"""The staff dashboard in a real browser: Chart.js (served from static/vendor) draws the five charts
under the page's CSP, with no console error or CSP violation; each chart's table opens on demand."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.browser.helpers import log_in
from tests.dashboard_support import build_scene

pytestmark = pytest.mark.browser

CHARTS = (
    "raised-by-month",
    "raised-by-category",
    "raised-by-district",
    "introduction-funnel",
    "grade-distribution",
)


def test_the_dashboard_draws_its_charts(browser_app: Flask, new_page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    with browser_app.app_context():
        scene = build_scene()
    page = new_page("staff")
    log_in(page, scene.staff_email)
    page.goto("/staff/reports")
    page.wait_for_function("() => document.querySelectorAll('canvas[data-drawn]').length === 5")
    drawn = page.evaluate(
        """() => ({
            library: typeof window.Chart === 'function' ? window.Chart.version : null,
            instances: Object.keys(window.Chart.instances).length,
            canvases: [...document.querySelectorAll('canvas[data-chart]')].map((canvas) => {
                const chart = window.Chart.getChart(canvas);
                return {
                    key: canvas.dataset.chart,
                    width: canvas.width,
                    height: canvas.height,
                    box: canvas.getBoundingClientRect().height,
                    role: canvas.getAttribute('role'),
                    label: canvas.getAttribute('aria-label'),
                    type: chart ? chart.config.type : null,
                    points: chart ? chart.data.datasets[0].data.length : 0,
                };
            }),
        })"""
    )
    assert drawn["library"].startswith("4.")
    assert drawn["instances"] == 5
    assert [canvas["key"] for canvas in drawn["canvases"]] == list(CHARTS)
    for canvas in drawn["canvases"]:
        assert canvas["width"] > 0 and canvas["height"] > 0 and canvas["box"] > 100, canvas
        assert canvas["role"] == "img" and canvas["label"], canvas
        assert canvas["points"] > 0, canvas
    types = {canvas["key"]: canvas["type"] for canvas in drawn["canvases"]}
    assert types["grade-distribution"] == "doughnut" and types["raised-by-month"] == "bar"

    # The figures behind a chart: a real table, shown when its disclosure is opened.
    table = page.locator("#table-raised-by-category")
    assert not table.is_visible()
    page.locator("details.report-table").nth(1).locator("summary").click()
    assert table.is_visible()
    assert "儿童关爱" in table.inner_text() and "¥5,000" in table.inner_text()
    assert page.get_by_role("table", name=re.compile("按项目类别筹款")).count() == 1

    # A refused range: the message, the form, no charts, and still no script error.
    page.goto("/staff/reports?from=2026-06-01&to=2026-05-01")
    assert page.locator("[data-report-errors]").is_visible()
    assert "开始日期不能晚于结束日期" in page.locator("[data-report-errors]").inner_text()
    assert page.locator("canvas").count() == 0

    # The filter form: pick this month with the date inputs and submit.
    today = scene.today
    page.fill("#report-from", today.replace(day=1).isoformat())
    page.fill("#report-to", today.isoformat())
    page.get_by_role("button", name="查看").click()
    page.wait_for_function("() => document.querySelectorAll('canvas[data-drawn]').length === 5")
    assert "¥7,000" in page.locator("[data-kpi=raised_amount]").inner_text()
    assert len(page.evaluate("() => Object.keys(window.Chart.instances)")) == 5
