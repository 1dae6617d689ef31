"""axe-core in the page under test: inject the vendored copy (static/vendor/axe-core, served by the
app itself, so the CSP's `script-src 'self'` lets it in; no production page includes it), run it and
return the violations as plain dicts."""

from __future__ import annotations

from typing import Any

AXE_URL = "/static/vendor/axe-core/axe.min.js"
BLOCKING = ("serious", "critical")

_RUN = """async () => {
  const results = await window.axe.run(document, {resultTypes: ['violations']});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    targets: violation.nodes.map((node) => node.target.join(' ')),
    summaries: violation.nodes.map((node) => node.failureSummary || ''),
  }));
}"""


def violations(page: Any, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """The page's axe violations of the given impacts (serious and critical by default)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
    found = page.evaluate(_RUN)
    return [violation for violation in found if violation["impact"] in impacts]


def describe(where: str, found: list[dict[str, Any]]) -> str:
    """One line per violation and node: where, rule id, impact, CSS target and what axe says."""
    lines = []
    for violation in found:
        for target, summary in zip(violation["targets"], violation["summaries"], strict=True):
            lines.append(
                f"{where}: {violation['id']} ({violation['impact']}) at {target} — {violation['help']}"
                f" [{' '.join(summary.split())}]"
            )
    return "\n".join(lines)
