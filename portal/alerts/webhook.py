"""Webhook channel: POST one notification's event as signed JSON to the subscriber's URL.

The contract the outbox relies on (``portal.alerts.deliver``):
``post_notification(session, settings, notification)`` delivers one
notification of channel ``webhook`` (its subscription holds the URL and the
HMAC secret), records each attempt as a ``WebhookDelivery`` row, and raises
:class:`~portal.alerts.errors.DeliveryError` (``permanent`` or not) when it
did not get a 2xx. It never follows redirects and refuses private,
loopback and link-local addresses unless the settings allow them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.alerts.errors import DeliveryError
from portal.models import Notification
from portal.settings import Settings


def post_notification(session: Session, settings: Settings, notification: Notification) -> None:
    """Deliver one webhook notification (being written: issue 11, channels)."""
    raise DeliveryError("webhook delivery is not available in this build yet", permanent=False)
