"""Import Launchpad blueprints (``specification`` entries of the web service, API version ``devel``).

Three parts, so each can be tested on its own:

* mapping (pure): :func:`blueprint_from_entry` turns one ``specification-full``
  JSON entry into a :class:`Blueprint`; :func:`parse_work_items` reads the
  ``workitems_text`` format Launchpad writes (``Work items[ for <milestone>]:``
  headers, ``[assignee] text: STATE`` lines);
* :class:`LaunchpadClient`: anonymous reads on :mod:`portal.net` (its retries,
  backoff and ``Retry-After``), the ``all_specifications`` collection (every
  blueprint, obsolete and superseded too; ``valid_specifications`` would hide
  them) paged by ``next_collection_link``, and person links resolved to
  ``name`` / ``display_name`` once per person per run;
* :func:`sync_project`: each blueprint → the Spec of the same name in the
  project (:func:`portal.specs.service.apply_blueprint`, which creates a
  Launchpad-only spec when there is none), the whiteboard as a ``launchpad``
  comment whose external id carries a hash of its text (an edit is a new
  comment, the old one stays), one commit per page in a recorded run.

The collection has no "modified since" filter and no last-modified field, so
every run reads every page; an entry whose ``http_etag`` equals the stored
one is skipped without resolving its people (``--full`` applies them all).
A run that fails mid-way keeps the pages it committed; the next run reads
from the start again and finds those unchanged, so nothing is lost or
duplicated.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.clock import now
from portal.discussion.service import import_comment
from portal.errors import InvalidInput, PortalError, UpstreamError
from portal.importers.cursors import SyncKey, advance_cursor, read_cursor
from portal.importers.runs import ItemFailure, UnfinishedRun, recorded_run
from portal.models import Project, ProjectSource, Spec
from portal.models.discussion import CommentSource
from portal.models.projects import SourceKind
from portal.net import RetryPolicy, get
from portal.specs.service import BlueprintData, apply_blueprint

log = logging.getLogger(__name__)

RUN_SOURCE = "launchpad"  # ImportRun.source and SyncState.source
API_VERSION = "devel"  # blueprint fields are exported on devel only (1.0 shows none of them)
MAX_RELATED = 100  # dependencies or linked bugs kept per blueprint
DEFAULT_ROOT = "https://api.launchpad.net"
ADVICE = "Check PORTAL_LAUNCHPAD_URL (or --url) and that the Launchpad project exists, then run the command again."
WORK_ITEM_STATES = ("TODO", "DONE", "POSTPONED", "INPROGRESS", "BLOCKED")
PERSON_ROLES = ("owner", "drafter", "approver", "assignee", "starter", "completer")

_HEADER_RE = re.compile(r"^work items(.*)\s*:\s*$", re.IGNORECASE)
_ITEM_RE = re.compile(r"^(\[(?P<assignee>.*?)\])?\s*(?P<title>.*)\s*:\s*(?P<status>.*)\s*$")


class MalformedAnswer(UpstreamError):
    """Launchpad answered something that is not the JSON it documents; the message names the URL."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


# --- mapping (pure) -----------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    """One line of a blueprint's work items; ``state`` is Launchpad's enum name (TODO, DONE…)."""

    text: str
    state: str
    assignee: str | None = None
    milestone: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "state": self.state, "assignee": self.assignee, "milestone": self.milestone}


@dataclass(frozen=True)
class Blueprint:
    """A ``specification`` entry, as BOB uses it; links stay links until :class:`LaunchpadClient` resolves them."""

    name: str
    title: str
    summary: str
    whiteboard: str | None
    work_items: tuple[WorkItem, ...]
    priority: str | None
    definition_status: str | None
    implementation_status: str | None
    lifecycle_status: str | None
    direction_approved: bool | None
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    people: Mapping[str, str | None]  # role (owner, drafter…) -> person link
    milestone_link: str | None
    series_goal_link: str | None
    goal_status: str | None
    dependencies_link: str | None
    bugs_link: str | None
    specification_url: str | None
    web_link: str | None
    self_link: str | None
    http_etag: str | None

    @property
    def milestone(self) -> str | None:
        return last_segment(self.milestone_link)

    @property
    def series_goal(self) -> str | None:
        return last_segment(self.series_goal_link)


