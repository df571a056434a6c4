"""``portal sync gerrit``: bring a project's spec reviews in from Gerrit, incrementally and resumably.

One run queries the project's specs repository newest first
(:meth:`~portal.importers.gerrit.GerritClient.query`) and, for each change
that touches ``specs/**.rst``:

* feeds the current patch set's text of each spec file BOB has not stored
  for that patch set through :func:`portal.importers.revisions.receive_revision`
  (source ``gerrit``, patch set, change number): the spec is found or made by
  the DESIGN.md rules (the text's Launchpad link, then the ``bp/<name>``
  topic, then the file name), and the checklist prefill and its staleness
  follow the spec from patch set to patch set;
* upserts the Gerrit change (labels, approval) for the first spec and links
  it to every spec it touches (``gerrit_change_specs``);
* stores each human review message once as a ``gerrit`` comment keyed
  ``gerrit:<host>/<change>/<message id>``.

A change whose spec files only moved (approved/ → implemented/) or were
deleted brings no new text: it is linked to the specs those paths belong to.

Each page is one batch (``commit_batch``); the cursor (the newest ``updated``
seen) advances only at the end of the whole window, in the last batch's
transaction, so a run broken half-way is simply run again: the next query
starts from the old cursor minus :data:`OVERLAP`, and upserts keyed by
Gerrit ids make re-reading harmless. A first run and ``--full`` are backfill.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.discussion.service import MAX_COMMENT_CHARS
from portal.errors import InvalidInput, PortalError
from portal.importers.comments import ExternalComment, import_comments, stored_ids
from portal.importers.cursors import SyncKey, advance_cursor, read_cursor
from portal.importers.gerrit import CODE_QUERY_OPTIONS, Change, FileChange, GerritClient
from portal.importers.revisions import (
    IncomingRevision,
    KnownRevision,
    RevisionKey,
    RevisionOutcome,
    known_revisions,
    receive_revision,
)
from portal.importers.runs import ItemFailure, recorded_run
from portal.importers.specs_tree import classify_path
from portal.models import (
    CommentSource,
    GerritChange,
    GerritChangeSpec,
    Project,
    ProjectSource,
    SourceKind,
    Spec,
    SpecRevision,
    SpecState,
    User,
)
from portal.models.activity import RunStatus
from portal.models.specs import RevisionSource
from portal.specs.service import (
    GerritChangeData,
    ImplementationChangeData,
    upsert_gerrit_change,
    upsert_implementation_change,
)

RUN_SOURCE = "gerrit"
MAX_MISSED_PATCH_SETS = 5  # older patch sets fetched per change and file when runs missed some
OVERLAP = timedelta(hours=1)  # re-read this much before the cursor: Gerrit's index may lag, bounds are inclusive

Progress = Callable[[int, str], None]  # changes seen so far, the page URL


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0  # changes that touch no spec file
    failures: list[tuple[str, str]] = field(default_factory=list)
    run_id: int | None = None
    status: RunStatus = RunStatus.RUNNING
    backfill: bool = False
    cursor: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "failed": self.failed, "skipped": self.skipped}

    def summary(self) -> str:
        return (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.failed} failed ({self.skipped} changes touched no spec file)")


def sync_key(project: Project) -> SyncKey:
    return SyncKey(RUN_SOURCE, project.id)


def sync_project(
    session: Session,
    actor: User | None,
    project: Project,
    client: GerritClient,
    *,
    full: bool = False,
    page_size: int = 100,
    progress: Progress | None = None,
    commit: Callable[[], None] | None = None,
) -> SyncReport:
    """One recorded run over ``project``'s Gerrit repository; see the module docs."""
    if not project.gerrit_repo:
        raise InvalidInput(
            f"Project '{project.name}' has no Gerrit repository; set one with "
            f"`portal projects edit {project.name} --gerrit-repo openstack/{project.name}-specs`."
        )
    key = sync_key(project)
    cursor = read_cursor(session, key)
    after = None if full or cursor is None else datetime.fromisoformat(cursor) - OVERLAP
    report = SyncReport(backfill=full or cursor is None)
    base = str(client.http.base_url).rstrip("/")
    with recorded_run(session, source=RUN_SOURCE, project_id=project.id, argument=f"{base} {project.gerrit_repo}",
                      commit=commit, sync=key) as run:
        report.run_id = run.run_id
        newest: datetime | None = datetime.fromisoformat(cursor) if cursor else None
        seen = 0
        with events.backfilling(session) if report.backfill else nullcontext():
            for page in client.query(project.gerrit_repo, after=after, page_size=page_size):
                state = _PageState.load(session, project, base, page.changes)
                for change in page.changes:
                    seen += 1
                    stored = state.changes.get(change.number)
                    if change.spec_files and not full and stored is not None and stored.updated_at == change.updated:
                        # Stored at this very update: a change and all it brought commit in one batch.
                        report.unchanged += 1
                    else:
                        _import_change(session, actor, project, client, base, change, state, report)
                    newest = change.updated if newest is None or change.updated > newest else newest
                import_comments(session, state.comments, stored=state.comment_ids)
                if progress is not None:
                    progress(seen, page.url)
                run.commit_batch(report.counts, _failures(report))
        if newest is not None:
            report.cursor = newest.isoformat()
            advance_cursor(session, key, report.cursor)  # commits with the last batch, below
        report.status = run.finish(report.counts, _failures(report))
    return report


