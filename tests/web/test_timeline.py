"""The spec page's timeline in pages: newest first, a bounded number of entries, plain links to the rest.

A spec with 900 comments rendered all of them (900 KB, about 0.04 ms of
Python per comment); now a page holds at most ``PAGE_SIZE`` entries and the
"Older entries" / "Newer entries" links are ordinary links, so paging works
without JavaScript.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.clock import now
from portal.specs.timeline import PAGE_SIZE
from tests.support.html import text_of
from tests.web.test_pages import hrefs, timeline_html

ENTRY = re.compile(r'<li class="timeline-entry source-(\w+) kind-(\w+)" id="([\w-]+)">(.*?)</li>', re.S)
COMMENTS = 2 * PAGE_SIZE + 17  # three pages with the spec file's revision


@pytest.fixture
def busy(db, make_project, make_spec, make_comment):
    spec = make_spec(name="busy-spec", project=make_project("nova"))
    base = now()
    for i in range(COMMENTS):  # comment i is i minutes after the spec file was imported
        make_comment(spec, f"Comment number {i}.", created_at=base + timedelta(minutes=i + 1))
    db.flush()
    return spec


def entries(html: str) -> list[tuple[str, str, str]]:
    """(kind, anchor, text) of each timeline entry, in page order."""
    return [(kind, anchor, text_of(body)) for _, kind, anchor, body in ENTRY.findall(timeline_html(html))]


def link(html: str, label: str) -> str | None:
    found = re.search(rf'<a class="page-link" rel="\w+" href="([^"]+)">{label}</a>', timeline_html(html))
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_first_page_shows_the_newest_entries_and_links_to_older_ones(client, busy):
    html = client.get("/projects/nova/specs/busy-spec").get_data(as_text=True)

    shown = entries(html)
    assert len(shown) == PAGE_SIZE
    assert shown[0][2].endswith(f"Comment number {COMMENTS - 1}.")
    assert shown[-1][2].endswith(f"Comment number {COMMENTS - PAGE_SIZE}.")
    status = text_of(re.search(r'<p class="small text-body-secondary" role="status">(.*?)</p>',
                               timeline_html(html), re.S).group(1))
    assert status == f"Newest first: entries 1–{PAGE_SIZE} of {COMMENTS + 1} ({COMMENTS} comments)."
    older = link(html, "Older entries")
    assert older is not None and parse_qs(urlsplit(older).query) == {"timeline_page": ["2"]}
    assert older.endswith("#timeline-heading")
    assert link(html, "Newer entries") is None


def test_following_the_links_shows_every_entry_once_in_order(client, busy):
    url: str | None = "/projects/nova/specs/busy-spec"
    seen: list[tuple[str, str, str]] = []
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        page = entries(html)
        assert 0 < len(page) <= PAGE_SIZE
        seen += page
        pages += 1
        url = link(html, "Older entries")

    assert pages == 3
    assert len({anchor for _, anchor, _ in seen}) == len(seen) == COMMENTS + 1
    numbers = [int(re.search(r"Comment number (\d+)", text).group(1)) for kind, _, text in seen if kind == "comment"]
    assert numbers == list(range(COMMENTS - 1, -1, -1))
    assert seen[-1][0] == "revision"  # the spec file came first, so it is the oldest entry


def test_an_older_page_links_back_to_the_newer_ones(client, busy):
    html = client.get("/projects/nova/specs/busy-spec?timeline_page=3").get_data(as_text=True)

    newer = link(html, "Newer entries")
    assert newer is not None and parse_qs(urlsplit(newer).query) == {"timeline_page": ["2"]}
    assert link(html, "Older entries") is None
    second = client.get("/projects/nova/specs/busy-spec?timeline_page=2").get_data(as_text=True)
    first = link(second, "Newer entries")
    assert first is not None and "timeline_page" not in first  # page 1 is the spec's own address


@pytest.mark.parametrize("value", ["x", "0", "-2", "99999999999999999999", "1.5"])
def test_a_bad_timeline_page_shows_the_newest_entries_and_says_why(client, busy, value):
    response = client.get(f"/projects/nova/specs/busy-spec?timeline_page={value}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    warning = re.search(r'<div class="alert alert-warning" role="alert">(.*?)</div>', timeline_html(html), re.S)
    assert warning is not None
    assert "timeline_page must be a whole number from 1 to 1000000" in text_of(warning.group(1))
    assert entries(html)[0][2].endswith(f"Comment number {COMMENTS - 1}.")


def test_a_page_past_the_end_links_to_the_newest_entries(client, busy):
    html = client.get("/projects/nova/specs/busy-spec?timeline_page=9").get_data(as_text=True)

    assert entries(html) == []
    assert "Page 9 is past the end of the discussion, which has 3 pages. Go to the newest entries" in text_of(
        timeline_html(html))
    assert "/projects/nova/specs/busy-spec#timeline-heading" in hrefs(timeline_html(html))


def test_a_short_timeline_has_no_pager(client, db, make_project, make_spec, make_comment):
    spec = make_spec(name="quiet-spec", project=make_project("nova"))
    make_comment(spec, "Only one comment.")
    db.flush()

    html = client.get("/projects/nova/specs/quiet-spec").get_data(as_text=True)

    assert [kind for kind, _, _ in entries(html)] == ["comment", "revision"]
    assert "Older entries" not in html and "Newer entries" not in html
