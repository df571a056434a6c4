"""A reviewer fills a checklist item in Chromium (CSP enforced, no JavaScript needed)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.checklist.service import refresh_prefill
from portal.models import Spec
from tests.browser import FEATURED, seed_nova
from tests.support.browser import LiveServer
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser


def seed_with_reviewer(db: Session) -> None:
    seed_nova(db)
    accounts.create_user(db, None, "rita", email="rita@example.org", role="reviewer", password=PASSWORD,
                         display_name="Rita Reviewer", hasher=passwords.hasher(testing=True))
    for spec in db.scalars(select(Spec)):
        refresh_prefill(db, spec)


def log_in(page: Page, site: LiveServer, username: str) -> None:
    page.goto(site.url + "/login")
    page.get_by_label("User name or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_reviewer_confirms_an_item_and_sees_it_in_the_history(live_server: LiveServer, page: Page) -> None:
    live_server.seed(seed_with_reviewer)
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/projects/nova/specs/{FEATURED.name}")

    item = page.locator("#item-rollback")
    expect(item).to_contain_text("Rollback / downgrade")
    expect(item.locator(".prefill-badge")).to_be_visible()  # nothing confirmed yet
    item.get_by_text("Confirm or correct").click()
    item.get_by_label("State").select_option("concern")
    item.get_by_label(re.compile("Note")).fill("No word on what happens to aborted migrations after a downgrade.")
    item.get_by_role("button", name="Save answer").click()

    # Back on the item (anchor), with the message next to it, naming the item by its title.
    expect(page).to_have_url(re.compile(r"#item-rollback$"))
    item = page.locator("#item-rollback")
    expect(item.locator(".item-notice")).to_have_text("Saved: “Rollback / downgrade” is now concern.")
    expect(item.locator(".item-notice")).to_be_in_viewport()
    expect(item).to_contain_text("by Rita Reviewer")
    expect(item).to_contain_text("No word on what happens to aborted migrations after a downgrade.")
    expect(item.locator(".prefill-badge")).to_have_count(0)
    item.get_by_text(re.compile(r"History \(2\)")).click()
    expect(item.locator(".history li")).to_have_count(2)
    # The side rail lists it among the gaps, with the reviewer's state.
    expect(page.get_by_role("complementary", name="Spec details")).to_contain_text("Rollback / downgrade")


def test_an_operator_sees_the_checklist_but_no_form(live_server: LiveServer, page: Page) -> None:
    live_server.seed(seed_with_reviewer)
    log_in(page, live_server, "rey")
    page.goto(f"{live_server.url}/projects/nova/specs/{FEATURED.name}")
    expect(page.get_by_role("heading", name="Operability checklist")).to_be_visible()
    expect(page.get_by_text("Confirm or correct")).to_have_count(0)
    expect(page.locator("#item-upgrade")).to_contain_text("Upgrade")


def test_the_reviewer_view_of_the_checklist_is_accessible(live_server: LiveServer, page: Page) -> None:
    from tests.browser.test_accessibility import assert_accessible

    live_server.seed(seed_with_reviewer)
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/projects/nova/specs/{FEATURED.name}")
    for summary in page.locator("details.answer-form summary").all()[:3]:
        summary.click()  # open a few answer forms so their fields are scanned too
    assert_accessible(page)


def test_a_refused_answer_lands_on_the_item_with_the_error_beside_it(live_server: LiveServer, page: Page) -> None:
    live_server.seed(seed_with_reviewer)
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/projects/nova/specs/{FEATURED.name}")
    item = page.locator("#item-testing")
    item.get_by_text("Confirm or correct").click()
    item.get_by_label("State").select_option("missing")  # a "missing" answer needs a note
    item.get_by_role("button", name="Save answer").click()

    expect(page).to_have_url(re.compile(r"#item-testing$"))
    item = page.locator("#item-testing")
    error = item.locator(".invalid-feedback")
    expect(error).to_contain_text("Say why in the note")
    expect(error).to_be_in_viewport()
    expect(page.locator(".flash-messages")).to_contain_text("Not saved: “Testing”")
    # What the reviewer chose is still there; nothing was lost.
    expect(item.get_by_label("State")).to_have_value("missing")


def test_a_reviewer_works_through_the_review_queue(live_server: LiveServer, page: Page) -> None:
    live_server.seed(seed_with_reviewer)
    log_in(page, live_server, "rita")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.locator("#queue-count")).to_have_text("4 specs to review")
    page.get_by_label("Release").select_option("2025.1")
    page.get_by_label("nova").check()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#queue-count")).to_have_text("2 specs to review")
    page.get_by_role("link", name=FEATURED.title).click()
    expect(page).to_have_url(re.compile(rf"/specs/{FEATURED.name}#checklist$"))
    expect(page.get_by_role("heading", name="Operability checklist")).to_be_in_viewport()
    # Confirming one item takes the spec out of the queue.
    item = page.locator("#item-upgrade")
    item.get_by_text("Confirm or correct").click()
    item.get_by_label("State").select_option("addressed")
    item.get_by_role("button", name="Save answer").click()
    expect(page.locator("#item-upgrade .item-notice")).to_contain_text("Saved: “Upgrade” is now addressed.")
    page.goto(f"{live_server.url}/review-queue?release=2025.1")
    expect(page.locator("#queue-count")).to_have_text("1 spec to review")
    expect(page.get_by_role("link", name=FEATURED.title)).to_have_count(0)