@dataclass
class _StoredRevisions:
    """What BOB holds of one change's patch sets, per path: the spec of the latest, the newest patch set."""

    spec_of: dict[str, int] = field(default_factory=dict)
    newest: dict[str, int] = field(default_factory=dict)


@dataclass
class _PageState:
    """Everything a page of changes needs from the database, read in five queries instead of per change."""

    known: dict[RevisionKey, KnownRevision]
    changes: dict[int, GerritChange]
    linked: dict[int, set[int]]  # gerrit_changes.id → the spec ids it is linked to
    revisions: dict[int, _StoredRevisions]  # change number → its stored patch sets
    comment_ids: set[str]  # external ids of this page's review messages already stored
    comments: list[ExternalComment] = field(default_factory=list)  # to insert at the end of the page

    @classmethod
    def load(cls, session: Session, project: Project, base: str, changes: tuple[Change, ...]) -> _PageState:
        numbers = [c.number for c in changes]
        assert project.gerrit_repo is not None
        known = known_revisions(session, project, RevisionSource.GERRIT,
                                {f.path for c in changes for f in c.spec_files}) if changes else {}
        rows = {row.change_number: row for row in session.scalars(select(GerritChange).where(
            GerritChange.repo == project.gerrit_repo, GerritChange.change_number.in_(numbers)))} if numbers else {}
        linked: dict[int, set[int]] = {row.id: set() for row in rows.values()}
        if rows:
            for change_id, spec_id in session.execute(select(GerritChangeSpec.gerrit_change_id,
                                                             GerritChangeSpec.spec_id)
                                                      .where(GerritChangeSpec.gerrit_change_id.in_(list(linked)))):
                linked[change_id].add(spec_id)
        revisions: dict[int, _StoredRevisions] = {}
        if numbers:
            for number, path, spec_id, patch_set in session.execute(
                select(SpecRevision.change_number, SpecRevision.path, SpecRevision.spec_id, SpecRevision.patch_set)
                .join(Spec, Spec.id == SpecRevision.spec_id)
                .where(Spec.project_id == project.id, SpecRevision.source == RevisionSource.GERRIT.value,
                       SpecRevision.change_number.in_(numbers))
                .order_by(SpecRevision.id)
            ):
                if number is None:
                    continue
                stored = revisions.setdefault(number, _StoredRevisions())
                stored.spec_of[path] = spec_id
                if patch_set is not None and patch_set > stored.newest.get(path, 0):
                    stored.newest[path] = patch_set
        host = urlsplit(base).netloc
        message_ids = [f"gerrit:{host}/{c.number}/{m.id}" for c in changes for m in c.messages if not m.automatic]
        return cls(known, rows, linked, revisions, stored_ids(session, CommentSource.GERRIT, message_ids))

    def stored(self, number: int) -> _StoredRevisions:
        return self.revisions.setdefault(number, _StoredRevisions())


def _failures(report: SyncReport) -> list[ItemFailure]:
    return [ItemFailure(item, reason) for item, reason in report.failures]


def revision_state(change: Change, path: str) -> tuple[str | None, SpecState]:
    """Release and state of a spec file at a patch set: from its folders once merged, else proposed."""
    release, state = classify_path(PurePosixPath(path).parts[1:-1]) or (None, SpecState.APPROVED)
    return release, state if change.status == "MERGED" else SpecState.PROPOSED


