"""``portal sync gerrit`` end to end: a real instance (SQLite file), the fake Gerrit on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from portal.cli import main
from tests.importers.gerrit.fake_gerrit import FakeChange, FakeGerrit
from tests.support.factories import spec_rst
from tests.support.http_server import Reply

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def runner_for(tmp_path: Path, gerrit: FakeGerrit, **env: str | None) -> CliRunner:
    return CliRunner(env={"PORTAL_INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_DATABASE_URL": None,
                          "PORTAL_GERRIT_URL": gerrit.url, "PORTAL_HTTP_RETRIES": "0", **env})


def test_help_shows_an_example_against_opendev() -> None:
    result = CliRunner().invoke(main, ["sync", "gerrit", "--help"])
    assert result.exit_code == 0
    assert "portal sync gerrit --url https://review.opendev.org --project nova" in result.output


def test_sync_then_rerun_then_a_failure_says_what_to_do(tmp_path: Path, gerrit: FakeGerrit) -> None:
    gerrit.add(FakeChange(11, {"specs/2026.1/approved/alpha.rst": spec_rst("Alpha", "alpha")}, T0))
    runner = runner_for(tmp_path, gerrit, PORTAL_GERRIT_PAGE_SIZE="1")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["projects", "add", "nova", "--gerrit-repo", "openstack/nova-specs"]).exit_code == 0
    assert runner.invoke(main, ["projects", "add", "glance"]).exit_code == 0  # no Gerrit repository: not synced

    assert runner.invoke(main, ["projects", "edit", "nova", "--code-repo", "openstack/nova"]).exit_code == 0
    gerrit.add(FakeChange(12, {}, T0, project="openstack/nova", commit_message="x\n\nImplements: blueprint alpha\n"))

    first = runner.invoke(main, ["sync", "gerrit"])
    assert first.exit_code == 0, first.output
    assert "Synced nova from Gerrit: 1 created, 0 updated, 0 unchanged, 0 failed" in first.stdout
    assert "nova: 1 changes read (" in first.stderr  # Gerrit gives no total: a running count per page
    assert "Implementation progress of nova from openstack/nova: 1 created" in first.stdout
    assert "nova: 1 changes read" in first.stderr and "glance" not in first.output

    again = runner.invoke(main, ["sync", "gerrit", "--project", "nova"])
    assert "1 unchanged" in again.stdout

    gerrit.faults[len(gerrit.queries) + 1] = Reply(500, "boom", {"Content-Type": "text/plain"})
    failed = runner.invoke(main, ["sync", "gerrit", "--project", "nova", "--full"])
    assert failed.exit_code == 1
    assert "FAILED  nova:" in failed.stderr and "run the same command again" in failed.stderr
    assert f"{gerrit.url}/changes/" in failed.stderr


def test_a_project_without_a_repository_is_refused_with_the_fix(tmp_path: Path, gerrit: FakeGerrit) -> None:
    runner = runner_for(tmp_path, gerrit)
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["projects", "add", "glance"]).exit_code == 0
    result = runner.invoke(main, ["sync", "gerrit", "--project", "glance"])
    assert result.exit_code == 1
    assert "--gerrit-repo" in result.output
