"""The staff dashboard: KPIs and five charts for a date range, each chart with its data table."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from marketplace.authz import staff_required
from marketplace.errors import DomainError
from marketplace.reports import periods
from marketplace.reports.charts import dashboard_charts
from marketplace.reports.stats import dashboard_stats
from marketplace.timeutil import local_today
from marketplace.web import translate

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")


@bp.get("")
@staff_required
def dashboard() -> Any:
    today = local_today()
    raw_from = (request.args.get("from") or "").strip()[:20]
    raw_to = (request.args.get("to") or "").strip()[:20]
    errors: dict[str, str] = {}
    try:
        period = periods.range_from_text(raw_from, raw_to, today)
    except DomainError as error:
        errors, period = error.fields, None
    stats = dashboard_stats(period, today) if period is not None else None
    charts = dashboard_charts(stats) if stats is not None else []
    default = periods.default_range(today)
    presets = [
        (translate(label), span)
        for label, span in (
            (periods.DEFAULT_LABEL, default),
            (periods.THIS_YEAR_LABEL, periods.year_range(today)),
            (periods.LAST_YEAR_LABEL, periods.last_year_range(today)),
        )
    ]
    page = render_template(
        "reports/dashboard.html",
        stats=stats,
        charts=charts,
        chart_data=[chart.data(translate) for chart in charts],
        errors={field: translate(reason) for field, reason in errors.items()},
        # A refused range stays in the form as typed, so staff can correct it.
        from_value=period.start.isoformat() if period else raw_from,
        to_value=period.end.isoformat() if period else raw_to,
        presets=presets,
        period=period,
        today=today,
    )
    return page, 422 if errors else 200
