"""Page layout on real specs at a laptop's and a phone's width, in Chromium.

The pages were tried as a new user would: the project table ran off the
right at 1280 px and scrolled sideways on a phone, the side rail of a spec
scrolled away, the operability summary came after the whole spec text on a
phone, and every page asked for a missing /favicon.ico.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.importers.specs_tree import import_tree
from portal.specs import service as specs
from tests.conftest import corpus_or_skip
from tests.support.browser import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
# Real nova-specs files with long names and titles (what overflowed the table), and one long spec.
CORPUS_FILES = (
    "specs/2024.1/approved/per-process-healthchecks.rst",
    "specs/2024.1/approved/libvirt-stateless-firmware.rst",
    "specs/2024.1/approved/ironic-shards.rst",
    "specs/2023.2/approved/per-process-healthchecks.rst",
)
LONG_SPEC = "per-process-healthchecks"


def _corpus_tree(tmp_path: Path) -> Path:
    """A specs tree of real nova files: the chosen ones if present, and the longest-named others."""
    corpus = corpus_or_skip()
    files = [corpus / rel for rel in CORPUS_FILES if (corpus / rel).is_file()]
    others = sorted((p for p in (corpus / "specs").glob("*/*/*.rst")), key=lambda p: -len(p.stem))
    files += [p for p in others if p not in files][:20]
    root = tmp_path / "nova-specs"
    for source in files:
        target = root / source.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return root


@pytest.fixture
def site(live_server: LiveServer, tmp_path: Path) -> LiveServer:
    tree = _corpus_tree(tmp_path)

    def seed(db):
        nova = specs.add_project(db, None, "nova", title="Nova", gerrit_repo="openstack/nova-specs", launchpad="nova")
        import_tree(db, None, nova, tree)
        # Three source badges on one row: the spec file and a Launchpad blueprint with status and priority.
        specs.apply_blueprint(db, None, nova, specs.BlueprintData(
            name=LONG_SPEC, title="Per Process Healthcheck endpoints", definition_status="Approved",
            implementation_status="Needs Code Review", priority="Essential"))

    live_server.seed(seed)
    return live_server


def _fits(page: Page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def _table_fits(page: Page) -> tuple[int, int]:
    return page.evaluate(
        "(() => { const t = document.querySelector('table.spec-table');"
        " return [t.scrollWidth, t.parentElement.clientWidth]; })()"
    )


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280px", "390px"])
def test_project_table_fits_the_window(site: LiveServer, page: Page, viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    page.goto(site.url + "/projects/nova?per_page=100")
    table = page.get_by_role("table", name="Specs of nova; column headers sort the list")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() >= 20
    scroll_width, inner_width = _fits(page)
    assert scroll_width <= inner_width, f"the page scrolls sideways at {inner_width} px ({scroll_width} px wide)"
    table_width, room = _table_fits(page)
    assert table_width <= room, f"the table is {table_width} px wide in {room} px"
    # Every row keeps its title link, and the operability column, at every width.
    assert table.locator("tbody tr td:first-child a").count() == table.locator("tbody tr").count()
    expect(table.get_by_role("columnheader", name="Operability")).to_be_visible()


def test_long_names_are_cut_with_the_full_name_in_a_title(site: LiveServer, page: Page) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(site.url + "/projects/nova?per_page=100&sort=name")
    names = page.locator("table.spec-table tbody td code.cut")
    assert names.count() >= 20
    cut = names.evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => [e.textContent, e.title])")
    assert cut, "no name is long enough to be cut: the corpus sample has changed"
    assert all(text == title for text, title in cut)
    # Badges stay on one line: each badge line is one badge tall.
    heights = page.locator("table.spec-table tbody .badges-line").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().height, e.querySelector('.badge') ? "
        "e.querySelector('.badge').getBoundingClientRect().height : 0])"
    )
    assert heights and all(line <= badge * 1.9 + 4 for line, badge in heights if badge), heights
    expect(page.locator("#gaps-legend")).to_contain_text("missing")
    expect(page.locator("#gaps-legend")).to_contain_text("concern")


def test_a_phone_shows_the_operability_summary_before_the_spec_text(site: LiveServer, page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{site.url}/projects/nova/specs/{LONG_SPEC}")
    # "Gaps first:" or "No gaps": which one depends on the prefill and applicability, not on the layout.
    summary = page.locator("section.ops-summary:visible").first
    expect(summary).to_be_visible()
    text = page.get_by_role("article", name="Spec text")
    header = page.locator("header.spec-header")
    assert summary.bounding_box()["y"] < text.bounding_box()["y"]
    assert header.bounding_box()["y"] + header.bounding_box()["height"] <= text.bounding_box()["y"]
    # The copy for wide screens is not shown (nor read out): one summary on the page.
    assert page.locator("section.ops-summary:visible").count() == 1
    scroll_width, inner_width = _fits(page)
    assert scroll_width <= inner_width


def test_the_side_rail_stays_in_view_on_a_wide_screen(site: LiveServer, page: Page) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(f"{site.url}/projects/nova/specs/{LONG_SPEC}")
    rail = page.get_by_role("complementary", name="Spec details")
    summary = rail.locator("section.ops-summary")
    expect(summary).to_be_visible()
    assert page.locator("section.ops-summary:visible").count() == 1
    # Scroll deep into the spec text (its last screenful): the rail's summary is still at the top of the window.
    scrolled = page.get_by_role("article", name="Spec text").evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " window.scrollTo({top: window.scrollY + r.bottom - 2 * window.innerHeight, behavior: 'instant'});"
        " return window.scrollY; }"
    )
    assert scrolled > 2000, f"the spec text is too short to test the rail ({scrolled} px of scroll)"
    box = summary.bounding_box()
    assert 0 <= box["y"] < LAPTOP["height"], f"the rail scrolled away (its summary is at y={box['y']})"
    # The rail sits beside the text, not under it.
    assert box["x"] > page.get_by_role("article", name="Spec text").bounding_box()["x"] + 300


def test_the_spec_lead_is_shown_once(site: LiveServer, page: Page) -> None:
    page.goto(f"{site.url}/projects/nova/specs/{LONG_SPEC}")
    lead = page.locator("header .spec-lead")
    expect(lead).to_contain_text("health-check endpoint")
    words = "expose a health-check endpoint so that the binary"
    assert page.locator("main").inner_text().replace("\n", " ").count(words) == 1


def test_pages_link_a_favicon_that_loads(site: LiveServer, page: Page) -> None:
    asked: list[tuple[str, int]] = []
    page.on("response", lambda r: asked.append((r.url, r.status)) if "favicon" in r.url else None)
    page.goto(site.url + "/projects/nova")
    href = page.locator("link[rel=icon]").first.get_attribute("href")
    assert href and href.startswith("/static/")
    for url in (site.url + href, site.url + "/favicon.ico"):
        response = page.request.get(url)
        assert response.status == 200 and response.headers["content-type"].startswith("image/"), url
        assert len(response.body()) > 100
    assert all(status == 200 for _, status in asked), asked
