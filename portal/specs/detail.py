"""One spec as its page and ``GET /projects/<p>/specs/<name>`` show it (the timeline is in ``timeline.py``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.errors import NotFound
from portal.models import Comment, Project, Spec, SpecRevision


def get_spec(session: Session, project_name: str, spec_name: str) -> Spec:
    """A spec with its project, revisions and Gerrit changes loaded (four queries)."""
    spec = session.scalar(
        select(Spec)
        .join(Project, Project.id == Spec.project_id)
        .where(Project.name == project_name, Spec.name == spec_name)
        .options(selectinload(Spec.project), selectinload(Spec.revisions), selectinload(Spec.gerrit_changes))
    )
    if spec is None:
        raise NotFound(
            f"No spec '{spec_name}' in project '{project_name}'. It may have been renamed: "
            f"look for it on the {project_name} project page."
        )
    return spec


def comment_count(session: Session, spec_id: int) -> int:
    """The spec's live (not deleted) comments."""
    return session.scalar(
        select(func.count()).where(Comment.spec_id == spec_id, Comment.deleted_at.is_(None))
    ) or 0


def release_history(spec: Spec) -> list[SpecRevision]:
    """The latest revision per file path, newest release first."""
    latest: dict[str, SpecRevision] = {}
    for rev in spec.revisions:
        if rev.path not in latest or rev.id > latest[rev.path].id:
            latest[rev.path] = rev
    return sorted(latest.values(), key=lambda r: (r.release_rank, r.id), reverse=True)
