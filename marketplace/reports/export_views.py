"""Staff exports: CSV and XLSX downloads with Chinese headers, filtered by date range.

Every download is an audit event (it hands personal and money data out of the platform), recorded
and committed before the first byte is sent. A bad date range writes nothing: the page comes back
with the reason (422).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from marketplace import audit
from marketplace.authz import staff_required
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.reports import exports
from marketplace.reports.datasets import DATASETS
from marketplace.reports.export_format import RangeError, parse_date_range
from marketplace.timeutil import local_today
from marketplace.web import translate

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    return (
        render_template(
            "reports/exports.html",
            datasets=list(DATASETS.values()),
            values=values,
            errors={field: translate(reason) for field, reason in errors.items()},
        ),
        status,
    )


@bp.get("")
@staff_required
def index() -> Any:
    """The datasets and one date-range form; the dates typed before (Enter in a date field submits
    here) stay, otherwise this year so far."""
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    try:
        period = parse_date_range(raw_from, raw_to, local_today())
    except RangeError as error:
        return _page({"from": raw_from, "to": raw_to}, error.fields, status=422)
    return _page({"from": period.start.isoformat(), "to": period.end.isoformat()}, {})


@bp.get("/<dataset>.<fmt>")
@staff_required
def download(dataset: str, fmt: str) -> Any:
    item = DATASETS.get(dataset)
    if item is None or fmt not in exports.FORMATS:
        raise NotFound()
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    try:
        period = parse_date_range(raw_from, raw_to, local_today())
    except RangeError as error:
        return _page({"from": raw_from, "to": raw_to}, error.fields, status=422)
    audit.record_by(
        current_user,
        "report.exported",
        subject=None,
        payload={
            "dataset": item.slug,
            "format": fmt,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "rows": exports.count_rows(item, period),
        },
    )
    db.session.commit()
    if fmt == "csv":
        return exports.csv_response(item, period, translate)
    return exports.xlsx_response(item, period, translate)
