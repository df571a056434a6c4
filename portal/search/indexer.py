"""The one write path into the search index: the ``search`` event consumer, and the full rebuild.

Every change reaches the index the same way, whatever made it (an import,
the web, the API): its event, read through the ``search`` cursor
(:mod:`portal.events.cursors`). :func:`plan_batch` (pure) turns a batch of
events into what to re-read and what to drop; :func:`handle_batch` reads
those rows, builds documents (:mod:`portal.search.documents`) and applies
them in one write. Re-reading the rows, not trusting the events' fields,
makes a repeated batch harmless: handling is idempotent.

:func:`reindex` rebuilds from the database into a new index while the old
one keeps serving, then rewinds the cursor to where the rebuild started, so
events that arrived during the build are applied to the new index too.
:func:`indexed_up_to` tells others (alerts following saved searches) how
far the index has got.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, load_only, sessionmaker

from portal.db.unit import unit_of_work
from portal.events import EventKind, cursors
from portal.events.cursors import Batch, ConsumerBusy, Gap
from portal.models import Comment, Event, EventCursor, Project, Spec, SpecRevision
from portal.search.backend import Progress, SearchBackend, SearchDoc
from portal.search.documents import (
    SpecContext,
    comment_doc_id,
    comment_document,
    spec_documents,
)
from portal.specs.service import current_revision

log = logging.getLogger(__name__)

CONSUMER = "search"
BATCH_SIZE = 500  # events per batch: one index commit (~50 ms on Whoosh) each
SPEC_CHUNK = 200  # specs read per query when rebuilding
GAP_WINDOW = 50  # ids below a first rebuild's starting point checked for transactions still open

# Kinds after which the spec's documents are read again (its text, title, state, release, Launchpad fields).
SPEC_KINDS = frozenset({
    EventKind.SPEC_CREATED, EventKind.SPEC_REVISED, EventKind.SPEC_STATE_CHANGED,
    EventKind.LAUNCHPAD_CHANGED, EventKind.SPEC_MERGED_INTO,
})
COMMENT_UPSERT_KINDS = frozenset({EventKind.COMMENT_ADDED, EventKind.COMMENT_EDITED, EventKind.COMMENT_SHOWN})
COMMENT_DELETE_KINDS = frozenset({EventKind.COMMENT_HIDDEN, EventKind.COMMENT_DELETED})


@dataclass
class Plan:
    """What one batch of events asks of the index (ids only; the rows are read afterwards)."""

    refresh_specs: set[int] = field(default_factory=set)  # re-read every document of these specs
    refresh_projects: set[int] = field(default_factory=set)  # ... of every spec of these (renamed) projects
    delete_specs: set[int] = field(default_factory=set)
    delete_projects: set[str] = field(default_factory=set)
    upsert_comments: set[int] = field(default_factory=set)
    delete_comments: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())


def plan_batch(events: Sequence[Event]) -> Plan:
    """The index work for ``events`` (pure: reads only the events). The latest event about a comment wins."""
    plan = Plan()
    for event in events:
        kind, payload = event.kind, event.payload or {}
        if kind in SPEC_KINDS:
            if event.spec_id is not None:
                plan.refresh_specs.add(event.spec_id)
            into = payload.get("into_spec_id")
            if kind == EventKind.SPEC_MERGED_INTO and isinstance(into, int):
                plan.refresh_specs.add(into)
                former = payload.get("former_spec_id")
                if isinstance(former, int) and former != into:  # the merged spec's documents leave the index
                    plan.delete_specs.add(former)
                    plan.refresh_specs.discard(former)
        elif kind == EventKind.SPEC_DELETED:
            former = payload.get("former_spec_id", event.spec_id)
            if isinstance(former, int):
                plan.delete_specs.add(former)
                plan.refresh_specs.discard(former)
        elif kind == EventKind.PROJECT_CHANGED:
            change = payload.get("change")
            if change == "removed" and payload.get("name"):
                plan.delete_projects.add(str(payload["name"]))
            elif change == "renamed":
                if payload.get("old_name"):
                    plan.delete_projects.add(str(payload["old_name"]))
                if event.project_id is not None:
                    plan.refresh_projects.add(event.project_id)
        elif kind in COMMENT_UPSERT_KINDS or kind in COMMENT_DELETE_KINDS:
            comment_id = payload.get("comment_id")
            if not isinstance(comment_id, int):
                continue
            if kind in COMMENT_UPSERT_KINDS:
                plan.upsert_comments.add(comment_id)
                plan.delete_comments.discard(comment_id)
            else:
                plan.delete_comments.add(comment_id)
                plan.upsert_comments.discard(comment_id)
    return plan


def handle_batch(session: Session, backend: SearchBackend, events: Sequence[Event]) -> int:
    """Apply ``events`` to the index: read what they name, write it in one go. Returns documents touched."""
    plan = plan_batch(events)
    if plan.empty:
        return 0
    specs = set(plan.refresh_specs)
    if plan.refresh_projects:
        specs.update(session.scalars(select(Spec.id).where(Spec.project_id.in_(plan.refresh_projects))))
    docs = spec_docs(session, specs) if specs else {}
    gone_specs = specs - docs.keys()  # deleted since the event: drop whatever the index still has
    upserts: list[SearchDoc] = [d for spec_docs_ in docs.values() for d in spec_docs_]
    delete_ids = {comment_doc_id(c) for c in plan.delete_comments}
    comment_ids = plan.upsert_comments
    if comment_ids:
        found = comment_docs(session, comment_ids, skip_specs=docs.keys())
        upserts.extend(d for d in found.values() if d is not None)
        delete_ids.update(comment_doc_id(c) for c, d in found.items() if d is None)
    upserts = [d for d in upserts if d.doc_id not in delete_ids]  # a hidden comment is not re-added by a refresh
    return backend.apply(
        delete_projects=sorted(plan.delete_projects),
        delete_specs=sorted(plan.delete_specs | specs | gone_specs),
        delete_ids=sorted(delete_ids),
        upsert=upserts,
    )


def catch_up(factory: sessionmaker[Session], backend: SearchBackend, *, batch_size: int = BATCH_SIZE,
             max_batches: int | None = None) -> int:
    """Handle every event not indexed yet, a batch per transaction; return how many events were handled.

    Returns early (0 for that round) when another process is the consumer
    right now. The backend's write lock is taken before the cursor, in the
    same order as :func:`reindex`, so the two never wait on each other.
    """
    total, batches = 0, 0
    while max_batches is None or batches < max_batches:
        with backend.write_lock():
            handled = cursors.consume(
                factory, CONSUMER, lambda session, events: _handle(session, backend, events), batch_size=batch_size,
            )
        total += handled
        batches += 1
        if handled == 0:
            break
    return total


def _handle(session: Session, backend: SearchBackend, events: Sequence[Event]) -> None:
    touched = handle_batch(session, backend, events)
    log.info("search: indexed events %d..%d (%d documents)", events[0].id, events[-1].id, touched)


def indexed_up_to(session: Session) -> int:
    """The highest event id such that it and every id below it are in the index (0 before the first batch).

    Conservative on PostgreSQL: an id of a rolled-back transaction stays a
    gap of the cursor for up to an hour and holds this below it. To wait for
    one event (alerts following saved searches wait until the event they are
    about to match is findable), ask :func:`is_indexed`.
    """
    cursor = session.get(EventCursor, CONSUMER)
    if cursor is None:
        return 0
    gaps = [Gap.load(row) for row in cursor.gaps or ()]
    if gaps:
        return min(cursor.last_event_id, min(g.first_id for g in gaps) - 1)
    return int(cursor.last_event_id)


def is_indexed(session: Session, event_id: int) -> bool:
    """Whether the index already reflects event ``event_id``: the cursor is past it and it is not in a gap
    (an id still awaited because its transaction had not committed)."""
    cursor = session.get(EventCursor, CONSUMER)
    if cursor is None or event_id > cursor.last_event_id:
        return False
    return not any(g.first_id <= event_id <= g.last_id for g in (Gap.load(row) for row in cursor.gaps or ()))


def pending_events(session: Session) -> int:
    """How many events the index has not seen yet (for `portal search status`)."""
    cursor = session.get(EventCursor, CONSUMER)
    last = cursor.last_event_id if cursor is not None else 0
    return int(session.scalar(select(func.count()).select_from(Event).where(Event.id > last)) or 0)


# --- reading rows into documents ---------------------------------------------------------------


def spec_docs(session: Session, spec_ids: Iterable[int]) -> dict[int, list[SearchDoc]]:
    """Every document of these specs (spec, sections, live comments), by spec id; missing specs are absent."""
    ids = sorted(set(spec_ids))
    out: dict[int, list[SearchDoc]] = {}
    for start in range(0, len(ids), SPEC_CHUNK):
        chunk = ids[start:start + SPEC_CHUNK]
        rows = session.execute(select(Spec, Project.name).join(Project, Project.id == Spec.project_id)
                               .where(Spec.id.in_(chunk))).all()
        revisions = _current_revisions(session, chunk)
        contexts: dict[int, SpecContext] = {}
        for spec, project in rows:
            revision = revisions.get(spec.id)
            out[spec.id] = spec_documents(spec, project, revision)
            contexts[spec.id] = SpecContext.of(spec, project, revision)
        for comment in session.scalars(_live_comments().where(Comment.spec_id.in_(chunk)).order_by(Comment.id)):
            doc = comment_document(comment, contexts[comment.spec_id])
            if doc is not None:
                out[comment.spec_id].append(doc)
    return out


def comment_docs(session: Session, comment_ids: Iterable[int], *, skip_specs: Iterable[int] = ()
                 ) -> dict[int, SearchDoc | None]:
    """Documents of these comments by id: ``None`` for a comment gone, deleted or hidden (to drop it)."""
    ids = set(comment_ids)
    skip = set(skip_specs)
    out: dict[int, SearchDoc | None] = dict.fromkeys(ids)
    comments = list(session.scalars(select(Comment).where(Comment.id.in_(ids))))
    spec_ids = {c.spec_id for c in comments if c.spec_id not in skip}
    contexts: dict[int, SpecContext] = {}
    if spec_ids:
        revisions = _current_revisions(session, spec_ids)
        for spec, project in session.execute(select(Spec, Project.name).join(Project, Project.id == Spec.project_id)
                                             .where(Spec.id.in_(spec_ids))).all():
            contexts[spec.id] = SpecContext.of(spec, project, revisions.get(spec.id))
    for comment in comments:
        if comment.spec_id in skip:
            out.pop(comment.id, None)  # its spec is re-read whole in this batch
        elif comment.spec_id in contexts:
            out[comment.id] = comment_document(comment, contexts[comment.spec_id])
    return out


def _live_comments() -> Any:
    stmt = select(Comment).where(Comment.deleted_at.is_(None))
    hidden = getattr(Comment, "hidden_at", None)  # the discussion's moderation column, once it exists
    if hidden is not None:
        stmt = stmt.where(hidden.is_(None))
    return stmt


def _current_revisions(session: Session, spec_ids: Iterable[int]) -> dict[int, SpecRevision]:
    """Each spec's current revision (the one the spec page shows), with its sections; two queries."""
    keys = session.scalars(
        select(SpecRevision)
        .options(load_only(SpecRevision.id, SpecRevision.spec_id, SpecRevision.release_rank, SpecRevision.state))
        .where(SpecRevision.spec_id.in_(list(spec_ids)))
    ).all()
    by_spec: dict[int, list[SpecRevision]] = {}
    for rev in keys:
        by_spec.setdefault(rev.spec_id, []).append(rev)
    chosen = [cur.id for revs in by_spec.values() if (cur := current_revision(revs)) is not None]
    if not chosen:
        return {}
    full = session.scalars(
        select(SpecRevision)
        .options(load_only(SpecRevision.id, SpecRevision.spec_id, SpecRevision.source, SpecRevision.sections,
                           SpecRevision.created_at))
        .where(SpecRevision.id.in_(chosen))
        .execution_options(populate_existing=True)
    ).all()
    return {rev.spec_id: rev for rev in full}


