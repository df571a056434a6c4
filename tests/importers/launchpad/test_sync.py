"""``sync_project`` against a Launchpad-speaking server on 127.0.0.1, with real commits.

Each test works in projects named ``lp-…`` and removes them (specs, comments,
runs and cursors cascade) and the events it recorded at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import events
from portal.db.unit import commit_batch, unit_of_work
from portal.errors import PortalError, RemoteRequestFailed
from portal.importers.launchpad import LaunchpadClient, MalformedAnswer, SyncReport, sync_project
from portal.importers.specs_tree import import_tree
from portal.models import Comment, Event, ImportRun, ProjectSource, Spec, SpecRevision
from portal.models.projects import SourceKind
from portal.net import RetryPolicy, build_client
from portal.specs.service import add_project, get_project
from tests.importers.launchpad.fake_launchpad import FakeLaunchpad, fake_launchpad
from tests.support.committing import committing_sessions
from tests.support.factories import spec_rst
from tests.support.http_server import Reply, Seen

FAST = RetryPolicy(retries=2, backoff_initial=0.0, backoff_max=0.0, jitter=0.0, sleep=lambda _s: None)


@pytest.fixture
def real(engine: Engine) -> Iterator[sessionmaker[Session]]:
    with committing_sessions(engine, "lp-") as factory:
        yield factory


@pytest.fixture
def lp() -> Iterator[FakeLaunchpad]:
    with fake_launchpad() as fake:
        yield fake


def new_project(factory: sessionmaker[Session], name: str, launchpad: str | None = None,
                more: tuple[str, ...] = ()) -> int:
    with unit_of_work(factory) as session:
        project = add_project(session, None, name, launchpad=launchpad or name)
        for position, extra in enumerate(more):
            session.add(ProjectSource(project_id=project.id, kind=SourceKind.LAUNCHPAD.value, name=extra,
                                      position=position))
        return project.id


def sync(factory: sessionmaker[Session], lp: FakeLaunchpad, name: str, *, full: bool = False,
         page_size: int = 2) -> tuple[SyncReport, int]:
    with unit_of_work(factory) as session, build_client(timeout=5, user_agent="test") as http:
        client = LaunchpadClient(http, lp.url, policy=FAST, page_size=page_size)
        report = sync_project(session, get_project(session, name), client, full=full,
                              commit=lambda: commit_batch(session))
        return report, client.person_requests


def specs_of(factory: sessionmaker[Session], project_id: int) -> dict[str, Spec]:
    with factory() as session:
        return {s.name: s for s in session.scalars(select(Spec).where(Spec.project_id == project_id))}


def comments_of(factory: sessionmaker[Session], project_id: int) -> list[tuple[str, str]]:
    with factory() as session:
        rows = session.execute(
            select(Spec.name, Comment.body).join(Spec, Spec.id == Comment.spec_id)
            .where(Spec.project_id == project_id, Comment.source == "launchpad").order_by(Comment.id))
        return [(n, b) for n, b in rows]


def events_of(factory: sessionmaker[Session], project_id: int, kind: str) -> list[Event]:
    with factory() as session:
        return list(session.scalars(select(Event).where(Event.project_id == project_id, Event.kind == kind)
                                    .order_by(Event.id)))


def test_every_page_is_read_and_people_are_resolved_once_each(real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-paging")
    for number in range(5):
        lp.add("lp-paging", f"bp-{number}", workitems_text="Work items:\n[jdev] Code it: DONE\nTest it: TODO")
    lp.add("lp-paging", "obsolete-one", definition_status="Obsolete", lifecycle_status="Complete")

    report, person_requests = sync(real, lp, "lp-paging")

    assert (report.created, report.changed, report.unchanged, report.pages) == (6, 0, 0, 3)
    assert len(lp.paths("/devel/lp-paging/all_specifications")) == 3
    assert person_requests == 2 and len(lp.paths("/devel/~")) == 2  # ~jdev and ~ptl, once each
    specs = specs_of(real, project_id)
    assert set(specs) == {"bp-0", "bp-1", "bp-2", "bp-3", "bp-4", "obsolete-one"}
    spec = specs["bp-0"]
    assert (spec.lp_priority, spec.lp_definition_status, spec.lp_implementation_status) == (
        "Medium", "Approved", "Started")
    assert (spec.lp_owner, spec.lp_approver, spec.lp_assignee, spec.lp_drafter) == (
        "J. Developer", "Project Lead", "J. Developer", "J. Developer")
    assert spec.lp_people is not None and spec.lp_people["approver"] == {"name": "ptl", "display_name": "Project Lead"}
    assert spec.lp_work_items == [
        {"text": "Code it", "state": "DONE", "assignee": "jdev", "milestone": None},
        {"text": "Test it", "state": "TODO", "assignee": None, "milestone": None}]
    assert spec.lp_milestone == "2026.2" and spec.lp_direction_approved is True and spec.lp_project == "lp-paging"
    assert spec.blueprint_url == "https://blueprints.launchpad.net/lp-paging/+spec/bp-0"
    assert spec.lp_etag and spec.lp_dependencies_url and spec.lp_bugs_url
    assert specs["obsolete-one"].lp_definition_status == "Obsolete"  # all_specifications, not valid_ ones
    created = events_of(real, project_id, "spec.created")
    assert len(created) == 6 and all(e.payload["source"] == "launchpad" for e in created)
    assert all(e.backfill for e in created)  # the first run is a backfill
    with real() as session:
        run = session.scalars(select(ImportRun).where(ImportRun.project_id == project_id)).one()
        assert run.status == "succeeded" and run.counts["created"] == 6


def test_a_second_run_skips_unchanged_entries_and_records_a_status_change(
        real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-status")
    lp.add("lp-status", "alpha")
    lp.add("lp-status", "beta")
    sync(real, lp, "lp-status")
    lp.update("lp-status", "alpha", implementation_status="Implemented", lifecycle_status="Complete",
              priority="High")

    report, person_requests = sync(real, lp, "lp-status")

    assert (report.created, report.changed, report.unchanged) == (0, 1, 1)
    assert person_requests == 2  # only alpha's people, once per run
    assert specs_of(real, project_id)["alpha"].lp_implementation_status == "Implemented"
    (changed,) = events_of(real, project_id, "launchpad.changed")
    assert not changed.backfill
    assert changed.payload["fields"] == ["implementation_status", "lifecycle_status", "priority"]
    assert changed.payload["previous"] == {"implementation_status": "Started", "lifecycle_status": "Started",
                                           "priority": "Medium"}
    assert changed.payload["current"]["priority"] == "High"
    payload = events.payload_of(changed)
    assert payload.fields == changed.payload["fields"]  # type: ignore[attr-defined]

    again, _ = sync(real, lp, "lp-status")
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)
    full, _ = sync(real, lp, "lp-status", full=True)
    assert (full.created, full.changed, full.unchanged) == (0, 0, 2)


def test_unicode_whiteboards_and_an_edit_keeps_the_old_version(real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-wb")
    lp.add("lp-wb", "wb", whiteboard="Gerrit topic: bp/wb — ✓ 日本語\n\nAddressed by: https://review.opendev.org/1")
    sync(real, lp, "lp-wb")
    lp.update("lp-wb", "wb", whiteboard="Gerrit topic: bp/wb — ✓ 日本語\n\nAddressed by: https://review.opendev.org/2")

    report, _ = sync(real, lp, "lp-wb")
    sync(real, lp, "lp-wb", full=True)

    assert report.changed == 1 and report.comments == 1
    bodies = [body for _, body in comments_of(real, project_id)]
    assert bodies == ["Gerrit topic: bp/wb — ✓ 日本語\n\nAddressed by: https://review.opendev.org/1",
                      "Gerrit topic: bp/wb — ✓ 日本語\n\nAddressed by: https://review.opendev.org/2"]
    assert specs_of(real, project_id)["wb"].lp_whiteboard.endswith("/2")  # type: ignore[union-attr]


def test_a_503_mid_paging_keeps_the_committed_pages_and_the_next_run_completes(
        real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-503")
    for number in range(6):
        lp.add("lp-503", f"bp-{number}")
    original = lp.handle

    def always_503_on_third_page(seen: Seen) -> Reply:  # every retry fails too
        if "ws.start=4" in seen.path:
            return Reply(503, "down", {"Retry-After": "0"})
        return original(seen)

    lp.server.handler = always_503_on_third_page
    with pytest.raises(RemoteRequestFailed, match="503"):
        sync(real, lp, "lp-503")
    assert set(specs_of(real, project_id)) == {"bp-0", "bp-1", "bp-2", "bp-3"}  # two pages committed
    with real() as session:
        run = session.scalars(select(ImportRun).where(ImportRun.project_id == project_id)).one()
        assert run.status == "failed" and "503" in (run.error or "")

    lp.server.handler = original
    report, _ = sync(real, lp, "lp-503")

    assert (report.created, report.unchanged) == (2, 4)
    assert set(specs_of(real, project_id)) == {f"bp-{n}" for n in range(6)}
    assert len(events_of(real, project_id, "spec.created")) == 6  # nothing duplicated
    assert all(e.backfill for e in events_of(real, project_id, "spec.created"))  # still the first complete run


def test_malformed_json_names_the_url_and_keeps_earlier_pages(real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-bad")
    for number in range(4):
        lp.add("lp-bad", f"bp-{number}")
    lp.fail[("lp-bad", 2)] = Reply(200, b'{"entries": [', {"Content-Type": "application/json"})

    with pytest.raises(MalformedAnswer) as caught:
        sync(real, lp, "lp-bad")

    assert "/devel/lp-bad/all_specifications?ws.size=2&memo=2&ws.start=2" in caught.value.message
    assert caught.value.url.endswith("ws.start=2")
    assert set(specs_of(real, project_id)) == {"bp-0", "bp-1"}


def test_a_bad_entry_is_reported_and_the_rest_goes_on(real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-entry")
    lp.add("lp-entry", "good")
    lp.add("lp-entry", "bad", date_created="not a date")
    report, _ = sync(real, lp, "lp-entry")
    assert report.created == 1 and len(report.failures) == 1
    assert "date_created" in report.failures[0].reason
    assert set(specs_of(real, project_id)) == {"good"}


def test_several_launchpad_names_feed_one_project(real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-multi", more=("lp-multi-client",))
    lp.add("lp-multi", "server-side")
    lp.add("lp-multi-client", "client-side")
    report, _ = sync(real, lp, "lp-multi")
    assert report.created == 2
    specs = specs_of(real, project_id)
    assert (specs["server-side"].lp_project, specs["client-side"].lp_project) == ("lp-multi", "lp-multi-client")


def test_an_unknown_launchpad_project_fails_with_advice(real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    new_project(real, "lp-missing")
    with pytest.raises(RemoteRequestFailed, match="PORTAL_LAUNCHPAD_URL"):
        sync(real, lp, "lp-missing")


# --- a blueprint only in Launchpad, only as a spec file, or both, in both orders ------------


def write_spec(root: Path, project: str, name: str) -> Path:
    path = root / "specs" / "2026.1" / "approved" / f"{name}.rst"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(spec_rst(f"Design of {name}", name, project))
    return root


def import_files(factory: sessionmaker[Session], name: str, root: Path) -> None:
    with unit_of_work(factory) as session:
        import_tree(session, None, get_project(session, name), root, commit=lambda: commit_batch(session))


def picture(factory: sessionmaker[Session], project_id: int) -> dict[str, tuple[object, ...]]:
    with factory() as session:
        revisions = {n: c for n, c in session.execute(
            select(Spec.name, func.count(SpecRevision.id)).outerjoin(SpecRevision, SpecRevision.spec_id == Spec.id)
            .where(Spec.project_id == project_id).group_by(Spec.name))}
    return {name: (spec.title, spec.state, spec.lp_priority, spec.lp_definition_status, revisions[name] > 0)
            for name, spec in specs_of(factory, project_id).items()}


@pytest.mark.parametrize("order", ["launchpad-first", "files-first"])
def test_launchpad_only_spec_only_and_both_give_the_same_specs_in_any_order(
        real: sessionmaker[Session], lp: FakeLaunchpad, tmp_path: Path, order: str) -> None:
    name = f"lp-order-{order}"
    project_id = new_project(real, name)
    lp.add(name, "only-launchpad")
    lp.add(name, "both")
    root = write_spec(write_spec(tmp_path, name, "both"), name, "only-file")
    if order == "launchpad-first":
        sync(real, lp, name)
        import_files(real, name, root)
    else:
        import_files(real, name, root)
        sync(real, lp, name)

    result = picture(real, project_id)
    assert result == {
        "only-launchpad": ("Title of only-launchpad", "proposed", "Medium", "Approved", False),  # no design document
        "both": ("Design of both", "approved", "Medium", "Approved", True),
        "only-file": ("Design of only-file", "approved", None, None, True),
    }
    assert len(events_of(real, project_id, "spec.created")) == 3


def test_a_gone_person_keeps_the_name_its_link_gives(real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-gone")
    lp.add("lp-gone", "orphan", assignee_link=f"{lp.url}/devel/~left-launchpad")
    report, person_requests = sync(real, lp, "lp-gone")
    assert report.created == 1 and person_requests == 3
    spec = specs_of(real, project_id)["orphan"]
    assert spec.lp_assignee == "left-launchpad"


def test_an_entry_seen_twice_while_offsets_shift_is_counted_once(real: sessionmaker[Session],
                                                                 lp: FakeLaunchpad) -> None:
    new_project(real, "lp-shift")
    for number in range(3):
        lp.add("lp-shift", f"bp-{number}")
    original = lp.handle

    def shifted(seen: Seen) -> Reply:  # page 2 repeats bp-1, as if a priority change moved it
        if "ws.start=2" in seen.path:
            lp.specs["lp-shift"].insert(1, dict(lp.specs["lp-shift"][1]))
            try:
                return original(Seen(seen.method, seen.path.replace("ws.start=2", "ws.start=1"), seen.headers,
                                     seen.body))
            finally:
                del lp.specs["lp-shift"][1]
        return original(seen)

    lp.server.handler = shifted
    report, _ = sync(real, lp, "lp-shift")
    assert (report.created, report.unchanged) == (2, 0)  # bp-2 was pushed off: the next run gets it
    lp.server.handler = original
    again, _ = sync(real, lp, "lp-shift")
    assert (again.created, again.unchanged) == (1, 2)


def test_total_size_link_is_followed_when_the_page_has_no_total_size(lp: FakeLaunchpad) -> None:
    original = lp.handle

    def linked(seen: Seen) -> Reply:
        if seen.path.endswith("ws.show=total_size"):
            return Reply(200, b"7", {"Content-Type": "application/json"})
        reply = original(seen)
        page = json.loads(reply.body)
        del page["total_size"]
        page["total_size_link"] = f"{lp.url}/devel/lp-size/all_specifications?ws.show=total_size"
        return Reply(200, json.dumps(page).encode(), reply.headers)

    lp.add("lp-size", "one")
    lp.server.handler = linked
    with build_client(timeout=5, user_agent="test") as http:
        pages = list(LaunchpadClient(http, lp.url, policy=FAST).pages("lp-size"))
    assert [p.total_size for p in pages] == [7]


def test_a_project_without_a_launchpad_name_is_told_how_to_add_one(real: sessionmaker[Session],
                                                                   lp: FakeLaunchpad) -> None:
    with unit_of_work(real) as session:
        add_project(session, None, "lp-none")
    with pytest.raises(PortalError, match="portal projects edit lp-none --launchpad"):
        sync(real, lp, "lp-none")


def test_one_503_with_retry_after_is_retried_and_the_run_succeeds(real: sessionmaker[Session],
                                                                  lp: FakeLaunchpad) -> None:
    waits: list[float] = []
    project_id = new_project(real, "lp-retry")
    for number in range(3):
        lp.add("lp-retry", f"bp-{number}")
    lp.fail[("lp-retry", 2)] = Reply(503, "busy", {"Retry-After": "7"})
    with unit_of_work(real) as session, build_client(timeout=5, user_agent="test") as http:
        policy = RetryPolicy(retries=2, backoff_initial=0.0, backoff_max=0.0, jitter=0.0, sleep=waits.append)
        report = sync_project(session, get_project(session, "lp-retry"), LaunchpadClient(http, lp.url, policy=policy,
                              page_size=2), commit=lambda: commit_batch(session))
    assert report.created == 3 and waits == [7.0]
    assert len(specs_of(real, project_id)) == 3


def test_a_whiteboard_too_long_for_a_comment_is_reported_and_the_blueprint_kept(
        real: sessionmaker[Session], lp: FakeLaunchpad) -> None:
    project_id = new_project(real, "lp-long")
    lp.add("lp-long", "chatty", whiteboard="x" * 25_000)
    report, _ = sync(real, lp, "lp-long")
    assert report.created == 1 and report.comments == 0
    assert [f.item for f in report.failures] == ["lp-long/+spec/chatty whiteboard"]
    assert specs_of(real, project_id)["chatty"].lp_whiteboard == "x" * 25_000  # the text itself is kept