def _import_change(
    session: Session,
    actor: User | None,
    project: Project,
    client: GerritClient,
    base: str,
    change: Change,
    state: _PageState,
    report: SyncReport,
) -> None:
    files = change.spec_files
    if not files:
        report.skipped += 1
        return
    item = f"change {change.number}"
    stored_row = state.changes.get(change.number)
    try:
        with session.begin_nested():
            spec_ids, revised, missing, reasons = _revisions(session, actor, project, client, change, files, state,
                                                             stored_row)
            if not spec_ids and not reasons:
                report.skipped += 1  # only deletions of specs BOB never saw
                return
            if not spec_ids:
                raise InvalidInput("; ".join(reasons))
            spec = _spec(session, spec_ids[0])
            outcome = upsert_gerrit_change(
                session, actor, spec, _change_data(project, base, change, spec_ids, missing),
                existing=stored_row, linked=state.linked.get(stored_row.id) if stored_row is not None else None)
            if stored_row is None:
                created = session.scalar(select(GerritChange).where(
                    GerritChange.repo == project.gerrit_repo, GerritChange.change_number == change.number))
                if created is not None:  # a later page may bring the same change again (it moved while paging)
                    state.changes[change.number] = created
                    state.linked[created.id] = set(spec_ids)
            pending = _messages(spec, base, project, change, state.comment_ids)
            inline: list[ExternalComment] = []
            if outcome != "unchanged" or revised or pending:
                # One request per change that moved; an unchanged change's comments are already in.
                inline = _inline_comments(spec, client, base, project, change)
    except PortalError as exc:
        report.failed += 1
        report.failures.append((item, exc.message))
        return
    state.comments.extend(pending)
    state.comments.extend(inline)
    for reason in reasons:
        report.failures.append((item, reason))
    if outcome == "created":
        report.created += 1
    elif outcome == "updated" or revised or pending or inline:
        report.updated += 1
    else:
        report.unchanged += 1


def _spec(session: Session, spec_id: int) -> Spec:
    spec = session.get(Spec, spec_id)
    assert spec is not None
    return spec


def _revisions(
    session: Session,
    actor: User | None,
    project: Project,
    client: GerritClient,
    change: Change,
    files: tuple[FileChange, ...],
    state: _PageState,
    stored_row: GerritChange | None,
) -> tuple[list[int], bool, list[dict[str, Any]], list[str]]:
    """Store the new patch set's text of each spec file; the specs the change belongs to, in file order.

    Also returns the spec files Gerrit answered 404 for (``{"path", "patch_set"}``): not in that
    revision. They are recorded on the change, so a re-run does not ask again for the same patch set
    (a new patch set is asked for), and the rest of the change is stored as usual. Last, the reasons to
    report: a 404 the first time it is met, a file that could not be stored (asked again next time).
    """
    revision = change.current_revision
    assert revision is not None  # spec_files come from it
    stored = state.stored(change.number)
    known_missing = {(f.get("path"), f.get("patch_set")) for f in (stored_row.unreadable_files or [])} \
        if stored_row is not None else set()
    spec_ids: list[int] = []
    missing: list[dict[str, Any]] = []
    reasons: list[str] = []
    revised = False
    for file in files:
        if change.is_move or file.status == "D":
            spec_id = _spec_of_path(session, project, file.old_path or file.path) or _spec_of_path(
                session, project, file.path)
            if spec_id is not None:
                spec_ids.append(spec_id)
                continue
            if file.status == "D":
                continue  # a deleted file of a spec BOB never saw: nothing to attach the change to
            # A move of a spec BOB has not seen yet (Gerrit pages newest first, so the move can come
            # before the change that added the file): its text is new to BOB, so store it.
        release, file_state = revision_state(change, file.path)
        key: RevisionKey = (RevisionSource.GERRIT.value, file.path, change.number, revision.number)
        have = state.known.get(key)
        if have is not None and (have.release, have.state) == (release, file_state.value) \
                and file.path in stored.spec_of:
            spec_ids.append(stored.spec_of[file.path])
            continue
        if (file.path, revision.number) in known_missing:
            missing.append({"path": file.path, "patch_set": revision.number})
            spec_id = stored.spec_of.get(file.path) or _spec_of_path(session, project, file.path)
            if spec_id is not None:
                spec_ids.append(spec_id)
            continue
        revised = _missed_patch_sets(session, actor, project, client, change, file, stored.newest.get(file.path)) \
            or revised
        text = client.file_content(change, revision.sha, file.path)
        if text is None:
            missing.append({"path": file.path, "patch_set": revision.number})
            reasons.append(f"{file.path} is not in patch set {revision.number} (Gerrit answered 404): recorded "
                           "on the change and not asked again; the rest of the change is stored")
            spec_id = stored.spec_of.get(file.path) or _spec_of_path(session, project, file.path)
            if spec_id is not None:
                spec_ids.append(spec_id)
            continue
        result = receive_revision(session, actor, IncomingRevision(
            project=project, source=RevisionSource.GERRIT, path=file.path, text=text, release=release,
            state=file_state, patch_set=revision.number, change_number=change.number, blueprint=change.blueprint,
            uploaded_at=change.uploaded_at(revision.number),
        ), known=have)
        if result.outcome is RevisionOutcome.FAILED:
            reasons.append(f"{file.path}: {result.reason}")
            continue
        revised = revised or result.outcome is not RevisionOutcome.UNCHANGED
        spec_id = result.spec_id or stored.spec_of.get(file.path)
        if spec_id is not None:
            stored.spec_of[file.path] = spec_id
            stored.newest[file.path] = max(stored.newest.get(file.path, 0), revision.number)
            spec_ids.append(spec_id)
    return list(dict.fromkeys(spec_ids)), revised, missing, reasons


