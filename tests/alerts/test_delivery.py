"""Delivery to a real SMTP server on 127.0.0.1: nothing lost, nothing sent twice, failures shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal.alerts import consumer, deliver, jobs
from portal.events import cursors
from portal.models import Notification, NotificationStatus, Spec, User
from portal.settings import Settings
from tests.alerts.conftest import Clock, SmtpServer
from tests.support.factories import login


def queue(db: Session, session_factory: sessionmaker[Session], follow: Callable[..., Any],
          record: Callable[..., int], users: list[User], spec: Spec, n: int = 1) -> None:
    cursors.reset(db, consumer.CONSUMER)
    for user in users:
        follow(user, spec=spec)
    for i in range(n):
        record("comment.added", spec, comment_id=i, source="portal")
    db.commit()
    consumer.catch_up(session_factory)


def statuses(db: Session) -> list[str]:
    db.expire_all()
    return [str(n.status) for n in db.scalars(select(Notification).order_by(Notification.id))]


def test_smtp_down_then_up_loses_nothing_and_sends_nothing_twice(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int],
) -> None:
    users = [make_user() for _ in range(3)]
    queue(db, session_factory, follow, record, users, make_spec(), n=4)
    smtp.stop()
    down = deliver.deliver_pending(session_factory, settings)
    assert (down.sent, down.retried) == (0, 12)
    assert statuses(db) == ["pending"] * 12
    row = db.scalars(select(Notification)).first()
    assert row is not None and row.attempts == 1 and "could not reach" in (row.last_error or "")
    # Not due yet: a second run right away does not hammer the server.
    assert deliver.deliver_pending(session_factory, settings).retried == 0
    smtp.start()
    clock.advance(minutes=1)
    up = deliver.deliver_pending(session_factory, settings)
    assert up.sent == 12
    assert statuses(db) == ["sent"] * 12
    ids = [m["Message-ID"] for m in smtp.received]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert deliver.deliver_pending(session_factory, settings).sent == 0
    assert len(smtp.received) == 12


def test_crash_between_send_and_mark_resends_once_with_the_same_message_id(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int],
) -> None:
    queue(db, session_factory, follow, record, [make_user()], make_spec())
    claimed = deliver.claim(session_factory)
    row = db.get(Notification, claimed[0])
    assert row is not None
    db.refresh(row)
    message_id = row.message_id
    assert row.status == NotificationStatus.SENDING and message_id
    # The process "dies" here (the mail may or may not have gone out): the row stays SENDING.
    assert deliver.deliver_pending(session_factory, settings).sent == 0  # inside the lease: left alone
    clock.advance(minutes=16)
    assert deliver.deliver_pending(session_factory, settings).sent == 1
    assert [m["Message-ID"] for m in smtp.received] == [message_id]
    assert statuses(db) == ["sent"]


def test_permanent_failure_is_failed_and_shown_on_the_subscriptions_page(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int], client: Any,
) -> None:
    alice = make_user()
    queue(db, session_factory, follow, record, [alice], make_spec())
    smtp.handler.replies.append("550 5.1.1 mailbox unavailable")
    tally = deliver.deliver_pending(session_factory, settings)
    assert (tally.failed, tally.retried) == (1, 0)
    clock.advance(hours=7)
    assert deliver.deliver_pending(session_factory, settings).sent == 0
    assert statuses(db) == ["failed"] and smtp.received == []
    login(client, alice.username)
    page = client.get("/subscriptions").get_data(as_text=True)
    assert "1 not delivered (permanent failure)" in page and "550" in page


def test_temporary_failure_retries_with_growing_backoff(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int],
) -> None:
    queue(db, session_factory, follow, record, [make_user()], make_spec())
    smtp.handler.replies += ["451 4.3.0 try later", "421 4.3.0 busy"]
    assert deliver.deliver_pending(session_factory, settings).retried == 1
    row = db.scalars(select(Notification)).one()
    db.refresh(row)
    assert row.next_attempt_at.replace(tzinfo=None) == (clock.at + deliver.backoff(1)).replace(tzinfo=None)
    clock.advance(minutes=1)
    assert deliver.deliver_pending(session_factory, settings).retried == 1
    clock.advance(minutes=1)  # the second delay is 2 minutes: not due yet
    assert deliver.deliver_pending(session_factory, settings).sent == 0
    clock.advance(minutes=1)
    assert deliver.deliver_pending(session_factory, settings).sent == 1
    assert len(smtp.received) == 1
    assert [deliver.backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [60, 120, 240, 6 * 3600]


def test_hostile_title_cannot_inject_headers_and_the_mail_has_list_headers(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int],
) -> None:
    spec = make_spec()
    spec.title = "Evil\r\nBcc: victim@example.com\r\n\r\nbody"
    db.flush()
    queue(db, session_factory, follow, record, [make_user()], spec)
    assert deliver.deliver_pending(session_factory, settings).sent == 1
    mail = smtp.received[0]
    assert mail["Bcc"] is None
    assert "Evil Bcc: victim@example.com" in mail["Subject"]
    assert mail["List-Unsubscribe"].startswith("<https://bob.example.org/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Id"] == "BOB alerts <alerts.bob.example.org>"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Why you get this: you follow" in text
    assert "<script" not in html and "https://bob.example.org/projects/" in html


def test_send_pending_catches_up_then_delivers(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int],
) -> None:
    spec = make_spec()
    cursors.reset(db, consumer.CONSUMER)
    follow(make_user(), spec=spec)
    record("comment.added", spec, comment_id=1, source="portal")
    db.commit()
    counts = jobs.send_pending(session_factory, settings)
    assert (counts["events"], counts["matched"], counts["sent"]) == (1, 1, 1)
    assert len(smtp.received) == 1


def test_unsubscribing_skips_what_was_queued_and_not_sent(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int],
) -> None:
    from portal.alerts import subscriptions

    alice = make_user()
    spec = make_spec()
    queue(db, session_factory, follow, record, [alice], spec, n=2)
    sub_id = db.scalars(select(Notification.subscription_id)).first()
    assert sub_id is not None
    subscriptions.unsubscribe(db, alice, sub_id)
    db.commit()
    assert deliver.deliver_pending(session_factory, settings).sent == 0
    assert statuses(db) == ["skipped", "skipped"] and smtp.received == []
