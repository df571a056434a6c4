"""Alembic, configured in code: no alembic.ini to keep in sync with the settings."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

from portal.resources import resource_dir

# Revisions are named YYYYMMDD_HHMM_<rev>_<slug>.py so they sort by date.
FILE_TEMPLATE = "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"


def alembic_config(database_url: str, connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the portal's migrations and database."""
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("timezone", "UTC")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str, revision: str = "head", connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(database_url, connection), revision)


def downgrade(database_url: str, revision: str, connection: Connection | None = None) -> None:
    command.downgrade(alembic_config(database_url, connection), revision)


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending_message(engine: Engine, database_url: str) -> str | None:
    """Why the database cannot be used as it is, or ``None`` when it is at head."""
    current = current_revision(engine)
    head = head_revision(database_url)
    if current == head:
        return None
    if current is None:
        return "The database is empty. Run `portal db upgrade` to create it."
    if not is_known_revision(database_url, current):
        return unknown_revision_message(current, head)
    return f"The database is at revision {current}, the code expects {head}. Run `portal db upgrade`."


def is_known_revision(database_url: str, revision: str) -> bool:
    """Whether this code's migrations contain ``revision``."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    try:
        return script.get_revision(revision) is not None
    except (CommandError, RevisionError):
        return False


def unknown_revision_message(current: str, head: str | None) -> str:
    return (
        f"The database is at revision {current}, which this version of the portal does not know "
        f"(it expects {head}): a newer release migrated it. Install that release, or restore "
        "a backup taken before the upgrade."
    )
