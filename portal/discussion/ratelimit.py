"""How often one user may post: counted in the database, so every worker and host sees the same count.

A per-process counter would let a user post N times per gunicorn worker; the
comments themselves are the count (``ix_comments_author_id_created_at``). On
PostgreSQL the author's row is locked first, so two posts sent at the same
moment are counted one after the other instead of both slipping under the
limit; SQLite has one writer anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.clock import as_utc, now
from portal.errors import TooManyAttempts
from portal.models import Comment, User
from portal.settings import Settings


@dataclass(frozen=True)
class PostingLimit:
    """At most ``max_comments`` comments per user within ``window_minutes`` (settings ``comment_rate_*``)."""

    max_comments: int = 10
    window_minutes: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> PostingLimit:
        return cls(max_comments=settings.comment_rate_limit, window_minutes=settings.comment_rate_window_minutes)


def check_posting_rate(session: Session, user: User, limit: PostingLimit) -> None:
    """Raise :class:`TooManyAttempts` (429) saying when the user may post again, if they are over ``limit``."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user.id).with_for_update())
    since = now() - timedelta(minutes=limit.window_minutes)
    count, oldest = session.execute(
        select(func.count(), func.min(Comment.created_at)).where(
            Comment.author_id == user.id, Comment.created_at > since
        )
    ).one()
    if count < limit.max_comments:
        return
    oldest = as_utc(oldest) or now()
    wait = max(1, int((oldest + timedelta(minutes=limit.window_minutes) - now()).total_seconds()) + 1)
    minutes = -(-wait // 60)
    raise TooManyAttempts(
        f"You have posted {count} comments in the last {limit.window_minutes} minutes, the most allowed. "
        f"Nothing was posted: wait about {minutes} minute{'s' if minutes != 1 else ''} and send it again "
        "(if you really need to post more, ask a portal admin to raise comment_rate_limit).",
        retry_after=wait,
    )
