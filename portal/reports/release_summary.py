"""The release summary: every spec of one release of one or more projects, as operators prepare a summit.

"Summarise all the blueprint changes; get me up to speed." For each spec:
its status (spec state, Launchpad, Gerrit, the PTL's answer), its
operator-facing impacts (the spec's own upgrade, configuration, deployer,
performance and security sections, beside the checklist's answers on the
matching items), its checklist score and gaps, the operators' votes (tally
and the top votes with their reasons) and the latest discussion.

Built in a fixed number of queries whatever the number of specs (one per
kind of row, see :func:`build`; ``tests/reports/`` pins the count): the
spec rows, their current revision's sections, checklist briefs, the
answers on the impact items, Gerrit changes, vote tallies, the top votes,
the latest comments and the PTLs' answers. Nothing here writes.

It lives above ``portal.votes``, ``portal.checklist`` and
``portal.discussion`` in the layers because it reads all three.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from portal.checklist import template as checklist_template
from portal.checklist.views import load_briefs
from portal.errors import InvalidInput, NotFound
from portal.models import (
    ChecklistAnswer,
    Comment,
    GerritChange,
    Priority,
    Project,
    Spec,
    SpecRevision,
    User,
    Vote,
)
from portal.specs.releases import normalize_release
from portal.specs.service import _STATE_PRIORITY
from portal.votes.acknowledgements import load_latest
from portal.votes.service import Tally, tally_from_rows

TOP_VOTES = 3  # per spec: the votes that say most (must first, with a reason first)
LATEST_COMMENTS = 3  # per spec
IMPACT_CHARS = 1200  # a section's text is cut here (the spec page has all of it)
EXCERPT_CHARS = 400  # a comment or vote reason
MAX_PROJECTS = 20


@dataclass(frozen=True)
class ImpactKind:
    """One operator-facing impact: the spec headings that state it and the checklist items that judge it."""

    key: str
    title: str
    headings: re.Pattern[str]
    items: tuple[str, ...]


IMPACTS = (
    ImpactKind("upgrade", "Upgrade", re.compile(r"upgrade", re.I), ("upgrade", "rollback")),
    ImpactKind("config", "Configuration", re.compile(r"config", re.I), ("config", "defaults", "deprecations")),
    ImpactKind("deployer", "Deployer", re.compile(r"deployer", re.I), ("operability", "transition", "ha")),
    ImpactKind("performance", "Performance", re.compile(r"performance|scal(e|ing)", re.I), ("performance",)),
    ImpactKind("security", "Security", re.compile(r"security", re.I), ("security", "credentials")),
)
IMPACT_ITEMS = tuple(key for impact in IMPACTS for key in impact.items)


@dataclass(frozen=True)
class ItemAnswer:
    """The checklist's current answer on one item: a reviewer's, else the prefill's."""

    key: str
    title: str
    state: str
    confirmed: bool  # a reviewer answered
    note: str
    gap: str | None  # "missing" / "concern" when the item is one of the spec's gaps


@dataclass(frozen=True)
class Impact:
    key: str
    title: str
    heading: str | None  # the spec's own section, when it has one
    text: str  # that section's text, cut at IMPACT_CHARS
    cut: bool
    answers: tuple[ItemAnswer, ...]


@dataclass(frozen=True)
class TopVote:
    voter: str
    priority: str
    affects_me: bool
    reason: str
    links: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class LatestComment:
    source: str
    author: str
    at: datetime
    excerpt: str
    url: str | None
    title: str | None  # a linked discussion's title


@dataclass(frozen=True)
class Review:
    change_number: int
    status: str
    url: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Answer:
    """The PTL's current answer ("acknowledged", "planned for <release>")."""

    text: str
    kind: str
    release: str | None
    note: str
    by: str
    at: datetime