def last_segment(link: str | None) -> str | None:
    """``…/nova/+milestone/2026.2`` → ``2026.2``; ``…/~jdev`` → ``jdev`` (what a link names)."""
    if not link:
        return None
    path = unquote(urlsplit(link).path).rstrip("/")
    tail = path.rsplit("/", 1)[-1]
    return tail[1:] if tail.startswith("~") else tail or None


def parse_work_items(text: str | None) -> tuple[WorkItem, ...]:
    """Read ``workitems_text`` like Launchpad's own parser (``WorkItemsText.parse``).

    An unknown state is kept as written (upper-cased), so nothing is dropped;
    a line without ``: STATE`` is a TODO item.
    """
    items: list[WorkItem] = []
    milestone: str | None = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        header = _HEADER_RE.match(line)
        if header:
            suffix = header.group(1).strip().split()
            milestone = suffix[-1] if suffix else None
            continue
        match = _ITEM_RE.match(line) if ":" in line else None
        if match is None:
            items.append(WorkItem(text=line, state="TODO", milestone=milestone))
            continue
        state = match.group("status").strip().upper().replace(" ", "") or "TODO"
        items.append(WorkItem(text=match.group("title").strip(), state=state,
                              assignee=(match.group("assignee") or "").strip() or None, milestone=milestone))
    return tuple(items)


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"'{key}' is {type(value).__name__}, expected a string")
    return value


def _date(entry: Mapping[str, Any], key: str) -> datetime | None:
    value = _text(entry, key)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"'{key}' is not an ISO 8601 date: {value!r}") from exc


def _bool(entry: Mapping[str, Any], key: str) -> bool | None:
    value = entry.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"'{key}' is {type(value).__name__}, expected true or false")


def blueprint_from_entry(entry: Mapping[str, Any]) -> Blueprint:
    """Map one entry; :class:`ValueError` says which field is wrong (the run reports it and goes on).

    ``series_goal_link`` / ``goal_status`` are read when the entry has them
    (the devel WADL of 2025 does not export them; ``has_accepted_goal`` then
    stands for an accepted goal of the milestone's series).
    """
    if not isinstance(entry, Mapping):
        raise ValueError(f"an entry is {type(entry).__name__}, expected an object")
    name = _text(entry, "name")
    if not name:
        raise ValueError("the entry has no 'name'")
    goal_status = _text(entry, "goal_status")
    if goal_status is None and entry.get("has_accepted_goal") is True and _text(entry, "series_goal_link"):
        goal_status = "Accepted"
    return Blueprint(
        name=name,
        title=_text(entry, "title") or name,
        summary=_text(entry, "summary") or "",
        whiteboard=_text(entry, "whiteboard"),
        work_items=parse_work_items(_text(entry, "workitems_text")),
        priority=_text(entry, "priority"),
        definition_status=_text(entry, "definition_status"),
        implementation_status=_text(entry, "implementation_status"),
        lifecycle_status=_text(entry, "lifecycle_status"),
        direction_approved=_bool(entry, "direction_approved"),
        created_at=_date(entry, "date_created"),
        started_at=_date(entry, "date_started"),
        completed_at=_date(entry, "date_completed"),
        people={role: _text(entry, f"{role}_link") for role in PERSON_ROLES},
        milestone_link=_text(entry, "milestone_link"),
        series_goal_link=_text(entry, "series_goal_link"),
        goal_status=goal_status,
        dependencies_link=_text(entry, "dependencies_collection_link"),
        bugs_link=_text(entry, "bugs_collection_link"),
        specification_url=_text(entry, "specification_url"),
        web_link=_text(entry, "web_link"),
        self_link=_text(entry, "self_link"),
        http_etag=_text(entry, "http_etag"),
    )


@dataclass(frozen=True)
class Person:
    name: str
    display_name: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "display_name": self.display_name}


def person_from_entry(entry: Any, link: str) -> Person:
    """A ``person`` entry → name and display name (falling back on what the link names)."""
    fallback = last_segment(link) or link
    if not isinstance(entry, Mapping):
        return Person(fallback, fallback)
    name = entry.get("name") if isinstance(entry.get("name"), str) else fallback
    display = entry.get("display_name") if isinstance(entry.get("display_name"), str) else name
    return Person(str(name), str(display))


