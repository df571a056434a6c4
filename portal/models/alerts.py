"""Alerts: subscriptions, the notification outbox, digests, webhook deliveries, feed tokens.

The outbox guarantee rests on two constraints here: a notification is unique
per (user, event, channel), so re-reading an event never queues a second
message; and a digest is unique per (user, local date), so a second
``portal alerts digest`` on the same day sends nothing. A backfill (first
import) queues one *summary* notification per follower and import run,
keyed on the run's ``import.finished`` event like any other.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now
from portal.db.base import Base, StrEnumColumn


class AlertChannel(StrEnum):
    """How a subscriber hears: a mail per event, one mail a day, their Atom feed, or a signed POST."""

    EMAIL = "email"
    DIGEST = "digest"
    ATOM = "atom"
    WEBHOOK = "webhook"


class TargetKind(StrEnum):
    """What a subscription follows."""

    PROJECT = "project"  # new specs, status changes (and, for a PTL, votes and comments)
    SPEC = "spec"  # new patch set, merge, status, comment, checklist change, PTL acknowledgement
    SAVED_SEARCH = "saved_search"  # new matches, once the search consumer has indexed the event
    RULE = "rule"  # an operability rule across projects (see portal.alerts.matching)


class SubscriptionOrigin(StrEnum):
    """Who made a subscription: the user, or BOB's default for a PTL (which they can turn off)."""

    USER = "user"
    PTL_DEFAULT = "ptl_default"


class NotificationStatus(StrEnum):
    PENDING = "pending"  # waiting for delivery (or its next retry, at next_attempt_at)
    SENDING = "sending"  # claimed by a sender (claimed_at); a crash leaves it here, see portal.alerts.deliver
    SENT = "sent"
    FAILED = "failed"  # permanent: a 5xx reply, a refused recipient, a refused webhook address; not retried
    SKIPPED = "skipped"  # nothing to deliver any more (subscription removed, user blocked)


class Subscription(Base):
    """One thing a user follows on one channel. ``rule`` holds the operability rule's JSON (kind ``rule``)."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_kind_project", "kind", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TargetKind] = mapped_column(StrEnumColumn(TargetKind, 16))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    spec_id: Mapped[int | None] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"), index=True)
    saved_search_id: Mapped[int | None] = mapped_column(ForeignKey("saved_searches.id", ondelete="CASCADE"))
    # {"projects": ["nova", …], "release": "2026.2", "items": ["upgrade"], "when": "gap" | "concern" | "changed"}
    rule: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    channel: Mapped[AlertChannel] = mapped_column(StrEnumColumn(AlertChannel, 16))
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))  # HMAC key, shown to the user once
    origin: Mapped[SubscriptionOrigin] = mapped_column(
        StrEnumColumn(SubscriptionOrigin, 16), default=SubscriptionOrigin.USER
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class Notification(Base):
    """The outbox: one row per (user, event, channel), delivered at most once per claim."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id", "channel"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
        Index("ix_notifications_user_channel_id", "user_id", "channel", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    channel: Mapped[AlertChannel] = mapped_column(StrEnumColumn(AlertChannel, 16))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(300), default="")  # "you follow nova", "you were mentioned"
    summary: Mapped[dict[str, Any] | None] = mapped_column(default=None)  # a backfill summary: counts by project
    status: Mapped[NotificationStatus] = mapped_column(
        StrEnumColumn(NotificationStatus, 16), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255))  # the mail's Message-ID, fixed before the first try
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]


class Digest(Base):
    """One daily digest mail per user and local date; its notifications point here once included."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("user_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the user's time zone
    status: Mapped[NotificationStatus] = mapped_column(
        StrEnumColumn(NotificationStatus, 16), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]


class AlertPreferences(Base):
    """Per-user alert settings; a user without a row has the defaults."""

    __tablename__ = "alert_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    digest_hour: Mapped[int] = mapped_column(default=8)  # 0–23, in User.timezone
    ptl_follow: Mapped[bool] = mapped_column(Boolean, default=True)  # PTLs follow their projects' votes and comments
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the Atom feed token
    feed_token_created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class WebhookDelivery(Base):
    """One POST attempt of a webhook notification: the log a user sees on their subscriptions page."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_subscription_id", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(String(2000))
    address: Mapped[str | None] = mapped_column(String(64))  # the checked IP it connected to
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    attempted_at: Mapped[datetime] = mapped_column(default=now)
