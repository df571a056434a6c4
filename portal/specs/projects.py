"""Project housekeeping: sources (Gerrit, Launchpad, code repositories), renames with redirects, removal.

The caller checks ``portal.permissions.can_manage_projects`` (pages); the
command line calls these as the system (``actor=None``). Every change is
audited and records a ``project.changed`` event, so cached pages and event
consumers see it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal import events
from portal.audit import audit
from portal.errors import Conflict, InvalidInput
from portal.models import (
    ChecklistAnswer,
    Comment,
    GerritChange,
    ImportRun,
    Project,
    ProjectAlias,
    ProjectSource,
    SourceKind,
    Spec,
    SpecRevision,
    User,
    project_ptls,
)
from portal.specs import service
from portal.specs.service import GERRIT_REPO_RE, PROJECT_NAME_RE

MAX_SOURCES = 20


@dataclass(frozen=True)
class Sources:
    """Where a project's work lives; ``launchpad[0]`` is the main Launchpad project (``Project.launchpad``)."""

    gerrit_repo: str | None
    launchpad: tuple[str, ...]
    code_repos: tuple[str, ...]


def sources_of(session: Session, projects: Sequence[Project]) -> dict[int, Sources]:
    """The sources of many projects in one query (list pages and the API)."""
    extra: dict[int, dict[str, list[str]]] = {p.id: {k.value: [] for k in SourceKind} for p in projects}
    if projects:
        rows = session.execute(
            select(ProjectSource.project_id, ProjectSource.kind, ProjectSource.name)
            .where(ProjectSource.project_id.in_([p.id for p in projects]))
            .order_by(ProjectSource.project_id, ProjectSource.kind, ProjectSource.position)
        )
        for project_id, kind, name in rows:
            extra[project_id][kind].append(name)
    return {
        p.id: Sources(
            gerrit_repo=p.gerrit_repo,
            launchpad=((p.launchpad,) if p.launchpad else ()) + tuple(extra[p.id][SourceKind.LAUNCHPAD.value]),
            code_repos=tuple(extra[p.id][SourceKind.CODE_REPO.value]),
        )
        for p in projects
    }


def _clean(values: Iterable[str], pattern: re.Pattern[str], what: str, example: str) -> list[str]:
    """Stripped, blank-free, duplicate-free, each checked; the order given is kept (the first is the main one)."""
    result: list[str] = []
    for raw in values:
        value = raw.strip()
        if not value or value in result:
            continue
        if not pattern.match(value):
            raise InvalidInput(f"Invalid {what} '{value}': expected a form like {example}.", {what: "invalid"})
        result.append(value)
    if len(result) > MAX_SOURCES:
        raise InvalidInput(f"At most {MAX_SOURCES} of each kind of source per project.", {what: "too many"})
    return result


def _taken_by(session: Session, project: Project, kind: SourceKind, names: list[str]) -> dict[str, str]:
    """Which of ``names`` another project already uses for ``kind`` (name -> that project)."""
    if not names:
        return {}
    found: dict[str, str] = {}
    rows = session.execute(
        select(ProjectSource.name, Project.name)
        .join(Project, Project.id == ProjectSource.project_id)
        .where(ProjectSource.kind == kind.value, ProjectSource.name.in_(names), Project.id != project.id)
    )
    found.update({name: owner for name, owner in rows})
    if kind == SourceKind.LAUNCHPAD:
        rows = session.execute(
            select(Project.launchpad, Project.name).where(Project.launchpad.in_(names), Project.id != project.id)
        )
        found.update({str(name): owner for name, owner in rows})
    return found


def _replace_sources(session: Session, project: Project, kind: SourceKind, names: list[str]) -> None:
    session.execute(
        delete(ProjectSource).where(ProjectSource.project_id == project.id, ProjectSource.kind == kind.value)
    )
    session.flush()  # the unique (kind, name) rows are gone before the new ones go in
    session.add_all(
        ProjectSource(project_id=project.id, kind=kind.value, name=name, position=i) for i, name in enumerate(names)
    )


