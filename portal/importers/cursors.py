"""Per-source cursors (:class:`~portal.models.SyncState`): where an incremental importer resumes.

The rule that makes a crash harmless: :func:`advance_cursor` writes in the
caller's session, in the same transaction as the rows the new position
covers, so the cursor commits with them or rolls back with them and never
points past data that is not in the database. An importer therefore
advances it only at the end of a window it has fully written (Gerrit pages
newest first, so that is the end of the run), and a broken run is simply
run again from the old position; idempotent upserts make the overlap
harmless.

The run fields (last run, last success, last error) are written by the run
recorder (:mod:`portal.importers.runs`) in its own transaction, because a
failure must be kept even though the work it describes was rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.clock import now
from portal.models import SyncState


@dataclass(frozen=True)
class SyncKey:
    """Which cursor: a source (``gerrit``, ``launchpad``…) of a project, and a scope within it."""

    source: str
    project_id: int
    scope: str = ""  # e.g. a code repository, when one source has several streams per project

    def __str__(self) -> str:
        return f"{self.source}:{self.project_id}" + (f":{self.scope}" if self.scope else "")


def sync_state(session: Session, key: SyncKey) -> SyncState | None:
    """The stored state of ``key``, or ``None`` before its first run."""
    return session.scalar(
        select(SyncState).where(
            SyncState.source == key.source, SyncState.project_id == key.project_id, SyncState.scope == key.scope
        )
    )


def read_cursor(session: Session, key: SyncKey) -> str | None:
    """The last committed position, or ``None``: start from the beginning (a full run)."""
    state = sync_state(session, key)
    return state.cursor if state is not None else None


def ensure_state(session: Session, key: SyncKey) -> SyncState:
    """The state row of ``key``, created if missing (two first runs at once: one insert wins)."""
    state = sync_state(session, key)
    if state is not None:
        return state
    try:
        with session.begin_nested():
            state = SyncState(source=key.source, project_id=key.project_id, scope=key.scope)
            session.add(state)
    except IntegrityError:  # another run created it between our read and our insert
        state = sync_state(session, key)
        if state is None:
            raise
    return state


def advance_cursor(session: Session, key: SyncKey, cursor: str, *, at: datetime | None = None) -> SyncState:
    """Move the cursor to ``cursor`` in the caller's transaction: it commits with the data it covers.

    Call it after the rows up to ``cursor`` were written in this same
    transaction (or committed before it), never before. It also clears the
    last error: the source answered and its data is in.
    """
    state = ensure_state(session, key)
    when = at or now()
    state.cursor = cursor
    state.cursor_advanced_at = when
    state.last_error = None
    session.flush()
    return state


def reset_cursor(session: Session, key: SyncKey) -> None:
    """Forget the position (a ``--full`` run re-reads everything), in the caller's transaction."""
    state = sync_state(session, key)
    if state is not None:
        state.cursor = None
        state.cursor_advanced_at = None
        session.flush()
