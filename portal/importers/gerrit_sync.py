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
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import events
from portal.discussion.service import MAX_COMMENT_CHARS, import_comment
from portal.errors import InvalidInput, PortalError
from portal.importers.cursors import SyncKey, advance_cursor, read_cursor
from portal.importers.gerrit import CODE_QUERY_OPTIONS, Change, FileChange, GerritClient, InlineComment
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
    Comment,
    CommentSource,
    GerritChange,
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
                known = known_revisions(session, project, RevisionSource.GERRIT,
                                        {f.path for c in page.changes for f in c.spec_files})
                stored = {} if full else _stored_updates(session, project.gerrit_repo, page.changes)
                for change in page.changes:
                    seen += 1
                    if change.spec_files and stored.get(change.number) == change.updated:
                        # Stored at this very update: a change and all it brought commit in one batch.
                        report.unchanged += 1
                    else:
                        _import_change(session, actor, project, client, base, change, known, report)
                    newest = change.updated if newest is None or change.updated > newest else newest
                if progress is not None:
                    progress(seen, page.url)
                run.commit_batch(report.counts, _failures(report))
        if newest is not None:
            report.cursor = newest.isoformat()
            advance_cursor(session, key, report.cursor)  # commits with the last batch, below
        report.status = run.finish(report.counts, _failures(report))
    return report


def _stored_updates(session: Session, repo: str, changes: tuple[Change, ...]) -> dict[int, datetime]:
    """Change number → the ``updated`` BOB stored for it, for one page (one query)."""
    if not changes:
        return {}
    rows = session.execute(select(GerritChange.change_number, GerritChange.updated_at).where(
        GerritChange.repo == repo, GerritChange.change_number.in_([c.number for c in changes])))
    return {number: updated for number, updated in rows}


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
    known: dict[RevisionKey, KnownRevision],
    report: SyncReport,
) -> None:
    files = change.spec_files
    if not files:
        report.skipped += 1
        return
    item = f"change {change.number}"
    try:
        with session.begin_nested():
            spec_ids, revised, reasons = _revisions(session, actor, project, client, change, files, known)
            if not spec_ids and not reasons:
                report.skipped += 1  # only deletions of specs BOB never saw
                return
            if not spec_ids:
                raise InvalidInput("; ".join(reasons))
            outcome = upsert_gerrit_change(session, actor, _spec(session, spec_ids[0]),
                                           _change_data(project, base, change, spec_ids))
            spec = _spec(session, spec_ids[0])
            commented = _messages(session, spec, base, project, change)
            if outcome != "unchanged" or revised or commented:
                # One request per change that moved; an unchanged change's comments are already in.
                commented = _inline_comments(session, spec, client, base, project, change) or commented
    except PortalError as exc:
        report.failed += 1
        report.failures.append((item, exc.message))
        return
    for reason in reasons:
        report.failures.append((item, reason))
    if outcome == "created":
        report.created += 1
    elif outcome == "updated" or revised or commented:
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
    known: dict[RevisionKey, KnownRevision],
) -> tuple[list[int], bool, list[str]]:
    """Store the new patch set's text of each spec file; the specs the change belongs to, in file order."""
    revision = change.current_revision
    assert revision is not None  # spec_files come from it
    stored = _stored_specs(session, project, change.number)
    stored_ps = _stored_patch_sets(session, project, change.number)
    spec_ids: list[int] = []
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
        release, state = revision_state(change, file.path)
        key: RevisionKey = (RevisionSource.GERRIT.value, file.path, change.number, revision.number)
        have = known.get(key)
        if have is not None and (have.release, have.state) == (release, state.value) and file.path in stored:
            spec_ids.append(stored[file.path])
            continue
        revised = _missed_patch_sets(session, actor, project, client, change, file, stored_ps.get(file.path)) \
            or revised
        text = client.file_content(change, revision.sha, file.path)
        if text is None:
            reasons.append(f"{file.path} is not readable at patch set {revision.number} (404); re-run later")
            continue
        result = receive_revision(session, actor, IncomingRevision(
            project=project, source=RevisionSource.GERRIT, path=file.path, text=text, release=release,
            state=state, patch_set=revision.number, change_number=change.number, blueprint=change.blueprint,
        ), known=have)
        if result.outcome is RevisionOutcome.FAILED:
            reasons.append(f"{file.path}: {result.reason}")
            continue
        revised = revised or result.outcome is not RevisionOutcome.UNCHANGED
        spec_id = result.spec_id or _stored_specs(session, project, change.number).get(file.path)
        if spec_id is not None:
            spec_ids.append(spec_id)
    return list(dict.fromkeys(spec_ids)), revised, reasons


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
        ))
        revised = revised or result.outcome in (RevisionOutcome.CREATED, RevisionOutcome.REVISED)
    return revised


