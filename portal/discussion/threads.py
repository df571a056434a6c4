"""Reading a spec's comments as the API lists them: every source, oldest first, replies pointing at their parent.

The page timeline (``portal.specs.timeline``) groups comments by thread; the
API gives scripts the flat list with ``in_reply_to``, a page at a time, in
two queries (the count and the page with the authors' names).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from portal.models import Comment, Spec, User


@dataclass(frozen=True, slots=True)
class ListedComment:
    comment: Comment
    username: str | None  # the author's portal account, when there is one
    display_name: str | None

    @property
    def author(self) -> str:
        if self.username is not None:
            return self.display_name or self.username
        return self.comment.author_name or "unknown"


def comments_page(
    session: Session, spec: Spec, *, page: int, per_page: int, moderator: bool = False
) -> tuple[list[ListedComment], int]:
    """One page of the spec's live comments (hidden ones only for a ``moderator``) and their total."""
    where = and_(Comment.spec_id == spec.id, Comment.deleted_at.is_(None))
    if not moderator:
        where = and_(where, Comment.hidden_at.is_(None))
    total = session.scalar(select(func.count()).where(where)) or 0
    rows = session.execute(
        select(Comment, User.username, User.display_name)
        .outerjoin(User, User.id == Comment.author_id)
        .where(where)
        .order_by(Comment.created_at, Comment.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return [ListedComment(c, u, d) for c, u, d in rows], total


def listed(session: Session, comment: Comment) -> ListedComment:
    """One comment with its author's names (after a write)."""
    user = session.get(User, comment.author_id) if comment.author_id is not None else None
    return ListedComment(comment, user.username if user else None, user.display_name if user else None)