@dataclass(frozen=True)
class SpecSummary:
    project: str
    name: str
    title: str
    path: str  # the spec page, under the portal's root
    summary: str
    state: str
    release: str
    lp_definition: str | None
    lp_implementation: str | None
    lp_priority: str | None
    blueprint_url: str | None
    last_activity_at: datetime | None
    reviews: tuple[Review, ...]
    answer: Answer | None
    checked: bool
    score: int | None
    gaps: tuple[tuple[str, str], ...]  # (item key, kind)
    impacts: tuple[Impact, ...]
    votes: Tally
    top_votes: tuple[TopVote, ...]
    comment_count: int
    latest_comments: tuple[LatestComment, ...]


@dataclass(frozen=True)
class ReleaseSummary:
    release: str
    projects: tuple[str, ...]
    specs: tuple[SpecSummary, ...]
    generated_at: datetime
    counts: dict[str, int] = field(default_factory=dict)  # specs per state

    def of(self, project: str) -> list[SpecSummary]:
        return [s for s in self.specs if s.project == project]


# --- input -----------------------------------------------------------------------------


def parse_projects(values: Iterable[str]) -> list[str]:
    """Project names from repeated options or a comma-separated field, in order, without repeats."""
    names: list[str] = []
    for value in values:
        for part in str(value).split(","):
            name = part.strip()
            if name and name not in names:
                names.append(name)
    if not names:
        raise InvalidInput("Name at least one project, e.g. nova.", {"project": "required"})
    if len(names) > MAX_PROJECTS:
        raise InvalidInput(f"At most {MAX_PROJECTS} projects in one summary; {len(names)} were given.",
                           {"project": "too many"})
    return names


def parse_release(value: str | None) -> str:
    release = normalize_release(value or "")
    if not release:
        raise InvalidInput("Name a release, e.g. 2026.2.", {"release": "required"})
    if len(release) > 32 or not re.fullmatch(r"[\w.-]+", release):
        raise InvalidInput(f"'{release[:40]}' is not a release name: write it as OpenStack does, e.g. 2026.2.",
                           {"release": "a release such as 2026.2"})
    return release


# --- the queries -------------------------------------------------------------------------


def _projects(session: Session, names: Sequence[str]) -> list[Project]:
    found = {p.name: p for p in session.scalars(select(Project).where(Project.name.in_(names)))}
    unknown = [n for n in names if n not in found]
    if unknown:
        known = session.scalars(select(Project.name).order_by(Project.name)).all()
        listed = ", ".join(known) if known else "none yet (add one with `portal projects add NAME`)"
        raise NotFound(
            f"Unknown project{'s' if len(unknown) > 1 else ''} {', '.join(repr(n) for n in unknown)}. "
            f"Projects: {listed}."
        )
    return [found[n] for n in names]


def available_releases(session: Session, project_ids: Sequence[int] | None = None) -> list[str]:
    """The releases the projects (all, when ``None``) have specs in, newest first."""
    query = select(Spec.release, func.max(Spec.release_rank)).where(Spec.release.is_not(None))
    if project_ids is not None:
        query = query.where(Spec.project_id.in_(project_ids))
    rows = [(name, rank) for name, rank in session.execute(query.group_by(Spec.release)) if name]
    return [name for name, _ in sorted(rows, key=lambda row: (row[1], row[0]), reverse=True)]


_SPEC_COLUMNS = (
    Spec.id, Spec.project_id, Spec.name, Spec.title, Spec.summary, Spec.state, Spec.release,
    Spec.lp_definition_status, Spec.lp_implementation_status, Spec.lp_priority, Spec.blueprint_url,
    Spec.last_activity_at,
)


