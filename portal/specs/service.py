"""Writes to specs: projects, and the idempotent upsert of imported spec documents.

Every function takes the session (and the acting user where there is one),
flushes but never commits, and records an event for each change, so a
re-run that finds nothing new writes nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal import events
from portal.clock import now
from portal.errors import Conflict, InvalidInput, NotFound
from portal.models import (
    Event,
    GerritChange,
    GerritChangeSpec,
    ImplementationChange,
    Project,
    Spec,
    SpecRevision,
    SpecState,
    User,
)
from portal.models.specs import RevisionSource
from portal.specs.document import ParsedSpec
from portal.specs.releases import release_rank

PROJECT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SPEC_NAME_RE = re.compile(r"^[A-Za-z0-9][\w.+-]{0,199}$")
GERRIT_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)*$")

Outcome = Literal["created", "updated", "unchanged"]

# Which revision is a spec's current one when two share a release.
_STATE_PRIORITY = {
    SpecState.IMPLEMENTED.value: 4,
    SpecState.APPROVED.value: 3,
    SpecState.PROPOSED.value: 2,
    SpecState.BACKLOG.value: 1,
    SpecState.NOT_IMPLEMENTED.value: 1,
    SpecState.ABANDONED.value: 0,
    SpecState.RETIRED.value: 0,
}


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def get_project(session: Session, name: str) -> Project:
    project = session.scalar(select(Project).where(Project.name == name))
    if project is None:
        known = ", ".join(session.scalars(select(Project.name).order_by(Project.name)).all()) or "none yet"
        raise NotFound(
            f"No project named '{name}'. Known projects: {known}. "
            f"Register it first with `portal projects add {name}`."
        )
    return project


def add_project(
    session: Session,
    actor: User | None,
    name: str,
    *,
    title: str = "",
    description: str = "",
    gerrit_repo: str | None = None,
    launchpad: str | None = None,
) -> Project:
    """Register a project; raise :class:`Conflict` if the name is taken."""
    if not PROJECT_NAME_RE.match(name):
        raise InvalidInput(
            f"Invalid project name '{name}': use lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. nova)."
        )
    if gerrit_repo is not None and not GERRIT_REPO_RE.match(gerrit_repo):
        raise InvalidInput(f"Invalid Gerrit repository '{gerrit_repo}': expected a form like openstack/nova-specs.")
    if launchpad is not None and not PROJECT_NAME_RE.match(launchpad):
        raise InvalidInput(f"Invalid Launchpad project '{launchpad}': expected a name like nova.")
    if session.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise Conflict(f"Project '{name}' already exists.")
    project = Project(
        name=name,
        title=title or name,
        description=description,
        gerrit_repo=gerrit_repo,
        launchpad=launchpad,
    )
    session.add(project)
    session.flush()
    events.record(session, events.EventKind.PROJECT_CREATED, project_id=project.id,
                  actor_id=actor.id if actor else None, name=name)
    return project


@dataclass(frozen=True)
class SpecFile:
    """One revision of a spec document, parsed, ready to upsert (``portal.importers.revisions`` builds it).

    A revision is keyed by its source, path and, for Gerrit, change number and
    patch set: the same key with the same text, release and state is
    "unchanged", so re-runs write nothing.
    """

    path: str  # relative to the repository, e.g. specs/2025.1/approved/foo.rst
    release: str | None
    state: SpecState
    text: str
    parsed: ParsedSpec
    file_name: str  # stem, the fallback spec name
    source: RevisionSource = RevisionSource.FILE
    patch_set: int | None = None
    change_number: int | None = None
    blueprint_hint: str | None = None  # the name the source gives (Gerrit topic bp/<name>)
    uploaded_at: datetime | None = None  # when the source says this version was made (a Gerrit patch set's upload)
    deliverable: str | None = None
    grouping: str | None = None
    created_at: datetime | None = None  # the source's own dates (git history, mtime); None: unknown
    changed_at: datetime | None = None

    @property
    def spec_name(self) -> str:
        """The text's blueprint link wins, then the source's blueprint name, then the file name (DESIGN.md)."""
        if self.parsed.blueprint and SPEC_NAME_RE.match(self.parsed.blueprint.name):
            return self.parsed.blueprint.name
        if self.blueprint_hint and SPEC_NAME_RE.match(self.blueprint_hint):
            return self.blueprint_hint
        return self.file_name


def upsert_spec_file(session: Session, actor: User | None, project: Project, item: SpecFile) -> Outcome:
    """Create or update the spec this file belongs to; 'unchanged' when nothing differs."""
    name = item.spec_name
    if not SPEC_NAME_RE.match(name):
        raise InvalidInput(f"Cannot derive a spec name from '{item.path}': rename the file (letters, digits, -_.+).")
    digest = content_hash(item.text)
    spec = session.scalar(select(Spec).where(Spec.project_id == project.id, Spec.name == name))
    created = spec is None
    if spec is None:
        spec = Spec(project_id=project.id, name=name)
        session.add(spec)
        session.flush()
    revisions = list(session.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id)))
    latest_for_path = max((r for r in revisions if _same_key(r, item)), key=lambda r: r.id, default=None)
    if (
        latest_for_path is not None
        and latest_for_path.content_hash == digest
        and latest_for_path.release == item.release
        and latest_for_path.state == item.state.value
    ):
        return "unchanged"

    parsed = item.parsed
    revision = SpecRevision(
        spec_id=spec.id,
        source=item.source.value,
        patch_set=item.patch_set,
        change_number=item.change_number,
        path=item.path,
        release=item.release,
        release_rank=release_rank(item.release),
        state=item.state.value,
        content_hash=digest,
        title=parsed.title[:300],
        text=item.text,
        sections=[s.to_dict() for s in parsed.sections],
        html=parsed.html,
        blueprint_url=parsed.blueprint.url if parsed.blueprint else None,
        parse_error=parsed.error,
        uploaded_at=item.uploaded_at,
        deliverable=item.deliverable,
        grouping=item.grouping,
        changed_at=item.changed_at,
    )
    session.add(revision)
    session.flush()
    revisions.append(revision)
    _mirror_current(spec, revisions, summary=parsed.summary if _current(revisions) is revision else None)
    _record_document_dates(spec, item, created=created)
    events.record(
        session,
        events.EventKind.SPEC_CREATED if created else events.EventKind.SPEC_REVISED,
        project_id=project.id,
        spec_id=spec.id,
        actor_id=actor.id if actor else None,
        name=name,
        source=revision.source,
        content_hash=digest,
        path=item.path,
        release=item.release,
        state=item.state.value,
        revision_id=revision.id,
        **_patch_set_field(created, item.patch_set),
    )
    return "created" if created else "updated"


def _record_document_dates(spec: Spec, item: SpecFile, *, created: bool) -> None:
    """The document's own dates, so a 2015 spec does not look new because it was imported today.

    A Gerrit patch set counts from its upload time; without any date from the
    source, the change happened now.
    """
    changed = item.changed_at or item.uploaded_at or now()
    if item.created_at is not None and (spec.doc_created_at is None or item.created_at < spec.doc_created_at):
        spec.doc_created_at = item.created_at
    if item.changed_at is not None and (spec.doc_changed_at is None or item.changed_at > spec.doc_changed_at):
        spec.doc_changed_at = item.changed_at
    if created or changed > spec.last_activity_at:
        spec.last_activity_at = changed


def _patch_set_field(created: bool, patch_set: int | None) -> dict[str, Any]:
    """``spec.revised`` names the Gerrit patch set it came from (``spec.created`` has no such field)."""
    return {} if created or patch_set is None else {"patch_set": patch_set}


def _same_key(revision: SpecRevision, item: SpecFile) -> bool:
    return (
        revision.path == item.path
        and revision.source == item.source.value
        and revision.change_number == item.change_number
        and revision.patch_set == item.patch_set
    )


def _current(revisions: list[SpecRevision]) -> SpecRevision:
    """The newest release wins, then implemented over approved, then the latest import."""
    return max(revisions, key=lambda r: (r.release_rank, _STATE_PRIORITY.get(r.state, 0), r.id))


def current_revision(revisions: list[SpecRevision]) -> SpecRevision | None:
    return _current(revisions) if revisions else None


def _mirror_current(spec: Spec, revisions: list[SpecRevision], *, summary: str | None) -> None:
    """Copy the current revision's fields onto the spec, so list pages read one table."""
    current = _current(revisions)
    spec.title = current.title or spec.name
    spec.release = current.release
    spec.release_rank = current.release_rank
    spec.state = current.state
    spec.blueprint_url = current.blueprint_url or spec.blueprint_url
    # A Gerrit patch set knows no layout of its own: the tree's placement stays.
    spec.deliverable = current.deliverable or spec.deliverable
    spec.grouping = current.grouping or spec.grouping
    if summary is not None:
        spec.summary = summary


