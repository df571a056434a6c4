"""The run recorder and the per-source cursor, with real commits on the suite's database.

These tests commit for real (SQLite's single writer and PostgreSQL's
separate connections are the point), so each works in its own projects
named ``runs-…`` and removes them, their events and any template row it
added at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from portal.db.unit import commit_batch, unit_of_work
from portal.errors import InvalidInput, RemoteRequestFailed
from portal.importers.cursors import SyncKey, advance_cursor, read_cursor, reset_cursor, sync_state
from portal.importers.runs import ItemFailure, RunStatus, recorded_run
from portal.importers.specs_tree import import_tree
from portal.models import ImportRun, Project, Spec
from portal.net import RetryPolicy, build_client, get, user_agent
from portal.specs.service import BlueprintData, add_project, apply_blueprint, get_project
from tests.support.committing import committing_sessions
from tests.support.factories import spec_rst
from tests.support.http_server import Reply, scripted_server


@pytest.fixture
def real(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on their own connections that really commit; everything they made is removed afterwards."""
    with committing_sessions(engine, "runs-") as factory:
        yield factory


def new_project(factory: sessionmaker[Session], name: str) -> int:
    with unit_of_work(factory) as session:
        return add_project(session, None, name).id


def tree(root: Path, count: int) -> Path:
    for number in range(count):
        path = root / "specs" / "2026.1" / "approved" / f"spec-{number:03d}.rst"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(spec_rst(f"Spec {number}", f"spec-{number:03d}", "runs"))
    return root


def runs_of(factory: sessionmaker[Session], project_id: int) -> list[ImportRun]:
    with factory() as session:
        return list(session.scalars(select(ImportRun).where(ImportRun.project_id == project_id).order_by(ImportRun.id)))


def spec_count(factory: sessionmaker[Session], project_id: int) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Spec).where(Spec.project_id == project_id)) or 0


def import_batched(factory: sessionmaker[Session], name: str, root: Path, **kwargs: object):  # noqa: ANN201
    with unit_of_work(factory) as session:
        project = get_project(session, name)
        return import_tree(session, None, project, root, commit=lambda: commit_batch(session), **kwargs)


# --- the run recorder, through the specs-tree importer ---------------------------------------


def test_counts_grow_as_batches_commit(real: sessionmaker[Session], tmp_path: Path) -> None:
    project_id = new_project(real, "runs-counts")
    seen: list[tuple[str, dict[str, int], bool]] = []

    def progress(index: int, total: int, path: str) -> None:
        if index == 51:  # the first batch (files 1-50) has just committed: another reader sees it
            run = runs_of(real, project_id)[0]
            seen.append((run.status, run.counts, run.progressed_at is not None))

    report = import_batched(real, "runs-counts", tree(tmp_path, 60), progress=progress)

    assert seen == [("running", {"created": 50, "updated": 0, "unchanged": 0, "failed": 0}, True)]
    (run,) = runs_of(real, project_id)
    assert (run.status, run.counts["created"], run.error) == ("succeeded", 60, None)
    assert run.finished_at is not None and run.duration_seconds is not None and run.duration_seconds >= 0
    assert report.status is RunStatus.SUCCEEDED and report.run_id == run.id


def test_a_failed_run_keeps_its_record_and_its_committed_batches(real: sessionmaker[Session], tmp_path: Path) -> None:
    project_id = new_project(real, "runs-fail")
    root = tree(tmp_path, 60)

    def progress(index: int, total: int, path: str) -> None:
        if index == 55:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        import_batched(real, "runs-fail", root, progress=progress)

    (run,) = runs_of(real, project_id)
    assert run.status == "failed"
    assert run.error == "OSError: [Errno 28] No space left on device"
    assert run.finished_at is not None
    assert run.counts == {"created": 50, "updated": 0, "unchanged": 0, "failed": 0}  # as of the last commit
    assert spec_count(real, project_id) == 50  # files 51-54 were rolled back, the first batch stays

    again = import_batched(real, "runs-fail", root)  # a re-run finishes the job and duplicates nothing
    assert (again.created, again.unchanged, again.failed) == (10, 50, 0)
    assert again.unfinished == ()  # a failed run finished (badly); it is not "interrupted"
    assert spec_count(real, project_id) == 60
    assert [r.status for r in runs_of(real, project_id)] == ["failed", "succeeded"]


def test_an_error_before_any_file_is_recorded_too(real: sessionmaker[Session], tmp_path: Path) -> None:
    project_id = new_project(real, "runs-empty")
    (tmp_path / "docs").mkdir()
    with pytest.raises(InvalidInput, match="No spec files"):
        import_batched(real, "runs-empty", tmp_path)
    (run,) = runs_of(real, project_id)
    assert run.status == "failed" and run.error is not None and run.error.startswith("No spec files (*.rst) found")


def test_some_files_failing_make_a_partial_run(real: sessionmaker[Session], tmp_path: Path) -> None:
    project_id = new_project(real, "runs-partial")
    root = tree(tmp_path, 3)
    (root / "specs/2026.1/approved/latin1.rst").write_bytes(spec_rst("Café", "latin1").encode("latin-1"))

    report = import_batched(real, "runs-partial", root)

    (run,) = runs_of(real, project_id)
    assert report.status is RunStatus.PARTIAL and run.status == "partial"
    assert run.counts == {"created": 3, "updated": 0, "unchanged": 0, "failed": 1}
    assert [e["path"] for e in run.errors] == ["specs/2026.1/approved/latin1.rst"]
    assert "not UTF-8" in run.errors[0]["reason"] and run.error is None


