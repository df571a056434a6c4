"""``/healthz`` reports how far behind the event consumers are and the last failed sync."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from portal import events
from portal.models import Event, EventCursor, ImportRun
from portal.models.activity import RunStatus


def test_lag_counts_events_each_consumer_has_not_handled(client, db, make_project, count_queries) -> None:
    project = make_project("hz-nova")
    for _ in range(3):
        events.record(db, events.EventKind.IMPORT_FINISHED, project_id=project.id, source="gerrit",
                      status="succeeded")
    db.flush()
    newest = db.scalar(select(func.max(Event.id)))
    cursor = db.get(EventCursor, "search") or EventCursor(consumer="search")
    cursor.last_event_id = newest - 2
    db.add(cursor)
    db.flush()

    with count_queries() as queries:
        body = client.get("/healthz").get_json()

    assert body["status"] == "ok"
    assert body["consumers"]["search"]["pending_events"] == 2
    assert body["consumers"]["search"]["last_event_id"] == newest - 2
    alerts = body["consumers"]["alerts"]
    assert alerts["pending_events"] >= 4 and alerts["pending_capped"] is False
    assert queries.count <= 8  # bounded: a fixed number of small queries, whatever the size of the data


def test_last_failed_sync_names_project_source_time_and_error(client, db, make_project) -> None:
    assert client.get("/healthz").get_json()["last_failed_sync"] is None
    project = make_project("hz-glance")
    when = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    db.add_all([
        ImportRun(source="gerrit", project_id=project.id, status=RunStatus.FAILED, started_at=when,
                  finished_at=when, error="review.opendev.org did not answer after 3 attempts"),
        ImportRun(source="launchpad", project_id=project.id, status=RunStatus.SUCCEEDED, started_at=when,
                  finished_at=when),
    ])
    db.flush()

    failed = client.get("/healthz").get_json()["last_failed_sync"]

    assert failed["project"] == "hz-glance"
    assert failed["source"] == "gerrit"
    assert failed["at"] == "2026-11-30T04:00:00+00:00"
    assert failed["error"] == "review.opendev.org did not answer after 3 attempts"
