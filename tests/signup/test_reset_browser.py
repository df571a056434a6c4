"""Password reset in Chromium (CSP enforced): forgot → mail → link → new password → logged in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.accounts import passwords
from portal.accounts import service as accounts
from tests.signup.conftest import BASE_URL, Inbox
from tests.support.browser import LiveServer, _live_database_url, _serve
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-brand-new-secret-42"


@pytest.fixture
def mailing_server(tmp_path: Path, inbox: Inbox, smtp_port: int) -> Iterator[LiveServer]:
    with _live_database_url(tmp_path) as database_url:
        yield from _serve(tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=smtp_port,
                          mail_from="BOB <bob@example.org>", base_url=BASE_URL, self_signup=True)


def test_forgotten_password_is_reset_through_the_mailed_link(mailing_server: LiveServer, page: Page,
                                                             inbox: Inbox) -> None:
    site = mailing_server
    site.seed(lambda db: accounts.create_user(db, None, "alice", email="alice@example.org", role="operator",
                                              password=PASSWORD, hasher=passwords.hasher(testing=True)))
    page.goto(site.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address of your account").fill("alice@example.org")
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_text("If an account has the address alice@example.org")).to_be_visible()

    assert len(inbox.messages) == 1
    page.goto(site.url + inbox.link())
    page.get_by_label("New password (at least 10 characters)").fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()

    page.get_by_label("User name or email").fill("alice")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)

    page.goto(site.url + inbox.link())
    expect(page.get_by_text("has been used already")).to_be_visible()