class _Unset:
    pass


UNSET = _Unset()


def edit_sources(
    session: Session,
    actor: User | None,
    project: Project,
    *,
    gerrit_repo: str | None | _Unset = UNSET,
    launchpad: Sequence[str] | None = None,
    code_repos: Sequence[str] | None = None,
    address: str = "",
) -> list[str]:
    """Replace the sources given (``None``/``UNSET``: keep); return a line per change, empty if none.

    ``gerrit_repo`` ``""`` or ``None`` clears it; an empty list clears that kind.
    """
    before = sources_of(session, [project])[project.id]
    changes: list[str] = []
    fields: list[str] = []
    if not isinstance(gerrit_repo, _Unset):
        repo = (gerrit_repo or "").strip() or None
        if repo is not None:
            _clean([repo], GERRIT_REPO_RE, "gerrit_repo", "openstack/nova-specs")
            other = session.scalar(select(Project.name).where(Project.gerrit_repo == repo, Project.id != project.id))
            if other is not None:
                raise Conflict(f"Project '{other}' already uses the Gerrit repository {repo}; "
                               "a specs repository belongs to one project.")
        if repo != before.gerrit_repo:
            project.gerrit_repo = repo
            fields.append("gerrit_repo")
            changes.append(f"Gerrit specs repository: {before.gerrit_repo or 'none'} → {repo or 'none'}")
    if launchpad is not None:
        names = _clean(launchpad, PROJECT_NAME_RE, "launchpad", "nova")
        taken = _taken_by(session, project, SourceKind.LAUNCHPAD, names)
        if taken:
            raise Conflict("Already used by another project: "
                           + ", ".join(f"Launchpad {n} (project {p})" for n, p in sorted(taken.items()))
                           + ". A Launchpad project belongs to one portal project.")
        if tuple(names) != before.launchpad:
            project.launchpad = names[0] if names else None
            _replace_sources(session, project, SourceKind.LAUNCHPAD, names[1:])
            fields.append("launchpad")
            changes.append(f"Launchpad: {', '.join(before.launchpad) or 'none'} → {', '.join(names) or 'none'}")
    if code_repos is not None:
        repos = _clean(code_repos, GERRIT_REPO_RE, "code_repo", "openstack/nova")
        taken = _taken_by(session, project, SourceKind.CODE_REPO, repos)
        if taken:
            raise Conflict("Already used by another project: "
                           + ", ".join(f"{n} (project {p})" for n, p in sorted(taken.items()))
                           + ". A code repository belongs to one project.")
        if tuple(repos) != before.code_repos:
            _replace_sources(session, project, SourceKind.CODE_REPO, repos)
            fields.append("code_repos")
            was = ", ".join(before.code_repos) or "none"
            changes.append(f"Code repositories: {was} → {', '.join(repos) or 'none'}")
    if changes:
        session.flush()
        after = sources_of(session, [project])[project.id]
        audit(session, actor, "project.sources_changed", target_type="project", target_id=project.id, address=address,
              project=project.name, gerrit_repo=after.gerrit_repo, launchpad=list(after.launchpad),
              code_repos=list(after.code_repos))
        events.record(session, events.EventKind.PROJECT_CHANGED, project_id=project.id,
                      actor_id=actor.id if actor else None, change="sources", name=project.name, fields=fields)
    return changes


# --- renaming -------------------------------------------------------------------------------------


def resolve_alias(session: Session, name: str) -> Project | None:
    """The project that was once called ``name`` (its current name differs), or ``None``."""
    return session.scalar(
        select(Project).join(ProjectAlias, ProjectAlias.project_id == Project.id).where(ProjectAlias.name == name)
    )


def aliases_of(session: Session, project: Project) -> list[str]:
    return list(session.scalars(
        select(ProjectAlias.name).where(ProjectAlias.project_id == project.id).order_by(ProjectAlias.created_at)
    ))


