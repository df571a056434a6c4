"""The alerts consumer: notification rows, unique, for the right people, in bounded queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal import events
from portal.alerts import consumer
from portal.events import cursors
from portal.models import EventCursor, Notification, NotificationStatus, Project, SavedSearch, Spec, TargetKind, User
from portal.search import indexer


def rows(db: Session) -> list[tuple[int, int, str, str]]:
    db.expire_all()
    return [(n.user_id, n.event_id, str(n.channel), str(n.status))
            for n in db.scalars(select(Notification).order_by(Notification.id))]


def start_at_now(db: Session) -> None:
    cursors.reset(db, consumer.CONSUMER)
    db.flush()


def test_follower_gets_one_row_and_the_actor_none(
    db: Session, session_factory: sessionmaker[Session], make_user: Callable[..., User],
    make_spec: Callable[..., Spec], follow: Callable[..., Any], record: Callable[..., int],
) -> None:
    alice, bob = make_user(), make_user()
    spec = make_spec()
    start_at_now(db)
    follow(alice, spec=spec)
    follow(bob, spec=spec, channel="atom")
    follow(alice, project=db.get(Project, spec.project_id))  # a project follower does not hear of comments
    own = record("comment.added", spec, actor=alice, comment_id=1, source="portal")
    other = record("comment.added", spec, actor=bob, comment_id=2, source="portal")
    db.commit()

    assert consumer.catch_up(session_factory) == (2, 2)
    assert sorted(rows(db)) == sorted([(bob.id, own, "atom", "sent"), (alice.id, other, "email", "pending")])


def test_reading_an_event_again_queues_nothing_more(
    db: Session, session_factory: sessionmaker[Session], make_user: Callable[..., User],
    make_spec: Callable[..., Spec], follow: Callable[..., Any], record: Callable[..., int],
) -> None:
    alice = make_user()
    spec = make_spec()
    start_at_now(db)
    follow(alice, spec=spec)
    record("spec.revised", spec, name=spec.name, revision_id=1, source="file", content_hash="x")
    db.commit()
    consumer.catch_up(session_factory)
    cursors.reset(db, consumer.CONSUMER, after_event_id=0)  # replay everything
    db.commit()
    consumer.catch_up(session_factory)
    assert len(rows(db)) == 1


def test_backfill_is_one_summary_per_follower(
    db: Session, session_factory: sessionmaker[Session], make_user: Callable[..., User],
    make_project: Callable[..., Any], follow: Callable[..., Any],
) -> None:
    alice, bob = make_user(), make_user()
    project = make_project("ironic")
    start_at_now(db)
    follow(alice, project=project)
    follow(bob, project=project, channel="digest")
    with events.backfilling(db):
        for n in range(30):
            events.record(db, "spec.created", project_id=project.id, name=f"s{n}", source="file")
    finished = events.record(db, "import.finished", project_id=project.id, backfill=False, source="specs-dir",
                             status="succeeded", counts={"created": 30})
    db.commit()

    consumer.catch_up(session_factory, batch_size=7)
    got = list(db.scalars(select(Notification).order_by(Notification.user_id)))
    assert [(n.user_id, n.event_id, n.reason, n.summary) for n in got] == [
        (alice.id, finished.id, "ironic: 30 specs imported", {"ironic": 30}),
        (bob.id, finished.id, "ironic: 30 specs imported", {"ironic": 30}),
    ]


def test_mention_without_subscription_and_admin_alert_on_second_failure(
    db: Session, session_factory: sessionmaker[Session], make_user: Callable[..., User],
    make_spec: Callable[..., Spec], record: Callable[..., int],
) -> None:
    carol, admin = make_user(), make_user(role="admin")
    spec = make_spec()
    start_at_now(db)
    mention = record("mention", spec, comment_id=3, mentioned_user_id=carol.id)
    once = events.record(db, "import.finished", project_id=spec.project_id, source="gerrit", status="failed",
                         consecutive_failures=1, error="boom")
    twice = events.record(db, "import.finished", project_id=spec.project_id, source="gerrit", status="failed",
                          consecutive_failures=2, error="boom")
    db.commit()
    consumer.catch_up(session_factory)
    got = {(u, e) for u, e, _c, _s in rows(db)}
    assert (carol.id, mention) in got
    assert (admin.id, twice.id) in got
    assert (admin.id, once.id) not in got


def test_saved_search_waits_for_the_index(
    db: Session, session_factory: sessionmaker[Session], make_user: Callable[..., User],
    make_spec: Callable[..., Spec], follow: Callable[..., Any], record: Callable[..., int],
) -> None:
    bob = make_user()
    spec = make_spec()
    start_at_now(db)
    saved = SavedSearch(user_id=bob.id, name="live", query={"q": "live"})
    db.add(saved)
    db.flush()
    follow(bob, kind=TargetKind.SAVED_SEARCH, saved_search_id=saved.id)
    first = record("spec.revised", spec, name=spec.name, revision_id=1, source="file", content_hash="a")
    db.commit()
    asked: list[str] = []

    def search(query: Any, project: str, spec_name: str) -> bool:
        asked.append(spec_name)
        return True

    # The search consumer has not indexed the event: nothing happens, the cursor stays before it.
    assert consumer.run_batch(session_factory, search=search) == (0, 0, True)
    assert rows(db) == [] and asked == []
    assert not indexer.is_indexed(db, first)
    cursors.reset(db, indexer.CONSUMER, after_event_id=first)
    second = record("spec.revised", spec, name=spec.name, revision_id=2, source="file", content_hash="b")
    db.commit()
    # Now the first event is indexed and is matched; the second is not yet, so the batch stops before it.
    assert consumer.run_batch(session_factory, search=search) == (1, 1, True)
    cursor = db.get(EventCursor, consumer.CONSUMER)
    db.refresh(cursor)
    assert cursor is not None and cursor.last_event_id == first
    assert [(u, e) for u, e, _c, _s in rows(db)] == [(bob.id, first)]
    assert not indexer.is_indexed(db, second)


def test_one_batch_costs_bounded_queries(
    db: Session, session_factory: sessionmaker[Session], make_user: Callable[..., User],
    make_spec: Callable[..., Spec], follow: Callable[..., Any], record: Callable[..., int],
    count_queries: Callable[[], Any],
) -> None:
    specs = [make_spec() for _ in range(3)]
    users = [make_user() for _ in range(10)]
    start_at_now(db)
    for user in users:
        for spec in specs:
            follow(user, spec=spec)
    for spec in specs:
        for n in range(5):
            record("comment.added", spec, comment_id=n, source="portal")
    db.commit()
    with count_queries() as q:
        consumer.catch_up(session_factory)
    assert len(rows(db)) == 150
    assert all(s == NotificationStatus.PENDING for *_x, s in rows(db))
    assert q.count <= 20, q.count


def test_the_first_run_starts_from_now_not_from_history(
    db: Session, session_factory: sessionmaker[Session], make_user: Callable[..., User],
    make_spec: Callable[..., Spec], follow: Callable[..., Any], record: Callable[..., int],
) -> None:
    alice = make_user()
    spec = make_spec()
    follow(alice, spec=spec)
    record("comment.added", spec, comment_id=1, source="portal")  # before alerts ever ran
    db.commit()
    assert consumer.catch_up(session_factory) == (0, 0)
    new = record("comment.added", spec, comment_id=2, source="portal")
    db.commit()
    assert consumer.catch_up(session_factory) == (1, 1)
    assert [e for _u, e, _c, _s in rows(db)] == [new]


def test_ptls_hear_votes_and_comments_unless_they_turned_it_off(
    db: Session, session_factory: sessionmaker[Session], make_user: Callable[..., User],
    make_spec: Callable[..., Spec], record: Callable[..., int],
) -> None:
    from portal.models import AlertPreferences
    from portal.models.accounts import project_ptls

    on, off = make_user(), make_user()
    spec = make_spec()
    db.execute(project_ptls.insert(), [{"user_id": on.id, "project_id": spec.project_id},
                                       {"user_id": off.id, "project_id": spec.project_id}])
    db.add(AlertPreferences(user_id=off.id, ptl_follow=False))
    start_at_now(db)
    vote = events.record(db, "vote.cast", project_id=spec.project_id, spec_id=spec.id, affects_me=True)
    comment = record("comment.added", spec, comment_id=1, source="portal")
    record("spec.revised", spec, name=spec.name, revision_id=1, source="file", content_hash="x")
    db.commit()
    consumer.catch_up(session_factory)
    assert sorted((u, e, c) for u, e, c, _s in rows(db)) == [(on.id, vote.id, "email"), (on.id, comment, "email")]
