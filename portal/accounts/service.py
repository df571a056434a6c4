"""Accounts: create users, log in and out, change passwords, manage API tokens.

Login sessions are rows (``UserSession``), not just signed cookies: logging
out or changing the password revokes the row, so a copied cookie stops
working at once. Failed logins are rows too (``LoginAttempt``), so
throttling holds across every worker and host sharing the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.accounts import passwords
from portal.accounts.secrets import API_TOKEN_PREFIX, new_token, token_hash
from portal.audit import audit
from portal.clock import as_utc, now
from portal.db.unit import separate_transaction
from portal.errors import AuthenticationRequired, Conflict, InvalidInput, NotFound, TooManyAttempts
from portal.models import ApiToken, IdentityKind, LoginAttempt, Project, Role, User, UserSession

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_TOKENS_PER_USER = 20
_PRODUCTION_HASHER = passwords.hasher(testing=False)


class AccountDisabled(AuthenticationRequired):
    """The credentials were right but the account is disabled (only their owner learns this)."""


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed within ``window_minutes`` (see :func:`check_throttle` for the why)."""

    max_failures_per_account_and_address: int = 5
    max_failures_per_account: int = 50
    max_failures_per_address: int = 20
    window_minutes: int = 15


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise NotFound(f"No user named '{username}'. List users with `portal users list`.")
    return user


