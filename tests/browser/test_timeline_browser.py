"""The spec page's paged timeline in Chromium, with JavaScript switched off: plain links page it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from portal.clock import now
from portal.markup import render_markdown
from portal.models import Comment, Spec
from portal.specs.timeline import PAGE_SIZE
from tests.browser import FEATURED, seed_nova
from tests.support.browser import LiveServer, _new_page

pytestmark = pytest.mark.browser
EXTRA = PAGE_SIZE + 10  # with the seeded discussion and revisions: two pages


@pytest.fixture
def busy_site(live_server: LiveServer) -> LiveServer:
    def seed(db: Any) -> None:
        seed_nova(db)
        spec = db.query(Spec).filter_by(name=FEATURED.name).one()
        for i in range(EXTRA):
            body = f"Timeline comment {i}."
            db.add(Comment(spec_id=spec.id, source="portal", author_name="someone", body=body,
                           body_html=render_markdown(body), created_at=now() + timedelta(minutes=i + 1)))

    live_server.seed(seed)
    return live_server


@pytest.fixture
def page_without_js(chromium: Any) -> Iterator[Page]:
    context, page, problems = _new_page(chromium, java_script_enabled=False)
    yield page
    context.close()
    if problems.messages:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems.messages))


def test_older_entries_are_one_plain_link_away(busy_site: LiveServer, page_without_js: Page) -> None:
    page = page_without_js
    page.goto(f"{busy_site.url}/projects/nova/specs/{FEATURED.name}")
    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(PAGE_SIZE)
    expect(timeline.first).to_contain_text(f"Timeline comment {EXTRA - 1}.")  # newest first

    page.get_by_role("navigation", name="Discussion pages (top)").get_by_role("link", name="Older entries").click()

    page.wait_for_load_state()
    assert parse_qs(urlsplit(page.url).query) == {"timeline_page": ["2"]}
    assert urlsplit(page.url).fragment == "timeline-heading"
    expect(page.locator("ol.timeline > li").first).to_contain_text(f"Timeline comment {EXTRA - 1 - PAGE_SIZE}.")
    expect(page.get_by_role("heading", name="Discussion and history")).to_be_in_viewport()
    newer = page.get_by_role("navigation", name="Discussion pages (bottom)").get_by_role("link", name="Newer entries")
    newer.click()
    page.wait_for_load_state()
    expect(page.locator("ol.timeline > li").first).to_contain_text(f"Timeline comment {EXTRA - 1}.")
