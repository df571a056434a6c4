"""One-click unsubscribe (RFC 8058): signed, no login, no CSRF; tampered or expired links get a clear page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from portal.alerts import tokens
from portal.models import Project, Subscription, User
from portal.settings import Settings
from tests.alerts.conftest import Clock
from tests.support.factories import login
from tests.support.html import text_of


def a_subscription(db: Session, make_user: Callable[..., User], make_project: Callable[..., Project]) -> Subscription:
    sub = Subscription(user_id=make_user().id, kind="project", project_id=make_project().id, channel="email")
    db.add(sub)
    db.flush()
    return sub


def test_one_click_post_without_session_or_csrf_unsubscribes(
    client: Any, db: Session, settings: Settings, make_user: Callable[..., User],
    make_project: Callable[..., Project],
) -> None:
    sub = a_subscription(db, make_user, make_project)
    sub_id = sub.id
    token = tokens.make(settings.secret_key, sub_id)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Stop the alerts of" in text_of(page.get_data(as_text=True))
    assert db.get(Subscription, sub.id) is not None  # GET only asks
    done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "you are unsubscribed" in text_of(done.get_data(as_text=True))
    db.expunge_all()
    assert db.get(Subscription, sub_id) is None
    again = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and "already unsubscribed" in text_of(again.get_data(as_text=True))


def test_tampered_and_expired_links_are_refused_with_what_to_do(
    client: Any, db: Session, settings: Settings, clock: Clock, make_user: Callable[..., User],
    make_project: Callable[..., Project],
) -> None:
    sub = a_subscription(db, make_user, make_project)
    token = tokens.make(settings.secret_key, sub.id)
    other = tokens.make(settings.secret_key, sub.id + 1)
    forged = token.split(".")[0] + "." + ".".join(other.split(".")[1:])
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged,
                tokens.make("another-secret", sub.id)):
        response = client.post(f"/unsubscribe/{bad}")
        assert response.status_code == 400
        assert "not valid" in text_of(response.get_data(as_text=True))
        assert "Sign in and open Subscriptions" in text_of(response.get_data(as_text=True))
    clock.advance(days=61)
    expired = client.post(f"/unsubscribe/{token}")
    assert expired.status_code == 400 and "has expired" in text_of(expired.get_data(as_text=True))
    assert client.get(f"/unsubscribe/{token}").status_code == 400
    db.expire_all()
    assert db.get(Subscription, sub.id) is not None


def test_every_other_alerts_post_still_needs_csrf(
    client: Any, db: Session, make_user: Callable[..., User], make_project: Callable[..., Project],
) -> None:
    sub = a_subscription(db, make_user, make_project)
    owner = db.get(User, sub.user_id)
    assert owner is not None
    login(client, owner.username)
    for url, data in [
        ("/subscriptions", {"kind": "project", "project": "x"}),
        ("/subscriptions/unfollow", {"project": "x"}),
        (f"/subscriptions/{sub.id}/channel", {"channel": "digest"}),
        (f"/subscriptions/{sub.id}/delete", {}),
        ("/subscriptions/preferences", {"digest_hour": "9"}),
    ]:
        assert client.post(url, data=data).status_code == 400, url
    db.expire_all()
    assert db.get(Subscription, sub.id) is not None