def _stored_patch_sets(session: Session, project: Project, change_number: int) -> dict[str, int]:
    """Path → the newest patch set stored for this change."""
    rows = session.execute(
        select(SpecRevision.path, func.max(SpecRevision.patch_set))
        .join(Spec, Spec.id == SpecRevision.spec_id)
        .where(Spec.project_id == project.id, SpecRevision.source == RevisionSource.GERRIT.value,
               SpecRevision.change_number == change_number)
        .group_by(SpecRevision.path)
    )
    return {path: int(number) for path, number in rows if number is not None}


def _stored_specs(session: Session, project: Project, change_number: int) -> dict[str, int]:
    """Path → spec of the revisions already stored for this change (latest wins)."""
    rows = session.execute(
        select(SpecRevision.path, SpecRevision.spec_id)
        .join(Spec, Spec.id == SpecRevision.spec_id)
        .where(Spec.project_id == project.id, SpecRevision.source == RevisionSource.GERRIT.value,
               SpecRevision.change_number == change_number)
        .order_by(SpecRevision.id)
    )
    return {path: spec_id for path, spec_id in rows}


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


def _change_data(project: Project, base: str, change: Change, spec_ids: list[int]) -> GerritChangeData:
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
    )


def _messages(session: Session, spec: Spec, base: str, project: Project, change: Change) -> bool:
    """Each human review message once, as a ``gerrit`` comment; True when one was new."""
    host = urlsplit(base).netloc
    assert project.gerrit_repo is not None
    prefix = f"gerrit:{host}/{change.number}/"
    # One query for the change's stored comments instead of one per message.
    have = set(session.scalars(select(Comment.external_id).where(
        Comment.source == CommentSource.GERRIT.value, Comment.external_id.startswith(prefix, autoescape=True))))
    added = False
    for message in change.messages:
        body = message.text.strip()
        if message.automatic or not body or prefix + message.id in have:
            continue
        _, new = import_comment(
            session, spec, source=CommentSource.GERRIT,
            external_id=prefix + message.id,
            author_name=message.author.shown if message.author else "Gerrit",
            body=_cut(body), created_at=message.date, patch_set=message.patch_set,
            url=change_url(base, project.gerrit_repo, change.number, message.patch_set)
            + f"#message-{message.id}",
        )
        added = added or new
    return added


def _cut(body: str) -> str:
    if len(body) > MAX_COMMENT_CHARS:
        return body[: MAX_COMMENT_CHARS - 40].rstrip() + "\n\n… (cut; read the rest in Gerrit)"
    return body


def _inline_comments(session: Session, spec: Spec, client: GerritClient, base: str, project: Project,
                     change: Change) -> bool:
    """The change's inline and patch-set-level comments, each once, with file, line and a link back."""
    host = urlsplit(base).netloc
    assert project.gerrit_repo is not None
    added = False
    comment: InlineComment
    for comment in client.comments(change):
        body = comment.text.strip()
        if not body:
            continue
        _, new = import_comment(
            session, spec, source=CommentSource.GERRIT,
            external_id=f"gerrit:{host}/{change.number}/c/{comment.id}"[:200],
            author_name=comment.author.shown if comment.author else "Gerrit",
            body=_cut(body), created_at=comment.updated, patch_set=comment.patch_set,
            file_line=comment.file_line[:500] if comment.file_line else None,
            url=f"{base}/c/{project.gerrit_repo}/+/{change.number}/comment/{comment.id}/",
        )
        added = added or new
    return added


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
