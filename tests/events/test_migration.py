"""Migration a1e7c0d2b301 on a database with rows: old kind strings are rewritten, and back on downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from portal.db import migrations
from portal.db.engine import make_engine
from tests.support.pg import scratch_database

BEFORE, THIS = "5b7e2f9c1a40", "a1e7c0d2b301"

events = sa.table(
    "events", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("payload", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's type, only for this test (never the shared test database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'events-migration.db'}"
        return
    with scratch_database(database_url, "events_migration") as scratch:
        yield scratch


def kinds(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(sa.select(events.c.kind).order_by(events.c.id)))
    finally:
        engine.dispose()


def test_old_kinds_are_rewritten_and_restored(empty_url: str) -> None:
    migrations.upgrade(empty_url, BEFORE)
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            at = datetime(2026, 11, 30, tzinfo=UTC).replace(tzinfo=None)
            conn.execute(events.insert(), [
                {"kind": kind, "payload": {"name": "x"}, "created_at": at}
                for kind in ("review.updated", "spec.blueprint_updated", "comment.added")
            ])
    finally:
        engine.dispose()

    migrations.upgrade(empty_url, THIS)
    assert kinds(empty_url) == ["gerrit.change_updated", "launchpad.changed", "comment.added"]
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            assert list(conn.scalars(sa.text("SELECT backfill FROM events"))) == [False, False, False]
    finally:
        engine.dispose()

    migrations.downgrade(empty_url, BEFORE)
    assert kinds(empty_url) == ["review.updated", "spec.blueprint_updated", "comment.added"]
