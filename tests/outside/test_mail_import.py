"""The list archive end to end: `portal import mail`, then the spec page an operator reads."""

from __future__ import annotations

import gzip
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.importers.outside.mail import MailMessage, message_id_hash
from portal.importers.outside.model import Discussion
from portal.importers.outside.store import import_discussions
from portal.importers.outside.threads import build_threads, merge_with_stored, read_threads
from portal.models import Comment, Project, Spec
from tests.support.cli_instance import Portal
from tests.support.factories import spec_rst

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
ADDRESS = re.compile(r"[\w.+-]+(?:@| at )example\.(?:org|net|com|cn|fr)", re.I)


def _specs(make_project: Callable[..., Project], make_spec: Callable[..., Spec]) -> dict[str, Spec]:
    nova, neutron = make_project(name="nova"), make_project(name="neutron")
    return {
        "vm-live-resize": make_spec(name="vm-live-resize", project=nova),
        "cpu-power-management": make_spec(name="cpu-power-management", project=nova),
        "port-forwarding-quotas": make_spec(name="port-forwarding-quotas", project=neutron),
        "unrelated": make_spec(name="unrelated-spec", project=nova),
    }


def test_thread_becomes_a_mail_comment_with_names_and_no_addresses(
    db: Session, client: FlaskClient, make_project: Callable[..., Project], make_spec: Callable[..., Spec]
) -> None:
    specs = _specs(make_project, make_spec)
    read = read_threads(FIXTURES, list_name="openstack-discuss")
    import_discussions(db, read.discussions, source_label="mail openstack-discuss")
    db.flush()

    html = client.get("/projects/nova/specs/vm-live-resize").get_data(as_text=True)
    assert "Live resize of instances" in html
    assert "Jane Doe" in html and "René François" in html
    assert "downtime must stay under a second" in html
    assert "https://lists.openstack.org/archives/list/openstack-discuss@lists.openstack.org/message/" in html
    assert not ADDRESS.findall(html)

    comments = db.query(Comment).filter(Comment.spec_id == specs["vm-live-resize"].id).all()
    assert [c.source.value for c in comments] == ["mail"]
    # The dinner thread turned to cpu-power-management in its second message: linked there, not elsewhere.
    power = client.get("/projects/nova/specs/cpu-power-management").get_data(as_text=True)
    assert "Dinner on Tuesday?" in power and "李伟" in power and not ADDRESS.findall(power)
    assert db.query(Comment).filter(Comment.spec_id == specs["unrelated"].id).count() == 0
    quotas = client.get("/projects/neutron/specs/port-forwarding-quotas").get_data(as_text=True)
    assert "Port forwarding quotas" in quotas and "Sam Okafor" in quotas and not ADDRESS.findall(quotas)


def test_reimport_is_idempotent_and_a_new_reply_updates_the_comment(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec], tmp_path: Path
) -> None:
    specs = _specs(make_project, make_spec)
    shutil.copytree(FIXTURES, tmp_path / "archive")
    read = read_threads(tmp_path / "archive", list_name="openstack-discuss")
    import_discussions(db, read.discussions, source_label="t")
    import_discussions(db, read_threads(tmp_path / "archive", list_name="openstack-discuss").discussions,
                       source_label="t")
    db.flush()
    spec_id = specs["vm-live-resize"].id
    [comment] = db.query(Comment).filter(Comment.spec_id == spec_id).all()
    mbox = tmp_path / "archive" / "openstack-discuss-2026-11.mbox"
    mbox.write_text(mbox.read_text() + (
        "\nFrom priya@example.org Fri Nov  6 10:00:00 2026\nFrom: Priya Nair <priya@example.org>\n"
        "Subject: Re: [nova][ops] Live resize of instances\nDate: Fri, 06 Nov 2026 10:00:00 +0000\n"
        "Message-ID: <live-resize-4@example.org>\nIn-Reply-To: <live-resize-3@example.com>\n"
        "References: <live-resize-1@example.org> <live-resize-3@example.com>\n\n"
        "For bp/vm-live-resize we also need the downtime cap documented.\n"))
    import_discussions(db, read_threads(tmp_path / "archive", list_name="openstack-discuss").discussions,
                       source_label="t")
    db.flush()
    [updated] = db.query(Comment).filter(Comment.spec_id == spec_id).all()
    assert updated.id == comment.id
    assert "Priya Nair" in (updated.body or "")


