"""Casting, changing and withdrawing votes; a spec's tally.

One vote per user per spec is the database's rule (``uq_votes_spec_id_user_id``),
not only a check here: two requests of the same user racing on two workers
end with one row. The write is ``INSERT … ON CONFLICT DO NOTHING`` followed
by an ``UPDATE`` of the row, so neither request fails: the first casts, the
second changes it. Every cast, change and withdrawal adds a
:class:`~portal.models.VoteHistory` row and records its event in the same
transaction.

On SQLite a write that follows reads in the same transaction fails at once
with "database is locked" when another worker committed in between (the
reads' WAL snapshot is stale and the busy timeout does not apply). The
vote routes therefore start their transaction with ``BEGIN IMMEDIATE``
(``portal.http.votes.start_write``), which waits for the write lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal import events, permissions
from portal.clock import now
from portal.errors import InvalidInput
from portal.models import Priority, Spec, User, Vote, VoteAction, VoteHistory
from portal.votes import profile as profiles

MAX_REASON_CHARS = 4000
MAX_LINKS = 10
MAX_LINK_CHARS = 1000
PRIORITY_VALUES = tuple(p.value for p in Priority)
PRIORITY_LABELS = {
    Priority.MUST: "Must have",
    Priority.IMPORTANT: "Important",
    Priority.NICE: "Nice to have",
    Priority.NOT_NEEDED: "Not needed",
}


@dataclass(frozen=True)
class VoteInput:
    """A vote as the voter gave it, checked (see :func:`parse_vote`)."""

    priority: Priority
    affects_me: bool = False
    reason: str = ""
    links: tuple[str, ...] = ()


def parse_priority(value: object) -> Priority:
    """The priority, or an error that names the allowed values."""
    if isinstance(value, str):
        try:
            return Priority(value.strip())
        except ValueError:
            pass
    shown = repr(value)[:40] if value is not None else "nothing"
    raise InvalidInput(
        f"Unknown priority {shown}: use one of {', '.join(PRIORITY_VALUES)}.",
        {"priority": f"one of {', '.join(PRIORITY_VALUES)}"},
    )


def parse_links(value: object) -> tuple[str, ...]:
    """Evidence links: http(s) URLs, one per list item (or per line of a text)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: Sequence[object] = [line for line in value.splitlines() if line.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise InvalidInput("links must be a list of URLs.", {"links": "a list of http(s) URLs"})
    if len(items) > MAX_LINKS:
        raise InvalidInput(
            f"{len(items)} links given; at most {MAX_LINKS} fit on a vote. Keep the most telling ones.",
            {"links": f"at most {MAX_LINKS}"},
        )
    links = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput("links must be a list of URLs (strings).", {"links": "a list of http(s) URLs"})
        url = item.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_LINK_CHARS or " " in url:
            raise InvalidInput(
                f"'{url[:80]}' is not a link BOB can keep: give a full http:// or https:// URL "
                f"of at most {MAX_LINK_CHARS} characters (a bug, a mailing-list thread, an etherpad).",
                {"links": "http(s) URLs"},
            )
        if url not in links:
            links.append(url)
    return tuple(links)


def parse_vote(data: Mapping[str, object]) -> VoteInput:
    """A vote from a JSON body or a form; every problem is named with what to do."""
    priority = parse_priority(data.get("priority"))
    affects = data.get("affects_me", False)
    if isinstance(affects, str):  # a form checkbox
        affects = affects.lower() in ("1", "true", "on", "yes", "y")
    if not isinstance(affects, bool):
        raise InvalidInput("affects_me must be true or false.", {"affects_me": "true or false"})
    reason = data.get("reason") or ""
    if not isinstance(reason, str):
        raise InvalidInput("reason must be text.", {"reason": "text"})
    reason = reason.strip()
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"The reason is {len(reason)} characters long; the limit is {MAX_REASON_CHARS}. "
            "Shorten it, or put the detail in a linked document.",
            {"reason": f"at most {MAX_REASON_CHARS} characters"},
        )
    return VoteInput(priority, affects, reason, parse_links(data.get("links")))


def _insert_ignore(session: Session) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's database."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Vote).on_conflict_do_nothing(
        index_elements=[Vote.spec_id, Vote.user_id]
    )


