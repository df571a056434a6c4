"""Domain events, the outbox that the feed, alerts and search read.

Every write path (import, comment, vote, checklist answer) calls
:func:`record` in the transaction of the change it describes, so every
reader sees one stream whatever wrote the change, and only once it is
committed. The pieces:

* ``kinds``: :class:`EventKind`, the pinned kinds;
* ``payloads``: a typed payload per kind, checked by :func:`record`, read back by :func:`payload_of`;
* ``labels``: one table of human labels per kind (activity feed, mails, feeds);
* ``cursors``: consumers read committed events in batches through a cursor each, and nothing is skipped.

This package knows nothing about who consumes events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import insert
from sqlalchemy.orm import Session

from portal.events import cursors
from portal.events.kinds import EventKind
from portal.events.labels import LABELS, Label, label_for
from portal.events.payloads import PAYLOADS, Payload, PayloadError, check, kind_of, parse
from portal.models import Event

__all__ = [
    "LABELS",
    "PAYLOADS",
    "EventKind",
    "Label",
    "Payload",
    "PayloadError",
    "backfilling",
    "cursors",
    "label_for",
    "payload_of",
    "record",
    "record_many",
]

_BACKFILL = "portal.events.backfill"


def record(
    session: Session,
    kind: EventKind | str,
    *,
    project_id: int | None = None,
    spec_id: int | None = None,
    actor_id: int | None = None,
    backfill: bool | None = None,
    **fields: object,
) -> Event:
    """Add an event to the current transaction (flushed with it, never committed here).

    ``fields`` are the kind's payload (``portal/events/payloads.py``); a
    missing, unknown or wrongly typed one raises :class:`PayloadError`.
    ``backfill`` marks events of a first import or a ``--full`` sync, so
    alerts can summarise them; left out, it is true inside :func:`backfilling`.
    """
    payload = check(kind, fields)
    if backfill is None:
        backfill = bool(session.info.get(_BACKFILL, False))
    event = Event(
        kind=kind_of(kind).value,
        project_id=project_id,
        spec_id=spec_id,
        actor_id=actor_id,
        backfill=backfill,
        payload=payload,
    )
    session.add(event)
    return event


def record_many(
    session: Session,
    kind: EventKind | str,
    rows: Iterable[tuple[int | None, Mapping[str, object]]],
    *,
    project_id: int | None = None,
    actor_id: int | None = None,
) -> int:
    """Add many events of one kind in one INSERT: ``rows`` are ``(spec_id, payload fields)``.

    The same checks and backfill rule as :func:`record`, for importers that
    write thousands of rows a page (one ORM insert per event cost more than
    the rows they describe). Nothing is returned but the count: the events
    are not loaded into the session.
    """
    backfill = bool(session.info.get(_BACKFILL, False))
    value = kind_of(kind).value
    values = [
        {"kind": value, "project_id": project_id, "spec_id": spec_id, "actor_id": actor_id,
         "backfill": backfill, "payload": check(kind, fields)}
        for spec_id, fields in rows
    ]
    if values:
        session.execute(insert(Event), values)
    return len(values)


@contextmanager
def backfilling(session: Session) -> Iterator[None]:
    """Every event recorded on ``session`` inside the block is backfill (a first import, a ``--full`` sync).

    Importers wrap such a run in it rather than pass a flag through every service they call.
    """
    previous = session.info.get(_BACKFILL, False)
    session.info[_BACKFILL] = True
    try:
        yield
    finally:
        session.info[_BACKFILL] = previous


def payload_of(event: Event) -> Payload:
    """The typed payload of a stored event (:class:`PayloadError` if the row does not fit its kind)."""
    return parse(event.kind, event.payload)