def _missed_patch_sets(
    session: Session,
    actor: User | None,
    project: Project,
    client: GerritClient,
    change: Change,
    file: FileChange,
    newest_stored: int | None,
) -> bool:
    """Patch sets uploaded between two runs: store their text too (oldest first, at most
    :data:`MAX_MISSED_PATCH_SETS`), so the checklist says in which patch set a section changed.

    Only for a change BOB already follows: a first sight of a change stores its current patch set
    alone, so a backfill costs one file request per spec file, not one per patch set.
    """
    assert change.current_revision is not None
    if newest_stored is None:
        return False
    missed = range(max(newest_stored + 1, change.current_revision.number - MAX_MISSED_PATCH_SETS),
                   change.current_revision.number)
    release, _ = revision_state(change, file.path)
    revised = False
    for number in missed:
        text = client.file_content(change, str(number), file.path)
        if text is None:  # the file did not exist at that patch set
            continue
        result = receive_revision(session, actor, IncomingRevision(
            project=project, source=RevisionSource.GERRIT, path=file.path, text=text, release=release,
            state=SpecState.PROPOSED, patch_set=number, change_number=change.number, blueprint=change.blueprint,
            uploaded_at=change.uploaded_at(number),
        ))
        revised = revised or result.outcome in (RevisionOutcome.CREATED, RevisionOutcome.REVISED)
    return revised


def _spec_of_path(session: Session, project: Project, path: str) -> int | None:
    """The spec a path belongs to: its latest revision at that path, else the spec named like the file."""
    spec_id = session.scalar(
        select(SpecRevision.spec_id).join(Spec, Spec.id == SpecRevision.spec_id)
        .where(Spec.project_id == project.id, SpecRevision.path == path)
        .order_by(SpecRevision.id.desc()).limit(1)
    )
    if spec_id is None:
        spec_id = session.scalar(
            select(Spec.id).where(Spec.project_id == project.id, Spec.name == PurePosixPath(path).stem))
    return spec_id


def change_url(base: str, repo: str, number: int, patch_set: int | None = None) -> str:
    return f"{base}/c/{repo}/+/{number}" + (f"/{patch_set}" if patch_set else "")


def _change_data(project: Project, base: str, change: Change, spec_ids: list[int],
                 unreadable: list[dict[str, Any]]) -> GerritChangeData:
    approval = change.approval
    assert project.gerrit_repo is not None
    return GerritChangeData(
        repo=project.gerrit_repo,
        change_number=change.number,
        status=change.status,
        subject=change.subject,
        change_id=change.change_id,
        owner_name=change.owner.shown if change.owner else "",
        current_patch_set=change.patch_sets,
        url=change_url(base, project.gerrit_repo, change.number),
        labels=tuple(
            {"label": v.label, "value": v.value, "by": v.account.shown, "username": v.account.username,
             "date": v.date.isoformat() if v.date else None}
            for v in sorted(change.votes, key=lambda v: (v.label, v.account.account_id))
        ),
        created_at=change.created,
        updated_at=change.updated,
        submitted_at=change.submitted,
        topic=change.topic,
        approved_by=approval.account.shown if approval else None,
        approved_at=approval.date if approval else None,
        other_spec_ids=tuple(spec_ids[1:]),
        unreadable_files=tuple(unreadable),
    )


def _messages(spec: Spec, base: str, project: Project, change: Change, stored: set[str]) -> list[ExternalComment]:
    """The change's human review messages BOB does not hold yet, as ``gerrit`` comments to insert."""
    host = urlsplit(base).netloc
    assert project.gerrit_repo is not None
    prefix = f"gerrit:{host}/{change.number}/"
    pending = []
    for message in change.messages:
        body = message.text.strip()
        if message.automatic or not body or prefix + message.id in stored:
            continue
        pending.append(ExternalComment(
            spec=spec, source=CommentSource.GERRIT, external_id=prefix + message.id,
            author_name=message.author.shown if message.author else "Gerrit",
            body=_cut(body), created_at=message.date, patch_set=message.patch_set,
            url=change_url(base, project.gerrit_repo, change.number, message.patch_set) + f"#message-{message.id}",
        ))
    return pending