@dataclass(frozen=True)
class BlueprintData:
    """Launchpad blueprint fields, as an importer (or the demo) hands them over."""

    name: str
    title: str | None = None
    definition_status: str | None = None
    implementation_status: str | None = None
    priority: str | None = None
    approver: str | None = None
    assignee: str | None = None
    milestone: str | None = None
    whiteboard: str | None = None
    created_at: datetime | None = None
    url: str | None = None
    # Set by the Launchpad importer (portal.importers.launchpad); callers that leave them out
    # (the demo) leave them None.
    summary: str | None = None
    lifecycle_status: str | None = None
    direction_approved: bool | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    owner: str | None = None
    drafter: str | None = None
    series_goal: str | None = None
    goal_status: str | None = None  # Proposed | Accepted | Declined
    work_items: tuple[dict[str, Any], ...] | None = None  # {"text", "state", "assignee", "milestone"}
    specification_url: str | None = None
    web_link: str | None = None
    dependencies_url: str | None = None
    bugs_url: str | None = None
    dependencies: tuple[dict[str, Any], ...] | None = None  # {"name", "project", "title", "web_link"}
    bugs: tuple[dict[str, Any], ...] | None = None  # {"id", "title", "web_link"}
    people: dict[str, Any] | None = None  # {role: {"name", "display_name"}}; not an event field
    lp_project: str | None = None  # not an event field
    etag: str | None = None  # http_etag of the entry; not an event field


