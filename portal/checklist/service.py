"""Checklist answers: the prefill, reviewers' answers, staleness, and each spec's summary.

Every change is a new ``ChecklistAnswer`` row (history is never
overwritten). An answer rests on the text of the sections its item is judged
from (the template's headings for the item plus the evidence section); its
hash at the revision it was given on is stored, so when a later revision
changes that text the answer is shown as stale with a section-level diff,
and answers on unchanged sections stay as they are.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal import events
from portal.checklist import template as templates
from portal.checklist.prefill import Prefill, SpecText, prefill
from portal.checklist.template import STATES, Item, Template
from portal.clock import now
from portal.errors import InvalidInput, PermissionDenied
from portal.models import (
    ChecklistAnswer,
    ChecklistGap,
    ChecklistSummary,
    ChecklistTemplate,
    Role,
    Spec,
    SpecRevision,
    User,
)
from portal.specs.document import Section
from portal.specs.service import current_revision

MAX_NOTE_CHARS = 5000
GAP_STATES = ("missing", "concern")


def ensure_template(session: Session, tmpl: Template) -> None:
    """Store the template version the first time it is used (answers refer to it)."""
    if session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.version == tmpl.version)) is None:
        digest = hashlib.sha256(repr(tmpl.source).encode()).hexdigest()
        session.add(ChecklistTemplate(version=tmpl.version, name=tmpl.name, content=tmpl.source, content_hash=digest))
        session.flush()


def _sections(revision: SpecRevision | None) -> list[Section]:
    return [Section.from_dict(s) for s in revision.sections] if revision is not None else []


def _resting_text(item: Item, spec_text: SpecText, evidence_section: str) -> tuple[list[str], str]:
    """The text an answer on ``item`` rests on: the item's own sections plus its evidence section."""
    chosen: list[Section] = []
    for sec in spec_text.answering():
        if any(p.search(sec.title) for p in item.sections) or " > ".join(sec.path) == evidence_section:
            if not any(sec.path[: len(c.path)] == c.path for c in chosen):
                chosen.append(sec)
    parts = [f"## {' > '.join(sec.path)}\n{spec_text.text_of(sec)}" for sec in chosen]
    path = evidence_section.split(" > ") if evidence_section else (list(chosen[0].path) if chosen else [])
    return path, "\n\n".join(parts)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def refresh_prefill(
    session: Session, spec: Spec, revisions: list[SpecRevision] | None = None, tmpl: Template | None = None
) -> Prefill | None:
    """Prefill the spec's current revision; write rows only for items whose result changed."""
    tmpl = tmpl or templates.latest()
    revisions = (
        revisions
        if revisions is not None
        else list(session.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id)))
    )
    revision = current_revision(revisions)
    if revision is None:
        return None
    ensure_template(session, tmpl)
    sections = _sections(revision)
    result = prefill(sections, tmpl)
    spec_text = SpecText(sections)
    latest = _latest_by_item(session, spec.id, source="prefill")
    for item_result in result.items:
        evidence = item_result.evidence.to_dict() if item_result.evidence else None
        concerns = [c.to_dict() for c in item_result.concerns]
        previous = latest.get(item_result.key)
        if (
            previous is not None
            and previous.revision_id == revision.id
            and previous.template_version == tmpl.version
            and previous.state == item_result.state
            and previous.evidence == evidence
            and previous.concerns == concerns
        ):
            continue
        path, text = _resting_text(tmpl.item(item_result.key), spec_text, evidence["section"] if evidence else "")
        session.add(
            ChecklistAnswer(
                spec_id=spec.id,
                template_version=tmpl.version,
                item_key=item_result.key,
                state=item_result.state,
                source="prefill",
                evidence=evidence,
                concerns=concerns,
                revision_id=revision.id,
                section_path=path,
                section_hash=_digest(text),
            )
        )
    session.flush()
    summarize(session, spec, tmpl, revisions)
    return result


def _latest_by_item(session: Session, spec_id: int, *, source: str) -> dict[str, ChecklistAnswer]:
    rows = session.scalars(
        select(ChecklistAnswer)
        .where(ChecklistAnswer.spec_id == spec_id, ChecklistAnswer.source == source)
        .order_by(ChecklistAnswer.id)
    )
    return {row.item_key: row for row in rows}


def can_answer(user: User | None) -> bool:
    return user is not None and user.has_role(Role.REVIEWER)


