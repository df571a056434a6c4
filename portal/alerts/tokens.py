"""Signed unsubscribe tokens: the one-click link in every alert mail, which needs no login (RFC 8058).

The token carries only the subscription id, signed with the portal's secret
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


def read(secret_key: str, token: str, *, max_age: int = MAX_AGE) -> int:
    """The subscription id in ``token``; :class:`InvalidInput` saying what to do if tampered or expired."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidInput(EXPIRED) from exc
    except BadSignature as exc:
        raise InvalidInput(TAMPERED) from exc
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise InvalidInput(TAMPERED)
    return int(data["s"])
