"""An admin disables a user in Chromium (CSP enforced); the user's open browser is logged out at once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from portal.accounts import passwords
from portal.accounts import service as accounts
from tests.browser import seed_nova
from tests.support.browser import LiveServer
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser


def seed_with_admin(db: Session) -> None:
    seed_nova(db)
    for name, role in (("ada", "admin"), ("tom", "operator")):
        accounts.create_user(db, None, name, email=f"{name}@example.org", role=role, password=PASSWORD,
                             hasher=passwords.hasher(testing=True))


def log_in(page: Page, site: LiveServer, username: str) -> None:
    page.goto(site.url + "/login")
    page.get_by_label("User name or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)


def test_an_admin_disables_a_user_and_their_open_browser_is_logged_out(
    live_server: LiveServer, page: Page, chromium: Any
) -> None:
    live_server.seed(seed_with_admin)
    toms = chromium.new_context()
    try:
        tom = toms.new_page()
        log_in(tom, live_server, "tom")
        tom.goto(live_server.url + "/account")
        expect(tom.get_by_role("heading", name="Your account")).to_be_visible()

        log_in(page, live_server, "ada")
        page.get_by_role("link", name="Admin", exact=True).click()
        page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Users").click()
        page.get_by_role("link", name="tom", exact=True).click()
        page.get_by_role("button", name="Disable tom").click()

        expect(page.locator(".flash-messages")).to_contain_text(
            "tom is disabled: 1 login session(s) ended and 0 API token(s) revoked, effective at once."
        )
        expect(page.get_by_role("button", name="Enable tom")).to_be_visible()

        tom.reload()
        expect(tom).to_have_url(f"{live_server.url}/login?next=%2Faccount")
        expect(tom.get_by_role("link", name="Log in")).to_be_visible()
    finally:
        toms.close()
