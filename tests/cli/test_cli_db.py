"""``portal db …`` and what every command says about the database, run like an admin would.

Each test gets its own instance folder (PORTAL_INSTANCE_PATH), hence its own
SQLite database and secret key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from portal.cli import main
from portal.db import migrations
from portal.settings import SPECS

Run = Callable[..., Result]


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for spec in SPECS:  # the developer's shell must not leak settings in
        monkeypatch.delenv(f"PORTAL_{spec.name.upper()}", raising=False)
    return tmp_path / "instance"


@pytest.fixture
def portal(instance: Path) -> Run:
    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        runner = CliRunner(env={"PORTAL_INSTANCE_PATH": str(instance), **(env or {})})
        return runner.invoke(main, list(args), input=input, prog_name="portal")

    return run


def head() -> str:
    revision = migrations.head_revision("sqlite://")
    assert revision
    return revision


def revisions_base_to_head() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_db_upgrade_creates_the_database_then_has_nothing_to_do(portal: Run, instance: Path) -> None:
    first = portal("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert first.stdout == f"Database migrated from empty to {head()}.\n"
    assert (instance / "portal.db").is_file()

    second = portal("db", "upgrade")
    assert second.exit_code == 0, second.output
    assert second.stdout == f"Database already at revision {head()}; nothing to do.\n"


def test_db_current_before_and_after_upgrade(portal: Run) -> None:
    before = portal("db", "current")
    assert before.exit_code == 0
    assert before.stdout.splitlines() == [
        "revision: none (empty database)",
        "The database is empty. Run `portal db upgrade` to create it.",
    ]

    portal("db", "upgrade")
    after = portal("db", "current")
    assert after.stdout.splitlines() == [f"revision: {head()}", "up to date"]


def test_db_check_agrees_after_upgrade(portal: Run) -> None:
    portal("db", "upgrade")
    result = portal("db", "check")
    assert result.exit_code == 0, result.output
    assert "Models and migrations agree." in result.stdout


@pytest.mark.parametrize(
    "command",
    [("projects", "list"), ("projects", "add", "nova"), ("import", "specs", "--project", "nova", ".")],
)
def test_commands_before_db_upgrade_say_to_run_it(portal: Run, command: tuple[str, ...]) -> None:
    result = portal(*command)
    assert result.exit_code == 1
    assert result.stderr == "Error: The database is empty. Run `portal db upgrade` to create it.\n"
    assert result.stdout == ""


def test_an_older_database_is_told_to_upgrade(portal: Run) -> None:
    chain = revisions_base_to_head()
    assert len(chain) >= 2, "needs at least two migrations to leave a database behind"
    assert portal("db", "upgrade", "--revision", chain[0]).exit_code == 0

    result = portal("projects", "list")

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: The database is at revision {chain[0]}, the code expects {head()}. Run `portal db upgrade`.\n"
    )
    upgraded = portal("db", "upgrade")
    assert upgraded.stdout == f"Database migrated from {chain[0]} to {head()}.\n"
    assert portal("projects", "list").exit_code == 0


def test_a_database_from_a_newer_release_is_not_touched(portal: Run, instance: Path) -> None:
    portal("db", "upgrade")
    with sqlite3.connect(instance / "portal.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")

    for command in (("projects", "list"), ("db", "upgrade")):
        result = portal(*command)
        assert result.exit_code == 1, command
        assert "revision ffffffffffff, which this version of the portal does not know" in result.stderr
        assert "Install that release, or restore a backup" in result.stderr


def test_db_upgrade_to_an_unknown_revision_says_what_to_check(portal: Run) -> None:
    result = portal("db", "upgrade", "--revision", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Migration failed: Can't locate revision identified by 'nope'")
    assert "`portal db current`" in result.stderr


def test_db_downgrade_to_base_empties_the_database(portal: Run) -> None:
    portal("db", "upgrade")
    result = portal("db", "downgrade", "base")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Database now at revision none (empty database).\n"
    assert portal("projects", "list").exit_code == 1


def test_an_unreachable_database_is_a_clear_error_without_the_password(portal: Run) -> None:
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    url = "postgresql+psycopg://portal:hunter2-secret@127.0.0.1:1/portal"
    result = portal("projects", "list", env={"PORTAL_DATABASE_URL": url})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot use the database postgresql+psycopg://portal:***@127.0.0.1:1/portal")
    assert "Check PORTAL_DATABASE_URL" in result.stderr
    assert "hunter2-secret" not in result.output
    assert "Traceback" not in result.output


def test_a_sqlite_folder_that_cannot_be_created_is_a_clear_error(portal: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    result = portal("db", "upgrade", env={"PORTAL_DATABASE_URL": f"sqlite:///{blocker / 'sub' / 'portal.db'}"})
    assert result.exit_code == 1
    assert f"Cannot create the folder {blocker / 'sub'} for the SQLite database" in result.stderr


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield path + (name,), command
        if isinstance(command, click.Group):
            yield from _walk(command, path + (name,))


def test_help_works_on_every_command_and_subcommand(portal: Run, instance: Path) -> None:
    commands = list(_walk(main))
    names = {" ".join(path) for path, _ in commands}
    assert {"db upgrade", "db current", "projects add", "projects list", "import specs"} <= names

    top = portal("--help")
    assert top.exit_code == 0 and "Usage: portal" in top.stdout
    for path, command in commands:
        result = portal(*path, "--help")
        where = " ".join(path)
        assert result.exit_code == 0, f"portal {where} --help: {result.output}"
        assert f"Usage: portal {where}" in result.stdout, where
        assert command.help and command.help.strip(), f"portal {where} has no help text"
        assert result.stderr == "", where
    assert not instance.exists(), "--help must not create the instance or its database"


def test_db_downgrade_minus_one_goes_back_one_step_as_the_docs_say(portal: Run) -> None:
    from portal.db import migrations

    portal("db", "upgrade")
    head = migrations.head_revision("sqlite://")
    result = portal("db", "downgrade", "-1")
    assert result.exit_code == 0, result.output
    assert "Database now at revision" in result.stdout
    assert head not in result.stdout
    assert f"the code expects {head}. Run `portal db upgrade`." in portal("db", "current").stdout
