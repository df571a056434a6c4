"""External identities (OpenID Connect, LDAP): which BOB account a sign-in is, linking, group mapping.

Accounts are linked by identity, never by name or email: an identity is
``(kind, issuer, subject)`` — the OpenID Connect ``iss`` and ``sub``, or the
directory host and the entry's DN. A first sign-in creates an account; an
address or an LDAP user name that a local account already has is never
merged (that person signs in locally and links the identity, or an admin
links it), because whoever controls a provider account could otherwise
claim someone else's BOB account by claiming their address.

Every sign-in here goes through the same rules as a local login: throttled
(``service.check_throttle``), counted when refused, audited, and it opens a
normal login session (the caller's ``start_session``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.accounts import ldap
from portal.accounts import service as accounts
from portal.audit import audit
from portal.clock import now
from portal.errors import AuthenticationRequired, Conflict, NotFound
from portal.models import ExternalIdentity, IdentityKind, LoginAttempt, Project, Role, User

ROLE_RANK = {Role.OPERATOR: 0, Role.REVIEWER: 1, Role.ADMIN: 2}
KIND_NAMES = {IdentityKind.OIDC: "OpenID Connect", IdentityKind.LDAP: "LDAP directory"}
MAPPING_SETTING = {IdentityKind.OIDC: "PORTAL_OIDC_ROLES_CLAIM / PORTAL_OIDC_GROUP_ROLES",
                   IdentityKind.LDAP: "PORTAL_LDAP_GROUP_ROLES"}


@dataclass(frozen=True)
class ExternalProfile:
    """Who the provider or directory says signed in (already verified by ``oidc`` or ``ldap``)."""

    kind: IdentityKind
    issuer: str
    subject: str
    label: str
    username_hint: str
    email: str | None
    display_name: str
    groups: tuple[str, ...] | None  # None: no mapping configured for this kind


@dataclass(frozen=True)
class Mapping:
    """Group (DN or claim value, lowercased) -> role or ``ptl:<project>``; ``direct``: values name roles themselves."""

    groups: dict[str, str]
    direct: bool = False

    def targets(self, groups: tuple[str, ...]) -> list[str]:
        found = []
        for group in groups:
            key = group.strip().lower()
            if key in self.groups:
                found.append(self.groups[key])
            elif self.direct and (key in {r.value for r in Role} or key.startswith("ptl:")):
                found.append(key)
        return found

    @property
    def decides_duties(self) -> bool:
        return self.direct or any(v.startswith("ptl:") for v in self.groups.values())


@dataclass(frozen=True)
class MappedAccess:
    role: Role
    ptl_of: tuple[str, ...] | None  # None: the mapping does not decide PTL duties


def mapped_access(groups: tuple[str, ...], mapping: Mapping) -> MappedAccess:
    """The role (highest mapped, else operator) and PTL duties the groups give (pure)."""
    targets = mapping.targets(groups)
    roles = [Role(t) for t in targets if not t.startswith("ptl:")]
    role = max(roles, key=lambda r: ROLE_RANK[r], default=Role.OPERATOR)
    duties = tuple(sorted({t[4:] for t in targets if t.startswith("ptl:")})) if mapping.decides_duties else None
    return MappedAccess(role, duties)


def find_identity(session: Session, kind: IdentityKind, issuer: str, subject: str) -> ExternalIdentity | None:
    return session.scalar(
        select(ExternalIdentity)
        .where(ExternalIdentity.kind == kind, ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)
        .options(joinedload(ExternalIdentity.user).selectinload(User.ptl_of))
    )


def identities_of(session: Session, user: User) -> list[ExternalIdentity]:
    return list(session.scalars(
        select(ExternalIdentity).where(ExternalIdentity.user_id == user.id).order_by(ExternalIdentity.id)
    ))


def has_identity(session: Session, user: User, kind: IdentityKind) -> bool:
    return session.scalar(
        select(ExternalIdentity.id).where(ExternalIdentity.user_id == user.id, ExternalIdentity.kind == kind).limit(1)
    ) is not None


def throttle_key(profile: ExternalProfile) -> str:
    return f"{profile.kind.value}:{profile.subject}"[:254]


_NOT_USERNAME = re.compile(r"[^a-z0-9._-]+")


def _username_from(hint: str) -> str:
    name = hint.strip().lower().split("@", 1)[0]
    name = _NOT_USERNAME.sub("-", name).strip("-._")[:60]
    return name if accounts.USERNAME_RE.match(name) else ""


def _free_username(session: Session, hint: str) -> str:
    base = _username_from(hint) or "user"
    taken = set(session.scalars(select(User.username).where(User.username.like(f"{base}%"))))
    if base not in taken:
        return base
    for n in range(2, 1000):
        if f"{base}-{n}" not in taken:
            return f"{base}-{n}"
    raise Conflict(f"No free user name starting with {base}; ask a portal admin.")


def _email_owner(session: Session, email: str | None) -> str | None:
    if not email:
        return None
    return session.scalar(select(User.username).where(func.lower(User.email) == email.strip().lower()))


def _not_merged(owner: str, what: str) -> AuthenticationRequired:
    return AuthenticationRequired(
        f"An account here ({owner}) already uses {what}, and BOB never merges accounts by {what.split(' ')[0]}. "
        f"If {owner} is you, log in with its password and link this identity on your account page; "
        "otherwise ask a portal admin to link it."
    )


def _create_user(session: Session, profile: ExternalProfile, *, address: str) -> User:
    owner = _email_owner(session, profile.email)
    if owner is not None:
        raise _not_merged(owner, f"the address {profile.email}")
    if profile.kind == IdentityKind.LDAP:
        # A directory user name is a login name people type: it signs into a same-named local
        # account only once an admin has linked the two.
        username = _username_from(profile.username_hint)
        if not username:
            raise AuthenticationRequired(
                f"The directory user name {profile.username_hint!r} cannot be a BOB user name; ask a portal admin "
                "to create an account and link your directory account to it."
            )
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise _not_merged(username, f"the name {username}")
    else:
        username = _free_username(session, profile.username_hint or profile.email or "")
    user = User(username=username, email=profile.email.strip() if profile.email else None,
                role=Role.OPERATOR, display_name=profile.display_name[:128])
    user.ptl_of = []
    session.add(user)
    session.flush()
    audit(session, None, "user.created", target_type="user", target_id=user.id, address=address, role=user.role,
          via=profile.kind.value, issuer=profile.issuer)
    return user


def _apply_mapping(session: Session, user: User, profile: ExternalProfile, mapping: Mapping | None,
                   *, address: str) -> None:
    """At each sign-in: the mapping (if any) decides role and duties; without one, admins decide again."""
    if mapping is None or profile.groups is None:
        if user.role_source == profile.kind:
            user.role_source = None
        if user.duties_source == profile.kind:
            user.duties_source = None
        return
    access = mapped_access(profile.groups, mapping)
    if user.role != access.role:
        audit(session, None, "user.role_changed", target_type="user", target_id=user.id, address=address,
              username=user.username, old=user.role, new=access.role, via=f"{profile.kind.value} group mapping")
        user.role = access.role
    user.role_source = profile.kind
    if access.ptl_of is None:
        if user.duties_source == profile.kind:
            user.duties_source = None
        return
    wanted = set(access.ptl_of)
    projects = {p.name: p for p in session.scalars(select(Project).where(Project.name.in_(wanted)))}
    current = {p.name for p in user.ptl_of}
    accounts.change_ptl_duties(
        session, None, user, add=[projects[n] for n in sorted(wanted - current) if n in projects],
        remove=[p for p in user.ptl_of if p.name not in wanted], address=address, mapped=True,
    )
    user.duties_source = profile.kind


def sign_in(
    session: Session,
    profile: ExternalProfile,
    *,
    address: str,
    limits: accounts.LoginLimits,
    mapping: Mapping | None,
    key: str | None = None,
) -> User:
    """The account for a verified external identity (made on first sign-in); throttled, audited, mapped.

    Raises :class:`AuthenticationRequired` (counted as a failed login under
    ``key``, by default the identity) for a disabled account or an identity
    that would take over another account.
    """
    key = key or throttle_key(profile)
    accounts.check_throttle(session, key, address, limits)
    identity = find_identity(session, profile.kind, profile.issuer, profile.subject)
    try:
        if identity is None:
            user = _create_user(session, profile, address=address)
            identity = ExternalIdentity(user_id=user.id, kind=profile.kind, issuer=profile.issuer,
                                        subject=profile.subject, label=profile.label[:254])
            session.add(identity)
            session.flush()
            audit(session, None, "identity.linked", target_type="user", target_id=user.id, address=address,
                  kind=profile.kind.value, issuer=profile.issuer, label=identity.label, first_sign_in=True)
        else:
            user = identity.user
        if not user.is_active:
            raise AuthenticationRequired("This account is disabled. Ask a portal admin if you need it back.")
    except AuthenticationRequired:
        accounts.record_failed_login(session, key, address)
        raise
    _apply_mapping(session, user, profile, mapping, address=address)
    identity.last_login_at = now()
    identity.label = profile.label[:254] or identity.label
    user.last_login_at = now()
    session.add(LoginAttempt(username=key, address=address[:64], succeeded=True))
    audit(session, user, "user.login", target_type="user", target_id=user.id, address=address,
          method=profile.kind.value, issuer=profile.issuer)
    session.flush()
    return user


def link(session: Session, actor: User | None, user: User, profile: ExternalProfile, *, address: str) -> bool:
    """Link a verified identity to ``user``; ``False`` when it already was. Another account's identity is refused."""
    identity = find_identity(session, profile.kind, profile.issuer, profile.subject)
    if identity is not None:
        if identity.user_id == user.id:
            return False
        raise Conflict(
            f"This {KIND_NAMES[profile.kind]} identity ({profile.label}) already signs in to another account "
            f"({identity.user.username}). Remove it there first, or ask a portal admin."
        )
    identity = ExternalIdentity(user_id=user.id, kind=profile.kind, issuer=profile.issuer, subject=profile.subject,
                                label=profile.label[:254])
    session.add(identity)
    session.flush()
    audit(session, actor, "identity.linked", target_type="user", target_id=user.id, address=address,
          kind=profile.kind.value, issuer=profile.issuer, label=identity.label)
    return True


