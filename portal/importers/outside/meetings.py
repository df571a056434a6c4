"""The meeting bot's logs (meetings.opendev.org / eavesdrop layout) as Discussions: pure functions.

A log is ``<meeting>/<year>/<meeting>.<YYYY-MM-DD-HH.MM>.log.txt``, one line per
message: ``HH:MM:SS <nick> text`` (newer logs prefix the date:
``YYYY-MM-DDTHH:MM:SS  <nick> text``), ``*** old is now known as new`` for a
nick change. Its ``.log.html`` twin has an ``#l-N`` anchor per line N, which
is where the deep links point. Each ``#topic`` starts one Discussion; the
bot's commands (``#agreed``, ``#action``, ``#info``, ``#idea``, ``#link``,
``#startvote``/``#endvote``) become typed lines. A file that cannot be read
raises :class:`LogError` with its path, line and reason; nothing is half-read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from portal.importers.outside.model import Discussion, Line, LineKind

LOG_NAME = re.compile(r"^(?P<meeting>[\w.+-]+?)\.(?P<at>\d{4}-\d{2}-\d{2}-\d{2}\.\d{2})\.log\.txt$")
_LINE = re.compile(r"^(?:(?P<date>\d{4}-\d{2}-\d{2})T)?(?P<time>\d{2}:\d{2}:\d{2})\s+(?P<rest>.*)$")
_SAID = re.compile(r"^<(?P<nick>[^<>\s]+)>\s?(?P<text>.*)$")
_NICK = re.compile(r"^\*\*\*\s+(?P<old>\S+)\s+is now known as\s+(?P<new>\S+)\s*$")
_COMMAND = re.compile(r"^#(?P<cmd>[a-z]+)\b\s*(?P<arg>.*)$", re.I)
_RESULT = re.compile(r"^[\w -]+ \(\d+\):")
_URL_ONLY = re.compile(r"^<?https?://\S+>?$")
BOTS = frozenset({"opendevmeet", "openstack", "openstackmeet", "meetbot"})
COMMANDS = {"topic": LineKind.TOPIC, "agreed": LineKind.AGREED, "agree": LineKind.AGREED,
            "action": LineKind.ACTION, "info": LineKind.INFO, "idea": LineKind.IDEA, "link": LineKind.LINK,
            "startvote": LineKind.VOTE}


class LogError(ValueError):
    """A log that cannot be read: where, and why, in words an operator can act on."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}, line {line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass(frozen=True)
class MeetingLog:
    """One log file's name parts, as the bot lays them out."""

    meeting: str
    started_at: datetime

    @classmethod
    def from_name(cls, name: str) -> MeetingLog | None:
        found = LOG_NAME.match(name)
        if not found:
            return None
        at = datetime.strptime(found.group("at"), "%Y-%m-%d-%H.%M").replace(tzinfo=UTC)
        return cls(found.group("meeting").lower(), at)


