"""The public pages as a reader sees them: home, a project's spec list, one spec.

Every assertion is about what the page shows (text, links, order, warnings)
or the status code a browser gets.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from portal.clock import now
from portal.models import Comment, GerritChange, Project, Spec, SpecState
from portal.specs.document import MAX_SPEC_BYTES
from tests.support.factories import spec_rst
from tests.support.html import text_of

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ALL_STATES = "proposed, approved, implemented, backlog, abandoned, not_implemented, retired"


# --- reading pages ------------------------------------------------------------


class _Tags(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


def tags_of(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def hrefs(html: str) -> list[str]:
    return [attrs["href"] for tag, attrs in tags_of(html) if tag == "a" and "href" in attrs]


def table_rows(html: str) -> list[list[str]]:
    """The visible text of each cell of the spec table's body rows."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if body is None:
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [[text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


COLUMNS = ("title", "name", "release", "state", "sources", "operability", "comments", "activity")


def listed(html: str) -> list[str]:
    """Spec names in the order the project page lists them."""
    return [row[COLUMNS.index("name")] for row in table_rows(html)]


def row_of(html: str, name: str) -> dict[str, str]:
    for row in table_rows(html):
        if row[COLUMNS.index("name")] == name:
            return dict(zip(COLUMNS, row, strict=True))
    raise AssertionError(f"{name} is not listed")


def aria_sort(html: str) -> dict[str, str]:
    """Column label -> aria-sort value, for the headers that carry one."""
    out = {}
    for attrs, inner in re.findall(r"<th ([^>]*)>(.*?)</th>", html, re.S):
        match = re.search(r'aria-sort="([a-z]+)"', attrs)
        if match:
            label = text_of(re.sub(r'<span class="visually-hidden">.*?</span>', "", inner))
            out[label.replace("▲", "").replace("▼", "").strip()] = match.group(1)
    return out


def header_link(html: str, label: str) -> str:
    for inner in re.findall(r"<th [^>]*>(.*?)</th>", html, re.S):
        visible = text_of(re.sub(r'<span class="visually-hidden">.*?</span>', "", inner))
        if visible.replace("▲", "").replace("▼", "").strip() == label:
            return hrefs(inner)[0]
    raise AssertionError(f"no sortable column {label!r}")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def page_body(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def timeline_html(html: str) -> str:
    return html.split('id="timeline-heading"', 1)[1].split("</main>", 1)[0]


def article_html(html: str) -> str:
    return html.split('<article class="spec-body"', 1)[1].split("</article>", 1)[0]


# --- data ---------------------------------------------------------------------


def add_review(db: Session, spec: Spec, number: int, status: str = "NEW", **kwargs) -> GerritChange:
    review = GerritChange(
        spec_id=spec.id, repo="openstack/nova-specs", change_number=number, change_id=f"I{number:040d}",
        status=status, subject=kwargs.pop("subject", f"Propose {spec.name}"), owner_name=kwargs.pop("owner", "Ada"),
        current_patch_set=kwargs.pop("patch_set", 3), url=kwargs.pop("url", f"https://review.opendev.org/c/{number}"),
        **kwargs,
    )
    db.add(review)
    db.flush()
    return review


def launchpad_only(db: Session, project: Project, name: str, title: str, status: str = "New") -> Spec:
    """A blueprint known only from Launchpad: no spec file yet."""
    spec = Spec(
        project_id=project.id, name=name, title=title, state=SpecState.PROPOSED.value, release=None,
        blueprint_url=f"https://blueprints.launchpad.net/{project.name}/+spec/{name}",
        lp_definition_status=status, lp_implementation_status="Unknown",
    )
    db.add(spec)
    db.flush()
    return spec


@pytest.fixture
def nova(db, make_project, make_spec, make_comment):
    """Five nova specs covering every filter: states, releases, sources, words."""
    nova = make_project("nova", title="Nova (compute)", gerrit_repo="openstack/nova-specs", launchpad="nova")
    live = make_spec(name="live-migrate-fast", title="Faster live migration", project=nova, release="2025.1")
    cpu = make_spec(name="cpu-pinning-report", title="Report CPU pinning", project=nova, release="2025.1",
                    state=SpecState.IMPLEMENTED)
    old = make_spec(name="old-idea", title="An old idea", project=nova, release=None, state=SpecState.BACKLOG)
    logs = make_spec(name="migrate-logs", title="Keep logs", project=nova, release="2024.2")
    lp = launchpad_only(db, nova, "lp-only", "Only on Launchpad")
    add_review(db, live, 900001, labels=[{"label": "Code-Review", "value": 2, "by": "Ada"}])
    cpu.lp_definition_status = "Approved"
    cpu.lp_implementation_status = "Implemented"
    make_comment(live, "One.")
    make_comment(live, "Two.")
    gone = make_comment(live, "Deleted, not counted.")
    gone.deleted_at = now()
    for i, spec in enumerate((live, cpu, old, logs, lp)):
        spec.last_activity_at = T0 - timedelta(days=i)
    db.flush()
    return nova


# --- home ---------------------------------------------------------------------


def test_home_lists_projects_with_spec_counts_per_state(client, db, nova, make_project, make_spec):
    cinder = make_project("cinder", title="Cinder (block storage)")
    make_spec(name="backup-speed", project=cinder, state=SpecState.IMPLEMENTED)
    db.flush()

    response = client.get("/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(page_body(html))
    assert "Nova (compute)" in text and "Cinder (block storage)" in text
    nova_row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "Nova (compute)" in r)
    cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", nova_row, re.S)]
    assert cells[1] == "5"  # specs in total
    assert "approved specs: 2" in cells[2] and "implemented specs: 1" in cells[2]
    assert "backlog specs: 1" in cells[2] and "proposed specs: 1" in cells[2]
    assert "/projects/nova?state=approved" in hrefs(nova_row)


def test_home_state_count_links_open_the_filtered_project_page(client, nova):
    html = client.get("/").get_data(as_text=True)
    link = next(h for h in hrefs(html) if h == "/projects/nova?state=implemented")

    listing = client.get(link).get_data(as_text=True)

    assert listing.count("<tr>") - 1 == 1  # header row + one spec
    assert listed(listing) == ["cpu-pinning-report"]


def test_home_recent_activity_links_new_and_updated_specs(client, db, make_project, make_spec):
    nova = make_project("nova")
    make_spec(name="first-spec", title="First spec", project=nova, release="2024.2")
    make_spec(name="first-spec", title="First spec", project=nova, release="2025.1")  # re-proposed
    make_spec(name="second-spec", title="Second spec", project=nova)
    db.flush()

    html = client.get("/").get_data(as_text=True)
    activity = html.split('id="activity-heading"', 1)[1]
    items = [text_of(li) for li in re.findall(r"<li[^>]*>(.*?)</li>", activity, re.S)]

    assert items[0].endswith("New spec Second spec (nova)")
    assert items[1].endswith("Spec updated First spec (nova)")
    assert items[2].endswith("New spec First spec (nova)")
    assert items[3].endswith("Project added: nova")
    assert "/projects/nova/specs/first-spec" in hrefs(activity)
    assert "/projects/nova/specs/second-spec" in hrefs(activity)


def test_home_without_projects_tells_the_admin_how_to_add_one(client):
    text = text_of(page_body(client.get("/").get_data(as_text=True)))

    assert "No projects yet" in text
    assert "portal projects add nova --gerrit-repo openstack/nova-specs --launchpad nova" in text
    assert "portal import specs --project nova DIR" in text
    assert "Nothing has happened yet." in text


# --- project page: the list -----------------------------------------------------


def test_project_page_lists_every_column(client, nova):
    html = client.get("/projects/nova").get_data(as_text=True)

    assert listed(html) == ["live-migrate-fast", "cpu-pinning-report", "old-idea", "migrate-logs", "lp-only"]
    assert row_of(html, "live-migrate-fast") == {
        "title": "Faster live migration", "name": "live-migrate-fast", "release": "2025.1", "state": "approved",
        "sources": "Spec file Gerrit", "operability": "not checked", "comments": "2", "activity": "2025-03-01",
    }
    assert row_of(html, "cpu-pinning-report")["sources"] == "Spec file Launchpad Implemented"
    assert row_of(html, "lp-only") | {"activity": ""} == {
        "title": "Only on Launchpad", "name": "lp-only", "release": "—", "state": "proposed",
        "sources": "Launchpad no design document", "operability": "not checked", "comments": "0", "activity": "",
    }
    assert "/projects/nova/specs/live-migrate-fast" in hrefs(html)
    assert "5 specs." in text_of(html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=approved", {"live-migrate-fast", "migrate-logs"}),
        ("state=backlog", {"old-idea"}),
        ("release=2025.1", {"live-migrate-fast", "cpu-pinning-report"}),
        ("release=none", {"old-idea", "lp-only"}),
        ("source=file", {"live-migrate-fast", "cpu-pinning-report", "old-idea", "migrate-logs"}),
        ("source=gerrit", {"live-migrate-fast"}),
        ("source=launchpad", {"cpu-pinning-report", "lp-only"}),
        ("q=migrat", {"live-migrate-fast", "migrate-logs"}),
        ("q=CPU", {"cpu-pinning-report"}),
        ("q=100%25", set()),  # % is a literal, not a wildcard
        ("state=approved&release=2025.1", {"live-migrate-fast"}),
        ("q=migrat&release=2024.2", {"migrate-logs"}),
        ("source=launchpad&release=none", {"lp-only"}),
        ("state=approved&source=gerrit&q=live&release=2025.1", {"live-migrate-fast"}),
        ("state=implemented&source=gerrit", set()),
    ],
)
def test_project_page_filters_from_the_url(client, nova, query, expected):
    response = client.get(f"/projects/nova?{query}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert set(listed(html)) == expected
    text = text_of(page_body(html))
    if expected:
        assert f"{len(expected)} spec{'' if len(expected) == 1 else 's'} match the filter." in text
    else:
        assert "No specs match. Clear the filter to see all of nova's specs." in text
    assert 'role="alert"' not in html


def test_project_page_filter_form_shows_the_bookmarked_filter(client, nova):
    html = client.get("/projects/nova?state=approved&release=none&source=gerrit&q=live+mig").get_data(as_text=True)

    assert '<option value="approved" selected>' in html
    assert '<option value="none" selected>' in html
    assert '<option value="gerrit" selected>' in html
    assert 'name="q" type="search" value="live mig"' in html


def test_project_page_filter_form_keeps_the_sort_and_page_size(client, nova):
    html = client.get("/projects/nova?sort=name&order=desc&per_page=2").get_data(as_text=True)
    form = html.split('aria-label="Filter specs"', 1)[1].split("</form>", 1)[0]

    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))

    assert hidden == {"sort": "name", "order": "desc", "per_page": "2"}


@pytest.fixture
def sortable(db, make_project, make_spec, make_comment):
    """Three specs whose order differs per column (X newest, Z oldest)."""
    project = make_project("sorty")
    x = make_spec(name="beta-x", title="Badger", project=project, release="2023.1", state=SpecState.IMPLEMENTED)
    y = make_spec(name="alpha-y", title="Cheetah", project=project, release="2025.2", state=SpecState.APPROVED)
    z = make_spec(name="gamma-z", title="Aardvark", project=project, release="2024.2", state=SpecState.BACKLOG)
    for _ in range(3):
        make_comment(x, "x")
    make_comment(z, "z")
    x.last_activity_at, y.last_activity_at, z.last_activity_at = T0, T0 - timedelta(days=1), T0 - timedelta(days=2)
    db.flush()
    return project


SORT_CASES = {
    # sort key: (column label, ascending order)
    "title": ("Title", ["gamma-z", "beta-x", "alpha-y"]),
    "name": ("Name", ["alpha-y", "beta-x", "gamma-z"]),
    "release": ("Release", ["beta-x", "gamma-z", "alpha-y"]),
    "state": ("State", ["alpha-y", "gamma-z", "beta-x"]),
    "comments": ("Comments", ["alpha-y", "gamma-z", "beta-x"]),
    "activity": ("Last activity", ["gamma-z", "alpha-y", "beta-x"]),
}


@pytest.mark.parametrize("key", SORT_CASES)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_project_page_sorts_by_each_column_both_ways(client, sortable, key, order):
    label, ascending = SORT_CASES[key]

    html = client.get(f"/projects/sorty?sort={key}&order={order}").get_data(as_text=True)

    assert listed(html) == (ascending if order == "asc" else ascending[::-1])
    assert aria_sort(html) == {label: "ascending" if order == "asc" else "descending"}


def test_project_page_default_order_is_latest_activity_first(client, sortable):
    html = client.get("/projects/sorty").get_data(as_text=True)

    assert listed(html) == ["beta-x", "alpha-y", "gamma-z"]
    assert aria_sort(html) == {"Last activity": "descending"}


def test_project_page_column_headers_toggle_the_order(client, sortable):
    html = client.get("/projects/sorty?state=").get_data(as_text=True)

    by_name = client.get(header_link(html, "Name")).get_data(as_text=True)
    assert aria_sort(by_name) == {"Name": "ascending"}
    assert listed(by_name) == ["alpha-y", "beta-x", "gamma-z"]

    reversed_ = client.get(header_link(by_name, "Name")).get_data(as_text=True)
    assert aria_sort(reversed_) == {"Name": "descending"}
    assert listed(reversed_) == ["gamma-z", "beta-x", "alpha-y"]

    back = client.get(header_link(reversed_, "Name")).get_data(as_text=True)
    assert aria_sort(back) == {"Name": "ascending"}


def test_project_page_sort_links_keep_the_filter(client, nova):
    html = client.get("/projects/nova?state=approved&q=mig&per_page=1").get_data(as_text=True)

    assert query_of(header_link(html, "Release")) == {
        "state": "approved", "q": "mig", "per_page": "1", "sort": "release"}


def test_project_page_paginates_and_next_prev_keep_the_filter(client, db, make_project, make_spec):
    project = make_project("paged")
    for i in range(5):
        make_spec(name=f"approved-{i}", project=project)
    make_spec(name="implemented-one", project=project, state=SpecState.IMPLEMENTED)
    db.flush()

    seen: list[str] = []
    url: str | None = "/projects/paged?state=approved&per_page=2&sort=name&order=desc"
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        pages += 1
        names = listed(html)
        assert len(names) == (2 if pages < 3 else 1)
        assert f"Page {pages} of 3" in text_of(html)
        seen += names
        links = re.findall(r'href="([^"]+)" rel="(next|prev)"', html)
        by_rel = {rel: link.replace("&amp;", "&") for link, rel in links}
        for link in by_rel.values():
            assert query_of(link) | {"page": "-"} == {
                "state": "approved", "per_page": "2", "sort": "name", "order": "desc", "page": "-"}
        assert ("prev" in by_rel) == (pages > 1)
        if pages > 1:
            assert query_of(by_rel["prev"])["page"] == str(pages - 1)
        url = by_rel.get("next")

    assert pages == 3
    assert seen == [f"approved-{i}" for i in (4, 3, 2, 1, 0)]


def test_project_page_past_the_last_page_links_back_to_the_first(client, nova):
    html = client.get("/projects/nova?state=approved&per_page=1&page=9").get_data(as_text=True)

    assert listed(html) == []
    assert "Page 9 is past the end of this list, which has 2 pages. Go to the first page" in text_of(html)
    first = next(h for h in hrefs(page_body(html)) if "per_page=1" in h)
    assert query_of(first) == {"state": "approved", "per_page": "1"}
    assert listed(client.get(first.replace("&amp;", "&")).get_data(as_text=True)) == ["live-migrate-fast"]


@pytest.mark.parametrize(
    ("query", "warning", "still_listed"),
    [
        ("state=bogus", f"Unknown state 'bogus'. Allowed: {ALL_STATES}.", 5),
        ("source=svn", "Unknown source 'svn'. Allowed: file, gerrit, launchpad.", 5),
        ("sort=size", "Unknown sort 'size'. Allowed: activity, name, title, release, state, comments, score.", 5),
        ("order=up", "Unknown order 'up'. Allowed: asc, desc.", 5),
        ("page=x", "page must be a whole number >= 1.", 5),
        ("page=0", "page must be a whole number >= 1.", 5),
        ("per_page=1000", "per_page can be at most 200.", 5),
        ("state=bogus&release=2025.1", "Unknown state 'bogus'.", 2),  # the valid part still applies
        # hostile input: an OFFSET above 2**63 was a 500 (SQLite OverflowError); a long text was cut silently
        ("page=99999999999999999999", "page can be at most 1000000.", 5),
        ("q=" + "x" * 201, "The search text (q) is 201 characters long; it can be at most 200.", 5),
        ("release=" + "9" * 40, "release can be at most 32 characters", 5),
    ],
)
def test_project_page_with_an_invalid_filter_warns_and_still_lists(client, nova, query, warning, still_listed):
    response = client.get(f"/projects/nova?{query}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    alert = re.search(r'<div class="alert alert-warning" role="alert">(.*?)</div>', html, re.S)
    assert alert is not None
    assert warning in text_of(alert.group(1))
    assert "The list below ignores that part of the filter." in text_of(alert.group(1))
    assert len(listed(html)) == still_listed


def test_project_page_escapes_a_hostile_filter_value(client, nova):
    html = client.get("/projects/nova?state=<script>alert(1)</script>&q=<img src=x onerror=alert(2)>").get_data(
        as_text=True
    )

    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "Unknown state '<script>alert(1)</script>'" in text_of(html)


def test_unknown_project_is_a_404_page_saying_what_to_do(client, nova):
    response = client.get("/projects/glance")

    assert response.status_code == 404
    text = text_of(page_body(response.get_data(as_text=True)))
    assert "No project named 'glance'. Known projects: nova." in text
    assert "portal projects add glance" in text
    assert "Go to the project list" in text


# --- spec page --------------------------------------------------------------------


@pytest.fixture
def full_spec(db, nova, make_spec):
    """A spec with a document, a Launchpad blueprint and two Gerrit changes."""
    text = spec_rst("Compressed live migration", "live-compress", "nova", {
        "Problem description": "Live migration is slow.\n\nUse cases\n---------\n\nAs an operator I drain hosts.",
        "Proposed change": "Compress memory pages.",
        "Upgrade impact": "None.",
    })
    spec = make_spec(name="live-compress", project=nova, release="2025.1", text=text)
    spec.lp_definition_status = "Approved"
    spec.lp_implementation_status = "Started"
    spec.lp_priority = "High"
    spec.lp_approver = "sean"
    add_review(db, spec, 900101, labels=[{"label": "Code-Review", "value": 2, "by": "Ada"}])
    add_review(db, spec, 900102, status="MERGED", subject="Re-propose for 2025.1", approved_by="sean")
    db.flush()
    return spec


def test_spec_page_header_badges_and_links(client, full_spec):
    response = client.get("/projects/nova/specs/live-compress")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    header = text_of(html.split('<header class="spec-header', 1)[1].split(">", 1)[1].split("</header>", 1)[0])
    assert header.startswith("Compressed live migration")
    for badge in ("nova", "Release: 2025.1", "approved", "LP definition: Approved", "LP implementation: Started",
                  "LP priority: High", "Gerrit 900101: new", "Gerrit 900102: merged"):
        assert badge in header
    assert "Compressed live migration helps operators." in header  # the summary
    links = html.split('id="links-heading"', 1)[1].split("</section>", 1)[0]
    assert hrefs(links) == [
        "https://blueprints.launchpad.net/nova/+spec/live-compress",
        "https://review.opendev.org/c/900101",
        "https://review.opendev.org/c/900102",
        "https://opendev.org/openstack/nova-specs/src/branch/master/specs/2025.1/approved/live-compress.rst",
    ]
    assert "Gerrit change 900102 (merged)" in text_of(links)
    side = text_of(html.split('aria-label="Spec details"', 1)[1].split("</aside>", 1)[0])
    assert "Definition Approved Implementation Started Priority High Approver sean" in side
    assert "Ada: Code-Review +2" in side  # the review story: each reviewer's latest labels


def test_spec_page_table_of_contents_links_to_the_sections(client, full_spec):
    html = client.get("/projects/nova/specs/live-compress").get_data(as_text=True)
    toc = html.split('class="spec-toc', 1)[1].split("</nav>", 1)[0]
    article = article_html(html)

    entries = [(a, t) for a, t in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc) if a.startswith("s-")]
    ids = {attrs["id"] for _, attrs in tags_of(article) if "id" in attrs}

    assert [title for _, title in entries] == ["Problem description", "Use cases", "Proposed change", "Upgrade impact"]
    # The page's own parts follow the spec's sections.
    assert '<a href="#checklist">Operability checklist</a>' in toc
    assert all(anchor in ids for anchor, _ in entries)
    for anchor, title in entries:  # each link lands on the section with that heading
        section = article.split(f'id="{anchor}"', 1)[1].split(">", 1)[1]
        assert text_of(section).startswith(title)


def test_spec_page_renders_the_rst_text(client, full_spec):
    article = text_of(article_html(client.get("/projects/nova/specs/live-compress").get_data(as_text=True)))

    assert "Live migration is slow." in article
    assert "As an operator I drain hosts." in article
    assert "Compress memory pages." in article


def test_spec_page_renders_hostile_rst_harmlessly(client, db, nova, make_spec):
    text = "\n".join([
        "=============", "Hostile spec", "=============", "",
        "Intro with <script>alert('inline')</script> text.", "",
        "Links", "=====", "",
        "See `the docs <javascript:alert('rst-link')>`_ and `data <data:text/html;base64,PHNjcmlwdD4=>`_.", "",
        ".. raw:: html", "", "   <script>alert('raw')</script><iframe src='https://evil.example'></iframe>", "",
        ".. image:: data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+", "",
        ".. include:: /etc/passwd", "",
        "After the directives.", "",
    ])
    make_spec(name="hostile-spec", project=nova, text=text)
    db.flush()

    html = client.get("/projects/nova/specs/hostile-spec").get_data(as_text=True)
    article = article_html(html)

    assert_harmless(article)
    assert "root:" not in article
    visible = text_of(article)
    # The introduction is the page's lead, under the title (shown once: not again in the article).
    lead = html.split('class="lead fs-6 spec-lead">', 1)[1].split("</p>", 1)[0]
    assert_harmless(lead)
    assert text_of(lead) == "Intro with <script>alert('inline')</script> text."
    assert "Intro with" not in visible
    assert "See the docs and data ." in visible
    assert "After the directives." in visible


def test_spec_page_shows_the_release_history_of_a_reproposed_spec(client, db, nova, make_spec):
    make_spec(name="slow-burn", title="Slow burn", project=nova, release="2024.2")
    make_spec(name="slow-burn", title="Slow burn", project=nova, release="2025.1")
    db.flush()

    html = client.get("/projects/nova/specs/slow-burn").get_data(as_text=True)
    history = html.split('id="history-heading"', 1)[1].split("</section>", 1)[0]
    entries = [text_of(li) for li in re.findall(r"<li[^>]*>(.*?)</li>", history, re.S)]

    assert entries == [
        "approved 2025.1 specs/2025.1/approved/slow-burn.rst",
        "approved 2024.2 specs/2024.2/approved/slow-burn.rst",
    ]
    assert "Release: 2025.1" in text_of(html)
    assert "Shown: specs/2025.1/approved/slow-burn.rst (2025.1)" in text_of(html)


def test_spec_page_timeline_marks_every_source_links_back_and_is_newest_first(
    client, db, full_spec, make_user, make_comment
):
    rey = make_user("rey", display_name="Rey Operator")
    base = now()  # after the spec file was imported: comments come after it, out of creation order
    made = [
        make_comment(full_spec, "Whiteboard: needs ops input.", source="launchpad", author_name="lp-bot",
                     url="https://blueprints.launchpad.net/nova/+spec/live-compress", external_id="lp-1",
                     created_at=base + timedelta(hours=3)),
        make_comment(full_spec, "Portal comment from Rey.", author=rey, created_at=base + timedelta(hours=1)),
        make_comment(full_spec, "Please add a rollback section.", source="gerrit", author_name="Ada",
                     url="https://review.opendev.org/c/900101/3#message-1", external_id="g-1", patch_set=3,
                     created_at=base + timedelta(hours=2)),
        make_comment(full_spec, "Discussed at the PTG.", source="link", author_name="Carlos",
                     url="https://etherpad.opendev.org/p/ptg-nova", external_id="l-1",
                     created_at=base + timedelta(hours=4)),
    ]
    for review in db.query(GerritChange).filter_by(spec_id=full_spec.id):
        review.updated_at = base + timedelta(hours=5)
    db.flush()

    html = client.get("/projects/nova/specs/live-compress").get_data(as_text=True)
    entries = re.findall(r'<li class="timeline-entry source-(\w+) kind-(\w+)" id="([\w-]+)">(.*?)</li>',
                         timeline_html(html), re.S)

    comments = [(source, text_of(body)) for source, kind, _, body in entries if kind == "comment"]
    assert [source for source, _ in comments] == ["link", "launchpad", "gerrit", "portal"]
    assert comments[3][1].startswith("BOB Rey Operator commented")
    assert comments[2][1].startswith("Gerrit Ada reviewed on Gerrit (patch set 3)")
    assert comments[1][1].startswith("Launchpad lp-bot wrote on the Launchpad whiteboard")
    assert comments[0][1].startswith("Link Carlos linked a discussion")
    assert comments[0][1].endswith("open the discussion Discussed at the PTG.")
    times = re.findall(r'<time datetime="([^"]+)">', timeline_html(html))
    assert times == sorted(times, key=datetime.fromisoformat, reverse=True)
    kinds = [kind for _, kind, _, _ in entries]
    assert kinds[:2] == ["review", "review"] and kinds[-1] == "revision"
    links = hrefs(timeline_html(html))
    for comment in made:
        if comment.url:
            assert comment.url in links
    assert f"comment-{made[1].id}" in [anchor for _, _, anchor, _ in entries]


HOSTILE_COMMENTS = [
    ("<script>alert('xss')</script> marker-script", "marker-script"),
    ('<img src=x onerror="alert(1)"> marker-onerror', "marker-onerror"),
    ("[marker-js](javascript:alert(1))", "marker-js"),
    ("<iframe src=\"https://evil.example/\"></iframe> marker-iframe", "marker-iframe"),
    ("<style>body { display: none }</style> marker-style", "marker-style"),
    ("[marker-data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "marker-data"),
    ("![marker-dataimg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) marker-after-img", "marker-after-img"),
    ("[marker-mixed](JaVaScRiPt:alert(1))", "marker-mixed"),
    ("[marker-entity](jav&#x61;script:alert(1))", "marker-entity"),
    ("[marker-entity2](&#106;&#97;vascript:alert(1))", "marker-entity2"),
    ("[marker-tab](java\tscript:alert(1))", "marker-tab"),
    ('<a href="javascript:alert(1)">marker-raw-a</a>', "marker-raw-a"),
    ("<javascript:alert(1)> marker-autolink", "marker-autolink"),
    ('<div style="background:url(javascript:alert(1))" onmouseover="alert(1)">marker-div</div>', "marker-div"),
    ("[marker-ok](https://example.org/ok)", "marker-ok"),
]
DANGEROUS_TAGS = {"script", "iframe", "style", "img", "object", "embed", "svg", "math", "link", "meta", "form",
                  "base", "frame", "frameset", "video", "audio", "source", "input", "button", "textarea"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)


def browser_url(value: str) -> str:
    """What a browser's URL parser reads: outer C0/space stripped, tabs and newlines removed."""
    return re.sub(r"[\t\n\r]", "", value.strip("".join(chr(c) for c in range(0x21))))


def assert_harmless(fragment: str) -> None:
    for tag, attrs in tags_of(fragment):
        assert tag not in DANGEROUS_TAGS, f"<{tag}> survived"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{name}= survived on <{tag}>"
            assert name not in ("style", "srcdoc", "formaction"), f"{name}= survived on <{tag}>"
            if name in ("href", "src", "action", "xlink:href"):
                scheme = SCHEME.match(browser_url(value))
                assert scheme is None or scheme.group(1).lower() in ("http", "https", "mailto"), (
                    f"unsafe {name}={value!r} on <{tag}>"
                )


@pytest.mark.parametrize(("body", "marker"), HOSTILE_COMMENTS, ids=[m for _, m in HOSTILE_COMMENTS])
def test_hostile_comment_is_harmless_and_still_readable(client, db, nova, make_spec, make_comment, body, marker):
    spec = make_spec(name="target", project=nova)
    make_comment(spec, body, author_name="mallory")
    db.flush()

    html = client.get("/projects/nova/specs/target").get_data(as_text=True)
    timeline = timeline_html(html)

    assert_harmless(timeline)
    assert marker in text_of(timeline)


def test_hostile_comment_text_is_shown_not_run(client, db, nova, make_spec, make_comment):
    spec = make_spec(name="target", project=nova)
    make_comment(spec, "Try <script>alert('x')</script> & <b>bold</b>")
    db.flush()

    timeline = timeline_html(client.get("/projects/nova/specs/target").get_data(as_text=True))

    assert "Try <script>alert('x')</script> & <b>bold</b>" in text_of(timeline)
    assert "<script" not in timeline.lower()


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)",
])
def test_a_comment_source_url_with_a_script_scheme_is_not_linked(client, db, nova, make_spec, make_comment, url):
    spec = make_spec(name="target", project=nova)
    make_comment(spec, "Linked discussion marker-url", source="link", author_name="mallory", url=url,
                 external_id="bad-link")
    db.flush()

    timeline = timeline_html(client.get("/projects/nova/specs/target").get_data(as_text=True))

    assert_harmless(timeline)
    assert "marker-url" in text_of(timeline)
    assert "open the discussion" not in text_of(timeline)


