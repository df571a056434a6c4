"""Webhook channel: POST one notification's event as signed JSON to the subscriber's URL.

The contract the outbox relies on (``portal.alerts.deliver``):
``post_notification(session, settings, notification)`` delivers one
notification of channel ``webhook`` (its subscription holds the URL and the
HMAC secret), records each attempt as a ``WebhookDelivery`` row (flushed,
not committed: the sender commits it with the notification's new state),
and raises :class:`~portal.alerts.errors.DeliveryError` (``permanent`` or
not) when it did not get a 2xx. It never follows redirects and refuses
private, loopback and link-local addresses unless the settings allow them.

What a receiver gets (``docs/feeds-and-webhooks.md``)::

    POST <url>
    Content-Type: application/json
    X-BOB-Event: spec.created          the event's kind
    X-BOB-Delivery: 812                the notification id: the same on every retry, dedupe on it
    X-BOB-Timestamp: 1796220000        Unix seconds when this attempt was signed
    X-BOB-Signature: sha256=<hex>      HMAC-SHA256(secret, "<timestamp>.<body>")

    {"event": {"id", "kind", "created_at", "project", "spec", "payload", "url"},
     "notification": {"id", "reason"[, "summary"]}}   summary: a backfill's counts by project

Outcomes: 2xx is delivered; a 3xx (not followed), a 4xx other than 408
and 429, and a refused address are permanent; 5xx, 408, 429, timeouts and
broken connections are retried by the outbox with its backoff.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import re
import secrets
import ssl
import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy.orm import Session

from portal import clock, net
from portal.alerts import ssrf
from portal.alerts.errors import DeliveryError
from portal.alerts.ssrf import validate_webhook_url
from portal.errors import AddressNotAllowed
from portal.events import label_for
from portal.models import AlertChannel, Event, Notification, Project, Spec, Subscription, WebhookDelivery
from portal.settings import Settings

__all__ = ["new_secret", "post_notification", "sign", "validate_webhook_url", "verify"]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-BOB-Signature"
TIMESTAMP_HEADER = "X-BOB-Timestamp"
EVENT_HEADER = "X-BOB-Event"
DELIVERY_HEADER = "X-BOB-Delivery"
TOLERANCE_SECONDS = 300  # what :func:`verify` accepts by default: a replay older than this is refused
_RETRY_4XX = frozenset({408, 429})
_SNIPPET_BYTES = 300  # of an error answer, kept in the delivery log
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def new_secret() -> str:
    """A fresh HMAC key for a webhook subscription (64 hex characters; show it to the user once)."""
    return secrets.token_hex(32)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with ``secret`` over ``"<timestamp>.<body>"`` (the header's value)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """For receivers: whether ``signature`` is BOB's for this body and the timestamp is recent.

    Compare in constant time, and refuse old timestamps so a captured
    request cannot be replayed later; dedupe on ``X-BOB-Delivery``.
    """
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def event_body(session: Session, settings: Settings, notification: Notification) -> dict[str, Any]:
    """The JSON document of one notification (project and spec by name; ``url`` when the base URL is set)."""
    event = session.get(Event, notification.event_id)
    if event is None:
        raise DeliveryError("the event of this notification no longer exists; nothing to send", permanent=True)
    project = session.get(Project, event.project_id) if event.project_id is not None else None
    spec = session.get(Spec, event.spec_id) if event.spec_id is not None else None
    project_name = project.name if project is not None else event.payload.get("project")
    spec_name = spec.name if spec is not None else None
    if spec_name is None and label_for(event.kind).subject == "spec":  # the spec is gone; its payload names it
        spec_name = event.payload.get("spec") or event.payload.get("name")
    return {
        "event": {
            "id": event.id,
            "kind": str(event.kind),
            "created_at": event.created_at.isoformat(),
            "project": project_name,
            "spec": spec_name,
            "payload": event.payload,
            "url": page_url(settings, project_name, spec_name if spec is not None else None),
        },
        "notification": {"id": notification.id, "reason": notification.reason}
        | ({"summary": notification.summary} if notification.summary else {}),
    }


def page_url(settings: Settings, project: str | None, spec: str | None) -> str | None:
    """The portal page of a spec (or its project); ``None`` without ``PORTAL_BASE_URL``."""
    if not settings.base_url or not project:
        return None
    url = f"{settings.base_url.rstrip('/')}/projects/{quote(project, safe='')}"
    return f"{url}/specs/{quote(spec, safe='')}" if spec else url


def post_notification(session: Session, settings: Settings, notification: Notification, *,
                      ssl_context: ssl.SSLContext | None = None) -> None:
    """Deliver one webhook notification; log the attempt; raise :class:`DeliveryError` unless a 2xx came back.

    ``ssl_context`` replaces the system's trusted CAs (tests, a site whose
    receivers use a private CA); the certificate is checked against the
    URL's host name either way.
    """
    if notification.channel != AlertChannel.WEBHOOK:
        raise DeliveryError(f"notification {notification.id} is for the {notification.channel} channel, "
                            "not a webhook", permanent=True)
    subscription = (
        session.get(Subscription, notification.subscription_id) if notification.subscription_id is not None else None
    )
    if subscription is None or not subscription.webhook_url:
        raise DeliveryError("the webhook subscription was removed, so there is no URL to send to", permanent=True)
    if not subscription.webhook_secret:
        raise DeliveryError("the webhook subscription has no signing secret; create the subscription again",
                            permanent=True)
    delivery = WebhookDelivery(notification_id=notification.id, subscription_id=subscription.id,
                               url=subscription.webhook_url, attempted_at=clock.now())
    session.add(delivery)
    started = time.monotonic()
    try:
        _attempt(session, settings, notification, subscription, delivery, ssl_context)
    except DeliveryError as exc:
        delivery.error = exc.message
        raise
    finally:
        delivery.duration_ms = int((time.monotonic() - started) * 1000)
        session.flush()


def _attempt(session: Session, settings: Settings, notification: Notification, subscription: Subscription,
             delivery: WebhookDelivery, ssl_context: ssl.SSLContext | None) -> None:
    url = subscription.webhook_url or ""
    try:
        pinned = ssrf.pin(url, settings)
    except AddressNotAllowed as exc:
        if exc.fields.get("url") == "host not found":  # DNS may be down for a while: try again later
            raise DeliveryError(f"{exc.message} Will retry.", permanent=False) from exc
        raise DeliveryError(f"refused: {exc.message}", permanent=True) from exc
    delivery.address = str(pinned.address)
    document = event_body(session, settings, notification)
    body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Host": pinned.host_header,
        "Content-Type": "application/json",
        "User-Agent": net.user_agent(settings.http_contact),
        EVENT_HEADER: str(document["event"]["kind"]),
        DELIVERY_HEADER: str(notification.id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(subscription.webhook_secret or "", timestamp, body),
    }
    extensions = {"sni_hostname": pinned.host} if pinned.scheme == "https" else {}
    timeout = settings.webhook_timeout
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
                          verify=ssl_context if ssl_context is not None else _system_tls()) as client:
            request = client.build_request("POST", pinned.request_url(), content=body, headers=headers,
                                           extensions=extensions)
            response, snippet = _send_within(client, request, timeout)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"no answer within {timeout:g} s (PORTAL_WEBHOOK_TIMEOUT); will retry",
                            permanent=False) from exc
    except httpx.ConnectError as exc:
        raise DeliveryError(f"could not connect to {pinned.host_header} at {pinned.address} ({exc}); will retry",
                            permanent=False) from exc
    except httpx.TransportError as exc:
        raise DeliveryError(f"the connection broke ({exc or type(exc).__name__}); will retry",
                            permanent=False) from exc
    status = response.status_code
    delivery.status_code = status
    _judge(status, response, snippet)
    log.info("webhook %s delivered to %s (%s): %d", notification.id, pinned.host_header, pinned.address, status)


class _Overdue(httpx.TimeoutException):
    """The whole exchange took longer than the webhook timeout (a receiver dripping its answer)."""


def _send_within(client: httpx.Client, request: httpx.Request, seconds: float) -> tuple[httpx.Response, str]:
    """Send and read the start of the answer, all within ``seconds`` of wall time.

    httpx's timeouts bound each wait, so a receiver sending one byte a
    second could hold a worker (and every alert behind it) for hours. The
    exchange runs in a helper thread; past the deadline the client is closed,
    which breaks the connection the thread is reading from.
    """
    outcome: list[tuple[httpx.Response, str] | BaseException] = []

    def run() -> None:
        try:
            response = client.send(request, stream=True)
            try:
                outcome.append((response, _read_some(response)))
            finally:
                response.close()
        except BaseException as exc:  # handed to the caller's thread below  # noqa: BLE001
            outcome.append(exc)

    worker = threading.Thread(target=run, name="webhook-post", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        client.close()
        worker.join(1.0)
        raise _Overdue(f"the exchange took longer than {seconds:g} s", request=request)
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


@functools.cache
def _system_tls() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CAs), built once: building it costs ~20 ms a delivery."""
    return httpx.create_ssl_context()


