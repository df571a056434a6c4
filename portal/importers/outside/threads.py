"""Mail threads rebuilt from Message-ID / In-Reply-To / References, with a subject fallback for broken clients.

Pure: messages in, one :class:`~portal.importers.outside.model.Discussion` per thread out. Every
paragraph of every message becomes a line (its folded text, its archive URL), so a thread that starts
off-topic and later turns to a spec is still found by linking. :func:`merge_with_stored` (the one
reader of the database here) joins a thread with the part an earlier run stored, for monthly files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.importers.outside.mail import (
    MailMessage,
    ParseProblem,
    archive_files,
    clean_subject,
    message_id_hash,
    read_archive,
    subject_tags,
)
from portal.importers.outside.model import Discussion, Line, LineKind
from portal.importers.outside.store import from_row
from portal.models import OutsideDiscussion

SUBJECT_FALLBACK_WINDOW = timedelta(days=60)  # a "Re:" without headers joins a thread seen this recently
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Groups:
    """Union-find over Message-IDs, including ids only ever seen as references (a root not in the archive)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:  # path compression, iterative: no recursion limit on long threads
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _norm_subject(subject: str) -> str:
    return clean_subject(subject).casefold()


def _when(message: MailMessage) -> datetime:
    return message.at or _EPOCH


def build_threads(
    messages: Iterable[MailMessage], *, list_name: str, archive_url: str | None = None
) -> list[Discussion]:
    """Groups messages into threads, oldest first; a message seen twice (overlapping archives) counts once."""
    unique: dict[str, MailMessage] = {}
    for message in messages:
        unique.setdefault(message.message_id, message)
    ordered = sorted(unique.values(), key=lambda m: (_when(m), m.path, m.line))
    groups = _Groups()
    for message in ordered:
        groups.find(message.message_id)
        for ref in (*message.references, *([message.in_reply_to] if message.in_reply_to else [])):
            groups.union(message.message_id, ref)
    _subject_fallback(ordered, groups)

    threads: dict[str, list[MailMessage]] = {}
    for message in ordered:
        threads.setdefault(groups.find(message.message_id), []).append(message)
    discussions = [_discussion(members, list_name=list_name, archive_url=archive_url) for members in threads.values()]
    return sorted(discussions, key=lambda d: (d.started_at, d.external_id))


def _subject_fallback(ordered: list[MailMessage], groups: _Groups) -> None:
    """A reply that lost In-Reply-To and References ("Re: …" only) joins the latest thread with that subject."""
    latest: dict[str, tuple[str, datetime]] = {}
    for message in ordered:
        subject = _norm_subject(message.subject)
        orphan = not message.references and not message.in_reply_to
        if orphan and message.is_reply and subject in latest:
            key, seen = latest[subject]
            if message.at is None or _when(message) - seen <= SUBJECT_FALLBACK_WINDOW:
                groups.union(key, message.message_id)
        if subject != "(no subject)":
            latest[subject] = (groups.find(message.message_id), _when(message))


def _root_id(members: list[MailMessage]) -> str:
    """The thread's first message when the archive has it, else the oldest id its replies point to.

    Stable across re-imports of the same archive: the key of ``Discussion.external_id``.
    """
    for message in members:
        if not message.references and not message.in_reply_to:
            return message.message_id
    first = members[0]
    if first.references:
        return first.references[0]
    return first.in_reply_to or first.message_id


