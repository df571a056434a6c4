"""Cursors under real concurrency: separate connections that really commit (cleaned up afterwards).

PostgreSQL: a transaction that commits late with a lower id is not skipped,
and a second process of the same consumer is turned away while the first
holds the cursor. Both databases: two processes of one consumer never handle
the same events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import events
from portal.db.base import Base
from portal.db.engine import make_engine, make_session_factory
from portal.db.unit import unit_of_work
from portal.events import EventKind, cursors
from portal.models import Event, EventCursor

_names = count(1)


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on connections of their own; every event and cursor the test commits is deleted after it."""
    with engine.connect() as conn:
        start = conn.scalar(select(func.max(Event.id))) or 0
    yield make_session_factory(engine)
    with engine.begin() as conn:
        conn.execute(delete(Event).where(Event.id > start))
        conn.execute(delete(EventCursor).where(EventCursor.consumer.like("concurrent-%")))


@pytest.fixture
def consumer(factory: sessionmaker[Session]) -> str:
    name = f"concurrent-{next(_names)}"
    with unit_of_work(factory) as session:
        cursors.reset(session, name)  # start after whatever the database already holds
    return name


@pytest.fixture
def postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (PORTAL_TEST_DATABASE_URL): SQLite runs one writer at a time, "
                    "so its ids cannot become visible out of order")


def record(session: Session, source: str) -> Event:
    event = events.record(session, EventKind.IMPORT_FINISHED, source=source, status="succeeded")
    session.flush()
    return event


def commit_events(factory: sessionmaker[Session], n: int) -> list[int]:
    with unit_of_work(factory) as session:
        return [record(session, f"batch-{i}").id for i in range(n)]


class Collect:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self, session: Session, batch: Sequence[Event]) -> None:
        self.ids.extend(e.id for e in batch)


def gaps_of(factory: sessionmaker[Session], consumer: str, first_id: int) -> list[list[int]]:
    """The cursor's gaps from ``first_id`` on (ids below it may have been burnt by earlier rolled-back tests)."""
    with unit_of_work(factory) as session:
        row = session.get(EventCursor, consumer)
        assert row is not None
        return [g[:2] for g in row.gaps if g[1] >= first_id]


def covers(gaps: list[list[int]], event_id: int) -> bool:
    return any(first <= event_id <= last for first, last in gaps)


@pytest.mark.postgres
def test_an_event_committed_after_a_higher_id_is_not_skipped(
    postgresql: None, factory: sessionmaker[Session], consumer: str
) -> None:
    slow, fast = factory(), factory()
    try:
        early = record(slow, "slow import")  # takes its id first, commits last
        late = record(fast, "quick comment")
        fast.commit()
        assert late.id > early.id

        seen = Collect()
        assert cursors.consume(factory, consumer, seen) == 1
        assert seen.ids == [late.id]  # the earlier id is not visible yet…
        assert covers(gaps_of(factory, consumer, early.id), early.id)  # …and the cursor remembers it

        slow.commit()
        assert cursors.consume(factory, consumer, seen) == 1
        assert seen.ids == [late.id, early.id]
        assert cursors.consume(factory, consumer, seen) == 0
        assert gaps_of(factory, consumer, early.id) == []
    finally:
        slow.close()
        fast.close()


@pytest.mark.postgres
def test_an_id_whose_transaction_rolled_back_is_waited_for_then_dropped(
    postgresql: None, factory: sessionmaker[Session], consumer: str
) -> None:
    failed, fast = factory(), factory()
    try:
        lost = record(failed, "failed import")
        kept = record(fast, "quick comment")
        fast.commit()
        failed.rollback()

        seen = Collect()
        assert cursors.consume(factory, consumer, seen) == 1
        assert cursors.consume(factory, consumer, seen) == 0
        assert covers(gaps_of(factory, consumer, lost.id), lost.id)  # still waited for within the timeout
        assert cursors.consume(factory, consumer, seen, gap_timeout=timedelta(0)) == 0
        assert gaps_of(factory, consumer, 0) == []
        assert seen.ids == [kept.id]
    finally:
        failed.close()
        fast.close()


@pytest.mark.postgres
def test_a_second_process_of_the_same_consumer_is_turned_away_at_once(
    postgresql: None, factory: sessionmaker[Session], consumer: str
) -> None:
    ids = commit_events(factory, 3)
    second: list[tuple[int, float]] = []

    def never(session: Session, batch: Sequence[Event]) -> None:
        pytest.fail("a second process handled a batch while the first held the cursor")

    seen = Collect()

    def first(session: Session, batch: Sequence[Event]) -> None:
        started = time.monotonic()
        second.append((cursors.consume(factory, consumer, never), time.monotonic() - started))
        seen(session, batch)

    assert cursors.consume(factory, consumer, first) == 3
    assert [handled for handled, _ in second] == [0]
    assert second[0][1] < 1.0  # SKIP LOCKED: no waiting
    assert seen.ids == ids
    assert cursors.consume(factory, consumer, never) == 0  # and nothing is left for anyone


def test_two_processes_of_one_consumer_never_handle_the_same_events(
    factory: sessionmaker[Session], consumer: str
) -> None:
    ids = commit_events(factory, 6)
    handled: list[int] = []
    overlaps: list[str] = []
    errors: list[BaseException] = []
    active = 0
    guard = threading.Lock()

    def handler(session: Session, batch: Sequence[Event]) -> None:
        nonlocal active
        with guard:
            active += 1
            if active > 1:
                overlaps.append(threading.current_thread().name)
        time.sleep(0.2)
        with guard:
            handled.extend(e.id for e in batch)
            active -= 1

    def worker() -> None:
        try:
            while cursors.consume(factory, consumer, handler, batch_size=2):
                pass
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, name=f"worker-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    while cursors.consume(factory, consumer, handler, batch_size=2):  # whatever a turned-away worker left
        pass

    assert errors == []
    assert overlaps == []
    assert sorted(handled) == ids  # every event exactly once


def test_on_sqlite_a_second_process_waits_for_the_writer_then_is_told_busy(tmp_path: Path, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("checks SQLite's single-writer lock; on PostgreSQL the SKIP LOCKED test above proves it")
    own = make_engine(f"sqlite:///{tmp_path / 'busy.db'}")

    @event.listens_for(own, "connect")
    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    try:
        Base.metadata.create_all(own)
        own_factory = make_session_factory(own)
        with unit_of_work(own_factory) as session:
            record(session, "one")
        second: list[int] = []

        def first(session: Session, batch: Sequence[Event]) -> None:
            second.append(cursors.consume(own_factory, "concurrent-sqlite", Collect()))

        assert cursors.consume(own_factory, "concurrent-sqlite", first) == 1
        assert second == [0]
    finally:
        own.dispose()
