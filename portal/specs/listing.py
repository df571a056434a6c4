"""Spec lists, read as "page of ids first, then one loader per column".

The project page and ``GET /projects/<p>/specs`` show the same list. It is
read in two steps, so that its cost does not depend on the size of the
project nor on the number of columns:

1. :func:`select_page` applies the :class:`SpecFilter` (filter, sort,
   offset, limit) and returns only the page's spec ids, in order, and the
   total; the indexes on ``specs`` answer it without reading rows.
2. Each column's feature has a *loader*: a function ``(session, ids) ->
   {spec id: value}`` that reads its column for those ids only, in one query
   whatever the page size. This module has the loaders of what a spec owns
   (its own fields, its sources, its comment count); other features keep
   theirs beside their own code (the checklist's is
   :func:`portal.checklist.views.load_briefs`).

The delivery layer (``portal.http.spec_list``) parses the query string into
a :class:`SpecFilter`, runs the loaders and assembles the rows: a new column
is a new loader plus one line there, never a bigger query here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    UnaryExpression,
    bindparam,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from portal.errors import InvalidInput
from portal.models import ChecklistGap, ChecklistSummary, Comment, GerritChange, Spec, SpecRevision, SpecState

MAX_PAGE_SIZE = 200
# Far beyond any real list (200 per page: 200 million specs), and small enough that the
# offset always fits the databases' 64-bit integers.
MAX_PAGE = 1_000_000
MAX_QUERY_CHARS = 200
MAX_RELEASE_CHARS = 32  # the column's size: a longer release cannot match anything
NO_RELEASE = "none"  # the release filter value for specs without a release


class SpecSort(StrEnum):
    ACTIVITY = "activity"
    NAME = "name"
    TITLE = "title"
    RELEASE = "release"
    STATE = "state"
    COMMENTS = "comments"
    SCORE = "score"

    @property
    def ascending_by_default(self) -> bool:
        """Sorts that read naturally A→Z (score: worst first); dates, releases and counts start newest/most."""
        return self in (SpecSort.NAME, SpecSort.TITLE, SpecSort.STATE, SpecSort.SCORE)


class SpecSource(StrEnum):
    """What a spec may come from: the filter "has source"."""

    FILE = "file"
    GERRIT = "gerrit"
    LAUNCHPAD = "launchpad"


@dataclass(frozen=True)
class SpecFilter:
    """What a spec list may filter and sort on, as typed values (the delivery layer parses query strings)."""

    state: SpecState | None = None
    release: str | None = None  # a release name, or NO_RELEASE
    source: SpecSource | None = None
    q: str | None = None  # substring of the name or title
    gap: str | None = None  # a checklist item key: only specs with a gap there
    sort: SpecSort = SpecSort.ACTIVITY
    descending: bool = True
    page: int = 1
    per_page: int = 50

    def __post_init__(self) -> None:
        # The parser already refuses these; a caller that builds a filter by hand gets the same limits.
        if not 1 <= self.page <= MAX_PAGE:
            raise InvalidInput(f"page must be a whole number from 1 to {MAX_PAGE}.", {"page": str(self.page)})
        if not 1 <= self.per_page <= MAX_PAGE_SIZE:
            raise InvalidInput(
                f"per_page must be a whole number from 1 to {MAX_PAGE_SIZE}.", {"per_page": str(self.per_page)}
            )

    @property
    def narrowed(self) -> bool:
        """Whether any filter (not just sort or page) applies."""
        return any((self.state, self.release, self.source, self.q, self.gap))


class Pager:
    """What a pager needs, from ``total``, ``page`` and ``per_page`` (mixed into the page dataclasses)."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


@dataclass(frozen=True)
class IdPage(Pager):
    """One page of a list, as ids in display order, with what a pager needs."""

    ids: list[int]
    total: int
    page: int
    per_page: int


