"""Specs, the documents they had over time, and their Gerrit reviews.

A :class:`Spec` is what operators follow: the Launchpad blueprint, the spec
file and its Gerrit changes that share one name within a project. Each
imported version of a spec file is a :class:`SpecRevision` (the release
history); the spec's ``title``/``release``/``state`` mirror its current
revision so list pages read one table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now
from portal.db.base import Base, StrEnumColumn

if TYPE_CHECKING:
    from portal.models.projects import Project


class SpecState(StrEnum):
    """Where the spec document stands, from the specs repository's layout."""

    PROPOSED = "proposed"  # only under review in Gerrit so far
    APPROVED = "approved"
    IMPLEMENTED = "implemented"
    BACKLOG = "backlog"
    ABANDONED = "abandoned"
    NOT_IMPLEMENTED = "not_implemented"  # targeted at a release, not done (not-implemented/, unimplemented/)
    RETIRED = "retired"  # withdrawn or archived (retired/, archive/)


class RevisionSource(StrEnum):
    """Where a revision of a spec document came from (``SpecRevision.source``)."""

    FILE = "file"  # a specs tree checkout
    GERRIT = "gerrit"  # a patch set of a Gerrit change


class GerritStatus(StrEnum):
    """A Gerrit change's status, as Gerrit names it."""

    NEW = "NEW"
    MERGED = "MERGED"
    ABANDONED = "ABANDONED"


_STATES = ", ".join(f"'{s.value}'" for s in SpecState)


class Spec(Base):
    __tablename__ = "specs"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        Index("ix_specs_project_id_release_rank", "project_id", "release_rank"),
        Index("ix_specs_project_id_last_activity_at", "project_id", "last_activity_at"),
        # The project page's release menu and state filter read these, not the table.
        Index("ix_specs_project_id_release", "project_id", "release"),
        Index("ix_specs_project_id_state", "project_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[SpecState] = mapped_column(StrEnumColumn(SpecState, 16), default=SpecState.PROPOSED)
    release: Mapped[str | None] = mapped_column(String(32))
    # Sort key of ``release`` (see portal.specs.releases); kept beside it so the
    # project page sorts and filters in SQL.
    release_rank: Mapped[int] = mapped_column(Integer, default=0)
    blueprint_url: Mapped[str | None] = mapped_column(String(500))
    # From the specs tree's layout (portal.specs.layout): the deliverable folder
    # (glance_store, python-glanceclient) and a grouping (release independent, ongoing…).
    deliverable: Mapped[str | None] = mapped_column(String(100))
    grouping: Mapped[str | None] = mapped_column(String(64))
    # When the document was written and last changed (its file's git history, or
    # mtime); ``created_at`` is when BOB first imported it.
    doc_created_at: Mapped[datetime | None]
    doc_changed_at: Mapped[datetime | None]

    # Launchpad blueprint fields, when the spec has a blueprint.
    lp_title: Mapped[str | None] = mapped_column(String(300))
    lp_definition_status: Mapped[str | None] = mapped_column(String(32))
    lp_implementation_status: Mapped[str | None] = mapped_column(String(32))
    lp_priority: Mapped[str | None] = mapped_column(String(32))
    lp_approver: Mapped[str | None] = mapped_column(String(200))
    lp_assignee: Mapped[str | None] = mapped_column(String(200))
    lp_milestone: Mapped[str | None] = mapped_column(String(64))
    lp_whiteboard: Mapped[str | None] = mapped_column(Text)
    lp_created_at: Mapped[datetime | None]
    # Added by the Launchpad importer (portal.importers.launchpad); people are display names,
    # lp_people has {role: {"name", "display_name"}} for owner/drafter/approver/assignee/starter/completer.
    lp_project: Mapped[str | None] = mapped_column(String(100))  # the Launchpad project it was read from
    lp_summary: Mapped[str | None] = mapped_column(Text)
    lp_lifecycle_status: Mapped[str | None] = mapped_column(String(32))
    lp_direction_approved: Mapped[bool | None]
    lp_started_at: Mapped[datetime | None]
    lp_completed_at: Mapped[datetime | None]
    lp_owner: Mapped[str | None] = mapped_column(String(200))
    lp_drafter: Mapped[str | None] = mapped_column(String(200))
    lp_people: Mapped[dict[str, Any] | None]
    lp_series_goal: Mapped[str | None] = mapped_column(String(64))
    lp_goal_status: Mapped[str | None] = mapped_column(String(16))  # Proposed | Accepted | Declined
    lp_work_items: Mapped[list[Any] | None]  # [{"text", "state", "assignee", "milestone"}]
    lp_specification_url: Mapped[str | None] = mapped_column(String(1000))
    lp_web_link: Mapped[str | None] = mapped_column(String(500))
    lp_dependencies_url: Mapped[str | None] = mapped_column(String(500))
    lp_bugs_url: Mapped[str | None] = mapped_column(String(500))
    # Read from those two collections when the entry changes: [{"name", "project", "title", "web_link"}] and
    # [{"id", "title", "web_link"}]; None: not read yet.
    lp_dependencies: Mapped[list[Any] | None]
    lp_bugs: Mapped[list[Any] | None]
    lp_etag: Mapped[str | None] = mapped_column(String(200))  # http_etag of the last entry applied

    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    # Latest thing that happened to the spec (revision, review, comment):
    # the project page's default sort, so it is stored, not computed per row.
    last_activity_at: Mapped[datetime] = mapped_column(default=now)

    project: Mapped[Project] = relationship(lazy="raise")
    revisions: Mapped[list[SpecRevision]] = relationship(
        back_populates="spec", lazy="raise", order_by="SpecRevision.id", cascade="all, delete-orphan"
    )
    gerrit_changes: Mapped[list[GerritChange]] = relationship(
        back_populates="spec", lazy="raise", order_by="GerritChange.change_number", cascade="all, delete-orphan"
    )


class SpecRevision(Base):
    """One version of a spec document as imported (a file's content, or a Gerrit patch set)."""

    __tablename__ = "spec_revisions"
    __table_args__ = (Index("ix_spec_revisions_spec_id_path", "spec_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"))
    source: Mapped[RevisionSource] = mapped_column(StrEnumColumn(RevisionSource, 16), default=RevisionSource.FILE)
    path: Mapped[str] = mapped_column(String(500))
    release: Mapped[str | None] = mapped_column(String(32))
    release_rank: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[SpecState] = mapped_column(StrEnumColumn(SpecState, 16))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"path": [...headings], "anchor": str, "level": int, "text": str}, ...]
    sections: Mapped[list[Any]] = mapped_column(default=list)
    html: Mapped[str] = mapped_column(Text, default="")  # rendered and sanitised once, at import
    blueprint_url: Mapped[str | None] = mapped_column(String(500))
    parse_error: Mapped[str | None] = mapped_column(Text)
    patch_set: Mapped[int | None]
    change_number: Mapped[int | None]  # the Gerrit change the patch set belongs to
    uploaded_at: Mapped[datetime | None]  # Gerrit's upload time of the patch set (created_at: when BOB stored it)
    deliverable: Mapped[str | None] = mapped_column(String(100))
    grouping: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime | None]  # when the source changed this text (git commit, file mtime)
    created_at: Mapped[datetime] = mapped_column(default=now)  # when BOB stored it

    spec: Mapped[Spec] = relationship(back_populates="revisions", lazy="raise")


