"""In Chromium: the project page announces its Atom feed, the feed serves, and a user makes their feed address."""

from __future__ import annotations

import feedparser
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.models import (
    AlertChannel,
    Notification,
    NotificationStatus,
    Project,
    Subscription,
    TargetKind,
    User,
    WebhookDelivery,
)
from tests.browser import FEATURED, USERNAME, seed_nova
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import LiveServer
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    live_server.seed(seed_nova)
    return live_server


def test_the_project_page_links_its_feed_and_the_feed_serves(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/projects/nova")
    link = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    assert href == "/projects/nova/feed.atom"
    response = page.request.get(site.url + href)
    assert response.status == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.body())
    assert feed.bozo == 0
    assert feed.entries, "the seeded nova project has activity"
    assert all(entry.link.startswith(site.url + "/projects/nova") for entry in feed.entries)
    assert any(FEATURED.title in entry.title for entry in feed.entries), [e.title for e in feed.entries]


def log_in(page: Page, site: LiveServer) -> None:
    page.goto(site.url + "/login")
    page.get_by_label("User name or email").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)


def test_a_user_makes_a_feed_address_and_revokes_it(site: LiveServer, page: Page) -> None:
    log_in(page, site)
    page.goto(site.url + "/account/feed")
    assert_accessible(page)
    page.get_by_role("button", name="Make my feed address").click()
    expect(page.get_by_role("heading", name="Your feed address")).to_be_visible()
    assert_accessible(page)
    address = page.get_by_label("Feed address").input_value()
    assert address.startswith(site.url + "/feeds/") and address.endswith(".atom")
    served = page.request.get(address)
    assert served.status == 200 and feedparser.parse(served.body()).bozo == 0

    page.get_by_role("link", name="Back to your feed settings").click()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke the feed address").click()
    expect(page.get_by_text("Feed address revoked")).to_be_visible()
    assert page.request.get(address).status == 404


def _hook_with_attempts(db: Session) -> int:
    rey = db.scalars(select(User).where(User.username == USERNAME)).one()
    nova = db.scalars(select(Project).where(Project.name == "nova")).one()
    subscription = Subscription(user_id=rey.id, kind=TargetKind.PROJECT, project_id=nova.id,
                                channel=AlertChannel.WEBHOOK, webhook_url="https://hooks.example.org/rey",
                                webhook_secret="s")
    db.add(subscription)
    event = events.record(db, events.EventKind.PROJECT_CHANGED, project_id=nova.id, change="sources", name="nova")
    db.flush()
    notification = Notification(user_id=rey.id, event_id=event.id, channel=AlertChannel.WEBHOOK,
                                subscription_id=subscription.id, status=NotificationStatus.SENT)
    db.add(notification)
    db.flush()
    db.add_all([
        WebhookDelivery(notification_id=notification.id, subscription_id=subscription.id, url="https://hooks.example.org/rey",
                        address="203.0.113.9", status_code=503, error="the receiver answered 503; will retry",
                        duration_ms=40),
        WebhookDelivery(notification_id=notification.id, subscription_id=subscription.id, url="https://hooks.example.org/rey",
                        address="203.0.113.9", status_code=200, duration_ms=12),
    ])
    return subscription.id


def test_the_delivery_log_reads_well(site: LiveServer, page: Page) -> None:
    subscription_id = site.seed(_hook_with_attempts)
    log_in(page, site)
    page.goto(f"{site.url}/subscriptions/{subscription_id}/deliveries")
    table = page.get_by_role("table", name="Delivery attempts")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("200")
    expect(table.locator("tbody tr").last).to_contain_text("will retry")
    assert_accessible(page)
