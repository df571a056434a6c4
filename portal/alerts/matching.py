"""Which users hear about one event, and why: pure functions of plain values (no session, no clock).

The consumer (:mod:`portal.alerts.consumer`) loads the facts of a batch in a
few queries and asks :func:`match` per event; everything that decides who is
told lives here, so it is tested table-driven without a database.

Rules of thumb:

* the actor of an event is never told about it;
* a backfill event (first import, ``--full`` sync) tells nobody on its own:
  its ``import.finished`` carries one summary per follower (:func:`backfill_summary`);
* a mention tells the mentioned user, without a subscription, by email;
* an ``import.finished`` that failed twice in a row tells every admin, by email;
* PTL defaults need no rows: a PTL whose ``AlertPreferences.ptl_follow`` is on
  (the default) hears of votes and comments on their projects by email.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.models.activity import EventKind
from portal.models.alerts import AlertChannel, TargetKind

PROJECT_KINDS = frozenset({EventKind.SPEC_CREATED, EventKind.SPEC_STATE_CHANGED})
PTL_KINDS = frozenset({EventKind.VOTE_CAST, EventKind.COMMENT_ADDED})
SPEC_KINDS = frozenset({
    EventKind.SPEC_REVISED, EventKind.GERRIT_CHANGE_UPDATED, EventKind.SPEC_STATE_CHANGED, EventKind.COMMENT_ADDED,
    EventKind.CHECKLIST_ANSWERED, EventKind.CHECKLIST_RECHECKED, EventKind.CHECKLIST_REFRESHED,
    EventKind.PTL_ACKNOWLEDGED,
})
CHECKLIST_KINDS = frozenset({
    EventKind.CHECKLIST_ANSWERED, EventKind.CHECKLIST_RECHECKED, EventKind.CHECKLIST_REFRESHED,
    EventKind.CHECKLIST_STALE,
})
# Kinds that may make a spec a new match of a saved search (the search consumer reindexes the spec).
SEARCH_KINDS = frozenset({EventKind.SPEC_CREATED, EventKind.SPEC_REVISED})
GAP_STATES = frozenset({"missing", "concern"})
RULE_WHEN = ("gap", "concern", "changed")


@dataclass(frozen=True)
class EventFacts:
    """What matching needs of one event. ``answers``: the spec's current checklist states by item."""

    id: int
    kind: str
    project_id: int | None = None
    spec_id: int | None = None
    actor_id: int | None = None
    backfill: bool = False
    payload: Mapping[str, Any] = field(default_factory=dict)
    project_name: str | None = None
    release: str | None = None
    answers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubFacts:
    """What matching needs of one subscription."""

    id: int
    user_id: int
    kind: str
    channel: str
    project_id: int | None = None
    spec_id: int | None = None
    saved_search_id: int | None = None
    rule: Mapping[str, Any] | None = None
    project_name: str | None = None  # the followed project's name, for the reason text
    spec_name: str | None = None


@dataclass(frozen=True)
class Reason:
    """One user to tell on one channel, and the line that says why ("you follow nova")."""

    user_id: int
    channel: str
    reason: str
    subscription_id: int | None = None


class SubIndex:
    """Subscriptions of a batch by what they follow, so an event looks only at the ones that can match it."""

    def __init__(self, subscriptions: Iterable[SubFacts]) -> None:
        self.by_project: dict[int, list[SubFacts]] = {}
        self.by_spec: dict[int, list[SubFacts]] = {}
        self.rules: list[SubFacts] = []
        self.saved: list[SubFacts] = []
        for sub in subscriptions:
            if sub.kind == TargetKind.PROJECT and sub.project_id is not None:
                self.by_project.setdefault(sub.project_id, []).append(sub)
            elif sub.kind == TargetKind.SPEC and sub.spec_id is not None:
                self.by_spec.setdefault(sub.spec_id, []).append(sub)
            elif sub.kind == TargetKind.RULE:
                self.rules.append(sub)
            elif sub.kind == TargetKind.SAVED_SEARCH:
                self.saved.append(sub)

    def for_event(self, event: EventFacts) -> list[SubFacts]:
        """The subscriptions that could match ``event`` (in id order)."""
        out: list[SubFacts] = []
        if event.kind in PROJECT_KINDS and event.project_id is not None:
            out += self.by_project.get(event.project_id, [])
        if event.kind in SPEC_KINDS and event.spec_id is not None:
            out += self.by_spec.get(event.spec_id, [])
        if event.kind in CHECKLIST_KINDS:
            out += self.rules
        if event.kind in SEARCH_KINDS:
            out += self.saved
        return sorted(out, key=lambda s: s.id)


