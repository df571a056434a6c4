"""The public pages and the login, driven in Chromium with the site's CSP enforced.

Every test here also fails (see the ``page`` fixture) if the browser refused
an inline script or style, hit a script error, or could not load a
stylesheet, script or image: the pages must work as served.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser import DISPLAY_NAME, FEATURED, GERRIT_COMMENT, SPECS, USERNAME, seed_nova
from tests.support.browser import LiveServer
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    live_server.seed(seed_nova)
    return live_server


def spec_table(page: Page):
    return page.get_by_role("table", name=re.compile("Specs of nova"))


def spec_titles(page: Page) -> list[str]:
    """The titles in the spec list (the links to the spec pages), top to bottom."""
    page.wait_for_load_state()  # a click that navigates returns once the new page starts loading
    return [t.strip() for t in spec_table(page).locator("tbody tr a[href*='/specs/']").all_inner_texts()]


def table_rows(table) -> list[dict[str, str]]:
    """Each body row of a table as {column header: cell text}, as a reader pairs them."""
    return table.evaluate(
        """table => {
            const heads = [...table.tHead.rows[0].cells].map(th => th.innerText.trim());
            return [...table.tBodies[0].rows].map(row =>
                Object.fromEntries([...row.cells].map((cell, i) => [heads[i], cell.innerText.trim()])));
        }"""
    )


def cell(row: dict[str, str], header: str) -> str:
    """The cell under the column whose header starts with ``header`` (headers may carry a sort mark)."""
    matches = [text for head, text in row.items() if head.startswith(header)]
    assert len(matches) == 1, f"no single column '{header}' in {list(row)}"
    return matches[0]


def column(page: Page, header: str) -> list[str]:
    """The text of every cell under a column of the spec list, top to bottom."""
    page.wait_for_load_state()
    return [cell(row, header) for row in table_rows(spec_table(page))]


def flash(page: Page):
    """The confirmation / error messages shown at the top of the page."""
    return page.locator(".flash-messages")


def query_of(page: Page) -> dict[str, list[str]]:
    """The query arguments of the page's URL, once the page has loaded."""
    page.wait_for_load_state()
    return parse_qs(urlsplit(page.url).query)


def log_in(page: Page, site: LiveServer, password: str = PASSWORD) -> None:
    page.goto(site.url + "/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("User name or email").fill(USERNAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_logging_in_through_the_form_confirms_and_shows_my_name(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/projects/nova")
    log_in_link = page.get_by_role("link", name="Log in")
    log_in_link.click()
    page.get_by_label("User name or email").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Back where I was, told so, and my name is in the header.
    expect(page).to_have_url(site.url + "/projects/nova")
    expect(flash(page)).to_contain_text(f"Welcome, {DISPLAY_NAME}. You are logged in.")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile(DISPLAY_NAME))).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(nav.get_by_role("link", name="Log in")).to_have_count(0)

    # The account page is mine; logging out takes the name away again.
    nav.get_by_role("link", name=re.compile(DISPLAY_NAME)).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("rey@example.org")).to_be_visible()
    nav.get_by_role("button", name="Log out").click()
    expect(flash(page)).to_contain_text("You are logged out.")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(nav.get_by_text(DISPLAY_NAME)).to_have_count(0)


def test_a_wrong_password_shows_an_error_and_logs_nobody_in(site: LiveServer, page: Page) -> None:
    log_in(page, site, password="not the password at all")

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(flash(page).locator(".alert-danger")).to_contain_text(re.compile("password", re.I))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_text(DISPLAY_NAME)).to_have_count(0)
    expect(nav.get_by_role("button", name="Log out")).to_have_count(0)
    # The user name stays filled in, so only the password needs retyping.
    expect(page.get_by_label("User name or email")).to_have_value(USERNAME)

    # Still a visitor: the account page sends me to the login form.
    page.goto(site.url + "/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", name="Your account")).to_have_count(0)


