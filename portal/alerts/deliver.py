"""Delivering the outbox: claim, commit the claim, send, mark. Nothing dropped while the server is down.

The guarantee (also in docs/alerts.md):

1. A sender claims due rows (``pending`` with ``next_attempt_at <= now``, or
   ``sending`` whose claim is older than :data:`LEASE`) and commits them as
   ``sending`` with ``claimed_at`` BEFORE it talks to anyone. On PostgreSQL
   the claim reads with ``FOR UPDATE SKIP LOCKED``, so two senders never
   claim the same row; on SQLite the claim is a write and writers take turns.
2. It then sends one row and, in the same short transaction, marks it
   ``sent`` (or records the error: ``failed`` when permanent, else ``pending``
   again with an exponential delay, :func:`backoff`).
3. The one window: the process dies after the server accepted the mail and
   before the "sent" commit. The row stays ``sending``; after :data:`LEASE`
   it is claimed again and sent again, once. Each crash repeats at most the
   one message in flight, and the repeat carries the Message-ID fixed on the
   row when it was queued, so mail clients that drop duplicates drop it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from portal import mailer
from portal.alerts import email, webhook
from portal.alerts.errors import DeliveryError
from portal.clock import now
from portal.db.unit import unit_of_work
from portal.events import label_for
from portal.models import (
    AlertChannel,
    Event,
    EventKind,
    Notification,
    NotificationStatus,
    Project,
    Spec,
    User,
)
from portal.settings import Settings

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # far longer than one SMTP exchange or webhook timeout
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
CLAIM_BATCH = 50
DELIVERED_CHANNELS = (AlertChannel.EMAIL, AlertChannel.WEBHOOK)


@dataclass
class Tally:
    """What a delivery round did (printed by ``portal alerts send``)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed, "skipped": self.skipped}


def backoff(attempts: int) -> timedelta:
    """Delay before try ``attempts + 1``: 1 min, 2, 4, … capped at 6 h (no jitter: predictable)."""
    delay: timedelta = FIRST_DELAY * (2 ** min(max(attempts - 1, 0), 20))
    return min(delay, MAX_DELAY)


def due(at: Any) -> Any:
    """Rows a sender may claim now: pending and due, or sending past the lease (a crashed sender's)."""
    return and_(
        Notification.channel.in_([c.value for c in DELIVERED_CHANNELS]),
        or_(
            and_(Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= at),
            and_(Notification.status == NotificationStatus.SENDING, Notification.claimed_at <= at - LEASE),
        ),
    )


def claim(factory: sessionmaker[Session], *, limit: int = CLAIM_BATCH) -> list[int]:
    """Claim up to ``limit`` due rows and COMMIT them as ``sending`` (before anything is sent)."""
    with unit_of_work(factory) as session:
        at = now()
        rows = list(session.scalars(
            select(Notification).where(due(at)).order_by(Notification.id).limit(limit)
            .with_for_update(skip_locked=True)
        ))
        for row in rows:
            row.status = NotificationStatus.SENDING
            row.claimed_at = at
            row.attempts += 1
        session.flush()
        return [row.id for row in rows]


def deliver_pending(factory: sessionmaker[Session], settings: Settings, *, max_rounds: int = 1000) -> Tally:
    """Claim and deliver until nothing is due; each row gets its own transaction."""
    tally = Tally()
    for _ in range(max_rounds):
        ids = claim(factory)
        if not ids:
            break
        for notification_id in ids:
            deliver_one(factory, settings, notification_id, tally)
    return tally


def deliver_one(factory: sessionmaker[Session], settings: Settings, notification_id: int, tally: Tally) -> None:
    """Send one claimed row and record the outcome, committed with any webhook delivery log rows."""
    with unit_of_work(factory) as session:
        row = session.get(Notification, notification_id)
        if row is None or row.status != NotificationStatus.SENDING:
            return
        try:
            _send(session, settings, row)
        except (DeliveryError, mailer.MailError) as exc:
            _record_failure(row, str(exc), permanent=exc.permanent, tally=tally)
        except _Skip as exc:
            row.status = NotificationStatus.SKIPPED
            row.last_error = str(exc)
            tally.skipped += 1
        else:
            row.status = NotificationStatus.SENT
            row.sent_at = now()
            row.last_error = None
            tally.sent += 1
        session.flush()


