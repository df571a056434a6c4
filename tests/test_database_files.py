"""The SQLite database and its -wal / -shm files are readable by their owner only (they hold password hashes)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from portal.db import migrations
from portal.db.engine import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000, 0o277], ids=["umask-022", "umask-000", "umask-277"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_a_new_database_and_its_wal_and_shm_files_are_0600(tmp_path: Path, umask: int) -> None:
    database = tmp_path / "instance" / "portal.db"
    url = f"sqlite:///{database}"
    migrations.upgrade(url)  # creates the schema through the same engine factory as the app
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
            conn.execute(text("INSERT INTO scratch VALUES (1)"))
            conn.commit()
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert all(f.exists() for f in files), "WAL mode keeps -wal and -shm while a connection is open"
            assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
    finally:
        engine.dispose()


def test_an_existing_database_keeps_the_mode_its_admin_gave_it(tmp_path: Path) -> None:
    database = tmp_path / "portal.db"
    make_engine(f"sqlite:///{database}").dispose()
    database.chmod(0o640)  # e.g. readable by a backup group

    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()

    assert mode(database) == 0o640