def match(
    event: EventFacts,
    subscriptions: Iterable[SubFacts],
    *,
    ptl_ids: Iterable[int] = (),
    admin_ids: Iterable[int] = (),
    search_hits: Mapping[int, bool] | None = None,
) -> list[Reason]:
    """Everyone ``event`` should reach, one :class:`Reason` per (user, channel), actor excluded.

    ``ptl_ids``: PTLs of the event's project who follow it by default;
    ``search_hits``: saved search id → whether the event's spec is now a
    match (only for saved searches the caller checked, after the index has the event).
    """
    found: dict[tuple[int, str], Reason] = {}

    def add(reason: Reason) -> None:
        if reason.user_id == event.actor_id:
            return
        found.setdefault((reason.user_id, reason.channel), reason)

    kind = event.kind
    if kind == EventKind.MENTION:
        target = event.payload.get("mentioned_user_id")
        if isinstance(target, int):
            add(Reason(target, AlertChannel.EMAIL.value, "you were mentioned"))
        return list(found.values())
    if kind == EventKind.IMPORT_FINISHED:
        if event.payload.get("status") == "failed" and int(event.payload.get("consecutive_failures") or 0) >= 2:
            for admin in admin_ids:
                add(Reason(admin, AlertChannel.EMAIL.value, "a sync failed twice in a row (you are an admin)"))
        return list(found.values())
    if event.backfill:
        return []
    for sub in subscriptions:
        text = subscription_reason(event, sub, search_hits or {})
        if text:
            add(Reason(sub.user_id, sub.channel, text, sub.id))
    if kind in PTL_KINDS and event.project_id is not None:
        for ptl in ptl_ids:
            add(Reason(ptl, AlertChannel.EMAIL.value, f"you are PTL of {event.project_name or 'this project'}"))
    return list(found.values())


def subscription_reason(event: EventFacts, sub: SubFacts, search_hits: Mapping[int, bool]) -> str | None:
    """Why ``sub`` matches ``event`` (a short line), or None."""
    kind = event.kind
    if sub.kind == TargetKind.PROJECT:
        if sub.project_id is not None and sub.project_id == event.project_id and kind in PROJECT_KINDS:
            return f"you follow {sub.project_name or event.project_name or 'this project'}"
        return None
    if sub.kind == TargetKind.SPEC:
        if sub.spec_id is None or sub.spec_id != event.spec_id or kind not in SPEC_KINDS:
            return None
        if kind == EventKind.GERRIT_CHANGE_UPDATED and not _merged(event.payload):
            return None
        return f"you follow {sub.spec_name or 'this spec'}"
    if sub.kind == TargetKind.SAVED_SEARCH:
        if sub.saved_search_id is not None and search_hits.get(sub.saved_search_id):
            return "it matches your saved search"
        return None
    if sub.kind == TargetKind.RULE and sub.rule is not None:
        return rule_reason(event, sub.rule)
    return None