def test_cli_imports_what_it_can_and_names_each_broken_file(portal: Portal, tmp_path: Path) -> None:
    portal.ok("projects", "add", "nova")
    result = portal.run("import", "mail", str(FIXTURES), "--list", "openstack-discuss")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "Read 4 file(s): 11 messages in 5 threads." in out
    september = FIXTURES / "pipermail" / "2026-September.txt.gz"
    assert f"FAILED  {september}, byte {september.stat().st_size}: the gzip stream ends early" in out
    assert f"FAILED  {FIXTURES / 'notes.mbox'}, line 1: not an mbox archive" in out
    assert "re-run the same command" in out

    single = portal.ok("import", "mail", str(FIXTURES / "openstack-discuss-2026-11.mbox"), "--list",
                       "openstack-discuss")
    assert "Read 1 file(s): 6 messages in 2 threads." in single.stdout
    assert "2 discussion(s): 0 new, 0 changed, 2 unchanged" in single.stdout  # the same threads as in the folder

    # Each run is on the admin's run list: the folder's partial (two broken files), the single file's clean.
    runs = [line for line in portal.ok("runs", "list").stdout.splitlines() if " mail " in line]
    assert len(runs) == 2, runs
    assert " succeeded " in runs[0] and " partial " in runs[1], runs  # newest first


def test_cli_refuses_a_bad_list_name_and_an_empty_folder(portal: Portal, tmp_path: Path) -> None:
    assert "is not a list name" in portal.fails("import", "mail", str(FIXTURES), "--list", "Open Stack!").stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "No archive files in" in portal.fails("import", "mail", str(empty), "--list", "openstack-discuss").stderr


def test_reply_that_turns_the_subject_to_a_spec_links_the_thread(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec], tmp_path: Path
) -> None:
    spec = make_spec(name="vm-live-resize", project=make_project(name="nova"))
    (tmp_path / "x.mbox").write_text(
        "From a@example.org Tue Nov  3 10:00:00 2026\nFrom: Ann <a@example.org>\nSubject: [ptg] lunch\n"
        "Date: Tue, 03 Nov 2026 10:00:00 +0000\nMessage-ID: <l1@x>\n\nWhere do we eat?\n\n"
        "From b@example.org Tue Nov  3 11:00:00 2026\nFrom: Bo <b@example.org>\n"
        "Subject: Re: [nova] vm-live-resize downtime (was: lunch)\nDate: Tue, 03 Nov 2026 11:00:00 +0000\n"
        "Message-ID: <l2@x>\nIn-Reply-To: <l1@x>\n\nThe downtime cap needs a number.\n")
    import_discussions(db, read_threads(tmp_path, list_name="openstack-discuss").discussions, source_label="t")
    db.flush()
    [comment] = db.query(Comment).filter(Comment.spec_id == spec.id).all()
    assert "lunch" in comment.body and "The downtime cap needs a number." in comment.body and "Bo" in comment.body


