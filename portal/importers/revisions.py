"""One path for "a new revision of a spec document arrived", whatever brought it.

A specs tree file, a Gerrit patch set (and later anything else that carries
spec text) becomes an :class:`IncomingRevision` and goes through
:func:`receive_revision`: parse (``portal.specs.document``, bounded and
sandboxed) → upsert of a ``SpecRevision`` keyed by source, path and, for
Gerrit, change number and patch set (``portal.specs.service``; a re-run
with the same text writes nothing) → checklist prefill of the spec
(``portal.checklist``), all in one savepoint, so one bad document is
reported with its reason and the rest of the batch goes on.

It lives in ``portal.importers`` because it joins two domain packages:
``portal.checklist`` sits above ``portal.specs``, which must not call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from portal.checklist.service import refresh_prefill
from portal.errors import PortalError
from portal.models import Project, Spec, SpecRevision, SpecState, User
from portal.models.specs import RevisionSource
from portal.specs.document import parse_spec
from portal.specs.merge import MergeResult, merge_specs, resolve_alias
from portal.specs.service import SpecFile, content_hash, upsert_spec_file

RevisionKey = tuple[str, str, int | None, int | None]  # source, path, change number, patch set


class RevisionOutcome(StrEnum):
    CREATED = "created"  # a new spec, with its first revision
    REVISED = "revised"  # a new revision of a known spec
    UNCHANGED = "unchanged"  # this key already holds this text, release and state
    FAILED = "failed"  # nothing stored; see RevisionResult.reason


@dataclass(frozen=True)
class IncomingRevision:
    """A spec document as a source hands it over; nothing here is specific to one source."""

    project: Project
    source: RevisionSource
    path: str  # in the repository, e.g. specs/2026.1/approved/foo.rst
    text: str
    release: str | None
    state: SpecState
    patch_set: int | None = None  # Gerrit only
    change_number: int | None = None  # Gerrit only
    blueprint: str | None = None  # the blueprint name the source knows (topic bp/<name>); the text's link wins
    uploaded_at: datetime | None = None  # when the source made this version (a Gerrit patch set's upload time)
    name: str | None = None  # the fallback spec name, when not the file's stem
    deliverable: str | None = None  # from the tree's layout (portal.specs.layout)
    grouping: str | None = None
    created_at: datetime | None = None  # when the source first had this document (git history, mtime)
    changed_at: datetime | None = None  # when the source last changed it

    @property
    def key(self) -> RevisionKey:
        return (self.source.value, self.path, self.change_number, self.patch_set)

    @property
    def file_name(self) -> str:
        return self.name or PurePosixPath(self.path).stem


@dataclass(frozen=True)
class KnownRevision:
    """What is stored for a key: enough to tell "unchanged" without parsing the text again."""

    content_hash: str
    release: str | None
    state: str
    parse_error: str | None

    def matches(self, incoming: IncomingRevision, digest: str | None = None) -> bool:
        return (self.content_hash, self.release, self.state) == (
            digest or content_hash(incoming.text), incoming.release, incoming.state.value
        )


@dataclass(frozen=True)
class RevisionResult:
    outcome: RevisionOutcome
    spec_name: str | None = None
    spec_id: int | None = None
    reason: str | None = None  # why it failed, said so that the admin can fix it
    parse_error: str | None = None  # the text is stored as plain text: its reStructuredText did not parse


def known_revisions(
    session: Session, project: Project, source: RevisionSource, paths: Iterable[str] | None = None
) -> dict[RevisionKey, KnownRevision]:
    """The latest stored revision of every key of ``project`` from ``source`` (one query)."""
    latest = (
        select(func.max(SpecRevision.id))
        .join(Spec, Spec.id == SpecRevision.spec_id)
        .where(Spec.project_id == project.id, SpecRevision.source == source.value)
        .group_by(SpecRevision.path, SpecRevision.change_number, SpecRevision.patch_set)
    )
    if paths is not None:
        latest = latest.where(SpecRevision.path.in_(list(paths)))
    rows = session.execute(
        select(
            SpecRevision.source, SpecRevision.path, SpecRevision.change_number, SpecRevision.patch_set,
            SpecRevision.content_hash, SpecRevision.release, SpecRevision.state, SpecRevision.parse_error,
        ).where(SpecRevision.id.in_(latest))
    )
    return {
        (row.source, row.path, row.change_number, row.patch_set): KnownRevision(
            row.content_hash, row.release, row.state, row.parse_error
        )
        for row in rows
    }


def _holder_of_path(session: Session, project: Project, path: str) -> Spec | None:
    """The spec whose latest revision at ``path`` (from any source) BOB stored, if any (one query)."""
    return session.scalar(
        select(Spec).join(SpecRevision, SpecRevision.spec_id == Spec.id)
        .where(Spec.project_id == project.id, SpecRevision.path == path)
        .order_by(SpecRevision.id.desc()).limit(1)
    )


def _linked_name(session: Session, project: Project, item: SpecFile, holder: Spec | None) -> SpecFile:
    """A file that names no blueprint (no link, no topic) belongs where BOB already linked it.

    The file name is the weakest rule (DESIGN.md): when the path already belongs to a spec of another
    name (a Gerrit topic or an earlier link decided it), or the file's name is a merged spec's former
    name, the file goes to that spec instead of making (again) a spec named like the file.
    """
    if item.spec_name != item.file_name or (item.parsed.blueprint and item.parsed.blueprint.name == item.file_name):
        return item
    if holder is not None and holder.name != item.file_name:
        return replace(item, blueprint_hint=holder.name)
    if session.scalar(select(Spec.id).where(Spec.project_id == project.id, Spec.name == item.file_name)) is None:
        target = resolve_alias(session, project.id, item.file_name)
        if target is not None:
            return replace(item, blueprint_hint=target.name)
    return item


def _held_apart(holder: Spec, item: SpecFile) -> bool:
    """The path's spec was only named after the file, and this revision links the file to another name.

    A spec with a Launchpad blueprint of its own or whose text linked it is not merged away: that is a
    conflict for the admin page (two blueprints claim one file), not something to guess.
    """
    return (
        holder.name == item.file_name
        and item.spec_name != item.file_name
        and holder.lp_etag is None and holder.lp_definition_status is None
        and not (holder.blueprint_url or "").rstrip("/").endswith(f"/+spec/{holder.name}")
    )


def merge_into(session: Session, actor: User | None, merged: Spec, into: Spec) -> MergeResult:
    """:func:`portal.specs.merge.merge_specs`, then the survivor's checklist prefill and summary."""
    result = merge_specs(session, actor, merged, into)
    refresh_prefill(session, into)
    return result


