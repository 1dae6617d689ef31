"""Supervision (必访、必查、必审): visit log, quarterly sampled inspections, the year-end fund check
and overdue fund-usage reports."""