def get_identity(session: Session, user: User, identity_id: int) -> ExternalIdentity:
    identity = session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.id == identity_id, ExternalIdentity.user_id == user.id)
    )
    if identity is None:
        raise NotFound(f"No such linked identity on {user.username}'s account; it may already be removed.")
    return identity


def unlink(session: Session, actor: User | None, user: User, identity: ExternalIdentity, *, address: str) -> None:
    """Remove a link. The owner may not remove their last way to sign in; an admin may (and is told so)."""
    others = [i for i in identities_of(session, user) if i.id != identity.id]
    if actor is not None and actor.id == user.id and not user.password_hash and not others:
        raise Conflict("This is the only way you sign in (your account has no password), so it stays linked. "
                       "Ask a portal admin to set a password first if you want to remove it.")
    if user.role_source == identity.kind and not any(i.kind == identity.kind for i in others):
        user.role_source = None
    if user.duties_source == identity.kind and not any(i.kind == identity.kind for i in others):
        user.duties_source = None
    session.delete(identity)
    audit(session, actor, "identity.unlinked", target_type="user", target_id=user.id, address=address,
          kind=identity.kind.value, issuer=identity.issuer, label=identity.label)
    session.flush()


def users_with_identities(session: Session, user_ids: list[int]) -> dict[int, list[ExternalIdentity]]:
    """Linked identities of many users in one query (the admin's user list)."""
    found: dict[int, list[ExternalIdentity]] = {uid: [] for uid in user_ids}
    if user_ids:
        for identity in session.scalars(
            select(ExternalIdentity).where(ExternalIdentity.user_id.in_(user_ids)).order_by(ExternalIdentity.id)
        ):
            found[identity.user_id].append(identity)
    return found