def answer(
    session: Session,
    actor: User | None,
    spec: Spec,
    item_key: str,
    state: str,
    note: str = "",
    *,
    area: str | None = None,
) -> ChecklistAnswer:
    """Record a reviewer's answer (a new row; earlier answers stay in the history)."""
    if not can_answer(actor):
        raise PermissionDenied(
            "Only reviewers answer the checklist. Operators can comment instead; ask an admin for the reviewer role."
        )
    assert actor is not None
    tmpl = templates.latest()
    item = tmpl.item(item_key)
    if area is not None and area != item.area:
        allowed = ", ".join(a.key for a in tmpl.areas)
        raise InvalidInput(
            f"Item '{item_key}' is in area '{item.area}', not '{area}'. Areas: {allowed}.", {"area": area}
        )
    if state not in STATES:
        raise InvalidInput(f"Unknown state '{state}'. Allowed: {', '.join(STATES)}.", {"state": state})
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"The note is {len(note)} characters; the limit is {MAX_NOTE_CHARS}.", {"note": "too long"})
    if state in ("concern", "missing") and not note:
        raise InvalidInput(
            f"Say why in the note: a '{state}' answer tells the authors what to add or fix.", {"note": "required"}
        )
    ensure_template(session, tmpl)
    revisions = list(session.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id)))
    revision = current_revision(revisions)
    prefilled = _latest_by_item(session, spec.id, source="prefill").get(item_key)
    evidence_section = (prefilled.evidence or {}).get("section", "") if prefilled else ""
    path, text = _resting_text(item, SpecText(_sections(revision)), evidence_section)
    row = ChecklistAnswer(
        spec_id=spec.id,
        template_version=tmpl.version,
        item_key=item_key,
        state=state,
        source="reviewer",
        note=note,
        evidence=prefilled.evidence if prefilled else None,
        concerns=[],
        author_id=actor.id,
        revision_id=revision.id if revision else None,
        section_path=path,
        section_hash=_digest(text),
    )
    session.add(row)
    session.flush()
    spec.last_activity_at = now()
    events.record(
        session,
        events.EventKind.CHECKLIST_ANSWERED,
        project_id=spec.project_id,
        spec_id=spec.id,
        actor_id=actor.id,
        item=item_key,
        state=state,
        answer_id=row.id,
    )
    summarize(session, spec, tmpl, revisions)
    return row


# --- reading -------------------------------------------------------------------


@dataclass
class AnswerView:
    id: int
    state: str
    source: str
    note: str
    author: str | None
    at: datetime
    revision_id: int | None
    template_version: int


@dataclass
class ItemView:
    key: str
    area: str
    title: str
    question: str
    guidance: str
    state: str  # effective: the reviewer's answer, else the prefill
    confirmed: bool  # a reviewer answered (else the prefill is shown as such)
    note: str
    evidence: dict[str, str] | None
    concerns: list[dict[str, object]]
    answered_by: str | None
    answered_at: datetime | None
    prefill_state: str | None
    required: bool = True
    stale: bool = False
    diff: list[str] = field(default_factory=list)
    history: list[AnswerView] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        """Missing or concern; an optional item only once a reviewer says so (or a cross-check does)."""
        if not self.confirmed and self.concerns:
            return True
        if self.state not in GAP_STATES:
            return False
        return self.required or self.confirmed

    @property
    def counts(self) -> bool:
        """Whether the item counts in the score: required, or optional but answered."""
        return self.required or self.confirmed or self.state not in GAP_STATES


@dataclass
class AreaView:
    key: str
    title: str
    items: list[ItemView]


@dataclass
class ChecklistView:
    template_version: int
    latest_version: int
    areas: list[AreaView]
    score: int
    note: str | None

    @property
    def items(self) -> list[ItemView]:
        return [i for a in self.areas for i in a.items]

    @property
    def gaps(self) -> list[ItemView]:
        return [i for i in self.items if i.is_gap]

    @property
    def stale(self) -> list[ItemView]:
        return [i for i in self.items if i.stale]

    def by_section(self) -> dict[str, list[ItemView]]:
        """Items grouped by the heading their evidence quotes (for badges beside headings)."""
        grouped: dict[str, list[ItemView]] = defaultdict(list)
        for item in self.items:
            if item.evidence and item.evidence.get("section"):
                grouped[item.evidence["section"].split(" > ")[-1]].append(item)
        return grouped


def checklist_view(session: Session, spec: Spec, revisions: list[SpecRevision]) -> ChecklistView:
    """Everything the checklist panel and the API show, from one query for the answers."""
    tmpl = templates.latest()
    rows = list(
        session.execute(
            select(ChecklistAnswer, User.username, User.display_name)
            .outerjoin(User, User.id == ChecklistAnswer.author_id)
            .where(ChecklistAnswer.spec_id == spec.id)
            .order_by(ChecklistAnswer.id)
        )
    )
    history: dict[str, list[tuple[ChecklistAnswer, str | None]]] = defaultdict(list)
    for row, username, display in rows:
        history[row.item_key].append((row, display or username))
    revision = current_revision(revisions)
    by_id = {r.id: r for r in revisions}
    spec_text = SpecText(_sections(revision))
    used_version = max((r.template_version for r, _ in (h[-1] for h in history.values() if h)), default=tmpl.version)
    areas: list[AreaView] = []
    for area in tmpl.areas:
        views = []
        for item in area.items:
            views.append(_item_view(item, history.get(item.key, []), revision, by_id, spec_text))
        areas.append(AreaView(key=area.key, title=area.title, items=views))
    all_items = [i for a in areas for i in a.items]
    score = _score(all_items)
    note = None
    if revision is None:
        note = "No spec document has been imported yet, so nothing could be prefilled. Reviewers can still answer."
    elif all_items and all(i.prefill_state in (None, "missing") for i in all_items):
        note = (
            "No recognisable sections: the spec has none of the headings this checklist looks for, so every item "
            "is missing. Reviewers can still answer each item."
        )
    return ChecklistView(
        template_version=used_version, latest_version=tmpl.version, areas=areas, score=score, note=note
    )


