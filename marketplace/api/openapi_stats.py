"""The OpenAPI paths and schemas of api/stats.py, merged into the document by api/openapi.py."""

from __future__ import annotations

from typing import Any

from marketplace.api.openapi import FEN, SIGNED_IN, STRING, _object, _ok, _query, _responses
from marketplace.parties.models import GRADES, Tier
from marketplace.reports.periods import MAX_SPAN_YEARS
from marketplace.reports.stats import FUNNEL_STEPS, NONE_KEY

COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
# Raised amounts net of refunds: a period whose refunds outweigh its payments is negative.
SIGNED_FEN: dict[str, Any] = {
    "type": "integer",
    "description": "Amount in fen (1 CNY = 100 fen), net of refunds and match reversals.",
}
DAY: dict[str, Any] = {"type": "string", "format": "date", "description": "YYYY-MM-DD (Wenzhou)."}


def _counts(keys: list[str], description: str) -> dict[str, Any]:
    return {**_object({key: COUNT for key in keys}), "description": description}


def _points(value_name: str, value: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "description": description,
        "items": _object(
            {
                "key": {**STRING, "description": f"A stable key; `{NONE_KEY}` for money with no project."},
                "label": {**STRING, "description": "What people read, in the request's language."},
                value_name: value,
            }
        ),
    }


SCHEMAS: dict[str, Any] = {
    "Stats": _object(
        {
            "from": DAY,
            "to": DAY,
            "today": {
                **DAY,
                "description": "The day the snapshot figures (this month, this year, …) describe.",
            },
            "raised_amount": {
                **SIGNED_FEN,
                "description": "Money raised in the range, from the ledger: paid pledges and matching "
                "credits minus refunds and match reversals, by the time each ledger row was written.",
            },
            "pledge_count": {**COUNT, "description": "Pledges confirmed (paid) in the range."},
            "raised_this_month": {**SIGNED_FEN, "description": "From the first of this month to today."},
            "raised_this_year": {**SIGNED_FEN, "description": "From 1 January to today."},
            "active_agreements": {**COUNT, "description": "Agreements in force today."},
            "tenders_won": _object(
                {
                    "count": {**COUNT, "description": "Tenders awarded in the range whose award stands."},
                    "amount": {**FEN, "description": "Their awarded value in fen."},
                }
            ),
            "organizations_by_grade": _counts(
                [*reversed(GRADES), NONE_KEY],
                "Verified organizations by current grade (A5 = 5A); an expired grade counts as `none`.",
            ),
            "organizations_by_tier": _counts(
                [*(tier.value for tier in Tier), NONE_KEY], "Verified organizations by tier."
            ),
            "introductions": _object(
                {
                    "made": {**COUNT, "description": "Introductions sent in the range."},
                    "converted": {
                        **COUNT,
                        "description": "Of those, converted (by a pledge or an agreement).",
                    },
                    "declined": {
                        **COUNT,
                        "description": "Of those, declined by the company (and not converted).",
                    },
                }
            ),
            "series": _object(
                {
                    "raised_by_month": {
                        "type": "array",
                        "description": "Every month the range touches, in order, zeros included.",
                        "items": _object(
                            {"month": {**STRING, "pattern": "^[0-9]{4}-[0-9]{2}$"}, "amount": SIGNED_FEN}
                        ),
                    },
                    "raised_by_category": _points(
                        "amount", SIGNED_FEN, "Categories (slugs) that raised money in the range, most first."
                    ),
                    "raised_by_district": _points(
                        "amount", SIGNED_FEN, "Districts (names) that raised money in the range, most first."
                    ),
                    "introduction_funnel": _points(
                        "count",
                        COUNT,
                        "Introductions sent in the range that reached each step, in order: "
                        + ", ".join(step.value for step in FUNNEL_STEPS)
                        + ".",
                    ),
                    "grade_distribution": _points(
                        "count", COUNT, "Verified organizations by current grade, 5A first, then `none`."
                    ),
                }
            ),
        }
    ),
}

PATHS: dict[str, Any] = {
    "/stats": {
        "get": {
            "operationId": "get_stats",
            "summary": "The staff dashboard's figures for a date range (staff)",
            "description": "Days are Wenzhou (Asia/Shanghai) calendar days, both included. Without `from` "
            f"and `to` the range is the last twelve months up to today; at most {MAX_SPAN_YEARS} years. "
            "An inverted, malformed or too long range is a 422 naming `from` or `to`.",
            "security": SIGNED_IN,
            "parameters": [
                _query(
                    "from", DAY, "First day of the range (default: the first of the month 11 months ago)."
                ),
                _query("to", DAY, "Last day of the range (default: today)."),
            ],
            "responses": _responses(_ok("Stats", "The figures."), 403, 422),
        }
    }
}
