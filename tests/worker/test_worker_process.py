"""``portal worker`` as a real process: --once, SIGTERM, and two workers at once.

Each test gets an instance folder of its own and a database of its own
(a SQLite file, or a scratch PostgreSQL database when the suite runs on
PostgreSQL), because the processes commit for real.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.db import migrations
from portal.db.engine import make_engine, make_session_factory
from portal.db.unit import unit_of_work
from portal.models import Event, EventCursor
from portal.specs.service import add_project
from tests.conftest import TEST_DATABASE_URL
from tests.support.pg import scratch_database

PORTAL = str(Path(sys.executable).parent / "portal")
POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for `portal` on a fresh, migrated database with 40 project events not indexed yet."""
    path = tmp_path / "instance"
    path.mkdir()

    def prepare(url: str) -> dict[str, str]:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                migrations.upgrade(url, connection=conn)
            with unit_of_work(make_session_factory(engine)) as session:
                for number in range(40):
                    add_project(session, None, f"wk{number:02d}")
        finally:
            engine.dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(PORTAL_INSTANCE_PATH=str(path), PORTAL_DATABASE_URL=url, PORTAL_WORKER_SYNC_INTERVAL="3600",
                   PORTAL_SEARCH_BACKEND="postgres" if url.startswith("postgresql") else "whoosh")
        return env

    if POSTGRES:
        assert TEST_DATABASE_URL
        with scratch_database(TEST_DATABASE_URL, "worker") as url:
            yield prepare(url)
    else:
        yield prepare(f"sqlite:///{path / 'portal.db'}")


def events_and_cursor(env: dict[str, str]) -> tuple[int, int]:
    engine = make_engine(env["PORTAL_DATABASE_URL"])
    try:
        with make_session_factory(engine)() as session:
            events = session.scalar(select(func.count()).select_from(Event)) or 0
            cursor = session.get(EventCursor, "search")
            return events, cursor.last_event_id if cursor else 0
    finally:
        engine.dispose()


def counted(output: str, job: str, what: str) -> int:
    for line in output.splitlines():
        if line.startswith(f"{job}: ") and what in line:
            return int(line.split(": ", 1)[1].split()[0])
    return 0


def test_once_runs_each_enabled_job_once_and_indexes_the_events(instance: dict[str, str]) -> None:
    result = subprocess.run([PORTAL, "worker", "--once"], env=instance, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    jobs = [line.split(":")[0] for line in result.stdout.splitlines()]
    assert jobs[:2] == ["sync", "index"] and jobs.count("index") == 1
    events, cursor = events_and_cursor(instance)
    assert counted(result.stdout, "index", "events indexed") == events >= 40
    assert cursor == events


def test_unknown_job_name_says_which_jobs_exist(instance: dict[str, str]) -> None:
    result = subprocess.run([PORTAL, "worker", "--once", "--only", "index,mail"], env=instance,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "unknown job mail" in result.stderr and "sync, index, alerts, digest" in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_worker_cleanly_within_seconds(instance: dict[str, str], sig: signal.Signals) -> None:
    env = {**instance, "PORTAL_WORKER_INDEX_INTERVAL": "1"}
    process = subprocess.Popen([PORTAL, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # the first job line: the loop is running
        assert first.startswith("sync: "), first
        second = process.stdout.readline()
        assert second.startswith("index: "), second
        sent = time.monotonic()
        process.send_signal(sig)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert time.monotonic() - sent < 5
    assert "Worker stopped cleanly." in err


@pytest.mark.skipif(not POSTGRES, reason="two workers at once need a database with concurrent writers "
                    "(set PORTAL_TEST_DATABASE_URL to a PostgreSQL database)")
def test_two_workers_at_once_index_each_event_once(instance: dict[str, str]) -> None:
    command = [PORTAL, "worker", "--once", "--only", "index"]
    workers = [subprocess.Popen(command, env=instance, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    events, cursor = events_and_cursor(instance)
    handled = sum(counted(out, "index", "events indexed") for out, _ in outputs)
    assert handled == events and cursor == events


def test_a_second_worker_skips_the_sync_another_one_holds(instance: dict[str, str]) -> None:
    from portal.cli.worker_loop import job_lock

    engine = make_engine(instance["PORTAL_DATABASE_URL"])
    try:
        with job_lock(engine, Path(instance["PORTAL_INSTANCE_PATH"]), "sync")():
            result = subprocess.run([PORTAL, "worker", "--once", "--only", "sync"], env=instance,
                                    capture_output=True, text=True, timeout=60)
    finally:
        engine.dispose()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sync: another worker is on it, skipped"
