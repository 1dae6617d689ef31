"""`flask jobs sample-inspections`: draw the quarter's inspections (see supervision.operations)."""

from __future__ import annotations

from marketplace.projects.cli import jobs_cli  # noqa: F401
