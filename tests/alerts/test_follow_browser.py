"""In Chromium: follow a spec from its page, see it on /subscriptions, unfollow it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import FEATURED, USERNAME, seed_nova
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import LiveServer
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_follow_a_spec_see_it_listed_then_unfollow(live_server: LiveServer, page: Page) -> None:
    live_server.seed(seed_nova)
    page.goto(live_server.url + "/login")
    page.get_by_label("User name or email").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)

    spec_url = f"{live_server.url}/projects/nova/specs/{FEATURED.name}"
    page.goto(spec_url)
    page.get_by_label("Tell me by").select_option("digest")
    page.get_by_role("button", name="Follow this spec").click()
    expect(page.locator(".flash-messages")).to_contain_text("Following Spec nova/")
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()

    page.get_by_role("link", name="Subscriptions").first.click()
    row = page.locator("#subscriptions tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"Spec nova/{FEATURED.name}")
    expect(row.get_by_label("Channel")).to_have_value("digest")
    assert_accessible(page)

    page.goto(spec_url)
    page.get_by_role("button", name="Unfollow").click()
    expect(page.locator(".flash-messages")).to_contain_text(f"Unfollowed nova/{FEATURED.name}")
    page.goto(live_server.url + "/subscriptions")
    expect(page.get_by_text("You follow nothing yet.")).to_be_visible()
