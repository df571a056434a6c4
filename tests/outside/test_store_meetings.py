"""Meeting logs imported end to end: comments on the specs they discuss, idempotent, resumable, by hand-fixable."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from portal.importers.outside.meeting_import import import_logs, local_logs
from portal.importers.outside.store import remove_link
from portal.models import Comment, CommentSource, DiscussionLink, Event, OutsideDiscussion, Project, Spec, User
from tests.outside.meeting_support import FIXTURES, make_labelled_specs
from tests.support.cli_instance import Portal

NOVA_HTML = "https://meetings.opendev.org/meetings/nova/2026/nova.2026-11-19-16.00.log.html"


def _import(db: Session, root: Path = FIXTURES) -> object:
    return import_logs(db, local_logs(root), commit=db.flush)


def _comments(db: Session, spec: Spec) -> list[Comment]:
    return db.query(Comment).filter(Comment.spec_id == spec.id).order_by(Comment.created_at).all()


def test_a_topic_becomes_an_irc_comment_with_points_people_and_deep_links(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec]
) -> None:
    specs = make_labelled_specs(db, make_project, make_spec)
    _import(db)
    resize = [c for c in _comments(db, specs["nova/vm-live-resize"]) if "2026-11-19" in c.body]
    [comment] = resize
    assert comment.source == CommentSource.IRC and comment.author_name == "nova meeting"
    assert comment.body.startswith("**nova meeting 2026-11-19: vm-live-resize spec**")
    assert "**Agreed:** live resize keeps downtime under one second" in comment.body
    assert "**Action:** gibi to re-review" in comment.body
    assert f"([l-16]({NOVA_HTML}#l-16))" in comment.body
    assert "ça doit rester invisible 👍" in comment.body_html  # a neighbour of a line naming the spec
    assert "Taking part: bauzas, gibi, rené, sean-k-mooney." in comment.body
    assert "review URL of change 934211 on line 12" in comment.body_html
    assert f'href="{NOVA_HTML}#l-16"' in comment.body_html
    event = db.query(Event).filter(Event.kind == "comment.added", Event.spec_id == comment.spec_id).first()
    assert event is not None and event.payload["source"] == "irc"


def test_a_topic_discussing_two_specs_comments_on_both(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec]
) -> None:
    specs = make_labelled_specs(db, make_project, make_spec)
    _import(db)
    external = "nova/2026/nova.2026-11-19-16.00.log.txt#3"
    links = {link.spec_id: link.reason for link in db.query(DiscussionLink).join(OutsideDiscussion).filter(
        OutsideDiscussion.external_id == external)}
    assert links == {specs["nova/cpu-power-management"].id: "bp/cpu-power-management on line 20",
                     specs["nova/ephemeral-encryption"].id: "review URL of change 870001 on line 21"}
    for key in ("nova/cpu-power-management", "nova/ephemeral-encryption"):
        assert any("Specs review day" in c.body and "Vote: Should we hold" in c.body for c in _comments(db, specs[key]))


def test_reimport_skips_unchanged_logs_and_updates_a_changed_one_in_place(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec], tmp_path: Path
) -> None:
    specs = make_labelled_specs(db, make_project, make_spec)
    root = tmp_path / "logs"
    shutil.copytree(FIXTURES, root)
    first = _import(db, root)
    total = db.query(Comment).count()
    again = _import(db, root)
    assert again.unchanged_files == again.files == first.files and again.imported_files == 0  # type: ignore[attr-defined]
    assert db.query(Comment).count() == total
    log = root / "nova/2026/nova.2026-11-19-16.00.log.txt"
    text = log.read_text(encoding="utf-8").replace(
        "16:09:55 <bauzas> #endmeeting", "16:09:50 <gibi> #agreed bp/vm-live-resize goes to the spec review day\n"
        "16:09:55 <bauzas> #endmeeting")
    assert text != log.read_text(encoding="utf-8")
    log.write_text(text, encoding="utf-8")
    changed = _import(db, root)
    assert changed.imported_files == 1 and changed.totals.changed == 4  # type: ignore[attr-defined]
    assert db.query(Comment).count() == total + 1  # the open-discussion topic now names vm-live-resize
    body = "".join(c.body for c in _comments(db, specs["nova/vm-live-resize"]))
    assert "bp/vm-live-resize goes to the spec review day" in body


def test_a_link_removed_by_hand_stays_removed_on_reimport(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec],
    make_user: Callable[..., User], tmp_path: Path
) -> None:
    specs = make_labelled_specs(db, make_project, make_spec)
    reviewer = make_user(role="reviewer")
    root = tmp_path / "logs"
    shutil.copytree(FIXTURES, root)
    _import(db, root)
    wrong = specs["nova/vm-live-resize"]
    [link] = [lk for lk in db.query(DiscussionLink).filter(DiscussionLink.spec_id == wrong.id)
              if "934211 on line" in lk.reason and lk.discussion_id and "review URL" in lk.reason
              and db.get(OutsideDiscussion, lk.discussion_id).external_id.startswith("nova/2025")]  # type: ignore[union-attr]
    remove_link(db, reviewer, wrong, link.id)
    comment = db.get(Comment, link.comment_id)
    assert comment is not None and comment.deleted_at is not None
    for path in root.rglob("*.log.txt"):  # every log changes: all are read and linked again
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = _import(db, root)
    assert report.imported_files == report.files  # type: ignore[attr-defined]
    db.refresh(link)
    db.refresh(comment)
    assert link.removed_at is not None and comment.deleted_at is not None
    assert db.query(DiscussionLink).filter(DiscussionLink.spec_id == wrong.id,
                                           DiscussionLink.discussion_id == link.discussion_id).count() == 1


def test_cli_imports_the_good_logs_and_names_each_broken_one_by_path_and_line(
    portal: Portal, tmp_path: Path
) -> None:
    root = tmp_path / "logs"
    shutil.copytree(FIXTURES, root)
    (root / "nova/2026/nova.2026-12-03-16.00.log.txt").write_text(
        "16:00:00 <bauzas> #startmeeting nova\n16:00:10 <bauzas> #topic vm-live-resize\n16:00:2", encoding="utf-8")
    (root / "nova/2026/nova.2026-12-10-16.00.log.txt").write_bytes(
        b"16:00:00 <bauzas> #startmeeting nova\n16:00:05 <bauzas> \xff\xfe garbled\n")
    portal.ok("projects", "add", "nova")
    result = portal.run("import", "meetings", str(root), "--meeting", "nova")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert (f"FAILED  {root}/nova/2026/nova.2026-12-03-16.00.log.txt, line 3: expected 'HH:MM:SS <nick> text', "
            "found '16:00:2'") in out
    assert f"FAILED  {root}/nova/2026/nova.2026-12-10-16.00.log.txt, line 2: not UTF-8 text" in out
    assert "Read 6 log(s): 4 imported, 0 unchanged, 2 failed; 17 topic(s)" in out
    assert "re-run the same command" in out
    again = portal.run("import", "meetings", str(root), "--meeting", "nova")
    assert "Read 6 log(s): 0 imported, 4 unchanged, 2 failed" in again.stdout

    # Both runs are on the admin's run list, partial, naming the broken logs.
    runs = portal.ok("runs", "list").stdout
    meeting_runs = [line for line in runs.splitlines() if " meetings " in line]
    assert len(meeting_runs) == 2 and all(" partial " in line for line in meeting_runs), runs
    assert "files 6, imported 4, unchanged 0, failed 2" in runs and "files 6, imported 0, unchanged 4, failed 2" in runs
    assert "nova.2026-12-10-16.00.log.txt" in runs


def test_cli_refuses_a_missing_folder_and_a_folder_without_logs(portal: Portal, tmp_path: Path) -> None:
    assert "is not a folder or an http(s):// address" in portal.fails(
        "import", "meetings", str(tmp_path / "nope")).stderr
    assert "No meeting logs found" in portal.fails("import", "meetings", str(tmp_path)).stderr
    assert "is not a meeting name" in portal.fails("import", "meetings", str(tmp_path), "--meeting", "No Va").stderr


@pytest.fixture
def log_server() -> Iterator[str]:
    """The fixture tree served with Apache-style directory listings, as meetings.opendev.org serves its logs."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(FIXTURES))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_source_is_walked_by_its_index_pages(portal: Portal, log_server: str) -> None:
    portal.ok("projects", "add", "neutron")
    out = portal.ok("import", "meetings", log_server, "--meeting", "neutron").stdout
    assert "Read 2 log(s): 2 imported, 0 unchanged, 0 failed; 9 topic(s)" in out
    again = portal.ok("import", "meetings", log_server).stdout
    assert "Read 10 log(s): 8 imported, 2 unchanged, 0 failed" in again


def test_the_comments_api_lists_irc_comments_as_its_schema_says(
    db: Session, client: object, make_project: Callable[..., Project], make_spec: Callable[..., Spec]
) -> None:
    make_labelled_specs(db, make_project, make_spec)
    _import(db)
    db.flush()
    answer = client.get("/api/v1/projects/nova/specs/vm-live-resize/comments")  # type: ignore[attr-defined]
    assert answer.status_code == 200
    sources = [item["source"] for item in answer.get_json()["items"]]
    assert sources and set(sources) == {"irc"}
