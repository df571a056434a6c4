"""Writes to the discussion: portal comments and imported external comments.

Comment bodies are Markdown, rendered and sanitised once here (at write
time), so pages only print stored HTML. External comments (Gerrit,
Launchpad, links) are keyed by ``(source, external_id)``: importing the same
one twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.clock import now
from portal.errors import InvalidInput
from portal.markup import render_markdown
from portal.models import Comment, CommentSource, Spec, User

MAX_COMMENT_CHARS = 20_000


def _check_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise InvalidInput("The comment is empty: write something before posting.", {"body": "required"})
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidInput(
            f"The comment is {len(text)} characters long; the limit is {MAX_COMMENT_CHARS}. "
            "Link to a longer document instead.",
            {"body": "too long"},
        )
    return text


def _touch(spec: Spec, at: datetime) -> None:
    if spec.last_activity_at is None or at > spec.last_activity_at:
        spec.last_activity_at = at


def add_comment(session: Session, actor: User, spec: Spec, body: str, *, created_at: datetime | None = None,
                external_id: str | None = None) -> Comment:
    """A comment written in the portal by ``actor``."""
    text = _check_body(body)
    comment = Comment(
        spec_id=spec.id,
        source=CommentSource.PORTAL.value,
        external_id=external_id,
        author_id=actor.id,
        author_name=actor.name_shown,
        body=text,
        body_html=render_markdown(text),
        created_at=created_at or now(),
    )
    session.add(comment)
    session.flush()
    _touch(spec, comment.created_at)
    events.record(session, events.EventKind.COMMENT_ADDED, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id, comment_id=comment.id, source=comment.source)
    return comment


def import_comment(
    session: Session,
    spec: Spec,
    *,
    source: CommentSource,
    external_id: str,
    author_name: str,
    body: str,
    created_at: datetime,
    url: str | None = None,
    patch_set: int | None = None,
    file_line: str | None = None,
) -> tuple[Comment, bool]:
    """Insert an external comment once; return it and whether it was new."""
    if source == CommentSource.PORTAL:
        raise InvalidInput("Portal comments are written with add_comment, not imported.")
    existing = session.scalar(select(Comment).where(Comment.source == source.value, Comment.external_id == external_id))
    if existing is not None:
        return existing, False
    text = _check_body(body)
    comment = Comment(
        spec_id=spec.id,
        source=source.value,
        external_id=external_id,
        author_name=author_name[:200],
        body=text,
        body_html=render_markdown(text),
        url=url,
        patch_set=patch_set,
        file_line=file_line,
        created_at=created_at,
    )
    session.add(comment)
    session.flush()
    _touch(spec, created_at)
    events.record(session, events.EventKind.COMMENT_ADDED, project_id=spec.project_id, spec_id=spec.id,
                  comment_id=comment.id, source=comment.source)
    return comment, True
