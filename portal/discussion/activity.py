"""A user's own trail: their comments and their votes, for the "My activity" page (two queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Comment, Project, Spec, User, Vote

MAX_ROWS = 200  # per list; the page says when there are more


@dataclass(frozen=True, slots=True)
class MyComment:
    id: int
    project: str
    spec: str
    spec_title: str
    source: str
    body_html: str
    link_title: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: bool
    is_reply: bool


@dataclass(frozen=True, slots=True)
class MyVote:
    project: str
    spec: str
    spec_title: str
    priority: str
    affects_me: bool
    reason: str
    updated_at: datetime


@dataclass(frozen=True)
class Activity:
    comments: list[MyComment]
    comment_total: int
    votes: list[MyVote]


def activity_of(session: Session, user: User) -> Activity:
    """The user's newest comments (deleted ones marked, their text gone) and every vote they hold."""
    rows = session.execute(
        select(Comment.id, Project.name, Spec.name, Spec.title, Comment.source, Comment.body_html,
               Comment.link_title, Comment.created_at, Comment.edited_at, Comment.deleted_at, Comment.hidden_at,
               Comment.in_reply_to_id, func.count().over())
        .join(Spec, Spec.id == Comment.spec_id)
        .join(Project, Project.id == Spec.project_id)
        .where(Comment.author_id == user.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(MAX_ROWS)
    ).all()
    comments = [
        MyComment(id=r[0], project=r[1], spec=r[2], spec_title=r[3] or r[2], source=r[4], body_html=r[5],
                  link_title=r[6], created_at=r[7], edited_at=r[8], deleted=r[9] is not None,
                  hidden=r[10] is not None, is_reply=r[11] is not None)
        for r in rows
    ]
    votes = [
        MyVote(project=p, spec=s, spec_title=t or s, priority=str(priority), affects_me=affects, reason=reason,
               updated_at=at)
        for p, s, t, priority, affects, reason, at in session.execute(
            select(Project.name, Spec.name, Spec.title, Vote.priority, Vote.affects_me, Vote.reason, Vote.updated_at)
            .join(Spec, Spec.id == Vote.spec_id)
            .join(Project, Project.id == Spec.project_id)
            .where(Vote.user_id == user.id)
            .order_by(Vote.updated_at.desc())
            .limit(MAX_ROWS)
        )
    ]
    return Activity(comments=comments, comment_total=rows[0][12] if rows else 0, votes=votes)
