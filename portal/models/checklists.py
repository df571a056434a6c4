"""Checklist templates as stored, every answer ever given, and each spec's summary.

Answers are history: a change is a new ``ChecklistAnswer`` row, never an
update. Each answer is pinned to the spec revision it was given on and to
the hash of the section it rests on, so a later revision that changes that
section marks it stale while answers on unchanged sections stay valid.
``ChecklistSummary`` and ``ChecklistGap`` are derived from the answers (see
portal.checklist.service.summarize) so list pages can show and filter gaps
with one indexed query.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now
from portal.db.base import Base, StrEnumColumn


class AnswerState(StrEnum):
    """A checklist answer's state."""

    ADDRESSED = "addressed"
    NONE = "none"
    MISSING = "missing"
    CONCERN = "concern"
    NOT_APPLICABLE = "n/a"


class AnswerSource(StrEnum):
    PREFILL = "prefill"
    REVIEWER = "reviewer"


class GapKind(StrEnum):
    MISSING = "missing"
    CONCERN = "concern"


ANSWER_STATES = tuple(s.value for s in AnswerState)
_STATES_SQL = ", ".join(f"'{s}'" for s in ANSWER_STATES)


class ChecklistTemplate(Base):
    """A template version as it was when first used (the YAML may later be edited by mistake)."""

    __tablename__ = "checklist_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)


class ChecklistAnswer(Base):
    __tablename__ = "checklist_answers"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES_SQL})", name="state"),
        CheckConstraint("source IN ('prefill', 'reviewer')", name="source"),
        Index("ix_checklist_answers_spec_id_item_key_id", "spec_id", "item_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"))
    template_version: Mapped[int] = mapped_column(ForeignKey("checklist_templates.version"))
    item_key: Mapped[str] = mapped_column(String(40))
    state: Mapped[AnswerState] = mapped_column(StrEnumColumn(AnswerState, 16))
    source: Mapped[AnswerSource] = mapped_column(StrEnumColumn(AnswerSource, 16))
    note: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any] | None] = mapped_column()  # {"section", "quote"}
    concerns: Mapped[list[Any]] = mapped_column(default=list)  # [{"rule", "message", "quotes"}]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("spec_revisions.id", ondelete="SET NULL"))
    # The heading path of the section the answer rests on, and that section's
    # text hash at the revision: what staleness is judged against.
    section_path: Mapped[list[Any]] = mapped_column(default=list)
    section_hash: Mapped[str | None] = mapped_column(String(64))
    # Whether the item applies to the spec (prefill rows; None: applies, as before v2)
    # and why, or why not: {"section", "quote"}.
    applies: Mapped[bool | None] = mapped_column(Boolean)
    applies_because: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)


class ChecklistSummary(Base):
    """Per spec: the operability score and gap count of its current answers."""

    __tablename__ = "checklist_summaries"

    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"), primary_key=True)
    template_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)  # 0-100
    gap_count: Mapped[int] = mapped_column(Integer)
    reviewed_count: Mapped[int] = mapped_column(Integer, default=0)
    stale_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class ChecklistGap(Base):
    """One gap (missing or concern) of a spec's current checklist; filterable by item."""

    __tablename__ = "checklist_gaps"
    __table_args__ = (Index("ix_checklist_gaps_item_key_spec_id", "item_key", "spec_id"),)

    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[GapKind] = mapped_column(StrEnumColumn(GapKind, 16))
