"""Threads rebuilt the way a reader of the archive sees them, including broken clients."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from portal.importers.outside.mail import MailMessage, archive_files, message_id_hash, read_archive
from portal.importers.outside.model import LineKind
from portal.importers.outside.threads import build_threads, read_threads

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
BASE = "https://lists.openstack.org/archives/list/openstack-discuss@lists.openstack.org/"


def _all() -> list[MailMessage]:
    messages: list[MailMessage] = []
    for path in archive_files(FIXTURES):
        messages += read_archive(path, archive_url=BASE).messages
    return messages


def _by_title() -> dict[str, object]:
    return {d.title: d for d in build_threads(_all(), list_name="openstack-discuss", archive_url=BASE)}


def test_threads_from_references_and_in_reply_to() -> None:
    threads = build_threads(_all(), list_name="openstack-discuss", archive_url=BASE)
    assert [t.title for t in threads] == [
        "Backup compression", "Port forwarding quotas", "Final RC deadline", "Live resize of instances",
        "Dinner on Tuesday?",
    ]
    resize = threads[3]
    # Keyed by HyperKitty's hash of the root Message-ID (ids can embed an address): the thread page's key too.
    assert resize.external_id == "openstack-discuss:" + message_id_hash("live-resize-1@example.org")
    assert resize.url == f"{BASE}thread/{message_id_hash('live-resize-1@example.org')}/"
    assert resize.source == "mail" and resize.group == "openstack-discuss"
    assert resize.tags == ("nova", "ops")
    assert resize.participants == ("Jane Doe", "René François", "Kenji Sato")
    assert resize.started_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    # Archived-At wins where Mailman wrote it; otherwise the HyperKitty page from the base URL.
    assert resize.lines[0].url == BASE + "message/LIVERESIZE1/"
    assert resize.lines[2].url is not None and resize.lines[2].url.startswith(BASE + "message/")


def test_reply_without_headers_joins_by_subject() -> None:
    quotas = build_threads(_all(), list_name="openstack-discuss")[1]
    assert quotas.participants == ("Sam Okafor", "Amélie Dupré", "Jo Brown")
    assert "upgrade note" in quotas.lines[-1].text


def test_off_topic_thread_that_turns_to_a_spec_keeps_every_message() -> None:
    dinner = build_threads(_all(), list_name="openstack-discuss")[4]
    assert dinner.tags == ("ptg",)
    assert "bp/cpu-power-management" not in dinner.title
    # One line per paragraph of each message: the one naming the spec, with the paragraphs around it.
    assert [(line.author, line.text.split()[0]) for line in dinner.lines] == [
        ("Pat Smith", "Who"), ("李伟", "Count"), ("李伟", "By"), ("Pat Smith", "Good")]
    assert "bp/cpu-power-management" in dinner.lines[2].text
    assert dinner.lines[0].text.endswith("near the venue.\nPat")  # a bare sign-off joins its paragraph
    numbers = [line.number for line in dinner.lines]
    assert numbers == sorted(set(numbers)) and numbers[0] == 80  # lines of the mbox (the body's first line)


def _message(mid: str, subject: str, day: int, refs: tuple[str, ...] = (), reply_to: str | None = None) -> MailMessage:
    return MailMessage(message_id=mid, in_reply_to=reply_to, references=refs, subject=subject, author=mid,
                       at=datetime(2026, 1, day, tzinfo=UTC), text=f"text {mid}", path="x", line=day, digest=mid)


def test_root_missing_from_the_archive_still_one_stable_thread() -> None:
    messages = [_message("b", "Re: x", 2, refs=("a",)), _message("c", "Re: x", 3, refs=("a", "b"))]
    [thread] = build_threads(messages, list_name="l")
    # The root the replies name, as when the earlier month is imported too.
    assert thread.external_id == "l:" + message_id_hash("a")
    [again] = build_threads(list(reversed(messages)), list_name="l")
    assert again == thread


def test_same_subject_without_re_is_a_new_thread_and_duplicates_count_once() -> None:
    messages = [_message("a", "[nova] weekly agenda", 1), _message("b", "[nova] weekly agenda", 8),
                _message("b", "[nova] weekly agenda", 8), _message("c", "Re: [nova] weekly agenda", 9)]
    threads = build_threads(messages, list_name="l")
    assert [(t.external_id, len(t.lines)) for t in threads] == [(f"l:{message_id_hash(k)}", n) for k, n in
                                                                 (("a", 1), ("b", 2))]


def test_content_hash_changes_only_when_the_thread_does() -> None:
    base = [_message("a", "x", 1), _message("b", "Re: x", 2, reply_to="a")]
    [one] = build_threads(base, list_name="l")
    [same] = build_threads(list(base), list_name="l")
    [more] = build_threads([*base, _message("c", "Re: x", 3, reply_to="b")], list_name="l")
    assert one.content_hash == same.content_hash != more.content_hash


def test_reference_cycle_does_not_hang() -> None:
    messages = [_message("a", "x", 1, reply_to="b"), _message("b", "Re: x", 2, reply_to="a")]
    [thread] = build_threads(messages, list_name="l")
    assert len(thread.lines) == 2


def test_read_threads_joins_files_and_reports_unreadable_ones() -> None:
    seen: list[str] = []
    read = read_threads(FIXTURES, list_name="openstack-discuss", progress=lambda i, n, p: seen.append(Path(p).name))
    assert read.files == 4 and seen == ["notes.mbox", "openstack-discuss-2026-11.mbox", "2026-October.txt.gz",
                                        "2026-September.txt.gz"]
    assert read.messages == 11 and len(read.discussions) == 5
    assert sorted(Path(p.path).name for p in read.problems) == ["2026-September.txt.gz", "notes.mbox"]
    shown = [d.title for d in read.discussions] + [x for d in read.discussions for x in (*d.tags, *d.participants)]
    shown += [f"{line.author} {line.text}" for d in read.discussions for line in d.lines]
    assert not [text for text in shown if re.search(r"@|\bat example\.", text)]


def test_a_changed_subject_is_a_topic_line() -> None:
    messages = [_message("a", "[ptg] lunch", 1),
                _message("b", "Re: [ptg][nova] Live resize of instances (was: lunch)", 2, reply_to="a")]
    [thread] = build_threads(messages, list_name="l")
    assert [(line.kind, line.text) for line in thread.lines] == [
        (LineKind.SAID, "text a"), (LineKind.TOPIC, "Live resize of instances (was: lunch)"),
        (LineKind.SAID, "text b")]
    assert thread.tags == ("ptg", "nova")
