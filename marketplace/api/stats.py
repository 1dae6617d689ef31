"""GET /api/v1/stats: the staff dashboard's figures as JSON, for a date range (Wenzhou days).

The same ``reports.stats`` the page uses; amounts are integer fen, counts integers. Without
``from``/``to`` the range is the last twelve months up to today; a refused range is a 422 naming
the parameter.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from marketplace.api import bp
from marketplace.api.auth import api_login_required, require_api_user
from marketplace.errors import Forbidden
from marketplace.messages import Msg
from marketplace.reports import periods
from marketplace.reports.charts import point_label
from marketplace.reports.stats import DashboardStats, Point, dashboard_stats
from marketplace.timeutil import local_today


@bp.get("/stats")
@api_login_required
def get_stats() -> Any:
    user = require_api_user()
    if not user.is_staff:  # 403 before the parameters are read
        raise Forbidden.on("stats", Msg("只有团区委工作人员可以查看统计数据"))
    today = local_today()
    period = periods.range_from_text(request.args.get("from"), request.args.get("to"), today)
    return jsonify(stats_json(dashboard_stats(period, today)))


def _series(points: list[Point], value_name: str) -> list[dict[str, Any]]:
    return [{"key": point.key, "label": point_label(point), value_name: point.value} for point in points]


def stats_json(stats: DashboardStats) -> dict[str, Any]:
    return {
        "from": stats.period.start.isoformat(),
        "to": stats.period.end.isoformat(),
        "today": stats.today.isoformat(),
        "raised_amount": stats.raised_amount,
        "pledge_count": stats.pledge_count,
        "raised_this_month": stats.raised_this_month,
        "raised_this_year": stats.raised_this_year,
        "active_agreements": stats.active_agreements,
        "tenders_won": {"count": stats.tenders_won_count, "amount": stats.tenders_won_amount},
        "organizations_by_grade": stats.organizations_by_grade,
        "organizations_by_tier": stats.organizations_by_tier,
        "introductions": {
            "made": stats.introductions_made,
            "converted": stats.introductions_converted,
            "declined": stats.introductions_declined,
        },
        "series": {
            "raised_by_month": [
                {"month": point.key, "amount": point.value} for point in stats.raised_by_month
            ],
            "raised_by_category": _series(stats.raised_by_category, "amount"),
            "raised_by_district": _series(stats.raised_by_district, "amount"),
            "introduction_funnel": _series(stats.introduction_funnel, "count"),
            "grade_distribution": _series(stats.grade_distribution, "count"),
        },
    }
