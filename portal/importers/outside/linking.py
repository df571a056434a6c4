"""Which specs a discussion talks about, precise before generous, and why.

The precise signals (a blueprint URL, a review URL, a spec file path,
``bp/<name>``, the number of one of the spec's Gerrit changes) count on any
line. The generous one, the spec's name or title, counts only in a topic
line or the subject, and only for specs of a project the discussion is
tagged with (the meeting's name, a ``[nova]`` subject tag): a name such as
``quotas`` said in passing links nothing. Every match records its reason,
shown on the spec page so a wrong link can be understood and removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.importers.outside.model import Discussion, LineKind
from portal.models import GerritChange, GerritChangeSpec, Project, Spec

BLUEPRINT_URL = re.compile(r"blueprints\.launchpad\.net/([\w.+-]+)/\+spec/([\w.+-]+)", re.I)
REVIEW_URL = re.compile(r"review\.(?:opendev|openstack)\.org/(?:#/)?(?:c/)?(?:[\w.-]+/)*?(?:\+/)?(\d{3,8})\b", re.I)
SPEC_PATH = re.compile(r"\bspecs/(?:[\w.-]+/)*?([\w.-]+?)\.rst\b", re.I)
BP_NAME = re.compile(r"(?<![\w/])bp/([a-z0-9][\w.+-]*[a-z0-9])", re.I)
CHANGE_NUMBER = re.compile(r"(?<![\w/#.-])(\d{6,7})(?![\w.-])")
MIN_TITLE = 12  # a shorter title ("Quotas") is too common a phrase to link by


@dataclass(frozen=True)
class SpecRef:
    id: int
    project: str
    name: str
    title: str
    blueprint: tuple[str, str] | None  # (launchpad project, blueprint name) from its blueprint URL


@dataclass
class Match:
    """One spec a discussion discusses: the first (most precise) reason found and the lines that mention it."""

    spec_id: int
    reason: str
    lines: set[int] = field(default_factory=set)


@dataclass
class SpecIndex:
    """Every spec's names, loaded once per import: linking a discussion then asks the database nothing."""

    by_id: dict[int, SpecRef]
    by_name: dict[str, list[SpecRef]]
    by_blueprint: dict[tuple[str, str], list[SpecRef]]
    by_change: dict[int, list[SpecRef]]
    by_project: dict[str, list[SpecRef]]

    @classmethod
    def load(cls, session: Session) -> SpecIndex:
        """Four queries, whatever the number of specs."""
        projects = {pid: (name, lp) for pid, name, lp in session.execute(
            select(Project.id, Project.name, Project.launchpad))}
        index = cls({}, {}, {}, {}, {})
        for sid, pid, name, title, bp_url in session.execute(
                select(Spec.id, Spec.project_id, Spec.name, Spec.title, Spec.blueprint_url)):
            project, launchpad = projects[pid]
            found = BLUEPRINT_URL.search(bp_url or "")
            ref = SpecRef(sid, project.lower(), name.lower(), (title or "").strip().lower(),
                          (found.group(1).lower(), found.group(2).lower()) if found else None)
            index.by_id[sid] = ref
            index.by_name.setdefault(ref.name, []).append(ref)
            index.by_project.setdefault(ref.project, []).append(ref)
            for lp in {ref.project, (launchpad or ref.project).lower()}:
                index.by_blueprint.setdefault((lp, ref.name), []).append(ref)
            if ref.blueprint:
                index.by_blueprint.setdefault(ref.blueprint, []).append(ref)
        pairs: set[tuple[int, int]] = {(n, s) for n, s in session.execute(
            select(GerritChange.change_number, GerritChange.spec_id))}
        pairs |= {(n, s) for n, s in session.execute(select(GerritChange.change_number, GerritChangeSpec.spec_id).join(
            GerritChangeSpec, GerritChangeSpec.gerrit_change_id == GerritChange.id))}
        for number, sid in pairs:
            if sid in index.by_id and index.by_id[sid] not in index.by_change.get(number, []):
                index.by_change.setdefault(number, []).append(index.by_id[sid])
        return index

    def link(self, discussion: Discussion) -> list[Match]:
        """The specs the discussion discusses, each with why; most precise reason first."""
        tags = {t.lower() for t in (*discussion.tags, discussion.group)}
        found: dict[int, Match] = {}

        def add(refs: Iterable[SpecRef], reason: str, number: int) -> None:
            for ref in refs:
                match = found.setdefault(ref.id, Match(ref.id, reason))
                match.lines.add(number)

        for line in discussion.lines:
            text = line.text
            for m in BLUEPRINT_URL.finditer(text):
                add(self.by_blueprint.get((m.group(1).lower(), m.group(2).lower()), ()),
                    f"blueprint URL on line {line.number}", line.number)
            for m in REVIEW_URL.finditer(text):
                add(self.by_change.get(int(m.group(1)), ()), f"review URL of change {m.group(1)} on line {line.number}",
                    line.number)
            for m in SPEC_PATH.finditer(text):
                add(self._named(m.group(1), tags), f"spec file path on line {line.number}", line.number)
            for m in BP_NAME.finditer(text):
                add(self._named(m.group(1), tags), f"bp/{m.group(1).lower()} on line {line.number}", line.number)
            for m in CHANGE_NUMBER.finditer(text):
                refs = [r for r in self.by_change.get(int(m.group(1)), ()) if r.project in tags]
                add(refs, f"Gerrit change {m.group(1)} on line {line.number}", line.number)
        headings = [(0, discussion.title)]
        headings += [(ln.number, ln.text) for ln in discussion.lines if ln.kind == LineKind.TOPIC]
        for project in tags:
            for ref in self.by_project.get(project, ()):
                for number, text in headings:
                    lowered = text.lower()
                    if _has_name(lowered, ref.name):
                        where = f"topic line {number}" if number else "subject"
                        add([ref], f"name {ref.name} in the {where} ([{project}])", number)
                        break
                    if len(ref.title) >= MIN_TITLE and ref.title in lowered:
                        where = f"topic line {number}" if number else "subject"
                        add([ref], f"title in the {where} ([{project}])", number)
                        break
        for match in found.values():
            ref = self.by_id[match.spec_id]
            match.lines |= {ln.number for ln in discussion.lines if _has_name(ln.text.lower(), ref.name)}
            match.lines.discard(0)
        return list(found.values())

    def _named(self, name: str, tags: set[str]) -> list[SpecRef]:
        """The spec of that name: the one, or the one in a tagged project; none when still ambiguous."""
        refs = self.by_name.get(name.lower(), [])
        if len(refs) <= 1:
            return refs
        tagged = [r for r in refs if r.project in tags]
        return tagged if len(tagged) == 1 else []


def _has_name(lowered: str, name: str) -> bool:
    """The spec name as a whole token (``live-resize`` is not inside ``vm-live-resize``)."""
    start = lowered.find(name)
    while start >= 0:
        end = start + len(name)
        before = lowered[start - 1] if start else " "
        after = lowered[end] if end < len(lowered) else " "
        if not (before.isalnum() or before in "-_/") and not (after.isalnum() or after in "-_"):
            return True
        start = lowered.find(name, start + 1)
    return False
