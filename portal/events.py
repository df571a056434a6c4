"""Domain events: recorded in the caller's transaction, consumed after commit.

Every write path (import, comment, vote, checklist answer) calls
:func:`record`, so indexing and alerting see one stream whatever wrote the
change. This module knows nothing about who consumes events.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from portal.models import Event


class EventKind(StrEnum):
    """Every kind of event; consumers (feed, alerts, search) match on these and nothing else."""

    PROJECT_CREATED = "project.created"
    PROJECT_CHANGED = "project.changed"
    SPEC_CREATED = "spec.created"
    SPEC_REVISED = "spec.revised"
    SPEC_STATE_CHANGED = "spec.state_changed"
    SPEC_DELETED = "spec.deleted"
    SPEC_MERGED_INTO = "spec.merged_into"
    GERRIT_CHANGE_UPDATED = "gerrit.change_updated"
    LAUNCHPAD_CHANGED = "launchpad.changed"
    COMMENT_ADDED = "comment.added"
    COMMENT_EDITED = "comment.edited"
    COMMENT_HIDDEN = "comment.hidden"
    COMMENT_DELETED = "comment.deleted"
    MENTION = "mention"
    VOTE_CAST = "vote.cast"
    VOTE_WITHDRAWN = "vote.withdrawn"
    CHECKLIST_ANSWERED = "checklist.answered"
    CHECKLIST_RECHECKED = "checklist.rechecked"
    CHECKLIST_REFRESHED = "checklist.refreshed"
    CHECKLIST_STALE = "checklist.stale"
    PTL_ACKNOWLEDGED = "ptl.acknowledged"
    IMPORT_FINISHED = "import.finished"


# Kept for callers not yet moved to EventKind.
SPEC_CREATED = EventKind.SPEC_CREATED
SPEC_REVISED = EventKind.SPEC_REVISED
COMMENT_ADDED = EventKind.COMMENT_ADDED
REVIEW_UPDATED = EventKind.GERRIT_CHANGE_UPDATED


def record(
    session: Session,
    kind: str,
    *,
    project_id: int | None = None,
    spec_id: int | None = None,
    actor_id: int | None = None,
    **payload: Any,
) -> Event:
    """Add an event row to the current transaction (flushed with it, never committed here)."""
    event = Event(kind=kind, project_id=project_id, spec_id=spec_id, actor_id=actor_id, payload=payload)
    session.add(event)
    return event
