"""The release summary page, its form and its downloads, over HTTP."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy.orm import Session

from tests.support.html import text_of

PAGE = "/projects/nova/releases/2026.2/summary"


def _text(response) -> str:
    return re.sub(r"\s+", " ", text_of(response.get_data(as_text=True)))


def test_the_page_shows_every_spec_with_its_parts(db: Session, client, seed_release) -> None:
    seed_release(n_specs=3, n_voters=3)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(response)
    assert "Release 2026.2: nova" in text and "3 specs (3 approved)" in text
    assert html.count('class="summary-spec"') == 3
    for part in ("Operator-facing impacts", "Upgrade (Upgrade impact)",
                 "Operators must run nova-manage db online_data_migrations before upgrading computes.",
                 "PTL: Planned for 2026.2 — Targeted for M2.", "Checklist · Rollback / downgrade: concern reviewer gap",
                 "2 votes: must have 1, important 0, nice to have 1, not needed 0; 1 say it affects them.",
                 "Latest discussion (2 comments)"):
        assert part in text, part
    # The downloads and the print hint; the stylesheet carries the print rules.
    for fmt in ("md", "csv", "json"):
        assert f'href="{PAGE}.{fmt}"' in html
    assert "Print (Ctrl+P)" in text
    with client.get("/static/css/portal.css") as css:
        assert "@media print" in css.get_data(as_text=True)


def test_several_projects_and_the_form(db: Session, client, seed_release) -> None:
    seed_release(n_specs=2, other_specs=2)
    form = client.get("/reports/release-summary?project=nova&project=neutron&release=Hibiscus")
    assert form.status_code == 302 and form.headers["Location"].endswith(f"{PAGE}?with=neutron")
    typed = client.get("/reports/release-summary?project=nova,+neutron&release=2026.2")
    assert typed.headers["Location"].endswith(f"{PAGE}?with=neutron")
    page = client.get(f"{PAGE}?with=neutron")
    text = _text(page)
    assert "Release 2026.2: nova, neutron" in text and "4 specs" in text
    html = page.get_data(as_text=True)
    assert re.search(r'value="neutron" id="sp-\d+" checked', html) and re.search(r'value="nova" id="sp-\d+" checked',
                                                                                html)
    assert f'href="{PAGE}.csv?with=neutron"' in html
    empty = client.get("/reports/release-summary")
    assert empty.status_code == 200 and "Show the summary" in _text(empty)


def test_downloads_are_files_of_the_right_type(db: Session, client, seed_release) -> None:
    seed_release(n_specs=2)
    md = client.get(f"{PAGE}.md")
    assert md.status_code == 200 and md.content_type == "text/markdown; charset=utf-8"
    assert md.headers["Content-Disposition"] == "attachment; filename*=UTF-8''nova-2026.2-summary.md"
    assert "(<http://localhost/projects/nova/specs/spec-000>)" in md.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get(f"{PAGE}.csv").get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["spec-001", "spec-000"]  # the voted one first
    document = json.loads(client.get(f"{PAGE}.json").get_data(as_text=True))
    assert [s["name"] for s in document["specs"]] == ["spec-001", "spec-000"]
    assert client.get(f"{PAGE}.pdf").status_code == 404


def test_errors_keep_the_form_and_say_what_exists(db: Session, client, seed_release) -> None:
    seed_release(n_specs=1)
    no_release = client.get("/projects/nova/releases/2031.1/summary")
    assert no_release.status_code == 404
    assert "No specs of nova are in release 2031.1. Releases with specs: 2026.2, 2025.1." in _text(no_release)
    assert "Show the summary" in _text(no_release)
    other = client.get(f"{PAGE}?with=glance")
    assert other.status_code == 404 and "Unknown project 'glance'. Projects: neutron, nova." in _text(other)
    missing = client.get("/projects/nvoa/releases/2026.2/summary")
    assert missing.status_code == 404 and "No project named 'nvoa'. Known projects: neutron, nova." in _text(missing)
    bad = client.get("/reports/release-summary?project=nova&release=")
    assert bad.status_code == 400 and "Name a release, e.g. 2026.2." in _text(bad)


def test_the_page_costs_the_same_queries_for_3_or_30_specs(db: Session, client, seed_release, count_queries) -> None:
    seed_release(n_specs=3)
    client.get(PAGE)  # warm: templates compiled, checklist template loaded
    with count_queries() as few:
        assert client.get(PAGE).status_code == 200
    db.rollback()
    seed_release(n_specs=30)
    with count_queries() as many:
        assert client.get(PAGE).status_code == 200
    assert few.count == many.count, many.statements
    assert many.count <= 16


def test_the_project_page_links_its_newest_release_summary(db: Session, client, seed_release) -> None:
    seed_release(n_specs=1)
    html = client.get("/projects/nova").get_data(as_text=True)
    assert f'href="{PAGE}"' in html
    assert 'href="/reports/release-summary?project=nova"' in html
