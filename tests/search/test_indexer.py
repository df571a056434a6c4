"""The search consumer fed by real events: the services write rows and events, the consumer reads them
through its cursor and the index answers (SQLite and PostgreSQL, Whoosh index in the test's folder)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import events
from portal.clock import now
from portal.db.unit import unit_of_work
from portal.discussion.service import add_comment, import_comment
from portal.events import EventKind, cursors
from portal.models import CommentSource, Event, Project, Spec, User
from portal.search import SearchQuery, indexer
from portal.search.indexer import Plan, plan_batch
from portal.search.whoosh_backend import WhooshBackend
from portal.specs.projects import rename_project
from portal.specs.service import delete_project, delete_spec

UPGRADE = "Restart the conductors before the computes; rabbitmq reconnects on its own."


@pytest.fixture
def backend(tmp_path: Path) -> WhooshBackend:
    return WhooshBackend(tmp_path / "search")


@pytest.fixture
def world(db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec],
          make_user: Callable[..., User]) -> dict[str, object]:
    """A project with two specs, a portal comment, a Gerrit inline comment and a Launchpad whiteboard."""
    nova = make_project("nova")
    upgrades = make_spec("rolling-upgrades", nova, title="Rolling upgrades of compute nodes",
                         **{"Problem description": "Operators cannot stop the whole cloud.", "Upgrade impact": UPGRADE})
    cells = make_spec("cells-partitioning", nova, title="Cells partitioning",
                      **{"Problem description": "One database for every compute does not scale."})
    rey = make_user("rey")
    portal_comment = add_comment(db, rey, upgrades, "We did this at CERN with **zero** downtime.")
    inline, _ = import_comment(db, upgrades, source=CommentSource.GERRIT, external_id="gerrit:r/1/c/9",
                               author_name="Sean Dague", body="Say what happens to in-flight migrations here.",
                               created_at=now(), patch_set=3, file_line="specs/2025.1/approved/rolling-upgrades.rst:42",
                               url="https://review.example/c/1/comment/9/")
    whiteboard, _ = import_comment(db, cells, source=CommentSource.LAUNCHPAD, external_id="lp:wb:1",
                                   author_name="Launchpad whiteboard", body="Gerrit topic: bp/cells-partitioning",
                                   created_at=now())
    db.flush()
    return {"nova": nova, "upgrades": upgrades, "cells": cells, "portal": portal_comment, "inline": inline,
            "whiteboard": whiteboard, "rey": rey}


def search(backend: WhooshBackend, words: str = "", **filters: object) -> list[str]:
    return [h.doc_id for h in backend.search(SearchQuery(words=words, **filters)).hits]  # type: ignore[arg-type]


def top_event(db: Session) -> int:
    return int(db.scalar(select(func.max(Event.id))) or 0)


def test_every_source_is_findable_after_the_consumer_ran(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object]
) -> None:
    upgrades, cells = world["upgrades"], world["cells"]
    assert isinstance(upgrades, Spec) and isinstance(cells, Spec)
    assert indexer.catch_up(session_factory, backend) > 0
    assert search(backend, "rolling upgrades")[0] == f"spec:{upgrades.id}"

    section = backend.search(SearchQuery(words="conductors computes")).hits[0]
    assert section.kind == "section" and section.heading == "Upgrade impact"
    assert section.url.endswith("/projects/nova/specs/rolling-upgrades#s-upgrade-impact")
    assert "<mark>conductors</mark>" in section.snippet

    portal_hit = backend.search(SearchQuery(words="CERN downtime")).hits[0]
    assert (portal_hit.kind, portal_hit.source, portal_hit.author) == ("comment", "portal", world["rey"].name_shown)  # type: ignore[attr-defined]
    assert portal_hit.url.endswith(f"#comment-{world['portal'].id}")  # type: ignore[attr-defined]

    inline = backend.search(SearchQuery(words="in-flight migrations", source="gerrit")).hits[0]
    assert (inline.file, inline.line, inline.author) == ("specs/2025.1/approved/rolling-upgrades.rst", 42,
                                                         "Sean Dague")
    whiteboard = backend.search(SearchQuery(words="gerrit topic", source="launchpad")).hits[0]
    assert whiteboard.spec == "cells-partitioning"

    assert indexer.is_indexed(db, top_event(db))
    if db.get_bind().dialect.name == "sqlite":  # on PostgreSQL ids burnt by earlier tests are gaps for an hour
        assert indexer.indexed_up_to(db) == top_event(db)


def test_handling_the_same_events_twice_changes_nothing(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object]
) -> None:
    indexer.catch_up(session_factory, backend)
    count, hits = backend.doc_count(), search(backend, "operators")
    with unit_of_work(session_factory) as session:
        cursors.reset(session, indexer.CONSUMER, after_event_id=0)  # as after a crash before the commit
    assert indexer.catch_up(session_factory, backend) > 0
    assert backend.doc_count() == count and search(backend, "operators") == hits


def test_a_new_comment_is_findable_after_the_next_round(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object]
) -> None:
    indexer.catch_up(session_factory, backend)
    assert search(backend, "ovsdb") == []
    comment = add_comment(db, world["rey"], world["cells"], "ovsdb timeouts bit us")  # type: ignore[arg-type]
    db.flush()
    assert not indexer.is_indexed(db, top_event(db))
    assert indexer.catch_up(session_factory, backend) == 1
    assert search(backend, "ovsdb") == [f"comment:{comment.id}"]
    assert indexer.is_indexed(db, top_event(db))


@pytest.mark.parametrize("kind", [EventKind.COMMENT_DELETED, EventKind.COMMENT_HIDDEN])
def test_deleted_and_hidden_comments_leave_the_index(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object],
    kind: EventKind,
) -> None:
    indexer.catch_up(session_factory, backend)
    comment, spec = world["portal"], world["upgrades"]
    assert search(backend, "CERN") == [f"comment:{comment.id}"]  # type: ignore[attr-defined]
    if kind == EventKind.COMMENT_DELETED:
        comment.deleted_at = now()  # type: ignore[attr-defined]
    events.record(db, kind, project_id=spec.project_id, spec_id=spec.id, comment_id=comment.id)  # type: ignore[attr-defined]
    db.flush()
    indexer.catch_up(session_factory, backend)
    assert search(backend, "CERN") == []


def test_a_deleted_spec_takes_its_sections_and_comments_along(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object]
) -> None:
    indexer.catch_up(session_factory, backend)
    upgrades = world["upgrades"]
    assert isinstance(upgrades, Spec)
    delete_spec(db, None, upgrades)
    db.flush()
    indexer.catch_up(session_factory, backend)
    assert search(backend, "conductors") == [] and search(backend, "CERN") == [] and search(backend, "rolling") == []
    assert search(backend, "cells")  # the other spec stays


def test_a_removed_project_leaves_the_index(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object],
    make_project: Callable[..., Project], make_spec: Callable[..., Spec],
) -> None:
    other = make_spec("cells-elsewhere", make_project("manila"), title="Cells for shares")
    indexer.catch_up(session_factory, backend)
    assert {name for name, _ in backend.search(SearchQuery(words="cells")).facets["project"]} == {"nova", "manila"}
    delete_project(db, None, world["nova"])  # type: ignore[arg-type]
    db.flush()
    indexer.catch_up(session_factory, backend)
    results = backend.search(SearchQuery(words="cells"))
    assert results.facets["project"] == [("manila", results.total)]
    assert search(backend, "cells")[0] == f"spec:{other.id}"
    assert backend.search(SearchQuery(words="CERN")).total == 0


def test_a_renamed_project_is_found_under_its_new_name(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object]
) -> None:
    indexer.catch_up(session_factory, backend)
    rename_project(db, None, world["nova"], "compute")  # type: ignore[arg-type]
    db.flush()
    indexer.catch_up(session_factory, backend)
    assert search(backend, "cells", project="nova") == []
    hits = backend.search(SearchQuery(words="cells partitioning", project="compute")).hits
    assert hits and hits[0].url.startswith("/projects/compute/specs/cells-partitioning")
    assert backend.search(SearchQuery(words="gerrit topic", project="compute")).total == 1  # comments too


def test_a_revised_spec_replaces_its_sections(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object],
    make_spec: Callable[..., Spec],
) -> None:
    indexer.catch_up(session_factory, backend)
    make_spec("cells-partitioning", world["nova"], release="2026.1", title="Cells partitioning, again",
              **{"Alternatives": "Shard the message queue instead."})
    db.flush()
    indexer.catch_up(session_factory, backend)
    cells = world["cells"]
    assert isinstance(cells, Spec)
    assert search(backend, "shard queue") == [f"section:{cells.id}:s-alternatives"]
    assert search(backend, "database scale") == []  # the old revision's section is gone
    assert search(backend, "gerrit topic", release="2026.1") == [f"comment:{world['whiteboard'].id}"]  # type: ignore[attr-defined]


def test_reindex_gives_what_the_events_gave_and_rewinds_the_cursor(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object],
    tmp_path: Path,
) -> None:
    indexer.catch_up(session_factory, backend)
    rebuilt = WhooshBackend(tmp_path / "rebuilt")
    written: list[int] = []
    assert indexer.reindex(session_factory, rebuilt, progress=written.append) == backend.doc_count()
    assert written[-1] == backend.doc_count()
    for words in ("rolling upgrades", "conductors", "CERN", "in-flight", "gerrit topic"):
        assert search(rebuilt, words) == search(backend, words), words
    assert indexer.is_indexed(db, top_event(db))
    assert indexer.catch_up(session_factory, rebuilt) == 0


def test_events_after_a_reindex_started_reach_the_new_index(
    db: Session, session_factory: sessionmaker[Session], backend: WhooshBackend, world: dict[str, object]
) -> None:
    """The rebuild reads the database, the consumer keeps writing to the old index meanwhile; after the
    switch the cursor is back where the rebuild started, so the new index gets those events too."""
    indexer.catch_up(session_factory, backend)
    started_at = top_event(db)

    def docs_then_a_comment():  # type: ignore[no-untyped-def]
        yield from indexer.all_docs(session_factory)
        add_comment(db, world["rey"], world["cells"], "late comment about ovsdb")  # type: ignore[arg-type]
        db.flush()
        indexer.catch_up(session_factory, backend)  # the consumer, on the old index (not yet switched)

    backend.rebuild(docs_then_a_comment(), before_swap=lambda: _rewind(session_factory, started_at))
    assert search(backend, "ovsdb") == []  # the new index was read before the comment
    assert indexer.catch_up(session_factory, backend) == 1
    assert len(search(backend, "ovsdb")) == 1


def _rewind(factory: sessionmaker[Session], to: int) -> None:
    with unit_of_work(factory) as session:
        cursors.reset(session, indexer.CONSUMER, after_event_id=to)


# --- the plan, pure ---------------------------------------------------------------------------


def event(kind: EventKind, spec_id: int | None = None, project_id: int | None = None, **payload: object) -> Event:
    return Event(kind=kind, spec_id=spec_id, project_id=project_id, payload=payload)


PLANS = [
    ([event(EventKind.SPEC_CREATED, 1, name="x", source="file")], Plan(refresh_specs={1})),
    ([event(EventKind.SPEC_REVISED, 1), event(EventKind.SPEC_STATE_CHANGED, 2),
      event(EventKind.LAUNCHPAD_CHANGED, 3)], Plan(refresh_specs={1, 2, 3})),
    ([event(EventKind.SPEC_MERGED_INTO, 1, into_spec_id=2)], Plan(refresh_specs={1, 2})),
    # The merged spec's documents leave; the survivor's (with the comments that moved to it) are read again.
    ([event(EventKind.SPEC_MERGED_INTO, 2, into_spec_id=2, former_spec_id=5, name="old")],
     Plan(refresh_specs={2}, delete_specs={5})),
    ([event(EventKind.COMMENT_HIDDEN, 1, comment_id=7), event(EventKind.COMMENT_SHOWN, 1, comment_id=7)],
     Plan(upsert_comments={7})),
    ([event(EventKind.SPEC_REVISED, 1), event(EventKind.SPEC_DELETED, None, former_spec_id=1)],
     Plan(delete_specs={1})),
    ([event(EventKind.PROJECT_CHANGED, None, 4, change="removed", name="nova")], Plan(delete_projects={"nova"})),
    ([event(EventKind.PROJECT_CHANGED, None, 4, change="renamed", name="compute", old_name="nova")],
     Plan(refresh_projects={4}, delete_projects={"nova"})),
    ([event(EventKind.PROJECT_CHANGED, None, 4, change="sources", name="nova")], Plan()),
    ([event(EventKind.COMMENT_ADDED, 1, comment_id=7), event(EventKind.COMMENT_EDITED, 1, comment_id=8)],
     Plan(upsert_comments={7, 8})),
    ([event(EventKind.COMMENT_ADDED, 1, comment_id=7), event(EventKind.COMMENT_HIDDEN, 1, comment_id=7)],
     Plan(delete_comments={7})),
    ([event(EventKind.COMMENT_DELETED, 1, comment_id=7), event(EventKind.COMMENT_EDITED, 1, comment_id=7)],
     Plan(upsert_comments={7})),  # the latest wins; the row decides (a deleted row is dropped when read)
    ([event(EventKind.VOTE_CAST, 1, affects_me=True), event(EventKind.CHECKLIST_ANSWERED, 1),
      event(EventKind.IMPORT_FINISHED), event(EventKind.SPEC_REVISED, None)], Plan()),
]


@pytest.mark.parametrize(("batch", "plan"), PLANS)
def test_plan_batch(batch: list[Event], plan: Plan) -> None:
    assert plan_batch(batch) == plan
