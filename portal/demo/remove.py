"""``portal demo remove``: take the demo content out of a portal that now holds real data.

What the demo created is recognised from the demo content itself (the files
shipped in ``portal/demo/content/``), so this works on a portal loaded with
any earlier version and needs no marker in the database:

* accounts: the :data:`DEMO_USERS` names with their ``@example.org`` address,
  still on their public demo password (an account whose password was changed
  is someone's now: it is kept, and said so);
* comments: the ``demo:`` external ids the loader gives them, and whatever the
  removed demo accounts wrote or answered (their passwords are public, so it
  is anyone's);
* spec revisions whose path and content hash are a demo file's, Gerrit changes
  whose repository, number and Change-Id are the demo's, Launchpad fields
  still equal to the demo's;
* projects: the demo's project names, while they still carry the demo's
  title, description and sources and nothing else.

A spec is removed when nothing but demo parts is left on it. A demo spec that
later received real data (a real import of the same file name, a real Gerrit
change or Launchpad sync, a comment or answer by a real user) is kept with
that data, only its demo parts go, and its document and checklist are
recomputed from what remains. A demo project is kept (and said why) while it
holds any spec, a real import run, an edited source or title, or a PTL who is
not a demo account: only its demo specs go.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal import events
from portal.audit import audit
from portal.checklist.service import refresh_prefill
from portal.demo.loader import DEMO_USERS, _load_yaml, _when
from portal.errors import Conflict
from portal.importers.specs_tree import discover, read_text
from portal.models import (
    ChecklistAnswer,
    ChecklistGap,
    ChecklistSummary,
    Comment,
    CommentSource,
    GerritChange,
    ImportRun,
    Project,
    ProjectAlias,
    ProjectSource,
    Spec,
    SpecRevision,
    SpecState,
    User,
    project_ptls,
)
from portal.specs import service as specs
from portal.specs.document import parse_spec
from portal.specs.service import content_hash, current_revision

DEMO_COMMENT_PREFIX = "demo:"
_LP_FIELDS = {
    "lp_title": "title",
    "lp_definition_status": "definition_status",
    "lp_implementation_status": "implementation_status",
    "lp_priority": "priority",
    "lp_approver": "approver",
    "lp_assignee": "assignee",
    "lp_milestone": "milestone",
    "lp_whiteboard": "whiteboard",
    "lp_created_at": "date_created",
}


@dataclass(frozen=True)
class _Content:
    """What the demo loads, read from the shipped files."""

    projects: dict[str, dict[str, Any]]
    files: dict[str, set[tuple[str, str]]]  # project -> {(path, content hash)}
    changes: set[tuple[str, int, str]]  # (repo, change number, Change-Id)
    blueprints: dict[tuple[str, str], dict[str, Any]]  # (project, spec) -> {column: value}


def _content() -> _Content:
    with as_file(files("portal.demo").joinpath("content")) as root_path:
        root = Path(root_path)
        projects = {raw["name"]: raw for raw in _load_yaml(root, "projects.yaml")}
        found: dict[str, set[tuple[str, str]]] = {}
        for name in projects:
            items, _ = discover(root / name)
            found[name] = {(f.rel_path, content_hash(read_text(f))) for f in items}
        changes = set()
        for raw in _load_yaml(root, "gerrit_changes.yaml"):
            repo = projects[raw["project"]].get("gerrit_repo") or f"openstack/{raw['project']}-specs"
            changes.add((repo, int(raw["change_number"]), raw.get("change_id", "")))
        blueprints = {}
        for raw in _load_yaml(root, "launchpad.yaml"):
            values = {column: raw.get(key) for column, key in _LP_FIELDS.items()}
            values["lp_milestone"] = str(raw["milestone"]) if raw.get("milestone") is not None else None
            values["lp_whiteboard"] = raw.get("whiteboard") or None
            values["lp_created_at"] = _when(raw.get("date_created"))
            blueprints[(raw["project"], raw["name"])] = values
    return _Content(projects, found, changes, blueprints)


@dataclass
class DemoPlan:
    """What ``remove_demo`` deletes (and keeps, with why), worked out before anything is touched."""

    users: list[str] = field(default_factory=list)
    users_kept: list[tuple[str, str]] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    projects_kept: list[tuple[str, str]] = field(default_factory=list)
    specs: list[str] = field(default_factory=list)  # "project/spec"
    specs_kept: list[tuple[str, str]] = field(default_factory=list)  # ("project/spec", why)
    revisions: int = 0
    gerrit_changes: int = 0
    comments: int = 0
    checklist_answers: int = 0
    # What to delete, by id.
    _user_ids: set[int] = field(default_factory=set)
    _project_ids: set[int] = field(default_factory=set)
    _spec_ids: set[int] = field(default_factory=set)  # removed whole
    _trimmed: set[int] = field(default_factory=set)  # kept, their demo parts removed
    _revision_ids: set[int] = field(default_factory=set)
    _change_ids: set[int] = field(default_factory=set)
    _comment_ids: set[int] = field(default_factory=set)
    _answer_ids: set[int] = field(default_factory=set)
    _lp_cleared: set[int] = field(default_factory=set)
    _document_changed: set[int] = field(default_factory=set)  # kept specs that lose a demo revision

    @property
    def empty(self) -> bool:
        return not (self.users or self.projects or self.specs or self.specs_kept or self.comments
                    or self.checklist_answers or self.revisions or self.gerrit_changes)

    def lines(self) -> list[str]:
        """What will go, then what stays and why, for the confirmation and the report."""
        def n(count: int, one: str, many: str) -> str:
            return f"{count} {one if count == 1 else many}"

        out = [
            f"{n(len(self.users), 'demo account', 'demo accounts')}"
            + (f": {', '.join(self.users)}" if self.users else ""),
            f"{n(len(self.projects), 'demo project', 'demo projects')}"
            + (f": {', '.join(self.projects)}" if self.projects else ""),
            n(len(self.specs), "demo spec", "demo specs"),
            n(self.revisions, "spec revision", "spec revisions"),
            n(self.gerrit_changes, "Gerrit change", "Gerrit changes"),
            n(self.comments, "comment", "comments"),
            n(self.checklist_answers, "checklist answer", "checklist answers"),
        ]
        out += [f"kept: account {name} ({why})" for name, why in self.users_kept]
        out += [f"kept: project {name} ({why})" for name, why in self.projects_kept]
        out += [f"kept: spec {name}, its demo parts removed ({why})" for name, why in self.specs_kept]
        return out


def _password_is_demo(user: User, password: str) -> bool:
    if not user.password_hash:
        return True  # no password at all: nobody can be using it
    try:
        return PasswordHasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_by_spec(session: Session, column: Any, spec_ids: Iterable[int], *where: Any) -> dict[int, int]:
    ids = list(spec_ids)
    if not ids:
        return {}
    rows = session.execute(select(column, func.count()).where(column.in_(ids), *where).group_by(column))
    return {spec_id: count for spec_id, count in rows}


def plan_demo_removal(session: Session) -> DemoPlan:
    """Find the demo's rows; read only, so the confirmation can show exactly what will go."""
    content = _content()
    plan = DemoPlan()
    demo_names = {u.username: u for u in DEMO_USERS}
    for user in session.scalars(select(User).where(User.username.in_(demo_names)).order_by(User.username)):
        demo = demo_names[user.username]
        if (user.email or "").lower() != f"{demo.username}@example.org":
            continue  # a real account that happens to have a demo name
        if not _password_is_demo(user, demo.password):
            plan.users_kept.append((user.username, "its password was changed, so someone uses it; "
                                                   f"disable it with `portal users disable {user.username}` if not"))
            continue
        plan.users.append(user.username)
        plan._user_ids.add(user.id)

    # Comments and answers of the demo: the loader's ids, and whatever the removed demo accounts did.
    demo_comments = select(Comment.id, Comment.spec_id).where(
        Comment.external_id.like(f"{DEMO_COMMENT_PREFIX}%")
        | ((Comment.source == CommentSource.PORTAL.value) & Comment.author_id.in_(plan._user_ids or {-1}))
    )
    comment_specs: dict[int, set[int]] = defaultdict(set)
    for comment_id, spec_id in session.execute(demo_comments):
        plan._comment_ids.add(comment_id)
        comment_specs[spec_id].add(comment_id)
    answer_specs: dict[int, set[int]] = defaultdict(set)
    if plan._user_ids:
        rows = session.execute(select(ChecklistAnswer.id, ChecklistAnswer.spec_id).where(
            ChecklistAnswer.source == "reviewer", ChecklistAnswer.author_id.in_(plan._user_ids)))
        for answer_id, spec_id in rows:
            plan._answer_ids.add(answer_id)
            answer_specs[spec_id].add(answer_id)

    projects = list(session.scalars(select(Project).where(Project.name.in_(content.projects)).order_by(Project.name)))
    for project in projects:
        _plan_project(session, project, content, plan, comment_specs, answer_specs)

    # Real specs (in any project) lose only what demo accounts wrote on them, then are recomputed too.
    plan._trimmed |= (set(comment_specs) | set(answer_specs)) - plan._spec_ids
    plan.comments = len(plan._comment_ids)
    plan.checklist_answers = len(plan._answer_ids) + _answers_under(session, plan)
    plan.revisions = len(plan._revision_ids)
    plan.gerrit_changes = len(plan._change_ids)
    return plan


