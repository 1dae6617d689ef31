"""Supervision pages (必访、必查、必审) in the access-control matrix: staff only, every route.

An open inspection task of the World's organization (quarter 2026Q3) waits to be completed; drawing
2026Q4 from the page creates that quarter's tasks (or none) and is repeatable."""

from __future__ import annotations

from typing import Any

from marketplace.extensions import db
from marketplace.supervision.models import InspectionTask
from marketplace.timeutil import local_today
from tests.access_cases.base import INVALID, STAFF_ONLY, Case
from tests.factories import World

STAFF_INVALID = {**STAFF_ONLY, "staff": INVALID, "admin": INVALID}

CASES = [
    Case("GET", "/staff/supervision", STAFF_ONLY),
    Case("GET", "/staff/supervision/visits", STAFF_ONLY),
    Case(
        "GET",
        "/staff/supervision/visits?organization={organization_id}&from=2026-01-01&to=2026-12-31",
        STAFF_ONLY,
    ),
    Case("GET", "/staff/supervision/visits/new", STAFF_ONLY),
    Case("POST", "/staff/supervision/visits/new", STAFF_INVALID),
    Case(
        "POST",
        "/staff/supervision/visits/new",
        STAFF_ONLY,
        {
            "organization_id": "{organization_id}",
            "visited_on": "{supervision_today}",
            "notes": "矩阵测试：走访",
        },
    ),
    Case("GET", "/staff/supervision/organizations/{organization_id}", STAFF_ONLY),
    Case("GET", "/staff/supervision/inspections", STAFF_ONLY),
    Case("GET", "/staff/supervision/inspections?quarter=2026Q3", STAFF_ONLY),
    Case("POST", "/staff/supervision/inspections/sample", STAFF_INVALID),
    Case("POST", "/staff/supervision/inspections/sample", STAFF_ONLY, {"quarter": "2026Q4", "seed": "7"}),
    Case("POST", "/staff/supervision/inspections/{supervision_task_id}/complete", STAFF_INVALID),
    Case(
        "POST",
        "/staff/supervision/inspections/{supervision_task_id}/complete",
        STAFF_ONLY,
        {"task{supervision_task_id}-findings": "矩阵测试：检查发现"},
    ),
    Case("GET", "/staff/supervision/fund-check", STAFF_ONLY),
    Case("GET", "/staff/supervision/fund-check?year=2025", STAFF_ONLY),
    Case("GET", "/staff/supervision/overdue-reports", STAFF_ONLY),
]


def ids(world: World) -> dict[str, Any]:
    task = InspectionTask(quarter="2026Q3", organization_id=world.organization_id, grade="A3", seed=20263)
    db.session.add(task)
    db.session.commit()
    return {"supervision_task_id": task.id, "supervision_today": local_today().isoformat()}
