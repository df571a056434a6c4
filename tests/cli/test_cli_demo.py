"""`portal demo` reports what a reader of the portal would call new, updated and unchanged."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.models import Spec
from tests.support.cli_instance import Portal


def _counts(output: str) -> dict[str, tuple[int, int]]:
    """``{"nova": (created, updated), …, "blueprints": …, "reviews": …}`` from the demo's report."""
    found = {
        name: (int(created), int(updated))
        for name, created, updated in re.findall(r"^\s+(\w+)\s+specs: (\d+) created.*?, (\d+) updated", output, re.M)
    }
    for what in ("blueprints", "reviews"):
        match = re.search(rf"{what}: (\d+) created, (\d+) updated", output)
        assert match, output
        found[what] = (int(match.group(1)), int(match.group(2)))
    return found


def test_demo_on_a_new_database_reports_nothing_updated(portal: Portal, web) -> None:
    output = portal.ok("demo").stdout
    counts = _counts(output)
    assert {name: updated for name, (_, updated) in counts.items()} == dict.fromkeys(counts, 0), output
    # nova has one spec in two release folders: 17 specs from 18 files, and the number matches the database.
    assert "nova       specs: 17 created (from 18 files)" in output
    with web.extensions["portal"].session_factory() as session:
        assert session.scalar(select(func.count(Spec.id))) == sum(
            created for name, (created, _) in counts.items() if name not in ("blueprints", "reviews")
        ) + _launchpad_only(session)
    assert counts["blueprints"][0] > 0 and counts["reviews"][0] > 0
    assert "Demo data loaded." in output


def _launchpad_only(session) -> int:
    """Specs that exist only as a Launchpad blueprint (created by the blueprint, not by a file)."""
    return session.scalar(select(func.count(Spec.id)).where(~Spec.revisions.any())) or 0


def test_demo_twice_changes_nothing_the_second_time(portal: Portal) -> None:
    portal.ok("demo")
    output = portal.ok("demo").stdout
    counts = _counts(output)
    assert all(created == 0 and updated == 0 for created, updated in counts.values()), output
    assert "nova       specs: 0 created, 0 updated, 18 unchanged, 0 failed" in output
    assert "Demo data already loaded; nothing changed." in output
