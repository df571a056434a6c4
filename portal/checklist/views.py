"""Read side of the checklist: what the spec page's panel, the API and the spec lists show.

Nothing here writes. :func:`checklist_view` builds one spec's full view
(every item's effective answer, history, staleness and diff) from one query
for its answers; :func:`load_briefs` is the spec lists' loader: the stored
score and gaps of a page of specs, in one query whatever the page size
(``checklist_summaries`` and ``checklist_gaps`` are kept current by
:func:`portal.checklist.service.summarize` after every write).
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from portal.checklist import template as templates
from portal.checklist.prefill import SpecText
from portal.checklist.resting import digest, resting_text, sections_of
from portal.checklist.template import Item
from portal.models import ChecklistAnswer, ChecklistGap, ChecklistSummary, Spec, SpecRevision, User
from portal.specs.service import current_revision

GAP_STATES = ("missing", "concern")


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
    prefill_applies: bool = True  # what the prefill decided (True before template v2)
    applies_because: dict[str, str] | None = None  # why it applies, or why not
    resolved_concerns: list[dict[str, object]] = field(default_factory=list)  # found by the prefill, answered since
    stale: bool = False
    diff: list[str] = field(default_factory=list)
    history: list[AnswerView] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        """Whether the item applies to the spec: the prefill's decision until a reviewer answers (``n/a`` or not)."""
        if self.confirmed:
            return self.state != "n/a"
        return self.prefill_applies

    @property
    def is_gap(self) -> bool:
        """Missing or concern where the item applies; optional items only once a reviewer (or a cross-check) says so."""
        if not self.applies:
            return False
        if not self.confirmed and self.concerns:
            return True
        if self.state not in GAP_STATES:
            return False
        return self.required or self.confirmed

    @property
    def counts(self) -> bool:
        """Whether the item counts in the score: it applies, and is required, or optional but answered."""
        if not self.applies:
            return False
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

    @property
    def checked(self) -> bool:
        """Prefilled or answered at least once (lists show ``null`` before that)."""
        return any(item.history for item in self.items)

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
    spec_text = SpecText(sections_of(revision))
    used_version = max((h[-1][0].template_version for h in history.values() if h), default=tmpl.version)
    areas: list[AreaView] = []
    for area in tmpl.areas:
        views = [_item_view(item, history.get(item.key, []), revision, by_id, spec_text) for item in area.items]
        areas.append(AreaView(key=area.key, title=area.title, items=views))
    all_items = [i for a in areas for i in a.items]
    note = None
    if revision is None:
        note = "No spec document has been imported yet, so nothing could be prefilled. Reviewers can still answer."
    elif all_items and all(i.prefill_state in (None, "missing") for i in all_items):
        note = (
            "No recognisable sections: the spec has none of the headings this checklist looks for, so every item "
            "is missing. Reviewers can still answer each item."
        )
    return ChecklistView(
        template_version=used_version, latest_version=tmpl.version, areas=areas, score=_score(all_items), note=note
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
        # A reviewer's answer resolves the prefill's concerns: they stay visible, as resolved.
        concerns=list(latest_prefill.concerns) if latest_prefill and not reviewed else [],
        resolved_concerns=list(latest_prefill.concerns) if latest_prefill and reviewed else [],
        answered_by=who,
        answered_at=current.created_at if current else None,
        prefill_state=latest_prefill.state if latest_prefill else None,
        required=item.required,
        prefill_applies=latest_prefill.applies is not False if latest_prefill else True,
        applies_because=latest_prefill.applies_because if latest_prefill else None,
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
        _, now_text = resting_text(item, spec_text, evidence_section)
        if answer_row.revision_id != revision.id and answer_row.section_hash != digest(now_text):
            view.stale = True
            old_revision = revisions.get(answer_row.revision_id or -1)
            old_text = (
                resting_text(item, SpecText(sections_of(old_revision)), evidence_section)[1] if old_revision else ""
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


# --- spec lists -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gap:
    key: str  # the checklist item key
    kind: str  # missing | concern


@dataclass(frozen=True, slots=True)
class ChecklistBrief:
    """A spec's stored operability score and gaps, as the lists show them."""

    score: int
    gaps: tuple[Gap, ...]


_BRIEFS = (
    select(ChecklistSummary.spec_id, ChecklistSummary.score, ChecklistGap.item_key, ChecklistGap.kind)
    .outerjoin(ChecklistGap, ChecklistGap.spec_id == ChecklistSummary.spec_id)
    .where(ChecklistSummary.spec_id.in_(bindparam("ids", expanding=True)))
    # missing before concern, then by key: the order the badges show
    .order_by(ChecklistSummary.spec_id, ChecklistGap.kind.desc(), ChecklistGap.item_key)
)


def load_briefs(session: Session, spec_ids: Collection[int]) -> dict[int, ChecklistBrief]:
    """The list loader: score and gaps by spec id, one query; specs never checked are absent."""
    if not spec_ids:
        return {}
    rows = session.execute(_BRIEFS, {"ids": list(spec_ids)})
    scores: dict[int, int] = {}
    gaps: dict[int, list[Gap]] = defaultdict(list)
    for spec_id, score, key, kind in rows:
        scores[spec_id] = score
        if key is not None:
            gaps[spec_id].append(Gap(key, kind))
    return {spec_id: ChecklistBrief(score, tuple(gaps.get(spec_id, ()))) for spec_id, score in scores.items()}