class _Skip(Exception):
    """Nothing to deliver any more (the account is gone or blocked)."""


def _record_failure(row: Notification | Any, error: str, *, permanent: bool, tally: Tally) -> None:
    row.last_error = error[:2000]
    if permanent:
        row.status = NotificationStatus.FAILED
        tally.failed += 1
    else:
        row.status = NotificationStatus.PENDING
        row.next_attempt_at = now() + backoff(row.attempts)
        tally.retried += 1
    tally.errors.append(error)
    log.warning("alerts: delivery of %s %d failed (%s): %s", type(row).__name__, row.id,
                "permanent" if permanent else "will retry", error)


def _send(session: Session, settings: Settings, row: Notification) -> None:
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise _Skip("the account is disabled")
    if row.channel == AlertChannel.WEBHOOK:
        webhook.post_notification(session, settings, row)
        return
    if not user.email:
        raise DeliveryError("the account has no email address; add one on the account page", permanent=True)
    item = describe(session, settings, [row])[row.id]
    letter = email.Letter(
        to=user.email, display_name=user.name_shown, subject=f"[BOB] {item.title}", items=[item],
        message_id=row.message_id or _message_id(row), subscription_id=row.subscription_id,
    )
    row.message_id = letter.message_id
    mailer.send(settings, email.build(settings, letter))


def _message_id(row: Notification) -> str:
    return f"<bob.notification.{row.id}@notifications>"


def describe(session: Session, settings: Settings, rows: Sequence[Notification]) -> dict[int, email.Item]:
    """How each row reads in a mail (three queries for any number of rows)."""
    base = settings.require_base_url("alert mails").rstrip("/")
    events = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_({r.event_id for r in rows})))}
    spec_ids = {e.spec_id for e in events.values() if e.spec_id is not None}
    project_ids = {e.project_id for e in events.values() if e.project_id is not None}
    specs = {sid: (name, title) for sid, name, title in session.execute(
        select(Spec.id, Spec.name, Spec.title).where(Spec.id.in_(spec_ids)))}
    projects = dict(session.execute(select(Project.id, Project.name).where(Project.id.in_(project_ids))).all())
    out: dict[int, email.Item] = {}
    for row in rows:
        event = events[row.event_id]
        payload = event.payload or {}
        project = projects.get(event.project_id or 0) or str(payload.get("project") or "")
        name, title = specs.get(event.spec_id or 0, (str(payload.get("name") or ""), ""))
        url = f"{base}/projects/{project}" if project else base + "/"
        if event.spec_id is not None and name:
            url += f"/specs/{name}"
        if row.summary:
            heading = "; ".join(f"{p}: {n} specs imported" for p, n in sorted(row.summary.items()))
        elif event.kind == EventKind.IMPORT_FINISHED:
            heading = f"Sync of {project or 'a project'} failed: {payload.get('error') or 'see the admin area'}"
            url = f"{base}/admin"
        elif event.kind == EventKind.COMMENT_ADDED and payload.get("source") in ("irc", "mail") \
                and payload.get("title"):
            where = "the mailing list" if payload["source"] == "mail" else "an IRC meeting"
            heading = (f"Discussed on {where}: {title or name} ({project}), in \"{payload['title']}\""
                       if project else f"Discussed on {where}: {title or name}, in \"{payload['title']}\"")
        else:
            subject = title or name or project
            heading = f"{label_for(str(event.kind)).one}: {subject}" + (f" ({project})" if project else "")
        out[row.id] = email.Item(title=email.one_line(heading), reason=row.reason, url=url, project=project,
                                 spec=title or name)
    return out
