"""The release summary in Chromium: accessible, readable on a phone, and printed without the site's chrome."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.models import Priority
from portal.votes import service as votes
from portal.votes.service import VoteInput
from tests.browser import USERNAME, seed_nova
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    def seed(db):
        from portal.models import Spec, User

        seed_nova(db)
        rey = db.query(User).filter_by(username=USERNAME).one()
        spec = db.query(Spec).filter_by(name="live-migration-timeouts").one()
        votes.cast(db, rey, spec, VoteInput(priority=Priority.MUST, affects_me=True,
                                            reason="Stuck migrations block our host maintenance every week."))

    live_server.seed(seed)
    return live_server


def test_the_form_leads_to_the_summary_and_it_is_accessible(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/projects/nova")
    page.get_by_role("link", name="other releases or projects").click()
    expect(page.get_by_role("heading", name="Release summary for operators")).to_be_visible()
    page.get_by_label("Release", exact=True).fill("2025.1")
    page.get_by_role("button", name="Show the summary").click()
    expect(page).to_have_url(site.url + "/projects/nova/releases/2025.1/summary")
    spec = page.get_by_role("article", name="Live migration timeouts")
    expect(spec).to_contain_text("Stuck migrations block our host maintenance every week.")
    expect(spec).to_contain_text("Operator-facing impacts")
    assert_accessible(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_summary_fits_the_window(site: LiveServer, page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(site.url + "/projects/nova/releases/2025.1/summary")
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width


def test_printing_leaves_out_navigation_forms_and_buttons(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/projects/nova/releases/2025.1/summary")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Show the summary")).to_be_hidden()
    expect(page.get_by_role("link", name="CSV")).to_be_hidden()
    expect(page.get_by_role("article", name="Live migration timeouts")).to_be_visible()
    # On paper a link cannot be followed: the spec page's address is printed instead.
    expect(page.locator(".print-only").first).to_be_visible()
    expect(page.locator(".print-only").first).to_contain_text("/projects/nova/specs/")
    page.emulate_media(media="screen")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator(".print-only").first).to_be_hidden()
