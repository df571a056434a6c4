"""Blueprint links BOB will not guess about: shown on the admin page, never resolved silently.

The specs-tree and Gerrit importers name a spec after the blueprint its
text links to (``blueprints.launchpad.net/<lp>/+spec/<name>``), and the
Launchpad importer joins a blueprint to the spec of the same name. Two
situations are worth an admin's eye:

* two spec files claim one blueprint: files with different names whose
  links give the same spec (their revisions share one Spec);
* a link to a Launchpad project that is not one of this project's
  Launchpad names (``Project.launchpad`` and its ``launchpad`` sources):
  a copy-paste from another project, or a project whose sources lack a name.

Read from the stored revisions in three queries, whatever the number of specs.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Project, Spec, SpecRevision
from portal.specs.projects import sources_of

_LINK = re.compile(r"blueprints\.launchpad\.net/(?P<project>[^/\s]+)/\+spec/(?P<name>[^/\s?#]+)")

ConflictKind = Literal["two_files", "foreign_project"]


@dataclass(frozen=True)
class LinkConflict:
    project: str
    spec: str
    kind: ConflictKind
    detail: str


def blueprint_conflicts(session: Session, project_id: int | None = None) -> list[LinkConflict]:
    """Every conflict, by project then spec name (``project_id`` limits it to one project)."""
    stmt = (
        select(Project.id, Project.name, Spec.name, SpecRevision.path, SpecRevision.blueprint_url)
        .join(Spec, Spec.project_id == Project.id)
        .join(SpecRevision, SpecRevision.spec_id == Spec.id)
        .order_by(Project.name, Spec.name, SpecRevision.id)
    )
    if project_id is not None:
        stmt = stmt.where(Project.id == project_id)
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    links: dict[tuple[str, str], set[str]] = defaultdict(set)
    project_ids: dict[str, int] = {}
    for pid, project, spec, path, url in session.execute(stmt):
        project_ids[project] = pid
        files[(project, spec)].add(posixpath.basename(path))
        match = _LINK.search(url or "")
        if match:
            links[(project, spec)].add(match.group("project"))
    projects = list(session.scalars(select(Project).where(Project.id.in_(project_ids.values())))) if project_ids else []
    sources = sources_of(session, projects)
    names = {p.name: set(sources[p.id].launchpad) for p in projects}
    found: list[LinkConflict] = []
    for (project, spec), basenames in files.items():
        if len(basenames) > 1 and links.get((project, spec)):
            found.append(LinkConflict(project, spec, "two_files",
                                      f"{len(basenames)} spec files claim the blueprint {spec}: "
                                      f"{', '.join(sorted(basenames))}"))
        for other in sorted(links.get((project, spec), set()) - names.get(project, set())):
            own = ", ".join(sorted(names.get(project, set()))) or "none"
            found.append(LinkConflict(project, spec, "foreign_project",
                                      f"links a blueprint of the Launchpad project {other}, which is not one of "
                                      f"{project}'s Launchpad names ({own})"))
    return sorted(found, key=lambda c: (c.project, c.spec, c.kind))


@dataclass(frozen=True)
class Dependency:
    """A blueprint this spec's blueprint depends on, and where BOB shows it (``None``: BOB does not have it)."""

    name: str
    lp_project: str | None
    title: str
    web_link: str | None
    project: str | None = None  # the BOB project and spec name that hold it
    spec: str | None = None


def dependencies_of(session: Session, spec: Spec) -> list[Dependency]:
    """``spec.lp_dependencies`` with the BOB spec of each where there is one (one query; none without any)."""
    raw = [d for d in spec.lp_dependencies or [] if isinstance(d, dict) and d.get("name")]
    if not raw:
        return []
    names = {str(d["name"]) for d in raw}
    found: dict[tuple[str | None, str], tuple[str, str]] = {}
    rows = session.execute(
        select(Spec.name, Spec.project_id, Spec.lp_project, Project.name, Project.launchpad)
        .join(Project, Project.id == Spec.project_id).where(Spec.name.in_(names))
    )
    for name, project_id, lp_project, project_name, launchpad in rows:
        for key in {lp_project, launchpad}:
            found.setdefault((key, name), (project_name, name))
        if project_id == spec.project_id:
            found[(None, name)] = (project_name, name)
    deps = []
    for d in raw:
        name, lp = str(d["name"]), d.get("project")
        where = found.get((lp, name)) or (found.get((None, name)) if lp in (None, spec.lp_project) else None)
        deps.append(Dependency(name, lp, str(d.get("title") or ""), d.get("web_link"),
                               *(where if where else (None, None))))
    return deps
