"""The `portal` command on a fresh instance, and the web app on the same database.

For tests that run commands as an admin would and then check what the web
or the API shows (``portal`` and ``web`` fixtures, registered in
tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from portal.app import create_app
from portal.cli import Context, main
from portal.settings import Settings


@dataclass
class Portal:
    """The `portal` command on one instance folder (a fresh SQLite database)."""

    settings: Settings
    runner: CliRunner = field(default_factory=CliRunner)
    contexts: list[Context] = field(default_factory=list)

    def run(self, *args: str, input: str | None = None) -> Result:  # noqa: A002 (click's name)
        context = Context(self.settings)
        self.contexts.append(context)
        return self.runner.invoke(main, list(args), obj=context, input=input)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, f"portal {' '.join(args)} failed: {result.output}"
        return result

    def fails(self, *args: str, input: str | None = None) -> Result:
        """Run a command that must fail the expected way: exit 1 with a message, no crash."""
        result = self.run(*args, input=input)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), f"crashed instead of failing cleanly: {result.exception!r}"
        assert result.stderr.startswith("Error: "), result.stderr
        return result

    def usernames(self) -> list[str]:
        return [line.split()[0] for line in self.ok("users", "list").stdout.splitlines()]

    def close(self) -> None:
        for context in self.contexts:
            if "engine" in context.__dict__:
                context.engine.dispose()


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    cli = Portal(Settings.for_testing(tmp_path / "instance"))
    try:
        assert "Database migrated from empty" in cli.ok("db", "upgrade").stdout
        yield cli
    finally:
        cli.close()


@pytest.fixture
def web(portal: Portal) -> Iterator[Flask]:
    """The web app and API of the same instance, on the same database file as the commands."""
    app = create_app(portal.settings)
    try:
        yield app
    finally:
        app.extensions["portal"].engine.dispose()
