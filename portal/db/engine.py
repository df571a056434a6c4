"""Engines and sessions for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from portal.errors import PortalError

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_FILE_MODE = 0o600  # the database holds password hashes, emails and addresses
SQLITE_IMMEDIATE = "portal_sqlite_begin_immediate"  # execution option: BEGIN IMMEDIATE on SQLite


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, foreign keys and real transactions."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            folder = Path(url.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise PortalError(
                    f"Cannot create the folder {folder} for the SQLite database: {exc.strerror}. "
                    "Check PORTAL_DATABASE_URL, or make the folder writable."
                ) from exc
            _create_private_file(Path(url.database))
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _create_private_file(path: Path) -> None:
    """Create a missing SQLite database file with mode 0600 before SQLite does.

    SQLite would create it 0644 (minus the umask), readable by every local
    user. An empty file is a valid empty database; SQLite gives the ``-wal``
    and ``-shm`` files it creates later the main file's mode, so they are
    0600 too. ``O_EXCL`` with mode 0600 leaves no moment where the file is
    readable by others; ``fchmod`` then makes it exactly 0600 whatever the
    umask (a umask of 0277 would otherwise leave it unwritable). An existing
    file keeps the mode its admin gave it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        raise PortalError(
            f"Cannot create the SQLite database {path}: {exc.strerror}. "
            "Check PORTAL_DATABASE_URL, or make the folder writable."
        ) from exc
    try:
        os.fchmod(fd, SQLITE_FILE_MODE)
    finally:
        os.close(fd)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so
        # SAVEPOINTs and rollbacks behave (SQLAlchemy's pysqlite docs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A transaction that is known to write can take the write lock at once (waiting for it
        # under the busy timeout): session.connection(execution_options={SQLITE_IMMEDIATE: True}).
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (views render after committing)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
