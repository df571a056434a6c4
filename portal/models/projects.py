"""Upstream projects (nova, neutron…), where their specs come from, and the names they had."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now
from portal.db.base import Base, StrEnumColumn


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    gerrit_repo: Mapped[str | None] = mapped_column(String(200))
    # The main Launchpad project (blueprint links use it); further ones are ProjectSource rows.
    launchpad: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=now)

    sources: Mapped[list[ProjectSource]] = relationship(
        lazy="raise", order_by=lambda: [ProjectSource.kind, ProjectSource.position], cascade="all, delete-orphan",
        passive_deletes=True,
    )


class SourceKind(StrEnum):
    """What a :class:`ProjectSource` names."""

    LAUNCHPAD = "launchpad"  # a further Launchpad project (the first is Project.launchpad)
    CODE_REPO = "code_repo"  # a code repository whose changes implement the specs, e.g. openstack/nova


_KINDS = ", ".join(f"'{k.value}'" for k in SourceKind)


class ProjectSource(Base):
    """One more place a project's work lives; a name belongs to one project only, so imports are unambiguous."""

    __tablename__ = "project_sources"
    __table_args__ = (
        UniqueConstraint("kind", "name"),
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SourceKind] = mapped_column(StrEnumColumn(SourceKind, 16))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProjectAlias(Base):
    """A former name of a project: old links (pages and API) redirect to the project's current name."""

    __tablename__ = "project_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