def _filtered(project_id: int, flt: SpecFilter) -> Select[Any]:
    stmt = select(Spec.id).where(Spec.project_id == project_id)
    if flt.state:
        stmt = stmt.where(Spec.state == flt.state)
    if flt.release:
        stmt = stmt.where(Spec.release.is_(None) if flt.release == NO_RELEASE else Spec.release == flt.release)
    if flt.source is SpecSource.GERRIT:
        stmt = stmt.where(exists().where(GerritChange.spec_id == Spec.id))
    elif flt.source is SpecSource.LAUNCHPAD:
        stmt = stmt.where(Spec.lp_definition_status.is_not(None))
    elif flt.source is SpecSource.FILE:
        stmt = stmt.where(exists().where(SpecRevision.spec_id == Spec.id, SpecRevision.source == "file"))
    if flt.gap:
        stmt = stmt.where(exists().where(ChecklistGap.spec_id == Spec.id, ChecklistGap.item_key == flt.gap))
    if flt.q:
        pattern = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(Spec.name.ilike(pattern, escape="\\") | Spec.title.ilike(pattern, escape="\\"))
    return stmt


def _live_comments() -> ColumnElement[int]:
    """The number of a spec's comments that are not deleted, correlated to ``specs``."""
    return (
        select(func.count())
        .where(Comment.spec_id == Spec.id, Comment.deleted_at.is_(None))
        .correlate(Spec)
        .scalar_subquery()
    )


def select_page(session: Session, project_id: int, flt: SpecFilter) -> IdPage:
    """The page's spec ids in display order, and the total: two queries, from the indexes alone."""
    base = _filtered(project_id, flt)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    ids_stmt = base
    order_col: ColumnElement[Any] | InstrumentedAttribute[Any]
    if flt.sort is SpecSort.COMMENTS:
        order_col = _live_comments()
    elif flt.sort is SpecSort.SCORE:
        ids_stmt = ids_stmt.outerjoin(ChecklistSummary, ChecklistSummary.spec_id == Spec.id)
        order_col = ChecklistSummary.score
    else:
        columns: dict[SpecSort, InstrumentedAttribute[Any]] = {
            SpecSort.ACTIVITY: Spec.last_activity_at,
            SpecSort.NAME: Spec.name,
            SpecSort.TITLE: Spec.title,
            SpecSort.RELEASE: Spec.release_rank,
            SpecSort.STATE: Spec.state,
        }
        order_col = columns[flt.sort]
    order = order_col.desc() if flt.descending else order_col.asc()
    if flt.sort is SpecSort.SCORE:
        order = order.nulls_last()
    # Ties read alphabetically; for the default sort (activity, which rarely ties) they are
    # broken by id in the same direction, so the (project, last_activity_at) index serves it.
    tie: UnaryExpression[Any]
    if flt.sort is SpecSort.ACTIVITY:
        tie = Spec.id.desc() if flt.descending else Spec.id.asc()
    else:
        tie = Spec.name.asc()
    offset = (flt.page - 1) * flt.per_page
    ids = list(session.scalars(ids_stmt.order_by(order, tie).offset(offset).limit(flt.per_page)))
    return IdPage(ids=ids, total=total, page=flt.page, per_page=flt.per_page)


# --- loaders: (session, ids) -> {spec id: value}, one query each ------------------------------------
#
# Each statement is built once, with an expanding ``ids`` parameter: a list page runs several
# loaders per request, and building a statement costs about as much as running these small ones.

IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)


@dataclass(frozen=True, slots=True)
class SpecBrief:
    """A spec's own fields as lists show them (plain values: no ORM object, no lazy loads)."""

    id: int
    name: str
    title: str
    summary: str
    state: str
    release: str | None
    blueprint_url: str | None
    last_activity_at: datetime
    lp_definition_status: str | None  # shown as the "Launchpad" source; the rest is load_launchpad's
    lp_implementation_status: str | None
    lp_priority: str | None = None  # the project table's Launchpad badges (same query, one more column)


_BRIEFS = select(
    Spec.id, Spec.name, Spec.title, Spec.summary, Spec.state, Spec.release, Spec.blueprint_url, Spec.last_activity_at,
    Spec.lp_definition_status, Spec.lp_implementation_status, Spec.lp_priority,
).where(Spec.id.in_(IDS))