def create_user(
    session: Session,
    actor: User | None,
    username: str,
    *,
    email: str,
    role: str,
    password: str | None = None,
    display_name: str = "",
    ptl_of: list[Project] | None = None,
    hasher: PasswordHasher = _PRODUCTION_HASHER,
) -> User:
    """Add a user. Without a password the account exists but cannot log in until one is set."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            f"Invalid user name '{username}': use 2-64 lowercase letters, digits, '.', '_' or '-'.",
            {"username": "invalid"},
        )
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(
            f"Invalid email address '{email}': {exc} Give an address such as name@example.org.", {"email": "invalid"}
        ) from exc
    try:
        role_value = Role(role).value
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Invalid role '{role}': use one of {allowed}.", {"role": "invalid"}) from exc
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            f"User '{username}' already exists. Pick another name; `portal users list` shows the taken ones."
        )
    if session.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None:
        raise Conflict(
            f"Another user already has the email address {email}. Each account needs its own address; "
            "`portal users list` shows who has it."
        )
    user = User(username=username, email=email, role=role_value, display_name=display_name.strip()[:128])
    if password is not None:
        passwords.check_policy(password, username=username)
        user.password_hash = hasher.hash(password)
        user.password_changed_at = now()
    user.ptl_of = list(ptl_of or [])
    session.add(user)
    session.flush()
    audit(session, actor, "user.created", target_type="user", target_id=user.id, role=role_value,
          ptl_of=[p.name for p in user.ptl_of])
    return user


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    limits: LoginLimits,
    hasher: PasswordHasher = _PRODUCTION_HASHER,
) -> User:
    """Check a login; throttled per account and per address before any hashing.

    Raises :class:`TooManyAttempts` when throttled and
    :class:`AuthenticationRequired` with one message for every wrong
    combination (it never tells which part was wrong). Failures are counted
    per account whether the user typed the user name or the email address.
    A failure is counted in its own transaction (:func:`record_failed_login`),
    so it counts even though the request that carried it is rolled back.
    """
    login = username.strip().lower()[:254]
    user = session.scalar(select(User).where((User.username == login) | (func.lower(User.email) == login)))
    key = user.username if user is not None else login
    check_throttle(session, key, address, limits)
    password_ok = _verify(hasher, user.password_hash if user is not None else None, password)
    ok = user is not None and password_ok and user.is_active
    if not ok or user is None:
        record_failed_login(session, key, address)
        if user is not None and password_ok and not user.is_active:
            # Only someone who knows the password learns the account is disabled.
            raise AccountDisabled("This account is disabled. Ask a portal admin if you need it back.")
        raise AuthenticationRequired("Wrong user name or password. Check both and try again.")
    if user.password_hash and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    session.add(LoginAttempt(username=key, address=address[:64], succeeded=True))
    user.last_login_at = now()
    audit(session, user, "user.login", target_type="user", target_id=user.id, address=address, method="local")
    session.flush()
    return user


def record_failed_login(session: Session, login: str, address: str) -> None:
    """Count a failed login so that it outlives the rollback of the request that carried it.

    A failed login changes nothing else, so the caller's transaction is
    rolled back first (it holds only reads); the counter then commits in a
    short transaction of its own (``portal.db.unit.separate_transaction``).
    """
    session.rollback()
    with separate_transaction(session) as own:
        own.add(LoginAttempt(username=login, address=address[:64], succeeded=False))


def _verify(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    if not stored:
        hasher.hash(password)  # same cost as a real check: no user-enumeration by timing
        return False
    try:
        return hasher.verify(stored, password)
    except Exception:  # argon2's VerifyMismatchError, InvalidHashError…
        return False


def check_throttle(session: Session, login: str, address: str, limits: LoginLimits) -> None:
    """Refuse a login attempt when this account, this address, or the two together failed too often.

    Three counters, tightest first:

    * one account from one address (default 5): the guesser is stopped
      while the owner, logging in from anywhere else, is not, so a stranger
      cannot lock someone out by typing wrong passwords for their name;
    * one account from every address (default 50): a ceiling against a
      guesser with many addresses; reaching it locks the account for
      everybody until the window has passed, which is the price of that
      protection (docs/install.md, "Login throttling");
    * one address over every account (default 20): against trying a few
      passwords on many accounts.

    A successful login of the account restarts its two account counters;
    the address counter only ages out.
    """
    window_start = now() - timedelta(minutes=limits.window_minutes)
    last_success = session.scalar(
        select(func.max(LoginAttempt.created_at)).where(LoginAttempt.username == login, LoginAttempt.succeeded)
    )
    since = max(window_start, last_success) if last_success is not None else window_start
    address = address[:64]
    from_here = LoginAttempt.address == address
    pair_count, pair_oldest, account_count, account_oldest = session.execute(
        select(
            func.count().filter(from_here), func.min(LoginAttempt.created_at).filter(from_here),
            func.count(), func.min(LoginAttempt.created_at),
        ).where(LoginAttempt.username == login, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since)
    ).one()
    address_count, address_oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(
            from_here, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > window_start
        )
    ).one()
    checks = (
        (pair_count, pair_oldest, limits.max_failures_per_account_and_address),
        (account_count, account_oldest, limits.max_failures_per_account),
        (address_count, address_oldest, limits.max_failures_per_address),
    )
    for count, oldest, limit in checks:
        if count >= limit:
            oldest_at = as_utc(oldest) or now()
            retry = max(1, int((oldest_at + timedelta(minutes=limits.window_minutes) - now()).total_seconds()) + 1)
            minutes = max(1, (retry + 59) // 60)
            raise TooManyAttempts(
                f"Too many failed logins. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again, "
                "or ask an admin to reset your password.",
                retry_after=retry,
            )


def start_session(session: Session, user: User, *, address: str, user_agent: str, hours: int) -> str:
    """Open a login session; return the secret to keep in the signed cookie."""
    token = new_token()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=now() + timedelta(hours=hours),
            address=address[:64],
            user_agent=user_agent[:255],
        )
    )
    session.flush()
    return token


def user_for_session(session: Session, token: str) -> User | None:
    """The active user of a live login session, or ``None``.

    PTL duties come in the same query: every permission check may need them.
    """
    row = session.execute(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == token_hash(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now(),
            User.is_active.is_(True),
        )
        .options(joinedload(User.ptl_of))
    ).unique().scalar_one_or_none()
    return row


def end_session(session: Session, token: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def end_all_sessions(session: Session, user: User) -> int:
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    *,
    address: str,
    hasher: PasswordHasher = _PRODUCTION_HASHER,
    limits: LoginLimits | None = None,
) -> None:
    """Change the password and end every login session of the user (copied cookies included).

    With ``limits``, a wrong current password counts as a failed login (the
    caller must commit it) and the check is throttled like the login form, so
    a stolen session cannot be used to guess the password.
    """
    if limits is not None:
        check_throttle(session, user.username, address, limits)
    if not _verify(hasher, user.password_hash, current):
        if limits is not None:
            record_failed_login(session, user.username, address)
        raise InvalidInput("The current password is wrong; nothing was changed.", {"current_password": "wrong"})
    passwords.check_policy(new, username=user.username)
    if new == current:
        raise InvalidInput("The new password is the same as the current one.", {"new_password": "unchanged"})
    set_password(session, None, user, new, hasher=hasher, address=address, audit_actor=user)


def set_password(
    session: Session,
    actor: User | None,
    user: User,
    new: str,
    *,
    hasher: PasswordHasher = _PRODUCTION_HASHER,
    address: str = "",
    audit_actor: User | None = None,
) -> None:
    """Set a password (admin reset or CLI) and log the user out everywhere."""
    passwords.check_policy(new, username=user.username)
    user.password_hash = hasher.hash(new)
    user.password_changed_at = now()
    ended = end_all_sessions(session, user)
    audit(session, audit_actor or actor, "user.password_changed", target_type="user", target_id=user.id,
          address=address, sessions_ended=ended)
    session.flush()


def create_api_token(session: Session, user: User, name: str, *, address: str = "") -> tuple[ApiToken, str]:
    """Create a personal API token; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("Give the token a name of 1-100 characters (e.g. 'ci-sync').", {"name": "required"})
    active = session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_TOKENS_PER_USER:
        raise Conflict(f"You already have {MAX_TOKENS_PER_USER} active tokens; revoke one you no longer use first.")
    secret = new_token(API_TOKEN_PREFIX)
    prefix = secret[: len(API_TOKEN_PREFIX) + 6]
    token = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=token_hash(secret))
    session.add(token)
    session.flush()
    audit(session, user, "token.created", target_type="api_token", target_id=token.id, address=address, name=name)
    return token, secret


