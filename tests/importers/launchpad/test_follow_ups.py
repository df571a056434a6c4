"""Launchpad follow-ups: dependencies and linked bugs read and shown (with links to BOB's own specs), and the
"no design document", status and priority badges with their legends on the project table and the spec page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.importers.launchpad import LaunchpadClient, sync_project
from portal.net import RetryPolicy, build_client
from tests.importers.launchpad.fake_launchpad import FakeLaunchpad, fake_launchpad
from tests.support.html import text_of

FAST = RetryPolicy(retries=0, sleep=lambda _s: None)


@pytest.fixture
def lp() -> Iterator[FakeLaunchpad]:
    with fake_launchpad() as fake:
        yield fake


def test_dependencies_and_bugs_are_read_mapped_and_linked_on_the_spec_page(
    db: Session, make_project: Any, lp: FakeLaunchpad, client: Any,
) -> None:
    nova = make_project("lpdeps", launchpad="nova")
    lp.add("nova", "drain", _dependencies=[("nova", "host-maintenance"), ("neutron", "port-freeze")],
           _bugs=[(1999001, "Drain loses instances <script>")])
    lp.add("nova", "host-maintenance", implementation_status="Implemented")
    with build_client(timeout=5, user_agent="test") as http:
        report = sync_project(db, nova, LaunchpadClient(http, lp.url, policy=FAST))
        assert report.created == 2
        db.flush()
        asked = len(lp.paths("/devel/nova/+spec/"))
        sync_project(db, nova, LaunchpadClient(http, lp.url, policy=FAST))
        assert len(lp.paths("/devel/nova/+spec/")) == asked  # unchanged entries: their collections are not read
    page = client.get("/projects/lpdeps/specs/drain")
    html = page.get_data(as_text=True)
    assert '<a href="/projects/lpdeps/specs/host-maintenance">host-maintenance</a>' in html
    text = text_of(html)
    assert "Depends on" in text and "port-freeze (not in BOB)" in text
    assert "#1999001 Drain loses instances <script>" in text and "<script>" not in html.split("lp-bugs")[1][:400]

    lp.update("nova", "drain", _bugs=[])  # a bug unlinked on Launchpad is gone on the next run
    with build_client(timeout=5, user_agent="test") as http:
        assert sync_project(db, nova, LaunchpadClient(http, lp.url, policy=FAST)).changed == 1
    assert "Linked bugs" not in text_of(client.get("/projects/lpdeps/specs/drain").get_data(as_text=True))


def test_badges_and_legends_on_the_project_table_and_the_spec_page(
    db: Session, make_project: Any, lp: FakeLaunchpad, client: Any,
) -> None:
    nova = make_project("lpbadges", launchpad="nova")
    lp.add("nova", "lonely", priority="Essential", implementation_status="Blocked")
    with build_client(timeout=5, user_agent="test") as http:
        sync_project(db, nova, LaunchpadClient(http, lp.url, policy=FAST))
    db.flush()
    table = client.get("/projects/lpbadges").get_data(as_text=True)
    row = text_of(table.split("<tbody")[1])
    assert "Launchpad Blocked Essential no design document" in row
    legend = text_of(table.split('id="sources-legend"')[1].split("</p>")[0])
    assert "no design document a blueprint with neither" in legend and "priority" in legend
    page = client.get("/projects/lpbadges/specs/lonely").get_data(as_text=True)
    assert "no design document" in page and 'id="lp-legend"' in page
    assert "LP priority" in text_of(page.split('id="lp-legend"')[1].split("</p>")[0])
