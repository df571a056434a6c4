"""/subscriptions and the follow forms: every action flashes what happened; the list costs fixed queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AlertPreferences, Project, Subscription, User
from tests.support.factories import login
from tests.support.html import csrf_token, text_of


def signed_in(client: Any, user: User) -> str:
    login(client, user.username)
    return csrf_token(client.get("/subscriptions").get_data(as_text=True))


def test_follow_a_project_rule_channel_and_preferences(
    client: Any, db: Session, make_user: Callable[..., User], make_project: Callable[..., Project],
) -> None:
    me = make_user()
    nova = make_project("nova")
    token = signed_in(client, me)
    page = client.get("/projects/nova").get_data(as_text=True)
    assert "Follow this project" in page
    done = client.post("/subscriptions", data={"csrf_token": token, "kind": "project", "project": "nova",
                                               "channel": "email", "next": "/projects/nova"}, follow_redirects=True)
    assert "Following Project nova (email, one per event)" in text_of(done.get_data(as_text=True))
    assert "Unfollow" in client.get("/projects/nova").get_data(as_text=True)
    rule = client.post("/subscriptions", data={"csrf_token": token, "kind": "rule", "projects": ["nova"],
                                               "release": "2026.2", "items": "upgrade", "when": "gap",
                                               "channel": "digest"}, follow_redirects=True)
    text = text_of(rule.get_data(as_text=True))
    assert "Following Rule: nova targeting 2026.2 — when upgrade has a gap (daily digest)" in text
    bad = client.post("/subscriptions", data={"csrf_token": token, "kind": "rule", "when": "often"},
                      follow_redirects=True)
    assert "Not followed: The rule is not valid: when must be one of gap, concern, changed" in text_of(
        bad.get_data(as_text=True))
    sub = db.scalars(select(Subscription).where(Subscription.user_id == me.id, Subscription.project_id == nova.id)
                     ).one()
    changed = client.post(f"/subscriptions/{sub.id}/channel", data={"csrf_token": token, "channel": "atom"},
                          follow_redirects=True)
    assert "Channel changed to my atom feed." in text_of(changed.get_data(as_text=True))
    prefs = client.post("/subscriptions/preferences", data={"csrf_token": token, "digest_hour": "6"},
                        follow_redirects=True)
    assert "your digest comes at 06:00 your time; PTL alerts are off" in text_of(prefs.get_data(as_text=True))
    row = db.get(AlertPreferences, me.id)
    assert row is not None and (row.digest_hour, row.ptl_follow) == (6, False)
    gone = client.post(f"/subscriptions/{sub.id}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "Subscription removed" in text_of(gone.get_data(as_text=True))


def test_someone_elses_subscription_is_404(client: Any, db: Session, make_user: Callable[..., User],
                                           make_project: Callable[..., Project]) -> None:
    other = make_user()
    sub = Subscription(user_id=other.id, kind="project", project_id=make_project().id, channel="email")
    db.add(sub)
    db.flush()
    token = signed_in(client, make_user())
    assert client.post(f"/subscriptions/{sub.id}/delete", data={"csrf_token": token}).status_code == 404


def test_the_list_costs_the_same_queries_for_3_or_30_subscriptions(
    client: Any, db: Session, make_user: Callable[..., User], make_project: Callable[..., Project],
    count_queries: Callable[[], Any],
) -> None:
    me = make_user()
    projects = [make_project() for _ in range(30)]
    signed_in(client, me)

    def measure(n: int) -> int:
        for project in projects[:n]:
            if not db.scalar(select(Subscription.id).where(Subscription.user_id == me.id,
                                                           Subscription.project_id == project.id)):
                db.add(Subscription(user_id=me.id, kind="project", project_id=project.id, channel="email"))
        db.flush()
        with count_queries() as q:
            assert client.get("/subscriptions").status_code == 200
        return int(q.count)

    assert measure(3) == measure(30)


def test_login_required(client: Any) -> None:
    response = client.get("/subscriptions")
    assert response.status_code in (302, 401)


def test_follow_a_saved_search_from_the_page(client: Any, db: Session, make_user: Callable[..., User]) -> None:
    from portal.models import SavedSearch

    me = make_user()
    token = signed_in(client, me)
    assert "Save a search on the" in client.get("/subscriptions").get_data(as_text=True)
    saved = SavedSearch(user_id=me.id, name="rabbit in nova", query={"q": "rabbitmq"})
    db.add(saved)
    db.flush()
    page = client.get("/subscriptions").get_data(as_text=True)
    assert "rabbit in nova" in page
    done = client.post("/subscriptions", data={"csrf_token": token, "kind": "saved_search",
                                               "saved_search": str(saved.id), "channel": "atom"},
                       follow_redirects=True)
    assert "Following Saved search “rabbit in nova” (my atom feed)" in text_of(done.get_data(as_text=True))
    other = SavedSearch(user_id=make_user().id, name="not mine", query={"q": "x"})
    db.add(other)
    db.flush()
    refused = client.post("/subscriptions", data={"csrf_token": token, "kind": "saved_search",
                                                  "saved_search": str(other.id)}, follow_redirects=True)
    assert "Not followed: No saved search of yours has that id" in text_of(refused.get_data(as_text=True))