def revoke_api_token(session: Session, user: User, token_id: int, *, address: str = "") -> ApiToken:
    """Revoke one of the user's own tokens (another user's token is 'not found')."""
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFound("No such token on your account; it may already be gone.")
    if token.revoked_at is None:
        token.revoked_at = now()
        audit(session, user, "token.revoked", target_type="api_token", target_id=token.id, address=address)
        session.flush()
    return token


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def user_for_api_token(session: Session, secret: str) -> tuple[User, ApiToken] | None:
    """The active user owning a live token (with PTL duties loaded), or ``None``."""
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash(secret), ApiToken.revoked_at.is_(None), User.is_active.is_(True))
        .options(joinedload(User.ptl_of))
    ).unique().one_or_none()
    return (row[0], row[1]) if row else None


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


# --- admin housekeeping: roles, PTL duties, disabling and blocking -------------------------------
#
# The caller checks ``portal.permissions.can_manage_users`` (pages, API); the
# command line is the server's console and calls these as the system
# (``actor=None``). The rules that protect the portal itself (never lock out
# the last admin, never act on one's own account by accident) hold for every
# caller, so they are checked here.


def get_user_with_duties(session: Session, username: str) -> User:
    """A user with their PTL duties loaded, or :class:`NotFound` saying where to look."""
    user = session.scalar(
        select(User).where(User.username == username.strip().lower()).options(selectinload(User.ptl_of))
    )
    if user is None:
        raise NotFound(f"No user named '{username}'. See the user list (`portal users list`) for the names.")
    return user


def list_users_with_duties(session: Session) -> list[User]:
    """Every user with their PTL duties: two queries whatever the number of users."""
    return list(session.scalars(select(User).order_by(User.username).options(selectinload(User.ptl_of))))


def _other_active_admins(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.value, User.is_active.is_(True), User.id != user.id)
        )
        or 0
    )


def _keep_an_admin(session: Session, user: User, doing: str) -> None:
    if user.role == Role.ADMIN.value and user.is_active and _other_active_admins(session, user) == 0:
        raise Conflict(
            f"{user.username} is the last active admin, so {doing} would leave nobody to run the portal. "
            "Give another user the admin role first (`portal users set-role NAME admin`)."
        )


def _not_yourself(actor: User | None, user: User, doing: str) -> None:
    if actor is not None and actor.id == user.id:
        raise Conflict(f"You cannot {doing} your own account. Ask another admin to do it.")


_SOURCE_NAMES = {IdentityKind.OIDC: "OpenID Connect provider", IdentityKind.LDAP: "LDAP directory"}
_MAPPING_SETTINGS = {IdentityKind.OIDC: "PORTAL_OIDC_ROLES_CLAIM / PORTAL_OIDC_GROUP_ROLES",
                     IdentityKind.LDAP: "PORTAL_LDAP_GROUP_ROLES"}


def managed_role_reason(user: User) -> str | None:
    """Why nobody may set this user's role by hand (a group mapping decides it), or ``None``."""
    if user.role_source is None:
        return None
    source = _SOURCE_NAMES[user.role_source]
    return (
        f"{user.username}'s role comes from the {source} group mapping at each sign-in, so it cannot be changed "
        f"here. Change their groups at the {source} (or the mapping, {_MAPPING_SETTINGS[user.role_source]}); "
        "it applies at their next sign-in."
    )


def set_role(session: Session, actor: User | None, user: User, role: str, *, address: str = "") -> str | None:
    """Give ``user`` another role; return the previous one, or ``None`` when it was already ``role``."""
    try:
        new = Role(role.strip().lower())
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Invalid role '{role}': use one of {allowed}.", {"role": "invalid"}) from exc
    if user.role == new:
        return None
    managed = managed_role_reason(user)
    if managed:
        raise Conflict(managed)
    _not_yourself(actor, user, "change the role of")
    if new != Role.ADMIN:
        _keep_an_admin(session, user, f"making them {new}")
    elif user.blocked_at is not None:
        raise Conflict(f"{user.username} is blocked from posting; unblock them before making them an admin.")
    old = user.role
    user.role = new
    audit(session, actor, "user.role_changed", target_type="user", target_id=user.id, address=address,
          username=user.username, old=old, new=new)
    session.flush()
    return old


