"""A Gerrit-speaking HTTP server on 127.0.0.1 for the importer's tests, built on ``tests.support.http_server``.

It answers from an in-memory set of changes the way the Gerrit REST docs
describe (``/work/shared/API-NOTES.md`` §1): ``GET /changes/?q=project:<p>
[ after:"<time>"]&o=…&n=<n>&S=<offset>`` newest first, at most ``cap``
changes a page whatever ``n`` asks, ``_more_changes`` on the last change
when more remain, every JSON body behind the ``)]}'`` line; file content
base64 at ``/changes/<id>/revisions/<rev>/files/<path>/content``; with
``user``/``password`` set, only ``/a/…`` with HTTP basic auth is answered.
``faults`` maps the n-th query request (1-based) to a scripted step (a 500,
a 429, a malformed body) to play instead of the answer.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.http_server import Reply, ScriptedServer, Seen, Step

PREFIX = ")]}'\n"


def ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "000"


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def account(number: int, name: str, username: str) -> dict[str, Any]:
    return {"_account_id": number, "name": name, "username": username, "email": f"{username}@example.org"}


@dataclass
class FakeChange:
    """One change: its current patch set's spec files (path → text) and what the ChangeInfo says."""

    number: int
    files: dict[str, str]
    updated: datetime
    project: str = "openstack/nova-specs"
    status: str = "NEW"
    topic: str | None = None
    patch_set: int = 1
    subject: str = "Add a spec"
    messages: list[dict[str, Any]] = field(default_factory=list)
    votes: list[tuple[str, int, dict[str, Any], datetime]] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)  # new path → old path (pure moves)
    deleted: set[str] = field(default_factory=set)  # paths this patch set deletes
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # path → CommentInfo

    history: dict[int, dict[str, str]] = field(default_factory=dict)  # older patch set → its files
    unreadable: set[str] = field(default_factory=set)  # paths whose content answers 404 (not in the revision)
    uploaded: datetime | None = None  # the current revision's `created` (default: `updated`)
    commit_message: str = ""

    def new_patch_set(self, files: dict[str, str], when: datetime) -> None:
        self.history[self.patch_set] = dict(self.files)
        self.patch_set += 1
        self.files = dict(files)
        self.updated = when

    def files_at(self, revision: str) -> dict[str, str] | None:
        """Files at a revision named by its commit SHA or its patch set number, like Gerrit accepts."""
        if revision in (self.sha, str(self.patch_set)):
            return self.files
        return self.history.get(int(revision)) if revision.isdigit() else None

    def add_comment(self, author: dict[str, Any], path: str, line: int | None, text: str, when: datetime) -> None:
        items = self.comments.setdefault(path, [])
        comment = {"id": f"c{self.number}-{path}-{len(items) + 1}", "patch_set": self.patch_set, "author": author,
                   "updated": ts(when), "message": text}
        if line is not None:
            comment["line"] = line
        items.append(comment)

    @property
    def sha(self) -> str:
        return hashlib.sha1(f"{self.number}/{self.patch_set}".encode()).hexdigest()  # noqa: S324

    def add_message(self, author: dict[str, Any], text: str, when: datetime, *, tag: str | None = None) -> None:
        message = {"id": f"m{self.number}-{len(self.messages) + 1}", "author": author, "date": ts(when),
                   "message": text, "_revision_number": self.patch_set}
        if tag:
            message["tag"] = tag
        self.messages.append(message)

    def info(self) -> dict[str, Any]:
        labels: dict[str, Any] = {"Code-Review": {"all": []}, "Workflow": {"all": []}}
        for label, value, who, when in self.votes:
            labels.setdefault(label, {"all": []})["all"].append(dict(who, value=value, date=ts(when)))
        files: dict[str, Any] = {"/COMMIT_MSG": {"status": "A", "lines_inserted": 10}}
        for path, text in self.files.items():
            if path in self.deleted:
                files[path] = {"status": "D", "lines_deleted": 10}
            elif path in self.renames:
                files[path] = {"status": "R", "old_path": self.renames[path]}
            else:
                files[path] = {"lines_inserted": text.count("\n") + 1, "size": len(text)}
        created = self.messages[0]["date"] if self.messages else ts(self.updated)
        info: dict[str, Any] = {
            "id": f"{self.project.replace('/', '%2F')}~{self.number}",
            "project": self.project, "branch": "master", "change_id": f"I{self.number:040d}",
            "subject": self.subject, "status": self.status, "created": created, "updated": ts(self.updated),
            "_number": self.number, "owner": account(1000001, "Jane Dev", "jdev"), "labels": labels,
            "messages": copy.deepcopy(self.messages), "current_revision": self.sha,
            "current_revision_number": self.patch_set,
            "revisions": {self.sha: {"_number": self.patch_set, "created": ts(self.uploaded or self.updated),
                                     "kind": "REWORK",
                                     "uploader": account(1000001, "Jane Dev", "jdev"), "files": files}},
        }
        if self.commit_message:
            info["revisions"][self.sha]["commit"] = {"subject": self.subject, "message": self.commit_message}
        if self.topic:
            info["topic"] = self.topic
        if self.status == "MERGED":
            info["submitted"] = ts(self.updated)
            info["submitter"] = account(1000002, "Core One", "core1")
        return info


