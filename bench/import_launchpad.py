"""Launchpad import throughput: blueprints/s of `sync_project` next to the raw fetch+parse of the same pages.

    python bench/import_launchpad.py                     # 3,000 blueprints, 30 pages, 300 persons, SQLite
    python bench/import_launchpad.py --blueprints 6000 --pages 60 --database-url postgresql+psycopg://…

A threaded server on 127.0.0.1 serves a prebuilt ``all_specifications``
collection (``ws.start`` / ``ws.size`` / ``next_collection_link`` /
``total_size``) and person entries, so the figures measure BOB, not the
network. In one run it measures (1) the raw fetch + JSON parse + mapping
of every page (``LaunchpadClient.pages`` + ``blueprint_from_entry``) and of
each blueprint's dependencies and bugs collections (the import reads them
for a new or changed entry), (2) a
first import into an empty database (every blueprint created, persons
resolved once each, one commit per page, whiteboards as comments) and
(3) a second, incremental run (every entry unchanged by ``http_etag``).
With --database-url, pass an EMPTY database: it is migrated and filled.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.seed import migrate
from portal.db.engine import make_engine, make_session_factory
from portal.db.unit import commit_batch, unit_of_work
from portal.importers.launchpad import LaunchpadClient, blueprint_from_entry, sync_project
from portal.net import RetryPolicy, build_client
from portal.specs.service import add_project, get_project


def build(base: str, project: str, blueprints: int, persons: int) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    api = f"{base}/devel"
    entries = []
    for n in range(blueprints):
        person = f"{api}/~person-{n % persons}"
        entries.append({
            "self_link": f"{api}/{project}/+spec/bp-{n}", "web_link": f"https://blueprints.launchpad.net/{project}/+spec/bp-{n}",
            "resource_type_link": f"{api}/#specification", "http_etag": f'"etag-{n}"',
            "name": f"bp-{n}", "title": f"Blueprint {n}", "summary": "One paragraph about the feature. " * 3,
            "whiteboard": f"Gerrit topic: https://review.opendev.org/#/q/topic:bp/bp-{n}\n\nAddressed by: "
                          f"https://review.opendev.org/{100000 + n}\n",
            "workitems_text": "Work items:\n[person-1] Write it: DONE\nTest it: TODO\n",
            "specification_url": None, "priority": ("Low", "Medium", "High")[n % 3], "definition_status": "Approved",
            "implementation_status": "Started", "lifecycle_status": "Started", "information_type": "Public",
            "direction_approved": True, "is_started": True, "is_complete": False, "has_accepted_goal": True,
            "date_created": "2026-01-05T10:00:00.000000+00:00", "date_started": None, "date_completed": None,
            "owner_link": person, "drafter_link": person, "approver_link": f"{api}/~person-{(n + 1) % persons}",
            "assignee_link": person, "starter_link": None, "completer_link": None,
            "milestone_link": f"{api}/{project}/+milestone/2026.2", "target_link": f"{api}/{project}",
            "bugs_collection_link": f"{api}/{project}/+spec/bp-{n}/bugs",
            "dependencies_collection_link": f"{api}/{project}/+spec/bp-{n}/dependencies",
            "linked_branches_collection_link": f"{api}/{project}/+spec/bp-{n}/linked_branches",
        })
    people = {f"/devel/~person-{p}": json.dumps({"name": f"person-{p}", "display_name": f"Person {p}"}).encode()
              for p in range(persons)}
    return entries, people


def serve(project: str, blueprints: int, pages: int, persons: int) -> tuple[str, ThreadingHTTPServer, int]:
    size = max(1, blueprints // pages)
    state: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def setup(self) -> None:
            super().setup()  # headers and body leave in two writes: without this, delayed ACKs add 40 ms each
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            related = parts.path.rsplit("/", 1)[-1] if "/+spec/" in parts.path else None
            if parts.path in state["people"]:
                body = state["people"][parts.path]
            elif related in ("dependencies", "bugs"):
                n = int(parts.path.split("/+spec/bp-")[1].split("/")[0])
                entries: list[dict[str, Any]] = []
                if related == "dependencies" and n % 10 == 1:  # every tenth depends on the one before it
                    entries = [{"name": f"bp-{n - 1}", "title": f"Blueprint {n - 1}",
                                "web_link": f"https://blueprints.launchpad.net/{project}/+spec/bp-{n - 1}",
                                "target_link": f"{state['base']}/devel/{project}"}]
                elif related == "bugs" and n % 5 == 0:  # every fifth has a linked bug
                    entries = [{"id": 2000000 + n, "title": f"Bug of blueprint {n}",
                                "web_link": f"https://bugs.launchpad.net/bugs/{2000000 + n}"}]
                body = json.dumps({"start": 0, "total_size": len(entries), "entries": entries}).encode()
            else:
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                start = int(query.get("ws.start", "0"))
                page: dict[str, Any] = {"start": start, "total_size": blueprints,
                                        "entries": state["entries"][start:start + size]}
                if start + size < blueprints:
                    page["next_collection_link"] = (f"{state['base']}/devel/{project}/all_specifications"
                                                    f"?ws.size={size}&memo={start + size}&ws.start={start + size}")
                body = json.dumps(page).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    state["base"] = base
    state["entries"], state["people"] = build(base, project, blueprints, persons)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return base, server, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blueprints", type=int, default=3000)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--persons", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    base, server, size = serve("benchlp", args.blueprints, args.pages, args.persons)
    policy = RetryPolicy(retries=0)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate(url)
        factory = make_session_factory(make_engine(url))
        with unit_of_work(factory) as session:
            add_project(session, None, "benchlp", launchpad="benchlp")
        with build_client(timeout=30, user_agent="bob-bench") as http:
            client = LaunchpadClient(http, base, policy=policy, page_size=size)
            started = time.perf_counter()
            mapped = 0
            for page in client.pages("benchlp"):
                for entry in page.entries:
                    bp = blueprint_from_entry(entry)
                    # A new blueprint's import also reads its dependencies and linked bugs: so does the raw pass.
                    client.related(bp.dependencies_link)
                    client.related(bp.bugs_link)
                    mapped += 1
            raw = time.perf_counter() - started
            figures = []
            for label in ("first import", "incremental"):
                client = LaunchpadClient(http, base, policy=policy, page_size=size)
                with unit_of_work(factory) as session:
                    project = get_project(session, "benchlp")
                    started = time.perf_counter()
                    report = sync_project(session, project, client, commit=lambda: commit_batch(session))
                    figures.append((label, time.perf_counter() - started, report, client.person_requests))
    server.shutdown()
    print(f"{args.blueprints} blueprints in {args.pages} pages of {size}, {args.persons} persons")
    print(f"{'what':<16} {'seconds':>8} {'blueprints/s':>13}  counts")
    print(f"{'fetch+parse':<16} {raw:>8.2f} {mapped / raw:>13.0f}  {mapped} mapped")
    for label, seconds, report, persons in figures:
        print(f"{label:<16} {seconds:>8.2f} {args.blueprints / seconds:>13.0f}  {report.summary()}; "
              f"{persons} person requests")


if __name__ == "__main__":
    main()
