"""Searching in Chromium: the box in the navbar, facet filtering, saving a search, and axe scans of each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from portal.search import backend_for
from portal.search.indexer import reindex
from portal.specs.service import add_project, upsert_spec_file
from tests.browser import FEATURED, SECTIONS, SeedSpec, _spec_file, seed_nova
from tests.browser.test_accessibility import assert_accessible, log_in
from tests.support.browser import LiveServer

pytestmark = pytest.mark.browser

WATCHER = SeedSpec("live-migration-strategy", "Live migration strategy for audits", "2024.1",
                   FEATURED.state, 2)


def seed(db: Session) -> None:
    seed_nova(db)
    watcher = add_project(db, None, "watcher", title="Watcher")
    upsert_spec_file(db, None, watcher, _spec_file("watcher", WATCHER, WATCHER.release, WATCHER.state, SECTIONS))


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    live_server.seed(seed)
    factory = live_server.session_factory
    reindex(factory, backend_for(live_server.settings, factory))  # what `portal search reindex` runs
    return live_server


def test_search_filter_by_facet_and_save(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/")
    box = page.get_by_role("searchbox", name="Search specs, sections and discussions")
    box.fill("live migration")
    box.press("Enter")

    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    results = page.locator(".search-hit")
    expect(results.first).to_be_visible()
    expect(page.get_by_role("link", name=FEATURED.title).first).to_be_visible()
    expect(page.get_by_role("link", name=WATCHER.title).first).to_be_visible()
    expect(page.locator(".snippet mark").first).to_be_visible()
    assert_accessible(page)

    # Narrow to watcher with its facet link; the count beside it is what we get.
    facet = page.get_by_role("region", name="Project").get_by_role("link", name="watcher")
    count = int(facet.locator("xpath=following-sibling::span").inner_text())
    facet.click()
    expect(page).to_have_url(re.compile(r"project=watcher"))
    expect(page.get_by_role("link", name="Remove filter Project watcher")).to_be_visible()
    expect(results).to_have_count(count)
    expect(page.get_by_role("link", name=FEATURED.title)).to_have_count(0)
    assert_accessible(page)

    # Saving needs a login; after it, the same search is one click away on the account page.
    expect(page.get_by_text("to save this search")).to_be_visible()
    search_url = page.url
    log_in(page, site)
    page.goto(search_url)
    page.get_by_label("Name this search").fill("Watcher live migration")
    page.get_by_role("button", name="Save this search").click()
    expect(page.get_by_text("Search saved as “Watcher live migration”")).to_be_visible()
    assert_accessible(page)

    page.goto(site.url + "/account")
    saved = page.get_by_role("region", name="Saved searches")
    expect(saved.get_by_role("cell", name="live migration · project watcher")).to_be_visible()
    assert_accessible(page)
    saved.get_by_role("link", name="Watcher live migration").click()
    expect(page).to_have_url(re.compile(r"/search\?q=live\+migration&project=watcher$"))
    expect(results).to_have_count(count)


def test_a_misspelling_offers_the_right_word_and_the_spec_page_lists_related_specs(site: LiveServer,
                                                                                    page: Page) -> None:
    page.goto(site.url + "/search?q=migratoin+timeouts")
    suggestion = page.locator(".did-you-mean a")
    expect(suggestion).to_have_text("migration timeouts")
    suggestion.click()
    expect(page.get_by_role("link", name=FEATURED.title).first).to_be_visible()

    page.goto(site.url + f"/projects/nova/specs/{FEATURED.name}")
    related = page.get_by_role("region", name="Related specs")
    expect(related.get_by_role("link", name=WATCHER.title)).to_be_visible()
    assert_accessible(page)