def test_home_lists_the_project_with_its_spec_counts(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/")

    table = page.get_by_role("table", name=re.compile("Projects"))
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name="Nova", exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("OpenStack Compute")
    [nova] = [r for r in table_rows(table) if cell(r, "Project").startswith("Nova")]
    assert cell(nova, "Specs") == str(len(SPECS))
    # Per-state counts are links to the project page filtered by that state.
    approved = row.get_by_role("link", name=re.compile(r"approved.*2"))
    expect(approved).to_be_visible()
    expect(row.get_by_role("link", name=re.compile(r"implemented.*1"))).to_be_visible()
    expect(row.get_by_role("link", name=re.compile(r"backlog.*1"))).to_be_visible()
    approved.click()
    expect(page).to_have_url(re.compile(r"/projects/nova\?state=approved$"))
    assert sorted(spec_titles(page)) == sorted(s.title for s in SPECS if s.state.value == "approved")


def test_project_page_lists_specs_and_the_filter_form_narrows_them(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/")
    page.get_by_role("link", name="Nova", exact=True).click()

    expect(page.get_by_role("heading", name="Nova", level=1)).to_be_visible()
    # Default order: most recent activity first.
    assert spec_titles(page) == [s.title for s in sorted(SPECS, key=lambda s: s.days_ago)]
    expect(page.get_by_text(f"{len(SPECS)} specs.")).to_be_visible()

    page.get_by_label("State").select_option("approved")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"/projects/nova\?"))
    assert query_of(page).get("state") == ["approved"]
    expected = [s for s in SPECS if s.state.value == "approved"]
    assert sorted(spec_titles(page)) == sorted(s.title for s in expected)
    expect(page.get_by_text(f"{len(expected)} specs match the filter.")).to_be_visible()
    assert column(page, "State") == ["approved"] * len(expected)
    # The form shows the filter in force, and the URL alone reproduces the view.
    expect(page.get_by_label("State")).to_have_value("approved")
    shared_url = page.url
    page.goto(shared_url)
    assert sorted(spec_titles(page)) == sorted(s.title for s in expected)

    # Narrow further by release, then clear everything.
    page.get_by_label("Release").select_option("2025.1")
    page.get_by_label("Name or title contains").fill("affinity")
    page.get_by_role("button", name="Filter").click()
    assert query_of(page).get("q") == ["affinity"]
    assert spec_titles(page) == ["Affinity weights for the scheduler"]
    page.get_by_role("link", name="Clear", exact=True).click()
    expect(page).to_have_url(site.url + "/projects/nova")
    assert len(spec_titles(page)) == len(SPECS)


