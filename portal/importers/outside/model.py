"""The values parsers hand to linking and the comment writer: one meeting topic or one mail thread each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class LineKind(StrEnum):
    """What a line of a discussion is: said in passing, or a meeting-bot command that records a point."""

    SAID = "said"  # an ordinary IRC line or a mail message's own text (quotes and signature folded away)
    TOPIC = "topic"  # #topic
    AGREED = "agreed"  # #agreed
    ACTION = "action"  # #action
    INFO = "info"  # #info
    IDEA = "idea"  # #idea
    LINK = "link"  # #link, or a line that is only a URL
    VOTE = "vote"  # #startvote / #endvote and its result


@dataclass(frozen=True)
class Line:
    """One line of a log or one message of a thread, with a link to exactly where it is."""

    number: int  # the line number in the source file (1-based), for error reports and anchors
    author: str  # IRC nick (after nick changes: the one in use) or mail display name; never an address
    text: str
    kind: LineKind = LineKind.SAID
    at: datetime | None = None  # UTC
    url: str | None = None  # deep link: the html log's #l-N anchor, or the message's archive URL


@dataclass(frozen=True)
class Discussion:
    """A meeting topic or a mail thread: the unit that is linked to specs and summarised on them."""

    source: str  # "irc" or "mail" (portal.models.CommentSource values)
    external_id: str  # stable across re-imports: "<meeting log path>#<topic index>" or "<list>:<root Message-ID>"
    title: str  # "nova meeting 2026-11-20: <topic>" or the thread's subject without Re:/tags
    url: str | None  # the log (html twin where there is one) or the thread's archive page
    started_at: datetime  # UTC
    group: str  # the meeting name ("nova") or the list name ("openstack-discuss")
    tags: tuple[str, ...] = ()  # lower-cased subject tags ("nova", "ops") or the meeting name
    lines: tuple[Line, ...] = ()
    content_hash: str = ""  # sha256 of the source file(s) it came from: an unchanged file is skipped
    participants: tuple[str, ...] = field(default=())  # who spoke, in order of first line
