"""Scratch PostgreSQL databases for tests that need a database of their own.

Each gets a unique name, so a test never has to drop a database that
something else still uses, and is dropped at the end with a few retries:
``DROP DATABASE … WITH (FORCE)`` cannot end an autovacuum worker that is
still busy in it (it runs as the superuser, not as the test role), and a
busy CI machine makes that race real.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from portal.db.engine import make_engine

DROP_ATTEMPTS = 40
DROP_PAUSE_S = 0.25


@contextmanager
def scratch_database(base_url: str, purpose: str) -> Iterator[str]:
    """Create ``<base>_<purpose>_<random>`` beside the suite's database, yield its URL, drop it."""
    url = make_url(base_url)
    name = f"{url.database}_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            _drop(admin, name)
    finally:
        admin.dispose()


def _drop(admin: object, name: str) -> None:
    for attempt in range(DROP_ATTEMPTS):
        try:
            with admin.connect() as conn:  # type: ignore[attr-defined]
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == DROP_ATTEMPTS - 1:
                raise
            time.sleep(DROP_PAUSE_S)
