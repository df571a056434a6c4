"""`portal report release` on a real instance: formats, several projects, a file, and the errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.settings import Settings
from tests.support.cli_instance import Portal


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """One instance with the demo loaded for the module (loading it takes seconds); the tests only read."""
    cli = Portal(Settings.for_testing(tmp_path_factory.mktemp("report") / "instance"))
    try:
        cli.ok("db", "upgrade")
        cli.ok("demo")
        yield cli
    finally:
        cli.close()


@pytest.fixture
def portal(demo_portal: Portal) -> Portal:
    return demo_portal


def test_markdown_to_standard_output(portal: Portal) -> None:
    out = portal.ok("report", "release", "--project", "nova", "--release", "2026.2", "--format", "md").stdout
    assert out.startswith("# Release 2026.2: nova — operator summary\n")
    assert "## nova (2 specs)" in out
    assert "Expose service heartbeat and periodic task metrics" in out
    assert "- **Upgrade** (Proposed change \\> Upgrade impact):" in out
    assert "Links are paths on the portal: set PORTAL_BASE_URL" in out
    assert "(</projects/nova/specs/compute-heartbeat-metrics>)" in out


def test_several_projects_as_csv_and_json(portal: Portal) -> None:
    text = portal.ok("report", "release", "--project", "nova", "--project", "cinder,neutron", "--release",
                     "2026.2", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    projects = [r["project"] for r in rows]
    assert projects == sorted(projects, key=["nova", "cinder", "neutron"].index)
    assert {"nova"} <= set(projects) and all(r["release"] == "2026.2" for r in rows)
    document = json.loads(portal.ok("report", "release", "--project", "nova,cinder,neutron", "--release",
                                    "hibiscus", "--format", "json").stdout)
    assert document["release"] == "2026.2" and document["projects"] == ["nova", "cinder", "neutron"]
    assert len(document["specs"]) == len(rows)


def test_output_to_a_file(portal: Portal, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    target = folder / "nova-2026.2.md"
    target.write_text("old summary")
    result = portal.ok("report", "release", "--project", "nova", "--release", "2026.2",
                              "--output", str(target))
    assert result.stdout == f"Wrote the 2026.2 summary of nova (2 specs, md) to {target}.\n"
    assert target.read_text().startswith("# Release 2026.2: nova")
    assert [p.name for p in folder.iterdir()] == ["nova-2026.2.md"]  # no temporary file left
    missing = portal.fails("report", "release", "--project", "nova", "--release", "2026.2",
                           "--output", str(tmp_path / "no-such-folder" / "x.md"))
    assert "does not exist: create it or give another --output" in missing.stderr


def test_an_unknown_project_or_release_says_which_exist(portal: Portal) -> None:
    unknown = portal.fails("report", "release", "--project", "nvoa", "--release", "2026.2")
    assert unknown.stderr == "Error: Unknown project 'nvoa'. Projects: cinder, keystone, neutron, nova.\n"
    empty = portal.fails("report", "release", "--project", "nova", "--release", "2031.1")
    assert empty.stderr.startswith("Error: No specs of nova are in release 2031.1. Releases with specs: 2026.2, ")
    bad_format = portal.run("report", "release", "--project", "nova", "--release", "2026.2", "--format", "pdf")
    assert bad_format.exit_code == 2 and "'pdf' is not one of 'csv', 'json', 'md'" in bad_format.output
