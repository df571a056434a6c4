"""External comments in bulk: a page of Gerrit review messages stored in a handful of statements.

``portal.discussion.service.import_comment`` stores one external comment
(one query to find it, one INSERT, one event); a first Gerrit import brings
tens of thousands, and one ORM round trip per comment and per event cost
more than fetching and parsing them. This module keeps the same rules —
keyed by ``(source, external_id)`` so nothing is stored twice, the body
checked and rendered once at write time, the spec's last activity moved, a
``comment.added`` event per comment in the same transaction — for a whole
batch at once: one query for the ids already stored, one INSERT, one query
for the new ids, one INSERT of events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal import events
from portal.discussion.service import MAX_COMMENT_CHARS
from portal.markup import render_markdown
from portal.models import Comment, CommentSource, Spec

CHUNK = 500  # ids per IN (...): well under every database's bound-parameter limit


@dataclass(frozen=True)
class ExternalComment:
    spec: Spec
    source: CommentSource
    external_id: str
    author_name: str
    body: str  # already cut to MAX_COMMENT_CHARS by the importer
    created_at: datetime
    url: str | None = None
    patch_set: int | None = None
    file_line: str | None = None


def stored_ids(session: Session, source: CommentSource, external_ids: Iterable[str]) -> set[str]:
    """Which of ``external_ids`` are stored already (one query per :data:`CHUNK` ids)."""
    wanted = list(dict.fromkeys(external_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(session.scalars(select(Comment.external_id).where(
            Comment.source == source.value, Comment.external_id.in_(wanted[start:start + CHUNK]))))
    return found


def import_comments(session: Session, comments: Sequence[ExternalComment], *, stored: set[str] | None = None) -> int:
    """Insert the comments not stored yet; return how many were new. ``stored``: ids known to be in already."""
    by_source: dict[CommentSource, list[ExternalComment]] = {}
    for comment in comments:
        by_source.setdefault(comment.source, []).append(comment)
    added = 0
    for source, items in by_source.items():
        have = stored_ids(session, source, (c.external_id for c in items)) | (stored or set())
        fresh: dict[str, ExternalComment] = {}
        for comment in items:
            text = comment.body.strip()
            if comment.external_id in have or comment.external_id in fresh or not text:
                continue
            fresh[comment.external_id] = comment
        if not fresh:
            continue
        rendered: dict[str, str] = {}  # the same text (a bot's boilerplate) is rendered once
        rows = []
        for comment in fresh.values():
            text = comment.body.strip()[:MAX_COMMENT_CHARS]
            html = rendered.get(text)
            if html is None:
                html = rendered[text] = render_markdown(text)
            rows.append({
                "spec_id": comment.spec.id, "source": source.value, "external_id": comment.external_id,
                "author_name": comment.author_name[:200], "body": text, "body_html": html, "url": comment.url,
                "patch_set": comment.patch_set, "file_line": comment.file_line, "created_at": comment.created_at,
            })
            spec = comment.spec
            if spec.last_activity_at is None or comment.created_at > spec.last_activity_at:
                spec.last_activity_at = comment.created_at
        session.execute(insert(Comment), rows)
        ids: dict[str, int] = {}
        keys = list(fresh)
        for start in range(0, len(keys), CHUNK):
            for external_id, comment_id in session.execute(select(Comment.external_id, Comment.id).where(
                    Comment.source == source.value, Comment.external_id.in_(keys[start:start + CHUNK]))):
                if external_id is not None:
                    ids[external_id] = comment_id
        for project_id, group in _by_project(fresh.values()).items():
            events.record_many(session, events.EventKind.COMMENT_ADDED, (
                (c.spec.id, {"comment_id": ids[c.external_id], "source": source.value}) for c in group
            ), project_id=project_id)
        added += len(fresh)
    return added


def _by_project(comments: Iterable[ExternalComment]) -> dict[int, list[ExternalComment]]:
    groups: dict[int, list[ExternalComment]] = {}
    for comment in comments:
        groups.setdefault(comment.spec.project_id, []).append(comment)
    return groups
