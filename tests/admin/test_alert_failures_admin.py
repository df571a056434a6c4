"""The admin's view of alert deliveries that failed: every user's, with the server's reply, and "Send again"."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal import events
from portal.models import AlertChannel, AuditLog, Notification, NotificationStatus, Spec, User
from tests.admin.conftest import flashes, submit
from tests.support.html import text_of


def add_problems(db: Session, user: User, spec: Spec, n: int) -> list[Notification]:
    rows = []
    for i in range(n):
        event = events.record(db, "comment.added", project_id=spec.project_id, spec_id=spec.id, comment_id=i + 1,
                              source="portal")
        db.flush()
        failed = i % 2 == 0
        row = Notification(
            user_id=user.id, event_id=event.id, channel=AlertChannel.EMAIL, attempts=1 if failed else 3,
            status=NotificationStatus.FAILED if failed else NotificationStatus.PENDING,
            last_error=("the SMTP server refused the recipient: 550 5.1.1 mailbox unknown" if failed
                        else "could not reach the SMTP server at mail:25: Connection refused"),
        )
        db.add(row)
        rows.append(row)
    db.add(Notification(user_id=user.id, event_id=rows[0].event_id, channel=AlertChannel.ATOM,
                        status=NotificationStatus.SENT))  # delivered: not a problem
    db.flush()
    return rows


def test_admin_sees_every_users_failures_with_the_reply_in_constant_queries(
    admin_client: FlaskClient, db: Session, make_user: Callable[..., User], make_spec: Callable[..., Spec],
    count_queries,
) -> None:
    carol = make_user("carol")
    spec = make_spec(name="vm-live-resize")
    add_problems(db, carol, spec, 3)

    with count_queries() as few:
        page = admin_client.get("/admin/alerts")
    text = text_of(page.text)
    assert page.status_code == 200
    assert "2 failed for good" in text and "1 being retried" in text
    assert "carol email New comment on vm-live-resize failed 1" in text
    assert "550 5.1.1 mailbox unknown" in text
    assert "retrying" in text and "Connection refused" in text
    assert text.count("Send again") == 2  # only the permanent failures; retries go on by themselves

    add_problems(db, make_user("dave"), spec, 20)
    with count_queries() as many:
        admin_client.get("/admin/alerts")
    assert many.count == few.count


def test_send_again_queues_a_failed_notification_and_audits_it(
    admin_client: FlaskClient, db: Session, make_user: Callable[..., User], make_spec: Callable[..., Spec],
) -> None:
    failed, retrying, _ = add_problems(db, make_user("carol"), make_spec(), 3)
    message_id = failed.message_id = "<n1.test@bob>"
    db.flush()

    done = submit(admin_client, "/admin/alerts", f"/admin/alerts/{failed.id}/retry", follow_redirects=True)
    assert done.status_code == 200
    assert f"Notification #{failed.id} is queued again" in " ".join(flashes(done))
    db.refresh(failed)
    assert failed.status == NotificationStatus.PENDING and failed.attempts == 0
    assert failed.message_id == message_id  # a copy that did arrive is dropped by the mail client
    assert db.query(AuditLog).filter_by(action="notification.retried", target_id=str(failed.id)).count() == 1

    refused = submit(admin_client, "/admin/alerts", f"/admin/alerts/{retrying.id}/retry")
    assert refused.status_code == 400
    assert "has not failed for good" in " ".join(flashes(refused))


def test_only_admins_see_the_page(client: FlaskClient, make_user: Callable[..., User]) -> None:
    from tests.support.factories import login

    assert client.get("/admin/alerts").status_code == 302  # to the login page
    make_user("olga")
    login(client, "olga")
    assert client.get("/admin/alerts").status_code == 403
