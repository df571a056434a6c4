"""Discussions outside the portal (meeting topics, list threads) and the links between them and specs.

A discussion is stored once per ``(source, external_id)`` with the hash of
the file(s) it came from, so an unchanged one is skipped on re-import; its
lines are kept (JSON) so that a link added by hand can still write the
salient-point comment. A link records why it was made and by whom; a link
removed by hand keeps its row (``removed_at``), which is what stops the next
import from making it again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now
from portal.db.base import Base, StrEnumColumn


class LinkOrigin(StrEnum):
    """Who made a link: the importer's rules, or a reviewer or admin by hand."""

    AUTO = "auto"
    USER = "user"


class OutsideFile(Base):
    """A source file already imported (a meeting log): skipped while its content hash is unchanged."""

    __tablename__ = "outside_files"
    __table_args__ = (UniqueConstraint("source", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # "irc" | "mail"
    path: Mapped[str] = mapped_column(String(500))  # relative to the import root or the URL's base
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=now)


class OutsideDiscussion(Base):
    """One meeting topic or list thread as last imported."""

    __tablename__ = "outside_discussions"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(500), default="")
    url: Mapped[str | None] = mapped_column(String(1000))
    group_name: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # tags, lines, participants
    imported_at: Mapped[datetime] = mapped_column(default=now)


class DiscussionLink(Base):
    """A discussion linked to a spec, with the reason; removed by hand: kept, with ``removed_at``."""

    __tablename__ = "discussion_links"
    __table_args__ = (
        UniqueConstraint("discussion_id", "spec_id"),
        Index("ix_discussion_links_spec_id", "spec_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("outside_discussions.id", ondelete="CASCADE"))
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    made_by: Mapped[LinkOrigin] = mapped_column(StrEnumColumn(LinkOrigin, 16), default=LinkOrigin.AUTO)
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
