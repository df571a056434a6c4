"""The PTL dashboard's ranking: a project's specs by operator demand, segmentable by the voters' context.

**The score.** Each vote gives points for its priority: ``must`` 3,
``important`` 2, ``nice`` 1, ``not_needed`` 0, plus 1 when the voter said
"this affects me". A spec's score is the sum over its votes (in the chosen
segment). With ``weighting=size`` each vote's points are multiplied by the
voter's size band in hypervisors (1-10 and 11-100: ×1, 101-500: ×1.5,
501-1000: ×2, 1001-5000: ×2.5, 5001+: ×3; no band given: ×1), so a vote
from a large cloud counts more. Ties go to the spec with more votes, then
the older spec (lower id), so the order is stable.

**Segments** restrict the votes counted: ``voter_release`` (the release the
voter runs in production), ``tool`` (deployment tool), ``min_hypervisors``
and ``min_projects`` (size bands whose lower bound is at least the number:
``min_hypervisors=501`` is "more than 500 hypervisors"), ``backend`` (one of
the voter's backends) and ``affects_me``. They are filters on plain indexed
columns of ``votes`` (the ``ctx_*`` copies of each vote's context), and the
whole ranking, its count of specs and its page are one grouped SQL query:
no Python loop over votes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, bindparam, case, cast, distinct, func, select
from sqlalchemy.orm import Session

from portal.clock import now
from portal.errors import InvalidInput
from portal.models import (
    DeploymentProfile,
    DeploymentTool,
    GerritChange,
    HypervisorBand,
    Priority,
    ProjectBand,
    Spec,
    User,
    Vote,
)
from portal.votes.profile import BACKEND, RELEASE, public_context
from portal.votes.service import Tally, tally_from_rows

WEIGHTS: Mapping[Priority, int] = {Priority.MUST: 3, Priority.IMPORTANT: 2, Priority.NICE: 1, Priority.NOT_NEEDED: 0}
AFFECTS_ME_POINTS = 1
SIZE_FACTORS: Mapping[HypervisorBand, float] = {
    HypervisorBand.UP_TO_10: 1.0,
    HypervisorBand.UP_TO_100: 1.0,
    HypervisorBand.UP_TO_500: 1.5,
    HypervisorBand.UP_TO_1000: 2.0,
    HypervisorBand.UP_TO_5000: 2.5,
    HypervisorBand.OVER_5000: 3.0,
}
WEIGHTINGS = ("flat", "size")
MAX_PER_PAGE = 500
MAX_PAGE = 100_000


def lower_bound(band: str) -> int:
    """``"501-1000"`` → 501, ``"5001+"`` → 5001."""
    return int(re.match(r"[0-9]+", band).group(0))  # type: ignore[union-attr]


@dataclass(frozen=True)
class Segment:
    """Which votes count: every field ``None`` means all votes."""

    voter_release: str | None = None
    tool: DeploymentTool | None = None
    min_hypervisors: int | None = None
    min_projects: int | None = None
    backend: str | None = None
    affects_me: bool | None = None

    @property
    def narrowed(self) -> bool:
        return any(v is not None for v in (self.voter_release, self.tool, self.min_hypervisors, self.min_projects,
                                            self.backend, self.affects_me))

    def args(self) -> dict[str, str]:
        """Back to query arguments (for links and exports)."""
        out: dict[str, str] = {}
        if self.voter_release:
            out["voter_release"] = self.voter_release
        if self.tool:
            out["tool"] = self.tool.value
        if self.min_hypervisors is not None:
            out["min_hypervisors"] = str(self.min_hypervisors)
        if self.min_projects is not None:
            out["min_projects"] = str(self.min_projects)
        if self.backend:
            out["backend"] = self.backend
        if self.affects_me is not None:
            out["affects_me"] = "true" if self.affects_me else "false"
        return out

    def describe(self) -> str:
        """In words, for headings and chart titles: "operators on 2026.1 with more than 500 hypervisors"."""
        parts = []
        if self.voter_release:
            parts.append(f"on {self.voter_release}")
        if self.tool:
            parts.append(f"deploying with {self.tool.value}")
        if self.min_hypervisors is not None:
            parts.append(f"with at least {self.min_hypervisors} hypervisors")
        if self.min_projects is not None:
            parts.append(f"with at least {self.min_projects} projects")
        if self.backend:
            parts.append(f"using {self.backend}")
        if self.affects_me is not None:
            parts.append("who say it affects them" if self.affects_me else "who say it does not affect them")
        return "operators " + ", ".join(parts) if parts else "all operators"

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.voter_release:
            where.append(Vote.ctx_release == self.voter_release)
        if self.tool:
            where.append(Vote.ctx_tool == self.tool.value)
        if self.min_hypervisors is not None:
            bands = [b.value for b in HypervisorBand if lower_bound(b.value) >= self.min_hypervisors]
            where.append(Vote.ctx_hypervisors.in_(bands))
        if self.min_projects is not None:
            bands = [b.value for b in ProjectBand if lower_bound(b.value) >= self.min_projects]
            where.append(Vote.ctx_projects.in_(bands))
        if self.backend:
            where.append(Vote.ctx_backends.contains(f",{self.backend},", autoescape=True))
        if self.affects_me is not None:
            where.append(Vote.affects_me.is_(self.affects_me))
        return where


@dataclass(frozen=True)
class DemandFilter:
    release: str | None = None  # the specs' release; None: every release
    segment: Segment = field(default_factory=Segment)
    weighting: str = "flat"
    page: int = 1
    per_page: int = 50

    def args(self) -> dict[str, str]:
        out = {"release": self.release} if self.release else {}
        out |= self.segment.args()
        if self.weighting != "flat":
            out["weighting"] = self.weighting
        return out


_SEGMENT_KEYS = ("voter_release", "tool", "min_hypervisors", "min_projects", "backend", "affects_me")
KNOWN_ARGS = ("release", "weighting", "page", "per_page", *_SEGMENT_KEYS)


def _whole(args: Mapping[str, str], name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if value.isdigit() and low <= int(value) <= high:
        return int(value)
    errors[name] = f"{name} must be a whole number from {low} to {high}, not '{value[:20]}'"
    return None


def parse_filter(args: Mapping[str, str], *, per_page: int = 50) -> DemandFilter:
    """Query arguments → :class:`DemandFilter`; every bad value is named with what is allowed."""
    errors: dict[str, str] = {}
    release = (args.get("release") or "").strip().lower() or None
    if release and not RELEASE.fullmatch(release):
        errors["release"] = f"release '{release[:40]}' is not a release name such as 2026.2"
    voter_release = (args.get("voter_release") or "").strip().lower() or None
    if voter_release and not RELEASE.fullmatch(voter_release):
        errors["voter_release"] = f"voter_release '{voter_release[:40]}' is not a release name such as 2026.1"
    tool = None
    if (raw := (args.get("tool") or "").strip()):
        try:
            tool = DeploymentTool(raw)
        except ValueError:
            errors["tool"] = f"tool must be one of {', '.join(t.value for t in DeploymentTool)}, not '{raw[:40]}'"
    backend = (args.get("backend") or "").strip().lower() or None
    if backend and not BACKEND.fullmatch(backend):
        errors["backend"] = f"backend '{backend[:40]}' is not a backend name such as ceph"
    affects: bool | None = None
    if (raw := (args.get("affects_me") or "").strip().lower()):
        if raw in ("true", "1", "yes"):
            affects = True
        elif raw in ("false", "0", "no"):
            affects = False
        else:
            errors["affects_me"] = f"affects_me must be true or false, not '{raw[:20]}'"
    weighting = (args.get("weighting") or "flat").strip()
    if weighting not in WEIGHTINGS:
        errors["weighting"] = f"weighting must be one of {', '.join(WEIGHTINGS)}, not '{weighting[:20]}'"
        weighting = "flat"
    segment = Segment(
        voter_release=voter_release if "voter_release" not in errors else None,
        tool=tool,
        min_hypervisors=_whole(args, "min_hypervisors", 0, 1_000_000, errors),
        min_projects=_whole(args, "min_projects", 0, 10_000_000, errors),
        backend=backend if "backend" not in errors else None,
        affects_me=affects,
    )
    page = _whole(args, "page", 1, MAX_PAGE, errors) or 1
    size = _whole(args, "per_page", 1, MAX_PER_PAGE, errors) or per_page
    flt = DemandFilter(release if "release" not in errors else None, segment, weighting, page, size)
    if errors:
        raise DemandFilterError("; ".join(errors.values()) + ".", errors, flt)
    return flt


class DemandFilterError(InvalidInput):
    """Bad query arguments; ``usable`` is the filter without them (pages show it under a warning)."""

    def __init__(self, message: str, fields: dict[str, str], usable: DemandFilter) -> None:
        super().__init__(message, fields)
        self.usable = usable


def _points(weighting: str) -> ColumnElement[Any]:
    base = case({p.value: w for p, w in WEIGHTS.items()}, value=Vote.priority, else_=0) + case(
        (Vote.affects_me.is_(True), AFFECTS_ME_POINTS), else_=0
    )
    if weighting == "size":
        factor = case({b.value: f for b, f in SIZE_FACTORS.items()}, value=Vote.ctx_hypervisors, else_=1.0)
        return cast(base, Float) * factor
    return base


@dataclass(frozen=True, slots=True)
class Ranked:
    spec_id: int
    score: float
    tally: Tally


@dataclass(frozen=True)
class DemandPage:
    items: list[Ranked]
    total: int  # specs with at least one vote in the segment
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def ids(self) -> list[int]:
        return [r.spec_id for r in self.items]


def _scope(project_id: int, flt: DemandFilter) -> list[ColumnElement[bool]]:
    """The votes counted: on the project's specs (of the release), in the segment.

    ``spec_id IN (…)`` rather than a join lets the database read the votes
    from ``ix_votes_ranking`` alone, in spec order, without a row lookup.
    """
    specs = select(Spec.id).where(Spec.project_id == project_id)
    if flt.release:
        specs = specs.where(Spec.release == flt.release)
    return [Vote.spec_id.in_(specs), *flt.segment.conditions()]


def rank(session: Session, project_id: int, flt: DemandFilter) -> DemandPage:
    """One page of the ranking with the number of ranked specs: two queries.

    The grouped query computes only what orders the page (score, votes) and
    the count, over every vote in scope; the per-priority counts are then
    read for the page's specs only (:func:`load_tallies`), which halves the
    work on 50,000 votes.
    """
    score = func.sum(_points(flt.weighting)).label("score")
    total = func.count().label("total")
    stmt = (
        select(Vote.spec_id, score, total, func.count().over().label("ranked"))
        .where(and_(*_scope(project_id, flt)))
        .group_by(Vote.spec_id)
        .order_by(score.desc(), total.desc(), Vote.spec_id)
        .limit(flt.per_page)
        .offset((flt.page - 1) * flt.per_page)
    )
    picked = session.execute(stmt).all()
    if not picked:
        ranked: int | None = 0
        if flt.page > 1:  # past the end: the count still tells the pager how many pages there are
            ranked = session.scalar(select(func.count(distinct(Vote.spec_id))).where(and_(*_scope(project_id, flt))))
        return DemandPage([], int(ranked or 0), flt.page, flt.per_page)
    tallies = load_tallies(session, [row[0] for row in picked], flt.segment)
    items = [Ranked(spec_id, _number(points), tallies[spec_id]) for spec_id, points, _, _ in picked]
    return DemandPage(items, int(picked[0][3]), flt.page, flt.per_page)


def load_tallies(session: Session, spec_ids: Collection[int], segment: Segment | None = None) -> dict[int, Tally]:
    """Votes per priority and "affects me" by spec (in the segment), one query; unvoted specs are absent."""
    if not spec_ids:
        return {}
    rows: dict[int, list[tuple[str, bool, int]]] = {}
    for spec_id, priority, affects, count in session.execute(
        select(Vote.spec_id, Vote.priority, Vote.affects_me, func.count())
        .where(Vote.spec_id.in_(list(spec_ids)), *(segment.conditions() if segment else []))
        .group_by(Vote.spec_id, Vote.priority, Vote.affects_me)
    ):
        rows.setdefault(spec_id, []).append((str(priority), bool(affects), int(count)))
    return {spec_id: tally_from_rows(values) for spec_id, values in rows.items()}


def _number(value: Any) -> float:
    number = float(value or 0)
    return int(number) if number.is_integer() else round(number, 1)


def all_ranked(session: Session, project_id: int, flt: DemandFilter, *, limit: int = 10_000) -> DemandPage:
    """The whole ranking (exports), up to ``limit`` specs."""
    return rank(session, project_id, replace(flt, page=1, per_page=limit))


SEGMENT_DIMENSIONS: Mapping[str, Any] = {
    "voter_release": Vote.ctx_release,
    "hypervisors": Vote.ctx_hypervisors,
    "projects": Vote.ctx_projects,
    "tool": Vote.ctx_tool,
}


@dataclass(frozen=True, slots=True)
class SegmentRow:
    value: str  # "" : the voters who did not say
    votes: int
    score: float
    affects_me: int


def by_segment(session: Session, project_id: int, flt: DemandFilter, dimension: str) -> list[SegmentRow]:
    """Votes and score per value of one context field (the "demand by segment" chart), one query."""
    column = SEGMENT_DIMENSIONS[dimension]
    stmt = (
        select(column, func.count(), func.sum(_points(flt.weighting)),
               func.sum(case((Vote.affects_me.is_(True), 1), else_=0)))
        .where(and_(*_scope(project_id, flt)))
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [SegmentRow(str(v or ""), int(n), _number(s), int(a or 0)) for v, n, s, a in session.execute(stmt)]


def voter_releases(session: Session) -> list[str]:
    """The releases operators say they run, newest first (the segment menu; read from the profiles,
    a few thousand rows, rather than from every vote)."""
    rows = session.scalars(
        select(DeploymentProfile.release_in_production).where(DeploymentProfile.release_in_production != "")
        .group_by(DeploymentProfile.release_in_production)
    )
    return sorted(rows, reverse=True)


# --- columns of the ranked page (one loader each, for the page's ids only) -------------------


@dataclass(frozen=True, slots=True)
class ReviewState:
    """The spec's most recently updated Gerrit change, as the dashboard shows it."""

    change_number: int
    status: str
    url: str | None
    created_at: datetime
    updated_at: datetime
    negative_votes: int
    approved: bool

    @property
    def age_days(self) -> int:
        return max(0, (now() - self.created_at).days)

    def as_json(self) -> dict[str, Any]:
        return {
            "change_number": self.change_number,
            "status": self.status,
            "url": self.url,
            "age_days": self.age_days,
            "last_activity": self.updated_at.isoformat(),
            "negative_votes": self.negative_votes,
            "approved": self.approved,
        }


