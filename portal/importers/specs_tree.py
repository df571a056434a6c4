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

import errno
import logging
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

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
from portal.specs.layout import (
    Placement,
    classify,
    name_skip_reason,
    symlink_stub_target,
    text_skip_reason,
    uses_moved_out_convention,
)
from portal.specs.releases import release_rank

log = logging.getLogger(__name__)

BATCH_SIZE = 50
SNIFF_BYTES = 4096  # files this small are read once more to tell stubs, templates and placeholders
RUN_SOURCE = "specs-dir"  # ImportRun.source of this importer

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class FoundFile:
    """A spec file in the tree: where it is shown (``rel_path``) and what to read (``real_path``)."""

    rel_path: str
    real_path: Path
    release: str | None
    state: SpecState
    deliverable: str | None = None
    grouping: str | None = None
    name: str | None = None  # the fallback spec name when not the file's stem (deliverable collisions)
    created_at: datetime | None = None  # the file's first commit (or mtime)
    changed_at: datetime | None = None  # its last commit (or mtime)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # problems to fix: (path, reason)
    not_specs: list[tuple[str, str]] = field(default_factory=list)  # (path, why: template, index…)
    dates_from: str = "mtime"  # "git" when the tree is a git work tree
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

    @property
    def not_spec_counts(self) -> dict[str, int]:
        return dict(Counter(reason for _, reason in self.not_specs).most_common())

    def summary(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.failed} failed"
        )
        if self.not_specs:
            text += "; not specs, skipped: " + ", ".join(f"{n} {reason}" for reason, n in self.not_spec_counts.items())
        return text


def classify_path(parts: tuple[str, ...]) -> tuple[str | None, SpecState] | None:
    """Release and state of a spec file from its folders below ``specs/`` (see portal.specs.layout)."""
    placement = classify(parts)
    return placement.release, placement.state


@dataclass
class _Candidate:
    rel_path: str
    real_path: Path
    parts: tuple[str, ...]
    linked: bool  # a symlink, or a symlink checked out as a text file naming its target


def discover(root: Path) -> tuple[list[FoundFile], list[tuple[str, str]]]:
    """Find the spec files under ``root``; return them and the problem paths with reasons."""
    files, skipped, _ = discover_all(root)
    return files, skipped


def discover_all(root: Path) -> tuple[list[FoundFile], list[tuple[str, str]], list[tuple[str, str]]]:
    """The spec files, the problems (path, reason to fix) and what is not a spec (path, why)."""
    root = root.resolve()  # once, so the paths below need no resolve() each (the costly part of a re-run)
    base = root / "specs" if (root / "specs").is_dir() else root
    base_real = base
    display_root = base.parent if base.name == "specs" else base
    candidates: list[_Candidate] = []
    skipped: list[tuple[str, str]] = []
    not_specs: list[tuple[str, str]] = []

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
            if not filename.lower().endswith(".rst"):
                continue
            path = Path(dirpath) / filename
            rel = path.relative_to(display_root).as_posix()
            reason = name_skip_reason(filename)
            if reason is not None:
                not_specs.append((rel, reason))
                continue
            candidate = _candidate(path, rel, base, base_real, skipped, not_specs)
            if candidate is not None:
                candidates.append(candidate)

    top = {p.name for p in base.iterdir() if p.is_dir()} if base.is_dir() else set()
    moved_out = uses_moved_out_convention(top)
    placements = {c.rel_path: classify(c.parts) for c in candidates}
    newest = max((release_rank(p.release) for p in placements.values()), default=0)
    if moved_out:
        placements = {
            c.rel_path: classify(c.parts, releases_imply_implemented=True, newest_release_rank=newest)
            for c in candidates
        }
    linked_targets = {c.real_path for c in candidates if c.linked}
    names = _fallback_names(candidates, placements)
    dates = file_dates(base, {c.real_path for c in candidates})
    found: list[FoundFile] = []
    for c in candidates:
        placement = placements[c.rel_path]
        # A release-less file (specs/approved/x.rst) that release folders link to is represented
        # by those links; a file in a release folder always counts.
        if placement.release is None and c.real_path in linked_targets and not c.linked:
            continue
        created, changed = dates.get(c.real_path, (None, None))
        found.append(FoundFile(
            rel_path=c.rel_path, real_path=c.real_path, release=placement.release, state=placement.state,
            deliverable=placement.deliverable, grouping=placement.grouping, name=names.get(c.rel_path),
            created_at=created, changed_at=changed,
        ))
    return found, skipped, not_specs


