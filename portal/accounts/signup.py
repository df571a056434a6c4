"""Self sign-up, address confirmation and password reset by mailed links.

Services take ``(session, ...)`` and flush; the caller commits, then sends
the mail built here (after the commit, so a link never points at an
account that was rolled back). Tokens: ``portal.accounts.mail_tokens``.
"""

from __future__ import annotations

from email.message import EmailMessage

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts import mail_tokens
from portal.accounts import service as accounts
from portal.accounts.mail_tokens import LinkRefused
from portal.audit import audit
from portal.clock import now
from portal.mailer import new_message
from portal.models import Role, User
from portal.settings import Settings


def sign_up(session: Session, *, username: str, email: str, password: str, hasher: PasswordHasher) -> User:
    """A new operator account, inactive until its owner follows the mailed confirmation link."""
    user = accounts.create_user(session, None, username, email=email, role=Role.OPERATOR.value,
                                password=password, hasher=hasher)
    user.is_active = False
    audit(session, None, "user.signed_up", target_type="user", target_id=user.id)
    session.flush()
    return user


def account_to_confirm(session: Session, secret_key: str, token: str) -> User:
    """The account a confirmation link is for, if the link is genuine and fresh (changes nothing)."""
    claim = mail_tokens.read_verify_token(secret_key, token)
    user = session.get(User, claim.user_id)
    if user is None or (user.email or "").lower() != claim.email.lower():
        raise LinkRefused("This confirmation link is for an account or address that no longer exists; "
                          "sign up again.")
    return user


def confirm_email(session: Session, secret_key: str, token: str) -> User:
    """Activate the account the link was mailed for; confirming again changes nothing."""
    user = account_to_confirm(session, secret_key, token)
    if user.email_verified_at is None:
        user.email_verified_at = now()
        user.is_active = True
        audit(session, user, "user.email_verified", target_type="user", target_id=user.id)
        session.flush()
    return user


def user_for_reset(session: Session, email: str) -> User | None:
    """The active account with this address, or None (the caller answers the same either way)."""
    address = email.strip().lower()
    if not address:
        return None
    return session.scalar(select(User).where(func.lower(User.email) == address, User.is_active))


def user_for_reset_token(session: Session, secret_key: str, token: str) -> User:
    """The account a reset link is for, if the link is genuine, fresh and not used yet."""
    claim = mail_tokens.read_reset_token(secret_key, token)
    user = session.get(User, claim.user_id)
    if user is None or not user.is_active or \
            mail_tokens.password_fingerprint(user.password_hash) != claim.fingerprint:
        raise LinkRefused("This password reset link has been used already (or the password changed since "
                          "it was sent); ask for a new link on the 'Forgot your password?' page.")
    return user


def reset_password(session: Session, secret_key: str, token: str, new: str, *, hasher: PasswordHasher,
                   address: str = "") -> User:
    """Set the new password (same rules as everywhere) and end every session; the link then stops working."""
    user = user_for_reset_token(session, secret_key, token)
    accounts.set_password(session, None, user, new, hasher=hasher, address=address, audit_actor=user)
    return user


def confirmation_mail(settings: Settings, user: User, link: str) -> EmailMessage:
    return _mail(settings, user, "Confirm your address for BOB", (
        f"Hello {user.name_shown},\n\n"
        f"someone (we hope you) created the account '{user.username}' on BOB with this address.\n"
        f"To confirm it and start using the account, open this link within 2 days:\n\n{link}\n\n"
        "If it was not you, ignore this mail: the account stays inactive.\n"))


def reset_mail(settings: Settings, user: User, link: str) -> EmailMessage:
    return _mail(settings, user, "Reset your BOB password", (
        f"Hello {user.name_shown},\n\n"
        f"to choose a new password for '{user.username}', open this link within 1 hour:\n\n{link}\n\n"
        "The link works once. If you did not ask for it, ignore this mail: your password stays as it is.\n"))


def _mail(settings: Settings, user: User, subject: str, body: str) -> EmailMessage:
    message = new_message()
    message["From"] = settings.mail_from
    message["To"] = user.email or ""
    message["Subject"] = subject
    message.set_content(body)
    return message