_REVIEWS = (
    select(GerritChange.spec_id, GerritChange.change_number, GerritChange.status, GerritChange.url,
           GerritChange.created_at, GerritChange.updated_at, GerritChange.labels, GerritChange.approved_at,
           GerritChange.approved_by)
    .where(GerritChange.spec_id.in_(bindparam("ids", expanding=True)))
    .order_by(GerritChange.spec_id, GerritChange.updated_at)
)


def load_review_states(session: Session, spec_ids: Collection[int]) -> dict[int, ReviewState]:
    """The newest Gerrit change per spec, one query; specs without changes are absent."""
    if not spec_ids:
        return {}
    out: dict[int, ReviewState] = {}
    for spec_id, number, status, url, created, updated, labels, approved_at, approved_by in session.execute(
        _REVIEWS, {"ids": list(spec_ids)}
    ):
        negative = sum(1 for label in labels or [] if isinstance(label, dict) and _int(label.get("value")) < 0)
        out[spec_id] = ReviewState(number, str(status), url, created, updated, negative,
                                   approved_at is not None or bool(approved_by) or str(status) == "MERGED")
    return out


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True, slots=True)
class VoterRow:
    """One vote as the PTL sees it (context per vote; organisation only when the voter shows it)."""

    user_id: int
    name: str
    priority: str
    affects_me: bool
    reason: str
    links: list[str]
    context: dict[str, Any]
    updated_at: datetime


def voters(session: Session, spec_id: int, segment: Segment | None = None) -> list[VoterRow]:
    """Every vote on a spec (in the segment), strongest first: for PTLs only (see permissions)."""
    order = case({p.value: i for i, p in enumerate(Priority)}, value=Vote.priority)
    stmt = (
        select(Vote.user_id, func.coalesce(func.nullif(User.display_name, ""), User.username), Vote.priority,
               Vote.affects_me, Vote.reason, Vote.links, Vote.context, Vote.updated_at)
        .join(User, User.id == Vote.user_id)
        .where(Vote.spec_id == spec_id, *(segment.conditions() if segment else []))
        .order_by(order, Vote.affects_me.desc(), Vote.updated_at.desc())
    )
    return [
        VoterRow(uid, name, str(p), bool(a), r or "", list(links or []), public_context(ctx or {}), at)
        for uid, name, p, a, r, links, ctx, at in session.execute(stmt)
    ]
