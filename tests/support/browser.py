"""Browser tests: a live portal on a free loopback port and Debian's Chromium via Playwright.

Add a UI test in minutes::

    @pytest.mark.browser
    def test_something(live_server, page):
        live_server.seed(lambda db: ...)          # optional: rows through the services
        page.goto(live_server.url + "/")
        expect(page.get_by_role("heading", name="...")).to_be_visible()

The live server has its own database (a fresh SQLite file, or a fresh
PostgreSQL database when PORTAL_TEST_DATABASE_URL is set), migrated to head;
``seed`` commits for real, since the server runs in another thread.
Chromium is never downloaded: ``/usr/bin/chromium`` must exist (apt-get
install chromium). Without it the browser tests skip and say so, unless
``PORTAL_REQUIRE_BROWSER=1`` (set by CI), where they fail instead.

Fixtures: ``chromium`` (one browser per run) and ``page`` (a fresh context
per test, the site's CSP enforced; the test fails if the browser reports a
CSP refusal, a script error or a stylesheet/script/image that did not load).
``page.evaluate`` runs through the DevTools protocol, outside the page's CSP,
which is how ``tests/browser/test_accessibility.py`` injects axe-core.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from portal.app import create_app
from portal.db import migrations
from portal.db.engine import make_engine, make_session_factory
from portal.settings import Settings
from tests.support.pg import scratch_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 800}


@dataclass
class LiveServer:
    url: str
    settings: Settings
    session_factory: Any

    def seed(self, build: Callable[[Session], Any]) -> Any:
        """Run ``build(session)`` and commit, so the server sees the rows."""
        with self.session_factory() as session:
            result = build(session)
            session.commit()
            return result


@contextmanager
def _live_database_url(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'live.db'}"
        return
    with scratch_database(base, "live") as url:
        yield url


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    with _live_database_url(tmp_path) as database_url:
        yield from _serve(tmp_path, database_url)


def _serve(tmp_path: Path, database_url: str, **overrides: Any) -> Iterator[LiveServer]:
    """A live portal; ``overrides`` are settings (e.g. a sign-in provider for tests/browser/test_oidc_browser.py)."""
    migrations.upgrade(database_url)
    settings = Settings.for_testing(tmp_path / "live-instance", database_url, **overrides)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    app = create_app(settings, session_factory=factory)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", settings=settings, session_factory=factory)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["portal"].engine.dispose()
        engine.dispose()


def _chromium_missing() -> str | None:
    if CHROMIUM.exists():
        return None
    return f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run browser tests"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Debian Chromium for the whole run (a Playwright ``Browser``)."""
    message = _chromium_missing()
    if message:
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (PORTAL_REQUIRE_BROWSER=1: browser tests are mandatory here)")
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: a loaded CI machine is slower than a laptop.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """What the browser complained about while a test ran: CSP refusals, script errors, missing files.

    Error *statuses of the page itself* are not problems (a wrong password
    answers 401 on purpose); a stylesheet, script, image or font that fails
    to load is.
    """

    SUBRESOURCES = frozenset({"stylesheet", "script", "image", "font"})

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"uncaught script error: {error}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # CSP refusals, and files refused under nosniff (a missing stylesheet answered as text/html).
        if message.type == "error" and ("Content Security Policy" in message.text or "Refused to" in message.text):
            self.messages.append(f"browser refused: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type in self.SUBRESOURCES:
            self.messages.append(f"{response.request.resource_type} {response.url} answered {response.status}")


def _new_page(chromium: Any, **context_options: Any) -> tuple[Any, Any, PageProblems]:
    context = chromium.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC", **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, page, PageProblems(page)


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh page (own cookies) with the site's CSP enforced.

    The test fails if the browser logged an error while it ran: a CSP
    refusal (an inline script or style crept into a template), a script
    error, or a file that did not load.
    """
    context, page, problems = _new_page(chromium)
    yield page
    context.close()
    if problems.messages:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems.messages))