def _current_sections(session: Session, spec_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each spec's current revision's sections, picked in SQL with the rule of ``specs.service._current``."""
    state_rank = case(
        *((SpecRevision.state == state, rank) for state, rank in _STATE_PRIORITY.items()), else_=0
    )
    ranked = (
        select(
            SpecRevision.id,
            SpecRevision.spec_id,
            func.row_number().over(
                partition_by=SpecRevision.spec_id,
                order_by=(SpecRevision.release_rank.desc(), state_rank.desc(), SpecRevision.id.desc()),
            ).label("rn"),
        )
        .where(SpecRevision.spec_id.in_(spec_ids))
        .subquery()
    )
    rows = session.execute(
        select(SpecRevision.spec_id, SpecRevision.sections)
        .join(ranked, and_(ranked.c.id == SpecRevision.id, ranked.c.rn == 1))
    )
    return {spec_id: list(sections or []) for spec_id, sections in rows}


def _answers(session: Session, spec_ids: list[int]) -> dict[tuple[int, str], tuple[str, bool, str]]:
    """(spec, item) → (state, confirmed, note) of the impact items: the latest reviewer answer, else prefill."""
    rows = session.execute(
        select(ChecklistAnswer.spec_id, ChecklistAnswer.item_key, ChecklistAnswer.state,
               ChecklistAnswer.source, ChecklistAnswer.note)
        .where(ChecklistAnswer.spec_id.in_(spec_ids), ChecklistAnswer.item_key.in_(IMPACT_ITEMS))
        .order_by(ChecklistAnswer.id)
    )
    prefill: dict[tuple[int, str], tuple[str, bool, str]] = {}
    reviewed: dict[tuple[int, str], tuple[str, bool, str]] = {}
    for spec_id, key, state, source, note in rows:
        if str(source) == "reviewer":
            reviewed[(spec_id, key)] = (str(state), True, note or "")
        else:
            prefill[(spec_id, key)] = (str(state), False, "")
    return prefill | reviewed


def _reviews(session: Session, spec_ids: list[int]) -> dict[int, list[Review]]:
    out: dict[int, list[Review]] = defaultdict(list)
    rows = session.execute(
        select(GerritChange.spec_id, GerritChange.change_number, GerritChange.status, GerritChange.url,
               GerritChange.updated_at)
        .where(GerritChange.spec_id.in_(spec_ids))
        .order_by(GerritChange.spec_id, GerritChange.updated_at.desc())
    )
    for spec_id, number, status, url, updated in rows:
        out[spec_id].append(Review(number, str(status), url, updated))
    return out


def _tallies(session: Session, spec_ids: list[int]) -> dict[int, Tally]:
    rows: dict[int, list[tuple[str, bool, int]]] = defaultdict(list)
    for spec_id, priority, affects, count in session.execute(
        select(Vote.spec_id, Vote.priority, Vote.affects_me, func.count())
        .where(Vote.spec_id.in_(spec_ids))
        .group_by(Vote.spec_id, Vote.priority, Vote.affects_me)
    ):
        rows[spec_id].append((str(priority), bool(affects), count))
    return {spec_id: tally_from_rows(r) for spec_id, r in rows.items()}


_PRIORITY_RANK = case(*((Vote.priority == p.value, i) for i, p in enumerate(Priority)), else_=len(Priority))
_NAME_SHOWN = func.coalesce(func.nullif(User.display_name, ""), User.username)


def _top_votes(session: Session, spec_ids: list[int]) -> dict[int, list[TopVote]]:
    """The ``TOP_VOTES`` votes per spec that say most: highest priority, with a reason, newest."""
    has_reason = case((Vote.reason != "", 0), else_=1)
    ranked = (
        select(
            Vote.id,
            func.row_number().over(
                partition_by=Vote.spec_id,
                order_by=(_PRIORITY_RANK, has_reason, Vote.updated_at.desc(), Vote.id.desc()),
            ).label("rn"),
        )
        .where(Vote.spec_id.in_(spec_ids))
        .subquery()
    )
    rows = session.execute(
        select(Vote.spec_id, _NAME_SHOWN, Vote.priority, Vote.affects_me, Vote.reason, Vote.links, Vote.updated_at,
               ranked.c.rn)
        .join(ranked, and_(ranked.c.id == Vote.id, ranked.c.rn <= TOP_VOTES))
        .join(User, User.id == Vote.user_id)
        .order_by(Vote.spec_id, ranked.c.rn)
    )
    out: dict[int, list[TopVote]] = defaultdict(list)
    for spec_id, voter, priority, affects, reason, links, at, _ in rows:
        out[spec_id].append(TopVote(voter or "", str(priority), bool(affects), _cut(reason or "", EXCERPT_CHARS),
                                    tuple(str(u) for u in (links or [])), at))
    return out


def _comments(session: Session, spec_ids: list[int]) -> tuple[dict[int, int], dict[int, list[LatestComment]]]:
    """The latest ``LATEST_COMMENTS`` visible comments per spec, and each spec's count of visible comments."""
    visible = and_(Comment.spec_id.in_(spec_ids), Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
    ranked = (
        select(
            Comment.id,
            func.row_number().over(
                partition_by=Comment.spec_id, order_by=(Comment.created_at.desc(), Comment.id.desc())
            ).label("rn"),
            func.count().over(partition_by=Comment.spec_id).label("total"),
        )
        .where(visible)
        .subquery()
    )
    rows = session.execute(
        select(Comment.spec_id, Comment.source, func.coalesce(_NAME_SHOWN, Comment.author_name), Comment.created_at,
               Comment.body, Comment.url, Comment.link_title, ranked.c.total)
        .join(ranked, and_(ranked.c.id == Comment.id, ranked.c.rn <= LATEST_COMMENTS))
        .outerjoin(User, User.id == Comment.author_id)
        .order_by(Comment.spec_id, ranked.c.rn)
    )
    counts: dict[int, int] = {}
    latest: dict[int, list[LatestComment]] = defaultdict(list)
    for spec_id, source, author, at, body, url, link_title, total in rows:
        counts[spec_id] = int(total)
        latest[spec_id].append(
            LatestComment(str(source), author or "unknown", at, _cut(_plain(body or ""), EXCERPT_CHARS), url,
                          link_title)
        )
    return counts, latest


# --- assembling ----------------------------------------------------------------------------


def build(session: Session, project_names: Sequence[str], release: str, *, at: datetime) -> ReleaseSummary:
    """The summary of ``release`` for the named projects (in their order); ten queries for any number of specs.

    Unknown projects, or a release none of them has specs in, raise
    ``NotFound`` with the names that exist.
    """
    release = parse_release(release)
    projects = _projects(session, parse_projects(project_names))
    by_id = {p.id: p for p in projects}
    order = {p.name: i for i, p in enumerate(projects)}
    rows = session.execute(
        select(*_SPEC_COLUMNS).where(Spec.project_id.in_(by_id), Spec.release == release)
    ).all()
    if not rows:
        releases = available_releases(session, list(by_id))
        names = ", ".join(p.name for p in projects)
        raise NotFound(
            f"No specs of {names} are in release {release}. "
            + (f"Releases with specs: {', '.join(releases)}." if releases else "None of them has specs yet: "
               "import them with `portal import specs`.")
        )
    spec_ids = [r.id for r in rows]
    sections = _current_sections(session, spec_ids)
    briefs = load_briefs(session, spec_ids)
    answers = _answers(session, spec_ids)
    reviews = _reviews(session, spec_ids)
    tallies = _tallies(session, spec_ids)
    top = _top_votes(session, spec_ids)
    comment_counts, latest = _comments(session, spec_ids)
    acks = load_latest(session, spec_ids)
    titles = {item.key: item.title for item in checklist_template.latest().items}

    specs = []
    for r in rows:
        brief = briefs.get(r.id)
        gaps = {g.key: g.kind for g in brief.gaps} if brief else {}
        ack = acks.get(r.id)
        project = by_id[r.project_id].name
        specs.append(SpecSummary(
            project=project,
            name=r.name,
            title=r.title or r.name,
            path=f"/projects/{quote(project)}/specs/{quote(r.name)}",
            summary=r.summary or "",
            state=str(r.state),
            release=r.release or "",
            lp_definition=r.lp_definition_status,
            lp_implementation=r.lp_implementation_status,
            lp_priority=r.lp_priority,
            blueprint_url=r.blueprint_url,
            last_activity_at=r.last_activity_at,
            reviews=tuple(reviews.get(r.id, ())),
            answer=Answer(ack.text, ack.kind, ack.release, ack.note, ack.by, ack.at) if ack else None,
            checked=brief is not None,
            score=brief.score if brief else None,
            gaps=tuple((g.key, g.kind) for g in brief.gaps) if brief else (),
            impacts=impacts_of(sections.get(r.id, []), r.id, answers, gaps, titles),
            votes=tallies.get(r.id) or Tally(),
            top_votes=tuple(top.get(r.id, ())),
            comment_count=comment_counts.get(r.id, 0),
            latest_comments=tuple(latest.get(r.id, ())),
        ))
    specs.sort(key=lambda s: (order[s.project], *demand_key(s.votes), s.title.lower()))
    counts: dict[str, int] = defaultdict(int)
    for s in specs:
        counts[s.state] += 1
    return ReleaseSummary(release=release, projects=tuple(p.name for p in projects), specs=tuple(specs),
                          generated_at=at, counts=dict(counts))


def demand_key(votes: Tally) -> tuple[int, int, int]:
    """Most wanted first: more "must" votes, then more "important", then more votes of any kind."""
    return (-votes.by_priority.get("must", 0), -votes.by_priority.get("important", 0), -votes.total)


def impacts_of(
    sections: list[dict[str, Any]],
    spec_id: int,
    answers: dict[tuple[int, str], tuple[str, bool, str]],
    gaps: dict[str, str],
    titles: dict[str, str],
) -> tuple[Impact, ...]:
    """Pure: the impacts of one spec from its sections (as stored) and its checklist answers."""
    out = []
    titles_of_sections = [str((s.get("path") or [""])[-1]) for s in sections]
    for kind in IMPACTS:
        heading, text, more = _section(sections, titles_of_sections, kind.headings)
        items = []
        for key in kind.items:
            state, confirmed, note = answers.get((spec_id, key), ("missing", False, ""))
            items.append(ItemAnswer(key, titles.get(key, key), state, confirmed, note, gaps.get(key)))
        cut_text = _cut(text, IMPACT_CHARS)
        out.append(Impact(kind.key, kind.title, heading, cut_text, more or cut_text != text, tuple(items)))
    return tuple(out)


def _section(
    sections: list[dict[str, Any]], titles: list[str], headings: re.Pattern[str]
) -> tuple[str | None, str, bool]:
    """The first section whose own heading (``titles``) names the impact, its text (sub-sections included),
    and whether text was left out: only the first ``IMPACT_CHARS`` or so are read (a section can be long)."""
    for index, title in enumerate(titles):
        if not title or not headings.search(title):
            continue
        section = sections[index]
        path = section.get("path") or []
        parts = [str(section.get("text") or "")]
        for below in sections[index + 1:]:
            below_path = below.get("path") or []
            if list(below_path[: len(path)]) != list(path) or len(below_path) <= len(path):
                break
            parts.append(f"{below_path[-1]}: {below.get('text') or ''}")
        raw = "\n\n".join(p.strip() for p in parts if p.strip())
        budget = 2 * IMPACT_CHARS  # room for the whitespace that reflowing removes
        return " > ".join(str(p) for p in path), _reflow(raw[:budget]), len(raw) > budget
    return None, "", False


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def _reflow(text: str) -> str:
    """Lines wrapped in the source joined; paragraphs (blank lines) kept."""
    paragraphs = (_LINE_BREAK.sub(" ", para).strip() for para in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def _plain(markdown_text: str) -> str:
    """A comment's Markdown as one line of plain text (no links' URLs, no emphasis marks)."""
    text = re.sub(r"```.*?```", " (code) ", markdown_text, flags=re.S)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(?m)^\s{0,3}(?:#{1,6}|>+)\s*", "", text)  # headings and quote marks at line starts
    text = re.sub(r"\*\*|__|[*`]", "", text)  # emphasis marks (single underscores are names: keep them)
    return re.sub(r"\s+", " ", text).strip()


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"
