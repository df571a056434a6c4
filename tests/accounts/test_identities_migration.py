"""The identities migration keeps every account's sessions, tokens and duties, both ways (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal.db import migrations
from portal.db.engine import make_engine
from tests.support.pg import scratch_database

BEFORE, THIS = "f4d5e6f7a904", "f5e6f7a8ba05"


@pytest.fixture
def migration_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    if make_url(database_url).get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'identities.db'}"
        return
    with scratch_database(database_url, "identities") as scratch:
        yield scratch


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def _run(url: str, sql: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def test_email_becomes_optional_without_touching_sessions_and_back(migration_url: str) -> None:
    migrations.upgrade(migration_url, BEFORE)
    _run(migration_url, "INSERT INTO users (id, username, email, display_name, role, is_active, timezone, created_at) "
                        "VALUES (1, 'olga', 'olga@example.org', '', 'operator', true, 'UTC', CURRENT_TIMESTAMP)")
    _run(migration_url, "INSERT INTO user_sessions (user_id, token_hash, created_at, expires_at, address, user_agent) "
                        "VALUES (1, 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '', '')")
    migrations.upgrade(migration_url, THIS)
    assert _count(migration_url, "SELECT count(*) FROM user_sessions") == 1  # no cascade from a table copy
    _run(migration_url, "INSERT INTO users (id, username, email, display_name, role, is_active, timezone, created_at) "
                        "VALUES (2, 'rey', NULL, '', 'operator', true, 'UTC', CURRENT_TIMESTAMP)")
    _run(migration_url, "INSERT INTO external_identities (user_id, kind, issuer, subject, label, created_at) "
                        "VALUES (2, 'oidc', 'https://id.example.org', 'sub-rey', 'rey', CURRENT_TIMESTAMP)")
    migrations.downgrade(migration_url, BEFORE)
    assert _count(migration_url, "SELECT count(*) FROM user_sessions") == 1
    assert _count(migration_url, "SELECT count(*) FROM users WHERE email = 'rey@no-email.invalid'") == 1
    migrations.upgrade(migration_url, THIS)
    assert _count(migration_url, "SELECT count(*) FROM users") == 2
