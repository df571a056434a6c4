"""Daily digests: at the user's hour in their zone, grouped by project then spec, once per local day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal.alerts import consumer, jobs
from portal.events import cursors
from portal.models import AlertPreferences, Digest, Notification, Project, Spec, Subscription, User
from portal.settings import Settings
from tests.alerts.conftest import Clock, SmtpServer


def test_digest_groups_by_project_and_spec_and_goes_once_a_day(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_project: Callable[..., Project], make_spec: Callable[..., Spec],
    follow: Callable[..., Any], record: Callable[..., int],
) -> None:
    # 12:00 UTC is 21:00 in Tokyo: a digest hour of 22 has not come yet.
    alice = make_user()
    alice.timezone = "Asia/Tokyo"
    db.add(AlertPreferences(user_id=alice.id, digest_hour=22))
    nova, cinder = make_project("nova"), make_project("cinder")
    a, b, c = make_spec("a-spec", project=nova), make_spec("b-spec", project=nova), make_spec("c-spec", project=cinder)
    cursors.reset(db, consumer.CONSUMER)
    for spec in (a, b, c):
        follow(alice, spec=spec, channel="digest")
    for spec in (c, a, b, a):
        record("comment.added", spec, comment_id=1, source="portal")
    db.commit()
    jobs.send_pending(session_factory, settings)
    assert smtp.received == []  # digest items are not mailed one by one

    assert jobs.send_digests(session_factory, settings)["sent"] == 0
    clock.advance(hours=1)  # 22:00 in Tokyo
    assert jobs.send_digests(session_factory, settings)["sent"] == 1
    assert jobs.send_digests(session_factory, settings)["sent"] == 0  # a second run the same day sends nothing
    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail["Subject"] == "[BOB] Your digest for 2026-12-02: 4 updates"
    text = mail.get_body(("plain",)).get_content()
    assert text.index("== cinder ==") < text.index("== nova ==")
    assert text.index("A Spec") < text.index("B Spec")
    assert text.count("A Spec") >= 2 or text.count("a-spec") >= 2
    db.expire_all()
    assert {str(n.status) for n in db.scalars(select(Notification))} == {"sent"}
    assert [d.local_date for d in db.scalars(select(Digest))] == ["2026-12-02"]

    # A new item after today's digest waits for tomorrow's.
    record("comment.added", a, comment_id=2, source="portal")
    db.commit()
    jobs.send_pending(session_factory, settings)
    assert jobs.send_digests(session_factory, settings)["sent"] == 0
    clock.advance(hours=24)
    assert jobs.send_digests(session_factory, settings)["sent"] == 1
    assert len(smtp.received) == 2


def test_digest_waits_while_smtp_is_down(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int],
) -> None:
    bob = make_user()
    spec = make_spec()
    cursors.reset(db, consumer.CONSUMER)
    follow(bob, spec=spec, channel="digest")
    record("comment.added", spec, comment_id=1, source="portal")
    db.commit()
    jobs.send_pending(session_factory, settings)
    smtp.stop()
    assert jobs.send_digests(session_factory, settings)["retried"] == 1
    smtp.start()
    clock.advance(minutes=1)
    assert jobs.send_digests(session_factory, settings)["sent"] == 1
    assert len(smtp.received) == 1


def test_a_digest_left_sending_by_a_crash_goes_once_after_the_lease_with_its_message_id(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer, clock: Clock,
    make_user: Callable[..., User], make_spec: Callable[..., Spec], follow: Callable[..., Any],
    record: Callable[..., int],
) -> None:
    from portal.alerts import digest

    carol = make_user()
    spec = make_spec()
    cursors.reset(db, consumer.CONSUMER)
    follow(carol, spec=spec, channel="digest")
    record("comment.added", spec, comment_id=1, source="portal")
    db.commit()
    jobs.send_pending(session_factory, settings)
    opened = digest._open_digest(session_factory, carol.id, "2026-12-02")  # then the process dies
    assert opened is not None
    assert jobs.send_digests(session_factory, settings)["sent"] == 0  # today's exists; inside the lease
    clock.advance(minutes=16)
    assert jobs.send_digests(session_factory, settings)["sent"] == 1
    row = db.get(Digest, opened)
    assert row is not None
    db.refresh(row)
    assert [m["Message-ID"] for m in smtp.received] == [row.message_id]
    assert jobs.send_digests(session_factory, settings)["sent"] == 0


def test_the_digest_has_a_one_click_link_that_stops_only_digests(
    client: Any, db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer,
    clock: Clock, make_user: Callable[..., User], make_project: Callable[..., Project],
    make_spec: Callable[..., Spec], follow: Callable[..., Any], record: Callable[..., int],
) -> None:
    alice = make_user()
    db.add(AlertPreferences(user_id=alice.id, digest_hour=12))  # 12:00 UTC is the fake clock's hour
    nova = make_project("nova")
    a, b = make_spec("a-spec", project=nova), make_spec("b-spec", project=nova)
    cursors.reset(db, consumer.CONSUMER)
    follow(alice, spec=a, channel="digest")
    follow(alice, spec=b, channel="digest")
    by_mail = follow(alice, spec=b, channel="email")
    record("comment.added", a, comment_id=1, source="portal")
    db.commit()
    jobs.send_pending(session_factory, settings)
    assert jobs.send_digests(session_factory, settings)["sent"] == 1
    digest = next(m for m in smtp.received if m["Subject"].startswith("[BOB] Your digest"))
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = digest["List-Unsubscribe"].strip("<>")
    path = link[len(settings.base_url.rstrip("/")):]

    page = client.get(path)
    assert "your daily digest (2 subscriptions)" in page.get_data(as_text=True)
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})  # the mail client: no session, no CSRF
    assert done.status_code == 200
    db.expire_all()
    left = db.scalars(select(Subscription).where(Subscription.user_id == alice.id)).all()
    assert [s.id for s in left] == [by_mail.id]  # the per-mail subscription stays
