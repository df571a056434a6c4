"""The run recorder: one :class:`~portal.models.ImportRun` row per importer run, kept whatever happens.

An importer wraps its run in :func:`recorded_run` and commits per batch
through the recorder::

    with recorded_run(session, source="gerrit", project_id=p.id, argument=url,
                      commit=lambda: commit_batch(session), sync=key) as run:
        for page in pages:
            ...                                  # upserts, each item in a savepoint
            run.commit_batch(report.counts, report.failures)
        advance_cursor(session, key, newest)     # with the last batch's data
        run.finish(report.counts, report.failures)

With a ``commit`` (every CLI command and job) the run row is written in its
own short transaction (:func:`portal.db.unit.separate_transaction`): at the
start, after each batch commit, and at the end, so the counts grow as
batches land. When the work raises, the recorder rolls the caller's
session back, records status ``failed`` with the error text, and re-raises:
a failed run leaves its record even though its work is gone. A process
that is killed leaves its row ``running``; the next run of the same source
and project lists it in :attr:`RunRecorder.unfinished` and can say so.

SQLite has a single writer, and a transaction that has read keeps a
snapshot a later commit elsewhere makes stale. So the recorder writes on
its own only when the caller's session holds no transaction: it ends the
caller's (read-only, by contract) transaction before it starts, and writes
after each commit and after the rollback.

Without a ``commit`` (a caller that commits once at its end, e.g. the demo
loader) the run row is part of the caller's unit of work: written in its
session, committed or rolled back with everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.clock import as_utc, now
from portal.db.unit import commit_batch as commit_session
from portal.db.unit import separate_transaction
from portal.errors import PortalError
from portal.importers.cursors import SyncKey, ensure_state
from portal.models import ImportRun
from portal.models.activity import RunStatus

log = logging.getLogger(__name__)

MAX_RECORDED_FAILURES = 500  # per run; the count is always exact
MAX_COUNTED_FAILURES = 100  # failed runs in a row counted for the failure event (bounded query)


@dataclass(frozen=True)
class ItemFailure:
    """One item the run could not import, and why (stored as ``{"path", "reason"}``)."""

    item: str  # a file path, a change number, a URL: whatever names the item to the admin
    reason: str


@dataclass(frozen=True)
class UnfinishedRun:
    """An earlier run of the same source and project that never finished."""

    id: int
    started_at: datetime
    progressed_at: datetime | None
    counts: Mapping[str, int]

    def describe(self) -> str:
        last = self.progressed_at or self.started_at
        done = ", ".join(f"{v} {k}" for k, v in self.counts.items()) or "nothing committed"
        return (
            f"run #{self.id} (started {self.started_at:%Y-%m-%d %H:%M} UTC, last batch committed "
            f"{last:%Y-%m-%d %H:%M} UTC: {done}) did not finish: it was stopped, or it is still running "
            "elsewhere. Its committed batches are kept; this run carries on from them."
        )


Counts = Mapping[str, int]


class RunRecorder:
    """Records one run; get one from :func:`recorded_run`."""

    def __init__(
        self,
        session: Session,
        run: ImportRun,
        *,
        commit: Callable[[], None] | None,
        sync: SyncKey | None,
        unfinished: tuple[UnfinishedRun, ...],
    ) -> None:
        self._session = session
        self._run = run
        self._commit = commit
        self._sync = sync
        self.unfinished = unfinished
        self.status = RunStatus.RUNNING

    @property
    def run_id(self) -> int:
        return self._run.id

    @property
    def separate(self) -> bool:
        """Whether the run row is written in its own transactions (the caller commits per batch)."""
        return self._commit is not None

    def commit_batch(self, counts: Counts, failures: Sequence[ItemFailure] = ()) -> None:
        """End a batch: commit the caller's work, then record the counts so far."""
        if self._commit is not None:
            self._commit()
        self._write(counts=counts, failures=failures, progressed=True)

    def finish(self, counts: Counts, failures: Sequence[ItemFailure] = ()) -> RunStatus:
        """Commit the last batch and record the end: ``partial`` when an item failed, else ``succeeded``."""
        if self._commit is not None:
            self._commit()
        self.status = RunStatus.PARTIAL if counts.get("failed", 0) or failures else RunStatus.SUCCEEDED
        self._write(counts=counts, failures=failures, progressed=True, status=self.status)
        return self.status

    def fail(self, error: BaseException) -> None:
        """Record the run as failed (the caller's work is already rolled back)."""
        self.status = RunStatus.FAILED
        self._write(status=self.status, error=_error_text(error))

    def _write(
        self,
        *,
        counts: Counts | None = None,
        failures: Sequence[ItemFailure] | None = None,
        progressed: bool = False,
        status: RunStatus | None = None,
        error: str | None = None,
    ) -> None:
        when = now()

        def apply(session: Session) -> None:
            run = session.get(ImportRun, self._run.id) if self.separate else self._run
            if run is None:  # inline mode, rolled back with the caller's work
                return
            if counts is not None:
                run.counts = dict(counts)
            if failures is not None:
                run.errors = [{"path": f.item, "reason": f.reason} for f in failures[:MAX_RECORDED_FAILURES]]
            if progressed:
                run.progressed_at = when
            if status is not None:
                run.status = status
            if status is not None and status is not RunStatus.RUNNING:
                run.finished_at = when
            if error is not None:
                run.error = error
            if self._sync is not None and status is not None:
                state = ensure_state(session, self._sync)
                if status is RunStatus.FAILED:
                    state.last_error = error
                else:
                    state.last_success_at = when
                    state.last_error = None
            session.flush()
            if status is RunStatus.FAILED:
                _record_failure(session, run, error)

        if self.separate:
            with separate_transaction(self._session) as own:
                apply(own)
        else:
            apply(self._session)


