"""Voting and the PTL dashboard in Debian's Chromium: with and without JavaScript, axe-scanned, nothing leaves.

Every request the browser makes is recorded: all of them must go to the
live server on 127.0.0.1 (the pygal charts in particular load no script
from the internet).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.models import Project, Spec, User
from portal.votes import profile
from tests.browser import FEATURED, USERNAME, seed_nova
from tests.browser.test_accessibility import assert_accessible, log_in
from tests.support.browser import LiveServer, _new_page
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    def build(db: Any) -> None:
        seed_nova(db)
        user = db.query(User).filter_by(username=USERNAME).one()
        profile.save_profile(db, user, profile.parse_profile({
            "organisation": "Example Cloud", "release_in_production": "2025.2", "hypervisors": "501-1000"}))
        # The featured spec's nova is led by a PTL, who sees the voters.
        from portal.accounts import passwords
        from portal.accounts import service as accounts

        lead = accounts.create_user(db, None, "lead", email="lead@example.org", role="operator", password=PASSWORD,
                                    hasher=passwords.hasher(testing=True))
        db.flush()
        lead.ptl_of = [db.query(Project).filter_by(name="nova").one()]

    live_server.seed(build)
    return live_server


def outside(page: Page, site: LiveServer) -> list[str]:
    """Start recording requests that do not go to the live server."""
    leaving: list[str] = []
    page.on("request", lambda request: None if request.url.startswith((site.url, "data:"))
            else leaving.append(request.url))
    return leaving


def test_vote_with_javascript_updates_the_tally_without_a_reload(page: Page, site: LiveServer) -> None:
    leaving = outside(page, site)
    log_in(page, site)
    page.goto(f"{site.url}/projects/nova/specs/{FEATURED.name}")
    expect(page.get_by_text("No votes yet")).to_be_visible()
    assert_accessible(page)
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Must have").check()
    page.get_by_label("This affects me").check()
    page.get_by_text("Reason and evidence (optional)").click()
    page.get_by_label("Why, in your deployment").fill("Our evacuations stall weekly")
    page.get_by_role("button", name="Vote", exact=True).click()
    expect(page.locator("[data-vote-tally]")).to_have_text("1 vote: 1 must have. 1 say it affects them.")
    expect(page.locator("[data-vote-status]")).to_contain_text("Vote saved: “must have” and that it affects you.")
    assert page.evaluate("window.notReloaded") is True  # the same page: no reload
    page.reload()
    expect(page.get_by_role("button", name="Change my vote")).to_be_visible()
    expect(page.get_by_label("Must have")).to_be_checked()
    page.get_by_role("button", name="Withdraw my vote").click()
    expect(page.locator("[data-vote-tally]")).to_have_text("No votes yet.")
    assert not leaving, leaving


def test_vote_without_javascript_is_a_plain_form(chromium: Any, site: LiveServer) -> None:
    context, page, problems = _new_page(chromium, java_script_enabled=False)
    try:
        leaving = outside(page, site)
        log_in(page, site)
        page.goto(f"{site.url}/projects/nova/specs/{FEATURED.name}")
        page.get_by_label("Important").check()
        page.get_by_role("button", name="Vote", exact=True).click()
        expect(page.get_by_text("Vote saved: “important”. You can change or withdraw it at any time.")).to_be_visible()
        expect(page.get_by_text("1 vote:")).to_be_visible()
        assert page.url.endswith("#vote")
        assert not leaving, leaving
    finally:
        context.close()
    assert not problems.messages, problems.messages


def test_ptl_dashboard_charts_load_nothing_remote_and_pass_axe(page: Page, site: LiveServer) -> None:
    def vote(db: Any) -> None:
        from portal.votes import service
        from portal.votes.service import Priority, VoteInput

        user = db.query(User).filter_by(username=USERNAME).one()
        for spec in db.query(Spec).all():
            service.cast(db, user, spec, VoteInput(Priority.MUST, True, "<script>window.pwned=1</script>"))

    site.seed(vote)
    leaving = outside(page, site)
    page.goto(site.url + "/login")
    page.get_by_label("User name or email").fill("lead")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="PTL dashboard").click()
    page.get_by_role("link", name="nova").first.click()
    expect(page.get_by_role("heading", name="nova: operator demand")).to_be_visible()
    charts = page.locator("img.dashboard-chart")
    expect(charts).to_have_count(3)
    for i in range(3):  # each SVG really drew (a broken image has no natural width)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=charts.nth(i).element_handle())
    assert_accessible(page)
    page.get_by_role("link", name="voters and reasons").first.click()
    expect(page.get_by_text("<script>window.pwned=1</script>")).to_be_visible()  # shown as text
    assert page.evaluate("window.pwned") is None
    assert_accessible(page)
    assert not leaving, leaving