def _candidate(path: Path, rel: str, base: Path, base_real: Path,
               skipped: list[tuple[str, str]], not_specs: list[tuple[str, str]]) -> _Candidate | None:
    """The file as a possible spec, following a symlink (or a symlink stored as text); None to skip."""
    parts = path.relative_to(base).parts[:-1]
    linked = False
    try:
        real = path.resolve(strict=True) if path.is_symlink() else path
    except RuntimeError:  # Python < 3.13 reports a loop so
        skipped.append((rel, "symlink loop: the link points (through others) back to itself; fix or remove it"))
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            skipped.append((rel, "symlink loop: the link points (through others) back to itself; fix or remove it"))
            return None
        real = path.resolve()  # a broken link: reported below
    if path.is_symlink():
        target = os.readlink(path)
        if not real.exists():
            skipped.append((rel, f"broken symlink: its target {target} does not exist; fix or remove the link"))
            return None
        if base_real not in real.parents:
            skipped.append((rel, f"symlink to {target} points outside the specs tree; not followed "
                                 "(copy the file into the tree to import it)"))
            return None
        linked = True
    try:
        size = real.stat().st_size
    except OSError:
        size = 0
    if 0 < size <= SNIFF_BYTES:
        try:
            raw = real.read_bytes()
            head = "" if b"\x00" in raw else raw.decode("utf-8")  # binary or not UTF-8: read_text reports it
        except (OSError, UnicodeDecodeError):
            head = ""
        stub_target = symlink_stub_target(head)
        if stub_target is not None:
            if name_skip_reason(PurePosixPath(stub_target).name) is not None:
                not_specs.append((rel, "template"))
                return None
            target_path = (path.parent / stub_target).resolve()
            if not target_path.is_file() or base_real not in target_path.parents:
                skipped.append((rel, f"names {stub_target} like a symlink, but that file is not in the tree; "
                                     "fix or remove it"))
                return None
            real, linked = target_path, True
            try:
                head = target_path.read_bytes().decode("utf-8") if target_path.stat().st_size <= SNIFF_BYTES else ""
            except (OSError, UnicodeDecodeError):
                head = ""
        reason = text_skip_reason(head) if head else None
        if reason is not None:
            not_specs.append((rel, reason))
            return None
    return _Candidate(rel_path=rel, real_path=real, parts=parts, linked=linked)


def _fallback_names(candidates: list[_Candidate], placements: dict[str, Placement]) -> dict[str, str]:
    """Spec names stay unique in a project: a file name used by two deliverables gets a prefix.

    The first deliverable (in path order) keeps the plain name; the later one is
    ``<deliverable>-<name>``. The text's blueprint link still wins over both.
    """
    owners: dict[str, str | None] = {}
    names: dict[str, str] = {}
    for c in candidates:
        stem = PurePosixPath(c.real_path.name).stem if c.linked else PurePosixPath(c.rel_path).stem
        deliverable = placements[c.rel_path].deliverable
        first = owners.setdefault(stem, deliverable)
        if deliverable is not None and first != deliverable:
            names[c.rel_path] = f"{deliverable}-{stem}"
        elif c.linked:
            names[c.rel_path] = stem
    return names


def file_dates(base: Path, paths: set[Path]) -> dict[Path, tuple[datetime | None, datetime | None]]:
    """(first, last) commit time of each file, from one ``git log`` of the tree; its mtime otherwise.

    A file git does not know (not a work tree, untracked, no git installed) is dated by its mtime.
    """
    dates = _git_dates(base)
    result: dict[Path, tuple[datetime | None, datetime | None]] = {}
    for path in paths:
        known = dates.get(path)
        if known is not None:
            result[path] = known
            continue
        try:
            stamp = datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)
        except OSError:
            continue
        result[path] = (stamp, stamp)
    return result


def _git_dates(base: Path) -> dict[Path, tuple[datetime, datetime]]:
    """Every file's (first, last) commit time under ``base``, from one ``git log`` pass; {} without git."""
    git = shutil.which("git")
    if git is None:
        return {}
    if "GIT_DIR" not in os.environ and not any((folder / ".git").exists() for folder in (base, *base.parents)):
        return {}  # not a work tree: no process to start (most of a re-import's fixed cost otherwise)
    try:
        # Fixed arguments and our own paths only: nothing from the tree reaches the command line.
        top = subprocess.run([git, "-C", str(base), "rev-parse", "--show-toplevel"],  # noqa: S603
                             capture_output=True, text=True, timeout=30, check=True).stdout.strip()
        log_text = subprocess.run(  # noqa: S603
            [git, "-C", top, "log", "--format=%x00%ct", "--name-only", "--no-renames", "--", str(base)],
            capture_output=True, text=True, timeout=300, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    top_path = Path(top)
    by_name: dict[str, tuple[datetime, datetime]] = {}
    stamp: datetime | None = None
    for line in log_text.splitlines():
        if line.startswith("\x00"):
            stamp = datetime.fromtimestamp(int(line[1:]), tz=UTC)
        elif line and stamp is not None:
            last = by_name.get(line, (stamp, stamp))[1]
            by_name[line] = (stamp, last)  # newest commit first: the first seen is the last change
    return {top_path / name: dates for name, dates in by_name.items()}




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
    files, skipped, not_specs = discover_all(root)
    report = ImportReport(skipped=skipped, not_specs=not_specs)
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
        if report.created or report.updated:
            # The feed shows this one entry for the run ("glance: 157 specs imported"), not one per spec.
            events.record(
                session, events.EventKind.IMPORT_FINISHED, project_id=project.id,
                actor_id=actor.id if actor else None, backfill=False, source=RUN_SOURCE,
                status=(RunStatus.PARTIAL if report.failed else RunStatus.SUCCEEDED).value,
                run_id=report.run_id, counts=report.counts,
            )
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
        release=found.release, state=found.state, name=found.name,
        deliverable=found.deliverable, grouping=found.grouping,
        created_at=found.created_at, changed_at=found.changed_at,
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
