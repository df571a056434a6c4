"""Writes to the discussion: portal comments, links to outside discussions, moderation, imported comments.

Comment bodies are Markdown, rendered and sanitised once here (at write
time), so pages only print stored HTML. External comments (Gerrit,
Launchpad, links) are keyed by ``(source, external_id)``: importing the same
one twice changes nothing.

The user-facing writes (:func:`add_comment`, :func:`add_link_comment`,
:func:`edit_comment`, :func:`delete_comment`, :func:`hide_comment`,
:func:`show_comment`) ask ``portal.permissions`` themselves, so no caller can
skip a rule; each records its event in the caller's transaction. Deleting is
soft: the row stays (its thread keeps its place) but its text moves to the
audit log.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal import events, permissions
from portal.audit import audit
from portal.clock import now
from portal.discussion.mentions import mentioned_names, record_mentions
from portal.discussion.ratelimit import PostingLimit, check_posting_rate
from portal.errors import InvalidInput, NotFound
from portal.markup import render_markdown
from portal.models import Comment, CommentEdit, CommentSource, Project, Spec, User

MAX_COMMENT_CHARS = 20_000
MAX_LINK_TITLE_CHARS = 300
MAX_URL_CHARS = 1000
MAX_HIDE_REASON_CHARS = 500


def _check_body(body: str, what: str = "comment") -> str:
    text = body.strip()
    if not text:
        raise InvalidInput(f"The {what} is empty: write something before posting.", {"body": "required"})
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidInput(
            f"The {what} is {len(text)} characters long; the limit is {MAX_COMMENT_CHARS}. "
            "Shorten it, or link to a longer document instead.",
            {"body": "too long"},
        )
    return text


def _check_link(url: str, title: str) -> tuple[str, str]:
    url, title = url.strip(), " ".join(title.split())
    parts = urlsplit(url)
    if not url:
        raise InvalidInput("Give the address of the discussion (an IRC log, a mailing-list thread, an etherpad).",
                           {"url": "required"})
    if len(url) > MAX_URL_CHARS or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(
            f"The discussion's address must be an http:// or https:// URL of at most {MAX_URL_CHARS} characters, "
            f"e.g. https://meetings.opendev.org/meetings/nova/2026/…; '{url[:60]}' is not.",
            {"url": "invalid"},
        )
    if not title:
        raise InvalidInput("Give the discussion a title, e.g. 'nova meeting 2026-11-20'.", {"title": "required"})
    if len(title) > MAX_LINK_TITLE_CHARS:
        raise InvalidInput(f"The title is {len(title)} characters long; keep it under {MAX_LINK_TITLE_CHARS}.",
                           {"title": "too long"})
    return url, title


def _touch(spec: Spec, at: datetime) -> None:
    if spec.last_activity_at is None or at > spec.last_activity_at:
        spec.last_activity_at = at


def get_comment(session: Session, comment_id: int) -> tuple[Comment, Spec]:
    """A comment with its spec (and the spec's project), or :class:`NotFound`."""
    row = session.execute(
        select(Comment, Spec).join(Spec, Spec.id == Comment.spec_id).where(Comment.id == comment_id)
    ).first()
    if row is None:
        raise NotFound(f"No comment {comment_id}. It may have been removed with its spec; open the spec's page.")
    comment, spec = row
    return comment, spec


def project_of(session: Session, spec: Spec) -> Project:
    project = session.get(Project, spec.project_id)
    assert project is not None
    return project


def _parent(session: Session, spec: Spec, in_reply_to: int | None) -> Comment | None:
    if in_reply_to is None:
        return None
    parent = session.get(Comment, in_reply_to)
    if parent is None or parent.spec_id != spec.id:
        raise InvalidInput(
            f"Comment {in_reply_to} is not part of this spec's discussion; reply to a comment shown on its page, "
            "or leave in_reply_to empty to start a thread.",
            {"in_reply_to": "unknown"},
        )
    if parent.deleted_at is not None or parent.hidden_at is not None:
        raise InvalidInput(
            f"Comment {in_reply_to} was {'deleted' if parent.deleted_at else 'hidden by a moderator'}; "
            "reply to another comment of the thread, or start a new thread.",
            {"in_reply_to": "gone"},
        )
    return parent


def _new_comment(
    session: Session, actor: User, spec: Spec, *, source: CommentSource, text: str, parent: Comment | None,
    created_at: datetime | None = None, external_id: str | None = None, url: str | None = None,
    link_title: str | None = None,
) -> Comment:
    comment = Comment(
        spec_id=spec.id,
        source=source.value,
        external_id=external_id,
        author_id=actor.id,
        author_name=actor.name_shown,
        body=text,
        body_html=render_markdown(text),
        url=url,
        link_title=link_title,
        in_reply_to_id=parent.id if parent else None,
        thread_id=parent.root_id if parent else None,
        created_at=created_at or now(),
    )
    session.add(comment)
    session.flush()
    _touch(spec, comment.created_at)
    events.record(session, events.EventKind.COMMENT_ADDED, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id, comment_id=comment.id, source=comment.source)
    record_mentions(session, actor, spec, comment)
    return comment


def add_comment(
    session: Session, actor: User, spec: Spec, body: str, *, in_reply_to: int | None = None,
    limit: PostingLimit | None = None, created_at: datetime | None = None, external_id: str | None = None,
) -> Comment:
    """A comment written in the portal by ``actor``, starting a thread or answering ``in_reply_to``.

    ``limit``: the posting rate the web and the API enforce (the demo loader passes none).
    """
    permissions.require(permissions.can_comment(actor, spec))
    text = _check_body(body)
    parent = _parent(session, spec, in_reply_to)
    if limit is not None:
        check_posting_rate(session, actor, limit)
    return _new_comment(session, actor, spec, source=CommentSource.PORTAL, text=text, parent=parent,
                        created_at=created_at, external_id=external_id)


def add_link_comment(
    session: Session, actor: User, spec: Spec, *, url: str, title: str, summary: str,
    in_reply_to: int | None = None, limit: PostingLimit | None = None,
) -> Comment:
    """Record an outside discussion (IRC log, mailing-list thread, etherpad): its address, title, salient points."""
    permissions.require(permissions.can_comment(actor, spec))
    url, title = _check_link(url, title)
    text = _check_body(summary, "summary of the discussion")
    parent = _parent(session, spec, in_reply_to)
    if limit is not None:
        check_posting_rate(session, actor, limit)
    return _new_comment(session, actor, spec, source=CommentSource.LINK, text=text, parent=parent, url=url,
                        link_title=title)


def edit_comment(
    session: Session, actor: User, comment: Comment, spec: Spec, body: str, *,
    url: str | None = None, title: str | None = None,
) -> bool:
    """Replace the text (and, for a link, its address and title); the old version joins the edit history.

    Returns whether anything changed: the same text again records nothing.
    Users newly ``@mentioned`` by the new text get a mention event; the others were told already.
    """
    permissions.require(permissions.can_edit_comment(actor, comment))
    text = _check_body(body)
    new_url, new_title = comment.url, comment.link_title
    if comment.source == CommentSource.LINK.value:
        new_url, new_title = _check_link(url if url is not None else comment.url or "",
                                         title if title is not None else comment.link_title or "")
    if (text, new_url, new_title) == (comment.body, comment.url, comment.link_title):
        return False
    at = now()
    session.add(CommentEdit(
        comment_id=comment.id, body=comment.body, body_html=comment.body_html, link_title=comment.link_title,
        url=comment.url, written_at=comment.edited_at or comment.created_at, replaced_at=at, edited_by_id=actor.id,
    ))
    before = mentioned_names(comment.body)
    comment.body, comment.body_html = text, render_markdown(text)
    comment.url, comment.link_title = new_url, new_title
    comment.edited_at = at
    session.flush()
    _touch(spec, at)
    events.record(session, events.EventKind.COMMENT_EDITED, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id, comment_id=comment.id)
    record_mentions(session, actor, spec, comment, already=before)
    return True


def delete_comment(session: Session, actor: User, comment: Comment, spec: Spec, *, address: str = "") -> None:
    """Soft delete: the row keeps its place in the thread, its text (and earlier versions) go to the audit log."""
    project = project_of(session, spec)
    permissions.require(permissions.can_delete_comment(actor, comment, project))
    earlier = list(session.scalars(
        select(CommentEdit.body).where(CommentEdit.comment_id == comment.id).order_by(CommentEdit.id)
    ))
    audit(session, actor, "comment.deleted", target_type="comment", target_id=comment.id, address=address,
          spec=f"{project.name}/{spec.name}", source=comment.source, author=comment.author_name,
          by="author" if actor.id == comment.author_id else "moderator",
          body=comment.body, link_title=comment.link_title, url=comment.url, earlier_versions=earlier)
    session.execute(delete(CommentEdit).where(CommentEdit.comment_id == comment.id))
    comment.deleted_at = now()
    comment.body, comment.body_html = "", ""
    if comment.source == CommentSource.LINK.value:
        comment.link_title = None
    session.flush()
    events.record(session, events.EventKind.COMMENT_DELETED, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id, comment_id=comment.id)


def hide_comment(
    session: Session, actor: User, comment: Comment, spec: Spec, *, reason: str = "", address: str = ""
) -> bool:
    """Hide a comment from readers (spam, abuse); moderators still see it, marked. False: it was hidden already."""
    project = project_of(session, spec)
    permissions.require(permissions.can_hide_comment(actor, comment, project))
    reason = " ".join(reason.split())
    if len(reason) > MAX_HIDE_REASON_CHARS:
        raise InvalidInput(f"The reason is {len(reason)} characters long; keep it under {MAX_HIDE_REASON_CHARS}.",
                           {"reason": "too long"})
    if comment.hidden_at is not None:
        return False
    comment.hidden_at, comment.hidden_by_id, comment.hidden_reason = now(), actor.id, reason or None
    audit(session, actor, "comment.hidden", target_type="comment", target_id=comment.id, address=address,
          spec=f"{project.name}/{spec.name}", reason=reason)
    session.flush()
    events.record(session, events.EventKind.COMMENT_HIDDEN, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id, comment_id=comment.id, reason=reason)
    return True


def show_comment(session: Session, actor: User, comment: Comment, spec: Spec, *, address: str = "") -> bool:
    """Undo :func:`hide_comment`. False: it was not hidden."""
    project = project_of(session, spec)
    permissions.require(permissions.can_hide_comment(actor, comment, project))
    if comment.hidden_at is None:
        return False
    comment.hidden_at, comment.hidden_by_id, comment.hidden_reason = None, None, None
    audit(session, actor, "comment.shown", target_type="comment", target_id=comment.id, address=address,
          spec=f"{project.name}/{spec.name}")
    session.flush()
    events.record(session, events.EventKind.COMMENT_SHOWN, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id, comment_id=comment.id)
    return True


def edit_history(session: Session, comment: Comment) -> list[CommentEdit]:
    """The comment's earlier versions, oldest first (empty for a deleted comment: its text is gone)."""
    if comment.deleted_at is not None:
        return []
    return list(session.scalars(
        select(CommentEdit).where(CommentEdit.comment_id == comment.id).order_by(CommentEdit.id)
    ))


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
