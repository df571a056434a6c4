"""The discussion in Chromium: hostile comments stay inert, commenting works with and without JavaScript, axe passes.

The XSS corpus goes in the way users send it (``add_comment``, ``add_link_comment``,
and the importers' ``import_comment`` for a link whose address BOB did not check),
then the real page is loaded with the site's CSP enforced. Every payload aims at a
canary HTTP server on 127.0.0.1: the test asserts that the canary saw no request,
that no dialog opened, that no ``window.__xss`` was set, and that no element of the
timeline kept an event-handler attribute or a script URL after Chromium parsed it
(mutation XSS shows up only there). The ``page`` fixture also fails the test on any
CSP refusal, so the sanitiser, not the CSP, is what stopped each payload.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.discussion import service as discussion
from portal.models import CommentSource, Spec, User
from tests.browser import FEATURED, USERNAME, seed_nova
from tests.browser.test_accessibility import assert_accessible, log_in
from tests.support.browser import LiveServer, _new_page
from tests.support.http_server import ScriptedServer, scripted_server

pytestmark = pytest.mark.browser
SPEC_PATH = f"/projects/nova/specs/{FEATURED.name}"


def corpus(canary: str) -> list[str]:
    """Markdown comments that try to run script or make the browser call ``canary``."""
    return [
        f"<script>window.__xss=1;fetch('{canary}/script')</script>",
        f"<img src={canary}/img onerror=window.__xss=1>",
        f"<svg onload=\"window.__xss=1\"><image href='{canary}/svg'/></svg>",
        f"<iframe src=\"{canary}/iframe\"></iframe>",
        f"<object data=\"{canary}/object\"></object><embed src=\"{canary}/embed\">",
        f"<link rel=stylesheet href=\"{canary}/css\"><style>@import '{canary}/import';</style>",
        f"<meta http-equiv=\"refresh\" content=\"0;url={canary}/refresh\">",
        f"<base href=\"{canary}/base/\">",
        f"<form action=\"{canary}/form\"><button>Log in again</button></form>",
        f"<video poster=\"{canary}/poster\"><source src=\"{canary}/video\"></video>",
        f"<math><mtext><table><mglyph><style><img src={canary}/mxss onerror=window.__xss=1>",
        f"<noscript><p title=\"</noscript><img src={canary}/noscript onerror=window.__xss=1>\">",
        f"![tracking pixel]({canary}/markdown-image)",
        "[click me](javascript:window.__xss=1)",
        "[click me](JaVaScRiPt:window.__xss=1)",
        "[entity](&#106;avascript:window.__xss=1)",
        "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
        "<javascript:window.__xss=1>",
        '[title](https://example.org "onmouseover=window.__xss=1")',
        f"<a href=\"{canary}/a\" onmouseover=\"window.__xss=1\" style=\"position:fixed;inset:0\">hover</a>",
        f"<div style=\"background:url({canary}/style)\">styled</div>",
        "<p class=\"fixed-top vh-100 modal d-block\">Session expired, log in again</p>",
        "```html\n<script>window.__xss=1</script>\n```",
        "`<img src=x onerror=window.__xss=1>`",
        "@<script>window.__xss=1</script> mention",
        f"<!-- <img src={canary}/comment> --> hidden comment",
        f"<details open ontoggle=window.__xss=1><summary>x</summary></details><audio src={canary}/audio>",
    ]


@pytest.fixture
def canary() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


def seed_hostile(db: Any, canary_url: str) -> None:
    seed_nova(db)
    spec = db.scalars(select(Spec).where(Spec.name == FEATURED.name)).one()
    rey = db.scalars(select(User).where(User.username == USERNAME)).one()
    first = None
    for n, body in enumerate(corpus(canary_url)):
        comment = discussion.add_comment(db, rey, spec, f"payload {n}: {body}",
                                         in_reply_to=first.id if first and n % 3 == 0 else None)
        first = first or comment
    discussion.add_link_comment(db, rey, spec, url=f"{canary_url}/not-fetched",
                                title="<script>window.__xss=1</script> meeting", summary="<b onclick=x>points</b>")
    for n, url in enumerate(("javascript:window.__xss=1", "data:text/html,<script>window.__xss=1</script>")):
        discussion.import_comment(db, spec, source=CommentSource.LINK, external_id=f"hostile-{n}",
                                  author_name="<img src=x onerror=window.__xss=1>", body="imported link",
                                  created_at=spec.created_at, url=url)


DOM_CHECK = """root => {
    const bad = [];
    for (const el of root.querySelectorAll('*')) {
        for (const attr of el.attributes) {
            const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
            if (attr.name.startsWith('on')) bad.push(el.tagName + ' ' + attr.name);
            if (['href', 'src', 'action', 'formaction', 'data', 'poster'].includes(attr.name)
                && /^(javascript|data|vbscript):/.test(value)) bad.push(el.tagName + ' ' + attr.name + '=' + value);
            if (attr.name === 'style') bad.push(el.tagName + ' style');
        }
        const said = el.closest('.comment-body, .timeline-entry > .small, .timeline-reply > .small');
        if (said && ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'LINK', 'META', 'BASE', 'FORM', 'IMG',
                     'SVG', 'VIDEO', 'AUDIO', 'MATH'].includes(el.tagName.toUpperCase()))
            bad.push('element ' + el.tagName);
    }
    return bad;
}"""


def test_hostile_comments_run_nothing_and_call_nowhere(live_server: LiveServer, page: Page, canary) -> None:
    live_server.seed(lambda db: seed_hostile(db, canary.url))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url))

    page.goto(live_server.url + SPEC_PATH)
    page.wait_for_load_state("networkidle")
    # Hover and focus everything in the timeline: a surviving handler would fire now.
    page.eval_on_selector_all(".timeline *", """els => els.forEach(el => {
        for (const type of ['mouseover', 'focus', 'click', 'toggle', 'load', 'error'])
            if (el.tagName !== 'A' && el.tagName !== 'BUTTON' && el.tagName !== 'SUMMARY')
                el.dispatchEvent(new Event(type));
    })""")
    page.wait_for_timeout(300)

    expect(page.locator("ol.timeline")).to_contain_text("payload 0: <script>")  # shown as text, not run
    expect(page.locator("ol.timeline")).to_contain_text("<script>window.__xss=1</script> meeting")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
    assert canary.requests == [], [r.path for r in canary.requests]
    assert outside == []
    assert page.eval_on_selector("ol.timeline", DOM_CHECK) == []
    # The imported links with script URLs are not links at all.
    assert page.locator("ol.timeline a[href^='javascript'], ol.timeline a[href^='data']").count() == 0
    # A link in a comment says it is user-generated.
    rels = page.eval_on_selector_all(".comment-body a[href]", "els => els.map(a => a.rel)")
    assert rels and all("nofollow" in rel and "ugc" in rel for rel in rels)
    # And nothing covers the page's own controls.
    positions = page.eval_on_selector_all(".comment-body *", "els => els.map(el => getComputedStyle(el).position)")
    assert set(positions) <= {"static"}


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    live_server.seed(seed_nova)
    return live_server


def test_commenting_replying_and_editing_in_the_browser_pass_axe(site: LiveServer, page: Page) -> None:
    log_in(page, site)
    page.goto(site.url + SPEC_PATH)
    assert_accessible(page)

    page.get_by_label("Your comment").fill("")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#discussion-error")).to_have_text("The comment is empty: write something before posting.")
    assert_accessible(page)  # the error state, announced and linked to the field

    page.get_by_label("Your comment").fill("We run **3,000** hypervisors; @rey take note")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Your comment is posted.")).to_be_visible()
    mine = page.locator("ol.timeline > li").first
    expect(mine).to_contain_text("Rey Operator commented")
    expect(mine.locator("strong", has_text="3,000")).to_be_visible()

    mine.locator("summary", has_text="Reply").click()
    mine.get_by_label("Your reply to Rey Operator").fill("And 40 cells.")
    assert_accessible(page)  # with a reply form open
    mine.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Your reply is posted in its thread.")).to_be_visible()
    reply = page.locator("ol.timeline > li").first.locator("ol.comment-replies > li")
    expect(reply).to_contain_text("And 40 cells.")

    page.locator("ol.timeline > li").first.get_by_role("link", name="Edit your comment").first.click()
    expect(page.get_by_role("heading", name="Edit your comment")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Text").fill("We run **3,500** hypervisors")
    page.get_by_role("button", name="Save the new version").click()
    expect(page.get_by_text("Comment edited; the earlier version is kept in its history.")).to_be_visible()
    page.locator("ol.timeline > li").first.get_by_role("link", name="edited").click()
    expect(page.get_by_text("We run 3,000 hypervisors; @rey take note")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="My activity").click()
    expect(page.get_by_role("heading", name="My votes and comments")).to_be_visible()
    expect(page.locator(".my-comments > li")).to_have_count(3)  # the seeded comment, the comment, the reply
    assert_accessible(page)

    page.goto(site.url + SPEC_PATH)
    page.locator("ol.timeline > li").first.get_by_role("link", name="Delete the comment by Rey Operator").first.click()
    assert_accessible(page)
    page.get_by_role("button", name="Delete the comment").click()
    expect(page.get_by_text("Your comment is deleted.")).to_be_visible()
    expect(page.locator("ol.timeline > li").first).to_contain_text("This comment was deleted. Its replies are kept")


def test_a_link_to_an_outside_discussion_without_javascript(site: LiveServer, chromium: Any) -> None:
    context, page, problems = _new_page(chromium, java_script_enabled=False)
    try:
        log_in(page, site)
        page.goto(site.url + SPEC_PATH)
        page.get_by_text("Record an outside discussion").click()
        page.get_by_label("Address of the discussion").fill("https://meetings.opendev.org/meetings/nova/2026/x.html")
        page.get_by_label("Title").fill("nova meeting 2026-11-20")
        page.get_by_label("Salient points").fill("- drain mode agreed\n- needs a release note")
        page.get_by_role("button", name="Record the discussion").click()
        recorded = "The discussion “nova meeting 2026-11-20” is recorded in the timeline."
        expect(page.get_by_text(recorded)).to_be_visible()
        entry = page.locator("ol.timeline > li").first
        expect(entry.locator(".source-badge")).to_have_text("Link")
        expect(entry.get_by_role("link", name="nova meeting 2026-11-20")).to_have_attribute(
            "href", "https://meetings.opendev.org/meetings/nova/2026/x.html")
        expect(entry.locator("li", has_text="drain mode agreed")).to_be_visible()
    finally:
        context.close()
    assert problems.messages == []


def test_the_checks_catch_a_payload_that_bypassed_the_sanitiser(live_server: LiveServer, chromium: Any,
                                                                canary) -> None:
    """Guards the guard: raw HTML stored without the service is caught by the DOM check, and the CSP (the
    second line) refuses its request, which the ``page`` fixture would report as a failure."""
    from portal.models import Comment

    def seed(db: Any) -> None:
        seed_nova(db)
        spec = db.scalars(select(Spec).where(Spec.name == FEATURED.name)).one()
        db.add(Comment(spec_id=spec.id, source="portal", author_name="x", body="raw",
                       body_html=f'<img src="{canary.url}/raw" onerror="window.__xss=1">'))

    live_server.seed(seed)
    context, page, problems = _new_page(chromium)
    try:
        page.goto(live_server.url + SPEC_PATH)
        page.wait_for_load_state("networkidle")
        assert "IMG onerror" in page.eval_on_selector("ol.timeline", DOM_CHECK)
    finally:
        context.close()
    assert canary.requests == []  # CSP img-src stopped it…
    assert any("Content Security Policy" in m for m in problems.messages), problems.messages  # …and said so