@contextmanager
def recorded_run(
    session: Session,
    *,
    source: str,
    project_id: int | None,
    argument: str = "",
    commit: Callable[[], None] | None = None,
    sync: SyncKey | None = None,
) -> Iterator[RunRecorder]:
    """Start a run record, yield its recorder, and record a failure if the block raises.

    Call it before the run writes anything. ``commit`` commits one batch of
    the caller's work (usually ``lambda: commit_batch(session)``); without it
    the run row lives in the caller's transaction (see the module docs).
    ``sync`` names the cursor whose last run / success / error to keep.
    """
    recorder = _start(session, source=source, project_id=project_id, argument=argument, commit=commit, sync=sync)
    try:
        yield recorder
    except (Exception, KeyboardInterrupt) as exc:
        if not recorder.separate:
            raise  # the caller's rollback takes the run row with its work
        session.rollback()  # the work of the failed batch goes; what earlier batches committed stays
        try:
            recorder.fail(exc)
        except Exception:  # e.g. the database itself is gone: the original error matters more
            log.exception("could not record the failure of import run #%s", recorder.run_id)
        raise


def _start(
    session: Session,
    *,
    source: str,
    project_id: int | None,
    argument: str,
    commit: Callable[[], None] | None,
    sync: SyncKey | None,
) -> RunRecorder:
    started = now()
    unfinished = _unfinished(session, source, project_id)

    def add(target: Session) -> ImportRun:
        run = ImportRun(source=source, project_id=project_id, argument=argument,
                        status=RunStatus.RUNNING.value, started_at=started)
        target.add(run)
        target.flush()
        if sync is not None:
            state = ensure_state(target, sync)
            state.last_run_id = run.id
            state.last_run_at = started
            target.flush()
        return run

    if commit is None:
        run = add(session)
    else:
        # End the caller's read-only transaction first: on SQLite its snapshot would
        # predate the run row, and its first write would then fail with "database is locked".
        commit_session(session)
        with separate_transaction(session) as own:
            run = add(own)
    return RunRecorder(session, run, commit=commit, sync=sync, unfinished=unfinished)


def _unfinished(session: Session, source: str, project_id: int | None) -> tuple[UnfinishedRun, ...]:
    rows = session.scalars(
        select(ImportRun)
        .where(
            ImportRun.source == source,
            ImportRun.project_id.is_(None) if project_id is None else ImportRun.project_id == project_id,
            ImportRun.status == RunStatus.RUNNING.value,
        )
        .order_by(ImportRun.id)
    )
    return tuple(
        UnfinishedRun(
            id=row.id,
            started_at=as_utc(row.started_at) or row.started_at,
            progressed_at=as_utc(row.progressed_at),
            counts={k: int(v) for k, v in (row.counts or {}).items()},
        )
        for row in rows
    )


def _record_failure(session: Session, run: ImportRun, error: str | None) -> None:
    """Add the ``import.finished`` event of a failed run, in the run record's transaction.

    It carries how many runs of this source and project failed in a row, so
    the alerts consumer can tell admins when a sync fails twice running.
    """
    recent = session.scalars(
        select(ImportRun.status)
        .where(
            ImportRun.source == run.source,
            ImportRun.project_id.is_(None) if run.project_id is None else ImportRun.project_id == run.project_id,
            ImportRun.status != RunStatus.RUNNING.value,
            ImportRun.id <= run.id,
        )
        .order_by(ImportRun.id.desc())
        .limit(MAX_COUNTED_FAILURES)
    )
    in_a_row = 0
    for status in recent:
        if RunStatus(status) is not RunStatus.FAILED:
            break
        in_a_row += 1
    events.record(
        session, events.EventKind.IMPORT_FINISHED, project_id=run.project_id, backfill=False,
        source=run.source, status=RunStatus.FAILED.value, run_id=run.id,
        counts={k: int(v) for k, v in (run.counts or {}).items()},
        consecutive_failures=in_a_row, error=error,
    )
    session.flush()


def _error_text(error: BaseException) -> str:
    if isinstance(error, PortalError):
        return error.message
    if isinstance(error, KeyboardInterrupt):
        return "interrupted (Ctrl-C or SIGINT) before the run finished; run the same command again to carry on"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
