"""A Launchpad-speaking web service on 127.0.0.1 (lazr.restful collection envelope, devel API).

It serves ``/devel/<project>/all_specifications`` from an in-memory list,
batched by ``ws.start`` / ``ws.size`` with ``start``, ``total_size`` and
``next_collection_link`` (absolute, like Launchpad's), and
``/devel/~<name>`` person entries. Tests change the blueprints between runs
and can make one request fail (``fail``: path prefix + start → a status or a
raw body), and read ``requests`` to count what the client asked for.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.http_server import Reply, ScriptedServer, Seen, scripted_server


def spec_entry(base: str, project: str, name: str, **fields: Any) -> dict[str, Any]:
    """A ``specification-full`` entry with every WADL key, like Launchpad sends."""
    api = f"{base}/devel"
    entry: dict[str, Any] = {
        "self_link": f"{api}/{project}/+spec/{name}",
        "web_link": f"https://blueprints.launchpad.net/{project}/+spec/{name}",
        "resource_type_link": f"{api}/#specification",
        "http_etag": "",
        "name": name, "title": f"Title of {name}", "summary": f"Summary of {name}.",
        "whiteboard": None, "workitems_text": "", "specification_url": None,
        "priority": "Medium", "definition_status": "Approved", "implementation_status": "Started",
        "lifecycle_status": "Started", "information_type": "Public", "direction_approved": True,
        "is_started": True, "is_complete": False, "has_accepted_goal": False,
        "date_created": "2026-01-05T10:00:00.000000+00:00", "date_started": "2026-02-10T08:00:00.000000+00:00",
        "date_completed": None,
        "owner_link": f"{api}/~jdev", "drafter_link": f"{api}/~jdev", "approver_link": f"{api}/~ptl",
        "assignee_link": f"{api}/~jdev", "starter_link": f"{api}/~jdev", "completer_link": None,
        "milestone_link": f"{api}/{project}/+milestone/2026.2",
        "target_link": f"{api}/{project}",
        "bugs_collection_link": f"{api}/{project}/+spec/{name}/bugs",
        "dependencies_collection_link": f"{api}/{project}/+spec/{name}/dependencies",
        "linked_branches_collection_link": f"{api}/{project}/+spec/{name}/linked_branches",
    }
    entry.update(fields)
    return entry


@dataclass
class FakeLaunchpad:
    server: ScriptedServer
    specs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> entries (fields only)
    people: dict[str, str] = field(default_factory=lambda: {"jdev": "J. Developer", "ptl": "Project Lead"})
    fail: dict[tuple[str, int], Reply] = field(default_factory=dict)  # (project, ws.start) -> reply, once
    max_size: int = 300

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[Seen]:
        return self.server.requests

    def paths(self, prefix: str) -> list[str]:
        return [r.path for r in self.server.requests if r.path.startswith(prefix)]

    def add(self, project: str, name: str, **fields: Any) -> None:
        self.specs.setdefault(project, []).append({"name": name, **fields})

    def update(self, project: str, name: str, **fields: Any) -> None:
        for spec in self.specs[project]:
            if spec["name"] == name:
                spec.update(fields)

    def entry(self, project: str, spec: dict[str, Any]) -> dict[str, Any]:
        body = spec_entry(self.url, project, spec["name"],
                          **{k: v for k, v in spec.items() if k != "name" and not k.startswith("_")})
        if not body["http_etag"]:  # like Launchpad: it changes whenever a field does
            digest = json.dumps({k: v for k, v in body.items() if k != "http_etag"}, sort_keys=True) + repr(
                (spec.get("_dependencies"), spec.get("_bugs")))
            body["http_etag"] = f'"{hashlib.sha1(digest.encode()).hexdigest()}"'
        return body

    def handle(self, seen: Seen) -> Reply:
        parts = urlsplit(seen.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        if path.startswith("/devel/~"):
            name = path[len("/devel/~"):]
            if name not in self.people:
                return Reply(404, "Object: <Person>, name: ~" + name)
            return _json({"name": name, "display_name": self.people[name], "is_team": False,
                          "self_link": f"{self.url}/devel/~{name}", "http_etag": '"p"'})
        related = re.fullmatch(r"/devel/([^/]+)/\+spec/([^/]+)/(dependencies|bugs)", path)
        if related:
            project, name, kind = related.groups()
            spec = next((s for s in self.specs.get(project, []) if s["name"] == name), None)
            if spec is None:
                return Reply(404, "Object: <Specification>")
            if kind == "dependencies":
                entries = [spec_entry(self.url, p, n) for p, n in spec.get("_dependencies", [])]
            else:
                entries = [{"id": number, "title": title, "web_link": f"https://bugs.launchpad.net/bugs/{number}",
                            "self_link": f"{self.url}/devel/bugs/{number}"} for number, title in spec.get("_bugs", [])]
            return _json({"start": 0, "total_size": len(entries), "entries": entries})
        if path.startswith("/devel/") and path.endswith("/all_specifications"):
            project = path[len("/devel/"):-len("/all_specifications")]
            if project not in self.specs:
                return Reply(404, f"Object: <Project>, name: {project!r}")
            start = int(query.get("ws.start", "0"))
            size = int(query.get("ws.size", "75"))
            if size > self.max_size:
                return Reply(400, "Invalid batch size")
            failure = self.fail.pop((project, start), None)
            if failure is not None:
                return failure
            entries = self.specs[project]
            page: dict[str, Any] = {
                "start": start, "total_size": len(entries),
                "resource_type_link": f"{self.url}/devel/#specification-page-resource",
                "entries": [self.entry(project, spec) for spec in entries[start:start + size]],
            }
            if start + size < len(entries):
                page["next_collection_link"] = (
                    f"{self.url}/devel/{project}/all_specifications?ws.size={size}&memo={start + size}"
                    f"&ws.start={start + size}")
            if start > 0:
                page["prev_collection_link"] = f"{self.url}/devel/{project}/all_specifications?ws.size={size}"
            return _json(page)
        return Reply(404, "Not found")


def _json(body: Any) -> Reply:
    return Reply(200, json.dumps(body, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json", "ETag": '"x"'})


@contextmanager
def fake_launchpad() -> Iterator[FakeLaunchpad]:
    with scripted_server() as server:
        fake = FakeLaunchpad(server)
        server.handler = fake.handle
        yield fake