def html_twin(url_or_path: str) -> str:
    """The ``.log.html`` beside a ``.log.txt``: the page a person reads, with ``#l-N`` anchors."""
    return url_or_path[: -len(".txt")] + ".html" if url_or_path.endswith(".log.txt") else url_or_path


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_log(path: str, data: bytes, *, url: str | None = None) -> list[Discussion]:
    """The topics of one log. ``path``: ``<meeting>/<year>/<name>`` (the external id's root);
    ``url``: the html log's address (deep links are ``url#l-N``; none without it)."""
    name = path.rsplit("/", 1)[-1]
    log = MeetingLog.from_name(name)
    if log is None:
        raise LogError(path, 0, "the file name is not <meeting>.<YYYY-MM-DD-HH.MM>.log.txt")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[: exc.start].count(b"\n") + 1
        raise LogError(path, bad, "not UTF-8 text (a binary or damaged file?)") from None
    digest = content_hash(data)
    nicks: dict[str, str] = {}
    day = log.started_at.date()
    last: datetime | None = None
    started = ended = False
    topics: list[tuple[Line | None, list[Line]]] = [(None, [])]
    vote_open = ""
    vote_at: tuple[list[Line], int] | None = None  # where the #startvote line is, to add the results to
    vote_result: list[str] = []
    number = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        found = _LINE.match(raw)
        if not found:
            raise LogError(path, number, f"expected 'HH:MM:SS <nick> text', found {raw[:60]!r}")
        hh, mm, ss = (int(p) for p in found.group("time").split(":"))
        if found.group("date"):
            day = date.fromisoformat(found.group("date"))
        at = datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC)
        if last is not None and at < last - timedelta(hours=1) and not found.group("date"):
            day += timedelta(days=1)  # past midnight
            at += timedelta(days=1)
        last = at
        rest = found.group("rest").strip()
        change = _NICK.match(rest)
        if change:
            nicks[change.group("old")] = nicks.get(change.group("old"), change.group("old"))
            nicks[change.group("new")] = change.group("new")
            for old, current in list(nicks.items()):
                if current == change.group("old") or old == change.group("old"):
                    nicks[old] = change.group("new")
            continue
        said = _SAID.match(rest)
        if not said:
            continue  # joins, parts, /me actions: not part of the discussion
        nick, body = said.group("nick"), said.group("text").strip()
        author = nicks.get(nick, nick)
        anchor = f"{url}#l-{number}" if url else None
        command = _COMMAND.match(body)
        cmd = command.group("cmd").lower() if command else ""
        if author in BOTS:
            if vote_at is not None and (body.startswith("Voted on") or _RESULT.match(body)):
                vote_result.append(body)
                held, position = vote_at
                if len(vote_result) > 1:
                    start = held[position]
                    held[position] = Line(start.number, start.author, f"{vote_open} — " + "; ".join(vote_result[1:]),
                                          LineKind.VOTE, start.at, start.url)
            continue
        if cmd == "startmeeting":
            started = True
            continue
        if cmd == "endmeeting":
            ended = True
            continue
        if cmd == "endvote":
            continue
        if not started:
            raise LogError(path, number, "text before #startmeeting: not a meeting bot log")
        if cmd in COMMANDS:
            kind, line_text = COMMANDS[cmd], command.group("arg").strip() if command else body
            if kind == LineKind.VOTE:
                vote_open, vote_result = f"Vote: {line_text}", []
                line_text = vote_open
                vote_at = (topics[-1][1], len(topics[-1][1]))
        elif _URL_ONLY.match(body):
            kind, line_text = LineKind.LINK, body.strip("<>")
        else:
            kind, line_text = LineKind.SAID, body
        line = Line(number=number, author=author, text=line_text, kind=kind, at=at, url=anchor)
        if kind == LineKind.TOPIC:
            topics.append((line, [line]))
        else:
            topics[-1][1].append(line)
    if not started:
        raise LogError(path, max(number, 1), "no #startmeeting line: not a meeting bot log")
    if not ended:
        raise LogError(path, number, "the log ends before #endmeeting (cut short? download it again)")
    return _discussions(path, log, topics, url, digest)


def _discussions(path: str, log: MeetingLog, topics: list[tuple[Line | None, list[Line]]], url: str | None,
                 digest: str) -> list[Discussion]:
    day = log.started_at.strftime("%Y-%m-%d")
    result = []
    for index, (topic, lines) in enumerate(topics):
        if topic is None and not any(ln.kind not in (LineKind.SAID,) for ln in lines):
            continue  # the roll call before the first topic
        heading = topic.text if topic is not None else "opening"
        participants = tuple(dict.fromkeys(ln.author for ln in lines))
        result.append(Discussion(
            source="irc", external_id=f"{path}#{index}", title=f"{log.meeting} meeting {day}: {heading}"[:300],
            url=(topic.url if topic is not None else url) or url, started_at=lines[0].at or log.started_at,
            group=log.meeting, tags=(log.meeting,), lines=tuple(lines), content_hash=digest,
            participants=participants))
    return result
