"""Signed, expiring tokens for the links BOB mails: confirm an address, reset a password.

The token is the whole proof (the person following it is not logged in),
so it is signed with the instance's secret key, salted per purpose (a
verification token never passes as a reset token) and dated by
``portal.clock`` (tests move the clock). A reset token also carries a
fingerprint of the password hash it was issued for: once the password
changes, every older link stops working, so each link works once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from portal.clock import now
from portal.errors import PortalError

VERIFY_SALT = "portal.accounts.verify-email"
RESET_SALT = "portal.accounts.password-reset"
VERIFY_MAX_AGE_S = 2 * 24 * 3600
RESET_MAX_AGE_S = 3600


class LinkRefused(PortalError):
    """The link was altered, is for something else, has expired, or was used already."""


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(now().timestamp())


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt, signer=_ClockSigner)


def password_fingerprint(password_hash: str | None) -> str:
    """A short digest of the current hash: changes whenever the password does."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


@dataclass(frozen=True)
class VerifyClaim:
    user_id: int
    email: str


@dataclass(frozen=True)
class ResetClaim:
    user_id: int
    fingerprint: str


def verify_token(secret_key: str, user_id: int, email: str) -> str:
    return _serializer(secret_key, VERIFY_SALT).dumps({"u": user_id, "e": email})


def reset_token(secret_key: str, user_id: int, password_hash: str | None) -> str:
    return _serializer(secret_key, RESET_SALT).dumps({"u": user_id, "p": password_fingerprint(password_hash)})


def read_verify_token(secret_key: str, token: str) -> VerifyClaim:
    data = _load(secret_key, VERIFY_SALT, token, VERIFY_MAX_AGE_S, "confirmation",
                 "sign up again, or ask an admin to activate your account")
    return VerifyClaim(user_id=int(data["u"]), email=str(data["e"]))


def read_reset_token(secret_key: str, token: str) -> ResetClaim:
    data = _load(secret_key, RESET_SALT, token, RESET_MAX_AGE_S, "password reset",
                 "ask for a new link on the 'Forgot your password?' page")
    return ResetClaim(user_id=int(data["u"]), fingerprint=str(data["p"]))


def _load(secret_key: str, salt: str, token: str, max_age: int, what: str, retry: str) -> dict[str, Any]:
    try:
        data = _serializer(secret_key, salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        hours = max_age // 3600
        raise LinkRefused(f"This {what} link has expired (links work for {hours} hour"
                          f"{'s' if hours != 1 else ''}); {retry}.") from exc
    except BadSignature as exc:
        raise LinkRefused(f"This {what} link is not valid: it was changed or cut short. Copy the whole link "
                          f"from the mail, or {retry}.") from exc
    if not isinstance(data, dict) or "u" not in data:
        raise LinkRefused(f"This {what} link is not valid; {retry}.")
    return data
