"""Consumer cursors: each consumer (search index, alerts) reads committed events in batches, then advances.

One ``event_cursors`` row per consumer name holds where it is. A batch is
read and the cursor advanced in one transaction that also holds the row's
lock, so two processes of the same consumer never handle the same batch:
PostgreSQL takes the row with ``FOR UPDATE SKIP LOCKED`` (the second process
finds it taken and is told :class:`ConsumerBusy` at once); SQLite has one
writer, and the claim is the transaction's first statement, a write, so the
second process waits for the first to commit (up to the busy timeout, then
it is told :class:`ConsumerBusy`).

The trap: PostgreSQL hands out ids when a row is inserted, not when its
transaction commits, so event 11 can become visible before event 10 (whose
transaction is still open, or rolls back). A reader that only asks for
"id > last" would step over 10 for ever. This one remembers the ids it
stepped over (*gaps*: ranges below the high-water mark not seen yet, with
the time they were first missed) and asks for them again with every batch,
until they appear (and are delivered, after higher ids) or
:data:`GAP_TIMEOUT` passes: an id still missing after an hour belonged to a
transaction that rolled back (PostgreSQL never reuses a sequence value), and
is dropped with a warning. SQLite commits one writer at a time, so ids there
become visible in order and gaps stay empty.

Guarantee: every committed event reaches each consumer at least once;
mostly in id order, but a late commit arrives after the higher ids seen
before it. A consumer whose work is in the database gets it exactly once by
doing that work in the batch's transaction (:func:`consume`); a consumer
with outside side effects (an index, mail) may see a batch again if it
crashes after the side effect and before the commit, so handlers must be
idempotent.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Executable, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from portal.clock import now
from portal.db.unit import unit_of_work
from portal.errors import Conflict
from portal.models import Event, EventCursor

log = logging.getLogger(__name__)

GAP_TIMEOUT = timedelta(hours=1)  # far longer than any unit of work the portal runs (an import batch: seconds)
DEFAULT_BATCH = 200

Handler = Callable[[Session, Sequence[Event]], None]


class ConsumerBusy(Conflict):
    """Another process of this consumer holds its cursor right now; try again later."""


@dataclass(frozen=True, order=True)
class Gap:
    """Event ids ``first_id..last_id`` below the high-water mark, not seen since ``missed_at``."""

    first_id: int
    last_id: int
    missed_at: datetime

    def stored(self) -> list[int | str]:
        return [self.first_id, self.last_id, self.missed_at.isoformat()]

    @classmethod
    def load(cls, row: Sequence[int | str]) -> Gap:
        first, last, missed = row
        return cls(int(first), int(last), datetime.fromisoformat(str(missed)))


@dataclass(frozen=True)
class Batch:
    """Events for a consumer, and where its cursor goes once they are handled (:func:`advance`)."""

    consumer: str
    events: list[Event]
    last_event_id: int
    gaps: tuple[Gap, ...]


def read_batch(
    session: Session, consumer: str, *, limit: int = DEFAULT_BATCH, gap_timeout: timedelta = GAP_TIMEOUT
) -> Batch:
    """Claim ``consumer``'s cursor and read its next events (gaps first, then new ids), oldest id first.

    Call it first in its transaction (on SQLite the claim must be the first
    statement), handle the events, then :func:`advance` in the same
    transaction. Raises :class:`ConsumerBusy` when another process holds the
    cursor. The cursor row is created at the start of the stream on first use.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    cursor = _claim(session, consumer)
    gaps = tuple(Gap.load(row) for row in cursor.gaps)
    wanted: ColumnElement[bool] = or_(
        Event.id > cursor.last_event_id, *(Event.id.between(g.first_id, g.last_id) for g in gaps)
    )
    events = list(session.scalars(select(Event).where(wanted).order_by(Event.id).limit(limit)))
    last_event_id, next_gaps = _next_state(
        consumer, cursor.last_event_id, gaps, [e.id for e in events], at=now(), gap_timeout=gap_timeout
    )
    return Batch(consumer=consumer, events=events, last_event_id=last_event_id, gaps=next_gaps)


def advance(session: Session, batch: Batch) -> None:
    """Move the cursor past ``batch``: it commits with the consumer's own work, or not at all."""
    cursor = session.get(EventCursor, batch.consumer)
    if cursor is None:  # pragma: no cover - read_batch created it in this transaction
        raise LookupError(f"no cursor for consumer {batch.consumer!r}: read a batch first")
    cursor.last_event_id = batch.last_event_id
    cursor.gaps = [g.stored() for g in batch.gaps]
    cursor.updated_at = now()
    session.flush()


