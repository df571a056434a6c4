"""A failed sync records an ``import.finished`` event saying how many runs failed in a row.

The alerts consumer tells admins when that count reaches 2; here we check
the event itself, committed in the run record's own transaction (the
failed run's work is rolled back, the event is not).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from portal.db.unit import commit_batch, unit_of_work
from portal.errors import PortalError
from portal.events import EventKind
from portal.importers.runs import recorded_run
from portal.models import Event
from portal.specs.service import add_project
from tests.support.committing import committing_sessions


@pytest.fixture
def real(engine: Engine) -> Iterator[sessionmaker[Session]]:
    with committing_sessions(engine, "wkfail-") as factory:
        yield factory


def run_once(factory: sessionmaker[Session], project_id: int, *, fail: bool) -> None:
    with unit_of_work(factory) as session:
        try:
            with recorded_run(session, source="gerrit", project_id=project_id,
                              commit=lambda: commit_batch(session)) as run:
                if fail:
                    raise PortalError("review.example.org answered 503; try again later")
                run.finish({"created": 0})
        except PortalError:
            pass


def failure_events(factory: sessionmaker[Session], project_id: int) -> list[dict[str, object]]:
    with factory() as session:
        rows = session.scalars(select(Event).where(Event.project_id == project_id,
                                                   Event.kind == EventKind.IMPORT_FINISHED.value).order_by(Event.id))
        return [dict(row.payload) for row in rows]


def test_failures_in_a_row_are_counted_and_a_success_resets_the_count(real: sessionmaker[Session]) -> None:
    with unit_of_work(real) as session:
        project_id = add_project(session, None, "wkfail-nova").id

    run_once(real, project_id, fail=True)
    run_once(real, project_id, fail=True)
    run_once(real, project_id, fail=False)
    run_once(real, project_id, fail=True)

    payloads = failure_events(real, project_id)
    assert [p["consecutive_failures"] for p in payloads] == [1, 2, 1]
    assert all(p["status"] == "failed" and p["source"] == "gerrit" for p in payloads)
    assert payloads[0]["error"] == "review.example.org answered 503; try again later"
    assert all(isinstance(p["run_id"], int) for p in payloads)
