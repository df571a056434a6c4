"""Gerrit import throughput: changes/s of `sync_project` next to the raw fetch+parse of the same pages and files.

    python bench/import_gerrit.py                       # 2,000 changes, 20 messages each, pages of 100, SQLite
    python bench/import_gerrit.py --changes 500 --database-url postgresql+psycopg://…

A threaded server on 127.0.0.1 answers ``/changes/`` queries (``n``, ``S``,
``after:``, ``_more_changes``, the ``)]}'`` line) and base64 file content
from prebuilt changes, one spec file each, so the figures measure BOB, not
the network. In one run it measures (1) fetching every page, spec file and
change's inline comments and parsing them (JSON mapping and the spec
reStructuredText) without
storing anything, (2) a first import into an empty database and (3) an
incremental run with nothing new (the cursor's hour of overlap re-reads
the newest changes; they are all unchanged). The figure to watch is the
ratio of (2) to (1) (aim under 1.5×) and the time of (3) (aim under 1 s).
With --database-url, pass an EMPTY database: it is migrated and filled.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bench.seed import migrate
from portal.db.engine import make_engine, make_session_factory
from portal.db.unit import commit_batch, unit_of_work
from portal.importers.gerrit import GerritClient
from portal.importers.gerrit_sync import sync_project
from portal.net import RetryPolicy, build_client
from portal.specs.document import parse_spec
from portal.specs.service import add_project, get_project

REPO = "openstack/bench-specs"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") + "000"


def spec_text(n: int) -> str:
    title = f"Bench spec {n}"
    sections = ["Problem description", "Proposed change", "Upgrade impact", "Other deployer impact", "Testing",
                "Documentation Impact"]
    body = ["=" * len(title), title, "=" * len(title), "",
            f"https://blueprints.launchpad.net/bench/+spec/bench-{n}", "", "Operators need this.", ""]
    for heading in sections:
        body += [heading, "=" * len(heading), "", f"{heading} of spec {n}: " + "text " * 60, ""]
    return "\n".join(body)


def build(changes: int, messages: int) -> tuple[list[dict[str, Any]], dict[int, bytes]]:
    infos, files = [], {}
    for n in range(changes):
        updated = T0 + timedelta(minutes=n)
        who = {"_account_id": 1000 + n % 50, "name": f"Reviewer {n % 50}", "username": f"r{n % 50}",
               "email": f"r{n % 50}@example.org"}
        sha = f"{n:040x}"
        path = f"specs/2026.1/approved/bench-{n}.rst"
        infos.append({
            "id": f"openstack%2Fbench-specs~{n + 1}", "project": REPO, "branch": "master", "topic": f"bp/bench-{n}",
            "change_id": f"I{n:040x}", "subject": f"Add bench spec {n}", "status": "NEW" if n % 3 else "MERGED",
            "created": ts(T0), "updated": ts(updated), "_number": n + 1, "owner": who,
            "labels": {"Code-Review": {"all": [dict(who, value=1 if n % 4 else -1, date=ts(updated))]},
                       "Workflow": {"all": [dict(who, value=0 if n % 3 else 1, date=ts(updated))]}},
            "messages": [{"id": f"m{n}-{i}", "author": who, "date": ts(updated - timedelta(seconds=messages - i)),
                          "message": f"Patch Set 1: Code-Review+1\n\nReview message {i} on change {n}. " * 3,
                          "_revision_number": 1} for i in range(messages)],
            "current_revision": sha,
            "revisions": {sha: {"_number": 1, "files": {path: {"status": "A", "lines_inserted": 40}}}},
        })
        files[n + 1] = base64.b64encode(spec_text(n).encode())
    infos.reverse()  # newest first, as Gerrit sorts
    return infos, files


def serve(changes: int, messages: int) -> tuple[str, ThreadingHTTPServer]:
    infos, files = build(changes, messages)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            content = re.fullmatch(r"/changes/([^/]+)/revisions/[^/]+/files/[^/]+/content", parts.path)
            comments = re.fullmatch(r"/changes/[^/]+/comments", parts.path)
            if content:
                body = files[int(unquote(content.group(1)).rsplit("~", 1)[-1])]
            elif comments:
                body = b")]}'\n{}"
            else:
                query = parse_qs(parts.query)
                after = re.search(r'after:"([^"]+)"', query.get("q", [""])[0])
                rows = infos
                if after:
                    bound = ts(datetime.strptime(after.group(1), "%Y-%m-%d %H:%M:%S"))
                    rows = [c for c in infos if c["updated"] >= bound]
                start, size = int(query.get("S", ["0"])[0]), int(query.get("n", ["100"])[0])
                page = [dict(c) for c in rows[start:start + size]]
                if page and start + size < len(rows):
                    page[-1]["_more_changes"] = True
                body = (")]}'\n" + json.dumps(page)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--changes", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    base, server = serve(args.changes, args.messages)
    policy = RetryPolicy(retries=0)
    with tempfile.TemporaryDirectory() as tmp, build_client(base, timeout=30, user_agent="bob-bench") as http:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        factory = make_session_factory(make_engine(url))
        with unit_of_work(factory) as session:
            add_project(session, None, "bench", gerrit_repo=REPO)
        client = GerritClient(http, policy)
        started = time.perf_counter()
        parsed = 0
        for page in client.query(REPO, page_size=args.page_size):
            for change in page.changes:
                assert change.current_revision is not None
                for file in change.spec_files:
                    text = client.file_content(change, change.current_revision.sha, file.path)
                    parsed += bool(text and parse_spec(text).title)
                client.comments(change)  # the import asks once per new change for its inline comments
        raw = time.perf_counter() - started
        figures = []
        for label in ("first import", "incremental"):
            with unit_of_work(factory) as session:
                project = get_project(session, "bench")
                started = time.perf_counter()
                report = sync_project(session, None, project, client, page_size=args.page_size,
                                      commit=lambda: commit_batch(session))
                figures.append((label, time.perf_counter() - started, report))
    server.shutdown()
    print(f"{args.changes} changes, {args.messages} messages each, pages of {args.page_size}")
    print(f"{'what':<16} {'seconds':>8} {'changes/s':>10} {'× raw':>6}  counts")
    print(f"{'fetch+parse':<16} {raw:>8.2f} {args.changes / raw:>10.0f} {1:>6.2f}  {parsed} spec files parsed")
    for label, seconds, report in figures:
        print(f"{label:<16} {seconds:>8.2f} {args.changes / seconds:>10.0f} {seconds / raw:>6.2f}  "
              f"{report.summary()}")


if __name__ == "__main__":
    main()