def load_user(session: Session, user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id).options(selectinload(User.ptl_of)))
    if user is None:
        raise NotFound("That account no longer exists.")
    return user


def managed_reason(user: User) -> str | None:
    """Why an admin cannot change this user's role by hand, or ``None``."""
    return accounts.managed_role_reason(user)


WRONG = "Wrong user name or password. Check both and try again."


def ldap_profile(directory: ldap.DirectoryConfig, account: ldap.DirectoryAccount) -> ExternalProfile:
    return ExternalProfile(
        kind=IdentityKind.LDAP, issuer=directory.host, subject=account.dn.lower(), label=account.dn,
        username_hint=account.username, email=account.email, display_name=account.display_name,
        groups=account.groups if directory.group_roles else None,
    )


def ldap_mapping(directory: ldap.DirectoryConfig) -> Mapping | None:
    return Mapping(directory.group_roles) if directory.group_roles else None


def password_sign_in(
    session: Session,
    login: str,
    password: str,
    *,
    address: str,
    limits: accounts.LoginLimits,
    hasher: PasswordHasher,
    directory: ldap.DirectoryConfig | None,
) -> User:
    """The login form: a local account's own password, or (with LDAP on) the directory's answer.

    * A local account (it has a password and no LDAP link) is checked
      locally, whether the directory is up or not.
    * A name with no local account, or an account linked to the directory,
      is checked by the directory only: when it is unreachable this raises
      :class:`ldap.DirectoryUnavailable`; there is no local fallback.
    * A directory user whose name a local account already has is told to
      have an admin link them (never signed into that account).
    """
    if directory is None:
        return accounts.authenticate(session, login, password, address=address, limits=limits, hasher=hasher)
    typed = login.strip()
    lowered = typed.lower()[:254]
    user = session.scalar(select(User).where((User.username == lowered) | (func.lower(User.email) == lowered)))
    if user is not None and user.password_hash and not has_identity(session, user, IdentityKind.LDAP):
        try:
            return accounts.authenticate(session, login, password, address=address, limits=limits, hasher=hasher)
        except accounts.AccountDisabled:
            raise
        except AuthenticationRequired:
            # Perhaps a directory user whose name is taken here: say so once the directory vouches for them.
            try:
                account = ldap.authenticate(directory, typed, password)
            except ldap.DirectoryUnavailable:
                account = None
            if account is not None:
                raise _not_merged(user.username, f"the name {user.username}") from None
            raise
    key = user.username if user is not None else lowered
    accounts.check_throttle(session, key, address, limits)
    account = ldap.authenticate(directory, typed, password)
    if account is None:
        accounts.record_failed_login(session, key, address)
        raise AuthenticationRequired(WRONG)
    return sign_in(session, ldap_profile(directory, account), address=address, limits=limits,
                   mapping=ldap_mapping(directory), key=key)


def link_directory_account(
    session: Session, actor: User | None, user: User, directory: ldap.DirectoryConfig, username: str, *, address: str
) -> ExternalIdentity:
    """An admin links ``user`` to the directory entry found for ``username`` (with the service account)."""
    account = ldap.find_account(directory, username.strip())
    if account is None:
        raise NotFound(
            f"The directory has no single entry for {username.strip()!r} under {directory.user_base} "
            f"(filter {directory.user_filter}). Check the name, or the filter on the sign-in page."
        )
    profile = ldap_profile(directory, account)
    link(session, actor, user, profile, address=address)
    identity = find_identity(session, profile.kind, profile.issuer, profile.subject)
    assert identity is not None
    return identity
