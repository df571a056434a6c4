"""Import a specs tree laid out like the OpenStack specs repositories.

Layouts understood (``DIR`` is the repository root or its ``specs/`` folder):

* nova: ``specs/<release>/<approved|implemented>/<name>.rst``, plus
  ``specs/backlog/approved/`` and ``specs/abandoned/``;
* files straight under ``specs/<release>/<name>.rst`` (approved);
* ``specs/approved/<name>.rst`` with a symlink per release under
  ``specs/<release>/`` (each link is that release's copy).

Templates (``*-template.rst``, ``template.rst``), ``index.rst`` and
``README.rst`` are skipped. Each file goes through the one "new revision"
path every source uses (``portal.importers.revisions``: parse, upsert,
checklist prefill) in its own savepoint, so one bad file is reported with
its path and reason and the rest continues; a file that cannot be parsed is
kept as plain text. The whole import is one run (``portal.importers.runs``)
that commits every :data:`BATCH_SIZE` files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.errors import InvalidInput
from portal.importers.revisions import (
    IncomingRevision,
    KnownRevision,
    RevisionKey,
    RevisionOutcome,
    known_revisions,
    receive_revision,
)
from portal.importers.runs import ItemFailure, UnfinishedRun, recorded_run
from portal.models import ImportRun, Project, SpecState, User
from portal.models.activity import RunStatus
from portal.models.specs import RevisionSource
from portal.specs.document import MAX_SPEC_BYTES
from portal.specs.releases import is_release, normalize_release

log = logging.getLogger(__name__)

SKIPPED_NAMES = {"index.rst", "readme.rst", "template.rst"}
STATE_DIRS = {state.value for state in SpecState}
BATCH_SIZE = 50
RUN_SOURCE = "specs-dir"  # ImportRun.source of this importer

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class FoundFile:
    """A spec file in the tree: where it is shown (``rel_path``) and what to read (``real_path``)."""

    rel_path: str
    real_path: Path
    release: str | None
    state: SpecState


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    run_id: int | None = None
    status: RunStatus = RunStatus.RUNNING
    unfinished: tuple[UnfinishedRun, ...] = ()  # earlier runs of this project's tree that never finished
    backfill: bool = False  # a first import: its events are marked backfill (see is_first_import)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "failed": self.failed}

    @property
    def item_failures(self) -> list[ItemFailure]:
        return [ItemFailure(path, reason) for path, reason in self.failures]

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.failed} failed"
        )


def classify_path(parts: tuple[str, ...]) -> tuple[str | None, SpecState] | None:
    """Release and state of a spec file from its folders below ``specs/``; ``None`` to skip.

    ``parts`` are the folder names between ``specs/`` and the file.
    """
    release: str | None = None
    state: SpecState | None = None
    for part in parts:
        lowered = part.lower()
        if lowered in STATE_DIRS:
            # backlog/approved/x.rst is a backlog spec: the outer folder wins.
            if state not in (SpecState.BACKLOG, SpecState.ABANDONED):
                state = SpecState(lowered)
        elif release is None and is_release(lowered):
            release = normalize_release(lowered)
        elif release is None and state is None and lowered not in {"specs"}:
            release = lowered  # an unknown release name, e.g. "liberty-1": keep it as written
    if state is None:
        state = SpecState.APPROVED
    if state in (SpecState.BACKLOG, SpecState.ABANDONED):
        release = None
    return release, state


def discover(root: Path) -> tuple[list[FoundFile], list[tuple[str, str]]]:
    """Find the spec files under ``root``; return them and the skipped paths with reasons."""
    base = root / "specs" if (root / "specs").is_dir() else root
    base_real = base.resolve()
    display_root = base.parent if base.name == "specs" else base
    found: list[FoundFile] = []
    skipped: list[tuple[str, str]] = []
    linked_targets: set[Path] = set()

    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames.sort()
        for dirname in dirnames:
            folder = Path(dirpath) / dirname
            if folder.is_symlink():
                skipped.append((
                    folder.relative_to(display_root).as_posix(),
                    f"folder symlink to {os.readlink(folder)} not followed; link the spec files one by one instead",
                ))
        for filename in sorted(filenames):
            if not filename.endswith(".rst"):
                continue
            path = Path(dirpath) / filename
            rel = path.relative_to(display_root).as_posix()
            lowered = filename.lower()
            if lowered in SKIPPED_NAMES or lowered.endswith("-template.rst"):
                continue
            real = path.resolve()
            if path.is_symlink():
                target = os.readlink(path)
                if not real.exists():
                    skipped.append((rel, f"broken symlink: its target {target} does not exist; fix or remove the link"))
                    continue
                if base_real not in real.parents:
                    skipped.append((
                        rel,
                        f"symlink to {target} points outside the specs tree; not followed "
                        "(copy the file into the tree to import it)",
                    ))
                    continue
                linked_targets.add(real)
            parts = path.relative_to(base).parts[:-1]
            classified = classify_path(parts)
            if classified is None:
                continue
            release, state = classified
            found.append(FoundFile(rel_path=rel, real_path=real, release=release, state=state))

    # A release-less file (specs/approved/x.rst) that release folders link to is
    # represented by those links; a file in a release folder always counts.
    result = [
        f
        for f in found
        if f.release is not None
        or f.real_path not in linked_targets
        or (display_root / f.rel_path).is_symlink()
    ]
    return result, skipped


def read_text(found: FoundFile) -> str:
    """The file's text; raise :class:`InvalidInput` saying why it is not a readable spec."""
    try:
        size = found.real_path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise InvalidInput(
                f"larger than {MAX_SPEC_BYTES // 1024} KiB, too big for a spec; not imported "
                "(shorten it or remove it from the tree)"
            )
        raw = found.real_path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot be read ({exc.strerror}); check that it is a readable file") from exc
    if b"\x00" in raw:
        raise InvalidInput("a binary file (it contains NUL bytes), not a spec; remove it from the tree")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"not UTF-8 text (invalid byte at offset {exc.start}); convert it to UTF-8, "
            "e.g. iconv -f latin1 -t utf-8"
        ) from exc
    return text


