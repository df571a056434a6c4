"""Every piece of discussion about a spec, whatever its source."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now
from portal.db.base import Base, StrEnumColumn

if TYPE_CHECKING:
    from portal.models.accounts import User


class CommentSource(StrEnum):
    PORTAL = "portal"
    GERRIT = "gerrit"  # a review message or an inline comment
    LAUNCHPAD = "launchpad"  # the blueprint whiteboard
    LINK = "link"  # an IRC log, a mailing-list thread… with a summary
    IRC = "irc"  # a meeting topic's salient points, imported from the meeting bot's logs
    MAIL = "mail"  # a mailing-list thread's salient points, imported from the list archive


_SOURCES = ", ".join(f"'{s.value}'" for s in CommentSource)


class Comment(Base):
    """External comments keep their external id, so a re-import never duplicates them."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint(f"source IN ({_SOURCES})", name="source"),
        Index("ix_comments_spec_id_created_at", "spec_id", "created_at"),
        # Counting a spec's live comments reads only this index.
        Index(
            "ix_comments_spec_id_live",
            "spec_id",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # The rate limit counts one author's recent comments; "my activity" lists them newest first.
        Index("ix_comments_author_id_created_at", "author_id", "created_at"),
        Index("ix_comments_thread_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"))
    source: Mapped[CommentSource] = mapped_column(StrEnumColumn(CommentSource, 16), default=CommentSource.PORTAL)
    external_id: Mapped[str | None] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)  # Markdown as written
    body_html: Mapped[str] = mapped_column(Text)  # rendered and sanitised once, at write time
    url: Mapped[str | None] = mapped_column(String(1000))
    patch_set: Mapped[int | None]
    file_line: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=now)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # Threads: the comment answered, and the thread's first comment (NULL: this comment starts a thread).
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    # Moderation: hidden from readers (spam), reversible; moderators still see it, marked.
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    # A ``link`` comment: the outside discussion's title (its address is ``url``, its summary ``body``).
    link_title: Mapped[str | None] = mapped_column(String(300))

    author: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[author_id])

    @property
    def root_id(self) -> int:
        """The id of the thread this comment belongs to."""
        return self.thread_id if self.thread_id is not None else self.id


class CommentEdit(Base):
    """A comment's text as it was before one edit: the visible edit history (newest edit last)."""

    __tablename__ = "comment_edits"
    __table_args__ = (Index("ix_comment_edits_comment_id", "comment_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)  # the replaced Markdown
    body_html: Mapped[str] = mapped_column(Text)  # and its sanitised HTML, as it was shown
    link_title: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(1000))
    written_at: Mapped[datetime]  # when the replaced text was written (the comment's creation or previous edit)
    replaced_at: Mapped[datetime] = mapped_column(default=now)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