def _answers_under(session: Session, plan: DemoPlan) -> int:
    """Answers deleted with their spec, or resting on a demo revision (the prefill of a demo text)."""
    count = 0
    if plan._spec_ids:
        count += int(session.scalar(select(func.count()).select_from(ChecklistAnswer).where(
            ChecklistAnswer.spec_id.in_(plan._spec_ids), ChecklistAnswer.id.not_in(plan._answer_ids or {-1}))) or 0)
    if plan._revision_ids and plan._trimmed:
        count += int(session.scalar(select(func.count()).select_from(ChecklistAnswer).where(
            ChecklistAnswer.spec_id.in_(plan._trimmed), ChecklistAnswer.source == "prefill",
            ChecklistAnswer.revision_id.in_(plan._revision_ids))) or 0)
    return count


def _plan_project(
    session: Session,
    project: Project,
    content: _Content,
    plan: DemoPlan,
    comment_specs: dict[int, set[int]],
    answer_specs: dict[int, set[int]],
) -> None:
    demo_files = content.files.get(project.name, set())
    specs_here = list(session.scalars(select(Spec).where(Spec.project_id == project.id).order_by(Spec.name)))
    ids = [s.id for s in specs_here]
    revisions: dict[int, list[tuple[int, bool]]] = defaultdict(list)  # spec -> [(revision id, is demo)]
    for rev_id, spec_id, source, path, digest in session.execute(
        select(SpecRevision.id, SpecRevision.spec_id, SpecRevision.source, SpecRevision.path,
               SpecRevision.content_hash).where(SpecRevision.spec_id.in_(ids or [-1]))
    ):
        revisions[spec_id].append((rev_id, source == "file" and (path, digest) in demo_files))
    changes: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for change_id, spec_id, repo, number, gerrit_id in session.execute(
        select(GerritChange.id, GerritChange.spec_id, GerritChange.repo, GerritChange.change_number,
               GerritChange.change_id).where(GerritChange.spec_id.in_(ids or [-1]))
    ):
        changes[spec_id].append((change_id, (repo, number, gerrit_id) in content.changes))
    comments = _count_by_spec(session, Comment.spec_id, ids)
    answers = _count_by_spec(session, ChecklistAnswer.spec_id, ids, ChecklistAnswer.source == "reviewer")

    for spec in specs_here:
        demo_lp = content.blueprints.get((project.name, spec.name))
        lp_set = any(getattr(spec, column) is not None for column in _LP_FIELDS)
        lp_is_demo = demo_lp is not None and all(getattr(spec, c) == v for c, v in demo_lp.items())
        demo_revs = [r for r, is_demo in revisions[spec.id] if is_demo]
        demo_changes = [c for c, is_demo in changes[spec.id] if is_demo]
        if not (demo_revs or demo_changes or lp_is_demo):
            continue  # a real spec in a demo project: untouched but for what demo accounts wrote
        real: list[str] = []
        if len(demo_revs) < len(revisions[spec.id]):
            real.append("a revision imported from elsewhere")
        if len(demo_changes) < len(changes[spec.id]):
            real.append("a real Gerrit change")
        if lp_set and not lp_is_demo:
            real.append("Launchpad data from a real sync")
        if comments.get(spec.id, 0) > len(comment_specs.get(spec.id, ())):
            real.append("comments by real users or imports")
        if answers.get(spec.id, 0) > len(answer_specs.get(spec.id, ())):
            real.append("checklist answers by real reviewers")
        label = f"{project.name}/{spec.name}"
        if real:
            plan.specs_kept.append((label, "it has " + ", ".join(real)))
            plan._trimmed.add(spec.id)
            plan._revision_ids.update(demo_revs)
            plan._change_ids.update(demo_changes)
            if demo_revs:
                plan._document_changed.add(spec.id)
            if lp_is_demo:
                plan._lp_cleared.add(spec.id)
        else:
            plan.specs.append(label)
            plan._spec_ids.add(spec.id)
            plan._revision_ids.update(r for r, _ in revisions[spec.id])
            plan._change_ids.update(c for c, _ in changes[spec.id])
            # Their comments go with the spec; count them all, not only the demo's.
            plan._comment_ids.update(session.scalars(select(Comment.id).where(Comment.spec_id == spec.id)))

    specs_left = len(specs_here) - sum(1 for s in specs_here if s.id in plan._spec_ids)
    why = _why_keep_project(session, project, content.projects[project.name], plan, specs_left)
    if why:
        plan.projects_kept.append((project.name, why))
    else:
        plan.projects.append(project.name)
        plan._project_ids.add(project.id)


