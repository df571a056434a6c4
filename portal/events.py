"""Domain events: recorded in the caller's transaction, consumed after commit.

Every write path (import, comment, vote, checklist answer) calls
:func:`record`, so indexing and alerting see one stream whatever wrote the
change. This module knows nothing about who consumes events.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.models import Event

# The kinds in use; consumers match on these strings.
SPEC_CREATED = "spec.created"
SPEC_REVISED = "spec.revised"
COMMENT_ADDED = "comment.added"
REVIEW_UPDATED = "review.updated"


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