def test_spec_whose_file_failed_to_parse_shows_a_warning_and_the_plain_text(client, db, nova, make_spec):
    filler = ("This line is part of a spec that is far too large. " * 20 + "\n") * (MAX_SPEC_BYTES // 1000 + 1)
    text = "Broken spec first line\n\nMARKER-PLAIN <b>not bold</b>\n\n" + filler
    make_spec(name="broken-spec", project=nova, text=text)
    db.flush()

    response = client.get("/projects/nova/specs/broken-spec")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    warning = re.search(r'<div class="alert alert-warning" role="alert">(.*?)</div>', html, re.S)
    assert warning is not None
    assert "could not be read as reStructuredText (larger than 1024 KiB)" in text_of(warning.group(1))
    assert "shown as plain text" in text_of(warning.group(1))
    assert "Fix the file upstream and re-import it." in text_of(warning.group(1))
    article = article_html(html)
    assert "<pre>Broken spec first line" in article
    assert "MARKER-PLAIN &lt;b&gt;not bold&lt;/b&gt;" in article


def test_spec_known_only_from_launchpad_says_the_document_is_missing(client, db, nova):
    response = client.get("/projects/nova/specs/lp-only")

    assert response.status_code == 200
    text = text_of(page_body(response.get_data(as_text=True)))
    assert "No spec document has been imported for this blueprint yet." in text
    assert "LP definition: New" in text
    assert "No spec file imported yet." in text
    assert "https://blueprints.launchpad.net/nova/+spec/lp-only" in hrefs(response.get_data(as_text=True))


def test_unknown_spec_is_a_404_naming_the_project_page(client, nova):
    response = client.get("/projects/nova/specs/no-such-spec")

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    text = text_of(page_body(html))
    assert "No spec 'no-such-spec' in project 'nova'." in text
    assert "look for it on the nova project page" in text
    assert "/projects/nova" in hrefs(page_body(html))


def test_spec_in_unknown_project_is_a_404(client, nova):
    response = client.get("/projects/glance/specs/live-migrate-fast")

    assert response.status_code == 404
    assert "No spec 'live-migrate-fast' in project 'glance'." in text_of(response.get_data(as_text=True))


def test_deleted_comments_are_not_shown(client, db, nova):
    html = client.get("/projects/nova/specs/live-compress").get_data(as_text=True)

    assert "Deleted, not counted." not in html
    assert db.query(Comment).filter(Comment.body == "Deleted, not counted.").count() == 1
