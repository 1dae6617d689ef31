"""Staff exports in the access-control matrix: the page and every dataset in both formats are staff's
alone (personal and money data); a staff download is allowed (and audited), nobody else gets a byte."""

from __future__ import annotations

from typing import Any

from marketplace.reports.datasets import DATASETS
from tests.access_cases.base import STAFF_ONLY, Case
from tests.factories import World

CASES = [
    Case("GET", "/staff/exports", STAFF_ONLY),
    *(
        Case("GET", f"/staff/exports/{{exports_{slug}}}.{{exports_{fmt}}}", STAFF_ONLY)
        for slug in DATASETS
        for fmt in ("csv", "xlsx")
    ),
]


def ids(world: World) -> dict[str, Any]:
    return {
        **{f"exports_{slug}": slug for slug in DATASETS},
        "exports_csv": "csv",
        "exports_xlsx": "xlsx",
    }
