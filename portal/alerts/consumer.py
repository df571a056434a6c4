"""The ``alerts`` event consumer: turns a batch of events into notification rows, in the batch's transaction.

Rows commit with the cursor (exactly once, :func:`portal.events.cursors.consume`),
and a row is unique per (user, event, channel), so re-reading an event never
queues a second message. One batch costs a bounded number of queries
(subscriptions, names, PTLs, users, checklist answers, one per import run),
never one per subscription. ATOM rows are created SENT: the feed is the delivery.

Saved searches: an event that could make a spec a new match is matched only
once the search consumer has indexed it (:func:`portal.search.indexer.is_indexed`);
until then the batch stops just before it and the cursor does not pass it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from portal.alerts import matching
from portal.alerts.matching import EventFacts, Reason, SubFacts
from portal.clock import now
from portal.db.unit import unit_of_work
from portal.events import cursors
from portal.models import (
    AlertChannel,
    AlertPreferences,
    ChecklistAnswer,
    Event,
    EventCursor,
    EventKind,
    Notification,
    NotificationStatus,
    Project,
    SavedSearch,
    Spec,
    Subscription,
    TargetKind,
    User,
)
from portal.models.accounts import Role, project_ptls
from portal.search import indexer

log = logging.getLogger(__name__)

CONSUMER = "alerts"
BATCH_SIZE = 200

# (saved search query params, project name, spec name) -> whether that spec is a match now
SearchMatcher = Callable[[Mapping[str, Any], str, str], bool]


def catch_up(factory: sessionmaker[Session], *, search: SearchMatcher | None = None,
             batch_size: int = BATCH_SIZE, max_batches: int = 10_000) -> tuple[int, int]:
    """Handle batches until none is left (or one waits for the index); return (events, notifications)."""
    start_from_now(factory)
    events = created = 0
    for _ in range(max_batches):
        handled, made, waiting = run_batch(factory, search=search, batch_size=batch_size)
        events += handled
        created += made
        if handled == 0 or waiting:
            break
    return events, created


def start_from_now(factory: sessionmaker[Session]) -> bool:
    """On the very first run, point the cursor at the newest event: alerts start now, history is not mailed."""
    with factory() as session:
        if session.get(EventCursor, CONSUMER) is not None:
            return False
    try:
        with unit_of_work(factory) as session:
            cursors.reset(session, CONSUMER)
    except cursors.ConsumerBusy:
        return False
    log.info("alerts: first run; events before now are not alerted")
    return True


def run_batch(factory: sessionmaker[Session], *, search: SearchMatcher | None = None,
              batch_size: int = BATCH_SIZE) -> tuple[int, int, bool]:
    """One batch in one transaction: (events handled, notifications created, stopped for the index)."""
    try:
        with unit_of_work(factory) as session:
            batch = cursors.read_batch(session, CONSUMER, limit=batch_size)
            waiting = False
            while batch.events:
                stop = _first_unindexed(session, batch.events)
                if stop is None:
                    break
                waiting = True
                if stop == 0:
                    log.info("alerts: event %d waits for the search index", batch.events[0].id)
                    return 0, 0, True  # nothing handled, cursor untouched (the transaction rolls back nothing)
                batch = cursors.read_batch(session, CONSUMER, limit=stop)  # the same events up to it
            made = handle(session, batch.events, search=search) if batch.events else 0
            cursors.advance(session, batch)
            return len(batch.events), made, waiting
    except cursors.ConsumerBusy:
        log.info("alerts consumer is busy in another process; skipping this round")
        return 0, 0, False


def _first_unindexed(session: Session, events: Sequence[Event]) -> int | None:
    """Index of the first event that needs the search index and is not in it yet, or None."""
    if not any(e.kind in matching.SEARCH_KINDS and not e.backfill for e in events):
        return None
    has_saved = session.scalar(select(Subscription.id).where(
        Subscription.kind == TargetKind.SAVED_SEARCH, Subscription.enabled.is_(True)).limit(1))
    if has_saved is None:
        return None
    for index, event in enumerate(events):
        if event.kind in matching.SEARCH_KINDS and not event.backfill and event.spec_id is not None \
                and not indexer.is_indexed(session, event.id):
            return index
    return None


def handle(session: Session, events: Sequence[Event], *, search: SearchMatcher | None = None) -> int:
    """Create the notifications of ``events`` (flushed); return how many rows were new."""
    project_ids = {e.project_id for e in events if e.project_id is not None}
    spec_ids = {e.spec_id for e in events if e.spec_id is not None}
    names = dict(session.execute(select(Project.id, Project.name).where(Project.id.in_(project_ids))).all())
    specs = {row[0]: row for row in session.execute(
        select(Spec.id, Spec.name, Spec.release).where(Spec.id.in_(spec_ids)))}
    subs = _subscriptions(session, project_ids, spec_ids)
    ptls = _ptls(session, project_ids)
    answers = _answers(session, {e.spec_id for e in events if e.spec_id is not None
                                 and e.kind in matching.CHECKLIST_KINDS})
    admins: list[int] = []
    if any(e.kind == EventKind.IMPORT_FINISHED for e in events):
        admins = list(session.scalars(select(User.id).where(User.role == Role.ADMIN.value, User.is_active.is_(True))))
    saved = _saved_queries(session, subs) if search is not None else {}
    index = matching.SubIndex(subs)
    rows: list[dict[str, Any]] = []
    for event in events:
        spec = specs.get(event.spec_id) if event.spec_id is not None else None
        facts = EventFacts(
            id=event.id, kind=str(event.kind), project_id=event.project_id, spec_id=event.spec_id,
            actor_id=event.actor_id, backfill=event.backfill, payload=event.payload or {},
            project_name=names.get(event.project_id) if event.project_id is not None else None,
            release=spec[2] if spec else None, answers=answers.get(event.spec_id or 0, {}),
        )
        candidates = index.for_event(facts)
        hits: dict[int, bool] = {}
        if search is not None and spec is not None and facts.project_name \
                and matching.needs_search(facts, candidates):
            for sub in candidates:
                if sub.kind == TargetKind.SAVED_SEARCH and sub.saved_search_id in saved \
                        and sub.saved_search_id not in hits:
                    hits[sub.saved_search_id] = _safe_search(search, saved[sub.saved_search_id],
                                                             facts.project_name, spec[1])
        reasons: list[tuple[Reason, dict[str, int] | None]] = [
            (r, None) for r in matching.match(facts, candidates, ptl_ids=ptls.get(event.project_id or 0, ()),
                                              admin_ids=admins, search_hits=hits)
        ]
        if event.kind == EventKind.IMPORT_FINISHED and event.project_id is not None:
            reasons += _backfill_summaries(session, event, facts, subs)
        rows += [_row(event, reason, summary) for reason, summary in reasons]
    return _insert(session, _only_active(session, rows))


def _subscriptions(session: Session, project_ids: Iterable[int], spec_ids: Iterable[int]) -> list[SubFacts]:
    """Candidate subscriptions of a batch (one query): of its projects and specs, and every rule and saved search."""
    stmt = (
        select(Subscription, Project.name, Spec.name)
        .join(User, User.id == Subscription.user_id)
        .outerjoin(Project, Project.id == Subscription.project_id)
        .outerjoin(Spec, Spec.id == Subscription.spec_id)
        .where(Subscription.enabled.is_(True), User.is_active.is_(True), or_(
            and_(Subscription.kind == TargetKind.PROJECT, Subscription.project_id.in_(list(project_ids))),
            and_(Subscription.kind == TargetKind.SPEC, Subscription.spec_id.in_(list(spec_ids))),
            Subscription.kind.in_([TargetKind.RULE, TargetKind.SAVED_SEARCH]),
        ))
        .order_by(Subscription.id)
    )
    return [
        SubFacts(id=s.id, user_id=s.user_id, kind=str(s.kind), channel=str(s.channel), project_id=s.project_id,
                 spec_id=s.spec_id, saved_search_id=s.saved_search_id, rule=s.rule, project_name=pname,
                 spec_name=sname)
        for s, pname, sname in session.execute(stmt)
    ]


def _ptls(session: Session, project_ids: Iterable[int]) -> dict[int, list[int]]:
    """PTLs of these projects who follow them by default (no preferences row means on)."""
    rows = session.execute(
        select(project_ptls.c.project_id, project_ptls.c.user_id)
        .join(User, User.id == project_ptls.c.user_id)
        .outerjoin(AlertPreferences, AlertPreferences.user_id == project_ptls.c.user_id)
        .where(project_ptls.c.project_id.in_(list(project_ids)), User.is_active.is_(True),
               or_(AlertPreferences.ptl_follow.is_(None), AlertPreferences.ptl_follow.is_(True)))
    )
    out: dict[int, list[int]] = {}
    for project_id, user_id in rows:
        out.setdefault(project_id, []).append(user_id)
    return out


def _answers(session: Session, spec_ids: set[int]) -> dict[int, dict[str, str]]:
    """The newest answer state per (spec, item) for specs with checklist events."""
    if not spec_ids:
        return {}
    newest = (select(func.max(ChecklistAnswer.id)).where(ChecklistAnswer.spec_id.in_(spec_ids))
              .group_by(ChecklistAnswer.spec_id, ChecklistAnswer.item_key))
    out: dict[int, dict[str, str]] = {}
    for spec_id, item, state in session.execute(
        select(ChecklistAnswer.spec_id, ChecklistAnswer.item_key, ChecklistAnswer.state)
        .where(ChecklistAnswer.id.in_(newest))
    ):
        out.setdefault(spec_id, {})[item] = str(state)
    return out


def _saved_queries(session: Session, subs: Sequence[SubFacts]) -> dict[int, dict[str, Any]]:
    ids = {s.saved_search_id for s in subs if s.saved_search_id is not None}
    if not ids:
        return {}
    return {i: dict(q or {}) for i, q in session.execute(
        select(SavedSearch.id, SavedSearch.query).where(SavedSearch.id.in_(ids)))}


def _safe_search(search: SearchMatcher, query: Mapping[str, Any], project: str, spec: str) -> bool:
    try:
        return search(query, project, spec)
    except Exception:  # a broken saved query must not stop everyone's alerts
        log.exception("alerts: saved search %r could not be run; treated as no match", query)
        return False


def _backfill_summaries(session: Session, event: Event, facts: EventFacts,
                        subs: Sequence[SubFacts]) -> list[tuple[Reason, dict[str, int] | None]]:
    """One summary per follower of the project when this run's new specs were backfill (one query)."""
    previous = session.scalar(select(func.max(Event.id)).where(
        Event.kind == EventKind.IMPORT_FINISHED, Event.project_id == event.project_id, Event.id < event.id))
    count = session.scalar(select(func.count()).select_from(Event).where(
        Event.kind == EventKind.SPEC_CREATED, Event.project_id == event.project_id, Event.backfill.isnot(false()),
        Event.id < event.id, Event.id > (previous or 0)))
    if not count:
        return []
    followers = [(s.user_id, s.channel, s.id) for s in subs
                 if s.kind == TargetKind.PROJECT and s.project_id == event.project_id]
    name = facts.project_name or "a project"
    return [(r, c) for r, c in matching.backfill_summary(followers, {name: int(count)}, actor_id=event.actor_id)]


def _row(event: Event, reason: Reason, summary: dict[str, int] | None) -> dict[str, Any]:
    at = now()
    atom = reason.channel == AlertChannel.ATOM
    return {
        "user_id": reason.user_id, "event_id": event.id, "channel": reason.channel,
        "subscription_id": reason.subscription_id, "reason": reason.reason[:300], "summary": summary,
        "status": (NotificationStatus.SENT if atom else NotificationStatus.PENDING).value,
        "attempts": 0, "next_attempt_at": at, "created_at": at, "sent_at": at if atom else None,
        "message_id": None if atom else f"<bob.{uuid.uuid4().hex}@notifications>",
    }


def _only_active(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop rows of blocked or disabled accounts (mentions and admins come without a subscription)."""
    ids = {r["user_id"] for r in rows}
    if not ids:
        return rows
    active = set(session.scalars(select(User.id).where(User.id.in_(ids), User.is_active.is_(True))))
    return [r for r in rows if r["user_id"] in active]


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on (user, event, channel): a row seen again is not queued again."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    made = 0
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(Notification).values(chunk).on_conflict_do_nothing(
            index_elements=["user_id", "event_id", "channel"]).returning(Notification.id)
        made += len(session.execute(stmt).all())
    session.flush()
    return made
