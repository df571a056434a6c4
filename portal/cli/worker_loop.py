"""The loop behind ``portal worker``: run each job on its interval until told to stop.

A job is a name, an interval (0: off) and a function returning counts. One
job failing is logged with what to do and never stops the others; a stop
request (SIGTERM, SIGINT) lets the current job finish, then the loop ends.
Sleeps wait on a :class:`threading.Event`, so a stop wakes them at once.
"""

from __future__ import annotations

import fcntl
import logging
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event

from sqlalchemy import Engine, text

from portal.errors import PortalError
from portal.events.cursors import ConsumerBusy

log = logging.getLogger("portal.worker")

Counts = Mapping[str, int]
Lock = Callable[[], AbstractContextManager[None]]


class Busy(Exception):
    """Another worker holds this job's lock right now; skip this round."""


@dataclass(frozen=True)
class Job:
    """One periodic task; ``advice`` says what an admin can do when it fails."""

    name: str
    interval: float
    run: Callable[[], Counts]
    advice: str = "see the error above; the worker tries again next round"
    lock: Lock | None = None


@dataclass
class Worker:
    """Runs jobs on their intervals; ``echo`` gets one line per job run."""

    jobs: Sequence[Job]
    echo: Callable[[str], None]
    stop: Event = field(default_factory=Event)
    clock: Callable[[], float] = time.monotonic

    @property
    def enabled(self) -> list[Job]:
        return [job for job in self.jobs if job.interval > 0]

    def run_job(self, job: Job) -> bool:
        """Run ``job`` once; return whether it succeeded (busy counts as success: someone did the work)."""
        started = self.clock()
        try:
            if job.lock is not None:
                with job.lock():
                    counts = job.run()
            else:
                counts = job.run()
        except (Busy, ConsumerBusy):
            self.echo(f"{job.name}: another worker is on it, skipped")
            return True
        except Exception as exc:  # one job's failure must not stop the others
            if not isinstance(exc, PortalError):  # expected failures say enough; others need the traceback
                log.exception("job %s failed", job.name)
            self.echo(f"{job.name}: FAILED after {self.clock() - started:.2f} s: {_reason(exc)}; {job.advice}")
            return False
        shown = ", ".join(f"{value} {key}" for key, value in counts.items()) or "nothing to do"
        self.echo(f"{job.name}: {shown} in {self.clock() - started:.2f} s")
        return True

    def run_once(self) -> bool:
        """Run every enabled job once, in order; return whether all succeeded."""
        ok = True
        for job in self.enabled:
            if self.stop.is_set():
                break
            ok = self.run_job(job) and ok
        return ok

    def run_forever(self) -> None:
        """Run each enabled job when it is due until :attr:`stop` is set."""
        due = {job.name: self.clock() for job in self.enabled}
        while not self.stop.is_set():
            for job in self.enabled:
                if self.stop.is_set():
                    break
                if self.clock() >= due[job.name]:
                    self.run_job(job)
                    due[job.name] = self.clock() + job.interval
            if not due:
                self.stop.wait()
                break
            self.stop.wait(max(0.0, min(due.values()) - self.clock()))


def _reason(exc: BaseException) -> str:
    text_ = str(exc).strip()
    message = getattr(exc, "message", None) or (text_.splitlines()[0] if text_ else "")
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# --- locks so two workers never run the same sync at once ---------------------------------------


@contextmanager
def advisory_lock(engine: Engine, name: str) -> Iterator[None]:
    """A PostgreSQL session advisory lock on a connection of its own; :class:`Busy` when taken."""
    key = zlib.crc32(f"portal.worker.{name}".encode())
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if not got:
            raise Busy(name)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (SQLite: every worker is on this host); :class:`Busy` when taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Busy(path.name) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def job_lock(engine: Engine, instance_path: Path, name: str) -> Lock:
    """The lock for job ``name``: an advisory lock on PostgreSQL, a file lock in the instance folder otherwise."""
    if engine.dialect.name == "postgresql":
        return lambda: advisory_lock(engine, name)
    return lambda: file_lock(instance_path / f"worker-{name}.lock")