def receive_revision(
    session: Session,
    actor: User | None,
    incoming: IncomingRevision,
    *,
    known: KnownRevision | None = None,
) -> RevisionResult:
    """Parse, store and prefill one revision; say what happened. Never raises for a bad document.

    ``known`` is what :func:`known_revisions` holds for the key, when the
    caller loaded it in bulk: an unchanged text is then recognised without
    parsing it. Without it, the store itself finds "unchanged" after parsing.
    """
    if known is not None and known.matches(incoming):
        return RevisionResult(RevisionOutcome.UNCHANGED, parse_error=known.parse_error)
    parsed = parse_spec(incoming.text, fallback_title=incoming.file_name.replace("-", " ").replace("_", " "))
    item = SpecFile(
        path=incoming.path,
        release=incoming.release,
        state=incoming.state,
        text=incoming.text,
        parsed=parsed,
        file_name=incoming.file_name,
        source=incoming.source,
        patch_set=incoming.patch_set,
        change_number=incoming.change_number,
        blueprint_hint=incoming.blueprint,
        uploaded_at=incoming.uploaded_at,
        deliverable=incoming.deliverable,
        grouping=incoming.grouping,
        created_at=incoming.created_at,
        changed_at=incoming.changed_at,
    )
    project = incoming.project
    try:
        with session.begin_nested():
            holder = _holder_of_path(session, project, incoming.path)
            item = _linked_name(session, project, item, holder)
            stored = upsert_spec_file(session, actor, project, item)
            spec = session.scalar(select(Spec).where(Spec.project_id == project.id, Spec.name == item.spec_name))
            if spec is not None and holder is not None and holder.id != spec.id and _held_apart(holder, item):
                merge_into(session, actor, holder, spec)  # refreshes the prefill of the survivor
            elif stored != "unchanged" and spec is not None:
                # The new revision gets its checklist prefill in the same savepoint.
                refresh_prefill(session, spec)
    except PortalError as exc:
        return RevisionResult(RevisionOutcome.FAILED, spec_name=item.spec_name, reason=exc.message)
    except (DataError, IntegrityError) as exc:  # this document's values do not fit; the others can
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return RevisionResult(
            RevisionOutcome.FAILED,
            spec_name=item.spec_name,
            reason=f"could not be stored ({detail}); fix the file and re-run",
        )
    outcome = {
        "created": RevisionOutcome.CREATED,
        "updated": RevisionOutcome.REVISED,
        "unchanged": RevisionOutcome.UNCHANGED,
    }[stored]
    return RevisionResult(
        outcome, spec_name=item.spec_name, spec_id=spec.id if spec is not None else None, parse_error=parsed.error
    )