class FakeGerrit:
    def __init__(self, server: ScriptedServer, *, cap: int = 500) -> None:
        self.server = server
        self.cap = cap
        self.changes: dict[int, FakeChange] = {}
        self.user: str | None = None
        self.password: str | None = None
        self.faults: dict[int, Step] = {}
        self.queries: list[dict[str, list[str]]] = []
        server.handler = self.answer

    @property
    def url(self) -> str:
        return self.server.url

    def add(self, change: FakeChange) -> FakeChange:
        self.changes[change.number] = change
        return change

    def _json(self, value: Any) -> Reply:
        return Reply(200, PREFIX + json.dumps(value, ensure_ascii=False),
                     {"Content-Type": "application/json; charset=utf-8"})

    def answer(self, seen: Seen) -> Step:
        parts = urlsplit(seen.path)
        path = parts.path
        if self.user is not None:
            expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            if not path.startswith("/a/") or seen.headers.get("authorization") != expected:
                return Reply(401, "Unauthorized", {"Content-Type": "text/plain"})
        if path.startswith("/a/"):
            path = path[2:]
        if path == "/changes/":
            return self._query(parse_qs(parts.query))
        match = re.fullmatch(r"/changes/([^/]+)/comments", path)
        if match:
            number = int(unquote(match.group(1)).rsplit("~", 1)[-1])
            if number not in self.changes:
                return Reply(404, "Not found", {"Content-Type": "text/plain"})
            return self._json(self.changes[number].comments)
        match = re.fullmatch(r"/changes/([^/]+)/revisions/([^/]+)/files/([^/]+)/content", path)
        if match:
            number = int(unquote(match.group(1)).rsplit("~", 1)[-1])
            change = self.changes.get(number)
            file_path = unquote(match.group(3))
            files = change.files_at(match.group(2)) if change is not None else None
            if files is None or file_path not in files or (change is not None and file_path in change.unreadable):
                return Reply(404, "Not found", {"Content-Type": "text/plain"})
            body = base64.b64encode(files[file_path].encode()).decode()
            return Reply(200, body, {"Content-Type": "text/plain; charset=ISO-8859-1",
                                     "X-FYI-Content-Encoding": "base64"})
        return Reply(404, "Not found", {"Content-Type": "text/plain"})

    def _query(self, params: dict[str, list[str]]) -> Step:
        self.queries.append(params)
        fault = self.faults.get(len(self.queries))
        if fault is not None:
            return fault
        q = params.get("q", [""])[0]
        project = re.search(r"project:(\S+)", q)
        after = re.search(r'after:"([^"]+)"', q)
        rows = [c for c in self.changes.values() if project is None or c.project == project.group(1)]
        if after:
            rows = [c for c in rows if c.updated >= parse_ts(after.group(1))]
        rows.sort(key=lambda c: (c.updated, c.number), reverse=True)
        start = int(params.get("S", ["0"])[0])
        limit = min(int(params.get("n", ["500"])[0]), self.cap)
        page = [c.info() for c in rows[start:start + limit]]
        if page and start + limit < len(rows):
            page[-1]["_more_changes"] = True
        return self._json(page)
