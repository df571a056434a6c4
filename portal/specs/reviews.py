"""The review story of a spec, as its page shows it: each Gerrit change, its patch sets, who voted what, who
approved it, when, and why (the approver's own message). Two queries, whatever the number of changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from portal.models import (
    Comment,
    CommentSource,
    GerritChange,
    GerritChangeSpec,
    ImplementationChange,
    Spec,
    SpecRevision,
)


@dataclass(frozen=True)
class LabelVote:
    label: str
    value: int
    date: str | None = None

    @property
    def negative_review(self) -> bool:
        """A -1/-2 Code-Review: the page makes it stand out."""
        return self.label == "Code-Review" and self.value < 0


@dataclass(frozen=True)
class Reviewer:
    name: str
    votes: tuple[LabelVote, ...]


@dataclass(frozen=True)
class PatchSet:
    number: int
    path: str
    seen_at: datetime  # when BOB stored its text
    uploaded_at: datetime | None = None  # when Gerrit says it was uploaded (None: stored before BOB kept it)

    @property
    def date(self) -> datetime:
        """The date the page shows: Gerrit's upload time, else (older rows) when BOB stored it."""
        return self.uploaded_at or self.seen_at

    @property
    def date_is_upload(self) -> bool:
        return self.uploaded_at is not None


@dataclass
class ReviewStory:
    change: GerritChange
    patch_sets: list[PatchSet] = field(default_factory=list)
    reviewers: list[Reviewer] = field(default_factory=list)
    why_html: str | None = None  # the approving reviewer's message, rendered and sanitised at import
    why_url: str | None = None
    unreadable: list[tuple[str, int]] = field(default_factory=list)  # (path, patch set) Gerrit answered 404 for

    @property
    def has_negative_review(self) -> bool:
        return any(v.negative_review for r in self.reviewers for v in r.votes)


def reviewers_of(labels: list[Any]) -> list[Reviewer]:
    """``GerritChange.labels`` (Gerrit's latest vote per reviewer and label) grouped by reviewer."""
    by: dict[str, list[LabelVote]] = {}
    for vote in labels:
        if isinstance(vote, dict) and isinstance(vote.get("value"), int):
            by.setdefault(str(vote.get("by") or "?"), []).append(
                LabelVote(str(vote.get("label", "")), int(vote["value"]), vote.get("date")))
    return [Reviewer(name, tuple(sorted(votes, key=lambda v: v.label))) for name, votes in sorted(by.items())]


def review_story(session: Session, spec: Spec, revisions: list[SpecRevision]) -> list[ReviewStory]:
    """Every change of ``spec`` (newest first); ``revisions`` are the spec's, already loaded."""
    linked = select(GerritChangeSpec.gerrit_change_id).where(GerritChangeSpec.spec_id == spec.id)
    changes = list(session.scalars(
        select(GerritChange)
        .where(or_(GerritChange.spec_id == spec.id, GerritChange.id.in_(linked)))
        .order_by(GerritChange.updated_at.desc(), GerritChange.id.desc())
    ))
    if not changes:
        return []
    approvals = [c for c in changes if c.approved_by and c.approved_at]
    why: dict[tuple[int, str, datetime], Comment] = {}
    if approvals:
        rows = session.scalars(select(Comment).where(
            Comment.source == CommentSource.GERRIT.value,
            Comment.deleted_at.is_(None),
            or_(false(), *(and_(Comment.spec_id == c.spec_id, Comment.author_name == c.approved_by,
                                Comment.created_at == c.approved_at) for c in approvals)),
        ))
        for comment in rows:
            why[(comment.spec_id, comment.author_name, comment.created_at)] = comment
    stories = []
    for change in changes:
        story = ReviewStory(change=change, reviewers=reviewers_of(change.labels or []))
        story.patch_sets = sorted(
            (PatchSet(r.patch_set, r.path, r.created_at, r.uploaded_at) for r in revisions
             if r.source == "gerrit" and r.change_number == change.change_number and r.patch_set is not None),
            key=lambda p: (p.number, p.path),
        )
        story.unreadable = [(str(f.get("path")), int(f.get("patch_set") or 0)) for f in change.unreadable_files or []
                            if isinstance(f, dict)]
        if change.approved_by and change.approved_at:
            reason = why.get((change.spec_id, change.approved_by, change.approved_at))
            if reason is not None:
                story.why_html, story.why_url = reason.body_html, reason.url
        stories.append(story)
    return stories


def implementation_progress(session: Session, spec: Spec) -> list[ImplementationChange]:
    """The code changes that implement ``spec``, newest first (one query)."""
    return list(session.scalars(
        select(ImplementationChange).where(ImplementationChange.spec_id == spec.id)
        .order_by(ImplementationChange.updated_at.desc(), ImplementationChange.id.desc())
    ))
