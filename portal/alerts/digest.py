"""The daily digest: one mail per user and local day, at the hour they chose, grouped by project then spec.

A ``Digest`` row is unique per (user, local date): the run that creates it
owns that day's mail, and a second ``portal alerts digest`` the same day
finds it and sends nothing. The digest takes the user's pending ``digest``
notifications (they point at it), is committed as ``sending`` before the
mail goes out, then marked ``sent`` with its notifications. A failed send
retries with the outbox's backoff; a crash in the window repeats the one
digest with the same Message-ID, as for single alerts (portal.alerts.deliver).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from portal import mailer
from portal.alerts import deliver, email
from portal.alerts.errors import DeliveryError
from portal.clock import now
from portal.db.unit import unit_of_work
from portal.models import AlertChannel, AlertPreferences, Digest, Notification, NotificationStatus, User
from portal.settings import Settings

log = logging.getLogger(__name__)


def local_now(timezone: str, at: datetime) -> datetime:
    """``at`` in the user's zone (UTC when the stored zone is unknown)."""
    try:
        return at.astimezone(ZoneInfo(timezone or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return at.astimezone(ZoneInfo("UTC"))


def due_users(session: Session, at: datetime) -> list[tuple[int, str]]:
    """(user id, local date) of users with pending digest items whose hour has come today (two queries)."""
    rows = session.execute(
        select(User.id, User.timezone, AlertPreferences.digest_hour)
        .outerjoin(AlertPreferences, AlertPreferences.user_id == User.id)
        .where(User.is_active.is_(True), User.id.in_(
            select(Notification.user_id).where(Notification.channel == AlertChannel.DIGEST,
                                               Notification.status == NotificationStatus.PENDING,
                                               Notification.digest_id.is_(None))))
    ).all()
    out = []
    for user_id, tz, hour in rows:
        local = local_now(tz, at)
        if local.hour >= (8 if hour is None else hour):
            out.append((user_id, local.date().isoformat()))
    return out


def send_digests(factory: sessionmaker[Session], settings: Settings) -> dict[str, int]:
    """Send every digest that is due; return counts (sent, retried, failed, skipped)."""
    tally = deliver.Tally()
    with unit_of_work(factory) as session:
        due = due_users(session, now())
    for user_id, local_date in due:
        digest_id = _open_digest(factory, user_id, local_date)
        if digest_id is not None:
            _send_digest(factory, settings, digest_id, tally)
    for digest_id in _retries(factory):
        _send_digest(factory, settings, digest_id, tally)
    return tally.as_dict()


def _open_digest(factory: sessionmaker[Session], user_id: int, local_date: str) -> int | None:
    """Create today's digest and attach the pending items, committed as ``sending``; None if today's exists."""
    with unit_of_work(factory) as session:
        if session.scalar(select(Digest.id).where(Digest.user_id == user_id, Digest.local_date == local_date)):
            return None
        at = now()
        digest = Digest(user_id=user_id, local_date=local_date, status=NotificationStatus.SENDING, claimed_at=at,
                        attempts=1)
        session.add(digest)
        session.flush()  # the unique (user, local_date) refuses a second one made at the same moment
        digest.message_id = f"<bob.digest.{digest.id}@notifications>"
        session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.channel == AlertChannel.DIGEST,
                   Notification.status == NotificationStatus.PENDING, Notification.digest_id.is_(None))
            .values(digest_id=digest.id, status=NotificationStatus.SENDING, claimed_at=at)
        )
        return digest.id


def _retries(factory: sessionmaker[Session]) -> list[int]:
    """Digests whose send failed (due again) or whose sender died (past the lease), claimed again."""
    with unit_of_work(factory) as session:
        at = now()
        rows = list(session.scalars(select(Digest).where(or_(
            (Digest.status == NotificationStatus.PENDING) & (Digest.next_attempt_at <= at),
            (Digest.status == NotificationStatus.SENDING) & (Digest.claimed_at <= at - deliver.LEASE),
        )).with_for_update(skip_locked=True)))
        for row in rows:
            row.status, row.claimed_at, row.attempts = NotificationStatus.SENDING, at, row.attempts + 1
        return [row.id for row in rows]


def _send_digest(factory: sessionmaker[Session], settings: Settings, digest_id: int, tally: deliver.Tally) -> None:
    with unit_of_work(factory) as session:
        digest = session.get(Digest, digest_id)
        if digest is None or digest.status != NotificationStatus.SENDING:
            return
        items = list(session.scalars(select(Notification).where(Notification.digest_id == digest.id)
                                     .order_by(Notification.id)))
        user = session.get(User, digest.user_id)
        try:
            if user is None or not user.email:
                raise DeliveryError("the account has no email address; add one on the account page", permanent=True)
            mailer.send(settings, email.build(settings, letter(session, settings, user, digest, items)))
        except (DeliveryError, mailer.MailError) as exc:
            deliver._record_failure(digest, str(exc), permanent=exc.permanent, tally=tally)
            final = NotificationStatus.FAILED if exc.permanent else NotificationStatus.SENDING
            for item in items:
                item.status, item.last_error = final, str(exc)[:2000]
        else:
            at = now()
            digest.status, digest.sent_at = NotificationStatus.SENT, at
            for item in items:
                item.status, item.sent_at = NotificationStatus.SENT, at
            tally.sent += 1
        session.flush()


def letter(session: Session, settings: Settings, user: User, digest: Digest,
           items: list[Notification]) -> email.Letter:
    """The digest mail: items grouped by project, then spec (in the order they happened)."""
    described = deliver.describe(session, settings, items)
    groups: OrderedDict[str, OrderedDict[str, list[email.Item]]] = OrderedDict()
    for row in items:
        item = described[row.id]
        groups.setdefault(item.project or "BOB", OrderedDict()).setdefault(item.spec, []).append(item)
    count = len(items)
    return email.Letter(
        to=user.email or "", display_name=user.name_shown,
        subject=f"[BOB] Your digest for {digest.local_date}: {count} update{'s' if count != 1 else ''}",
        items=list(described.values()), message_id=digest.message_id or f"<bob.digest.{digest.id}@notifications>",
        digest=True, digest_user_id=user.id, groups=[(p, list(specs.items())) for p, specs in sorted(groups.items())],
    )
