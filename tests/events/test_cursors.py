"""Consumer cursors on the test's own transaction: read, advance, re-read after a crash, gaps, backfill."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal import events
from portal.db.unit import unit_of_work
from portal.events import EventKind, cursors
from portal.events.cursors import Gap, _next_state
from portal.models import AuditLog, Event, EventCursor

_names = count(1)


@pytest.fixture
def consumer(session_factory: sessionmaker[Session]) -> str:
    """A consumer name of this test's own, starting after every event already in the database."""
    name = f"test-consumer-{next(_names)}"
    with unit_of_work(session_factory) as session:
        cursors.reset(session, name)
    return name


def gaps_from(row: EventCursor | None, first_id: int) -> list[list[int]]:
    """The cursor's gaps at or above ``first_id`` (on PostgreSQL, ids burnt by earlier rolled-back tests lie below)."""
    assert row is not None
    return [g[:2] for g in row.gaps if g[1] >= first_id]


def finished(db: Session, n: int, backfill: bool | None = None) -> list[int]:
    recorded = [
        events.record(db, EventKind.IMPORT_FINISHED, backfill=backfill, source="test", status="succeeded", run_id=i)
        for i in range(n)
    ]
    db.flush()
    return [e.id for e in recorded]


class Collect:
    """A handler that remembers what it was given."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.events: list[Event] = []

    def __call__(self, session: Session, batch: Sequence[Event]) -> None:
        self.ids.extend(e.id for e in batch)
        self.events.extend(batch)


def test_batches_come_in_id_order_and_the_cursor_advances(
    db: Session, session_factory: sessionmaker[Session], consumer: str
) -> None:
    ids = finished(db, 5)
    seen = Collect()
    assert cursors.consume(session_factory, consumer, seen, batch_size=2) == 2
    assert cursors.consume(session_factory, consumer, seen, batch_size=2) == 2
    assert cursors.consume(session_factory, consumer, seen, batch_size=2) == 1
    assert cursors.consume(session_factory, consumer, seen, batch_size=2) == 0
    assert seen.ids == ids
    row = db.get(EventCursor, consumer, populate_existing=True)
    assert row is not None and row.last_event_id == ids[-1] and gaps_from(row, ids[0]) == []


def test_a_crash_before_advancing_delivers_the_batch_again_and_rolls_back_its_work(
    db: Session, session_factory: sessionmaker[Session], consumer: str
) -> None:
    ids = finished(db, 3)
    calls: list[list[int]] = []

    def handler(session: Session, batch: Sequence[Event]) -> None:
        calls.append([e.id for e in batch])
        for event in batch:  # the consumer's own database work, keyed by event id
            session.add(AuditLog(action="test.consumed", target_id=str(event.id)))
        session.flush()
        if len(calls) == 1:
            raise RuntimeError("index server went away")

    with pytest.raises(RuntimeError, match="index server went away"):
        cursors.consume(session_factory, consumer, handler)
    assert cursors.consume(session_factory, consumer, handler) == 3
    assert calls == [ids, ids]
    done = db.scalars(select(AuditLog.target_id).where(AuditLog.action == "test.consumed")).all()
    assert sorted(done) == sorted(str(i) for i in ids)  # the failed batch's work is gone: exactly once


def test_an_event_that_appears_below_the_high_water_mark_is_delivered_late(
    db: Session, session_factory: sessionmaker[Session], consumer: str
) -> None:
    """As if the middle event's transaction committed after the next one's (simulated in one transaction)."""
    first, middle, last = finished(db, 3)
    late = db.get(Event, middle)
    assert late is not None
    kept = {"kind": late.kind, "payload": dict(late.payload), "created_at": late.created_at}
    db.delete(late)
    db.flush()
    seen = Collect()
    assert cursors.consume(session_factory, consumer, seen) == 2
    row = db.get(EventCursor, consumer, populate_existing=True)
    assert gaps_from(row, first) == [[middle, middle]]

    db.add(Event(id=middle, **kept))
    db.flush()
    assert cursors.consume(session_factory, consumer, seen) == 1
    assert seen.ids == [first, last, middle]
    assert cursors.consume(session_factory, consumer, seen) == 0
    row = db.get(EventCursor, consumer, populate_existing=True)
    assert gaps_from(row, first) == [] and row is not None and row.last_event_id == last


def test_a_gap_that_never_fills_is_dropped_after_the_timeout(
    db: Session, session_factory: sessionmaker[Session], consumer: str, caplog: pytest.LogCaptureFixture
) -> None:
    first, middle, last = finished(db, 3)
    db.delete(db.get(Event, middle))
    db.flush()
    assert cursors.consume(session_factory, consumer, Collect()) == 2
    assert cursors.consume(session_factory, consumer, Collect()) == 0  # within the timeout: still waited for
    row = db.get(EventCursor, consumer, populate_existing=True)
    assert gaps_from(row, first) == [[middle, middle]]
    with caplog.at_level(logging.WARNING, logger="portal.events.cursors"):
        cursors.consume(session_factory, consumer, Collect(), gap_timeout=timedelta(0))
    row = db.get(EventCursor, consumer, populate_existing=True)
    assert row is not None and row.gaps == []  # every gap is past a zero timeout
    assert f"events {middle}..{middle} never appeared" in caplog.text


def test_backfill_is_stored_so_consumers_can_summarise(
    db: Session, session_factory: sessionmaker[Session], consumer: str
) -> None:
    live = finished(db, 1)
    with events.backfilling(db):
        first_import = finished(db, 2)
        forced = finished(db, 1, backfill=False)
    explicit = finished(db, 1, backfill=True)
    seen = Collect()
    cursors.consume(session_factory, consumer, seen)
    flags = {e.id: e.backfill for e in seen.events}
    assert flags == {live[0]: False, first_import[0]: True, first_import[1]: True, forced[0]: False,
                     explicit[0]: True}
    stored = {i: flag for i, flag in db.execute(select(Event.id, Event.backfill).where(Event.id.in_(flags)))}
    assert stored == flags


def test_reset_replays_from_a_position(db: Session, session_factory: sessionmaker[Session], consumer: str) -> None:
    ids = finished(db, 3)
    cursors.consume(session_factory, consumer, Collect())
    with unit_of_work(session_factory) as session:
        cursors.reset(session, consumer, after_event_id=ids[0])
    again = Collect()
    assert cursors.consume(session_factory, consumer, again) == 2
    assert again.ids == ids[1:]


AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
EARLIER = AT - timedelta(minutes=5)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last", "gaps", "ids", "expected_last", "expected_gaps"),
    [
        (10, [], [], 10, []),
        (10, [], [11, 12], 12, []),
        (10, [], [12, 15], 15, [Gap(11, 11, AT), Gap(13, 14, AT)]),
        (15, [Gap(11, 11, EARLIER), Gap(13, 14, EARLIER)], [13], 15, [Gap(11, 11, EARLIER), Gap(14, 14, EARLIER)]),
        (15, [Gap(11, 14, EARLIER)], [12, 13], 15, [Gap(11, 11, EARLIER), Gap(14, 14, EARLIER)]),
        (15, [Gap(11, 11, EARLIER)], [11, 16, 18], 18, [Gap(17, 17, AT)]),
        (15, [Gap(11, 11, AT - 2 * HOUR), Gap(13, 13, EARLIER)], [], 15, [Gap(13, 13, EARLIER)]),
    ],
    ids=["nothing new", "in order", "steps over ids", "a gap fills", "a range splits", "gap fills, new gap",
         "an old gap expires"],
)
def test_gap_bookkeeping(
    last: int, gaps: list[Gap], ids: list[int], expected_last: int, expected_gaps: list[Gap]
) -> None:
    assert _next_state("t", last, gaps, ids, at=AT, gap_timeout=HOUR) == (expected_last, tuple(expected_gaps))
