"""Read side of import runs: what each import or sync did, how long it took, what failed.

The admin's view (``/admin/runs``, ``portal runs list``). Runs are written by
the importers' run recorder in their own transaction, so a failed run is
here with its error even though its work was rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.clock import now
from portal.models import ImportRun, Project, SyncState

MAX_RUNS = 200


@dataclass(frozen=True)
class RunRow:
    id: int
    source: str
    project: str | None
    argument: str
    status: str
    counts: dict[str, Any]
    errors: list[str]
    error_count: int
    started_at: datetime
    finished_at: datetime | None
    failure: str | None  # why the whole run failed (its work was rolled back)
    progressed_at: datetime | None  # the last batch commit

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at is not None else None

    def running_for(self, at: datetime | None = None) -> timedelta:
        return (at or now()) - self.started_at

    def counts_text(self) -> str:
        """``created 3, updated 1, failed 0``: the run's counters in the order the importer gave them."""
        return ", ".join(f"{key} {value}" for key, value in self.counts.items()) or "no counts"


def error_text(error: Any) -> str:
    """One recorded error as a line: ``path: reason`` for a file, else its message."""
    if isinstance(error, dict):
        where = error.get("path") or error.get("item") or error.get("url") or ""
        what = error.get("reason") or error.get("message") or error.get("error") or ""
        if where or what:
            return f"{where}: {what}" if where and what else str(where or what)
    return str(error)


def format_duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{int(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def recent_runs(session: Session, *, limit: int = 50, project: Project | None = None,
                status: str | None = None) -> list[RunRow]:
    """The newest runs first (one query), with at most 20 errors each (the rest is counted)."""
    limit = max(1, min(limit, MAX_RUNS))
    stmt = (
        select(ImportRun, Project.name)
        .outerjoin(Project, Project.id == ImportRun.project_id)
        .order_by(ImportRun.id.desc())
        .limit(limit)
    )
    if project is not None:
        stmt = stmt.where(ImportRun.project_id == project.id)
    if status is not None:
        stmt = stmt.where(ImportRun.status == status)
    rows = []
    for run, project_name in session.execute(stmt):
        errors = list(run.errors or [])
        rows.append(
            RunRow(
                id=run.id,
                source=run.source,
                project=project_name,
                argument=run.argument,
                status=run.status,
                counts=dict(run.counts or {}),
                errors=[error_text(e) for e in errors[:20]],
                error_count=len(errors),
                started_at=run.started_at,
                finished_at=run.finished_at,
                failure=run.error,
                progressed_at=run.progressed_at,
            )
        )
    return rows


def run_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ImportRun)) or 0)


@dataclass(frozen=True)
class CursorRow:
    """Where one source of one project stands: what the next incremental run starts from."""

    source: str
    project: str
    scope: str  # a code repository or Launchpad name when one source has several streams
    cursor: str | None  # None: no window finished yet, so the next run is a full one (backfill)
    advanced_at: datetime | None
    last_run_id: int | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None


def sync_cursors(session: Session, *, project: Project | None = None) -> list[CursorRow]:
    """Every source's cursor (``sync_states``), by project and source (one query)."""
    stmt = (select(SyncState, Project.name).join(Project, Project.id == SyncState.project_id)
            .order_by(Project.name, SyncState.source, SyncState.scope))
    if project is not None:
        stmt = stmt.where(SyncState.project_id == project.id)
    return [CursorRow(state.source, name, state.scope, state.cursor, state.cursor_advanced_at, state.last_run_id,
                      state.last_run_at, state.last_success_at, state.last_error)
            for state, name in session.execute(stmt)]
