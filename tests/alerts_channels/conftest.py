"""Rows for channel tests: a webhook subscription with a notification to deliver, built directly."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from portal import events
from portal.clock import set_clock
from portal.models import (
    AlertChannel,
    Event,
    Notification,
    NotificationStatus,
    Project,
    Spec,
    Subscription,
    TargetKind,
    User,
)
from portal.settings import Settings

BASE_URL = "https://bob.example.org"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def fixed_clock() -> Iterator[datetime]:
    set_clock(lambda: NOW)
    yield NOW
    set_clock(None)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The defaults, with the base URL feeds and webhook bodies build links from."""
    return Settings.for_testing(tmp_path / "instance", database_url, base_url=BASE_URL)


@pytest.fixture
def local_settings(settings: Settings) -> Settings:
    """What a receiver on 127.0.0.1 needs: http and private addresses allowed, a short timeout."""
    return settings.with_overrides(webhook_allow_http=True, webhook_allow_private=True, webhook_timeout=1.0)


@pytest.fixture
def make_hook(
    db: Session, make_user: Callable[..., User], make_spec: Callable[..., Spec]
) -> Callable[..., tuple[Subscription, Notification]]:
    """A webhook subscription to ``url`` and one pending notification of a fresh spec event."""

    def make(url: str, *, user: User | None = None, secret: str | None = None) -> tuple[Subscription, Notification]:
        owner = user or make_user()
        spec = make_spec()
        project = db.get(Project, spec.project_id)
        assert project is not None
        subscription = Subscription(user_id=owner.id, kind=TargetKind.PROJECT, project_id=project.id,
                                    channel=AlertChannel.WEBHOOK, webhook_url=url,
                                    webhook_secret=secret or secrets.token_hex(16))
        db.add(subscription)
        event = events.record(db, events.EventKind.SPEC_STATE_CHANGED, project_id=project.id, spec_id=spec.id,
                              name=spec.name, from_state="approved", to_state="implemented")
        db.flush()
        notification = Notification(user_id=owner.id, event_id=event.id, channel=AlertChannel.WEBHOOK,
                                    subscription_id=subscription.id, reason=f"you follow {project.name}",
                                    status=NotificationStatus.SENDING)
        db.add(notification)
        db.flush()
        return subscription, notification

    return make


def event_of(db: Session, notification: Notification) -> Event:
    event = db.get(Event, notification.event_id)
    assert event is not None
    return event