def _item_view(
    item: Item,
    rows: list[tuple[ChecklistAnswer, str | None]],
    revision: SpecRevision | None,
    revisions: dict[int, SpecRevision],
    spec_text: SpecText,
) -> ItemView:
    prefills = [r for r, _ in rows if r.source == "prefill"]
    reviewed = [(r, who) for r, who in rows if r.source == "reviewer"]
    latest_prefill = prefills[-1] if prefills else None
    current, who = reviewed[-1] if reviewed else (latest_prefill, None)
    view = ItemView(
        key=item.key,
        area=item.area,
        title=item.title,
        question=item.question,
        guidance=item.guidance,
        state=current.state if current else "missing",
        confirmed=bool(reviewed),
        note=current.note if current and reviewed else "",
        evidence=(latest_prefill.evidence if latest_prefill else None),
        concerns=list(latest_prefill.concerns) if latest_prefill else [],
        answered_by=who,
        answered_at=current.created_at if current else None,
        prefill_state=latest_prefill.state if latest_prefill else None,
        required=item.required,
        history=[
            AnswerView(
                id=r.id,
                state=r.state,
                source=r.source,
                note=r.note,
                author=w,
                at=r.created_at,
                revision_id=r.revision_id,
                template_version=r.template_version,
            )
            for r, w in rows
        ],
    )
    if reviewed and revision is not None:
        answer_row = reviewed[-1][0]
        evidence_section = (answer_row.evidence or {}).get("section", "")
        _, now_text = _resting_text(item, spec_text, evidence_section)
        if answer_row.revision_id != revision.id and answer_row.section_hash != _digest(now_text):
            view.stale = True
            old_revision = revisions.get(answer_row.revision_id or -1)
            old_text = (
                _resting_text(item, SpecText(_sections(old_revision)), evidence_section)[1] if old_revision else ""
            )
            view.diff = list(
                difflib.unified_diff(
                    old_text.splitlines(),
                    now_text.splitlines(),
                    fromfile=f"{old_revision.path if old_revision else 'earlier'} (answered)",
                    tofile=f"{revision.path} (now)",
                    lineterm="",
                    n=2,
                )
            )[:400]
    return view


def _score(items: list[ItemView]) -> int:
    """Percentage of the counted items (required, or optional and answered) without a gap."""
    counted = [i for i in items if i.counts or i.is_gap]
    if not counted:
        return 0
    return round(100 * sum(1 for i in counted if not i.is_gap) / len(counted))


def summarize(
    session: Session, spec: Spec, tmpl: Template | None = None, revisions: list[SpecRevision] | None = None
) -> ChecklistSummary:
    """Recompute the spec's score and gap rows from its current answers (``revisions`` if already loaded)."""
    tmpl = tmpl or templates.latest()
    if revisions is None:
        revisions = list(session.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id)))
    view = checklist_view(session, spec, revisions)
    summary = session.get(ChecklistSummary, spec.id)
    if summary is None:
        summary = ChecklistSummary(spec_id=spec.id, template_version=view.template_version, score=0, gap_count=0)
        session.add(summary)
    summary.template_version = view.template_version
    summary.score = view.score
    summary.gap_count = len(view.gaps)
    summary.reviewed_count = sum(1 for i in view.items if i.confirmed)
    summary.stale_count = len(view.stale)
    summary.updated_at = now()
    session.execute(delete(ChecklistGap).where(ChecklistGap.spec_id == spec.id))
    for item in view.gaps:
        kind = "missing" if item.state == "missing" else "concern"
        session.add(ChecklistGap(spec_id=spec.id, item_key=item.key, kind=kind))
    session.flush()
    return summary


def recheck(session: Session, actor: User | None, spec: Spec) -> Prefill | None:
    """Prefill again against the newest template version (reviewers, after a template change)."""
    if not can_answer(actor):
        raise PermissionDenied("Only reviewers can re-check a spec against the newest checklist.")
    result = refresh_prefill(session, spec, tmpl=templates.latest())
    events.record(
        session,
        events.EventKind.CHECKLIST_RECHECKED,
        project_id=spec.project_id,
        spec_id=spec.id,
        actor_id=actor.id if actor else None,
        template_version=templates.latest().version,
    )
    return result


def refresh_all(session: Session, project_id: int | None = None) -> int:
    """Prefill every spec (or a project's); for back-fills and after a template change."""
    stmt = select(Spec)
    if project_id is not None:
        stmt = stmt.where(Spec.project_id == project_id)
    count = 0
    for spec in session.scalars(stmt).all():
        refresh_prefill(session, spec)
        count += 1
    # Scores may have changed everywhere: one event says so (pages cached on the event id notice).
    events.record(session, events.EventKind.CHECKLIST_REFRESHED, project_id=project_id, specs=count,
                  template_version=templates.latest().version)
    return count