def import_tree(
    session: Session,
    actor: User | None,
    project: Project,
    root: Path,
    *,
    progress: Progress | None = None,
    commit: Callable[[], None] | None = None,
) -> ImportReport:
    """Import every spec file under ``root`` into ``project``, as one recorded run.

    ``commit`` commits one batch (the CLI passes ``lambda: commit_batch(session)``):
    it is called after every :data:`BATCH_SIZE` files and at the end, and the
    run record (``portal.importers.runs``) is then written in its own
    transaction, so a failed run leaves its record. Without it the caller
    commits once at the end, run record included.
    """
    if not root.exists():
        raise InvalidInput(
            f"{root} does not exist. Pass the path of a specs repository checkout (or its specs/ folder)."
        )
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a directory. Pass the specs repository (or its specs/ folder).")
    files, skipped = discover(root)
    report = ImportReport(skipped=skipped)
    with recorded_run(session, source=RUN_SOURCE, project_id=project.id, argument=str(root), commit=commit) as run:
        report.run_id, report.unfinished = run.run_id, run.unfinished
        if not files:
            raise InvalidInput(
                f"No spec files (*.rst) found under {root}. Expected a layout like "
                "specs/<release>/approved/<name>.rst; check the path."
            )
        known = known_revisions(session, project, RevisionSource.FILE)
        report.backfill = is_first_import(session, project)
        with events.backfilling(session) if report.backfill else nullcontext():
            for index, found in enumerate(files, start=1):
                if progress is not None:
                    progress(index, len(files), found.rel_path)
                _import_one(session, actor, project, found, report, known)
                if index % BATCH_SIZE == 0:
                    run.commit_batch(report.counts, report.item_failures)
        report.status = run.finish(report.counts, report.item_failures)
    return report


def is_first_import(session: Session, project: Project) -> bool:
    """No run of this importer has finished for ``project`` yet: its events are backfill.

    A first import brings years of history at once; marking its events lets
    alerts summarise them instead of sending one message per spec. A run
    that was killed half-way did not finish, so the next one is still a first.
    """
    finished = session.scalar(
        select(ImportRun.id)
        .where(ImportRun.source == RUN_SOURCE, ImportRun.project_id == project.id,
               ImportRun.status.in_((RunStatus.SUCCEEDED, RunStatus.PARTIAL)))
        .limit(1)
    )
    return finished is None


def _import_one(
    session: Session,
    actor: User | None,
    project: Project,
    found: FoundFile,
    report: ImportReport,
    known: dict[RevisionKey, KnownRevision],
) -> None:
    try:
        text = read_text(found)
    except InvalidInput as exc:
        report.failed += 1
        report.failures.append((found.rel_path, exc.message))
        return
    incoming = IncomingRevision(
        project=project, source=RevisionSource.FILE, path=found.rel_path, text=text,
        release=found.release, state=found.state,
    )
    result = receive_revision(session, actor, incoming, known=known.get(incoming.key))
    if result.outcome is RevisionOutcome.FAILED:
        report.failed += 1
        report.failures.append((found.rel_path, result.reason or "could not be imported"))
    elif result.parse_error:
        _report_plain_text(report, found, result.parse_error)
    elif result.outcome is RevisionOutcome.CREATED:
        report.created += 1
    elif result.outcome is RevisionOutcome.REVISED:
        report.updated += 1
    else:
        report.unchanged += 1


def _report_plain_text(report: ImportReport, found: FoundFile, error: str) -> None:
    """Stored as plain text so nothing is lost, but reported as a failure to fix."""
    report.failed += 1
    report.failures.append((found.rel_path, f"kept as plain text: {error}; fix the reStructuredText and re-run"))


def iter_rst(root: Path) -> Iterator[Path]:
    """All spec files under ``root`` (for tools and benchmarks)."""
    files, _ = discover(root)
    for found in files:
        yield found.real_path