def _discussion(members: list[MailMessage], *, list_name: str, archive_url: str | None) -> Discussion:
    root = _root_id(members)
    title = clean_subject(members[0].subject)
    tags: list[str] = []
    participants: list[str] = []
    lines: list[Line] = []
    used: set[int] = set()
    for message in members:
        for tag in subject_tags(message.subject, list_name=list_name):
            if tag not in tags:
                tags.append(tag)
        if message.author not in participants:
            participants.append(message.author)
        entries = [(number, text, LineKind.SAID) for number, text in message.paragraphs]
        if not entries and message.text:
            entries = [(message.line, message.text, LineKind.SAID)]
        if message.subject and _norm_subject(message.subject) != title.casefold():
            # A changed subject is a new topic of the thread: linking reads it like a meeting's #topic.
            entries.insert(0, (message.line, clean_subject(message.subject), LineKind.TOPIC))
        for number, text, kind in entries:
            while number in used:  # numbers key the lines (linking's mentions): unique across the thread's files
                number += 1
            used.add(number)
            lines.append(Line(number=number, author=message.author, text=text, kind=kind, at=message.at,
                              url=message.url))
    thread_url = (
        f"{archive_url.rstrip('/')}/thread/{message_id_hash(root)}/" if archive_url else members[0].url
    )
    digest = hashlib.sha256("\n".join(sorted(m.digest for m in members)).encode()).hexdigest()
    return Discussion(
        source="mail",
        # HyperKitty's hash of the root Message-ID, not the id itself: ids often embed the sender's address.
        external_id=f"{list_name}:{message_id_hash(root)}",
        title=title,
        url=thread_url,
        started_at=min((m.at for m in members if m.at), default=_EPOCH),
        group=list_name,
        tags=tuple(tags),
        lines=tuple(lines),
        content_hash=digest,
        participants=tuple(participants),
    )


@dataclass
class ArchiveRead:
    """A list archive read from disk: its threads and what could not be read (path, where, why)."""

    files: int = 0
    messages: int = 0
    discussions: list[Discussion] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)


def read_threads(
    target: Path,
    *,
    list_name: str,
    archive_url: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> ArchiveRead:
    """Reads FILE or every archive file under DIR, then threads all their messages together (months join up)."""
    files = archive_files(target)
    read = ArchiveRead(files=len(files))
    messages: list[MailMessage] = []
    for index, path in enumerate(files, 1):
        if progress:
            progress(index, len(files), str(path))
        parsed = read_archive(path, archive_url=archive_url)
        messages.extend(parsed.messages)
        read.problems.extend(parsed.problems)
    read.messages = len(messages)
    read.discussions = build_threads(messages, list_name=list_name, archive_url=archive_url)
    return read


def merge_with_stored(session: Session, discussions: list[Discussion]) -> list[Discussion]:
    """Each thread joined with what an earlier run stored of it, so importing month by month loses nothing.

    A thread that spans two monthly files, imported one file at a time, arrives as two parts with the
    same ``external_id``; without this the second part would replace the first. A part whose lines are
    all stored already keeps the stored hash, so the store skips it (an unchanged re-import writes nothing).
    """
    ids = [d.external_id for d in discussions]
    stored: dict[str, Discussion] = {}
    for start in range(0, len(ids), 500):
        for row in session.scalars(select(OutsideDiscussion).where(
                OutsideDiscussion.source == "mail", OutsideDiscussion.external_id.in_(ids[start:start + 500]))):
            stored[row.external_id] = from_row(row)
    return [_merged(d, stored[d.external_id]) if d.external_id in stored else d for d in discussions]


def _line_key(line: Line) -> tuple[str, str, str, str]:
    return (line.author, line.at.isoformat() if line.at else "", line.kind.value, line.text)


def _merged(new: Discussion, old: Discussion) -> Discussion:
    known = {_line_key(line) for line in old.lines}
    if all(_line_key(line) in known for line in new.lines) and set(new.participants) <= set(old.participants):
        return replace(new, lines=old.lines, participants=old.participants, content_hash=old.content_hash,
                       title=old.title if old.started_at <= new.started_at else new.title,
                       started_at=min(old.started_at, new.started_at), tags=_union(old.tags, new.tags))
    lines: list[Line] = list(old.lines)
    used = {line.number for line in lines}
    for line in new.lines:
        if _line_key(line) in known:
            continue
        number = line.number
        while number in used:
            number += 1
        used.add(number)
        lines.append(replace(line, number=number))
    lines.sort(key=lambda line: (line.at or _EPOCH, line.number))
    keys = "\n".join("\x1f".join(_line_key(line)) for line in lines)
    return replace(
        new,
        title=old.title if old.started_at <= new.started_at else new.title,
        started_at=min(old.started_at, new.started_at),
        tags=_union(old.tags, new.tags),
        participants=_union(old.participants, new.participants),
        lines=tuple(lines),
        content_hash=hashlib.sha256(keys.encode()).hexdigest(),
    )


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(item for item in second if item not in first)