def _why_keep_project(
    session: Session, project: Project, demo: dict[str, Any], plan: DemoPlan, specs_left: int
) -> str | None:
    if specs_left:
        return f"it still holds {specs_left} spec{'s' if specs_left != 1 else ''} with real data"
    if (project.title, project.description, project.gerrit_repo, project.launchpad) != (
        demo.get("title", ""), demo.get("description", ""), demo.get("gerrit_repo"), demo.get("launchpad")
    ):
        return "its title, description or sources were edited"
    if session.scalar(select(ProjectSource.id).where(ProjectSource.project_id == project.id).limit(1)):
        return "it was given more sources"
    if session.scalar(select(ProjectAlias.id).where(ProjectAlias.project_id == project.id).limit(1)):
        return "it was renamed"
    ptls = set(session.scalars(select(project_ptls.c.user_id).where(project_ptls.c.project_id == project.id)))
    if ptls - plan._user_ids:
        return "it has a PTL who is not a demo account"
    runs = session.scalars(select(ImportRun.argument).where(ImportRun.project_id == project.id))
    if any(not arg.replace("\\", "/").endswith(f"/demo/content/{project.name}") for arg in runs):
        return "it has import runs that are not the demo's"
    return None


def remove_demo(session: Session, actor: User | None, *, address: str = "") -> DemoPlan:
    """Delete what :func:`plan_demo_removal` finds; the caller commits. Return the plan that was carried out."""
    plan = plan_demo_removal(session)
    if actor is not None and actor.id in plan._user_ids:
        raise Conflict(
            f"You are logged in as the demo account '{actor.username}', which goes with the demo. "
            "Log in with your own admin account (create one with `portal users create NAME --role admin`) "
            "and remove the demo from there."
        )
    if plan.empty:
        return plan
    actor_id = actor.id if actor else None
    for spec in session.scalars(select(Spec).where(Spec.id.in_(plan._spec_ids))).all():
        specs.delete_spec(session, actor, spec)
    session.flush()
    trimmed = list(session.scalars(select(Spec).where(Spec.id.in_(plan._trimmed))))
    gone_comments = {c: s for c, s in session.execute(
        select(Comment.id, Comment.spec_id).where(Comment.id.in_(plan._comment_ids)))}
    if plan._comment_ids:
        session.execute(delete(Comment).where(Comment.id.in_(plan._comment_ids)))
    if plan._answer_ids:
        session.execute(delete(ChecklistAnswer).where(ChecklistAnswer.id.in_(plan._answer_ids)))
    if plan._revision_ids:
        session.execute(delete(ChecklistAnswer).where(
            ChecklistAnswer.source == "prefill", ChecklistAnswer.revision_id.in_(plan._revision_ids)))
        session.execute(delete(SpecRevision).where(SpecRevision.id.in_(plan._revision_ids)))
    if plan._change_ids:
        session.execute(delete(GerritChange).where(GerritChange.id.in_(plan._change_ids)))
    session.flush()
    for spec in trimmed:
        _recompute(session, actor_id, spec, plan, [c for c, s in gone_comments.items() if s == spec.id])
    for project in session.scalars(select(Project).where(Project.id.in_(plan._project_ids))).all():
        specs.delete_project(session, actor, project)
    if plan._user_ids:
        session.execute(delete(User).where(User.id.in_(plan._user_ids)))
    audit(session, actor, "demo.removed", address=address, users=plan.users, projects=plan.projects,
          specs=len(plan.specs), specs_kept=[name for name, _ in plan.specs_kept], revisions=plan.revisions,
          gerrit_changes=plan.gerrit_changes, comments=plan.comments, checklist_answers=plan.checklist_answers)
    session.flush()
    session.expire_all()  # rows went by bulk deletes: nothing stale stays in the session
    return plan


