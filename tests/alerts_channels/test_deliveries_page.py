"""The webhook delivery log page: its owner (and admins) see every attempt, newest first; others get 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.models import Notification, Subscription, User, WebhookDelivery
from tests.alerts_channels.conftest import NOW
from tests.support.factories import login
from tests.support.html import text_of
from tests.support.queries import QueryCounter

MakeHook = Callable[..., tuple[Subscription, Notification]]


def log_attempts(db: Session, subscription: Subscription, notification: Notification, count: int) -> None:
    for n in range(count):
        ok = n % 2 == 0
        db.add(WebhookDelivery(notification_id=notification.id, subscription_id=subscription.id,
                               url=subscription.webhook_url or "", address="203.0.113.9",
                               status_code=200 if ok else 503, error=None if ok else f"attempt {n} failed",
                               duration_ms=10 + n, attempted_at=NOW + timedelta(minutes=n)))
    db.flush()


def test_the_owner_sees_attempts_newest_first(
    db: Session, client: FlaskClient, make_user: Callable[..., User], make_hook: MakeHook
) -> None:
    rey = make_user("rey")
    subscription, notification = make_hook("https://hooks.example.org/rey", user=rey)
    log_attempts(db, subscription, notification, 3)
    login(client, "rey")
    response = client.get(f"/subscriptions/{subscription.id}/deliveries")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "https://hooks.example.org/rey" in text and "3 in all" in text
    assert text.index("12 ms") < text.index("11 ms") < text.index("10 ms")
    assert "attempt 1 failed" in text and "203.0.113.9" in text


def test_others_get_404_and_admins_may_look(
    db: Session, client: FlaskClient, make_user: Callable[..., User], make_hook: MakeHook
) -> None:
    rey = make_user("rey")
    make_user("carlos")
    make_user("root", role="admin")
    subscription, notification = make_hook("https://hooks.example.org/rey", user=rey)
    log_attempts(db, subscription, notification, 1)
    url = f"/subscriptions/{subscription.id}/deliveries"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(client, "carlos")
    assert client.get(url).status_code == 404
    assert client.get("/subscriptions/999999/deliveries").status_code == 404
    admin = client.application.test_client()
    login(admin, "root")
    assert admin.get(url).status_code == 200


def test_pages_of_the_log_cost_the_same_queries(
    db: Session, client: FlaskClient, make_user: Callable[..., User], make_hook: MakeHook,
    count_queries: Callable[[], QueryCounter]
) -> None:
    rey = make_user("rey")
    few_sub, few_note = make_hook("https://hooks.example.org/a", user=rey)
    many_sub, many_note = make_hook("https://hooks.example.org/b", user=rey)
    log_attempts(db, few_sub, few_note, 2)
    log_attempts(db, many_sub, many_note, 60)
    login(client, "rey")
    with count_queries() as few:
        client.get(f"/subscriptions/{few_sub.id}/deliveries")
    with count_queries() as many:
        first = client.get(f"/subscriptions/{many_sub.id}/deliveries").get_data(as_text=True)
    assert many.count == few.count
    assert first.count('class="delivery ') == 50 and 'rel="next"' in first
    second = client.get(f"/subscriptions/{many_sub.id}/deliveries?page=2").get_data(as_text=True)
    assert second.count('class="delivery ') == 10 and "Page 2 of 2" in second
