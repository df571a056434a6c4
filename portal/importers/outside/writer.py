"""The salient-point comment a linked discussion leaves on a spec, written or updated in place.

One comment per (discussion, spec), keyed by an external id derived from
both, so a re-import rewrites the same comment (a ``comment.edited`` event
when its text changed) instead of adding a second. The body is Markdown
built from untrusted text: every piece of it is escaped here and the
rendered HTML is sanitised by :func:`portal.markup.render_markdown`.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.clock import now
from portal.discussion.service import MAX_COMMENT_CHARS
from portal.importers.outside.model import Discussion, Line, LineKind
from portal.markup import render_markdown
from portal.models import Comment, CommentSource, Spec

POINT_KINDS = {LineKind.AGREED: "Agreed", LineKind.ACTION: "Action", LineKind.INFO: "Info",
               LineKind.VOTE: "Vote"}
MAX_POINTS = 20
MAX_DECISIVE = 12  # lines that mention the spec, with one neighbour each side
MAX_LINE_CHARS = 400
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def comment_external_id(discussion_external_id: str, spec_id: int) -> str:
    """The comment's key: readable when short, a hash when the discussion's id is long (a Message-ID)."""
    key = f"{discussion_external_id}|spec:{spec_id}"
    if len(key) <= 200:
        return key
    return f"sha256:{hashlib.sha256(key.encode()).hexdigest()}|spec:{spec_id}"


def escape(text: str) -> str:
    """Text from a log or a mail, shown literally: no Markdown, no HTML, one line."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LINE_CHARS else text[:MAX_LINE_CHARS - 1] + "…"


def _anchor(line: Line) -> str:
    label = f"l-{line.number}" if line.url and "#l-" in line.url else "link"
    return f" ([{label}]({line.url}))" if line.url else ""


def compose(discussion: Discussion, mentions: set[int], reason: str) -> str:
    """The comment's Markdown: title, points, decisive lines with neighbours, who took part, why linked."""
    title = f"**{escape(discussion.title)}**"
    if discussion.url:
        title += f" ([{'log' if discussion.source == 'irc' else 'thread'}]({discussion.url}))"
    parts = [title]
    points = [ln for ln in discussion.lines if ln.kind in POINT_KINDS][:MAX_POINTS]
    if points:
        parts.append("\n".join(f"- **{POINT_KINDS[ln.kind]}:** {escape(_cut(ln.text))} — {escape(ln.author)}"
                               f"{_anchor(ln)}" for ln in points))
    numbers = [ln.number for ln in discussion.lines]
    wanted: set[int] = set()
    first = discussion.lines[0] if discussion.lines else None
    if not mentions or (first is not None and first.kind == LineKind.TOPIC and first.number in mentions):
        # The topic or subject is the spec (or a person linked it): its whole talk is decisive.
        wanted = set(numbers[:2 * MAX_DECISIVE + 1])
    for number in sorted(mentions)[:MAX_DECISIVE]:
        if number in numbers:
            at = numbers.index(number)
            wanted |= {numbers[i] for i in range(max(0, at - 1), min(len(numbers), at + 2))}
    decisive = [ln for ln in discussion.lines if ln.number in wanted and ln.kind not in POINT_KINDS]
    if decisive:
        parts.append("\n".join(
            f"> {ln.at.strftime('%H:%M') + ' ' if ln.at and discussion.source == 'irc' else ''}"
            f"**{escape(ln.author)}:** {escape(_cut(ln.text))}{_anchor(ln)}  " for ln in decisive))
    if discussion.participants:
        parts.append(f"Taking part: {escape(', '.join(discussion.participants))}.")
    parts.append(f"_Linked to this spec by: {escape(reason)}._")
    return "\n\n".join(parts)[:MAX_COMMENT_CHARS]


def write_comment(session: Session, discussion: Discussion, spec: Spec, *, mentions: set[int], reason: str,
                  existing: Comment | None = None, revive: bool = False) -> tuple[Comment, str]:
    """Create or update the comment; return it and what happened: ``added``, ``updated`` or ``same``.

    A comment deleted on the portal stays deleted on re-import; ``revive`` (a link added again by hand)
    brings it back.
    """
    source = CommentSource(discussion.source)
    external_id = comment_external_id(discussion.external_id, spec.id)
    body = compose(discussion, mentions, reason)
    comment = existing if existing is not None else session.scalar(
        select(Comment).where(Comment.source == source.value, Comment.external_id == external_id))
    author = f"{discussion.group} meeting" if source == CommentSource.IRC else discussion.group
    if comment is None:
        comment = Comment(spec_id=spec.id, source=source.value, external_id=external_id, author_name=author[:200],
                          body=body, body_html=render_markdown(body), url=discussion.url,
                          created_at=discussion.started_at)
        session.add(comment)
        session.flush()
        if spec.last_activity_at is None or discussion.started_at > spec.last_activity_at:
            spec.last_activity_at = discussion.started_at
        events.record(session, events.EventKind.COMMENT_ADDED, project_id=spec.project_id, spec_id=spec.id,
                      comment_id=comment.id, source=source.value, title=discussion.title[:300])
        return comment, "added"
    if comment.deleted_at is not None and not revive:
        return comment, "same"
    if comment.body == body and comment.deleted_at is None:
        return comment, "same"
    comment.body, comment.body_html, comment.url = body, render_markdown(body), discussion.url
    comment.deleted_at = None
    comment.edited_at = now()
    session.flush()
    events.record(session, events.EventKind.COMMENT_EDITED, project_id=spec.project_id, spec_id=spec.id,
                  comment_id=comment.id)
    return comment, "updated"