def _recompute(session: Session, actor_id: int | None, spec: Spec, plan: DemoPlan, comment_ids: list[int]) -> None:
    """A kept spec without its demo parts: document fields, checklist and events from what remains."""
    if spec.id in plan._lp_cleared:
        for column in _LP_FIELDS:
            setattr(spec, column, None)
    for comment_id in comment_ids:
        events.record(session, events.EventKind.COMMENT_DELETED, project_id=spec.project_id, spec_id=spec.id,
                      actor_id=actor_id, comment_id=comment_id)
    revisions = list(session.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id)))
    before = (spec.title, spec.release, spec.state)
    current = current_revision(revisions)
    if current is not None:
        spec.title = current.title or spec.name
        spec.release, spec.release_rank, spec.state = current.release, current.release_rank, current.state
        if spec.id in plan._document_changed:
            spec.summary = parse_spec(current.text, fallback_title=spec.name).summary
        refresh_prefill(session, spec, revisions)
    else:  # only real Gerrit, Launchpad or discussion data is left: no document to show or check
        spec.title = spec.lp_title or spec.name
        spec.summary, spec.release, spec.release_rank = "", None, 0
        spec.state = SpecState.PROPOSED
        session.execute(delete(ChecklistAnswer).where(ChecklistAnswer.spec_id == spec.id,
                                                      ChecklistAnswer.source == "prefill"))
        session.execute(delete(ChecklistGap).where(ChecklistGap.spec_id == spec.id))
        session.execute(delete(ChecklistSummary).where(ChecklistSummary.spec_id == spec.id))
    if current is not None and (spec.id in plan._document_changed or (spec.title, spec.release, spec.state) != before):
        events.record(session, events.EventKind.SPEC_REVISED, project_id=spec.project_id, spec_id=spec.id,
                      actor_id=actor_id, name=spec.name, revision_id=current.id, source=current.source,
                      content_hash=current.content_hash, path=current.path, release=current.release,
                      state=current.state)
    elif spec.state != before[2]:
        events.record(session, events.EventKind.SPEC_STATE_CHANGED, project_id=spec.project_id, spec_id=spec.id,
                      actor_id=actor_id, name=spec.name, from_state=before[2], to_state=spec.state)
    session.flush()
