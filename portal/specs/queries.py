"""Read side of specs: the project list, the filtered spec list, one spec's page.

Each function issues a fixed number of queries whatever the number of rows
(the tests pin the counts): list pages read ``specs`` with correlated
counts, never one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from portal.errors import InvalidInput, NotFound
from portal.models import (
    ChecklistGap,
    ChecklistSummary,
    Comment,
    Event,
    GerritChange,
    Project,
    Spec,
    SpecRevision,
    SpecState,
    User,
)
from portal.specs.releases import release_rank

SOURCES = ("file", "gerrit", "launchpad")
SORTS: dict[str, Any] = {
    "activity": Spec.last_activity_at,
    "name": Spec.name,
    "title": Spec.title,
    "release": Spec.release_rank,
    "state": Spec.state,
    "comments": None,  # the correlated comment count, built in list_specs
    "score": ChecklistSummary.score,
}
# Sorts that read naturally A→Z; the others (dates, releases, counts) default to newest/most first.
ASCENDING_BY_DEFAULT = ("name", "title", "state", "score")  # score: worst first
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class SpecFilter:
    """What the project page and ``GET /projects/<p>/specs`` may filter and sort on."""

    state: str | None = None
    release: str | None = None
    source: str | None = None
    q: str | None = None
    gap: str | None = None  # a checklist item key: only specs with a gap there
    sort: str = "activity"
    descending: bool = True
    page: int = 1
    per_page: int = 50
    # The page size used when none is asked for: links leave per_page out only then.
    default_per_page: int = field(default=50, compare=False)

    @classmethod
    def from_args(cls, args: Any, default_per_page: int, gap_keys: tuple[str, ...] = ()) -> SpecFilter:
        """Parse query arguments; raise :class:`InvalidInput` naming the allowed values.

        ``gap_keys`` are the checklist item keys the ``gap`` filter accepts
        (the delivery layer passes the current template's keys).
        """
        errors: dict[str, str] = {}

        def pick(name: str, allowed: tuple[str, ...]) -> str | None:
            value = (args.get(name) or "").strip()
            if not value:
                return None
            if value not in allowed:
                errors[name] = f"Unknown {name} '{value}'. Allowed: {', '.join(allowed)}."
                return None
            return value

        state = pick("state", tuple(s.value for s in SpecState))
        source = pick("source", SOURCES)
        gap = pick("gap", gap_keys)
        sort = pick("sort", tuple(SORTS)) or "activity"
        order = pick("order", ("asc", "desc"))
        release = (args.get("release") or "").strip()[:32] or None
        q = (args.get("q") or "").strip()[:200] or None
        page = _positive_int(args.get("page"), "page", errors) or 1
        per_page = _positive_int(args.get("per_page"), "per_page", errors) or default_per_page
        if per_page > MAX_PAGE_SIZE:
            errors["per_page"] = f"per_page can be at most {MAX_PAGE_SIZE}."
            per_page = MAX_PAGE_SIZE
        descending = (order or _default_order(sort)) == "desc"
        parsed = cls(
            state=state, release=release, source=source, q=q, gap=gap, sort=sort, descending=descending,
            page=page, per_page=per_page, default_per_page=default_per_page,
        )
        if errors:
            raise FilterError(" ".join(errors.values()), errors, parsed)
        return parsed

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query arguments that reproduce this filter (for links and pagination).

        Defaults are left out so links stay short; the sort order and the page
        size are kept whenever they differ from the defaults, so the next page
        continues the same list.
        """
        order = "desc" if self.descending else "asc"
        values = {
            "state": self.state,
            "release": self.release,
            "source": self.source,
            "q": self.q,
            "gap": self.gap,
            "sort": self.sort if self.sort != "activity" else None,
            "order": order if order != _default_order(self.sort) else None,
            "per_page": self.per_page if self.per_page != self.default_per_page else None,
            "page": self.page if self.page != 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


class FilterError(InvalidInput):
    """Bad filter arguments; ``usable`` is the filter with the bad parts dropped."""

    def __init__(self, message: str, fields: dict[str, str], usable: SpecFilter) -> None:
        super().__init__(message, fields)
        self.usable = usable


def _default_order(sort: str) -> str:
    return "asc" if sort in ASCENDING_BY_DEFAULT else "desc"


def _positive_int(value: Any, name: str, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[name] = f"{name} must be a whole number >= 1."
        return None
    if number < 1:
        errors[name] = f"{name} must be a whole number >= 1."
        return None
    return number


@dataclass
class SpecRow:
    spec: Spec
    comment_count: int
    has_gerrit: bool
    has_file: bool = False
    score: int | None = None  # operability score, None before the first prefill
    gaps: list[tuple[str, str]] = field(default_factory=list)  # (item key, missing|concern)


@dataclass
class Page:
    items: list[Any]
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


@dataclass
class ProjectSummary:
    project: Project
    spec_count: int
    by_state: dict[str, int] = field(default_factory=dict)


def project_summaries(session: Session) -> list[ProjectSummary]:
    """Every project with its spec counts per state (one query for the counts)."""
    projects = list(session.scalars(select(Project).order_by(Project.name)))
    counts = session.execute(select(Spec.project_id, Spec.state, func.count()).group_by(Spec.project_id, Spec.state))
    by_project: dict[int, dict[str, int]] = {}
    for project_id, state, count in counts:
        by_project.setdefault(project_id, {})[state] = count
    return [
        ProjectSummary(project=p, spec_count=sum(by_project.get(p.id, {}).values()), by_state=by_project.get(p.id, {}))
        for p in projects
    ]


@dataclass
class ActivityItem:
    event: Event
    project_name: str | None
    spec_name: str | None
    spec_title: str | None
    actor_name: str | None
    count: int = 1  # consecutive events of the same kind on the same spec, shown as one line


def recent_activity(session: Session, *, project_id: int | None = None, limit: int = 15) -> list[ActivityItem]:
    """Newest events with the names they refer to, in one query.

    A run of events of one kind on one spec (an import of twenty comments)
    reads as one line with a count, so the feed shows what happened, not rows.
    """
    stmt = (
        select(Event, Project.name, Spec.name, Spec.title, User.username)
        .outerjoin(Project, Project.id == Event.project_id)
        .outerjoin(Spec, Spec.id == Event.spec_id)
        .outerjoin(User, User.id == Event.actor_id)
        .order_by(Event.id.desc())
        .limit(limit * 10)
    )
    if project_id is not None:
        stmt = stmt.where(Event.project_id == project_id)
    items: list[ActivityItem] = []
    for row in session.execute(stmt):
        item = ActivityItem(*row)
        last = items[-1] if items else None
        if last is not None and last.event.kind == item.event.kind and last.event.spec_id == item.event.spec_id \
                and item.event.spec_id is not None:
            last.count += 1
            continue
        if len(items) == limit:
            break
        items.append(item)
    return items


def _filtered(project: Project, flt: SpecFilter) -> Select[Any]:
    stmt = select(Spec).where(Spec.project_id == project.id)
    if flt.state:
        stmt = stmt.where(Spec.state == flt.state)
    if flt.release:
        stmt = stmt.where(Spec.release == flt.release) if flt.release != "none" else stmt.where(Spec.release.is_(None))
    if flt.source == "gerrit":
        stmt = stmt.where(exists().where(GerritChange.spec_id == Spec.id))
    elif flt.source == "launchpad":
        stmt = stmt.where(Spec.lp_definition_status.is_not(None))
    elif flt.source == "file":
        stmt = stmt.where(exists().where(SpecRevision.spec_id == Spec.id, SpecRevision.source == "file"))
    if flt.gap:
        stmt = stmt.where(exists().where(ChecklistGap.spec_id == Spec.id, ChecklistGap.item_key == flt.gap))
    if flt.q:
        pattern = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(Spec.name.ilike(pattern, escape="\\") | Spec.title.ilike(pattern, escape="\\"))
    return stmt


def list_specs(session: Session, project: Project, flt: SpecFilter) -> Page:
    """One page of a project's specs with comment counts and checklist gaps: four queries whatever the size.

    The page's ids are chosen first from the indexes alone (filter, sort,
    offset, limit); the per-row counts are then computed for those 50 rows
    only, not for every spec of the project.
    """
    base = _filtered(project, flt)
    total = session.scalar(select(func.count()).select_from(base.with_only_columns(Spec.id).subquery())) or 0
    comment_count = (
        select(func.count())
        .where(Comment.spec_id == Spec.id, Comment.deleted_at.is_(None))
        .correlate(Spec)
        .scalar_subquery()
    )
    order_col = SORTS[flt.sort]
    if order_col is None:
        order_col = comment_count
    ids_stmt = base.with_only_columns(Spec.id)
    if flt.sort == "score":
        ids_stmt = ids_stmt.outerjoin(ChecklistSummary, ChecklistSummary.spec_id == Spec.id)
    order = order_col.desc() if flt.descending else order_col.asc()
    if flt.sort == "score":
        order = order.nulls_last()
    # Ties read alphabetically; for the default sort (activity, which rarely ties) they are
    # broken by id in the same direction, so the (project, last_activity_at) index serves it.
    if flt.sort == "activity":
        tie = Spec.id.desc() if flt.descending else Spec.id.asc()
    else:
        tie = Spec.name.asc()
    ids = list(
        session.scalars(ids_stmt.order_by(order, tie).offset((flt.page - 1) * flt.per_page).limit(flt.per_page))
    )
    if not ids:
        return Page(items=[], total=total, page=flt.page, per_page=flt.per_page)
    has_gerrit = exists().where(GerritChange.spec_id == Spec.id).correlate(Spec)
    has_file = exists().where(SpecRevision.spec_id == Spec.id, SpecRevision.source == "file").correlate(Spec)
    stmt = (
        select(Spec, comment_count, has_gerrit, has_file, ChecklistSummary.score)
        .outerjoin(ChecklistSummary, ChecklistSummary.spec_id == Spec.id)
        .where(Spec.id.in_(ids))
    )
    by_id = {
        row[0].id: SpecRow(spec=row[0], comment_count=row[1], has_gerrit=bool(row[2]), has_file=bool(row[3]),
                           score=row[4])
        for row in session.execute(stmt)
    }
    gaps = select(ChecklistGap.spec_id, ChecklistGap.item_key, ChecklistGap.kind).where(ChecklistGap.spec_id.in_(ids))
    for spec_id, key, kind in session.execute(gaps.order_by(ChecklistGap.kind.desc(), ChecklistGap.item_key)):
        by_id[spec_id].gaps.append((key, kind))
    return Page(items=[by_id[i] for i in ids], total=total, page=flt.page, per_page=flt.per_page)


def releases_of(session: Session, project: Project) -> list[str]:
    """The project's releases, newest first (for the filter menu)."""
    names = session.scalars(
        select(Spec.release).where(Spec.project_id == project.id, Spec.release.is_not(None)).distinct()
    ).all()
    return sorted((n for n in names if n), key=lambda n: (release_rank(n), n), reverse=True)


def get_spec(session: Session, project_name: str, spec_name: str) -> Spec:
    """A spec with its project, revisions and reviews loaded (three queries)."""
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


@dataclass
class TimelineEntry:
    """One thing that happened to a spec, whatever its source."""

    at: datetime
    kind: str  # comment | revision | review
    source: str
    title: str
    body_html: str = ""
    url: str | None = None
    author: str = ""
    anchor: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def comment_count(session: Session, spec: Spec) -> int:
    return session.scalar(
        select(func.count()).where(Comment.spec_id == spec.id, Comment.deleted_at.is_(None))
    ) or 0


def comments_of(session: Session, spec: Spec) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.spec_id == spec.id, Comment.deleted_at.is_(None))
            .options(selectinload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        )
    )


def timeline(session: Session, spec: Spec) -> list[TimelineEntry]:
    """Comments of every source, revisions and reviews, oldest first."""
    entries: list[TimelineEntry] = []
    for comment in comments_of(session, spec):
        who = comment.author.name_shown if comment.author is not None else comment.author_name or "unknown"
        where = {
            "portal": "commented",
            "gerrit": "reviewed on Gerrit" + (f" (patch set {comment.patch_set})" if comment.patch_set else ""),
            "launchpad": "wrote on the Launchpad whiteboard",
            "link": "linked a discussion",
        }.get(comment.source, "wrote")
        entries.append(
            TimelineEntry(
                at=comment.created_at,
                kind="comment",
                source=comment.source,
                title=f"{who} {where}",
                body_html=comment.body_html,
                url=comment.url,
                author=who,
                anchor=f"comment-{comment.id}",
                extra={"file_line": comment.file_line},
            )
        )
    for rev in spec.revisions:
        where = f"{rev.release or rev.state}"
        entries.append(
            TimelineEntry(
                at=rev.created_at,
                kind="revision",
                source=rev.source,
                title=f"Spec file imported: {rev.path} ({where}, {rev.state})",
                anchor=f"revision-{rev.id}",
            )
        )
    for review in spec.gerrit_changes:
        entries.append(
            TimelineEntry(
                at=review.updated_at,
                kind="review",
                source="gerrit",
                title=f"Gerrit change {review.change_number} {review.status.lower()}: {review.subject}",
                url=review.url,
                author=review.owner_name,
                anchor=f"review-{review.change_number}",
            )
        )
    entries.sort(key=lambda e: e.at)
    return entries


def release_history(spec: Spec) -> list[SpecRevision]:
    """The latest revision per file path, newest release first."""
    latest: dict[str, SpecRevision] = {}
    for rev in spec.revisions:
        if rev.path not in latest or rev.id > latest[rev.path].id:
            latest[rev.path] = rev
    return sorted(latest.values(), key=lambda r: (r.release_rank, r.id), reverse=True)
