"""Accessibility checks with axe-core inside the real browser.

axe-core comes from npm (``package.json``/``package-lock.json``, installed by ``npm ci`` in ``./dev test``)
rather than a CDN so the suite runs offline and every run uses the same pinned rule set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.1 level A and AA: the level Vietnamese public portals and GOV.UK both aim for.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


class AccessibilityError(AssertionError):
    """Raised with a readable list of axe violations."""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe on the page as it is now and return every violation axe reports (all impacts)."""
    if not AXE_PATH.is_file():
        raise FileNotFoundError(f"{AXE_PATH} is missing: run `npm ci` (./dev test does it)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_PATH))
    result: dict[str, Any] = page.evaluate(
        "async (tags) => await window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return list(result["violations"])


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        lines.extend(f"    at {', '.join(map(str, node['target']))}" for node in violation["nodes"])
    return "\n".join(lines)


def assert_accessible(page: Page, context: str) -> None:
    """Fail if axe finds any serious or critical WCAG 2.1 A/AA violation on the current page.

    ``context`` names the page in the journey (e.g. "trang đăng ký") so the failure says where it happened.
    Minor and moderate findings are not blocking: they are often false positives on valid patterns.
    """
    blocking = [v for v in axe_violations(page) if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        raise AccessibilityError(
            f"axe found {len(blocking)} serious/critical violation(s) on {context} ({page.url}):\n"
            + format_violations(blocking)
        )