def test_a_filter_that_matches_nothing_says_so(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/projects/nova")
    page.get_by_label("State").select_option("abandoned")
    page.get_by_role("button", name="Filter").click()

    assert query_of(page).get("state") == ["abandoned"]
    expect(spec_table(page)).to_have_count(0)
    expect(page.get_by_text("No specs match.")).to_be_visible()


def test_clicking_a_column_header_sorts_the_list(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/projects/nova")
    by_name = sorted(s.name for s in SPECS)

    spec_table(page).get_by_role("link", name="Name", exact=True).click()
    assert query_of(page).get("sort") == ["name"]
    assert column(page, "Name") == by_name
    header = spec_table(page).get_by_role("columnheader", name=re.compile("^Name"))
    expect(header).to_have_attribute("aria-sort", "ascending")

    # A second click reverses the order.
    header.get_by_role("link").click()
    assert query_of(page).get("order") == ["desc"]
    assert column(page, "Name") == by_name[::-1]
    expect(header).to_have_attribute("aria-sort", "descending")

    # Sorting keeps a filter that is in force.
    page.get_by_label("Release").select_option("2025.1")
    page.get_by_role("button", name="Filter").click()
    spec_table(page).get_by_role("link", name="Title", exact=True).click()
    query = query_of(page)
    assert query.get("sort") == ["title"] and query.get("release") == ["2025.1"]
    assert spec_titles(page) == sorted(s.title for s in SPECS if s.release == "2025.1")
    assert column(page, "Release") == ["2025.1", "2025.1"]


def test_spec_page_shows_title_text_release_history_and_timeline(site: LiveServer, page: Page) -> None:
    page.goto(site.url + "/projects/nova")
    page.get_by_role("link", name=FEATURED.title).click()

    expect(page).to_have_url(site.url + f"/projects/nova/specs/{FEATURED.name}")
    expect(page.get_by_role("heading", name=FEATURED.title, level=1)).to_be_visible()
    expect(page).to_have_title(re.compile(FEATURED.title))

    text = page.get_by_role("article", name="Spec text")
    expect(text.get_by_role("heading", name="Proposed change")).to_be_visible()
    # reStructuredText rendered, not shown as source: no markup characters left.
    expect(text.get_by_text("[libvirt]live_migration_timeout_action")).to_be_visible()
    expect(text).not_to_contain_text("``")
    expect(text).to_contain_text("Paragraph 40: operators lose track")
    expect(text.get_by_role("link", name=f"https://blueprints.launchpad.net/nova/+spec/{FEATURED.name}")).to_be_visible()

    history = page.get_by_role("region", name="Release history")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("listitem").nth(0)).to_contain_text("2025.1")
    expect(history.get_by_role("listitem").nth(1)).to_contain_text("2024.2")
    expect(history).to_contain_text(f"specs/2024.2/approved/{FEATURED.name}.rst")

    timeline = page.get_by_role("region", name="Discussion and history")
    entries = timeline.get_by_role("listitem")
    expect(entries).to_have_count(4)  # two imports, a Gerrit comment, a portal comment
    gerrit = entries.filter(has_text="Sylvain Reviewer")
    expect(gerrit).to_contain_text("reviewed on Gerrit (patch set 2)")
    expect(gerrit).to_contain_text(GERRIT_COMMENT)
    # It links back to where it was said.
    expect(gerrit.get_by_role("link")).to_have_attribute(
        "href", "https://review.opendev.org/c/openstack/nova-specs/+/900001"
    )
    mine = entries.filter(has_text=f"{DISPLAY_NAME} commented")
    expect(mine.locator("strong", has_text="largest")).to_be_visible()  # Markdown rendered
    expect(entries.filter(has_text=f"Spec file imported: specs/2025.1/approved/{FEATURED.name}.rst")).to_have_count(1)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="nova").click()
    expect(page).to_have_url(site.url + "/projects/nova")


def test_table_of_contents_links_jump_to_their_sections(site: LiveServer, page: Page) -> None:
    page.goto(site.url + f"/projects/nova/specs/{FEATURED.name}")
    toc = page.get_by_role("navigation", name="Contents")
    # The spec's own sections are listed in document order.
    sections = ["Problem description", "Proposed change", "Upgrade impact"]
    listed = [t.strip() for t in toc.get_by_role("link").all_inner_texts()]
    assert [t for t in listed if t in sections] == sections, listed

    target = page.get_by_role("heading", name="Upgrade impact")
    expect(target).not_to_be_in_viewport()  # the long first section keeps it below the fold
    toc.get_by_role("link", name="Upgrade impact").click()
    expect(page).to_have_url(re.compile(r"#s-upgrade-impact$"))
    expect(target).to_be_in_viewport()

    toc_top = page.get_by_role("heading", name="Contents")
    expect(toc_top).not_to_be_in_viewport()
    page.go_back()
    page.get_by_role("navigation", name="Contents").get_by_role("link", name="Proposed change").click()
    expect(page).to_have_url(re.compile(r"#s-proposed-change$"))
    expect(page.get_by_role("heading", name="Proposed change")).to_be_in_viewport()


def test_an_unknown_spec_answers_404_with_a_way_back(site: LiveServer, page: Page) -> None:
    response = page.goto(site.url + "/projects/nova/specs/no-such-spec")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("No spec 'no-such-spec' in project 'nova'")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects")).to_be_visible()