def load_briefs(session: Session, spec_ids: Collection[int]) -> dict[int, SpecBrief]:
    """The specs' own fields by id."""
    if not spec_ids:
        return {}
    return {row[0]: SpecBrief(*tuple(row)) for row in session.execute(_BRIEFS, {"ids": list(spec_ids)})}


@dataclass(frozen=True, slots=True)
class LaunchpadFields:
    """A spec's Launchpad blueprint fields (the API lists them; the project page shows only the badge)."""

    title: str | None
    definition_status: str | None
    implementation_status: str | None
    priority: str | None
    approver: str | None
    assignee: str | None
    milestone: str | None
    whiteboard: str | None
    created_at: datetime | None


_LAUNCHPAD = select(
    Spec.id, Spec.lp_title, Spec.lp_definition_status, Spec.lp_implementation_status, Spec.lp_priority,
    Spec.lp_approver, Spec.lp_assignee, Spec.lp_milestone, Spec.lp_whiteboard, Spec.lp_created_at,
).where(
    Spec.id.in_(IDS), (Spec.lp_definition_status.is_not(None)) | (Spec.lp_implementation_status.is_not(None))
)


def load_launchpad(session: Session, spec_ids: Collection[int]) -> dict[int, LaunchpadFields]:
    """Launchpad fields by spec id; specs without a blueprint are absent."""
    if not spec_ids:
        return {}
    return {
        spec_id: LaunchpadFields(title, definition, implementation, priority, approver, assignee, milestone,
                                 whiteboard, created_at)
        for spec_id, title, definition, implementation, priority, approver, assignee, milestone, whiteboard, created_at
        in session.execute(_LAUNCHPAD, {"ids": list(spec_ids)})
    }


@dataclass(frozen=True, slots=True)
class SpecSources:
    """Where a spec's content comes from: a spec file, and the states of its Gerrit changes."""

    has_file: bool = False
    gerrit_statuses: tuple[str, ...] = ()  # NEW | MERGED | ABANDONED, by change number

    @property
    def has_gerrit(self) -> bool:
        return bool(self.gerrit_statuses)


NO_SOURCES = SpecSources()

# change number 0 (Gerrit's start at 1) marks "has a spec file"
_SOURCES: CompoundSelect[int, int, str] = union_all(
    select(GerritChange.spec_id, GerritChange.change_number, GerritChange.status).where(GerritChange.spec_id.in_(IDS)),
    select(SpecRevision.spec_id, literal(0), literal(""))
    .where(SpecRevision.spec_id.in_(IDS), SpecRevision.source == "file")
    .distinct(),
)


def load_sources(session: Session, spec_ids: Collection[int]) -> dict[int, SpecSources]:
    """Spec file and Gerrit review states by spec id (specs with neither are absent)."""
    if not spec_ids:
        return {}
    has_file: set[int] = set()
    changes: dict[int, list[tuple[int, str]]] = {}
    for spec_id, number, status in session.execute(_SOURCES, {"ids": list(spec_ids)}):
        if number == 0:
            has_file.add(spec_id)
        else:
            changes.setdefault(spec_id, []).append((number, status))
    return {
        spec_id: SpecSources(
            has_file=spec_id in has_file,
            gerrit_statuses=tuple(status for _, status in sorted(changes.get(spec_id, []))),
        )
        for spec_id in has_file | set(changes)
    }


_COMMENT_COUNTS = (
    select(Comment.spec_id, func.count())
    .where(Comment.spec_id.in_(IDS), Comment.deleted_at.is_(None))
    .group_by(Comment.spec_id)
)


def load_comment_counts(session: Session, spec_ids: Collection[int]) -> dict[int, int]:
    """Live (not deleted) comments by spec id; specs without any are absent."""
    if not spec_ids:
        return {}
    return {spec_id: count for spec_id, count in session.execute(_COMMENT_COUNTS, {"ids": list(spec_ids)})}
