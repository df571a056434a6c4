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

    author: Mapped[User | None] = relationship(lazy="raise")
