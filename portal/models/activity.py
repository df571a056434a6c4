"""What happened: domain events (feed, alerts, indexing), the audit log, import runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now
from portal.db.base import Base, StrEnumColumn


class EventKind(StrEnum):
    """Every kind of event. Adding one means a payload (payloads.py) and a label (labels.py); tests check both."""

    PROJECT_CREATED = "project.created"
    PROJECT_CHANGED = "project.changed"
    SPEC_CREATED = "spec.created"
    SPEC_REVISED = "spec.revised"
    SPEC_STATE_CHANGED = "spec.state_changed"
    SPEC_DELETED = "spec.deleted"
    SPEC_MERGED_INTO = "spec.merged_into"
    GERRIT_CHANGE_UPDATED = "gerrit.change_updated"
    IMPLEMENTATION_CHANGED = "implementation.changed"
    LAUNCHPAD_CHANGED = "launchpad.changed"
    COMMENT_ADDED = "comment.added"
    COMMENT_EDITED = "comment.edited"
    COMMENT_HIDDEN = "comment.hidden"
    COMMENT_SHOWN = "comment.shown"  # a hidden comment shown to readers again
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
    SAVED_SEARCH_CREATED = "saved_search.created"
    SAVED_SEARCH_DELETED = "saved_search.deleted"


class RunStatus(StrEnum):
    """How an import run ended (``ImportRun.status``)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, some items failed
    FAILED = "failed"  # the run itself failed; see ImportRun.error


class Event(Base):
    """Written in the same transaction as the change it describes (see portal.events).

    Events outlive what they describe: deleting a spec or project sets the
    reference to NULL (the payload keeps the names), so consumers see removals.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_project_id_id", "project_id", "id"),
        Index("ix_events_spec_id_id", "spec_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(StrEnumColumn(EventKind, 64))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    spec_id: Mapped[int | None] = mapped_column(ForeignKey("specs.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A first import or a --full sync: alerts summarise these instead of sending one message each.
    backfill: Mapped[bool] = mapped_column(default=False, server_default=false())
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=now)


class EventCursor(Base):
    """Where one consumer of events (search index, alerts) is; see portal.events.cursors."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(default=0)  # the high-water mark: the highest id handled
    # Ids below the mark not seen yet (transactions still open, or rolled back): [[first, last, missed_at], …]
    gaps: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class AuditLog(Base):
    """Security-relevant actions (logins, tokens, role changes), kept for admins."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)


class ImportRun(Base):
    """One run of an importer: what it was asked, what it did, what failed."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # specs-dir | gerrit | launchpad | demo
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    argument: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RunStatus] = mapped_column(StrEnumColumn(RunStatus, 16), default=RunStatus.RUNNING)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[Any]] = mapped_column(default=list)  # items that failed: [{"path", "reason"}, ...]
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None]
    # Why the whole run failed (recorded after its work was rolled back); see portal.importers.runs.
    error: Mapped[str | None] = mapped_column(Text)
    # When the last batch committed: a run still 'running' long after this was interrupted.
    progressed_at: Mapped[datetime | None]

    @property
    def duration_seconds(self) -> float | None:
        """How long the run took; ``None`` while it runs (or if it was interrupted)."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SyncState(Base):
    """Where an importer stands with one source of one project: its cursor, last run and last error.

    ``cursor`` is the source's own opaque position (for Gerrit the newest
    ``updated`` fully committed). It is advanced in the same transaction as
    the data it covers (``portal.importers.cursors``), so it never runs ahead
    of committed rows; the run fields are written by the run recorder in its
    own transaction, so a failure is kept even though its work rolled back.
    ``scope`` tells several streams of one source apart (a code repository).
    """

    __tablename__ = "sync_states"
    __table_args__ = (UniqueConstraint("source", "project_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # gerrit | launchpad | ...
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(200), default="")
    cursor: Mapped[str | None] = mapped_column(Text)
    cursor_advanced_at: Mapped[datetime | None]
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
