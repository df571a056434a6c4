"""The reviewers' queue: specs whose checklist still needs a reviewer, newest revision first.

A spec is in the queue when no reviewer has confirmed any item of its
checklist yet (``reviewed_count == 0``) or when answers given earlier went
stale because the spec changed where they rest (``stale_count > 0``). Both
counts are kept in ``checklist_summaries`` by
:func:`portal.checklist.service.summarize`, so one page of the queue is two
queries (count and rows) whatever the page size or the number of projects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from portal.checklist import template as templates
from portal.errors import InvalidInput
from portal.models import ChecklistAnswer, ChecklistSummary, Project, Spec, SpecRevision
from portal.specs.listing import Pager

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer chose: projects (none: all), a release, an item key; and the page."""

    projects: tuple[str, ...] = ()
    release: str | None = None
    item: str | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class QueueRow:
    spec: Spec
    project: str
    score: int
    gap_count: int
    reviewed_count: int
    stale_count: int
    revised_at: datetime

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the spec is in the queue: ``unreviewed`` and/or ``stale``."""
        out = []
        if self.reviewed_count == 0:
            out.append("unreviewed")
        if self.stale_count > 0:
            out.append("stale")
        return tuple(out)


@dataclass(frozen=True)
class QueuePage(Pager):
    rows: list[QueueRow]
    total: int
    page: int
    per_page: int


def parse_filter(args: Any, *, default_per_page: int = 50) -> QueueFilter:
    """A :class:`QueueFilter` from query arguments, or :class:`InvalidInput` saying what is allowed."""
    projects = tuple(sorted({p.strip() for value in args.getlist("project") for p in value.split(",") if p.strip()}))
    item = (args.get("item") or "").strip() or None
    if item is not None:
        templates.latest().item(item)  # unknown key: InvalidInput naming the allowed ones
    try:
        page = int(args.get("page", 1))
        per_page = int(args.get("per_page", default_per_page))
    except ValueError as exc:
        raise InvalidInput("'page' and 'per_page' must be whole numbers.", {"page": "not a number"}) from exc
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(
            f"'page' must be 1 or more and 'per_page' between 1 and {MAX_PER_PAGE}.", {"per_page": str(per_page)}
        )
    release = (args.get("release") or "").strip() or None
    return QueueFilter(projects=projects, release=release, item=item, page=page, per_page=per_page)


def _queue(flt: QueueFilter) -> Select[Any]:
    newest = (
        select(SpecRevision.spec_id, func.max(SpecRevision.created_at).label("revised_at"))
        .group_by(SpecRevision.spec_id)
        .subquery()
    )
    stmt = (
        select(
            Spec,
            Project.name,
            ChecklistSummary.score,
            ChecklistSummary.gap_count,
            ChecklistSummary.reviewed_count,
            ChecklistSummary.stale_count,
            newest.c.revised_at,
        )
        .join(Project, Project.id == Spec.project_id)
        .join(ChecklistSummary, ChecklistSummary.spec_id == Spec.id)
        .join(newest, newest.c.spec_id == Spec.id)
        .where(or_(ChecklistSummary.reviewed_count == 0, ChecklistSummary.stale_count > 0))
    )
    if flt.projects:
        stmt = stmt.where(Project.name.in_(flt.projects))
    if flt.release:
        stmt = stmt.where(Spec.release == flt.release)
    if flt.item:
        # The item still needs a reviewer here: nobody has answered it on this spec.
        answered = exists().where(
            ChecklistAnswer.spec_id == Spec.id,
            ChecklistAnswer.item_key == flt.item,
            ChecklistAnswer.source == "reviewer",
        )
        stmt = stmt.where(~answered)
    return stmt


def review_queue(session: Session, flt: QueueFilter) -> QueuePage:
    """One page of the queue: two queries, newest revision first."""
    stmt = _queue(flt)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(
        stmt.order_by(stmt.selected_columns.revised_at.desc(), Spec.id.desc())
        .limit(flt.per_page)
        .offset((flt.page - 1) * flt.per_page)
    ).all()
    return QueuePage(
        rows=[QueueRow(*row) for row in rows],
        total=total,
        page=flt.page,
        per_page=flt.per_page,
    )


def releases_in_queue(session: Session, projects: Sequence[str]) -> list[str]:
    """The releases the filter offers (of the chosen projects), one query."""
    stmt = (
        select(Spec.release, func.max(Spec.release_rank).label("rank"))
        .join(Project, Project.id == Spec.project_id)
        .where(Spec.release.is_not(None))
        .group_by(Spec.release)
    )
    if projects:
        stmt = stmt.where(Project.name.in_(projects))
    # Newest release first, in the real release order (release_rank), not as strings.
    ordered = session.execute(stmt.order_by(func.max(Spec.release_rank).desc(), Spec.release))
    return [release for release, _ in ordered if release]
