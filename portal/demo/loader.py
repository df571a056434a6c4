"""``portal demo``: realistic demo content, loaded through the real import paths.

The content under ``portal/demo/content/`` was written for BOB (it copies no
upstream spec): four projects laid out like the OpenStack specs
repositories, Launchpad blueprint fields, Gerrit reviews and discussion
threads. Loading goes through the same services as real imports, so running
it twice changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import events
from portal.accounts import service as accounts
from portal.discussion import service as reviews
from portal.importers.specs_tree import ImportReport, import_tree
from portal.models import Comment, CommentSource, Project, Spec, SpecRevision, User
from portal.specs import service as specs


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str
    display_name: str
    ptl_of: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("rey", "operator", "operator-demo", "Rey (operator, 2,000 hypervisors)"),
    DemoUser("carlos", "operator", "operator-demo", "Carlos (operator, edge sites)"),
    DemoUser("rita", "reviewer", "reviewer-demo", "Rita (reviewer)"),
    DemoUser("pat", "reviewer", "ptl-demo-pass", "Pat (nova PTL)", ptl_of=("nova",)),
    DemoUser("admin", "admin", "admin-demo-pass", "Portal admin"),
)


@dataclass(frozen=True)
class DemoSpecs:
    """One demo project's specs tree, counted as a reader of the portal sees it.

    The importer counts files: the second file of a spec created a moment
    earlier in the same load (one spec in two release folders) is a
    "revision" to it. On a brand-new database that read as "1 updated",
    although nothing existed before. Here such a file counts as new.
    """

    new_specs: int
    new_files: int
    updated: int
    unchanged: int
    failed: int
    failures: list[tuple[str, str]]

    @classmethod
    def from_import(cls, imported: ImportReport, *, new_specs: int, new_spec_files: int) -> DemoSpecs:
        """``new_spec_files``: the files stored for specs this load created (first files and later ones)."""
        same_load = max(0, min(imported.updated, new_spec_files - new_specs))
        return cls(
            new_specs=new_specs,
            new_files=imported.created + same_load,
            updated=imported.updated - same_load,
            unchanged=imported.unchanged,
            failed=imported.failed,
            failures=list(imported.failures),
        )

    @property
    def changed(self) -> bool:
        return bool(self.new_files or self.updated)

    def summary(self) -> str:
        files = f" (from {self.new_files} files)" if self.new_files != self.new_specs else ""
        return (
            f"{self.new_specs} created{files}, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.failed} failed"
        )


@dataclass
class DemoReport:
    projects_created: int = 0
    users_created: int = 0
    specs: dict[str, DemoSpecs] = field(default_factory=dict)
    blueprints: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    reviews: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    comments_created: int = 0
    comments_existing: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.projects_created
            or self.users_created
            or any(r.changed for r in self.specs.values())
            or self.blueprints["created"] + self.blueprints["updated"]
            or self.reviews["created"] + self.reviews["updated"]
            or self.comments_created
        )


def _load_yaml(root: Path, name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((root / name).read_text(encoding="utf-8")) or []


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def load_demo(session: Session, hasher: PasswordHasher) -> DemoReport:
    """Load everything; the caller commits. Safe to run on a database with real data.

    Its events are backfill, like a first import's: alerts summarise them.
    """
    with as_file(files("portal.demo").joinpath("content")) as root, events.backfilling(session):
        return _load(session, Path(root), hasher)


def _load(session: Session, root: Path, hasher: PasswordHasher) -> DemoReport:
    report = DemoReport()
    projects: dict[str, Project] = {}
    for raw in _load_yaml(root, "projects.yaml"):
        project = session.scalar(select(Project).where(Project.name == raw["name"]))
        if project is None:
            project = specs.add_project(
                session,
                None,
                raw["name"],
                title=raw.get("title", ""),
                description=raw.get("description", ""),
                gerrit_repo=raw.get("gerrit_repo"),
                launchpad=raw.get("launchpad"),
            )
            report.projects_created += 1
        projects[project.name] = project

    users = _ensure_users(session, projects, hasher, report)

    # Ids only grow (SQLite's max(rowid) + 1, PostgreSQL's sequence): a spec above this one is new.
    newest_before = session.scalar(select(func.max(Spec.id))) or 0
    for name, project in projects.items():
        imported = import_tree(session, None, project, root / name)
        new_specs, new_files = session.execute(
            select(func.count(func.distinct(Spec.id)), func.count(SpecRevision.id))
            .select_from(Spec)
            .outerjoin(SpecRevision, SpecRevision.spec_id == Spec.id)
            .where(Spec.project_id == project.id, Spec.id > newest_before)
        ).one()
        report.specs[name] = DemoSpecs.from_import(imported, new_specs=new_specs, new_spec_files=new_files)
    new_rows = session.execute(select(Spec.project_id, Spec.name).where(Spec.id > newest_before))
    fresh = {(row.project_id, row.name) for row in new_rows}

    for raw in _load_yaml(root, "launchpad.yaml"):
        data = specs.BlueprintData(
            name=raw["name"],
            title=raw.get("title"),
            definition_status=raw.get("definition_status"),
            implementation_status=raw.get("implementation_status"),
            priority=raw.get("priority"),
            approver=raw.get("approver"),
            assignee=raw.get("assignee"),
            milestone=str(raw["milestone"]) if raw.get("milestone") is not None else None,
            whiteboard=raw.get("whiteboard") or None,
            created_at=_when(raw.get("date_created")),
        )
        project = projects[raw["project"]]
        outcome = specs.apply_blueprint(session, None, project, data)
        if outcome == "updated" and (project.id, data.name) in fresh:
            outcome = "created"  # its spec file arrived a moment ago: the blueprint is new to the portal too
        report.blueprints[outcome] += 1

    for raw in _load_yaml(root, "gerrit_changes.yaml"):
        project = projects[raw["project"]]
        spec = _spec(session, project, raw["name"])
        change = specs.GerritChangeData(
            repo=project.gerrit_repo or f"openstack/{project.name}-specs",
            change_number=int(raw["change_number"]),
            change_id=raw.get("change_id", ""),
            status=raw["status"],
            subject=raw.get("subject", ""),
            owner_name=raw.get("owner", ""),
            current_patch_set=int(raw.get("current_patch_set", 1)),
            url=f"https://review.opendev.org/c/{project.gerrit_repo}/+/{raw['change_number']}",
            labels=tuple(raw.get("labels") or ()),
            created_at=_when(raw.get("created")),
            updated_at=_when(raw.get("updated")),
            submitted_at=_when(raw.get("submitted")),
        )
        report.reviews[specs.upsert_gerrit_change(session, None, spec, change)] += 1

    for raw in _load_yaml(root, "discussions.yaml"):
        _comment(session, projects[raw["project"]], raw, users, report)
    session.flush()
    return report


def _ensure_users(
    session: Session, projects: dict[str, Project], hasher: PasswordHasher, report: DemoReport
) -> dict[str, User]:
    users: dict[str, User] = {}
    for demo in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == demo.username))
        if user is None:
            user = accounts.create_user(
                session,
                None,
                demo.username,
                email=f"{demo.username}@example.org",
                role=demo.role,
                password=demo.password,
                display_name=demo.display_name,
                ptl_of=[projects[p] for p in demo.ptl_of if p in projects],
                hasher=hasher,
            )
            report.users_created += 1
        users[demo.username] = user
    return users


def _spec(session: Session, project: Project, name: str) -> Spec:
    spec = session.scalar(select(Spec).where(Spec.project_id == project.id, Spec.name == name))
    if spec is None:
        raise ValueError(f"demo content refers to unknown spec {project.name}/{name}")
    return spec


def _comment(
    session: Session, project: Project, raw: dict[str, Any], users: dict[str, User], report: DemoReport
) -> None:
    spec = _spec(session, project, raw["spec"])
    created_at = _when(raw["created_at"])
    assert created_at is not None
    source = CommentSource(raw["source"])
    # Demo comments need stable ids to be idempotent; namespace them per spec.
    fingerprint = hashlib.sha1(  # an id, not a secret
        f"{project.name}/{spec.name}/{raw['created_at']}/{raw.get('author') or raw.get('author_name')}".encode(),
        usedforsecurity=False,
    ).hexdigest()[:12]
    external_id = f"demo:{project.name}/{spec.name}:{raw.get('external_id') or fingerprint}"
    if source == CommentSource.PORTAL:
        if session.scalar(select(Comment.id).where(Comment.source == source.value, Comment.external_id == external_id)):
            report.comments_existing += 1
            return
        reviews.add_comment(
            session, users[raw["author"]], spec, raw["body"], created_at=created_at, external_id=external_id
        )
        report.comments_created += 1
        return
    _, created = reviews.import_comment(
        session,
        spec,
        source=source,
        external_id=external_id,
        author_name=raw.get("author_name") or "unknown",
        body=raw["body"],
        created_at=created_at,
        url=raw.get("url"),
        patch_set=raw.get("patch_set"),
        file_line=raw.get("file_line"),
    )
    if created:
        report.comments_created += 1
    else:
        report.comments_existing += 1
