"""Operator voice: priority votes with deployment context, their history, profiles, PTL acknowledgements.

A vote keeps the voter's deployment context *as it was when cast*
(``context``, a JSON snapshot of their :class:`DeploymentProfile`), so a
profile edited later never rewrites what a past vote meant. The fields the
PTL dashboard segments on are also copied into plain indexed columns
(``ctx_*``): segmenting 50,000 votes is then an ordinary ``WHERE`` on both
SQLite and PostgreSQL, with no JSON functions in the hot query.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now
from portal.db.base import Base, StrEnumColumn

if TYPE_CHECKING:
    from portal.models.accounts import User


class Priority(StrEnum):
    """How much a spec matters to the voter, most first."""

    MUST = "must"
    IMPORTANT = "important"
    NICE = "nice"
    NOT_NEEDED = "not_needed"


class VoteAction(StrEnum):
    """What a :class:`VoteHistory` row records."""

    CAST = "cast"  # first vote on the spec
    CHANGED = "changed"
    WITHDRAWN = "withdrawn"


class HypervisorBand(StrEnum):
    """Size of the voter's cloud in hypervisors (lower bound first, so "more than 500" reads off the name)."""

    UP_TO_10 = "1-10"
    UP_TO_100 = "11-100"
    UP_TO_500 = "101-500"
    UP_TO_1000 = "501-1000"
    UP_TO_5000 = "1001-5000"
    OVER_5000 = "5001+"


class ProjectBand(StrEnum):
    """Size of the voter's cloud in Keystone projects (tenants)."""

    UP_TO_10 = "1-10"
    UP_TO_100 = "11-100"
    UP_TO_1000 = "101-1000"
    UP_TO_10000 = "1001-10000"
    OVER_10000 = "10001+"


class DeploymentTool(StrEnum):
    """How the voter deploys OpenStack; ``other`` for in-house tooling."""

    KOLLA_ANSIBLE = "kolla-ansible"
    OPENSTACK_ANSIBLE = "openstack-ansible"
    OPENSTACK_HELM = "openstack-helm"
    CHARMS = "charms"
    PUPPET = "puppet-openstack"
    TRIPLEO = "tripleo"
    PACKAGES = "distro-packages"
    OTHER = "other"


class AckKind(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    PLANNED = "planned"  # planned for ``Acknowledgement.release``


def _in(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{m.value}'" for m in enum)


class DeploymentProfile(Base):
    """One per user: the deployment their votes speak for. Every field is optional."""

    __tablename__ = "deployment_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    # False (the default): the organisation is used in aggregates only, never shown by name.
    show_organisation: Mapped[bool] = mapped_column(Boolean, default=False)
    release_in_production: Mapped[str] = mapped_column(String(32), default="")
    deployment_tool: Mapped[DeploymentTool | None] = mapped_column(StrEnumColumn(DeploymentTool, 32))
    backends: Mapped[list[Any]] = mapped_column(default=list)  # e.g. ["ceph", "ovn"], lower case
    hypervisors: Mapped[HypervisorBand | None] = mapped_column(StrEnumColumn(HypervisorBand, 16))
    projects: Mapped[ProjectBand | None] = mapped_column(StrEnumColumn(ProjectBand, 16))
    updated_at: Mapped[datetime] = mapped_column(default=now)


class Vote(Base):
    """One per user per spec (the database refuses a second); changing it updates this row."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("spec_id", "user_id"),
        CheckConstraint(f"priority IN ({_in(Priority)})", name="priority"),
        # Covers the dashboard's ranking (score, counts, size weighting, every segment but backends):
        # 50,000 votes are aggregated from the index alone, without reading a row.
        Index("ix_votes_ranking", "spec_id", "priority", "affects_me", "ctx_hypervisors", "ctx_release",
              "ctx_projects", "ctx_tool"),
        Index("ix_votes_user_id_updated_at", "user_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    priority: Mapped[Priority] = mapped_column(StrEnumColumn(Priority, 16))
    affects_me: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[Any]] = mapped_column(default=list)  # evidence URLs (a bug, a thread, an etherpad)
    # The voter's DeploymentProfile when the vote was cast or last changed.
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Copies of the context fields the dashboard segments on ("" when the voter left them empty).
    ctx_release: Mapped[str] = mapped_column(String(32), default="")
    ctx_tool: Mapped[str] = mapped_column(String(32), default="")
    ctx_hypervisors: Mapped[str] = mapped_column(String(16), default="")
    ctx_projects: Mapped[str] = mapped_column(String(16), default="")
    ctx_backends: Mapped[str] = mapped_column(String(500), default="")  # ",ceph,ovn," for LIKE '%,ceph,%'
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    user: Mapped[User] = relationship(lazy="raise")


class VoteHistory(Base):
    """Every cast, change and withdrawal, kept after the vote itself is gone."""

    __tablename__ = "vote_history"
    __table_args__ = (
        CheckConstraint(f"action IN ({_in(VoteAction)})", name="action"),
        Index("ix_vote_history_spec_id_user_id", "spec_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[VoteAction] = mapped_column(StrEnumColumn(VoteAction, 16))
    priority: Mapped[Priority | None] = mapped_column(StrEnumColumn(Priority, 16))  # None when withdrawn
    affects_me: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[Any]] = mapped_column(default=list)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=now)


class Acknowledgement(Base):
    """A PTL's answer to operator demand: "acknowledged" or "planned for <release>".

    Rows are history: the newest row of a spec is its current answer.
    """

    __tablename__ = "acknowledgements"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(AckKind)})", name="kind"),
        CheckConstraint("kind <> 'planned' OR release IS NOT NULL", name="planned_release"),
        Index("ix_acknowledgements_spec_id_id", "spec_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[AckKind] = mapped_column(StrEnumColumn(AckKind, 16))
    release: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)

    user: Mapped[User | None] = relationship(lazy="raise")
