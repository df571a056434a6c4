"""Checklist writes: the prefill, reviewers' answers, re-checks, and each spec's stored summary.

What pages and the API read (the checklist panel, the list columns) is in
:mod:`portal.checklist.views`; this module only writes, and reuses that view
to recompute the stored summary after each change.

Every change is a new ``ChecklistAnswer`` row (history is never
overwritten). An answer rests on the text of the sections its item is judged
from (the template's headings for the item plus the evidence section); its
hash at the revision it was given on is stored, so when a later revision
changes that text the answer is shown as stale with a section-level diff,
and answers on unchanged sections stay as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from portal import events, permissions
from portal.checklist import template as templates
from portal.checklist.prefill import Prefill, SpecText, prefill
from portal.checklist.resting import digest, resting_text, sections_of
from portal.checklist.template import STATES, Template
from portal.checklist.views import checklist_view
from portal.clock import now
from portal.errors import InvalidInput
from portal.models import (
    ChecklistAnswer,
    ChecklistGap,
    ChecklistSummary,
    ChecklistTemplate,
    Spec,
    SpecRevision,
    User,
)
from portal.specs.service import current_revision

MAX_NOTE_CHARS = 5000
# One PUT answers each item at most a few times; a longer list is a mistake or an attack (openapi.yaml maxItems).
MAX_ANSWERS_PER_REQUEST = 100


def ensure_template(session: Session, tmpl: Template) -> None:
    """Store the template version the first time it is used (answers refer to it)."""
    if session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.version == tmpl.version)) is None:
        digest = hashlib.sha256(repr(tmpl.source).encode()).hexdigest()
        session.add(ChecklistTemplate(version=tmpl.version, name=tmpl.name, content=tmpl.source, content_hash=digest))
        session.flush()


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
    sections = sections_of(revision)
    result = prefill(sections, tmpl)
    spec_text = SpecText(sections)
    latest = _latest_by_item(session, spec.id, source="prefill")
    rows: list[dict[str, Any]] = []  # inserted in one statement: one ORM insert per answer cost a first import dearly
    for item_result in result.items:
        evidence = item_result.evidence.to_dict() if item_result.evidence else None
        concerns = [c.to_dict() for c in item_result.concerns]
        because = item_result.applies_because.to_dict() if item_result.applies_because else None
        previous = latest.get(item_result.key)
        if (
            previous is not None
            and previous.revision_id == revision.id
            and previous.template_version == tmpl.version
            and previous.state == item_result.state
            and previous.evidence == evidence
            and previous.concerns == concerns
            and previous.applies == item_result.applies
            and previous.applies_because == because
        ):
            continue
        path, text = resting_text(tmpl.item(item_result.key), spec_text, evidence["section"] if evidence else "")
        rows.append(
            dict(
                spec_id=spec.id,
                template_version=tmpl.version,
                item_key=item_result.key,
                state=item_result.state,
                source="prefill",
                evidence=evidence,
                concerns=concerns,
                revision_id=revision.id,
                section_path=path,
                section_hash=digest(text),
                applies=item_result.applies,
                applies_because=because,
            )
        )
    if rows:
        session.execute(insert(ChecklistAnswer), rows)
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


@dataclass(frozen=True)
class AnswerInput:
    """One reviewer answer as given: an item key, a state, a note, and optionally the area it should be in."""

    key: str
    state: str
    note: str = ""
    area: str | None = None


class AnswerRejected(InvalidInput):
    """One answer of a batch is invalid; ``index`` says which (nothing of the batch is saved)."""

    def __init__(self, index: int, message: str, fields: dict[str, str]) -> None:
        super().__init__(message, fields)
        self.index = index


def _checked(tmpl: Template, index: int, given: AnswerInput) -> AnswerInput:
    """The answer with its note trimmed, or :class:`AnswerRejected` saying what is wrong and what is allowed."""
    try:
        item = tmpl.item(given.key)
    except InvalidInput as exc:
        raise AnswerRejected(index, exc.message, exc.fields) from exc
    if given.area is not None and given.area != item.area:
        allowed = ", ".join(a.key for a in tmpl.areas)
        raise AnswerRejected(
            index, f"Item '{given.key}' is in area '{item.area}', not '{given.area}'. Areas: {allowed}.",
            {"area": given.area},
        )
    if given.state not in STATES:
        raise AnswerRejected(
            index, f"Unknown state '{given.state}'. Allowed: {', '.join(STATES)}.", {"state": given.state}
        )
    note = (given.note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise AnswerRejected(
            index, f"The note is {len(note)} characters; the limit is {MAX_NOTE_CHARS}.", {"note": "too long"}
        )
    if given.state in ("concern", "missing") and not note:
        raise AnswerRejected(
            index, f"Say why in the note: a '{given.state}' answer tells the authors what to add or fix.",
            {"note": "required"},
        )
    return AnswerInput(key=given.key, state=given.state, note=note, area=given.area)


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
    return answer_many(session, actor, spec, [AnswerInput(key=item_key, state=state, note=note, area=area)])[0]


def answer_many(
    session: Session, actor: User | None, spec: Spec, answers: Sequence[AnswerInput]
) -> list[ChecklistAnswer]:
    """Record several answers at once: all are checked before any is written, then summarized once.

    The cost is linear in the number of answers: the revisions, the prefill
    and the spec text are read once, and the summary (which reads every
    answer of the spec) is recomputed once at the end, not per answer.
    """
    permissions.require(permissions.can_answer_checklist(actor, spec))
    assert actor is not None
    if len(answers) > MAX_ANSWERS_PER_REQUEST:
        raise InvalidInput(
            f"{len(answers)} answers at once is too many; send at most {MAX_ANSWERS_PER_REQUEST} per request.",
            {"answers": "too many"},
        )
    tmpl = templates.latest()
    checked = [_checked(tmpl, index, given) for index, given in enumerate(answers)]
    ensure_template(session, tmpl)
    revisions = list(session.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id)))
    revision = current_revision(revisions)
    prefills = _latest_by_item(session, spec.id, source="prefill")
    spec_text = SpecText(sections_of(revision))
    rows: list[ChecklistAnswer] = []
    for given in checked:
        prefilled = prefills.get(given.key)
        evidence_section = (prefilled.evidence or {}).get("section", "") if prefilled else ""
        path, text = resting_text(tmpl.item(given.key), spec_text, evidence_section)
        row = ChecklistAnswer(
            spec_id=spec.id,
            template_version=tmpl.version,
            item_key=given.key,
            state=given.state,
            source="reviewer",
            note=given.note,
            evidence=prefilled.evidence if prefilled else None,
            concerns=[],
            author_id=actor.id,
            revision_id=revision.id if revision else None,
            section_path=path,
            section_hash=digest(text),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    spec.last_activity_at = now()
    for row in rows:
        events.record(
            session,
            events.EventKind.CHECKLIST_ANSWERED,
            project_id=spec.project_id,
            spec_id=spec.id,
            actor_id=actor.id,
            item=row.item_key,
            state=row.state,
            answer_id=row.id,
        )
    summarize(session, spec, tmpl, revisions)
    return rows


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
    permissions.require(permissions.can_answer_checklist(actor, spec))
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