def _read_some(response: httpx.Response) -> str:
    """The first bytes of the answer, for the delivery log (never the whole of a hostile body)."""
    data = b""
    try:
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= _SNIPPET_BYTES:
                break
    except (httpx.TransportError, httpx.DecodingError):
        pass  # the status line is what counts; a broken body does not change it
    return _printable(data[:_SNIPPET_BYTES].decode("utf-8", "replace"))


def _printable(text: str) -> str:
    """A receiver's words made safe to store and show: no NUL (PostgreSQL refuses it), no control characters."""
    return _CONTROL.sub(" ", text).strip()


def _judge(status: int, response: httpx.Response, snippet: str) -> None:
    """Return for a 2xx; otherwise raise the :class:`DeliveryError` the status means."""
    if 200 <= status < 300:
        return
    said = f"{status} {response.reason_phrase}".strip() + (f": {snippet}" if snippet else "")
    if 300 <= status < 400:
        where = _printable(response.headers.get("Location", ""))[:500]
        raise DeliveryError(
            f"the receiver answered {status} (a redirect{' to ' + where if where else ''}); BOB does not follow "
            "redirects, so enter the final URL in the subscription", permanent=True)
    if status >= 500 or status in _RETRY_4XX:
        raise DeliveryError(f"the receiver answered {said}; will retry", permanent=False)
    raise DeliveryError(f"the receiver answered {said}; fix the URL or the receiver (a {status} is not retried)",
                        permanent=True)