def dependency_from_entry(entry: Any) -> dict[str, Any] | None:
    """A ``specification`` entry of a ``dependencies`` collection → what the spec page links to."""
    if not isinstance(entry, Mapping) or not _text(entry, "name"):
        return None
    project = last_segment(_text(entry, "target_link")) or _web_project(_text(entry, "web_link"))
    return {"name": _text(entry, "name"), "project": project, "title": _text(entry, "title") or "",
            "web_link": _text(entry, "web_link")}


def _web_project(link: str | None) -> str | None:
    """``https://blueprints.launchpad.net/nova/+spec/x`` → ``nova``."""
    parts = urlsplit(link or "").path.strip("/").split("/")
    return parts[0] if len(parts) >= 3 and parts[1] == "+spec" else None


def bug_from_entry(entry: Any) -> dict[str, Any] | None:
    """A ``bug`` entry of a ``bugs`` collection → number, title and link."""
    if not isinstance(entry, Mapping) or isinstance(entry.get("id"), bool) or not isinstance(entry.get("id"), int):
        return None
    return {"id": entry["id"], "title": _text(entry, "title") or "",
            "web_link": _text(entry, "web_link") or f"https://bugs.launchpad.net/bugs/{entry['id']}"}


def blueprint_data(bp: Blueprint, people: Mapping[str, Person | None], lp_project: str, *,
                   dependencies: Sequence[dict[str, Any]] | None = None,
                   bugs: Sequence[dict[str, Any]] | None = None) -> BlueprintData:
    """What :func:`apply_blueprint` stores: people as display names, work items as JSON."""

    def shown(role: str) -> str | None:
        person = people.get(role)
        return person.display_name if person is not None else None

    return BlueprintData(
        name=bp.name, title=bp.title, definition_status=bp.definition_status,
        implementation_status=bp.implementation_status, priority=bp.priority, approver=shown("approver"),
        assignee=shown("assignee"), milestone=bp.milestone, whiteboard=bp.whiteboard, created_at=bp.created_at,
        url=bp.web_link, summary=bp.summary, lifecycle_status=bp.lifecycle_status,
        direction_approved=bp.direction_approved, started_at=bp.started_at, completed_at=bp.completed_at,
        owner=shown("owner"), drafter=shown("drafter"), series_goal=bp.series_goal, goal_status=bp.goal_status,
        work_items=tuple(item.as_json() for item in bp.work_items), specification_url=bp.specification_url,
        web_link=bp.web_link, dependencies_url=bp.dependencies_link, bugs_url=bp.bugs_link,
        people={role: p.as_json() for role, p in people.items() if p is not None} or None,
        lp_project=lp_project, etag=bp.http_etag,
        dependencies=tuple(dependencies) if dependencies is not None else None,
        bugs=tuple(bugs) if bugs is not None else None,
    )


# --- client -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    url: str
    start: int
    total_size: int | None
    entries: tuple[Any, ...]
    next_url: str | None


