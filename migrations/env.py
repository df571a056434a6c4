"""Alembic environment: the portal's metadata, SQLite-safe batch mode, type comparison."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import portal.models  # noqa: F401  (registers every table)
from portal.db.base import Base
from portal.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write portal's UTCDateTime as a plain timezone-aware DateTime in revisions."""
    from portal.db.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the PostgreSQL-only search tables (not in the models; see portal.models.search) out of comparisons."""
    from portal.models.search import POSTGRES_ONLY_TABLES

    return not (type_ == "table" and name in POSTGRES_ONLY_TABLES)


def _configure(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
        include_name=include_name,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """SQLite rebuilds a table to alter it (batch mode): with foreign keys on, its DROP TABLE would
    cascade to every child row. The PRAGMA only works outside a transaction, so it goes straight to
    the driver, before the run begins and after it committed; then every reference is checked."""
    driver = connection.connection.driver_connection
    assert driver is not None
    if on:
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"The migration left rows that reference missing rows: {broken[:5]}")
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                _sqlite_foreign_keys(connection, on=False)
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