def rename_project(session: Session, actor: User | None, project: Project, new_name: str, *, address: str = "") -> str:
    """Rename; the old name becomes an alias, so old page and API links redirect. Return the old name."""
    new_name = new_name.strip()
    old = project.name
    if new_name == old:
        raise InvalidInput(f"The project is already called '{old}'; give a different name.", {"name": "unchanged"})
    if not PROJECT_NAME_RE.match(new_name):
        raise InvalidInput(
            f"Invalid project name '{new_name}': use lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. nova).",
            {"name": "invalid"},
        )
    if session.scalar(select(Project.id).where(Project.name == new_name)) is not None:
        raise Conflict(f"Project '{new_name}' already exists. Pick another name, or remove that project first.")
    alias = session.scalar(select(ProjectAlias).where(ProjectAlias.name == new_name))
    if alias is not None and alias.project_id != project.id:
        owner = session.get(Project, alias.project_id)
        raise Conflict(
            f"'{new_name}' is a former name of project '{owner.name if owner else '?'}', and its old links "
            "lead there. Pick another name."
        )
    if alias is not None:  # renamed back: the name is the project's own again
        session.delete(alias)
        session.flush()
    project.name = new_name
    # An older alias of that name (left when a project later took the name) was dead; this one replaces it.
    session.execute(delete(ProjectAlias).where(ProjectAlias.name == old))
    session.add(ProjectAlias(name=old, project_id=project.id))
    session.flush()
    audit(session, actor, "project.renamed", target_type="project", target_id=project.id, address=address,
          old=old, new=new_name)
    events.record(session, events.EventKind.PROJECT_CHANGED, project_id=project.id,
                  actor_id=actor.id if actor else None, change="renamed", name=new_name, old_name=old)
    return old


# --- removal --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectContents:
    """What removing a project deletes with it (told to the admin before they confirm)."""

    specs: int
    revisions: int
    gerrit_changes: int
    comments: int
    checklist_answers: int
    ptls: int
    import_runs: int

    def lines(self) -> list[str]:
        def n(count: int, one: str, many: str) -> str:
            return f"{count} {one if count == 1 else many}"

        return [
            n(self.specs, "spec", "specs"),
            n(self.revisions, "spec revision", "spec revisions"),
            n(self.gerrit_changes, "Gerrit change", "Gerrit changes"),
            n(self.comments, "comment", "comments"),
            n(self.checklist_answers, "checklist answer", "checklist answers"),
            n(self.ptls, "PTL duty", "PTL duties") + " (the users stay)",
            n(self.import_runs, "import run record", "import run records"),
        ]


def project_contents(session: Session, project: Project) -> ProjectContents:
    """Counts of everything that goes with the project (one query per kind of row, whatever the size)."""
    spec_ids = select(Spec.id).where(Spec.project_id == project.id).scalar_subquery()

    def count(model: type[SpecRevision] | type[GerritChange] | type[Comment] | type[ChecklistAnswer]) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(model.spec_id.in_(spec_ids))) or 0)

    return ProjectContents(
        specs=int(session.scalar(select(func.count()).select_from(Spec).where(Spec.project_id == project.id)) or 0),
        revisions=count(SpecRevision),
        gerrit_changes=count(GerritChange),
        comments=count(Comment),
        checklist_answers=count(ChecklistAnswer),
        ptls=int(session.scalar(
            select(func.count()).select_from(project_ptls).where(project_ptls.c.project_id == project.id)
        ) or 0),
        import_runs=int(session.scalar(
            select(func.count()).select_from(ImportRun).where(ImportRun.project_id == project.id)
        ) or 0),
    )


def remove_project(session: Session, actor: User | None, project: Project, *, address: str = "") -> ProjectContents:
    """Delete the project and everything under it; return what was deleted.

    The deletion itself is ``portal.specs.service.delete_project``, which
    records a ``spec.deleted`` event per spec so consumers see the removal.
    """
    contents = project_contents(session, project)
    name, project_id = project.name, project.id
    service.delete_project(session, actor, project)
    audit(session, actor, "project.removed", target_type="project", target_id=project_id, address=address,
          project=name, **{k: v for k, v in contents.__dict__.items()})
    session.flush()
    return contents