def rule_reason(event: EventFacts, rule: Mapping[str, Any]) -> str | None:
    """An operability rule: checklist events on specs of ``projects`` targeting ``release``."""
    if event.kind not in CHECKLIST_KINDS or event.spec_id is None:
        return None
    projects = [str(p) for p in rule.get("projects") or []]
    if projects and event.project_name not in projects:
        return None
    release = rule.get("release")
    if release and event.release != release:
        return None
    items = [str(i) for i in rule.get("items") or []]
    when = rule.get("when", "changed")
    if event.kind == EventKind.CHECKLIST_ANSWERED:
        item = str(event.payload.get("item", ""))
        if items and item not in items:
            return None
        state = str(event.payload.get("state", ""))
        if when == "changed":
            return f"your rule: {item} changed"
        if when == "concern" and state == "concern":
            return f"your rule: {item} gained a concern"
        if when == "gap" and state in GAP_STATES:
            return f"your rule: {item} has a gap ({state})"
        return None
    # A recheck, refresh or staleness: look at where the spec's answers stand now.
    watched = items or sorted(event.answers)
    if when == "changed":
        return "your rule: the checklist changed" if any(i in event.answers for i in watched) else None
    wanted = {"concern"} if when == "concern" else GAP_STATES
    hits = [i for i in watched if event.answers.get(i) in wanted]
    if hits:
        return f"your rule: {', '.join(hits)} {'has a concern' if when == 'concern' else 'has a gap'}"
    return None


def _merged(payload: Mapping[str, Any]) -> bool:
    return payload.get("status") == "MERGED" and payload.get("previous_status") != "MERGED"


def backfill_summary(
    followers: Iterable[tuple[int, str, int | None]], counts: Mapping[str, int], *, actor_id: int | None = None
) -> list[tuple[Reason, dict[str, int]]]:
    """One summary per (follower, channel) of an import run: ``counts`` of new specs by project name.

    ``followers``: (user id, channel, subscription id) of project subscriptions on those projects.
    """
    out: dict[tuple[int, str], tuple[Reason, dict[str, int]]] = {}
    total = ", ".join(f"{name}: {n} spec{'s' if n != 1 else ''} imported" for name, n in sorted(counts.items()))
    for user_id, channel, sub_id in followers:
        if user_id == actor_id or (user_id, channel) in out:
            continue
        out[(user_id, channel)] = (Reason(user_id, channel, total, sub_id), dict(counts))
    return list(out.values())


def needs_search(event: EventFacts, subscriptions: Sequence[SubFacts]) -> bool:
    """Whether matching ``event`` asks the search index (it then waits until the index has the event)."""
    return (not event.backfill and event.kind in SEARCH_KINDS and event.spec_id is not None
            and any(s.kind == TargetKind.SAVED_SEARCH for s in subscriptions))


def validate_rule(rule: Any) -> dict[str, Any]:
    """A rule as stored, or ValueError with what to fix (the form and the API both use it)."""
    if not isinstance(rule, dict):
        raise ValueError('a rule is an object like {"projects": ["nova"], "release": "2026.2", '
                         '"items": ["upgrade"], "when": "gap"}')
    unknown = sorted(set(rule) - {"projects", "release", "items", "when"})
    if unknown:
        raise ValueError(f"unknown rule field {unknown[0]!r}; a rule has projects, release, items and when")
    projects = rule.get("projects") or []
    items = rule.get("items") or []
    if not isinstance(projects, list) or not all(isinstance(p, str) and p for p in projects):
        raise ValueError("projects must be a list of project names, e.g. [\"nova\", \"neutron\"]")
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        raise ValueError("items must be a list of checklist item keys, e.g. [\"upgrade\"]")
    release = rule.get("release") or None
    if release is not None and not isinstance(release, str):
        raise ValueError("release must be a release name like \"2026.2\"")
    when = rule.get("when") or "changed"
    if when not in RULE_WHEN:
        raise ValueError(f"when must be one of {', '.join(RULE_WHEN)}")
    if len(projects) > 50 or len(items) > 50:
        raise ValueError("a rule names at most 50 projects and 50 items")
    return {"projects": projects, "release": release, "items": items, "when": when}
