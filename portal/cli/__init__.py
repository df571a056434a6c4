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
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session

from portal.cli.output import shown
from portal.db.engine import make_engine, make_session_factory
from portal.db.migrations import pending_message
from portal.db.unit import unit_of_work
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

    def close(self) -> None:
        """Release the database connections this command opened."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    def require_current_schema(self) -> None:
        message = pending_message(self.engine, self.settings.database_url)
        if message:
            raise PortalError(message)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The command's unit of work: commit once at the end (and run its hooks), roll back on any error.

        Long commands commit each batch with ``portal.db.unit.commit_batch``.
        """
        self.require_current_schema()
        with unit_of_work(make_session_factory(self.engine)) as session:
            yield session


class PortalGroup(click.Group):
    """Turns expected failures into a clear message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            click.secho(f"Configuration error: {shown(exc.message, keep_newlines=True)}", fg="red", err=True)
            sys.exit(2)
        except PortalError as exc:
            click.secho(f"Error: {shown(exc.message, keep_newlines=True)}", fg="red", err=True)
            sys.exit(1)
        except OperationalError as exc:  # the database cannot be reached or opened
            where = _database_shown(ctx.find_object(Context))
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            click.secho(
                f"Error: cannot use the database{shown(where)}: {shown(reason)}. Check PORTAL_DATABASE_URL "
                "(or database_url in portal.toml) and that the database server is running.",
                fg="red",
                err=True,
            )
            sys.exit(1)


def _database_shown(context: Context | None) -> str:
    """The database URL without its password, for error messages."""
    if context is None:
        return ""
    try:
        url = make_url(context.settings.database_url)
    except (PortalError, ArgumentError):
        return ""
    return f" {url.render_as_string(hide_password=True)}"


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(cls=PortalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bob-portal", prog_name="portal")
@click.pass_context
def main(ctx: click.Context) -> None:
    """BOB, the operator blueprint review portal.

    Settings come from PORTAL_* environment variables and <instance>/portal.toml
    (see docs/install.md, "Settings"); PORTAL_INSTANCE_PATH picks the instance
    folder (default: ./instance). Every command: docs/cli.md.
    """
    context = ctx.ensure_object(Context)  # one Context for the whole command line (and its error messages)
    ctx.call_on_close(context.close)


def _register() -> None:
    from portal.cli import (
        alerts,
        checklist,
        db,
        demo,
        imports,
        projects,
        report,
        runs,
        search,
        serve,
        sync,
        users,
        worker,
    )

    for module in (db, demo, serve, users, projects, imports, sync, runs, checklist, report, search, alerts, worker):
        module.register(main)


_register()
