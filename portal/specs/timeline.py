"""A spec's timeline: comment threads of every source, imported revisions and Gerrit changes, in pages.

A busy spec has hundreds of comments; rendering all of them made its page
cost about 0.04 ms per comment. So the timeline is read a page at a time:
one query orders the keys of everything that happened and picks the page's
slice, and one more loads only the comments on that page. Revisions and
Gerrit changes are already loaded with the spec.

The unit of a page is a *thread*: a comment that starts one, with every
reply to it (``Comment.thread_id`` names the first comment; replies to
replies join the same thread). Threads are ordered by their newest visible
comment, so an answer to an old question brings the question back to the
top, and a reply is never separated from what it answers by a page break.
A revision or a Gerrit change is a thread of its own. Deleted comments and,
for readers who do not moderate, hidden ones are not shown; a thread whose
first comment is gone but whose replies are not keeps a placeholder in its
place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import escape
from sqlalchemy import ColumnElement, and_, distinct, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from portal.errors import InvalidInput
from portal.models import Acknowledgement, Comment, GerritChange, Spec, SpecRevision, User

PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # the offset must fit a 64-bit integer; no spec has this many entries
# At one instant, newest first reads: the Gerrit change, then the revision it brought, then comments.
_COMMENT, _REVISION, _REVIEW = 0, 1, 2
_ACK = 3  # a PTL's answer to operators' votes ("acknowledged", "planned for <release>")
_ROOT = func.coalesce(Comment.thread_id, Comment.id)

_WHERE = {
    "portal": "commented",
    "launchpad": "wrote on the Launchpad whiteboard",
    "link": "linked a discussion",
}


@dataclass
class TimelineEntry:
    """One thing that happened to a spec, whatever its source; a comment carries its thread's replies."""

    at: datetime
    kind: str  # comment | revision | review
    source: str
    title: str
    body_html: str = ""
    url: str | None = None
    author: str = ""
    anchor: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    comment: Comment | None = None  # the row, for the page's controls (edit, delete, hide, reply)
    replies: list[TimelineEntry] = field(default_factory=list)
    in_reply_to: TimelineEntry | None = None  # for a reply to a reply: the comment it answers
    placeholder: str = ""  # "deleted" / "hidden": the first comment of a thread whose replies are still shown

    @property
    def hidden(self) -> bool:
        return self.comment is not None and self.comment.hidden_at is not None


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    page: int
    per_page: int
    total: int  # top-level entries: threads, revisions, Gerrit changes
    comment_count: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_older(self) -> bool:
        return self.page < self.pages

    @property
    def has_newer(self) -> bool:
        return self.page > 1


def _visible(spec_id: int, moderator: bool) -> ColumnElement[bool]:
    live = and_(Comment.spec_id == spec_id, Comment.deleted_at.is_(None))
    return live if moderator else and_(live, Comment.hidden_at.is_(None))


