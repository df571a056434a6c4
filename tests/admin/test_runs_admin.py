"""Import runs for the admin: counts, duration, errors, on /admin/runs and with `portal runs list`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.clock import now
from portal.models import ImportRun, Project
from portal.specs.import_runs import format_duration
from tests.support.cli_instance import Portal
from tests.support.factories import spec_rst
from tests.support.html import text_of


def add_runs(db: Session, project: Project, n: int = 1) -> None:
    start = now() - timedelta(hours=1)
    for i in range(n):
        db.add(ImportRun(source="specs-dir", project_id=project.id, argument=f"/srv/nova-specs-{i}",
                         status="succeeded", counts={"created": 3, "updated": 1, "unchanged": 40, "failed": 0},
                         started_at=start, finished_at=start + timedelta(seconds=1.5)))
    db.add(ImportRun(source="specs-dir", project_id=project.id, argument="/srv/nova-specs", status="partial",
                     counts={"created": 1, "failed": 2}, started_at=start, finished_at=start + timedelta(minutes=2),
                     errors=[{"path": "specs/2025.1/approved/bad.rst", "reason": "not UTF-8 text"},
                             {"path": "specs/2025.1/approved/\x1b[2Jevil.rst", "reason": "kept as plain text"}]))
    db.add(ImportRun(source="gerrit", project_id=None, argument="https://review.opendev.org", status="failed",
                     error="UpstreamError: Gerrit answered 503 three times", started_at=start,
                     finished_at=start + timedelta(seconds=30)))
    db.add(ImportRun(source="launchpad", project_id=project.id, status="running", started_at=now()))
    db.flush()


def test_the_runs_page_shows_counts_duration_and_errors_in_one_query(
    admin_client: FlaskClient, db: Session, make_project, count_queries
) -> None:
    nova = make_project("nova")
    add_runs(db, nova)

    with count_queries() as few:
        page = admin_client.get("/admin/runs")
    text = text_of(page.text)

    assert page.status_code == 200
    assert "specs-dir /srv/nova-specs-0 nova succeeded 1.5 s created 3, updated 1, unchanged 40, failed 0" in text
    assert "partial 2 min 0 s created 1, failed 2 2 failed items specs/2025.1/approved/bad.rst: not UTF-8 text" in text
    assert "gerrit https://review.opendev.org — failed 30.0 s no counts Run failed: UpstreamError: Gerrit" in text
    assert "launchpad" in text and "running for" in text
    assert "[2Jevil.rst: kept as plain text" in text

    add_runs(db, nova, n=30)
    with count_queries() as many:
        admin_client.get("/admin/runs")
    assert many.count == few.count


def test_the_runs_page_filters_by_outcome_and_project(admin_client: FlaskClient, db: Session, make_project) -> None:
    nova = make_project("nova")
    add_runs(db, nova)

    failed = text_of(admin_client.get("/admin/runs?status=failed").text)
    assert "gerrit" in failed and "specs-dir" not in failed
    of_nova = text_of(admin_client.get("/admin/runs?project=nova").text)
    assert "Import runs of nova" in of_nova and "gerrit" not in of_nova
    assert admin_client.get("/admin/runs?project=swift").status_code == 404


def test_durations_read_naturally() -> None:
    assert format_duration(None) == "—"
    assert format_duration(timedelta(milliseconds=250)) == "250 ms"
    assert format_duration(timedelta(seconds=12.34)) == "12.3 s"
    assert format_duration(timedelta(seconds=125)) == "2 min 5 s"
    assert format_duration(timedelta(hours=2, minutes=3)) == "2 h 3 min"


def test_cli_runs_list_after_a_real_import_with_a_bad_file(portal: Portal, tmp_path: Path) -> None:
    assert portal.ok("runs", "list").stdout.startswith("No import runs yet.")
    tree = tmp_path / "nova-specs" / "specs" / "2025.1" / "approved"
    tree.mkdir(parents=True)
    (tree / "good-spec.rst").write_text(spec_rst("Good spec", "good-spec"), encoding="utf-8")
    (tree / "bad\x1b]0;owned\x07.rst").write_bytes(b"caf\xe9 latin-1 text")
    portal.ok("projects", "add", "nova")
    portal.run("import", "specs", "--project", "nova", str(tmp_path / "nova-specs"))

    listed = portal.ok("runs", "list").stdout

    first = listed.splitlines()[0]
    assert "specs-dir" in first and "nova" in first and "partial" in first
    assert "created 1" in first and "failed 1" in first
    assert "\x1b" not in listed and "\x07" not in listed  # a file name cannot drive the terminal
    assert "! specs/2025.1/approved/bad\\x1b]0;owned\\x07.rst: not UTF-8 text" in listed
    assert portal.ok("runs", "list", "--no-errors").stdout.count("!") == 0
    assert portal.ok("runs", "list", "--status", "failed").stdout == "No import runs with outcome failed.\n"
    assert "No project named 'swift'" in portal.fails("runs", "list", "--project", "swift").stderr
    assert "--status" in portal.ok("runs", "list", "--help").stdout
