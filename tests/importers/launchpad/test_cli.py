"""``portal sync launchpad`` run like an admin would, against the fake Launchpad on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from portal.cli import main
from portal.settings import SPECS
from tests.importers.launchpad.fake_launchpad import FakeLaunchpad, fake_launchpad
from tests.support.http_server import Reply

Run = Callable[..., Result]


@pytest.fixture
def lp() -> Iterator[FakeLaunchpad]:
    with fake_launchpad() as fake:
        yield fake


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lp: FakeLaunchpad) -> Run:
    for spec in SPECS:
        monkeypatch.delenv(f"PORTAL_{spec.name.upper()}", raising=False)
    env = {"PORTAL_INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_HTTP_RETRIES": "0"}

    def run(*args: str, **extra: str) -> Result:
        return CliRunner(env={**env, **extra}).invoke(main, list(args), prog_name="portal")

    assert run("db", "upgrade").exit_code == 0
    added = run("projects", "add", "nova", "--launchpad", "nova")
    assert added.exit_code == 0, added.output
    return run


def test_help_gives_an_example_against_launchpad(portal: Run) -> None:
    result = portal("sync", "launchpad", "--help")
    assert result.exit_code == 0
    assert "portal sync launchpad --url https://api.launchpad.net --project nova" in result.output
    assert "--full" in result.output


def test_a_sync_prints_a_summary_and_the_setting_gives_the_url(portal: Run, lp: FakeLaunchpad) -> None:
    lp.add("nova", "first", whiteboard="Gerrit topic: bp/first")
    lp.add("nova", "second")

    first = portal("sync", "launchpad", "--project", "nova", PORTAL_LAUNCHPAD_URL=lp.url)
    assert first.exit_code == 0, first.output
    assert "Synced Launchpad blueprints into nova (backfill): 2 created, 0 changed, 0 unchanged" in first.output
    assert "2/2 blueprints" in first.stderr
    assert "nova [########################] 2/2 blueprints (" in first.stderr  # a bar: Launchpad gives the total

    second = portal("sync", "launchpad", "--url", lp.url)  # every project with a Launchpad name
    assert second.exit_code == 0, second.output
    assert "Synced Launchpad blueprints into nova: 0 created, 0 changed, 2 unchanged" in second.output


def test_a_failure_exits_1_and_says_what_to_do(portal: Run, lp: FakeLaunchpad) -> None:
    lp.add("nova", "first")
    lp.fail[("nova", 0)] = Reply(200, b"<html>not json</html>")
    result = portal("sync", "launchpad", "--url", lp.url, "--project", "nova")
    assert result.exit_code == 1
    assert "all_specifications" in result.stderr and "not JSON" in result.stderr
    assert "run the same command again" in result.output

    nobody = portal("sync", "launchpad", "--url", "http://127.0.0.1:9/", "--project", "nova")
    assert nobody.exit_code == 1
    assert "PORTAL_LAUNCHPAD_URL" in nobody.stderr