class GerritChange(Base):
    """One Gerrit change of a spec file."""

    __tablename__ = "gerrit_changes"
    __table_args__ = (UniqueConstraint("repo", "change_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"), index=True)
    repo: Mapped[str] = mapped_column(String(200))
    change_number: Mapped[int]
    change_id: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[GerritStatus] = mapped_column(StrEnumColumn(GerritStatus, 16))
    subject: Mapped[str] = mapped_column(String(500), default="")
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    current_patch_set: Mapped[int] = mapped_column(default=1)
    url: Mapped[str | None] = mapped_column(String(500))
    labels: Mapped[list[Any]] = mapped_column(default=list)  # [{"label", "value", "by"}]
    approved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    submitted_at: Mapped[datetime | None]
    topic: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]  # when the approving Workflow+1 was given
    # Spec files Gerrit answered 404 for at a patch set ([{"path", "patch_set"}]): not in that revision;
    # recorded so a re-run does not ask again for the same patch set.
    unreadable_files: Mapped[list[Any] | None]

    spec: Mapped[Spec] = relationship(back_populates="gerrit_changes", lazy="raise")


class GerritChangeSpec(Base):
    """A spec a Gerrit change touches: a change of several spec files belongs to each of their specs.

    ``GerritChange.spec_id`` stays the primary spec (the first spec file of
    the change) for the pages that read one; this table lists them all.
    """

    __tablename__ = "gerrit_change_specs"

    gerrit_change_id: Mapped[int] = mapped_column(
        ForeignKey("gerrit_changes.id", ondelete="CASCADE"), primary_key=True
    )
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"), primary_key=True, index=True)


class ImplementationChange(Base):
    """A change in one of the project's code repositories that implements a spec (its progress)."""

    __tablename__ = "implementation_changes"
    __table_args__ = (UniqueConstraint("spec_id", "repo", "change_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"), index=True)
    repo: Mapped[str] = mapped_column(String(200))
    change_number: Mapped[int]
    status: Mapped[GerritStatus] = mapped_column(StrEnumColumn(GerritStatus, 16))
    subject: Mapped[str] = mapped_column(String(500), default="")
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str | None] = mapped_column(String(500))
    partial: Mapped[bool] = mapped_column(default=True)  # Partially-Implements (or only the bp/ topic)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    submitted_at: Mapped[datetime | None]


class SpecAlias(Base):
    """A former name of a spec merged into another: old links (pages and API) redirect to the survivor."""

    __tablename__ = "spec_aliases"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
