"""``portal db``: create, migrate and check the database (Alembic)."""

from __future__ import annotations

import click
from alembic import command
from alembic.util.exc import CommandError

from portal.cli import Context, pass_context
from portal.db import migrations
from portal.errors import PortalError


@click.group("db")
def db_group() -> None:
    """Create, migrate and check the database."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_context
def upgrade(ctx: Context, revision: str) -> None:
    """Create the database or migrate it to the newest schema (safe to re-run)."""
    url = ctx.settings.database_url
    before = migrations.current_revision(ctx.engine)
    if before is not None and not migrations.is_known_revision(url, before):
        raise PortalError(migrations.unknown_revision_message(before, migrations.head_revision(url)))
    try:
        migrations.upgrade(url, revision)
    except CommandError as exc:
        raise PortalError(
            f"Migration failed: {exc}. Check --revision (default: head); `portal db current` shows where "
            "the database is."
        ) from exc
    after = migrations.current_revision(ctx.engine)
    if before == after:
        click.echo(f"Database already at revision {after}; nothing to do.")
    else:
        click.echo(f"Database migrated from {before or 'empty'} to {after}.")


# ignore_unknown_options: a relative revision such as -1 is an argument, not an option.
@db_group.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@pass_context
def downgrade(ctx: Context, revision: str) -> None:
    """Migrate the database back to REVISION (e.g. -1). Back up first: data in dropped tables is lost."""
    try:
        migrations.downgrade(ctx.settings.database_url, revision)
    except CommandError as exc:
        raise PortalError(
            f"Downgrade failed: {exc}. Give a revision id, -1 (one step back) or base; `portal db current` "
            "shows where the database is."
        ) from exc
    click.echo(f"Database now at revision {migrations.current_revision(ctx.engine) or 'none (empty database)'}.")


@db_group.command("current")
@pass_context
def current(ctx: Context) -> None:
    """Print the database's revision and whether it is up to date."""
    message = migrations.pending_message(ctx.engine, ctx.settings.database_url)
    click.echo(f"revision: {migrations.current_revision(ctx.engine) or 'none (empty database)'}")
    click.echo(message or "up to date")


@db_group.command("check")
@pass_context
def check(ctx: Context) -> None:
    """Fail if the models and the migrations disagree (for developers and CI)."""
    try:
        command.check(migrations.alembic_config(ctx.settings.database_url))
    except CommandError as exc:
        raise PortalError(f"Models and migrations differ: {exc}. Write a migration: portal db revision -m '...'")
    click.echo("Models and migrations agree.")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@pass_context
def revision(ctx: Context, message: str) -> None:
    """Write a new migration from the model changes (for developers); review it before committing."""
    command.revision(migrations.alembic_config(ctx.settings.database_url), message=message, autogenerate=True)


def register(main: click.Group) -> None:
    main.add_command(db_group)
