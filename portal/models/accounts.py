"""Users, their roles and PTL duties, login sessions, API tokens, login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now
from portal.db.base import Base, StrEnumColumn

if TYPE_CHECKING:
    from portal.models.projects import Project


class Role(StrEnum):
    """What a user may do; PTL duty is per project (``project_ptls``), not a role."""

    OPERATOR = "operator"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class IdentityKind(StrEnum):
    """Where an external identity comes from."""

    OIDC = "oidc"
    LDAP = "ldap"


project_ptls = Table(
    "project_ptls",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('operator', 'reviewer', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # None only for accounts made by an OpenID Connect or LDAP sign-in that brought no (free) address.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(StrEnumColumn(Role, 16), default=Role.OPERATOR)
    # False: disabled, refused everything (login, sessions, tokens); see portal.permissions.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set: blocked from posting (comments, votes, answers) but still able to log in and read.
    blocked_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # When the owner confirmed the address by a mailed link (self sign-up); None: never confirmed.
    email_verified_at: Mapped[datetime | None]
    # Set ("oidc" / "ldap"): a group or claim mapping decides the role / PTL duties at each sign-in,
    # so a manual change is refused (portal.accounts.identities explains why).
    role_source: Mapped[IdentityKind | None] = mapped_column(StrEnumColumn(IdentityKind, 8))
    duties_source: Mapped[IdentityKind | None] = mapped_column(StrEnumColumn(IdentityKind, 8))

    ptl_of: Mapped[list[Project]] = relationship(secondary=project_ptls, lazy="raise")

    @property
    def name_shown(self) -> str:
        return self.display_name or self.username

    def has_role(self, *roles: Role) -> bool:
        """Admins can do everything a reviewer or operator can."""
        return self.role == Role.ADMIN or self.role in roles


class UserSession(Base):
    """One login on one browser; revoking the row logs that cookie out everywhere it was copied."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(lazy="raise")


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored, the prefix helps people tell them apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="raise")


class LoginAttempt(Base):
    """Counted in the database so throttling holds across workers and hosts."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_created_at", "username", "created_at"),
        Index("ix_login_attempts_address_created_at", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=now)


class ExternalIdentity(Base):
    """A sign-in identity of another system linked to a user: the key is (kind, issuer, subject), never an email.

    ``issuer`` is the OpenID Connect issuer URL, or the LDAP directory's host;
    ``subject`` is the ``sub`` claim, or the entry's DN (lowercased).
    """

    __tablename__ = "external_identities"
    __table_args__ = (
        UniqueConstraint("kind", "issuer", "subject"),
        CheckConstraint("kind IN ('oidc', 'ldap')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdentityKind] = mapped_column(StrEnumColumn(IdentityKind, 8))
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    # What people recognise it by (an email, a preferred user name, the DN); shown, never matched on.
    label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_login_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="raise")
