"""Accessibility: axe-core scans every main page; no "serious" or "critical" violation is allowed.

axe-core comes from the installed ``axe_playwright_python`` package (its
``axe.min.js``, no download). Playwright evaluates it through the DevTools
protocol, which the page's CSP (``script-src 'self'``) does not govern, so
the scans run on the pages exactly as served, CSP enforced (the ``page``
fixture would also fail the test on any CSP refusal).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser import FEATURED, USERNAME, seed_nova
from tests.support.browser import LiveServer
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
# What the pages claim to meet: WCAG 2.1 A and AA, plus axe's best practices.
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def scan(page: Page) -> dict[str, Any]:
    """axe-core's results for the page as it is now (violations and passes)."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": RULE_TAGS}, "resultTypes": ["violations"]})
    return results.response


def describe(violations: list[dict[str, Any]]) -> str:
    """Each violation with its rule, impact, help link and the elements at fault, to fix from the test log."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:10]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            lines.append(f"       {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    results = scan(page)
    # The scan really ran: axe checked rules that pass on this page.
    assert results["passes"], f"axe-core checked nothing on {page.url}"
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, (
        f"{len(blocking)} serious/critical accessibility violation(s) on {page.url}:\n{describe(blocking)}"
    )


def log_in(page: Page, site: LiveServer) -> None:
    page.goto(site.url + "/login")
    page.get_by_label("User name or email").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    live_server.seed(seed_nova)
    return live_server


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/projects/nova",
        "/projects/nova?state=approved&sort=name",
        "/projects/nova?state=abandoned",  # the empty result
        f"/projects/nova/specs/{FEATURED.name}",
        "/login",
        "/projects/nova/specs/no-such-spec",  # the error page
    ],
)
def test_public_page_has_no_serious_accessibility_violation(site: LiveServer, page: Page, path: str) -> None:
    page.goto(site.url + path)
    expect(page.locator("main")).to_be_visible()
    assert_accessible(page)


def test_pages_of_a_logged_in_user_have_no_serious_accessibility_violation(site: LiveServer, page: Page) -> None:
    log_in(page, site)
    for path in ("/", "/account", f"/projects/nova/specs/{FEATURED.name}"):
        page.goto(site.url + path)
        assert_accessible(page)


def test_login_page_showing_errors_has_no_serious_accessibility_violation(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/login")
    page.get_by_label("User name or email").fill(USERNAME)
    page.get_by_label("Password").fill("wrong password, clearly")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".alert-danger")).to_be_visible()
    assert_accessible(page)

    # Empty fields: the form marks them; the marks must be announced too.
    page.get_by_label("User name or email").fill("")
    page.get_by_label("Password").fill("")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".is-invalid").first).to_be_visible()
    assert_accessible(page)


def test_the_scan_reports_a_serious_violation_when_there_is_one(site: LiveServer, page: Page) -> None:
    """Guards the guard: an unlabelled field on a real page must be caught, or the tests above prove nothing."""
    page.goto(site.url + "/login")
    page.evaluate("document.querySelector('label[for=password]').remove()")
    violations = scan(page)["violations"]
    labels = [v for v in violations if v["id"] == "label"]
    assert labels and labels[0]["impact"] in BLOCKING
    assert re.search(r"#password", describe(labels))


def test_admin_pages_have_no_serious_accessibility_violation(site: LiveServer, page: Page) -> None:
    from portal.accounts import passwords
    from portal.accounts import service as accounts

    site.seed(lambda db: accounts.create_user(db, None, "ada", email="ada@example.org", role="admin",
                                              password=PASSWORD, hasher=passwords.hasher(testing=True)))
    page.goto(site.url + "/login")
    page.get_by_label("User name or email").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)
    for path in ("/admin/", "/admin/users", f"/admin/users/{USERNAME}", "/admin/projects", "/admin/projects/nova",
                 "/admin/projects/nova/remove", "/admin/runs", "/admin/demo",
                 "/admin/sign-in"):
        page.goto(site.url + path)
        expect(page.locator("main")).to_be_visible()
        assert_accessible(page)
    # A form showing its error is announced too.
    page.goto(site.url + "/admin/projects/nova/remove")
    page.get_by_label("Type the project's name to confirm").fill("not-nova")
    page.get_by_role("button", name="Delete nova for good").click()
    expect(page.locator(".is-invalid")).to_be_visible()
    assert_accessible(page)
