"""The ``portal`` command: install, upgrade, import, serve.

Each command opens one database session, calls a service, commits, and
prints what it did. Expected failures (``PortalError``) print a one-line
message that says what to do and exit 1; invalid settings exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portal.db.engine import make_engine, make_session_factory
from portal.db.migrations import pending_message
from portal.errors import PortalError, SettingsError
from portal.settings import Settings, load_settings


class Context:
    """Settings and database, built only when a command needs them."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @cached_property
    def settings(self) -> Settings:
        return self._settings if self._settings is not None else load_settings()

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    def require_current_schema(self) -> None:
        message = pending_message(self.engine, self.settings.database_url)
        if message:
            raise PortalError(message)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one command: commit at the end, roll back on any error."""
        self.require_current_schema()
        session = make_session_factory(self.engine)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


class PortalGroup(click.Group):
    """Turns expected failures into a clear message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            click.secho(f"Configuration error: {exc.message}", fg="red", err=True)
            sys.exit(2)
        except PortalError as exc:
            click.secho(f"Error: {exc.message}", fg="red", err=True)
            sys.exit(1)


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(cls=PortalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bob-portal", prog_name="portal")
def main() -> None:
    """BOB, the operator blueprint review portal.

    Settings come from PORTAL_* environment variables and <instance>/portal.toml
    (see docs/configuration.md); PORTAL_INSTANCE_PATH picks the instance folder
    (default: ./instance).
    """


def _register() -> None:
    from portal.cli import db, imports, projects, serve, users

    for module in (db, serve, users, projects, imports):
        module.register(main)


_register()
