"""``portal import meetings``: find the logs (a folder, or a web server's index pages), import the changed ones.

Each log is one batch: parsed, stored and linked inside a savepoint, then
committed (``commit``), so a log that fails to parse or store loses nothing
imported before it and the next run resumes where this one stopped. A log
whose content hash is stored for its path is not parsed again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import net
from portal.errors import UpstreamError
from portal.importers.outside.linking import SpecIndex
from portal.importers.outside.meetings import LOG_NAME, LogError, content_hash, html_twin, parse_log
from portal.importers.outside.store import ImportReport, import_discussions
from portal.models import OutsideFile

PUBLIC_LOGS = "https://meetings.opendev.org/meetings/"
_HREF = re.compile(r"""<a\s[^>]*href=["']([^"'#?]+)["']""", re.I)
MAX_DEPTH = 3  # <meeting>/<year>/<file>


@dataclass(frozen=True)
class LogFile:
    """A log to read: its path under the root (``nova/2026/nova.2026-11-20-14.00.log.txt``) and its html page."""

    path: str
    html_url: str | None
    read: Callable[[], bytes]


@dataclass
class MeetingsReport:
    files: int = 0
    unchanged_files: int = 0
    imported_files: int = 0
    problems: list[str] = field(default_factory=list)
    totals: ImportReport = field(default_factory=ImportReport)

    def add(self, report: ImportReport) -> None:
        for name in ("discussions", "unchanged", "new", "changed", "links", "comments_added", "comments_updated"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(report, name))


def local_logs(root: Path, *, meeting: str | None = None, log_url: str | None = PUBLIC_LOGS) -> list[LogFile]:
    """The ``*.log.txt`` files under ``root`` (optionally one meeting's), oldest first by name."""
    found = []
    for file in sorted(root.rglob("*.log.txt")):
        rel = file.relative_to(root).as_posix()
        if not LOG_NAME.match(file.name) or (meeting and not _is_meeting(rel, meeting)):
            continue
        html = urljoin(log_url, html_twin(rel)) if log_url else None
        found.append(LogFile(rel, html, file.read_bytes))
    return found


def _is_meeting(rel: str, meeting: str) -> bool:
    return rel.split("/", 1)[0].lower() == meeting.lower() or rel.rsplit("/", 1)[-1].startswith(f"{meeting}.")


def remote_logs(client: httpx.Client, base_url: str, *, policy: net.RetryPolicy,
                meeting: str | None = None) -> list[LogFile]:
    """Walk Apache-style index pages under ``base_url`` (as on meetings.opendev.org) for the logs."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    found: list[LogFile] = []

    def fetch(url: str) -> bytes:
        return net.get(client, url, policy=policy).content

    def walk(url: str, depth: int) -> Iterator[str]:
        page = net.get(client, url, policy=policy).text
        for href in dict.fromkeys(unescape(h) for h in _HREF.findall(page)):
            target = urljoin(url, href)
            if not target.startswith(base) or target == url or urlparse(target).path.count("/") < \
                    urlparse(url).path.count("/"):
                continue  # the parent directory, or another site
            if target.endswith("/") and depth < MAX_DEPTH:
                rel = target[len(base):]
                if depth == 0 and meeting and rel.strip("/").lower() != meeting.lower():
                    continue
                yield from walk(target, depth + 1)
            elif LOG_NAME.match(target.rsplit("/", 1)[-1]):
                yield target

    for url in walk(base, 0):
        rel = url[len(base):]
        if meeting and not _is_meeting(rel, meeting):
            continue
        found.append(LogFile(rel, html_twin(url), lambda url=url: fetch(url)))  # type: ignore[misc]
    return sorted(found, key=lambda f: f.path)


def import_logs(session: Session, logs: list[LogFile], *, commit: Callable[[], None],
                progress: Callable[[int, int, str], None] | None = None) -> MeetingsReport:
    """Import each changed log in its own savepoint and commit; list the ones that fail, keep going."""
    report = MeetingsReport(files=len(logs))
    stored = {f.path: f for f in session.scalars(select(OutsideFile).where(OutsideFile.source == "irc"))}
    spec_index: SpecIndex | None = None  # the specs do not change during the run: their names are read once
    for index, log in enumerate(logs, 1):
        if progress is not None:
            progress(index, len(logs), log.path)
        try:
            data = log.read()
        except UpstreamError as exc:
            report.problems.append(f"{log.path}: could not be downloaded: {exc}")
            continue
        digest = content_hash(data)
        row = stored.get(log.path)
        if row is not None and row.content_hash == digest:
            report.unchanged_files += 1
            continue
        try:
            discussions = parse_log(log.path, data, url=log.html_url)
        except LogError as exc:
            report.problems.append(str(exc))
            continue
        try:
            if spec_index is None:
                spec_index = SpecIndex.load(session)
            with session.begin_nested():
                report.add(import_discussions(session, discussions, source_label=f"irc {log.path}",
                                              index=spec_index))
                if row is None:
                    row = stored[log.path] = OutsideFile(source="irc", path=log.path[:500], content_hash=digest)
                    session.add(row)
                row.content_hash = digest
                session.flush()
        except Exception as exc:  # noqa: BLE001 - one log's failure must not lose the others
            report.problems.append(f"{log.path}: not stored ({type(exc).__name__}: {exc})")
            stored.pop(log.path, None)
            session.expire_all()
            continue
        commit()
        report.imported_files += 1
    return report
