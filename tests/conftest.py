"""Test fixtures: a migrated database, one rolled-back transaction per test, the app.

* The schema is built once per run by the Alembic migrations (so every run
  tests them), on SQLite by default or on PostgreSQL when
  ``PORTAL_TEST_DATABASE_URL`` is set.
* Each test runs inside a transaction on one connection that is rolled back
  at the end; the app under test gets sessions on that same connection
  (``join_transaction_mode="create_savepoint"``), so views that commit still
  leave nothing behind.
* Every ``/api/`` response a test produces is validated against the OpenAPI
  document (``tests/support/openapi_check.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from portal.app import create_app
from portal.db import migrations
from portal.db.engine import make_engine
from portal.settings import Settings
from tests.support.openapi_check import ValidatingClient
from tests.support.pg import scratch_database
from tests.support.queries import QueryCounter

pytest_plugins = ["tests.support.factories", "tests.support.browser", "tests.support.cli_instance"]

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "nova-specs"
TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")


def corpus_or_skip() -> Path:
    """The real nova-specs corpus beside the project, or skip saying why."""
    if not (CORPUS / "specs").is_dir():
        pytest.skip(f"real nova-specs corpus not found at {CORPUS} (../shared is not part of this checkout)")
    return CORPUS


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The run's own database: a new SQLite file, or a scratch database beside PORTAL_TEST_DATABASE_URL.

    A scratch PostgreSQL database per run (not the named one itself), so two
    runs at once (two checkouts, a developer and CI) never drop each other's schema.
    """
    if TEST_DATABASE_URL:
        with scratch_database(TEST_DATABASE_URL, "run") as url:
            yield url
        return
    yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """A database migrated to head once for the whole run."""
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    with engine.begin() as conn:
        migrations.upgrade(database_url, connection=conn)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """The test's own session; flush (or commit) before requests so the app sees the rows."""
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.for_testing(tmp_path / "instance", database_url)


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> Flask:
    return create_app(settings, session_factory=session_factory)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = ValidatingClient
    return app.test_client()


@pytest.fixture
def count_queries(connection: Connection) -> Callable[[], QueryCounter]:
    """``with count_queries() as q: ...; assert q.count == 3`` on the test connection."""
    return lambda: QueryCounter(connection)


@pytest.fixture
def csrf_app(settings: Settings, session_factory: sessionmaker[Session]) -> Flask:
    """An app with CSRF checks on (they are on everywhere; this name just documents intent)."""
    return create_app(settings, session_factory=session_factory)
