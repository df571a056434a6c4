"""Signed unsubscribe tokens: the one-click link in every alert mail, which needs no login (RFC 8058).

The token carries only the subscription id (or, in a daily digest, which
covers several subscriptions, the user whose digest it is), signed with the portal's secret
key and a salt of its own (a token made for another purpose never passes
here) and dated: older than :data:`MAX_AGE` it is refused. Refusal says what
to do next (sign in, open /subscriptions).
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from portal.clock import now
from portal.errors import InvalidInput

SALT = "portal.alerts.unsubscribe"
MAX_AGE = 60 * 24 * 3600  # 60 days: a link in a mail kept for a while still works
TAMPERED = ("This unsubscribe link is not valid (it was changed or cut short). Sign in and open "
            "Subscriptions to stop the alerts you no longer want.")
EXPIRED = ("This unsubscribe link has expired (links work for 60 days). Sign in and open Subscriptions "
           "to stop the alerts you no longer want.")


class _ClockSigner(TimestampSigner):
    """Dates tokens with the portal's clock, so tests can move past the expiry."""

    def get_timestamp(self) -> int:
        return int(now().timestamp())


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=_ClockSigner)


def make(secret_key: str, subscription_id: int) -> str:
    """A token for unsubscribing from ``subscription_id``."""
    return _serializer(secret_key).dumps({"s": subscription_id})


def make_digest(secret_key: str, user_id: int) -> str:
    """A token for stopping ``user_id``'s daily digest (every subscription of theirs on the digest channel)."""
    return _serializer(secret_key).dumps({"d": user_id})


def read(secret_key: str, token: str, *, max_age: int = MAX_AGE) -> int:
    """The subscription id in ``token``; :class:`InvalidInput` saying what to do if tampered or expired."""
    kind, number = read_any(secret_key, token, max_age=max_age)
    if kind != "s":
        raise InvalidInput(TAMPERED)
    return number


def read_any(secret_key: str, token: str, *, max_age: int = MAX_AGE) -> tuple[str, int]:
    """``("s", subscription id)`` or ``("d", user id)`` (a digest's link); :class:`InvalidInput` as :func:`read`."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidInput(EXPIRED) from exc
    except BadSignature as exc:
        raise InvalidInput(TAMPERED) from exc
    if isinstance(data, dict):
        for kind in ("s", "d"):
            if isinstance(data.get(kind), int) and len(data) == 1:
                return kind, int(data[kind])
    raise InvalidInput(TAMPERED)
