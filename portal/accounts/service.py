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
from sqlalchemy.orm import Session

from portal.accounts import passwords
from portal.accounts.secrets import API_TOKEN_PREFIX, new_token, token_hash
from portal.audit import audit
from portal.clock import as_utc, now
from portal.db.unit import separate_transaction
from portal.errors import AuthenticationRequired, Conflict, InvalidInput, NotFound, TooManyAttempts
from portal.models import ApiToken, LoginAttempt, Project, Role, User, UserSession

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_TOKENS_PER_USER = 20
_PRODUCTION_HASHER = passwords.hasher(testing=False)


@dataclass(frozen=True)
class LoginLimits:
    max_failures_per_account: int = 5
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
            raise AuthenticationRequired("This account is disabled. Ask a portal admin if you need it back.")
        raise AuthenticationRequired("Wrong user name or password. Check both and try again.")
    if user.password_hash and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    session.add(LoginAttempt(username=key, address=address[:64], succeeded=True))
    user.last_login_at = now()
    audit(session, user, "user.login", target_type="user", target_id=user.id, address=address)
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
    """Refuse further attempts once an account or an address has failed too often."""
    window_start = now() - timedelta(minutes=limits.window_minutes)
    last_success = session.scalar(
        select(func.max(LoginAttempt.created_at)).where(LoginAttempt.username == login, LoginAttempt.succeeded)
    )
    since = max(window_start, last_success) if last_success is not None else window_start
    account = session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(
            LoginAttempt.username == login, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since
        )
    ).one()
    by_address = session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(
            LoginAttempt.address == address[:64],
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > window_start,
        )
    ).one()
    checks = ((account, limits.max_failures_per_account), (by_address, limits.max_failures_per_address))
    for (count, oldest), limit in checks:
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
    """The active user of a live login session, or ``None``."""
    row = session.execute(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == token_hash(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now(),
            User.is_active.is_(True),
        )
    ).scalar_one_or_none()
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
    """The active user owning a live token, or ``None``."""
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash(secret), ApiToken.revoked_at.is_(None), User.is_active.is_(True))
    ).one_or_none()
    return (row[0], row[1]) if row else None


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