def _cut(body: str) -> str:
    if len(body) > MAX_COMMENT_CHARS:
        return body[: MAX_COMMENT_CHARS - 40].rstrip() + "\n\n… (cut; read the rest in Gerrit)"
    return body


def _inline_comments(spec: Spec, client: GerritClient, base: str, project: Project,
                     change: Change) -> list[ExternalComment]:
    """The change's inline and patch-set-level comments (one request), with file, line and a link back."""
    host = urlsplit(base).netloc
    assert project.gerrit_repo is not None
    return [ExternalComment(
        spec=spec, source=CommentSource.GERRIT,
        external_id=f"gerrit:{host}/{change.number}/c/{comment.id}"[:200],
        author_name=comment.author.shown if comment.author else "Gerrit",
        body=_cut(comment.text.strip()), created_at=comment.updated, patch_set=comment.patch_set,
        file_line=comment.file_line[:500] if comment.file_line else None,
        url=f"{base}/c/{project.gerrit_repo}/+/{change.number}/comment/{comment.id}/",
    ) for comment in client.comments(change) if comment.text.strip()]


# --- implementation progress: the project's code repositories ------------------------------------

CODE_RUN_SOURCE = "gerrit-code"
CODE_TERMS = "(intopic:^bp/.* OR message:blueprint)"  # narrows the query; the footers decide


def code_repos(session: Session, project: Project) -> list[str]:
    return list(session.scalars(
        select(ProjectSource.name).where(ProjectSource.project_id == project.id,
                                         ProjectSource.kind == SourceKind.CODE_REPO.value)
        .order_by(ProjectSource.position, ProjectSource.name)))


def sync_code_repo(
    session: Session,
    actor: User | None,
    project: Project,
    client: GerritClient,
    repo: str,
    *,
    full: bool = False,
    page_size: int = 100,
    commit: Callable[[], None] | None = None,
) -> SyncReport:
    """Implementation progress from one code repository: one paged query for the whole repository.

    A change counts for each spec of ``project`` it names (``Implements: blueprint <name>``,
    ``Partially-Implements: …``, topic ``bp/<name>``); specs are never created from code changes.
    Same cursor rules as :func:`sync_project`, with the repository as the cursor's scope.
    """
    key = SyncKey(RUN_SOURCE, project.id, scope=repo)
    cursor = read_cursor(session, key)
    after = None if full or cursor is None else datetime.fromisoformat(cursor) - OVERLAP
    report = SyncReport(backfill=full or cursor is None)
    base = str(client.http.base_url).rstrip("/")
    with recorded_run(session, source=CODE_RUN_SOURCE, project_id=project.id, argument=f"{base} {repo}",
                      commit=commit, sync=key) as run:
        report.run_id = run.run_id
        newest: datetime | None = datetime.fromisoformat(cursor) if cursor else None
        with events.backfilling(session) if report.backfill else nullcontext():
            for page in client.query(repo, after=after, page_size=page_size, terms=CODE_TERMS,
                                     options=CODE_QUERY_OPTIONS):
                names = {name for change in page.changes for name in change.implements()}
                specs = {spec.name: spec for spec in session.scalars(
                    select(Spec).where(Spec.project_id == project.id, Spec.name.in_(names)))} if names else {}
                for change in page.changes:
                    newest = change.updated if newest is None or change.updated > newest else newest
                    found = [(specs[name], partial) for name, partial in change.implements().items()
                             if name in specs]
                    if not found:
                        report.skipped += 1
                        continue
                    outcomes = [upsert_implementation_change(session, actor, spec, ImplementationChangeData(
                        repo=repo, change_number=change.number, status=change.status, subject=change.subject,
                        owner_name=change.owner.shown if change.owner else "",
                        url=change_url(base, repo, change.number), partial=partial,
                        updated_at=change.updated, submitted_at=change.submitted,
                    )) for spec, partial in found]
                    if "created" in outcomes:
                        report.created += 1
                    elif "updated" in outcomes:
                        report.updated += 1
                    else:
                        report.unchanged += 1
                run.commit_batch(report.counts, _failures(report))
        if newest is not None:
            report.cursor = newest.isoformat()
            advance_cursor(session, key, report.cursor)
        report.status = run.finish(report.counts, _failures(report))
    return report
