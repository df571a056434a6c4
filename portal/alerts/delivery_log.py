"""The webhook delivery log a subscriber reads: every POST attempt of one subscription, newest first.

Two queries a page whatever its length (the count, then the page's rows
with their notification's event kind), from the
``(subscription_id, id)`` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import permissions
from portal.errors import NotFound
from portal.models import Event, Notification, Subscription, User, WebhookDelivery
from portal.specs.listing import Pager

PER_PAGE = 50
MAX_PAGE = 10_000


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    attempted_at: datetime
    event_kind: str
    notification_id: int
    url: str
    address: str | None
    status_code: int | None
    error: str | None
    duration_ms: int | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


@dataclass(frozen=True)
class DeliveryPage(Pager):
    subscription: Subscription
    rows: list[DeliveryRow]
    total: int
    page: int
    per_page: int


def subscription_for(session: Session, actor: User | None, subscription_id: int) -> Subscription:
    """The subscription if ``actor`` may see its log; :class:`NotFound` otherwise (others learn nothing)."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or not permissions.can_see_webhook_deliveries(actor, subscription):
        raise NotFound(f"There is no subscription {subscription_id} of yours. Open your subscriptions to pick one.")
    return subscription


def deliveries(session: Session, actor: User | None, subscription_id: int, page: int = 1,
               per_page: int = PER_PAGE) -> DeliveryPage:
    """One page of the subscription's attempts, newest first."""
    subscription = subscription_for(session, actor, subscription_id)
    page = min(max(page, 1), MAX_PAGE)
    total = session.scalar(
        select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    ) or 0
    stmt = (
        select(WebhookDelivery, Event.kind)
        .join(Notification, Notification.id == WebhookDelivery.notification_id)
        .join(Event, Event.id == Notification.event_id)
        .where(WebhookDelivery.subscription_id == subscription.id)
        .order_by(WebhookDelivery.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [
        DeliveryRow(d.id, d.attempted_at, str(kind), d.notification_id, d.url, d.address, d.status_code, d.error,
                    d.duration_ms)
        for d, kind in session.execute(stmt)
    ]
    return DeliveryPage(subscription, rows, total, page, per_page)
