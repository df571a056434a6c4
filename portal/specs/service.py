"""Writes to specs: projects, and the idempotent upsert of imported spec documents.

Every function takes the session (and the acting user where there is one),
flushes but never commits, and records an event for each change, so a
re-run that finds nothing new writes nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.clock import now
from portal.errors import Conflict, InvalidInput, NotFound
from portal.models import Project, Spec, SpecRevision, SpecState, User
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
    SpecState.ABANDONED.value: 0,
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
    events.record(session, "project.created", project_id=project.id, actor_id=actor.id if actor else None, name=name)
    return project


@dataclass(frozen=True)
class SpecFile:
    """One spec document found in a specs tree, parsed, ready to upsert."""

    path: str  # relative to the tree, e.g. specs/2025.1/approved/foo.rst
    release: str | None
    state: SpecState
    text: str
    parsed: ParsedSpec
    file_name: str  # stem, the fallback spec name

    @property
    def spec_name(self) -> str:
        """The blueprint link's name wins over the file name."""
        if self.parsed.blueprint and SPEC_NAME_RE.match(self.parsed.blueprint.name):
            return self.parsed.blueprint.name
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
    latest_for_path = max((r for r in revisions if r.path == item.path), key=lambda r: r.id, default=None)
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
        source="file",
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
    )
    session.add(revision)
    session.flush()
    revisions.append(revision)
    _mirror_current(spec, revisions, summary=parsed.summary if _current(revisions) is revision else None)
    spec.last_activity_at = now()
    events.record(
        session,
        events.SPEC_CREATED if created else events.SPEC_REVISED,
        project_id=project.id,
        spec_id=spec.id,
        actor_id=actor.id if actor else None,
        name=name,
        path=item.path,
        release=item.release,
        state=item.state.value,
        revision_id=revision.id,
    )
    return "created" if created else "updated"


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
    if summary is not None:
        spec.summary = summary