class LaunchpadClient:
    """Anonymous reads of one Launchpad web service root, with a per-run person cache."""

    def __init__(self, http: httpx.Client, root: str, *, policy: RetryPolicy, page_size: int = 100) -> None:
        self.http = http
        self.root = root.rstrip("/")
        self.policy = policy
        self.page_size = page_size
        self._people: dict[str, Person | None] = {}
        self.person_requests = 0

    def collection_url(self, lp_project: str) -> str:
        return f"{self.root}/{API_VERSION}/{lp_project}/all_specifications"

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None,
                 allow_status: Sequence[int] = ()) -> tuple[int, Any]:
        response = get(self.http, url, policy=self.policy, params=params, allow_status=allow_status,
                       headers={"Accept": "application/json"}, advice=ADVICE)
        if response.status_code in allow_status:
            return response.status_code, None
        shown = str(response.request.url) if response.request is not None else url
        try:
            return response.status_code, json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedAnswer(
                f"Launchpad answered GET {shown} with something that is not JSON ({exc}). The pages before it are "
                "kept; run the command again later, and if it repeats check that the URL is a Launchpad web "
                "service root (PORTAL_LAUNCHPAD_URL).", url=shown,
            ) from exc

    def total_size(self, page: Mapping[str, Any]) -> int | None:
        """``total_size``, or the number behind ``total_size_link`` (named operations)."""
        value = page.get("total_size")
        if isinstance(value, int):
            return value
        link = page.get("total_size_link")
        if isinstance(link, str):
            _, answer = self.get_json(link)
            return answer if isinstance(answer, int) else None
        return None

    def pages(self, lp_project: str) -> Iterator[Page]:
        """Every page of ``all_specifications``, following ``next_collection_link`` as an opaque URL."""
        url: str | None = self.collection_url(lp_project)
        params: Mapping[str, Any] | None = {"ws.size": self.page_size}
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise MalformedAnswer(f"Launchpad's next_collection_link loops back to {url}.", url=url)
            seen.add(url)
            _, body = self.get_json(url, params=params)
            if not isinstance(body, Mapping) or not isinstance(body.get("entries"), list):
                raise MalformedAnswer(
                    f"Launchpad answered GET {url} with JSON that is not a collection page (no 'entries' list); "
                    "check PORTAL_LAUNCHPAD_URL.", url=url)
            next_url = body.get("next_collection_link")
            start = body.get("start")
            yield Page(url=url, start=start if isinstance(start, int) else 0, total_size=self.total_size(body),
                       entries=tuple(body["entries"]), next_url=next_url if isinstance(next_url, str) else None)
            url, params = (next_url if isinstance(next_url, str) and next_url else None), None

    def related(self, link: str | None) -> list[Any]:
        """The entries of a blueprint's ``dependencies`` or ``bugs`` collection (at most :data:`MAX_RELATED`).

        Read only for a blueprint whose entry changed; a collection that is gone (404/410) is empty.
        """
        if not link:
            return []
        entries: list[Any] = []
        url: str | None = link
        seen: set[str] = set()
        while url and url not in seen and len(entries) < MAX_RELATED:
            seen.add(url)
            status, body = self.get_json(url, allow_status=(404, 410))
            if status != 200:
                break
            if not isinstance(body, Mapping) or not isinstance(body.get("entries"), list):
                raise MalformedAnswer(f"Launchpad answered GET {url} with JSON that is not a collection page "
                                      "(no 'entries' list).", url=url)
            entries.extend(body["entries"])
            next_url = body.get("next_collection_link")
            url = next_url if isinstance(next_url, str) else None
        return entries[:MAX_RELATED]

    def person(self, link: str | None) -> Person | None:
        """Resolve a person link once per run; a gone (410) or unknown (404) person keeps its link's name."""
        if not link:
            return None
        if link not in self._people:
            self.person_requests += 1
            status, body = self.get_json(link, allow_status=(404, 410))
            self._people[link] = person_from_entry(body if status == 200 else None, link)
        return self._people[link]


# --- sync ---------------------------------------------------------------------------------


@dataclass
class SyncReport:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    comments: int = 0
    pages: int = 0
    failures: list[ItemFailure] = field(default_factory=list)
    unfinished: tuple[UnfinishedRun, ...] = ()
    backfill: bool = False
    seen: set[tuple[str, str]] = field(default_factory=set)  # (Launchpad name, blueprint) read in this run

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.created, "changed": self.changed, "unchanged": self.unchanged,
                "comments": self.comments, "failed": len(self.failures)}

    def summary(self) -> str:
        text = f"{self.created} created, {self.changed} changed, {self.unchanged} unchanged"
        text += f", {self.comments} whiteboard versions"
        return text + (f", {len(self.failures)} failed" if self.failures else "")


Progress = Callable[[str, int, int | None], None]  # (Launchpad project, blueprints seen, total or None)


def launchpad_names(session: Session, project: Project) -> list[str]:
    """The project's Launchpad names: ``project.launchpad`` first, then its launchpad sources."""
    names = [project.launchpad] if project.launchpad else []
    for name in session.scalars(
        select(ProjectSource.name)
        .where(ProjectSource.project_id == project.id, ProjectSource.kind == SourceKind.LAUNCHPAD.value)
        .order_by(ProjectSource.position, ProjectSource.id)
    ):
        if name not in names:
            names.append(name)
    return names