def consume(
    factory: sessionmaker[Session],
    consumer: str,
    handler: Handler,
    *,
    batch_size: int = DEFAULT_BATCH,
    gap_timeout: timedelta = GAP_TIMEOUT,
) -> int:
    """Handle one batch for ``consumer`` in a unit of work of its own; return how many events it handled.

    ``handler(session, events)`` runs inside the batch's transaction: database
    work it does commits together with the cursor (exactly once); if it
    raises, both roll back and the same events come again next time. Work
    outside the database (index writes, mail) is done at least once:
    handlers MUST be idempotent, because a batch whose side effects ran can
    still fail to commit, and a late-committing event can arrive after
    higher ids. A handler that cannot handle one event should log it and
    go on: raising stops the consumer at that batch until it is fixed.
    Returns 0 when there was nothing to do, or when another process of the
    same consumer holds the cursor.
    """
    try:
        with unit_of_work(factory) as session:
            batch = read_batch(session, consumer, limit=batch_size, gap_timeout=gap_timeout)
            if batch.events:
                handler(session, batch.events)
            advance(session, batch)
    except ConsumerBusy:
        log.info("consumer %s is busy in another process; skipping this round", consumer)
        return 0
    return len(batch.events)


def reset(session: Session, consumer: str, *, after_event_id: int | None = None) -> None:
    """Point ``consumer`` at a position: after ``after_event_id`` (0 replays everything), or by default the
    newest event now (a new alerts consumer starts from now, not from history)."""
    cursor = _claim(session, consumer)
    if after_event_id is None:
        after_event_id = session.scalar(select(func.max(Event.id))) or 0
    cursor.last_event_id = after_event_id
    cursor.gaps = []
    cursor.updated_at = now()
    session.flush()


def _claim(session: Session, consumer: str) -> EventCursor:
    """The consumer's cursor row, created if missing and locked for this transaction."""
    dialect = session.get_bind().dialect.name
    row = {"consumer": consumer, "last_event_id": 0, "gaps": [], "updated_at": now()}
    # Creating the row if needed is also, on SQLite, the write that takes the database's one writer lock.
    stmt: Executable
    if dialect == "postgresql":
        stmt = postgresql.insert(EventCursor).values(row).on_conflict_do_nothing(index_elements=["consumer"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(EventCursor).values(row).on_conflict_do_nothing(index_elements=["consumer"])
    else:  # pragma: no cover - the portal runs on these two
        raise NotImplementedError(f"event cursors support PostgreSQL and SQLite, not {dialect}")
    try:
        session.execute(stmt)
    except OperationalError as exc:
        if dialect == "sqlite" and "locked" in str(exc.orig):
            raise ConsumerBusy(f"Consumer {consumer!r} is running in another process (the database is locked); "
                               "try again when it has finished.") from exc
        raise
    cursor = session.scalar(
        select(EventCursor)
        .where(EventCursor.consumer == consumer)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if cursor is None:
        raise ConsumerBusy(f"Consumer {consumer!r} is running in another process; try again when it has finished.")
    return cursor


def _next_state(
    consumer: str,
    last_event_id: int,
    gaps: Sequence[Gap],
    ids: Sequence[int],
    *,
    at: datetime,
    gap_timeout: timedelta,
) -> tuple[int, tuple[Gap, ...]]:
    """The high-water mark and gaps after handling ``ids`` (sorted), given the ones before."""
    remaining: list[Gap] = []
    for gap in gaps:  # take the ids that arrived out of each gap
        start = gap.first_id
        for seen in ids[bisect_left(ids, gap.first_id):bisect_right(ids, gap.last_id)]:
            if seen > start:
                remaining.append(Gap(start, seen - 1, gap.missed_at))
            start = seen + 1
        if start <= gap.last_id:
            remaining.append(Gap(start, gap.last_id, gap.missed_at))
    top = last_event_id
    for seen in ids[bisect_right(ids, last_event_id):]:  # new ids: whatever they step over is a new gap
        if seen > top + 1:
            remaining.append(Gap(top + 1, seen - 1, at))
        top = seen
    kept: list[Gap] = []
    for gap in sorted(remaining):
        if at - gap.missed_at > gap_timeout:
            log.warning(
                "consumer %s: events %d..%d never appeared in %s; taking them for rolled-back transactions",
                consumer, gap.first_id, gap.last_id, gap_timeout,
            )
        else:
            kept.append(gap)
    return top, tuple(kept)