_BLUEPRINT_FIELDS = {
    "title": "lp_title",
    "definition_status": "lp_definition_status",
    "implementation_status": "lp_implementation_status",
    "priority": "lp_priority",
    "approver": "lp_approver",
    "assignee": "lp_assignee",
    "milestone": "lp_milestone",
    "whiteboard": "lp_whiteboard",
    "created_at": "lp_created_at",
    "summary": "lp_summary",
    "lifecycle_status": "lp_lifecycle_status",
    "direction_approved": "lp_direction_approved",
    "started_at": "lp_started_at",
    "completed_at": "lp_completed_at",
    "owner": "lp_owner",
    "drafter": "lp_drafter",
    "series_goal": "lp_series_goal",
    "goal_status": "lp_goal_status",
    "work_items": "lp_work_items",
    "specification_url": "lp_specification_url",
    "web_link": "lp_web_link",
    "dependencies_url": "lp_dependencies_url",
    "bugs_url": "lp_bugs_url",
    "dependencies": "lp_dependencies",
    "bugs": "lp_bugs",
}
# Stored, but a change in them alone is no news (no launchpad.changed event).
_BLUEPRINT_QUIET_FIELDS = {"people": "lp_people", "lp_project": "lp_project", "etag": "lp_etag"}
# The fields whose before/after a launchpad.changed event carries (what people act on).
BLUEPRINT_TRACKED_FIELDS = (
    "definition_status", "implementation_status", "lifecycle_status", "priority", "milestone",
    "series_goal", "goal_status", "approver", "direction_approved",
)