def whiteboard_external_id(lp_project: str, name: str, text: str) -> str:
    """One comment per whiteboard text: an edit hashes differently, so it is a new comment."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{lp_project}/+spec/{name}/whiteboard/{digest}"[:200]


def sync_project(
    session: Session,
    project: Project,
    client: LaunchpadClient,
    *,
    full: bool = False,
    commit: Callable[[], None] | None = None,
    progress: Progress | None = None,
    names: Sequence[str] | None = None,
) -> SyncReport:
    """Import every blueprint of every Launchpad name of ``project``; one commit per page.

    The first run of a name (no cursor yet) and ``full`` are backfill: their
    events are marked so (:func:`portal.events.backfilling`), and ``full``
    applies every entry even when its ``http_etag`` is unchanged.
    """
    lp_names = list(names) if names is not None else launchpad_names(session, project)
    if not lp_names:
        raise InvalidInput(
            f"Project '{project.name}' has no Launchpad name; set one with "
            f"`portal projects edit {project.name} --launchpad <name>` (several are allowed)."
        )
    report = SyncReport()
    keys = {name: SyncKey(RUN_SOURCE, project.id, scope=name) for name in lp_names}
    report.backfill = full or any(read_cursor(session, key) is None for key in keys.values())
    with recorded_run(session, source=RUN_SOURCE, project_id=project.id, argument=client.root, commit=commit,
                      sync=keys[lp_names[0]]) as run:
        report.unfinished = run.unfinished
        with events.backfilling(session) if report.backfill else nullcontext():
            for lp_name in lp_names:
                seen = 0
                for page in client.pages(lp_name):
                    seen += _apply_page(session, project, client, lp_name, page, report, full=full)
                    report.pages += 1
                    run.commit_batch(report.counts, report.failures)
                    if progress is not None:
                        progress(lp_name, seen, page.total_size)
                advance_cursor(session, keys[lp_name], f"complete:{now().isoformat()}")
        run.finish(report.counts, report.failures)
    return report


def _apply_page(session: Session, project: Project, client: LaunchpadClient, lp_name: str, page: Page,
                report: SyncReport, *, full: bool) -> int:
    names = [e.get("name") for e in page.entries if isinstance(e, Mapping) and isinstance(e.get("name"), str)]
    rows = session.execute(
        select(Spec.name, Spec.lp_etag).where(Spec.project_id == project.id, Spec.name.in_(names))
    ) if names else ()
    stored: dict[str, str | None] = {name: etag for name, etag in rows}
    for index, entry in enumerate(page.entries):
        label = f"{lp_name} blueprint #{page.start + index + 1}"
        try:
            bp = blueprint_from_entry(entry)
        except ValueError as exc:
            report.failures.append(ItemFailure(label, f"{exc} (in {page.url})"))
            continue
        if (lp_name, bp.name) in report.seen:  # offsets shift when a priority changes mid-crawl
            continue
        report.seen.add((lp_name, bp.name))
        if not full and bp.http_etag and stored.get(bp.name) == bp.http_etag:
            report.unchanged += 1
            continue
        people = {role: client.person(link) for role, link in bp.people.items()}
        dependencies = [d for d in map(dependency_from_entry, client.related(bp.dependencies_link)) if d]
        bugs = [b for b in map(bug_from_entry, client.related(bp.bugs_link)) if b]
        try:
            with session.begin_nested():
                outcome = apply_blueprint(session, None, project, blueprint_data(
                    bp, people, lp_name, dependencies=dependencies, bugs=bugs))
        except PortalError as exc:
            report.failures.append(ItemFailure(f"{lp_name}/+spec/{bp.name}", exc.message))
            continue
        if bp.whiteboard and bp.whiteboard.strip():
            try:  # its own savepoint: a whiteboard BOB cannot keep must not cost the blueprint's fields
                with session.begin_nested():
                    report.comments += _add_whiteboard(session, project, lp_name, bp)
            except PortalError as exc:
                report.failures.append(ItemFailure(f"{lp_name}/+spec/{bp.name} whiteboard", exc.message))
        if outcome == "created":
            report.created += 1
        elif outcome == "updated":
            report.changed += 1
        else:
            report.unchanged += 1
    return len(page.entries)


def _add_whiteboard(session: Session, project: Project, lp_name: str, bp: Blueprint) -> bool:
    spec = session.scalar(select(Spec).where(Spec.project_id == project.id, Spec.name == bp.name))
    if spec is None or bp.whiteboard is None:
        return False
    _, created = import_comment(
        session, spec, source=CommentSource.LAUNCHPAD,
        external_id=whiteboard_external_id(lp_name, bp.name, bp.whiteboard),
        author_name="Launchpad whiteboard", body=bp.whiteboard, created_at=now(), url=bp.web_link,
    )
    return created