def timeline_page(
    session: Session, spec: Spec, page: int = 1, per_page: int = PAGE_SIZE, *, moderator: bool = False
) -> TimelinePage:
    """One page of the spec's timeline, newest thread first (``spec`` with revisions and Gerrit changes loaded).

    ``moderator``: the reader moderates this project, so hidden comments are
    shown (marked) instead of left out. Three queries whatever the number of
    comments: the counts, the page's keys, and the page's comments with
    their authors' names.
    """
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"The timeline page must be a whole number from 1 to {MAX_PAGE}.", {"page": str(page)})
    visible = _visible(spec.id, moderator)
    answers = select(func.count()).where(Acknowledgement.spec_id == spec.id).scalar_subquery()
    comments, threads, acks = session.execute(
        select(func.count(), func.count(distinct(_ROOT)), answers).where(visible)
    ).one()
    total = threads + len(spec.revisions) + len(spec.gerrit_changes) + acks
    if (page - 1) * per_page >= total:
        return TimelinePage(entries=[], page=page, per_page=per_page, total=total, comment_count=comments)
    keys = union_all(
        select(func.max(Comment.created_at).label("at"), literal(_COMMENT).label("kind"), _ROOT.label("id"))
        .where(visible)
        .group_by(_ROOT),
        select(SpecRevision.created_at, literal(_REVISION), SpecRevision.id).where(SpecRevision.spec_id == spec.id),
        select(GerritChange.updated_at, literal(_REVIEW), GerritChange.id).where(GerritChange.spec_id == spec.id),
        select(Acknowledgement.created_at, literal(_ACK), Acknowledgement.id).where(Acknowledgement.spec_id == spec.id),
    ).subquery()
    picked = list(
        session.execute(
            select(keys.c.kind, keys.c.id)
            .order_by(keys.c.at.desc(), keys.c.kind.desc(), keys.c.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    threads_by_root = _threads(session, spec.id, [i for kind, i in picked if kind == _COMMENT], moderator)
    revisions = {rev.id: rev for rev in spec.revisions}
    reviews = {change.id: change for change in spec.gerrit_changes}
    ack_ids = [i for kind, i in picked if kind == _ACK]
    answers_by_id = _acknowledgements(session, ack_ids) if ack_ids else {}  # a query only when the page has one
    entries = []
    for kind, key in picked:
        if kind == _COMMENT:
            if key in threads_by_root:
                entries.append(threads_by_root[key])
        elif kind == _REVISION:
            entries.append(_revision_entry(revisions[key]))
        elif kind == _ACK:
            entries.append(answers_by_id[key])
        else:
            entries.append(_review_entry(reviews[key]))
    return TimelinePage(entries=entries, page=page, per_page=per_page, total=total, comment_count=comments)


def _threads(session: Session, spec_id: int, roots: list[int], moderator: bool) -> dict[int, TimelineEntry]:
    """The threads started by ``roots``: each first comment with its visible replies, oldest reply first."""
    if not roots:
        return {}
    rows = session.execute(
        select(Comment, User.username, User.display_name)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.spec_id == spec_id, or_(Comment.id.in_(roots), Comment.thread_id.in_(roots)))
        .order_by(Comment.created_at, Comment.id)
    )
    by_id: dict[int, TimelineEntry] = {}
    threads: dict[int, TimelineEntry] = {}
    for comment, username, display_name in rows:
        entry = _comment_entry(comment, username, display_name)
        by_id[comment.id] = entry
        gone = comment.deleted_at is not None or (comment.hidden_at is not None and not moderator)
        if comment.thread_id is None:
            if gone:
                entry.placeholder = "deleted" if comment.deleted_at is not None else "hidden"
                entry.body_html, entry.url = "", None
            threads[comment.id] = entry
        elif not gone:
            root = threads.get(comment.thread_id)
            if root is None:
                continue
            parent = by_id.get(comment.in_reply_to_id or 0)
            if parent is not None and parent is not root:
                entry.in_reply_to = parent
            root.replies.append(entry)
    return threads


def _comment_entry(comment: Comment, username: str | None, display_name: str | None) -> TimelineEntry:
    who = (display_name or username) if username is not None else comment.author_name or "unknown"
    if comment.source == "gerrit":
        where = "reviewed on Gerrit" + (f" (patch set {comment.patch_set})" if comment.patch_set else "")
    elif comment.in_reply_to_id is not None:
        where = "replied"
    else:
        where = _WHERE.get(comment.source, "wrote")
    return TimelineEntry(
        at=comment.created_at, kind="comment", source=comment.source, title=f"{who} {where}",
        body_html=comment.body_html, url=comment.url, author=who, anchor=f"comment-{comment.id}",
        extra={"file_line": comment.file_line, "link_title": comment.link_title, "username": username},
        comment=comment,
    )


def _acknowledgements(session: Session, ids: list[int]) -> dict[int, TimelineEntry]:
    rows = session.execute(
        select(Acknowledgement, func.coalesce(func.nullif(User.display_name, ""), User.username, ""))
        .outerjoin(User, User.id == Acknowledgement.user_id)
        .where(Acknowledgement.id.in_(ids))
    )
    out = {}
    for ack, by in rows:
        said = f"Planned for {ack.release}" if ack.kind == "planned" else "Acknowledged"
        out[ack.id] = TimelineEntry(
            at=ack.created_at, kind="acknowledgement", source="portal", title=f"{said} by the PTL {by}".rstrip(),
            body_html=str(escape(ack.note)), author=by or "", anchor=f"answer-{ack.id}",
        )
    return out


def _revision_entry(rev: SpecRevision) -> TimelineEntry:
    return TimelineEntry(
        at=rev.created_at,
        kind="revision",
        source=rev.source,
        title=f"Spec file imported: {rev.path} ({rev.release or rev.state}, {rev.state})",
        anchor=f"revision-{rev.id}",
    )


def _review_entry(change: GerritChange) -> TimelineEntry:
    return TimelineEntry(
        at=change.updated_at,
        kind="review",
        source="gerrit",
        title=f"Gerrit change {change.change_number} {change.status.lower()}: {change.subject}",
        url=change.url,
        author=change.owner_name,
        anchor=f"review-{change.change_number}",
    )


def page_of_comment(session: Session, comment: Comment, per_page: int = PAGE_SIZE) -> int:
    """The timeline page (newest first, as :func:`timeline_page` orders it) that shows ``comment``.

    One count query: the entries of the spec that come before the comment
    in the timeline's order (time, then kind, then id, all descending).
    """
    at, cid = comment.created_at, comment.id
    before = union_all(
        select(Comment.id).where(
            Comment.spec_id == comment.spec_id, Comment.deleted_at.is_(None),
            (Comment.created_at > at) | ((Comment.created_at == at) & (Comment.id > cid)),
        ),
        # At the same instant revisions and Gerrit changes come first (their kinds sort above comments').
        select(SpecRevision.id).where(SpecRevision.spec_id == comment.spec_id, SpecRevision.created_at >= at),
        select(GerritChange.id).where(GerritChange.spec_id == comment.spec_id, GerritChange.updated_at >= at),
    ).subquery()
    ahead = int(session.scalar(select(func.count()).select_from(before)) or 0)
    return ahead // per_page + 1