def _shown_value(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def apply_blueprint(session: Session, actor: User | None, project: Project, data: BlueprintData) -> Outcome:
    """Set a spec's Launchpad fields, creating the spec when only the blueprint exists."""
    if not SPEC_NAME_RE.match(data.name):
        raise InvalidInput(f"Invalid blueprint name '{data.name}'.")
    spec = session.scalar(select(Spec).where(Spec.project_id == project.id, Spec.name == data.name))
    created = spec is None
    if spec is None:
        spec = Spec(
            project_id=project.id, name=data.name, title=data.title or data.name, state=SpecState.PROPOSED.value
        )
        session.add(spec)
        session.flush()
    changed = {}
    previous: dict[str, str | None] = {}
    for field, column in _BLUEPRINT_FIELDS.items():
        value = getattr(data, field)
        if isinstance(value, tuple):
            value = list(value)
        old = getattr(spec, column)
        if old != value:
            changed[field] = value
            if field in BLUEPRINT_TRACKED_FIELDS:
                previous[field] = _shown_value(old)
            setattr(spec, column, value)
    for field, column in _BLUEPRINT_QUIET_FIELDS.items():
        value = getattr(data, field)
        if getattr(spec, column) != value:
            setattr(spec, column, value)
    url = data.url or f"https://blueprints.launchpad.net/{project.launchpad or project.name}/+spec/{data.name}"
    if spec.blueprint_url is None:
        spec.blueprint_url = url
    if not changed and not created:
        return "unchanged"
    spec.last_activity_at = now()
    if created:
        events.record(session, events.EventKind.SPEC_CREATED, project_id=project.id, spec_id=spec.id,
                      actor_id=actor.id if actor else None, name=spec.name, source="launchpad", state=spec.state)
    else:
        events.record(session, events.EventKind.LAUNCHPAD_CHANGED, project_id=project.id, spec_id=spec.id,
                      actor_id=actor.id if actor else None, name=spec.name, fields=sorted(changed),
                      previous=previous, current={f: _shown_value(changed[f]) for f in previous})
    return "created" if created else "updated"


@dataclass(frozen=True)
class GerritChangeData:
    """One Gerrit change of a spec file."""

    repo: str
    change_number: int
    status: str
    subject: str = ""
    change_id: str = ""
    owner_name: str = ""
    current_patch_set: int = 1
    url: str | None = None
    labels: tuple[dict[str, Any], ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    submitted_at: datetime | None = None
    topic: str | None = None
    approved_by: str | None = None  # the Workflow+1 voter; None: read from labels
    approved_at: datetime | None = None
    other_spec_ids: tuple[int, ...] = ()  # further specs the change touches (change <-> spec is many-to-many)
    unreadable_files: tuple[dict[str, Any], ...] = ()  # {"path", "patch_set"}: spec files Gerrit answered 404 for


_NOT_LOADED: Any = object()


def upsert_gerrit_change(
    session: Session,
    actor: User | None,
    spec: Spec,
    data: GerritChangeData,
    *,
    existing: GerritChange | None = _NOT_LOADED,
    linked: set[int] | None = None,
) -> Outcome:
    """Create or update a spec review keyed by (repo, change number); older data never overwrites newer.

    An importer that loaded a page's rows at once passes the stored row (``existing``, ``None`` when there
    is none) and the ids of the specs it is linked to (``linked``), so the upsert asks nothing more.
    """
    if data.status not in {"NEW", "MERGED", "ABANDONED"}:
        raise InvalidInput(f"Unknown Gerrit status '{data.status}': expected NEW, MERGED or ABANDONED.")
    review = existing if existing is not _NOT_LOADED else session.scalar(
        select(GerritChange).where(GerritChange.repo == data.repo, GerritChange.change_number == data.change_number)
    )
    created = review is None
    previous_status = None if review is None else review.status
    previous_patch_set = None if review is None else review.current_patch_set
    if review is None:
        review = GerritChange(repo=data.repo, change_number=data.change_number, spec_id=spec.id)
        session.add(review)
    elif data.updated_at is not None and review.updated_at is not None and data.updated_at < review.updated_at:
        return "unchanged"
    updated_at = data.updated_at or now()
    values: dict[str, Any] = {
        "spec_id": spec.id,
        "status": data.status,
        "subject": data.subject[:500],
        "change_id": data.change_id,
        "owner_name": data.owner_name[:200],
        "current_patch_set": data.current_patch_set,
        "url": data.url,
        "labels": list(data.labels),
        "approved_by": data.approved_by or next(
            (v["by"] for v in data.labels if v.get("label") == "Workflow" and v.get("value", 0) > 0), None
        ),
        "created_at": data.created_at or now(),
        "updated_at": updated_at,
        "submitted_at": data.submitted_at,
        "topic": data.topic[:200] if data.topic else None,
        "approved_at": data.approved_at,
        "unreadable_files": list(data.unreadable_files) or None,
    }
    added = _link_change_specs(session, review, created, (spec.id, *data.other_spec_ids), linked)
    if not created and not added and all(getattr(review, k) == v for k, v in values.items()):
        return "unchanged"
    for key, value in values.items():
        setattr(review, key, value)
    session.flush()
    if created:
        _link_change_specs(session, review, False, (spec.id, *data.other_spec_ids), set())
    if updated_at > spec.last_activity_at:
        spec.last_activity_at = updated_at
    events.record(session, events.EventKind.GERRIT_CHANGE_UPDATED, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id if actor else None, name=spec.name, repo=data.repo,
                  change_number=data.change_number, status=data.status, patch_set=data.current_patch_set,
                  previous_status=previous_status, previous_patch_set=previous_patch_set)
    return "created" if created else "updated"


def delete_spec(session: Session, actor: User | None, spec: Spec) -> None:
    """Remove a spec with its revisions, comments and answers; its events stay, recording ``spec.deleted``.

    The events' reference to the spec becomes NULL (ON DELETE SET NULL), so
    the new event carries the spec's id and names for consumers (search drops
    the spec's documents, alerts tell its followers). The caller checks the
    actor may do it.
    """
    project_name = session.scalar(select(Project.name).where(Project.id == spec.project_id)) or ""
    event = _record_spec_deleted(session, actor, spec.project_id, spec.id, spec.name, spec.title, project_name)
    session.flush()
    session.execute(delete(Spec).where(Spec.id == spec.id))
    session.expire(event, ["spec_id"])  # the database has set it to NULL


def delete_project(session: Session, actor: User | None, project: Project) -> int:
    """Remove a project and all its specs; return how many specs went.

    Records one ``spec.deleted`` per spec and a ``project.changed``
    (``change="removed"``); the events stay, their references NULL. The
    caller checks the actor may do it and has confirmed it with them.
    """
    specs = session.execute(
        select(Spec.id, Spec.name, Spec.title).where(Spec.project_id == project.id).order_by(Spec.id)
    ).all()
    recorded = [
        _record_spec_deleted(session, actor, project.id, spec_id, name, title, project.name)
        for spec_id, name, title in specs
    ]
    recorded.append(events.record(session, events.EventKind.PROJECT_CHANGED, project_id=project.id,
                                  actor_id=actor.id if actor else None, change="removed", name=project.name))
    session.flush()
    session.execute(delete(Spec).where(Spec.project_id == project.id))
    session.execute(delete(Project).where(Project.id == project.id))
    for event in recorded:
        session.expire(event, ["spec_id", "project_id"])  # the database has set them to NULL
    return len(specs)


def _record_spec_deleted(session: Session, actor: User | None, project_id: int, spec_id: int, name: str,
                         title: str, project_name: str) -> Event:
    return events.record(session, events.EventKind.SPEC_DELETED, project_id=project_id, spec_id=spec_id,
                         actor_id=actor.id if actor else None, former_spec_id=spec_id, name=name, title=title,
                         project=project_name)


def _link_change_specs(session: Session, review: GerritChange, created: bool, spec_ids: tuple[int, ...],
                       have: set[int] | None = None) -> bool:
    """Add the missing ``gerrit_change_specs`` rows of ``review``; True when one was added."""
    if created or review.id is None:
        return False  # linked after the first flush, once the change has its id
    if have is None:
        have = set(session.scalars(
            select(GerritChangeSpec.spec_id).where(GerritChangeSpec.gerrit_change_id == review.id)))
    missing = [sid for sid in dict.fromkeys(spec_ids) if sid not in have]
    for sid in missing:
        session.add(GerritChangeSpec(gerrit_change_id=review.id, spec_id=sid))
    have.update(missing)
    if missing:
        session.flush()
    return bool(missing)


@dataclass(frozen=True)
class ImplementationChangeData:
    """A code-repository change that implements a spec (``Implements: blueprint <name>``, topic ``bp/<name>``)."""

    repo: str
    change_number: int
    status: str
    subject: str = ""
    owner_name: str = ""
    url: str | None = None
    partial: bool = True
    updated_at: datetime | None = None
    submitted_at: datetime | None = None


def upsert_implementation_change(
    session: Session, actor: User | None, spec: Spec, data: ImplementationChangeData
) -> Outcome:
    """Create or update the implementation progress row keyed by (spec, repo, change number)."""
    if data.status not in {"NEW", "MERGED", "ABANDONED"}:
        raise InvalidInput(f"Unknown Gerrit status '{data.status}': expected NEW, MERGED or ABANDONED.")
    row = session.scalar(select(ImplementationChange).where(
        ImplementationChange.spec_id == spec.id, ImplementationChange.repo == data.repo,
        ImplementationChange.change_number == data.change_number))
    previous = None if row is None else row.status
    values: dict[str, Any] = {
        "status": data.status, "subject": data.subject[:500], "owner_name": data.owner_name[:200], "url": data.url,
        "partial": data.partial, "updated_at": data.updated_at or now(), "submitted_at": data.submitted_at,
    }
    if row is not None and all(getattr(row, k) == v for k, v in values.items()):
        return "unchanged"
    if row is None:
        row = ImplementationChange(spec_id=spec.id, repo=data.repo, change_number=data.change_number)
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    events.record(session, events.EventKind.IMPLEMENTATION_CHANGED, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id if actor else None, name=spec.name, repo=data.repo,
                  change_number=data.change_number, status=data.status, partial=data.partial,
                  previous_status=previous)
    return "created" if previous is None else "updated"
