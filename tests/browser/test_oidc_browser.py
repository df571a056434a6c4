"""The whole OpenID Connect sign-in in Chromium: BOB's login page, the provider's form, back to BOB, sign out.

Both servers listen on 127.0.0.1; every other request the browser tries
(the test provider's page links a CDN stylesheet) is aborted and listed, so
the test proves nothing left the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts import oidc
from portal.models import ExternalIdentity, User
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import LiveServer, _live_database_url, _serve
from tests.support.oidc_provider import Provider, running_provider

pytestmark = pytest.mark.browser


@pytest.fixture
def provider() -> Iterator[Provider]:
    oidc.forget_cached_provider()
    with running_provider() as provider:
        yield provider
    oidc.forget_cached_provider()


@pytest.fixture
def oidc_live_server(tmp_path: Path, provider: Provider) -> Iterator[LiveServer]:
    with _live_database_url(tmp_path) as database_url:
        yield from _serve(tmp_path, database_url, **provider.settings(oidc_roles_claim="groups"))


def _loopback_only(page: Any) -> list[str]:
    refused: list[str] = []

    def route(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return refused


def test_sign_in_with_openid_connect_and_sign_out(oidc_live_server: LiveServer, provider: Provider, page) -> None:
    provider.set_user("sub-carlos", preferred_username="carlos", name="Carlos Ops", email="carlos@ops.example.org",
                      email_verified=True, groups=["reviewer"])
    refused = _loopback_only(page)
    page.goto(oidc_live_server.url + "/login")
    assert_accessible(page)
    page.get_by_role("link", name="Sign in with 127.0.0.1").click()

    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    assert page.url.startswith(provider.url + "/oauth2/authorize?")
    page.get_by_placeholder("sub").fill("sub-carlos")
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_text("Welcome, Carlos Ops. You are logged in with 127.0.0.1.")).to_be_visible()
    assert page.url == oidc_live_server.url + "/"
    page.goto(oidc_live_server.url + "/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("carlos · carlos@ops.example.org")).to_be_visible()
    expect(page.get_by_role("button", name="Remove the link to carlos@ops.example.org")).to_be_visible()
    assert_accessible(page)

    def stored(db: Any) -> tuple[str, str, str]:
        identity = db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == "sub-carlos"))
        user = db.get(User, identity.user_id)
        return user.username, user.role, identity.issuer

    assert oidc_live_server.seed(stored) == ("carlos", "reviewer", provider.url)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.goto(oidc_live_server.url + "/account")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert all(urlsplit(url).hostname != "127.0.0.1" for url in refused)
    assert any("cdn.jsdelivr.net" in url for url in refused), refused