def all_docs(factory: sessionmaker[Session]) -> Iterator[SearchDoc]:
    """Every document the database gives, a chunk of specs at a time (for a rebuild)."""
    with factory() as session:
        ids = list(session.scalars(select(Spec.id).order_by(Spec.id)))
        for start in range(0, len(ids), SPEC_CHUNK):
            for docs in spec_docs(session, ids[start:start + SPEC_CHUNK]).values():
                yield from docs
            session.expunge_all()  # keep memory flat over 10,000 specs


# --- rebuild ------------------------------------------------------------------------------


def reindex(factory: sessionmaker[Session], backend: SearchBackend, progress: Progress | None = None) -> int:
    """Rebuild the whole index from the database; the old index serves until the new one is complete.

    The cursor is rewound (under the backend's write lock, just before the
    switch) to the last event that existed when the rebuild started: events
    after it may have reached only the old index, so they are applied again
    to the new one (handling is idempotent). Ids just below that point that
    were not visible yet (a transaction still open on PostgreSQL) become
    gaps of the cursor, so they are not lost either.
    """
    with factory() as session:
        start_id, gaps = _starting_point(session)

    def rewind() -> None:
        for attempt in range(50):
            try:
                with unit_of_work(factory) as session:
                    cursors.reset(session, CONSUMER, after_event_id=start_id)
                    cursors.advance(session, Batch(consumer=CONSUMER, events=[], last_event_id=start_id, gaps=gaps))
                return
            except (ConsumerBusy, OperationalError):  # the consumer is mid-batch in another process
                if attempt == 49:
                    raise
                time.sleep(0.2)

    return backend.rebuild(all_docs(factory), progress, before_swap=rewind)


