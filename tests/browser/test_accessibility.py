"""Accessibility in a real browser: axe-core (vendored, injected by the tests only) finds no serious
or critical violation on the main pages, for each kind of visitor who sees them; and a company
completes a bank-transfer pledge with the keyboard alone, seeing where the focus is at each step."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.access_cases import evaluations, needs, tenders_pages
from tests.browser.axe import describe, violations
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

# The main pages, by who looks at them. Placeholders are the ids of the access-control matrix's world.
PAGES: dict[str, list[str]] = {
    "anonymous": [
        "/",
        "/projects",
        "/projects?q=防溺水",
        "/projects/{published_id}",
        "/organizations",
        "/organizations/{organization_id}",
        "/login",
        "/signup",
        "/signup/organization",
        "/signup/company",
        "/needs",
        "/needs/{needs_need_id}",
        "/tenders",
        "/tenders/{tenders_open_id}",
        "/evaluations",
        "/evaluations/{evaluations_published_id}/results",
    ],
    "company": [
        "/dashboard",
        "/projects/{published_id}",
        "/projects/{published_id}/pledge",
        "/needs",
        "/tenders",
    ],
    "org": [
        "/dashboard",
        "/projects/new",
        "/projects/{published_id}",
        "/organizations/{organization_id}",
        "/needs",
        "/tenders/{tenders_open_id}",
    ],
    "staff": [
        "/dashboard",
        "/staff/reviews",
        "/staff/verifications",
        "/projects/{submitted_id}",
        "/staff/exports",
        "/tenders",
        "/evaluations/{evaluations_published_id}/results",
    ],
}


def _world(app: Flask) -> tuple[factories.World, dict[str, Any]]:
    with app.app_context():
        world = factories.build_world()
        ids: dict[str, Any] = {name: getattr(world, name) for name in factories.World.__dataclass_fields__}
        for module in (needs, tenders_pages, evaluations):
            ids.update(module.ids(world))
    return world, ids


@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_have_no_serious_accessibility_violations(browser_app: Flask, new_page, role: str) -> None:
    world, ids = _world(browser_app)
    page = new_page(role)
    email = world.email_for(role)
    if email is not None:
        log_in(page, email)
    problems = []
    for path in PAGES[role]:
        url = path.format(**ids)
        response = page.goto(url)
        assert response is not None and response.ok, f"{role}: {url} gave {response and response.status}"
        assert page.evaluate("() => !('axe' in window)"), f"{url} loads axe-core itself"
        found = violations(page)
        if found:
            problems.append(describe(f"{role} {url}", found))
    assert not problems, "serious or critical accessibility violations:\n" + "\n".join(problems)


def test_axe_reports_an_unlabelled_field(browser_app: Flask, new_page) -> None:
    """The check above can fail: a field without a label, added to the login page, is reported."""
    page = new_page("anonymous")
    page.goto("/login")
    assert violations(page) == []
    page.evaluate(
        "() => { const field = document.createElement('input'); field.id = 'unnamed';"
        " document.querySelector('form').append(field); }"
    )
    found = violations(page)
    assert [violation["id"] for violation in found] == ["label"], describe("/login", found)
    assert found[0]["impact"] == "critical" and found[0]["targets"] == ["#unnamed"]


# What has the keyboard focus: enough to recognise it, and whether it shows a focus ring (its own
# outline or box-shadow, or that of the tile <label> it sits in).
FOCUSED = """() => {
  const element = document.activeElement;
  const ring = (node) => {
    if (!node) return false;
    const style = getComputedStyle(node);
    return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
      || (style.boxShadow !== '' && style.boxShadow !== 'none');
  };
  const box = element.getBoundingClientRect();
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    name: element.getAttribute('name'),
    value: 'value' in element ? element.value : null,
    checked: Boolean(element.checked),
    text: (element.innerText || '').trim(),
    ring: ring(element) || ring(element.closest('label')),
    visible: box.width > 1 && box.height > 1 && box.bottom > 0 && box.top < window.innerHeight,
  };
}"""


def tab_to(page, wanted, *, limit: int = 80) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Press Tab until ``wanted(focused)`` holds (at most ``limit`` times); every element passed on
    the way must show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] != "body":
            assert focused["ring"], f"no visible focus indicator on {focused}"
        if wanted(focused):
            return focused
    raise AssertionError(f"Tab never reached the element wanted; last focused: {focused}")


def test_a_company_pledges_by_bank_transfer_with_the_keyboard_alone(browser_app: Flask, new_page) -> None:
    with browser_app.app_context():
        reviewer = factories.staff()
        owner = factories.org_member()
        project = factories.project(owner, status="published", reviewer=reviewer, title="银杏长者助餐计划")
        factories.foundation(name="鹿城区青少年发展基金会")
        donor = factories.company_member(name="温州瓯江鞋业有限公司")
        project_id, email = project.id, donor.email
    page = new_page("company")

    # Signing in: the skip link comes first and shows itself when focused; Enter moves to the content.
    page.goto("/login")
    skip = tab_to(page, lambda focused: True, limit=1)
    assert skip["text"] == "跳到主要内容" and skip["visible"], skip
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    tab_to(page, lambda focused: focused["id"] == "email")
    page.keyboard.type(email)
    tab_to(page, lambda focused: focused["id"] == "password", limit=3)
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dashboard"))

    # From the project page to the pledge form.
    page.goto(f"/projects/{project_id}")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip the navigation
    tab_to(page, lambda focused: focused["tag"] == "a" and focused["text"] == "我要认捐")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/projects/{project_id}/pledge$"))

    # The amount, the method (a radio group: arrow keys choose), a message, and submit.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tab_to(page, lambda focused: focused["id"] == "amount")
    page.keyboard.type("5,000")
    tab_to(page, lambda focused: focused["name"] == "method", limit=3)
    for _ in range(3):
        if page.evaluate(FOCUSED)["value"] == "bank_transfer":
            break
        page.keyboard.press("ArrowDown")
    chosen = page.evaluate(FOCUSED)
    assert chosen["value"] == "bank_transfer" and chosen["checked"] and chosen["ring"], chosen
    tab_to(page, lambda focused: focused["id"] == "message")
    page.keyboard.type("祝老人们吃得健康！")
    tab_to(page, lambda focused: focused["tag"] == "button" and focused["text"] == "提交认捐")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/pledges/\d+$"))
    code = page.locator("code.reference-code").first.inner_text().strip()
    assert re.fullmatch(r"QQC[0-9A-Z]{8}", code)
    assert "¥5,000" in page.locator("main").inner_text()
