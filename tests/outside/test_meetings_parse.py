"""The meeting bot's log format, read into topics: commands, nicks, votes, and errors an operator can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.importers.outside.meetings import LogError, parse_log
from portal.importers.outside.model import LineKind

FIXTURES = Path(__file__).parent / "fixtures" / "meetings"
NOVA = "nova/2026/nova.2026-11-19-16.00.log.txt"
HTML = "https://meetings.opendev.org/meetings/nova/2026/nova.2026-11-19-16.00.log.html"


def _nova() -> list:
    return parse_log(NOVA, (FIXTURES / NOVA).read_bytes(), url=HTML)


def test_one_discussion_per_topic_with_meeting_and_date_in_the_title() -> None:
    topics = _nova()
    assert [t.title for t in topics] == [
        "nova meeting 2026-11-19: Bugs (stuck bugs)",
        "nova meeting 2026-11-19: vm-live-resize spec",
        "nova meeting 2026-11-19: Specs review day",
        "nova meeting 2026-11-19: Open discussion",
    ]
    assert [t.external_id for t in topics] == [f"{NOVA}#{i}" for i in range(1, 5)]
    assert all(t.group == "nova" and t.tags == ("nova",) and t.source == "irc" for t in topics)
    assert len({t.content_hash for t in topics}) == 1


def test_bot_commands_become_points_and_lines_link_to_their_anchor() -> None:
    resize = _nova()[1]
    kinds = {ln.text: ln.kind for ln in resize.lines}
    assert kinds["live resize keeps downtime under one second, capped by a config option"] == LineKind.AGREED
    assert kinds["gibi to re-review the vm-live-resize spec this week"] == LineKind.ACTION
    assert kinds["https://review.opendev.org/c/openstack/nova-specs/+/934211"] == LineKind.LINK
    topic = resize.lines[0]
    assert topic.kind == LineKind.TOPIC and topic.number == 10 and topic.url == f"{HTML}#l-10"
    assert resize.url == f"{HTML}#l-10"
    assert topic.at is not None and topic.at.isoformat() == "2026-11-19T16:02:50+00:00"


def test_nick_change_unicode_url_only_lines_and_vote_results() -> None:
    topics = _nova()
    resize, review, open_talk = topics[1], topics[2], topics[3]
    assert "gibi" in resize.participants and "gibi_" not in resize.participants
    assert any("ça doit rester invisible 👍" in ln.text and ln.author == "rené" for ln in resize.lines)
    [vote] = [ln for ln in review.lines if ln.kind == LineKind.VOTE]
    assert vote.text == ('Vote: Should we hold a spec review day on Dec 1? yes, no — yes (2): gibi, sean-k-mooney')
    assert "opendevmeet" not in review.participants
    url_only = open_talk.lines[1]
    assert url_only.kind == LineKind.LINK and url_only.author == "rené"
    assert url_only.text == "https://blueprints.launchpad.net/nova/+spec/pci-passthrough-groups"
    assert [ln.kind for ln in open_talk.lines].count(LineKind.IDEA) == 1


def test_dated_lines_of_newer_logs() -> None:
    path = "nova/2026/nova.2026-11-26-16.00.log.txt"
    topics = parse_log(path, (FIXTURES / path).read_bytes())
    assert topics[0].title == "nova meeting 2026-11-26: Gerrit 934211 follow-up"
    assert topics[0].lines[0].url is None  # no html address given: no deep link invented
    assert topics[-1].lines[-1].kind == LineKind.LINK


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("16:00:00 <a> #startmeeting nova\n16:00:10 <a> #topic x\n16:0", 3, "expected 'HH:MM:SS <nick> text'"),
    ("16:00:00 <a> #startmeeting nova\n16:00:10 <a> #topic x\n16:00:20 <a> cut here", 3, "ends before #endmeeting"),
    ("hello there\n", 1, "expected 'HH:MM:SS <nick> text'"),
    ("16:00:00 <a> hi\n", 1, "text before #startmeeting"),
])
def test_broken_logs_are_reported_by_path_and_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(LogError) as caught:
        parse_log("nova/2026/nova.2026-12-03-16.00.log.txt", text.encode())
    assert caught.value.line == line and reason in caught.value.reason
    assert str(caught.value).startswith(f"nova/2026/nova.2026-12-03-16.00.log.txt, line {line}: ")


def test_binary_and_badly_named_files_are_refused_with_the_reason() -> None:
    with pytest.raises(LogError, match=r"line 2: not UTF-8"):
        parse_log("nova/2026/nova.2026-12-03-16.00.log.txt", b"16:00:00 <a> #startmeeting nova\n\xff\xfe\n")
    with pytest.raises(LogError, match="not <meeting>.<YYYY-MM-DD-HH.MM>.log.txt"):
        parse_log("nova/2026/notes.txt", b"")
