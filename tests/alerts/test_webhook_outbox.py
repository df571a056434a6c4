"""Webhook rows through the outbox: a 503 retries with backoff and its delivery log survives; a 404 is final."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal.alerts import consumer, deliver, webhook
from portal.events import cursors
from portal.models import Notification, NotificationStatus, Spec, User, WebhookDelivery
from portal.settings import Settings
from tests.alerts.conftest import Clock
from tests.support.http_server import Reply, ScriptedServer, scripted_server


@pytest.fixture
def receiver() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


def test_webhook_retry_keeps_the_log_and_a_4xx_is_final(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, clock: Clock,
    receiver: ScriptedServer, make_user: Callable[..., User], make_spec: Callable[..., Spec],
    follow: Callable[..., Any], record: Callable[..., int],
) -> None:
    local = settings.with_overrides(webhook_allow_http=True, webhook_allow_private=True, webhook_timeout=2.0)
    spec = make_spec()
    cursors.reset(db, consumer.CONSUMER)
    follow(make_user(), spec=spec, channel="webhook", webhook_url=receiver.url + "/hook",
           webhook_secret=webhook.new_secret())
    record("comment.added", spec, comment_id=1, source="portal")
    record("comment.added", spec, comment_id=2, source="portal")
    db.commit()
    consumer.catch_up(session_factory)
    receiver.script(Reply(503, "busy"), Reply(404, "gone"), Reply(200, "ok"))
    first = deliver.deliver_pending(session_factory, local)
    assert (first.retried, first.failed) == (1, 1)
    db.expire_all()
    logged = list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
    assert [d.status_code for d in logged] == [503, 404]  # committed with the failures
    clock.advance(minutes=1)
    assert deliver.deliver_pending(session_factory, local).sent == 1
    db.expire_all()
    assert sorted(str(n.status) for n in db.scalars(select(Notification))) == [
        NotificationStatus.FAILED.value, NotificationStatus.SENT.value]
    assert len(receiver.requests) == 3