def test_month_by_month_import_keeps_the_earlier_part_of_a_thread(
    portal: Portal, tmp_path: Path, web: Flask
) -> None:
    portal.ok("projects", "add", "nova")
    head = ("From {u} at example.org  {d}\nFrom: {u} at example.org ({n})\nDate: {h}\n"
            "Subject: [openstack-discuss] {s}[nova] bp/vm-live-resize downtime\nMessage-ID: <{m} at x>\n{r}\n{t}\n\n")
    october = head.format(u="ann", n="Ann Example", d="Fri Oct 30 10:00:00 2026", h="Fri, 30 Oct 2026 10:00:00 +0000",
                          s="", m="m1", r="", t="The cap should be one second.")
    november = head.format(u="bo", n="Bo Example", d="Mon Nov  2 10:00:00 2026", h="Mon, 2 Nov 2026 10:00:00 +0000",
                           s="Re: ", m="m2", r="In-Reply-To: <m1 at x>\nReferences: <m1 at x>\n",
                           t="One second is fine for bp/vm-live-resize, with a flag.")
    (tmp_path / "2026-October.txt.gz").write_bytes(gzip.compress(october.encode()))
    (tmp_path / "2026-November.txt.gz").write_bytes(gzip.compress(november.encode()))
    tree = tmp_path / "nova-specs" / "specs" / "2026.1" / "approved"
    tree.mkdir(parents=True)
    (tree / "vm-live-resize.rst").write_text(spec_rst("VM live resize", "vm-live-resize", "nova"))
    portal.ok("import", "specs", "--project", "nova", str(tmp_path / "nova-specs"))
    archive = tmp_path / "archive"
    archive.mkdir()
    (tmp_path / "2026-October.txt.gz").rename(archive / "2026-October.txt.gz")
    (tmp_path / "2026-November.txt.gz").rename(archive / "2026-November.txt.gz")
    portal.ok("import", "mail", str(archive / "2026-October.txt.gz"), "--list", "openstack-discuss")
    second = portal.ok("import", "mail", str(archive / "2026-November.txt.gz"), "--list", "openstack-discuss")
    assert "0 new, 1 changed" in second.stdout
    again = portal.ok("import", "mail", str(archive), "--list", "openstack-discuss")
    assert "0 new, 0 changed, 1 unchanged" in again.stdout
    html = web.test_client().get("/projects/nova/specs/vm-live-resize").get_data(as_text=True)
    assert "Ann Example" in html and "Bo Example" in html
    assert "The cap should be one second." in html and "with a flag" in html
    assert not ADDRESS.findall(html)


def test_merge_with_stored_joins_parts_and_skips_what_is_known(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec]
) -> None:
    spec = make_spec(name="vm-live-resize", project=make_project(name="nova"))

    def part(mid: str, day: int, text: str, reply_to: str | None = None) -> list[Discussion]:
        message = MailMessage(message_id=mid, in_reply_to=reply_to, references=(reply_to,) if reply_to else (),
                              subject="[nova] resize", author=f"Person {mid}",
                              at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day),
                              text=text, path=f"{day}.txt", line=1, digest=mid)
        return build_threads([message], list_name="l")

    import_discussions(db, merge_with_stored(db, part("a", 1, "first about bp/vm-live-resize")), source_label="t")
    later = merge_with_stored(db, part("b", 40, "second word", reply_to="a"))
    assert [line.author for line in later[0].lines] == ["Person a", "Person b"]
    assert len({line.number for line in later[0].lines}) == 2  # both parts were line 1 of their files
    import_discussions(db, later, source_label="t")
    again = merge_with_stored(db, part("b", 40, "second word", reply_to="a"))
    assert import_discussions(db, again, source_label="t").unchanged == 1
    db.flush()
    [comment] = db.query(Comment).filter(Comment.spec_id == spec.id).all()
    assert "Person a" in comment.body and "Person b" in comment.body


def test_archive_url_gives_pipermail_threads_message_links(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec], client: FlaskClient
) -> None:
    make_spec(name="port-forwarding-quotas", project=make_project(name="neutron"))
    base = "https://lists.example.net/archives/list/openstack-discuss@lists.example.net/"
    read = read_threads(FIXTURES / "pipermail", list_name="openstack-discuss", archive_url=base)
    import_discussions(db, read.discussions, source_label="t")
    db.flush()
    html = client.get("/projects/neutron/specs/port-forwarding-quotas").get_data(as_text=True)
    assert f'href="{base}thread/{message_id_hash("CAport1@mail.example.org")}/"' in html
    assert f'href="{base}message/{message_id_hash("CAport2@mail.example.fr")}/"' in html


def test_cli_refuses_an_archive_url_that_is_not_http(portal: Portal) -> None:
    result = portal.fails("import", "mail", str(FIXTURES), "--list", "openstack-discuss", "--archive-url", "ftp://x")
    assert "--archive-url must start with https://" in result.stderr