def cast(session: Session, actor: User | None, spec: Spec, vote: VoteInput) -> Vote:
    """Cast ``actor``'s vote on ``spec``, or change it: the stored vote, with the context it was cast in."""
    permissions.require(permissions.can_vote(actor, spec))
    assert actor is not None
    at = now()
    # The first statement writes (see the module docstring), so SQLite takes its write lock here.
    inserted = session.execute(
        _insert_ignore(session).values(
            spec_id=spec.id, user_id=actor.id, priority=vote.priority.value, affects_me=vote.affects_me,
            reason="", links=[], context={}, ctx_release="", ctx_tool="", ctx_hypervisors="", ctx_projects="",
            ctx_backends="", created_at=at, updated_at=at,
        ).returning(Vote.id)
    ).first() is not None
    row = session.scalars(
        select(Vote).where(Vote.spec_id == spec.id, Vote.user_id == actor.id).execution_options(populate_existing=True)
    ).one()
    context = profiles.snapshot(profiles.get_profile(session, actor.id))
    if not inserted and _same(row, vote, context):
        return row  # nothing changed: no history row, no event (a double click, a retried request)
    row.priority = vote.priority
    row.affects_me = vote.affects_me
    row.reason = vote.reason
    row.links = list(vote.links)
    row.context = context
    for column, value in profiles.segment_columns(context).items():
        setattr(row, column, value)
    row.updated_at = at
    action = VoteAction.CAST if inserted else VoteAction.CHANGED
    session.add(VoteHistory(
        spec_id=spec.id, user_id=actor.id, action=action, priority=vote.priority, affects_me=vote.affects_me,
        reason=vote.reason, links=list(vote.links), context=context, created_at=at,
    ))
    session.flush()
    events.record(session, events.EventKind.VOTE_CAST, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id, affects_me=vote.affects_me, priority=vote.priority.value)
    return row


def _same(row: Vote, vote: VoteInput, context: dict[str, Any]) -> bool:
    return (row.priority == vote.priority and row.affects_me == vote.affects_me and row.reason == vote.reason
            and tuple(row.links or ()) == vote.links and (row.context or {}) == context)


def withdraw(session: Session, actor: User | None, spec: Spec) -> bool:
    """Withdraw ``actor``'s vote; ``False`` when there was none (nothing is recorded then)."""
    permissions.require(permissions.can_vote(actor, spec))
    assert actor is not None
    # One statement that writes first (see the module docstring) and returns what the history keeps.
    gone = session.execute(
        delete(Vote).where(Vote.spec_id == spec.id, Vote.user_id == actor.id).returning(Vote.id, Vote.context)
    ).first()
    if gone is None:
        return False
    session.add(VoteHistory(
        spec_id=spec.id, user_id=actor.id, action=VoteAction.WITHDRAWN, priority=None, affects_me=False,
        reason="", links=[], context=gone.context or {}, created_at=now(),
    ))
    session.flush()
    events.record(session, events.EventKind.VOTE_WITHDRAWN, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id)
    return True


def history(session: Session, spec_id: int, user_id: int) -> list[VoteHistory]:
    """One voter's casts, changes and withdrawals on a spec, oldest first."""
    return list(session.scalars(
        select(VoteHistory).where(VoteHistory.spec_id == spec_id, VoteHistory.user_id == user_id)
        .order_by(VoteHistory.id)
    ))


@dataclass(frozen=True, slots=True)
class Tally:
    """What ``votes`` in the API shows: totals, "affects me" and a count per priority."""

    total: int = 0
    affects_me: int = 0
    by_priority: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PRIORITY_VALUES, 0))

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "affects_me": self.affects_me, "by_priority": dict(self.by_priority)}

    def share(self, priority: str) -> int:
        """Percentage of the votes with ``priority`` (for bar widths)."""
        return round(100 * self.by_priority.get(priority, 0) / self.total) if self.total else 0


def tally_from_rows(rows: Sequence[tuple[str, bool, int]]) -> Tally:
    """A tally from ``(priority, affects_me, count)`` rows."""
    by_priority = dict.fromkeys(PRIORITY_VALUES, 0)
    total = affected = 0
    for priority, affects, count in rows:
        if priority in by_priority:
            by_priority[priority] += count
        total += count
        if affects:
            affected += count
    return Tally(total, affected, by_priority)


def tally(session: Session, spec_id: int) -> Tally:
    """The spec's tally, one query."""
    rows = session.execute(
        select(Vote.priority, Vote.affects_me, func.count()).where(Vote.spec_id == spec_id)
        .group_by(Vote.priority, Vote.affects_me)
    ).all()
    return tally_from_rows([(str(p), bool(a), int(n)) for p, a, n in rows])