def _starting_point(session: Session) -> tuple[int, tuple[Gap, ...]]:
    """Where the cursor goes back to once the rebuilt index is in place.

    The consumer's own position when it has one (it is normally at the top,
    so little is replayed), with its gaps: ids it still awaits are awaited
    by the new index too. Otherwise the newest event, and on PostgreSQL the
    ids just below it that are not visible yet (a transaction still open
    may commit them after the rebuild read the database) become gaps.
    """
    from portal.clock import now

    top = int(session.scalar(select(func.max(Event.id))) or 0)
    cursor = session.get(EventCursor, CONSUMER)
    if cursor is not None and cursor.last_event_id <= top:
        return int(cursor.last_event_id), tuple(Gap.load(row) for row in cursor.gaps or ())
    if session.get_bind().dialect.name != "postgresql":
        return top, ()  # SQLite commits one writer at a time: every id below the top is visible already
    seen = set(session.scalars(select(Event.id).where(Event.id > top - GAP_WINDOW, Event.id <= top)))
    missing = [i for i in range(max(1, top - GAP_WINDOW + 1), top + 1) if i not in seen]
    gaps: list[Gap] = []
    at = now()
    for i in missing:
        if gaps and gaps[-1].last_id == i - 1:
            gaps[-1] = Gap(gaps[-1].first_id, i, at)
        else:
            gaps.append(Gap(i, i, at))
    return top, tuple(gaps)