@dataclass(frozen=True)
class DutyChange:
    added: tuple[str, ...]
    removed: tuple[str, ...]


def change_ptl_duties(
    session: Session,
    actor: User | None,
    user: User,
    *,
    add: list[Project] | tuple[Project, ...] = (),
    remove: list[Project] | tuple[Project, ...] = (),
    address: str = "",
    mapped: bool = False,
) -> DutyChange:
    """Add and remove PTL duties (``user.ptl_of`` must be loaded); report only what really changed.

    ``mapped``: the change comes from a group mapping at sign-in (``portal.accounts.identities``);
    otherwise a user whose duties a mapping decides is refused with the reason.
    """
    if not mapped and user.duties_source is not None and (add or remove):
        raise Conflict(
            f"{user.username}'s PTL duties come from the {_SOURCE_NAMES[user.duties_source]} group mapping at each "
            f"sign-in, so they cannot be changed here. Change their groups at the {_SOURCE_NAMES[user.duties_source]}"
            f" (or the mapping, {_MAPPING_SETTINGS[user.duties_source]}); it applies at their next sign-in."
        )
    overlap = {p.name for p in add} & {p.name for p in remove}
    if overlap:
        raise InvalidInput(f"Both added and removed: {', '.join(sorted(overlap))}. Say one or the other.")
    current = {p.id for p in user.ptl_of}
    added = [p for p in add if p.id not in current]
    removed = [p for p in remove if p.id in current]
    if not added and not removed:
        return DutyChange((), ())
    removed_ids = {p.id for p in removed}
    user.ptl_of = [p for p in user.ptl_of if p.id not in removed_ids] + added
    change = DutyChange(tuple(p.name for p in added), tuple(p.name for p in removed))
    audit(session, actor, "user.ptl_changed", target_type="user", target_id=user.id, address=address,
          username=user.username, added=list(change.added), removed=list(change.removed),
          **({"via": "group mapping"} if mapped else {}))
    session.flush()
    return change


@dataclass(frozen=True)
class Disabled:
    sessions_ended: int
    tokens_revoked: int


def disable_user(session: Session, actor: User | None, user: User, *, address: str = "") -> Disabled | None:
    """Disable the account: logins, sessions and API tokens stop working at once; ``None`` if already disabled.

    Sessions and tokens are revoked, not just refused while disabled, so
    enabling the account later does not bring a stolen cookie or token back.
    """
    if not user.is_active:
        return None
    _not_yourself(actor, user, "disable")
    _keep_an_admin(session, user, "disabling them")
    user.is_active = False
    ended = end_all_sessions(session, user)
    tokens = session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now())
    )
    result = Disabled(sessions_ended=ended, tokens_revoked=int(tokens.rowcount or 0))  # type: ignore[attr-defined]
    audit(session, actor, "user.disabled", target_type="user", target_id=user.id, address=address,
          username=user.username, sessions_ended=result.sessions_ended, tokens_revoked=result.tokens_revoked)
    session.flush()
    return result


def enable_user(session: Session, actor: User | None, user: User, *, address: str = "") -> bool:
    """Let a disabled user log in again (with a new login; old sessions and tokens stay revoked)."""
    if user.is_active:
        return False
    user.is_active = True
    audit(session, actor, "user.enabled", target_type="user", target_id=user.id, address=address,
          username=user.username)
    session.flush()
    return True


def block_user(session: Session, actor: User | None, user: User, *, address: str = "") -> bool:
    """Stop ``user`` from posting (comments, votes, answers); they can still log in and read."""
    if user.blocked_at is not None:
        return False
    _not_yourself(actor, user, "block")
    if user.role == Role.ADMIN.value:
        raise Conflict(f"{user.username} is an admin; change their role first, or disable the account instead.")
    user.blocked_at = now()
    audit(session, actor, "user.blocked", target_type="user", target_id=user.id, address=address,
          username=user.username)
    session.flush()
    return True


def unblock_user(session: Session, actor: User | None, user: User, *, address: str = "") -> bool:
    if user.blocked_at is None:
        return False
    user.blocked_at = None
    audit(session, actor, "user.unblocked", target_type="user", target_id=user.id, address=address,
          username=user.username)
    session.flush()
    return True


def count_active_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        )
        or 0
    )