def test_an_interrupted_run_stays_running_and_the_next_one_says_so(real: sessionmaker[Session]) -> None:
    project_id = new_project(real, "runs-killed")
    with unit_of_work(real) as session:
        started = recorded_run(session, source="specs-dir", project_id=project_id, argument="/srv/specs",
                               commit=lambda: commit_batch(session))
        first = started.__enter__()  # the process dies inside the run: no exit, no handler runs
        first.commit_batch({"created": 50, "updated": 0, "unchanged": 0, "failed": 0})

    assert [r.status for r in runs_of(real, project_id)] == ["running"]
    with unit_of_work(real) as session:
        with recorded_run(session, source="specs-dir", project_id=project_id, argument="/srv/specs",
                          commit=lambda: commit_batch(session)) as second:
            assert [u.id for u in second.unfinished] == [first.run_id]
            note = second.unfinished[0].describe()
            second.finish({"created": 0, "unchanged": 50})
    assert note.startswith(f"run #{first.run_id} (started ")
    assert "50 created, 0 updated, 0 unchanged, 0 failed) did not finish: it was stopped" in note
    assert [r.status for r in runs_of(real, project_id)] == ["running", "succeeded"]  # the record is not rewritten


def test_without_batches_the_run_row_is_part_of_the_callers_unit(real: sessionmaker[Session]) -> None:
    """The documented trade-off of inline mode (the demo loader): the caller's rollback takes the row too."""
    project_id = new_project(real, "runs-inline")
    with pytest.raises(RuntimeError), unit_of_work(real) as session:
        with recorded_run(session, source="demo", project_id=project_id) as run:
            assert not run.separate
            raise RuntimeError("boom")
    assert runs_of(real, project_id) == []
    with unit_of_work(real) as session, recorded_run(session, source="demo", project_id=project_id) as run:
        run.commit_batch({"created": 1})
        run.finish({"created": 2}, [ItemFailure("x.rst", "bad")])
    (kept,) = runs_of(real, project_id)
    assert (kept.status, kept.counts, kept.errors) == ("partial", {"created": 2}, [{"path": "x.rst", "reason": "bad"}])


# --- the cursor ---------------------------------------------------------------------------


def test_the_cursor_advances_with_its_data_and_never_past_a_rolled_back_batch(real: sessionmaker[Session]) -> None:
    project_id = new_project(real, "runs-cursor")
    key = SyncKey("launchpad", project_id)
    policy = RetryPolicy(retries=1, jitter=0.0, sleep=lambda _seconds: None)

    with unit_of_work(real) as session:
        assert read_cursor(session, key) is None
        project = session.get(Project, project_id)
        assert project is not None
        with recorded_run(session, source="launchpad", project_id=project_id,
                          commit=lambda: commit_batch(session), sync=key) as run:
            apply_blueprint(session, None, project, BlueprintData(name="first-blueprint"))
            advance_cursor(session, key, "2026-01-01 00:00:00")
            run.finish({"created": 1})

    with scripted_server() as server:
        server.script(Reply(500, "Internal error"))
        with pytest.raises(RemoteRequestFailed), unit_of_work(real) as session:
            project = session.get(Project, project_id)
            assert project is not None
            with recorded_run(session, source="launchpad", project_id=project_id,
                              commit=lambda: commit_batch(session), sync=key) as run:
                apply_blueprint(session, None, project, BlueprintData(name="second-blueprint"))
                advance_cursor(session, key, "2026-02-01 00:00:00")  # too early, on purpose: before the batch
                with build_client(server.url, timeout=2, user_agent=user_agent()) as client:
                    get(client, "/nova/specifications", policy=policy)  # the next page fails: the batch rolls back

    with real() as check:
        state = sync_state(check, key)
        assert state is not None
        assert state.cursor == "2026-01-01 00:00:00"  # not past data that was never committed
        names = set(check.scalars(select(Spec.name).where(Spec.project_id == project_id)))
        assert names == {"first-blueprint"}
        failed, succeeded = sorted(runs_of(real, project_id), key=lambda r: r.status)
        assert (failed.status, succeeded.status) == ("failed", "succeeded")
        assert state.last_run_id == failed.id and state.last_run_at is not None
        assert state.last_error is not None and state.last_error.startswith(f"GET {server.url}/nova/specifications")
        assert "500 Internal Server Error" in state.last_error
        assert state.last_success_at == succeeded.finished_at
        assert failed.error == state.last_error

    with unit_of_work(real) as session:  # the next good run clears the error
        with recorded_run(session, source="launchpad", project_id=project_id,
                          commit=lambda: commit_batch(session), sync=key) as run:
            advance_cursor(session, key, "2026-03-01 00:00:00")
            run.finish({"unchanged": 1})
    with real() as check:
        state = sync_state(check, key)
        assert state is not None and (state.cursor, state.last_error) == ("2026-03-01 00:00:00", None)


def test_cursors_are_per_source_project_and_scope(db: Session) -> None:
    nova = add_project(db, None, "runs-nova")
    glance = add_project(db, None, "runs-glance")
    advance_cursor(db, SyncKey("gerrit", nova.id), "a")
    advance_cursor(db, SyncKey("gerrit", nova.id, scope="openstack/nova"), "b")
    advance_cursor(db, SyncKey("gerrit", glance.id), "c")
    advance_cursor(db, SyncKey("gerrit", nova.id), "d")  # moves, does not add

    assert read_cursor(db, SyncKey("gerrit", nova.id)) == "d"
    assert read_cursor(db, SyncKey("gerrit", nova.id, scope="openstack/nova")) == "b"
    assert read_cursor(db, SyncKey("gerrit", glance.id)) == "c"
    assert read_cursor(db, SyncKey("launchpad", nova.id)) is None
    reset_cursor(db, SyncKey("gerrit", nova.id))  # --full
    assert read_cursor(db, SyncKey("gerrit", nova.id)) is None
