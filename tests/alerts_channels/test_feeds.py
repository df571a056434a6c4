"""Atom feeds as a feed reader sees them: valid, stable ids, backfill folded, hostile text escaped, 304s."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import feedparser
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.models import (
    AlertChannel,
    AlertPreferences,
    Event,
    Notification,
    NotificationStatus,
    Project,
    Spec,
    User,
)
from tests.alerts_channels.conftest import BASE_URL, NOW
from tests.support.factories import login
from tests.support.html import csrf_token
from tests.support.queries import QueryCounter

ATOM = "application/atom+xml"


def parse(response: Any) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == ATOM
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_project_feed_lists_recent_events_and_one_entry_per_backfill(
    db: Session, client: FlaskClient, make_project: Callable[..., Project], make_spec: Callable[..., Spec]
) -> None:
    nova = make_project("nova", title="Compute")
    with events.backfilling(db):
        for n in range(3):
            make_spec(f"old-{n}", project=nova)  # a first import: no entry each
        run = events.record(db, events.EventKind.IMPORT_FINISHED, project_id=nova.id, source="specs-dir",
                            status="succeeded", counts={"created": 3})
    drain = make_spec("drain-mode", project=nova, title="Compute drain mode")
    events.record(db, events.EventKind.SPEC_STATE_CHANGED, project_id=nova.id, spec_id=drain.id, name=drain.name,
                  from_state="approved", to_state="implemented")
    events.record(db, events.EventKind.COMMENT_ADDED, project_id=nova.id, spec_id=drain.id, comment_id=1,
                  source="portal")
    other = make_spec("elsewhere")  # another project: not in nova's feed
    db.flush()

    feed = parse(client.get("/projects/nova/feed.atom"))

    titles = [e.title for e in feed.entries]
    assert titles == [
        "nova: New comment on Compute drain mode",
        "nova: State changed on Compute drain mode",
        "nova: New spec Compute drain mode",
        "nova: 3 specs imported",
    ]
    assert feed.feed.title == "Compute — BOB"
    assert feed.feed.link == f"{BASE_URL}/projects/nova"
    assert feed.entries[0].link == f"{BASE_URL}/projects/nova/specs/drain-mode"
    assert feed.entries[-1].link == f"{BASE_URL}/projects/nova"
    assert feed.entries[-1].id == f"tag:bob.example.org,2026:/event/{run.id}"
    ids = {e.id for e in feed.entries}
    assert len(ids) == 4 and all(i.startswith("tag:bob.example.org,2026:/event/") for i in ids)
    assert other.name not in str(feed)


def test_entry_ids_and_dates_come_from_the_event(
    db: Session, client: FlaskClient, make_spec: Callable[..., Spec]
) -> None:
    spec = make_spec("stable-ids")
    event = db.scalars(select(Event).where(Event.spec_id == spec.id)).one()
    event.created_at = NOW - timedelta(days=3)
    db.flush()
    project = db.get(Project, spec.project_id)
    assert project is not None
    first = parse(client.get(f"/projects/{project.name}/feed.atom"))
    again = parse(client.get(f"/projects/{project.name}/feed.atom"))
    assert first.entries[0].id == again.entries[0].id == f"tag:bob.example.org,2026:/event/{event.id}"
    assert first.entries[0].updated_parsed[:5] == (NOW - timedelta(days=3)).timetuple()[:5]


def test_hostile_titles_are_escaped(db: Session, client: FlaskClient, make_spec: Callable[..., Spec]) -> None:
    spec = make_spec("hostile")
    spec.title = 'Evil <script>alert(1)</script> & "quotes" ]]> \x01\x1b end'
    db.flush()
    project = db.get(Project, spec.project_id)
    assert project is not None
    response = client.get(f"/projects/{project.name}/feed.atom")
    assert b"<script>" not in response.data
    feed = parse(response)
    assert feed.entries[0].title == f'{project.name}: New spec Evil <script>alert(1)</script> & "quotes" ]]>  end'


def test_a_feed_answers_304_when_unchanged(
    db: Session, client: FlaskClient, make_spec: Callable[..., Spec]
) -> None:
    spec = make_spec("conditional")
    project = db.get(Project, spec.project_id)
    assert project is not None
    url = f"/projects/{project.name}/feed.atom"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]

    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304

    events.record(db, events.EventKind.SPEC_STATE_CHANGED, project_id=project.id, spec_id=spec.id, name=spec.name,
                  from_state="approved", to_state="implemented")
    db.flush()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_project_feed_queries_do_not_grow_with_entries(
    db: Session, client: FlaskClient, make_project: Callable[..., Project], make_spec: Callable[..., Spec],
    count_queries: Callable[[], QueryCounter]
) -> None:
    small, big = make_project("small"), make_project("big")
    make_spec(project=small)
    for _ in range(12):
        spec = make_spec(project=big)
        events.record(db, events.EventKind.COMMENT_ADDED, project_id=big.id, spec_id=spec.id, comment_id=1,
                      source="gerrit")
    db.flush()
    with count_queries() as few:
        assert len(parse(client.get("/projects/small/feed.atom")).entries) == 1
    with count_queries() as many:
        assert len(parse(client.get("/projects/big/feed.atom")).entries) == 24
    assert many.count == few.count <= 3


def test_an_unknown_project_has_no_feed(client: FlaskClient) -> None:
    assert client.get("/projects/nope/feed.atom").status_code == 404


def test_the_project_page_announces_its_feed(client: FlaskClient, make_project: Callable[..., Project]) -> None:
    make_project("glance", title="Images & <b>things</b>")
    page = client.get("/projects/glance").get_data(as_text=True)
    head = page.split("</head>", 1)[0]
    assert ('<link rel="alternate" type="application/atom+xml" title="Images &amp; &lt;b&gt;things&lt;/b&gt;: '
            'recent activity (Atom)" href="/projects/glance/feed.atom">') in head


# --- the user's feed ----------------------------------------------------------------------


def make_feed_token(client: FlaskClient) -> str:
    page = client.get("/account/feed")
    assert page.status_code == 200
    made = client.post("/account/feed/token", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    text = made.get_data(as_text=True)
    start = text.index(f'value="{BASE_URL}/feeds/') + len('value="') + len(BASE_URL)
    return text[start:text.index('"', start)]


def notify(db: Session, user: User, spec: Spec, channel: AlertChannel, reason: str = "you follow it",
           **kwargs: Any) -> Notification:
    event = events.record(db, events.EventKind.SPEC_STATE_CHANGED, project_id=spec.project_id, spec_id=spec.id,
                          name=spec.name, from_state="approved", to_state="implemented")
    db.flush()
    row = Notification(user_id=user.id, event_id=event.id, channel=channel, reason=reason,
                       status=NotificationStatus.SENT, **kwargs)
    db.add(row)
    db.flush()
    return row


def test_user_feed_shows_only_their_atom_notifications(
    db: Session, client: FlaskClient, make_user: Callable[..., User], make_spec: Callable[..., Spec]
) -> None:
    rey, carlos = make_user("rey"), make_user("carlos")
    spec = make_spec("live-migration", title="Faster live migration")
    mine = notify(db, rey, spec, AlertChannel.ATOM, reason="you follow live-migration")
    notify(db, rey, spec, AlertChannel.EMAIL)
    notify(db, carlos, spec, AlertChannel.ATOM)
    skipped = notify(db, rey, spec, AlertChannel.ATOM)
    skipped.status = NotificationStatus.SKIPPED
    db.flush()
    login(client, "rey")
    path = make_feed_token(client)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})

    response = client.get(path)
    feed = parse(response)
    assert "private" in response.headers["Cache-Control"]
    [entry] = feed.entries
    project = db.get(Project, spec.project_id)
    assert project is not None
    assert entry.title == f"{project.name}: State changed on Faster live migration"
    assert entry.id == f"tag:bob.example.org,2026:/event/{mine.event_id}"
    assert "you follow live-migration" in entry.summary
    assert entry.link == f"{BASE_URL}/projects/{project.name}/specs/live-migration"
    assert feed.feed.title == "BOB alerts for rey"
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_a_backfill_summary_reads_as_one_entry(
    db: Session, client: FlaskClient, make_user: Callable[..., User], make_project: Callable[..., Project]
) -> None:
    rey = make_user("rey")
    ironic = make_project("ironic")
    run = events.record(db, events.EventKind.IMPORT_FINISHED, project_id=ironic.id, source="gerrit",
                        status="succeeded", counts={"created": 195}, backfill=True)
    db.flush()
    db.add(Notification(user_id=rey.id, event_id=run.id, channel=AlertChannel.ATOM, reason="you follow ironic",
                        status=NotificationStatus.SENT, summary={"ironic": 195}))
    db.flush()
    login(client, "rey")
    feed = parse(client.get(make_feed_token(client)))
    assert [e.title for e in feed.entries] == ["ironic: 195 specs imported"]


def test_the_token_is_stored_hashed_rotated_and_revoked(
    db: Session, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    rey = make_user("rey")
    login(client, "rey")
    first = make_feed_token(client)
    token = first.removeprefix("/feeds/").removesuffix(".atom")
    prefs = db.get(AlertPreferences, rey.id)
    assert prefs is not None and prefs.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert client.get(first).status_code == 200
    assert "You have a feed address" in client.get("/account/feed").get_data(as_text=True)

    second = make_feed_token(client)  # rotate
    assert second != first
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200

    page = client.get("/account/feed").get_data(as_text=True)
    revoked = client.post("/account/feed/revoke", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "Feed address revoked" in revoked.get_data(as_text=True)
    assert client.get(second).status_code == 404
    db.refresh(prefs)
    assert prefs.feed_token_hash is None
    assert "You have no feed address yet" in client.get("/account/feed").get_data(as_text=True)


def test_unknown_tokens_and_disabled_accounts_get_404(
    db: Session, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    rey = make_user("rey")
    assert client.get("/feeds/not-a-token.atom").status_code == 404
    assert client.get("/feeds/" + "x" * 300 + ".atom").status_code == 404
    login(client, "rey")
    path = make_feed_token(client)
    rey.is_active = False
    db.flush()
    assert client.get(path).status_code == 404


def test_the_feed_page_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/account/feed")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_user_feed_queries_do_not_grow_with_entries(
    db: Session, client: FlaskClient, make_user: Callable[..., User], make_spec: Callable[..., Spec],
    count_queries: Callable[[], QueryCounter]
) -> None:
    few_user, many_user = make_user("few"), make_user("many")
    notify(db, few_user, make_spec(), AlertChannel.ATOM)
    for _ in range(15):
        notify(db, many_user, make_spec(), AlertChannel.ATOM)
    login(client, "few")
    few_path = make_feed_token(client)
    other = client.application.test_client()
    login(other, "many")
    many_path = make_feed_token(other)
    with count_queries() as few:
        assert len(parse(client.get(few_path)).entries) == 1
    with count_queries() as many:
        assert len(parse(client.get(many_path)).entries) == 15
    assert many.count == few.count
